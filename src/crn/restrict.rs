//! A CRN cut down to some of its reactions and the species they touch: one
//! phase of a learning circuit (`phase.rs`), or a learner's free model
//! without its learning reactions (`learn::dbcrn`).

use super::{Crn, Partner, SpeciesId};

/// The reactions whose indices `keep` accepts, in order, and the species they
/// touch or `also` names, in order; everything else (roles, rails, groups,
/// initial values) as in `crn`. A kept reaction whose partner is dropped
/// loses its partner link.
pub fn restricted(crn: &Crn, keep: impl Fn(usize) -> bool, also: &[SpeciesId]) -> Crn {
    let kept_reactions: Vec<usize> = (0..crn.reactions.len()).filter(|&r| keep(r)).collect();
    let mut touched = vec![false; crn.species.len()];
    for s in also {
        touched[s.index()] = true;
    }
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
    let mut reaction_index = vec![None; crn.reactions.len()];
    for (new, &old) in kept_reactions.iter().enumerate() {
        reaction_index[old] = Some(new);
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
            reaction.partner = reaction.partner.and_then(|p| match p {
                Partner::Reverse(i) => reaction_index[i].map(Partner::Reverse),
                Partner::Forward(i) => reaction_index[i].map(Partner::Forward),
            });
            reaction
        })
        .collect();
    Crn { species, reactions, ..crn.clone() }
}
