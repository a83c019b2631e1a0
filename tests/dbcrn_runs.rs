//! domain.md §4.2's learners (A3, A4, A7, A9) run through `crnc run` as a user runs them, their
//! `--summary` read back: each settles where the theory of §3.5-3.10 puts it.

mod common;

use std::path::Path;

use serde_json::Value;

/// `examples/dbcrn/FILE` with each (from, to) replaced, written to `dir`.
fn variant(dir: &Path, file: &str, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(common::root().join("examples/dbcrn").join(file)).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{file} has no `{from}`");
        text = text.replace(from, to);
    }
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `model` (network `network`) with `args` and returns its summary, written in a directory
/// of its own (never beside the model: the examples are read from the source tree).
fn summary(model: &Path, network: &str, args: &[&str]) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = dir.join(format!("{network}.json"));
    let mut all =
        vec!["run", model.to_str().unwrap(), "--network", network, "--summary", out.to_str().unwrap()];
    all.extend(args);
    let o = common::crnc(&all, dir);
    assert!(o.status.success(), "{}", common::stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

fn number(v: &Value, path: &[&str]) -> f64 {
    path.iter().fold(v, |v, key| &v[key]).as_f64().unwrap_or_else(|| panic!("no number at {path:?} in {v}"))
}

fn example(file: &str) -> std::path::PathBuf {
    common::root().join("examples/dbcrn").join(file)
}

#[test]
fn a3_learns_the_target_mean_in_every_coupling() {
    // The authors' per-event update (dt = 1e-3, k = 1e-3) and the principled couplings at the
    // rate that update effectively has, 45 times the written one (docs/learning.md): the same
    // fixed point, <x> = Q = 100 and P = e^3/100, over the last fifth of t in [0, 20).
    let dir = tempfile::tempdir().unwrap();
    let exact = variant(dir.path(), "a3_a5.crnl", &[("k_learn = 1e-3;", "k_learn = 0.045;")]);
    let runs = [
        ("per_event", summary(&example("a3_a5.crnl"), "A3", &[])),
        ("exact", summary(&exact, "A3", &["--coupling", "exact"])),
        ("split", summary(&exact, "A3", &["--coupling", "split"])),
    ];
    let p_exact = 3f64.exp() / 100.0;
    for (coupling, s) in runs {
        let (x, p) = (number(&s, &["means", "X"]), number(&s, &["potentials", "P"]));
        eprintln!("A3 {coupling}: <x> = {x}, P = {p}");
        // domain.md §4.2: the learned energy E_X + ln P -> -3 + ln(e^3/100) = -ln 100 ≈ -4.6.
        let energy = number(&s, &["learned_energies", "X"]);
        assert!((energy - (-3.0 + p.ln())).abs() < 1e-12 && (energy + 100f64.ln()).abs() < 0.05, "{energy}");
        assert!((x - 100.0).abs() < 3.0, "{coupling}: <x> = {x}");
        assert!((p - p_exact).abs() < 0.05 * p_exact, "{coupling}: P = {p}, not {p_exact}");
    }
}

#[test]
fn a4_learns_the_mean_of_a_stochastic_environment() {
    // domain.md §4.2 A4: the target `0 <-> 2Q` (E_Q = -4) has mean e^4·tanh(e^4) ≈ 54.6.
    let dir = tempfile::tempdir().unwrap();
    let figure = dir.path().join("a4.svg");
    let s = summary(&example("a3_a5.crnl"), "A4", &["--plot", figure.to_str().unwrap()]);
    let (x, q) = (number(&s, &["means", "X"]), number(&s, &["means", "Q"]));
    // The learner's figure: potentials and KL along the run, learned against target law.
    let svg = std::fs::read_to_string(&figure).unwrap();
    for panel in ["potentials", "kl", "distribution"] {
        assert!(svg.contains(&format!("class=\"panel {panel}\"")), "no {panel} panel");
    }
    let exact = 4f64.exp() * 4f64.exp().tanh();
    eprintln!("A4: <x> = {x}, <q> = {q}, theory {exact}");
    assert!((x - exact).abs() < 0.03 * exact, "<x> = {x}, not {exact}");
}

#[test]
fn a6s_free_copy_learns_the_clamped_copys_hidden_mean() {
    // domain.md §4.2 A6 (§3.7 on a network that is no Boltzmann machine): S1 clamped to 75, the
    // shared P4 learns until <F4> = <S4>. Without learning the copies' fourth species sit 24 %
    // apart (F4 75.6 against S4 60.9 at seed 0, k_learn 1e-9); with it, each seed within 3 %.
    for seed in ["0", "1", "2"] {
        let s = summary(&example("a6.crnl"), "A6", &["--seed", seed]);
        let mean = |x: &str| number(&s, &["means", x]);
        let (s1, s4, f4) = (mean("S1"), mean("S4"), mean("F4"));
        eprintln!("A6 seed {seed}: <S1> = {s1}, <S4> = {s4}, <F4> = {f4}, P4 = {}", s["potentials"]["P4"]);
        assert!((s1 - 75.0).abs() < 0.03 * 75.0, "seed {seed}: the clamp holds S1 at {s1}, not 75");
        assert!((f4 - s4).abs() < 0.03 * s4, "seed {seed}: <F4> = {f4} against <S4> = {s4}");
        assert!(number(&s, &["potentials", "P4"]) > 3.0, "seed {seed}: P4 barely moved");
    }
}

#[test]
fn a9_misses_the_target_by_the_predicted_bias_and_pays_more_to_miss_it_less() {
    // domain.md §3.10 and §3.12 item 5: relative error |eps (1 - P^2) / (P (k - eps P))| at the
    // averaged P, within 5 % wherever the error exceeds 1 %; dissipation rising with k/eps.
    let dir = tempfile::tempdir().unwrap();
    let mut sweep = Vec::new();
    for g in [0i32, -3, -6] {
        let mut rates = Vec::new();
        for dinv in [2, 8, 32, 128] {
            let x0 = (-f64::from(g)).exp() as i64;
            let model = variant(
                dir.path(),
                "a9_sweep.crnl",
                &[
                    ("G_S = -3, dinv = 32", &format!("G_S = {g}, dinv = {dinv}")),
                    ("X = 20, Q = 100", &format!("X = {x0}, Q = 100")),
                ],
            );
            let s = summary(&model, "A9", &["--points", "1000"]);
            let (x, p) = (number(&s, &["means", "X"]), number(&s, &["potentials", "P"]));
            let (k, eps) = (1e-3, 1e-3 / f64::from(dinv));
            let error = (100.0 - x).abs() / 100.0;
            let predicted = (eps * (1.0 - p * p) / (p * (k - eps * p))).abs();
            let rate = number(&s, &["dissipation_rate"]);
            eprintln!(
                "A9 G_S = {g}, k/eps = {dinv}: error {error}, predicted {predicted}, dissipation {rate}"
            );
            if error > 0.01 {
                assert!(
                    (error - predicted).abs() < 0.05 * predicted,
                    "G_S = {g}, k/eps = {dinv}: {error} against {predicted}"
                );
            }
            rates.push(rate);
            sweep.push((f64::from(dinv), rate, format!("G_S = {g}")));
        }
        assert!(
            rates.windows(2).all(|w| w[1] > w[0]),
            "G_S = {g}: dissipation not rising with k/eps: {rates:?}"
        );
    }
    // The sweep's figure: one line of dissipation against k/eps per G_S.
    let figure = crnc::learn::dbcrn::plot::dissipation_svg(&sweep);
    for g in [0, -3, -6] {
        assert!(figure.contains(&format!("data-series=\"G_S = {g}\"")), "no line for G_S = {g}");
    }
}

/// The probability of a visible state (X0_1, X1_1) in a summary's learned law.
fn learned(s: &Value, x0: i64, x1: i64) -> f64 {
    let law = s["learned_distribution"].as_array().expect("a law");
    law.iter()
        .find(|e| e["state"]["X0_1"] == x0 && e["state"]["X1_1"] == x1)
        .map_or(0.0, |e| e["p"].as_f64().unwrap())
}

#[test]
fn a8s_machine_learns_psi_closer_and_dissipates_more_the_less_reversible_its_learning() {
    // domain.md §4.2 A8: psi = [[0,1],[1,0]] + 1e-4, learning and clamp reactions reversible at
    // eps = delta·k. Over 1/delta = 2, 128, 2048 the learning reactions dissipate more (about
    // 2.2e4, 2.6e5, 7.7e5 k_B T) and D(psi || learned) falls from about 0.70 to 0.07 nats; in
    // between one run is too noisy to order (0.30-0.68 over seeds and output grids), which is
    // why the paper averages three runs.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example("anticorrelated.csv"), dir.path().join("anticorrelated.csv")).unwrap();
    let psi = [1e-4, 1.0, 1.0, 1e-4].map(|p| p / 2.0002);
    let mut runs = Vec::new();
    for inverse in [2, 128, 2048] {
        let model =
            variant(dir.path(), "a8.crnl", &[("delta = 1 / 512;", &format!("delta = 1 / {inverse};"))]);
        let s = summary(&model, "A8", &[]);
        let law = [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(a, b)| learned(&s, a, b));
        let divergence: f64 = psi.iter().zip(law).map(|(p, q)| p * (p / q).ln()).sum();
        let dissipation = number(&s, &["dissipation"]);
        eprintln!("A8 1/delta = {inverse}: D(psi || learned) = {divergence}, dissipation {dissipation}");
        runs.push((divergence, dissipation));
    }
    assert!(runs.windows(2).all(|w| w[1].1 > w[0].1), "dissipation not rising with 1/delta: {runs:?}");
    let (reversible, irreversible) = (runs[0].0, runs[2].0);
    assert!(irreversible < reversible / 3.0 && irreversible < 0.15, "D(psi || learned): {runs:?}");
}

/// A7 with its learning and clamp rates x84, the rates the authors' per-event update effectively
/// has (docs/learning.md), for the principled couplings.
fn a7_at_effective_rates(dir: &Path) -> std::path::PathBuf {
    variant(
        dir,
        "a7_toggle.crnl",
        &[
            ("learn @ 0.01;", "learn @ 0.84;"),
            ("@ 2.5, X1 ~ alpha * R1 @ 2.5;", "@ 210, X1 ~ alpha * R1 @ 210;"),
        ],
    )
}

#[test]
fn a7s_machine_learns_the_anticorrelation_in_the_exact_coupling_at_the_effective_rates() {
    // The principled form (potentials as ODEs between events) runs the written rates; the
    // authors' per-event update learns 84 times faster (docs/learning.md), so the same dynamics
    // take the rates x84: learning 0.84, clamps 210. T = 1000 as the authors.
    let dir = tempfile::tempdir().unwrap();
    let model = a7_at_effective_rates(dir.path());
    let s = summary(&model, "A7", &["--coupling", "exact", "--points", "1000"]);
    let (anti, kl) = (learned(&s, 0, 1) + learned(&s, 1, 0), number(&s, &["kl_nats"]));
    eprintln!("A7 exact: (0,1) + (1,0) = {anti}, KL = {kl}");
    assert!(anti >= 0.8, "(0,1) + (1,0) = {anti}");
    assert!(kl < 0.1, "KL(clamped || free) = {kl}");
}

#[test]
fn a7s_machine_lowered_to_two_molecules_keeps_each_units_potentials_in_balance_and_its_clamp() {
    // The learning rule keeps P_U_0·P_U_1 = 1 for each unit or edge U while every molecule of
    // U is counted; lowered, U sits in intermediates part of the time, and the learning reactions
    // read it there too (docs/passes.md, "Potentials"). Without those readers the product fell
    // by about 2.5 % per time unit at these rates, the unit froze and the clamp failed.
    let dir = tempfile::tempdir().unwrap();
    let model = a7_at_effective_rates(dir.path());
    let args = ["--coupling", "exact", "--max-order", "2", "--t-end", "30", "--points", "30"];
    let s = summary(&model, "A7", &args);
    for unit in ["X0", "X1", "H", "W0", "W1"] {
        let p = |state| number(&s, &["potentials", &format!("P_{unit}_{state}")]);
        let product = p(0) * p(1);
        assert!((product - 1.0).abs() < 0.1, "P_{unit}_0·P_{unit}_1 = {product}");
    }
    let target = s["target_distribution"].as_array().expect("a target law");
    let anti: f64 = target
        .iter()
        .filter(|e| e["state"]["X0_1"] != e["state"]["X1_1"])
        .map(|e| e["p"].as_f64().unwrap())
        .sum();
    assert!(anti >= 0.6, "the clamped copy follows the toggle only {anti} of the time");
}

#[test]
fn a7s_per_event_rule_steps_on_the_events_of_the_network_as_written_when_lowered() {
    // Lowered, A7 fires about 11 times as many events (binding steps); the per-event rule takes
    // no step on those, so the lowered machine learns at the unlowered one's effective rate
    // (about 84 times the written one; it was 912 when every event stepped).
    let factor = |args: &[&str]| {
        let mut all = vec!["--t-end", "4", "--points", "4", "--max-events", "100000000000"];
        all.extend(args);
        number(&summary(&example("a7_toggle.crnl"), "A7", &all), &["per_event_rate_factor"])
    };
    let (written, lowered) = (factor(&[]), factor(&["--max-order", "2"]));
    eprintln!("per-event rate factor: {written} as written, {lowered} lowered");
    assert!((lowered / written - 1.0).abs() < 0.1, "{lowered} lowered against {written}");
}

#[test]
fn a7s_machine_learns_the_toggle_switchs_anticorrelation() {
    // domain.md §4.2 A7 in the authors' per-event mode, t in [0, 400) (the visible law has
    // settled by then): the free model puts >= 0.8 on (0,1) + (1,0), and KL(clamped || free) < 0.1.
    let s = summary(&example("a7_toggle.crnl"), "A7", &["--t-end", "400", "--points", "400"]);
    let anti = learned(&s, 0, 1) + learned(&s, 1, 0);
    let kl = number(&s, &["kl_nats"]);
    eprintln!("A7: (0,1) + (1,0) = {anti}, KL = {kl}");
    assert!(anti >= 0.8, "(0,1) + (1,0) = {anti}");
    assert!(kl < 0.1, "KL(clamped || free) = {kl}");
}

#[test]
fn a_report_that_cannot_be_computed_fails_the_run_before_any_output_is_written() {
    // The learned law of a mean of 1e7 has far more states than --max-states allows (E0706).
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("huge.crnl");
    std::fs::write(
        &model,
        "network Huge { species amount X = 2; potential P = 1 for X; 0 <-> X @ 1; learn P: X ~ 1e7 @ 1; }",
    )
    .unwrap();
    let (csv, json) = (dir.path().join("out.csv"), dir.path().join("out.json"));
    let o = common::crnc(
        &[
            "run",
            model.to_str().unwrap(),
            "--method",
            "ode",
            "--t-end",
            "50",
            "-o",
            csv.to_str().unwrap(),
            "--summary",
            json.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!o.status.success());
    assert!(common::stderr(&o).contains("E0706"), "{}", common::stderr(&o));
    assert!(!csv.exists() && !json.exists(), "an output was written");
}

#[test]
fn a_machine_learns_a_law_given_as_data() {
    // examples/dbcrn/from_data.crnl: A8's psi from a CSV, the machine clamped to the environment
    // network the import makes. The free law ends on psi's support, near psi itself. One run's KL
    // is noisy (0.002-0.06 nats over seeds 0-19), so the KLs are averaged over seeds 0-4.
    let psi = [1e-4, 1.0, 1.0, 1e-4].map(|w| w / 2.0002);
    let (mut kl, mut kl_psi) = (0.0, 0.0);
    const SEEDS: [&str; 5] = ["0", "1", "2", "3", "4"];
    for seed in SEEDS {
        let s = summary(&example("from_data.crnl"), "FromData", &["--seed", seed]);
        let q = [learned(&s, 0, 0), learned(&s, 0, 1), learned(&s, 1, 0), learned(&s, 1, 1)];
        let anti = q[1] + q[2];
        eprintln!("from data, seed {seed}: law {q:?}, KL(clamped || free) = {}", number(&s, &["kl_nats"]));
        assert!(anti >= 0.95, "seed {seed}: (0,1) + (1,0) = {anti}");
        kl += number(&s, &["kl_nats"]) / SEEDS.len() as f64;
        kl_psi += psi.iter().zip(q).map(|(p, q)| p * (p / q).ln()).sum::<f64>() / SEEDS.len() as f64;
    }
    assert!(kl < 0.02 && kl_psi < 0.1, "mean KL(clamped || free) = {kl}, mean KL(psi || free) = {kl_psi}");
}

#[test]
fn an_imported_stationary_law_is_the_stationary_law_of_its_environment() {
    // `crnc analyze --stationary -o dist.csv` of a closed network, imported as an environment:
    // the environment's own stationary law, marginal on the columns, is the file's to 1e-9.
    let dir = tempfile::tempdir().unwrap();
    let analyze = |model: &str, network: &str, out: &str| {
        let path = dir.path().join(format!("{network}.crnl"));
        std::fs::write(&path, model).unwrap();
        let o = common::crnc(&["analyze", path.to_str().unwrap(), "--stationary", "-o", out], dir.path());
        assert!(o.status.success(), "{}", common::stderr(&o));
        law(&std::fs::read_to_string(dir.path().join(out)).unwrap(), &["A", "B", "C", "D"])
    };
    let closed = "network Closed { species amount A = 5, B, C, D; A <-> B @ 1, 2; B <-> C @ 3, 1; A + B <-> D @ 0.5, 1; }";
    let original = analyze(closed, "Closed", "closed.csv");
    let environment = analyze("import \"closed.csv\"; network Env { include closed; }", "Env", "env.csv");
    assert_eq!(original.len(), 34);
    assert_eq!(original.keys().collect::<Vec<_>>(), environment.keys().collect::<Vec<_>>());
    for (state, p) in &original {
        assert!(
            (p - environment[state]).abs() < 1e-9,
            "{state:?}: {p} in the file, {} in its environment",
            environment[state]
        );
    }
}

/// A `dist.csv` summed onto `columns`: state -> p.
fn law(csv: &str, columns: &[&str]) -> std::collections::BTreeMap<Vec<u64>, f64> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at: Vec<usize> = columns.iter().map(|c| header.iter().position(|h| h == c).unwrap()).collect();
    let mut law = std::collections::BTreeMap::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let state = at.iter().map(|&i| fields[i].parse().unwrap()).collect();
        *law.entry(state).or_insert(0.0) += fields.last().unwrap().parse::<f64>().unwrap();
    }
    law
}

#[test]
fn a_bad_distribution_file_is_reported_in_the_file_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("law.csv"), "A,B,p\n0,1,0.5\n1,x,0.5\n").unwrap();
    let model = dir.path().join("m.crnl");
    std::fs::write(&model, "import \"law.csv\";\nnetwork M { include law; }\n").unwrap();
    let out = dir.path().join("out.csv");
    let o = common::crnc(&["run", model.to_str().unwrap(), "-o", out.to_str().unwrap()], dir.path());
    let err = common::stderr(&o);
    assert!(!o.status.success() && !out.exists());
    assert!(
        err.contains("E0805") && err.contains("`x` is not a count") && err.contains("law.csv:3:3"),
        "{err}"
    );
}

#[test]
fn a2s_ensemble_pulls_its_mean_to_the_target_through_one_shared_potential() {
    // domain.md §4.2 A2 (examples/dbcrn/a2.crnl): ten vesicles X[i] share the count P; the
    // ensemble mean over the last fifth of t in [0, 1e4) is Q = 100 within 2 % on every seed,
    // and P averages e^3/100 over the seeds (a count that is 0 most of the time: 10 %).
    let model = example("a2.crnl");
    let mut p = 0.0;
    for seed in ["1", "2", "3"] {
        let s = summary(&model, "A2", &["--seed", seed]);
        let mean = (0..10).map(|i| number(&s, &["means", &format!("X[{i}]")])).sum::<f64>() / 10.0;
        eprintln!("A2 seed {seed}: ensemble mean {mean}, P {}", number(&s, &["potentials", "P"]));
        assert!((mean / 100.0 - 1.0).abs() < 0.02, "seed {seed}: ensemble mean {mean}");
        p += number(&s, &["potentials", "P"]) / 3.0;
    }
    assert!((p / (3f64.exp() / 100.0) - 1.0).abs() < 0.1, "P = {p}");
}
