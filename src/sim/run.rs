//! One simulation run as `crnc run` does it: settings in, a table of values
//! at the output times out, in each species' declared unit.

use std::time::Instant;

use super::hybrid;
use super::kinetics::Kinetics;
use super::ode::{self, OdeOptions};
use super::schedule::{self, Cut};
use super::ssa::{self, Ssa, SsaMethod};
use crate::backend::number;
use crate::crn::Crn;
use crate::ir::{Coupling, Method, Quantity, SimSpec};
use crate::learn::dbcrn::report::Window;

/// The largest end time. Output times are t_end * i / points; far below the
/// float range they stay finite and distinct, and no network crnc integrates
/// has a time scale beyond it (1e308 used to reach the solver as `inf`).
pub const MAX_T_END: f64 = 1e15;

/// rtol below this asks for more digits than a float has; above 1 it allows
/// errors larger than the values.
pub const RTOL_RANGE: (f64, f64) = (1e-15, 1.0);

/// Values (rows x columns, time included) the output table may hold: about
/// 0.8 GB as numbers and 2 GB as CSV text at this size. Above it a run would
/// abort on allocation instead of reporting which setting to lower.
pub const MAX_TABLE_VALUES: u64 = 100_000_000;

/// Trajectories one ensemble may run: a bound on its fixed costs, which the
/// sample count misses when rows and species are few.
pub const MAX_TRAJECTORIES: usize = 10_000_000;

/// Samples (trajectories x rows x species) an SSA ensemble may draw. The
/// ensemble streams, so this bounds time, not memory: each sample is a
/// moment update (about 1e8 a second per core), so this bounds the
/// statistics to a minute or so; events are bounded by `max_events`.
pub const MAX_ENSEMBLE_SAMPLES: u64 = 10_000_000_000;

/// Fully resolved settings (block values, overridden by flags, else defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct RunSettings {
    pub method: Method,
    pub t_end: f64,
    pub points: usize,
    pub rtol: f64,
    pub atol: f64,
    pub seed: u64,
    pub trajectories: usize,
    /// SSA events per trajectory before the run stops with an error.
    pub max_events: u64,
    /// The SSA method; `Auto` chooses by the network's shape.
    pub ssa_method: SsaMethod,
    /// Write molecule counts (x · volume for concentration species) instead
    /// of each species' declared unit.
    pub counts: bool,
    /// Hybrid method: vesicles sharing the potentials.
    pub vesicles: usize,
    pub coupling: Coupling,
    /// Hybrid method: the per-event update's step, or the split interval.
    pub dt: f64,
    /// A learner's visible species (the `simulate` block's `visible`).
    pub visible: Vec<String>,
}

/// The range of a numeric setting, checked the same way for the `simulate`
/// block, the flags and library callers: `Err` holds what is accepted.
pub fn check_value(key: &str, v: f64) -> Result<(), String> {
    let ok = match key {
        "t_end" => v.is_finite() && v > 0.0 && v <= MAX_T_END,
        "rtol" => (RTOL_RANGE.0..=RTOL_RANGE.1).contains(&v),
        "atol" | "dt" => v.is_finite() && v >= f64::MIN_POSITIVE,
        _ => true,
    };
    if ok {
        return Ok(());
    }
    let this = number(v);
    Err(match key {
        "t_end" if v > MAX_T_END => {
            format!("an end time up to {} (this is {this}: the end time is too large)", number(MAX_T_END))
        }
        "t_end" => format!("a positive end time up to {} (this is {this})", number(MAX_T_END)),
        "rtol" => format!(
            "a relative tolerance from {} to {} (this is {this})",
            number(RTOL_RANGE.0),
            number(RTOL_RANGE.1)
        ),
        "dt" => format!("a positive, finite time step (this is {this})"),
        _ => format!("a positive, finite absolute tolerance (this is {this})"),
    })
}

/// Settings that cannot run, found before anything is simulated.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingError {
    /// The `simulate` block key; the flag is `--` with `-` for `_`.
    pub setting: &'static str,
    pub message: String,
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl RunSettings {
    pub const DEFAULT: RunSettings = RunSettings {
        method: Method::Ode,
        t_end: 10.0,
        points: 100,
        rtol: 1e-6,
        atol: 1e-9,
        seed: 0,
        trajectories: 1,
        max_events: ssa::DEFAULT_MAX_EVENTS,
        ssa_method: SsaMethod::Auto,
        counts: false,
        vesicles: 1,
        coupling: Coupling::Exact,
        dt: 1e-3,
        visible: Vec::new(),
    };

    /// `overrides` (the command line) win over `spec` (the file), which wins over the defaults.
    pub fn resolve(spec: &SimSpec, overrides: &SimSpec) -> RunSettings {
        let d = RunSettings::DEFAULT;
        RunSettings {
            method: overrides.method.or(spec.method).unwrap_or(d.method),
            t_end: overrides.t_end.or(spec.t_end).unwrap_or(d.t_end),
            points: overrides.points.or(spec.points).unwrap_or(d.points),
            rtol: overrides.rtol.or(spec.rtol).unwrap_or(d.rtol),
            atol: overrides.atol.or(spec.atol).unwrap_or(d.atol),
            seed: overrides.seed.or(spec.seed).unwrap_or(d.seed),
            trajectories: overrides.trajectories.or(spec.trajectories).unwrap_or(d.trajectories),
            max_events: overrides.max_events.or(spec.max_events).unwrap_or(d.max_events),
            ssa_method: d.ssa_method,
            counts: d.counts,
            vesicles: overrides.vesicles.or(spec.vesicles).unwrap_or(d.vesicles),
            coupling: overrides.coupling.or(spec.coupling).unwrap_or(d.coupling),
            dt: overrides.dt.or(spec.dt).unwrap_or(d.dt),
            visible: if overrides.visible.is_empty() {
                spec.visible.clone()
            } else {
                overrides.visible.clone()
            },
        }
    }

    /// Refuses, before anything runs, settings out of range and outputs that
    /// cannot fit in memory or finish, for a network of `species` species.
    pub fn check(&self, species: usize) -> Result<(), SettingError> {
        let fail = |setting, message| Err(SettingError { setting, message });
        for (key, v) in [("t_end", self.t_end), ("rtol", self.rtol), ("atol", self.atol)] {
            if let Err(expected) = check_value(key, v) {
                return fail(key, format!("`{key}` must be {expected}"));
            }
        }
        let whole = [("points", self.points as u64), ("trajectories", self.trajectories as u64)];
        for (key, v) in whole.into_iter().chain([("max_events", self.max_events)]) {
            if v == 0 {
                return fail(key, format!("`{key}` must be at least 1"));
            }
        }
        let rows = self.points as f64 + 1.0;
        let ensemble = self.method == Method::Ssa && self.trajectories > 1;
        let columns = species as f64 * if ensemble { 3.0 } else { 1.0 } + 1.0;
        if rows * columns > MAX_TABLE_VALUES as f64 {
            return fail(
                "points",
                format!(
                    "the output table would hold {} rows x {} columns = {} values, more than the {} \
                     that fit (`points` sets the rows)",
                    number(rows),
                    number(columns),
                    number(rows * columns),
                    number(MAX_TABLE_VALUES as f64)
                ),
            );
        }
        // Each trajectory costs its seeding and set-up however little it samples.
        if self.trajectories > MAX_TRAJECTORIES {
            return fail(
                "trajectories",
                format!(
                    "{} trajectories are more than the {} an ensemble may run",
                    self.trajectories,
                    number(MAX_TRAJECTORIES as f64)
                ),
            );
        }
        let samples = self.trajectories as f64 * rows * species.max(1) as f64;
        if ensemble && samples > MAX_ENSEMBLE_SAMPLES as f64 {
            return fail(
                "trajectories",
                format!(
                    "{} trajectories x {} rows x {} species = {} samples, more than the {} an \
                     ensemble may draw",
                    self.trajectories,
                    number(rows),
                    species,
                    number(samples),
                    number(MAX_ENSEMBLE_SAMPLES as f64)
                ),
            );
        }
        Ok(())
    }

    /// t = 0, T/N, ..., T.
    pub fn times(&self) -> Vec<f64> {
        (0..=self.points).map(|i| self.t_end * (i as f64 / self.points as f64)).collect()
    }
}

/// A table of results: `values[row * columns.len() + col]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub times: Vec<f64>,
    pub columns: Vec<String>,
    pub values: Vec<f64>,
    pub summary: Summary,
    /// What the hybrid method measured exactly over the last fifth of the
    /// run (a learner's report reads it; other methods leave it to the grid).
    pub window: Option<Window>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<impl Iterator<Item = f64> + use<'_>> {
        let c = self.columns.iter().position(|n| n == name)?;
        let width = self.columns.len();
        Some((0..self.times.len()).map(move |row| self.values[row * width + c]))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub method: String,
    /// ODE steps or SSA events.
    pub work: u64,
    pub work_unit: &'static str,
    pub seconds: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunError {
    Settings(SettingError),
    Ode(ode::OdeError),
    Ssa(ssa::SsaError),
    Hybrid(hybrid::HybridError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Settings(e) => write!(f, "{e}"),
            RunError::Ode(e) => write!(f, "{e}"),
            RunError::Ssa(e) => write!(f, "{e}"),
            RunError::Hybrid(e) => write!(f, "{e}"),
        }
    }
}

/// Runs the simulation the settings describe.
///
/// Every value is in its species' declared unit whatever the method
/// (design.md §4.1): concentration, or amount for `species amount`; with
/// `settings.counts`, molecules (x · volume) for every species.
pub fn simulate(crn: &Crn, settings: &RunSettings) -> Result<Table, RunError> {
    simulate_scheduled(crn, &[], settings)
}

/// [`simulate`] with the assignments of `cuts` ([`schedule::cuts`] of the
/// network's protocol) applied at their times, by every method.
pub fn simulate_scheduled(crn: &Crn, cuts: &[Cut], settings: &RunSettings) -> Result<Table, RunError> {
    settings.check(crn.species.len()).map_err(RunError::Settings)?;
    let kin = Kinetics::new(crn);
    let times = settings.times();
    let start = Instant::now();
    let names: Vec<String> = crn.species.iter().map(|s| s.name.clone()).collect();
    // Counts are x · V_s for a species in a compartment of size V_s; the ODE
    // integrates y = n / volume (`Kinetics`), the SSA counts n.
    let in_counts: Vec<bool> =
        crn.species.iter().map(|s| settings.counts || s.quantity == Quantity::Amount).collect();
    match settings.method {
        Method::Ode => {
            let opts = OdeOptions { rtol: settings.rtol, atol: settings.atol, ..OdeOptions::default() };
            let shares = Kinetics::shares(crn);
            let y0: Vec<f64> = crn.initial_concentrations().iter().zip(&shares).map(|(x, s)| x * s).collect();
            let solution = ode_segments(crn, &kin, y0, &times, cuts, &opts).map_err(RunError::Ode)?;
            // Dividing by the share (1 in the reaction compartment) keeps one-volume results exact.
            let scale: Vec<f64> =
                in_counts.iter().zip(&shares).map(|(&c, s)| if c { crn.volume } else { 1.0 / s }).collect();
            let values = solution
                .values
                .chunks(names.len())
                .flat_map(|row| row.iter().zip(&scale).map(|(v, s)| v * s));
            Ok(Table {
                times,
                columns: names,
                values: values.collect(),
                summary: Summary {
                    method: "ode (BDF)".to_string(),
                    work: solution.steps,
                    work_unit: "steps",
                    seconds: start.elapsed().as_secs_f64(),
                },
                window: None,
            })
        }
        Method::Ssa => {
            let n0 = ssa::initial_counts(crn).map_err(RunError::Ssa)?;
            let sim = Ssa::new(&kin, crn.volume, settings.ssa_method)
                .with_max_events(settings.max_events)
                .with_cuts(crn, cuts)
                .map_err(RunError::Ssa)?;
            let method = format!("ssa ({})", sim.method().description());
            let reaction_names: Vec<String> = crn
                .reactions
                .iter()
                .enumerate()
                .map(|(i, r)| r.label.clone().unwrap_or_else(|| format!("r{i}")))
                .collect();
            let failed =
                |e: ssa::SsaError| RunError::Ssa(e.with_names(&names).with_reaction_names(&reaction_names));
            // Dividing (not multiplying by 1/volume) keeps whole counts exact where the volume is.
            let sizes = crn.sizes();
            let divisor: Vec<f64> =
                in_counts.iter().zip(&sizes).map(|(&c, &v)| if c { 1.0 } else { v }).collect();
            let (columns, values, events) = if settings.trajectories == 1 {
                let run = sim.run(&n0, &times, settings.seed).map_err(failed)?;
                let values = run
                    .samples
                    .chunks(names.len().max(1))
                    .flat_map(|row| row.iter().zip(&divisor).map(|(&n, d)| n as f64 / d));
                (names, values.collect(), run.events)
            } else {
                let stats = ssa::ensemble_statistics(&sim, &n0, &times, settings.seed, settings.trajectories)
                    .map_err(failed)?;
                let columns = names
                    .iter()
                    .flat_map(|n| [format!("{n}-mean"), format!("{n}-sd"), format!("{n}-kurt")])
                    .collect();
                let species = names.len().max(1);
                // Kurtosis is scale-free; the mean and sd scale with the unit.
                let values = (0..stats.mean.len())
                    .flat_map(|k| {
                        let d = divisor[k % species];
                        [stats.mean[k] / d, stats.sd[k] / d, stats.kurtosis[k]]
                    })
                    .collect();
                (columns, values, stats.events)
            };
            Ok(Table {
                times,
                columns,
                values,
                summary: Summary {
                    method: method.to_string(),
                    work: events,
                    work_unit: "events",
                    seconds: start.elapsed().as_secs_f64(),
                },
                window: None,
            })
        }
        Method::Hybrid => crate::learn::dbcrn::run::hybrid(crn, cuts, settings),
    }
}

/// The ODE run from `y0` over `times`, segment by segment: each cut's values
/// replace the state, and the integration restarts from there (the solver
/// never steps across a discontinuity).
fn ode_segments(
    crn: &Crn,
    kin: &Kinetics,
    mut y: Vec<f64>,
    times: &[f64],
    cuts: &[Cut],
    opts: &OdeOptions,
) -> Result<ode::OdeSolution, ode::OdeError> {
    let mut integrator = ode::Integrator::new(kin, opts)?;
    let shares = Kinetics::shares(crn);
    let segments = schedule::segments(cuts, times);
    let mut out = ode::OdeSolution { values: Vec::with_capacity(times.len() * y.len()), steps: 0 };
    for (i, segment) in segments.iter().enumerate() {
        if let Some(c) = segment.cut {
            for (s, x) in cuts[c].concentrations(crn) {
                y[s] = x * shares[s];
            }
        }
        let last = i + 1 == segments.len();
        let part = integrator
            .solve(&y, &segment.local_times(times, last))
            .map_err(|e| e.started_at(segment.from))?;
        out.steps += part.steps;
        let rows = segment.rows.len() * y.len();
        out.values.extend_from_slice(&part.values[..rows]);
        if !last {
            y.copy_from_slice(&part.values[rows..]);
        }
    }
    Ok(out)
}

/// The table as CSV: `time,<columns>`, one row per output time, numbers in
/// shortest round-trip form.
pub fn csv(table: &Table) -> String {
    let width = table.columns.len();
    let mut out = String::with_capacity(16 * (width + 1) * table.times.len());
    out.push_str("time");
    for c in &table.columns {
        out.push(',');
        out.push_str(c);
    }
    out.push('\n');
    for (row, t) in table.times.iter().enumerate() {
        out.push_str(&number(*t));
        for v in &table.values[row * width..(row + 1) * width] {
            out.push(',');
            out.push_str(&number(*v));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemoryFs;
    use std::path::Path;

    /// The CRN of `src` and the cuts of its protocol for `settings`' end time.
    fn compiled(src: &str, settings: &RunSettings) -> (Crn, Vec<Cut>) {
        let fs = MemoryFs::new().with("t.crnl", src);
        let flags = crate::driver::Flags { t_end: Some(settings.t_end), ..Default::default() };
        let compiled = crate::driver::compile(&fs, Path::new("t.crnl"), None, &flags);
        assert!(!compiled.front.has_errors(), "{}", compiled.rendered());
        let lowered = compiled.lowered.expect("lowers");
        let cuts = schedule::cuts(&lowered.protocol, settings.t_end);
        (lowered.crn, cuts)
    }

    fn settings(method: Method, t_end: f64, points: usize) -> RunSettings {
        RunSettings { method, t_end, points, ..RunSettings::DEFAULT }
    }

    #[test]
    fn an_ode_run_restarts_from_the_assigned_value() {
        let run = settings(Method::Ode, 3.0, 6);
        let (crn, cuts) = compiled("network N { species X; 0 -> X @ 1; at 1: X = 0; }", &run);
        let table = simulate_scheduled(&crn, &cuts, &run).unwrap();
        // x = t up to the cut, then t - 1; the row at t = 1 shows the assignment.
        let expected = [0.0, 0.5, 0.0, 0.5, 1.0, 1.5, 2.0];
        for ((t, x), want) in table.times.iter().zip(table.column("X").unwrap()).zip(expected) {
            assert!((x - want).abs() < 1e-6, "x({t}) = {x}, expected {want}");
        }
        // Without the schedule the same network grows on.
        let plain = simulate(&crn, &run).unwrap();
        assert!((plain.column("X").unwrap().last().unwrap() - 3.0).abs() < 1e-6);
    }

    #[test]
    fn an_amount_is_assigned_in_its_own_unit() {
        let run = settings(Method::Ode, 2.0, 2);
        let (crn, cuts) =
            compiled("network N { volume = 4; species amount X = 8; X -> 0 @ 1e-12; at 1: X = 2; }", &run);
        let table = simulate_scheduled(&crn, &cuts, &run).unwrap();
        let x: Vec<f64> = table.column("X").unwrap().collect();
        assert!((x[0] - 8.0).abs() < 1e-6 && (x[1] - 2.0).abs() < 1e-6 && (x[2] - 2.0).abs() < 1e-6, "{x:?}");
    }

    #[test]
    fn ssa_trajectories_restart_from_the_assigned_count_reproducibly() {
        // Births at rate 10 from 0 at t = 1: the mean at t = 2 is 10, where it would be 20.
        let run = RunSettings { trajectories: 400, seed: 7, ..settings(Method::Ssa, 2.0, 2) };
        let src = "network N { species amount X = 0; 0 -> X @ 10; at 1: X = 0; }";
        let (crn, cuts) = compiled(src, &run);
        let table = simulate_scheduled(&crn, &cuts, &run).unwrap();
        let mean: Vec<f64> = table.column("X-mean").unwrap().collect();
        assert_eq!(mean[1], 0.0, "the row at the cut shows the assignment");
        let sd = (10.0f64 / 400.0).sqrt();
        assert!((mean[2] - 10.0).abs() < 5.0 * sd, "mean at t = 2: {}", mean[2]);
        let bits = |t: &Table| t.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&table), bits(&simulate_scheduled(&crn, &cuts, &run).unwrap()));
        let single = RunSettings { trajectories: 1, ..run };
        let one = simulate_scheduled(&crn, &cuts, &single).unwrap();
        assert_eq!(one.column("X").unwrap().nth(1), Some(0.0));
    }

    #[test]
    fn every_hybrid_coupling_sets_vesicles_and_potentials_at_the_cut() {
        let src = "network N { species amount X = 2, Q = 100; energy X = -3; potential P = 1000 for X; \
                   0 <-> X @ 500; learn P: X ~ Q @ 1e-3; at 0.5: Q = 10, P = 3; }";
        for coupling in [Coupling::Exact, Coupling::Split, Coupling::PerEvent] {
            let run = RunSettings { vesicles: 4, coupling, ..settings(Method::Hybrid, 1.0, 4) };
            let (crn, cuts) = compiled(src, &run);
            let table = simulate_scheduled(&crn, &cuts, &run).unwrap();
            let q: Vec<f64> = table.column("Q").unwrap().collect();
            let p: Vec<f64> = table.column("P").unwrap().collect();
            assert_eq!(q, [100.0, 100.0, 10.0, 10.0, 10.0], "{coupling:?}");
            assert_eq!(p[2], 3.0, "{coupling:?}: P at the cut");
            assert!(p[1] != 3.0 && p[3] != 3.0, "{coupling:?}: P moves before and after the cut: {p:?}");
        }
    }
}
