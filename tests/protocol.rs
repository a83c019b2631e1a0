//! The protocol beside the CRN: `--emit protocol`, and a plain network's
//! one-phase protocol run by the executor gives what a plain ODE run gives.

mod common;

use std::process::Command;

use crnc::crn::protocol::Protocol;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeOptions};
use crnc::sim::protocol::Executor;

#[test]
fn emit_protocol_prints_a_plain_networks_one_phase() {
    let example = common::root().join("examples/brusselator.crnl");
    let out = Command::new(env!("CARGO_BIN_EXE_crnc"))
        .args(["compile", example.to_str().unwrap(), "--emit", "protocol"])
        .output()
        .expect("crnc runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "protocol of Brusselator (1 phase)\nphase main (groups main) for t = 30\n"
    );
}

#[test]
fn a_plain_protocol_runs_the_network_as_an_ode_run_does() {
    for (stem, crns) in common::compiled_examples() {
        for crn in &crns {
            let protocol = Protocol::plain(crn, 2.0);
            let options = OdeOptions::default();
            let mut executor =
                Executor::new(crn, &protocol, options.clone()).unwrap_or_else(|e| panic!("{stem}: {e}"));
            let mut x = crn.initial_concentrations();
            executor.run(&mut x, None, |_, _, _| {}).unwrap_or_else(|e| panic!("{stem}: {e}"));
            let direct =
                ode::solve(&Kinetics::new(crn), &crn.initial_concentrations(), &[2.0], &options).unwrap();
            // The executor folds the species no reaction changes into the rate
            // constants, so the solver sees a smaller system: the same ODE, other rounding.
            for (ours, theirs) in x.iter().zip(&direct.values) {
                let scale = theirs.abs().max(1.0);
                assert!((ours - theirs).abs() <= 1e-5 * scale, "{stem}: {ours} against {theirs}");
            }
        }
    }
}
