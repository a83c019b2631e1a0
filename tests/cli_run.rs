//! `crnc run` as users' scripts call it (design.md §4.1): CSV layout, flags
//! over the `simulate` block, SSA ensembles, seeds, plots and failures.

mod common;

use common::crnc;

fn csv(text: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut lines = text.lines();
    let header = lines.next().expect("a header").split(',').map(str::to_string).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse().expect("a number")).collect()).collect();
    (header, rows)
}

const DECAY: &str = "network Decay {\n  species A = 2, B;\n  A -> B @ 0.5;\n  simulate { t_end = 4; points = 8; plot = [A]; }\n}\n";

#[test]
fn ode_csv_has_the_documented_layout_and_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.crnl"), DECAY).unwrap();
    let o = crnc(&["run", "d.crnl", "-o", "out.csv"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (header, rows) = csv(&std::fs::read_to_string(dir.path().join("out.csv")).unwrap());
    assert_eq!(header, ["time", "A", "B"]);
    assert_eq!(rows.len(), 9, "points + 1 rows");
    for (i, row) in rows.iter().enumerate() {
        let t = 4.0 * i as f64 / 8.0;
        assert_eq!(row[0], t);
        let exact = 2.0 * (-0.5 * t).exp();
        assert!((row[1] - exact).abs() <= 1e-5 * exact + 1e-8, "A({t}) = {} vs {exact}", row[1]);
        assert!((row[1] + row[2] - 2.0).abs() < 1e-6, "mass is conserved");
    }
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(summary.contains("Decay: ode"), "{summary}");
}

#[test]
fn flags_override_the_simulate_block() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.crnl"), DECAY).unwrap();
    let o = crnc(&["run", "d.crnl", "--t-end", "1", "--points", "4"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, rows) = csv(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4][0], 1.0);
}

#[test]
fn amount_species_are_reported_as_amounts() {
    let dir = tempfile::tempdir().unwrap();
    let src = "network V { volume = 2; species amount N = 10; N -> 0 @ 1; }";
    std::fs::write(dir.path().join("v.crnl"), src).unwrap();
    let o = crnc(&["run", "v.crnl", "--t-end", "1", "--points", "1"], dir.path());
    let (_, rows) = csv(&String::from_utf8_lossy(&o.stdout));
    assert!((rows[0][1] - 10.0).abs() < 1e-12);
    assert!((rows[1][1] - 10.0 * (-1.0f64).exp()).abs() < 1e-5);
}

#[test]
fn ssa_ensembles_write_mean_sd_and_kurtosis_and_one_seed_gives_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    let example = root.join("examples/birth_death.crnl");
    let args = |out: &str| {
        vec![
            "run".to_string(),
            example.display().to_string(),
            "--trajectories".into(),
            "200".into(),
            "--seed".into(),
            "5".into(),
            "-o".into(),
            out.to_string(),
        ]
    };
    let run = |out: &str| {
        let a = args(out);
        let o = crnc(&a.iter().map(String::as_str).collect::<Vec<_>>(), dir.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(dir.path().join(out)).unwrap()
    };
    let (first, second) = (run("a.csv"), run("b.csv"));
    assert_eq!(first, second, "same seed, same file");
    let (header, rows) = csv(&first);
    assert_eq!(header, ["time", "X-mean", "X-sd", "X-kurt"]);
    assert_eq!(rows.len(), 51);
    assert!(rows[0][3].is_nan(), "no spread at t = 0");
    let last = rows.last().unwrap();
    // Stationary mean k_birth * volume / k_death = 100 molecules (Poisson).
    assert!((last[1] - 100.0).abs() < 5.0, "mean {}", last[1]);
    assert!((last[2] - 10.0).abs() < 2.5, "sd {}", last[2]);
}

#[test]
fn one_ssa_trajectory_writes_whole_counts() {
    let dir = tempfile::tempdir().unwrap();
    let example = common::root().join("examples/birth_death.crnl");
    let o = crnc(&["run", example.to_str().unwrap(), "--points", "10"], dir.path());
    assert!(o.status.success());
    let (header, rows) = csv(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(header, ["time", "X"]);
    assert!(rows.iter().all(|r| r[1].fract() == 0.0));
}

#[test]
fn plots_are_written_as_svg_or_png() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.crnl"), DECAY).unwrap();
    let o = crnc(&["run", "d.crnl", "-o", "d.csv", "--plot", "d.svg"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(dir.path().join("d.svg")).unwrap();
    assert!(svg.starts_with("<svg") && (svg.contains("<polyline") || svg.contains("<path")), "{svg}");
    let o = crnc(&["run", "d.crnl", "-o", "d.csv", "--plot", "d.png"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(dir.path().join("d.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
    let o = crnc(&["run", "d.crnl", "--plot", "d.jpg"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(!dir.path().join("d.jpg").exists());
}

#[test]
fn a_fractional_ssa_count_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.crnl"), "network F { species X = 0.5; X -> 0; }").unwrap();
    let o = crnc(&["run", "f.crnl", "--method", "ssa", "-o", "f.csv"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a whole number"), "{err}");
    assert!(!dir.path().join("f.csv").exists());
}

#[test]
fn bad_flag_values_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.crnl"), DECAY).unwrap();
    for bad in [["--t-end", "-1"], ["--points", "0"], ["--rtol", "nan"], ["--trajectories", "0"]] {
        let o = crnc(&["run", "d.crnl", bad[0], bad[1]], dir.path());
        assert_eq!(o.status.code(), Some(1), "a bad flag is a user error: {bad:?}");
    }
}

/// design.md §4.1: the rails of a signed value `x` are `x_p` and `x_m` in every output.
#[test]
fn signed_values_appear_as_their_rails_in_the_csv_and_the_exports() {
    let dir = tempfile::tempdir().unwrap();
    let src = "network R {\n  signed x = 1, y = 0;\n  ode { x' = -y; y' = x; }\n}\n";
    std::fs::write(dir.path().join("r.crnl"), src).unwrap();
    let o = crnc(&["run", "r.crnl", "--t-end", "1", "--points", "2", "-o", "out.csv"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (header, rows) = csv(&std::fs::read_to_string(dir.path().join("out.csv")).unwrap());
    assert_eq!(header, ["time", "x_p", "x_m", "y_p", "y_m"]);
    let last = rows.last().unwrap();
    assert!((last[1] - last[2] - 1f64.cos()).abs() < 1e-5, "x = cos t: {last:?}");
    let o = crnc(&["compile", "r.crnl", "-o", "r.sbml"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sbml = std::fs::read_to_string(dir.path().join("r.sbml")).unwrap();
    for rail in ["x_p", "x_m", "y_p", "y_m"] {
        assert!(sbml.contains(&format!("<species id=\"{rail}\"")), "{rail} in the SBML");
    }
}

/// Issue 11 item 5: an output table too large to hold is refused up front,
/// naming the setting, whether it comes from a flag or the `simulate` block
/// (it used to abort on allocation, exit 134); an ensemble of very many
/// trajectories is refused too rather than running for days.
#[test]
fn outputs_that_cannot_fit_are_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.crnl"), DECAY).unwrap();
    let block = DECAY.replace("points = 8;", "points = 1e12;");
    std::fs::write(dir.path().join("b.crnl"), block).unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["d.crnl", "--points", "1000000000000"], "--points"),
        (&["b.crnl"], "--points"),
        (&["d.crnl", "--method", "ssa", "--points", "1000000000000"], "--points"),
        (&["d.crnl", "--method", "ssa", "--trajectories", "1000000000000"], "--trajectories"),
        // Few samples each, but the trajectories' own costs add up.
        (&["d.crnl", "--method", "ssa", "--points", "1", "--trajectories", "2e9"], "--trajectories"),
    ];
    for (args, flag) in cases {
        let o = crnc(&[&["run"], args, &["-o", "out.csv"]].concat(), dir.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("E0703") && err.contains(flag), "{args:?}: {err}");
        assert!(!dir.path().join("out.csv").exists(), "{args:?}: no partial output");
    }
}

/// Issue 11 item 8: an explosive network under SSA stops at the event limit
/// with the time it reached and the setting that raises the limit, from the
/// flag or from the `simulate` block; a run within the limit is unaffected.
#[test]
fn an_explosive_ssa_run_stops_at_the_event_limit() {
    let dir = tempfile::tempdir().unwrap();
    let src = "network Boom {\n  species amount A = 1;\n  A -> 2 A @ 1;\n  simulate { method = ssa; t_end = 100; max_events = 20000; }\n}\n";
    std::fs::write(dir.path().join("boom.crnl"), src).unwrap();
    for extra in [&[][..], &["--max-events", "5000"], &["--trajectories", "4"]] {
        let o = crnc(&[&["run", "boom.crnl", "-o", "out.csv"], extra].concat(), dir.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {err}");
        let limit = if extra.contains(&"5000") { "took 5000 events" } else { "took 20000 events" };
        assert!(err.contains("E0701") && err.contains(limit), "{extra:?}: {err}");
        assert!(err.contains("reached only t = ") && err.contains("--max-events"), "{err}");
        assert!(!dir.path().join("out.csv").exists());
    }
    let o = crnc(&["run", "boom.crnl", "--t-end", "2", "-o", "out.csv"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Issue 11 item 9: an end time too large is refused up front, from the flag or
/// the block (it used to reach the solver as "output time inf"); so are the
/// other settings out of their range.
#[test]
fn settings_out_of_range_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.crnl"), DECAY).unwrap();
    std::fs::write(dir.path().join("b.crnl"), DECAY.replace("t_end = 4;", "t_end = 1e308;")).unwrap();
    for args in [&["run", "d.crnl", "--t-end", "1e308"][..], &["run", "b.crnl"], &["check", "b.crnl"]] {
        let o = crnc(args, dir.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("end time is too large") && !err.contains("time inf"), "{args:?}: {err}");
    }
    for bad in
        [["--t-end", "inf"], ["--rtol", "2"], ["--rtol", "1e-20"], ["--atol", "0"], ["--max-events", "0"]]
    {
        let o = crnc(&["run", "d.crnl", bad[0], bad[1]], dir.path());
        assert_eq!(o.status.code(), Some(1), "{bad:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

/// Issue 11 item 18, design.md §4.1: every output is in the species' declared
/// unit for every method. A concentration species in volume 2 starting at 50
/// is 100 molecules: the ODE and the SSA mean both say 50 (concentration),
/// and the SSA sd scales with it; `--counts` gives molecules for both.
#[test]
fn ode_and_ssa_outputs_share_the_declared_unit_and_counts_come_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let src = "network Vol {\n  volume = 2;\n  species X = 50, Y = 0;\n  species amount N = 30;\n  X -> Y @ 0.1;\n  N -> 0 @ 0.1;\n  simulate { t_end = 1; points = 2; seed = 3; }\n}\n";
    std::fs::write(dir.path().join("v.crnl"), src).unwrap();
    let last_row = |args: &[&str]| {
        let o = crnc(&[&["run", "v.crnl"], args].concat(), dir.path());
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        let (header, rows) = csv(&String::from_utf8_lossy(&o.stdout));
        (header, rows[0].clone(), rows.last().unwrap().clone())
    };
    let (_, first, ode) = last_row(&[]);
    assert_eq!(first[1..], [50.0, 0.0, 30.0], "initial values in the declared units");
    let exact = 50.0 * (-0.1f64).exp();
    assert!((ode[1] - exact).abs() < 1e-4, "ODE X = {}", ode[1]);
    let (header, first, ssa) = last_row(&["--method", "ssa", "--trajectories", "4000"]);
    assert_eq!(header[1..4], ["X-mean", "X-sd", "X-kurt"]);
    assert_eq!(first[1], 50.0, "the SSA mean of X at t = 0 is a concentration");
    assert_eq!(first[7], 30.0, "an amount species stays an amount");
    // Binomial: 100 molecules, each left with p = e^-0.1; the concentration's sd is half the count's.
    let p = (-0.1f64).exp();
    let sd = (100.0 * p * (1.0 - p)).sqrt() / 2.0;
    assert!((ssa[1] - exact).abs() < 4.0 * sd / 4000f64.sqrt(), "SSA mean X = {} vs ODE {exact}", ssa[1]);
    assert!((ssa[2] - sd).abs() < 0.1 * sd, "SSA sd X = {} vs {sd}", ssa[2]);
    let (_, first, one) = last_row(&["--method", "ssa"]);
    assert_eq!(first[1], 50.0);
    assert_eq!((one[1] * 2.0).fract(), 0.0, "one trajectory: counts divided by the volume");
    let (_, first, counts) = last_row(&["--counts"]);
    assert_eq!(first[1..], [100.0, 0.0, 30.0], "--counts: molecules for the ODE");
    assert!((counts[1] - 2.0 * exact).abs() < 2e-4);
    let (_, first, counts) = last_row(&["--method", "ssa", "--trajectories", "4000", "--counts"]);
    assert_eq!((first[1], first[7]), (100.0, 30.0), "--counts: molecules for the SSA");
    assert!((counts[1] - 2.0 * exact).abs() < 8.0 * sd / 4000f64.sqrt(), "SSA mean count {}", counts[1]);
}

#[test]
fn bad_flag_values_say_why_and_choices_take_any_case() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.crnl"), DECAY).unwrap();
    for (flag, value, reason) in [
        ("--t-end", "-1", "expected a positive end time"),
        ("--points", "-5", "`-5` is negative"),
        ("--points", "2.5", "not a whole number"),
        ("--trajectories", "-2", "`-2` is negative"),
        ("--seed", "-3", "`-3` is negative"),
        ("--rtol", "-1e-6", "relative tolerance"),
    ] {
        let o = crnc(&["run", "d.crnl", flag, value, "-o", "out.csv"], dir.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{flag} {value}: {err}");
        assert!(err.contains(reason), "{flag} {value}: {err}");
        assert!(!dir.path().join("out.csv").exists());
    }
    let o = crnc(&["run", "d.crnl", "--method", "SSA", "--points", "1e1", "-o", "out.csv"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, rows) = csv(&std::fs::read_to_string(dir.path().join("out.csv")).unwrap());
    assert_eq!(rows.len(), 11);
}
