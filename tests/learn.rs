//! The `learn` pass's circuit against the mathematics it stands for: the
//! adjoint gradient that the backward phase accumulates equals central
//! finite differences of the loss through the forward CRN (issue 12's
//! gradient check), on B2- and B4-shaped models (domain.md §2.7) with θ
//! chosen so that some z_i end negative.
//!
//! The chemistry computes |z| as z_p + z_m, which overstates it by twice the
//! smaller rail; the annihilation keeps that rail small, so the gradient's
//! error falls as 1/k_ann. At the default k_ann = 100 a state that crosses 0
//! leaves errors of about 0.5-3 %, so the match is checked at k_ann = 10^4,
//! and the fall with k_ann is checked on its own. (Making the default rate
//! meet 1e-3 is open on issue 12.)

mod common;

use std::path::Path;

use crnc::crn::protocol::Protocol;
use crnc::crn::{Crn, RailPair};
use crnc::driver;
use crnc::sim::ode::OdeOptions;
use crnc::sim::protocol::{Executor, Sample};
use crnc::source::MemoryFs;

fn compile(src: &str) -> (Crn, Protocol) {
    let fs = MemoryFs::new().with("m.crnl", src);
    let lowered =
        common::compile(&fs, Path::new("m.crnl"), None, None).unwrap_or_else(|report| panic!("{report}"));
    (lowered.crn, lowered.protocol)
}

fn rails(crn: &Crn, value: &str) -> RailPair {
    crn.rails_of(value).unwrap_or_else(|| panic!("`{value}` has rails"))
}

/// Runs one sample with parameters `theta`: ŷ after the prediction phases,
/// and the state after the backward phase.
fn run(crn: &Crn, protocol: &Protocol, theta: &[(String, f64)], sample: &Sample) -> (f64, Vec<f64>) {
    let options = OdeOptions { rtol: 1e-11, atol: 1e-13, ..OdeOptions::default() };
    let mut executor = Executor::new(crn, protocol, options).expect("a valid protocol");
    let mut x = crn.initial_concentrations();
    for (name, v) in theta {
        rails(crn, name).set(&mut x, *v);
    }
    let backward = protocol.phases.iter().position(|p| p.name == "backward").expect("a backward phase");
    let (mut y_hat, mut after_backward) = (f64::NAN, Vec::new());
    executor
        .run(&mut x, Some(sample), |phase, _, state| {
            if phase == 1 {
                y_hat = rails(crn, "y").value(state);
            }
            if phase == backward {
                after_backward = state.to_vec();
            }
        })
        .expect("the protocol runs");
    (y_hat, after_backward)
}

/// The largest deviation of the circuit's gradient from central finite
/// differences of ½(ŷ − y)², relative to the largest component.
fn gradient_error(src: &str, annihilation: f64, theta: &[(&str, f64)], inputs: &[f64], target: f64) -> f64 {
    let (crn, protocol) = compile(&src.replace("ANNIHILATION", &annihilation.to_string()));
    let theta: Vec<(String, f64)> = theta.iter().map(|&(n, v)| (n.to_string(), v)).collect();
    let sample = Sample { inputs, targets: &[target] };
    let (_, state) = run(&crn, &protocol, &theta, &sample);
    let h = 1e-4;
    let loss = |theta: &[(String, f64)]| {
        let (y_hat, _) = run(&crn, &protocol, theta, &sample);
        0.5 * (y_hat - target).powi(2)
    };
    let mut pairs = Vec::new();
    for k in 0..theta.len() {
        let mut plus = theta.clone();
        plus[k].1 += h;
        let mut minus = theta.clone();
        minus[k].1 -= h;
        let numeric = (loss(&plus) - loss(&minus)) / (2.0 * h);
        let chemical = rails(&crn, &format!("grad.{}", theta[k].0)).value(&state);
        pairs.push((chemical, numeric));
    }
    let scale = pairs.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
    assert!(scale > 1e-3, "the loss should depend on θ: {pairs:?}");
    pairs.iter().map(|(c, n)| (c - n).abs()).fold(0.0, f64::max) / scale
}

const B4: &str = "network B4 {
  rate_law = combinatoric;
  annihilation = ANNIHILATION;
  input x[2];
  state z[3] = [x[0], x[1], 0.2];
  learn theta[9] = 0;
  ode {
    for i in 0..3 {
      z[i]' = theta[3 * i] * x[0] + theta[3 * i + 1] * x[1] + 0.2 * theta[3 * i + 2]
            - 0.15 * z[i] * abs(z[i]);
    }
  }
  output y = sum(z);
  train { horizon = 0.4; gradient = adjoint; reverse_state = full; update = host; }
}";

const B2: &str = "network B2 {
  rate_law = combinatoric;
  annihilation = ANNIHILATION;
  input x[2];
  state z[3] = [x[0], x[1], 1];
  learn theta[3] = 0;
  ode {
    for i in 0..2 { z[i]' = theta[i] * x[i] - 0.5 * z[i] * abs(z[i]); }
    z[2]' = theta[2] - 0.5 * z[2] * abs(z[2]);
  }
  output y = sum(z);
  train { horizon = 0.5; gradient = adjoint; reverse_state = full; update = host; }
}";

#[test]
fn the_b4_adjoint_gradient_matches_finite_differences_with_negative_states() {
    let theta = [
        ("theta[0]", -1.2),
        ("theta[1]", 0.4),
        ("theta[2]", -0.9),
        ("theta[3]", 0.8),
        ("theta[4]", -1.5),
        ("theta[5]", 0.3),
        ("theta[6]", -0.6),
        ("theta[7]", -0.7),
        ("theta[8]", -1.0),
    ];
    let error = gradient_error(B4, 1e4, &theta, &[0.7, 0.9], 1.0);
    assert!(error < 1e-3, "relative error {error}");
}

#[test]
fn the_b2_adjoint_gradient_matches_finite_differences_with_a_negative_state() {
    // θ₃₃ negative drives z₃ below 0, where the reference's adjoint is wrong (domain.md §2.10).
    let error = gradient_error(B2, 1e4, &B2_THETA, &[1.3, 0.8], 2.5);
    assert!(error < 1e-3, "relative error {error}");
}

const B2_THETA: [(&str, f64); 3] = [("theta[0]", 0.6), ("theta[1]", 0.2), ("theta[2]", -3.0)];

#[test]
fn the_gradients_error_falls_with_the_annihilation_rate() {
    let at = |k: f64| gradient_error(B2, k, &B2_THETA, &[1.3, 0.8], 2.5);
    let (slow, fast) = (at(100.0), at(1000.0));
    assert!(fast < slow / 5.0, "k_ann = 100: {slow}, k_ann = 1000: {fast}");
}

#[test]
fn the_derived_circuit_and_its_protocol_match_their_snapshots() {
    for model in ["linear", "bilinear", "xor_quadratic"] {
        let path = format!("examples/neural/{model}.crnl");
        let fs = crnc::source::RealFs::default();
        let mut learned = String::new();
        let compiled =
            driver::compile_traced(&fs, path.as_ref(), None, &driver::Flags::default(), |stage, out| {
                if stage == "learn" {
                    learned = out.dump();
                }
            });
        let report = compiled.rendered();
        let lowered = compiled.lowered.unwrap_or_else(|_| panic!("{report}"));
        insta::assert_snapshot!(format!("{model}.learn"), learned);
        insta::assert_snapshot!(
            format!("{model}.protocol"),
            lowered.protocol.display(&lowered.crn).to_string()
        );
        let sizes: Vec<String> = lowered
            .crn
            .groups
            .iter()
            .enumerate()
            .map(|(g, name)| {
                let reactions: Vec<_> =
                    lowered.crn.reactions.iter().filter(|r| r.group.index() == g).collect();
                let order = reactions.iter().map(|r| r.order()).max().unwrap_or(0);
                format!("{name}: {} reactions, highest order {order}", reactions.len())
            })
            .collect();
        insta::assert_snapshot!(format!("{model}.sizes"), sizes.join("\n"));
    }
}
