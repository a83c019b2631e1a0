//! One phase of a learning circuit as a network of its own (`crnc compile
//! --phase NAME`): the reactions of the phase's groups and the species they
//! touch, for a simulator that runs one sub-network at a time.

use super::protocol::Phase;
use super::{Crn, GroupId};

/// The sub-network `phase` runs. Species keep their roles, rails and initial
/// values (the CRN's: the host's loads and copies are not applied); the
/// groups are the phase's, renumbered in its order.
pub fn network(crn: &Crn, phase: &Phase) -> Crn {
    let mut sub = super::restrict::restricted(crn, |r| phase.groups.contains(&crn.reactions[r].group), &[]);
    let group = |g: GroupId| {
        let at = phase.groups.iter().position(|&p| p == g)?;
        Some(GroupId(at as u32))
    };
    for s in &mut sub.species {
        s.group = s.group.and_then(group);
    }
    for r in &mut sub.reactions {
        r.group = group(r.group).expect("a kept reaction is in the phase");
    }
    Crn {
        name: format!("{}_{}", crn.name, phase.name),
        groups: phase.groups.iter().map(|g| crn.groups[g.index()].clone()).collect(),
        ..sub
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture;
    use crate::crn::protocol::Duration;
    use crate::crn::{Partner, SpeciesId};
    use crate::ir::RateLaw;

    #[test]
    fn a_phase_keeps_its_groups_reactions_and_the_species_they_touch() {
        let s = SpeciesId;
        let reactions = vec![
            (vec![(s(0), 1)], vec![(s(1), 1)], 2.0, None),
            (vec![(s(1), 1), (s(2), 1)], vec![(s(3), 1)], 3.0, None),
            (vec![(s(3), 1)], vec![(s(1), 1), (s(2), 1)], 4.0, None),
        ];
        let species = [("A", 1.0), ("B", 0.0), ("C", 2.0), ("D", 0.0)];
        let crn = fixture::crn(RateLaw::MassAction, &species, reactions);
        let mut crn = fixture::grouped(crn, &["first", "second"], &[0, 1, 1]);
        crn.reactions[1].partner = Some(Partner::Reverse(2));
        crn.reactions[2].partner = Some(Partner::Forward(1));
        let phase = Phase {
            name: "bind".into(),
            groups: vec![GroupId(1)],
            duration: Duration::Time(1.0),
            before: vec![],
            after: vec![],
        };
        let sub = network(&crn, &phase);
        assert_eq!(sub.name, format!("{}_bind", crn.name));
        let names: Vec<&str> = sub.species.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["B", "C", "D"]);
        assert_eq!(sub.groups, ["second"]);
        assert_eq!(sub.reactions.len(), 2);
        assert_eq!(sub.reactions[0].reactants, [(s(0), 1), (s(1), 1)]);
        assert_eq!(sub.reactions[0].partner, Some(Partner::Reverse(1)));
        assert_eq!(sub.reactions[1].partner, Some(Partner::Forward(0)));
        assert!(sub.reactions.iter().all(|r| r.group == GroupId(0)));
        assert_eq!(sub.species[1].initial, 2.0);
        assert_eq!(crate::crn::validate(&sub), vec![]);
    }
}
