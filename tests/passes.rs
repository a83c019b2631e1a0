//! The passes: snapshots of the IR or CRN after every stage on small networks,
//! and the molecularity pass against the ODE it approximates (accuracy as
//! the fast rate grows, detailed balance of reversible reactions).

use std::path::Path;

use crnc::crn::passes::{Options, molecularity};
use crnc::crn::{self, Crn, Partner, Role};
use crnc::diagnostic::{self, Color};
use crnc::driver;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeOptions};
use crnc::source::MemoryFs;

/// Compiles `src` (one network) with `--max-order`, giving each stage's dump.
fn stages(src: &str, max_order: Option<u32>) -> (Vec<(&'static str, String)>, Crn) {
    stages_with(src, &driver::Flags { max_order, ..driver::Flags::default() })
}

/// [`stages`] with every flag.
fn stages_with(src: &str, flags: &driver::Flags) -> (Vec<(&'static str, String)>, Crn) {
    let fs = MemoryFs::new().with("m.crnl", src);
    let mut dumps = Vec::new();
    let compiled = driver::compile_traced(&fs, Path::new("m.crnl"), None, flags, |name, stage| {
        dumps.push((name, stage.dump()))
    });
    let all: Vec<_> = compiled.diagnostics().cloned().collect();
    assert!(
        !all.iter().any(|d| d.is_error()),
        "{}",
        diagnostic::render_human(&compiled.front.db, &all, Color::Never)
    );
    (dumps, compiled.lowered.expect("the network compiles").crn)
}

/// The CRN of `src` after every pass but molecularity.
fn unsplit(src: &str) -> Crn {
    stages(src, None).1
}

fn split(crn: &Crn, separation: f64) -> Crn {
    let options = Options { max_order: Some(2), separation, ..Options::default() };
    let (split, diagnostics) = molecularity::run(crn.clone(), &options);
    assert!(diagnostics.is_empty() && crn::validate(&split).is_empty());
    split
}

// ---------------------------------------------------------------------------
// Every stage's output
// ---------------------------------------------------------------------------

const DUPLICATES: &str = "network Duplicates {
  species A = 1, B = 1, C, Never;
  param k = 2;
  A + B -> C @ 1;
  B + A -> C @ k;          // the same reaction: merged, the rate a number
  A <-> C @ 1, 2;
  C <-> A @ 3, 4;          // the same pair turned round: merged half with half
  A -> C @ 5;              // irreversible: stays beside the pair
  Never -> A;              // W0007
}";

const TRIMOLECULAR: &str = "network Trimolecular {
  species A = 1, B = 1, C = 1, D, X = 1, Y = 1;
  param k = 1;
  A + B + C -> D @ k;
  2 X + Y -> 3 X @ 1;
}";

const REVERSIBLE: &str = "network Reversible {
  species A = 1, B = 1, C = 1, D, X = 2;
  A + B + C <-> D @ 2, 0.5;
  A + 2 X <-> 3 X @ 1, 0.5;
}";

const SIGNED: &str = "network Signed {
  annihilation = 50;
  signed z0 = -0.5, z1 = 1, theta = -2, c = -1;
  species x = 2, s = 1;
  ode {
    z0' = theta * x - 0.15 * z0 * abs(z0);
    z1' = z0 * z1 + c;
    s' = -s * abs(z0);
  }
}";

/// A detailed-balanced learner: a potential on a dimer's monomer, a machine with two units.
const LEARNER: &str = "network Learner {
  rate_law = combinatoric;
  species amount M = 2, D = 0, Q = 10;
  energy M = -1;
  potential P = 1 for M;
  2 M <-> D @ 3;
  0 <-> M @ 1;
  learn P: M ~ Q @ 0.01, 0.001;
  boltzmann_machine { visible A, B; edges W = A * B; rate = 5; }
}";

const HIGHER: &str = "network Higher {
  rate_law = combinatoric;
  species A = 1, B = 2, C = 3, D = 4, E = 5, F, X = 1;
  A + B + C + D + E -> F @ 0.1;
  3 X -> 0 @ 1;
}";

#[test]
fn every_stage_matches_its_snapshot() {
    for (name, src) in [
        ("duplicates", DUPLICATES),
        ("trimolecular", TRIMOLECULAR),
        ("reversible", REVERSIBLE),
        ("higher", HIGHER),
        ("signed", SIGNED),
        ("learner", LEARNER),
    ] {
        let (dumps, last) = stages(src, Some(2));
        let names: Vec<&str> = dumps.iter().map(|(stage, _)| *stage).collect();
        assert_eq!(names, driver::stages().map(|(stage, _)| stage).collect::<Vec<_>>());
        assert_eq!(dumps.last().expect("stages").1, crn::dump(&last));
        let all: String = dumps.iter().map(|(stage, dump)| format!("── after {stage} ──\n{dump}")).collect();
        insta::assert_snapshot!(name, format!("{src}\n{all}"));
    }
}

#[test]
fn simplify_merges_and_warns_through_the_driver() {
    let fs = MemoryFs::new().with("m.crnl", DUPLICATES);
    let front = driver::front_end(&fs, Path::new("m.crnl"));
    let lowered = driver::lower(&front.program.networks[0], &front.db, None).expect("no errors");
    let codes: Vec<&str> = lowered.warnings.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["W0007"]);
    let rates: Vec<(f64, Option<Partner>)> =
        lowered.crn.reactions.iter().map(|r| (r.rate, r.partner)).collect();
    assert_eq!(
        rates,
        [
            (3.0, None),
            (1.0 + 4.0, Some(Partner::Reverse(2))),
            (2.0 + 3.0, Some(Partner::Forward(1))),
            (5.0, None),
            (1.0, None)
        ]
    );
    assert_eq!(lowered.crn.reactions[0].rate_param, None, "a merged rate is a sum, not `k`");
}

// ---------------------------------------------------------------------------
// Accuracy of the split against the ODE of the original
// ---------------------------------------------------------------------------

const SEPARATIONS: [f64; 4] = [1e1, 1e2, 1e3, 1e4];

/// The networks of the accuracy table, each with one reaction to split.
const ACCURACY: [(&str, &str); 5] = [
    ("A + B + C -> D", "network N { species A = 1, B = 1, C = 1, D; A + B + C -> D @ 1; }"),
    ("2X + Y -> 3X", "network N { species X = 1, Y = 1; 2 X + Y -> 3 X @ 1; }"),
    ("3X -> 0 (combinatoric)", "network N { rate_law = combinatoric; species X = 1; 3 X -> 0 @ 1; }"),
    ("A + B + C + D -> E", "network N { species A = 1, B = 1, C = 1, D = 1, E; A + B + C + D -> E @ 1; }"),
    ("A + B + C <-> D", "network N { species A = 1, B = 1, C = 1, D; A + B + C <-> D @ 1, 0.5; }"),
];

/// Rows at t = 0, 0.05, ..., 10, solved tightly enough that the solver's
/// error is far below the split's.
fn trajectory(crn: &Crn) -> Vec<Vec<f64>> {
    let times: Vec<f64> = (0..=200).map(|i| i as f64 * 0.05).collect();
    let opts = OdeOptions { rtol: 1e-10, atol: 1e-12, ..OdeOptions::default() };
    let sol = ode::solve(&Kinetics::new(crn), &crn.initial_concentrations(), &times, &opts)
        .unwrap_or_else(|e| panic!("{}: {e}", crn.name));
    sol.values.chunks(crn.species.len()).map(<[f64]>::to_vec).collect()
}

/// The largest |x_split(t) - x(t)| over the original species and t in [0, 10].
fn deviation(src: &str, separation: f64) -> f64 {
    let original = unsplit(src);
    let (before, after) = (trajectory(&original), trajectory(&split(&original, separation)));
    let n = original.species.len();
    before.iter().zip(&after).flat_map(|(x, y)| (0..n).map(move |i| (x[i] - y[i]).abs())).fold(0.0, f64::max)
}

#[test]
fn the_split_converges_to_the_original_as_the_fast_rate_grows() {
    for (name, src) in ACCURACY {
        let deviations: Vec<f64> = SEPARATIONS.iter().map(|&s| deviation(src, s)).collect();
        assert!(deviations.windows(2).all(|w| w[1] < w[0]), "{name}: {deviations:?}");
    }
    // The bound docs/passes.md states for the default separation.
    let (name, src) = ACCURACY[0];
    let at_default = deviation(src, molecularity::DEFAULT_SEPARATION);
    assert!(at_default < 0.025, "{name}: {at_default} at the default separation");
}

/// Prints the table in docs/passes.md:
/// `cargo test --test passes -- --ignored --nocapture accuracy_table`.
#[test]
#[ignore]
fn accuracy_table() {
    let header: Vec<String> = SEPARATIONS.iter().map(|s| format!("{s:.0e}")).collect();
    println!("| reaction | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(SEPARATIONS.len()));
    for (name, src) in ACCURACY {
        let row: Vec<String> = SEPARATIONS.iter().map(|&s| format!("{:.2e}", deviation(src, s))).collect();
        println!("| `{name}` | {} |", row.join(" | "));
    }
}

// ---------------------------------------------------------------------------
// Detailed balance of split reversible reactions
// ---------------------------------------------------------------------------

/// `x` (the original species) extended by each intermediate at its binding
/// equilibrium with what it is made of: binding steps come in chain order,
/// so each step's reactants are known before its product.
fn at_binding_equilibrium(split: &Crn, x: &[f64]) -> Vec<f64> {
    let mut all = x.to_vec();
    all.resize(split.species.len(), 0.0);
    for (i, r) in split.reactions.iter().enumerate() {
        let made = match r.products[..] {
            [(s, 1)] if split.species(s).role == Role::Intermediate => s,
            _ => continue,
        };
        let Some(Partner::Reverse(j)) = r.partner else { continue };
        all[made.index()] = split.flux(&split.reactions[i], &all) / split.reactions[j].rate;
    }
    all
}

/// What each species of the split network is made of, in original species.
fn composition(split: &Crn, originals: usize) -> Vec<Vec<f64>> {
    let mut of: Vec<Vec<f64>> = (0..split.species.len())
        .map(|i| (0..originals).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for r in &split.reactions {
        if let [(s, 1)] = r.products[..]
            && s.index() >= originals
            && r.partner.is_some()
        {
            of[s.index()] = (0..originals)
                .map(|j| r.reactants.iter().map(|&(t, n)| f64::from(n) * of[t.index()][j]).sum())
                .collect();
        }
    }
    of
}

fn assert_pairs_balance(crn: &Crn, x: &[f64], rtol: f64) {
    for (i, r) in crn.reactions.iter().enumerate() {
        if let Some(Partner::Reverse(j)) = r.partner {
            let (f, b) = (crn.flux(r, x), crn.flux(&crn.reactions[j], x));
            assert!((f - b).abs() <= rtol * f.abs().max(b.abs()), "{}: r{i} {f} vs r{j} {b}", crn.name);
        }
    }
}

#[test]
fn split_reversible_reactions_are_detailed_balanced_at_the_original_equilibrium() {
    // At a = b = c = 1, d = kf/kr = 4 and x = kf·a/kr = 2 both original pairs balance.
    let original = unsplit(REVERSIBLE);
    let x = [1.0, 1.0, 1.0, 4.0, 2.0];
    assert_pairs_balance(&original, &x, 1e-15);
    for separation in SEPARATIONS {
        let split = split(&original, separation);
        assert!(split.reactions.iter().all(|r| r.order() <= 2 && r.partner.is_some()));
        let all = at_binding_equilibrium(&split, &x);
        assert!(all[x.len()..].iter().all(|&v| v > 0.0));
        assert_pairs_balance(&split, &all, 1e-12);
    }
}

#[test]
fn the_split_reversible_network_relaxes_to_the_original_equilibrium_less_the_intermediates() {
    let original = unsplit(REVERSIBLE);
    let split = split(&original, 1e3);
    let n = original.species.len();
    let times = [0.0, 50.0];
    let opts = OdeOptions { rtol: 1e-10, atol: 1e-14, ..OdeOptions::default() };
    let end = |crn: &Crn| {
        let sol =
            ode::solve(&Kinetics::new(crn), &crn.initial_concentrations(), &times, &opts).expect("solves");
        sol.values[crn.species.len()..].to_vec()
    };
    let (before, after) = (end(&original), end(&split));
    // Every pair balances at the end: the split network is at a detailed-balanced equilibrium,
    // so the original species satisfy the original equilibrium relations exactly.
    assert_pairs_balance(&split, &after, 1e-6);
    assert_pairs_balance(&original, &after[..n], 1e-6);
    // Counting each intermediate as the molecules it holds, the original conservation laws
    // hold: the split network reached the equilibrium of the original class of totals.
    let of = composition(&split, n);
    let held: Vec<f64> =
        (0..n).map(|j| (0..split.species.len()).map(|i| of[i][j] * after[i]).sum()).collect();
    let x0 = original.initial_concentrations();
    // The original's conservation laws: a + d + x, b + d and c + d.
    for law in [[1.0, 0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0, 0.0]] {
        let total = |v: &[f64]| law.iter().zip(v).map(|(l, v)| l * v).sum::<f64>();
        assert!((total(&held) - total(&x0)).abs() < 1e-9, "{law:?}: {} vs {}", total(&held), total(&x0));
    }
    // The free original species differ from the original equilibrium by about what the
    // intermediates hold.
    let in_intermediates: f64 = after[n..].iter().sum();
    for i in 0..n {
        assert!(
            (after[i] - before[i]).abs() <= 3.0 * in_intermediates,
            "{}: {} vs {}, intermediates hold {in_intermediates}",
            original.species[i].name,
            after[i],
            before[i]
        );
    }
}

// ---------------------------------------------------------------------------
// The separation: a network setting and a flag
// ---------------------------------------------------------------------------

/// The rate of the unbinding step `A_B__r0 -> A + B` when `A + B + C -> D`
/// (turnover 1) is split with the given setting line and `--separation`.
fn unbinding_rate(setting: &str, flag: Option<f64>) -> f64 {
    let src = format!("network S {{ {setting} species A = 1, B = 1, C = 1, D; A + B + C -> D @ 1; }}");
    let flags = driver::Flags { max_order: Some(2), separation: flag, ..driver::Flags::default() };
    let crn = stages_with(&src, &flags).1;
    let ab = crn.species.iter().position(|s| s.role == Role::Intermediate).expect("one intermediate");
    let unbinding = crn.reactions.iter().find(|r| r.reactants == [(crn::SpeciesId(ab as u32), 1)]);
    unbinding.expect("the reverse binding step").rate
}

#[test]
fn the_separation_setting_and_flag_set_the_binding_steps_rates() {
    // The fastest turnover is 1, so the unbinding rate is the separation itself.
    assert_eq!(unbinding_rate("", None), molecularity::DEFAULT_SEPARATION);
    assert_eq!(unbinding_rate("separation = 1e4;", None), 1e4);
    assert_eq!(unbinding_rate("", Some(50.0)), 50.0);
    // The flag wins over the setting, as simulation flags win over a `simulate` block.
    assert_eq!(unbinding_rate("separation = 1e4;", Some(50.0)), 50.0);
    // The core's rate follows: k/K1 with K1 = sqrt(1/F).
    let core = |f: f64| {
        let src = "network S { species A = 1, B = 1, C = 1, D; A + B + C -> D @ 1; }";
        let flags = driver::Flags { max_order: Some(2), separation: Some(f), ..driver::Flags::default() };
        stages_with(src, &flags).1.reactions.last().expect("the core").rate
    };
    assert!((core(1e4) / core(1e2) - 10.0).abs() < 1e-9);
}

#[test]
fn the_separation_setting_survives_the_ir_printout() {
    let src = "network S { separation = 1e4; species A = 1; A -> 0; }";
    let front = driver::front_end(&MemoryFs::new().with("m.crnl", src), Path::new("m.crnl"));
    let printed = front.program.networks[0].to_string();
    assert!(printed.contains("separation = 10000;"), "{printed}");
    let again = driver::front_end(&MemoryFs::new().with("m.crnl", printed), Path::new("m.crnl"));
    assert_eq!(again.program.networks[0].separation, Some(1e4));
}

#[test]
fn a_bad_separation_setting_is_an_error() {
    for bad in ["0", "-1", "1 - 1"] {
        let src = format!("network S {{ separation = {bad}; species A = 1; A -> 0; }}");
        let fs = MemoryFs::new().with("m.crnl", src);
        let front = driver::front_end(&fs, Path::new("m.crnl"));
        assert!(front.diagnostics.iter().any(|d| d.code == "E0205"), "{bad}");
    }
}

#[test]
fn a_long_split_names_its_intermediates_in_bounded_length() {
    // 60 species with long names: listing them all made names quadratic in total.
    let names: Vec<String> = (0..60).map(|i| format!("species_with_a_long_name_{i}")).collect();
    let src = format!(
        "network L {{ species {}; {} -> 0; }}",
        names.iter().map(|n| format!("{n} = 1")).collect::<Vec<_>>().join(", "),
        names.join(" + ")
    );
    let crn = stages(&src, Some(2)).1;
    let made: Vec<&str> =
        crn.species.iter().filter(|s| s.role == Role::Intermediate).map(|s| s.name.as_str()).collect();
    assert_eq!(made.len(), 58);
    assert!(made.iter().all(|n| n.len() <= 120), "{made:?}");
    assert!(made.last().unwrap().contains("_and_57_more__r0"), "{made:?}");
    assert_eq!(made.iter().collect::<std::collections::HashSet<_>>().len(), made.len());
}
