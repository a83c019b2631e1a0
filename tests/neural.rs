//! Neural CRN models (`input`, `state`, `learn`, `output`, `train`): the
//! examples in examples/neural/ check, print as `--emit ir` (snapshots),
//! print back to crnl that checks to the same IR, and still compile as their
//! forward dynamics until the `learn` pass exists.

mod common;

use std::path::Path;

use crnc::crn::Role;
use crnc::driver;
use crnc::ir::learning::{DataSource, Init, Learning, Weight};
use crnc::ir::{self, Network};
use crnc::source::{MemoryFs, RealFs, Span};
use proptest::prelude::*;

const MODELS: [&str; 3] = ["linear", "bilinear", "xor_quadratic"];

fn check(fs: &dyn crnc::source::FileSystem, path: &str) -> ir::Program {
    let front = driver::front_end(fs, Path::new(path));
    assert!(
        !front.has_errors(),
        "{path} has errors:\n{}",
        crnc::diagnostic::render_human(&front.db, &front.diagnostics, crnc::diagnostic::Color::Never)
    );
    front.program
}

fn example(stem: &str) -> Network {
    std::env::set_current_dir(common::root()).expect("crate root exists");
    let program = check(&RealFs::default(), &format!("examples/neural/{stem}.crnl"));
    program.networks[0].clone()
}

/// The learning model with every span the same, so that a printout's
/// re-check compares equal to the original.
fn without_spans(l: &Learning) -> Learning {
    let none = Span::new(crnc::source::FileId(0), 0, 0);
    let mut l = l.clone();
    l.span = none;
    l.output.span = none;
    l.state.iter_mut().for_each(|s| s.span = none);
    l.params.iter_mut().for_each(|p| p.span = none);
    match &mut l.settings.data {
        Some(DataSource::Generate { span, .. } | DataSource::Files { span, .. }) => *span = none,
        None => {}
    }
    l
}

/// Prints `network`, checks the printout, and asserts the same IR comes back.
fn assert_round_trip(network: &Network) {
    let text = network.to_string();
    let fs = MemoryFs::new().with("printed.crnl", text.clone());
    let again = check(&fs, "printed.crnl").networks[0].clone();
    assert_eq!(again.to_string(), text, "the printout prints differently once re-checked");
    let (a, b) = (network.learning.as_ref().expect("a model"), again.learning.as_ref().expect("a model"));
    assert_eq!(without_spans(a), without_spans(b), "{text}");
    let roles = |n: &Network| -> Vec<(String, Role, bool, f64)> {
        n.species.values().map(|s| (s.name.clone(), s.role, s.signed, s.initial)).collect()
    };
    assert_eq!(roles(network), roles(&again));
    let equations = |n: &Network| -> Vec<(String, crnc::polynomial::Polynomial)> {
        n.ode.equations.iter().map(|e| (e.target.clone(), e.rhs.clone())).collect()
    };
    assert_eq!(network.ode.variables, again.ode.variables);
    assert_eq!(equations(network), equations(&again));
}

#[test]
fn neural_examples_print_as_ir() {
    for stem in MODELS {
        insta::assert_snapshot!(format!("neural_{stem}.ir"), example(stem).to_string());
    }
}

#[test]
fn the_ir_printout_of_a_model_checks_to_the_same_ir() {
    for stem in MODELS {
        assert_round_trip(&example(stem));
    }
}

#[test]
fn the_bilinear_model_is_resolved_into_learning() {
    let network = example("bilinear");
    let l = network.learning.as_ref().expect("a train block");
    assert_eq!(l.inputs, ["x[0]", "x[1]"]);
    let state: Vec<(&str, String)> =
        l.state.iter().map(|s| (s.name.as_str(), s.initial.to_string())).collect();
    assert_eq!(
        state,
        [("z[0]", "`x[0]`".to_string()), ("z[1]", "`x[1]`".to_string()), ("z[2]", "1".to_string())]
    );
    assert!(l.params.iter().all(|p| p.init == Init::AbsNormal { mean: 0.0, sd: 0.4 }));
    assert_eq!(l.params.len(), 3);
    assert_eq!(l.output.name, "y");
    assert!(l.output.weights.iter().all(|(_, w)| *w == Weight::Fixed(1.0)));
    assert_eq!(l.settings.split, Some((50, 100)));
    assert_eq!((l.settings.epochs, l.settings.rate, l.settings.horizon), (80, 0.6, 0.5));
    let role = |name: &str| network.species[name].role;
    assert_eq!([role("x[0]"), role("z[2]"), role("theta[1]")], [Role::Input, Role::State, Role::Parameter]);
    assert!(network.species.values().all(|s| s.signed));
    // The `for` loop in the `ode` block wrote one equation per element.
    let targets: Vec<&str> = network.ode.equations.iter().map(|e| e.target.as_str()).collect();
    assert_eq!(targets, ["z[0]", "z[1]", "z[2]"]);
}

#[test]
fn the_xor_model_has_a_full_theta_over_the_augmented_input() {
    let network = example("xor_quadratic");
    let l = network.learning.as_ref().expect("a train block");
    assert_eq!(l.params.len(), 9);
    assert_eq!(l.state[2].initial.constant, 0.2);
    assert_eq!(l.settings.backward_horizon, Some(2.0));
    assert_eq!(l.settings.threshold, Some(0.5));
    // z_1' reads θ_3, θ_4 and θ_5: the loop variable in the indices.
    let eq = &network.ode.equations[1];
    let text = ir::OdeText(&network.ode.variables, &eq.rhs).to_string();
    for theta in ["`theta[3]`", "`theta[4]`", "0.2 * `theta[5]`"] {
        assert!(text.contains(theta), "{text}");
    }
}

#[test]
fn a_model_still_compiles_as_its_forward_dynamics() {
    for stem in MODELS {
        let path = format!("examples/neural/{stem}.crnl");
        std::env::set_current_dir(common::root()).expect("crate root exists");
        let crn = driver::compile(&RealFs::default(), Path::new(&path), None, &Default::default())
            .crn()
            .unwrap_or_else(|codes| panic!("{stem}: {codes:?}"));
        assert!(!crn.reactions.is_empty(), "{stem}");
        for role in [Role::Input, Role::State, Role::Parameter] {
            assert!(crn.species.iter().any(|s| s.role == role), "{stem}: no species of role {role:?}");
        }
    }
}

#[test]
fn a_state_value_without_an_equation_is_a_warning() {
    let source = "network N {
      input x[2];
      state z[2] = [x[0], x[1]];
      learn theta = 0.5;
      ode { z[0]' = theta * x[0]; }
      output y = sum(z);
      train { data = generate(linear); }
    }";
    let fs = MemoryFs::new().with("n.crnl", source);
    let front = driver::front_end(&fs, Path::new("n.crnl"));
    let codes: Vec<&str> = front.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["W0008"]);
    assert!(front.diagnostics[0].message.contains("`z[1]`"));
    assert!(front.program.networks[0].learning.is_some());
}

/// A model's source from its parts: `inputs` inputs, state initial values as
/// (constant, coefficient of each input), learned values' initialisations,
/// output weights (`None` for a learned one) and a few settings.
fn model_source(
    inputs: usize,
    state: &[(f64, Vec<f64>)],
    inits: &[String],
    weights: &[Option<f64>],
    settings: &str,
) -> String {
    let x: Vec<String> = (0..inputs).map(|i| format!("x{i}")).collect();
    let mut s = format!("network M {{\n  input {};\n", x.join(", "));
    for (i, (c, coefficients)) in state.iter().enumerate() {
        let terms: Vec<String> =
            coefficients.iter().enumerate().map(|(j, k)| format!("{k} * x{j}")).collect();
        s += &format!("  state z{i} = {c} + {};\n", terms.join(" + "));
    }
    for (i, init) in inits.iter().enumerate() {
        s += &format!("  learn w{i} {init};\n");
    }
    s += "  ode {\n";
    for i in 0..state.len() {
        s += &format!("    z{i}' = w0 * x0 - z{i};\n");
    }
    let terms: Vec<String> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| match w {
            Some(c) => format!("{c} * z{i}"),
            None => format!("w{} * z{i}", i % inits.len()),
        })
        .collect();
    s + &format!("  }}\n  output y = {};\n  train {{ {settings} }}\n}}\n", terms.join(" + "))
}

fn init() -> impl Strategy<Value = String> {
    let n = -10.0..10.0f64;
    prop_oneof![
        n.clone().prop_map(|v| format!("= {v}")),
        (n.clone(), 0.0..5.0f64).prop_map(|(m, s)| format!("~ normal({m}, {s})")),
        (n.clone(), 0.0..5.0f64).prop_map(|(m, s)| format!("~ abs(normal({m}, {s}))")),
        (n, 0.0..5.0f64).prop_map(|(l, w)| format!("~ uniform({l}, {})", l + w)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the coefficients, initialisations, weights and settings,
    /// `--emit ir` of a model checks back to the same IR.
    #[test]
    fn any_model_prints_back_to_itself(
        inputs in 1usize..4,
        state in prop::collection::vec((-5.0..5.0f64, prop::collection::vec(-3.0..3.0f64, 3)), 1..4),
        inits in prop::collection::vec(init(), 1..4),
        weights in prop::collection::vec(prop::option::of(-3.0..3.0f64), 1..4),
        epochs in 0u32..100,
        rate in 0.001..10.0f64,
        threshold in prop::option::of(-1.0..1.0f64),
        gradient in prop::sample::select(vec!["adjoint", "first_order", "reference"]),
    ) {
        let state: Vec<(f64, Vec<f64>)> =
            state.into_iter().map(|(c, k)| (c, k.into_iter().take(inputs).collect())).collect();
        let weights: Vec<Option<f64>> = weights.into_iter().take(state.len()).collect();
        let mut settings =
            format!("data = csv(\"t.csv\", \"v.csv\"); epochs = {epochs}; rate = {rate}; gradient = {gradient};");
        if let Some(t) = threshold {
            settings += &format!(" threshold = {t}; update = chemical;");
        }
        let source = model_source(inputs, &state, &inits, &weights, &settings);
        let fs = MemoryFs::new().with("m.crnl", source);
        let network = check(&fs, "m.crnl").networks[0].clone();
        assert_round_trip(&network);
    }
}
