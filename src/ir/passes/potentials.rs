//! The `potentials` pass: a detailed-balanced learner's potentials and
//! learning rules written out as reactions (domain.md §3.4, §3.5, §3.10).
//!
//! - `potential P for X;` adds P wherever X is made or used up, as many as
//!   X's net change: `0 <-> X` becomes `0 <-> X + P`. With P held fixed the
//!   reaction's propensity gains the factor [P] in the direction that
//!   consumes X, so X's effective energy is E_X + ln[P] (§3.4) and detailed
//!   balance is kept with E_P = 0. A reaction that already names P is left as
//!   it is, so the pass may run on its own output.
//! - `learn P: X ~ c·Q @ k[, eps];` becomes `P_raise: P + X -> 2 P + X @ k`
//!   and `P_lower: P + Q -> Q @ c·k` (reversible at eps and c·eps), so that
//!   d[P]/dt = k[P](⟨x⟩ − c⟨q⟩) when learning is slow; a constant target m
//!   lowers P at m·k (`P -> 0`).
//!
//! Under `rate_law = combinatoric` a direction that consumes n ≥ 2 copies of
//! P has its constant multiplied by n!, so the potential still multiplies the
//! propensity by [P]^n and not [P]^n/n!.

use std::sync::Arc;

use crate::crn::passes::Options;
use crate::diagnostic::Diagnostic;
use crate::ir::potentials::{LearningRule, Target};
use crate::ir::{Network, Rate, RateLaw, Reaction};

pub const NAME: &str = "potentials";

pub fn run(mut net: Network, _options: &Options) -> (Network, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    for potential in &net.potentials {
        for r in Arc::make_mut(&mut net.reactions) {
            let made: i64 = potential.species.iter().map(|s| net_change(r, s)).sum();
            let named = r.reactants.iter().chain(&r.products).any(|(s, _)| *s == potential.name);
            if made == 0 || named {
                continue;
            }
            if r.law.is_some() {
                diags.push(
                    Diagnostic::error(
                        "E0256",
                        format!("potential `{}` cannot multiply a rate law", potential.name),
                    )
                    .with_primary(r.span, "this reaction's flux is a law")
                    .with_secondary(potential.span, "the potential, declared here")
                    .with_hint("write the reaction as mass action, or leave its species without a potential"),
                );
                continue;
            }
            let copies = made.unsigned_abs() as u32;
            let (side, consumer) = if made > 0 {
                (&mut r.products, r.reverse.as_mut())
            } else {
                (&mut r.reactants, Some(&mut r.forward))
            };
            side.push((potential.name.clone(), copies));
            if let Some(rate) = consumer {
                *rate = scaled(rate, net.rate_law.divisor([copies]));
            }
        }
    }
    for rule in std::mem::take(&mut net.learning_rules) {
        Arc::make_mut(&mut net.reactions).extend(learning_reactions(&rule, net.rate_law));
    }
    (net, diags)
}

/// Products less reactants of one species.
fn net_change(r: &Reaction, species: &str) -> i64 {
    let count = |side: &[(String, u32)]| -> i64 {
        side.iter().filter(|(s, _)| s == species).map(|&(_, n)| i64::from(n)).sum()
    };
    count(&r.products) - count(&r.reactants)
}

fn scaled(rate: &Rate, factor: f64) -> Rate {
    if factor == 1.0 {
        return rate.clone();
    }
    Rate { value: rate.value * factor, param: None }
}

/// `P + X -> 2P + X` at k and the target's `P + Q -> Q` at c·k (or `P -> 0`
/// at m·k), reversible at ε when the rule has one.
fn learning_reactions(rule: &LearningRule, rate_law: RateLaw) -> Vec<Reaction> {
    let p = || (rule.potential.clone(), 1);
    let rate = |value: f64| Rate { value, param: None };
    let reaction = |label: &str, reactants, products, scale: f64, reverse_divisor: f64| Reaction {
        label: Some(format!("{}_{label}", rule.potential)),
        reactants,
        products,
        forward: rate(rule.rate * scale),
        reverse: rule.reverse.map(|eps| rate(eps * scale * reverse_divisor)),
        law: None,
        span: rule.span,
        brought_in_at: Vec::new(),
        group: crate::crn::GroupId::MAIN,
    };
    let x = (rule.model.clone(), 1);
    let raise = reaction(
        "raise",
        vec![p(), x.clone()],
        vec![(rule.potential.clone(), 2), x],
        1.0,
        rate_law.divisor([2]),
    );
    let lower = match &rule.target {
        Target::Species { name, scale } => {
            let q = (name.clone(), 1);
            reaction("lower", vec![p(), q.clone()], vec![q], *scale, 1.0)
        }
        Target::Mean(mean) => reaction("lower", vec![p()], Vec::new(), *mean, 1.0),
    };
    // A target of 0 (or a scale of 0) has no lowering reaction.
    std::iter::once(raise).chain((lower.forward.value > 0.0).then_some(lower)).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::driver;
    use crate::source::MemoryFs;

    fn after_pass(src: &str) -> Network {
        let front = driver::front_end(&MemoryFs::new().with("t.crnl", src), Path::new("t.crnl"));
        assert!(front.diagnostics.is_empty(), "{:?}", front.diagnostics);
        let net = driver::select(&front, None).expect("one network").clone();
        let (net, diags) = run(net, &Options::default());
        assert!(diags.is_empty(), "{diags:?}");
        net
    }

    #[test]
    fn a_potential_follows_its_species_net_change() {
        let net = after_pass(
            "network N { species amount X, Y; potential P = 2 for X;
               0 <-> X @ 1; X + Y -> Y @ 1; 2 X <-> Y @ 1, 1; Y -> Y + X @ 1; }",
        );
        let text = net.to_string();
        assert!(text.contains("0 <-> X + P @"), "{text}");
        assert!(text.contains("X + Y + P -> Y @"), "{text}");
        assert!(text.contains("2 X + 2 P <-> Y @"), "{text}");
        assert!(text.contains("Y -> Y + X + P @"), "{text}");
        assert!(text.contains("potential P = 2 for X;"), "{text}");
    }

    #[test]
    fn the_pass_is_idempotent() {
        let once = after_pass("network N { species amount X; potential P for X; 0 <-> X @ 1; }");
        let (twice, _) = run(once.clone(), &Options::default());
        assert_eq!(once.reactions, twice.reactions);
    }

    #[test]
    fn combinatoric_rates_keep_the_multiplier_at_p_squared() {
        let net = after_pass(
            "network N { rate_law = combinatoric; species amount Q; potential P for Q; 0 <-> 2 Q @ 1, 3; }",
        );
        let r = &net.reactions[0];
        assert_eq!(r.products, vec![("Q".to_string(), 2), ("P".to_string(), 2)]);
        // The reverse direction consumes 2Q + 2P: 3 · 2! for the two P.
        assert_eq!(r.reverse.as_ref().map(|r| r.value), Some(6.0));
    }

    #[test]
    fn learning_rules_become_the_learning_pair() {
        let net = after_pass(
            "network N { species amount X, R; potential P for X; 0 <-> X @ 1;
               learn P: X ~ 0.5 * R @ 2, 0.1; }",
        );
        let text = net.to_string();
        assert!(text.contains("P_raise: P + X <-> 2 P + X @ 2, 0.1;"), "{text}");
        assert!(text.contains("P_lower: P + R <-> R @ 1, 0.05;"), "{text}");
        assert!(net.learning_rules.is_empty());
    }

    #[test]
    fn a_constant_target_lowers_the_potential_at_its_mean_times_k() {
        let net = after_pass(
            "network N { species amount X; potential P for X; 0 <-> X @ 1; learn P: X ~ 100 @ 0.001; }",
        );
        let lower = net.reactions.iter().find(|r| r.label.as_deref() == Some("P_lower")).expect("P_lower");
        assert_eq!((lower.reactants.clone(), lower.products.is_empty()), (vec![("P".to_string(), 1)], true));
        assert!((lower.forward.value - 0.1).abs() < 1e-15);
    }
}
