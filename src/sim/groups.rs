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

    /// The same ODE over only the species some reaction reads or changes,
    /// renumbered in order, and the original index of each: a phase that runs
    /// a few reactions of a large circuit is solved in its own small space.
    pub fn compacted(&self) -> (Kinetics, Vec<u32>) {
        let mut used = vec![false; self.species];
        let touched = self.reactants.iter().map(|&(s, _)| s).chain(self.changes.iter().map(|&(s, _)| s));
        for s in touched {
            used[s as usize] = true;
        }
        let kept: Vec<u32> = (0..self.species as u32).filter(|&s| used[s as usize]).collect();
        let mut local = vec![u32::MAX; self.species];
        for (i, &s) in kept.iter().enumerate() {
            local[s as usize] = i as u32;
        }
        let renumber = |s: u32| local[s as usize];
        let kin = Kinetics {
            species: kept.len(),
            reactants: self.reactants.iter().map(|&(s, a)| (renumber(s), a)).collect(),
            changes: self.changes.iter().map(|&(s, d)| (renumber(s), d)).collect(),
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
            ..self.clone()
        };
        (kin, kept)
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
    fn a_compacted_phase_keeps_its_own_species_and_their_rates() {
        // Group 1 (B -> C @ 3) touches B and C of A, B, C.
        let (a, b, c) = (SpeciesId(0), SpeciesId(1), SpeciesId(2));
        let reactions =
            vec![(vec![(a, 1)], vec![(b, 1)], 2.0, None), (vec![(b, 2)], vec![(c, 1)], 3.0, None)];
        let crn = fixture::crn(RateLaw::MassAction, &[("A", 1.0), ("B", 1.0), ("C", 0.0)], reactions);
        let crn = fixture::grouped(crn, &["one", "two"], &[0, 1]);
        let (kin, kept) = Kinetics::of_groups(&crn, &[GroupId(1)]).compacted();
        assert_eq!(kept, [1, 2]);
        let mut dxdt = [0.0; 2];
        kin.rhs(&[2.0, 5.0], &mut dxdt);
        assert_eq!(dxdt, [-24.0, 12.0]);
    }
}
