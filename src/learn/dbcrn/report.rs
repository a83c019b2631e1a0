//! The report of a learner's run (design.md §4.2, domain.md §3.5-3.10):
//! potentials and means over the last fifth of the run, the free model's
//! exact stationary law under those potentials against the targets' law,
//! KL(target ‖ learned) along the run, and the learning reactions'
//! dissipation.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Learner;
use super::free_model::learned_distribution;
use crate::analyze::{self, AnalyzeError, Distribution, kl_divergence};
use crate::backend::number;
use crate::crn::contents::Contents;
use crate::crn::{Crn, SpeciesId};
use crate::ir::{self, Quantity};
use crate::sim::run::Table;

/// The share of the run, at its end, that averages are taken over.
pub const WINDOW_SHARE: f64 = 0.2;

/// Points along the run at which KL(target ‖ learned) is computed: each is
/// an exact stationary law, so they are few.
const KL_POINTS: usize = 40;

/// States of the learned and target laws shown on the terminal: the likeliest.
const TABLE_STATES: usize = 12;

/// The states each of those laws may take: far fewer than the final law's.
const KL_MAX_STATES: usize = 100_000;

/// What a run measured over its window [from, end).
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub from: f64,
    /// Per species of the CRN, its time average, in the table's unit.
    pub averages: Vec<f64>,
    /// The joint law of the visible species' targets, renamed to the visible
    /// species (so that it compares with the learned law state by state).
    pub target: Option<Distribution>,
    pub dissipation: Option<Dissipation>,
    /// A `per_event` run's effective learning rate over the written one:
    /// vesicles · dt · rule steps per unit time, a step per event of the
    /// network as written (docs/learning.md).
    pub per_event_rate_factor: Option<f64>,
}

/// Entropy production of the learning reactions, in k_B·T (domain.md §3.10).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dissipation {
    /// Over the whole run.
    pub total: f64,
    /// Per unit time, averaged over the window.
    pub rate: f64,
}

impl Window {
    /// The window as the output grid samples it: averages over the rows in
    /// it and, given `targets` (for a single stochastic trajectory: an ODE
    /// run or an ensemble's mean has no law of counts), the targets' law as
    /// the rows' frequencies.
    pub fn from_grid(
        table: &Table,
        crn: &Crn,
        visible: &[SpeciesId],
        targets: Option<&[SpeciesId]>,
    ) -> Window {
        let end = table.times.last().copied().unwrap_or(0.0);
        let from = end * (1.0 - WINDOW_SHARE);
        let columns = species_columns(table, crn);
        let width = table.columns.len();
        let rows: Vec<&[f64]> = (0..table.times.len())
            .filter(|&i| table.times[i] >= from)
            .map(|i| &table.values[i * width..(i + 1) * width])
            .collect();
        let n = rows.len().max(1) as f64;
        let averages = columns.iter().map(|&c| rows.iter().map(|row| row[c]).sum::<f64>() / n).collect();
        let target = targets.map(|targets| {
            let tally = TargetTally::new(crn, targets);
            let mut counted: BTreeMap<Vec<i64>, f64> = BTreeMap::new();
            for row in &rows {
                let state = tally
                    .members
                    .iter()
                    .map(|&s| (row[columns[s.index()]] * count_per_unit(crn, s)).round() as i64);
                *counted.entry(state.collect()).or_default() += 1.0 / n;
            }
            let p = counted.values().copied().collect();
            tally.law(crn, visible, counted.into_keys().flatten().collect(), p)
        });
        Window { from, averages, target, dissipation: None, per_event_rate_factor: None }
    }
}

/// The targets' molecules as a run counts them: each target together with
/// the intermediates that hold it (`crn::contents`), as the learning
/// reactions read it.
pub struct TargetTally {
    /// The species whose joint counts the run records: the targets, then
    /// the intermediates holding them.
    pub members: Vec<SpeciesId>,
    /// Per target, (position in `members`, molecules of it one holds).
    sums: Vec<Vec<(usize, i64)>>,
}

impl TargetTally {
    pub fn new(crn: &Crn, targets: &[SpeciesId]) -> TargetTally {
        let contents = Contents::of(crn);
        let mut members: Vec<SpeciesId> = targets.to_vec();
        let mut sums = Vec::with_capacity(targets.len());
        for &t in targets {
            let mut sum = Vec::new();
            for (h, n) in contents.holders(t) {
                let at = members.iter().position(|&m| m == h).unwrap_or_else(|| {
                    members.push(h);
                    members.len() - 1
                });
                sum.push((at, i64::from(n)));
            }
            sums.push(sum);
        }
        TargetTally { members, sums }
    }

    /// The targets' joint law, renamed to the `visible` species (so that it
    /// compares with the learned law state by state), from the law of the
    /// members' counts: `counts` one state after another, `p` one per state.
    pub fn law(&self, crn: &Crn, visible: &[SpeciesId], counts: Vec<i64>, p: Vec<f64>) -> Distribution {
        let name = |s: &SpeciesId| crn.species(*s).name.clone();
        let members = Distribution::new(self.members.iter().map(name).collect(), counts, p);
        members.tallied(visible.iter().map(name).collect(), &self.sums)
    }
}

/// Per species of the CRN, its column in the table: its name, or for an
/// ensemble its `-mean` column.
fn species_columns(table: &Table, crn: &Crn) -> Vec<usize> {
    let position = |name: &str| table.columns.iter().position(|c| c == name);
    crn.species
        .iter()
        .map(|s| {
            position(&s.name)
                .or_else(|| position(&format!("{}-mean", s.name)))
                .expect("a run's table has a column per species")
        })
        .collect()
}

/// Molecules per unit of the table's value for species `s`: 1 for an
/// amount, the compartment's size for a concentration.
pub fn count_per_unit(crn: &Crn, s: SpeciesId) -> f64 {
    let species = crn.species(s);
    match species.quantity {
        Quantity::Amount => 1.0,
        Quantity::Concentration => crn.size(species),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub network: String,
    pub window: (f64, f64),
    /// Potentials averaged over the window, as concentrations.
    pub potentials: Vec<(String, f64)>,
    /// Every other species' time average over the window.
    pub means: Vec<(String, f64)>,
    pub visible: Vec<String>,
    /// The free model's exact stationary law over the visible species under
    /// the averaged potentials.
    pub learned: Distribution,
    pub target: Option<Distribution>,
    pub kl_nats: Option<f64>,
    /// (time, KL(target ‖ learned under the potentials at that time)).
    pub kl_over_time: Vec<(f64, f64)>,
    pub dissipation: Option<Dissipation>,
    pub per_event_rate_factor: Option<f64>,
    /// Per species with a potential, its learned energy E + Σ ln[P] over its
    /// potentials (domain.md §3.4); empty until [`Report::with_energies`].
    pub learned_energies: Vec<(String, f64)>,
}

/// The report of `table`, a run of the learner in `crn`.
pub fn report(
    crn: &Crn,
    learner: &Learner,
    table: &Table,
    window: &Window,
    visible: &[SpeciesId],
) -> Result<Report, AnalyzeError> {
    let concentration = |s: SpeciesId, value: f64| value * count_per_unit(crn, s) / crn.volume;
    let potentials_at = |values: &dyn Fn(SpeciesId) -> f64| -> Vec<f64> {
        learner.potentials.iter().map(|&p| concentration(p, values(p))).collect()
    };
    let averaged = potentials_at(&|p| window.averages[p.index()]);
    let options = analyze::Options::default();
    let learned = learned_distribution(crn, learner, &averaged, visible, &options)?;
    let kl = |learned: &Distribution| {
        let target = window.target.as_ref()?;
        kl_divergence(target, learned).ok()
    };
    let kl_nats = kl(&learned);
    let mut kl_over_time = Vec::new();
    if window.target.is_some() {
        let (width, columns) = (table.columns.len(), species_columns(table, crn));
        let step = (table.times.len() / KL_POINTS).max(1);
        // A potential held as a count (the species form) is often 0 at a
        // sampled time, where the free model has no stationary law: those
        // times, and any whose law is too large to find, have no point.
        let along = analyze::Options { max_states: KL_MAX_STATES, ..options.clone() };
        for row in (0..table.times.len()).step_by(step) {
            let values = potentials_at(&|p| table.values[row * width + columns[p.index()]]);
            if values.iter().any(|&v| v <= 0.0) {
                continue;
            }
            if let Some(d) =
                learned_distribution(crn, learner, &values, visible, &along).ok().as_ref().and_then(kl)
            {
                kl_over_time.push((table.times[row], d));
            }
        }
    }
    let name = |s: SpeciesId| crn.species(s).name.clone();
    let end = table.times.last().copied().unwrap_or(0.0);
    Ok(Report {
        network: crn.name.clone(),
        window: (window.from, end),
        potentials: learner.potentials.iter().zip(&averaged).map(|(&p, &v)| (name(p), v)).collect(),
        means: (0..crn.species.len() as u32)
            .map(SpeciesId)
            .filter(|s| !learner.potentials.contains(s))
            .map(|s| (name(s), window.averages[s.index()]))
            .collect(),
        visible: visible.iter().map(|&s| name(s)).collect(),
        learned,
        target: window.target.clone(),
        kl_nats,
        kl_over_time,
        dissipation: window.dissipation,
        per_event_rate_factor: window.per_event_rate_factor,
        learned_energies: Vec::new(),
    })
}

impl Report {
    /// The report with the learned energies of the network's tuned species:
    /// each one's energy (0 where unset) plus ln of its potentials' averages.
    pub fn with_energies(mut self, network: &ir::Network) -> Report {
        let mut learned: Vec<(String, f64)> = Vec::new();
        for potential in &network.potentials {
            let Some(&(_, value)) = self.potentials.iter().find(|(n, _)| *n == potential.name) else {
                continue;
            };
            for species in &potential.species {
                match learned.iter_mut().find(|(n, _)| n == species) {
                    Some((_, g)) => *g += value.ln(),
                    None => {
                        let energy = network.energies.get(species).copied().unwrap_or(0.0);
                        learned.push((species.clone(), energy + value.ln()));
                    }
                }
            }
        }
        self.learned_energies = learned;
        self
    }

    /// The `--summary` JSON (design.md §4.2).
    pub fn json(&self, method: &str, wall_seconds: f64) -> Value {
        let map = |pairs: &[(String, f64)]| -> serde_json::Map<String, Value> {
            pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
        };
        json!({
            "network": self.network,
            "method": method,
            "window": { "from": self.window.0, "to": self.window.1 },
            "potentials": map(&self.potentials),
            "learned_energies": map(&self.learned_energies),
            "means": map(&self.means),
            "visible": self.visible,
            "learned_distribution": states(&self.learned),
            "target_distribution": self.target.as_ref().map(states),
            "kl_nats": self.kl_nats,
            "kl_over_time": self.kl_over_time.iter().map(|&(t, d)| json!({"time": t, "kl_nats": d})).collect::<Vec<_>>(),
            "dissipation": self.dissipation.map(|d| d.total),
            "dissipation_rate": self.dissipation.map(|d| d.rate),
            "per_event_rate_factor": self.per_event_rate_factor,
            "wall_seconds": wall_seconds,
        })
    }

    /// The final table on the terminal.
    pub fn text(&self) -> String {
        let (from, to) = self.window;
        let mut out = format!("{}: averages over t in [{}, {}]\n", self.network, number(from), number(to));
        let rows = |out: &mut String, title: &str, pairs: &[(String, f64)]| {
            out.push_str(&format!("  {title}\n"));
            for (name, v) in pairs {
                out.push_str(&format!("    {name:<20} {}\n", number(*v)));
            }
        };
        rows(&mut out, "potential", &self.potentials);
        if !self.learned_energies.is_empty() {
            rows(&mut out, "learned energy (E + ln P, k_B T)", &self.learned_energies);
        }
        rows(&mut out, "mean", &self.means);
        if let Some(target) = &self.target {
            out.push_str(&format!("  law of ({}): state  learned  target\n", self.visible.join(", ")));
            let target_of: BTreeMap<&[i64], f64> = target.iter().collect();
            let mut rows: Vec<(&[i64], f64, f64)> =
                self.learned.iter().map(|(s, p)| (s, p, target_of.get(s).copied().unwrap_or(0.0))).collect();
            rows.sort_by(|a, b| b.1.max(b.2).total_cmp(&a.1.max(a.2)));
            let hidden = rows.len().saturating_sub(TABLE_STATES);
            rows.truncate(TABLE_STATES);
            rows.sort_by(|a, b| a.0.cmp(b.0));
            for (state, p, t) in rows {
                out.push_str(&format!("    {state:?}  {p:.4}  {t:.4}\n"));
            }
            if hidden > 0 {
                out.push_str(&format!("    ({hidden} less likely states in the summary)\n"));
            }
        }
        if let Some(kl) = self.kl_nats {
            out.push_str(&format!("  KL(target || learned) = {} nats\n", number(kl)));
        }
        if let Some(factor) = self.per_event_rate_factor {
            out.push_str(&format!(
                "  the per-event update learns {} times faster than the written rates\n",
                number(factor)
            ));
        }
        if let Some(d) = self.dissipation {
            out.push_str(&format!(
                "  dissipation of the learning reactions: {} k_B T in all, {} k_B T per unit time at the end\n",
                number(d.total),
                number(d.rate)
            ));
        }
        out
    }
}

/// A distribution as the summary lists it: [{state: {species: count}, p}].
fn states(d: &Distribution) -> Vec<Value> {
    d.iter()
        .map(|(state, p)| {
            let counts: serde_json::Map<String, Value> =
                d.species.iter().zip(state).map(|(s, &n)| (s.clone(), json!(n))).collect();
            json!({ "state": counts, "p": p })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::{Options, fixture, molecularity};
    use crate::ir::RateLaw;

    #[test]
    fn a_target_held_in_an_intermediate_counts_as_itself() {
        // T + A + B -> 0 lowered binds T and A into T_A__r0; the model X learns toward T.
        let [t, a, b, x] = [0, 1, 2, 3].map(SpeciesId);
        let species = [("T", 1.0), ("A", 2.0), ("B", 2.0), ("X", 1.0)];
        let crn = fixture::crn(
            RateLaw::MassAction,
            &species,
            vec![(vec![(t, 1), (a, 1), (b, 1)], vec![], 1.0, None)],
        );
        let crn = molecularity::run(crn, &Options { max_order: Some(2), ..Options::default() }).0;
        let tally = TargetTally::new(&crn, &[t]);
        let names: Vec<&str> = tally.members.iter().map(|&s| crn.species(s).name.as_str()).collect();
        assert_eq!(names, ["T", "T_A__r0"]);
        // (T, T_A) = (1, 0), (0, 1), (0, 0): T is there in the first two.
        let law = tally.law(&crn, &[x], vec![1, 0, 0, 1, 0, 0], vec![0.5, 0.3, 0.2]);
        assert_eq!(law.species, ["X"]);
        assert_eq!(law.iter().collect::<Vec<_>>(), [(&[0][..], 0.2), (&[1][..], 0.8)]);
    }
}
