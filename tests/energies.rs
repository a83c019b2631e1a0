//! Species energies and detailed balance (docs/language.md, "Energies"): a
//! reversible reaction written with one prefactor takes k± = k·e^(∓ΔE/2), so
//! the network relaxes to the Boltzmann weights of its energies, in either
//! rate-law convention, and `balance = detailed` accepts what the energies
//! made.

mod common;

use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeOptions};

/// Open species X, Y, Z with energies −3, 1 and 0.5: the steady state of the
/// mass-action ODE is x_i = e^(−E_i) (domain.md §3.2), whatever the prefactors.
fn open_network(rate_law: &str) -> String {
    format!(
        "network Open {{
           rate_law = {rate_law};
           balance = detailed;
           species X, Y, Z;
           energy X = -3, Y = 1, Z = 0.5;
           0 <-> X @ 10;
           X <-> Y @ 2;
           2 X <-> Z + Y @ 0.01;
           Y + Z <-> 2 Z;
         }}"
    )
}

fn steady_state(crn: &Crn) -> Vec<f64> {
    let options = OdeOptions { rtol: 1e-10, atol: 1e-12, ..OdeOptions::default() };
    let x0 = crn.initial_concentrations();
    let end = ode::solve(&Kinetics::new(crn), &x0, &[2000.0], &options).expect("the ODE solves");
    end.values
}

#[test]
fn open_species_settle_at_their_boltzmann_weights_in_either_convention() {
    for rate_law in ["mass_action", "combinatoric"] {
        let crn = common::crn_of(&open_network(rate_law));
        let x = steady_state(&crn);
        for (i, energy) in [-3.0f64, 1.0, 0.5].into_iter().enumerate() {
            let expected = (-energy).exp();
            assert!(
                (x[i] - expected).abs() < 1e-6 * expected,
                "{rate_law}: {} = {} not {expected}",
                crn.species[i].name,
                x[i]
            );
        }
    }
}

#[test]
fn one_prefactor_gives_both_directions_from_the_energy_difference() {
    let crn = common::crn_of(
        "network Pair {
           rate_law = combinatoric;
           species A = 1, B;
           energy B = -1.5;
           A <-> B @ 10;
           2 B <-> A @ 2;
           B <-> A + A;
         }",
    );
    let rates: Vec<f64> = crn.reactions.iter().map(|r| r.rate).collect();
    // A <-> B: ΔE = −1.5. 2B <-> A: ΔE = 3, and 2B's 2! in the combinatoric
    // forward constant. B <-> 2A: ΔE = 1.5, 2A's 2! in the reverse one.
    let expected = [
        10.0 * 0.75f64.exp(),
        10.0 * (-0.75f64).exp(),
        2.0 * (-1.5f64).exp() * 2.0,
        2.0 * 1.5f64.exp(),
        (-0.75f64).exp(),
        0.75f64.exp() * 2.0,
    ];
    assert_eq!(rates.len(), expected.len(), "{rates:?}");
    for (ours, theirs) in rates.iter().zip(expected) {
        assert!((ours - theirs).abs() < 1e-12 * theirs, "{rates:?} against {expected:?}");
    }
}

#[test]
fn without_energies_a_reversible_reaction_keeps_one_rate_both_ways() {
    let crn = common::crn_of("network Plain { species A = 1, B; param k = 3; A <-> B @ k; A <-> 2B; }");
    let rates: Vec<f64> = crn.reactions.iter().map(|r| r.rate).collect();
    assert_eq!(rates, [3.0, 3.0, 1.0, 1.0]);
}

#[test]
fn the_printed_ir_reads_back_to_the_same_rates() {
    let src = open_network("combinatoric");
    let crn = common::crn_of(&src);
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("open.crnl");
    std::fs::write(&model, &src).unwrap();
    let o = common::crnc(&["compile", model.to_str().unwrap(), "--emit", "ir"], dir.path());
    assert!(o.status.success(), "{}", common::stderr(&o));
    let printed = common::stdout(&o);
    assert!(printed.contains("energy X = -3, Y = 1, Z = 0.5;"), "{printed}");
    let again = common::crn_of(&printed);
    let rates = |crn: &Crn| crn.reactions.iter().map(|r| r.rate).collect::<Vec<f64>>();
    assert_eq!(rates(&again), rates(&crn));
}

/// Open species feeding a termolecular reversible reaction on a cycle:
/// A + B + C <-> D, D <-> 2E, A + B + C <-> 2E.
const TERMOLECULAR: &str = "network Tri {
  rate_law = combinatoric;
  balance = detailed;
  species A, B, C, D, E;
  energy A = 0.5, B = -0.25, C = 0.1, D = -1, E = 0.3;
  0 <-> A @ 2; 0 <-> B @ 2; 0 <-> C @ 2;
  A + B + C <-> D @ 3;
  D <-> 2 E @ 0.5;
  A + B + C <-> 2 E @ 0.2;
}";

#[test]
fn lowering_to_bimolecular_steps_keeps_detailed_balance_and_the_steady_state() {
    let fs = crnc::source::MemoryFs::new().with("m.crnl", TERMOLECULAR);
    let path = std::path::Path::new("m.crnl");
    let whole = common::compile(&fs, path, None, None).unwrap_or_else(|r| panic!("{r}")).crn;
    let lowered = common::compile(&fs, path, None, Some(2)).unwrap_or_else(|r| panic!("{r}")).crn;
    assert!(lowered.reactions.iter().all(|r| lowered.molecularity(r) <= 2));
    assert!(lowered.species.len() > whole.species.len(), "the lowering made no intermediate");
    for crn in [&whole, &lowered] {
        assert_eq!(crnc::crn::balance::check(crn), Ok(None), "{}", crn.name);
    }
    // Open species settle at e^(−E) with or without the intermediates.
    let (x, y) = (steady_state(&whole), steady_state(&lowered));
    for (i, s) in whole.species.iter().enumerate() {
        let energy = [0.5f64, -0.25, 0.1, -1.0, 0.3][i];
        let at = lowered.species.iter().position(|t| t.name == s.name).expect("kept");
        assert!((x[i] - (-energy).exp()).abs() < 1e-6 * x[i], "{}: {}", s.name, x[i]);
        assert!((y[at] - x[i]).abs() < 1e-6 * x[i], "{}: {} lowered, {} not", s.name, y[at], x[i]);
    }
    // A rate off its energies breaks the cycle, and the check names it.
    let mut broken = lowered.clone();
    let last = broken
        .reactions
        .iter()
        .rposition(|r| matches!(r.partner, Some(crnc::crn::Partner::Reverse(_))))
        .unwrap();
    broken.reactions[last].rate *= 2.0;
    let cycle = crnc::crn::balance::check(&broken).expect("all reversible").expect("a broken cycle");
    assert!(cycle.steps.iter().any(|&(r, _)| r == last), "{cycle:?}");
    assert!((cycle.log_product.abs() - 2f64.ln()).abs() < 1e-9, "{cycle:?}");
}

/// Balancing a reaction of a thousand molecules under the combinatoric
/// convention (1000! overflows), or two species 2,000 k_B·T apart, would
/// give an infinite rate constant: an error at the reaction, never a rate
/// that the simulators meet.
#[test]
fn a_balanced_rate_past_the_float_range_is_an_error_at_the_reaction() {
    for body in [
        "rate_law = combinatoric; species amount B, C; 0 <-> 2 B + 1000 C;",
        "species A, B; energy A = 2000; A <-> B @ 1;",
    ] {
        let src = format!("network N {{ {body} }}");
        let fs = crnc::source::MemoryFs::new().with("m.crnl", &src);
        let report = common::compile(&fs, std::path::Path::new("m.crnl"), None, None)
            .expect_err("an infinite balanced rate is an error");
        assert!(
            report.contains("error[E0302]") && report.contains("balancing this reaction gives inf"),
            "{report}"
        );
        assert_eq!(report.matches("error[").count(), 1, "{report}");
    }
}
