//! Exact stochastic simulation (Gillespie): the direct method for small
//! networks; for large ones the rejection-based method ([`rejection`]), whose
//! cost per event hardly depends on the network, and the next-reaction method
//! (Gibson & Bruck; dependency graph and indexed priority queue), whose cost
//! grows with the number of reactions an event affects.
//!
//! Counts: n_i = x_i · Ω for concentration species and n_i = the amount for
//! amount species, where Ω is the network volume (molecules per unit volume;
//! set `volume = N_A · V` for mol/L). Propensities follow domain.md §1.3.
//! Trajectory i uses the random stream seeded from `seed + i`, so results do
//! not depend on the thread count.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rayon::prelude::*;

mod rejection;

use super::kinetics::Kinetics;
use crate::crn::Crn;
use crate::ir::Quantity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsaMethod {
    /// Direct for up to [`DIRECT_MAX_REACTIONS`] reactions; above, rejection-based
    /// unless hub species make the next-reaction method faster ([`REJECTION_MAX_CONSUMERS`]).
    Auto,
    Direct,
    NextReaction,
    /// Rejection-based SSA with propensity bounds (see [`rejection`]).
    Rejection,
}

/// Above this many reactions `Auto` leaves the direct method.
pub const DIRECT_MAX_REACTIONS: usize = 48;

/// `Auto` prefers the rejection-based method unless some species is a
/// reactant of more reactions than this: each time such a hub leaves its
/// fluctuation interval every one of its reactions is re-bounded, and on
/// fceri_gamma2 (hubs in 2,000-3,600 reactions) that made the rejection
/// method 10x slower than the next-reaction method (2e4 against 3e5 events/s),
/// while on egfr_net (at most 262) it is 3-5x faster.
pub const REJECTION_MAX_CONSUMERS: usize = 1024;

#[derive(Clone, Debug, PartialEq)]
pub enum SsaError {
    /// A species' initial count is not a whole number.
    NotInteger { species: String, count: f64 },
    /// A species' initial count does not fit the simulator's integer counts.
    TooLarge { species: String, count: f64 },
}

impl std::fmt::Display for SsaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SsaError::NotInteger { species, count } => write!(
                f,
                "the initial count of `{species}` is {count}, not a whole number of molecules (SSA counts \
                 molecules: count = concentration x volume, or the amount for `species amount`)"
            ),
            SsaError::TooLarge { species, count } => {
                write!(f, "the initial count of `{species}` ({count}) is too large for exact simulation")
            }
        }
    }
}

/// Initial molecule counts; a non-integer count is an error, never rounded.
pub fn initial_counts(crn: &Crn) -> Result<Vec<i64>, SsaError> {
    crn.species
        .iter()
        .map(|s| {
            let count = match s.quantity {
                Quantity::Amount => s.initial,
                Quantity::Concentration => s.initial * crn.volume,
            };
            // Concentrations times a volume pick up rounding noise (0.1 * 30 = 3.0000000000000004).
            let rounded = count.round();
            if (count - rounded).abs() > 1e-9 * rounded.abs().max(1.0) {
                return Err(SsaError::NotInteger { species: s.name.clone(), count });
            }
            if rounded > 2f64.powi(52) {
                return Err(SsaError::TooLarge { species: s.name.clone(), count });
            }
            Ok(rounded as i64)
        })
        .collect()
}

/// One trajectory sampled at given times.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// `samples[t * species + i]`: count of species i at time index t.
    pub samples: Vec<i64>,
    pub events: u64,
}

/// Stochastic rate constants c_r = k_r · Ω^(1 - m_r).
fn stochastic_constants(kin: &Kinetics, omega: f64) -> Vec<f64> {
    kin.k.iter().zip(&kin.order).map(|(&k, &m)| k * omega.powi(1 - m as i32)).collect()
}

#[inline]
fn propensity(kin: &Kinetics, c: &[f64], r: usize, n: &[i64]) -> f64 {
    let mut a = c[r];
    for &(s, alpha) in kin.reactants(r) {
        let ns = n[s as usize];
        if ns < i64::from(alpha) {
            return 0.0;
        }
        a *= falling_factorial(ns, alpha);
    }
    a
}

/// n(n-1)...(n-α+1): ordered tuples of α distinct molecules. Each factor is
/// converted before multiplying, so the product is right to f64 precision at
/// every count (in integers, n(n-1) wraps past about 3.04e9 molecules).
#[inline]
fn falling_factorial(n: i64, alpha: u32) -> f64 {
    match alpha {
        1 => n as f64,
        2 => n as f64 * (n - 1) as f64,
        _ => (0..i64::from(alpha)).map(|j| (n - j) as f64).product(),
    }
}

/// Uniform in (0, 1]: never 0, so its logarithm is finite.
#[inline]
fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[inline]
fn exponential(rng: &mut Xoshiro256PlusPlus) -> f64 {
    -uniform(rng).ln()
}

/// A compiled SSA problem, shared by all trajectories.
pub struct Ssa<'k> {
    kin: &'k Kinetics,
    c: Vec<f64>,
    dep_start: Vec<usize>,
    deps: Vec<u32>,
    /// For each species, the reactions it is a reactant of.
    consumer_start: Vec<usize>,
    consumers: Vec<u32>,
    method: SsaMethod,
}

/// Species -> the reactions with that species among their reactants.
fn consumers(kin: &Kinetics) -> (Vec<usize>, Vec<u32>) {
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); kin.species];
    for r in 0..kin.reactions() {
        for &(s, _) in kin.reactants(r) {
            lists[s as usize].push(r as u32);
        }
    }
    let mut start = vec![0];
    let mut flat = Vec::new();
    for list in lists {
        flat.extend(list);
        start.push(flat.len());
    }
    (start, flat)
}

impl<'k> Ssa<'k> {
    pub fn new(kin: &'k Kinetics, omega: f64, method: SsaMethod) -> Ssa<'k> {
        let (dep_start, deps) = kin.dependency_graph();
        let (consumer_start, consumers) = consumers(kin);
        let widest = consumer_start.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let method = match method {
            SsaMethod::Auto if kin.reactions() <= DIRECT_MAX_REACTIONS => SsaMethod::Direct,
            SsaMethod::Auto if widest > REJECTION_MAX_CONSUMERS => SsaMethod::NextReaction,
            SsaMethod::Auto => SsaMethod::Rejection,
            m => m,
        };
        Ssa { kin, c: stochastic_constants(kin, omega), dep_start, deps, consumer_start, consumers, method }
    }

    pub fn method(&self) -> SsaMethod {
        self.method
    }

    fn consumers_of(&self, species: usize) -> &[u32] {
        &self.consumers[self.consumer_start[species]..self.consumer_start[species + 1]]
    }

    fn dependents(&self, r: usize) -> &[u32] {
        &self.deps[self.dep_start[r]..self.dep_start[r + 1]]
    }

    fn fire(&self, r: usize, n: &mut [i64]) {
        for &(s, d) in self.kin.changes(r) {
            n[s as usize] += i64::from(d);
        }
    }

    /// Trajectory from counts `n0`, sampled at `times` (ascending, from 0).
    pub fn run(&self, n0: &[i64], times: &[f64], seed: u64) -> Trajectory {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        match self.method {
            SsaMethod::Direct | SsaMethod::Auto => self.direct(n0, times, &mut rng),
            SsaMethod::NextReaction => self.next_reaction(n0, times, &mut rng),
            SsaMethod::Rejection => self.rejection(n0, times, &mut rng),
        }
    }

    fn direct(&self, n0: &[i64], times: &[f64], rng: &mut Xoshiro256PlusPlus) -> Trajectory {
        let mut n = n0.to_vec();
        let mut out = Sampler::new(times, n.len());
        let m = self.kin.reactions();
        let mut a: Vec<f64> = (0..m).map(|r| propensity(self.kin, &self.c, r, &n)).collect();
        let mut t = 0.0;
        let mut events = 0;
        loop {
            // Summed afresh each event: exact, and as cheap as the search for small networks.
            let a0: f64 = a.iter().sum();
            if a0 <= 0.0 {
                break;
            }
            t += exponential(rng) / a0;
            if !out.advance(t, &n) {
                break;
            }
            let target = uniform(rng) * a0;
            let mut acc = 0.0;
            let mut chosen = m - 1;
            for (r, &ar) in a.iter().enumerate() {
                acc += ar;
                if target <= acc && ar > 0.0 {
                    chosen = r;
                    break;
                }
            }
            // Rounding can leave `target` a hair above the sum: take the last active reaction.
            if a[chosen] <= 0.0 {
                chosen = a.iter().rposition(|&x| x > 0.0).expect("a0 > 0");
            }
            self.fire(chosen, &mut n);
            events += 1;
            for &j in self.dependents(chosen) {
                a[j as usize] = propensity(self.kin, &self.c, j as usize, &n);
            }
        }
        out.finish(&n, events)
    }

    fn next_reaction(&self, n0: &[i64], times: &[f64], rng: &mut Xoshiro256PlusPlus) -> Trajectory {
        let mut n = n0.to_vec();
        let mut out = Sampler::new(times, n.len());
        let m = self.kin.reactions();
        let mut a: Vec<f64> = (0..m).map(|r| propensity(self.kin, &self.c, r, &n)).collect();
        let tau: Vec<f64> =
            a.iter().map(|&ar| if ar > 0.0 { exponential(rng) / ar } else { f64::INFINITY }).collect();
        let mut queue = IndexedHeap::new(tau);
        let mut events = 0;
        loop {
            let (mu, t) = queue.min();
            if !t.is_finite() || !out.advance(t, &n) {
                break;
            }
            self.fire(mu, &mut n);
            events += 1;
            for &j in self.dependents(mu) {
                let j = j as usize;
                let old = a[j];
                let new = propensity(self.kin, &self.c, j, &n);
                a[j] = new;
                let next = if new <= 0.0 {
                    f64::INFINITY
                } else if j == mu || old <= 0.0 {
                    t + exponential(rng) / new
                } else {
                    // Gibson-Bruck: rescale the unused waiting time instead of drawing anew.
                    t + (old / new) * (queue.key(j) - t)
                };
                queue.update(j, next);
            }
        }
        out.finish(&n, events)
    }
}

/// Records the state at each sample time as the simulation passes it.
struct Sampler<'t> {
    times: &'t [f64],
    next: usize,
    species: usize,
    samples: Vec<i64>,
}

impl<'t> Sampler<'t> {
    fn new(times: &'t [f64], species: usize) -> Sampler<'t> {
        Sampler { times, next: 0, species, samples: Vec::with_capacity(times.len() * species) }
    }

    /// Records every sample time before `t` (the next event); false once all are taken.
    #[inline]
    fn advance(&mut self, t: f64, n: &[i64]) -> bool {
        while self.next < self.times.len() && self.times[self.next] < t {
            self.samples.extend_from_slice(n);
            self.next += 1;
        }
        self.next < self.times.len()
    }

    fn finish(mut self, n: &[i64], events: u64) -> Trajectory {
        while self.next < self.times.len() {
            self.samples.extend_from_slice(n);
            self.next += 1;
        }
        debug_assert_eq!(self.samples.len(), self.times.len() * self.species);
        Trajectory { samples: self.samples, events }
    }
}

/// A binary min-heap over reactions keyed by firing time, with positions so
/// that any key can be changed in O(log M).
struct IndexedHeap {
    heap: Vec<u32>,
    pos: Vec<u32>,
    key: Vec<f64>,
}

impl IndexedHeap {
    fn new(key: Vec<f64>) -> IndexedHeap {
        let m = key.len();
        let mut h = IndexedHeap { heap: (0..m as u32).collect(), pos: (0..m as u32).collect(), key };
        for i in (0..m / 2).rev() {
            h.down(i);
        }
        h
    }

    fn min(&self) -> (usize, f64) {
        match self.heap.first() {
            Some(&r) => (r as usize, self.key[r as usize]),
            None => (0, f64::INFINITY),
        }
    }

    fn key(&self, r: usize) -> f64 {
        self.key[r]
    }

    fn update(&mut self, r: usize, key: f64) {
        let old = self.key[r];
        self.key[r] = key;
        let i = self.pos[r] as usize;
        if key < old { self.up(i) } else { self.down(i) }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.heap.swap(i, j);
        self.pos[self.heap[i] as usize] = i as u32;
        self.pos[self.heap[j] as usize] = j as u32;
    }

    fn less(&self, i: usize, j: usize) -> bool {
        self.key[self.heap[i] as usize] < self.key[self.heap[j] as usize]
    }

    fn up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.less(i, parent) {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    fn down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut smallest = i;
            if l < n && self.less(l, smallest) {
                smallest = l;
            }
            if r < n && self.less(r, smallest) {
                smallest = r;
            }
            if smallest == i {
                break;
            }
            self.swap(i, smallest);
            i = smallest;
        }
    }
}

/// Per-time, per-species statistics over trajectories.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleStats {
    /// `mean[t * species + i]`, likewise for the others.
    pub mean: Vec<f64>,
    /// Sample standard deviation (N - 1 denominator).
    pub sd: Vec<f64>,
    /// Sample excess kurtosis m4/m2² - 3 (NaN where m2 = 0).
    pub kurtosis: Vec<f64>,
    pub events: u64,
}

/// `trajectories` runs in parallel; trajectory i is seeded with `seed + i`.
pub fn ensemble(ssa: &Ssa<'_>, n0: &[i64], times: &[f64], seed: u64, trajectories: usize) -> Vec<Trajectory> {
    (0..trajectories as u64).into_par_iter().map(|i| ssa.run(n0, times, seed.wrapping_add(i))).collect()
}

/// Moments in trajectory order, so the result is the same on any thread count.
pub fn statistics(runs: &[Trajectory]) -> EnsembleStats {
    let len = runs.first().map_or(0, |r| r.samples.len());
    let count = runs.len() as f64;
    let mut stats = EnsembleStats {
        mean: vec![0.0; len],
        sd: vec![0.0; len],
        kurtosis: vec![0.0; len],
        events: runs.iter().map(|r| r.events).sum(),
    };
    for k in 0..len {
        let mean = runs.iter().map(|r| r.samples[k] as f64).sum::<f64>() / count;
        let (mut m2, mut m4) = (0.0, 0.0);
        for r in runs {
            let d = r.samples[k] as f64 - mean;
            m2 += d * d;
            m4 += d * d * d * d;
        }
        stats.mean[k] = mean;
        stats.sd[k] = if runs.len() > 1 { (m2 / (count - 1.0)).sqrt() } else { f64::NAN };
        let (m2, m4) = (m2 / count, m4 / count);
        stats.kurtosis[k] = if m2 > 0.0 { m4 / (m2 * m2) - 3.0 } else { f64::NAN };
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_keeps_the_minimum_through_updates() {
        let mut h = IndexedHeap::new(vec![5.0, 3.0, 8.0, 1.0, f64::INFINITY]);
        assert_eq!(h.min(), (3, 1.0));
        h.update(3, 9.0);
        assert_eq!(h.min(), (1, 3.0));
        h.update(4, 0.5);
        assert_eq!(h.min(), (4, 0.5));
        h.update(4, f64::INFINITY);
        h.update(1, 10.0);
        assert_eq!(h.min(), (0, 5.0));
    }

    /// Every reactant pattern up to order 3, at counts around 2^32 where
    /// n(n-1) leaves the 64-bit integers, against the same formula in f64.
    #[test]
    fn propensities_are_right_at_counts_near_and_above_two_to_the_32() {
        type Pattern = (&'static [(u32, u32)], fn(&[f64]) -> f64);
        let patterns: [Pattern; 6] = [
            (&[(0, 1)], |n| n[0]),
            (&[(0, 2)], |n| n[0] * (n[0] - 1.0)),
            (&[(0, 3)], |n| n[0] * (n[0] - 1.0) * (n[0] - 2.0)),
            (&[(0, 1), (1, 1)], |n| n[0] * n[1]),
            (&[(0, 2), (1, 1)], |n| n[0] * (n[0] - 1.0) * n[1]),
            (&[(0, 1), (1, 1), (2, 1)], |n| n[0] * n[1] * n[2]),
        ];
        let two32 = 2f64.powi(32) as i64;
        let counts = [3_040_000_000, two32 - 1, two32, two32 + 1, 4_000_000_000, 1 << 40, 1 << 52];
        for (reactants, expected) in patterns {
            let kin = crate::sim::kinetics::test_kinetics(3, &[(reactants, &[(0, -1)], 1.0)]);
            for &count in &counts {
                let n = [count, count + 7, count / 3];
                let want = expected(&n.map(|c| c as f64));
                let got = propensity(&kin, &kin.k, 0, &n);
                assert!(
                    got > 0.0 && (got - want).abs() <= 1e-12 * want,
                    "{reactants:?} at {count}: {got} != {want}"
                );
            }
        }
    }

    #[test]
    fn uniform_is_never_zero_and_below_one_inclusive() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..10_000 {
            let u = uniform(&mut rng);
            assert!(u > 0.0 && u <= 1.0);
        }
    }
}
