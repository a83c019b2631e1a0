//! The CRN -> CRN passes that run after `lower`, in order. Each takes the CRN
//! and the options, returns the new CRN and its diagnostics, and marks what it
//! creates with its name in `Origin::pass`. The driver checks `crn::validate`
//! after each one in debug builds and can hand out the CRN after each one
//! (`--emit PASS`).

pub mod molecularity;
pub mod simplify;
mod unit;

use super::Crn;
use crate::diagnostic::Diagnostic;

/// What the passes are asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// `--max-order N`: with N >= 2, molecularity splits every reaction of a
    /// higher order into bimolecular steps.
    pub max_order: Option<u32>,
    /// How many times faster than the network's fastest reaction the binding
    /// steps made by molecularity are (docs/passes.md, "The fast rate").
    pub separation: f64,
    /// `--max-expansion`: at most this many intermediates and steps in all
    /// (molecularity), as the checker's expansion has at most this many steps.
    pub max_expansion: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options { max_order: None, separation: molecularity::DEFAULT_SEPARATION, max_expansion: u64::MAX }
    }
}

pub struct Pass {
    /// The name in `Origin::pass` and in `--emit`.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    pub run: fn(Crn, &Options) -> (Crn, Vec<Diagnostic>),
}

/// Every pass, in the order they run.
pub const PASSES: [Pass; 2] = [
    Pass {
        name: simplify::NAME,
        about: "The CRN without zero-rate or duplicate reactions",
        run: simplify::run,
    },
    Pass {
        name: molecularity::NAME,
        about: "The CRN with reactions above --max-order split into bimolecular steps",
        run: molecularity::run,
    },
];

/// Small networks for the passes' unit tests.
#[cfg(test)]
mod fixture {
    use crate::crn::{Crn, Metadata, Origin, Partner, Reaction, Role, Species, SpeciesId};
    use crate::ir::{Quantity, RateLaw};

    pub type Complex = Vec<(SpeciesId, u32)>;

    /// A network of the given species `(name, initial concentration)` and
    /// reactions `(reactants, products, rate, partner)`, all written by the user.
    pub fn crn(
        rate_law: RateLaw,
        species: &[(&str, f64)],
        reactions: Vec<(Complex, Complex, f64, Option<Partner>)>,
    ) -> Crn {
        let source = || Origin { pass: "source".into(), ..Origin::default() };
        Crn {
            name: "t".into(),
            rate_law,
            volume: 1.0,
            compartments: vec![],
            species: species
                .iter()
                .map(|&(name, initial)| Species {
                    name: name.into(),
                    role: Role::Plain,
                    initial,
                    quantity: Quantity::Concentration,
                    origin: source(),
                    compartment: None,
                })
                .collect(),
            parameters: vec![],
            reactions: reactions
                .into_iter()
                .map(|(reactants, products, rate, partner)| Reaction {
                    reactants,
                    products,
                    rate,
                    rate_param: None,
                    partner,
                    label: None,
                    origin: source(),
                    law: None,
                })
                .collect(),
            metadata: Metadata { source: "t".into(), generator: "test".into() },
        }
    }
}
