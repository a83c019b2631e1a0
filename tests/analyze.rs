//! `crnc analyze` through the binary: the exact stationary distribution
//! against an independent solution of the chemical master equation
//! (`scripts/cme_stationary.py`, numpy, from crnc's `.crn` export; without
//! python the test fails, never skips), domain.md §4.2 A1's learner, the
//! conservation laws, the CSV and JSON layouts, and bad input.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::{crnc, stderr, stdout};
use serde_json::Value;

type Probabilities = HashMap<Vec<i64>, f64>;

/// A network, the species caps the independent solver needs for an
/// infinite class (where the stationary mass is below 1e-15), and the
/// method `--method auto` must pick.
struct Case {
    name: &'static str,
    source: &'static str,
    caps: &'static [&'static str],
    method: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "cycle",
        source: "network Cycle { species amount A = 10, B, C; A -> B @ 1; B -> C @ 2.5; C -> A @ 0.7; }",
        caps: &[],
        method: "generator_null_space",
    },
    Case {
        name: "birth_death",
        // In volume 2.5: the birth propensity is 4 · 2.5, the initial count 0.4 · 2.5 = 1; mean 20.
        source: "network BirthDeath { volume = 2.5; species X = 0.4; 0 -> X @ 4; X -> 0 @ 0.5; }",
        caps: &["X=100"],
        method: "product_form",
    },
    Case {
        name: "dimerisation",
        // Combinatoric in volume 2: 2A -> B fires at 0.3 / 2 · A(A-1) / 2; a conserved A + 2 B = 20.
        source: "network Dimer { rate_law = combinatoric; volume = 2; species A = 10, B; 2 A <-> B @ 0.3, 2; }",
        caps: &[],
        method: "product_form",
    },
    Case {
        name: "binding",
        source: "network Binding { species amount A = 8, B = 5, C = 1; A + B <-> C @ 0.5, 2; }",
        caps: &[],
        method: "product_form",
    },
    Case {
        name: "enzyme",
        // Inflow of S, E + ES = 2 conserved, outflow of P: not detailed balanced, infinite in S and P.
        source: "network Enzyme { species amount E = 2, S, ES, P; 0 -> S @ 1; E + S <-> ES @ 1, 1; \
                 ES -> E + P @ 2; P -> 0 @ 1; }",
        caps: &["S=32", "P=24"],
        method: "generator_null_space",
    },
    Case {
        name: "schloegl",
        // Bimodal (modes at 4 and 56); the two reversible pairs break detailed balance.
        source: "network Schloegl { species amount X = 10; 2 X <-> 3 X @ 0.16, 0.002; 0 <-> X @ 10, 2.7; }",
        caps: &["X=200"],
        method: "generator_null_space",
    },
];

fn read_csv(text: &str) -> (Vec<String>, Probabilities) {
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().expect("a header").split(',').map(str::to_string).collect();
    let rows = lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let (p, state) = fields.split_last().expect("a row");
            (state.iter().map(|n| n.parse().expect("a count")).collect(), p.parse().expect("a probability"))
        })
        .collect();
    (header, rows)
}

/// The independent solution of `crn_file` (the `.crn` export).
fn reference(crn_file: &Path, caps: &[&str]) -> (Vec<String>, Probabilities) {
    let python = common::sbml_external::python();
    let script = common::root().join("scripts/cme_stationary.py");
    let out = Command::new(&python).arg(&script).arg(crn_file).args(caps).output().expect("python runs");
    assert!(out.status.success(), "cme_stationary.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    let species = serde_json::from_value(v["species"].clone()).unwrap();
    let states: Vec<Vec<i64>> = serde_json::from_value(v["states"].clone()).unwrap();
    let p: Vec<f64> = serde_json::from_value(v["p"].clone()).unwrap();
    (species, states.into_iter().zip(p).collect())
}

/// Runs `crnc` in `dir`, failing the test with its stderr if it fails.
fn ok(args: &[&str], dir: &Path) -> std::process::Output {
    let o = crnc(args, dir);
    assert!(o.status.success(), "crnc {args:?} failed:\n{}", stderr(&o));
    o
}

fn summary(dir: &Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).expect("the summary is JSON")
}

#[test]
fn stationary_distributions_match_an_independent_cme_solution_to_1e_9() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for case in CASES {
        let model = format!("{}.crnl", case.name);
        std::fs::write(dir.join(&model), case.source).unwrap();
        let exported = format!("{}.crn", case.name);
        ok(&["compile", &model, "-o", &exported], dir);
        let (species, expected) = reference(&dir.join(&exported), case.caps);
        for method in ["auto", "generator"] {
            let csv = format!("{}-{method}.csv", case.name);
            let json = format!("{}-{method}.json", case.name);
            ok(&["analyze", &model, "--stationary", "--method", method, "-o", &csv, "--summary", &json], dir);
            let s = summary(dir, &json);
            let chosen = if method == "auto" { case.method } else { "generator_null_space" };
            assert_eq!(s["method"], chosen, "{}", case.name);
            let (header, found) = read_csv(&std::fs::read_to_string(dir.join(&csv)).unwrap());
            assert_eq!(header[..header.len() - 1], species[..], "{}", case.name);
            assert_eq!(s["states"], found.len(), "{}", case.name);
            let mut worst: f64 = 0.0;
            for state in found.keys().chain(expected.keys()) {
                let (p, q) =
                    (found.get(state).copied().unwrap_or(0.0), expected.get(state).copied().unwrap_or(0.0));
                worst = worst.max((p - q).abs());
            }
            println!("{} ({method}): {} states, largest difference {worst:e}", case.name, found.len());
            assert!(worst < 1e-9, "{} ({method}): a probability is off by {worst:e}", case.name);
            // The reference's caps hold no mass that matters: the same states carry it.
            let missing: f64 = expected.iter().filter(|(s, _)| !found.contains_key(*s)).map(|(_, p)| p).sum();
            assert!(
                missing < 1e-12,
                "{}: {missing:e} of the reference's mass is outside crnc's states",
                case.name
            );
        }
    }
}

/// domain.md §3.12 item 3: ⟨x⟩ = 100 and ⟨p⟩ = e³/100 exactly.
#[test]
fn a1_learner_has_the_exact_stationary_means() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::root().join("tests/data/a1_learner.crnl");
    let o = ok(&["analyze", model.to_str().unwrap(), "--stationary", "--summary", "a1.json"], dir.path());
    let s = summary(dir.path(), "a1.json");
    let (x, p) = (s["means"]["X"].as_f64().unwrap(), s["means"]["P"].as_f64().unwrap());
    assert!((x / 100.0 - 1.0).abs() < 1e-4, "<x> = {x}");
    let expected = 3f64.exp() / 100.0;
    assert!((p / expected - 1.0).abs() < 1e-4, "<p> = {p}, e^3/100 = {expected}");
    assert!((s["means"]["Q"].as_f64().unwrap() - 100.0).abs() < 1e-9);
    assert_eq!(s["method"], "generator_null_space");
    let truncated = s["truncated_mass"].as_f64().unwrap();
    assert!(truncated > 0.0 && truncated < 1e-12, "truncated mass {truncated}");
    assert_eq!(s["truncation"]["species"], serde_json::json!(["X", "P"]));
    assert!(stdout(&o).contains("truncated at X + P <= "), "{}", stdout(&o));
}

const LAWS: &str =
    "network Laws { species amount A = 4, B = 1, C = 2, D; 2 A <-> B @ 1, 2; B + C <-> D @ 3, 1; }";

#[test]
fn without_stationary_the_conservation_laws_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("laws.crnl"), LAWS).unwrap();
    let o = ok(&["analyze", "laws.crnl", "--summary", "laws.json"], dir.path());
    // The fewest species first.
    assert!(stdout(&o).contains("  C + D = 2\n  A + 2 B + 2 D = 6\n"), "{}", stdout(&o));
    let s = summary(dir.path(), "laws.json");
    assert_eq!(s["conservation_laws"][1]["coefficients"], serde_json::json!({"A": 1, "B": 2, "D": 2}));
    assert_eq!(s["conservation_laws"][0]["total"], 2.0);
    assert!(s.get("states").is_none() && s.get("means").is_none(), "{s}");
    assert!(s["wall_seconds"].as_f64().unwrap() >= 0.0);
}

#[test]
fn species_flag_writes_the_marginal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.crnl"), CASES[0].source).unwrap();
    ok(&["analyze", "c.crnl", "--stationary", "-o", "all.csv"], dir.path());
    ok(&["analyze", "c.crnl", "--stationary", "--species", "C,A", "-o", "ca.csv"], dir.path());
    let (_, all) = read_csv(&std::fs::read_to_string(dir.path().join("all.csv")).unwrap());
    let text = std::fs::read_to_string(dir.path().join("ca.csv")).unwrap();
    let (header, marginal) = read_csv(&text);
    assert_eq!(header, ["C", "A", "p"]);
    assert_eq!(marginal.len(), 66, "A and C fix B: every state stays apart");
    for (state, p) in &all {
        assert_eq!(marginal[&vec![state[2], state[0]]], *p);
    }
    ok(&["analyze", "c.crnl", "--stationary", "--species", "B", "-o", "b.csv"], dir.path());
    let (_, b) = read_csv(&std::fs::read_to_string(dir.path().join("b.csv")).unwrap());
    assert_eq!(b.len(), 11);
    assert!((b.values().sum::<f64>() - 1.0).abs() < 1e-14);
}

/// Rounds every float to 10 significant digits and zeroes `wall_seconds`,
/// so the snapshot shows the layout and the values, not round-off or timing.
fn stable(mut v: Value) -> Value {
    fn round(v: &mut Value) {
        match v {
            Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap();
                let rounded: f64 = format!("{x:.9e}").parse().unwrap();
                *v = serde_json::json!(rounded);
            }
            Value::Array(items) => items.iter_mut().for_each(round),
            Value::Object(map) => map.values_mut().for_each(round),
            _ => {}
        }
    }
    round(&mut v);
    v["wall_seconds"] = serde_json::json!(0.0);
    v
}

#[test]
fn report_and_summary_of_a_small_network() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("laws.crnl"), LAWS).unwrap();
    let o = ok(&["analyze", "laws.crnl", "--stationary", "--summary", "laws.json"], dir.path());
    insta::assert_snapshot!("laws_stdout", stdout(&o));
    let s = stable(summary(dir.path(), "laws.json"));
    insta::assert_snapshot!("laws_summary", serde_json::to_string_pretty(&s).unwrap());
}

/// Each bad input: exit code 1, its code on stderr, and no output file.
fn refused(source: &str, extra: &[&str], code: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.crnl"), source).unwrap();
    let mut args = vec!["analyze", "bad.crnl", "--stationary", "-o", "out.csv", "--summary", "out.json"];
    args.extend(extra);
    let o = crnc(&args, dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("error[{code}]")), "expected {code}:\n{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!dir.path().join("out.csv").exists() && !dir.path().join("out.json").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["bad.crnl"], "no partial or temporary file");
    err
}

#[test]
fn a_fractional_initial_count_is_refused_at_its_declaration() {
    let err = refused("network F {\n  species X = 0.5;\n  X -> 0 @ 1;\n}\n", &[], "E1000");
    assert!(err.contains("bad.crnl:2:"), "{err}");
    assert!(err.contains("not a whole number"), "{err}");
}

#[test]
fn a_class_past_max_states_says_how_far_the_truncation_got() {
    // Pure birth: no stationary distribution, the truncation never holds the mass.
    let err = refused("network Grow { species amount X; 0 -> X @ 1; }", &["--max-states", "500"], "E1001");
    assert!(err.contains("more than 500 states"), "{err}");
    // Cut transitions return to the start, so the mass spreads evenly and never leaves the edge.
    assert!(
        err.contains("the class is infinite in `X`") && err.contains("the stationary mass at the cut"),
        "{err}"
    );
    let finite = "network Big { species amount A = 2000, B; A <-> B @ 1, 1; }";
    let err = refused(finite, &["--max-states", "100"], "E1001");
    assert!(!err.contains("infinite"), "{err}");
}

#[test]
fn several_closed_classes_have_no_unique_stationary_law() {
    let err = refused("network Fork { species amount A = 1, B, C; A -> B @ 1; A -> C @ 2; }", &[], "E1002");
    assert!(err.contains("2 closed classes"), "{err}");
    assert!(err.contains("{A = 0, B = 1, C = 0}") || err.contains("{A = 0, B = 0, C = 1}"), "{err}");
}

#[test]
fn a_negative_rate_law_is_refused_at_the_reaction() {
    let err = refused("network L {\n  species amount X = 2;\n  X -> 0 @ law(X - 5);\n}\n", &[], "E1003");
    assert!(err.contains("bad.crnl:3:"), "{err}");
    assert!(err.contains("{X = 2}"), "{err}");
}

#[test]
fn an_unknown_species_and_a_learning_circuit_are_refused() {
    let err = refused(CASES[0].source, &["--species", "D"], "E0200");
    assert!(err.contains("`--species`"), "{err}");
    refused(common::B4, &[], "E0604");
}

#[test]
fn outputs_need_stationary_and_never_overwrite_the_model() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.crnl"), CASES[0].source).unwrap();
    let o = crnc(&["analyze", "c.crnl", "-o", "out.csv"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--stationary"), "{}", stderr(&o));
    let o = crnc(&["analyze", "c.crnl", "--stationary", "-o", "c.crnl"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E0602"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("c.crnl")).unwrap(), CASES[0].source);
}
