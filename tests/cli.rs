//! The command-line surface (design.md §4.1) as users' scripts call it.

mod common;

use common::{crnc, stderr, stdout};
use std::path::Path;
use std::process::Command;

#[test]
fn compile_picks_the_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let example = common::root().join("examples/enzyme.crnl");
    for (ext, marker) in [
        ("sbml", "<sbml"),
        ("xml", "<sbml"),
        ("crn", "[k = "),
        ("txt", "[k = "),
        ("json", "\"format\": \"crnc-crn\""),
    ] {
        let out = dir.path().join(format!("net.{ext}"));
        let o = crnc(&["compile", example.to_str().unwrap(), "-o", out.to_str().unwrap()], dir.path());
        assert!(o.status.success(), "{ext}: {}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(marker), "{ext}: {text}");
    }
    let out = dir.path().join("net.out");
    let o = crnc(
        &["compile", example.to_str().unwrap(), "-o", out.to_str().unwrap(), "--format", "json"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with('{'));
}

#[test]
fn unknown_output_extension_is_a_user_error() {
    let dir = tempfile::tempdir().unwrap();
    let example = common::root().join("examples/enzyme.crnl");
    let o = crnc(&["compile", example.to_str().unwrap(), "-o", "net.weird"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--format"), "{}", stderr(&o));
    assert!(!dir.path().join("net.weird").exists());
}

#[test]
fn emit_dumps_each_stage_to_stdout() {
    let root = common::root();
    let ast = crnc(&["compile", "examples/brusselator.crnl", "--emit", "ast"], &root);
    assert!(ast.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&ast)).expect("AST is JSON");
    assert!(v["items"].is_array());
    let ir = crnc(&["compile", "examples/brusselator.crnl", "--emit", "ir"], &root);
    assert!(stdout(&ir).starts_with("network Brusselator {"), "{}", stdout(&ir));
    let crn = crnc(&["compile", "examples/brusselator.crnl", "--emit", "crn"], &root);
    assert!(stdout(&crn).contains("reactions (4):"), "{}", stdout(&crn));
    let text = crnc(&["compile", "examples/brusselator.crnl"], &root);
    assert!(stdout(&text).contains("2 X + Y -> 3 X [k = 1]"), "{}", stdout(&text));
}

#[test]
fn errors_exit_1_and_leave_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.crnl");
    std::fs::write(&bad, "network N {\n  species A;\n  A -> B @ -1;\n  A -> 0 @ kk;\n}\n").unwrap();
    let o = crnc(&["compile", "bad.crnl", "-o", "out.sbml"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.crnl:3:"), "{err}");
    assert!(err.contains("undefined species `B`"), "{err}");
    assert!(err.contains("undefined name `kk`"), "{err}");
    assert!(err.contains("aborting: 3 errors"), "{err}");
    assert!(!dir.path().join("out.sbml").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
}

#[test]
fn an_earlier_output_survives_a_failed_compile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("out.crn"), "old").unwrap();
    std::fs::write(dir.path().join("bad.crnl"), "network N { A -> 0; }").unwrap();
    let o = crnc(&["compile", "bad.crnl", "-o", "out.crn"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(dir.path().join("out.crn")).unwrap(), "old");
}

#[test]
fn json_diagnostics_are_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.crnl"), "network N {\n  species A, Bb;\n  A -> B;\n}\n").unwrap();
    let o = crnc(&["check", "m.crnl", "--diagnostics", "json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).expect("diagnostics are JSON");
    let d = v.as_array().unwrap().iter().find(|d| d["severity"] == "error").expect("one error");
    assert_eq!(d["code"], "E0200");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["labels"][0]["file"], "m.crnl");
    assert_eq!(d["labels"][0]["line"], 3);
    assert_eq!(d["labels"][0]["column"], 8);
    assert_eq!(d["hint"], "did you mean `Bb`?");
}

#[test]
fn several_networks_need_a_choice() {
    let root = common::root();
    let o = crnc(&["compile", "examples/lotka_volterra.crnl"], &root);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`Classic`, `Logistic`"), "{}", stderr(&o));
    let o = crnc(&["compile", "examples/lotka_volterra.crnl", "--network", "Logistic"], &root);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("# network: Logistic"));
    let o = crnc(&["compile", "examples/lotka_volterra.crnl", "--network", "logistic"], &root);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("did you mean `Logistic`?"), "{}", stderr(&o));
}

#[test]
fn max_order_splits_reactions_and_names_the_origin_of_what_is_left() {
    let root = common::root();
    let o = crnc(&["check", "examples/schloegl.crnl", "--max-order", "1"], &root);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[E0400]"), "{err}");
    assert!(err.contains("A + 2 X -> 3 X"), "{err}");
    assert!(err.contains("<std::classic>") || err.contains("std::classic"), "{err}");
    for max in ["2", "3"] {
        let o = crnc(&["check", "examples/schloegl.crnl", "--max-order", max], &root);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let brusselator = ["compile", "examples/brusselator.crnl", "--emit", "crn", "--max-order"];
    let o = crnc(&[&brusselator[..], &["2"]].concat(), &root);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("X_Y__r1 = 0 concentration, intermediate"), "{}", stdout(&o));
    let o = crnc(&[&brusselator[..], &["1"]].concat(), &root);
    assert_eq!(o.status.code(), Some(1), "B + X -> B + Y is bimolecular");
}

#[test]
fn emit_shows_the_crn_after_each_pass() {
    let root = common::root();
    let emit = |stage: &str| {
        let o = crnc(&["compile", "examples/brusselator.crnl", "--max-order", "2", "--emit", stage], &root);
        assert!(o.status.success(), "{stage}: {}", stderr(&o));
        stdout(&o)
    };
    assert!(emit("lower").contains("reactions (4):"));
    assert!(emit("simplify").contains("reactions (4):"));
    let split = emit("molecularity");
    assert!(
        split.contains("reactions (6):") && split.contains("(molecularity examples/brusselator.crnl:"),
        "{split}"
    );
    assert_eq!(emit("crn"), split, "molecularity is the last pass");
    let o = crnc(&["compile", "examples/brusselator.crnl", "--emit", "parse"], &root);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("lower, simplify, molecularity, crn"), "{}", stderr(&o));
}

#[test]
fn check_passes_with_warnings_and_reads_reaction_lists() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.crnl"), "network N {\n  species A = 1, Unused;\n  A -> 0;\n}\n")
        .unwrap();
    let o = crnc(&["check", "w.crnl", "--color", "never"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning[W0001]"), "{}", stderr(&o));
    std::fs::write(dir.path().join("l.crn"), "A @initial 2\nA + B -> 2 C [k = 0.2]\n").unwrap();
    let o = crnc(&["compile", "l.crn", "--format", "sbml"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("<sbml"));
}

#[test]
fn missing_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = crnc(&["check", "nope.crnl"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read `nope.crnl`"), "{}", stderr(&o));
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.crnl"), "network N { A -> 0; }").unwrap();
    let plain = crnc(&["check", "b.crnl"], dir.path());
    assert!(!stderr(&plain).contains('\u{1b}'), "piped output has no escape codes");
    let coloured = crnc(&["check", "b.crnl", "--color", "always"], dir.path());
    assert!(stderr(&coloured).contains('\u{1b}'));
}

#[test]
fn help_shows_examples() {
    let o = crnc(&["--help"], &common::root());
    assert!(stdout(&o).contains("crnc compile examples/brusselator.crnl -o brusselator.sbml"));
}

#[test]
fn sbml_is_imported_to_crnl_and_run_directly() {
    let dir = tempfile::tempdir().unwrap();
    let example = common::root().join("examples/enzyme.crnl");
    let o = crnc(&["compile", example.to_str().unwrap(), "-o", "m.xml"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crnc(&["import", "m.xml", "-o", "m.crnl"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let crnl = std::fs::read_to_string(dir.path().join("m.crnl")).unwrap();
    assert!(crnl.starts_with("// Translated by crnc from SBML Level 3 Version 2"), "{crnl}");
    let o = crnc(&["check", "m.crnl"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crnc(&["run", "m.xml", "--t-end", "2", "--points", "4", "-o", "m.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("m.csv")).unwrap();
    assert_eq!(csv.lines().count(), 6, "{csv}");
}

#[test]
fn bad_sbml_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.xml"), "<sbml/>").unwrap();
    let o = crnc(&["import", "m.xml", "-o", "m.crnl"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[E0800]"), "{}", stderr(&o));
    assert!(!dir.path().join("m.crnl").exists());
}

#[test]
fn devices_and_oversized_files_are_refused_not_read_until_memory_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["check", "/dev/zero"][..], &["run", "/dev/zero"], &["check", "."]] {
        let o = crnc(args, dir.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains("not a regular file"), "{args:?}: {}", stderr(&o));
    }
    std::fs::write(dir.path().join("m.crnl"), "import \"/dev/zero\";\nnetwork N { species A; A -> 0; }\n")
        .unwrap();
    let o = crnc(&["check", "m.crnl"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let big = format!("network N {{ species A; A -> 0; }}\n{}", "//\n".repeat(1 << 19));
    std::fs::write(dir.path().join("big.crnl"), big).unwrap();
    let o = crnc(&["check", "big.crnl", "--max-input-mb", "1"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("larger than the input limit of 1 MiB"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--max-input-mb"), "{}", stderr(&o));
    let o = crnc(&["check", "big.crnl", "--max-input-mb", "2"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn an_output_that_is_an_input_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let model = "import \"lib.crnl\";\nnetwork N { species A = 1; A -> 0; }\n";
    std::fs::write(dir.path().join("m.crnl"), model).unwrap();
    std::fs::write(dir.path().join("lib.crnl"), "param k = 1;\n").unwrap();
    for args in [
        &["compile", "m.crnl", "-o", "m.crnl", "--format", "crn"][..],
        &["compile", "m.crnl", "-o", "./lib.crnl", "--format", "sbml"],
        &["import", "m.crnl", "-o", "m.crnl"],
        &["run", "m.crnl", "-o", "m.crnl"],
    ] {
        let o = crnc(args, dir.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains("error[E0602]"), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("m.crnl")).unwrap(), model);
    assert_eq!(std::fs::read_to_string(dir.path().join("lib.crnl")).unwrap(), "param k = 1;\n");
}

#[test]
fn ssa_fires_bimolecular_events_past_the_64_bit_product_of_counts() {
    // n(n-1) for 4e9 molecules is above 2^63: in integers it wrapped and no event fired.
    let dir = tempfile::tempdir().unwrap();
    let model =
        "network N { species A = 4e9; 2A -> A @ 1e-17; simulate { method = ssa; t_end = 1; points = 1; } }\n";
    std::fs::write(dir.path().join("d.crnl"), model).unwrap();
    let o = crnc(&["run", "d.crnl", "-o", "out.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    let end: f64 = csv.lines().nth(2).unwrap().split(',').nth(1).unwrap().parse().unwrap();
    // About k·n(n-1) = 160 events (sd 13), each taking one A away.
    let expected = 4e9 / (1.0 + 1e-17 * 4e9);
    assert!((end - expected).abs() < 80.0, "A(1) = {end}, expected about {expected}");
}

#[test]
fn a_named_pipe_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.crnl");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_crnc"))
        .args(["check", "model.crnl"])
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() > 20 {
            child.kill().unwrap();
            panic!("crnc waited for a writer on a named pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

#[test]
fn an_output_named_like_a_translation_is_not_taken_for_an_input() {
    // The SBML importer's translation is named `m.xml.crnl` in diagnostics; a
    // file of that name on disk was never read, so writing it is fine.
    let dir = tempfile::tempdir().unwrap();
    let example = common::root().join("examples/enzyme.crnl");
    let o = crnc(&["compile", example.to_str().unwrap(), "-o", "m.xml"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for _ in 0..2 {
        let o = crnc(&["import", "m.xml", "-o", "m.xml.crnl"], dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn a_learning_circuit_shows_its_phases_and_is_never_written_as_one_network() {
    let dir = tempfile::tempdir().unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/neural/xor_quadratic.crnl");
    let model = model.to_str().unwrap();
    let protocol = crnc(&["compile", model, "--emit", "protocol"], dir.path());
    assert!(protocol.status.success(), "{}", stderr(&protocol));
    for phase in ["forward", "output", "error", "adjoint_init", "backward", "update"] {
        assert!(stdout(&protocol).contains(&format!("phase {phase} ")), "{}", stdout(&protocol));
    }
    let sbml = crnc(&["compile", model, "-o", "net.xml"], dir.path());
    assert_eq!(sbml.status.code(), Some(1));
    assert!(stderr(&sbml).contains("E0604"), "{}", stderr(&sbml));
    assert!(!dir.path().join("net.xml").exists());
    let json = crnc(&["compile", model, "-o", "net.json"], dir.path());
    assert!(json.status.success(), "{}", stderr(&json));
}

/// `-o /dev/null` once replaced the device with a regular file (the output is
/// written to a temporary file and renamed over the path): an output that is
/// not a regular file is written into. A named pipe stands in for the device.
#[test]
fn an_output_that_is_a_pipe_is_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("net.crn");
    assert!(Command::new("mkfifo").arg(&pipe).status().expect("mkfifo runs").success());
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe).expect("the pipe reads"))
    };
    let model = common::root().join("examples/enzyme.crnl");
    let o = crnc(&["compile", model.to_str().unwrap(), "-o", "net.crn"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let kind = std::fs::symlink_metadata(&pipe).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by {kind:?}");
    let text = reader.join().unwrap();
    assert!(text.contains("->"), "{text}");
}
