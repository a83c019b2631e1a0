//! `crnc compile --training-run` through the binary (issue 12 §5): the whole
//! training run as one SBML model passes libSBML with no error or warning,
//! and libRoadRunner and COPASI, running its events, end with the parameters
//! `crnc run` trains on the same data (through
//! `scripts/roadrunner_training_run.py` and `scripts/copasi_training_run.py`;
//! a missing python or tool fails, it never skips).

mod common;

use std::path::Path;
use std::process::Command;

use common::sbml_external::python;
use common::{crnc, stderr, stdout};
use serde_json::Value;

fn example(name: &str) -> String {
    common::root().join("examples/neural").join(name).to_str().unwrap().to_string()
}

fn data(name: &str) -> String {
    common::root().join("tests/data").join(name).to_str().unwrap().to_string()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `script` (one of the external simulators' training-run scripts) on
/// `dir/run.sbml` and reads its report.
fn simulate_externally(script: &str, tool: &str, dir: &Path) -> Value {
    let out = Command::new(python())
        .arg(common::root().join("scripts").join(script))
        .args(["run.sbml", "1e-10", "1e-14", "out.json"])
        .current_dir(dir)
        .output()
        .expect("python runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "the checker cannot import {tool}:\n{log}");
    let report = read_json(&dir.join("out.json"));
    if let Some(issues) = report.get("issues") {
        assert_eq!(issues, &Value::Array(vec![]), "libSBML errors or warnings:\n{log}");
    }
    assert!(out.status.success(), "{tool}: {log}");
    report
}

/// Exports the run of `model` (a path) on `csv` for one epoch, trains it
/// with `crnc run` and runs the export in libRoadRunner and in COPASI;
/// returns the export and the largest relative difference of a learned
/// parameter.
fn export_and_compare(model: &str, csv: &str, params: usize) -> (String, f64) {
    let dir = tempfile::tempdir().unwrap();
    let csv = data(csv);
    let o = crnc(
        &["compile", model, "--training-run", "--data", &csv, "--epochs", "1", "-o", "run.sbml"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crnc(
        &["run", model, "--data", &csv, "--epochs", "1", "--summary", "s.json", "-o", "h.csv"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let trained = read_json(&dir.path().join("s.json"))["params"].as_object().unwrap().clone();
    assert_eq!(trained.len(), params);
    let mut worst: f64 = 0.0;
    for (script, tool) in
        [("roadrunner_training_run.py", "libRoadRunner"), ("copasi_training_run.py", "COPASI")]
    {
        let report = simulate_externally(script, tool, dir.path());
        for (name, value) in &trained {
            let value = value.as_f64().unwrap();
            let rail = |sign| report["final"][format!("{name}_{sign}")].as_f64().unwrap();
            let exported = rail("p") - rail("m");
            let relative = (exported - value).abs() / value.abs();
            assert!(relative <= 1e-3, "{name}: crnc run {value}, {tool} {exported}");
            worst = worst.max(relative);
        }
        eprintln!("{tool} {:.2} s", report["seconds"].as_f64().unwrap());
    }
    let sbml = std::fs::read_to_string(dir.path().join("run.sbml")).unwrap();
    eprintln!("{} bytes of SBML, largest relative difference of θ {worst:.1e}", sbml.len());
    (sbml, worst)
}

#[test]
fn linear_regression_run_in_libroadrunner_and_copasi_ends_at_the_parameters_crnc_trains() {
    let (sbml, _) = export_and_compare(&example("linear.crnl"), "linear_10.csv", 2);
    // 10 samples × 5 phases: the first boundary is the initial state, the end one more event.
    assert_eq!(sbml.matches("<event ").count(), 50);
    // Each sample runs for 0.5 + 40 + 40 + 40 + 0.5.
    assert!(sbml.contains(r#"<parameter id="t_end" name="end of the training run" value="1210" units="second" constant="true"/>"#));
    assert!(sbml.contains(r#"<parameter id="gate_forward" name="gate of group forward" value="1" units="dimensionless" constant="false"/>"#));
    assert!(sbml.contains(r#"<parameter id="gate_backward" name="gate of group backward" value="0" units="dimensionless" constant="false"/>"#));
}

#[test]
fn xor_b4_run_in_libroadrunner_and_copasi_ends_at_the_parameters_crnc_trains() {
    let (sbml, _) = export_and_compare(&example("xor_quadratic.crnl"), "xor_20.csv", 9);
    assert_eq!(sbml.matches("<event ").count(), 20 * 6);
    // The chemical update is a phase of its own, 100 time units of each sample's 222.4.
    assert!(sbml.contains(r#"<parameter id="gate_update" name="gate of group update" value="0""#));
    assert!(sbml.contains(r#"<parameter id="t_end" name="end of the training run" value="4448"#));
}

#[test]
fn exact_feedback_assignments_compose_into_the_events() {
    // `feedback = exact`: the host sets ŷ after the forward phase and a(T) before the backward
    // one, so one event holds both, a(T) read through ŷ's substitution.
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(example("xor_quadratic.crnl")).unwrap();
    let exact = source.replace("    seed = 0;", "    seed = 0;\n    feedback = exact;");
    assert_ne!(exact, source);
    let model = dir.path().join("xor_exact.crnl");
    std::fs::write(&model, exact).unwrap();
    let (sbml, _) = export_and_compare(model.to_str().unwrap(), "xor_20.csv", 9);
    assert_eq!(sbml.matches("<event ").count(), 20 * 2);
}

#[test]
fn a_two_sample_run_is_snapshotted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("two.csv"), "x1,x2,y\n1.5,0.5,3\n0.25,2,4.5\n").unwrap();
    let csv = dir.path().join("two.csv");
    // From the crate root with a relative model path, so that the notes do not name the checkout.
    let args = [
        "compile",
        "examples/neural/linear.crnl",
        "--training-run",
        "--data",
        csv.to_str().unwrap(),
        "--epochs",
        "1",
    ];
    let o = crnc(&args, &common::root());
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn misuse_is_refused_with_a_diagnostic_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let linear = example("linear.crnl");
    let plain = common::root().join("examples/brusselator.crnl");
    let cases: [(&[&str], &str); 5] = [
        (&["compile", plain.to_str().unwrap(), "--training-run", "-o", "out.sbml"], "E0608"),
        (&["compile", &linear, "--training-run", "--phase", "forward", "-o", "out.sbml"], "E0609"),
        (&["compile", &linear, "--training-run", "--emit", "crn", "-o", "out.sbml"], "E0609"),
        (&["compile", &linear, "--training-run", "-o", "out.crn"], "E0609"),
        (&["compile", &linear, "--training-run", "--format", "json", "-o", "out.sbml"], "E0609"),
    ];
    for (args, code) in cases {
        let o = crnc(args, dir.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(code), "{args:?}: {}", stderr(&o));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{args:?} wrote a file");
    }
    // The export's data flags need `--training-run`.
    let o = crnc(&["compile", &linear, "--epochs", "1"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--training-run"), "{}", stderr(&o));
}
