//! Reactions with a rate law (`@ law(EXPR)`): parsing and checking, the IR
//! round trip, the passes (never merged, never split), the simulators (ODE
//! flux and Jacobian, SSA propensity against an exact answer) and the
//! backends (SBML keeps the law, the text reaction list refuses it).

mod common;

use std::path::Path;

use crnc::backend;
use crnc::driver;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeOptions};
use crnc::sim::ssa::{self, Ssa, SsaMethod};
use crnc::source::MemoryFs;

fn compilation(src: &str, max_order: Option<u32>) -> driver::Compilation {
    let fs = MemoryFs::new().with("m.crnl", src);
    driver::compile(&fs, Path::new("m.crnl"), None, &driver::Flags { max_order, ..driver::Flags::default() })
}

fn error_codes(src: &str, max_order: Option<u32>) -> Vec<&'static str> {
    compilation(src, max_order).crn().err().unwrap_or_default()
}

const DIMER: &str = "network d {
  param k = 0.002;
  species amount P = 40;
  species amount P2 = 0;
  dim: 2 P -> P2 @ law(k * P * (P - 1) / 2);
  dis: P2 -> 2 P @ 0.1;
}";

#[test]
fn a_law_is_a_polynomial_over_the_species_and_prints_back() {
    let front = compilation(DIMER, None).front;
    assert!(!front.has_errors());
    let ir = front.program.networks[0].to_string();
    assert!(ir.contains("dim: 2 P -> P2 @ law(-0.001 * P + 0.001 * P^2);"), "{ir}");
    // The printout reads back to the same IR.
    let again = compilation(&ir, None).front;
    assert!(!again.has_errors());
    assert_eq!(again.program.networks[0].to_string(), ir);
    let crn = common::crn_of(DIMER);
    let law = crn.reactions[0].law.as_ref().expect("a law");
    assert_eq!(law.len(), 2);
    assert!((crn.flux(&crn.reactions[0], &[10.0, 0.0]) - 0.002 * 10.0 * 9.0 / 2.0).abs() < 1e-15);
}

#[test]
fn law_errors_name_the_problem() {
    let undeclared = "network n { species A = 1; A -> 0 @ law(B * A); }";
    assert_eq!(error_codes(undeclared, None), ["E0200"]);
    let reversible = "network n { species A = 1, B; A <-> B @ law(A); }";
    assert_eq!(error_codes(reversible, None), ["E0301"]);
    let two_arguments = "network n { species A = 1; A -> 0 @ law(A, A); }";
    assert_eq!(error_codes(two_arguments, None), ["E0208"]);
    let not_polynomial = "network n { species A = 1; A -> 0 @ law(1 / A); }";
    assert_eq!(error_codes(not_polynomial, None), ["E0222"]);
}

#[test]
fn simplify_never_merges_a_law_reaction_and_max_order_refuses_it() {
    let src = "network n { species A = 5; A -> 0 @ law(A); A -> 0 @ law(A); A -> 0 @ 1; A -> 0 @ 1; }";
    let crn = common::crn_of(src);
    assert_eq!(crn.reactions.len(), 3, "two law reactions and the merged mass-action one");
    assert_eq!(crn.reactions.iter().filter(|r| r.law.is_some()).count(), 2);
    assert_eq!(error_codes(DIMER, Some(2)), ["E0400"]);
    assert_eq!(error_codes(DIMER, None), Vec::<&str>::new());
}

#[test]
fn the_ode_of_a_law_matches_its_mass_action_expansion() {
    // 0 -> X @ law(2 + 0.5 X - 0.1 X^2) against the same three terms as mass action.
    let law = common::crn_of("network n { species X = 1; 0 -> X @ law(2 + 0.5 * X - 0.1 * X^2); }");
    let mass = common::crn_of("network n { species X = 1; 0 -> X @ 2; X -> 2 X @ 0.5; 2 X -> X @ 0.1; }");
    let times: Vec<f64> = (0..=20).map(|i| f64::from(i) * 0.5).collect();
    let opts = OdeOptions { rtol: 1e-10, atol: 1e-12, ..OdeOptions::default() };
    let a = ode::solve(&Kinetics::new(&law), &law.initial_concentrations(), &times, &opts).unwrap();
    let b = ode::solve(&Kinetics::new(&mass), &mass.initial_concentrations(), &times, &opts).unwrap();
    for (x, y) in a.values.iter().zip(&b.values) {
        assert!((x - y).abs() < 1e-8, "{x} vs {y}");
    }
    // The positive root of 2 + 0.5 X - 0.1 X^2.
    let root = (0.5 + (0.25f64 + 0.8).sqrt()) / 0.2;
    assert!((a.values.last().unwrap() - root).abs() < 1e-3);
}

#[test]
fn the_flux_of_a_law_is_its_value() {
    let crn = common::crn_of("network n { species A = 1, B = 2; A -> B @ law(3 * A^2 * B - A + 0.5); }");
    let kin = Kinetics::new(&crn).expanded();
    let x = [1.3, 0.7];
    let mut f = [0.0; 2];
    kin.rhs(&x, &mut f);
    let v = 3.0 * 1.3 * 1.3 * 0.7 - 1.3 + 0.5;
    assert!((f[0] + v).abs() < 1e-12 && (f[1] - v).abs() < 1e-12, "{f:?}");
    // The Jacobian's entries are the law's partial derivatives: src/sim/ode/equations.rs tests them.
}

#[test]
fn the_ssa_of_a_birth_process_with_a_linear_law_has_the_exact_mean() {
    // Propensity a + b n: E[n(t)] = (n0 + a/b) e^(bt) - a/b.
    let (a, b, n0, t) = (5.0, 0.2, 3.0, 2.0);
    let crn =
        common::crn_of(&format!("network n {{ species amount X = {n0}; 0 -> X @ law({a} + {b} * X); }}"));
    let kin = Kinetics::new(&crn);
    let sim = Ssa::new(&kin, crn.volume, SsaMethod::Auto);
    assert_eq!(sim.method(), SsaMethod::Direct);
    let n = 20_000;
    let runs = ssa::ensemble(&sim, &ssa::initial_counts(&crn).unwrap(), &[0.0, t], 7, n).unwrap();
    let stats = ssa::statistics(&runs);
    let exact = (n0 + a / b) * (b * t).exp() - a / b;
    let z = (stats.mean[1] - exact) / (stats.sd[1] / (n as f64).sqrt());
    assert!(z.abs() < 4.0, "mean {} against {exact} (z = {z})", stats.mean[1]);
    // The rejection method is never used for a law: its bounds assume mass action.
    assert_eq!(Ssa::new(&kin, 1.0, SsaMethod::Rejection).method(), SsaMethod::Direct);
}

#[test]
fn the_ssa_propensity_is_the_law_at_the_counts() {
    // 2 P -> P2 at k P (P - 1) / 2: with 2 molecules one event at rate k, then none.
    let crn =
        common::crn_of("network n { species amount P = 2, P2 = 0; 2 P -> P2 @ law(0.5 * P * (P - 1)); }");
    let kin = Kinetics::new(&crn);
    let sim = Ssa::new(&kin, crn.volume, SsaMethod::Auto);
    let runs = ssa::ensemble(&sim, &[2, 0], &[0.0, 1.0], 1, 20_000).unwrap();
    let stats = ssa::statistics(&runs);
    // P2(1) is Bernoulli with p = 1 - e^(-1) (propensity 0.5 * 2 * 1 = 1).
    let p = 1.0 - (-1.0f64).exp();
    assert!((stats.mean[3] - p).abs() < 4.0 * (p * (1.0 - p) / 20_000.0).sqrt(), "{}", stats.mean[3]);
}

#[test]
fn a_negative_propensity_is_an_error_naming_the_reaction_and_time() {
    let crn = common::crn_of("network n { species amount A = 5; r1: A -> 0 @ law(3 - A); }");
    let kin = Kinetics::new(&crn);
    let sim = Ssa::new(&kin, crn.volume, SsaMethod::Auto);
    let e = sim.run(&[5], &[0.0, 1.0], 0).unwrap_err().with_reaction_names(&["r1".to_string()]);
    assert!(matches!(e, ssa::SsaError::NegativePropensity { time: 0.0, .. }), "{e:?}");
    assert!(e.to_string().contains("reaction `r1`"), "{e}");
    // A constant law for A -> 0 fires until A would go below zero.
    let crn = common::crn_of("network n { species amount A = 2; r1: A -> 0 @ law(1); }");
    let kin = Kinetics::new(&crn);
    let sim = Ssa::new(&kin, crn.volume, SsaMethod::Auto);
    let e = sim.run(&[2], &[0.0, 100.0], 0).unwrap_err().with_names(&["A".to_string()]);
    assert!(e.to_string().contains("the count of `A` below zero"), "{e}");
}

#[test]
fn sbml_keeps_the_law_and_the_text_list_refuses_it() {
    let crn = common::crn_of(DIMER);
    let sbml = backend::sbml::write(&crn);
    assert!(sbml.contains("<plus/>"), "{sbml}");
    let d = backend::text::unsupported(&crn).expect("a law cannot be written as a text list");
    assert_eq!(d.code, "E0603");
    assert!(
        backend::text::unsupported(&common::crn_of("network n { species A = 1; A -> 0 @ 2; }")).is_none()
    );
    let json = backend::json::write(&crn);
    assert!(json.contains("\"law\""), "{json}");
}
