//! Kinetics of some reaction groups only: what one phase of a protocol runs.

use super::kinetics::{Kinetics, LawTerm};
use crate::crn::{Crn, GroupId};

impl Kinetics {
    /// The kinetics of the reactions of `groups`; the species are all of the
    /// CRN's, so states carry over between phases unchanged.
    pub fn of_groups(crn: &Crn, groups: &[GroupId]) -> Kinetics {
        let mut phase = crn.clone();
        phase.reactions.retain(|r| groups.contains(&r.group));
        // The kept reactions moved; Kinetics reads no partner links.
        for r in &mut phase.reactions {
            r.partner = None;
        }
        Kinetics::new(&phase)
    }

    /// The same ODE over only the species some reaction changes, with the
    /// species the reactions only read (catalysts: a forward phase's inputs
    /// and parameters) folded into the rate constants: a phase that runs a
    /// few reactions of a large circuit is solved in its own small space, and
    /// its solver never carries the constants (B4's forward phase reads 32
    /// species and changes 6). Rate-law terms cannot be folded that way, so
    /// kinetics with laws keep every species they read.
    pub fn folded(&self) -> Folded {
        let fold = !self.has_laws();
        let mut kept = vec![false; self.species];
        let read = self.reactants.iter().filter(|_| !fold).map(|&(s, _)| s);
        for s in self.changes.iter().map(|&(s, _)| s).chain(read) {
            kept[s as usize] = true;
        }
        let changing: Vec<u32> = (0..self.species as u32).filter(|&s| kept[s as usize]).collect();
        let mut local = vec![u32::MAX; self.species];
        for (i, &s) in changing.iter().enumerate() {
            local[s as usize] = i as u32;
        }
        let renumber = |s: u32| local[s as usize];
        let mut kinetics = Kinetics {
            species: changing.len(),
            reactant_start: vec![0],
            reactants: Vec::new(),
            change_start: self.change_start.clone(),
            changes: self.changes.iter().map(|&(s, d)| (renumber(s), d)).collect(),
            k: self.k.clone(),
            order: Vec::with_capacity(self.reactions()),
            laws: self
                .laws
                .iter()
                .map(|law| {
                    law.as_ref().map(|terms| {
                        let term =
                            |(c, f): &LawTerm| (*c, f.iter().map(|&(s, e)| (renumber(s), e)).collect());
                        terms.iter().map(term).collect()
                    })
                })
                .collect(),
        };
        let (mut constants, mut constant_start) = (Vec::new(), vec![0]);
        for r in 0..self.reactions() {
            for &(s, a) in self.reactants(r) {
                match renumber(s) {
                    u32::MAX => constants.push((s, a)),
                    i => kinetics.reactants.push((i, a)),
                }
            }
            kinetics.reactant_start.push(kinetics.reactants.len());
            let folded: u32 = constants[constant_start[r]..].iter().map(|&(_, a)| a).sum();
            constant_start.push(constants.len());
            kinetics.order.push(self.order[r] - folded);
        }
        Folded { kinetics, changing, constants, constant_start, base: self.k.clone() }
    }
}

/// Kinetics over the species that change, their rate constants scaled by the
/// species held constant ([`Kinetics::folded`]).
#[derive(Clone, Debug)]
pub struct Folded {
    /// Over the changing species; its rate constants are the base ones until
    /// [`Folded::rates`] sets them.
    pub kinetics: Kinetics,
    /// The source index of each species kept: those that change (and, with
    /// rate laws, those read).
    pub changing: Vec<u32>,
    /// `constants[constant_start[r]..constant_start[r + 1]]`: the (source
    /// species, α) reaction r reads but no reaction changes.
    constants: Vec<(u32, u32)>,
    constant_start: Vec<usize>,
    base: Vec<f64>,
}

impl Folded {
    /// Whether any species was folded (else the rate constants never change).
    pub fn folds_any(&self) -> bool {
        !self.constants.is_empty()
    }

    /// The rate constants with the constant species at their values in `x`
    /// (a state of the source kinetics): k_r · ∏ x_s^α over them.
    pub fn rates(&self, x: &[f64], k: &mut [f64]) {
        for (r, k) in k.iter_mut().enumerate() {
            let constants = &self.constants[self.constant_start[r]..self.constant_start[r + 1]];
            *k = constants.iter().fold(self.base[r], |v, &(s, a)| v * x[s as usize].powi(a as i32));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::crn::passes::fixture;
    use crate::crn::{GroupId, SpeciesId};
    use crate::ir::RateLaw;
    use crate::sim::kinetics::Kinetics;

    #[test]
    fn only_the_chosen_groups_reactions_are_kept() {
        let (a, b) = (SpeciesId(0), SpeciesId(1));
        let reactions = vec![
            (vec![(a, 1)], vec![(b, 1)], 2.0, None),
            (vec![(b, 1)], vec![], 3.0, None),
            (vec![(a, 1)], vec![], 5.0, None),
        ];
        let crn = fixture::crn(RateLaw::MassAction, &[("A", 1.0), ("B", 1.0)], reactions);
        let crn = fixture::grouped(crn, &["one", "two"], &[0, 1, 0]);
        let rhs = |groups: &[GroupId]| {
            let mut dxdt = [0.0; 2];
            Kinetics::of_groups(&crn, groups).rhs(&[1.0, 1.0], &mut dxdt);
            dxdt
        };
        assert_eq!(rhs(&[GroupId(0)]), [-7.0, 2.0]);
        assert_eq!(rhs(&[GroupId(1)]), [0.0, -3.0]);
        assert_eq!(rhs(&[GroupId(0), GroupId(1)]), [-7.0, -1.0]);
        assert_eq!(Kinetics::of_groups(&crn, &[]).reactions(), 0);
    }

    #[test]
    fn a_folded_phase_solves_for_what_changes_and_reads_the_rest_as_rate_constants() {
        // Group 1: B + A -> C + A @ 3 and 2B -> C @ 0.5 change B and C; A is a catalyst, D unused.
        let (a, b, c, d) = (SpeciesId(0), SpeciesId(1), SpeciesId(2), SpeciesId(3));
        let reactions = vec![
            (vec![(d, 1)], vec![(a, 1)], 2.0, None),
            (vec![(b, 1), (a, 1)], vec![(c, 1), (a, 1)], 3.0, None),
            (vec![(b, 2)], vec![(c, 1)], 0.5, None),
        ];
        let species = [("A", 1.0), ("B", 1.0), ("C", 0.0), ("D", 1.0)];
        let crn = fixture::crn(RateLaw::MassAction, &species, reactions);
        let crn = fixture::grouped(crn, &["one", "two"], &[0, 1, 1]);
        let full = Kinetics::of_groups(&crn, &[GroupId(1)]);
        let folded = full.folded();
        assert_eq!(folded.changing, [1, 2]);
        let state = [4.0, 2.0, 5.0, 7.0];
        let mut k = folded.kinetics.k.clone();
        folded.rates(&state, &mut k);
        assert_eq!(k, [12.0, 0.5]);
        let mut kin = folded.kinetics.clone();
        kin.k = k;
        let (mut ours, mut theirs) = ([0.0; 2], [0.0; 4]);
        kin.rhs(&[2.0, 5.0], &mut ours);
        full.rhs(&state, &mut theirs);
        assert_eq!(ours, [theirs[1], theirs[2]]);
        assert_eq!(ours, [-28.0, 26.0]);
        assert_eq!(kin.order, [1, 2]);
    }
}
