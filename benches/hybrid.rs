//! Hybrid simulator benchmark (`crnc::sim::hybrid`): events per second and
//! simulated time per wall second of each coupling on A3 (domain.md §4.2:
//! N = 10 vesicles sharing one potential, ~45,000 events per unit time) and
//! on a birth-death network with a frozen potential (one vesicle, the
//! SSA-only floor; bioscrape: 17-23 M events/s, §3.12), and of the exact
//! coupling's general (Dormand-Prince) path on A9, and A7 (the toggle switch,
//! a clamped and a free 3-unit ECBM, 14 potentials: 46 jumps, 24 learning
//! and copy flows; domain.md §3.8, §3.12 item 6), written out as the peer
//! pog_ref/a7_net.py builds it.
//!
//! `cargo bench --bench hybrid`; `CRNC_BENCH_HYBRID=A7` runs only the
//! networks whose name starts so.

use std::path::Path;
use std::time::Instant;

use crnc::crn::{Crn, Role};
use crnc::driver;
use crnc::sim::hybrid::{self, Coupling, HybridOptions};
use crnc::source::MemoryFs;

/// The CRN of `src` with `potentials` made potentials.
fn learner(src: &str, potentials: &[&str]) -> Crn {
    let fs = MemoryFs::new().with("b.crnl", src);
    let compiled = driver::compile(&fs, Path::new("b.crnl"), None, &driver::Flags::default());
    let report = compiled.rendered();
    let mut crn = compiled.lowered.unwrap_or_else(|_| panic!("{report}")).crn;
    for s in &mut crn.species {
        if potentials.contains(&s.name.as_str()) {
            s.role = Role::Potential;
        }
    }
    crn
}

fn a3(k: f64) -> Crn {
    learner(
        &format!(
            "network A3 {{ species amount X = 2, P = 1000, Q = 100; energy X = -3; \
             0 <-> X + P @ 500; P + X -> 2 P + X @ {k}; P + Q -> Q @ {k}; }}"
        ),
        &["P"],
    )
}

/// The toggle switch of A7's environment (domain.md §4.2).
const TOGGLE: &str = "
  G0 -> G0 + T0 @ 2500; G1 -> G1 + T1 @ 2500; T0 -> R0 + T0 @ 2500; T1 -> R1 + T1 @ 2500;
  2 R1 + G0 <-> G0R1 @ 250000, 25000; 2 R0 + G1 <-> G1R0 @ 250000, 25000;
  R0 -> 0 @ 500; R1 -> 0 @ 500; T0 -> 0 @ 500; T1 -> 0 @ 500;
  G0R1 -> G0R1 + T0 @ 12.5; G1R0 -> G1R0 + T1 @ 12.5;";

/// A unit's or edge's name in the copy `prefix` (`Q`: X0 -> Q0, H -> QH, W0 -> QW0).
fn clamped_name(prefix: &str, u: &str) -> String {
    match u.strip_prefix('X') {
        Some(i) if !prefix.is_empty() => format!("{prefix}{i}"),
        _ => format!("{prefix}{u}"),
    }
}

/// One ECBM's flips (domain.md §3.8) with the potentials as reactants:
/// `prefix` names the copy's units (`Q` for the clamped one), `clamped`
/// adds its visible units' own potentials.
fn ecbm(prefix: &str, clamped: bool) -> String {
    let unit = |u: &str| clamped_name(prefix, u);
    let edge = |u: &str, j: &str| if [u, j].contains(&"X0") { "W0" } else { "W1" };
    let neighbours = |u: &str| if u == "H" { vec!["X0", "X1"] } else { vec!["H"] };
    let mut text = String::new();
    for u in ["X0", "X1", "H"] {
        let near = neighbours(u);
        for config in 0..1 << near.len() {
            let mut side = [Vec::new(), Vec::new()];
            for (b, s) in side.iter_mut().enumerate() {
                s.push(format!("{}_{b}", unit(u)));
                s.push(format!("P{u}_{b}"));
                if clamped && u != "H" {
                    s.push(format!("PQ{}_{b}", &u[1..]));
                }
                for (i, j) in near.iter().enumerate() {
                    let on = config >> i & 1;
                    s.push(format!("{}_{on}", unit(j)));
                    if on == 1 {
                        s.push(format!("{}_{b}", unit(edge(u, j))));
                        s.push(format!("P{}_{b}", edge(u, j)));
                    }
                }
            }
            let [off, on] = side.map(|s| s.join(" + "));
            text += &format!("  {off} -> {on} @ 100; {on} -> {off} @ 100;\n");
        }
    }
    text
}

/// A7 (domain.md §4.2): environment, clamped and free ECBM, the 10 learning
/// rules and the 2 copy rules, in species form.
fn a7() -> Crn {
    let alpha = 500f64.powi(2) / ((2500.0 + 12.5) * 2500.0);
    let units = ["X0", "X1", "H", "W0", "W1"];
    let clamped = |u: &str| clamped_name("Q", u);
    let mut species = vec!["G0 = 1".to_string(), "G1 = 1".into()];
    species.extend(["R0", "R1", "T0", "T1", "G0R1", "G1R0"].map(String::from));
    let mut potentials = Vec::new();
    let mut rules = String::new();
    for u in units {
        for b in 0..2 {
            let start = if b == 0 { 1 } else { 0 };
            species.push(format!("{u}_{b} = {start}"));
            species.push(format!("{}_{b} = {start}", clamped(u)));
            potentials.push(format!("P{u}_{b}"));
            rules += &format!(
                "  P{u}_{b} + {u}_{b} -> 2 P{u}_{b} + {u}_{b} @ 0.01; P{u}_{b} + {q}_{b} -> {q}_{b} @ 0.01;\n",
                q = clamped(u)
            );
        }
    }
    for i in 0..2 {
        potentials.extend([format!("PQ{i}_0"), format!("PQ{i}_1")]);
        rules += &format!(
            "  PQ{i}_1 + Q{i}_1 -> 2 PQ{i}_1 + Q{i}_1 @ 2.5; PQ{i}_1 + R{i} -> R{i} @ {};\n",
            2.5 * alpha
        );
    }
    species.extend(potentials.iter().map(|p| format!("{p} = 1")));
    let src = format!(
        "network A7 {{ species amount {};\n{TOGGLE}\n{}{}{rules}}}",
        species.join(", "),
        ecbm("", false),
        ecbm("Q", true)
    );
    let names: Vec<&str> = potentials.iter().map(String::as_str).collect();
    learner(&src, &names)
}

fn main() {
    let birth_death = learner("network BD { species amount X = 0, P = 1; 0 <-> X + P @ 1000, 10; }", &["P"]);
    let a9 = learner(
        "network A9 { species amount X = 1, P = 1, Q = 100; 0 <-> X + P @ 500; \
         P + X <-> 2 P + X @ 0.05, 0.025; P + Q <-> Q @ 0.05, 0.025; }",
        &["P"],
    );
    let cases: Vec<(&str, Crn, usize, Coupling, f64)> = vec![
        ("A3 (k = 1e-3)", a3(1e-3), 10, Coupling::PerEvent { dt: 1e-3 }, 20.0),
        ("A3 (k = 0.02)", a3(0.02), 10, Coupling::Exact, 20.0),
        ("A3 (k = 0.02)", a3(0.02), 10, Coupling::Split { interval: 1e-3 }, 20.0),
        ("birth-death", birth_death.clone(), 1, Coupling::PerEvent { dt: 1e-3 }, 2000.0),
        ("birth-death", birth_death.clone(), 1, Coupling::Exact, 2000.0),
        ("birth-death", birth_death, 1, Coupling::Split { interval: 1.0 }, 2000.0),
        ("A9 (reversible)", a9, 25, Coupling::Exact, 10.0),
        ("A7", a7(), 1, Coupling::PerEvent { dt: 1e-3 }, 20.0),
        ("A7", a7(), 1, Coupling::Exact, 20.0),
        ("A7", a7(), 1, Coupling::Split { interval: 1e-3 }, 20.0),
    ];
    println!(
        "{:<16} {:<22} {:>3} {:>11} {:>8} {:>12} {:>14}",
        "network", "coupling", "N", "events", "wall s", "events/s", "time/wall s"
    );
    let only = std::env::var("CRNC_BENCH_HYBRID").unwrap_or_default();
    for (name, crn, vesicles, coupling, end) in cases.into_iter().filter(|c| c.0.starts_with(&only)) {
        let times: Vec<f64> = (0..=1000).map(|i| end * i as f64 / 1000.0).collect();
        let opts = HybridOptions { average_from: end / 2.0, ..HybridOptions::new(vesicles, coupling) };
        let started = Instant::now();
        let run = hybrid::simulate(&crn, &times, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let wall = started.elapsed().as_secs_f64();
        println!(
            "{name:<16} {:<22} {vesicles:>3} {:>11} {wall:>8.3} {:>12.3e} {:>14.1}",
            format!("{coupling:?}"),
            run.events,
            run.events as f64 / wall,
            end / wall
        );
    }
}
