//! The checked IR: networks whose names are resolved and whose expressions are
//! evaluated to numbers, still shaped like the source (reversible reactions are
//! one reaction, species keep their declaration order).
//!
//! A network keeps its polynomial ODE system as data ([`Ode`]), with its
//! signed values as species marked `signed`, until the `ode` pass
//! (`ir::passes`) lowers them to rails and reactions; the learning passes
//! differentiate it before that.
//!
//! Architecture invariant: every name in a reaction or equation is a key of
//! the network's `species`; every value is finite; rates are positive;
//! initial values are non-negative except a signed value's; coefficients
//! are in 1..=MAX_COEFFICIENT; every group id (of a reaction or a species)
//! indexes the network's `groups`. Roles, rails and groups have no crnl
//! spelling: the `Display` printout (valid crnl) leaves them out, and
//! `crn::lower` carries them into the CRN. A species' compartment is a key
//! of `compartments`, whose sizes are positive.

use std::fmt;
use std::sync::Arc;

pub mod learning;
pub mod passes;
pub mod potentials;

use indexmap::IndexSet;

use crate::crn::{GroupId, Rail, Role};
use crate::hash::IndexMap;
use crate::polynomial::Polynomial;
use crate::source::Span;
pub use crate::syntax::ast::Quantity;

/// Rate of `x_p + x_m -> 0` for dual-rail values when the network does not
/// set `annihilation`: fast against rates near 1, as in the Neural CRNs.
pub const DEFAULT_ANNIHILATION: f64 = 100.0;

/// Largest stoichiometric coefficient accepted in source.
pub const MAX_COEFFICIENT: u32 = 1000;

/// How a reaction's rate depends on the reactant concentrations (domain.md §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateLaw {
    /// v = k · ∏ x_i^α_i
    MassAction,
    /// v = k · ∏ x_i^α_i / α_i!  (Catalyst.jl's default)
    Combinatoric,
}

impl RateLaw {
    pub fn name(self) -> &'static str {
        match self {
            RateLaw::MassAction => "mass-action",
            RateLaw::Combinatoric => "combinatoric",
        }
    }

    /// What the convention divides the monomial of a complex with these
    /// multiplicities by: ∏ α_i! when combinatoric, 1 under mass action.
    pub fn divisor(self, multiplicities: impl IntoIterator<Item = u32>) -> f64 {
        match self {
            RateLaw::MassAction => 1.0,
            RateLaw::Combinatoric => crate::crn::factorial_product(multiplicities),
        }
    }

    pub fn from_name(name: &str) -> Option<RateLaw> {
        match name {
            "mass-action" | "mass_action" => Some(RateLaw::MassAction),
            "combinatoric" => Some(RateLaw::Combinatoric),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The networks defined in the root file, in source order.
    pub networks: IndexMap<String, Network>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub name: String,
    pub span: Span,
    pub rate_law: RateLaw,
    /// Volume of the reaction compartment, where every reaction takes place
    /// and every species without a compartment lives (litres in SBML export).
    pub volume: f64,
    /// Rate of `x_p + x_m -> 0` for the rails of every signed value.
    pub annihilation: f64,
    /// Other compartments (`compartment c = 2;`), by name, in source order.
    pub compartments: IndexMap<String, Compartment>,
    /// The `separation` setting: how much faster the molecularity pass's
    /// binding steps are than the fastest reaction (`--separation` overrides it).
    pub separation: Option<f64>,
    pub species: IndexMap<String, Species>,
    /// Species energies in units of k_B·T (`energy X = -3;`; 0 where unset);
    /// reversible reactions written with one prefactor took their rates from them.
    pub energies: IndexMap<String, f64>,
    /// Chemical potentials (`potential P for X;`): the `potentials` pass adds
    /// each to the reactions that make or use its species, and leaves them
    /// here (adding again changes nothing).
    pub potentials: Vec<potentials::Potential>,
    /// `learn P: X ~ target;` rules, until the `potentials` pass writes their reactions.
    pub learning_rules: Vec<potentials::LearningRule>,
    /// Named parameters that some reaction uses directly as its rate constant,
    /// kept so that exports can name them.
    pub params: IndexMap<String, Param>,
    /// Shared, copied on write: the checked program keeps its networks (for
    /// `--emit ir` and `crnc run`'s settings) while the passes work on a copy,
    /// and a pass that leaves the reactions alone does not copy 100,000 of them.
    pub reactions: Arc<Vec<Reaction>>,
    /// The `ode` equations, not yet lowered to reactions.
    pub ode: Ode,
    /// A Neural CRN's model and training, which the `learn` pass turns into
    /// the learning circuit.
    pub learning: Option<learning::Learning>,
    /// The learning circuit's protocol, made by the `learn` pass.
    pub protocol: Option<learning::Protocol>,
    /// The network's `simulate` block: how `crnc run` simulates it.
    pub simulate: SimSpec,
    /// Assignments at fixed times (`at 10: Q = 10;`), in ascending time,
    /// one per time.
    pub schedule: Vec<Assignment>,
    /// Reaction group names, indexed by [`GroupId`]; `[main]` unless a
    /// learning pass splits the network into phase sub-networks.
    pub groups: Vec<String>,
}

/// `at T: X = v, ...;`: at time T the run sets each species to its value,
/// in the species' declared unit (like its initial value).
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub time: f64,
    pub values: Vec<(String, f64)>,
    pub span: Span,
}

impl fmt::Display for Assignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<String> =
            self.values.iter().map(|(s, v)| format!("{} = {v}", crnl_name(s))).collect();
        write!(f, "at {}: {};", self.time, values.join(", "))
    }
}

/// Simulation settings from a `simulate` block; unset ones take the
/// command line's value or its default.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SimSpec {
    pub method: Option<Method>,
    pub t_end: Option<f64>,
    pub points: Option<usize>,
    pub rtol: Option<f64>,
    pub atol: Option<f64>,
    pub seed: Option<u64>,
    pub trajectories: Option<usize>,
    /// SSA events per trajectory before the run stops with an error.
    pub max_events: Option<u64>,
    /// Species to plot, in order.
    pub plot: Vec<String>,
    /// Hybrid method: vesicles sharing the potentials.
    pub vesicles: Option<usize>,
    /// Hybrid method: how the potentials follow the vesicles.
    pub coupling: Option<Coupling>,
    /// Hybrid method: the per-event update's step or the split interval.
    pub dt: Option<f64>,
    /// A learner's model species whose joint law the report compares with
    /// the targets' (default: every species a `learn` rule matches).
    pub visible: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Deterministic mass-action ODE.
    Ode,
    /// Exact stochastic simulation.
    Ssa,
    /// Potentials as bulk concentrations, every other species by SSA in
    /// vesicles (docs/language.md, "Learning distributions").
    Hybrid,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Ode => "ode",
            Method::Ssa => "ssa",
            Method::Hybrid => "hybrid",
        }
    }
}

/// How the hybrid method's potentials follow the vesicles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coupling {
    /// The potentials' ODE between events, waiting times from the changing propensities.
    Exact,
    /// Potentials frozen over intervals of `dt`, vesicles in parallel within one.
    Split,
    /// The reference code's update after every event, one term per vesicle (domain.md §3.12).
    PerEvent,
}

impl Coupling {
    pub fn name(self) -> &'static str {
        match self {
            Coupling::Exact => "exact",
            Coupling::Split => "split",
            Coupling::PerEvent => "per_event",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Species {
    pub name: String,
    /// Negative only for a signed value.
    pub initial: f64,
    pub quantity: Quantity,
    /// A `signed` value: a real number that the `ode` pass holds in two
    /// rails (or one, where it provably stays non-negative).
    pub signed: bool,
    pub span: Span,
    /// What the species is for ([`Role::Plain`] unless a pass says more).
    pub role: Role,
    /// Set when the species is one rail of a signed value.
    pub rail: Option<Rail>,
    /// The group whose sub-network alone uses it; `None` when shared.
    pub group: Option<GroupId>,
    /// The compartment it lives in (`species in c ...`); `None` is the
    /// reaction compartment of size `volume`.
    pub compartment: Option<String>,
}

/// A variable of the ODE system's polynomials: a species or signed value,
/// or its absolute value (`abs(z)`, which the rails give as z_p + z_m).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Variable {
    pub name: String,
    pub abs: bool,
}

/// A polynomial ODE system over named variables.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Ode {
    /// What the polynomials' variable indices stand for.
    pub variables: IndexSet<Variable>,
    /// Several equations of one target add up (a module's and its user's).
    pub equations: Vec<Equation>,
    /// The annihilation `x_p + x_m -> 0` of a signed value in one group, where
    /// it differs from the network's `annihilation` rate: another rate, or
    /// `None` for no annihilation there (the `learn` pass sets these).
    pub annihilation: IndexMap<(String, GroupId), Option<f64>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Equation {
    pub target: String,
    pub rhs: Polynomial,
    /// The group its reactions go into.
    pub group: GroupId,
    pub span: Span,
    /// As for [`Reaction::brought_in_at`].
    pub brought_in_at: Vec<Span>,
}

impl Ode {
    pub fn is_empty(&self) -> bool {
        self.equations.is_empty()
    }

    /// The index of a variable, added if new.
    pub fn variable(&mut self, name: &str, abs: bool) -> usize {
        self.variables.insert_full(Variable { name: name.to_string(), abs }).0
    }

    /// Appends another system's equations, renumbering their variables.
    pub fn extend(&mut self, other: &Ode, brought_in_at: Option<Span>) {
        let map: Vec<usize> =
            other.variables.iter().map(|v| self.variables.insert_full(v.clone()).0).collect();
        for eq in &other.equations {
            let mut eq = Equation { rhs: eq.rhs.renamed(|i| map[i]), ..eq.clone() };
            eq.brought_in_at.splice(0..0, brought_in_at);
            self.equations.push(eq);
        }
    }
}

/// A compartment of its own size: its species' concentrations are amounts
/// over that size (docs/language.md, "Compartments").
#[derive(Clone, Debug, PartialEq)]
pub struct Compartment {
    pub name: String,
    /// Finite and positive.
    pub size: f64,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub value: f64,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    pub value: f64,
    /// The parameter when the rate was written as just its name.
    pub param: Option<String>,
}

/// One term of a rate law: `coefficient · ∏ species^exponent`.
#[derive(Clone, Debug, PartialEq)]
pub struct LawTerm {
    pub coefficient: f64,
    /// (species name, exponent >= 1), each species at most once.
    pub factors: Vec<(String, u32)>,
}

/// A rate law as crnl: `c1 * A^2 * B - c2 * A + c3`.
pub struct LawText<'a, N: FactorName>(pub &'a [(f64, Vec<(N, u32)>)]);

/// How a factor of a polynomial is written in crnl.
pub trait FactorName {
    fn write(&self, f: &mut impl fmt::Write) -> fmt::Result;
}

impl<S: AsRef<str>> FactorName for S {
    fn write(&self, f: &mut impl fmt::Write) -> fmt::Result {
        write!(f, "{}", crnl_name(self.as_ref()))
    }
}

impl FactorName for &Variable {
    fn write(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self.abs {
            true => write!(f, "abs({})", crnl_name(&self.name)),
            false => write!(f, "{}", crnl_name(&self.name)),
        }
    }
}

/// Writes a law given as (coefficient, factors) terms; `0` when it has none.
pub fn write_law<N: FactorName>(f: &mut impl fmt::Write, terms: &[(f64, Vec<(N, u32)>)]) -> fmt::Result {
    if terms.is_empty() {
        return write!(f, "0");
    }
    for (i, (c, factors)) in terms.iter().enumerate() {
        let sign = if *c < 0.0 { "-" } else { "+" };
        match (i, sign) {
            (0, "+") => {}
            (0, _) => write!(f, "-")?,
            _ => write!(f, " {sign} ")?,
        }
        // A unit coefficient is left out of a product: `-q`, not `-1 * q`.
        let unit = c.abs() == 1.0 && !factors.is_empty();
        if !unit {
            write!(f, "{}", c.abs())?;
        }
        for (j, (name, e)) in factors.iter().enumerate() {
            if j > 0 || !unit {
                write!(f, " * ")?;
            }
            name.write(f)?;
            if *e != 1 {
                write!(f, "^{e}")?;
            }
        }
    }
    Ok(())
}

impl<N: FactorName> fmt::Display for LawText<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_law(f, self.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    pub label: Option<String>,
    /// (species name, coefficient), each species at most once, in source order.
    pub reactants: Vec<(String, u32)>,
    pub products: Vec<(String, u32)>,
    pub forward: Rate,
    pub reverse: Option<Rate>,
    /// A rate law (`@ law(...)`) that replaces mass action: the flux is this
    /// polynomial of the concentrations; `forward` is then 1 and `reverse` `None`.
    pub law: Option<Vec<LawTerm>>,
    pub span: Span,
    /// The `include` statements and module instances that brought the
    /// reaction into this network, outermost first; empty for a reaction
    /// written in the network itself.
    pub brought_in_at: Vec<Span>,
    /// The phase sub-network it belongs to ([`GroupId::MAIN`] by default).
    pub group: GroupId,
}

impl Reaction {
    /// The reaction with its zero-rate directions removed: a reversible one
    /// with one zero rate becomes irreversible (turned around if the forward
    /// rate is the zero one); `None` when no direction is left.
    pub fn without_zero_rates(self) -> Option<Reaction> {
        let forward_on = self.forward.value != 0.0;
        match self.reverse {
            Some(reverse) if reverse.value == 0.0 => forward_on.then_some(Reaction { reverse: None, ..self }),
            Some(reverse) if !forward_on => Some(Reaction {
                reactants: self.products,
                products: self.reactants,
                forward: reverse,
                reverse: None,
                ..self
            }),
            reverse => forward_on.then_some(Reaction { reverse, ..self }),
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.networks.values().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// The IR printed back as crnl source (what `--emit ir` shows).
impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "network {} {{", self.name)?;
        writeln!(f, "  rate_law = {};", self.rate_law.name().replace('-', "_"))?;
        writeln!(f, "  volume = {};", self.volume)?;
        if !self.ode.is_empty() || self.species.values().any(|s| s.signed) {
            writeln!(f, "  annihilation = {};", self.annihilation)?;
        }
        if let Some(separation) = self.separation {
            writeln!(f, "  separation = {separation};")?;
        }
        for c in self.compartments.values() {
            writeln!(f, "  compartment {} = {};", crnl_name(&c.name), c.size)?;
        }
        for s in self.species.values() {
            if let Some(decl) = self.learning.as_ref().and_then(|l| l.declaration(&s.name)) {
                writeln!(f, "  {decl};")?;
                continue;
            }
            if let Some(p) = self.potentials.iter().find(|p| p.name == s.name) {
                writeln!(f, "  potential {} = {} for {};", crnl_name(&s.name), s.initial, p.species_list())?;
                continue;
            }
            let kind = match (s.signed, s.role, s.quantity) {
                (true, Role::Input, _) => "input",
                (true, _, _) => "signed",
                (false, _, Quantity::Concentration) => "species",
                (false, _, Quantity::Amount) => "species amount",
            };
            let place = s.compartment.as_ref().map(|c| format!(" in {}", crnl_name(c))).unwrap_or_default();
            writeln!(f, "  {kind}{place} {} = {};", crnl_name(&s.name), s.initial)?;
        }
        if !self.energies.is_empty() {
            let entries: Vec<String> =
                self.energies.iter().map(|(s, e)| format!("{} = {e}", crnl_name(s))).collect();
            writeln!(f, "  energy {};", entries.join(", "))?;
        }
        for p in self.params.values() {
            writeln!(f, "  param {} = {};", p.name, p.value)?;
        }
        for r in self.reactions.iter() {
            write!(f, "  ")?;
            if let Some(label) = &r.label {
                write!(f, "{label}: ")?;
            }
            let arrow = if r.reverse.is_some() { "<->" } else { "->" };
            if let Some(law) = &r.law {
                let terms: Vec<(f64, Vec<(&str, u32)>)> = law
                    .iter()
                    .map(|t| (t.coefficient, t.factors.iter().map(|(n, e)| (n.as_str(), *e)).collect()))
                    .collect();
                writeln!(f, "{} -> {} @ law({});", Side(&r.reactants), Side(&r.products), LawText(&terms))?;
                continue;
            }
            write!(f, "{} {arrow} {} @ {}", Side(&r.reactants), Side(&r.products), RateText(&r.forward))?;
            if let Some(rev) = &r.reverse {
                write!(f, ", {}", RateText(rev))?;
            }
            writeln!(f, ";")?;
        }
        for rule in &self.learning_rules {
            writeln!(f, "  {rule};")?;
        }
        // One block per group; crnl has no spelling for groups, so a comment names them.
        for (g, name) in self.groups.iter().enumerate() {
            let mut equations = self.ode.equations.iter().filter(|eq| eq.group.index() == g).peekable();
            if equations.peek().is_none() {
                continue;
            }
            if self.groups.len() > 1 {
                writeln!(f, "  // group {name}")?;
                let rates: Vec<String> = (self.ode.annihilation.iter())
                    .filter(|((_, group), _)| group.index() == g)
                    .map(|((v, _), rate)| match rate {
                        Some(k) => format!("{} @ {k}", crnl_name(v)),
                        None => format!("{} none", crnl_name(v)),
                    })
                    .collect();
                if !rates.is_empty() {
                    writeln!(f, "  // annihilation here: {}", rates.join(", "))?;
                }
            }
            writeln!(f, "  ode {{")?;
            for eq in equations {
                writeln!(f, "    {}' = {};", crnl_name(&eq.target), OdeText(&self.ode.variables, &eq.rhs))?;
            }
            writeln!(f, "  }}")?;
        }
        if let Some(learning) = &self.learning {
            writeln!(f, "  {}", learning.output)?;
            write!(f, "{}", learning.settings)?;
        }
        for assignment in &self.schedule {
            writeln!(f, "  {assignment}")?;
        }
        write!(f, "{}", self.simulate)?;
        writeln!(f, "}}")
    }
}

impl fmt::Display for SimSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == SimSpec::default() {
            return Ok(());
        }
        writeln!(f, "  simulate {{")?;
        if let Some(m) = self.method {
            writeln!(f, "    method = {};", m.name())?;
        }
        let numbers = [("t_end", self.t_end), ("rtol", self.rtol), ("atol", self.atol)];
        for (name, value) in numbers {
            if let Some(v) = value {
                writeln!(f, "    {name} = {v};")?;
            }
        }
        let counts = [("points", self.points), ("trajectories", self.trajectories)];
        for (name, value) in counts {
            if let Some(v) = value {
                writeln!(f, "    {name} = {v};")?;
            }
        }
        if let Some(seed) = self.seed {
            writeln!(f, "    seed = {seed};")?;
        }
        if let Some(limit) = self.max_events {
            writeln!(f, "    max_events = {limit};")?;
        }
        if let Some(n) = self.vesicles {
            writeln!(f, "    vesicles = {n};")?;
        }
        if let Some(c) = self.coupling {
            writeln!(f, "    coupling = {};", c.name())?;
        }
        if let Some(dt) = self.dt {
            writeln!(f, "    dt = {dt};")?;
        }
        for (key, list) in [("plot", &self.plot), ("visible", &self.visible)] {
            if !list.is_empty() {
                let names: Vec<String> = list.iter().map(|p| crnl_name(p).into_owned()).collect();
                writeln!(f, "    {key} = [{}];", names.join(", "))?;
            }
        }
        writeln!(f, "  }}")
    }
}

/// A right-hand side as crnl, its variables by name.
pub struct OdeText<'a>(pub &'a IndexSet<Variable>, pub &'a Polynomial);

impl fmt::Display for OdeText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let terms: Vec<(f64, Vec<(&Variable, u32)>)> = self
            .1
            .terms
            .iter()
            .map(|(m, c)| (c.value, m.iter().map(|&(v, e)| (&self.0[v], e)).collect()))
            .collect();
        write_law(f, &terms)
    }
}

struct Side<'a>(&'a [(String, u32)]);

impl fmt::Display for Side<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "0");
        }
        for (i, (name, n)) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, " + ")?;
            }
            if *n != 1 {
                write!(f, "{n} ")?;
            }
            write!(f, "{}", crnl_name(name))?;
        }
        Ok(())
    }
}

struct RateText<'a>(&'a Rate);

impl fmt::Display for RateText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.param {
            Some(p) => write!(f, "{p}"),
            None => write!(f, "{}", self.0.value),
        }
    }
}

/// A name as crnl source: generated names (`x[0]`, `dot1.y`) and keywords
/// are written in backquotes, which the lexer reads back as one identifier.
pub fn crnl_name(name: &str) -> std::borrow::Cow<'_, str> {
    let (tokens, errors) = crate::syntax::lexer::lex(crate::source::FileId(0), name);
    match tokens.as_slice() {
        [(_, crate::syntax::lexer::Tok::Ident(id), _)] if errors.is_empty() && *id == name => name.into(),
        _ => format!("`{name}`").into(),
    }
}
