//! The random stream of the built-in generators, fixed so that one seed gives
//! the same data on every machine:
//!
//! - Xoshiro256++ seeded from the `u64` seed by SplitMix64 (rand_xoshiro's
//!   `seed_from_u64`); part k of a generated task (0 train, 1 validation,
//!   2 test) starts after k jumps of 2^128 steps, so each part is the same
//!   whatever size the others have.
//! - A uniform number in [0, 1) is the top 53 bits of one `next_u64` times
//!   2^-53; in [a, b) it is a + (b - a)·u.
//! - A standard normal is Box-Muller's cosine branch, √(−2 ln(1 − u₁))·cos(2π u₂)
//!   from two uniforms in that order (the sine branch is dropped, so every
//!   normal costs two draws and no state is carried).
//! - An index below n is `next_u64 mod n`, redrawn above the largest multiple
//!   of n (no bias); a shuffle is Fisher-Yates from the last element down.
//!
//! ln, cos and sin come from the `libm` crate (a Rust port of musl's), not
//! from the platform's C library, whose last bits differ between systems.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};

pub(crate) struct Stream(Xoshiro256PlusPlus);

impl Stream {
    /// Part `part` of the stream of `seed`.
    pub(crate) fn new(seed: u64, part: u32) -> Stream {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..part {
            rng.jump();
        }
        Stream(rng)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [low, high).
    pub(crate) fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Standard normal.
    pub(crate) fn normal(&mut self) -> f64 {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let radius = libm::sqrt(-2.0 * libm::log(1.0 - self.unit()));
        radius * libm::cos(std::f64::consts::TAU * self.unit())
    }

    /// Uniform in 0..n (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        // u64::MAX - u64::MAX % n values are a whole number of blocks of n.
        let limit = u64::MAX - u64::MAX % n;
        loop {
            let x = self.0.next_u64();
            if x < limit {
                return (x % n) as usize;
            }
        }
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Stream;

    #[test]
    fn the_stream_is_pinned() {
        // Any change to seeding, jumps or the uniform mapping changes every
        // generated data set: it must be deliberate (and in docs/data.md).
        let mut s = Stream::new(0, 0);
        let first: Vec<f64> = (0..3).map(|_| s.unit()).collect();
        let mut v = Stream::new(0, 1);
        let jumped = v.unit();
        assert_eq!(
            format!("{first:?} {jumped:?}"),
            "[0.3245752680314067, 0.38223929651167343, 0.3596172076473553] 0.1290255932431148"
        );
    }

    #[test]
    fn uniform_draws_fill_their_interval() {
        let mut s = Stream::new(7, 0);
        let draws: Vec<f64> = (0..100_000).map(|_| s.uniform(-1.0, 3.0)).collect();
        assert!(draws.iter().all(|&x| (-1.0..3.0).contains(&x)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        // sd of the mean: 4/√12/√1e5 ≈ 0.0037.
        assert!((mean - 1.0).abs() < 0.02, "{mean}");
        // Every quarter of the interval gets about a quarter of the draws.
        for q in 0..4 {
            let low = -1.0 + q as f64;
            let share = draws.iter().filter(|&&x| x >= low && x < low + 1.0).count() as f64 / 1e5;
            assert!((share - 0.25).abs() < 0.01, "quarter {q}: {share}");
        }
    }

    #[test]
    fn normal_draws_have_the_moments_and_tails_of_a_standard_normal() {
        let mut s = Stream::new(11, 0);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let kurt = draws.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64 / (var * var) - 3.0;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
        assert!(kurt.abs() < 0.05, "excess kurtosis {kurt}");
        // P(|z| > 1.96) = 5 %.
        let tail = draws.iter().filter(|x| x.abs() > 1.96).count() as f64 / n as f64;
        assert!((tail - 0.05).abs() < 0.003, "tail {tail}");
    }

    #[test]
    fn indices_are_uniform_and_a_shuffle_is_a_permutation() {
        let mut s = Stream::new(3, 0);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[s.below(6)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_500..10_500).contains(&c)), "{counts:?}");
        let mut items: Vec<usize> = (0..50).collect();
        s.shuffle(&mut items);
        assert_ne!(items, (0..50).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }
}
