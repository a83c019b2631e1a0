//! Compartments of different sizes (docs/language.md, "Compartments"): a
//! species in a compartment of size V_s has concentration n/V_s, every
//! reaction takes place in the network's `volume` V, and `crnc run` writes
//! each species in its declared unit for the ODE and the SSA alike. The SBML
//! export says the same model to libRoadRunner.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::crnc;

use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::source::MemoryFs;

/// First-order in every species whose count changes (`E` is a catalyst in
/// amounts), so the SSA mean follows the ODE exactly and the two compare.
const CELL: &str = "network Cell {
  volume = 1;
  compartment nucleus = 0.25;
  compartment outside = 4;
  species S = 1000;
  species in nucleus N = 400;
  species amount in outside E = 12;
  species in outside P;
  import_: S -> N @ 0.5;
  N -> P @ 0.3;
  P <-> S @ 0.2, 0.1;
  E + S -> E + P @ 0.01;
  simulate { t_end = 4; points = 8; }
}
";

/// `crnc ARGS` that must succeed.
fn ok(args: &[&str], cwd: &Path) -> Output {
    let out = crnc(args, cwd);
    assert!(out.status.success(), "crnc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A temporary directory holding one file.
fn with_file(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    dir
}

fn compiled(src: &str) -> Crn {
    let fs = MemoryFs::new().with("cell.crnl", src.to_string());
    common::compile_all(&fs, "cell.crnl".as_ref()).remove(0)
}

/// (header, rows) of a CSV that `crnc run` wrote.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    (header, rows)
}

fn column(header: &[String], rows: &[Vec<f64>], name: &str) -> Vec<f64> {
    let c = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    rows.iter().map(|r| r[c]).collect()
}

#[test]
fn the_ir_printout_reads_back_to_the_same_network() {
    let fs = MemoryFs::new().with("cell.crnl", CELL.to_string());
    let front = crnc::driver::front_end(&fs, "cell.crnl".as_ref());
    assert!(!front.has_errors(), "{:?}", front.diagnostics);
    let ir = front.program.networks["Cell"].to_string();
    assert!(ir.contains("  compartment nucleus = 0.25;\n  compartment outside = 4;\n"), "{ir}");
    assert!(ir.contains("  species in nucleus N = 400;\n"), "{ir}");
    assert!(ir.contains("  species amount in outside E = 12;\n"), "{ir}");
    let again = compiled(&ir);
    let original = compiled(CELL);
    assert_eq!(again.compartments.len(), 2);
    for (a, b) in again.species.iter().zip(&original.species) {
        assert_eq!(
            (&a.name, a.initial, a.quantity, &a.compartment),
            (&b.name, b.initial, b.quantity, &b.compartment)
        );
    }
    assert_eq!(again.reactions.len(), original.reactions.len());
}

/// dx_s/dt = (V/V_s) Σ_r ν_sr f_r(x) at the concentrations in their own
/// compartments, and the SSA propensity is V·k·∏ ff(n_i, α_i)/V_i^α_i.
#[test]
fn kinetics_scale_each_species_by_its_share_of_the_reaction_volume() {
    let crn = compiled(
        "network T {
          volume = 2;
          compartment small = 0.5;
          species A = 3;
          species in small B = 4;
          species in small C;
          A + 2 B -> C @ 0.7;
        }",
    );
    let kin = Kinetics::new(&crn);
    let (v, va, vb): (f64, f64, f64) = (2.0, 2.0, 0.5);
    // Propensity constant: k · V^(1-m) for m = 3 is V·k/(V_A·V_B²).
    let c = kin.k[0] * v.powi(-2);
    assert!((c - v * 0.7 / (va * vb * vb)).abs() < 1e-12 * c, "{c}");
    // The ODE in the state y = x·V_s/V.
    let x = [3.0, 4.0, 0.0];
    let shares = Kinetics::shares(&crn);
    assert_eq!(shares, [1.0, 0.25, 0.25]);
    let y: Vec<f64> = x.iter().zip(&shares).map(|(x, s)| x * s).collect();
    let mut dy = [0.0; 3];
    kin.rhs(&y, &mut dy);
    let f = 0.7 * 3.0 * 4.0 * 4.0;
    let dx: Vec<f64> = dy.iter().zip(&shares).map(|(d, s)| d / s).collect();
    let expected = [-(v / va) * f, -2.0 * (v / vb) * f, (v / vb) * f];
    for (got, want) in dx.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12 * want.abs(), "{dx:?} != {expected:?}");
    }
}

#[test]
fn ode_and_ssa_mean_agree_in_the_declared_units() {
    let dir = with_file("cell.crnl", CELL);
    ok(&["run", "cell.crnl", "-o", "ode.csv"], dir.path());
    let trajectories = 400;
    let n = trajectories.to_string();
    ok(&["run", "cell.crnl", "--method", "ssa", "--trajectories", &n, "-o", "ssa.csv"], dir.path());
    let (oh, orows) = read_csv(&dir.path().join("ode.csv"));
    let (sh, srows) = read_csv(&dir.path().join("ssa.csv"));
    // At t = 0: concentrations in their own compartments, E in amounts.
    assert_eq!(orows[0][1..], [1000.0, 400.0, 12.0, 0.0]);
    assert_eq!(column(&sh, &srows, "N-mean")[0], 400.0);
    for (name, size) in [("S", 1.0), ("N", 0.25), ("E", 1.0), ("P", 4.0)] {
        let ode = column(&oh, &orows, name);
        let mean = column(&sh, &srows, &format!("{name}-mean"));
        let sd = column(&sh, &srows, &format!("{name}-sd"));
        for t in 0..ode.len() {
            // Four standard errors, plus one molecule's worth for a column that barely moves.
            let tolerance = 4.0 * sd[t] / (trajectories as f64).sqrt() + 1.0 / size;
            assert!(
                (mean[t] - ode[t]).abs() <= tolerance,
                "{name} at row {t}: SSA mean {} vs ODE {} (tolerance {tolerance})",
                mean[t],
                ode[t]
            );
        }
    }
    // Molecules on request: N's concentration times its compartment's size.
    ok(&["run", "cell.crnl", "--counts", "-o", "counts.csv"], dir.path());
    let (ch, crows) = read_csv(&dir.path().join("counts.csv"));
    assert_eq!(column(&ch, &crows, "N")[0], 100.0);
    assert_eq!(column(&ch, &crows, "P")[0], 0.0);
    let p = column(&ch, &crows, "P");
    let p_conc = column(&oh, &orows, "P");
    assert!((p[8] - 4.0 * p_conc[8]).abs() < 1e-9 * p[8], "{} vs {}", p[8], p_conc[8]);
}

#[test]
fn the_sbml_export_simulates_to_the_same_trajectories_in_libroadrunner() {
    let dir = with_file("cell.crnl", CELL);
    ok(&["compile", "cell.crnl", "-o", "cell.xml"], dir.path());
    let doc = std::fs::read_to_string(dir.path().join("cell.xml")).unwrap();
    assert!(
        doc.contains(r#"<compartment id="nucleus" name="nucleus" spatialDimensions="3" size="0.25""#),
        "{doc}"
    );
    assert!(doc.contains(r#"<species id="N" name="N" compartment="nucleus""#), "{doc}");
    ok(&["run", "cell.crnl", "--rtol", "1e-10", "--atol", "1e-12", "-o", "ode.csv"], dir.path());
    let rr = dir.path().join("rr.csv");
    let status = Command::new(common::sbml_external::python())
        .arg(common::root().join("scripts/roadrunner_simulate.py"))
        .args([
            dir.path().join("cell.xml").to_str().unwrap(),
            "4",
            "8",
            "1e-10",
            "1e-12",
            rr.to_str().unwrap(),
        ])
        .status()
        .expect("python runs");
    assert_eq!(status.code(), Some(0), "libRoadRunner failed (exit 2: the venv is missing)");
    let (oh, orows) = read_csv(&dir.path().join("ode.csv"));
    let (rh, rrows) = read_csv(&rr);
    // libRoadRunner writes concentrations; E is in amounts in crnc's CSV.
    for (name, factor) in [("S", 1.0), ("N", 1.0), ("E", 4.0), ("P", 1.0)] {
        let ours = column(&oh, &orows, name);
        let theirs = column(&rh, &rrows, name);
        for (t, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            let b = b * factor;
            assert!((a - b).abs() <= 1e-9 + 1e-6 * b.abs(), "{name} at row {t}: crnc {a}, libRoadRunner {b}");
        }
    }
}

#[test]
fn the_text_reaction_list_refuses_a_species_in_another_compartment() {
    let dir = with_file("cell.crnl", CELL);
    let out = crnc(&["compile", "cell.crnl", "-o", "cell.crn"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E0603") && err.contains("compartment `nucleus`"), "{err}");
    assert!(!dir.path().join("cell.crn").exists());
    let json = crnc(&["compile", "cell.crnl", "--format", "json"], dir.path());
    assert!(json.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["compartments"][0]["name"], "nucleus");
    assert_eq!(doc["compartments"][1]["size"], 4.0);
    assert_eq!(doc["species"][1]["compartment"], "nucleus");
    assert!(doc["species"][0].get("compartment").is_none());
}

/// The binding steps and their intermediates take place in the reaction
/// volume, so the split network follows the original (docs/passes.md: about
/// 3 % at the default separation, 0.3 % at 1e5).
#[test]
fn the_molecularity_split_follows_the_original_across_compartments() {
    let src = "network T {
      volume = 2;
      compartment small = 0.5;
      species in small A = 1, B = 2;
      species C = 1.5, D;
      A + B + C -> D @ 2;
      simulate { t_end = 2; points = 4; }
    }";
    let dir = with_file("t.crnl", src);
    ok(&["run", "t.crnl", "-o", "whole.csv"], dir.path());
    ok(&["run", "t.crnl", "--max-order", "2", "--separation", "1e5", "-o", "split.csv"], dir.path());
    let (wh, wrows) = read_csv(&dir.path().join("whole.csv"));
    let (sh, srows) = read_csv(&dir.path().join("split.csv"));
    for name in ["A", "B", "C", "D"] {
        let (a, b) = (column(&wh, &wrows, name), column(&sh, &srows, name));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 0.01 * x.abs().max(0.1), "{name}: {a:?} vs split {b:?}");
        }
    }
}

#[test]
fn an_include_brings_its_compartments_and_one_of_the_same_size_merges() {
    let src = "network Inner {
          compartment c = 0.5;
          species in c A = 1;
          A -> 0 @ 1;
        }
        network Outer {
          compartment c = 0.5;
          compartment d = 3;
          species in d B = 2;
          include Inner;
          A -> B @ 1;
        }";
    let fs = MemoryFs::new().with("two.crnl", src.to_string());
    let crn = common::compile_all(&fs, "two.crnl".as_ref()).remove(1);
    assert_eq!(crn.name, "Outer");
    let compartments: Vec<(&str, f64)> = crn.compartments.iter().map(|c| (c.name.as_str(), c.size)).collect();
    assert_eq!(compartments, [("c", 0.5), ("d", 3.0)]);
    let placed: Vec<(&str, Option<&str>)> =
        crn.species.iter().map(|s| (s.name.as_str(), s.compartment.as_deref())).collect();
    assert_eq!(placed, [("A", Some("c")), ("B", Some("d"))]);
}

#[test]
fn emit_crn_shows_the_compartments() {
    let dir = with_file("cell.crnl", CELL);
    let out = ok(&["compile", "cell.crnl", "--emit", "crn"], dir.path());
    let dump = String::from_utf8_lossy(&out.stdout);
    assert!(dump.contains("compartments (2):\n  nucleus = 0.25  (source cell.crnl:3:15)\n"), "{dump}");
    assert!(dump.contains("  s1 N = 400 concentration in nucleus, plain"), "{dump}");
}
