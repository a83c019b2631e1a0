//! `crnc run` on a model with a `train` block: trains it (design.md §4.2),
//! printing a table per epoch and a progress bar, and writes the history
//! CSV, the summary JSON and the plot.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use indexmap::IndexMap;
use serde::Serialize;

use super::run::RunArgs;
use super::{Reporter, finish, refuse_outputs_over_inputs, write_atomically};
use crnc::crn::Crn;
use crnc::crn::protocol::Protocol;
use crnc::diagnostic::Diagnostic;
use crnc::driver::{FrontEnd, Lowered};
use crnc::ir::learning::{DataSource, Learning};
use crnc::learn::data::{self, Dataset, Task};
use crnc::learn::history::Epoch;
use crnc::learn::plot;
use crnc::learn::train::{self, Outcome, Progress, Score, Sets, Trainer};
use crnc::sim::ode::{OdeMethod, OdeOptions};
use crnc::source::SourceDb;

/// The ODE tolerances of every solve of a training run, unless `--rtol` /
/// `--atol` say otherwise.
pub const DEFAULT_RTOL: f64 = 1e-6;
pub const DEFAULT_ATOL: f64 = 1e-9;

pub fn run(args: &RunArgs, front: FrontEnd, lowered: Lowered, reporter: &Reporter) -> i32 {
    let FrontEnd { mut db, diagnostics: front_diagnostics, .. } = front;
    let mut diagnostics = lowered.warnings;
    let learning = lowered.learning.as_ref().expect("a training run has a learning model");
    let result = train_and_write(args, &mut db, &lowered.crn, &lowered.protocol, learning, reporter);
    diagnostics.extend(result.err().unwrap_or_default());
    finish(reporter, &db, front_diagnostics, diagnostics)
}

fn train_and_write(
    args: &RunArgs,
    db: &mut SourceDb,
    crn: &Crn,
    protocol: &Protocol,
    learning: &Learning,
    reporter: &Reporter,
) -> Result<(), Vec<Diagnostic>> {
    let started = Instant::now();
    let settings = &learning.settings;
    let seed = args.seed.unwrap_or(settings.seed);
    let epochs = args.train.epochs.unwrap_or(settings.epochs);
    let flags = &args.train;
    let files = DataFiles {
        train: flags.data.as_deref(),
        validation: flags.validation.as_deref(),
        test: flags.test.as_deref(),
    };
    let sets = data_sets(&args.common.file, &files, db, learning, seed)?;
    let mut params = train::initial_params(learning, seed);
    if let Some(path) = &args.train.params_init {
        set_params(db, path, learning, &mut params)?;
    }
    let inputs = reporter.inputs_with(db);
    let outputs = [args.output.as_deref(), args.train.summary.as_deref(), args.plot.as_deref()];
    refuse_outputs_over_inputs(&inputs, &outputs)?;
    let options = OdeOptions {
        rtol: args.rtol.unwrap_or(DEFAULT_RTOL),
        atol: args.atol.unwrap_or(DEFAULT_ATOL),
        // Thousands of short solves of small phases: the dense Rosenbrock
        // method where it is faster (sim::ode::OdeMethod::Auto).
        method: OdeMethod::Auto,
        ..OdeOptions::default()
    };
    let mut trainer = Trainer::new(crn, protocol, learning, options).map_err(|why| vec![internal(&why)])?;
    trainer.set_params(&params);

    eprintln!(
        "training {}: {} training, {} validation{} samples, {epochs} epochs, seed {seed}",
        crn.name,
        sets.train.len(),
        sets.validation.as_ref().map_or(0, Dataset::len),
        sets.test.as_ref().map_or(String::new(), |t| format!(", {} test", t.len())),
    );
    let mut table = Table::new(learning.settings.threshold.is_some(), epochs * sets.train.len());
    let outcome = train::train(&mut trainer, &sets, epochs, &mut table);
    table.finish();
    let outcome = outcome.map_err(|e| vec![failed(&crn.name, &e)])?;

    let mut written = Vec::new();
    let mut errors = Vec::new();
    let csv = outcome.history.csv();
    match &args.output {
        Some(path) => match write_atomically(&inputs, path, csv.as_bytes()) {
            Ok(()) => written.push(path.display().to_string()),
            Err(d) => errors.push(d),
        },
        None => print!("{csv}"),
    }
    if let Some(path) = &args.train.summary {
        let json = summary_json(crn, protocol, &outcome, started.elapsed().as_secs_f64());
        match write_atomically(&inputs, path, json.as_bytes()) {
            Ok(()) => written.push(path.display().to_string()),
            Err(d) => errors.push(d),
        }
    }
    if let Some(path) = &args.plot {
        let drawn = figure(&trainer, &sets, learning, &crn.name, &outcome, path)
            .and_then(|bytes| write_atomically(&inputs, path, &bytes));
        match drawn {
            Ok(()) => written.push(path.display().to_string()),
            Err(d) => errors.push(d),
        }
    }
    eprint!("{}", final_lines(&outcome, started.elapsed().as_secs_f64(), &written));
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The data files named on the command line (`--data`, `--validation`, `--test`).
pub(super) struct DataFiles<'a> {
    pub(super) train: Option<&'a Path>,
    pub(super) validation: Option<&'a Path>,
    pub(super) test: Option<&'a Path>,
}

/// The training, validation and test sets of the model in `model`: the
/// flags' files, else the `train` block's files (relative to the model) or
/// generator. `crnc run` trains on them; `crnc compile --training-run` exports the run.
pub(super) fn data_sets(
    model: &Path,
    files: &DataFiles<'_>,
    db: &mut SourceDb,
    learning: &Learning,
    seed: u64,
) -> Result<Sets, Vec<Diagnostic>> {
    let dim = learning.inputs.len();
    let read = |db: &mut SourceDb, path: Option<&Path>| path.map(|p| read_data(db, p, dim)).transpose();
    if let Some(train) = files.train {
        return Ok(Sets {
            train: read_data(db, train, dim)?,
            validation: read(db, files.validation)?,
            test: read(db, files.test)?,
        });
    }
    let mut sets = match &learning.settings.data {
        None => {
            return Err(vec![
                Diagnostic::error("E0606", "no training data")
                    .with_primary(learning.span, "this model trains on nothing")
                    .with_hint("give `--data TRAIN.csv`, or `data = generate(TASK);` or `data = csv(\"train.csv\");` in the train block"),
            ]);
        }
        Some(DataSource::Files { train, validation, test, .. }) => {
            let model_dir = model.parent().unwrap_or(Path::new(""));
            let path = |p: &String| model_dir.join(p);
            Sets {
                train: read_data(db, &path(train), dim)?,
                validation: validation.as_ref().map(|v| read_data(db, &path(v), dim)).transpose()?,
                test: test.as_ref().map(|t| read_data(db, &path(t), dim)).transpose()?,
            }
        }
        Some(DataSource::Generate { task, span }) => {
            let task = Task::from_name(task).ok_or_else(|| vec![Task::unknown(task, *span)])?;
            let mut plan = task.defaults();
            if let Some((train, validation)) = learning.settings.split {
                (plan.train, plan.validation) = (train, validation);
            }
            let generated = task.generate(seed, &plan).map_err(|e| vec![e.diagnostic(*span)])?;
            if generated.train.dim() != dim {
                return Err(vec![
                    Diagnostic::error(
                        "E0907",
                        format!("the task `{}` has {} inputs, the model {dim}", task.name(), generated.train.dim()),
                    )
                    .with_primary(*span, "generated here")
                    .with_hint("declare the model's inputs as the task has them (e.g. `input x[2];`), or read a CSV file"),
                ]);
            }
            Sets { train: generated.train, validation: Some(generated.validation), test: generated.test }
        }
    };
    // `--validation` and `--test` replace those parts of the block's data.
    if let Some(v) = read(db, files.validation)? {
        sets.validation = Some(v);
    }
    if let Some(t) = read(db, files.test)? {
        sets.test = Some(t);
    }
    Ok(sets)
}

fn read_data(db: &mut SourceDb, path: &Path, dim: usize) -> Result<Dataset, Vec<Diagnostic>> {
    let file = read_into(db, path)?;
    data::read_csv(&db.get(file).text.clone(), file, Some(dim))
}

fn read_into(db: &mut SourceDb, path: &Path) -> Result<crnc::source::FileId, Vec<Diagnostic>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(db.add(path.display().to_string(), text)),
        Err(e) => {
            Err(vec![Diagnostic::error("E0202", format!("cannot read `{}`: {e}", path.display())).with_hint(
                "check the path; a data file is CSV with a header row, the inputs then the target",
            )])
        }
    }
}

/// `--params-init`: values by name over the drawn ones.
fn set_params(
    db: &mut SourceDb,
    path: &Path,
    learning: &Learning,
    params: &mut [f64],
) -> Result<(), Vec<Diagnostic>> {
    let file = read_into(db, path)?;
    let values = data::read_params(&db.get(file).text.clone(), file)?;
    let names: Vec<&str> = learning.params.iter().map(|p| p.name.as_str()).collect();
    let mut errors = Vec::new();
    for v in values {
        match names.iter().position(|n| *n == v.name) {
            Some(i) => params[i] = v.value,
            None => errors.push(
                Diagnostic::error("E0906", format!("the model has no learned parameter `{}`", v.name))
                    .with_primary(v.name_span, "unknown parameter")
                    .with_hint(match crnc::diagnostic::did_you_mean(&v.name, names.iter().copied()) {
                        Some(guess) => format!("{guess} the learned parameters are {}", names.join(", ")),
                        None => format!("the learned parameters are {}", names.join(", ")),
                    }),
            ),
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Points per axis of the grid a two-input classifier's decision region is drawn from.
const BOUNDARY_GRID: usize = 60;
/// A test set above this many samples is left out of the decision region's points.
const MAX_POINTS_DRAWN: usize = 400;

/// The training figure as SVG or PNG bytes (by `path`'s extension, checked
/// before the run): the curves, and for a two-input classifier the decision
/// region of the trained parameters with the training and test data.
fn figure(
    trainer: &Trainer,
    sets: &Sets,
    learning: &Learning,
    network: &str,
    outcome: &Outcome,
    path: &Path,
) -> Result<Vec<u8>, Diagnostic> {
    let failed = |set, (sample, error)| {
        let e = train::TrainError { set, sample, epoch: outcome.history.epochs.len() - 1, error };
        failed(network, &e)
    };
    let boundary = match learning.settings.threshold {
        Some(threshold) if learning.inputs.len() == 2 => {
            // A test grid of thousands of points would hide the region: only small sets are drawn.
            let mut parts = vec![("train", &sets.train)];
            parts.extend(sets.validation.as_ref().map(|v| ("validation", v)));
            parts.extend(sets.test.as_ref().filter(|t| t.len() <= MAX_POINTS_DRAWN).map(|t| ("test", t)));
            let mut grid =
                plot::Grid::covering(&parts.iter().map(|p| p.1).collect::<Vec<_>>(), BOUNDARY_GRID);
            let mut points = Dataset::new(learning.inputs.clone(), "y");
            for [a, b] in grid.inputs() {
                points.push(&[a, b], 0.0);
            }
            grid.values = trainer.predict(&points).map_err(|e| failed("grid", e))?;
            let points = parts
                .into_iter()
                .map(|(name, data)| {
                    let predictions = trainer.predict(data).map_err(|e| failed(name, e))?;
                    Ok(plot::PointSet { name, data, predictions })
                })
                .collect::<Result<_, Diagnostic>>()?;
            let names = [learning.inputs[0].clone(), learning.inputs[1].clone()];
            Some(plot::Boundary { grid, threshold, points, input_names: names })
        }
        _ => None,
    };
    let fig =
        plot::TrainingFigure { title: format!("training {network}"), history: &outcome.history, boundary };
    match path.extension().and_then(|e| e.to_str()) {
        Some("png") => {
            plot::png(&fig).map_err(|e| Diagnostic::error("E0600", format!("cannot draw the plot: {e}")))
        }
        _ => Ok(plot::svg(&fig).into_bytes()),
    }
}

fn failed(network: &str, e: &train::TrainError) -> Diagnostic {
    Diagnostic::error("E0705", format!("training `{network}` failed")).with_note(e.to_string()).with_hint(
        "a parameter may have grown without bound: try a lower `--rate`, or tighter `--rtol`/`--atol`",
    )
}

pub(super) fn internal(why: &str) -> Diagnostic {
    Diagnostic::error("E0999", format!("internal error: {why}"))
        .with_note("this is a bug in crnc, not in the model")
        .with_hint("please report it with the model")
}

/// The per-epoch table on standard error, under a progress bar on a terminal.
struct Table {
    classifier: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Table {
    fn new(classifier: bool, samples: usize) -> Table {
        let bar = (std::io::stderr().is_terminal() && samples > 0).then(|| {
            let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} samples, eta {eta}")
                .expect("a valid template");
            indicatif::ProgressBar::new(samples as u64).with_style(style)
        });
        let mut header = format!("{:>5}  {:>12}  {:>12}", "epoch", "train loss", "val loss");
        if classifier {
            header.push_str(&format!("  {:>9}  {:>9}", "train acc", "val acc"));
        }
        header.push_str(&format!("  {:>8}", "seconds"));
        eprintln!("{header}");
        Table { classifier, bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Table {
    fn sample(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn epoch(&mut self, e: &Epoch) {
        let cell = |v: Option<f64>, width: usize| match v {
            Some(v) => format!("{v:>width$.6}"),
            None => format!("{:>width$}", "-"),
        };
        let percent = |v: Option<f64>| match v {
            Some(v) => format!("{:>8.2}%", 100.0 * v),
            None => format!("{:>9}", "-"),
        };
        let mut line = format!("{:>5}  {}  {}", e.epoch, cell(Some(e.train_loss), 12), cell(e.val_loss, 12));
        if self.classifier {
            line.push_str(&format!("  {}  {}", percent(e.train_accuracy), percent(e.val_accuracy)));
        }
        line.push_str(&format!("  {:>8.3}", e.seconds));
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

fn final_lines(outcome: &Outcome, seconds: f64, written: &[String]) -> String {
    let last = outcome.history.epochs.last().expect("epoch 0 is always recorded");
    let mut text = format!("trained {} epochs in {seconds:.2} s", last.epoch);
    if let Some(test) = outcome.test {
        text.push_str(&format!("; test loss {:.6}", test.loss));
        if let Some(a) = test.accuracy {
            text.push_str(&format!(", test accuracy {:.2}%", 100.0 * a));
        }
    }
    text.push('\n');
    let params: Vec<String> = outcome
        .history
        .param_names
        .iter()
        .zip(&last.params)
        .map(|(n, v)| format!("{n} = {}", crnc::backend::number(*v)))
        .collect();
    text.push_str(&format!("  parameters: {}\n", params.join(", ")));
    if !written.is_empty() {
        text.push_str(&format!("  wrote {}\n", written.join(", ")));
    }
    text
}

/// The summary JSON (design.md §4.2, docs/formats.md).
#[derive(Serialize)]
struct Summary {
    network: String,
    epochs: Vec<EpochJson>,
    #[serde(rename = "final")]
    last: Final,
    initial_params: IndexMap<String, f64>,
    params: IndexMap<String, f64>,
    circuit: IndexMap<String, PhaseSize>,
    wall_seconds: f64,
}

#[derive(Serialize)]
struct EpochJson {
    epoch: usize,
    #[serde(flatten)]
    scores: Scores,
    seconds: f64,
}

#[derive(Serialize)]
struct Final {
    #[serde(flatten)]
    scores: Scores,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_accuracy: Option<f64>,
}

/// An epoch's losses, and accuracies for a classifier only.
#[derive(Serialize)]
struct Scores {
    train_loss: f64,
    val_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    train_accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    val_accuracy: Option<f64>,
}

impl From<&Epoch> for Scores {
    fn from(e: &Epoch) -> Scores {
        Scores {
            train_loss: e.train_loss,
            val_loss: e.val_loss,
            train_accuracy: e.train_accuracy,
            val_accuracy: e.val_accuracy,
        }
    }
}

#[derive(Serialize)]
struct PhaseSize {
    species: usize,
    reactions: usize,
    highest_order: u32,
}

fn summary_json(crn: &Crn, protocol: &Protocol, outcome: &Outcome, wall_seconds: f64) -> String {
    let history = &outcome.history;
    let last = history.epochs.last().expect("epoch 0 is always recorded");
    let named = |values: &[f64]| history.param_names.iter().cloned().zip(values.iter().copied()).collect();
    let test: Option<Score> = outcome.test;
    let summary = Summary {
        network: crn.name.clone(),
        epochs: history
            .epochs
            .iter()
            .map(|e| EpochJson { epoch: e.epoch, scores: e.into(), seconds: e.seconds })
            .collect(),
        last: Final {
            scores: last.into(),
            test_loss: test.map(|t| t.loss),
            test_accuracy: test.and_then(|t| t.accuracy),
        },
        initial_params: named(&outcome.initial_params),
        params: named(&last.params),
        circuit: protocol.phases.iter().map(|p| (p.name.clone(), phase_size(crn, &p.groups))).collect(),
        wall_seconds,
    };
    let mut json = serde_json::to_string_pretty(&summary).expect("the summary serialises");
    json.push('\n');
    json
}

/// The species a phase's reactions touch, its reactions and their highest order.
fn phase_size(crn: &Crn, groups: &[crnc::crn::GroupId]) -> PhaseSize {
    let reactions: Vec<_> = crn.reactions.iter().filter(|r| groups.contains(&r.group)).collect();
    let mut touched = vec![false; crn.species.len()];
    for r in &reactions {
        for &(s, _) in r.reactants.iter().chain(&r.products) {
            touched[s.index()] = true;
        }
    }
    PhaseSize {
        species: touched.iter().filter(|&&t| t).count(),
        reactions: reactions.len(),
        highest_order: reactions.iter().map(|r| r.order()).max().unwrap_or(0),
    }
}
