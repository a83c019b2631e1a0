//! Checking a network's `simulate { ... }` block.

use crate::backend::number;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir::{Coupling, Method, SimSpec};
use crate::sim::plot::entry_species;
use crate::sim::run::check_value;
use crate::source::Span;
use crate::syntax::ast::{self, SimValue, Statement};

use super::Checker;
use super::eval::Env;
use super::network::unknown_setting;
use super::scope::duplicate;

const KEYS: &[&str] = &[
    "method",
    "t_end",
    "points",
    "rtol",
    "atol",
    "seed",
    "trajectories",
    "max_events",
    "plot",
    "vesicles",
    "coupling",
    "dt",
    "visible",
];

impl Checker<'_> {
    /// The settings of the network's `simulate` block (at most one).
    pub(super) fn simulate_spec(
        &mut self,
        network: &ast::Network,
        env: Env,
        is_species: impl Fn(&str) -> bool,
        species: impl Fn() -> Vec<String>,
    ) -> SimSpec {
        let mut spec = SimSpec::default();
        let mut first_block: Option<Span> = None;
        for statement in &network.statements {
            let Statement::Simulate { settings, span } = statement else { continue };
            if let Some(first) = first_block {
                self.diags.push(duplicate("simulate", *span, first));
                continue;
            }
            first_block = Some(*span);
            let mut seen: Vec<(&str, Span)> = Vec::new();
            for setting in settings {
                let key = setting.name.name.as_str();
                if let Some(&(_, first)) = seen.iter().find(|(k, _)| *k == key) {
                    self.diags.push(duplicate(key, setting.name.span, first));
                    continue;
                }
                seen.push((key, setting.name.span));
                self.sim_setting(&mut spec, setting, env, &is_species, &species);
            }
        }
        spec
    }

    /// The species a `plot` entry names: one species, an element `x[i]`, or
    /// every element of an array `x` (empty when there is none).
    fn plot_species(
        &mut self,
        r: &ast::SpeciesRef,
        env: Env,
        is_species: &impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let name = &r.name.name;
        match r.indices.as_slice() {
            [] => entry_species(name, None, is_species),
            [index] => match self.eval(index, env) {
                Some(i) if i.fract() == 0.0 && i >= 0.0 => entry_species(name, Some(i as u64), is_species),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn sim_setting(
        &mut self,
        spec: &mut SimSpec,
        setting: &ast::SimSetting,
        env: Env,
        is_species: &impl Fn(&str) -> bool,
        species: &impl Fn() -> Vec<String>,
    ) {
        let name = &setting.name;
        let expr = match (&setting.value, name.name.as_str()) {
            (SimValue::List(items, _), key @ ("plot" | "visible")) => {
                for item in items {
                    let Some(r) = species_ref(item) else {
                        self.bad_value(item.span(), key, &format!("species names: `{key} = [X, y[0]];`"));
                        continue;
                    };
                    let found = self.plot_species(&r, env, is_species);
                    if found.is_empty() {
                        let all = species();
                        let hint = did_you_mean(&r.name.name, all.iter().map(String::as_str))
                            .unwrap_or_else(|| format!("{key} lists species of this network"));
                        self.diags.push(
                            Diagnostic::error("E0200", format!("undefined species `{}`", r.name.name))
                                .with_primary(r.span, "not a species of this network")
                                .with_hint(hint),
                        );
                    }
                    if key == "plot" { spec.plot.extend(found) } else { spec.visible.extend(found) }
                }
                return;
            }
            (SimValue::List(_, span), _) => {
                return self.bad_value(*span, &name.name, "a list is only for `plot` and `visible`");
            }
            (SimValue::Files { span, .. }, _) => {
                return self.bad_value(
                    *span,
                    &name.name,
                    "a number or a word; file names are for `train`'s `data`",
                );
            }
            (SimValue::Expr(e), key @ ("plot" | "visible")) => {
                return self.bad_value(e.span(), key, &format!("the species in brackets: `{key} = [X, Y];`"));
            }
            (SimValue::Expr(e), _) => e,
        };
        match name.name.as_str() {
            "method" => match expr.as_name().map(|n| n.name.as_str()) {
                Some("ode") => spec.method = Some(Method::Ode),
                Some("ssa") => spec.method = Some(Method::Ssa),
                Some("hybrid") => spec.method = Some(Method::Hybrid),
                _ => self.bad_value(
                    expr.span(),
                    "method",
                    "`ode` (deterministic), `ssa` (stochastic) or `hybrid` (potentials deterministic, the rest by SSA)",
                ),
            },
            "coupling" => match expr.as_name().map(|n| n.name.as_str()) {
                Some("exact") => spec.coupling = Some(Coupling::Exact),
                Some("split") => spec.coupling = Some(Coupling::Split),
                Some("per_event") => spec.coupling = Some(Coupling::PerEvent),
                _ => self.bad_value(expr.span(), "coupling", "`exact`, `split` or `per_event`"),
            },
            "vesicles" => spec.vesicles = self.whole(expr, env, "vesicles", 1).map(|v| v as usize),
            "dt" => spec.dt = self.in_range(expr, env, "dt"),
            "t_end" => spec.t_end = self.in_range(expr, env, "t_end"),
            "rtol" => spec.rtol = self.in_range(expr, env, "rtol"),
            "atol" => spec.atol = self.in_range(expr, env, "atol"),
            "points" => spec.points = self.whole(expr, env, "points", 1).map(|v| v as usize),
            "trajectories" => {
                spec.trajectories = self.whole(expr, env, "trajectories", 1).map(|v| v as usize)
            }
            "seed" => spec.seed = self.whole(expr, env, "seed", 0),
            "max_events" => spec.max_events = self.whole(expr, env, "max_events", 1),
            _ => self.diags.push(unknown_setting("simulate", name, KEYS)),
        }
    }

    pub(super) fn bad_value(&mut self, span: Span, key: &str, expected: &str) {
        self.diags.push(
            Diagnostic::error("E0205", format!("bad value for `{key}`"))
                .with_primary(span, "not accepted here")
                .with_hint(format!("`{key}` takes {expected}")),
        );
    }

    /// A number within the range `crnc run` accepts for `key` (the same check as its flags).
    fn in_range(&mut self, expr: &ast::Expr, env: Env, key: &str) -> Option<f64> {
        let v = self.eval(expr, env)?;
        match check_value(key, v) {
            Ok(()) => Some(v),
            Err(expected) => {
                self.bad_value(expr.span(), key, &expected);
                None
            }
        }
    }

    pub(super) fn whole(&mut self, expr: &ast::Expr, env: Env, key: &str, min: u64) -> Option<u64> {
        let v = self.eval(expr, env)?;
        if v.fract() == 0.0 && v >= min as f64 && v <= 2f64.powi(53) {
            return Some(v as u64);
        }
        self.bad_value(
            expr.span(),
            key,
            &format!("a whole number of at least {min} (this is {})", number(v)),
        );
        None
    }
}

/// A list entry that names a species: `X`, `y[0]`.
pub(super) fn species_ref(item: &ast::Expr) -> Option<ast::SpeciesRef> {
    match item {
        ast::Expr::Name(id) => Some(ast::SpeciesRef { name: id.clone(), indices: Vec::new(), span: id.span }),
        ast::Expr::Index { name, indices, span } => {
            Some(ast::SpeciesRef { name: name.clone(), indices: indices.clone(), span: *span })
        }
        _ => None,
    }
}
