//! A Neural CRN's model and training settings, as the checker resolves them
//! from a network's `input`, `state`, `learn` and `output` declarations and
//! its `train` block (docs/language.md, "Neural CRNs"; domain.md §2). The
//! dynamics are the network's [`crate::ir::Ode`]: the `learn` pass
//! differentiates them and adds the learning circuit's groups and protocol.
//!
//! Every name here is a key of the network's `species`: inputs, state and
//! learned parameters are signed species with the roles `input`, `state`
//! and `parameter`.

use std::fmt;

use crate::ir::crnl_name;
use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Learning {
    /// The inputs x, in declaration order (the data's input columns).
    pub inputs: Vec<String>,
    /// The hidden state z with z(0) = x_aug: each an affine form of the inputs.
    pub state: Vec<StateVar>,
    /// The learned parameters θ with their initialisation, in declaration order.
    pub params: Vec<LearnedParam>,
    pub output: Output,
    pub settings: TrainSettings,
    pub span: Span,
}

/// `output y = Σ w_i · z_i;`: ŷ from the state at the end of the forward
/// phase. `name` is not a species of the checked network: the `learn` pass
/// makes it (a signed value with the role `output`).
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    /// (state variable, its weight), each state variable at most once.
    pub weights: Vec<(String, Weight)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StateVar {
    pub name: String,
    pub initial: Affine,
    pub span: Span,
}

/// `constant + Σ c · input`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Affine {
    pub constant: f64,
    pub terms: Vec<(String, f64)>,
}

impl Affine {
    /// The value given the inputs by name.
    pub fn value(&self, input: impl Fn(&str) -> f64) -> f64 {
        self.terms.iter().fold(self.constant, |v, (name, c)| v + c * input(name))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LearnedParam {
    pub name: String,
    pub init: Init,
    pub span: Span,
}

/// How a learned parameter starts (drawn from the training seed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    Value(f64),
    Normal {
        mean: f64,
        sd: f64,
    },
    /// |N(mean, sd)|, as the reference's `abs.(randn(...) .* sd)`.
    AbsNormal {
        mean: f64,
        sd: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
}

/// An output weight: fixed, or a learned parameter (by name).
#[derive(Clone, Debug, PartialEq)]
pub enum Weight {
    Fixed(f64),
    Learned(String),
}

/// How the gradient is computed (domain.md §2.2-2.3, §2.7, §2.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gradient {
    /// The reverse-time state, the adjoint and the gradient accumulators,
    /// derived from the dynamics crnc emits.
    Adjoint,
    /// The gradient accumulators alone, with the adjoint held at a(T):
    /// g ≈ T·(∂f/∂θ)ᵀ a(T).
    FirstOrder,
    /// The reference code's schemes (domain.md §2.7, §2.10): as `Adjoint`,
    /// but differentiated as if every value were non-negative (B2's
    /// adjoint −z·a for −½z|z|, wrong where z < 0), at the network's
    /// annihilation rate, and without the state's annihilation in a
    /// linearised backward (B4).
    Reference,
}

/// How θ moves by the gradient after each sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// The host sets θ <- θ − η·g.
    Host,
    /// Reactions move a fraction η/(1+η) of each gradient rail onto the
    /// opposite parameter rail (domain.md §2.5).
    Chemical,
}

/// The reverse-time state in the backward phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReverseState {
    /// dz/dτ = −f(z): exact, but expanded where the forward contracts.
    Full,
    /// Only the terms of −f without z (the reference B4's "linearised"
    /// backward: no reverse self-term).
    Linearised,
}

/// How the feedback sub-steps (output, error, adjoint initialisation and a
/// chemical update) reach their values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feedback {
    /// Their sub-networks run, each relaxing to its steady state (domain.md §2.5).
    Chemical,
    /// The host sets each to its exact steady state: ŷ = w·z, e = ŷ − y,
    /// a = e·w, θ ← θ − η/(1+η)·g.
    Exact,
}

impl Feedback {
    pub fn name(self) -> &'static str {
        match self {
            Feedback::Chemical => "chemical",
            Feedback::Exact => "exact",
        }
    }
}

/// Where training data come from.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// A built-in generator of a reference task, by name (`crate::learn::data::Task`).
    Generate { task: String, span: Span },
    /// CSV files (paths relative to the model file).
    Files { train: String, validation: Option<String>, test: Option<String>, span: Span },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrainSettings {
    pub data: Option<DataSource>,
    /// Training and validation sizes (a generator's defaults when absent).
    pub split: Option<(usize, usize)>,
    pub epochs: usize,
    /// The learning rate η.
    pub rate: f64,
    pub update: Update,
    pub gradient: Gradient,
    /// The forward horizon T.
    pub horizon: f64,
    /// The backward horizon; T unless set (the reference B4 uses 2.0).
    pub backward_horizon: Option<f64>,
    pub reverse_state: ReverseState,
    pub feedback: Feedback,
    /// Classify as ŷ >= threshold (accuracy is reported); regression when absent.
    pub threshold: Option<f64>,
    pub seed: u64,
}

/// The learning circuit's protocol at the level of values (signed values by
/// name, before the `ode` pass gives them rails): what the `learn` pass makes
/// and the driver resolves into a [`crate::crn::protocol::Protocol`] once the
/// CRN exists.
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    pub phases: Vec<Phase>,
    /// After the last phase (the host's parameter update).
    pub after: Vec<Step>,
    /// How many leading phases give the prediction: their end state holds ŷ
    /// in the species with the role `output`.
    pub predict: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub name: String,
    pub groups: Vec<crate::crn::GroupId>,
    pub duration: crate::crn::protocol::Duration,
    /// Applied in order before the phase starts.
    pub before: Vec<Step>,
    /// Applied in order after the phase ends, before anyone reads its state.
    pub after: Vec<Step>,
}

/// A perturbation of [`crate::crn::protocol::Perturbation`], naming values.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    ResetTransients,
    CancelRails,
    /// Each value gets an input column, the target or a constant.
    Load(Vec<(String, crate::crn::protocol::Source)>),
    /// Sets a value to Σ c·value (each term read before the value is written).
    Assign {
        into: String,
        terms: Vec<(String, f64)>,
    },
    /// θ <- θ − rate·g for each (parameter, gradient).
    Update {
        rate: f64,
        pairs: Vec<(String, String)>,
    },
}

/// The defaults of docs/language.md, "Neural CRNs".
impl Default for TrainSettings {
    fn default() -> TrainSettings {
        TrainSettings {
            data: None,
            split: None,
            epochs: 10,
            rate: 0.1,
            update: Update::Host,
            gradient: Gradient::Adjoint,
            horizon: 1.0,
            backward_horizon: None,
            reverse_state: ReverseState::Full,
            feedback: Feedback::Chemical,
            threshold: None,
            seed: 0,
        }
    }
}

impl Learning {
    /// How a species of the model is declared in crnl, if it is one:
    /// `input x`, `state z = x`, `learn theta ~ normal(0, 1)`.
    pub fn declaration(&self, name: &str) -> Option<String> {
        let n = crnl_name(name);
        if let Some(s) = self.state.iter().find(|s| s.name == name) {
            return Some(format!("state {n} = {}", s.initial));
        }
        if let Some(p) = self.params.iter().find(|p| p.name == name) {
            return Some(format!("learn {n} {}", p.init));
        }
        None
    }
}

/// `2 * x + y - 0.5`, or `0`.
impl fmt::Display for Affine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, c)) in self.terms.iter().enumerate() {
            let (sign, c) = if *c < 0.0 { ("-", -c) } else { ("+", *c) };
            match (i, sign) {
                (0, "+") => {}
                (0, _) => write!(f, "-")?,
                _ => write!(f, " {sign} ")?,
            }
            if c != 1.0 {
                write!(f, "{c} * ")?;
            }
            write!(f, "{}", crnl_name(name))?;
        }
        match (self.terms.is_empty(), self.constant) {
            (true, c) => write!(f, "{c}"),
            (false, 0.0) => Ok(()),
            (false, c) if c < 0.0 => write!(f, " - {}", -c),
            (false, c) => write!(f, " + {c}"),
        }
    }
}

/// `= 0.5`, `~ abs(normal(0, 0.4))`.
impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::Value(v) => write!(f, "= {v}"),
            Init::Normal { mean, sd } => write!(f, "~ normal({mean}, {sd})"),
            Init::AbsNormal { mean, sd } => write!(f, "~ abs(normal({mean}, {sd}))"),
            Init::Uniform { low, high } => write!(f, "~ uniform({low}, {high})"),
        }
    }
}

/// `output y = z + 2 * u - w * v;`
impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output {} = ", crnl_name(&self.name))?;
        for (i, (state, weight)) in self.weights.iter().enumerate() {
            let z = crnl_name(state);
            let (sign, term) = match weight {
                Weight::Learned(w) => ("+", format!("{} * {z}", crnl_name(w))),
                Weight::Fixed(c) if c.abs() == 1.0 => (if *c < 0.0 { "-" } else { "+" }, z.into_owned()),
                Weight::Fixed(c) => (if *c < 0.0 { "-" } else { "+" }, format!("{} * {z}", c.abs())),
            };
            match (i, sign) {
                (0, "+") => write!(f, "{term}")?,
                (0, _) => write!(f, "-{term}")?,
                _ => write!(f, " {sign} {term}")?,
            }
        }
        write!(f, ";")
    }
}

impl Update {
    pub fn name(self) -> &'static str {
        match self {
            Update::Host => "host",
            Update::Chemical => "chemical",
        }
    }
}

impl Gradient {
    pub fn name(self) -> &'static str {
        match self {
            Gradient::Adjoint => "adjoint",
            Gradient::FirstOrder => "first_order",
            Gradient::Reference => "reference",
        }
    }
}

impl ReverseState {
    pub fn name(self) -> &'static str {
        match self {
            ReverseState::Full => "full",
            ReverseState::Linearised => "linearised",
        }
    }
}

/// The `train` block, every setting written out (indented for a network body).
impl fmt::Display for TrainSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  train {{")?;
        match &self.data {
            Some(DataSource::Generate { task, .. }) => writeln!(f, "    data = generate({task});")?,
            Some(DataSource::Files { train, validation, test, .. }) => {
                let paths: Vec<String> = [Some(train), validation.as_ref(), test.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|p| format!("{p:?}"))
                    .collect();
                writeln!(f, "    data = csv({});", paths.join(", "))?
            }
            None => {}
        }
        if let Some((train, validation)) = self.split {
            writeln!(f, "    split = [{train}, {validation}];")?;
        }
        writeln!(f, "    epochs = {};", self.epochs)?;
        writeln!(f, "    rate = {};", self.rate)?;
        writeln!(f, "    horizon = {};", self.horizon)?;
        if let Some(b) = self.backward_horizon {
            writeln!(f, "    backward_horizon = {b};")?;
        }
        writeln!(f, "    update = {};", self.update.name())?;
        writeln!(f, "    gradient = {};", self.gradient.name())?;
        writeln!(f, "    reverse_state = {};", self.reverse_state.name())?;
        if self.feedback != Feedback::Chemical {
            writeln!(f, "    feedback = {};", self.feedback.name())?;
        }
        if let Some(t) = self.threshold {
            writeln!(f, "    threshold = {t};")?;
        }
        writeln!(f, "    seed = {};", self.seed)?;
        writeln!(f, "  }}")
    }
}
