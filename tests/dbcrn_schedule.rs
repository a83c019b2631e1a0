//! domain.md §4.2 A5 through `crnc run` as a user runs it: A3 with its target stepped from 100 to
//! 10 at t = 10 (`at 10: Q = 10;`). The learned potential re-converges from e^3/100 ≈ 0.2 to
//! e^3/10 ≈ 2.0 (issue 13's acceptance: within 5 % by t = 15), and the vesicles' mean follows Q.

mod common;

use std::path::Path;

use serde_json::Value;

/// A5's run: the trajectory (time, X, Q, P per row) and the summary.
fn run_a5(dir: &Path) -> (Vec<[f64; 4]>, Value) {
    let model = common::root().join("examples/dbcrn/a3_a5.crnl");
    let (csv, json) = (dir.join("a5.csv"), dir.join("a5.json"));
    let args = ["run", model.to_str().unwrap(), "--network", "A5", "-o", csv.to_str().unwrap()];
    let o = common::crnc(&[&args[..], &["--summary", json.to_str().unwrap()]].concat(), dir);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time,X,Q,P"));
    let rows = lines
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect();
    (rows, serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap())
}

fn mean(rows: &[[f64; 4]], from: f64, to: f64, column: usize) -> f64 {
    let chosen: Vec<f64> = rows.iter().filter(|r| r[0] >= from && r[0] < to).map(|r| r[column]).collect();
    chosen.iter().sum::<f64>() / chosen.len() as f64
}

#[test]
fn a5_relearns_the_stepped_target_by_t_15() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, summary) = run_a5(dir.path());
    let (before, after) = (3f64.exp() / 100.0, 3f64.exp() / 10.0);
    // The target is 100 up to the cut and 10 from it on: the row at t = 10 shows the assignment.
    for r in &rows {
        assert_eq!(r[2], if r[0] < 10.0 { 100.0 } else { 10.0 }, "Q at t = {}", r[0]);
    }
    // Before the step: P learned A3's value, <x> tracks 100.
    let (p, x) = (mean(&rows, 5.0, 10.0, 3), mean(&rows, 5.0, 10.0, 1));
    eprintln!("A5 over [5, 10): P = {p}, <x> = {x}");
    assert!((p / before - 1.0).abs() < 0.05, "P = {p} before the step, expected {before}");
    assert!((x / 100.0 - 1.0).abs() < 0.05, "<x> = {x} before the step");
    // By t = 15 P is within 5 % of e^3/10 and stays there; <x> tracks 10.
    let late: Vec<&[f64; 4]> = rows.iter().filter(|r| r[0] >= 15.0).collect();
    let worst = late.iter().map(|r| (r[3] / after - 1.0).abs()).fold(0.0, f64::max);
    eprintln!("A5 from t = 15: worst |P / (e^3/10) - 1| = {worst}");
    assert!(worst < 0.05, "P strays {worst} from e^3/10 after t = 15");
    let x = mean(&rows, 15.0, 20.1, 1);
    assert!((x / 10.0 - 1.0).abs() < 0.1, "<x> = {x} after the step");
    // The summary's window is the last fifth, [16, 20): its exact averages agree.
    let p = summary["potentials"]["P"].as_f64().unwrap();
    let x = summary["means"]["X"].as_f64().unwrap();
    eprintln!("A5 summary: P = {p}, <x> = {x}");
    assert!((p / after - 1.0).abs() < 0.05 && (x / 10.0 - 1.0).abs() < 0.05, "P = {p}, <x> = {x}");
}

#[test]
fn a5_protocol_is_main_cut_at_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::root().join("examples/dbcrn/a3_a5.crnl");
    let o = common::crnc(
        &["compile", model.to_str().unwrap(), "--network", "A5", "--emit", "protocol"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    insta::assert_snapshot!(common::stdout(&o));
}

#[test]
fn a_shorter_t_end_drops_the_assignments_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::root().join("examples/dbcrn/a3_a5.crnl");
    let csv = dir.path().join("a5.csv");
    let o = common::crnc(
        &["run", model.to_str().unwrap(), "--network", "A5", "--t-end", "5", "--points", "10", "-o"]
            .iter()
            .copied()
            .chain([csv.to_str().unwrap()])
            .collect::<Vec<_>>(),
        dir.path(),
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.lines().skip(1).all(|l| l.split(',').nth(2) == Some("100")), "{text}");
}
