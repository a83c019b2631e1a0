//! `at T: X = v, ...;` statements: the network's assignments at fixed times
//! (SBML's events with a `time >= T` trigger), resolved into
//! [`ir::Assignment`]s, one per time, in ascending time.

use crate::backend::number;
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::{self, Statement};

use super::Checker;
use super::elaborate::Frame;
use super::eval::not_finite;
use super::network::Builder;

/// E0258, with the hint every scheduled-assignment error shares.
fn bad_assignment(message: String, span: Span, label: String) -> Diagnostic {
    Diagnostic::error("E0258", message).with_primary(span, label).with_hint(
        "write `at T: X = v, Y = w;` with a time T > 0 (the initial values hold at t = 0) and \
         values v, w >= 0 of species the network declares, each set once per time",
    )
}

impl Checker<'_> {
    /// The network's own `at` statements (an included network's are not
    /// copied: like its `simulate` block, its schedule is a run setting).
    pub(super) fn schedule(
        &mut self,
        network: &ast::Network,
        b: &Builder,
        frame: &Frame,
    ) -> Vec<ir::Assignment> {
        let mut out: Vec<ir::Assignment> = Vec::new();
        for statement in &network.statements {
            let Statement::Schedule { time, values, span } = statement else { continue };
            let Some(t) = self.eval(time, frame.env) else { continue };
            if !(t.is_finite() && t > 0.0) {
                self.diags.push(bad_assignment(
                    "a scheduled assignment must come after t = 0".to_string(),
                    time.span(),
                    format!("this evaluates to {}", number(t)),
                ));
                continue;
            }
            let at = match out.iter().position(|a| a.time == t) {
                Some(i) => i,
                None => {
                    out.push(ir::Assignment { time: t, values: Vec::new(), span: *span });
                    out.len() - 1
                }
            };
            for (target, expr) in values {
                let (Some(name), Some(v)) = (self.species_ref(b, frame, target), self.eval(expr, frame.env))
                else {
                    continue;
                };
                if !v.is_finite() {
                    self.diags.push(not_finite(&format!("the value of `{name}`"), expr.span(), v));
                } else if v < 0.0 {
                    self.diags.push(bad_assignment(
                        format!("a negative value for `{name}` at t = {}", number(t)),
                        expr.span(),
                        format!("this evaluates to {}", number(v)),
                    ));
                } else if out[at].values.iter().any(|(n, _)| *n == name) {
                    self.diags.push(bad_assignment(
                        format!("`{name}` is set twice at t = {}", number(t)),
                        target.span,
                        "set again here".to_string(),
                    ));
                } else {
                    out[at].values.push((name, v));
                }
            }
        }
        out.retain(|a| !a.values.is_empty());
        out.sort_by(|a, b| a.time.total_cmp(&b.time));
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::source::MemoryFs;
    use std::path::Path;

    fn compile(src: &str) -> crate::driver::Compilation {
        let fs = MemoryFs::new().with("t.crnl", src);
        crate::driver::compile(&fs, Path::new("t.crnl"), None, &Default::default())
    }

    fn codes(src: &str) -> Vec<String> {
        compile(src).front.diagnostics.iter().map(|d| d.code.to_string()).collect()
    }

    #[test]
    fn statements_merge_by_time_and_sort() {
        let compiled = compile(
            "network N { species X = 1, Y; param t = 2; at 2*t: X = 3; at 1: Y = 0.5; at 4: Y = 1; X -> Y; }",
        );
        assert!(!compiled.front.has_errors(), "{}", compiled.rendered());
        let schedule = &compiled.front.program.networks["N"].schedule;
        let plain: Vec<(f64, Vec<(String, f64)>)> =
            schedule.iter().map(|a| (a.time, a.values.clone())).collect();
        assert_eq!(
            plain,
            vec![(1.0, vec![("Y".into(), 0.5)]), (4.0, vec![("X".into(), 3.0), ("Y".into(), 1.0)])]
        );
    }

    #[test]
    fn the_ir_printout_reads_back_to_the_same_schedule() {
        let times = |src: &str| {
            let compiled = compile(src);
            assert!(!compiled.front.has_errors(), "{}", compiled.rendered());
            let network = compiled.front.program.networks["N"].clone();
            let plain: Vec<(f64, Vec<(String, f64)>)> =
                network.schedule.iter().map(|a| (a.time, a.values.clone())).collect();
            (network.to_string(), plain)
        };
        let (printed, schedule) = times(
            "network N { species x[2], `at`; at 0.1: x[1] = 2.5, `at` = 1; at 3: x[0] = 1e-3; x[0] -> x[1] + `at`; }",
        );
        assert!(
            printed.contains("  at 0.1: `x[1]` = 2.5, `at` = 1;\n  at 3: `x[0]` = 0.001;\n"),
            "{printed}"
        );
        assert_eq!(times(&printed).1, schedule);
    }

    #[test]
    fn bad_times_values_and_repeats_are_e0258() {
        assert_eq!(codes("network N { species X; at 0: X = 1; X -> 0; }"), ["E0258"]);
        assert_eq!(codes("network N { species X; at 1: X = -1; X -> 0; }"), ["E0258"]);
        assert_eq!(codes("network N { species X; at 1: X = 1, X = 2; X -> 0; }"), ["E0258"]);
        assert_eq!(codes("network N { species X; at 1: X = 1; at 1: X = 2; X -> 0; }"), ["E0258"]);
    }

    #[test]
    fn an_unknown_species_is_e0200_and_a_signed_value_e0220() {
        assert_eq!(codes("network N { species X; at 1: Z = 1; X -> 0; }"), ["E0200"]);
        assert!(
            codes("network N { signed s = 1; at 1: s = 1; ode { s' = -s; } }").contains(&"E0220".to_string())
        );
    }
}
