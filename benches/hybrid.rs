//! Hybrid simulator benchmark (`crnc::sim::hybrid`): events per second and
//! simulated time per wall second of each coupling on A3 (domain.md §4.2:
//! N = 10 vesicles sharing one potential, ~45,000 events per unit time) and
//! on a birth-death network with a frozen potential (one vesicle, the
//! SSA-only floor; bioscrape: 17-23 M events/s, §3.12), and of the exact
//! coupling's general (Dormand-Prince) path on A9.
//!
//! `cargo bench --bench hybrid`

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
    ];
    println!(
        "{:<16} {:<22} {:>3} {:>11} {:>8} {:>12} {:>14}",
        "network", "coupling", "N", "events", "wall s", "events/s", "time/wall s"
    );
    for (name, crn, vesicles, coupling, end) in cases {
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
