//! A detailed-balanced learner (domain.md §3) as its elementary CRN shows
//! it: the potentials (species with the role `potential`), the learning
//! pairs that move them, and the free model they tune. The report of a
//! learning run (`report.rs`) compares the free model's exact stationary
//! law under the learned potentials (`free_model.rs`) with the targets'.
//!
//! The pairs are read off the reactions, not from the source, so a network
//! written out by hand (tests/data/a1_learner.crnl) is a learner too: a
//! *learning reaction* changes potentials only; one that raises a
//! potential P names the model species it reads (`P + X -> 2P + X`), one
//! that lowers P names the target (`P + Q -> Q`, or none for a constant
//! target `P -> 0`).

pub mod free_model;
pub mod plot;
pub mod report;
pub mod run;

use crate::crn::{Crn, Partner, Reaction, Role, SpeciesId};

/// One potential and what moves it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub potential: SpeciesId,
    /// The species whose mean raises the potential.
    pub model: Vec<SpeciesId>,
    /// The species whose mean lowers it, each with its rate relative to the
    /// raising one (the `scale` of `learn P: X ~ c * Q`).
    pub target: Vec<(SpeciesId, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Learner {
    /// Every potential, in species order.
    pub potentials: Vec<SpeciesId>,
    /// The potentials that some learning reaction moves, in species order.
    pub pairs: Vec<Pair>,
}

impl Learner {
    /// The learner in `crn`, or `None` when it has no potential.
    pub fn of(crn: &Crn) -> Option<Learner> {
        let potentials: Vec<SpeciesId> = (0..crn.species.len() as u32)
            .map(SpeciesId)
            .filter(|&s| crn.species(s).role == Role::Potential)
            .collect();
        if potentials.is_empty() {
            return None;
        }
        let mut pairs: Vec<Pair> = Vec::new();
        // A reversible pair's reverse half moves the potential the other way
        // with the same catalysts: the forward half tells what the rule is.
        let forward = |r: &&Reaction| !matches!(r.partner, Some(Partner::Forward(_)));
        for r in crn.reactions.iter().filter(|r| crn.is_learning(r)).filter(forward) {
            for (p, change) in net_changes(r) {
                let catalysts: Vec<SpeciesId> = r
                    .reactants
                    .iter()
                    .map(|&(s, _)| s)
                    // The molecularity pass's readers of a molecule held in an
                    // intermediate read the same statistic as its free form.
                    .filter(|&s| !matches!(crn.species(s).role, Role::Potential | Role::Intermediate))
                    .collect();
                let at = match pairs.iter().position(|pair| pair.potential == p) {
                    Some(at) => at,
                    None => {
                        pairs.push(Pair { potential: p, model: Vec::new(), target: Vec::new() });
                        pairs.len() - 1
                    }
                };
                let pair = &mut pairs[at];
                if change > 0 {
                    for s in catalysts {
                        if !pair.model.contains(&s) {
                            pair.model.push(s);
                        }
                    }
                } else {
                    pair.target.extend(catalysts.iter().map(|&s| (s, r.rate)));
                }
            }
        }
        // Relative to the raising rate, so `learn P: X ~ c * Q @ k` reads back as c.
        for pair in &mut pairs {
            let raising = crn
                .reactions
                .iter()
                .filter(|r| crn.is_learning(r) && forward(r))
                .filter(|r| net_changes(r).any(|(p, d)| p == pair.potential && d > 0))
                .map(|r| r.rate)
                .next();
            if let Some(k) = raising {
                for (_, rate) in &mut pair.target {
                    *rate /= k;
                }
            }
        }
        pairs.sort_by_key(|pair| pair.potential);
        Some(Learner { potentials, pairs })
    }

    /// The model species, each once, in the order of the pairs.
    pub fn model_species(&self) -> Vec<SpeciesId> {
        let mut out: Vec<SpeciesId> = Vec::new();
        for s in self.pairs.iter().flat_map(|pair| &pair.model) {
            if !out.contains(s) {
                out.push(*s);
            }
        }
        out
    }

    /// The target species of a model species: that of its pair (the first,
    /// if several potentials read it); `None` for a constant target.
    pub fn target_of(&self, model: SpeciesId) -> Option<SpeciesId> {
        let pair = self.pairs.iter().find(|pair| pair.model.contains(&model))?;
        pair.target.first().map(|&(s, _)| s)
    }
}

/// The species a reaction changes, with their net changes.
fn net_changes(r: &Reaction) -> impl Iterator<Item = (SpeciesId, i64)> + '_ {
    let count = |side: &[(SpeciesId, u32)], s: SpeciesId| -> i64 {
        side.iter().filter(|&&(t, _)| t == s).map(|&(_, n)| i64::from(n)).sum()
    };
    let mut seen: Vec<SpeciesId> = Vec::new();
    r.reactants.iter().chain(&r.products).filter_map(move |&(s, _)| {
        if seen.contains(&s) {
            return None;
        }
        seen.push(s);
        let change = count(&r.products, s) - count(&r.reactants, s);
        (change != 0).then_some((s, change))
    })
}
