//! Simulation benchmark. First the solver on training-shaped networks
//! (`benches/b4_forward.crnl` and `b4_reference.crnl`, a Neural CRN's B4
//! forward phase as crnc compiles it and as the reference writes it,
//! domain.md §2.7, and its backward phase, `b4_backward.crnl`): time per
//! solve to T = 0.4 (backward 2.0) from a new initial state, through
//! `ode::solve` (setup per call), a reused `Integrator` with BDF, and one with
//! the Rosenbrock method, at the two tolerances of the Neural CRN reference,
//! and each one's largest deviation from a BDF solve at rtol 1e-12; then the
//! two methods per network (where `OdeMethod::Auto` switches). Then the five
//! networks of ../shared/bench, crnc and libRoadRunner side by side: load time, ODE time per simulation
//! at t = 10, 100, 1000 (atol 1e-9, rtol 1e-6, output at the end time only),
//! their ratios, and SSA events per second (libRoadRunner's gillespie on
//! multistate as the peer).
//!
//! `CRNC_PYTHON=.venv/bin/python cargo bench --bench simulate`
//! `CRNC_BENCH_NETWORKS=multistate,egfr_net` picks networks (default: all five);
//! `CRNC_BENCH_ROADRUNNER=multistate,multisite2,egfr_net` picks where libRoadRunner
//! runs too (default: those three: its load takes minutes on BCR and more on fceri_gamma2).
//! libRoadRunner scales the absolute tolerance by each species' initial value;
//! crnc runs twice, at the plain atol and at libRoadRunner's per-species
//! vector, and the ratios compare the matched runs.
//! Both read the same SBML file (the network's `.xml`, decompressed into a
//! temporary directory first), so load times compare like with like.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{bench_dir, load, read};
use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, Integrator, OdeMethod, OdeOptions};
use crnc::sim::ssa::{self, Ssa, SsaMethod};

const END_TIMES: [f64; 3] = [10.0, 100.0, 1000.0];
const ALL: [&str; 5] = ["multistate", "multisite2", "egfr_net", "BCR", "fceri_gamma2"];

/// The network's SBML, as one plain file both simulators read.
fn sbml_file(name: &str) -> Option<PathBuf> {
    let text = read(&bench_dir().join(format!("{name}.xml")))?;
    let dir = std::env::temp_dir().join(format!("crnc-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, text).ok()?;
    Some(file)
}

fn list(var: &str, default: &[&str]) -> Vec<String> {
    match std::env::var(var) {
        Ok(v) => v.split(',').map(str::to_string).collect(),
        Err(_) => default.iter().map(|s| s.to_string()).collect(),
    }
}

fn best_of<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeats {
        let t = Instant::now();
        last = Some(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, last.expect("at least one repeat"))
}

/// Events per second of our SSA, run until it has taken about half a second.
fn ssa_rate(crn: &Crn) -> Option<(f64, &'static str)> {
    let kin = Kinetics::new(crn);
    let n0 = ssa::initial_counts(crn).ok()?;
    let sim = Ssa::new(&kin, crn.volume, SsaMethod::Auto);
    let method = sim.method().name();
    let mut t_end = 1e-3;
    loop {
        let start = Instant::now();
        let run = sim.run(&n0, &[0.0, t_end], 1).ok()?;
        let seconds = start.elapsed().as_secs_f64();
        if seconds > 0.5 || t_end > 1e6 {
            return Some((run.events as f64 / seconds, method));
        }
        t_end *= 4.0;
    }
}

/// Initial states of the training-shaped network: its own, scaled per
/// sample, as a training run loads new inputs and states.
const SAMPLES: usize = 64;

fn samples(x0: &[f64]) -> Vec<Vec<f64>> {
    (0..SAMPLES).map(|i| x0.iter().map(|v| v * (0.5 + i as f64 / SAMPLES as f64)).collect()).collect()
}

/// Seconds per solve (best of 5 passes over every sample), steps per solve,
/// and the end states.
fn per_solve(states: &[Vec<f64>], mut solve: impl FnMut(&[f64], &mut [f64]) -> u64) -> (f64, f64, Vec<f64>) {
    let mut ends = vec![0.0; states.len() * states[0].len()];
    let (seconds, steps) = best_of(5, || {
        states.iter().zip(ends.chunks_mut(states[0].len())).map(|(x, end)| solve(x, end)).sum::<u64>()
    });
    (seconds / states.len() as f64, steps as f64 / states.len() as f64, ends)
}

fn training_table(name: &str, t: f64) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches").join(name);
    let crn = load(&file);
    let kin = Kinetics::new(&crn);
    let states = samples(&crn.initial_concentrations());
    let changing = {
        let mut s: Vec<u32> = kin.changes.iter().map(|c| c.0).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    println!(
        "Training-shaped network (benches/{name}): {} species ({changing} change), {} reactions, T = {t}, {SAMPLES} initial states",
        crn.species.len(),
        crn.reactions.len()
    );
    println!();
    println!(
        "| rtol / atol | solver | µs per solve | steps per solve | max deviation | speed-up over solve() |"
    );
    println!("|---|---|---|---|---|---|");
    let options = |method, rtol, atol| OdeOptions { method, rtol, atol, ..OdeOptions::default() };
    let mut exact = Integrator::new(&kin, &options(OdeMethod::Bdf, 1e-12, 1e-14)).expect("valid options");
    let (_, _, reference) = per_solve(&states, |x, end| exact.solve_to(x, t, end).expect("solves"));
    for (rtol, atol) in [(1e-4, 1e-8), (1e-5, 1e-8), (1e-6, 1e-8), (1e-8, 1e-8)] {
        let bdf = options(OdeMethod::Bdf, rtol, atol);
        let one_off = per_solve(&states, |x, end| {
            let sol = ode::solve(&kin, x, &[t], &bdf).expect("solves");
            end.copy_from_slice(&sol.values);
            sol.steps
        });
        let mut handle = Integrator::new(&kin, &bdf).expect("valid options");
        let reused = per_solve(&states, |x, end| handle.solve_to(x, t, end).expect("solves"));
        let mut rosenbrock =
            Integrator::new(&kin, &options(OdeMethod::Rosenbrock, rtol, atol)).expect("valid");
        let dense = per_solve(&states, |x, end| rosenbrock.solve_to(x, t, end).expect("solves"));
        for (name, (seconds, steps, ends)) in [
            ("solve() (BDF, setup per call)", &one_off),
            ("Integrator, BDF", &reused),
            ("Integrator, Rosenbrock", &dense),
        ] {
            let deviation = ends.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            println!(
                "| {rtol:e} / {atol:e} | {name} | {:.1} | {steps:.1} | {deviation:.1e} | {:.1}x |",
                seconds * 1e6,
                one_off.0 / seconds
            );
        }
    }
    println!();
}

/// Per-solve time of each method on a benchmark network at t = 100 and two
/// tolerances: where the dense Rosenbrock method stops paying
/// (`ode::ROSENBROCK_MAX_SPECIES`, `ode::ROSENBROCK_MIN_RTOL`).
fn method_row(name: &str, crn: &Crn) {
    let kin = Kinetics::new(crn);
    let x0 = crn.initial_concentrations();
    let mut cells = Vec::new();
    for rtol in [1e-4, 1e-6] {
        for method in [OdeMethod::Bdf, OdeMethod::Rosenbrock] {
            let opts = OdeOptions { method, rtol, ..OdeOptions::default() };
            let mut handle = Integrator::new(&kin, &opts).expect("valid options");
            let mut end = vec![0.0; x0.len()];
            let (seconds, steps) = best_of(3, || handle.solve_to(&x0, 100.0, &mut end));
            cells.push(match steps {
                Ok(steps) => format!("{:.3} ({steps} steps)", seconds * 1e3),
                Err(e) => format!("failed: {e}"),
            });
        }
    }
    println!("| {name} | {} | {} |", crn.species.len(), cells.join(" | "));
}

fn roadrunner(python: &str, file: &Path, repeats: usize, gillespie: bool) -> Option<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/roadrunner_bench.py");
    let ends = END_TIMES.map(|t| t.to_string()).join(",");
    let mut cmd = std::process::Command::new(python);
    cmd.arg(script).arg(file).args(["1e-6", "1e-9", &ends, &repeats.to_string()]);
    if gillespie {
        cmd.arg("100");
    }
    let out = cmd.output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn main() {
    // As crnc compiles the B4 forward phase, and as the reference writes it.
    training_table("b4_forward.crnl", 0.4);
    training_table("b4_reference.crnl", 0.4);
    training_table("b4_backward.crnl", 2.0);
    let networks = list("CRNC_BENCH_NETWORKS", &ALL);
    println!("Each method to t = 100 (ms), atol 1e-9:");
    println!();
    println!(
        "| network | species | BDF, rtol 1e-4 | Rosenbrock, rtol 1e-4 | BDF, rtol 1e-6 | Rosenbrock, rtol 1e-6 |"
    );
    println!("|---|---|---|---|---|---|");
    for name in networks.iter().filter(|n| ["multistate", "multisite2"].contains(&n.as_str())) {
        if let Some(file) = sbml_file(name) {
            method_row(name, &load(&file));
        }
    }
    println!();
    let with_rr = list("CRNC_BENCH_ROADRUNNER", &["multistate", "multisite2", "egfr_net"]);
    let python = std::env::var("CRNC_PYTHON").ok();
    println!(
        "| network | species | reactions | crnc load (s) | libRoadRunner load (s) | t | crnc sim (ms) | crnc sim, rr's atol (ms) | libRoadRunner sim (ms) | sim ratio rr/crnc | end-to-end ratio rr/crnc |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut ssa_rows = Vec::new();
    for name in &networks {
        let Some(file) = sbml_file(name) else {
            println!("| {name} | (missing) |");
            continue;
        };
        let (load_s, crn) = best_of(1, || load(&file));
        let kin = Kinetics::new(&crn);
        let x0 = crn.initial_concentrations();
        let repeats = if crn.reactions.len() > 10_000 { 1 } else { 3 };
        let rr = match &python {
            Some(py) if with_rr.contains(name) => roadrunner(py, &file, repeats, name == "multistate"),
            _ => None,
        };
        let rr_load = rr.as_ref().and_then(|v| v["load"].as_f64());
        // libRoadRunner's own per-species absolute tolerances, by species name.
        let matched: Option<Vec<f64>> = rr
            .as_ref()
            .and_then(|v| crn.species.iter().map(|s| v["atol"][s.name.as_str()].as_f64()).collect());
        for t_end in END_TIMES {
            let solve = |species_atol: Option<Vec<f64>>| {
                let opts = OdeOptions { species_atol, ..OdeOptions::default() };
                best_of(repeats, || ode::solve(&kin, &x0, &[0.0, t_end], &opts))
            };
            let (plain_s, plain) = solve(None);
            let (sim_s, result) = match &matched {
                Some(v) => solve(Some(v.clone())),
                None => (plain_s, plain.clone()),
            };
            let ms = |s: f64, r: &Result<_, ode::OdeError>| match r {
                Ok(_) => format!("{:.3}", s * 1e3),
                Err(e) => format!("failed: {e}"),
            };
            let rr_sim = rr.as_ref().and_then(|v| v["simulate"][format!("{t_end}")].as_f64());
            let seconds = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
            let millis = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.3}", x * 1e3));
            let ratio = rr_sim.map_or("-".to_string(), |r| format!("{:.1}x", r / sim_s));
            let e2e = match (rr_load, rr_sim) {
                (Some(l), Some(s)) => format!("{:.1}x", (l + s) / (load_s + sim_s)),
                _ => "-".to_string(),
            };
            let matched_ms = if matched.is_some() { ms(sim_s, &result) } else { "-".to_string() };
            println!(
                "| {name} | {} | {} | {load_s:.3} | {} | {t_end} | {} | {matched_ms} | {} | {ratio} | {e2e} |",
                crn.species.len(),
                crn.reactions.len(),
                seconds(rr_load),
                ms(plain_s, &plain),
                millis(rr_sim)
            );
        }
        let peer = rr.as_ref().and_then(|v| v["gillespie_events_per_second"].as_f64());
        ssa_rows.push((name.clone(), ssa_rate(&crn), peer));
        let _ = std::fs::remove_file(&file);
    }
    println!();
    println!("| network | crnc SSA method | crnc events/s | libRoadRunner gillespie events/s | ratio |");
    println!("|---|---|---|---|---|");
    for (name, ours, peer) in ssa_rows {
        let (rate, method) = ours.map_or(("-".to_string(), "-"), |(r, m)| (format!("{:.2e}", r), m));
        let peer_s = peer.map_or("-".to_string(), |p| format!("{p:.2e}"));
        let ratio = match (ours, peer) {
            (Some((r, _)), Some(p)) => format!("{:.1}x", r / p),
            _ => "-".to_string(),
        };
        println!("| {name} | {method} | {rate} | {peer_s} | {ratio} |");
    }
}
