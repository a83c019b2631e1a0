//! The text reaction list as other tools read it: crnsimulator (PyPI
//! `crnsimulator`, through `scripts/crnsim_ode.py` in the venv that
//! `scripts/test` makes) parses crnc's `.crn` export of every example and
//! builds its ODE, which must equal crnc's at a spread of states. This is what
//! catches a rate written in a convention the reader does not use (a
//! combinatoric network's constants, design.md §4.1). Without crnsimulator the
//! test fails; it never skips.

mod common;

use std::collections::HashMap;
use std::process::Command;

use crnc::backend::text;
use crnc::crn::Crn;
use serde_json::{Value, json};

/// The export's species names (plain identifiers) mapped to crnc's, from its `# name:` headers.
fn export_names(written: &str, crn: &Crn) -> Vec<String> {
    let real_to_plain: HashMap<&str, &str> = written
        .lines()
        .filter_map(|l| l.strip_prefix("# name: "))
        .filter_map(|l| l.split_once(" = "))
        .map(|(plain, real)| (real, plain))
        .collect();
    crn.species
        .iter()
        .map(|s| real_to_plain.get(s.name.as_str()).unwrap_or(&s.name.as_str()).to_string())
        .collect()
}

/// dx/dt by crnc's own reading of the CRN.
fn crnc_rhs(crn: &Crn, x: &[f64]) -> Vec<f64> {
    let mut dxdt = vec![0.0; x.len()];
    for r in &crn.reactions {
        let v = crn.flux(r, x);
        for (s, d) in r.net_change() {
            dxdt[s.index()] += d as f64 * v;
        }
    }
    dxdt
}

/// The initial state and three states where every species is present.
fn states(crn: &Crn) -> Vec<Vec<f64>> {
    let n = crn.species.len();
    let mut states = vec![crn.initial_concentrations()];
    for k in 1..=3 {
        states.push((0..n).map(|i| 0.05 + ((i * 7 + k * 3) % 11) as f64 * 0.1 * k as f64).collect());
    }
    states
}

fn crnsimulator_rhs(crn_file: &std::path::Path, states: &Value) -> Vec<HashMap<String, f64>> {
    let states_file = crn_file.with_extension("states.json");
    std::fs::write(&states_file, states.to_string()).unwrap();
    let python = common::sbml_external::python();
    let script = common::root().join("scripts/crnsim_ode.py");
    let out =
        Command::new(&python).arg(&script).arg(crn_file).arg(&states_file).output().expect("python runs");
    assert!(
        out.status.success(),
        "crnsimulator could not read {}:\n{}",
        crn_file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    serde_json::from_value(v["rhs"].clone()).expect("a list of name -> value maps")
}

#[test]
fn crnsimulator_reads_every_example_export_to_crncs_ode() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (stem, crns) in common::compiled_examples() {
        for crn in &crns {
            let written = text::write(crn);
            let path = dir.path().join(format!("{stem}-{}.crn", crn.name));
            std::fs::write(&path, &written).unwrap();
            let names = export_names(&written, crn);
            let states = states(crn);
            let by_name: Vec<Value> = states
                .iter()
                .map(|x| Value::Object(names.iter().cloned().zip(x.iter().map(|&v| json!(v))).collect()))
                .collect();
            let theirs = crnsimulator_rhs(&path, &Value::Array(by_name));
            for (x, theirs) in states.iter().zip(&theirs) {
                let ours = crnc_rhs(crn, x);
                let scale = ours.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
                for (name, mine) in names.iter().zip(&ours) {
                    let other = theirs.get(name).copied().unwrap_or(0.0);
                    assert!(
                        (mine - other).abs() <= 1e-9 * scale,
                        "{stem}/{}: d{name}/dt is {mine} in crnc, {other} in crnsimulator\n{written}",
                        crn.name
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} networks checked");
    println!("crnsimulator agrees with crnc on the ODE of {checked} exported networks");
}
