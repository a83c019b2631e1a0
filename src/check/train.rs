//! Checking a network's `train { ... }` block into
//! [`TrainSettings`](crate::ir::learning::TrainSettings), like the
//! `simulate` block: unknown keys with a guess, wrong values with what is
//! expected.

use crate::ir::learning::{DataSource, Feedback, Gradient, ReverseState, TrainSettings, Update};
use crate::learn::data::Task;
use crate::syntax::ast::{self, Expr, SimValue};

use super::Checker;
use super::eval::Env;
use super::network::unknown_setting;
use super::scope::duplicate;

const KEYS: &[&str] = &[
    "data",
    "split",
    "epochs",
    "rate",
    "horizon",
    "backward_horizon",
    "update",
    "gradient",
    "reverse_state",
    "feedback",
    "threshold",
    "seed",
];

const DATA: &str = "`generate(TASK)` or `csv(\"train.csv\"[, \"validation.csv\"[, \"test.csv\"]])`";

impl Checker<'_> {
    /// The settings of a `train` block; `None` after an error (reported).
    pub(super) fn train_settings(&mut self, settings: &[ast::SimSetting], env: Env) -> Option<TrainSettings> {
        let mut out = TrainSettings::default();
        let mut seen: Vec<(&str, crate::source::Span)> = Vec::new();
        let mut ok = true;
        for setting in settings {
            let key = setting.name.name.as_str();
            if let Some(&(_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.diags.push(duplicate(key, setting.name.span, first));
                ok = false;
                continue;
            }
            seen.push((key, setting.name.span));
            ok &= self.train_setting(&mut out, setting, env).is_some();
        }
        // A classification task's own threshold unless the block sets one.
        if let (None, Some(DataSource::Generate { task, .. })) = (out.threshold, &out.data) {
            out.threshold = Task::from_name(task).and_then(Task::threshold);
        }
        ok.then_some(out)
    }

    fn train_setting(&mut self, out: &mut TrainSettings, setting: &ast::SimSetting, env: Env) -> Option<()> {
        let key = setting.name.name.as_str();
        let expr = match (&setting.value, key) {
            (SimValue::Files { function, paths, span }, "data") if function.name == "csv" => {
                let mut paths = paths.iter().map(|(p, _)| p.clone());
                let (Some(train), validation, test, None) =
                    (paths.next(), paths.next(), paths.next(), paths.next())
                else {
                    return self.refuse(*span, "data", DATA);
                };
                out.data = Some(DataSource::Files { train, validation, test, span: *span });
                return Some(());
            }
            (SimValue::List(items, span), "split") => {
                let [train, validation] = items.as_slice() else {
                    return self.refuse(*span, "split", "two sizes: `[training, validation]`");
                };
                let train = self.whole(train, env, "split", 1);
                let validation = self.whole(validation, env, "split", 1);
                out.split = Some((train? as usize, validation? as usize));
                return Some(());
            }
            (SimValue::Expr(e), _) => e,
            (SimValue::List(_, span) | SimValue::Files { span, .. }, _) => {
                let expected = expected(key).unwrap_or("a number");
                return self.refuse(*span, key, expected);
            }
        };
        match key {
            "data" => out.data = Some(self.generator(expr)?),
            "epochs" => out.epochs = self.whole(expr, env, "epochs", 0)? as usize,
            "seed" => out.seed = self.whole(expr, env, "seed", 0)?,
            "rate" => out.rate = self.positive(expr, env, key)?,
            "horizon" => out.horizon = self.positive(expr, env, key)?,
            "backward_horizon" => out.backward_horizon = Some(self.positive(expr, env, key)?),
            "threshold" => {
                let v = self.eval(expr, env)?;
                if !v.is_finite() {
                    return self.refuse(expr.span(), key, "a finite number: class 1 is ŷ at or above it");
                }
                out.threshold = Some(v);
            }
            "update" => {
                out.update = match word(expr) {
                    Some("host") => Update::Host,
                    Some("chemical") => Update::Chemical,
                    _ => return self.refuse(expr.span(), key, expected(key)?),
                }
            }
            "gradient" => {
                out.gradient = match word(expr) {
                    Some("adjoint") => Gradient::Adjoint,
                    Some("first_order") => Gradient::FirstOrder,
                    Some("reference") => Gradient::Reference,
                    _ => return self.refuse(expr.span(), key, expected(key)?),
                }
            }
            "reverse_state" => {
                out.reverse_state = match word(expr) {
                    Some("full") => ReverseState::Full,
                    Some("linearised") => ReverseState::Linearised,
                    _ => return self.refuse(expr.span(), key, expected(key)?),
                }
            }
            "feedback" => {
                out.feedback = match word(expr) {
                    Some("chemical") => Feedback::Chemical,
                    Some("exact") => Feedback::Exact,
                    _ => return self.refuse(expr.span(), key, expected(key)?),
                }
            }
            _ => {
                self.diags.push(unknown_setting("train", &setting.name, KEYS));
                return None;
            }
        }
        Some(())
    }

    /// `generate(TASK)`: a built-in task, checked by name.
    fn generator(&mut self, expr: &Expr) -> Option<DataSource> {
        match expr {
            Expr::Call { function, params, args, span }
                if function.name == "generate" && params.is_empty() =>
            {
                match args.as_slice() {
                    [Expr::Name(task)] => match Task::from_name(&task.name) {
                        Some(_) => Some(DataSource::Generate { task: task.name.clone(), span: *span }),
                        None => {
                            self.diags.push(Task::unknown(&task.name, task.span));
                            None
                        }
                    },
                    _ => self.refuse(*span, "data", "one task name: `generate(bilinear)`"),
                }
            }
            _ => self.refuse(expr.span(), "data", DATA),
        }
    }

    fn refuse<T>(&mut self, span: crate::source::Span, key: &str, expected: &str) -> Option<T> {
        self.bad_value(span, key, expected);
        None
    }

    /// A positive finite number.
    fn positive(&mut self, expr: &Expr, env: Env, key: &str) -> Option<f64> {
        let v = self.eval(expr, env)?;
        if v.is_finite() && v > 0.0 {
            return Some(v);
        }
        self.refuse(
            expr.span(),
            key,
            &format!("a positive finite number (this is {})", crate::backend::number(v)),
        )
    }
}

fn word(expr: &Expr) -> Option<&str> {
    expr.as_name().map(|n| n.name.as_str())
}

/// What a key takes, for the keys whose values are words or lists.
fn expected(key: &str) -> Option<&'static str> {
    Some(match key {
        "data" => DATA,
        "split" => "two sizes: `[training, validation]`",
        "update" => "`host` (θ ← θ − η·g on the host) or `chemical` (reactions move η/(1+η) of the gradient)",
        "gradient" => {
            "`adjoint` (derived from the dynamics), `first_order` (the adjoint held at a(T)) or `reference` (the reference code's reactions)"
        }
        "reverse_state" => "`full` (dz/dτ = −f) or `linearised` (no reverse self-term)",
        "feedback" => {
            "`chemical` (the feedback sub-networks run) or `exact` (the host sets their steady states)"
        }
        _ => return None,
    })
}
