//! Kinetics of some reaction groups only: what one phase of a protocol runs.

use super::kinetics::{Kinetics, LawTerm};
use crate::crn::{Crn, GroupId};
use crate::hash::HashMap;

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
    /// species and changes 6). Reactions that folding leaves alike (the same
    /// reactants and changes: θ_ij x_j → z_i for every j) become one, whose
    /// rate constant is the sum of theirs (B4's forward: 45 reactions, 15
    /// after merging). Rate-law terms cannot be folded that way, so kinetics
    /// with laws keep every species they read and every reaction.
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
        let (kinetics, into) =
            if fold { merge_alike(&kinetics) } else { (kinetics, (0..self.reactions() as u32).collect()) };
        Folded { kinetics, changing, constants, constant_start, base: self.k.clone(), into }
    }
}

/// Mass-action kinetics with each set of alike reactions (the same reactants
/// and net changes) made one, its rate constant their sum, and for each
/// reaction the index of the one it joined.
fn merge_alike(kin: &Kinetics) -> (Kinetics, Vec<u32>) {
    let mut merged = Kinetics::without_reactions(kin.species);
    // (reactants, changes) of each merged reaction, to its index.
    let mut index: HashMap<_, u32> = HashMap::default();
    let mut into = Vec::with_capacity(kin.reactions());
    for r in 0..kin.reactions() {
        let key = (kin.reactants(r), kin.changes(r));
        let m = *index.entry(key).or_insert_with(|| {
            merged.reactants.extend_from_slice(key.0);
            merged.reactant_start.push(merged.reactants.len());
            merged.changes.extend_from_slice(key.1);
            merged.change_start.push(merged.changes.len());
            merged.k.push(0.0);
            merged.order.push(kin.order[r]);
            merged.k.len() as u32 - 1
        });
        merged.k[m as usize] += kin.k[r];
        into.push(m);
    }
    (merged, into)
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
    /// Per source reaction, its rate constant.
    base: Vec<f64>,
    /// Per source reaction, the reaction of `kinetics` it was merged into.
    into: Vec<u32>,
}

impl Folded {
    /// Whether any species was folded (else the rate constants never change).
    pub fn folds_any(&self) -> bool {
        !self.constants.is_empty()
    }

    /// The rate constants with the constant species at their values in `x`
    /// (a state of the source kinetics): for each reaction of `kinetics`, the
    /// sum of k_r · ∏ x_s^α over the constants of the reactions merged into it.
    pub fn rates(&self, x: &[f64], k: &mut [f64]) {
        k.fill(0.0);
        for (r, &m) in self.into.iter().enumerate() {
            let constants = &self.constants[self.constant_start[r]..self.constant_start[r + 1]];
            k[m as usize] +=
                constants.iter().fold(self.base[r], |v, &(s, a)| v * x[s as usize].powi(a as i32));
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

    #[test]
    fn reactions_alike_after_folding_become_one_with_the_summed_rate() {
        // P + X -> P + X + Z @ 2 and Q + Y -> Q + Y + Z @ 3 both fold to 0 -> Z; 2Z -> Z stays.
        let (p, q, x, y, z) = (SpeciesId(0), SpeciesId(1), SpeciesId(2), SpeciesId(3), SpeciesId(4));
        let reactions = vec![
            (vec![(p, 1), (x, 1)], vec![(p, 1), (x, 1), (z, 1)], 2.0, None),
            (vec![(z, 2)], vec![(z, 1)], 0.5, None),
            (vec![(q, 1), (y, 1)], vec![(q, 1), (y, 1), (z, 1)], 3.0, None),
        ];
        let species = [("P", 1.0), ("Q", 1.0), ("X", 1.0), ("Y", 1.0), ("Z", 0.0)];
        let crn = fixture::crn(RateLaw::MassAction, &species, reactions);
        let full = Kinetics::new(&crn);
        let folded = full.folded();
        assert_eq!(folded.kinetics.reactions(), 2);
        assert_eq!(folded.kinetics.order, [0, 2]);
        let state = [1.5, 2.0, 0.5, 4.0, 3.0];
        let mut kin = folded.kinetics.clone();
        folded.rates(&state, &mut kin.k);
        assert_eq!(kin.k, [2.0 * 1.5 * 0.5 + 3.0 * 2.0 * 4.0, 0.5]);
        let (mut ours, mut theirs) = ([0.0; 1], [0.0; 5]);
        kin.rhs(&[3.0], &mut ours);
        full.rhs(&state, &mut theirs);
        assert_eq!(ours, [theirs[4]]);
    }
}
