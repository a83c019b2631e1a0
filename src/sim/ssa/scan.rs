//! Items drawn in proportion to their weights by a scan of the positive
//! ones, kept side by side: for a few dozen positive weights out of
//! thousands of items, cheaper than composition-rejection's bins, as a
//! change is one store (an item entering or leaving, a push or a swap with
//! the last) and a draw has no rejection and one branch to mispredict.
//!
//! Each item has a tag, fixed, that a draw returns with it from beside its
//! weight: what the caller reads next about the item, without a load that
//! waits for the item's index.

use rand_xoshiro::Xoshiro256PlusPlus;

/// [`land`] sums weights in chunks of this many: eight made fceri_gamma2
/// no faster.
pub(super) const LANES: usize = 4;

const OUT: u32 = u32::MAX;

/// Items 0..len with non-negative weights and tags of type `T`, drawn by a
/// scan of the positive weights.
pub(super) struct Scan<T> {
    /// Per item: its tag.
    tags: Vec<T>,
    /// Per item: its index among the positive weights, or [`OUT`].
    slot: Vec<u32>,
    /// The positive weights, then zeros.
    weights: Vec<f64>,
    /// Per positive weight: its item, and the item's tag.
    entries: Vec<Entry<T>>,
}

#[derive(Clone, Copy)]
struct Entry<T> {
    item: u32,
    tag: T,
}

impl<T: Copy> Scan<T> {
    /// Items with these tags, every weight zero.
    pub(super) fn new(tags: Vec<T>) -> Scan<T> {
        Scan { slot: vec![OUT; tags.len()], tags, weights: Vec::new(), entries: Vec::new() }
    }

    /// The number of items, whatever their weights.
    pub(super) fn len(&self) -> usize {
        self.slot.len()
    }

    /// The number of items of positive weight.
    pub(super) fn weighted(&self) -> usize {
        self.entries.len()
    }

    /// Each item's tag.
    pub(super) fn tags(&self) -> &[T] {
        &self.tags
    }

    /// Each item of positive weight, with its weight.
    pub(super) fn members(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.entries.iter().zip(&self.weights).map(|(e, &w)| (e.item as usize, w))
    }

    #[inline]
    pub(super) fn set(&mut self, i: usize, w: f64) {
        let at = self.slot[i];
        if at != OUT {
            if w > 0.0 {
                self.weights[at as usize] = w;
            } else {
                self.remove(i, at as usize);
            }
        } else if w > 0.0 {
            self.push(i, w);
        }
    }

    /// Takes item `i`, at `at` among the positive weights, out: the last
    /// one takes its place.
    #[inline(never)]
    fn remove(&mut self, i: usize, at: usize) {
        let last = self.entries.len() - 1;
        let moved = self.entries[last];
        self.entries[at] = moved;
        self.weights[at] = self.weights[last];
        self.slot[moved.item as usize] = at as u32;
        self.entries.pop();
        self.weights[last] = 0.0;
        self.slot[i] = OUT;
    }

    #[inline(never)]
    fn push(&mut self, i: usize, w: f64) {
        let at = self.entries.len();
        if at == self.weights.len() {
            self.weights.resize(at + LANES, 0.0);
        }
        self.weights[at] = w;
        self.entries.push(Entry { item: i as u32, tag: self.tags[i] });
        self.slot[i] = at as u32;
    }

    /// The positive weights and the zeros after them to a multiple of [`LANES`].
    fn scanned(&self) -> usize {
        self.entries.len().next_multiple_of(LANES)
    }

    /// The sum of the weights: the last of the running sums that [`land`]
    /// takes, bit for bit.
    #[inline]
    pub(super) fn total(&self) -> f64 {
        let (chunks, _) = self.weights[..self.scanned()].as_chunks::<LANES>();
        chunks.iter().fold(0.0, |base, &[a, b, c, d]| base + ((a + b) + (c + d)))
    }

    /// An item drawn with probability weight / `total`, where `total` is
    /// what [`Scan::total`] returned with no change since, and its tag.
    /// There must be an item of positive weight.
    #[inline]
    pub(super) fn sample(&self, total: f64, rng: &mut Xoshiro256PlusPlus) -> (usize, T) {
        // At most `total`, the last running sum, so that it lands on a
        // weight (but for a subnormal total, where the last is taken).
        let x = super::uniform(rng) * total;
        let at = land(&self.weights[..self.scanned()], x).unwrap_or(self.entries.len() - 1);
        let Entry { item, tag } = self.entries[at];
        (item as usize, tag)
    }
}

/// The index of the weight that `x` lands in, the weights (a multiple of
/// [`LANES`] of them) laid end to end, or `None` if `x` lies past them all:
/// the number of running sums below `x`. They are taken a chunk at a time,
/// each chunk's from its own sums so that the chain of dependent additions
/// is a quarter as long, and counted without a branch in the chunk `x`
/// lands in. They never decrease, and one above the one before it follows
/// a positive weight, so the weight landed in is positive. A draw lands
/// anywhere and skips zeros anywhere: testing weight after weight, two
/// branches mispredicted at random, cost 1.8 mispredictions an event on
/// fceri_gamma2 in its groups' draws (callgrind's branch simulation).
/// Counting every chunk's sums without a branch ran as fast, in 80 more
/// instructions an event there.
#[inline]
pub(super) fn land(weights: &[f64], x: f64) -> Option<usize> {
    // Positive, so that the weight landed in is.
    let x = x.max(f64::MIN_POSITIVE);
    let (chunks, rest) = weights.as_chunks::<LANES>();
    debug_assert!(rest.is_empty());
    let mut base = 0.0;
    for (k, &[a, b, c, d]) in chunks.iter().enumerate() {
        let (ab, cd) = (a + b, c + d);
        let end = base + (ab + cd);
        if x <= end {
            let within =
                usize::from(base + a < x) + usize::from(base + ab < x) + usize::from(base + (ab + c) < x);
            return Some(k * LANES + within);
        }
        base = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ssa::composition::assert_draws_follow;
    use rand_xoshiro::rand_core::SeedableRng;

    /// Weights that come and go, in an order that leaves gaps to fill and
    /// moves the last one into them: the draws follow the weights at the
    /// end, each with its item's tag, and items at zero are never drawn.
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
            assert_eq!(scan.weighted(), weights.iter().filter(|&&w| w > 0.0).count());
        }
        assert!(weights.contains(&0.0) && scan.weighted() > 4, "{weights:?}");
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
}
