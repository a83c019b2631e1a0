//! The partials of every pivot's group, each group held in the form that
//! draws from it cheapest. Most groups are small (on fceri_gamma2, 97 % of
//! draws land in groups of under 16 reactions): their partials sit side by
//! side, a draw scans them and a change is one store, where a
//! composition-rejection draw costs several random numbers and cache misses.
//! The few hub groups, of hundreds or thousands of reactions, keep
//! composition-rejection ([`Composition`]), whose draw costs the same
//! whatever the size.

use rand_xoshiro::Xoshiro256PlusPlus;

use super::super::composition::{Composition, sum_in_lanes};
use super::super::uniform;

/// Groups of up to this many reactions are scanned: a scan of 32 partials
/// costs about what a composition-rejection draw does. On fceri_gamma2,
/// whose groups hold under 16 reactions or thousands, limits of 16, 32 and
/// 64 ran within the noise of each other.
const SCAN_LIMIT: usize = 32;

/// A group's place among the partials and, for a large group, its
/// composition's index (else [`SCANNED`]).
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
    composed: u32,
}

const SCANNED: u32 = u32::MAX;

/// A scanned group's partials are padded with zeros (never drawn) to a
/// multiple of this, the lanes of [`sum_in_lanes`].
const LANES: usize = 4;

/// Every group's partials, by group and slot (a reaction's place in its
/// pivot's group).
pub(in super::super) struct Groups {
    spans: Vec<Span>,
    /// Each small group's partials, group after group, in slot order.
    partials: Vec<f64>,
    composed: Vec<Composition>,
}

impl Groups {
    /// Empty groups (every partial zero) of the given sizes.
    pub(in super::super) fn new(sizes: impl Iterator<Item = usize>) -> Groups {
        let mut spans = Vec::new();
        let mut composed = Vec::new();
        let mut start = 0;
        for len in sizes {
            let span = if len <= SCAN_LIMIT {
                let padded = len.next_multiple_of(LANES);
                start += padded;
                Span { start: (start - padded) as u32, len: padded as u32, composed: SCANNED }
            } else {
                composed.push(Composition::new(len));
                Span { start: 0, len: len as u32, composed: (composed.len() - 1) as u32 }
            };
            spans.push(span);
        }
        Groups { spans, partials: vec![0.0; start], composed }
    }

    fn scanned(&self, span: Span) -> &[f64] {
        &self.partials[span.start as usize..(span.start + span.len) as usize]
    }

    #[inline]
    pub(in super::super) fn set(&mut self, group: usize, slot: usize, w: f64) {
        let span = self.spans[group];
        if span.composed == SCANNED {
            debug_assert!(slot < span.len as usize);
            self.partials[span.start as usize + slot] = w;
        } else {
            self.composed[span.composed as usize].set(slot, w);
        }
    }

    /// The sum of a group's partials, the same for the same partials
    /// whatever their history: summed afresh ([`sum_in_lanes`]), or a
    /// composition's exact total.
    pub(in super::super) fn total(&self, group: usize) -> f64 {
        let span = self.spans[group];
        if span.composed == SCANNED {
            sum_in_lanes(self.scanned(span))
        } else {
            self.composed[span.composed as usize].total()
        }
    }

    /// A slot of `group` drawn with probability partial / `total`, where
    /// `total` is [`Groups::total`]; only slots of positive partial are
    /// drawn, and there must be one.
    pub(in super::super) fn sample(
        &mut self,
        group: usize,
        total: f64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> usize {
        let span = self.spans[group];
        if span.composed != SCANNED {
            return self.composed[span.composed as usize].sample(total, rng);
        }
        let mut x = uniform(rng) * total;
        // If rounding carries `x` past every partial, the last positive one is taken.
        let mut last = usize::MAX;
        for (slot, &w) in self.scanned(span).iter().enumerate() {
            if w > 0.0 {
                if x <= w {
                    return slot;
                }
                last = slot;
                x -= w;
            }
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::composition::assert_draws_follow;
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    /// A scanned group and a composed one, given the same partials, draw
    /// each slot in proportion to its partial (within 5 standard errors)
    /// and never a zero.
    #[test]
    fn scanned_and_composed_groups_draw_in_proportion_to_the_partials() {
        let small = [0.5, 0.0, 2.0, 1e-3, 7.5];
        let large: Vec<f64> =
            (0..SCAN_LIMIT + 8).map(|j| if j % 3 == 0 { 0.0 } else { j as f64 * 0.25 }).collect();
        let mut groups = Groups::new([small.len(), large.len()].into_iter());
        assert_eq!(groups.composed.len(), 1, "only the group above the limit is composed");
        for (group, partials) in [&small[..], &large[..]].into_iter().enumerate() {
            for (slot, &w) in partials.iter().enumerate() {
                groups.set(group, slot, 1.0);
                groups.set(group, slot, w);
            }
            let total = groups.total(group);
            assert!((total - partials.iter().sum::<f64>()).abs() <= 1e-12 * total);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            assert_draws_follow(partials, 200_000, || groups.sample(group, total, &mut rng));
        }
    }
}
