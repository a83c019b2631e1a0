//! Rejection-based SSA (RSSA; Thanh, Priami & Zunino 2014), exact.
//!
//! Each species has a fluctuation interval around its count, and each
//! reaction an upper and a lower propensity bound over those intervals
//! (mass-action propensities grow with every reactant count). A candidate is
//! drawn in proportion to its upper bound and accepted with probability
//! a/ā, where the lower bound usually decides without computing a at all.
//! Bounds are recomputed only for reactions of a species that leaves its
//! interval, which is rare: the cost per event hardly grows with how many
//! reactions a species takes part in, unlike the direct and next-reaction
//! methods, which update every dependent propensity at every event.
//!
//! Candidates are drawn by composition-rejection over the upper bounds
//! ([`Composition`]), whose draw costs about the same whatever the number of
//! reactions; the draw's own acceptance variate, uniform below the
//! candidate's bound, is the trial's. A sum tree, log2(M) dependent loads
//! and unpredictable branches a draw, took twice as long an event on
//! egfr_net and BCR (`cargo bench --bench ssa`).

use rand_xoshiro::Xoshiro256PlusPlus;

use super::composition::Composition;
use super::{Halt, Sampler, Ssa, Trajectory, exponential};

/// Half-width of a species' fluctuation interval, relative to its count.
const DELTA: f64 = 0.1;

/// The interval of a count. An absent species gets [0, 0]: a wider one would
/// give every reaction needing it a positive upper bound, and networks with
/// thousands of such reactions (fceri_gamma2) would reject nearly every
/// candidate.
fn interval(n: i64) -> (i64, i64) {
    if n == 0 {
        return (0, 0);
    }
    let half = ((n as f64 * DELTA) as i64).max(1);
    ((n - half).max(0), n + half)
}

impl Ssa<'_> {
    pub(super) fn rejection(
        &self,
        n0: &[i64],
        times: &[f64],
        mut events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        let kin = self.kin;
        let m = kin.reactions();
        let mut n = n0.to_vec();
        let mut out = Sampler::new(times, n.len());
        let (mut lo, mut hi): (Vec<i64>, Vec<i64>) = n.iter().map(|&x| interval(x)).unzip();
        let mut candidates = Composition::strict(m);
        for r in 0..m {
            candidates.set(r, self.mass_action(r, &hi));
        }
        let mut lower: Vec<f64> = (0..m).map(|r| self.mass_action(r, &lo)).collect();
        let mut t = 0.0;
        // The bounds change only when a species leaves its interval: the
        // total is summed again only then.
        let mut total = candidates.total();
        'events: loop {
            if total <= 0.0 {
                break;
            }
            // Every trial, accepted or not, advances time by Exp(1)/ā0, and the
            // state holds still over rejections: the samples a trial passes are
            // taken there. Rejections can go on for ever (a species at 0 inside
            // its interval keeps its reactions' upper bounds positive), so the
            // last sample time ends them too.
            let chosen = loop {
                // `r` is uniform below j's upper bound.
                let (j, r) = candidates.sample_with_rest(total, rng);
                t += exponential(rng) / total;
                if !out.advance(t, &n) {
                    break 'events;
                }
                if r < lower[j] || r < self.mass_action(j, &n) {
                    break j;
                }
            };
            let changes = kin.changes(chosen);
            self.apply(changes, &mut n, &mut events, t)?;
            let mut rebounded = false;
            for &(s, _) in changes {
                let s = s as usize;
                if n[s] < lo[s] || n[s] > hi[s] {
                    (lo[s], hi[s]) = interval(n[s]);
                    // A reaction of two species that both leave is bounded
                    // twice, the second time with both new intervals: rarer
                    // and cheaper than gathering the stale reactions first
                    // (4 % fewer instructions an event on multisite2).
                    for &j in self.consumers_of(s) {
                        let j = j as usize;
                        candidates.set(j, self.mass_action(j, &hi));
                        lower[j] = self.mass_action(j, &lo);
                    }
                    rebounded = true;
                }
            }
            if rebounded {
                total = candidates.total();
            }
        }
        Ok(out.finish(&n, events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_contain_the_count_and_never_go_negative() {
        for n in [0, 1, 3, 10, 100, 12345] {
            let (lo, hi) = interval(n);
            assert!(lo <= n && n <= hi && lo >= 0, "{n}: [{lo}, {hi}]");
            assert_eq!(hi > n, n > 0, "only an absent species has no room to grow");
        }
    }
}
