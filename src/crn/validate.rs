//! The elementary-CRN invariants, checked after every pass in debug builds.

use super::{Crn, Partner, Reaction};

/// A broken invariant: a compiler bug, never a user error.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation(pub String);

/// Checks every invariant listed in the module docs of [`crate::crn`].
pub fn validate(crn: &Crn) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut fail = |msg: String| out.push(Violation(msg));
    if !(crn.volume.is_finite() && crn.volume > 0.0) {
        fail(format!("volume {} is not positive and finite", crn.volume));
    }
    for c in &crn.compartments {
        if !(c.size.is_finite() && c.size > 0.0) {
            fail(format!("compartment {}: size {} is not positive and finite", c.name, c.size));
        }
    }
    for s in &crn.species {
        if !(s.initial.is_finite() && s.initial >= 0.0) {
            fail(format!("species {}: initial value {} is not finite and non-negative", s.name, s.initial));
        }
        if s.group.is_some_and(|g| g.index() >= crn.groups.len()) {
            fail(format!("species {}: group index out of range", s.name));
        }
        if let Some(c) = s.compartment.as_ref().filter(|c| !crn.compartments.iter().any(|d| d.name == **c)) {
            fail(format!("species {}: compartment {c} is undeclared", s.name));
        }
    }
    groups_and_rails(crn, &mut fail);
    for (i, r) in crn.reactions.iter().enumerate() {
        if r.group.index() >= crn.groups.len() {
            fail(format!("reaction {i}: group index out of range"));
        }
        if !(r.rate.is_finite() && r.rate >= 0.0) {
            fail(format!("reaction {i}: rate {} is not finite and non-negative", r.rate));
        }
        match r.rate_param.map(|p| crn.parameters.get(p)) {
            Some(None) => fail(format!("reaction {i}: parameter index out of range")),
            Some(Some(p)) if p.value != r.rate => fail(format!(
                "reaction {i}: rate {} differs from its parameter {} = {}",
                r.rate, p.name, p.value
            )),
            _ => {}
        }
        for side in [&r.reactants, &r.products] {
            for (k, &(s, n)) in side.iter().enumerate() {
                if s.index() >= crn.species.len() {
                    fail(format!("reaction {i}: species id {} is undeclared", s.0));
                }
                if n == 0 {
                    fail(format!("reaction {i}: coefficient 0"));
                }
                if side[..k].iter().any(|&(t, _)| t == s) {
                    fail(format!("reaction {i}: species id {} twice in one complex", s.0));
                }
            }
        }
        for t in r.law.iter().flatten() {
            if !t.coefficient.is_finite() {
                fail(format!("reaction {i}: a rate-law coefficient {} is not finite", t.coefficient));
            }
            if t.factors.iter().any(|&(s, e)| s.index() >= crn.species.len() || e == 0) {
                fail(format!(
                    "reaction {i}: a rate-law factor names an undeclared species or has exponent 0"
                ));
            }
        }
        if r.law.is_some() && r.partner.is_some() {
            fail(format!("reaction {i}: a reaction with a rate law has a partner"));
        }
        if let Some(p) = r.partner {
            let (other, expected) = match p {
                Partner::Reverse(j) => (j, Partner::Forward(i)),
                Partner::Forward(j) => (j, Partner::Reverse(i)),
            };
            match crn.reactions.get(other) {
                Some(o) if o.partner == Some(expected) && mirrors(r, o) => {
                    if o.group != r.group {
                        fail(format!("reaction {i}: its partner {other} is in another group"));
                    }
                }
                _ => fail(format!("reaction {i}: partner link to {other} is not mutual")),
            }
        }
    }
    out
}

/// Group names are present and distinct; a signed value has at most one
/// rail of each sign.
fn groups_and_rails(crn: &Crn, fail: &mut impl FnMut(String)) {
    if crn.groups.is_empty() {
        fail("the CRN has no group".to_string());
    }
    for (i, g) in crn.groups.iter().enumerate() {
        if g.is_empty() || crn.groups[..i].contains(g) {
            fail(format!("group {i}: name `{g}` is empty or not unique"));
        }
    }
    let mut seen = crate::hash::HashSet::default();
    for s in &crn.species {
        if let Some(rail) = &s.rail
            && !seen.insert(rail)
        {
            fail(format!("species {}: a second {} rail of `{}`", s.name, rail.sign.symbol(), rail.of));
        }
    }
}

fn mirrors(a: &Reaction, b: &Reaction) -> bool {
    a.reactants == b.products && a.products == b.reactants
}

/// Reactions whose molecularity exceeds `max_order`.
pub fn max_order_violations(crn: &Crn, max_order: u32) -> impl Iterator<Item = (usize, &Reaction)> {
    crn.reactions.iter().enumerate().filter(move |(_, r)| r.law.is_some() || crn.molecularity(r) > max_order)
}
