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
use std::sync::atomic::{AtomicU64, Ordering};

mod composition;
mod direct;
mod form;
mod partial;
mod rejection;
mod scan;

use super::kinetics::Kinetics;
use super::schedule::{self, Cut};
use crate::crn::{Crn, Species};
use crate::ir::Quantity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsaMethod {
    /// Direct for up to [`DIRECT_MAX_REACTIONS`] reactions; above, rejection-based
    /// unless hub species make the partial-propensity method faster ([`REJECTION_MAX_CONSUMERS`]).
    Auto,
    Direct,
    NextReaction,
    /// Rejection-based SSA with propensity bounds (see [`rejection`]).
    Rejection,
    /// Partial propensities grouped by hub species (see [`partial`]).
    PartialPropensity,
}

impl SsaMethod {
    /// Every method, as `--ssa-method` lists them.
    pub const ALL: [SsaMethod; 5] = [
        SsaMethod::Auto,
        SsaMethod::Direct,
        SsaMethod::NextReaction,
        SsaMethod::Rejection,
        SsaMethod::PartialPropensity,
    ];

    /// The method's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SsaMethod::Auto => "auto",
            SsaMethod::Direct => "direct",
            SsaMethod::NextReaction => "next-reaction",
            SsaMethod::Rejection => "rejection",
            SsaMethod::PartialPropensity => "partial-propensity",
        }
    }

    /// The method as a run's summary names it.
    pub fn description(self) -> &'static str {
        match self {
            SsaMethod::Auto | SsaMethod::Direct => "direct method",
            SsaMethod::NextReaction => "next-reaction method",
            SsaMethod::Rejection => "rejection-based method",
            SsaMethod::PartialPropensity => "partial-propensity method",
        }
    }
}

/// Above this many reactions `Auto` leaves the direct method, whose search
/// and sum are linear in the reactions. Measured (`cargo bench --bench ssa`,
/// 2 cores), direct against rejection in M events/s: multistate (18
/// reactions) 34 and 17, ring24 (18 after merging its duplicate reactions)
/// 31 and 28, ring32 (24) 22 and 28, ring48 (36) 15 and 28, multisite2 (288)
/// 2.4 and 11. The crossover lies lower for the rings' counts of a hundred
/// than for small counts, which leave their intervals at most events
/// (multistate): at 24 the direct method, exact and rejection-free, loses
/// a fifth at most where the rejection method could lose half.
pub const DIRECT_MAX_REACTIONS: usize = 24;

/// `Auto` prefers the rejection-based method unless some species is a
/// reactant of more reactions than this: each time such a hub leaves its
/// fluctuation interval every one of its reactions is re-bounded, and on
/// fceri_gamma2 (hubs in 2,000-3,600 reactions, at counts below 400) the
/// rejection method takes 0.16 M events/s against the partial-propensity
/// method's 7.6 M, while below the hubs the rejection method wins:
/// egfr_net (at most 262) 18 against 5.0 M events/s, BCR 25 against 5.5,
/// multisite2 (288) 11.9 against 8.0: there a trial and, now and then, a few
/// re-bounded reactions cost less than the partial method's two-level draw
/// and partial updates. `cargo bench --bench ssa`, 2 shared cores.
pub const REJECTION_MAX_CONSUMERS: usize = 1024;

/// Events one trajectory may take unless `max_events` says otherwise: an
/// explosive network (`A -> 2A`) otherwise runs until memory or patience ends.
/// At tens of millions of events a second on small networks this is a few
/// seconds per trajectory, so a runaway run ends soon with a clear error.
pub const DEFAULT_MAX_EVENTS: u64 = 100_000_000;

/// The largest molecule count: counts stay exact in the f64 propensities, and
/// adding any stoichiometry (at most 1000 per reaction) cannot overflow i64.
pub const MAX_COUNT: i64 = 1 << 52;

#[derive(Clone, Debug, PartialEq)]
pub enum SsaError {
    /// A species' initial count, or its count a scheduled assignment sets
    /// `at` a time, is not a whole number.
    NotInteger { species: String, count: f64, at: Option<f64> },
    /// Such a count does not fit the simulator's integer counts.
    TooLarge { species: String, count: f64, at: Option<f64> },
    /// A trajectory took `limit` events before reaching the last output time.
    EventLimit { limit: u64, time: f64, seed: u64 },
    /// A count would have passed [`MAX_COUNT`]. `name` is filled in by
    /// [`SsaError::with_names`]: the simulator itself knows only indices.
    CountLimit { species: usize, name: Option<String>, time: f64, seed: u64 },
    /// A reaction's rate law gave a negative propensity; with `species`
    /// (index, and name from [`SsaError::with_names`]), a positive one whose
    /// event would take that species' count below zero. `name` is filled in
    /// by [`SsaError::with_reaction_names`].
    NegativePropensity {
        reaction: usize,
        name: Option<String>,
        value: f64,
        time: f64,
        seed: u64,
        species: Option<(usize, Option<String>)>,
    },
}

impl SsaError {
    /// Names the species of a [`SsaError::CountLimit`].
    pub fn with_names(self, names: &[String]) -> SsaError {
        match self {
            SsaError::CountLimit { species, time, seed, .. } => {
                SsaError::CountLimit { species, name: names.get(species).cloned(), time, seed }
            }
            SsaError::NegativePropensity { reaction, name, value, time, seed, species: Some((s, _)) } => {
                let species = Some((s, names.get(s).cloned()));
                SsaError::NegativePropensity { reaction, name, value, time, seed, species }
            }
            e => e,
        }
    }

    /// Names the reaction of a [`SsaError::NegativePropensity`].
    pub fn with_reaction_names(self, names: &[String]) -> SsaError {
        match self {
            SsaError::NegativePropensity { reaction, value, time, seed, species, .. } => {
                SsaError::NegativePropensity {
                    reaction,
                    name: names.get(reaction).cloned(),
                    value,
                    time,
                    seed,
                    species,
                }
            }
            e => e,
        }
    }
}

/// "the initial count of `X`", or of the count a scheduled assignment sets at `at`.
fn which_count(species: &str, at: Option<f64>) -> String {
    match at {
        None => format!("the initial count of `{species}`"),
        Some(t) => format!("the count of `{species}` assigned at t = {t}"),
    }
}

impl std::fmt::Display for SsaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SsaError::NotInteger { species, count, at } => write!(
                f,
                "{} is {count}, not a whole number of molecules (SSA counts molecules: count = \
                 concentration x volume, or the amount for `species amount`)",
                which_count(species, *at)
            ),
            SsaError::TooLarge { species, count, at } => {
                write!(f, "{} ({count}) is too large for exact simulation", which_count(species, *at))
            }
            SsaError::EventLimit { limit, time, seed } => {
                write!(f, "the trajectory seeded with {seed} took {limit} events and reached only t = {time}")
            }
            SsaError::CountLimit { species, name, time, seed } => {
                let who = name.as_ref().map_or_else(|| format!("species {species}"), |n| format!("`{n}`"));
                write!(
                    f,
                    "the count of {who} passed {MAX_COUNT} molecules (2^52) at t = {time} in the trajectory \
                     seeded with {seed}"
                )
            }
            SsaError::NegativePropensity { reaction, name, value, time, seed, species } => {
                let who = name
                    .as_ref()
                    .map_or_else(|| format!("reaction {reaction}"), |n| format!("reaction `{n}`"));
                if let Some((s, species)) = species {
                    let s = species.as_ref().map_or_else(|| format!("species {s}"), |n| format!("`{n}`"));
                    return write!(
                        f,
                        "the rate law of {who} is {value} at t = {time} in the trajectory seeded with {seed}, \
                         but firing it would take the count of {s} below zero"
                    );
                }
                write!(
                    f,
                    "the rate law of {who} is negative ({value}) at t = {time} in the trajectory seeded with \
                     {seed}: a propensity must not be negative"
                )
            }
        }
    }
}

/// Initial molecule counts (a concentration times its compartment's size);
/// a non-integer count is an error, never rounded.
pub fn initial_counts(crn: &Crn) -> Result<Vec<i64>, SsaError> {
    crn.species.iter().map(|s| initial_count(crn, s)).collect()
}

/// The initial molecule count of one species of `crn` (see [`initial_counts`]).
pub(crate) fn initial_count(crn: &Crn, s: &Species) -> Result<i64, SsaError> {
    let count = match s.quantity {
        Quantity::Amount => s.initial,
        Quantity::Concentration => s.initial * crn.size(s),
    };
    // Concentrations times a volume pick up rounding noise (0.1 * 30 = 3.0000000000000004).
    let rounded = count.round();
    if (count - rounded).abs() > 1e-9 * rounded.abs().max(1.0) {
        return Err(SsaError::NotInteger { species: s.name.clone(), count, at: None });
    }
    if rounded > MAX_COUNT as f64 {
        return Err(SsaError::TooLarge { species: s.name.clone(), count, at: None });
    }
    Ok(rounded as i64)
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
    if !kin.laws.is_empty()
        && let Some(law) = kin.law(r)
    {
        return law_propensity(law, c[r], n);
    }
    let mut a = c[r];
    for &(s, alpha) in kin.reactants(r) {
        let ns = n[s as usize];
        if ns < i64::from(alpha) {
            return 0.0;
        }
        // The falling factorial n(n-1)...(n-α+1), ordered tuples of distinct
        // molecules, one f64 factor at a time into the constant: in integers
        // n(n-1) wraps past 3.04e9 molecules, and a high order's product alone
        // could leave the float range where c times it does not.
        for j in 0..i64::from(alpha) {
            a *= (ns - j) as f64;
        }
    }
    a
}

/// A rate law's propensity Ω · law(n / Ω) at counts n in volume Ω: the law
/// itself at the counts when Ω = 1 (SBML's stochastic semantics). It may be
/// negative; the simulators report that (E0704), never fire on it.
#[cold]
fn law_propensity(law: &[crate::sim::kinetics::LawTerm], omega: f64, n: &[i64]) -> f64 {
    let value: f64 = if omega == 1.0 {
        law.iter()
            .map(|(c, f)| f.iter().fold(*c, |v, &(s, e)| v * (n[s as usize] as f64).powi(e as i32)))
            .sum()
    } else {
        law.iter()
            .map(|(c, f)| f.iter().fold(*c, |v, &(s, e)| v * (n[s as usize] as f64 / omega).powi(e as i32)))
            .sum()
    };
    omega * value
}

/// Uniform in (0, 1]: never 0, so its logarithm is finite.
#[inline]
pub(crate) fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[inline]
pub(crate) fn exponential(rng: &mut Xoshiro256PlusPlus) -> f64 {
    use rand_distr::Distribution;
    rand_distr::Exp1.sample(rng)
}

/// A compiled SSA problem, shared by all trajectories.
pub struct Ssa<'k> {
    kin: &'k Kinetics,
    c: Vec<f64>,
    forms: Vec<form::Form>,
    /// The direct method's layout, when it is the method.
    table: Option<direct::Table>,
    dep_start: Vec<usize>,
    deps: Vec<u32>,
    /// For each species, the reactions it is a reactant of.
    consumer_start: Vec<usize>,
    consumers: Vec<u32>,
    method: SsaMethod,
    /// The grouping of the partial-propensity method, when it is the one chosen.
    pivots: Option<partial::Pivots>,
    max_events: u64,
    /// Scheduled assignments: at each time, (species, count) pairs.
    cuts: Vec<(f64, Vec<(usize, i64)>)>,
}

/// Why a trajectory stopped before its last output time.
enum Halt {
    Events { time: f64 },
    Count { species: usize, time: f64 },
    Negative { reaction: usize, value: f64, time: f64, species: Option<usize> },
}

impl Halt {
    /// The same stop in a segment that started at `start`, not at 0.
    fn started_at(self, start: f64) -> Halt {
        match self {
            Halt::Events { time } => Halt::Events { time: time + start },
            Halt::Count { species, time } => Halt::Count { species, time: time + start },
            Halt::Negative { reaction, value, time, species } => {
                Halt::Negative { reaction, value, time: time + start, species }
            }
        }
    }
}

/// Species -> the reactions with that species among their reactants.
fn consumers(kin: &Kinetics) -> (Vec<usize>, Vec<u32>) {
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); kin.species];
    for r in 0..kin.reactions() {
        for &(s, _) in kin.reactants(r) {
            lists[s as usize].push(r as u32);
        }
    }
    flatten(lists)
}

/// Lists as one array with start offsets.
pub(super) fn flatten<T>(lists: Vec<Vec<T>>) -> (Vec<usize>, Vec<T>) {
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
        let (consumer_start, consumers) = consumers(kin);
        let widest = consumer_start.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let method = match method {
            // The rejection method's propensity bounds assume monotone mass
            // action; a rate law need not be monotone.
            SsaMethod::Auto | SsaMethod::Rejection | SsaMethod::PartialPropensity if kin.has_laws() => {
                if kin.reactions() <= DIRECT_MAX_REACTIONS {
                    SsaMethod::Direct
                } else {
                    SsaMethod::NextReaction
                }
            }
            SsaMethod::Auto if kin.reactions() <= DIRECT_MAX_REACTIONS => SsaMethod::Direct,
            SsaMethod::Auto if widest > REJECTION_MAX_CONSUMERS => SsaMethod::PartialPropensity,
            SsaMethod::Auto => SsaMethod::Rejection,
            m => m,
        };
        // Only these methods read the dependency graph. With hubs it is most
        // of a problem's memory and set-up: 60 M entries on fceri_gamma2,
        // whose Lyn and Syk changes each reach thousands of reactions.
        let (dep_start, deps) = if matches!(method, SsaMethod::Direct | SsaMethod::NextReaction) {
            kin.dependency_graph()
        } else {
            (Vec::new(), Vec::new())
        };
        let c = stochastic_constants(kin, omega);
        let pivots =
            (method == SsaMethod::PartialPropensity).then(|| partial::Pivots::new(kin, &c, &consumer_start));
        let table = (method == SsaMethod::Direct)
            .then(|| direct::Table::new(kin, &c, |r| &deps[dep_start[r]..dep_start[r + 1]]));
        Ssa {
            kin,
            c,
            forms: form::forms(kin),
            table,
            dep_start,
            deps,
            consumer_start,
            consumers,
            method,
            pivots,
            max_events: DEFAULT_MAX_EVENTS,
            cuts: Vec::new(),
        }
    }

    /// At most `limit` events per trajectory ([`DEFAULT_MAX_EVENTS`] unless set).
    pub fn with_max_events(mut self, limit: u64) -> Ssa<'k> {
        self.max_events = limit;
        self
    }

    pub fn method(&self) -> SsaMethod {
        self.method
    }

    /// The propensity a_r(n) of reaction `r` at counts `n`, exactly as every
    /// method fires it, for the exact analysis of the same jump process
    /// (`crate::analyze`). A rate law's may be negative.
    pub fn propensity(&self, r: usize, n: &[i64]) -> f64 {
        propensity(self.kin, &self.c, r, n)
    }

    fn consumers_of(&self, species: usize) -> &[u32] {
        &self.consumers[self.consumer_start[species]..self.consumer_start[species + 1]]
    }

    fn dependents(&self, r: usize) -> &[u32] {
        &self.deps[self.dep_start[r]..self.dep_start[r + 1]]
    }

    /// The propensity of reaction `r` at counts `n`, at time `t`; a negative
    /// one (only a rate law can give it) stops the trajectory.
    #[inline]
    fn checked(&self, r: usize, n: &[i64], t: f64) -> Result<f64, Halt> {
        if self.kin.has_laws() {
            let a = propensity(self.kin, &self.c, r, n);
            self.law_checks(r, a, n, t)?;
            return Ok(a);
        }
        Ok(self.mass_action(r, n))
    }

    /// The mass-action propensity of `r` at counts `n` (not for a rate law).
    #[inline(always)]
    fn mass_action(&self, r: usize, n: &[i64]) -> f64 {
        form::evaluate(self.forms[r], self.c[r], n, || propensity(self.kin, &self.c, r, n))
    }

    /// A negative propensity, or a positive one whose event would take a
    /// count below zero (a law need not vanish where mass action does).
    #[cold]
    fn law_checks(&self, r: usize, a: f64, n: &[i64], t: f64) -> Result<(), Halt> {
        if a < 0.0 {
            return Err(Halt::Negative { reaction: r, value: a, time: t, species: None });
        }
        if a > 0.0
            && self.kin.law(r).is_some()
            && let Some(&(s, _)) =
                self.kin.changes(r).iter().find(|&&(s, d)| n[s as usize] + i64::from(d) < 0)
        {
            return Err(Halt::Negative { reaction: r, value: a, time: t, species: Some(s as usize) });
        }
        Ok(())
    }

    /// Fires reaction `r` as the `events`-th event at time `t`, within the
    /// event and count limits. Every method fires through here (or through
    /// [`Ssa::apply`] on its own layout of `r`'s changes), so the limits hold
    /// for all of them.
    #[inline]
    fn fire(&self, r: usize, n: &mut [i64], events: &mut u64, t: f64) -> Result<(), Halt> {
        self.apply(self.kin.changes(r), n, events, t)
    }

    /// Applies a reaction's `changes` as the `events`-th event at time `t`;
    /// see [`Ssa::fire`].
    #[inline(always)]
    fn apply(&self, changes: &[(u32, i32)], n: &mut [i64], events: &mut u64, t: f64) -> Result<(), Halt> {
        if *events >= self.max_events {
            return Err(Halt::Events { time: t });
        }
        *events += 1;
        for &(s, d) in changes {
            let count = &mut n[s as usize];
            // Checked before it can matter: MAX_COUNT + 1000 is far inside i64.
            *count += i64::from(d);
            if *count > MAX_COUNT {
                return Err(Halt::Count { species: s as usize, time: t });
            }
        }
        Ok(())
    }

    /// Assigns counts at the cuts' times (a schedule, [`schedule::cuts`]):
    /// every trajectory is run segment by segment, its random stream carried
    /// across, with the propensities recomputed after each assignment.
    pub fn with_cuts(mut self, crn: &Crn, cuts: &[Cut]) -> Result<Ssa<'k>, SsaError> {
        self.cuts = cuts.iter().map(|c| Ok((c.time, c.counts(crn)?))).collect::<Result<_, SsaError>>()?;
        Ok(self)
    }

    /// Trajectory from counts `n0`, sampled at `times` (ascending, from 0).
    pub fn run(&self, n0: &[i64], times: &[f64], seed: u64) -> Result<Trajectory, SsaError> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let result = self.segments(n0, times, &mut rng);
        result.map_err(|halt| match halt {
            Halt::Events { time } => SsaError::EventLimit { limit: self.max_events, time, seed },
            Halt::Count { species, time } => SsaError::CountLimit { species, name: None, time, seed },
            Halt::Negative { reaction, value, time, species } => SsaError::NegativePropensity {
                reaction,
                name: None,
                value,
                time,
                seed,
                species: species.map(|s| (s, None)),
            },
        })
    }

    /// One trajectory through the segments between the cuts.
    fn segments(&self, n0: &[i64], times: &[f64], rng: &mut Xoshiro256PlusPlus) -> Result<Trajectory, Halt> {
        if self.cuts.is_empty() {
            return self.segment(n0, times, 0, rng);
        }
        let cut_times: Vec<f64> = self.cuts.iter().map(|(t, _)| *t).collect();
        let segments = schedule::segments_at(&cut_times, times);
        let mut n = n0.to_vec();
        let mut whole = Trajectory { samples: Vec::with_capacity(times.len() * n.len()), events: 0 };
        for (i, segment) in segments.iter().enumerate() {
            if let Some(c) = segment.cut {
                for &(s, count) in &self.cuts[c].1 {
                    n[s] = count;
                }
            }
            let last = i + 1 == segments.len();
            let local = segment.local_times(times, last);
            let part =
                self.segment(&n, &local, whole.events, rng).map_err(|halt| halt.started_at(segment.from))?;
            whole.events = part.events;
            let rows = segment.rows.len() * n.len();
            whole.samples.extend_from_slice(&part.samples[..rows]);
            if !last {
                n.copy_from_slice(&part.samples[rows..]);
            }
        }
        Ok(whole)
    }

    /// A trajectory by the chosen method from `n0` at time 0, sampled at
    /// `times`, `events` having been taken before it.
    fn segment(
        &self,
        n0: &[i64],
        times: &[f64],
        events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        // The generator's state is copied into this frame and written back
        // after: behind the caller's `&mut` it stayed in memory, loaded and
        // stored at every draw (1.6 % of fceri_gamma2's instructions).
        let mut local = rng.clone();
        let rng_here = &mut local;
        let trajectory = match self.method {
            SsaMethod::Direct | SsaMethod::Auto => {
                let table = self.table.as_ref().expect("built with the method");
                self.direct(table, n0, times, events, rng_here)
            }
            SsaMethod::NextReaction => self.next_reaction(n0, times, events, rng_here),
            SsaMethod::Rejection => self.rejection(n0, times, events, rng_here),
            SsaMethod::PartialPropensity => {
                let pivots = self.pivots.as_ref().expect("built with the method");
                self.partial_propensity(pivots, n0, times, events, rng_here)
            }
        };
        *rng = local;
        trajectory
    }

    fn next_reaction(
        &self,
        n0: &[i64],
        times: &[f64],
        mut events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        let mut n = n0.to_vec();
        let mut out = Sampler::new(times, n.len());
        let m = self.kin.reactions();
        let mut a: Vec<f64> = (0..m).map(|r| self.checked(r, &n, 0.0)).collect::<Result<_, _>>()?;
        let tau: Vec<f64> =
            a.iter().map(|&ar| if ar > 0.0 { exponential(rng) / ar } else { f64::INFINITY }).collect();
        let mut queue = IndexedHeap::new(tau);
        loop {
            let (mu, t) = queue.min();
            if !t.is_finite() || !out.advance(t, &n) {
                break;
            }
            self.fire(mu, &mut n, &mut events, t)?;
            for &j in self.dependents(mu) {
                let j = j as usize;
                let old = a[j];
                let new = self.checked(j, &n, t)?;
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
        Ok(out.finish(&n, events))
    }
}

/// The sum of `values` in four independent running sums: one chain of
/// dependent additions would cost the adder's latency per term.
#[inline]
fn sum(values: &[f64]) -> f64 {
    let mut lanes = [0.0; 4];
    let chunks = values.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
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

    /// The next sample time, once every earlier one is taken; `None` when all are.
    #[inline]
    fn due(&self) -> Option<f64> {
        self.times.get(self.next).copied()
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
/// Every trajectory is kept: for statistics over many, [`ensemble_statistics`]
/// holds only a bounded batch at a time.
pub fn ensemble(
    ssa: &Ssa<'_>,
    n0: &[i64],
    times: &[f64],
    seed: u64,
    trajectories: usize,
) -> Result<Vec<Trajectory>, SsaError> {
    let mut runs = Vec::with_capacity(trajectories);
    for_each_batch(ssa, n0, times, seed, trajectories, |batch| runs.extend(batch))?;
    Ok(runs)
}

/// Trajectories held at once by [`ensemble_statistics`], in samples (i64):
/// 64 MiB, however many trajectories the ensemble has.
const BATCH_SAMPLES: usize = 1 << 23;

/// Runs the trajectories in batches of consecutive indices, in parallel
/// within a batch, and hands each batch to `take` in trajectory order. On an
/// error, the first failing trajectory in index order is reported (later ones
/// in its batch are skipped, earlier ones still run), so the error does not
/// depend on the thread count either.
fn for_each_batch(
    ssa: &Ssa<'_>,
    n0: &[i64],
    times: &[f64],
    seed: u64,
    trajectories: usize,
    mut take: impl FnMut(Vec<Trajectory>),
) -> Result<(), SsaError> {
    let per_run = (times.len() * n0.len()).max(1);
    let batch = (BATCH_SAMPLES / per_run).clamp(1, trajectories.max(1)) as u64;
    let total = trajectories as u64;
    let mut first = 0;
    while first < total {
        let last = (first + batch).min(total);
        let failed = AtomicU64::new(u64::MAX);
        let runs: Vec<Option<Result<Trajectory, SsaError>>> = (first..last)
            .into_par_iter()
            .map(|i| {
                if i > failed.load(Ordering::Relaxed) {
                    return None;
                }
                let run = ssa.run(n0, times, seed.wrapping_add(i));
                if run.is_err() {
                    failed.fetch_min(i, Ordering::Relaxed);
                }
                Some(run)
            })
            .collect();
        let runs: Result<Vec<Trajectory>, SsaError> = runs.into_iter().flatten().collect();
        take(runs?);
        first = last;
    }
    Ok(())
}

/// Mean, M2, M3 and M4 (sums of powers of deviations) of one sample cell.
type Cell = [f64; 4];

/// Running central moments per (time, species) cell, updated one trajectory
/// at a time in trajectory order (Welford's update extended to the fourth
/// moment, Terriberry 2007): memory is one row of cells however many
/// trajectories there are, the sums never cancel catastrophically as raw
/// power sums of large counts would, and the result is the same on any
/// thread count because each cell sees the trajectories in the same order.
struct Moments {
    count: u64,
    cells: Vec<Cell>,
}

/// Cells per parallel task when a batch is added.
const CELLS_PER_TASK: usize = 4096;

impl Moments {
    fn new(len: usize) -> Moments {
        Moments { count: 0, cells: vec![[0.0; 4]; len] }
    }

    fn add(&mut self, runs: &[Trajectory]) {
        let before = self.count;
        self.cells.par_chunks_mut(CELLS_PER_TASK).enumerate().for_each(|(task, cells)| {
            let offset = task * CELLS_PER_TASK;
            for (j, run) in runs.iter().enumerate() {
                let n = (before + j as u64 + 1) as f64;
                let samples = &run.samples[offset..offset + cells.len()];
                for (cell, &x) in cells.iter_mut().zip(samples) {
                    let [mean, m2, m3, m4] = cell;
                    let delta = x as f64 - *mean;
                    let dn = delta / n;
                    let dn2 = dn * dn;
                    let term = delta * dn * (n - 1.0);
                    *mean += dn;
                    *m4 += term * dn2 * (n * n - 3.0 * n + 3.0) + 6.0 * dn2 * *m2 - 4.0 * dn * *m3;
                    *m3 += term * dn * (n - 2.0) - 3.0 * dn * *m2;
                    *m2 += term;
                }
            }
        });
        self.count += runs.len() as u64;
    }

    fn finish(self, events: u64) -> EnsembleStats {
        let count = self.count as f64;
        let len = self.cells.len();
        let mut stats = EnsembleStats {
            mean: Vec::with_capacity(len),
            sd: Vec::with_capacity(len),
            kurtosis: Vec::with_capacity(len),
            events,
        };
        for [mean, m2, _, m4] in self.cells {
            stats.mean.push(mean);
            stats.sd.push(if self.count > 1 { (m2 / (count - 1.0)).sqrt() } else { f64::NAN });
            stats.kurtosis.push(if m2 > 0.0 { count * m4 / (m2 * m2) - 3.0 } else { f64::NAN });
        }
        stats
    }
}

/// The statistics of `trajectories` runs (seeded from `seed + i`), holding
/// only a batch of trajectories at a time: memory O(times x species), not
/// O(trajectories x times x species). The same as `statistics(&ensemble(..))`.
pub fn ensemble_statistics(
    ssa: &Ssa<'_>,
    n0: &[i64],
    times: &[f64],
    seed: u64,
    trajectories: usize,
) -> Result<EnsembleStats, SsaError> {
    let mut moments = Moments::new(times.len() * n0.len());
    let mut events = 0;
    for_each_batch(ssa, n0, times, seed, trajectories, |batch| {
        events += batch.iter().map(|r| r.events).sum::<u64>();
        moments.add(&batch);
    })?;
    Ok(moments.finish(events))
}

/// Moments in trajectory order, so the result is the same on any thread count.
pub fn statistics(runs: &[Trajectory]) -> EnsembleStats {
    let mut moments = Moments::new(runs.first().map_or(0, |r| r.samples.len()));
    moments.add(runs);
    moments.finish(runs.iter().map(|r| r.events).sum())
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

    /// A high order in a large volume: the factorial alone leaves the float
    /// range, the propensity does not.
    #[test]
    fn a_high_order_propensity_stays_finite_where_its_value_does() {
        let kin = crate::sim::kinetics::test_kinetics(1, &[(&[(0, 40)], &[(0, -1)], 1.0)]);
        let n = [100_000_000];
        let got = propensity(&kin, &[1e-300], 0, &n);
        let want: f64 = (0..40).map(|j| (1e8 - j as f64).ln()).sum::<f64>() + 1e-300f64.ln();
        assert!(got.is_finite() && (got.ln() - want).abs() < 1e-9, "{got} vs e^{want}");
    }

    /// Small networks go direct, large ones rejection-based, and one with a
    /// species in more than [`REJECTION_MAX_CONSUMERS`] reactions to partial
    /// propensities; a forced method is kept.
    #[test]
    fn auto_chooses_by_size_and_hub_fan_out() {
        use crate::sim::kinetics::test_kinetics;
        let choice = |kin: &Kinetics, method| Ssa::new(kin, 1.0, method).method();
        let pairs: Vec<[(u32, u32); 2]> =
            (1..=REJECTION_MAX_CONSUMERS as u32 + 1).map(|s| [(0, 1), (s, 1)]).collect();
        let hub = test_kinetics(
            pairs.len() + 1,
            &pairs.iter().map(|p| (&p[..], &[(0, -1)][..], 1.0)).collect::<Vec<_>>(),
        );
        assert_eq!(choice(&hub, SsaMethod::Auto), SsaMethod::PartialPropensity);
        assert_eq!(choice(&hub, SsaMethod::NextReaction), SsaMethod::NextReaction);
        let singles: Vec<[(u32, u32); 1]> = (0..DIRECT_MAX_REACTIONS as u32 + 1).map(|s| [(s, 1)]).collect();
        let spread = |len: usize| {
            test_kinetics(
                len,
                &singles[..len].iter().map(|p| (&p[..], &[(0, 1)][..], 1.0)).collect::<Vec<_>>(),
            )
        };
        assert_eq!(choice(&spread(DIRECT_MAX_REACTIONS + 1), SsaMethod::Auto), SsaMethod::Rejection);
        assert_eq!(choice(&spread(DIRECT_MAX_REACTIONS), SsaMethod::Auto), SsaMethod::Direct);
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
