//! One phase of a learning circuit as a network of its own (`crnc compile
//! --phase NAME`): the reactions of the phase's groups and the species they
//! touch, for a simulator that runs one sub-network at a time.

use super::protocol::Phase;
use super::{Crn, GroupId, Partner, SpeciesId};

/// The sub-network `phase` runs. Species keep their roles, rails and initial
/// values (the CRN's: the host's loads and copies are not applied); the
/// groups are the phase's, renumbered in its order.
pub fn network(crn: &Crn, phase: &Phase) -> Crn {
    let kept_reactions: Vec<usize> =
        (0..crn.reactions.len()).filter(|&r| phase.groups.contains(&crn.reactions[r].group)).collect();
    let mut touched = vec![false; crn.species.len()];
    for &r in &kept_reactions {
        let reaction = &crn.reactions[r];
        let laws = reaction.law.iter().flatten().flat_map(|t| &t.factors);
        for &(s, _) in reaction.reactants.iter().chain(&reaction.products).chain(laws) {
            touched[s.index()] = true;
        }
    }
    let mut species_index = vec![None; crn.species.len()];
    let mut species = Vec::new();
    for (i, s) in crn.species.iter().enumerate().filter(|&(i, _)| touched[i]) {
        species_index[i] = Some(SpeciesId(species.len() as u32));
        species.push(s.clone());
    }
    let group = |g: GroupId| {
        let at = phase.groups.iter().position(|&p| p == g)?;
        Some(GroupId(at as u32))
    };
    for s in &mut species {
        s.group = s.group.and_then(group);
    }
    let mut reaction_index = vec![usize::MAX; crn.reactions.len()];
    for (new, &old) in kept_reactions.iter().enumerate() {
        reaction_index[old] = new;
    }
    let renumber = |list: &[(SpeciesId, u32)]| -> Vec<(SpeciesId, u32)> {
        list.iter().map(|&(s, n)| (species_index[s.index()].expect("a touched species"), n)).collect()
    };
    let reactions = kept_reactions
        .iter()
        .map(|&r| {
            let mut reaction = crn.reactions[r].clone();
            reaction.reactants = renumber(&reaction.reactants);
            reaction.products = renumber(&reaction.products);
            for term in reaction.law.iter_mut().flatten() {
                term.factors = renumber(&term.factors);
            }
            // Partners share a group (validated), so a kept reaction's partner is kept.
            reaction.partner = reaction.partner.map(|p| match p {
                Partner::Reverse(i) => Partner::Reverse(reaction_index[i]),
                Partner::Forward(i) => Partner::Forward(reaction_index[i]),
            });
            reaction.group = group(reaction.group).expect("a kept reaction is in the phase");
            reaction
        })
        .collect();
    Crn {
        name: format!("{}_{}", crn.name, phase.name),
        species,
        reactions,
        groups: phase.groups.iter().map(|g| crn.groups[g.index()].clone()).collect(),
        ..crn.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture;
    use crate::crn::protocol::Duration;
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
