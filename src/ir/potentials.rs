//! Chemical potentials of a detailed-balanced network and the learning rules
//! that move them (docs/language.md, "Learning distributions"; domain.md
//! §3.4-3.5, §3.10), as the checker resolves them from `potential` and
//! `learn P: X ~ target` statements. The `potentials` pass
//! (`ir::passes::potentials`) writes both out as reactions.
//!
//! Every name here is a key of the network's `species`; a potential is a
//! species with the role `potential`, an amount (its count in the species
//! form; the simulator's hybrid method holds it as a bulk concentration).

use std::fmt;

use crate::backend::number;
use crate::ir::crnl_name;
use crate::source::Span;

/// `potential P = p0 for X, Y;`: P is created and destroyed with X and with Y.
#[derive(Clone, Debug, PartialEq)]
pub struct Potential {
    pub name: String,
    /// The species it is for, in source order.
    pub species: Vec<String>,
    pub span: Span,
}

/// `learn P: X ~ target @ k[, eps];`: P + X -> 2P + X and P + Q -> Q (both at
/// k, reversible at eps when given), so that d ln[P]/dt = k(⟨x⟩ − ⟨q⟩).
#[derive(Clone, Debug, PartialEq)]
pub struct LearningRule {
    pub potential: String,
    /// The species whose mean the rule matches to the target's.
    pub model: String,
    pub target: Target,
    pub rate: f64,
    /// The reverse rate ε of both learning reactions (domain.md §3.10).
    pub reverse: Option<f64>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// `scale · species`: the mean of an environment species (scale 1 unless
    /// written, e.g. `0.04 * R0` for a clamp that converts units).
    Species { name: String, scale: f64 },
    /// A constant target mean.
    Mean(f64),
}

impl LearningRule {
    /// The species its reactions use: the potential, the model species and a target species.
    pub fn species(&self) -> impl Iterator<Item = &str> {
        let target = match &self.target {
            Target::Species { name, .. } => Some(name.as_str()),
            Target::Mean(_) => None,
        };
        [self.potential.as_str(), self.model.as_str()].into_iter().chain(target)
    }
}

impl Potential {
    /// The species it is for, as crnl: `X, Y`.
    pub fn species_list(&self) -> String {
        let species: Vec<_> = self.species.iter().map(|s| crnl_name(s)).collect();
        species.join(", ")
    }
}

impl fmt::Display for LearningRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "learn {}: {} ~ ", crnl_name(&self.potential), crnl_name(&self.model))?;
        match &self.target {
            Target::Species { name, scale } if *scale == 1.0 => write!(f, "{}", crnl_name(name))?,
            Target::Species { name, scale } => write!(f, "{} * {}", number(*scale), crnl_name(name))?,
            Target::Mean(mean) => write!(f, "{}", number(*mean))?,
        }
        write!(f, " @ {}", number(self.rate))?;
        if let Some(eps) = self.reverse {
            write!(f, ", {}", number(eps))?;
        }
        Ok(())
    }
}
