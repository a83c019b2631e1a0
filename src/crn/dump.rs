//! `--emit crn`: the elementary CRN as a person debugs it, with indices,
//! roles, parameters and the origin of every element.

use std::fmt::Write as _;

use super::{Crn, Partner};
use crate::backend::{number, text::complex_text};

pub fn dump(crn: &Crn) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "crn {} (rate law {}, volume {})", crn.name, crn.rate_law.name(), number(crn.volume));
    if !crn.compartments.is_empty() {
        let _ = writeln!(out, "compartments ({}):", crn.compartments.len());
        for c in &crn.compartments {
            let _ = writeln!(out, "  {} = {}{}", c.name, number(c.size), origin(&c.origin));
        }
    }
    let _ = writeln!(out, "species ({}):", crn.species.len());
    for (i, s) in crn.species.iter().enumerate() {
        let quantity = match s.quantity {
            crate::ir::Quantity::Concentration => "concentration",
            crate::ir::Quantity::Amount => "amount",
        };
        let place = s.compartment.as_ref().map(|c| format!(" in {c}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  s{i} {} = {} {quantity}{place}, {}{}",
            s.name,
            number(s.initial),
            s.role.name(),
            origin(&s.origin)
        );
    }
    if !crn.parameters.is_empty() {
        let _ = writeln!(out, "parameters ({}):", crn.parameters.len());
        for (i, p) in crn.parameters.iter().enumerate() {
            let _ = writeln!(out, "  p{i} {} = {}{}", p.name, number(p.value), origin(&p.origin));
        }
    }
    let _ = writeln!(out, "reactions ({}):", crn.reactions.len());
    for (i, r) in crn.reactions.iter().enumerate() {
        let rate = match r.rate_param {
            _ if r.law.is_some() => format!("law({})", crn.law_text(r.law.as_deref().unwrap_or_default())),
            Some(p) => format!("{} = {}", crn.parameters[p].name, number(r.rate)),
            None => number(r.rate),
        };
        let partner = match r.partner {
            Some(Partner::Reverse(j)) => format!(", reverse r{j}"),
            Some(Partner::Forward(j)) => format!(", reverse of r{j}"),
            None => String::new(),
        };
        let label = r.label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  r{i} {label}{} -> {} @ {rate}, order {}{partner}{}",
            complex_text(crn, &r.reactants),
            complex_text(crn, &r.products),
            r.order(),
            origin(&r.origin)
        );
    }
    out
}

fn origin(o: &super::Origin) -> String {
    match &o.location {
        Some(at) => format!("  ({} {at})", o.pass),
        None => format!("  ({})", o.pass),
    }
}
