//! The SBML Test Suite's cases in `../shared/conformance` (layout in its
//! README): the folder, `cases.tsv`, each case's settings and expected
//! results, and the suite's pass rule, shared by the tests that run them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The folder of one part of the suite (`sbml-semantic`, `sbml-stochastic`):
/// `$env` if set, else `../shared/conformance/<part>` beside the crate. A
/// missing folder fails the test: CI always has it.
pub fn suite(part: &str, env: &str) -> PathBuf {
    let dir = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| super::root().join("../shared/conformance").join(part));
    assert!(
        dir.is_dir() && std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()),
        "the SBML Test Suite cases are missing at {} (set {env} to the {part} folder)",
        dir.display()
    );
    dir
}

/// The case folders of `dir` (`NNNNN`), sorted.
pub fn case_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    ids.sort();
    ids
}

/// `cases.tsv` of the semantic part: (case, class).
pub fn classified(dir: &Path) -> Vec<(String, String)> {
    let index = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    index
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect()
}

pub struct Settings {
    pub duration: f64,
    pub steps: usize,
    pub variables: Vec<String>,
    pub absolute: f64,
    pub relative: f64,
    pub amounts: Vec<String>,
    pub concentrations: Vec<String>,
    /// The whole file, for fields only one part of the suite has.
    pub fields: HashMap<String, String>,
}

impl Settings {
    /// `(low, high)` of a field such as `meanRange: (-3, 3)`.
    pub fn range(&self, key: &str) -> (f64, f64) {
        let v = self.fields.get(key).unwrap_or_else(|| panic!("no {key}"));
        let (lo, hi) = v.trim_matches(|c| c == '(' || c == ')').split_once(',').expect("a range");
        (lo.trim().parse().unwrap(), hi.trim().parse().unwrap())
    }
}

pub struct Case {
    pub id: String,
    pub model: PathBuf,
    pub settings: Settings,
    /// The expected results: the header (first column time) and the rows.
    pub header: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

impl Case {
    pub fn read(dir: &Path, id: &str) -> Case {
        let file = |suffix: &str| dir.join(format!("{id}/{id}-{suffix}"));
        let (header, rows) = expected(&file("results.csv"));
        Case {
            id: id.to_string(),
            model: file("sbml-l3v2.xml"),
            settings: settings(&file("settings.txt")),
            header,
            rows,
        }
    }

    /// The expected column `name`.
    pub fn column(&self, name: &str) -> Result<Vec<f64>, String> {
        let c = self.header.iter().position(|h| h == name).ok_or(format!("no expected column {name}"))?;
        Ok(self.rows.iter().map(|r| r[c]).collect())
    }

    /// The suite's rule |C - U| <= absolute + relative·|C| for one variable:
    /// the number of values checked, or the first that fails.
    pub fn compare(&self, variable: &str, computed: &[f64]) -> Result<usize, String> {
        let expected = self.column(variable)?;
        if computed.len() != expected.len() {
            return Err(format!("{} rows computed, {} expected", computed.len(), expected.len()));
        }
        let s = &self.settings;
        for ((c, u), row) in expected.iter().zip(computed).zip(&self.rows) {
            if (c - u).abs() > s.absolute + s.relative * c.abs() {
                return Err(format!("{variable} at t = {}: expected {c}, computed {u}", row[0]));
            }
        }
        Ok(expected.len())
    }
}

fn settings(path: &Path) -> Settings {
    let text = std::fs::read_to_string(path).unwrap();
    let fields: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let list = |k: &str| -> Vec<String> {
        fields.get(k).map_or(vec![], |v| {
            v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
        })
    };
    // The stochastic cases leave the tolerances empty: they have their own test.
    let number = |k: &str| -> Option<f64> { fields.get(k).and_then(|v| v.parse().ok()) };
    let required = |k: &str| -> f64 { number(k).unwrap_or_else(|| panic!("{}: bad {k}", path.display())) };
    assert_eq!(required("start"), 0.0, "{}: the harness assumes start 0", path.display());
    Settings {
        duration: required("duration"),
        steps: required("steps") as usize,
        variables: list("variables"),
        absolute: number("absolute").unwrap_or(f64::NAN),
        relative: number("relative").unwrap_or(f64::NAN),
        amounts: list("amount"),
        concentrations: list("concentration"),
        fields,
    }
}

/// Rows of a CSV of numbers with a header (expected results, or crnc's output).
pub fn expected(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap().split(',').map(|s| s.trim().to_string()).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.trim().parse().unwrap_or(f64::NAN)).collect()).collect();
    (header, rows)
}

/// How the model declares a species: the size of its compartment and
/// whether it is in amounts (`hasOnlySubstanceUnits`).
pub struct Declared {
    pub size: f64,
    pub in_amounts: bool,
}

/// The declared unit of every species of an SBML model, by id. Read here,
/// not through crnc, so that a test of crnc's units does not trust them.
pub fn declared(model: &Path) -> HashMap<String, Declared> {
    let text = std::fs::read_to_string(model).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let sizes: HashMap<&str, f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("compartment"))
        .filter_map(|c| Some((c.attribute("id")?, c.attribute("size").map_or(1.0, |s| s.parse().unwrap()))))
        .collect();
    doc.descendants()
        .filter(|n| n.has_tag_name("species"))
        .filter_map(|s| {
            let size = sizes.get(s.attribute("compartment")?).copied().unwrap_or(1.0);
            let in_amounts = s.attribute("hasOnlySubstanceUnits") == Some("true");
            Some((s.attribute("id")?.to_string(), Declared { size, in_amounts }))
        })
        .collect()
}
