//! The hybrid simulator of detailed-balanced learners (`crnc::sim::hybrid`):
//! exact waiting-time laws, frozen potentials, the learners A3 and A9 of
//! domain.md §4.2 against their fixed points, reproducibility and errors.

mod common;

use crnc::crn::{Crn, Role};
use crnc::sim::hybrid::{self, Coupling, HybridError, HybridOptions, HybridRun};

/// The CRN of `src` with the species named in `potentials` made potentials.
fn learner(src: &str, potentials: &[&str]) -> Crn {
    let mut crn = common::crn_of(src);
    for name in potentials {
        let s =
            crn.species.iter_mut().find(|s| s.name == *name).unwrap_or_else(|| panic!("no species {name}"));
        s.role = Role::Potential;
    }
    crn
}

/// Output times 0, step, 2·step, ... up to `end`.
fn grid(end: f64, step: f64) -> Vec<f64> {
    let n = (end / step).round() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

fn options(vesicles: usize, coupling: Coupling, seed: u64, average_from: f64) -> HybridOptions {
    HybridOptions { seed, average_from, ..HybridOptions::new(vesicles, coupling) }
}

fn run(crn: &Crn, times: &[f64], opts: &HybridOptions) -> HybridRun {
    hybrid::simulate(crn, times, opts).unwrap_or_else(|e| panic!("{e}"))
}

fn index(crn: &Crn, name: &str) -> usize {
    crn.species.iter().position(|s| s.name == name).unwrap_or_else(|| panic!("no species {name}"))
}

/// ∫₀^T f by Simpson's rule on 20,000 panels.
fn integral(f: impl Fn(f64) -> f64, end: f64) -> f64 {
    let n = 20_000;
    let h = end / n as f64;
    let inner: f64 = (1..n).map(|i| f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 }).sum();
    (f(0.0) + inner + f(end)) * h / 3.0
}

const WAITING: &str = "network W { species amount A = 1, B = 0, P = 1; P -> 2 P @ 1; A + P -> B + P @ 1; }";

/// One molecule A turns into B at propensity [P](t) = e^t (P -> 2P is a
/// flow): the conversion time has survival S(t) = exp(−(e^t − 1)). Each of
/// 4,000 vesicles converts independently under the shared P, and the exact
/// time average of B over [0, T) is the mean of 1 − (τ∧T)/T over them.
/// Returns (empirical mean of τ∧T, exact mean, standard error).
fn conversion_time(coupling: Coupling) -> (f64, f64, f64) {
    let crn = learner(WAITING, &["P"]);
    let (end, vesicles) = (5.0, 4000);
    let out = run(&crn, &[0.0, end], &options(vesicles, coupling, 7, 0.0));
    let empirical = end * (1.0 - out.averages[index(&crn, "B")]);
    let survival = |t: f64| (-(t.exp() - 1.0)).exp();
    let mean = integral(survival, end);
    let second = integral(|t| 2.0 * t * survival(t), end);
    (empirical, mean, ((second - mean * mean) / vesicles as f64).sqrt())
}

#[test]
fn the_exact_coupling_gets_the_waiting_time_law_of_a_growing_potential() {
    let (empirical, exact, se) = conversion_time(Coupling::Exact);
    eprintln!("Exact: mean conversion time {empirical}, exact {exact} (standard error {se})");
    assert!((empirical - exact).abs() < 4.0 * se, "{empirical} vs {exact} ± {se}");
}

#[test]
fn the_split_coupling_with_a_long_interval_misses_that_law() {
    let (empirical, exact, se) = conversion_time(Coupling::Split { interval: 1.0 });
    eprintln!("Split (h = 1): mean conversion time {empirical}, exact {exact} (standard error {se})");
    assert!((empirical - exact).abs() > 10.0 * se, "{empirical} vs {exact} ± {se}");
}

/// 0 <-> X + P with [P] = 2 held (no flow): <x> = k₊/(k₋·2) = 5 in every coupling.
#[test]
fn frozen_potentials_give_the_birth_death_mean() {
    let crn = learner("network F { species amount X = 0, P = 2; 0 <-> X + P @ 10, 1; }", &["P"]);
    for coupling in [Coupling::Exact, Coupling::Split { interval: 0.5 }, Coupling::PerEvent { dt: 1e-3 }] {
        let out = run(&crn, &grid(200.0, 1.0), &options(10, coupling, 3, 20.0));
        let (x, p) = (out.averages[index(&crn, "X")], out.averages[index(&crn, "P")]);
        eprintln!("{coupling:?}: <x> = {x}, <p> = {p}");
        assert!((x - 5.0).abs() < 0.03 * 5.0, "{coupling:?}: <x> = {x}");
        assert!((p - 2.0).abs() < 1e-12, "{coupling:?}: <p> = {p}");
        assert_eq!(out.dissipation, 0.0);
    }
}
