//! `--emit crn`: the elementary CRN as a person debugs it, with indices,
//! roles, rails, parameters and the origin of every element. Groups are
//! shown only when there are several: a plain network's one group, `main`,
//! would be noise on every line.

use std::fmt::Write as _;

use super::{Crn, Partner};
use crate::backend::{number, text::complex_text};

pub fn dump(crn: &Crn) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "crn {} (rate law {}, volume {})", crn.name, crn.rate_law.name(), number(crn.volume));
    let grouped = crn.groups.len() > 1;
    if grouped {
        let _ = writeln!(out, "groups ({}): {}", crn.groups.len(), crn.groups.join(", "));
    }
    let group = |g: super::GroupId| match crn.groups.get(g.index()) {
        Some(name) if grouped => format!(", group {name}"),
        _ => String::new(),
    };
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
        let rail = match &s.rail {
            Some(r) => format!(", rail {} of {}", r.sign.symbol(), r.of),
            None => String::new(),
        };
        let place = s.compartment.as_ref().map(|c| format!(" in {c}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  s{i} {} = {} {quantity}{place}, {}{rail}{}{}",
            s.name,
            number(s.initial),
            s.role.name(),
            s.group.map(group).unwrap_or_default(),
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
        // The molecularity that --max-order bounds, and apart the potentials
        // that multiply the propensity.
        let molecularity = crn.molecularity(r);
        let order = match r.order() - molecularity {
            0 => format!("order {molecularity}"),
            1 => format!("order {molecularity} and a potential"),
            n => format!("order {molecularity} and {n} potentials"),
        };
        let _ = writeln!(
            out,
            "  r{i} {label}{} -> {} @ {rate}, {order}{partner}{}{}",
            complex_text(crn, &r.reactants),
            complex_text(crn, &r.products),
            group(r.group),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture;
    use crate::crn::{GroupId, Role, SpeciesId};
    use crate::ir::RateLaw;

    #[test]
    fn roles_rails_and_groups_are_listed() {
        let s = SpeciesId;
        let reactions = vec![
            (vec![(s(0), 1), (s(2), 1)], vec![(s(0), 1), (s(2), 1), (s(4), 1)], 1.0, None),
            (vec![(s(4), 1)], vec![(s(3), 1)], 2.0, None),
        ];
        let species = [("P_p", 1.0), ("P_m", 0.0), ("x", 0.5), ("w", 0.0), ("y", 0.0)];
        let mut crn = fixture::grouped(
            fixture::crn(RateLaw::MassAction, &species, reactions),
            &["forward", "decay"],
            &[0, 1],
        );
        fixture::rails(&mut crn, 0, "P", Role::Parameter);
        crn.species[2].role = Role::Input;
        crn.species[3].group = Some(GroupId(1));
        insta::assert_snapshot!(dump(&crn));
        // One group is not shown.
        crn.groups.truncate(1);
        crn.reactions[1].group = GroupId(0);
        crn.species[3].group = Some(GroupId(0));
        assert!(!dump(&crn).contains("group"));
    }
}
