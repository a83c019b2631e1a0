//! Composition-rejection sampling (Slepoy, Thompson & Plimpton 2008): draw
//! an item in proportion to its weight in expected constant time, whatever
//! the number of items, and change a weight in constant time.
//!
//! Items are binned by the binary exponent of their weight, so the weights
//! in a bin lie within a small factor of each other. A draw picks a bin by
//! a linear search over the few bins, then a member of the bin uniformly,
//! accepted with probability weight / (the bin's upper bound).
//!
//! Weights that move by a little often cross a power of two: at the
//! partial-propensity method's top level a sparse species' group weighs
//! n · W, which goes 0 → W → 2W → W → 0. Two rules keep such changes
//! from moving the item between bins, which cost most of an update:
//! - a member whose weight falls by one exponent stays in its bin (it
//!   moves only when its weight leaves the bin's upper bound, or falls
//!   further), so a draw's acceptance is at least 1/4 (a [`Composition::strict`]
//!   one, for weights that seldom change, moves it: at least 1/2);
//! - in a [`Composition::strict`] one, a member whose weight falls to zero
//!   stays in its bin, never accepted, until a draw lands on it and removes
//!   it or its weight returns. A zero is removed at most once per time it
//!   was left, so draws stay expected constant time, amortised. A lenient
//!   one takes it out at once: there most members are often at zero (the
//!   top level's species with no molecules), so draws would land on them
//!   half the time.
//!
//! A weight w of exponent e is m · 2^(e - 1075) with m its 53-bit integer
//! significand; in bin b (b - 1 ≤ e ≤ b) it counts as its share
//! m · 2^(e - b + 1), an integer in units of 2^(b - 1076). A bin's sum is the
//! exact integer sum of its members' shares, so no rounding drift
//! accumulates however many updates there are, as in a sum tree whose sums
//! are recomputed from their children, and the acceptance test compares
//! integers.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::Rng;

/// A positive weight's exponent and 53-bit integer significand m, with
/// w = m · 2^(exponent - 1075). Subnormals share exponent 1 with the
/// smallest normals (same scale), with a smaller significand.
#[inline]
fn split(w: f64) -> (u32, u64) {
    debug_assert!(w > 0.0 && w.is_finite(), "weight {w}");
    let bits = w.to_bits();
    let exponent = (bits >> 52) as u32;
    if exponent == 0 { (1, bits & FRACTION) } else { (exponent, bits & FRACTION | 1 << 52) }
}

const FRACTION: u64 = (1 << 52) - 1;

/// The share in bin `bin` of a weight `w` that is zero or normal with an
/// exponent of `bin` or `bin - 1`: its significand in the bin's units.
/// `None` for any other weight, which must move (a subnormal always does:
/// rare enough not to be worth a test here). With `slack` 0 only an
/// exponent of `bin` stays.
#[inline]
fn share(bin: u32, w: f64, slack: u32) -> Option<u64> {
    let bits = w.to_bits();
    let exponent = (bits >> 52) as u32;
    let below = bin.wrapping_sub(exponent);
    if below <= slack && exponent != 0 {
        Some((bits & FRACTION | 1 << 52) << (1 - below))
    } else if w == 0.0 {
        Some(0)
    } else {
        None
    }
}

/// The value of `shares` (a sum of shares) in bin `bin`.
#[inline]
fn value(bin: u32, shares: u128) -> f64 {
    // Scaling by powers of two in two steps: exact unless the result is subnormal.
    const TWO_TO_MINUS_53: f64 = 1.0 / (1u64 << 53) as f64;
    // A u128 converts in software (a call costing as much as the rest of an
    // update), and a u64 in six instructions (x86-64 converts only signed
    // integers), so a sum below 2^63, any bin of up to 512 members, takes
    // the one signed conversion; above, its halves convert apart. Either
    // way the result is rounded at most twice, the same way every time.
    const TWO_TO_64: f64 = 18_446_744_073_709_551_616.0;
    let sum = match i64::try_from(shares) {
        Ok(small) => small as f64,
        Err(_) => ((shares >> 64) as u64 as f64) * TWO_TO_64 + shares as u64 as f64,
    };
    sum * TWO_TO_MINUS_53 * f64::from_bits(u64::from(bin) << 52)
}

/// An item as a member of a bin: which bin, its index among the bin's
/// members and its weight's share, side by side, as an update and a draw
/// read them all. The weight itself is not kept: a share and its bin give it.
#[derive(Clone, Copy)]
struct Item {
    share: u64,
    /// [`OUT`] for an item in no bin.
    place: u32,
    bin: u32,
}

const OUT: u32 = u32::MAX;

impl Default for Item {
    fn default() -> Item {
        Item { share: 0, place: OUT, bin: 0 }
    }
}

/// Items 0..len with non-negative weights, drawn by composition-rejection.
pub(super) struct Composition {
    items: Vec<Item>,
    /// Exponent of `bins[0]`; the bins cover `low..low + bins.len()`.
    low: u32,
    /// Each bin's value (its exact sum, rounded), side by side: the total
    /// and a draw's search read these alone, a cache line for eight bins.
    values: Vec<f64>,
    bins: Vec<Bin>,
    /// No bin above this one has members, and a draw's search starts here:
    /// past the first transient, eight of multisite2's 22 bins are empty
    /// ones at the top, and searching from the last bin passed them at every
    /// draw (8 % of the instructions).
    top: usize,
    /// How many exponents below its bin's a member's weight may fall and
    /// stay: 1, or 0 for [`Composition::strict`].
    slack: u32,
    /// Whether a member whose weight falls to zero stays in its bin until a
    /// draw lands on it (strict) rather than leaving at once (lenient).
    keeps_zeros: bool,
    /// The number of items in bins.
    weighted: usize,
}

/// One exponent bin: changing a member's weight within its bin, the most
/// common update, touches only its item, its bin and its value.
#[derive(Clone, Default)]
struct Bin {
    /// The exact sum of its members' shares.
    sum: u128,
    /// Its items. A draw reads a candidate's share from its item, so
    /// that a change within the bin writes nothing here.
    members: Vec<u32>,
}

impl Composition {
    pub(super) fn new(len: usize) -> Composition {
        Composition {
            items: vec![Item::default(); len],
            low: 0,
            values: Vec::new(),
            bins: Vec::new(),
            top: 0,
            slack: 1,
            keeps_zeros: false,
            weighted: 0,
        }
    }

    /// Items whose weights change seldom between draws (the rejection
    /// method's bounds): a member moves as soon as its weight leaves its
    /// bin's exponent, so a draw's acceptance is at least 1/2, not 1/4. On
    /// BCR that is 22 M events/s against 17, on multisite2 and egfr_net
    /// the same within the noise (`cargo bench --bench ssa`). A bound that
    /// falls to zero mostly returns before a draw lands on it, so it stays
    /// in its bin: taking it out at once made multisite2 and BCR 6-15 %
    /// slower, where on the partial-propensity top level (lenient) it made
    /// fceri_gamma2 5 % faster.
    pub(super) fn strict(len: usize) -> Composition {
        Composition { slack: 0, keeps_zeros: true, ..Composition::new(len) }
    }

    /// The number of items in bins: those of positive weight, and in a
    /// strict one those left at zero.
    pub(super) fn weighted(&self) -> usize {
        self.weighted
    }

    /// Each item in a bin, with its weight, bin by bin.
    pub(super) fn members(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.bins.iter().flat_map(|bin| &bin.members).map(|&i| {
            let Item { share, bin, .. } = self.items[i as usize];
            (i as usize, value(bin, u128::from(share)))
        })
    }

    /// The sum of the weights, from the bins' values in a fixed order (each
    /// the exact sum rounded at most twice).
    pub(super) fn total(&self) -> f64 {
        sum_in_lanes(&self.values)
    }

    /// Inlined for the common changes, a member's within its bin and a
    /// zero left at zero; a move between bins is out of line.
    #[inline]
    pub(super) fn set(&mut self, i: usize, w: f64) {
        let Item { share: old, place, bin, .. } = self.items[i];
        if place != OUT
            && (w != 0.0 || self.keeps_zeros)
            && let Some(new) = share(bin, w, self.slack)
        {
            self.items[i].share = new;
            let k = (bin - self.low) as usize;
            let slot = &mut self.bins[k];
            slot.sum = slot.sum - u128::from(old) + u128::from(new);
            self.values[k] = value(bin, slot.sum);
        } else if place != OUT || w != 0.0 {
            self.move_between_bins(i, w);
        }
    }

    #[inline(never)]
    fn move_between_bins(&mut self, i: usize, w: f64) {
        if self.items[i].place != OUT {
            self.leave(i);
        }
        if w > 0.0 {
            self.insert(i, w);
        }
    }

    /// Takes member `i`, of zero weight, out of its bin when a draw lands on
    /// it: out of line, as only a strict composition's draws do.
    #[inline(never)]
    fn drop_zero(&mut self, i: usize) {
        self.leave(i);
    }

    /// Takes member `i` out of its bin. Inlined into a move: a call's
    /// saving and restoring of registers cost a sixth of the move.
    #[inline(always)]
    fn leave(&mut self, i: usize) {
        let Item { share, place, bin, .. } = self.items[i];
        let k = (bin - self.low) as usize;
        let slot = &mut self.bins[k];
        slot.members.swap_remove(place as usize);
        if let Some(&moved) = slot.members.get(place as usize) {
            self.items[moved as usize].place = place;
        }
        let emptied = slot.members.is_empty();
        self.items[i].place = OUT;
        self.weighted -= 1;
        if share > 0 {
            slot.sum -= u128::from(share);
            self.values[k] = value(bin, slot.sum);
        }
        if emptied && k == self.top {
            while self.top > 0 && self.bins[self.top].members.is_empty() {
                self.top -= 1;
            }
        }
    }

    /// Puts item `i`, of positive weight `w` and in no bin, in the bin of its exponent.
    fn insert(&mut self, i: usize, w: f64) {
        let (bin, m) = split(w);
        let k = self.bin_index(bin);
        let slot = &mut self.bins[k];
        self.items[i] = Item { share: m << 1, place: slot.members.len() as u32, bin };
        slot.members.push(i as u32);
        self.weighted += 1;
        slot.sum += u128::from(m << 1);
        self.values[k] = value(bin, slot.sum);
        self.top = self.top.max(k);
    }

    /// The index of exponent bin `bin`, widening the range of bins to it.
    #[inline(always)]
    fn bin_index(&mut self, bin: u32) -> usize {
        let k = bin.wrapping_sub(self.low) as usize;
        if k < self.bins.len() { k } else { self.widen(bin) }
    }

    #[inline(never)]
    fn widen(&mut self, bin: u32) -> usize {
        if self.bins.is_empty() {
            self.low = bin;
        }
        if bin < self.low {
            let grow = (self.low - bin) as usize;
            self.bins.splice(0..0, std::iter::repeat_n(Bin::default(), grow));
            self.values.splice(0..0, std::iter::repeat_n(0.0, grow));
            self.low = bin;
            self.top += grow;
        }
        let k = (bin - self.low) as usize;
        if k >= self.bins.len() {
            self.bins.resize_with(k + 1, Bin::default);
            self.values.resize(k + 1, 0.0);
        }
        k
    }

    /// An item drawn with probability weight / `total`, where `total` is
    /// [`Composition::total`] (passed in, as callers have it already).
    /// Only items of positive weight are ever drawn; there must be one.
    /// Members of zero weight that the draw lands on leave their bin.
    pub(super) fn sample(&mut self, total: f64, rng: &mut Xoshiro256PlusPlus) -> usize {
        self.draw(total, rng).0
    }

    /// [`Composition::sample`], and with the item a number below its weight,
    /// uniform to 2^-53 of the bin's bound: the draw's own acceptance
    /// variate, which a second test against a fraction of the weight can
    /// use instead of a new one.
    #[inline]
    pub(super) fn sample_with_rest(&mut self, total: f64, rng: &mut Xoshiro256PlusPlus) -> (usize, f64) {
        let (item, u, k) = self.draw(total, rng);
        // The variate's top 53 bits, in units of twice the bin's: exact in
        // an f64 (all 54 could round up to the weight itself), and below
        // half the share, so below the weight. Doubled after the scaling,
        // which the top bin's units would take past the float range.
        (item, 2.0 * value(self.low + k as u32, u128::from(u >> 1)))
    }

    /// A draw: the item, its acceptance variate (uniform below its share)
    /// and the index of its bin.
    #[inline(always)]
    fn draw(&mut self, total: f64, rng: &mut Xoshiro256PlusPlus) -> (usize, u64, usize) {
        let mut x = super::uniform(rng) * total;
        // From the heaviest exponent down: the top bins usually hold most of
        // the weight, so the search ends soonest. If rounding carries `x`
        // past every bin, the lightest non-empty bin is taken.
        let mut k = usize::MAX;
        for (j, &v) in self.values[..=self.top].iter().enumerate().rev() {
            if v > 0.0 {
                k = j;
                if x <= v {
                    break;
                }
                x -= v;
            }
        }
        loop {
            let members = &self.bins[k].members;
            let candidate = members[below(rng, members.len() as u64) as usize] as usize;
            let share = self.items[candidate].share;
            if share == 0 {
                self.drop_zero(candidate);
                continue;
            }
            // Accepted with probability share / 2^54 = w / (the bin's bound
            // 2^(bin - 1022)); then `u` is uniform below the share.
            let u = rng.next_u64() >> 10;
            if u < share {
                return (candidate, u, k);
            }
        }
    }
}

/// The sum of `values` in four lanes, each adding every fourth value in
/// order, then the remainder: reproducible like one running sum, in fewer
/// instructions and a quarter of its chain of dependent additions.
#[inline]
pub(super) fn sum_in_lanes(values: &[f64]) -> f64 {
    let (chunks, rest) = values.as_chunks::<4>();
    let mut lanes = [0.0; 4];
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest.iter().sum::<f64>()
}

/// Uniform in 0..len, without bias (Lemire 2019: one multiplication, and a
/// division only in the rare case that the low half is below `len`).
#[inline]
fn below(rng: &mut Xoshiro256PlusPlus, len: u64) -> u64 {
    let mut product = u128::from(rng.next_u64()) * u128::from(len);
    if (product as u64) < len {
        let threshold = len.wrapping_neg() % len;
        while (product as u64) < threshold {
            product = u128::from(rng.next_u64()) * u128::from(len);
        }
    }
    (product >> 64) as u64
}

/// Asserts that `draws` calls of `draw` give each index in proportion to its
/// weight, within 5 standard errors, and never an index of zero weight.
#[cfg(test)]
pub(super) fn assert_draws_follow(weights: &[f64], draws: u32, mut draw: impl FnMut() -> usize) {
    let total: f64 = weights.iter().sum();
    let mut counts = vec![0u32; weights.len()];
    for _ in 0..draws {
        counts[draw()] += 1;
    }
    for (i, &w) in weights.iter().enumerate() {
        let p = w / total;
        let expected = p * f64::from(draws);
        let se = (f64::from(draws) * p * (1.0 - p)).sqrt();
        assert!(
            (f64::from(counts[i]) - expected).abs() <= 5.0 * se.max(1.0),
            "index {i}: {} draws, {expected:.0} expected",
            counts[i]
        );
        if w == 0.0 {
            assert_eq!(counts[i], 0, "index {i} of zero weight drawn");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    #[test]
    fn split_gives_the_weight_back_exactly() {
        for w in [1.0, 0.75, 3.0e-7, 1.5e300, f64::MIN_POSITIVE, 5e-324, 1e-310, 123456.789] {
            let (bin, m) = split(w);
            assert!(m < 1 << 53);
            assert_eq!(value(bin, u128::from(m << 1)), w, "{w}");
            assert_eq!(value(bin + 1, u128::from(m)), w, "{w}, one bin up");
            if w >= f64::MIN_POSITIVE {
                assert!(m >= 1 << 52, "a normal weight's significand is at least half the bound");
            }
        }
    }

    /// Sums at the edge of a signed 64-bit integer convert as their two
    /// halves would (the halves are what a sum above it takes).
    #[test]
    fn value_converts_either_side_of_two_to_the_63_by_halves() {
        let by_halves = |s: u128| ((s >> 64) as u64 as f64) * 2f64.powi(64) + s as u64 as f64;
        for s in [(1u128 << 63) - 1, (1 << 63) - 1025, 1 << 63, (1 << 63) + 4097, (1 << 70) + 12345, 3 << 84]
        {
            let scale = 2f64.powi(-53) * f64::from_bits(1000u64 << 52);
            assert_eq!(value(1000, s), by_halves(s) * scale, "{s}");
        }
    }

    /// Subnormal weights share bin 1 with the smallest normals: changes
    /// among them, and across the two, keep the bin's sum exact.
    #[test]
    fn subnormal_and_smallest_normal_weights_share_a_bin_exactly() {
        let mut c = Composition::new(2);
        c.set(0, 1e-310);
        c.set(1, f64::MIN_POSITIVE * 1.5);
        c.set(0, 2e-310);
        assert_eq!(c.total(), 2e-310 + f64::MIN_POSITIVE * 1.5);
        c.set(0, f64::MIN_POSITIVE);
        c.set(1, 3e-311);
        assert_eq!(c.total(), f64::MIN_POSITIVE + 3e-311);
        assert_eq!(c.bins.len(), 1);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        assert!((0..100).all(|_| c.sample(c.total(), &mut rng) < 2));
    }

    #[test]
    fn totals_follow_every_kind_of_update_without_drift() {
        let mut c = Composition::new(4);
        c.set(0, 1.0);
        c.set(1, 0.1);
        c.set(2, 1e6);
        assert_eq!(c.total(), 1.0 + 0.1 + 1e6);
        c.set(2, 1.5e6); // the same bin
        c.set(1, 1e-9); // a lower bin, widening the range down
        c.set(0, 0.0); // out
        c.set(3, 2.0);
        assert_eq!(c.total(), 1e-9 + 2.0 + 1.5e6);
        assert_eq!(c.items[0].place, OUT);
        // A million changes of one weight leave the total exact.
        for j in 0..1_000_000 {
            c.set(3, 1.0 + f64::from(j) * 1e-7);
        }
        c.set(3, 2.0);
        assert_eq!(c.total(), 1e-9 + 2.0 + 1.5e6);
    }

    /// In a lenient composition a member that falls by one exponent stays
    /// in its bin, one that falls by two moves, and one that falls to zero
    /// leaves at once. Totals stay exact throughout.
    #[test]
    fn small_falls_stay_in_their_bin_and_zeros_leave_a_lenient_one() {
        let mut c = Composition::new(4);
        for (i, w) in [2.0, 3.5, 2.5, 2.25].into_iter().enumerate() {
            c.set(i, w);
        }
        assert_eq!(c.bins.len(), 1);
        c.set(0, 1.25); // one exponent down: stays
        c.set(2, 0.0); // zero: leaves
        assert_eq!((c.bins.len(), c.bins[0].members.len()), (1, 3));
        assert_eq!(c.items[2].place, OUT);
        assert_eq!(c.total(), 1.25 + 3.5 + 2.25);
        c.set(2, 0.0); // a zero left at zero changes nothing
        c.set(0, 1.5); // back up within the bin's bound
        c.set(0, 4.0); // above it: moves up
        assert_eq!(c.items[0].bin, c.low + 1);
        c.set(1, 0.75); // two exponents down: moves
        assert_eq!(c.items[1].bin, c.low);
        assert_eq!(c.total(), 0.75 + 2.25 + 4.0);
        assert_eq!(c.bins.iter().map(|b| b.members.len()).sum::<usize>(), 3);
        c.set(2, 3.0);
        assert_eq!(c.total(), 0.75 + 2.25 + 4.0 + 3.0);
    }

    /// A strict composition moves a member one exponent down, keeps a zero
    /// in its bin until a draw lands on it and removes it, and keeps the
    /// totals and the draws the same as the lenient one.
    #[test]
    fn a_strict_composition_moves_a_member_one_exponent_down_and_keeps_zeros() {
        let weights = [2.0, 3.5, 1.25, 0.0];
        let mut strict = Composition::strict(weights.len());
        let mut lenient = Composition::new(weights.len());
        for c in [&mut strict, &mut lenient] {
            for (i, w) in [2.0, 3.5, 2.5, 2.25].into_iter().enumerate() {
                c.set(i, w);
            }
            c.set(2, 1.25);
            c.set(3, 0.0);
        }
        assert_eq!(lenient.items[2].bin, lenient.items[0].bin, "lenient: stays");
        assert_eq!(strict.items[2].bin, strict.items[0].bin - 1, "strict: moves down");
        assert_eq!(lenient.items[3].place, OUT, "lenient: a zero leaves");
        assert_ne!(strict.items[3].place, OUT, "strict: a zero stays");
        assert_eq!(strict.total(), lenient.total());
        let total = strict.total();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        assert_draws_follow(&weights, 200_000, || strict.sample(total, &mut rng));
        assert_eq!(strict.items[3].place, OUT, "the draws landed on the zero and removed it");
        assert_eq!(strict.total(), total);
    }

    /// The search's start follows the highest bin with members down as it
    /// empties, up as a heavier weight comes, and along as bins are added
    /// below; draws follow the weights throughout.
    #[test]
    fn a_draws_search_starts_at_the_highest_bin_with_members() {
        let mut c = Composition::new(4);
        let weights = [1.0, 0.0, 3.0, 0.01];
        c.set(0, 1.0);
        c.set(1, 1e6);
        c.set(2, 3.0);
        let bin_of = |c: &Composition, i: usize| (c.items[i].bin - c.low) as usize;
        assert_eq!(c.top, bin_of(&c, 1));
        c.set(1, 0.0);
        assert_eq!(c.top, bin_of(&c, 2), "down to 3.0's bin past the emptied ones");
        c.set(3, 0.01);
        assert_eq!(c.top, bin_of(&c, 2), "a bin added below moves it along");
        let total = c.total();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
        assert_draws_follow(&weights, 200_000, || c.sample(total, &mut rng));
        c.set(1, 50.0);
        assert_eq!(c.top, bin_of(&c, 1));
    }

    /// Frequencies of draws against the weights: within 5 standard errors
    /// for each item, over weights spread across many bins with zeros among them.
    #[test]
    fn draws_follow_the_weights() {
        let weights = [3.0, 0.0, 1.0, 0.4, 7.9, 0.0, 0.26, 2.0, 1e-3, 5.5];
        let mut c = Composition::new(weights.len());
        for (i, &w) in weights.iter().enumerate() {
            c.set(i, 1.0);
            c.set(i, w);
        }
        let total = c.total();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        assert_draws_follow(&weights, 400_000, || c.sample(total, &mut rng));
    }

    /// The rest that comes with a draw is uniform below the drawn weight:
    /// below it always, and each quarter of it about equally often, in a
    /// lenient composition (where 1.5 has fallen an exponent below its bin,
    /// 3.5's) and in a strict one.
    #[test]
    fn a_draws_rest_is_uniform_below_the_drawn_weight() {
        let weights = [3.5, 1.5, 0.3];
        for mut c in [Composition::new(weights.len()), Composition::strict(weights.len())] {
            c.set(0, 3.5);
            c.set(1, 3.0);
            c.set(1, 1.5);
            c.set(2, 0.3);
            assert_eq!(c.items[1].bin == c.items[0].bin, c.slack == 1);
            let total = c.total();
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
            let mut quarters = [[0u32; 4]; 3];
            for _ in 0..200_000 {
                let (i, rest) = c.sample_with_rest(total, &mut rng);
                assert!((0.0..weights[i]).contains(&rest), "{rest} drawn with item {i}");
                quarters[i][(4.0 * rest / weights[i]) as usize] += 1;
            }
            for (i, counts) in quarters.iter().enumerate() {
                let draws: u32 = counts.iter().sum();
                let expected = f64::from(draws) / 4.0;
                for &n in counts {
                    assert!(
                        (f64::from(n) - expected).abs() < 5.0 * (expected * 0.75).sqrt(),
                        "{i}: {counts:?}"
                    );
                }
            }
        }
    }

    /// In the highest bin a rest is still a finite number below the weight.
    #[test]
    fn a_draws_rest_stays_below_the_largest_weight() {
        let mut c = Composition::strict(1);
        c.set(0, f64::MAX);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
        for _ in 0..1000 {
            let (_, rest) = c.sample_with_rest(c.total(), &mut rng);
            assert!((0.0..f64::MAX).contains(&rest), "{rest}");
        }
    }

    #[test]
    fn below_stays_in_range_and_hits_every_value() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            seen[below(&mut rng, 7) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(below(&mut rng, 1), 0);
    }
}
