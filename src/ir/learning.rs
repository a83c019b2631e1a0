//! A Neural CRN's model and training settings, as the checker resolves them
//! from a network's `input`, `state`, `learn` and `output` declarations and
//! its `train` block (docs/language.md, "Neural CRNs"; domain.md §2). The
//! dynamics are the network's [`crate::ir::Ode`]: the `learn` pass
//! differentiates them and adds the learning circuit's groups and protocol.
//!
//! Every name here is a key of the network's `species`: inputs, state and
//! learned parameters are signed species with the roles `input`, `state`
//! and `parameter`.

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
}

/// A perturbation of [`crate::crn::protocol::Perturbation`], naming values.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    ResetTransients,
    CancelRails,
    /// Each value gets an input column, the target or a constant.
    Load(Vec<(String, crate::crn::protocol::Source)>),
    /// θ <- θ − rate·g for each (parameter, gradient).
    Update {
        rate: f64,
        pairs: Vec<(String, String)>,
    },
}
