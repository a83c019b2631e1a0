//! Compile-time evaluation of constant expressions over parameters.

use crate::backend::number;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::source::{FileId, Span};
use crate::syntax::ast::{BinOp, Expr, Ident};

use super::Checker;
use super::scope::{Def, NetRef, ParamRef};

/// Where an expression's names are looked up.
#[derive(Clone, Copy)]
pub enum Env {
    /// Top level of a file: its own and imported parameters.
    File(FileId),
    /// Inside a network: its parameters, then the file's.
    Network(NetRef),
}

impl Env {
    pub fn file(self) -> FileId {
        match self {
            Env::File(f) => f,
            Env::Network(n) => n.file,
        }
    }
}

/// Deepest expression nesting accepted.
const MAX_DEPTH: usize = 256;

/// A function callable in expressions.
struct Function {
    name: &'static str,
    /// The names of its arguments, for hints.
    args: &'static [&'static str],
    /// What it computes, for hints.
    meaning: &'static str,
    /// Its value, given exactly `args.len()` arguments.
    apply: fn(&[f64]) -> f64,
}

const FUNCTIONS: &[Function] = &[
    Function { name: "exp", args: &["x"], meaning: "e to the power x", apply: |v| v[0].exp() },
    Function { name: "ln", args: &["x"], meaning: "the natural logarithm of x", apply: |v| v[0].ln() },
    Function { name: "log10", args: &["x"], meaning: "the base-10 log of x", apply: |v| v[0].log10() },
    Function { name: "sqrt", args: &["x"], meaning: "the square root of x", apply: |v| v[0].sqrt() },
    Function { name: "abs", args: &["x"], meaning: "the absolute value of x", apply: |v| v[0].abs() },
    Function { name: "min", args: &["a", "b"], meaning: "the smaller of a and b", apply: |v| v[0].min(v[1]) },
    Function { name: "max", args: &["a", "b"], meaning: "the larger of a and b", apply: |v| v[0].max(v[1]) },
];

impl Checker<'_> {
    /// The value of a parameter, evaluating it (once) if needed.
    pub(super) fn param(&mut self, r: ParamRef) -> Option<f64> {
        if let Some(&v) = self.values.get(&r) {
            return v;
        }
        let (id, expr) = self.param_ast(r);
        if let Some(pos) = self.evaluating.iter().position(|&p| p == r) {
            let mut names: Vec<String> =
                self.evaluating[pos..].iter().map(|&p| self.param_ast(p).0.name.clone()).collect();
            names.push(id.name.clone());
            self.diags.push(
                Diagnostic::error("E0206", format!("parameter `{}` is defined in terms of itself", id.name))
                    .with_primary(id.span, "this definition is circular")
                    .with_note(format!("cycle: {}", names.join(" -> ")))
                    .with_hint("give one of these parameters a value that does not depend on the others"),
            );
            // Poison every member so the cycle is reported once.
            for &p in &self.evaluating[pos..] {
                self.values.insert(p, None);
            }
            return None;
        }
        let env = match r {
            ParamRef::Global { file, .. } => Env::File(file),
            ParamRef::Local { net, .. } => Env::Network(net),
        };
        self.evaluating.push(r);
        // A parameter means one number wherever it is used: loop variables and
        // module arguments in force at the use must not leak into it.
        let numbers = std::mem::take(&mut self.numbers);
        let value = self.eval(expr, env);
        self.numbers = numbers;
        self.evaluating.pop();
        if self.values.get(&r) == Some(&None) {
            return None; // poisoned by a cycle found below us
        }
        let value = value.and_then(|v| {
            if v.is_finite() {
                Some(v)
            } else {
                self.diags.push(not_finite(&format!("parameter `{}`", id.name), expr.span(), v));
                None
            }
        });
        self.values.insert(r, value);
        value
    }

    /// A compile-time number bound where the expression is: a loop variable
    /// or a module parameter of the body being expanded (innermost wins).
    pub(super) fn number_in_scope(&self, name: &str) -> Option<f64> {
        self.numbers.last()?.iter().rev().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// Looks a name up as a parameter.
    pub(super) fn resolve_param(&mut self, id: &Ident, env: Env) -> Option<ParamRef> {
        if let Env::Network(net) = env
            && let Some(&(r, _)) = self.locals[&net].get(&id.name)
        {
            return Some(r);
        }
        match self.scopes[&env.file()].get(&id.name) {
            Some(&Def::Param(r, _)) => return Some(r),
            Some(&Def::Network(_, def)) => {
                self.diags.push(
                    Diagnostic::error("E0207", format!("`{}` is a network, not a number", id.name))
                        .with_primary(id.span, "used as a value here")
                        .with_secondary(def, "the network is defined here")
                        .with_hint(format!(
                            "a network cannot be used in an expression; did you mean a parameter \
                             (`param k = ...;`), or `include {};` to add the network's reactions?",
                            id.name
                        )),
                );
                return None;
            }
            Some(&Def::Module(_, def)) => {
                self.diags.push(
                    Diagnostic::error("E0207", format!("`{}` is a module, not a number", id.name))
                        .with_primary(id.span, "used as a value here")
                        .with_secondary(def, "the module is defined here")
                        .with_hint(format!(
                            "instantiate it in its own statement: `y = {}(inputs);`",
                            id.name
                        )),
                );
                return None;
            }
            None => {}
        }
        if let Env::Network(net) = env
            && self.declares_species(net, &id.name)
        {
            self.diags.push(
                Diagnostic::error(
                    "E0207",
                    format!("species `{}` cannot be used in a constant expression", id.name),
                )
                .with_primary(id.span, "a species, not a parameter")
                .with_hint(
                    "rates and initial values are numbers fixed at compile time; to make a rate depend on \
                         a species, add it as a catalyst on both sides of the reaction",
                ),
            );
            return None;
        }
        if self.incomplete_files.contains(&id.span.file) {
            return None; // a failed import or declaration was already reported
        }
        let mut d = Diagnostic::error("E0200", format!("undefined name `{}`", id.name))
            .with_primary(id.span, "not a parameter in scope");
        let candidates = self.visible_params(env);
        d = d.with_hint(
            did_you_mean(&id.name, candidates.iter().map(String::as_str))
                .unwrap_or_else(|| format!("define it first: `param {} = ...;`", id.name)),
        );
        self.diags.push(d);
        None
    }

    fn visible_params(&self, env: Env) -> Vec<String> {
        let mut names: Vec<String> = self.scopes[&env.file()]
            .iter()
            .filter(|(_, d)| matches!(d, Def::Param(..)))
            .map(|(n, _)| n.clone())
            .collect();
        if let Env::Network(net) = env {
            names.extend(self.locals[&net].keys().cloned());
        }
        names
    }

    /// Evaluates an expression; `None` after reporting an error.
    pub(super) fn eval(&mut self, expr: &Expr, env: Env) -> Option<f64> {
        // Evaluation recurses; bound the depth so no input can exhaust the stack.
        if expr.depth() > MAX_DEPTH {
            self.diags.push(
                Diagnostic::error("E0302", "expression nested too deeply")
                    .with_primary(expr.span(), format!("more than {MAX_DEPTH} levels of operators"))
                    .with_hint("split it into several parameters"),
            );
            return None;
        }
        self.eval_within(expr, env)
    }

    fn eval_within(&mut self, expr: &Expr, env: Env) -> Option<f64> {
        match expr {
            Expr::Number { text, span } => self.number(text, *span),
            Expr::Name(id) => {
                if let Some(v) = self.number_in_scope(&id.name) {
                    return Some(v);
                }
                let r = self.resolve_param(id, env)?;
                self.used.insert(r);
                self.param(r)
            }
            Expr::Index { name, span, .. } => {
                self.diags.push(
                    Diagnostic::error("E0207", format!("`{}[...]` is a species, not a number", name.name))
                        .with_primary(*span, "an array element used as a value")
                        .with_hint(
                            "rates and initial values are numbers fixed at compile time; to make a rate \
                             depend on a species, add it as a catalyst on both sides of the reaction",
                        ),
                );
                None
            }
            Expr::Neg { operand, .. } => self.eval_within(operand, env).map(|v| -v),
            Expr::Binary { op, lhs, rhs, .. } => {
                let (a, b) = (self.eval_within(lhs, env), self.eval_within(rhs, env));
                let (a, b) = (a?, b?);
                Some(match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Pow => a.powf(b),
                })
            }
            Expr::Call { function, params, span, .. } if !params.is_empty() => {
                self.diags.push(
                    Diagnostic::error(
                        "E0207",
                        format!("`{}[...](...)` instantiates a module", function.name),
                    )
                    .with_primary(*span, "a module instance used as a value")
                    .with_hint("instantiate modules in their own statement: `y = module[params](inputs);`"),
                );
                None
            }
            Expr::Call { function, args, span, .. } => {
                let values: Vec<Option<f64>> = args.iter().map(|a| self.eval_within(a, env)).collect();
                let Some(f) = FUNCTIONS.iter().find(|f| f.name == function.name) else {
                    self.diags.push(unknown_function(function));
                    return None;
                };
                if values.len() != f.args.len() {
                    self.diags.push(wrong_arity(f, values.len(), *span));
                    return None;
                }
                let v: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
                Some((f.apply)(&v))
            }
        }
    }

    fn number(&mut self, text: &str, span: Span) -> Option<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.diags.push(
                    Diagnostic::error("E0302", format!("the number `{text}` is too large"))
                        .with_primary(span, "overflows a 64-bit float")
                        .with_hint("numbers must be below about 1.8e308"),
                );
                None
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// E0208 for a call of a function that is not built in.
fn unknown_function(function: &Ident) -> Diagnostic {
    let names = FUNCTIONS.iter().map(|f| f.name);
    let hint = did_you_mean(&function.name, names.clone())
        .unwrap_or_else(|| format!("the functions are {}", names.collect::<Vec<_>>().join(", ")));
    Diagnostic::error("E0208", format!("unknown function `{}`", function.name))
        .with_primary(function.span, "not a built-in function")
        .with_hint(hint)
}

/// E0208 for a call with the wrong number of arguments; the hint shows the signature.
fn wrong_arity(f: &Function, given: usize, call: Span) -> Diagnostic {
    let arity = f.args.len();
    Diagnostic::error("E0208", format!("`{}` takes {arity} argument{}, not {given}", f.name, plural(arity)))
        .with_primary(call, "wrong number of arguments")
        .with_hint(format!("call it as `{}({})`, which is {}", f.name, f.args.join(", "), f.meaning))
}

/// E0302 for a value that is infinite or NaN.
pub fn not_finite(what: &str, span: Span, value: f64) -> Diagnostic {
    Diagnostic::error("E0302", format!("{what} is not a finite number"))
        .with_primary(span, format!("this evaluates to {}", number(value)))
        .with_hint("look for a division by zero, or a logarithm or square root of a negative number")
}
