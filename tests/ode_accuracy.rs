//! The ODE solver against closed-form solutions, conservation laws and the
//! benchmark networks, on networks compiled from crnl source.

mod common;

use std::path::{Path, PathBuf};

use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeError, OdeOptions, OdeSolution};
use crnc::source::{FileSystem, MemoryFs, RealFs};
use proptest::prelude::*;

fn compile(fs: &dyn FileSystem, path: &Path) -> Crn {
    common::compile(fs, path, None, None).unwrap_or_else(|report| panic!("{report}")).crn
}

fn crn(src: &str) -> Crn {
    compile(&MemoryFs::new().with("m.crnl", src), Path::new("m.crnl"))
}

fn solve_with(crn: &Crn, times: &[f64], opts: &OdeOptions) -> OdeSolution {
    ode::solve(&Kinetics::new(crn), &crn.initial_concentrations(), times, opts)
        .unwrap_or_else(|e| panic!("{}: {e}", crn.name))
}

fn solve(crn: &Crn, times: &[f64]) -> OdeSolution {
    solve_with(crn, times, &OdeOptions::default())
}

/// The column of species `name` from a solution.
fn column(crn: &Crn, sol: &OdeSolution, name: &str) -> Vec<f64> {
    let n = crn.species.len();
    let i = crn.species.iter().position(|s| s.name == name).unwrap_or_else(|| panic!("no species {name}"));
    sol.values.chunks(n).map(|row| row[i]).collect()
}

/// |x - exact| within rtol·|exact| + atol.
fn assert_close(what: &str, x: f64, exact: f64, rtol: f64, atol: f64) {
    assert!((x - exact).abs() <= rtol * exact.abs() + atol, "{what}: {x} vs exact {exact}");
}

fn grid(t_end: f64, points: usize) -> Vec<f64> {
    (0..=points).map(|i| t_end * i as f64 / points as f64).collect()
}

#[test]
fn consecutive_decay_matches_the_closed_form() {
    let crn = crn("network N { species A = 1, B; A -> B @ 2; B -> 0 @ 0.5; }");
    let times = grid(10.0, 20);
    let sol = solve(&crn, &times);
    let (a, b) = (column(&crn, &sol, "A"), column(&crn, &sol, "B"));
    for (k, &t) in times.iter().enumerate() {
        let exact_b = 2.0 / (0.5 - 2.0) * ((-2.0 * t).exp() - (-0.5 * t).exp());
        assert_close(&format!("A({t})"), a[k], (-2.0 * t).exp(), 1e-4, 1e-8);
        assert_close(&format!("B({t})"), b[k], exact_b, 1e-4, 1e-8);
    }
}

#[test]
fn reversible_isomerisation_relaxes_to_equilibrium() {
    let crn = crn("network N { species A = 3, B = 1; A <-> B @ 2, 0.5; }");
    let times = grid(8.0, 16);
    let sol = solve(&crn, &times);
    let (a, b) = (column(&crn, &sol, "A"), column(&crn, &sol, "B"));
    // A(t) = A_eq + (A0 - A_eq) e^{-(kf + kr) t} with A_eq = kr/(kf + kr) · total.
    let a_eq = 0.5 / 2.5 * 4.0;
    for (k, &t) in times.iter().enumerate() {
        assert_close(&format!("A({t})"), a[k], a_eq + (3.0 - a_eq) * (-2.5 * t).exp(), 1e-4, 1e-8);
        assert_close(&format!("A+B({t})"), a[k] + b[k], 4.0, 1e-9, 0.0);
    }
    assert_close("A(8)", a[16], a_eq, 1e-6, 1e-8);
}

#[test]
fn dimer_annihilation_follows_one_over_x_under_both_rate_laws() {
    // 2A -> 0 @ k: x' = -2k x² (mass action) or -k x² (combinatoric, k/2!
    // per pair), so 1/x grows linearly with slope 2k or k.
    for (law, slope) in [("mass_action", 2.0 * 1.5), ("combinatoric", 1.5)] {
        let crn = crn(&format!("network N {{ rate_law = {law}; species A = 2; 2A -> 0 @ 1.5; }}"));
        let times = grid(5.0, 10);
        let a = column(&crn, &solve(&crn, &times), "A");
        for (k, &t) in times.iter().enumerate() {
            assert_close(&format!("{law}: A({t})"), a[k], 2.0 / (1.0 + slope * 2.0 * t), 1e-4, 1e-8);
        }
    }
}

#[test]
fn robertson_is_solved_stiffly_and_conserves_mass() {
    let crn = crn("network Robertson {
        species A = 1, B, C;
        A -> B @ 0.04;
        B + B -> C + B @ 3e7;
        B + C -> A + C @ 1e4;
    }");
    let times = [0.0, 0.4, 4.0, 40.0];
    let sol = solve(&crn, &times);
    let (a, b, c) = (column(&crn, &sol, "A"), column(&crn, &sol, "B"), column(&crn, &sol, "C"));
    for k in 0..times.len() {
        assert_close(&format!("A+B+C at t = {}", times[k]), a[k] + b[k] + c[k], 1.0, 0.0, 1e-6);
    }
    // Reference values (Hairer & Wanner) at t = 40.
    assert_close("A(40)", a[3], 0.7158271, 1e-4, 0.0);
    assert_close("B(40)", b[3], 9.185535e-6, 1e-3, 0.0);
    assert_close("C(40)", c[3], 0.2841637, 1e-4, 0.0);
    // The stiff eigenvalue reaches ~ -3e3, so an explicit method would be held to
    // steps of ~1e-3 (tens of thousands of steps to t = 40).
    assert!(sol.steps < 2_000, "{} steps: the integrator is not treating the problem as stiff", sol.steps);
}

#[test]
fn tighter_rtol_gives_smaller_errors_on_growth_and_decay() {
    let growth = crn("network N { species A = 1; A -> 2A @ 1; }");
    let decay = crn("network N { species A = 1; A -> 0 @ 1; }");
    let t_end: f64 = 10.0;
    for (crn, exact) in [(&growth, t_end.exp()), (&decay, (-t_end).exp())] {
        let mut errors = Vec::new();
        for rtol in [1e-4, 1e-6, 1e-8] {
            let opts = OdeOptions { rtol, atol: 1e-14, ..OdeOptions::default() };
            let x = column(crn, &solve_with(crn, &[0.0, t_end], &opts), "A")[1];
            let relative = (x - exact).abs() / exact;
            // Local errors of rtol add up over these ten time constants: CVODE (libRoadRunner 2.10)
            // ends 24-82 rtol away on these two problems at these tolerances.
            assert!(relative < 100.0 * rtol, "rtol {rtol}: relative error {relative}");
            errors.push(relative);
        }
        assert!(errors[2] < errors[1] && errors[1] < errors[0], "errors do not shrink with rtol: {errors:?}");
    }
}

#[test]
fn too_few_steps_is_an_error_naming_the_time_reached() {
    let crn = crn("network N { species A = 1; A -> 0 @ 1; }");
    let kin = Kinetics::new(&crn);
    let opts = OdeOptions { max_steps: 5, ..OdeOptions::default() };
    let err = ode::solve(&kin, &[1.0], &[0.0, 100.0], &opts).unwrap_err();
    let OdeError::TooManySteps { time, steps } = err else { panic!("{err:?}") };
    assert_eq!(steps, 5);
    assert!(time > 0.0 && time < 100.0, "{time}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("t = {time}")) && message.contains("raise the step limit"),
        "{message}"
    );
}

#[test]
fn networks_without_species_or_reactions_do_not_panic() {
    let times = grid(1.0, 4);
    let empty = crn("network N { }");
    assert_eq!(solve(&empty, &times), OdeSolution { values: vec![], steps: 0 });
    let inert = crn("network N { species A = 1, B = 2; }");
    assert_eq!(solve(&inert, &times).values, [1.0, 2.0].repeat(times.len()));
    let source_only = crn("network N { species A; 0 -> A @ 3; }");
    assert_close("A(1)", column(&source_only, &solve(&source_only, &times), "A")[4], 3.0, 1e-9, 1e-12);
}

/// Species with masses; every reaction template below conserves
/// Σ mass · concentration.
const MASSES: [(&str, f64); 6] = [("A", 1.0), ("B", 1.0), ("C", 1.0), ("AB", 2.0), ("AC", 2.0), ("ABC", 3.0)];
const TEMPLATES: [&str; 8] = [
    "A <-> B",
    "B <-> C",
    "AB <-> AC",
    "A + B <-> AB",
    "A + C <-> AC",
    "2A <-> AB",
    "AB + C <-> ABC",
    "A + AB -> B + AC",
];

fn closed_network() -> impl Strategy<Value = String> {
    let rate = (-2.0f64..2.0).prop_map(|e| 10f64.powf(e));
    let reaction = (0..TEMPLATES.len(), rate.clone(), rate);
    let initial = proptest::collection::vec(0.0f64..5.0, MASSES.len());
    (proptest::collection::vec(reaction, 1..8), initial, any::<bool>()).prop_map(
        |(reactions, initial, comb)| {
            let species: Vec<String> =
                MASSES.iter().zip(&initial).map(|((s, _), x)| format!("{s} = {x}")).collect();
            let reactions: String = reactions
                .iter()
                .map(|&(t, kf, kr)| {
                    let template = TEMPLATES[t];
                    if template.contains("<->") {
                        format!("{template} @ {kf}, {kr};\n")
                    } else {
                        format!("{template} @ {kf};\n")
                    }
                })
                .collect();
            let law = if comb { "combinatoric" } else { "mass_action" };
            format!("network N {{ rate_law = {law}; species {}; {reactions} }}", species.join(", "))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn closed_networks_conserve_mass(src in closed_network()) {
        let crn = crn(&src);
        let sol = solve(&crn, &grid(20.0, 10));
        let n = crn.species.len();
        let mass: Vec<f64> = crn
            .species
            .iter()
            .map(|s| MASSES.iter().find(|m| m.0 == s.name).map(|m| m.1).expect("known species"))
            .collect();
        let total = |row: &[f64]| row.iter().zip(&mass).map(|(x, m)| x * m).sum::<f64>();
        let initial = total(&sol.values[..n]);
        for row in sol.values.chunks(n) {
            prop_assert!((total(row) - initial).abs() <= 1e-6 * initial.max(1e-3), "{src}: {} vs {initial}", total(row));
        }
    }
}

fn bench(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/networks").join(name)
}

#[test]
fn benchmark_networks_integrate_to_t_100() {
    let opts = OdeOptions::default();
    for name in ["multistate.net", "multisite2.net"] {
        let crn = compile(&RealFs::default(), &bench(name));
        let sol = solve(&crn, &grid(100.0, 10));
        assert_eq!(sol.values.len(), 11 * crn.species.len());
        for (k, v) in sol.values.iter().enumerate() {
            assert!(v.is_finite() && *v >= -10.0 * opts.atol, "{name}: value {k} is {v}");
        }
    }
}
