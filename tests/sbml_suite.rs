//! The SBML Test Suite's semantic cases in `../shared/conformance/sbml-semantic`
//! (or `$CRNC_SBML_SUITE`): each model is read by crnc's SBML importer,
//! simulated by crnc's ODE solver, and compared with the suite's expected
//! time course under its rule |C - U| <= absolute + relative·|C|.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crnc::diagnostic::{self, Color};
use crnc::driver;
use crnc::import::{identifier, sbml};
use crnc::ir::{Method, Quantity};
use crnc::sim::run::{RunSettings, simulate};
use crnc::source::{FileId, RealFs};

/// Solver tolerances, far below the suite's (relative 1e-4, absolute down to 1e-9).
const SOLVE_RTOL: f64 = 1e-10;
const SOLVE_ATOL: f64 = 1e-15;

fn suite() -> PathBuf {
    let dir = std::env::var_os("CRNC_SBML_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::root().join("../shared/conformance/sbml-semantic"));
    assert!(
        dir.join("cases.tsv").is_file(),
        "the SBML Test Suite cases are missing at {} (set CRNC_SBML_SUITE to the sbml-semantic folder)",
        dir.display()
    );
    dir
}

struct Settings {
    duration: f64,
    steps: usize,
    variables: Vec<String>,
    absolute: f64,
    relative: f64,
    amounts: Vec<String>,
    concentrations: Vec<String>,
}

fn settings(path: &Path) -> Settings {
    let text = std::fs::read_to_string(path).unwrap();
    let fields: HashMap<&str, &str> =
        text.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim(), v.trim())).collect();
    let list = |k: &str| -> Vec<String> {
        fields.get(k).map_or(vec![], |v| {
            v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
        })
    };
    let number =
        |k: &str| -> f64 { fields[k].parse().unwrap_or_else(|_| panic!("{}: bad {k}", path.display())) };
    assert_eq!(number("start"), 0.0, "{}: the harness assumes start 0", path.display());
    Settings {
        duration: number("duration"),
        steps: number("steps") as usize,
        variables: list("variables"),
        absolute: number("absolute"),
        relative: number("relative"),
        amounts: list("amount"),
        concentrations: list("concentration"),
    }
}

/// Rows of the expected results, the header's first column being time.
fn expected(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap().split(',').map(|s| s.trim().to_string()).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect()).collect();
    (header, rows)
}

/// Runs one case; `Err` says what failed.
fn run_case(dir: &Path, case: &str) -> Result<usize, String> {
    let model = dir.join(format!("{case}/{case}-sbml-l3v2.xml"));
    let s = settings(&dir.join(format!("{case}/{case}-settings.txt")));
    let (header, rows) = expected(&dir.join(format!("{case}/{case}-results.csv")));
    let front = driver::front_end(&RealFs::default(), &model);
    if front.has_errors() {
        return Err(diagnostic::render_human(&front.db, &front.diagnostics, Color::Never));
    }
    let network = driver::select(&front, None).map_err(|d| d.message)?;
    let crn = driver::lower(network, &front.db, None).map_err(|_| "lowering failed".to_string())?.crn;
    let run = RunSettings {
        method: Method::Ode,
        t_end: s.duration,
        points: s.steps,
        rtol: SOLVE_RTOL,
        atol: SOLVE_ATOL,
        ..RunSettings::DEFAULT
    };
    let table = simulate(&crn, &run).map_err(|e| e.to_string())?;
    let constants =
        sbml::constants(FileId(0), &std::fs::read_to_string(&model).unwrap()).map_err(|_| "constants")?;
    let mut checked = 0;
    for variable in &s.variables {
        let column = header.iter().position(|h| h == variable).ok_or(format!("no column {variable}"))?;
        let computed: Vec<f64> = match crn.species.iter().find(|sp| sp.name == identifier(variable)) {
            Some(species) => {
                // The table is in the species' declared unit; one volume holds every species.
                let to_amount = if species.quantity == Quantity::Amount { 1.0 } else { crn.volume };
                let scale = if s.amounts.contains(variable) {
                    to_amount
                } else if s.concentrations.contains(variable) {
                    to_amount / crn.volume
                } else {
                    return Err(format!("{variable} is a species reported in no unit"));
                };
                table.column(&species.name).unwrap().map(|v| v * scale).collect()
            }
            None => {
                let &(_, value) =
                    constants.iter().find(|(id, _)| id == variable).ok_or(format!("unknown {variable}"))?;
                vec![value; table.times.len()]
            }
        };
        if computed.len() != rows.len() {
            return Err(format!("{} rows computed, {} expected", computed.len(), rows.len()));
        }
        for (row, u) in rows.iter().zip(&computed) {
            let c = row[column];
            if (c - u).abs() > s.absolute + s.relative * c.abs() {
                return Err(format!("{variable} at t = {}: expected {c}, computed {u}", row[0]));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[test]
fn every_strict_and_polynomial_case_passes() {
    let dir = suite();
    let index = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    let cases: Vec<(String, String)> = index
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect();
    let results: Vec<(&str, &str, Result<usize, String>)> =
        cases.par_iter().map(|(case, class)| (case.as_str(), class.as_str(), run_case(&dir, case))).collect();
    let mut failures = Vec::new();
    for class in ["strict", "polynomial"] {
        let of_class: Vec<_> = results.iter().filter(|r| r.1 == class).collect();
        let passed = of_class.iter().filter(|r| r.2.is_ok()).count();
        let values: usize = of_class.iter().filter_map(|r| r.2.as_ref().ok()).sum();
        println!(
            "SBML Test Suite, {class}: {passed}/{} cases pass ({values} values checked)",
            of_class.len()
        );
        failures.extend(
            of_class.iter().filter_map(|r| r.2.as_ref().err().map(|e| format!("{} ({class}): {e}", r.0))),
        );
    }
    assert_eq!(results.len(), 194, "cases.tsv should list 173 strict and 21 polynomial cases");
    assert!(failures.is_empty(), "{} cases fail:\n{}", failures.len(), failures.join("\n"));
}
