//! The stochastic cases of the SBML Test Suite (the DSMTS) in
//! `../shared/conformance/sbml-stochastic` (or `$CRNC_SBML_STOCHASTIC`),
//! each run through the `crnc` binary as a script runs it:
//! `crnc run case.xml --method ssa --ssa-method M --trajectories 10000 -o out.csv`,
//! with every SSA method forced in turn (`CRNC_SSA_METHODS=direct,rejection`
//! picks some).
//! The test is the DSMTS guide's (conformance README): at every time point
//! Z = √n (mean − μ)/σ within `meanRange` and
//! Y = (s² − σ²)/σ² · √(n/(κ + 2)) within `sdRange`, κ the sample excess
//! kurtosis crnc writes as `<id>-kurt` (√(n/2) when κ = 0, as for a normal
//! law); one failing point per case is chance, and a failing case is rerun
//! once with fresh seeds before it counts as wrong.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use common::sbml_cases::{Case, case_ids, declared, expected, suite};

const TRAJECTORIES: usize = 10_000;
/// A run that takes longer is a failure (a different jump process can run
/// for hours where the right one takes seconds).
const RUN_LIMIT: Duration = Duration::from_secs(300);
/// Chance alone fails about 1 % of a correct simulator's points.
const FAILING_POINTS_ALLOWED: usize = 1;

/// The SSA methods a case runs with, each forced in turn.
const METHODS: [&str; 4] = ["direct", "next-reaction", "rejection", "partial-propensity"];

/// The failing points of one run with `seed` and `method`, or why the run failed.
fn failing_points(case: &Case, method: &str, seed: u64, out: &Path) -> Result<Vec<String>, String> {
    let s = &case.settings;
    let csv = out.join(format!("{}-{method}-{seed}.csv", case.id));
    let mut child = Command::new(env!("CARGO_BIN_EXE_crnc"))
        .arg("run")
        .arg(&case.model)
        .args(["--method", "ssa", "--ssa-method", method, "--trajectories", &TRAJECTORIES.to_string()])
        .args(["--t-end", &s.duration.to_string(), "--points", &s.steps.to_string()])
        .args(["--seed", &seed.to_string(), "-o"])
        .arg(&csv)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {} s", RUN_LIMIT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() {
        let mut stderr = String::new();
        let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut stderr));
        return Err(format!("exit {:?}: {stderr}", status.code()));
    }
    let (header, rows) = expected(&csv);
    let column = |name: &str| -> Result<Vec<f64>, String> {
        let c = header.iter().position(|h| h == name).ok_or(format!("no column {name} in {header:?}"))?;
        Ok(rows.iter().map(|r| r[c]).collect())
    };
    let units = declared(&case.model);
    let (mean_lo, mean_hi) = s.range("meanRange");
    let (sd_lo, sd_hi) = s.range("sdRange");
    let n = TRAJECTORIES as f64;
    let mut failing = Vec::new();
    for variable in &s.variables {
        let unit = units.get(variable).ok_or(format!("{variable} is not a species"))?;
        // crnc writes the declared unit; the suite asks for its own.
        let scale = match (s.amounts.contains(variable), unit.in_amounts) {
            (true, false) => unit.size,
            (false, true) => 1.0 / unit.size,
            _ => 1.0,
        };
        let (mean, sd, kurt) = (
            column(&format!("{variable}-mean"))?,
            column(&format!("{variable}-sd"))?,
            column(&format!("{variable}-kurt"))?,
        );
        let (mu, sigma) =
            (case.column(&format!("{variable}-mean"))?, case.column(&format!("{variable}-sd"))?);
        if mean.len() != mu.len() {
            return Err(format!("{} rows computed, {} expected", mean.len(), mu.len()));
        }
        for i in 0..mu.len() {
            let (m, sample_sd) = (mean[i] * scale, sd[i] * scale);
            let t = case.rows[i][0];
            if sigma[i] == 0.0 {
                // A point the process cannot leave (t = 0): every trajectory must be there.
                if (m - mu[i]).abs() > 1e-9 * mu[i].abs().max(1.0) || sample_sd > 1e-9 * mu[i].abs().max(1.0)
                {
                    failing.push(format!(
                        "{variable} at t = {t}: mean {m}, sd {sample_sd}, exactly {} expected",
                        mu[i]
                    ));
                }
                continue;
            }
            let z = n.sqrt() * (m - mu[i]) / sigma[i];
            let kappa = if kurt[i].is_finite() { kurt[i] } else { 0.0 };
            let y = (sample_sd.powi(2) - sigma[i].powi(2)) / sigma[i].powi(2) * (n / (kappa + 2.0)).sqrt();
            if !(mean_lo..=mean_hi).contains(&z) || !(sd_lo..=sd_hi).contains(&y) {
                failing.push(format!(
                    "{variable} at t = {t}: mean {m} (expected {}, Z = {z:.2}), sd {sample_sd} (expected {}, Y = {y:.2})",
                    mu[i], sigma[i]
                ));
            }
        }
    }
    Ok(failing)
}

/// A case passes with at most one failing point, on its first run or on one
/// rerun with fresh seeds.
fn run_case(dir: &Path, id: &str, method: &str, out: &Path) -> Result<(), String> {
    let case = Case::read(dir, id);
    let mut report = String::new();
    for seed in [1, 1 + TRAJECTORIES as u64] {
        let failing = failing_points(&case, method, seed, out)?;
        if failing.len() <= FAILING_POINTS_ALLOWED {
            return Ok(());
        }
        report =
            format!("{} failing points with seed {seed}, e.g. {}", failing.len(), failing[..2].join("; "));
    }
    Err(report)
}

#[test]
#[ignore = "minutes a case in a debug build: scripts/test (CI) runs it optimised with \
            `cargo test --profile ci --test sbml_stochastic -- --ignored --nocapture`; \
            CRNC_SBML_CASES=00030,00034 runs only those cases"]
fn every_stochastic_case_passes_through_crnc_run() {
    let dir = suite("sbml-stochastic", "CRNC_SBML_STOCHASTIC");
    let out = tempfile::tempdir().unwrap();
    let only: Option<Vec<String>> =
        std::env::var("CRNC_SBML_CASES").ok().map(|v| v.split(',').map(|c| c.trim().to_string()).collect());
    let ids: Vec<String> =
        case_ids(&dir).into_iter().filter(|id| only.as_ref().is_none_or(|o| o.contains(id))).collect();
    let methods: Vec<String> = std::env::var("CRNC_SSA_METHODS").map_or_else(
        |_| METHODS.map(String::from).to_vec(),
        |v| v.split(',').map(|m| m.trim().to_string()).collect(),
    );
    let runs: Vec<(&str, &str)> =
        methods.iter().flat_map(|m| ids.iter().map(move |id| (id.as_str(), m.as_str()))).collect();
    let started = Instant::now();
    let results: Vec<(String, Result<(), String>)> = runs
        .par_iter()
        .map(|&(id, method)| (format!("{id} ({method})"), run_case(&dir, id, method, out.path())))
        .collect();
    let passed = results.iter().filter(|r| r.1.is_ok()).count();
    println!(
        "SBML Test Suite, stochastic: {passed}/{} runs (case, method) pass (n = {TRAJECTORIES}, {:.0} s)",
        results.len(),
        started.elapsed().as_secs_f64()
    );
    let failures: Vec<String> =
        results.iter().filter_map(|(id, r)| r.as_ref().err().map(|e| format!("{id}: {e}"))).collect();
    if only.is_none() {
        assert_eq!(ids.len(), 34, "the folder should hold 34 cases");
    }
    assert!(failures.is_empty(), "{} cases fail:\n{}", failures.len(), failures.join("\n"));
}
