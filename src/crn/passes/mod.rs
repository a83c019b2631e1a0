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

/// Small networks for the unit tests of the passes and the protocol.
#[cfg(test)]
pub(crate) mod fixture {
    use crate::crn::{
        Crn, GroupId, MAIN_GROUP, Metadata, Origin, Partner, Rail, Reaction, Role, Sign, Species, SpeciesId,
    };
    use crate::ir::{Quantity, RateLaw};

    pub type Complex = Vec<(SpeciesId, u32)>;

    /// A network of the given species `(name, initial concentration)` and
    /// reactions `(reactants, products, rate, partner)`, all written by the user.
    pub fn crn(
        rate_law: RateLaw,
        species: &[(&str, f64)],
        reactions: Vec<(Complex, Complex, f64, Option<Partner>)>,
    ) -> Crn {
        let source = || Origin { pass: "source", ..Origin::default() };
        Crn {
            name: "t".into(),
            rate_law,
            volume: 1.0,
            compartments: vec![],
            species: species
                .iter()
                .map(|&(name, initial)| Species {
                    origin: source(),
                    ..Species::plain(name, initial, Quantity::Concentration)
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
                    group: GroupId::MAIN,
                })
                .collect(),
            metadata: Metadata { source: "t".into(), generator: "test".into() },
            groups: vec![MAIN_GROUP.into()],
        }
    }

    /// `crn` with its reactions in the groups `groups`: reaction r in `of[r]`.
    pub fn grouped(mut crn: Crn, groups: &[&str], of: &[u32]) -> Crn {
        crn.groups = groups.iter().map(|g| g.to_string()).collect();
        for (r, &g) in crn.reactions.iter_mut().zip(of) {
            r.group = GroupId(g);
        }
        crn
    }

    /// Makes species `plus` and `plus + 1` the + and - rails of `value`, of `role`.
    pub fn rails(crn: &mut Crn, plus: u32, value: &str, role: Role) {
        for (s, sign) in [(plus, Sign::Plus), (plus + 1, Sign::Minus)] {
            let species = &mut crn.species[s as usize];
            species.role = role;
            species.rail = Some(Rail { of: value.into(), sign });
        }
    }
}
