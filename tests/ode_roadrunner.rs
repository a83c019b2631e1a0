//! crnc's ODE trajectories against libRoadRunner (CVODE) on crnc's own SBML
//! export, for every example and the benchmark networks up to egfr_net. Both
//! solvers run at tight tolerances so that the comparison at rtol 1e-6,
//! atol 1e-9 measures the models, not the step-size control.

mod common;

use std::process::Command;

use crnc::backend::sbml;
use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeOptions};
use crnc::source::RealFs;

const RTOL: f64 = 1e-6;
const ATOL: f64 = 1e-9;
/// Solver tolerances, well below the comparison's.
const SOLVE_RTOL: f64 = 1e-10;
const SOLVE_ATOL: f64 = 1e-14;

fn compare(crn: &Crn, t_end: f64, points: usize, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.xml");
    std::fs::write(&model, sbml::write(crn)).unwrap();
    let out = dir.path().join("rr.csv");
    let python = common::sbml_external::python();
    let status = Command::new(&python)
        .arg(common::root().join("scripts/roadrunner_simulate.py"))
        .args([model.to_str().unwrap(), &t_end.to_string(), &points.to_string()])
        .args([&SOLVE_RTOL.to_string(), &SOLVE_ATOL.to_string(), out.to_str().unwrap()])
        .status()
        .expect("python runs");
    assert_eq!(status.code(), Some(0), "{what}: libRoadRunner failed (exit 2: the venv is missing)");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let ids = sbml::ids(crn);
    assert_eq!(&header[1..], ids.species.iter().map(String::as_str).collect::<Vec<_>>().as_slice());
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    let times: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    let kin = Kinetics::new(crn);
    let opts = OdeOptions { rtol: SOLVE_RTOL, atol: SOLVE_ATOL, ..OdeOptions::default() };
    let ours = ode::solve(&kin, &crn.initial_concentrations(), &times, &opts).expect("crnc solves it");
    let n = crn.species.len();
    let mut worst = (0.0, String::new());
    for (row, r) in rows.iter().enumerate() {
        for i in 0..n {
            let (theirs, mine) = (r[i + 1], ours.values[row * n + i]);
            let excess = (mine - theirs).abs() / (ATOL + RTOL * theirs.abs());
            if excess > worst.0 {
                worst = (
                    excess,
                    format!("{} at t = {}: crnc {mine}, libRoadRunner {theirs}", ids.species[i], r[0]),
                );
            }
        }
    }
    println!("{what}: worst |crnc - libRoadRunner| / (atol + rtol|x|) = {:.3} ({})", worst.0, worst.1);
    assert!(worst.0 <= 1.0, "{what}: trajectories differ: {}", worst.1);
}

#[test]
fn every_example_agrees_with_roadrunner() {
    for (stem, crns) in common::compiled_examples() {
        for crn in &crns {
            compare(crn, 10.0, 50, &format!("{stem}/{}", crn.name));
        }
    }
}

#[test]
fn benchmark_networks_agree_with_roadrunner() {
    let bench = common::root().join("../shared/bench/networks");
    assert!(bench.is_dir(), "the benchmark networks are expected at {}", bench.display());
    for (name, t_end) in [("multistate", 100.0), ("multisite2", 100.0), ("egfr_net", 100.0)] {
        let crns = common::compile_all(&RealFs::default(), &bench.join(format!("{name}.net")));
        compare(&crns[0], t_end, 20, name);
    }
}
