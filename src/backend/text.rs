//! The text reaction list, in crnsimulator's format (docs/formats.md):
//!
//! ```text
//! # rate-law: mass-action
//! A @initial 2
//! A + B -> 2 C [k = 0.2]
//! A <=> B [kf = 1, kr = 0.5]
//! -> A [k = 0.05]
//! ```
//!
//! Header comments (`# key: value`) record what the format cannot say: the
//! rate-law convention, the volume and which species are amounts. crnc reads
//! them back (`crate::import::crn_text`); other tools skip them as comments.

use std::fmt::Write as _;

use super::number;
use crate::crn::{Crn, Partner, Reaction, SpeciesId};
use crate::ir::Quantity;

pub fn write(crn: &Crn) -> String {
    let mut out = String::with_capacity(64 + 48 * crn.reactions.len());
    let _ = writeln!(out, "# {}: text reaction list (crnsimulator format)", crn.metadata.generator);
    let _ = writeln!(out, "# network: {}", crn.name);
    let _ = writeln!(out, "# source: {}", crn.metadata.source);
    let _ = writeln!(out, "# rate-law: {}", crn.rate_law.name());
    let _ = writeln!(out, "# volume: {}", number(crn.volume));
    let amounts: Vec<&str> =
        crn.species.iter().filter(|s| s.quantity == Quantity::Amount).map(|s| s.name.as_str()).collect();
    if !amounts.is_empty() {
        let _ = writeln!(out, "# amounts: {}", amounts.join(" "));
    }
    for s in &crn.species {
        let _ = writeln!(out, "{} @initial {}", s.name, number(s.initial));
    }
    for r in &crn.reactions {
        if !matches!(r.partner, Some(Partner::Forward(_))) {
            out.push_str(&reaction_line(crn, r));
            out.push('\n');
        }
    }
    out
}

/// One reaction as a line of the format; a forward half carries its reverse.
pub fn reaction_line(crn: &Crn, r: &Reaction) -> String {
    let mut out = String::new();
    complex(&mut out, crn, &r.reactants);
    let reverse = match r.partner {
        Some(Partner::Reverse(j)) => Some(crn.reactions[j].rate),
        _ => None,
    };
    out.push_str(if reverse.is_some() { " <=> " } else { " -> " });
    complex(&mut out, crn, &r.products);
    let _ = match reverse {
        Some(kr) => write!(out, " [kf = {}, kr = {}]", number(r.rate), number(kr)),
        None => write!(out, " [k = {}]", number(r.rate)),
    };
    out
}

/// A complex as text, `0` when empty.
pub fn complex_text(crn: &Crn, c: &[(SpeciesId, u32)]) -> String {
    if c.is_empty() {
        return "0".to_string();
    }
    let mut out = String::new();
    complex(&mut out, crn, c);
    out
}

fn complex(out: &mut String, crn: &Crn, c: &[(SpeciesId, u32)]) {
    for (i, &(s, n)) in c.iter().enumerate() {
        if i > 0 {
            out.push_str(" + ");
        }
        if n != 1 {
            let _ = write!(out, "{n} ");
        }
        out.push_str(&crn.species(s).name);
    }
}
