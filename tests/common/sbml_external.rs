//! The external SBML cross-check (libSBML + libRoadRunner through
//! `scripts/sbml_check.py`), shared by the tests that use it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crnc::backend::sbml;
use crnc::crn::Crn;
use serde_json::{Value, json};

const SETUP: &str = "set CRNC_PYTHON to a python with python-libsbml and libroadrunner, \
    or run scripts/test (it creates .venv with both)";

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("CRNC_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(venv.exists(), "no python for the SBML cross-check: {} is missing; {SETUP}", venv.display());
    venv
}

pub fn run_checker(model: &Path, expected: &Value) -> Output {
    let dir = model.parent().expect("the model is in a directory");
    let expected_path = dir.join("expected.json");
    std::fs::write(&expected_path, serde_json::to_string_pretty(expected).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sbml_check.py");
    let python = python();
    let out = Command::new(&python)
        .arg(&script)
        .arg(model)
        .arg(&expected_path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {SETUP}", python.display()));
    assert_ne!(
        out.status.code(),
        Some(2),
        "the SBML checker cannot import its tools:\n{}\n{SETUP}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What the checker must find, computed by crnc: the SBML reaction columns are
/// the forward halves' columns of S, and the rate of a merged pair is forward
/// minus reverse, in extent per time (flux times volume).
pub fn expected(crn: &Crn) -> Value {
    let ids = sbml::ids(crn);
    let s = crn.stoichiometry();
    let x = crn.initial_concentrations();
    let stoichiometry: Vec<Vec<f64>> =
        (0..crn.species.len()).map(|i| ids.reactions.iter().map(|r| s[(i, r.forward)]).collect()).collect();
    let rates: Vec<f64> = ids
        .reactions
        .iter()
        .map(|r| {
            let forward = crn.flux(&crn.reactions[r.forward], &x);
            let reverse = r.reverse.map_or(0.0, |j| crn.flux(&crn.reactions[j], &x));
            (forward - reverse) * crn.volume
        })
        .collect();
    let initial: serde_json::Map<String, Value> =
        ids.species.iter().zip(&x).map(|(id, &v)| (id.clone(), json!(v))).collect();
    json!({
        "species": ids.species,
        "reactions": ids.reactions.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        "stoichiometry": stoichiometry,
        "rates": rates,
        "initial": initial,
    })
}

pub fn write_model(crn: &Crn, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join(format!("{name}.xml"));
    std::fs::write(&model, sbml::write(crn)).unwrap();
    (dir, model)
}

/// Writes `crn` as SBML and fails unless libSBML reports no error or warning
/// and libRoadRunner agrees with crnc on stoichiometry and initial rates.
pub fn assert_external_sbml_ok(crn: &Crn, name: &str) {
    let (_dir, model) = write_model(crn, name);
    let out = run_checker(&model, &expected(crn));
    // Shown with --nocapture: the libSBML and libRoadRunner summary line.
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if std::env::var_os("CRNC_KEEP_SBML").is_some() {
        let kept = std::env::temp_dir().join(format!("crnc-{name}.xml"));
        std::fs::copy(&model, &kept).unwrap();
        println!("kept {}", kept.display());
    }
    assert!(
        out.status.success(),
        "SBML cross-check failed for {name}:\n{}{}\n--- model ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&model).unwrap()
    );
}
