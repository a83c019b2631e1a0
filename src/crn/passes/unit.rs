//! Reactions as the passes handle them: an irreversible reaction alone, a
//! reversible pair whole. A pass that works on units never has to keep
//! partner indices right; [`reactions`] sets them once at the end.

use crate::crn::{Partner, Reaction};

/// A pair is two reactions by nature; boxing them would cost an allocation
/// per reaction in every pass for no saving (most units of a network are one kind).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Unit {
    Single(Reaction),
    Pair { forward: Reaction, reverse: Reaction },
}

impl Unit {
    /// How many reactions the unit stands for.
    pub fn len(&self) -> usize {
        match self {
            Unit::Single(_) => 1,
            Unit::Pair { .. } => 2,
        }
    }
}

/// The reactions of a valid CRN grouped into units, in the order of each
/// unit's first reaction.
pub fn units(reactions: Vec<Reaction>) -> Vec<Unit> {
    let mut slots: Vec<Option<Reaction>> = reactions.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for i in 0..slots.len() {
        let Some(r) = slots[i].take() else { continue };
        let mut half = |j: usize| slots[j].take().expect("partner links are mutual (crn::validate)");
        out.push(match r.partner {
            None => Unit::Single(r),
            Some(Partner::Reverse(j)) => Unit::Pair { reverse: half(j), forward: r },
            Some(Partner::Forward(j)) => Unit::Pair { forward: half(j), reverse: r },
        });
    }
    out
}

/// The units as reactions: the halves of a pair side by side, forward first,
/// linked to each other.
pub fn reactions(units: Vec<Unit>) -> Vec<Reaction> {
    let mut out = Vec::with_capacity(units.len());
    for unit in units {
        match unit {
            Unit::Single(r) => out.push(Reaction { partner: None, ..r }),
            Unit::Pair { forward, reverse } => {
                let at = out.len();
                out.push(Reaction { partner: Some(Partner::Reverse(at + 1)), ..forward });
                out.push(Reaction { partner: Some(Partner::Forward(at)), ..reverse });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::SpeciesId;
    use crate::crn::passes::fixture;
    use crate::ir::RateLaw;

    #[test]
    fn pairs_come_back_adjacent_and_linked_whatever_their_order() {
        // A reverse half listed before its forward half, with a single between.
        let decay = |rate, partner| (vec![(SpeciesId(0), 1)], vec![], rate, partner);
        let input = vec![
            decay(1.0, Some(Partner::Forward(2))),
            decay(2.0, None),
            decay(3.0, Some(Partner::Reverse(0))),
        ];
        let grouped = units(fixture::crn(RateLaw::MassAction, &[("A", 1.0)], input).reactions);
        assert_eq!(grouped.iter().map(Unit::len).collect::<Vec<_>>(), [2, 1]);
        let back = reactions(grouped);
        assert_eq!(back.iter().map(|r| r.rate).collect::<Vec<_>>(), [3.0, 1.0, 2.0]);
        assert_eq!(back[0].partner, Some(Partner::Reverse(1)));
        assert_eq!(back[1].partner, Some(Partner::Forward(0)));
        assert_eq!(back[2].partner, None);
    }
}
