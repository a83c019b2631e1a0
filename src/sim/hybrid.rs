//! The hybrid simulator of detailed-balanced learners (domain.md §3.4-3.12):
//! potentials as concentrations in a shared bulk, everything else as
//! molecule counts in N identical vesicles.
//!
//! # Semantics
//!
//! Species with [`crate::crn::Role::Potential`] are continuous: concentrations [p],
//! shared by every vesicle. All others are discrete: whole counts, one copy
//! per vesicle of volume V = `crn.volume`, each starting from the CRN's
//! initial counts. A reaction is a *jump* when its net change touches a
//! discrete species, else a *flow*. Jump r fires in vesicle v with propensity
//! k_r·V^(1−m_r)·∏ ff(n_d^v, α_d)·∏ [p]^α_p (m_r the molecularity of its
//! discrete reactants, ff the falling factorial, k_r as `Kinetics` gives it);
//! its change of potentials is dropped, the bulk being infinitely large
//! (§3.9). With the vesicles frozen the flows move the potentials by
//! d[p]/dt = Σ_r ν_rp·k_r·∏[p']^α·(1/N)Σ_v V^(−m_r)∏ ff(n^v) (a bulk of
//! volume N·V). For A3 this is d[P]/dt = k[P](x̄ − q).
//!
//! # Couplings
//!
//! - [`Coupling::Exact`]: between events the potentials follow that ODE and
//!   the waiting time solves ∫₀^τ a₀(t) dt = E, E ~ Exp(1), a₀ the total
//!   propensity over all vesicles along the potentials' path; reaction and
//!   vesicle are drawn with the propensities at t + τ. This is the exact
//!   piecewise-deterministic process up to the root tolerance
//!   (|Λ(τ) − E| ≤ 1e-12·E) and, in the log-linear case below, a hazard
//!   series truncated at relative 1e-12; in the general case up to
//!   Dormand-Prince's local relative tolerance 1e-10. Log-linear case (fast
//!   path, irreversible learning A3-A7): every flow reads one potential
//!   p (α = 1) and moves only p, so ln[p] is linear in t between events and
//!   each propensity is a_r·e^(β_r t) ([`flow`]). The dissipation integral
//!   uses the trapezoid rule between events (error O(τ³) per event).
//! - [`Coupling::Split`]: potentials frozen over each interval [t, t + h)
//!   (cut short at output times and at `average_from`); every vesicle runs
//!   exact SSA over it on its own random stream, in parallel; then the
//!   potentials move over the interval by the ODE driven by the vesicles'
//!   time-averaged discrete factors (exact averages: the counts are piecewise
//!   constant). This is Lie splitting: with learning rate k (|d ln p/dt| ≤
//!   k·F for the factors' bound F) the propensities are off by a relative
//!   e^(kFh) − 1 ≈ kFh within an interval, so every statistic is off by
//!   O(kFh): the error is first order in h·k.
//! - [`Coupling::PerEvent`]: the authors' reference (§3.12 items 1 and 2,
//!   bioscrape's repeated rules): one loop iteration applies the rule
//!   [p] += dt·Σ_r ν_rp k_r ∏[p']^α Σ_v V^(−m_r)∏ ff(n^v) (a sum over
//!   vesicles, no 1/N), computes the propensities with the new values, then
//!   fires the next event if it comes before the next output time, else
//!   moves to that time and writes the row; so the rule runs after every
//!   event and at every output time. A binding step of the molecularity
//!   pass (it binds molecules into an intermediate or unbinds them) is not
//!   an event of the network as written, and the rule takes no step on it.
//!   The authors' loop applies one rule per vesicle in turn; here the
//!   vesicles' terms are summed into one step, which differs by O(dt²).
//!
//! # Random streams
//!
//! `Exact` and `PerEvent` draw from one Xoshiro256++ stream seeded with
//! `seed`. `Split` gives vesicle v the stream seeded with `seed` and jumped
//! v + 1 times (2^128 draws apart), so its results are the same on any
//! number of threads.

mod ensemble;
mod exact;
mod flow;
mod jump_rates;
mod model;
mod per_event;
mod record;
mod rk;
mod split;
mod vesicle;

use std::collections::BTreeMap;

use crate::crn::Crn;
use crate::sim::schedule::Cut;
use crate::sim::ssa::{self, SsaError};
use model::Model;
use record::Record;
use vesicle::{Groups, Vesicle};

/// How the potentials and the vesicles are coupled (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Coupling {
    Exact,
    Split { interval: f64 },
    PerEvent { dt: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct HybridOptions {
    pub vesicles: usize,
    pub coupling: Coupling,
    pub seed: u64,
    /// Events (over all vesicles) the run may take.
    pub max_events: u64,
    /// Start of the window of the averages, histograms and dissipation rate.
    pub average_from: f64,
    /// Groups of discrete species (CRN indices) whose joint distribution
    /// over the window the run returns.
    pub histograms: Vec<Vec<usize>>,
    /// Scheduled assignments (ascending, before the last output time): every
    /// vesicle's counts and the bulk's potentials are set at each cut's time.
    pub cuts: Vec<Cut>,
}

impl HybridOptions {
    pub fn new(vesicles: usize, coupling: Coupling) -> HybridOptions {
        HybridOptions {
            vesicles,
            coupling,
            seed: 0,
            max_events: ssa::DEFAULT_MAX_EVENTS,
            average_from: 0.0,
            histograms: Vec::new(),
            cuts: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HybridRun {
    pub times: Vec<f64>,
    /// rows x species (every species of the CRN, in CRN order): potentials
    /// as concentrations, discrete species as the mean count over vesicles.
    pub values: Vec<f64>,
    /// Per species, the exact time average over [average_from, last time),
    /// same units.
    pub averages: Vec<f64>,
    pub events: u64,
    /// `PerEvent`: the rule's steps (one per event of the network as
    /// written, binding steps aside, and one per output time).
    pub rule_steps: Option<u64>,
    /// Per histogram group, the time-weighted joint distribution of its
    /// counts over the window, pooled over vesicles (weights sum to 1),
    /// sorted by state.
    pub histograms: Vec<Vec<(Vec<i64>, f64)>>,
    /// The reversible flow pairs' entropy production rate per vesicle,
    /// Σ (a⁺ − a⁻)·ln(a⁺/a⁻) in k_B·T per time (domain.md §3.10): its time
    /// average over the window, and its integral over the whole run.
    pub dissipation_rate: f64,
    pub dissipation: f64,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HybridError {
    #[error("the network has no potential species: the hybrid simulator holds potentials in the bulk")]
    NoPotential,
    #[error("not supported by the hybrid simulator: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Counts(SsaError),
    #[error("the run took {limit} events and reached only t = {time}")]
    MaxEvents { limit: u64, time: f64 },
    #[error("the potential `{name}` became {value} at t = {time}: a potential must stay positive and finite")]
    Potential { name: String, value: f64, time: f64 },
    #[error("invalid hybrid options: {0}")]
    InvalidOptions(String),
}

/// What every coupling starts from and reports into.
struct Start<'c> {
    crn: &'c Crn,
    model: Model,
    groups: Groups,
    potentials: Vec<f64>,
    /// The vesicle every copy starts as.
    vesicle: Vesicle,
    /// The scheduled assignments in the simulator's terms.
    cuts: Vec<Assignment>,
}

/// A scheduled assignment: potentials (by potential index) as
/// concentrations, discrete species (by discrete index) as counts.
struct Assignment {
    potentials: Vec<(usize, f64)>,
    counts: Vec<(usize, i64)>,
}

impl Assignment {
    fn set_potentials(&self, p: &mut [f64]) {
        for &(i, v) in &self.potentials {
            p[i] = v;
        }
    }
}

impl Start<'_> {
    /// An error unless every potential is positive and finite at time `t`.
    fn check(&self, p: &[f64], t: f64) -> Result<(), HybridError> {
        match p.iter().position(|&x| !(x > 0.0 && x.is_finite())) {
            None => Ok(()),
            Some(i) => Err(self.potential_error(i, p[i], t)),
        }
    }

    fn potential_error(&self, i: usize, value: f64, time: f64) -> HybridError {
        HybridError::Potential { name: self.crn.species[self.model.potentials[i]].name.clone(), value, time }
    }
}

/// The vesicles at the end and the events they took.
struct Outcome {
    vesicles: Vec<Vesicle>,
    events: u64,
    rule_steps: Option<u64>,
}

/// Runs the hybrid simulation of `crn` with output at `times` (ascending, from 0).
pub fn simulate(crn: &Crn, times: &[f64], opts: &HybridOptions) -> Result<HybridRun, HybridError> {
    validate(times, opts)?;
    let model = Model::new(crn)?;
    let start = start(crn, model, opts)?;
    let cut_times = opts.cuts.iter().map(|c| c.time).collect();
    let mut record = Record::new(&start.model, crn.species.len(), times, opts.average_from, cut_times);
    let outcome = match opts.coupling {
        Coupling::Exact => exact::run(&start, opts, &mut record)?,
        Coupling::Split { interval } => split::run(&start, opts, interval, &mut record)?,
        Coupling::PerEvent { dt } => per_event::run(&start, opts, dt, &mut record)?,
    };
    Ok(finish(&start, times, record, outcome))
}

fn validate(times: &[f64], opts: &HybridOptions) -> Result<(), HybridError> {
    let invalid = |m: &str| Err(HybridError::InvalidOptions(m.into()));
    if opts.vesicles == 0 {
        return invalid("there must be at least one vesicle");
    }
    match opts.coupling {
        Coupling::Split { interval: h } if !(h > 0.0 && h.is_finite()) => {
            return invalid("the splitting interval must be positive and finite");
        }
        Coupling::PerEvent { dt } if !(dt > 0.0 && dt.is_finite()) => {
            return invalid("the update step dt must be positive and finite");
        }
        _ => {}
    }
    let Some(&last) = times.last() else { return invalid("there are no output times") };
    if times.iter().any(|t| !(t.is_finite() && *t >= 0.0)) || times.windows(2).any(|w| w[1] < w[0]) {
        return invalid("output times must be finite, non-negative and ascending");
    }
    if !(opts.average_from.is_finite() && opts.average_from.max(0.0) < last) {
        return invalid("average_from must be finite and before the last output time");
    }
    let cut_times: Vec<f64> = opts.cuts.iter().map(|c| c.time).collect();
    if cut_times.iter().any(|&t| !(t > 0.0 && t < last)) || cut_times.windows(2).any(|w| w[1] <= w[0]) {
        return invalid(
            "scheduled assignments must come in ascending time, after 0 and before the last output",
        );
    }
    Ok(())
}

fn start<'c>(crn: &'c Crn, model: Model, opts: &HybridOptions) -> Result<Start<'c>, HybridError> {
    let counts = model
        .discrete
        .iter()
        .map(|&s| ssa::initial_count(crn, &crn.species[s]))
        .collect::<Result<Vec<i64>, SsaError>>()
        .map_err(HybridError::Counts)?;
    let concentrations = crn.initial_concentrations();
    let potentials: Vec<f64> = model.potentials.iter().map(|&s| concentrations[s]).collect();
    let mut slot = vec![None; crn.species.len()];
    for (d, &s) in model.discrete.iter().enumerate() {
        slot[s] = Some(d as u32);
    }
    let mut members = Vec::with_capacity(opts.histograms.len());
    for group in &opts.histograms {
        let list: Option<Vec<u32>> = group.iter().map(|&s| slot.get(s).copied().flatten()).collect();
        match list {
            Some(list) => members.push(list),
            None => {
                return Err(HybridError::InvalidOptions(format!(
                    "histogram group {group:?} names a species that is not a discrete species of the network"
                )));
            }
        }
    }
    let groups = Groups::new(members, model.discrete.len());
    let vesicle = Vesicle::new(&model, counts, groups.members.len(), opts.average_from.max(0.0));
    let cuts = opts.cuts.iter().map(|c| assignment(crn, &model, &slot, c)).collect::<Result<_, _>>()?;
    let start = Start { crn, model, groups, potentials, vesicle, cuts };
    start.check(&start.potentials, 0.0)?;
    Ok(start)
}

/// `cut` in the simulator's terms; `slot` maps a CRN species to its discrete index.
fn assignment(crn: &Crn, model: &Model, slot: &[Option<u32>], cut: &Cut) -> Result<Assignment, HybridError> {
    let potentials = cut
        .concentrations(crn)
        .filter_map(|(s, v)| model.potentials.iter().position(|&p| p == s).map(|i| (i, v)))
        .collect();
    let counts = cut.counts(crn).map_err(HybridError::Counts)?;
    let counts = counts.into_iter().filter_map(|(s, n)| slot[s].map(|d| (d as usize, n))).collect();
    Ok(Assignment { potentials, counts })
}

fn finish(start: &Start<'_>, times: &[f64], record: Record<'_>, outcome: Outcome) -> HybridRun {
    let end = *times.last().expect("validated: output times");
    let window = end - record.from;
    let n = outcome.vesicles.len() as f64;
    let model = &start.model;
    let mut counts = vec![0.0; model.discrete.len()];
    let mut histograms = vec![BTreeMap::new(); start.groups.members.len()];
    for vesicle in outcome.vesicles {
        vesicle.finish(&start.groups, end, &mut counts, &mut histograms);
    }
    let mut averages = vec![0.0; start.crn.species.len()];
    for (i, &s) in model.potentials.iter().enumerate() {
        averages[s] = record.potential_integral[i] / window;
    }
    for (d, &s) in model.discrete.iter().enumerate() {
        averages[s] = counts[d] / (n * window);
    }
    let histograms = histograms
        .into_iter()
        .map(|h| h.into_iter().map(|(state, time)| (state, time / (n * window))).collect())
        .collect();
    debug_assert_eq!(record.values.len(), times.len() * start.crn.species.len());
    HybridRun {
        times: times.to_vec(),
        values: record.values,
        averages,
        events: outcome.events,
        rule_steps: outcome.rule_steps,
        histograms,
        dissipation_rate: record.dissipation_window / window,
        dissipation: record.dissipation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::Role;
    use crate::source::MemoryFs;
    use std::path::Path;

    /// The CRN of `src` with the species `potentials` made potentials.
    pub(super) fn crn_of(src: &str, potentials: &[&str]) -> Crn {
        let fs = MemoryFs::new().with("t.crnl", src);
        let compiled = crate::driver::compile(&fs, Path::new("t.crnl"), None, &Default::default());
        assert!(!compiled.front.has_errors(), "{}", compiled.rendered());
        let mut crn = compiled.lowered.expect("lowers").crn;
        for s in &mut crn.species {
            if potentials.contains(&s.name.as_str()) {
                s.role = Role::Potential;
            }
        }
        crn
    }

    pub(super) fn model_of(src: &str, potentials: &[&str]) -> Model {
        Model::new(&crn_of(src, potentials)).unwrap_or_else(|e| panic!("{e}"))
    }
}
