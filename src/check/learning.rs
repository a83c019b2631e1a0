//! A Neural CRN's declarations (`input`, `state`, `learn`, `output`) and
//! their checks, resolved into [`ir::learning::Learning`] together with the
//! `train` block (`train.rs`). Inputs, state and learned values are signed
//! values with a role; their dynamics are the network's ordinary `ode`.

use crate::hash::HashMap;

use crate::crn::Role;
use crate::diagnostic::Diagnostic;
use crate::ir::learning::{Affine, Init, LearnedParam, Learning, Output, StateVar, Weight};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, Expr, Initial, ModelKind, Statement};

use super::Checker;
use super::elaborate::{Binding, Frame};
use super::network::Builder;
use super::ode::SignedVar;
use super::scope::duplicate;

/// The Neural CRN declarations of a network body, in declaration order.
#[derive(Default)]
pub(super) struct ModelDecls {
    pub inputs: Vec<String>,
    pub state: Vec<StateVar>,
    pub params: Vec<LearnedParam>,
    /// The first declaration, where a missing `train` block is reported.
    first: Option<Span>,
    /// What each declared name is, to name an input that is also learned.
    kinds: HashMap<String, (ModelKind, Span)>,
}

impl ModelDecls {
    fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

/// E0246: `~` outside `learn`, where nothing is drawn.
pub(super) fn draw_outside_learn(span: Span) -> Diagnostic {
    Diagnostic::error("E0246", "only a `learn` value is drawn from a distribution")
        .with_primary(span, "a distribution here")
        .with_hint("give a value with `=`, or declare the value `learn` to draw it with `~`")
}

fn not_a_distribution(span: Span, why: &str) -> Diagnostic {
    Diagnostic::error("E0246", format!("not a distribution: {why}"))
        .with_primary(span, "expected a distribution")
        .with_hint("write `normal(mean, sd)`, `abs(normal(mean, sd))` or `uniform(low, high)` with constant arguments")
}

fn not_affine(span: Span, why: &str) -> Diagnostic {
    Diagnostic::error("E0242", format!("a state's initial value must be affine in the inputs: {why}"))
        .with_primary(span, "here")
        .with_hint(
            "write numbers, inputs and sums of numbers times inputs: `[x[0], x[1], 1]`, `2 * x[0] - 0.5`",
        )
}

fn not_linear(span: Span, why: &str) -> Diagnostic {
    Diagnostic::error("E0243", format!("the output must be linear in the state: {why}"))
        .with_primary(span, "this term")
        .with_hint("write `sum(z)`, or a sum of terms each a number or a learned value times one state value: `z[0] + 2 * z[1]`, `w[0] * z[0]`")
}

impl<'w> Checker<'w> {
    /// Declares one `input`, `state` or `learn` statement of a network body:
    /// signed values with their role, recorded for the `Learning`.
    pub(super) fn declare_model(
        &mut self,
        b: &Builder,
        frame: &mut Frame,
        kind: ModelKind,
        decl: &ast::SpeciesDecl,
    ) {
        frame.model.first.get_or_insert(decl.span);
        for entry in &decl.entries {
            let name = &entry.name;
            match frame.model.kinds.get(&name.name) {
                Some(&(other, first)) if other != kind && [other, kind].contains(&ModelKind::Learn) => {
                    let what = if kind == ModelKind::Learn { "as a learned value" } else { "as an input" };
                    self.diags.push(
                        Diagnostic::error(
                            "E0245",
                            format!("`{}` is declared as an input and as a learned value", name.name),
                        )
                        .with_primary(name.span, format!("declared {what} here"))
                        .with_secondary(first, format!("declared as {} before", if kind == ModelKind::Learn { "an input" } else { "a learned value" }))
                        .with_hint("an input is loaded from each sample and a learned value persists across samples; give them different names"),
                    );
                    continue;
                }
                Some(&(_, first)) => {
                    self.diags.push(duplicate(&name.name, name.span, first));
                    continue;
                }
                None => _ = frame.model.kinds.insert(name.name.clone(), (kind, name.span)),
            }
            match kind {
                ModelKind::Input => self.declare_inputs(frame, decl, entry),
                ModelKind::Learn => self.declare_learned(frame, decl, entry),
                ModelKind::State => self.declare_state(b, frame, entry),
            }
        }
    }

    fn declare_inputs(&mut self, frame: &mut Frame, decl: &ast::SpeciesDecl, entry: &ast::SpeciesEntry) {
        let one = ast::SpeciesDecl { entries: vec![entry.clone()], ..decl.clone() };
        for names in self.declare_signed(frame, &one, Role::Input) {
            frame.model.inputs.extend(names);
        }
    }

    fn declare_learned(&mut self, frame: &mut Frame, decl: &ast::SpeciesDecl, entry: &ast::SpeciesEntry) {
        // After an error the value is still declared (at 0), so that its uses are not errors too.
        let init = match &entry.initial {
            Some(Initial::Draw(draw)) => Some(self.distribution(frame, draw).unwrap_or(Init::Value(0.0))),
            _ => None,
        };
        let one = ast::SpeciesDecl { entries: vec![entry.clone()], ..decl.clone() };
        for names in self.declare_signed(frame, &one, Role::Parameter) {
            for name in names {
                let init = init.unwrap_or_else(|| Init::Value(frame.signed[&name].initial));
                frame.model.params.push(LearnedParam { name, init, span: entry.name.span });
            }
        }
    }

    fn declare_state(&mut self, b: &Builder, frame: &mut Frame, entry: &ast::SpeciesEntry) {
        let Some(size) = self.entry_size(frame, entry) else { return };
        let n = size.unwrap_or(1);
        let affines: Vec<Option<Affine>> = match &entry.initial {
            None => vec![Some(Affine::default()); n],
            Some(Initial::Value(expr)) => vec![self.affine(b, frame, expr); n],
            Some(Initial::List(values, span)) if values.len() != n => {
                self.diags.push(
                    Diagnostic::error("E0210", format!("{} initial values for {n} species", values.len()))
                        .with_primary(*span, format!("expected {n} values"))
                        .with_hint("give one value per element, or one value for all: `= 0.5`"),
                );
                return;
            }
            Some(Initial::List(values, _)) => values.iter().map(|v| self.affine(b, frame, v)).collect(),
            Some(Initial::Each { value, var }) => (0..n)
                .map(|i| {
                    self.numbers_mut().push((var.name.clone(), i as f64));
                    let a = self.affine(b, frame, value);
                    self.numbers_mut().pop();
                    a
                })
                .collect(),
            Some(Initial::Draw(draw)) => {
                self.diags.push(draw_outside_learn(draw.span()));
                vec![None; n]
            }
        };
        let names = self.bind_entry(frame, entry, size);
        for (name, affine) in names.into_iter().zip(affines) {
            // After an error the value stays a state (at 0), so that uses of it are not errors too.
            let affine = affine.unwrap_or_default();
            let initial = affine.value(|x| frame.signed.get(x).map_or(0.0, |v| v.initial));
            let span = entry.name.span;
            frame.signed.insert(name.clone(), SignedVar { initial, span, role: Role::State });
            frame.model.state.push(StateVar { name, initial: affine, span });
        }
    }

    /// `normal(m, sd)`, `abs(normal(m, sd))` or `uniform(low, high)`.
    fn distribution(&mut self, frame: &Frame, expr: &Expr) -> Option<Init> {
        let Expr::Call { function, params, args, span } = expr else {
            self.diags.push(not_a_distribution(expr.span(), "a plain value is written `= value`"));
            return None;
        };
        if !params.is_empty() {
            self.diags.push(not_a_distribution(*span, "a distribution takes no `[...]`"));
            return None;
        }
        match (function.name.as_str(), args.as_slice()) {
            ("abs", [inner @ Expr::Call { function: f, .. }]) if f.name == "normal" => {
                match self.distribution(frame, inner)? {
                    Init::Normal { mean, sd } => Some(Init::AbsNormal { mean, sd }),
                    _ => unreachable!("a call of `normal` is a normal distribution"),
                }
            }
            ("normal", [mean, sd]) => {
                let (mean, sd) = (self.constant(frame, mean)?, self.constant(frame, sd)?);
                if sd < 0.0 {
                    self.diags.push(not_a_distribution(args[1].span(), "a negative standard deviation"));
                    return None;
                }
                Some(Init::Normal { mean, sd })
            }
            ("uniform", [low, high]) => {
                let (low, high) = (self.constant(frame, low)?, self.constant(frame, high)?);
                if low > high {
                    self.diags.push(not_a_distribution(*span, "the low end is above the high end"));
                    return None;
                }
                Some(Init::Uniform { low, high })
            }
            ("normal" | "uniform", _) => {
                self.diags
                    .push(not_a_distribution(*span, &format!("`{}` takes two arguments", function.name)));
                None
            }
            _ => {
                self.diags.push(not_a_distribution(*span, &format!("`{}` is not one", function.name)));
                None
            }
        }
    }

    /// A finite compile-time number.
    fn constant(&mut self, frame: &Frame, expr: &Expr) -> Option<f64> {
        self.finite_value("a distribution's argument", expr, frame)
    }

    /// Whether an expression names a value of the frame (rather than being a number).
    fn names_value(frame: &Frame, expr: &Expr) -> bool {
        match expr {
            Expr::Number { .. } => false,
            Expr::Name(id) => frame.species.contains_key(&id.name),
            Expr::Index { .. } => true,
            Expr::Neg { operand, .. } => Self::names_value(frame, operand),
            Expr::Binary { lhs, rhs, .. } => Self::names_value(frame, lhs) || Self::names_value(frame, rhs),
            Expr::Call { params, args, .. } => params.iter().chain(args).any(|a| Self::names_value(frame, a)),
        }
    }

    /// The flat name of one value named by `expr` (`x`, `x[i]`), if it is one.
    fn value_name(&mut self, b: &Builder, frame: &Frame, expr: &Expr) -> Option<Option<String>> {
        let (name, index, span) = match expr {
            Expr::Name(id) => (id, None, id.span),
            Expr::Index { name, indices, span } if indices.len() == 1 => (name, indices.first(), *span),
            _ => return Some(None),
        };
        match self.binding(b, frame, name, index, span)? {
            Binding::Scalar(flat) => Some(Some(flat)),
            Binding::Array(_) => Some(None),
        }
    }

    fn role_of(frame: &Frame, flat: &str) -> Option<Role> {
        frame.signed.get(flat).map(|v| v.role)
    }

    /// A state's initial value as `constant + Σ c · input`.
    fn affine(&mut self, b: &Builder, frame: &Frame, expr: &Expr) -> Option<Affine> {
        if !Self::names_value(frame, expr) {
            let constant = self.finite_value("a state's initial value", expr, frame)?;
            return Some(Affine { constant, terms: Vec::new() });
        }
        let scaled = |a: Affine, c: f64| Affine {
            constant: a.constant * c,
            terms: a.terms.into_iter().map(|(n, k)| (n, k * c)).collect(),
        };
        match expr {
            Expr::Name(_) | Expr::Index { .. } => match self.value_name(b, frame, expr)? {
                Some(flat) if Self::role_of(frame, &flat) == Some(Role::Input) => {
                    Some(Affine { constant: 0.0, terms: vec![(flat, 1.0)] })
                }
                Some(flat) => {
                    self.diags.push(not_affine(expr.span(), &format!("`{flat}` is not an input")));
                    None
                }
                None => {
                    self.diags.push(not_affine(expr.span(), "a whole array is not one value"));
                    None
                }
            },
            Expr::Neg { operand, .. } => Some(scaled(self.affine(b, frame, operand)?, -1.0)),
            Expr::Binary { op: op @ (BinOp::Add | BinOp::Sub), lhs, rhs, .. } => {
                let (left, right) = (self.affine(b, frame, lhs), self.affine(b, frame, rhs));
                let sign = if *op == BinOp::Add { 1.0 } else { -1.0 };
                let mut sum = left?;
                let right = scaled(right?, sign);
                sum.constant += right.constant;
                for (name, c) in right.terms {
                    match sum.terms.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, k)) => *k += c,
                        None => sum.terms.push((name, c)),
                    }
                }
                Some(sum)
            }
            Expr::Binary { op: BinOp::Mul, lhs, rhs, .. } if !Self::names_value(frame, lhs) => {
                let c = self.finite_value("a coefficient", lhs, frame)?;
                Some(scaled(self.affine(b, frame, rhs)?, c))
            }
            Expr::Binary { op: BinOp::Mul | BinOp::Div, lhs, rhs, .. } if !Self::names_value(frame, rhs) => {
                let c = self.finite_value("a coefficient", rhs, frame)?;
                let c = if matches!(expr, Expr::Binary { op: BinOp::Div, .. }) { 1.0 / c } else { c };
                if !c.is_finite() {
                    self.diags.push(not_affine(rhs.span(), "a division by zero"));
                    return None;
                }
                Some(scaled(self.affine(b, frame, lhs)?, c))
            }
            Expr::Binary { op: BinOp::Mul, .. } => {
                self.diags.push(not_affine(expr.span(), "a product of two inputs"));
                None
            }
            _ => {
                self.diags.push(not_affine(expr.span(), "only sums of numbers times inputs are affine"));
                None
            }
        }
    }

    /// The network's `Learning` from its declarations, `output` and `train`
    /// block, after its body is expanded; `None` for a network without them
    /// or after an error (reported).
    pub(super) fn learning(
        &mut self,
        ast: &ast::Network,
        b: &Builder,
        frame: &mut Frame,
        root: bool,
        clean_so_far: bool,
    ) -> Option<Learning> {
        let model = std::mem::take(&mut frame.model);
        for eq in &b.ode.equations {
            let role = Self::role_of(frame, &eq.target);
            if let Some(what) = match role {
                Some(Role::Input) => Some("an input, loaded from each sample"),
                Some(Role::Parameter) => Some("a learned value, which only training changes"),
                _ => None,
            } {
                self.diags.push(
                    Diagnostic::error("E0241", format!("`{}` has an equation but is {what}", eq.target))
                        .with_primary(eq.span, "an equation for it")
                        .with_hint("equations are for `state` values; declare the value `state`, or remove the equation"),
                );
            }
        }
        let output = self.first_of(ast, output_span, "output");
        let train = self.first_of(ast, train_span, "train");
        let has_output = output.is_some();
        if model.is_empty() && output.is_none() && train.is_none() {
            return None;
        }
        if root {
            for s in &model.state {
                if !b.ode.equations.iter().any(|eq| eq.target == s.name) {
                    self.diags.push(
                        Diagnostic::warning("W0008", format!("state value `{}` has no equation", s.name))
                            .with_primary(s.span, "declared here")
                            .with_hint(
                                "it stays at its initial value; give it an equation in the `ode` block",
                            ),
                    );
                }
            }
        }
        let output = output.and_then(|s| self.output(b, frame, s));
        let Some(Statement::Train { settings, span }) = train else {
            let at =
                model.first.or_else(|| ast.statements.iter().find_map(output_span)).unwrap_or(ast.name.span);
            self.diags.push(
                Diagnostic::error("E0240", "a Neural CRN's declarations need a `train` block")
                    .with_primary(at, "`input`, `state`, `learn` and `output` describe a model to train")
                    .with_hint("add `train { data = generate(TASK); epochs = 10; }`, or declare plain `signed` values"),
            );
            return None;
        };
        let settings = self.train_settings(settings, frame.env);
        let missing: Vec<&str> = [
            ("input", model.inputs.is_empty()),
            ("state", model.state.is_empty()),
            ("learn", model.params.is_empty()),
            ("output", !has_output),
        ]
        .into_iter()
        .filter_map(|(what, missing)| missing.then_some(what))
        .collect();
        // A declaration that failed is missing for a reason already given.
        if !missing.is_empty() {
            if !clean_so_far {
                return None;
            }
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            self.diags.push(
                Diagnostic::error("E0240", format!("a `train` block without {}", list.join(", ")))
                    .with_primary(*span, "training needs a model")
                    .with_hint("declare the inputs (`input x[2];`), the state (`state z[2] = [x[0], x[1]];`), the learned values (`learn theta[2] ~ normal(0, 1);`) and the prediction (`output y = sum(z);`)"),
            );
            return None;
        }
        Some(Learning {
            inputs: model.inputs,
            state: model.state,
            params: model.params,
            output: output?,
            settings: settings?,
            span: *span,
        })
    }

    /// The first statement that `span_of` picks; later ones are E0201.
    fn first_of<'a>(
        &mut self,
        ast: &'a ast::Network,
        span_of: fn(&Statement) -> Option<Span>,
        what: &str,
    ) -> Option<&'a Statement> {
        let mut found = ast.statements.iter().filter_map(|s| Some((s, span_of(s)?)));
        let (first, first_span) = found.next()?;
        for (_, span) in found {
            self.diags.push(duplicate(what, span, first_span));
        }
        Some(first)
    }

    /// `output y = ...;`: ŷ as weights of state values.
    fn output(&mut self, b: &Builder, frame: &Frame, statement: &Statement) -> Option<Output> {
        let Statement::Output { name, value, span } = statement else { return None };
        if let Some(binding) = frame.species.get(&name.name) {
            let flat = match binding {
                Binding::Scalar(flat) => flat,
                Binding::Array(elements) => &elements[0],
            };
            let first = frame
                .signed
                .get(flat)
                .map(|v| v.span)
                .or_else(|| b.species.get(flat).map(|(s, _)| s.span))
                .unwrap_or(name.span);
            self.diags.push(duplicate(&name.name, name.span, first));
            return None;
        }
        let mut terms: Vec<(String, Weight, Span)> = Vec::new();
        self.output_terms(b, frame, value, 1.0, &mut terms)?;
        let mut weights: Vec<(String, Weight)> = Vec::new();
        for (state, weight, at) in terms {
            if weights.iter().any(|(s, _)| *s == state) {
                self.diags.push(not_linear(at, &format!("`{state}` appears twice")));
                return None;
            }
            weights.push((state, weight));
        }
        Some(Output { name: name.name.clone(), weights, span: *span })
    }

    fn output_terms(
        &mut self,
        b: &Builder,
        frame: &Frame,
        expr: &Expr,
        sign: f64,
        out: &mut Vec<(String, Weight, Span)>,
    ) -> Option<()> {
        match expr {
            Expr::Binary { op: op @ (BinOp::Add | BinOp::Sub), lhs, rhs, .. } => {
                let left = self.output_terms(b, frame, lhs, sign, out);
                let right_sign = if *op == BinOp::Add { sign } else { -sign };
                let right = self.output_terms(b, frame, rhs, right_sign, out);
                left.and(right)
            }
            Expr::Neg { operand, .. } => self.output_terms(b, frame, operand, -sign, out),
            Expr::Call { function, params, args, span } if function.name == "sum" && params.is_empty() => {
                let elements = match args.as_slice() {
                    [Expr::Name(id)] => match self.binding(b, frame, id, None, id.span)? {
                        Binding::Array(elements) => elements,
                        Binding::Scalar(flat) => vec![flat],
                    },
                    _ => {
                        self.diags.push(not_linear(*span, "`sum` takes one array of state values"));
                        return None;
                    }
                };
                for e in elements {
                    if Self::role_of(frame, &e) != Some(Role::State) {
                        self.diags.push(not_linear(*span, &format!("`{e}` is not a state value")));
                        return None;
                    }
                    out.push((e, Weight::Fixed(sign), *span));
                }
                Some(())
            }
            _ => {
                let term = self.output_term(b, frame, expr, sign)?;
                out.push(term);
                Some(())
            }
        }
    }

    /// One term `c · z`, `z · c`, `z / c` or `w · z` (w learned).
    fn output_term(
        &mut self,
        b: &Builder,
        frame: &Frame,
        expr: &Expr,
        sign: f64,
    ) -> Option<(String, Weight, Span)> {
        let mut factors = Vec::new();
        let mut coefficient = sign;
        let mut stack = vec![expr];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Binary { op: BinOp::Mul, lhs, rhs, .. } => stack.extend([rhs.as_ref(), lhs.as_ref()]),
                Expr::Binary { op: BinOp::Div, lhs, rhs, .. } if !Self::names_value(frame, rhs) => {
                    let d = self.finite_value("an output weight", rhs, frame)?;
                    if d == 0.0 {
                        self.diags.push(not_linear(rhs.span(), "a division by zero"));
                        return None;
                    }
                    coefficient /= d;
                    stack.push(lhs);
                }
                _ if !Self::names_value(frame, e) => {
                    coefficient *= self.finite_value("an output weight", e, frame)?
                }
                Expr::Name(_) | Expr::Index { .. } => match self.value_name(b, frame, e)? {
                    Some(flat) => factors.push((flat, e.span())),
                    None => {
                        self.diags.push(not_linear(e.span(), "a whole array; `sum(z)` adds one up"));
                        return None;
                    }
                },
                _ => {
                    self.diags.push(not_linear(
                        e.span(),
                        "only products of numbers, a learned value and one state value",
                    ));
                    return None;
                }
            }
        }
        let (states, others): (Vec<_>, Vec<_>) =
            factors.into_iter().partition(|(f, _)| Self::role_of(frame, f) == Some(Role::State));
        let (learned, others): (Vec<_>, Vec<_>) =
            others.into_iter().partition(|(f, _)| Self::role_of(frame, f) == Some(Role::Parameter));
        if let Some((other, at)) = others.first() {
            self.diags
                .push(not_linear(*at, &format!("`{other}` is neither a state value nor a learned value")));
            return None;
        }
        let [(state, _)] = states.as_slice() else {
            let why = if states.is_empty() { "no state value in it" } else { "a product of state values" };
            self.diags.push(not_linear(expr.span(), why));
            return None;
        };
        let weight = match learned.as_slice() {
            [] => Weight::Fixed(coefficient),
            [(w, _)] if coefficient == 1.0 => Weight::Learned(w.clone()),
            [_] => {
                self.diags.push(not_linear(expr.span(), "a learned weight times a number other than 1"));
                return None;
            }
            _ => {
                self.diags.push(not_linear(expr.span(), "a product of learned values"));
                return None;
            }
        };
        Some((state.clone(), weight, expr.span()))
    }
}

fn output_span(s: &Statement) -> Option<Span> {
    match s {
        Statement::Output { span, .. } => Some(*span),
        _ => None,
    }
}

fn train_span(s: &Statement) -> Option<Span> {
    match s {
        Statement::Train { span, .. } => Some(*span),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::driver::{self, Flags};
    use crate::ir::learning::{Affine, DataSource, Init, Learning, TrainSettings, Weight};
    use crate::source::MemoryFs;

    /// A model around `body` (which declares what it needs beyond `x`, `z`, `theta`).
    fn model(parts: &str) -> String {
        format!(
            "network N {{
               input x[2];
               learn theta[2] = [0.5, -1];
               ode {{ for i in 0..2 {{ z[i]' = theta[i] * x[i] - z[i]; }} }}
               {parts}
             }}"
        )
    }

    fn codes(src: &str, flags: &Flags) -> (Vec<&'static str>, Option<Learning>) {
        let front = driver::front_end_with(&MemoryFs::new().with("n.crnl", src), Path::new("n.crnl"), flags);
        let codes = front.diagnostics.iter().map(|d| d.code).collect();
        (codes, front.program.networks.values().next().and_then(|n| n.learning.clone()))
    }

    fn learning(src: &str) -> Learning {
        match codes(src, &Flags::default()) {
            (c, Some(l)) if c.is_empty() => l,
            (c, _) => panic!("{c:?}\n{src}"),
        }
    }

    #[test]
    fn output_terms_become_fixed_and_learned_weights() {
        let l = learning(&model(
            "state z[3] = [x[0], x[1], 1];
             learn w = 1;
             ode { z[2]' = -z[2]; }
             output y = w * z[0] - z[1] + z[2] / 2;
             train { data = generate(linear); }",
        ));
        let weights = [
            ("z[0]".to_string(), Weight::Learned("w".to_string())),
            ("z[1]".to_string(), Weight::Fixed(-1.0)),
            ("z[2]".to_string(), Weight::Fixed(0.5)),
        ];
        assert_eq!(l.output.weights, weights);
    }

    #[test]
    fn state_initial_values_are_affine_forms_of_the_inputs() {
        let l = learning(&model(
            "state z[2] = [2 * x[0] - 0.5, (x[0] + x[1]) / 2];
             output y = sum(z);
             train { data = generate(linear); }",
        ));
        let first = Affine { constant: -0.5, terms: vec![("x[0]".to_string(), 2.0)] };
        let second =
            Affine { constant: 0.0, terms: vec![("x[0]".to_string(), 0.5), ("x[1]".to_string(), 0.5)] };
        assert_eq!(l.state[0].initial, first);
        assert_eq!(l.state[1].initial, second);
        assert_eq!(l.params[1].init, Init::Value(-1.0));
    }

    #[test]
    fn a_generated_classification_task_brings_its_threshold_unless_one_is_set() {
        let threshold = |train: &str| {
            let src = format!("state z[2] = [x[0], x[1]]; output y = sum(z); train {{ {train} }}");
            learning(&model(&src)).settings.threshold
        };
        assert_eq!(threshold("data = generate(xor);"), Some(0.5));
        assert_eq!(threshold("data = generate(rings_quadratic);"), Some(1.0));
        assert_eq!(threshold("data = generate(xor); threshold = 0.25;"), Some(0.25));
        assert_eq!(threshold("data = generate(bilinear);"), None);
    }

    #[test]
    fn train_settings_take_their_defaults_and_keep_csv_paths() {
        let l = learning(&model(
            "state z[2] = [x[0], x[1]];
             output y = sum(z);
             train { data = csv(\"data/train.csv\", \"data/val.csv\"); }",
        ));
        let data = DataSource::Files {
            train: "data/train.csv".to_string(),
            validation: Some("data/val.csv".to_string()),
            test: None,
            span: match &l.settings.data {
                Some(DataSource::Files { span, .. }) => *span,
                other => panic!("{other:?}"),
            },
        };
        assert_eq!(l.settings, TrainSettings { data: Some(data), ..TrainSettings::default() });
    }

    #[test]
    fn bad_models_report_their_codes() {
        let cases = [
            ("state z[2] = [x[0], x[1]]; output y = z[0] + z[0] + z[1]; train { }", "E0243"),
            ("state z[2] = [x[0], x[1]]; output y = 2 * theta[0] * z[0] + z[1]; train { }", "E0243"),
            ("state z[2] = [x[0], x[1]]; output y = x[0] * z[0] + z[1]; train { }", "E0243"),
            ("state z[2] = [x[0], x[1]]; output y = sum(x); train { }", "E0243"),
            ("state z[2] = [x[0], exp(x[1])]; output y = sum(z); train { }", "E0242"),
            ("state z[2] = [x[0], theta[1]]; output y = sum(z); train { }", "E0242"),
            ("state z[2] = [x[0], x[1]]; learn v ~ normal(0, -1); output y = sum(z); train { }", "E0246"),
            ("state z[2] = [x[0], x[1]]; learn v ~ uniform(2, 1); output y = sum(z); train { }", "E0246"),
            ("state z[2] = [x[0], x[1]]; learn v ~ normal(0); output y = sum(z); train { }", "E0246"),
            ("state z[2] = [x[0], x[1]]; output y = sum(z); train { backward_horizon = 0; }", "E0205"),
            ("state z[2] = [x[0], x[1]]; output y = sum(z); train { threshold = 1 / 0; }", "E0205"),
            ("state z[2] = [x[0], x[1]]; output y = sum(z); train { data = csv(); }", "E0205"),
            ("state z[2] = [x[0], x[1]]; output z = sum(z); train { }", "E0201"),
            ("state z[2] = [x[0], x[1]]; output y = sum(z); train { } train { }", "E0201"),
            ("state z[2] = [x[0], x[1]]; signed x[2]; output y = sum(z); train { }", "E0201"),
        ];
        for (parts, code) in cases {
            let (found, learning) = codes(&model(parts), &Flags::default());
            assert_eq!(found, [code], "{parts}");
            assert!(learning.is_none());
        }
    }

    #[test]
    fn signed_arrays_take_one_value_per_element() {
        let src = "network S { signed v[3] = [1, -2, 0.5]; ode { for i in 0..3 { v[i]' = -v[i]; } } }";
        let front = driver::front_end(&MemoryFs::new().with("s.crnl", src), Path::new("s.crnl"));
        assert!(front.diagnostics.is_empty(), "{:?}", front.diagnostics);
        let n = &front.program.networks[0];
        let initial: Vec<(&str, f64, bool)> =
            n.species.values().map(|s| (s.name.as_str(), s.initial, s.signed)).collect();
        assert_eq!(initial, [("v[0]", 1.0, true), ("v[1]", -2.0, true), ("v[2]", 0.5, true)]);
        assert_eq!(n.ode.equations.len(), 3);
    }

    #[test]
    fn ode_loops_are_charged_to_the_expansion_budget() {
        // Iterations are work even when they write no equation.
        let src =
            "network S { signed v; ode { v' = -v; for i in 0..1000000 { for j in 0..0 { v' = 1; } } } }";
        let flags = Flags { max_expansion: 1000, ..Flags::default() };
        let (found, _) = codes(src, &flags);
        assert_eq!(found, ["E0230"]);
    }
}
