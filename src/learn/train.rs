//! A Neural CRN training run, host-orchestrated as the reference runs it
//! (domain.md §2.6): sample by sample, the protocol's phases run on the
//! compiled learning circuit, the state carrying the parameters from one
//! sample to the next, and the host measuring losses between passes.
//!
//! The order of a run (domain.md §2.10 item 5): epoch 0 evaluates the
//! initial parameters on the training and validation sets; each epoch then
//! presents the training samples in file order (no reshuffle), its train
//! loss the running mean of each sample's loss *before* its update, and
//! evaluates the validation set after the pass. The reference measures its
//! regression tasks' validation loss at the start of each epoch, which is
//! this history's previous row. The test set is evaluated once, at the end.
//!
//! Evaluation (prediction without update) runs in parallel, one solver
//! clone per thread; each prediction starts from the same state and every
//! integration is deterministic, so results do not depend on the thread count.

use std::time::Instant;

use rayon::prelude::*;

use super::data::Dataset;
use super::data::rng::Stream;
use super::history::{Epoch, History};
use crate::crn::protocol::Protocol;
use crate::crn::{Crn, RailPair};
use crate::ir::learning::{Init, Learning};
use crate::sim::ode::OdeOptions;
use crate::sim::protocol::{Executor, ProtocolError, Sample};

/// The part of the random stream of a seed that draws initial parameters:
/// after the generated data's training, validation and test parts (docs/data.md).
const INIT_STREAM: u32 = 3;

/// The data of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Sets {
    pub train: Dataset,
    pub validation: Option<Dataset>,
    pub test: Option<Dataset>,
}

/// A loss and, for a classifier, an accuracy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    pub loss: f64,
    pub accuracy: Option<f64>,
}

/// A run that stopped: which sample of which set, in which epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainError {
    pub set: &'static str,
    pub sample: usize,
    pub epoch: usize,
    pub error: ProtocolError,
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (set, sample, epoch) = (self.set, self.sample + 1, self.epoch);
        write!(f, "epoch {epoch}, {set} sample {sample}: {}", self.error)
    }
}

impl std::error::Error for TrainError {}

/// What a run reports as it goes (a progress bar, a table).
pub trait Progress {
    /// A training sample was presented.
    fn sample(&mut self) {}
    /// An epoch ended (epoch 0: the initial evaluation).
    fn epoch(&mut self, _epoch: &Epoch) {}
}

/// Reports nothing.
pub struct Quiet;

impl Progress for Quiet {}

/// A finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub history: History,
    pub initial_params: Vec<f64>,
    pub test: Option<Score>,
}

/// The learning circuit ready to train: the protocol's executor and the
/// state between samples, which holds the parameters.
#[derive(Clone)]
pub struct Trainer<'a> {
    executor: Executor<'a>,
    names: Vec<String>,
    params: Vec<RailPair>,
    output: RailPair,
    threshold: Option<f64>,
    state: Vec<f64>,
    predict: usize,
}

impl<'a> Trainer<'a> {
    /// `Err` names what the circuit lacks: a bug of the pass that built it.
    pub fn new(
        crn: &'a Crn,
        protocol: &'a Protocol,
        learning: &Learning,
        options: OdeOptions,
    ) -> Result<Trainer<'a>, String> {
        let rails = |value: &str| {
            crn.rails_of(value).ok_or_else(|| format!("the learning circuit has no rails of `{value}`"))
        };
        let params = learning.params.iter().map(|p| rails(&p.name)).collect::<Result<_, _>>()?;
        let output = rails(&learning.output.name)?;
        if protocol.predict == 0 {
            return Err("the protocol makes no prediction".to_string());
        }
        let executor = Executor::new(crn, protocol, options).map_err(|e| e.to_string())?;
        Ok(Trainer {
            executor,
            names: learning.params.iter().map(|p| p.name.clone()).collect(),
            params,
            output,
            threshold: learning.settings.threshold,
            state: crn.initial_concentrations(),
            predict: protocol.predict,
        })
    }

    /// The parameters' names, in declaration order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn params(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.value(&self.state)).collect()
    }

    /// Sets the parameters, in declaration order.
    pub fn set_params(&mut self, values: &[f64]) {
        for (pair, &v) in self.params.iter().zip(values) {
            pair.set(&mut self.state, v);
        }
    }

    pub fn threshold(&self) -> Option<f64> {
        self.threshold
    }

    /// One training step on a sample: the whole protocol, updating the
    /// parameters. Returns ŷ as the prediction phases left it, before the update.
    pub fn step(&mut self, inputs: &[f64], target: f64) -> Result<f64, ProtocolError> {
        let (output, last) = (self.output, self.predict - 1);
        let mut y_hat = f64::NAN;
        let sample = Sample { inputs, targets: &[target] };
        self.executor.run(&mut self.state, Some(&sample), |phase, _, x| {
            if phase == last {
                y_hat = output.value(x);
            }
        })?;
        Ok(y_hat)
    }

    /// ŷ of the current parameters for every sample of `data`, in order;
    /// `Err` holds the first sample that failed.
    pub fn predict(&self, data: &Dataset) -> Result<Vec<f64>, (usize, ProtocolError)> {
        let samples: Vec<(usize, (&[f64], f64))> = data.samples().enumerate().collect();
        samples
            .par_iter()
            .map_init(
                || (self.executor.clone(), self.state.clone()),
                |(executor, x), &(i, (inputs, target))| {
                    x.copy_from_slice(&self.state);
                    let sample = Sample { inputs, targets: &[target] };
                    executor.predict(x, &sample).map_err(|e| (i, e))?;
                    Ok(self.output.value(x))
                },
            )
            .collect()
    }

    /// The loss (and accuracy) of the current parameters on `data`.
    pub fn evaluate(&self, data: &Dataset) -> Result<Score, (usize, ProtocolError)> {
        Ok(score(&self.predict(data)?, data.targets(), self.threshold))
    }
}

/// The mean of ½(ŷ − y)², and the fraction classified right by `threshold`.
pub fn score(predictions: &[f64], targets: &[f64], threshold: Option<f64>) -> Score {
    let n = predictions.len().max(1) as f64;
    let pairs = predictions.iter().zip(targets);
    let loss = pairs.clone().map(|(p, y)| 0.5 * (p - y).powi(2)).sum::<f64>() / n;
    let accuracy = threshold.map(|t| pairs.filter(|&(p, y)| (*p >= t) == (*y >= t)).count() as f64 / n);
    Score { loss, accuracy }
}

/// The parameters' initial values drawn from `seed`, in declaration order.
pub fn initial_params(learning: &Learning, seed: u64) -> Vec<f64> {
    let mut stream = Stream::new(seed, INIT_STREAM);
    learning
        .params
        .iter()
        .map(|p| match p.init {
            Init::Value(v) => v,
            Init::Normal { mean, sd } => mean + sd * stream.normal(),
            Init::AbsNormal { mean, sd } => (mean + sd * stream.normal()).abs(),
            Init::Uniform { low, high } => stream.uniform(low, high),
        })
        .collect()
}

/// Trains for `epochs` passes over `sets.train` from the trainer's current
/// parameters.
///
/// An epoch's validation runs on a snapshot of the trainer while the next
/// epoch trains: training is sequential, sample by sample, so the
/// validation set would otherwise leave all cores but one idle for its
/// share of the run. The values are the same either way.
pub fn train(
    trainer: &mut Trainer<'_>,
    sets: &Sets,
    epochs: usize,
    progress: &mut dyn Progress,
) -> Result<Outcome, TrainError> {
    let initial_params = trainer.params();
    let threshold = trainer.threshold();
    let mut history = History { param_names: trainer.names().to_vec(), threshold, epochs: Vec::new() };
    let started = Instant::now();
    let train = trainer.evaluate(&sets.train).map_err(failed("training", 0))?;
    let seconds = started.elapsed().as_secs_f64();
    let mut ended = Ended { epoch: 0, train, seconds, trainer: trainer.clone() };
    for epoch in 1..=epochs {
        let (val, waited, pass, seconds) = std::thread::scope(|scope| {
            let validation = scope.spawn(|| validate(&ended.trainer, sets, ended.epoch));
            let started = Instant::now();
            let pass = training_pass(trainer, sets, epoch, progress);
            let (seconds, waiting) = (started.elapsed().as_secs_f64(), Instant::now());
            let val = validation.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (val, waiting.elapsed().as_secs_f64(), pass, seconds)
        });
        history.epochs.push(ended.record(val?, waited));
        progress.epoch(history.epochs.last().expect("an epoch was just recorded"));
        let train = score(&pass?, sets.train.targets(), threshold);
        ended = Ended { epoch, train, seconds, trainer: trainer.clone() };
    }
    let waiting = Instant::now();
    let val = validate(&ended.trainer, sets, ended.epoch)?;
    history.epochs.push(ended.record(val, waiting.elapsed().as_secs_f64()));
    progress.epoch(history.epochs.last().expect("an epoch was just recorded"));
    let test = match &sets.test {
        Some(t) => Some(trainer.evaluate(t).map_err(failed("test", epochs))?),
        None => None,
    };
    Ok(Outcome { history, initial_params, test })
}

/// An epoch whose training pass is done and whose validation is not.
struct Ended<'a> {
    epoch: usize,
    train: Score,
    /// The wall time of the pass (of the initial evaluation for epoch 0).
    seconds: f64,
    /// The trainer as the pass left it, for the validation.
    trainer: Trainer<'a>,
}

impl Ended<'_> {
    /// The epoch's row, given the time training stood waiting for its
    /// validation: the rows add up to the run but for the test set.
    fn record(self, val: Option<Score>, waited: f64) -> Epoch {
        Epoch {
            epoch: self.epoch,
            train_loss: self.train.loss,
            val_loss: val.map(|v| v.loss),
            train_accuracy: self.train.accuracy,
            val_accuracy: val.and_then(|v| v.accuracy),
            params: self.trainer.params(),
            seconds: self.seconds + waited,
        }
    }
}

/// One pass over the training samples in order; ŷ of each before its update.
fn training_pass(
    trainer: &mut Trainer<'_>,
    sets: &Sets,
    epoch: usize,
    progress: &mut dyn Progress,
) -> Result<Vec<f64>, TrainError> {
    let mut predictions = Vec::with_capacity(sets.train.len());
    for (i, (x, y)) in sets.train.samples().enumerate() {
        predictions.push(trainer.step(x, y).map_err(|e| failed("training", epoch)((i, e)))?);
        progress.sample();
    }
    Ok(predictions)
}

fn validate(trainer: &Trainer<'_>, sets: &Sets, epoch: usize) -> Result<Option<Score>, TrainError> {
    match &sets.validation {
        Some(v) => trainer.evaluate(v).map(Some).map_err(failed("validation", epoch)),
        None => Ok(None),
    }
}

/// Turns a sample's failure into the run's error.
fn failed(set: &'static str, epoch: usize) -> impl Fn((usize, ProtocolError)) -> TrainError {
    move |(sample, error)| TrainError { set, sample, epoch, error }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::driver::{self, Lowered};
    use crate::ir::learning::LearnedParam;
    use crate::learn::data::Task;
    use crate::source::MemoryFs;

    /// B1 (domain.md §2.7): z_i' = θ_i·x_i + h, z(0) = x, ŷ = z_0 + z_1.
    const LINEAR: &str = "network Linear {
      rate_law = combinatoric;
      input x[2];
      state z[2] = [x[0], x[1]];
      learn theta[2] ~ uniform(0.1, 0.5);
      ode { for i in 0..2 { z[i]' = theta[i] * x[i] + 0.1; } }
      output y = sum(z);
      train { data = generate(linear); epochs = 2; rate = 0.01; horizon = 0.5; update = host; }
    }";

    fn lowered(src: &str) -> Lowered {
        let fs = MemoryFs::new().with("m.crnl", src);
        let compilation = driver::compile(&fs, Path::new("m.crnl"), None, &driver::Flags::default());
        let rendered = compilation.rendered();
        compilation.lowered.unwrap_or_else(|_| panic!("{rendered}"))
    }

    fn options() -> OdeOptions {
        OdeOptions { rtol: 1e-10, atol: 1e-12, ..OdeOptions::default() }
    }

    #[test]
    fn a_host_step_on_the_linear_model_moves_theta_by_the_exact_gradient() {
        let l = lowered(LINEAR);
        let learning = l.learning.as_ref().unwrap();
        let mut trainer = Trainer::new(&l.crn, &l.protocol, learning, options()).unwrap();
        let theta = [0.3, -0.2];
        trainer.set_params(&theta);
        let (x, y, t, eta) = ([2.0, 3.0], 9.0, 0.5, 0.01);
        // ŷ = Σ x_i (1 + T θ_i) + 2·T·h; g_i = T·(ŷ − y)·x_i, exact for B1.
        let closed = x[0] * (1.0 + t * theta[0]) + x[1] * (1.0 + t * theta[1]) + 2.0 * t * 0.1;
        let y_hat = trainer.step(&x, y).unwrap();
        assert!((y_hat - closed).abs() < 1e-7, "ŷ {y_hat}, closed form {closed}");
        let after = trainer.params();
        for i in 0..2 {
            let expected = theta[i] - eta * t * (closed - y) * x[i];
            assert!((after[i] - expected).abs() < 1e-7, "θ_{i} {} against {expected}", after[i]);
        }
    }

    #[test]
    fn predictions_do_not_depend_on_the_thread_count() {
        let l = lowered(LINEAR);
        let learning = l.learning.as_ref().unwrap();
        let mut trainer = Trainer::new(&l.crn, &l.protocol, learning, OdeOptions::default()).unwrap();
        trainer.set_params(&[0.4, 0.2]);
        let data = Task::Linear.generate(1, &Task::Linear.defaults()).unwrap().validation;
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| trainer.predict(&data).unwrap())
        };
        let one = on(1);
        assert_eq!(one.len(), data.len());
        assert_eq!(one, on(3));
        assert!(one.windows(2).any(|w| w[0] != w[1]), "the samples differ, so do their predictions");
    }

    #[test]
    fn training_lowers_the_loss_and_records_every_epoch() {
        let l = lowered(LINEAR);
        let learning = l.learning.as_ref().unwrap();
        let mut trainer = Trainer::new(&l.crn, &l.protocol, learning, OdeOptions::default()).unwrap();
        let initial = initial_params(learning, 0);
        trainer.set_params(&initial);
        let generated = Task::Linear.generate(0, &Task::Linear.defaults()).unwrap();
        let sets = Sets { train: generated.train, validation: Some(generated.validation), test: None };
        let outcome = train(&mut trainer, &sets, 2, &mut Quiet).unwrap();
        let epochs = &outcome.history.epochs;
        assert_eq!(epochs.iter().map(|e| e.epoch).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(epochs[0].params, initial);
        assert_eq!(outcome.initial_params, initial);
        let val: Vec<f64> = epochs.iter().map(|e| e.val_loss.unwrap()).collect();
        assert!(val[2] < val[1] && val[1] < 0.5 * val[0], "validation losses {val:?}");
        assert_eq!(epochs[2].params, trainer.params());
        assert_eq!(outcome.history.param_names, ["theta[0]", "theta[1]"]);
    }

    #[test]
    fn initial_parameters_follow_their_distributions_and_the_seed() {
        let mut learning = lowered(LINEAR).learning.unwrap();
        let param = |init| LearnedParam { name: "p".into(), init, span: learning.span };
        learning.params = vec![
            param(Init::Value(-0.25)),
            param(Init::Uniform { low: 1.0, high: 2.0 }),
            param(Init::AbsNormal { mean: 0.0, sd: 0.4 }),
            param(Init::Normal { mean: 5.0, sd: 0.0 }),
        ];
        let drawn: Vec<Vec<f64>> = (0..50).map(|seed| initial_params(&learning, seed)).collect();
        assert_eq!(drawn[7], initial_params(&learning, 7));
        assert_ne!(drawn[7], drawn[8]);
        for p in &drawn {
            assert_eq!((p[0], p[3]), (-0.25, 5.0));
            assert!((1.0..2.0).contains(&p[1]) && p[2] >= 0.0, "{p:?}");
        }
        let mean_abs = drawn.iter().map(|p| p[2]).sum::<f64>() / 50.0;
        // E|N(0, σ)| = σ·√(2/π) ≈ 0.32 for σ = 0.4.
        assert!((0.2..0.45).contains(&mean_abs), "mean |N(0, 0.4)| = {mean_abs}");
    }

    #[test]
    fn scores_count_a_class_by_the_threshold_on_both_sides() {
        let s = score(&[0.2, 0.7, 0.5, 1.0], &[0.0, 1.0, 0.0, 1.0], Some(0.5));
        assert_eq!(s.accuracy, Some(0.75));
        assert!((s.loss - (0.04 + 0.09 + 0.25) / 8.0).abs() < 1e-15);
        assert_eq!(score(&[1.0], &[3.0], None), Score { loss: 2.0, accuracy: None });
    }
}
