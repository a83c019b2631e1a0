//! The checked IR: networks whose names are resolved and whose expressions are
//! evaluated to numbers, still shaped like the source (reversible reactions are
//! one reaction, species keep their declaration order).
//!
//! Architecture invariant: every name in a reaction is a key of the network's
//! `species`; every value is finite; rates are positive; initial values are
//! non-negative; coefficients are in 1..=MAX_COEFFICIENT; a species'
//! compartment is a key of `compartments`, whose sizes are positive.

use std::fmt;

use indexmap::IndexMap;

use crate::source::Span;
pub use crate::syntax::ast::Quantity;

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
    /// Other compartments (`compartment c = 2;`), by name, in source order.
    pub compartments: IndexMap<String, Compartment>,
    /// The `separation` setting: how much faster the molecularity pass's
    /// binding steps are than the fastest reaction (`--separation` overrides it).
    pub separation: Option<f64>,
    pub species: IndexMap<String, Species>,
    /// Named parameters that some reaction uses directly as its rate constant,
    /// kept so that exports can name them.
    pub params: IndexMap<String, Param>,
    pub reactions: Vec<Reaction>,
    /// The network's `simulate` block: how `crnc run` simulates it.
    pub simulate: SimSpec,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Deterministic mass-action ODE.
    Ode,
    /// Exact stochastic simulation.
    Ssa,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Ode => "ode",
            Method::Ssa => "ssa",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Species {
    pub name: String,
    pub initial: f64,
    pub quantity: Quantity,
    pub span: Span,
    /// The compartment it lives in (`species in c ...`); `None` is the
    /// reaction compartment of size `volume`.
    pub compartment: Option<String>,
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
pub struct LawText<'a, N: AsRef<str>>(pub &'a [(f64, Vec<(N, u32)>)]);

/// Writes a law given as (coefficient, factors) terms; `0` when it has none.
pub fn write_law<N: AsRef<str>>(f: &mut impl fmt::Write, terms: &[(f64, Vec<(N, u32)>)]) -> fmt::Result {
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
        write!(f, "{}", c.abs())?;
        for (name, e) in factors {
            write!(f, " * {}", crnl_name(name.as_ref()))?;
            if *e != 1 {
                write!(f, "^{e}")?;
            }
        }
    }
    Ok(())
}

impl<N: AsRef<str>> fmt::Display for LawText<'_, N> {
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
        if let Some(separation) = self.separation {
            writeln!(f, "  separation = {separation};")?;
        }
        for c in self.compartments.values() {
            writeln!(f, "  compartment {} = {};", crnl_name(&c.name), c.size)?;
        }
        for s in self.species.values() {
            let kind = match s.quantity {
                Quantity::Concentration => "species",
                Quantity::Amount => "species amount",
            };
            let place = s.compartment.as_ref().map(|c| format!(" in {}", crnl_name(c))).unwrap_or_default();
            writeln!(f, "  {kind}{place} {} = {};", crnl_name(&s.name), s.initial)?;
        }
        for p in self.params.values() {
            writeln!(f, "  param {} = {};", p.name, p.value)?;
        }
        for r in &self.reactions {
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
        if !self.plot.is_empty() {
            let plot: Vec<String> = self.plot.iter().map(|p| crnl_name(p).into_owned()).collect();
            writeln!(f, "    plot = [{}];", plot.join(", "))?;
        }
        writeln!(f, "  }}")
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
