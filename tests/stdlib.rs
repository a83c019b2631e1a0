//! The standard library's circuits (stdlib/std/*.crnl), simulated with the ODE
//! solver: arithmetic reaches the right steady state for random inputs
//! (0 and values spanning 1e-3..1e3), vectors and comparison compute what their
//! documentation says, and the clock's phases come in order.

mod common;

use proptest::prelude::*;

use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeOptions};
use crnc::source::MemoryFs;

/// The steady state is asked for within 1e-4 relative.
const RELATIVE: f64 = 1e-4;

fn compile(src: &str) -> Crn {
    let fs = MemoryFs::new().with("m.crnl", src);
    common::compile_all(&fs, "m.crnl".as_ref()).remove(0)
}

/// Values of every species at `times`, by name.
fn simulate(crn: &Crn, times: &[f64]) -> impl Fn(&str) -> Vec<f64> {
    // Tolerances far below the 1e-4 asked of the circuits, down to products of 1e-3 inputs.
    let opts = OdeOptions { rtol: 1e-10, atol: 1e-16, ..OdeOptions::default() };
    let sol = ode::solve(&Kinetics::new(crn), &crn.initial_concentrations(), times, &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = crn.species.iter().map(|s| s.name.clone()).collect();
    let n = names.len();
    move |name: &str| {
        let i = names.iter().position(|s| s == name).unwrap_or_else(|| panic!("no species {name}"));
        sol.values.chunks(n).map(|row| row[i]).collect()
    }
}

/// The value of `out` at the end of a run of `t_end` of the network `body`.
fn steady(module: &str, body: &str, out: &str, t_end: f64) -> f64 {
    let crn = compile(&format!("import std::{module};\nnetwork N {{ {body} }}"));
    *simulate(&crn, &[0.0, t_end])(out).last().expect("two rows")
}

fn assert_relative(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() <= RELATIVE * want.abs() + 1e-12, "{what}: {got}, want {want}");
}

/// 0, or a value spread log-uniformly over 1e-3..1e3.
fn input() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 6 => (-3.0f64..3.0).prop_map(|e| 10f64.powf(e))]
}

fn positive() -> impl Strategy<Value = f64> {
    (-3.0f64..3.0).prop_map(|e| 10f64.powf(e))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn load_add_and_mul_settle_on_their_values(a in input(), b in input()) {
        let species = format!("species a = {a:e}, b = {b:e};");
        // Relaxation at rate k = 1: 20 time units leave e^-20 of the start.
        assert_relative("load", steady("arith", &format!("{species} c = load(a);"), "c", 20.0), a);
        assert_relative("add", steady("arith", &format!("{species} c = add(a, b);"), "c", 20.0), a + b);
        assert_relative("mul", steady("arith", &format!("{species} c = mul(a, b);"), "c", 20.0), a * b);
    }

    #[test]
    fn div_settles_on_the_quotient(a in input(), b in positive()) {
        // c relaxes at rate b.
        let c = steady("arith", &format!("species a = {a:e}, b = {b:e}; c = div(a, b);"), "c", 25.0 / b);
        assert_relative("div", c, a / b);
    }

    #[test]
    fn sqrt_settles_on_the_root(a in input()) {
        // Near the root, b relaxes at rate 4·sqrt(a); from 0 it first climbs as a·t.
        let t = if a == 0.0 { 1.0 } else { 10.0 / a.sqrt() + 10.0 };
        assert_relative("sqrt", steady("arith", &format!("species a = {a:e}; b = sqrt(a);"), "b", t), a.sqrt());
    }

    #[test]
    fn sub_settles_on_the_difference(b in input(), ratio in 1.5f64..100.0) {
        // a > b by a margin: CRN++'s subtraction relaxes at about d²/(a + d²), d = a - b
        // (the slow eigenvalue at its steady state; see std::arith).
        let a = if b == 0.0 { ratio } else { b * ratio };
        let d = a - b;
        let t = 12.0 * (a + d * d) / (d * d) + 20.0;
        let c = steady("arith", &format!("species a = {a:e}, b = {b:e}; c = sub(a, b);"), "c", t);
        assert_relative("sub", c, a - b);
    }
}

#[test]
fn sub_of_a_larger_subtrahend_tends_to_zero() {
    let c = steady("arith", "species a = 1, b = 2; c = sub(a, b);", "c", 1e4);
    assert!(c < 1e-3, "{c}");
}

#[test]
fn dot_scale_and_diff_compute_their_vectors() {
    let y = steady("vector", "species w[3] = [0.5, 1, 2], x[3] = [4, 3, 0.25]; y = dot[3](w, x);", "y", 30.0);
    assert_relative("dot", y, 0.5 * 4.0 + 3.0 + 0.5);
    let crn =
        compile("import std::vector;\nnetwork N { species s = 3, v[2] = [1, 0.5]; r = scale[2](s, v); }");
    let r = simulate(&crn, &[0.0, 30.0]);
    assert_relative("scale 0", r("r[0]")[1], 3.0);
    assert_relative("scale 1", r("r[1]")[1], 1.5);
    for (a, b) in [(5.0, 2.0), (2.0, 5.0)] {
        let crn = compile(&format!(
            "import std::vector;\nnetwork N {{ species a = {a}, b = {b}; d_p, d_m = diff(a, b); }}"
        ));
        let v = simulate(&crn, &[0.0, 40.0]);
        let (p, m) = (v("d_p")[1], v("d_m")[1]);
        assert_relative("diff", p - m, a - b);
        assert!(p.min(m) < 0.05, "the smaller rail stays near 0: {p}, {m}");
    }
}

#[test]
fn error_consumes_prediction_and_target_into_rails() {
    let crn = compile("import std::vector;\nnetwork N { species o = 0.8, y = 1.5; e_p, e_m = error(o, y); }");
    let v = simulate(&crn, &[0.0, 40.0]);
    assert_relative("error", v("e_p")[1] - v("e_m")[1], 0.8 - 1.5);
    assert!(v("o")[1] < 1e-9 && v("y")[1] < 1e-9, "inputs are consumed");
}

#[test]
fn compare_raises_the_flag_of_the_larger_input() {
    for (a, b) in [(2.0, 1.0), (1.0, 2.0), (0.3, 0.2)] {
        let crn = compile(&format!(
            "import std::control;\nnetwork N {{ species a = {a}, b = {b}; gt, lt = compare(a, b); }}"
        ));
        let v = simulate(&crn, &[0.0, 100.0]);
        let (gt, lt) = (v("gt")[1], v("lt")[1]);
        let (winner, loser) = if a > b { (gt, lt) } else { (lt, gt) };
        assert!(winner > 0.99 && loser < 0.01, "a = {a}, b = {b}: gt = {gt}, lt = {lt}");
    }
}

/// The clock over ten periods: phases peak in order, one at a time, and in
/// each phase's window its gate dominates every other species of the clock.
#[test]
fn clock_phases_come_in_order_and_each_gate_dominates_its_window() {
    let n = 2;
    let m = 3 * n;
    let crn = compile(&format!("import std::control;\nnetwork N {{ x = clock[{n}](); }}"));
    let times: Vec<f64> = (0..=30_000).map(|i| i as f64 * 0.025).collect();
    let v = simulate(&crn, &times);
    let x: Vec<Vec<f64>> = (0..m).map(|i| v(&format!("x[{i}]"))).collect();
    // Which phase leads at each time, and the order in which the lead passes on.
    let leader = |t: usize| (0..m).max_by(|&i, &j| x[i][t].total_cmp(&x[j][t])).expect("phases");
    let mut order = vec![leader(0)];
    for t in 1..times.len() {
        let l = leader(t);
        if l != *order.last().expect("one leader") {
            order.push(l);
        }
    }
    for pair in order.windows(2) {
        assert_eq!(pair[1], (pair[0] + 1) % m, "the lead passes to the next phase: {order:?}");
    }
    let periods = (order.len() - 1) / m;
    assert!(periods >= 10, "{periods} periods in t = 750");
    // In the middle of each window, the leading gate holds most of the mass (2 in all).
    let mut t = 0;
    while t < times.len() {
        let l = leader(t);
        let end = (t..times.len()).find(|&u| leader(u) != l).unwrap_or(times.len());
        let mid = (t + end) / 2;
        if t > 0 && end < times.len() {
            assert!(x[l][mid] > 1.9, "phase {l} at t = {}: {}", times[mid], x[l][mid]);
        }
        t = end;
    }
}

#[test]
fn a_gate_passes_its_input_only_while_open() {
    // x[2] is high around t = 20 (see the clock test); later, b holds its value.
    let crn =
        compile("import std::control;\nnetwork N { x = clock[1](); species a = 3; b = gate(x[2], a); }");
    let v = simulate(&crn, &[0.0, 5.0, 25.0]);
    assert!(v("b")[1] < 0.5, "closed at first: {}", v("b")[1]);
    assert_relative("open", v("b")[2], 3.0);
}
