//! `signed` values and `ode` blocks, lowered to mass-action reactions by the
//! catalytic sign-parity rule (domain.md §1.5-1.7; docs/language.md).
//!
//! Each term c·∏y^e of x' becomes, for every choice of rails of its signed
//! factors, a reaction with all factors as catalysts that produces one
//! molecule of the target's rail of sign sgn(c)·(-1)^(minus rails), at rate
//! |c| times the number of equal choices. A value stays single rail when it
//! starts non-negative and every term of its equation that may be negative
//! has it as a factor (the Hungarian lemma: no negative cross-effects); the
//! largest such set of values is found as a fixpoint, since each value's
//! proof may rely on others being non-negative. Other signed values are dual
//! rail `x_p - x_m`, with `x_p + x_m -> 0` at the network's `annihilation`
//! rate keeping one rail near 0; the difference is exact whatever that rate.

use std::collections::{HashMap, HashSet};

use crate::backend::number;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, RateLaw};
use crate::polynomial::{self, Coefficient, Polynomial, TooManyTerms};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, Expr, Statement};

use super::Checker;
use super::elaborate::{Binding, Frame, Work};
use super::network::{Builder, SpeciesOrigin};

/// A signed value of the body being expanded, before its rails are chosen.
#[derive(Clone, Debug)]
pub(super) struct SignedVar {
    pub initial: f64,
    pub span: Span,
}

/// One equation, resolved: the target's flat name and its right-hand side.
struct Equation {
    target: String,
    rhs: Polynomial,
    span: Span,
}

impl<'w> Checker<'w> {
    /// `signed x = v;`: like a species declaration, but negative values are
    /// allowed and no species exists until the rails are chosen.
    pub(super) fn declare_signed(&mut self, frame: &mut Frame, decl: &ast::SpeciesDecl) {
        for entry in &decl.entries {
            let flat = format!("{}{}", frame.prefix, entry.name.name);
            let value = match &entry.initial {
                None => Some(0.0),
                Some(ast::Initial::Value(expr)) => self.finite_value(&entry.name.name, expr, frame),
                Some(other) => {
                    let span = match other {
                        ast::Initial::List(_, span) => *span,
                        _ => entry.name.span,
                    };
                    self.diags.push(
                        Diagnostic::error("E0220", "a signed value takes one initial value")
                            .with_primary(span, "signed arrays are written as several signed values")
                            .with_hint("declare `signed x0 = 1, x1 = -2;`"),
                    );
                    None
                }
            };
            if entry.size.is_some() {
                self.diags.push(
                    Diagnostic::error("E0220", "signed values cannot be arrays")
                        .with_primary(entry.name.span, "an array of signed values")
                        .with_hint("declare them one by one: `signed x0, x1, x2;`"),
                );
                continue;
            }
            let Some(initial) = value else { continue };
            frame.species.insert(entry.name.name.clone(), Binding::Scalar(flat.clone()));
            frame.signed.insert(flat, SignedVar { initial, span: entry.name.span });
        }
    }

    fn finite_value(&mut self, name: &str, expr: &Expr, frame: &Frame) -> Option<f64> {
        let v = self.eval(expr, frame.env)?;
        if v.is_finite() {
            Some(v)
        } else {
            self.diags.push(super::eval::not_finite(
                &format!("the initial value of `{name}`"),
                expr.span(),
                v,
            ));
            None
        }
    }

    /// Chooses the rails of the body's signed values, declares their species,
    /// and lowers its `ode` blocks to reactions.
    pub(super) fn lower_odes(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        statements: &[Statement],
    ) -> Vec<ir::Reaction> {
        // Variables are numbered per body; an instance inside is lowered with its own numbering.
        let outer = std::mem::take(&mut self.ode_variables);
        let reactions = self.lower_body_odes(b, frame, statements);
        self.ode_variables = outer;
        reactions
    }

    fn lower_body_odes(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        statements: &[Statement],
    ) -> Vec<ir::Reaction> {
        let mut equations: Vec<Equation> = Vec::new();
        for statement in statements {
            let Statement::Ode { equations: eqs, .. } = statement else { continue };
            for eq in eqs {
                if let Some(e) = self.equation(b, frame, eq, &equations) {
                    equations.push(e);
                }
            }
        }
        let single = self.single_rail(frame, &equations);
        let origin = if frame.prefix.is_empty() { SpeciesOrigin::Declared } else { SpeciesOrigin::Generated };
        let targets: HashSet<&str> = equations.iter().map(|e| e.target.as_str()).collect();
        let mut rails: HashMap<String, Rails> = HashMap::new();
        for (flat, var) in &frame.signed {
            let mut declare = |name: String, initial: f64| {
                let species = ir::Species {
                    name: name.clone(),
                    initial,
                    quantity: ast::Quantity::Concentration,
                    span: var.span,
                    compartment: None,
                };
                b.declare(self, &name, species, origin);
                name
            };
            if single.contains(flat) {
                declare(flat.clone(), var.initial);
            } else if !targets.contains(flat.as_str()) {
                // A negative constant: its + rail would stay 0, so it has only the - rail.
                rails.insert(
                    flat.clone(),
                    Rails { p: None, m: Some(declare(format!("{flat}_m"), -var.initial)) },
                );
            } else {
                // Positive part and negative part; `0.0`, never `-0`, for the empty rail.
                let p = declare(format!("{flat}_p"), if var.initial > 0.0 { var.initial } else { 0.0 });
                let m = declare(format!("{flat}_m"), if var.initial < 0.0 { -var.initial } else { 0.0 });
                rails.insert(flat.clone(), Rails { p: Some(p), m: Some(m) });
            }
        }
        let names: HashMap<usize, String> = self.ode_variables.iter().map(|(n, &i)| (i, n.clone())).collect();
        let mut reactions = Vec::new();
        for eq in &equations {
            for (monomial, c) in &eq.rhs.terms {
                let factors: Vec<(String, u32)> =
                    monomial.iter().map(|&(v, e)| (names[&v].clone(), e)).collect();
                let term = Term { target: &eq.target, factors: &factors, c: c.value };
                // Charged before the rail choices are made: their number is a product of powers.
                if !self.charge(Work::Reaction, term.size(&rails), eq.span) {
                    return reactions;
                }
                let made = term.reactions(&rails, b.rate_law, eq.span);
                // Powers multiply coefficients; rail choices and the combinatoric ∏α! multiply them again.
                if let Some(r) = made.iter().find(|r| !r.forward.value.is_finite()) {
                    self.diags.push(
                        Diagnostic::error(
                            "E0302",
                            "a term of the right-hand side has a rate that is not a finite number",
                        )
                        .with_primary(
                            eq.span,
                            format!(
                                "a term of this equation expands to the rate {}",
                                number(r.forward.value)
                            ),
                        )
                        .with_hint(
                            "rescale the equation: a power of a sum raises its coefficients to that power",
                        ),
                    );
                    break;
                }
                reactions.extend(made);
            }
        }
        for (flat, var) in &frame.signed {
            if let Some(Rails { p: Some(p), m: Some(m) }) = rails.get(flat) {
                reactions.push(ir::Reaction {
                    label: None,
                    reactants: vec![(p.clone(), 1), (m.clone(), 1)],
                    products: Vec::new(),
                    forward: ir::Rate { value: b.annihilation, param: None },
                    reverse: None,
                    span: var.span,
                    brought_in_at: Vec::new(),
                    law: None,
                });
            }
        }
        reactions
    }

    /// One equation: its target resolved and its right-hand side a polynomial.
    fn equation(
        &mut self,
        b: &Builder,
        frame: &Frame,
        eq: &ast::OdeEquation,
        earlier: &[Equation],
    ) -> Option<Equation> {
        let target =
            self.ode_variable(b, frame, &eq.target.name, eq.target.indices.first(), eq.target.span)?;
        if let Some(first) = earlier.iter().find(|e| e.target == target) {
            self.diags.push(
                Diagnostic::error("E0220", format!("`{target}` has two equations"))
                    .with_primary(eq.span, "a second equation")
                    .with_secondary(first.span, "the first")
                    .with_hint("add the right-hand sides into one equation"),
            );
            return None;
        }
        let rhs = self.polynomial(b, frame, &eq.rhs)?;
        // A factor's power becomes that many catalyst molecules, plus the one produced.
        if let Some(&(_, e)) = rhs.terms.keys().flatten().find(|&&(_, e)| e >= ir::MAX_COEFFICIENT) {
            self.diags.push(
                Diagnostic::error(
                    "E0222",
                    match e {
                        // Saturated: the true power is larger still.
                        u32::MAX => format!("a term has a factor to a power of at least {e}"),
                        _ => format!("a term has a factor to the power {e}"),
                    },
                )
                .with_primary(
                    eq.rhs.span(),
                    format!("at most {} molecules of one species per complex", ir::MAX_COEFFICIENT),
                )
                .with_hint("each power becomes that many molecules in a reaction; rescale the equation"),
            );
            return None;
        }
        Some(Equation { target, rhs, span: eq.span })
    }

    /// A rate law's polynomial, with the flat species name of each variable index.
    pub(super) fn law_polynomial(
        &mut self,
        b: &Builder,
        frame: &Frame,
        expr: &Expr,
    ) -> Option<(Polynomial, HashMap<usize, String>)> {
        let outer = std::mem::take(&mut self.ode_variables);
        let law = self.polynomial(b, frame, expr);
        let variables = std::mem::replace(&mut self.ode_variables, outer);
        Some((law?, variables.into_iter().map(|(n, i)| (i, n)).collect()))
    }

    /// A species or signed value of the frame, by flat name.
    fn ode_variable(
        &mut self,
        b: &Builder,
        frame: &Frame,
        name: &ast::Ident,
        index: Option<&Expr>,
        span: Span,
    ) -> Option<String> {
        let flat = match frame.species.get(&name.name) {
            Some(Binding::Scalar(flat)) if index.is_none() => flat.clone(),
            _ => {
                let r = ast::SpeciesRef {
                    name: name.clone(),
                    indices: index.into_iter().cloned().collect(),
                    span,
                };
                self.species_ref(b, frame, &r)?
            }
        };
        Some(flat)
    }

    /// Whether a name in an equation is a species or signed value (rather than a number).
    fn names_variable(&self, b: &Builder, frame: &Frame, name: &str) -> bool {
        frame.species.contains_key(name) || b.species.contains_key(&format!("{}{name}", frame.prefix))
    }

    fn polynomial(&mut self, b: &Builder, frame: &Frame, expr: &Expr) -> Option<Polynomial> {
        if !self.mentions_variable(b, frame, expr) {
            let v = self.eval(expr, frame.env)?;
            return Some(Polynomial::constant(Coefficient::number(v)));
        }
        let not_polynomial = |what: &str, span: Span| {
            Diagnostic::error("E0222", format!("the right-hand side is not a polynomial: {what}"))
                .with_primary(span, "here")
                .with_hint("ode right-hand sides are sums of numbers times whole powers of species")
        };
        match expr {
            Expr::Name(id) => {
                let flat = self.ode_variable(b, frame, id, None, id.span)?;
                Some(Polynomial::species(self.variable_index(flat)))
            }
            Expr::Index { name, indices, span } => {
                let flat = self.ode_variable(b, frame, name, indices.first(), *span)?;
                Some(Polynomial::species(self.variable_index(flat)))
            }
            Expr::Neg { operand, .. } => Some(self.polynomial(b, frame, operand)?.negated()),
            Expr::Binary { op, lhs, rhs, span } => {
                let left = self.polynomial(b, frame, lhs);
                match op {
                    BinOp::Add => Some(left?.plus(self.polynomial(b, frame, rhs)?)),
                    BinOp::Sub => Some(left?.plus(self.polynomial(b, frame, rhs)?.negated())),
                    BinOp::Mul => {
                        let (left, right) = (left?, self.polynomial(b, frame, rhs)?);
                        // The work of a product is its pairs of terms, even when like terms cancel.
                        let pairs = left.terms.len().saturating_mul(right.terms.len());
                        // One refused for its size is E0223, whatever the budget.
                        if pairs <= polynomial::MAX_PAIRS && !self.charge(Work::TermProduct, pairs, *span) {
                            return None;
                        }
                        left.times(&right).map_err(|e| self.diags.push(too_many_terms(e, *span))).ok()
                    }
                    BinOp::Div if !self.mentions_variable(b, frame, rhs) => {
                        let d = self.eval(rhs, frame.env)?;
                        if d == 0.0 {
                            self.diags.push(not_polynomial("a division by zero", rhs.span()));
                            return None;
                        }
                        Some(left?.scaled(&Coefficient::number(1.0 / d)))
                    }
                    BinOp::Div => {
                        self.diags.push(not_polynomial("a division by a species", rhs.span()));
                        None
                    }
                    BinOp::Pow => {
                        let e = if self.mentions_variable(b, frame, rhs) {
                            None
                        } else {
                            self.eval(rhs, frame.env)
                        };
                        match e {
                            Some(e) if e.fract() == 0.0 && (0.0..=1000.0).contains(&e) => {
                                let base = left?;
                                let power = base.power_charged(e as u32, |pairs| {
                                    self.charge(Work::TermProduct, pairs, *span)
                                });
                                power.map_err(|e| self.diags.push(too_many_terms(e, *span))).ok().flatten()
                            }
                            _ => {
                                self.diags.push(not_polynomial(
                                    "a power that is not a whole number from 0 to 1000",
                                    rhs.span(),
                                ));
                                None
                            }
                        }
                    }
                }
            }
            Expr::Call { span, .. } => {
                self.diags.push(not_polynomial("a function of a species", *span));
                None
            }
            Expr::Number { .. } => unreachable!("a number mentions no variable"),
        }
    }

    fn mentions_variable(&self, b: &Builder, frame: &Frame, expr: &Expr) -> bool {
        match expr {
            Expr::Number { .. } => false,
            Expr::Name(id) => self.names_variable(b, frame, &id.name),
            Expr::Index { .. } => true,
            Expr::Neg { operand, .. } => self.mentions_variable(b, frame, operand),
            Expr::Binary { lhs, rhs, .. } => {
                self.mentions_variable(b, frame, lhs) || self.mentions_variable(b, frame, rhs)
            }
            Expr::Call { params, args, .. } => {
                params.iter().chain(args).any(|a| self.mentions_variable(b, frame, a))
            }
        }
    }

    /// The index of a variable in the polynomials of this lowering.
    fn variable_index(&mut self, flat: String) -> usize {
        let next = self.ode_variables.len();
        *self.ode_variables.entry(flat).or_insert(next)
    }

    /// The signed values (and species) that provably stay non-negative: the
    /// largest set whose every possibly negative term has its target as a
    /// factor. A plain species whose equation breaks this is an error.
    fn single_rail(&mut self, frame: &Frame, equations: &[Equation]) -> HashSet<String> {
        let mut single: HashSet<String> =
            frame.signed.iter().filter(|(_, v)| v.initial >= 0.0).map(|(f, _)| f.clone()).collect();
        let names: HashMap<usize, String> = self.ode_variables.iter().map(|(n, &i)| (i, n.clone())).collect();
        let targets: HashSet<&str> = equations.iter().map(|e| e.target.as_str()).collect();
        // The sign of a factor: plain species and single-rail values are >= 0, a
        // signed constant keeps the sign it starts with, other values may be either.
        let sign = |single: &HashSet<String>, name: &str| match frame.signed.get(name) {
            None => Some(1),
            Some(_) if single.contains(name) => Some(1),
            Some(v) if !targets.contains(name) => Some(if v.initial < 0.0 { -1 } else { 1 }),
            Some(_) => None,
        };
        loop {
            let failing: Vec<&Equation> = equations
                .iter()
                .filter(|eq| single.contains(&eq.target))
                .filter(|eq| offending_term(eq, &names, |n| sign(&single, n)).is_some())
                .collect();
            if failing.is_empty() {
                break;
            }
            for eq in failing {
                single.remove(&eq.target);
            }
        }
        for eq in equations.iter().filter(|eq| !frame.signed.contains_key(&eq.target)) {
            if let Some(term) = offending_term(eq, &names, |n| sign(&single, n)) {
                self.diags.push(
                    Diagnostic::error("E0221", format!("species `{}` could become negative", eq.target))
                        .with_primary(eq.span, format!("the term `{term}` may be negative and has no factor `{}`", eq.target))
                        .with_note("a species is a concentration, so its equation may only decrease it through terms that have it as a factor (no negative cross-effects)")
                        .with_hint(format!("declare it `signed {}` to represent it with two rails", eq.target)),
                );
            }
        }
        single
    }
}

/// E0223: a product or power of an `ode` right-hand side past
/// [`polynomial::MAX_TERMS`], which once left the equation silently empty.
fn too_many_terms(e: TooManyTerms, span: Span) -> Diagnostic {
    Diagnostic::error("E0223", "the right-hand side expands to too many terms")
        .with_primary(span, format!("this expands to up to {} terms", e.terms))
        .with_note(format!(
            "an ode right-hand side is expanded into a sum of monomials, each at least one reaction; a product may have at most {} terms",
            polynomial::MAX_TERMS
        ))
        .with_hint("give a repeated sum a value of its own (`signed s = ...;` with `s'` the sum of the derivatives) and raise that to the power")
}

/// The first term of the equation that may be negative without the target
/// as a factor, as text. `sign` gives a factor's sign, `None` when unknown.
fn offending_term(
    eq: &Equation,
    names: &HashMap<usize, String>,
    sign: impl Fn(&str) -> Option<i32>,
) -> Option<String> {
    eq.rhs.terms.iter().find_map(|(monomial, c)| {
        let has_target = monomial.iter().any(|&(v, _)| names[&v] == eq.target);
        let factor_signs: Option<i32> =
            monomial.iter().map(|&(v, e)| if e % 2 == 0 { Some(1) } else { sign(&names[&v]) }).product();
        let positive = c.value > 0.0 && factor_signs == Some(1);
        (!positive && !has_target).then(|| {
            let factors: Vec<String> = monomial
                .iter()
                .map(|&(v, e)| if e == 1 { names[&v].clone() } else { format!("{}^{e}", names[&v]) })
                .collect();
            match (c.value, factors.is_empty()) {
                (_, true) => number(c.value),
                (1.0, false) => factors.join("*"),
                (-1.0, false) => format!("-{}", factors.join("*")),
                (v, false) => format!("{}*{}", number(v), factors.join("*")),
            }
        })
    })
}

/// The species of a value kept in two rails; a negative constant has only its - rail.
struct Rails {
    p: Option<String>,
    m: Option<String>,
}

/// A choice of rails for some factors: the reactants it takes, the sign
/// (-1)^(minus rails), and how many ordered choices it stands for.
#[derive(Clone)]
struct RailChoice {
    reactants: Vec<(String, u32)>,
    sign: i32,
    multiplicity: f64,
}

/// One term c·∏ y^e of the equation of `target`.
struct Term<'a> {
    target: &'a str,
    factors: &'a [(String, u32)],
    c: f64,
}

impl Term<'_> {
    /// Its reactions: one per choice of rails, equal choices merged (y² with
    /// one minus rail counts twice). A decay `-c·x·m` of a two-rail x by
    /// single-rail factors m consumes each rail instead (exact for a term
    /// linear in x, and without the rails' growth of the catalytic form).
    fn reactions(&self, rails: &HashMap<String, Rails>, rate_law: RateLaw, span: Span) -> Vec<ir::Reaction> {
        let reaction = |reactants: Vec<(String, u32)>, products: Vec<(String, u32)>, multiplicity: f64| {
            let symmetry: f64 = match rate_law {
                RateLaw::Combinatoric => crate::crn::factorial_product(reactants.iter().map(|&(_, n)| n)),
                RateLaw::MassAction => 1.0,
            };
            ir::Reaction {
                label: None,
                reactants,
                products,
                forward: ir::Rate { value: self.c.abs() * multiplicity * symmetry, param: None },
                reverse: None,
                span,
                brought_in_at: Vec::new(),
                law: None,
            }
        };
        let target_rails = rails.get(self.target);
        let others_single =
            self.factors.iter().all(|(n, e)| (n == self.target && *e == 1) || !rails.contains_key(n));
        let linear_in_target = self.factors.iter().any(|(n, e)| n == self.target && *e == 1);
        if let Some(Rails { p: Some(p), m: Some(m) }) = target_rails
            && self.c < 0.0
            && linear_in_target
            && others_single
        {
            let others: Vec<(String, u32)> =
                self.factors.iter().filter(|(n, _)| n != self.target).cloned().collect();
            return [p, m]
                .into_iter()
                .map(|rail| {
                    let mut reactants = others.clone();
                    add(&mut reactants, rail, 1);
                    reaction(reactants, others.clone(), 1.0)
                })
                .collect();
        }
        self.rail_choices(rails)
            .into_iter()
            .filter_map(|RailChoice { reactants, sign, multiplicity }| {
                let positive = (self.c > 0.0) == (sign > 0);
                let mut products = reactants.clone();
                match target_rails {
                    Some(r) => add(&mut products, if positive { r.p.as_ref()? } else { r.m.as_ref()? }, 1),
                    None if positive => add(&mut products, self.target, 1),
                    // Single rail: the proof of non-negativity made the target a factor.
                    None => remove_one(&mut products, self.target)?,
                }
                Some(reaction(reactants, products, multiplicity))
            })
            .collect()
    }

    /// At most how many reactions [`Term::reactions`] makes: one per choice of rails.
    fn size(&self, rails: &HashMap<String, Rails>) -> usize {
        self.factors
            .iter()
            .map(|(name, e)| if rails.contains_key(name) { *e as usize + 1 } else { 1 })
            .fold(1, usize::saturating_mul)
    }

    /// Every combination of rails of the factors (rails that do not exist are left out).
    fn rail_choices(&self, rails: &HashMap<String, Rails>) -> Vec<RailChoice> {
        let mut choices = vec![RailChoice { reactants: Vec::new(), sign: 1, multiplicity: 1.0 }];
        for (name, e) in self.factors {
            let options: Vec<RailChoice> = match rails.get(name) {
                None => vec![RailChoice { reactants: vec![(name.clone(), *e)], sign: 1, multiplicity: 1.0 }],
                Some(r) => (0..=*e)
                    .filter(|&k| (k == *e || r.p.is_some()) && (k == 0 || r.m.is_some()))
                    .map(|k| RailChoice {
                        reactants: [(r.p.clone(), e - k), (r.m.clone(), k)]
                            .into_iter()
                            .filter_map(|(rail, n)| Some((rail?, n)).filter(|_| n > 0))
                            .collect(),
                        sign: if k % 2 == 0 { 1 } else { -1 },
                        multiplicity: binomial(*e, k),
                    })
                    .collect(),
            };
            choices = choices
                .iter()
                .flat_map(|a| {
                    options.iter().map(move |b| RailChoice {
                        reactants: [a.reactants.clone(), b.reactants.clone()].concat(),
                        sign: a.sign * b.sign,
                        multiplicity: a.multiplicity * b.multiplicity,
                    })
                })
                .collect();
        }
        choices
    }
}

fn add(side: &mut Vec<(String, u32)>, name: &str, n: u32) {
    match side.iter_mut().find(|(s, _)| s == name) {
        Some((_, m)) => *m += n,
        None => side.push((name.to_string(), n)),
    }
}

fn remove_one(side: &mut Vec<(String, u32)>, name: &str) -> Option<()> {
    let i = side.iter().position(|(s, _)| s == name)?;
    side[i].1 -= 1;
    if side[i].1 == 0 {
        side.remove(i);
    }
    Some(())
}

fn binomial(n: u32, k: u32) -> f64 {
    (0..k).map(|i| f64::from(n - i) / f64::from(i + 1)).product::<f64>().round()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::diagnostic::Diagnostic;
    use crate::driver;
    use crate::source::MemoryFs;

    /// The reactions producing `z` in `z' = rhs`, or the error codes.
    fn producing_z(rhs: &str) -> Result<usize, Vec<&'static str>> {
        let src = format!(
            "network P {{ species x = 0.1, w = 0.1, u = 0.1, v = 0.1, a = 0.1, z; ode {{ z' = {rhs}; }} }}"
        );
        let fs = MemoryFs::new().with("p.crnl", src);
        let front = driver::front_end(&fs, Path::new("p.crnl"));
        if front.has_errors() {
            return Err(front.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code).collect());
        }
        let network = &front.program.networks[0];
        let makes_z = |r: &&crate::ir::Reaction| r.products.iter().any(|(s, _)| s == "z");
        Ok(network.reactions.iter().filter(makes_z).count())
    }

    #[test]
    fn powers_whose_partial_products_exceeded_the_limit_expand_in_full() {
        // Each of these once gave no reaction at all, and z stayed 0.
        assert_eq!(producing_z("(x+w+u+v+a)^13"), Ok(2380));
        assert_eq!(producing_z("(x+w+u+v+a)^14"), Ok(3060));
        assert_eq!(producing_z("(x+w+u+v)^24"), Ok(2925));
        assert_eq!(producing_z("(x+w+u)^100"), Ok(5151));
    }

    #[test]
    fn a_right_hand_side_beyond_the_limit_is_an_error_with_the_count() {
        assert_eq!(producing_z("(x+w+u+v+a)^30"), Err(vec!["E0223"]));
        assert_eq!(producing_z("(x+w+u+v+a)^10 * (x+w+u+v+a)^10"), Err(vec!["E0223"]));
        let fs = MemoryFs::new()
            .with("p.crnl", "network P { species x = 0.1, w, u, v, a, z; ode { z' = (x+w+u+v+a)^30; } }");
        let front = driver::front_end(&fs, Path::new("p.crnl"));
        let d: &Diagnostic = front.diagnostics.iter().find(|d| d.code == "E0223").expect("E0223");
        assert!(d.labels.iter().any(|l| l.message.contains("46376 terms")), "{d:?}");
    }

    #[test]
    fn a_power_whose_coefficients_overflow_is_an_error() {
        // 10^400 was an infinite rate, and a panic in the IR's invariants.
        assert_eq!(producing_z("(10*x)^400"), Err(vec!["E0302"]));
        assert_eq!(producing_z("(2*x + 3*w)^700"), Err(vec!["E0302"]));
        assert_eq!(producing_z("(10*x)^300"), Ok(1));
    }
}
