//! The direct method's smallest networks (issue 14's birth-death and
//! multistate): at most [`RECOMPUTE_ALL_MAX_REACTIONS`] reactions of at most
//! two reactant molecules, at most [`MAX_SPECIES`] species. Here the loop
//! does little besides arithmetic, so what is not arithmetic shows: on
//! multistate the general loop ran 700 instructions an event (rebop's macro
//! code 195), this one 485, and 1.24x as many events a second.
//!
//! - The counts are floats in a fixed array: a propensity reads them without
//!   a conversion, and an index that is a `u8` needs no bounds check. Counts
//!   stay below [`MAX_COUNT`] = 2^52, where every whole number is a float,
//!   so the propensities are bit for bit the general loop's and so is the
//!   trajectory.
//! - The number of reactions is a constant of the compiled loop (padded up
//!   to one of a few sizes with reactions of rate 0).
//!
//! Variants that cut the instructions further ran slower, because LLVM then
//! kept the running total in memory or packed pairs of sums into vectors:
//! reactions laid out in pairs (multistate 14.8 M events/s against 19), and
//! running sums kept across events with every reaction's changes padded to
//! four (5.2).
//!
//! [`RECOMPUTE_ALL_MAX_REACTIONS`]: super::RECOMPUTE_ALL_MAX_REACTIONS

use rand_xoshiro::Xoshiro256PlusPlus;

use super::super::{Halt, MAX_COUNT, Sampler, Ssa, Trajectory, uniform};
use super::{Table, Term, choose_branch_free, step};

/// The length of the count array: every `u8` index is in range.
const SLOTS: usize = 256;

/// The most species the loop takes: the slot after them holds the constant 1.
pub(super) const MAX_SPECIES: usize = SLOTS - 1;

/// A [`Term`] over float counts: c · n[p] · max(n[q] − shift, 0).
#[derive(Clone, Copy)]
struct FloatTerm {
    c: f64,
    shift: f64,
    p: u8,
    q: u8,
}

impl FloatTerm {
    #[inline(always)]
    fn propensity(self, n: &[f64; SLOTS]) -> f64 {
        let m = n[usize::from(self.q)] - self.shift;
        // Written as a comparison, not `f64::max`, so that it is one
        // instruction: m is never NaN.
        self.c * n[usize::from(self.p)] * if m > 0.0 { m } else { 0.0 }
    }
}

impl Ssa<'_> {
    /// The direct method on float counts; `terms` has at most
    /// [`RECOMPUTE_ALL_MAX_REACTIONS`](super::RECOMPUTE_ALL_MAX_REACTIONS)
    /// reactions and the network at most [`MAX_SPECIES`] species.
    pub(super) fn direct_small(
        &self,
        table: &Table,
        terms: &[Term],
        n0: &[i64],
        times: &[f64],
        events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        match terms.len() {
            0..=2 => self.direct_padded::<2>(table, terms, n0, times, events, rng),
            3..=4 => self.direct_padded::<4>(table, terms, n0, times, events, rng),
            5..=8 => self.direct_padded::<8>(table, terms, n0, times, events, rng),
            9..=12 => self.direct_padded::<12>(table, terms, n0, times, events, rng),
            13..=16 => self.direct_padded::<16>(table, terms, n0, times, events, rng),
            17..=20 => self.direct_padded::<20>(table, terms, n0, times, events, rng),
            _ => self.direct_padded::<24>(table, terms, n0, times, events, rng),
        }
    }

    /// The loop with `R` reactions, the network's first and the rest of
    /// rate 0 on the constant slot: their running sums equal the total, which
    /// the drawn target never exceeds, so they are never chosen.
    fn direct_padded<const R: usize>(
        &self,
        table: &Table,
        terms: &[Term],
        n0: &[i64],
        times: &[f64],
        mut events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        let species = n0.len();
        assert!(terms.len() <= R && species <= MAX_SPECIES, "the caller checks the sizes");
        let slot = |s: u32| u8::try_from(s).expect("the caller checks the sizes");
        let one = slot(species as u32);
        let mut padded = [FloatTerm { c: 0.0, shift: 0.0, p: one, q: one }; R];
        for (float, term) in padded.iter_mut().zip(terms) {
            *float = FloatTerm { c: term.c, shift: term.shift as f64, p: slot(term.p), q: slot(term.q) };
        }
        let mut n = [0.0; SLOTS];
        for (x, &count) in n.iter_mut().zip(n0) {
            *x = count as f64;
        }
        n[species] = 1.0;
        // The counts as the sampler records them, refreshed at sample times only.
        let mut counts = n0.to_vec();
        let mut out = Sampler::new(times, species);
        let Some(mut due) = out.due() else { return Ok(out.finish(n0, events)) };
        let mut t = 0.0;
        loop {
            let mut cumulative = [0.0; R];
            let mut a0 = 0.0;
            for (term, sum) in padded.iter().zip(&mut cumulative) {
                a0 += term.propensity(&n);
                *sum = a0;
            }
            let record = |out: &mut Sampler<'_>, t| {
                read_counts(&n, &mut counts);
                out.advance(t, &counts);
            };
            if a0 <= 0.0 || !step(&mut t, a0, &mut due, &mut out, rng, record) {
                break;
            }
            let chosen = choose_branch_free(&cumulative, uniform(rng) * a0);
            if events >= self.max_events {
                return Err(Halt::Events { time: t });
            }
            events += 1;
            for &(s, d) in table.changes(chosen) {
                let count = &mut n[usize::from(s as u8)];
                *count += f64::from(d);
                if *count > MAX_COUNT as f64 {
                    return Err(Halt::Count { species: s as usize, time: t });
                }
            }
        }
        read_counts(&n, &mut counts);
        Ok(out.finish(&counts, events))
    }
}

fn read_counts(n: &[f64; SLOTS], counts: &mut [i64]) {
    for (count, &x) in counts.iter_mut().zip(n) {
        *count = x as i64;
    }
}
