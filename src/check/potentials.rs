//! `potential P = p0 for X;` and `learn P: X ~ target @ k[, eps];`: the
//! chemical potentials of a detailed-balanced learner and the rules that move
//! them (docs/language.md, "Learning distributions"), resolved into
//! `ir::potentials` for the `potentials` pass.

use super::Checker;
use super::elaborate::{Binding, Frame};
use super::eval::not_finite;
use super::network::Builder;
use super::simulate::species_ref;
use crate::backend::number;
use crate::crn::Role;
use crate::diagnostic::Diagnostic;
use crate::ir::potentials::{LearningRule, Potential, Target};
use crate::syntax::ast::{self, BinOp, Expr, Statement};

impl<'w> Checker<'w> {
    /// Declares a potential's species (an amount with the role `potential`);
    /// what it is for is resolved once every species of the body exists.
    pub(super) fn declare_potential(&mut self, b: &mut Builder, frame: &mut Frame, decl: &ast::SpeciesDecl) {
        let entry = &decl.entries[0];
        if let Some(size) = &entry.size {
            self.diags.push(
                Diagnostic::error(
                    "E0254",
                    format!("potential `{}` is declared as an array", entry.name.name),
                )
                .with_primary(size.span(), "a potential is one species")
                .with_hint("declare one potential per species it is for: `potential p0 for x[0];`"),
            );
            return;
        }
        self.declare_species(b, frame, decl);
        if let Some((species, _)) = b.species.get_mut(&entry.name.name) {
            species.role = Role::Potential;
        }
    }

    /// The `for` lists of the body's `potential` statements and its `learn`
    /// rules, into the builder.
    pub(super) fn resolve_potentials(&mut self, b: &mut Builder, frame: &Frame, statements: &[Statement]) {
        for statement in statements {
            match statement {
                Statement::Potential { decl, species } if decl.entries[0].size.is_none() => {
                    let name = decl.entries[0].name.name.clone();
                    let species: Vec<String> = species
                        .iter()
                        .filter_map(|r| self.potential_species(b, frame, &name, r))
                        .flatten()
                        .collect();
                    b.potentials.push(Potential { name, species, span: decl.span });
                }
                Statement::LearnRule { potential, model, target, rates, span } => {
                    let rules = self.learning_rules(b, frame, potential, model, target, rates, *span);
                    b.learning_rules.extend(rules.into_iter().flatten());
                }
                _ => {}
            }
        }
    }

    /// The species a reference names: one, or every element of an array
    /// named without an index (an ensemble's copies, domain.md §3.9).
    pub(super) fn species_or_elements(
        &mut self,
        b: &Builder,
        frame: &Frame,
        r: &ast::SpeciesRef,
    ) -> Option<Vec<String>> {
        if r.indices.is_empty()
            && let Binding::Array(elements) = self.binding(b, frame, &r.name, None, r.span)?
        {
            return Some(elements);
        }
        self.species_ref(b, frame, r).map(|name| vec![name])
    }

    /// The species a potential is for (one, or an array's elements): species
    /// of the model, not potentials.
    fn potential_species(
        &mut self,
        b: &Builder,
        frame: &Frame,
        potential: &str,
        r: &ast::SpeciesRef,
    ) -> Option<Vec<String>> {
        let names = self.species_or_elements(b, frame, r)?;
        if let Some(name) = names.iter().find(|name| is_potential(b, name)) {
            let what = if name == potential { "itself" } else { "another potential" };
            self.diags.push(
                Diagnostic::error("E0254", format!("potential `{potential}` is declared for {what}"))
                    .with_primary(r.span, format!("`{name}` is a potential"))
                    .with_hint("a potential is for species of the model: `potential P for X;`"),
            );
            return None;
        }
        Some(names)
    }

    /// The rule `learn P: X ~ target`, one per element when X is an array
    /// named whole: each copy of an ensemble pulls on the shared potential.
    #[allow(clippy::too_many_arguments)]
    fn learning_rules(
        &mut self,
        b: &Builder,
        frame: &Frame,
        potential: &ast::SpeciesRef,
        model: &ast::SpeciesRef,
        target: &Expr,
        rates: &[Expr],
        span: crate::source::Span,
    ) -> Option<Vec<LearningRule>> {
        let p = self.species_ref(b, frame, potential);
        let xs = self.species_or_elements(b, frame, model);
        let target = self.learning_target(b, frame, target);
        let rates = self.learning_rates(frame, rates, span);
        let (p, xs, target, (rate, reverse)) = (p?, xs?, target?, rates?);
        if !is_potential(b, &p) {
            self.diags.push(
                Diagnostic::error("E0255", format!("`{p}` is not a potential"))
                    .with_primary(potential.span, "a `learn` rule moves a potential")
                    .with_hint(format!("declare it as one: `potential {p} = 1 for {};`", model.name.name)),
            );
            return None;
        }
        if let Some(x) = xs.iter().find(|x| is_potential(b, x)) {
            self.diags.push(
                Diagnostic::error("E0255", format!("`{x}` is a potential, not a species of the model"))
                    .with_primary(model.span, "the rule matches this species' mean to the target's")
                    .with_hint("name the model species whose mean should match the target"),
            );
            return None;
        }
        let rule =
            |model| LearningRule { potential: p.clone(), model, target: target.clone(), rate, reverse, span };
        Some(xs.into_iter().map(rule).collect())
    }

    /// `Q`, `c * Q` (or `Q * c`) with c a non-negative number, or a
    /// non-negative number.
    pub(super) fn learning_target(&mut self, b: &Builder, frame: &Frame, target: &Expr) -> Option<Target> {
        let is_species = |e: &Expr| {
            species_ref(e).is_some_and(|r| !r.indices.is_empty() || b.species.contains_key(&r.name.name))
        };
        let (scale, species) = match target {
            e if is_species(e) => (None, e),
            Expr::Binary { op: BinOp::Mul, lhs, rhs, .. } if is_species(rhs) => (Some(&**lhs), &**rhs),
            Expr::Binary { op: BinOp::Mul, lhs, rhs, .. } if is_species(lhs) => (Some(&**rhs), &**lhs),
            e => {
                let mean = self.eval(e, frame.env)?;
                return self.non_negative(mean, e).then_some(Target::Mean(mean));
            }
        };
        let name = self.species_ref(b, frame, &species_ref(species)?)?;
        let scale = match scale {
            Some(e) => {
                let c = self.eval(e, frame.env)?;
                if !self.non_negative(c, e) {
                    return None;
                }
                c
            }
            None => 1.0,
        };
        Some(Target::Species { name, scale })
    }

    fn non_negative(&mut self, value: f64, expr: &Expr) -> bool {
        if !value.is_finite() {
            self.diags.push(not_finite("the target", expr.span(), value));
            return false;
        }
        if value < 0.0 {
            self.diags.push(
                Diagnostic::error("E0255", "a learning target is negative")
                    .with_primary(expr.span(), format!("this evaluates to {}", number(value)))
                    .with_hint("a target is a mean count: a species, a non-negative number times a species, or a non-negative number"),
            );
            return false;
        }
        true
    }

    /// `@ k` or `@ k, eps`: a positive learning rate and a non-negative reverse rate.
    fn learning_rates(
        &mut self,
        frame: &Frame,
        rates: &[Expr],
        span: crate::source::Span,
    ) -> Option<(f64, Option<f64>)> {
        if rates.len() > 2 {
            self.diags.push(
                Diagnostic::error("E0255", "a `learn` rule takes a rate and at most a reverse rate")
                    .with_primary(rates[2].span(), "one rate too many")
                    .with_hint(
                        "write `@ k` (irreversible) or `@ k, eps` (reversible learning, domain.md §3.10)",
                    ),
            );
            return None;
        }
        let mut values = Vec::new();
        for (i, e) in rates.iter().enumerate() {
            let v = self.eval(e, frame.env)?;
            let positive = v.is_finite() && (v > 0.0 || (i == 1 && v == 0.0));
            if !positive {
                let what = if i == 0 { "a positive learning rate" } else { "a non-negative reverse rate" };
                self.diags.push(
                    Diagnostic::error("E0255", format!("a `learn` rule needs {what}"))
                        .with_primary(e.span(), format!("this evaluates to {}", number(v)))
                        .with_hint("rates are finite; the learning rate k is above 0, the reverse rate eps at least 0"),
                );
                return None;
            }
            values.push(v);
        }
        let Some(&rate) = values.first() else {
            self.diags.push(
                Diagnostic::error("E0255", "a `learn` rule without a rate")
                    .with_primary(span, "no `@ k`")
                    .with_hint("write `learn P: X ~ Q @ 0.01;`"),
            );
            return None;
        };
        Some((rate, values.get(1).copied().filter(|&eps| eps > 0.0)))
    }
}

fn is_potential(b: &Builder, name: &str) -> bool {
    b.species.get(name).is_some_and(|(s, _)| s.role == Role::Potential)
}
