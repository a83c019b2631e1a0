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

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Statement {
    Species(SpeciesDecl),
    Param(ParamDecl),
    Reaction(Reaction),
    Include(Ident),
    /// `name = value;` network setting, e.g. `rate_law = combinatoric;`
    Setting {
        name: Ident,
        value: Expr,
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
    pub entries: Vec<SpeciesEntry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpeciesEntry {
    pub name: Ident,
    pub initial: Option<Expr>,
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
    pub species: Ident,
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
    Number { text: String, span: Span },
    Name(Ident),
    Neg { operand: Box<Expr>, span: Span },
    Binary { op: BinOp, lhs: Box<Expr>, rhs: Box<Expr>, span: Span },
    Call { function: Ident, args: Vec<Expr>, span: Span },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Number { span, .. }
            | Expr::Neg { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Call { span, .. } => *span,
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

/// Builds a binary expression node (used by the grammar's actions).
pub fn bin(op: BinOp, lhs: Expr, rhs: Expr, span: Span) -> Expr {
    Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs), span }
}
