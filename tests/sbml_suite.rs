//! The SBML Test Suite's semantic cases in `../shared/conformance/sbml-semantic`
//! (or `$CRNC_SBML_SUITE`): each model is read by crnc's SBML importer,
//! simulated by crnc's ODE solver, and compared with the suite's expected
//! time course under its rule |C - U| <= absolute + relative·|C|.

mod common;

use std::path::Path;

use rayon::prelude::*;

use common::sbml_cases::{Case, classified, suite};
use crnc::diagnostic::{self, Color};
use crnc::driver;
use crnc::import::{identifier, sbml};
use crnc::ir::{Method, Quantity};
use crnc::sim::run::{RunSettings, simulate};
use crnc::source::{FileId, RealFs};

/// Solver tolerances, far below the suite's (relative 1e-4, absolute down to 1e-9).
const SOLVE_RTOL: f64 = 1e-10;
const SOLVE_ATOL: f64 = 1e-15;

/// Runs one case; `Err` says what failed.
fn run_case(dir: &Path, id: &str) -> Result<usize, String> {
    let case = Case::read(dir, id);
    let s = &case.settings;
    let front = driver::front_end(&RealFs::default(), &case.model);
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
    let constants = sbml::constants(FileId(0), &std::fs::read_to_string(&case.model).unwrap())
        .map_err(|_| "constants")?;
    let mut checked = 0;
    for variable in &s.variables {
        let computed: Vec<f64> = match crn.species.iter().find(|sp| sp.name == identifier(variable)) {
            Some(species) => {
                // The table is in the species' declared unit, a concentration
                // over the size of the species' own compartment.
                let size = crn.size(species);
                let to_amount = if species.quantity == Quantity::Amount { 1.0 } else { size };
                let scale = if s.amounts.contains(variable) {
                    to_amount
                } else if s.concentrations.contains(variable) {
                    to_amount / size
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
        checked += case.compare(variable, &computed)?;
    }
    Ok(checked)
}

#[test]
fn every_strict_and_polynomial_case_passes() {
    let dir = suite("sbml-semantic", "CRNC_SBML_SUITE");
    let cases = classified(&dir);
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
