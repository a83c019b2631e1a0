//! The syntax tree: what the user wrote, with a span on every node.
//!
//! Nothing here is checked yet; `check` turns it into the IR.

use crate::source::Span;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SourceFileAst {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Item {
    Import(Import),
    Param(ParamDecl),
    Network(Network),
    Module(Module),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Import {
    pub target: ImportTarget,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum ImportTarget {
    /// `import "relative/path.crnl";` (the string without its quotes)
    File { path: String, span: Span },
    /// `import std::name;`
    Module { path: Vec<Ident> },
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Network {
    pub name: Ident,
    pub statements: Vec<Statement>,
    pub span: Span,
}

/// `module name[params](inputs) -> outputs { statements }`: a reusable
/// circuit, expanded where it is instantiated.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Module {
    pub name: Ident,
    /// Compile-time numbers, with optional defaults: `[n, k = 1]`.
    pub params: Vec<(Ident, Option<Expr>)>,
    /// Species the caller passes in.
    pub inputs: Vec<Port>,
    /// Species the module makes, bound to names at the call.
    pub outputs: Vec<Port>,
    pub statements: Vec<Statement>,
    pub span: Span,
}

/// A species port of a module: a scalar, or an array `w[n]`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Port {
    pub name: Ident,
    pub size: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Statement {
    Species(SpeciesDecl),
    Param(ParamDecl),
    Reaction(Reaction),
    Include(Ident),
    /// `name = value;` is a network setting (`rate_law = combinatoric;`);
    /// `y = module(...);` instantiates a module and binds its outputs to the
    /// targets.
    Assign {
        targets: Vec<SpeciesRef>,
        value: Expr,
        span: Span,
    },
    /// `signed x = -1, y;`: values that may be negative (dual rail `x_p - x_m`
    /// unless the compiler shows they stay non-negative).
    Signed(SpeciesDecl),
    /// `ode { x' = -y; y' = x; }`: polynomial dynamics, lowered to reactions.
    Ode {
        equations: Vec<OdeItem>,
        span: Span,
    },
    /// `input x[2];`, `state z[3] = [x[0], x[1], 1];`, `learn theta[3] ~ normal(0, 1);`:
    /// the signed values of a Neural CRN, by what they are for.
    Model {
        kind: ModelKind,
        decl: SpeciesDecl,
    },
    /// `output y = sum(z);`: a Neural CRN's prediction, linear in the state.
    Output {
        name: Ident,
        value: Expr,
        span: Span,
    },
    /// `energy X = -3, Y = 0.5;`: species energies in units of k_B·T, from
    /// which reversible reactions without a reverse rate get their rates.
    Energy {
        entries: Vec<(SpeciesRef, Expr)>,
        span: Span,
    },
    /// `potential P = 1000 for X, Y;`: a chemical potential (an amount, in the
    /// species form) created and destroyed with the species it is for.
    Potential {
        decl: SpeciesDecl,
        species: Vec<SpeciesRef>,
    },
    /// `learn P: X ~ Q @ k[, eps];`: the learning reactions that move the
    /// potential P until the mean of X matches the target's (a species, a
    /// number times a species, or a number).
    LearnRule {
        potential: SpeciesRef,
        model: SpeciesRef,
        target: Expr,
        rates: Vec<Expr>,
        span: Span,
    },
    /// `boltzmann_machine { visible X0, X1; hidden H; edges W0 = X0 * H; rate = 100; }`:
    /// an edge-species chemical Boltzmann machine (domain.md §3.8), with
    /// `learn @ k;` its clamped copy and learning rules (§3.7).
    Boltzmann {
        items: Vec<BoltzmannItem>,
        span: Span,
    },
    /// `train { epochs = 80; rate = 0.6; }`: how `crnc run` trains the network.
    Train {
        settings: Vec<SimSetting>,
        span: Span,
    },
    /// `for i in start..end { body }`, `end` excluded.
    For {
        var: Ident,
        start: Expr,
        end: Expr,
        body: Vec<Statement>,
        span: Span,
    },
    /// `at 10: Q = 10, R = 0;`: at time 10 the run sets each species to its
    /// value (an assignment at a fixed time: an SBML event).
    Schedule {
        time: Expr,
        values: Vec<(SpeciesRef, Expr)>,
        span: Span,
    },
    /// `compartment nucleus = 2;`: a compartment of its own size, for the
    /// species declared `in` it.
    Compartment {
        name: Ident,
        size: Expr,
        span: Span,
    },
    /// `simulate { t_end = 100; plot = [X, Y]; }`: how `crnc run` simulates.
    Simulate {
        settings: Vec<SimSetting>,
        span: Span,
    },
}

/// One line of a `boltzmann_machine` block.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum BoltzmannItem {
    /// `visible X0, X1;` or `hidden H;` (`kind` names which).
    Units { kind: Ident, names: Vec<Ident> },
    /// `edges W0 = X0 * H, W1 = X1 * H;`: (edge, unit, unit).
    Edges { kind: Ident, edges: Vec<(Ident, Ident, Ident)> },
    /// `rate = 100;`
    Setting { name: Ident, value: Expr },
    /// `learn @ 0.01;`
    Learn { rate: Expr, span: Span },
    /// `clamp X0 ~ alpha * R0 @ 2.5, ...;`: (visible unit, target, rate).
    Clamps { kind: Ident, clamps: Vec<(Ident, Expr, Expr)> },
}

/// What a Neural CRN's signed declaration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ModelKind {
    Input,
    State,
    Learn,
}

impl ModelKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ModelKind::Input => "input",
            ModelKind::State => "state",
            ModelKind::Learn => "learn",
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SimSetting {
    pub name: Ident,
    pub value: SimValue,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum SimValue {
    Expr(Expr),
    /// `[A, B]` or `[50, 100]`, with the span of the brackets.
    List(Vec<Expr>, Span),
    /// `csv("train.csv", "validation.csv")`: a function of file paths (without quotes).
    Files {
        function: Ident,
        paths: Vec<(String, Span)>,
        span: Span,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Quantity {
    Concentration,
    Amount,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpeciesDecl {
    pub quantity: Quantity,
    /// `species in c ...`: the compartment the entries live in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compartment: Option<Ident>,
    pub entries: Vec<SpeciesEntry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpeciesEntry {
    pub name: Ident,
    /// `x[n]` declares an array `x[0]` .. `x[n-1]`.
    pub size: Option<Expr>,
    pub initial: Option<Initial>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Initial {
    /// One value (for every element of an array).
    Value(Expr),
    /// One value per element: `= [1, 2, 3]`.
    List(Vec<Expr>, Span),
    /// A value computed for each element `i`: `= [exp(-i) for i]`.
    Each { value: Expr, var: Ident },
    /// `~ normal(0, 1)`: drawn from a distribution (learned values only).
    Draw(Expr),
}

/// An item of an `ode` block: an equation or a loop of them.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum OdeItem {
    Equation(OdeEquation),
    /// `for i in start..end { z[i]' = ...; }`, `end` excluded.
    For {
        var: Ident,
        start: Expr,
        end: Expr,
        body: Vec<OdeItem>,
        span: Span,
    },
}

/// `x' = rhs;` in an `ode` block.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OdeEquation {
    pub target: SpeciesRef,
    pub rhs: Expr,
    pub span: Span,
}

/// A species named in a reaction or a call: `x`, `x[i + 1]`, `dot1.y`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpeciesRef {
    pub name: Ident,
    /// At most one, checked later: the parser shares brackets with module calls.
    pub indices: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ParamDecl {
    pub entries: Vec<(Ident, Expr)>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Direction {
    Forward,
    Reversible,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Reaction {
    pub label: Option<Ident>,
    pub reactants: Complex,
    pub direction: Direction,
    pub arrow: Span,
    pub products: Complex,
    /// Empty (rate 1), one (forward) or two (forward, reverse) expressions.
    pub rates: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Complex {
    /// Nothing written between the arrows, `0` or `∅`.
    Empty {
        span: Span,
    },
    /// A number standing alone where a complex belongs; only `0` means empty.
    Number {
        text: String,
        span: Span,
    },
    Terms(Vec<Term>),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Term {
    /// The coefficient as written (`2` in `2X`), if any.
    pub coefficient: Option<(String, Span)>,
    pub species: SpeciesRef,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Expr {
    Number {
        text: String,
        span: Span,
    },
    Name(Ident),
    Neg {
        operand: Box<Expr>,
        span: Span,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    /// `f(args)`, or a module instantiation `m[params](args)`.
    Call {
        function: Ident,
        params: Vec<Expr>,
        args: Vec<Expr>,
        span: Span,
    },
    /// `x[i]`: an array element, where a species is expected (one index;
    /// the parser accepts a list so that the checker can say what is wrong).
    Index {
        name: Ident,
        indices: Vec<Expr>,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Number { span, .. }
            | Expr::Neg { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Call { span, .. }
            | Expr::Index { span, .. } => *span,
            Expr::Name(id) => id.span,
        }
    }

    /// The parameter name if the expression is exactly one name (`@ k1`).
    pub fn as_name(&self) -> Option<&Ident> {
        match self {
            Expr::Name(id) => Some(id),
            _ => None,
        }
    }
}

/// The nodes of a list the grammar built boxed, unboxed; `None` marks one
/// that failed to parse (reported already). The grammar boxes every node
/// larger than an expression: see its note on `Statement`.
pub fn present<T>(nodes: Vec<Option<Box<T>>>) -> Vec<T> {
    let mut out = Vec::with_capacity(nodes.len());
    out.extend(nodes.into_iter().flatten().map(|n| *n));
    out
}

/// The nodes of a list the grammar built boxed, unboxed.
pub fn unboxed<T>(nodes: Vec<Box<T>>) -> Vec<T> {
    nodes.into_iter().map(|n| *n).collect()
}

/// [`unboxed`] of `nodes` followed by `last` (a list the grammar splits into
/// its separated items and the last one).
pub fn unboxed_with<T>(nodes: Vec<Box<T>>, last: T) -> Vec<T> {
    let mut out = Vec::with_capacity(nodes.len() + 1);
    out.extend(nodes.into_iter().map(|n| *n));
    out.push(last);
    out
}

/// Builds a binary expression node (used by the grammar's actions).
pub fn bin(op: BinOp, lhs: Expr, rhs: Expr, span: Span) -> Expr {
    Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs), span }
}

impl Expr {
    /// Nesting depth, computed without recursion so that any input is safe.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1)];
        while let Some((e, d)) = stack.pop() {
            deepest = deepest.max(d);
            match e {
                Expr::Number { .. } | Expr::Name(_) => {}
                Expr::Neg { operand, .. } => stack.push((operand, d + 1)),
                Expr::Binary { lhs, rhs, .. } => {
                    stack.push((lhs, d + 1));
                    stack.push((rhs, d + 1));
                }
                Expr::Call { params, args, .. } => {
                    stack.extend(params.iter().chain(args).map(|a| (a, d + 1)))
                }
                Expr::Index { indices, .. } => stack.extend(indices.iter().map(|a| (a, d + 1))),
            }
        }
        deepest
    }
}

/// Dropping a deeply nested expression must not recurse once per level (a
/// file of 100,000 unary minuses would overflow the stack): children are
/// moved onto a heap-allocated stack and dropped one at a time.
impl Drop for Expr {
    fn drop(&mut self) {
        let mut stack: Vec<Expr> = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut e) = stack.pop() {
            take_children(&mut e, &mut stack);
        }
    }
}

fn take_children(e: &mut Expr, stack: &mut Vec<Expr>) {
    let leaf = || Expr::Number {
        text: String::new(),
        span: Span { file: crate::source::FileId(0), start: 0, end: 0 },
    };
    match e {
        Expr::Number { .. } | Expr::Name(_) => {}
        Expr::Neg { operand, .. } => stack.push(std::mem::replace(operand.as_mut(), leaf())),
        Expr::Binary { lhs, rhs, .. } => {
            stack.push(std::mem::replace(lhs.as_mut(), leaf()));
            stack.push(std::mem::replace(rhs.as_mut(), leaf()));
        }
        Expr::Call { params, args, .. } => {
            stack.append(params);
            stack.append(args);
        }
        Expr::Index { indices, .. } => stack.append(indices),
    }
}
