//! The `learn` pass: a Neural CRN's forward model becomes the whole learning
//! circuit (domain.md §2.2-2.6), as ODE equations in groups, one per phase,
//! and the protocol that runs them. Everything it writes is an equation or a
//! signed value, so the `ode` pass lowers it like the user's own dynamics.
//!
//! The forward dynamics f are the equations of the state values, exactly as
//! the `ode` pass will emit them (an `abs(z)` factor is the rail-local form, so
//! its derivative is the one the chemistry has: d/dz (z·|z|) = 2|z|). From them:
//!
//! - `output`: ŷ' = Σ w_i z_i − ŷ, at steady state ŷ = w·z(T);
//! - `error`: e' = ŷ − y − e, at steady state e = ŷ − y (y the target);
//! - `adjoint_init`: a_i' = w_i·e − a_i, at steady state a(T) = e·w;
//! - `backward`, in reverse time τ: z' = −f (or only its terms free of the
//!   state, `reverse_state = linearised`), a_j' = Σ_i a_i ∂f_i/∂z_j and
//!   g_k' = Σ_i a_i ∂f_i/∂θ_k (`gradient = adjoint`); with `first_order`
//!   only the g equations, a and z held at their values at T; with
//!   `reference`, the reference code's schemes (domain.md §2.7, §2.10): a full
//!   reverse state differentiates f as if every value were non-negative
//!   (B2's −z·a for −½z|z|), a linearised one (B4) is derived as `adjoint`;
//! - `update` (with `update = chemical`): θ' = −η/(1+η)·g and g' = −g, which
//!   move θ by −η/(1+η)·g(0) (domain.md §2.5).
//!
//! The steady-state sub-networks relax at rate 1 and run for 40 time units,
//! as the reference code's do (e^-40 of the start is left); the update runs
//! for 100.
//!
//! The rails of the state values annihilate at rates of their own per group
//! ([`ir::Ode::annihilation`]): with `adjoint`, 100 times the network's rate
//! where |z| is read, since the chemistry's |z| = z_p + z_m is off by twice
//! the smaller rail (the gradient within 1e-3 of finite differences, measured
//! in docs/passes.md); with `reference` the network's rate, and none in a
//! linearised backward, as the reference B4.

use crate::crn::passes::Options;
use crate::crn::protocol::{Duration, Source};
use crate::crn::{GroupId, Role};
use crate::diagnostic::Diagnostic;
use crate::ir::learning::{
    Feedback, Gradient, Learning, Phase, Protocol, ReverseState, Step, Update, Weight,
};
use crate::ir::{self, Equation, Network};
use crate::polynomial::{Coefficient, Polynomial, SignOfAbs};

pub const NAME: &str = "learn";

/// How long the steady-state sub-networks run (domain.md §2.5).
const RELAX_TIME: f64 = 40.0;
/// How long the chemical update runs (domain.md §2.5).
const UPDATE_TIME: f64 = 100.0;
/// How much faster than the network's `annihilation` the state values'
/// rails annihilate in the forward and backward phases with `gradient =
/// adjoint` (measured in docs/passes.md, "learn").
const STATE_ANNIHILATION: f64 = 100.0;

pub fn run(mut network: Network, _options: &Options) -> (Network, Vec<Diagnostic>) {
    let Some(learning) = network.learning.clone() else { return (network, Vec::new()) };
    match Circuit::derive(&mut network, &learning) {
        Ok(protocol) => {
            network.protocol = Some(protocol);
            (network, Vec::new())
        }
        Err(d) => (network, vec![d]),
    }
}

/// The names of the values the pass adds, for one model.
pub fn adjoint_name(state: &str) -> String {
    format!("adj.{state}")
}

pub fn gradient_name(param: &str) -> String {
    format!("grad.{param}")
}

fn target_name(output: &str) -> String {
    format!("{output}.target")
}

fn error_name(output: &str) -> String {
    format!("{output}.error")
}

struct Circuit<'n> {
    network: &'n mut Network,
}

impl Circuit<'_> {
    fn derive(network: &mut Network, learning: &Learning) -> Result<Protocol, Diagnostic> {
        let mut c = Circuit { network };
        c.network.groups[GroupId::MAIN.index()] = "forward".to_string();
        let forward = GroupId::MAIN;
        let s = &learning.settings;
        let weights = c.fixed_weights(learning)?;
        let y = learning.output.name.clone();
        let (target, error) = (target_name(&y), error_name(&y));
        c.value(&y, Role::Output, learning.output.span);
        c.value(&target, Role::Target, learning.output.span);
        for z in &learning.state {
            c.value(&adjoint_name(&z.name), Role::Adjoint, z.span);
        }
        for p in &learning.params {
            c.value(&gradient_name(&p.name), Role::Gradient, p.span);
        }

        // The feedback: ŷ = w·z, e = ŷ − y and a(T) = e·w, as relaxations x' = source − x whose
        // steady state is the source, or set by the host to that steady state.
        let exact = s.feedback == Feedback::Exact;
        let feedback = if exact {
            Vec::new()
        } else {
            c.value(&error, Role::Plain, learning.output.span);
            let output = c.group("output");
            let mut sum = Polynomial::default();
            for (z, w) in &weights {
                sum = sum.plus(c.var(z).scaled(&Coefficient::number(*w)));
            }
            c.relax(&y, sum, output, learning.output.span);
            let error_group = c.group("error");
            let difference = c.var(&y).plus(c.var(&target).negated());
            c.relax(&error, difference, error_group, learning.output.span);
            let adjoint_init = c.group("adjoint_init");
            for (z, w) in &weights {
                let source = c.var(&error).scaled(&Coefficient::number(*w));
                c.relax(&adjoint_name(z), source, adjoint_init, learning.output.span);
            }
            vec![
                relaxation("output", output),
                relaxation("error", error_group),
                relaxation("adjoint_init", adjoint_init),
            ]
        };

        let backward = c.group("backward");
        let f: Vec<(String, Polynomial)> =
            learning.state.iter().map(|z| (z.name.clone(), c.dynamics(&z.name, forward))).collect();
        // What the adjoint and gradient differentiate: f itself, or, in the
        // reference's full backward (B2), f as if every value were
        // non-negative (∂(−½z|z|)/∂z = −z); its linearised one (B4) has −|z|.
        let differentiated = match (s.gradient, s.reverse_state) {
            (Gradient::Reference, ReverseState::Full) => c.as_if_non_negative(&f),
            _ => f.clone(),
        };
        if s.gradient != Gradient::FirstOrder {
            for (z, fz) in &f {
                let reverse = match s.reverse_state {
                    ReverseState::Full => fz.clone().negated(),
                    ReverseState::Linearised => c.free_of_state(fz, learning).negated(),
                };
                c.equation(z, reverse, backward, learning.span);
            }
            for z in &learning.state {
                let rhs = c.pullback(&differentiated, &z.name, z.span)?;
                c.equation(&adjoint_name(&z.name), rhs, backward, z.span);
            }
        }
        for p in &learning.params {
            let rhs = c.pullback(&differentiated, &p.name, p.span)?;
            c.equation(&gradient_name(&p.name), rhs, backward, p.span);
        }
        c.state_annihilation(learning, [forward, backward]);
        c.accumulate_without_annihilation(learning, backward);

        let mut phases = vec![Phase {
            name: "forward".into(),
            groups: vec![forward],
            duration: Duration::Time(s.horizon),
            before: vec![Step::ResetTransients, Step::CancelRails, Step::Load(loads(learning)?)],
            after: if exact {
                vec![Step::Assign { into: y.clone(), terms: weights.clone() }]
            } else {
                Vec::new()
            },
        }];
        let predict = 1 + feedback.len().min(1);
        phases.extend(feedback);
        // Exact: a(T) = w·(ŷ − y) straight from ŷ and the target; no error value is made.
        let backward_before = match exact {
            true => weights
                .iter()
                .map(|(z, w)| Step::Assign {
                    into: adjoint_name(z),
                    terms: vec![(y.clone(), *w), (target.clone(), -w)],
                })
                .collect(),
            false => Vec::new(),
        };
        phases.push(Phase {
            name: "backward".into(),
            groups: vec![backward],
            duration: Duration::Time(s.backward_horizon.unwrap_or(s.horizon)),
            before: backward_before,
            after: Vec::new(),
        });
        let pairs: Vec<(String, String)> =
            learning.params.iter().map(|p| (p.name.clone(), gradient_name(&p.name))).collect();
        // The chemical update moves θ by −η/(1+η)·g(0) (domain.md §2.5).
        let effective = s.rate / (1.0 + s.rate);
        let after = match (s.update, exact) {
            (Update::Host, _) => vec![Step::Update { rate: s.rate, pairs }],
            (Update::Chemical, true) => vec![Step::Update { rate: effective, pairs }],
            (Update::Chemical, false) => {
                let update = c.group("update");
                for (theta, g) in &pairs {
                    let move_by = c.var(g).scaled(&Coefficient::number(-effective));
                    c.equation(theta, move_by, update, learning.span);
                    let decay = c.var(g).negated();
                    c.equation(g, decay, update, learning.span);
                }
                phases.push(Phase {
                    name: "update".into(),
                    groups: vec![update],
                    duration: Duration::Time(UPDATE_TIME),
                    before: Vec::new(),
                    after: Vec::new(),
                });
                Vec::new()
            }
        };
        Ok(Protocol { phases, after, predict })
    }

    /// The output weights; learned ones are not derived yet.
    fn fixed_weights(&self, learning: &Learning) -> Result<Vec<(String, f64)>, Diagnostic> {
        learning
            .output
            .weights
            .iter()
            .map(|(z, w)| match w {
                Weight::Fixed(w) => Ok((z.clone(), *w)),
                Weight::Learned(name) => Err(Diagnostic::error(
                    "E0247",
                    format!("the output weight `{name}` is learned, which crnc cannot train yet"),
                )
                .with_primary(learning.output.span, "a learned output weight")
                .with_note("the learning circuit holds w fixed, as the reference models do (domain.md §2.9)")
                .with_hint("give the weight a number, e.g. `output y = sum(z);`")),
            })
            .collect()
    }

    /// Declares a new signed value of the circuit, starting at 0.
    fn value(&mut self, name: &str, role: Role, span: crate::source::Span) {
        let species = ir::Species {
            name: name.to_string(),
            initial: 0.0,
            quantity: ir::Quantity::Concentration,
            signed: true,
            span,
            role,
            rail: None,
            group: None,
            compartment: None,
        };
        self.network.species.insert(name.to_string(), species);
    }

    fn group(&mut self, name: &str) -> GroupId {
        self.network.groups.push(name.to_string());
        GroupId((self.network.groups.len() - 1) as u32)
    }

    fn var(&mut self, name: &str) -> Polynomial {
        Polynomial::species(self.network.ode.variable(name, false))
    }

    fn equation(&mut self, target: &str, rhs: Polynomial, group: GroupId, span: crate::source::Span) {
        let eq = Equation { target: target.to_string(), rhs, group, span, brought_in_at: Vec::new() };
        self.network.ode.equations.push(eq);
    }

    /// x' = source − x.
    fn relax(&mut self, x: &str, source: Polynomial, group: GroupId, span: crate::source::Span) {
        let rhs = source.plus(self.var(x).negated());
        self.equation(x, rhs, group, span);
    }

    /// The right-hand side of `z` in `group`: its equations added up.
    fn dynamics(&self, z: &str, group: GroupId) -> Polynomial {
        let ode = &self.network.ode;
        let equations = ode.equations.iter().filter(|e| e.target == z && e.group == group);
        equations.fold(Polynomial::default(), |sum, e| sum.plus(e.rhs.clone()))
    }

    /// The rates at which the state values' rails annihilate in the forward
    /// and backward phases, where they differ from the network's rate.
    ///
    /// `adjoint`: the chemistry reads |z| as z_p + z_m, twice the smaller rail
    /// too much, and that rail is largest (about sqrt(production / k)) where z
    /// crosses 0; the gradient's error falls about as 1/k. [`STATE_ANNIHILATION`]
    /// times the network's rate brings it below 1e-3 (docs/passes.md).
    /// `reference`: the reference's rates, the network's own, except that
    /// its linearised backward (B4) has no `Z⁺ + Z⁻ -> ∅` (domain.md §2.10
    /// item 4), while its full reverse state (B2, B3) has one.
    fn state_annihilation(&mut self, learning: &Learning, [forward, backward]: [GroupId; 2]) {
        let s = &learning.settings;
        let faster = Some(STATE_ANNIHILATION * self.network.annihilation);
        let variables = &self.network.ode.variables;
        // Only |z| reads the rails' sum; z = z_p - z_m is exact at any rate.
        let read_through_abs = |z: &str| variables.contains(&ir::Variable { name: z.to_string(), abs: true });
        let mut rates = Vec::new();
        for z in &learning.state {
            match (s.gradient, s.reverse_state) {
                (Gradient::Adjoint, _) if read_through_abs(&z.name) => {
                    rates.extend([forward, backward].map(|group| ((z.name.clone(), group), faster)));
                }
                (Gradient::Reference, ReverseState::Linearised) => {
                    rates.push(((z.name.clone(), backward), None))
                }
                _ => {}
            }
        }
        self.network.ode.annihilation.extend(rates);
    }

    /// The gradient accumulators' rails grow without annihilating in the
    /// backward phase, as in the reference: nothing there reads them, so
    /// `g_p - g_m` is the same at any annihilation rate, and without it each
    /// rail is a plain integral the solver need not factor (9 fewer reactions
    /// for B4, and its backward phase solved in about 40% less time).
    fn accumulate_without_annihilation(&mut self, learning: &Learning, backward: GroupId) {
        let off = learning.params.iter().map(|p| ((gradient_name(&p.name), backward), None));
        self.network.ode.annihilation.extend(off);
    }

    /// The dynamics with every absolute value |v| replaced by v: differentiated
    /// as if every value were non-negative, as the reference code does.
    fn as_if_non_negative(&mut self, f: &[(String, Polynomial)]) -> Vec<(String, Polynomial)> {
        let names: Vec<(String, bool)> =
            self.network.ode.variables.iter().map(|v| (v.name.clone(), v.abs)).collect();
        let plain: Vec<usize> = names
            .iter()
            .enumerate()
            .map(|(i, (name, abs))| if *abs { self.network.ode.variable(name, false) } else { i })
            .collect();
        f.iter().map(|(z, fz)| (z.clone(), fz.renamed(|v| plain[v]))).collect()
    }

    /// The terms of `f` that no state value (or its absolute value) occurs in.
    fn free_of_state(&self, f: &Polynomial, learning: &Learning) -> Polynomial {
        let variables = &self.network.ode.variables;
        let is_state = |v: usize| learning.state.iter().any(|z| z.name == variables[v].name);
        let terms = f.terms.iter().filter(|(m, _)| !m.iter().any(|&(v, _)| is_state(v)));
        Polynomial { terms: terms.map(|(m, c)| (m.clone(), c.clone())).collect() }
    }

    /// Σ_i a_i · ∂f_i/∂v: the adjoint equation of a state value, or the
    /// gradient equation of a parameter.
    fn pullback(
        &mut self,
        f: &[(String, Polynomial)],
        v: &str,
        span: crate::source::Span,
    ) -> Result<Polynomial, Diagnostic> {
        let index = self.network.ode.variable(v, false);
        let abs = self.network.ode.variables.get_index_of(&ir::Variable { name: v.to_string(), abs: true });
        let mut sum = Polynomial::default();
        for (z, fz) in f {
            let d = fz.derivative(index, abs).map_err(|SignOfAbs| {
                Diagnostic::error("E0248", format!("the dynamics of `{z}` are not differentiable in `{v}`"))
                    .with_primary(span, format!("a term has abs({v}) without a factor `{v}`"))
                    .with_note("the derivative of |v| is the sign of v, which no polynomial reaction network computes")
                    .with_hint(format!("write the term with `{v} * abs({v})` (the rail-local form), or without abs"))
            })?;
            if d.is_zero() {
                continue;
            }
            let a = self.var(&adjoint_name(z));
            let product = a.times(&d).map_err(|e| crate::check::too_many_terms(e, span))?;
            sum = sum.plus(product);
        }
        Ok(sum)
    }
}

fn relaxation(name: &str, group: GroupId) -> Phase {
    Phase {
        name: name.into(),
        groups: vec![group],
        duration: Duration::Time(RELAX_TIME),
        before: Vec::new(),
        after: Vec::new(),
    }
}

/// What the host loads before the forward phase: the inputs, the state's
/// z(0) = x_aug, and the target.
fn loads(learning: &Learning) -> Result<Vec<(String, Source)>, Diagnostic> {
    let mut loads: Vec<(String, Source)> =
        learning.inputs.iter().enumerate().map(|(i, x)| (x.clone(), Source::Input(i))).collect();
    for z in &learning.state {
        let source = match z.initial.terms.as_slice() {
            [] => Source::Constant(z.initial.constant),
            [(x, c)] if *c == 1.0 && z.initial.constant == 0.0 => {
                let i = learning.inputs.iter().position(|i| i == x).expect("the checker resolved the input");
                Source::Input(i)
            }
            _ => {
                return Err(Diagnostic::error(
                    "E0249",
                    format!("the initial value of `{}` is a combination of inputs", z.name),
                )
                .with_primary(z.span, "z(0) must be one input or a constant")
                .with_note("the host loads each state value from one column of a sample, or a constant")
                .with_hint(
                    "give the combination a state value of its own, or pre-compute it as an input column",
                ));
            }
        };
        loads.push((z.name.clone(), source));
    }
    loads.push((target_name(&learning.output.name), Source::Target(0)));
    Ok(loads)
}
