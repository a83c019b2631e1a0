//! Kinetics of some reaction groups only: what one phase of a protocol runs.

use super::kinetics::Kinetics;
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
}
