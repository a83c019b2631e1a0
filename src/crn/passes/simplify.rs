//! `simplify`: the CRN without reactions that do nothing or say one thing
//! twice, and a warning for species that can never be there.
//!
//! - A reaction with rate 0 is dropped; when one half of a reversible pair is
//!   dropped, the other half stays as an irreversible reaction.
//! - Reactions with the same reactant and product multisets are merged into
//!   the first of them, their rates summed; two reversible pairs merge half
//!   with half (also when one is written the other way round), but a pair
//!   never merges with an irreversible reaction, so reversibility survives.
//!   Reactions of different groups never merge: each phase runs only its own.
//!   A merged rate is shown as a number: after the zero rates are gone it is
//!   a sum of positive rates and so never the value of the parameter either
//!   one was written as.
//! - W0007 for a species that a reaction needs, that no reaction produces
//!   and that starts at 0: it stays 0 and those reactions never happen. Not
//!   for a species of a learning role (input, state, ...): the protocol sets it.
//!
//! Rates need no constant folding here: the CRN holds every rate as a number
//! (the front end evaluates expressions, readers parse numbers), so nothing
//! unfolded can reach this pass.

use crate::hash::{HashMap, HashSet};
use std::collections::hash_map::Entry;

use super::Options;
use super::unit::{Unit, reactions, units};
use crate::crn::{Crn, GroupId, Partner, Reaction, Role, SpeciesId};
use crate::diagnostic::Diagnostic;

pub const NAME: &str = "simplify";

pub fn run(mut crn: Crn, _: &Options) -> (Crn, Vec<Diagnostic>) {
    if needs_regrouping(&crn) {
        // Collected in place: the units' buffer is reused, not copied.
        let live: Vec<Unit> =
            units(std::mem::take(&mut crn.reactions)).into_iter().filter_map(without_zero_rates).collect();
        crn.reactions = reactions(merged(live));
    }
    let warnings = stuck_at_zero(&crn);
    (crn, warnings)
}

/// Whether the pass has any reaction to drop, merge or move (a pair's
/// halves go side by side, forward first). Most networks have none, and
/// keep their reactions where they are: regrouping 100,000 of them into
/// units and back took a tenth of their compile, most of it in fresh memory.
fn needs_regrouping(crn: &Crn) -> bool {
    let mut seen: HashSet<Key> = HashSet::default();
    crn.reactions.iter().enumerate().any(|(i, r)| match r.partner {
        _ if r.rate == 0.0 => true,
        Some(Partner::Reverse(j)) if j != i + 1 => true,
        Some(Partner::Forward(j)) => j + 1 != i,
        _ if r.law.is_some() => false,
        pair => !seen.insert(key_of(r, pair.is_some())),
    })
}

fn without_zero_rates(unit: Unit) -> Option<Unit> {
    match unit {
        Unit::Single(r) => (r.rate != 0.0).then_some(Unit::Single(r)),
        Unit::Pair { forward, reverse } => match (forward.rate != 0.0, reverse.rate != 0.0) {
            (true, true) => Some(Unit::Pair { forward, reverse }),
            (true, false) => Some(Unit::Single(forward)),
            (false, true) => Some(Unit::Single(reverse)),
            (false, false) => None,
        },
    }
}

type Complex = Vec<(SpeciesId, u32)>;

/// Reactions that merge have equal keys: the group, the complexes as sorted
/// multisets (a pair's in a fixed orientation), and whether it is a pair.
type Key = (GroupId, Complex, Complex, bool);

fn key(unit: &Unit) -> Key {
    match unit {
        Unit::Single(r) => key_of(r, false),
        Unit::Pair { forward, .. } => key_of(forward, true),
    }
}

/// The key of a single reaction, or of the pair whose forward half is `r`.
fn key_of(r: &Reaction, pair: bool) -> Key {
    let (a, b) = (sorted(&r.reactants), sorted(&r.products));
    if pair && a > b { (r.group, b, a, true) } else { (r.group, a, b, pair) }
}

fn sorted(complex: &[(SpeciesId, u32)]) -> Complex {
    let mut c = complex.to_vec();
    c.sort_unstable();
    c
}

/// The units, each merged into the first with its key, in order. Merging
/// moves the kept units to the front of the same list: a second list would
/// hold every unit (two reactions' room each) twice at the peak.
fn merged(mut units: Vec<Unit>) -> Vec<Unit> {
    let mut first: HashMap<Key, usize> = HashMap::default();
    let mut kept = 0;
    for i in 0..units.len() {
        // A reaction with a rate law is its own channel: it never merges.
        let own_channel = matches!(&units[i], Unit::Single(r) if r.law.is_some());
        if !own_channel {
            match first.entry(key(&units[i])) {
                Entry::Vacant(e) => {
                    e.insert(kept);
                }
                Entry::Occupied(e) => {
                    let (earlier, rest) = units.split_at_mut(i);
                    absorb_unit(&mut earlier[*e.get()], &mut rest[0]);
                    continue;
                }
            }
        }
        units.swap(kept, i);
        kept += 1;
    }
    units.truncate(kept);
    units
}

/// Adds `unit`'s rates into `into`, a unit with the same key.
fn absorb_unit(into: &mut Unit, unit: &mut Unit) {
    match (into, unit) {
        (Unit::Single(into), Unit::Single(r)) => absorb(into, r),
        (Unit::Pair { forward, reverse }, Unit::Pair { forward: f, reverse: r }) => {
            let same_way = sorted(&f.reactants) == sorted(&forward.reactants);
            let (f, r) = if same_way { (f, r) } else { (r, f) };
            absorb(forward, f);
            absorb(reverse, r);
        }
        _ => unreachable!("the key tells pairs from single reactions"),
    }
}

fn absorb(into: &mut Reaction, other: &mut Reaction) {
    into.rate += other.rate;
    into.rate_param = None;
    into.label = into.label.take().or(other.label.take());
    into.origin.pass = NAME;
}

/// W0007 for each species some reaction needs that stays at 0.
fn stuck_at_zero(crn: &Crn) -> Vec<Diagnostic> {
    let mut produced = vec![false; crn.species.len()];
    let mut needed_by: Vec<Option<&Reaction>> = vec![None; crn.species.len()];
    for r in &crn.reactions {
        for (s, change) in r.net_change() {
            produced[s.index()] |= change > 0;
        }
        // A rate law need not vanish without its reactants (E0704 at run time if it fires then).
        for &(s, _) in r.reactants.iter().filter(|_| r.law.is_none()) {
            needed_by[s.index()].get_or_insert(r);
        }
    }
    let stuck = crn.species.iter().zip(produced).zip(needed_by);
    stuck
        .filter_map(|((s, produced), needed_by)| {
            // A species of a learning role gets its value from the protocol
            // (a loaded input, a copied state), not from a reaction.
            let set_by_reactions = matches!(s.role, Role::Plain | Role::Intermediate);
            let needed_by = needed_by.filter(|_| s.initial == 0.0 && !produced && set_by_reactions)?;
            let name = &s.name;
            let d = Diagnostic::warning(
                "W0007",
                format!("species `{name}` is never produced and starts at 0, so it stays 0"),
            )
            .with_hint(format!("give `{name}` an initial value, or add a reaction that produces it"));
            let d = match s.origin.span {
                Some(span) => d.with_primary(span, "starts at 0 and no reaction produces it"),
                None => d,
            };
            Some(match needed_by.origin.span {
                Some(span) => {
                    d.with_secondary(span, format!("this reaction needs `{name}`, so it never happens"))
                }
                None => d,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture;
    use crate::crn::{Partner, validate};
    use crate::ir::RateLaw;

    /// A network of species A, B, C (A starts at 1) and the given reactions.
    fn crn(reactions: Vec<(Complex, Complex, f64, Option<Partner>)>) -> Crn {
        fixture::crn(RateLaw::MassAction, &[("A", 1.0), ("B", 0.0), ("C", 0.0)], reactions)
    }

    const A: SpeciesId = SpeciesId(0);
    const B: SpeciesId = SpeciesId(1);
    const C: SpeciesId = SpeciesId(2);

    fn simplified(c: Crn) -> (Crn, Vec<Diagnostic>) {
        let (c, warnings) = run(c, &Options::default());
        assert_eq!(validate(&c), vec![]);
        (c, warnings)
    }

    #[test]
    fn identical_reactions_merge_summing_rates_in_either_order_of_species() {
        let (c, _) = simplified(crn(vec![
            (vec![(A, 1), (B, 1)], vec![(C, 1)], 1.0, None),
            (vec![(A, 1)], vec![(B, 1)], 5.0, None),
            (vec![(B, 1), (A, 1)], vec![(C, 1)], 2.0, None),
        ]));
        assert_eq!(c.reactions.len(), 2);
        assert_eq!(c.reactions[0].rate, 3.0);
        assert_eq!(c.reactions[0].origin.pass, NAME);
        assert_eq!(c.reactions[1].origin.pass, "source");
    }

    #[test]
    fn reversible_pairs_merge_half_with_half_but_not_with_single_reactions() {
        let (c, _) = simplified(crn(vec![
            (vec![(A, 1)], vec![(B, 1)], 1.0, Some(Partner::Reverse(1))),
            (vec![(B, 1)], vec![(A, 1)], 2.0, Some(Partner::Forward(0))),
            // The same pair written B <-> A.
            (vec![(B, 1)], vec![(A, 1)], 10.0, Some(Partner::Reverse(3))),
            (vec![(A, 1)], vec![(B, 1)], 20.0, Some(Partner::Forward(2))),
            (vec![(A, 1)], vec![(B, 1)], 100.0, None),
        ]));
        let rates: Vec<_> = c.reactions.iter().map(|r| (r.rate, r.partner)).collect();
        assert_eq!(
            rates,
            [(21.0, Some(Partner::Reverse(1))), (12.0, Some(Partner::Forward(0))), (100.0, None)]
        );
    }

    #[test]
    fn zero_rates_are_dropped_and_their_partners_become_irreversible() {
        let (c, _) = simplified(crn(vec![
            (vec![(A, 1)], vec![(B, 1)], 0.0, None),
            (vec![(A, 1)], vec![(C, 1)], 0.0, Some(Partner::Reverse(2))),
            (vec![(C, 1)], vec![(A, 1)], 4.0, Some(Partner::Forward(1))),
            (vec![(B, 1)], vec![(C, 1)], 0.0, Some(Partner::Reverse(4))),
            (vec![(C, 1)], vec![(B, 1)], 0.0, Some(Partner::Forward(3))),
        ]));
        assert_eq!(c.reactions.len(), 1);
        assert_eq!((c.reactions[0].reactants.clone(), c.reactions[0].rate), (vec![(C, 1)], 4.0));
        assert_eq!(c.reactions[0].partner, None);
    }

    #[test]
    fn a_network_with_nothing_to_drop_or_merge_passes_through_but_pairs_go_side_by_side() {
        let distinct = crn(vec![
            (vec![(A, 1)], vec![(B, 1)], 1.0, Some(Partner::Reverse(1))),
            (vec![(B, 1)], vec![(A, 1)], 2.0, Some(Partner::Forward(0))),
            (vec![(A, 1), (B, 1)], vec![(C, 1)], 3.0, None),
            // The pair's key differs from the single reaction's.
            (vec![(C, 1)], vec![(A, 1), (B, 1)], 4.0, Some(Partner::Reverse(4))),
            (vec![(A, 1), (B, 1)], vec![(C, 1)], 5.0, Some(Partner::Forward(3))),
        ]);
        assert!(!needs_regrouping(&distinct));
        let (c, _) = simplified(distinct.clone());
        assert_eq!(c, distinct);

        // A pair written reverse half first is put forward first, as the slow path does.
        let apart = crn(vec![
            (vec![(B, 1)], vec![(A, 1)], 2.0, Some(Partner::Forward(2))),
            (vec![(A, 1), (B, 1)], vec![(C, 1)], 3.0, None),
            (vec![(A, 1)], vec![(B, 1)], 1.0, Some(Partner::Reverse(0))),
        ]);
        assert!(needs_regrouping(&apart));
        let (c, _) = simplified(apart);
        let got: Vec<_> = c.reactions.iter().map(|r| (r.rate, r.partner)).collect();
        assert_eq!(got, [(1.0, Some(Partner::Reverse(1))), (2.0, Some(Partner::Forward(0))), (3.0, None)]);
    }

    #[test]
    fn a_needed_species_that_stays_at_zero_draws_w0007() {
        // B is needed and never made; C is made; A starts at 1.
        let (_, warnings) = simplified(crn(vec![
            (vec![(A, 1), (B, 1)], vec![(C, 1)], 1.0, None),
            // A catalyst does not produce B.
            (vec![(B, 1)], vec![(B, 1), (A, 1)], 1.0, None),
        ]));
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, "W0007");
        assert_eq!(warnings[0].message, "species `B` is never produced and starts at 0, so it stays 0");
    }

    #[test]
    fn a_species_the_protocol_sets_draws_no_w0007() {
        // x is loaded before each forward phase: that it starts at 0 and no reaction makes it is no news.
        let mut c = crn(vec![(vec![(A, 1), (B, 1)], vec![(A, 1), (B, 1), (C, 1)], 1.0, None)]);
        c.species[1].role = Role::Input;
        let (_, warnings) = simplified(c);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_species_made_only_at_rate_zero_is_never_produced() {
        let (_, warnings) =
            simplified(crn(vec![(vec![(A, 1)], vec![(B, 1)], 0.0, None), (vec![(B, 1)], vec![], 1.0, None)]));
        assert_eq!(warnings.iter().map(|d| d.code).collect::<Vec<_>>(), ["W0007"]);
    }

    #[test]
    fn reactions_of_different_groups_never_merge() {
        let ab = || (vec![(A, 1)], vec![(B, 1)]);
        let pair = |at: usize| {
            [
                (vec![(B, 1)], vec![(C, 1)], 1.0, Some(Partner::Reverse(at + 1))),
                (vec![(C, 1)], vec![(B, 1)], 2.0, Some(Partner::Forward(at))),
            ]
        };
        let mut reactions =
            vec![(ab().0, ab().1, 1.0, None), (ab().0, ab().1, 2.0, None), (ab().0, ab().1, 4.0, None)];
        reactions.extend(pair(3));
        reactions.extend(pair(5));
        let grouped = fixture::grouped(crn(reactions), &["one", "two"], &[0, 1, 0, 0, 0, 1, 1]);
        let (c, _) = simplified(grouped);
        let got: Vec<_> = c.reactions.iter().map(|r| (r.group.0, r.rate)).collect();
        assert_eq!(got, [(0, 5.0), (1, 2.0), (0, 1.0), (0, 2.0), (1, 1.0), (1, 2.0)]);
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        /// dx/dt of the reactions of `group` at `x`.
        fn rhs(crn: &Crn, group: u32, x: &[f64]) -> Vec<f64> {
            let mut dxdt = vec![0.0; x.len()];
            for r in crn.reactions.iter().filter(|r| r.group == GroupId(group)) {
                for (s, d) in r.net_change() {
                    dxdt[s.index()] += d as f64 * crn.flux(r, x);
                }
            }
            dxdt
        }

        fn reaction() -> impl Strategy<Value = (Complex, Complex, f64, u32)> {
            let complex = || prop::collection::btree_map(0u32..3, 1u32..3, 0..3);
            let as_ids = |m: std::collections::BTreeMap<u32, u32>| {
                m.into_iter().map(|(s, n)| (SpeciesId(s), n)).collect()
            };
            (complex(), complex(), prop::sample::select(vec![0.0, 1.0, 2.5]), 0u32..3)
                .prop_map(move |(r, p, rate, g)| (as_ids(r), as_ids(p), rate, g))
        }

        proptest! {
            /// Each group keeps its own dynamics, and no two reactions of one
            /// group are left with the same complexes.
            #[test]
            fn simplify_keeps_every_groups_ode(reactions in prop::collection::vec(reaction(), 0..12)) {
                let groups: Vec<u32> = reactions.iter().map(|r| r.3).collect();
                let net = crn(reactions.into_iter().map(|(r, p, k, _)| (r, p, k, None)).collect());
                let before = fixture::grouped(net, &["a", "b", "c"], &groups);
                let (after, _) = simplified(before.clone());
                let x = [0.7, 1.3, 2.1];
                for g in 0..3 {
                    let (old, new) = (rhs(&before, g, &x), rhs(&after, g, &x));
                    for (o, n) in old.iter().zip(&new) {
                        prop_assert!((o - n).abs() <= 1e-12 * o.abs().max(1.0), "group {}: {:?} vs {:?}", g, old, new);
                    }
                }
                let keys: Vec<_> = after.reactions.iter().map(|r| (r.group, sorted(&r.reactants), sorted(&r.products))).collect();
                let distinct: crate::hash::HashSet<_> = keys.iter().collect();
                prop_assert_eq!(distinct.len(), keys.len());
            }
        }
    }
}
