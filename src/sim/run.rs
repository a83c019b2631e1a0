//! One simulation run as `crnc run` does it: settings in, a table of values
//! at the output times out, in each species' declared unit.

use std::time::Instant;

use super::kinetics::Kinetics;
use super::ode::{self, OdeOptions};
use super::ssa::{self, Ssa, SsaMethod};
use crate::backend::number;
use crate::crn::Crn;
use crate::ir::{Method, Quantity, SimSpec};

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
        }
    }

    /// t = 0, T/N, ..., T.
    pub fn times(&self) -> Vec<f64> {
        (0..=self.points).map(|i| self.t_end * i as f64 / self.points as f64).collect()
    }
}

/// A table of results: `values[row * columns.len() + col]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub times: Vec<f64>,
    pub columns: Vec<String>,
    pub values: Vec<f64>,
    pub summary: Summary,
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
    Ode(ode::OdeError),
    Ssa(ssa::SsaError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Ode(e) => write!(f, "{e}"),
            RunError::Ssa(e) => write!(f, "{e}"),
        }
    }
}

/// Runs the simulation the settings describe.
pub fn simulate(crn: &Crn, settings: &RunSettings) -> Result<Table, RunError> {
    let kin = Kinetics::new(crn);
    let times = settings.times();
    let start = Instant::now();
    let names: Vec<String> = crn.species.iter().map(|s| s.name.clone()).collect();
    match settings.method {
        Method::Ode => {
            let opts = OdeOptions { rtol: settings.rtol, atol: settings.atol, ..OdeOptions::default() };
            let solution =
                ode::solve(&kin, &crn.initial_concentrations(), &times, &opts).map_err(RunError::Ode)?;
            // Amount species are reported as amounts: concentration times volume.
            let scale: Vec<f64> = crn
                .species
                .iter()
                .map(|s| if s.quantity == Quantity::Amount { crn.volume } else { 1.0 })
                .collect();
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
            })
        }
        Method::Ssa => {
            let n0 = ssa::initial_counts(crn).map_err(RunError::Ssa)?;
            let sim = Ssa::new(&kin, crn.volume, SsaMethod::Auto);
            let method = match sim.method() {
                SsaMethod::Direct | SsaMethod::Auto => "ssa (direct method)",
                SsaMethod::NextReaction => "ssa (next-reaction method)",
                SsaMethod::Rejection => "ssa (rejection-based method)",
            };
            let runs = ssa::ensemble(&sim, &n0, &times, settings.seed, settings.trajectories);
            let events = runs.iter().map(|r| r.events).sum();
            let (columns, values) = if runs.len() == 1 {
                (names, runs[0].samples.iter().map(|&c| c as f64).collect())
            } else {
                let stats = ssa::statistics(&runs);
                let columns = names
                    .iter()
                    .flat_map(|n| [format!("{n}-mean"), format!("{n}-sd"), format!("{n}-kurt")])
                    .collect();
                let values = (0..stats.mean.len())
                    .flat_map(|k| [stats.mean[k], stats.sd[k], stats.kurtosis[k]])
                    .collect();
                (columns, values)
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
            })
        }
    }
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
