//! Items drawn in proportion to their weights by a scan of the positive
//! ones: for a few dozen positive weights out of thousands of items,
//! cheaper than composition-rejection's bins, as a change is a few stores
//! and a draw has no rejection.
//!
//! The positive weights sit in a table of [`CAPACITY`] slots, a bit each
//! marking the free ones: an item entering takes the lowest free slot, one
//! leaving frees its own and leaves a zero there, and a draw scans up to
//! the last slot taken. So a change is the same few stores whether the item
//! enters, leaves or stays, chosen without a branch: on fceri_gamma2 a
//! sparse species comes or goes at most events, and the branches that told
//! an entry from a leave from an update (a push, a swap with the last, a
//! store) were mispredicted 1.35 times an event (callgrind's branch
//! simulation) on the path from one event to the next. Without them, 5-7 %
//! more events a second there (best of seven, alternated).
//!
//! Each item has a tag, fixed, that a draw returns with it from beside its
//! weight: what the caller reads next about the item, without a load that
//! waits for the item's index.

use std::hint::select_unpredictable as select;

use rand_xoshiro::Xoshiro256PlusPlus;

/// [`land`] sums weights in chunks of this many: eight made fceri_gamma2
/// no faster.
pub(super) const LANES: usize = 4;

/// The slots of a [`Scan`]: its free slots fit one machine word.
pub(super) const CAPACITY: usize = 64;

const OUT: u32 = u32::MAX;

/// Items 0..len with non-negative weights and tags of type `T`, at most
/// [`CAPACITY`] of them positive at a time, drawn by a scan of the slots
/// that hold the positive weights.
pub(super) struct Scan<T> {
    /// Per item: its tag.
    tags: Vec<T>,
    /// Per item: its slot, or [`OUT`].
    slot: Vec<u32>,
    /// Per slot: its weight, zero if free.
    weights: Box<[f64; CAPACITY]>,
    /// Per slot: its item and the item's tag (any, if free).
    entries: Box<[Entry<T>; CAPACITY]>,
    /// Bit `i` set if slot `i` is free.
    free: u64,
    /// Zero, then per chunk of [`LANES`] slots up to the last taken the
    /// running sum of the weights to its end, as [`Scan::total`] took them.
    ends: [f64; CAPACITY / LANES + 1],
}

#[derive(Clone, Copy, Default)]
struct Entry<T> {
    item: u32,
    tag: T,
}

impl<T: Copy + Default> Scan<T> {
    /// Items with these tags, every weight zero.
    pub(super) fn new(tags: Vec<T>) -> Scan<T> {
        Scan {
            slot: vec![OUT; tags.len()],
            tags,
            weights: Box::new([0.0; CAPACITY]),
            entries: Box::new([Entry::default(); CAPACITY]),
            free: u64::MAX,
            ends: [0.0; CAPACITY / LANES + 1],
        }
    }

    /// The number of items, whatever their weights.
    pub(super) fn len(&self) -> usize {
        self.slot.len()
    }

    /// Whether every slot is taken: no item may enter until one leaves.
    #[inline]
    pub(super) fn full(&self) -> bool {
        self.free == 0
    }

    /// Each item's tag.
    pub(super) fn tags(&self) -> &[T] {
        &self.tags
    }

    /// Each item of positive weight, with its weight.
    pub(super) fn members(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        (0..CAPACITY)
            .filter(|&at| self.free >> at & 1 == 0)
            .map(|at| (self.entries[at].item as usize, self.weights[at]))
    }

    /// Sets item `i`'s weight; unless it is zero (or not a number, taken
    /// as zero), the scan must not be [full](Scan::full) or `i` must be in it.
    #[inline]
    pub(super) fn set(&mut self, i: usize, w: f64) {
        let at = self.slot[i];
        let positive = w > 0.0;
        // An item out of the scan that stays out writes a zero and its
        // entry into a free slot, which stays free.
        let pos = select(at == OUT, self.free.trailing_zeros() as usize, at as usize);
        self.weights[pos] = select(positive, w, 0.0);
        self.entries[pos] = Entry { item: i as u32, tag: self.tags[i] };
        self.slot[i] = select(positive, pos as u32, OUT);
        let bit = 1 << pos;
        self.free = select(positive, self.free & !bit, self.free | bit);
    }

    /// The slots up to the last taken, and the free ones after them to a
    /// multiple of [`LANES`].
    fn scanned(&self) -> usize {
        (CAPACITY - (!self.free).leading_zeros() as usize).next_multiple_of(LANES)
    }

    /// The sum of the weights, kept with the running sums at each chunk's
    /// end for the next draw.
    #[inline]
    pub(super) fn total(&mut self) -> f64 {
        let (chunks, _) = self.weights[..self.scanned()].as_chunks::<LANES>();
        let mut base = 0.0;
        for (end, &[a, b, c, d]) in self.ends[1..].iter_mut().zip(chunks) {
            base += (a + b) + (c + d);
            *end = base;
        }
        base
    }

    /// An item drawn with probability weight / `total`, where `total` is
    /// what [`Scan::total`] returned with no change since, and its tag.
    /// There must be an item of positive weight. The chunk landed in is the
    /// number of chunk ends below the draw, counted without a branch: where
    /// [`land`] stops at it, a branch mispredicted at most draws, 5 % fewer
    /// events a second on fceri_gamma2.
    #[inline]
    pub(super) fn sample(&self, total: f64, rng: &mut Xoshiro256PlusPlus) -> (usize, T) {
        // At most `total`, the last end, so that it lands on a weight (but
        // for a subnormal total, where the last is taken); positive, so
        // that the weight landed in is.
        let x = (super::uniform(rng) * total).max(f64::MIN_POSITIVE);
        let chunks = self.scanned() / LANES;
        let k = self.ends[1..=chunks].iter().map(|&end| usize::from(end < x)).sum::<usize>();
        let at = if k < chunks {
            k * LANES + within(&self.weights.as_chunks().0[k], self.ends[k], x).0
        } else {
            CAPACITY - 1 - (!self.free).leading_zeros() as usize
        };
        let Entry { item, tag } = self.entries[at];
        (item as usize, tag)
    }
}

/// The index of the weight that `x` lands in, the weights (a multiple of
/// [`LANES`] of them) laid end to end, and where in it, `x` less the sum
/// before it; or `None` if `x` lies past them all. The index is the number
/// of running sums below `x`. They are taken a chunk at a time,
/// each chunk's from its own sums so that the chain of dependent additions
/// is a quarter as long, and counted without a branch in the chunk `x`
/// lands in. They never decrease, and one above the one before it follows
/// a positive weight, so the weight landed in is positive. A draw lands
/// anywhere and skips zeros anywhere: testing weight after weight, two
/// branches mispredicted at random, cost 1.8 mispredictions an event on
/// fceri_gamma2 in its groups' draws (callgrind's branch simulation), and
/// in a hub's three scans 0.24 an event more than this does (the same
/// speed). Counting every chunk's sums without a branch, as
/// [`Scan::sample`] does from sums taken before, made a group's draw slower.
#[inline]
pub(super) fn land(weights: &[f64], x: f64) -> Option<(usize, f64)> {
    // Positive, so that the weight landed in is.
    let x = x.max(f64::MIN_POSITIVE);
    let (chunks, rest) = weights.as_chunks::<LANES>();
    debug_assert!(rest.is_empty());
    let mut base = 0.0;
    for (k, chunk) in chunks.iter().enumerate() {
        let &[a, b, c, d] = chunk;
        let end = base + ((a + b) + (c + d));
        if x <= end {
            let (i, rest) = within(chunk, base, x);
            return Some((k * LANES + i, rest));
        }
        base = end;
    }
    None
}

/// Where in a chunk whose running sums start from `base` the draw `x`
/// lands, if it lands in the chunk: the number of its running sums below
/// `x` but for its last, and `x` less the running sum before that weight.
#[inline]
fn within(&[a, b, c, _]: &[f64; LANES], base: f64, x: f64) -> (usize, f64) {
    let ab = a + b;
    let sums = [base, base + a, base + ab, base + (ab + c)];
    let i = usize::from(sums[1] < x) + usize::from(sums[2] < x) + usize::from(sums[3] < x);
    (i, x - sums[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ssa::composition::assert_draws_follow;
    use rand_xoshiro::rand_core::SeedableRng;

    /// Weights that come and go, in an order that leaves holes for later
    /// ones to fill: the draws follow the weights at the end, each with its
    /// item's tag, and items at zero are never drawn.
    #[test]
    fn draws_follow_weights_that_come_and_go() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut weights = vec![0.0; 11];
        let mut scan = Scan::new((0..weights.len()).map(|i| 10 * i).collect());
        for (step, i) in (0..200).map(|k| (k, (k * 7) % 11)) {
            // Every third change takes an item out.
            let w = if step % 3 == 0 { 0.0 } else { 0.5 + i as f64 };
            scan.set(i, w);
            weights[i] = w;
            assert_eq!(scan.members().count(), weights.iter().filter(|&&w| w > 0.0).count());
        }
        assert!(weights.contains(&0.0) && scan.members().count() > 4, "{weights:?}");
        let total = scan.total();
        assert_eq!(total, weights.iter().sum::<f64>(), "sums of halves are exact");
        assert_draws_follow(&weights, 200_000, || {
            let (i, tag) = scan.sample(total, &mut rng);
            assert_eq!(tag, 10 * i);
            i
        });
    }

    /// A weight a hundred orders of magnitude below the rest, and a
    /// subnormal one, are drawn no more than their share (never, here), and
    /// a draw never lands on the zeros after the last weight.
    #[test]
    fn tiny_weights_beside_large_ones_are_drawn_in_proportion() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let weights = [1e-300, 2.0, 5e-324, 3.0, 1e-100];
        let mut scan = Scan::new(vec![(); weights.len()]);
        for (i, &w) in weights.iter().enumerate() {
            scan.set(i, w);
        }
        let total = scan.total();
        assert_draws_follow(&weights, 100_000, || scan.sample(total, &mut rng).0);
        let mut only_tiny = Scan::new(vec![()]);
        only_tiny.set(0, 5e-324);
        let total = only_tiny.total();
        assert!((0..100).all(|_| only_tiny.sample(total, &mut rng).0 == 0));
    }

    /// Members report each positive weight once, with its item.
    #[test]
    fn members_are_the_positive_weights() {
        let mut scan = Scan::new(vec![(); 6]);
        for (i, w) in [(4, 2.0), (1, 3.0), (5, 1.0), (1, 0.0), (0, 7.0)] {
            scan.set(i, w);
        }
        let mut members: Vec<_> = scan.members().collect();
        members.sort_by_key(|&(i, _)| i);
        assert_eq!(members, [(0, 7.0), (4, 2.0), (5, 1.0)]);
        assert_eq!(scan.len(), 6);
    }

    /// A full table takes no more, a leave frees a slot that the next entry
    /// takes, and a weight that is not a number counts as zero: the draws
    /// follow the weights throughout.
    #[test]
    fn a_full_table_fills_its_holes() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut weights = vec![0.0; CAPACITY + 8];
        let mut scan = Scan::new(vec![(); weights.len()]);
        for (i, w) in weights.iter_mut().enumerate().take(CAPACITY) {
            *w = 1.0 + (i % 3) as f64;
            assert!(!scan.full());
            scan.set(i, *w);
        }
        assert!(scan.full());
        for (out, into) in [(7, CAPACITY), (40, CAPACITY + 1), (3, 3)] {
            weights[out] = 0.0;
            scan.set(out, f64::NAN);
            assert!(!scan.full());
            weights[into] = 0.5;
            scan.set(into, 0.5);
            assert!(scan.full());
        }
        let total = scan.total();
        assert_eq!(total, weights.iter().sum::<f64>(), "sums of halves and units are exact");
        assert_draws_follow(&weights, 200_000, || scan.sample(total, &mut rng).0);
    }
}
