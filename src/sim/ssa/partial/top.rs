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
//! moves to bins when a scan would pass [`TO_BINS`] groups and back below
//! [`TO_SCAN`], rebuilt from its members each time, as seldom as the gap
//! between the two lets it.

use rand_xoshiro::Xoshiro256PlusPlus;

use super::super::composition::Composition;
use super::super::scan::Scan;

/// A scan of more groups than this moves to bins.
const TO_BINS: usize = 96;
/// Bins of fewer groups than this move to a scan.
const TO_SCAN: usize = 32;

/// The groups' weights, drawn in proportion.
pub(in super::super) enum Top {
    Scan(Scan),
    Bins(Composition),
}

impl Top {
    /// Groups 0..len, every weight zero.
    pub(in super::super) fn new(len: usize) -> Top {
        Top::Scan(Scan::new(len))
    }

    #[inline]
    pub(in super::super) fn set(&mut self, group: usize, w: f64) {
        match self {
            Top::Scan(scan) => {
                scan.set(group, w);
                if scan.weighted() > TO_BINS {
                    self.move_to_bins();
                }
            }
            Top::Bins(_) => self.set_in_bins(group, w),
        }
    }

    /// Out of line, so that the scan's changes, inlined, stay small.
    #[inline(never)]
    fn set_in_bins(&mut self, group: usize, w: f64) {
        if let Top::Bins(bins) = self {
            bins.set(group, w);
            if bins.weighted() < TO_SCAN {
                self.move_to_scan();
            }
        }
    }

    /// The sum of the weights; the next draw must follow it with no change between.
    #[inline]
    pub(in super::super) fn total(&self) -> f64 {
        match self {
            Top::Scan(scan) => scan.total(),
            Top::Bins(bins) => bins.total(),
        }
    }

    /// A group drawn with probability weight / `total`, `total` as
    /// [`Top::total`] returned it.
    #[inline]
    pub(in super::super) fn sample(&mut self, total: f64, rng: &mut Xoshiro256PlusPlus) -> usize {
        match self {
            Top::Scan(scan) => scan.sample(total, rng),
            Top::Bins(bins) => sample_bins(bins, total, rng),
        }
    }

    #[cold]
    fn move_to_bins(&mut self) {
        if let Top::Scan(scan) = self {
            *self = Top::Bins(filled(Composition::new(scan.len()), scan.members(), Composition::set));
        }
    }

    #[cold]
    fn move_to_scan(&mut self) {
        if let Top::Bins(bins) = self {
            *self = Top::Scan(filled(Scan::new(bins.len()), bins.members(), Scan::set));
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
fn sample_bins(bins: &mut Composition, total: f64, rng: &mut Xoshiro256PlusPlus) -> usize {
    bins.sample(total, rng)
}

#[cfg(test)]
mod tests {
    use super::super::super::composition::assert_draws_follow;
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    fn draws_follow(top: &mut Top, weights: &[f64], rng: &mut Xoshiro256PlusPlus) {
        let total = top.total();
        let sum: f64 = weights.iter().sum();
        assert!((total - sum).abs() <= 1e-12 * sum, "{total} against {sum}");
        assert_draws_follow(weights, 100_000, || top.sample(total, rng));
    }

    /// Groups coming by the hundred move the top level to bins, and going
    /// move it back to a scan; either way the draws follow the weights.
    #[test]
    fn the_top_level_moves_to_bins_and_back_as_groups_come_and_go() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let len = 3 * TO_BINS;
        let mut weights = vec![0.0; len];
        let mut top = Top::new(len);
        for (i, w) in weights.iter_mut().enumerate().take(TO_BINS + 1) {
            *w = 1.0 + (i % 5) as f64;
            top.set(i, *w);
            assert_eq!(matches!(top, Top::Scan(_)), i < TO_BINS, "after {} groups", i + 1);
        }
        draws_follow(&mut top, &weights, &mut rng);
        for i in (TO_SCAN - 1..=TO_BINS).rev() {
            weights[i] = 0.0;
            top.set(i, 0.0);
            assert_eq!(matches!(top, Top::Bins(_)), i >= TO_SCAN, "down to {i} groups");
        }
        draws_follow(&mut top, &weights, &mut rng);
    }
}
