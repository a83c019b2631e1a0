//! Every semantic case of the SBML Test Suite through the `crnc` binary, as a
//! script runs it (`crnc run case.xml --t-end .. --points .. -o out.csv`):
//! each CSV column must be in its species' declared unit (design.md §4.1:
//! amount for `hasOnlySubstanceUnits`, else concentration in its own
//! compartment), whatever the number of compartments. The expected results
//! are converted to that unit with the sizes read from the XML here.

mod common;

use std::path::Path;
use std::process::Command;

use rayon::prelude::*;

use common::sbml_cases::{Case, classified, declared, expected, suite};

fn run_case(dir: &Path, id: &str, out: &Path) -> Result<usize, String> {
    let case = Case::read(dir, id);
    let s = &case.settings;
    let csv = out.join(format!("{id}.csv"));
    let run = Command::new(env!("CARGO_BIN_EXE_crnc"))
        .arg("run")
        .arg(&case.model)
        .args(["--t-end", &s.duration.to_string(), "--points", &s.steps.to_string()])
        .args(["--rtol", "1e-10", "--atol", "1e-15", "-o"])
        .arg(&csv)
        .output()
        .map_err(|e| e.to_string())?;
    if !run.status.success() {
        return Err(format!("exit {:?}: {}", run.status.code(), String::from_utf8_lossy(&run.stderr)));
    }
    let (header, rows) = expected(&csv);
    let units = declared(&case.model);
    let mut checked = 0;
    for variable in &s.variables {
        let Some(column) = header.iter().position(|h| h == variable) else {
            // Compartment sizes and parameters: constant, and not crnc's output.
            if units.contains_key(variable) {
                return Err(format!("species {variable} has no column in {header:?}"));
            }
            continue;
        };
        let unit = &units[variable];
        // The suite's value in the declared unit.
        let factor = match (s.amounts.contains(variable), unit.in_amounts) {
            (true, false) => 1.0 / unit.size,
            (false, true) => unit.size,
            _ => 1.0,
        };
        let computed: Vec<f64> = rows.iter().map(|r| r[column] / factor).collect();
        checked += case.compare(variable, &computed)?;
    }
    Ok(checked)
}

#[test]
fn every_semantic_case_passes_through_crnc_run() {
    let dir = suite("sbml-semantic", "CRNC_SBML_SUITE");
    let out = tempfile::tempdir().unwrap();
    let cases = classified(&dir);
    let results: Vec<(&str, Result<usize, String>)> =
        cases.par_iter().map(|(id, _)| (id.as_str(), run_case(&dir, id, out.path()))).collect();
    let passed = results.iter().filter(|r| r.1.is_ok()).count();
    println!("SBML Test Suite through `crnc run`: {passed}/{} cases pass", results.len());
    let failures: Vec<String> =
        results.iter().filter_map(|(id, r)| r.as_ref().err().map(|e| format!("{id}: {e}"))).collect();
    assert_eq!(results.len(), 194, "cases.tsv should list 194 cases");
    assert!(failures.is_empty(), "{} cases fail:\n{}", failures.len(), failures.join("\n"));
}
