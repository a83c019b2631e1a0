//! Detailed-balanced learners run as their papers run them (domain.md §4.2), against the exact
//! stationary law that `crnc analyze --stationary` computes (tests/analyze.rs checks that law).

mod common;

/// The time average of each column over output rows with `from <= t < to`, from a
/// `crnc run` CSV (header `time,<ids>`).
fn window_means(csv: &str, from: f64, to: f64) -> Vec<(String, f64)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let mut sums = vec![0.0; header.len() - 1];
    let mut rows = 0usize;
    for line in lines {
        let values: Vec<f64> = line.split(',').map(|v| v.parse().expect("a number")).collect();
        if values[0] >= from && values[0] < to {
            for (s, v) in sums.iter_mut().zip(&values[1..]) {
                *s += v;
            }
            rows += 1;
        }
    }
    assert!(rows > 0, "no row in [{from}, {to})");
    header[1..].iter().zip(sums).map(|(h, s)| (h.to_string(), s / rows as f64)).collect()
}

#[test]
fn a1s_learner_by_ssa_settles_where_its_exact_stationary_law_is() {
    // domain.md §4.2 A1 and §3.12 item 3: <x> -> Q = 100 and <p> -> e^3/100, averaged over
    // t in [5000, 10000) and over three seeds, each within 2 %.
    let dir = tempfile::tempdir().unwrap();
    let model = common::root().join("tests/data/a1_learner_ssa.crnl");
    let seeds = ["1", "2", "3"];
    let (mut xs, mut ps) = (Vec::new(), Vec::new());
    for seed in seeds {
        let out = dir.path().join(format!("a1_{seed}.csv"));
        let o = common::crnc(
            &["run", model.to_str().unwrap(), "--seed", seed, "-o", out.to_str().unwrap()],
            dir.path(),
        );
        assert!(o.status.success(), "{}", common::stderr(&o));
        let means = window_means(&std::fs::read_to_string(&out).unwrap(), 5000.0, 10000.0);
        let mean = |id: &str| means.iter().find(|(h, _)| h == id).map(|m| m.1).expect("a column");
        xs.push(mean("X"));
        ps.push(mean("P"));
    }
    let average = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (x, p, exact) = (average(&xs), average(&ps), 3f64.exp() / 100.0);
    eprintln!("A1 by SSA over t in [5000, 10000): <x> = {x} {xs:?}, <p> = {p} {ps:?}");
    assert!((x - 100.0).abs() < 2.0, "<x> = {x} (per seed {xs:?})");
    assert!((p - exact).abs() < 0.02 * exact, "<p> = {p}, not {exact} (per seed {ps:?})");
}
