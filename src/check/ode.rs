//! `signed` values and `ode` blocks, resolved into the network's polynomial
//! ODE system ([`ir::Ode`]): targets and variables by flat name, right-hand
//! sides expanded into polynomials (`abs(x)` a variable of its own). The
//! `ode` pass (`ir::passes::ode`) chooses rails and writes the reactions.

use crate::hash::HashMap;

use crate::crn::Role;
use crate::diagnostic::Diagnostic;
use crate::ir;
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
    /// Plain, or a Neural CRN's input, state or parameter.
    pub role: Role,
}

/// One equation, resolved: the target's flat name and its right-hand side.
struct Equation {
    target: String,
    rhs: Polynomial,
    span: Span,
}

impl<'w> Checker<'w> {
    /// `signed x = v;`, `signed v[3] = [1, -2, 0.5];`: like a species
    /// declaration, but negative values are allowed and no species exists
    /// until the rails are chosen. `role` is what a Neural CRN's `input` or
    /// `learn` makes of them. Returns the flat names of each entry.
    pub(super) fn declare_signed(
        &mut self,
        frame: &mut Frame,
        decl: &ast::SpeciesDecl,
        role: Role,
    ) -> Vec<Vec<String>> {
        let mut declared = Vec::new();
        for entry in &decl.entries {
            // Signed values are species only after the body: a second
            // declaration would silently replace the first in `frame.signed`.
            let flat = format!("{}{}", frame.prefix, entry.name.name);
            if let Some(first) = frame.signed.get(&flat).or_else(|| frame.signed.get(&format!("{flat}[0]"))) {
                self.diags.push(super::scope::duplicate(&entry.name.name, entry.name.span, first.span));
                continue;
            }
            let Some(size) = self.entry_size(frame, entry) else { continue };
            let initials = match (&entry.initial, role) {
                (Some(ast::Initial::Draw(_)), Role::Parameter) => vec![0.0; size.unwrap_or(1)],
                (Some(ast::Initial::Draw(draw)), _) => {
                    self.diags.push(super::learning::draw_outside_learn(draw.span()));
                    continue;
                }
                _ => self.initial_values(frame, entry, size.unwrap_or(1), true),
            };
            let names = self.bind_entry(frame, entry, size);
            for (flat, initial) in names.iter().zip(initials) {
                frame.signed.insert(flat.clone(), SignedVar { initial, span: entry.name.span, role });
            }
            declared.push(names);
        }
        declared
    }

    pub(super) fn finite_value(&mut self, name: &str, expr: &Expr, frame: &Frame) -> Option<f64> {
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

    /// Collects the body's `ode` equations into the network's system and
    /// declares its signed values, which the `ode` pass later holds in rails.
    pub(super) fn collect_odes(&mut self, b: &mut Builder, frame: &Frame, statements: &[Statement]) {
        let outer = std::mem::replace(&mut self.ode_variables, std::mem::take(&mut b.ode.variables));
        let mut equations: Vec<Equation> = Vec::new();
        for statement in statements {
            let Statement::Ode { equations: items, .. } = statement else { continue };
            self.ode_items(b, frame, items, &mut equations);
        }
        b.ode.variables = std::mem::replace(&mut self.ode_variables, outer);
        let origin = if frame.prefix.is_empty() { SpeciesOrigin::Declared } else { SpeciesOrigin::Generated };
        for (flat, var) in &frame.signed {
            let species = ir::Species {
                name: flat.clone(),
                initial: var.initial,
                quantity: ast::Quantity::Concentration,
                signed: true,
                span: var.span,
                role: var.role,
                rail: None,
                group: None,
                compartment: None,
            };
            b.declare(self, flat, species, origin);
        }
        b.ode.equations.extend(equations.into_iter().map(|e| ir::Equation {
            target: e.target,
            rhs: e.rhs,
            group: crate::crn::GroupId::MAIN,
            span: e.span,
            brought_in_at: Vec::new(),
        }));
    }

    /// The equations of an `ode` block's items, loops unrolled (charged like
    /// other loops; their variables are numbers in indices and coefficients).
    fn ode_items(&mut self, b: &Builder, frame: &Frame, items: &[ast::OdeItem], out: &mut Vec<Equation>) {
        for item in items {
            match item {
                ast::OdeItem::Equation(eq) => {
                    if let Some(e) = self.equation(b, frame, eq, out) {
                        out.push(e);
                    }
                }
                ast::OdeItem::For { var, start, end, body, span } => {
                    let Some(range) = self.loop_range(frame, start, end) else { continue };
                    self.unroll(range, &var.name, *span, |this| this.ode_items(b, frame, body, out));
                }
            }
        }
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
        if variables.iter().any(|v| v.abs) {
            self.diags.push(
                Diagnostic::error("E0222", "a rate law cannot take an absolute value")
                    .with_primary(expr.span(), "this law uses `abs`")
                    .with_hint("`abs` is for `ode` right-hand sides of signed values; a rate law reads species, which are never negative"),
            );
            return None;
        }
        Some((law?, variables.into_iter().enumerate().map(|(i, v)| (i, v.name)).collect()))
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
                self.one_species(b, frame, &r, true)?
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
                Some(Polynomial::species(self.variable_index(flat, false)))
            }
            Expr::Index { name, indices, span } => {
                let flat = self.ode_variable(b, frame, name, indices.first(), *span)?;
                Some(Polynomial::species(self.variable_index(flat, false)))
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
            Expr::Call { function, params, args, span } if function.name == "abs" && params.is_empty() => {
                let value = match args.as_slice() {
                    [Expr::Name(id)] => self.ode_variable(b, frame, id, None, id.span),
                    [Expr::Index { name, indices, span }] => {
                        self.ode_variable(b, frame, name, indices.first(), *span)
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::error("E0222", "`abs` takes one species or signed value")
                                .with_primary(*span, "an absolute value of an expression")
                                .with_hint("write `abs(z)` of a single value: crnc realises |z| as the sum of z's rails"),
                        );
                        return None;
                    }
                }?;
                // Whether the value is signed is the `ode` pass's business: it
                // takes |x| of a species (never negative) as x itself.
                Some(Polynomial::species(self.variable_index(value, true)))
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

    /// The index of a variable (or of its absolute value) in the polynomials being built.
    fn variable_index(&mut self, flat: String, abs: bool) -> usize {
        self.ode_variables.insert_full(ir::Variable { name: flat, abs }).0
    }
}

/// E0223: a product or power of an `ode` right-hand side past
/// [`polynomial::MAX_TERMS`], which once left the equation silently empty.
pub(crate) fn too_many_terms(e: TooManyTerms, span: Span) -> Diagnostic {
    Diagnostic::error("E0223", "the right-hand side expands to too many terms")
        .with_primary(span, format!("this expands to up to {} terms", e.terms))
        .with_note(format!(
            "an ode right-hand side is expanded into a sum of monomials, each at least one reaction; a product may have at most {} terms",
            polynomial::MAX_TERMS
        ))
        .with_hint("give a repeated sum a value of its own (`signed s = ...;` with `s'` the sum of the derivatives) and raise that to the power")
}
