//! `crnc run`: simulate, write CSV and an optional plot, print a summary.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{Common, finish, split, whole, write_atomically};
use crnc::diagnostic::Diagnostic;
use crnc::driver::Compilation;
use crnc::driver::TrainFlags;
use crnc::ir::learning::{Feedback, Gradient, Update};

use crnc::crn::{Crn, SpeciesId};
use crnc::ir::{Coupling, Method, SimSpec};
use crnc::learn::dbcrn::Learner;
use crnc::learn::dbcrn::plot as learner_plot;
use crnc::learn::dbcrn::report::{Report, Window, report};
use crnc::learn::dbcrn::run::visible_species;
use crnc::sim::hybrid::HybridError;
use crnc::sim::plot;
use crnc::sim::run::{self, RunSettings, Table};
use crnc::sim::ssa::{SsaError, SsaMethod};

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub(super) common: Common,
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
    pub(super) rtol: Option<f64>,
    /// Absolute tolerance of the ODE solver (default 1e-9)
    #[arg(long, value_name = "A", allow_hyphen_values = true, value_parser = in_range("atol"))]
    pub(super) atol: Option<f64>,
    /// Random seed; trajectory i uses seed + i (default 0)
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = whole::<u64>(0))]
    pub(super) seed: Option<u64>,
    /// Number of SSA trajectories; above 1 the CSV holds mean, sd and kurtosis (default 1)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    trajectories: Option<u64>,
    /// SSA method (default auto: chosen by the network's size and hub species)
    #[arg(long, value_enum, ignore_case = true, value_name = "M")]
    ssa_method: Option<SsaMethodArg>,
    /// SSA events per trajectory before the run stops with an error (default 1e8)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    max_events: Option<u64>,
    /// Write molecule counts (concentration x volume) instead of each species' declared unit
    #[arg(long)]
    counts: bool,
    /// Hybrid method: vesicles sharing the potentials (default 1)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    vesicles: Option<u64>,
    /// Hybrid method: how the potentials follow the vesicles (default exact)
    #[arg(long, value_enum, ignore_case = true)]
    coupling: Option<CouplingArg>,
    /// Hybrid method: the step of the per-event update, or the split interval (default 1e-3)
    #[arg(long, value_name = "T", allow_hyphen_values = true, value_parser = in_range("dt"))]
    dt: Option<f64>,
    /// CSV output file (default: standard output)
    #[arg(short, long, value_name = "OUT.csv")]
    pub(super) output: Option<PathBuf>,
    /// Plot the chosen species (`--species`, else the `simulate` block's `plot`, else the first eight) to an SVG or PNG file
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    pub(super) plot: Option<PathBuf>,
    /// Species to plot and summarise, over the `simulate` block's `plot`: names, elements `x[i]`, whole arrays `x`
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    species: Vec<String>,
    #[command(flatten)]
    pub(super) train: TrainArgs,
}

/// The flags of a training run (a model with a `train` block; design.md §4.2).
#[derive(Args)]
#[command(next_help_heading = "Training (a model with a `train` block)")]
pub struct TrainArgs {
    /// Training data: CSV with a header row, the inputs in declaration order, then the target
    #[arg(long, value_name = "TRAIN.csv")]
    pub(super) data: Option<PathBuf>,
    /// Validation data (same layout), evaluated after every epoch
    #[arg(long, value_name = "VAL.csv")]
    pub(super) validation: Option<PathBuf>,
    /// Test data (same layout), evaluated once after training
    #[arg(long, value_name = "TEST.csv")]
    pub(super) test: Option<PathBuf>,
    /// Passes over the training data (0 evaluates without training)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<usize>(0))]
    pub(super) epochs: Option<usize>,
    /// Learning rate η
    #[arg(long, value_name = "R", allow_hyphen_values = true, value_parser = non_negative)]
    rate: Option<f64>,
    /// How θ moves: by the host (θ <- θ - η·g), or by reactions (η/(1+η), domain.md §2.5)
    #[arg(long, value_enum, ignore_case = true)]
    update: Option<UpdateArg>,
    /// How the gradient is computed
    #[arg(long, value_enum, ignore_case = true)]
    gradient: Option<GradientArg>,
    /// How the output, error, adjoint initialisation and chemical update reach their values:
    /// their sub-networks relax chemically, or the host sets the exact steady states
    #[arg(long, value_enum, ignore_case = true)]
    feedback: Option<FeedbackArg>,
    /// Initial parameter values (`name,value` rows) over the drawn ones
    #[arg(long, value_name = "P.csv")]
    pub(super) params_init: Option<PathBuf>,
    /// Write the run's summary (per-epoch losses, final scores, parameters, circuit sizes) as JSON
    #[arg(long, value_name = "OUT.json")]
    pub(super) summary: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum UpdateArg {
    Host,
    Chemical,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FeedbackArg {
    Chemical,
    Exact,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GradientArg {
    /// The adjoint derived from the dynamics crnc emits
    Adjoint,
    /// The gradient accumulators alone, the adjoint held at a(T)
    FirstOrder,
    /// The reaction schemes of the reference code, including its B2 adjoint (wrong for z < 0)
    Reference,
}

impl TrainArgs {
    fn flags(&self) -> TrainFlags {
        TrainFlags {
            rate: self.rate,
            update: self.update.map(|u| match u {
                UpdateArg::Host => Update::Host,
                UpdateArg::Chemical => Update::Chemical,
            }),
            gradient: self.gradient.map(|g| match g {
                GradientArg::Adjoint => Gradient::Adjoint,
                GradientArg::FirstOrder => Gradient::FirstOrder,
                GradientArg::Reference => Gradient::Reference,
            }),
            feedback: self.feedback.map(|f| match f {
                FeedbackArg::Chemical => Feedback::Chemical,
                FeedbackArg::Exact => Feedback::Exact,
            }),
        }
    }

    /// The first training flag given, for the error on a model that does not
    /// train; a learner's run also writes a summary.
    fn given(&self, learner: bool) -> Option<&'static str> {
        let paths = [
            ("--data", self.data.is_some()),
            ("--validation", self.validation.is_some()),
            ("--test", self.test.is_some()),
            ("--epochs", self.epochs.is_some()),
            ("--rate", self.rate.is_some()),
            ("--update", self.update.is_some()),
            ("--gradient", self.gradient.is_some()),
            ("--feedback", self.feedback.is_some()),
            ("--params-init", self.params_init.is_some()),
            ("--summary", self.summary.is_some() && !learner),
        ];
        paths.into_iter().find(|(_, given)| *given).map(|(flag, _)| flag)
    }
}

impl RunArgs {
    /// The first flag given that only a simulation (not a training run) reads.
    fn simulation_flag(&self) -> Option<&'static str> {
        let flags = [
            ("--method", self.method.is_some()),
            ("--t-end", self.t_end.is_some()),
            ("--points", self.points.is_some()),
            ("--trajectories", self.trajectories.is_some()),
            ("--max-events", self.max_events.is_some()),
            ("--ssa-method", self.ssa_method.is_some()),
            ("--counts", self.counts),
            ("--vesicles", self.vesicles.is_some()),
            ("--coupling", self.coupling.is_some()),
            ("--dt", self.dt.is_some()),
            ("--species", !self.species.is_empty()),
        ];
        flags.into_iter().find(|(_, given)| *given).map(|(flag, _)| flag)
    }
}

fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{text}` is not a number >= 0")),
    }
}

/// E0605: a flag of the other kind of run.
fn wrong_kind(network: &str, flag: &str, training: bool) -> Diagnostic {
    let (what, hint) = if training {
        (
            format!("`{network}` has a `train` block, so `crnc run` trains it and does not read `{flag}`"),
            "drop the flag; a training run reads --data, --validation, --test, --epochs, --rate, --update, \
             --gradient, --seed, --params-init, --rtol, --atol, -o, --summary and --plot",
        )
    } else {
        (
            format!("`{flag}` is a training flag, and `{network}` has no `train` block"),
            "drop the flag, or give the model a `train { ... }` block (docs/language.md, \"Neural CRNs\")",
        )
    };
    Diagnostic::error("E0605", what).with_hint(hint)
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// Deterministic mass-action ODE (stiff BDF solver)
    Ode,
    /// Exact stochastic simulation (Gillespie)
    Ssa,
    /// Potentials as bulk concentrations, every other species by SSA in vesicles
    Hybrid,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SsaMethodArg {
    /// Direct up to 24 reactions, else rejection-based, or partial-propensity with hub species
    Auto,
    /// Gillespie's direct method: every propensity kept, a linear search per event
    Direct,
    /// Gibson and Bruck's next-reaction method: a priority queue of firing times
    NextReaction,
    /// Rejection-based: propensity bounds rebuilt only when a count leaves its interval
    Rejection,
    /// Partial propensities grouped by their hub species
    PartialPropensity,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CouplingArg {
    /// The potentials' ODE between events; waiting times from the changing propensities
    Exact,
    /// Potentials frozen over intervals of --dt; vesicles in parallel within one
    Split,
    /// The reference code's update after every event, one term per vesicle
    PerEvent,
}

/// A flag parser with the range the `simulate` block's `key` has.
fn in_range(key: &'static str) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |s| {
        let v = s.parse::<f64>().map_err(|_| format!("`{s}` is not a number"))?;
        run::check_value(key, v).map(|()| v).map_err(|expected| format!("expected {expected}"))
    }
}

pub fn run(args: &RunArgs) -> i32 {
    let (Compilation { front, lowered }, reporter) =
        super::start_traced(&args.common, args.train.flags(), args.t_end, |_, _| {});
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
    let (lowered, mut diagnostics) = split(lowered);
    let Some(mut lowered) = lowered else { return fail(front, diagnostics) };
    let training = lowered.learning.is_some();
    let learner = Learner::of(&lowered.crn);
    let wrong = if training { args.simulation_flag() } else { args.train.given(learner.is_some()) };
    if let Some(flag) = wrong {
        diagnostics.push(wrong_kind(&lowered.crn.name, flag, training));
        return fail(front, diagnostics);
    }
    if training {
        lowered.warnings = diagnostics;
        return super::train::run(args, front, lowered, &reporter);
    }
    let crn = lowered.crn;
    let network = &front.program.networks[&crn.name];
    let overrides = SimSpec {
        method: args.method.map(|m| match m {
            MethodArg::Ode => Method::Ode,
            MethodArg::Ssa => Method::Ssa,
            MethodArg::Hybrid => Method::Hybrid,
        }),
        t_end: args.t_end,
        points: args.points.map(|n| n as usize),
        rtol: args.rtol,
        atol: args.atol,
        seed: args.seed,
        trajectories: args.trajectories.map(|n| n as usize),
        max_events: args.max_events,
        plot: Vec::new(),
        vesicles: args.vesicles.map(|n| n as usize),
        coupling: args.coupling.map(|c| match c {
            CouplingArg::Exact => Coupling::Exact,
            CouplingArg::Split => Coupling::Split,
            CouplingArg::PerEvent => Coupling::PerEvent,
        }),
        dt: args.dt,
        visible: Vec::new(),
    };
    let ssa_method = args.ssa_method.map_or(SsaMethod::Auto, |m| match m {
        SsaMethodArg::Auto => SsaMethod::Auto,
        SsaMethodArg::Direct => SsaMethod::Direct,
        SsaMethodArg::NextReaction => SsaMethod::NextReaction,
        SsaMethodArg::Rejection => SsaMethod::Rejection,
        SsaMethodArg::PartialPropensity => SsaMethod::PartialPropensity,
    });
    let settings = RunSettings {
        counts: args.counts,
        ssa_method,
        ..RunSettings::resolve(&network.simulate, &overrides)
    };
    let chosen = match plot::select(&crn, &args.species, &network.simulate.plot) {
        Ok(chosen) => chosen,
        Err(d) => {
            diagnostics.push(d);
            return fail(front, diagnostics);
        }
    };
    let cuts = crnc::sim::schedule::cuts(&lowered.protocol, settings.t_end);
    let table = match with_progress(&settings, || run::simulate_scheduled(&crn, &cuts, &settings)) {
        Ok(table) => table,
        Err(e) => {
            diagnostics.push(run_error(&crn.name, &e));
            return fail(front, diagnostics);
        }
    };
    // Before any output is written: a report that fails leaves no file behind.
    let report = match &learner {
        Some(learner) => {
            let single_trajectory = settings.method == Method::Ssa && settings.trajectories == 1;
            match learner_report(&crn, learner, &table, &settings.visible, single_trajectory) {
                Ok(report) => Some(report.with_energies(network)),
                Err(d) => {
                    diagnostics.push(d);
                    return fail(front, diagnostics);
                }
            }
        }
        None => None,
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
        // A learner's figure: its potentials, KL along the run, learned against target law.
        let drawn = match (&report, plot_format) {
            (Some(report), Some("png")) => learner_plot::png(report, &table, &crn),
            (Some(report), _) => Ok(learner_plot::svg(report, &table, &crn).into_bytes()),
            (None, format) => {
                let figure = plot::of_run(&table, &crn, &settings, &chosen);
                match format {
                    Some("png") => plot::png(&figure),
                    _ => Ok(plot::svg(&figure).into_bytes()),
                }
            }
        };
        let written_plot = drawn
            .map_err(|e| Diagnostic::error("E0600", format!("cannot draw the plot: {e}")))
            .and_then(|bytes| write_atomically(&reporter.inputs, path, &bytes));
        match written_plot {
            Ok(()) => written.push(path.display().to_string()),
            Err(d) => diagnostics.push(d),
        }
    }
    if let Some(report) = &report {
        eprint!("{}", report.text());
        if let Some(path) = &args.train.summary {
            let json = report.json(&table.summary.method, table.summary.seconds);
            let text = serde_json::to_string_pretty(&json).expect("JSON values serialise") + "\n";
            match write_atomically(&reporter.inputs, path, text.as_bytes()) {
                Ok(()) => written.push(path.display().to_string()),
                Err(d) => diagnostics.push(d),
            }
        }
    }
    eprint!("{}", summary(&crn.name, &settings, &table, &chosen.species, &written));
    finish(&reporter, &front.db, front.diagnostics, diagnostics)
}

/// The learner's report on its run: the visible species are the `simulate`
/// block's `visible`, else every species a learning rule matches; the target
/// law comes from the hybrid method's window or a single SSA trajectory.
fn learner_report(
    crn: &Crn,
    learner: &Learner,
    table: &Table,
    visible: &[String],
    single_trajectory: bool,
) -> Result<Report, Diagnostic> {
    let visible = visible_species(crn, learner, visible);
    let targets: Option<Vec<SpeciesId>> =
        visible.iter().map(|&s| learner.target_of(s)).collect::<Option<_>>().filter(|_| single_trajectory);
    let window = match &table.window {
        Some(window) => window.clone(),
        None => Window::from_grid(table, crn, &visible, targets.as_deref()),
    };
    report(crn, learner, table, &window, &visible).map_err(|e| {
        Diagnostic::error("E0706", format!("cannot compute what `{}` learned", crn.name))
            .with_note(e.diagnostic(crn).message)
            .with_hint("the free model's stationary law is exact; a class too large for it needs fewer states (fewer species in the simulate block's `visible = [...]`, a smaller network or lower counts)")
    })
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
        run::RunError::Ssa(SsaError::EventLimit { .. })
        | run::RunError::Hybrid(HybridError::MaxEvents { .. }) => {
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
