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
//! - Where Cranelift compiles for the host, the event is the network's own
//!   machine code (`jit.rs`), which computes what this loop's table of
//!   terms does, bit for bit, in 229 instructions an event on multistate.
//!
//! Variants that cut the instructions further ran slower, because LLVM then
//! kept the running total in memory or packed pairs of sums into vectors:
//! reactions laid out in pairs (multistate 14.8 M events/s against 19), and
//! running sums kept across events with every reaction's changes padded to
//! four (5.2).
//!
//! [`RECOMPUTE_ALL_MAX_REACTIONS`]: super::RECOMPUTE_ALL_MAX_REACTIONS

use rand_xoshiro::Xoshiro256PlusPlus;

use super::super::{Halt, MAX_COUNT, Sampler, Ssa, Trajectory, exponential, uniform};
use super::RECOMPUTE_ALL_MAX_REACTIONS;
use super::jit::NONE;
use super::{Table, Term, choose_branch_free, running_sums, step};
use crate::sim::kinetics::Kinetics;

/// The length of the count array: every `u8` index is in range.
pub(super) const SLOTS: usize = 256;

/// The most species the loop takes: the slot after them holds the constant 1.
pub(super) const MAX_SPECIES: usize = SLOTS - 1;

/// Whether `kin` is small enough for this loop (its reactions' shapes aside).
pub(super) fn fits(kin: &Kinetics) -> bool {
    kin.reactions() <= RECOMPUTE_ALL_MAX_REACTIONS && kin.species <= MAX_SPECIES
}

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
    /// the drawn target never exceeds, so they are never chosen. The network's
    /// machine code fires and chooses when it has one, else its terms do:
    /// the same sums and choices either way.
    fn direct_padded<const R: usize>(
        &self,
        table: &Table,
        terms: &[Term],
        n0: &[i64],
        times: &[f64],
        events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        if let Some(rates) = &table.rates {
            return self.direct_loop(n0, times, events, rng, |n, reaction, u| {
                rates.fire_then_choose(n, reaction, u)
            });
        }
        let species = n0.len();
        assert!(terms.len() <= R && species <= MAX_SPECIES, "the caller checks the sizes");
        let slot = |s: u32| u8::try_from(s).expect("the caller checks the sizes");
        let one = slot(species as u32);
        let mut padded = [FloatTerm { c: 0.0, shift: 0.0, p: one, q: one }; R];
        for (float, term) in padded.iter_mut().zip(terms) {
            *float = FloatTerm { c: term.c, shift: term.shift as f64, p: slot(term.p), q: slot(term.q) };
        }
        let (mut a, mut cumulative) = ([0.0; R], [0.0; R]);
        self.direct_loop(n0, times, events, rng, |n, reaction, u| {
            if *reaction != NONE {
                for &(s, d) in table.changes(*reaction as usize) {
                    let count = &mut n[usize::from(s as u8)];
                    *count += f64::from(d);
                    if *count > MAX_COUNT as f64 {
                        return Err(s as usize);
                    }
                }
            }
            for (ar, term) in a.iter_mut().zip(&padded) {
                *ar = term.propensity(n);
            }
            let a0 = running_sums(&a, &mut cumulative);
            *reaction = choose_branch_free(&cumulative, u * a0) as u32;
            Ok(a0)
        })
    }

    /// The direct method on float counts. `fire_then_choose(n, reaction,
    /// u)` fires `*reaction` (none at [`NONE`]), then puts the next one, at
    /// fraction `u` of the total propensity, in `*reaction`: the total, or
    /// the species whose count passed [`MAX_COUNT`]. So a chosen reaction
    /// fires at the start of the next event, after the counts before it have
    /// been recorded at the sample times its waiting time passed, and not at
    /// all when the run ends there.
    ///
    /// Both random numbers of an event are drawn before its propensities,
    /// the exponential first, so the stream is the other loops' for every
    /// event that fires (at the very end, one or two numbers more are drawn).
    #[inline(always)]
    fn direct_loop(
        &self,
        n0: &[i64],
        times: &[f64],
        mut events: u64,
        rng: &mut Xoshiro256PlusPlus,
        mut fire_then_choose: impl FnMut(&mut [f64; SLOTS], &mut u32, f64) -> Result<f64, usize>,
    ) -> Result<Trajectory, Halt> {
        let species = n0.len();
        let mut n = [0.0; SLOTS];
        for (x, &count) in n.iter_mut().zip(n0) {
            *x = count as f64;
        }
        n[species] = 1.0;
        // The counts as the sampler records them, refreshed at sample times only.
        let mut counts = n0.to_vec();
        let mut out = Sampler::new(times, species);
        let Some(mut due) = out.due() else { return Ok(out.finish(n0, events)) };
        // The generator's state in a local the loop can keep in registers.
        let mut local = rng.clone();
        let mut t = 0.0;
        let mut reaction = NONE;
        let stopped = loop {
            let wait = exponential(&mut local);
            let u = uniform(&mut local);
            let a0 = match fire_then_choose(&mut n, &mut reaction, u) {
                Ok(a0) => a0,
                Err(species) => break Err(Halt::Count { species, time: t }),
            };
            let record = |out: &mut Sampler<'_>, t| {
                read_counts(&n, &mut counts);
                out.advance(t, &counts);
            };
            if a0 <= 0.0 || !step(&mut t, wait / a0, &mut due, &mut out, record) {
                break Ok(());
            }
            if events >= self.max_events {
                break Err(Halt::Events { time: t });
            }
            events += 1;
        };
        *rng = local;
        stopped?;
        read_counts(&n, &mut counts);
        Ok(out.finish(&counts, events))
    }
}

fn read_counts(n: &[f64; SLOTS], counts: &mut [i64]) {
    for (count, &x) in counts.iter_mut().zip(n) {
        *count = x as i64;
    }
}
