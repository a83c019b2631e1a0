//! The free model of a learner under fixed potentials, and its exact
//! stationary law: what the learner has learned (domain.md §3.4: with [P]
//! held fixed, each direction's propensity gains [P] for the tuned species
//! it consumes, so their effective energy is E + ln[P]).

use super::Learner;
use crate::analyze::{self, AnalyzeError, Distribution};
use crate::crn::contents::Contents;
use crate::crn::restrict::restricted;
use crate::crn::{Crn, SpeciesId};

/// The CRN without its learning reactions, every potential folded into the
/// rates at `values` (one per `learner.potentials`, as concentrations) and
/// taken out of the complexes, cut down to the reactions connected to
/// `visible` (which it keeps, with or without reactions).
pub fn free_model(crn: &Crn, learner: &Learner, values: &[f64], visible: &[SpeciesId]) -> Crn {
    let value = |s: SpeciesId| learner.potentials.iter().position(|&p| p == s).map(|i| values[i]);
    let mut folded = crn.clone();
    for r in &mut folded.reactions {
        for &(s, alpha) in &r.reactants {
            if let Some(v) = value(s) {
                // The convention divided by alpha! for these copies; the complex no longer holds them.
                r.rate *= v.powi(alpha as i32) / crn.rate_law.divisor([alpha]);
                r.rate_param = None;
            }
        }
        r.reactants.retain(|&(s, _)| value(s).is_none());
        r.products.retain(|&(s, _)| value(s).is_none());
    }
    let component = connected(&folded, visible, |r| !crn.is_learning(&crn.reactions[r]));
    restricted(&folded, |r| component[r], visible)
}

/// The free model's exact stationary law under the potentials `values`,
/// marginal over `visible`, each counting its molecules held in
/// intermediates as its own (`crn::contents`).
pub fn learned_distribution(
    crn: &Crn,
    learner: &Learner,
    values: &[f64],
    visible: &[SpeciesId],
    options: &analyze::Options,
) -> Result<Distribution, AnalyzeError> {
    let model = free_model(crn, learner, values, visible);
    let laws = analyze::conservation_laws(&model).map_err(AnalyzeError::Conservation)?;
    let law = analyze::stationary(&model, &laws, options)?;
    let contents = Contents::of(crn);
    let column = |s: SpeciesId| law.distribution.species.iter().position(|n| *n == crn.species(s).name);
    let sums: Vec<Vec<(usize, i64)>> = visible
        .iter()
        .map(|&v| {
            let holders = contents.holders(v).into_iter();
            holders.filter_map(|(h, n)| column(h).map(|c| (c, i64::from(n)))).collect()
        })
        .collect();
    let names = visible.iter().map(|&s| crn.species(s).name.clone()).collect();
    Ok(law.distribution.tallied(names, &sums))
}

/// Per reaction, whether it is `usable` and shares species (through usable
/// reactions) with `seeds`.
fn connected(crn: &Crn, seeds: &[SpeciesId], usable: impl Fn(usize) -> bool) -> Vec<bool> {
    let mut reached = vec![false; crn.species.len()];
    for s in seeds {
        reached[s.index()] = true;
    }
    let mut in_component = vec![false; crn.reactions.len()];
    let mut grew = true;
    while grew {
        grew = false;
        for (r, reaction) in crn.reactions.iter().enumerate() {
            if in_component[r] || !usable(r) {
                continue;
            }
            let species = || reaction.reactants.iter().chain(&reaction.products).map(|&(s, _)| s.index());
            if species().any(|s| reached[s]) {
                in_component[r] = true;
                grew = true;
                for s in species() {
                    reached[s] = true;
                }
            }
        }
    }
    in_component
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::tests::crn_of;

    const A1: &str = "network A1 { species amount X = 2, Q = 100; energy X = -3; potential P = 1000 for X;
        0 <-> X @ 10; learn P: X ~ Q @ 1; }";

    #[test]
    fn the_free_model_holds_the_potential_in_its_rates() {
        let crn = crn_of(A1);
        let learner = Learner::of(&crn).expect("a learner");
        let x = SpeciesId(0);
        let model = free_model(&crn, &learner, &[0.5], &[x]);
        let names: Vec<&str> = model.species.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["X"]);
        let rates: Vec<f64> = model.reactions.iter().map(|r| r.rate).collect();
        let (birth, death) = (10.0 * 1.5f64.exp(), 10.0 * (-1.5f64).exp() * 0.5);
        assert_eq!(rates.len(), 2);
        assert!((rates[0] - birth).abs() < 1e-12 && (rates[1] - death).abs() < 1e-12, "{rates:?}");
    }

    #[test]
    fn the_learned_law_at_the_fixed_point_has_the_target_mean() {
        let crn = crn_of(A1);
        let learner = Learner::of(&crn).expect("a learner");
        let p = 3f64.exp() / 100.0;
        let law = learned_distribution(&crn, &learner, &[p], &[SpeciesId(0)], &analyze::Options::default())
            .expect("a stationary law");
        assert!((law.means()[0] - 100.0).abs() < 1e-6, "{:?}", law.means());
    }
}
