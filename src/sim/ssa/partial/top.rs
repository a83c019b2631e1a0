//! The top level of the partial-propensity method: a draw picks a pivot's
//! group in proportion to its weight n_p · Π_p, by a scan while few groups
//! weigh anything, by composition-rejection once many do.
//!
//! On fceri_gamma2 a few dozen of the 3,744 groups weigh anything at a time
//! (most complexes are absent), and over half of the weight changes at the
//! top level are a group entering or leaving as a sparse species comes and
//! goes. Composition-rejection's bins, built for many items, cost a bin
//! search, a rejection loop and a move between bins at each of those:
//! a third of the instructions of an event. A scan of the positive weights
//! costs a few instructions per group and none of that: 9.9 M events/s
//! against 8.5 there. On egfr_net, whose groups weigh something by the
//! hundred, a scan alone ran at half the speed of the bins; so the top level
//! moves to bins when the scan's slots are all taken ([`CAPACITY`]) and back
//! below [`TO_SCAN`] groups, rebuilt from its members each time, as seldom
//! as the gap between the two lets it.
//!
//! [`CAPACITY`]: super::super::scan::CAPACITY

use rand_xoshiro::Xoshiro256PlusPlus;

use super::super::composition::Composition;
use super::super::scan::Scan;
use super::groups::Span;

/// Bins of fewer groups than this move to a scan; a scan moves to bins when
/// all its [`CAPACITY`](super::super::scan::CAPACITY) slots are taken.
const TO_SCAN: usize = 24;

/// The groups' weights, drawn in proportion, each group with its span: a
/// draw returns it from beside the weight in a scan, where looking it up by
/// the drawn group was a load that waited for the group (a cache miss one
/// draw in four on fceri_gamma2), on the path from one event to the next.
pub(in super::super) enum Top {
    Scan(Scan<Span>),
    Bins(Composition, Vec<Span>),
}

impl Top {
    /// Groups with these spans, every weight zero.
    pub(in super::super) fn new(spans: Vec<Span>) -> Top {
        Top::Scan(Scan::new(spans))
    }

    #[inline]
    pub(in super::super) fn set(&mut self, group: usize, w: f64) {
        match self {
            Top::Scan(scan) => {
                scan.set(group, w);
                if scan.full() {
                    self.move_to_bins();
                }
            }
            Top::Bins(..) => self.set_in_bins(group, w),
        }
    }

    /// Out of line, so that the scan's changes, inlined, stay small.
    #[inline(never)]
    fn set_in_bins(&mut self, group: usize, w: f64) {
        if let Top::Bins(bins, _) = self {
            bins.set(group, w);
            if bins.weighted() < TO_SCAN {
                self.move_to_scan();
            }
        }
    }

    /// The sum of the weights; the next draw must follow it with no change between.
    #[inline]
    pub(in super::super) fn total(&mut self) -> f64 {
        match self {
            Top::Scan(scan) => scan.total(),
            Top::Bins(bins, _) => bins.total(),
        }
    }

    /// A group drawn with probability weight / `total`, `total` as
    /// [`Top::total`] returned it, and its span.
    #[inline]
    pub(in super::super) fn sample(&mut self, total: f64, rng: &mut Xoshiro256PlusPlus) -> (usize, Span) {
        match self {
            Top::Scan(scan) => scan.sample(total, rng),
            Top::Bins(bins, spans) => sample_bins(bins, spans, total, rng),
        }
    }

    #[cold]
    fn move_to_bins(&mut self) {
        if let Top::Scan(scan) = self {
            let bins = filled(Composition::new(scan.len()), scan.members(), Composition::set);
            *self = Top::Bins(bins, scan.tags().to_vec());
        }
    }

    #[cold]
    fn move_to_scan(&mut self) {
        if let Top::Bins(bins, spans) = self {
            *self = Top::Scan(filled(Scan::new(std::mem::take(spans)), bins.members(), Scan::set));
        }
    }
}

/// `empty` with each of `members` set to its weight.
fn filled<T>(mut empty: T, members: impl Iterator<Item = (usize, f64)>, set: fn(&mut T, usize, f64)) -> T {
    for (group, w) in members {
        set(&mut empty, group, w);
    }
    empty
}

#[inline(never)]
fn sample_bins(
    bins: &mut Composition,
    spans: &[Span],
    total: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> (usize, Span) {
    let group = bins.sample(total, rng);
    (group, spans[group])
}

#[cfg(test)]
mod tests {
    use super::super::super::composition::assert_draws_follow;
    use super::super::super::scan::CAPACITY;
    use super::super::groups::Groups;
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    fn draws_follow(top: &mut Top, weights: &[f64], spans: &[Span], rng: &mut Xoshiro256PlusPlus) {
        let total = top.total();
        let sum: f64 = weights.iter().sum();
        assert!((total - sum).abs() <= 1e-12 * sum, "{total} against {sum}");
        assert_draws_follow(weights, 100_000, || {
            let (group, span) = top.sample(total, rng);
            assert_eq!(span, spans[group]);
            group
        });
    }

    /// Groups coming by the hundred move the top level to bins, and going
    /// move it back to a scan; either way the draws follow the weights,
    /// each with its group's span.
    #[test]
    fn the_top_level_moves_to_bins_and_back_as_groups_come_and_go() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let len = 3 * CAPACITY;
        let mut weights = vec![0.0; len];
        let groups = Groups::new((0..len).map(|g| 1 + g % 7));
        let spans: Vec<Span> = (0..len).map(|g| groups.span(g)).collect();
        let mut top = Top::new(spans.clone());
        for (i, w) in weights.iter_mut().enumerate().take(CAPACITY) {
            *w = 1.0 + (i % 5) as f64;
            top.set(i, *w);
            assert_eq!(matches!(top, Top::Scan(_)), i + 1 < CAPACITY, "after {} groups", i + 1);
        }
        draws_follow(&mut top, &weights, &spans, &mut rng);
        for i in (TO_SCAN - 1..CAPACITY).rev() {
            weights[i] = 0.0;
            top.set(i, 0.0);
            assert_eq!(matches!(top, Top::Bins(..)), i >= TO_SCAN, "down to {i} groups");
        }
        draws_follow(&mut top, &weights, &spans, &mut rng);
    }
}
