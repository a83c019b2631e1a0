//! `crnc run`: simulate, write CSV and an optional plot, print a summary.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{Common, finish, split, start, whole, write_atomically};
use crnc::diagnostic::Diagnostic;
use crnc::driver::Compilation;

use crnc::ir::{Method, SimSpec};
use crnc::sim::plot;
use crnc::sim::run::{self, RunSettings, Table};
use crnc::sim::ssa::SsaError;

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Simulation method
    #[arg(long, value_enum, ignore_case = true)]
    method: Option<MethodArg>,
    /// End time (default 10, at most 1e15)
    #[arg(long, value_name = "T", allow_hyphen_values = true, value_parser = in_range("t_end"))]
    t_end: Option<f64>,
    /// Number of output intervals: rows at t = 0, T/N, ..., T (default 100)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    points: Option<u64>,
    /// Relative tolerance of the ODE solver (default 1e-6; 1e-15 to 1)
    #[arg(long, value_name = "R", allow_hyphen_values = true, value_parser = in_range("rtol"))]
    rtol: Option<f64>,
    /// Absolute tolerance of the ODE solver (default 1e-9)
    #[arg(long, value_name = "A", allow_hyphen_values = true, value_parser = in_range("atol"))]
    atol: Option<f64>,
    /// Random seed; trajectory i uses seed + i (default 0)
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = whole::<u64>(0))]
    seed: Option<u64>,
    /// Number of SSA trajectories; above 1 the CSV holds mean, sd and kurtosis (default 1)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    trajectories: Option<u64>,
    /// SSA events per trajectory before the run stops with an error (default 1e8)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    max_events: Option<u64>,
    /// Write molecule counts (concentration x volume) instead of each species' declared unit
    #[arg(long)]
    counts: bool,
    /// CSV output file (default: standard output)
    #[arg(short, long, value_name = "OUT.csv")]
    output: Option<PathBuf>,
    /// Plot the chosen species (`--species`, else the `simulate` block's `plot`, else the first eight) to an SVG or PNG file
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    plot: Option<PathBuf>,
    /// Species to plot and summarise, over the `simulate` block's `plot`: names, elements `x[i]`, whole arrays `x`
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    species: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// Deterministic mass-action ODE (stiff BDF solver)
    Ode,
    /// Exact stochastic simulation (Gillespie)
    Ssa,
}

/// A flag parser with the range the `simulate` block's `key` has.
fn in_range(key: &'static str) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |s| {
        let v = s.parse::<f64>().map_err(|_| format!("`{s}` is not a number"))?;
        run::check_value(key, v).map(|()| v).map_err(|expected| format!("expected {expected}"))
    }
}

pub fn run(args: &RunArgs) -> i32 {
    let (Compilation { front, lowered }, reporter) = start(&args.common);
    let fail = |front: crnc::driver::FrontEnd, errors: Vec<Diagnostic>| {
        finish(&reporter, &front.db, front.diagnostics, errors)
    };
    let plot_format = args.plot.as_ref().map(|p| p.extension().and_then(|e| e.to_str()).unwrap_or(""));
    if let Some(ext) = plot_format
        && ext != "svg"
        && ext != "png"
    {
        let plot = args.plot.as_ref().expect("a plot format implies a plot path");
        let d = Diagnostic::error("E0601", format!("cannot plot to `{}`", plot.display()))
            .with_hint("plots are written as SVG or PNG: use a file name ending in .svg or .png");
        return fail(front, vec![d]);
    }
    let (crn, mut diagnostics) = split(lowered);
    let Some((crn, _)) = crn else { return fail(front, diagnostics) };
    if let Some(d) = super::phases_at_once(&crn, "simulate all of them at once") {
        diagnostics.push(d);
        return fail(front, diagnostics);
    }
    let network = &front.program.networks[&crn.name];
    let overrides = SimSpec {
        method: args.method.map(|m| match m {
            MethodArg::Ode => Method::Ode,
            MethodArg::Ssa => Method::Ssa,
        }),
        t_end: args.t_end,
        points: args.points.map(|n| n as usize),
        rtol: args.rtol,
        atol: args.atol,
        seed: args.seed,
        trajectories: args.trajectories.map(|n| n as usize),
        max_events: args.max_events,
        plot: Vec::new(),
    };
    let settings = RunSettings { counts: args.counts, ..RunSettings::resolve(&network.simulate, &overrides) };
    let chosen = match plot::select(&crn, &args.species, &network.simulate.plot) {
        Ok(chosen) => chosen,
        Err(d) => {
            diagnostics.push(d);
            return fail(front, diagnostics);
        }
    };
    let table = match with_progress(&settings, || run::simulate(&crn, &settings)) {
        Ok(table) => table,
        Err(e) => {
            diagnostics.push(run_error(&crn.name, &e));
            return fail(front, diagnostics);
        }
    };
    let mut written = Vec::new();
    let csv = run::csv(&table);
    match &args.output {
        Some(path) => match write_atomically(&reporter.inputs, path, csv.as_bytes()) {
            Ok(()) => written.push(path.display().to_string()),
            Err(d) => diagnostics.push(d),
        },
        None => print!("{csv}"),
    }
    if let Some(path) = &args.plot {
        let figure = plot::of_run(&table, &crn, &settings, &chosen);
        let drawn = match plot_format {
            Some("png") => plot::png(&figure),
            _ => Ok(plot::svg(&figure).into_bytes()),
        };
        let written_plot = drawn
            .map_err(|e| Diagnostic::error("E0600", format!("cannot draw the plot: {e}")))
            .and_then(|bytes| write_atomically(&reporter.inputs, path, &bytes));
        match written_plot {
            Ok(()) => written.push(path.display().to_string()),
            Err(d) => diagnostics.push(d),
        }
    }
    eprint!("{}", summary(&crn.name, &settings, &table, &chosen.species, &written));
    finish(&reporter, &front.db, front.diagnostics, diagnostics)
}

/// The diagnostic of a run that stopped, naming the setting (and its flag) that changes the outcome.
fn run_error(network: &str, e: &run::RunError) -> Diagnostic {
    let failed = format!("the simulation of `{network}` failed");
    match e {
        run::RunError::Settings(s) => {
            let flag = format!("--{}", s.setting.replace('_', "-"));
            Diagnostic::error("E0703", format!("the settings of `{network}` cannot be simulated"))
                .with_note(e.to_string())
                .with_hint(format!("lower `{flag}` (or `{}` in the simulate block)", s.setting))
        }
        run::RunError::Ssa(SsaError::EventLimit { .. }) => {
            Diagnostic::error("E0701", failed).with_note(e.to_string()).with_hint(
                "the network may grow without bound; if it does not, raise `--max-events` (or \
                 `max_events` in the simulate block), or lower `--t-end`",
            )
        }
        run::RunError::Ssa(SsaError::NegativePropensity { .. }) => {
            Diagnostic::error("E0704", failed).with_note(e.to_string()).with_hint(
                "a rate law must stay non-negative on every state the network can reach, and be 0 where \
                 its reaction would take a count below zero (e.g. a factor of the species it consumes)",
            )
        }
        run::RunError::Ssa(SsaError::CountLimit { .. }) => Diagnostic::error("E0702", failed)
            .with_note(e.to_string())
            .with_hint("exact simulation counts molecules up to 2^52: lower `--t-end` or the volume"),
        _ => Diagnostic::error("E0700", failed).with_note(e.to_string()),
    }
}

/// Runs `work`, showing a spinner on a terminal once it has taken a second.
fn with_progress<T: Send>(settings: &RunSettings, work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let (done, finished) = mpsc::channel::<()>();
        let spinner = scope.spawn(move || {
            if finished.recv_timeout(Duration::from_secs(1)).is_ok() {
                return;
            }
            let bar = indicatif::ProgressBar::new_spinner().with_message(format!(
                "simulating to t = {} ({})",
                settings.t_end,
                settings.method.name()
            ));
            bar.enable_steady_tick(Duration::from_millis(100));
            let _ = finished.recv();
            bar.finish_and_clear();
        });
        let result = work();
        let _ = done.send(());
        let _ = spinner.join();
        result
    })
}

fn summary(name: &str, s: &RunSettings, table: &Table, plot: &[String], written: &[String]) -> String {
    let sum = &table.summary;
    let mut text = format!(
        "{name}: {}, t = 0..{}, {} points, {} {} in {:.3} s",
        sum.method,
        s.t_end,
        table.times.len(),
        sum.work,
        sum.work_unit,
        sum.seconds
    );
    if s.method == Method::Ssa && s.trajectories > 1 {
        text.push_str(&format!(", {} trajectories (seed {})", s.trajectories, s.seed));
    }
    text.push('\n');
    let shown: Vec<&String> = if plot.is_empty() {
        table.columns.iter().take(plot::DEFAULT_SERIES).collect()
    } else {
        plot.iter().collect()
    };
    let last = table.times.len() - 1;
    let finals: Vec<String> = shown
        .iter()
        .filter_map(|name| {
            let column = table.column(name).or_else(|| table.column(&format!("{name}-mean")))?;
            column.last().map(|v| format!("{name} = {}", crnc::backend::number(v)))
        })
        .collect();
    if !finals.is_empty() {
        text.push_str(&format!("  at t = {}: {}\n", table.times[last], finals.join(", ")));
    }
    if !written.is_empty() {
        text.push_str(&format!("  wrote {}\n", written.join(", ")));
    }
    text
}
