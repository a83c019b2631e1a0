//! A learner's run by the hybrid method (`crnc run --method hybrid`): the
//! simulator's output as a [`Table`] in each species' declared unit, with
//! the window the report reads (exact time averages, the targets' joint
//! law, the learning reactions' dissipation).

use std::time::Instant;

use super::Learner;
use super::report::{Dissipation, TargetTally, WINDOW_SHARE, Window, count_per_unit};
use crate::crn::{Crn, Role, SpeciesId};
use crate::ir::Coupling;
use crate::sim::hybrid::{self, HybridOptions};
use crate::sim::run::{RunError, RunSettings, Summary, Table};
use crate::sim::schedule::Cut;

/// The visible species: `names` (the `simulate` block's `visible`), else
/// every species a learning rule matches; names that are not species are
/// left out (the checker has reported them).
pub fn visible_species(crn: &Crn, learner: &Learner, names: &[String]) -> Vec<SpeciesId> {
    if names.is_empty() {
        return learner.model_species();
    }
    names
        .iter()
        .filter_map(|n| crn.species.iter().position(|s| s.name == *n))
        .map(|i| SpeciesId(i as u32))
        .collect()
}

/// Runs `crn` by the hybrid method at `settings`, with the assignments of `cuts`.
pub fn hybrid(crn: &Crn, cuts: &[Cut], settings: &RunSettings) -> Result<Table, RunError> {
    let start = Instant::now();
    let times = settings.times();
    let learner = Learner::of(crn);
    let visible = learner.as_ref().map(|l| visible_species(crn, l, &settings.visible)).unwrap_or_default();
    let targets: Option<Vec<SpeciesId>> =
        learner.as_ref().and_then(|l| visible.iter().map(|&s| l.target_of(s)).collect());
    let tally = targets.map(|t| TargetTally::new(crn, &t));
    let coupling = match settings.coupling {
        Coupling::Exact => hybrid::Coupling::Exact,
        Coupling::Split => hybrid::Coupling::Split { interval: settings.dt },
        Coupling::PerEvent => hybrid::Coupling::PerEvent { dt: settings.dt },
    };
    let from = settings.t_end * (1.0 - WINDOW_SHARE);
    let options = HybridOptions {
        seed: settings.seed,
        max_events: settings.max_events,
        average_from: from,
        histograms: tally.iter().map(|t| t.members.iter().map(|s| s.index()).collect()).collect(),
        cuts: cuts.to_vec(),
        ..HybridOptions::new(settings.vesicles, coupling)
    };
    let run = hybrid::simulate(crn, &times, &options).map_err(RunError::Hybrid)?;
    // Potentials come as concentrations, vesicle species as mean counts.
    let unit: Vec<f64> = (0..crn.species.len() as u32)
        .map(SpeciesId)
        .map(|s| match crn.species(s).role {
            Role::Potential => crn.volume / count_per_unit(crn, s),
            _ if settings.counts => 1.0,
            _ => 1.0 / count_per_unit(crn, s),
        })
        .collect();
    let width = crn.species.len().max(1);
    let values = run.values.chunks(width).flat_map(|row| row.iter().zip(&unit).map(|(v, u)| v * u)).collect();
    let target = tally.zip(run.histograms.first()).map(|(tally, states)| {
        let counts = states.iter().flat_map(|(state, _)| state.iter().copied()).collect();
        tally.law(crn, &visible, counts, states.iter().map(|(_, p)| *p).collect())
    });
    let reversible_learning = crn.reactions.iter().any(|r| r.partner.is_some() && crn.is_learning(r));
    let window = Window {
        from,
        averages: run.averages.iter().zip(&unit).map(|(v, u)| v * u).collect(),
        target,
        dissipation: reversible_learning
            .then_some(Dissipation { total: run.dissipation, rate: run.dissipation_rate }),
        per_event_rate_factor: run
            .rule_steps
            .map(|steps| settings.vesicles as f64 * settings.dt * steps as f64 / settings.t_end),
    };
    let columns = crn.species.iter().map(|s| s.name.clone()).collect();
    Ok(Table {
        times,
        columns,
        values,
        summary: Summary {
            method: format!(
                "hybrid ({} coupling, {} vesicle{})",
                settings.coupling.name(),
                settings.vesicles,
                if settings.vesicles == 1 { "" } else { "s" }
            ),
            work: run.events,
            work_unit: "events",
            seconds: start.elapsed().as_secs_f64(),
        },
        window: Some(window),
    })
}
