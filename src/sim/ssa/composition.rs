//! Composition-rejection sampling (Slepoy, Thompson & Plimpton 2008): draw
//! an item in proportion to its weight in expected constant time, whatever
//! the number of items, and change a weight in constant time.
//!
//! Items are binned by the binary exponent of their weight, so the weights
//! in a bin lie within a factor of two of each other. A draw picks a bin by
//! a linear search over the few bins, then a member of the bin uniformly,
//! accepted with probability weight / (the bin's upper bound): at least 1/2.
//!
//! A weight w of exponent bin b is m · 2^(b - 1075) with m its 53-bit
//! integer significand, so a bin's sum is kept as the exact integer sum of
//! its members' significands: no rounding drift accumulates however many
//! updates there are, as in a sum tree whose sums are recomputed from their
//! children, and the acceptance test compares integers.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::Rng;

/// A positive weight's exponent bin and 53-bit integer significand m, with
/// w = m · 2^(bin - 1075). Subnormals share bin 1 with the smallest normals
/// (same scale), with a smaller significand.
#[inline]
fn split(w: f64) -> (u32, u64) {
    debug_assert!(w > 0.0 && w.is_finite(), "weight {w}");
    let bits = w.to_bits();
    let exponent = (bits >> 52) as u32;
    if exponent == 0 { (1, bits & FRACTION) } else { (exponent, normal_significand(bits)) }
}

const FRACTION: u64 = (1 << 52) - 1;

/// A normal weight's 53-bit significand: its fraction with the implicit bit.
#[inline]
fn normal_significand(bits: u64) -> u64 {
    bits & FRACTION | 1 << 52
}

/// The value of `significands` (a sum of significands) in bin `bin`.
#[inline]
fn value(bin: u32, significands: u128) -> f64 {
    // Scaling by powers of two in two steps: exact unless the result is subnormal.
    const TWO_TO_MINUS_52: f64 = 1.0 / (1u64 << 52) as f64;
    // A u128 converts in software (a call costing as much as the rest of an
    // update), and a u64 in six instructions (x86-64 converts only signed
    // integers), so a sum below 2^63, any bin of up to 1024 members, takes
    // the one signed conversion; above, its halves convert apart. Either
    // way the result is rounded at most twice, the same way every time.
    const TWO_TO_64: f64 = 18_446_744_073_709_551_616.0;
    let sum = match i64::try_from(significands) {
        Ok(small) => small as f64,
        Err(_) => ((significands >> 64) as u64 as f64) * TWO_TO_64 + significands as u64 as f64,
    };
    sum * TWO_TO_MINUS_52 * f64::from_bits(u64::from(bin) << 52)
}

/// An item's weight and, when positive, its index in its bin's members:
/// side by side, as an update reads both.
#[derive(Clone, Copy, Default)]
struct Item {
    weight: f64,
    place: u32,
}

/// Items 0..len with non-negative weights, drawn by composition-rejection.
pub(super) struct Composition {
    items: Vec<Item>,
    /// Exponent bin of `bins[0]`; the bins cover `low..low + bins.len()`.
    low: u32,
    /// Each bin's value (its exact sum, rounded), side by side: the total
    /// and a draw's search read these alone, a cache line for eight bins.
    values: Vec<f64>,
    bins: Vec<Bin>,
}

/// One exponent bin: changing a weight within its bin, the most common
/// update, touches only its item, its bin and its value.
#[derive(Clone, Default)]
struct Bin {
    /// The exact sum of its members' significands.
    sum: u128,
    /// Its items. A draw reads a candidate's significand from its weight, so
    /// that a change within the bin writes nothing here.
    members: Vec<u32>,
}

impl Composition {
    pub(super) fn new(len: usize) -> Composition {
        Composition { items: vec![Item::default(); len], low: 0, values: Vec::new(), bins: Vec::new() }
    }

    /// The sum of the weights, from the bins' values in a fixed order (each
    /// the exact sum rounded at most twice).
    pub(super) fn total(&self) -> f64 {
        self.values.iter().sum()
    }

    /// Inlined for the common change, within one bin; a move between bins
    /// is out of line.
    #[inline]
    pub(super) fn set(&mut self, i: usize, w: f64) {
        let old = self.items[i].weight;
        // Both normal with one exponent: one bin, and each significand is
        // what `split` gives, without its test for a subnormal.
        let exponent = old.to_bits() >> 52;
        if old > 0.0 && w > 0.0 && exponent == w.to_bits() >> 52 && exponent != 0 {
            let old_m = normal_significand(old.to_bits());
            let new_m = normal_significand(w.to_bits());
            self.items[i].weight = w;
            let k = (exponent as u32 - self.low) as usize;
            let bin = &mut self.bins[k];
            bin.sum = bin.sum - u128::from(old_m) + u128::from(new_m);
            self.values[k] = value(exponent as u32, bin.sum);
            return;
        }
        self.move_between_bins(i, old, w);
    }

    #[inline(never)]
    fn move_between_bins(&mut self, i: usize, old: f64, w: f64) {
        self.items[i].weight = w;
        if old > 0.0 {
            self.remove(i, old);
        }
        if w > 0.0 {
            self.insert(i, w);
        }
    }

    fn remove(&mut self, i: usize, w: f64) {
        let (bin, m) = split(w);
        let k = (bin - self.low) as usize;
        let j = self.items[i].place as usize;
        let slot = &mut self.bins[k];
        slot.members.swap_remove(j);
        if let Some(&moved) = slot.members.get(j) {
            self.items[moved as usize].place = j as u32;
        }
        slot.sum -= u128::from(m);
        self.values[k] = value(bin, slot.sum);
    }

    fn insert(&mut self, i: usize, w: f64) {
        let (bin, m) = split(w);
        let k = self.bin_index(bin);
        let slot = &mut self.bins[k];
        self.items[i].place = slot.members.len() as u32;
        slot.members.push(i as u32);
        slot.sum += u128::from(m);
        self.values[k] = value(bin, slot.sum);
    }

    /// The index of exponent bin `bin`, widening the range of bins to it.
    fn bin_index(&mut self, bin: u32) -> usize {
        if self.bins.is_empty() {
            self.low = bin;
        }
        if bin < self.low {
            let grow = (self.low - bin) as usize;
            self.bins.splice(0..0, std::iter::repeat_n(Bin::default(), grow));
            self.values.splice(0..0, std::iter::repeat_n(0.0, grow));
            self.low = bin;
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
    pub(super) fn sample(&self, total: f64, rng: &mut Xoshiro256PlusPlus) -> usize {
        let mut x = super::uniform(rng) * total;
        // From the heaviest exponent down: the top bins usually hold most of
        // the weight, so the search ends soonest. If rounding carries `x`
        // past every bin, the lightest non-empty bin is taken.
        let mut k = usize::MAX;
        for (j, &v) in self.values.iter().enumerate().rev() {
            if v > 0.0 {
                k = j;
                if x <= v {
                    break;
                }
                x -= v;
            }
        }
        let members = &self.bins[k].members;
        loop {
            let candidate = members[below(rng, members.len() as u64) as usize] as usize;
            let (_, significand) = split(self.items[candidate].weight);
            // Accepted with probability m / 2^53 = w / (the bin's bound 2^(bin - 1022)).
            if rng.next_u64() >> 11 < significand {
                return candidate;
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::SeedableRng;

    #[test]
    fn split_gives_the_weight_back_exactly() {
        for w in [1.0, 0.75, 3.0e-7, 1.5e300, f64::MIN_POSITIVE, 5e-324, 1e-310, 123456.789] {
            let (bin, m) = split(w);
            assert!(m < 1 << 53);
            assert_eq!(value(bin, u128::from(m)), w, "{w}");
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
            let scale = 2f64.powi(-52) * f64::from_bits(1000u64 << 52);
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
        assert_eq!(c.items[0].weight, 0.0);
        // A million changes of one weight leave the total exact.
        for j in 0..1_000_000 {
            c.set(3, 1.0 + f64::from(j) * 1e-7);
        }
        c.set(3, 2.0);
        assert_eq!(c.total(), 1e-9 + 2.0 + 1.5e6);
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
        let draws = 400_000;
        let mut counts = [0u32; 10];
        for _ in 0..draws {
            counts[c.sample(total, &mut rng)] += 1;
        }
        for (i, &w) in weights.iter().enumerate() {
            let p = w / total;
            let expected = p * f64::from(draws);
            let se = (f64::from(draws) * p * (1.0 - p)).sqrt();
            assert!(
                (f64::from(counts[i]) - expected).abs() <= 5.0 * se.max(1.0),
                "item {i}: {} draws, {expected:.0} expected",
                counts[i]
            );
        }
        assert_eq!(counts[1] + counts[5], 0, "zero weights are never drawn");
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
