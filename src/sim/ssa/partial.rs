//! Partial-propensity SSA, exact, for networks with hub species (a species
//! among the reactants of thousands of reactions, as in fceri_gamma2).
//!
//! Each reaction's propensity is factored as a = n_p · π through one of its
//! reactants, its pivot p: π (the partial propensity) is the rest of the
//! product and does not read n_p unless p appears more than once. Reactions
//! are grouped by pivot, and the group of p weighs n_p · Π_p with Π_p the sum
//! of its partials (for a hub, a bound of it: below), so a change of n_p
//! costs one update of its group's weight however many reactions p pivots.
//! The pivot is the reactant with the most reactions, the hub, so that the
//! partials read only the sparse species, and an event recomputes only the
//! partials of reactions in which a changed species is not the pivot
//! (Ramaswamy, González-Segredo & Sbalzarini 2009 factor every bimolecular
//! reaction the same way; choosing the hub as pivot is what keeps hubs
//! cheap).
//!
//! A draw picks a group in proportion to the group weights ([`Top`]: a
//! scan of the few that weigh anything, or composition-rejection), then a
//! reaction from the group's partials ([`Groups`]: a scan of a small
//! group, of block sums and then a block in a hub's). A
//! hub's group weighs an upper bound of its partials' sum, so that the
//! partials changing at nearly every event seldom move its weight; a draw
//! from it may then find no reaction, a rejected trial that advances time
//! and changes nothing (thinning, as in the rejection method). For the
//! same reason a hub's partial c · n_s stores a bound of it, raised as n_s
//! rises past its last and left as n_s falls: a sparse species binding a
//! hub goes 0, 1, 0, 1, and setting its partials at every change was nine
//! in ten of the partial changes on fceri_gamma2 (2.1 of 2.3 an event, to
//! t = 1073; now 0.23 bounds an event are set). A draw landing on a stale
//! bound is rejected in proportion (3.5 draws in a hundred there) and
//! brings the species' bounds down to its count.

use rand_xoshiro::Xoshiro256PlusPlus;

mod groups;
mod top;

use groups::{Drawn, Groups, Place};
use top::Top;

use super::{Halt, Sampler, Ssa, Trajectory, exponential, flatten};
use crate::sim::kinetics::Kinetics;

/// The grouping of a network's reactions by pivot, built once per problem.
pub(super) struct Pivots {
    /// Per reaction: its pivot, or `species` (a stand-in with count 1) for a
    /// reaction without reactants.
    pivot: Vec<u32>,
    /// Per reaction: its place in its pivot's group.
    place: Vec<Place>,
    /// Every group at zero, laid out: each trajectory starts from a copy.
    empty: Groups,
    /// Per partial (by its index among every group's, padding included):
    /// its reaction's changes, inline for up to [`INLINE`] of them, so that
    /// a drawn partial leads to its changes in one load, where a member's
    /// index, its changes' start and the changes were three dependent
    /// loads, cache misses on fceri_gamma2's 50,000 reactions.
    rows: Vec<Row>,
    /// The changes of reactions with more than [`INLINE`].
    overflow: Vec<(u32, i32)>,
    /// Per partial: a bounded reaction's factor, read as a hub's draw lands
    /// on it to test the stored partial against the true one;
    /// [`NO_FACTOR`] for any other reaction and for padding.
    bound: Vec<Bound>,
    /// Species -> the reactions whose partial reads its count (but for
    /// those in `bounded`).
    reader_start: Vec<usize>,
    readers: Vec<Reader>,
    /// Species s -> the bounded reactions whose partial is c · n_s: those in
    /// hubs' groups, whose stored partials [`Ssa::partial_propensity`] keeps
    /// at or above the true ones.
    bounded_start: Vec<usize>,
    bounded: Vec<Bounded>,
}

/// A reaction of a hub's group whose partial is `c` times one species' count.
#[derive(Clone, Copy)]
struct Bounded {
    group: u32,
    place: Place,
    c: f64,
}

/// A reaction's `len` changes `(species, change)`: inline if at most
/// [`INLINE`], else in [`Pivots::overflow`] from index `changes[0].0`. One
/// cache line holds two rows.
#[derive(Clone, Copy, Default)]
#[repr(align(32))]
struct Row {
    len: u32,
    changes: [(u32, i32); INLINE],
}

const INLINE: usize = 3;

/// A bounded reaction's partial is c · n_species.
#[derive(Clone, Copy)]
struct Bound {
    species: u32,
    c: f64,
}

/// A reaction whose partial reads a species' count, with all its update
/// needs side by side: an event on fceri_gamma2 updates five partials on
/// average and over a hundred in its first transient, and reading each
/// through the reaction's index into several arrays cost a cache miss apiece
/// (so too its partial's [`Place`], rather than its group's span and slot).
#[derive(Clone, Copy)]
struct Reader {
    reaction: u32,
    group: u32,
    place: Place,
    /// The species whose count times `c` is the partial, for a pivot and one
    /// other distinct reactant (most reactions of a hub); [`NO_FACTOR`]
    /// otherwise.
    factor: u32,
    c: f64,
}

const NO_FACTOR: u32 = u32::MAX;

impl Pivots {
    pub(super) fn new(kin: &Kinetics, c: &[f64], consumer_start: &[usize]) -> Pivots {
        let species = kin.species;
        let fan_out = |s: u32| consumer_start[s as usize + 1] - consumer_start[s as usize];
        let mut pivot = Vec::with_capacity(kin.reactions());
        let mut slot = Vec::with_capacity(kin.reactions());
        let mut group_lists: Vec<Vec<u32>> = vec![Vec::new(); species + 1];
        for r in 0..kin.reactions() {
            // Ties go to the first reactant, so the grouping is reproducible.
            let p = kin
                .reactants(r)
                .iter()
                .map(|&(s, _)| s)
                .reduce(|a, b| if fan_out(b) > fan_out(a) { b } else { a });
            let p = p.unwrap_or(species as u32);
            pivot.push(p);
            slot.push(group_lists[p as usize].len());
            group_lists[p as usize].push(r as u32);
        }
        let empty = Groups::new(group_lists.iter().map(Vec::len));
        let place: Vec<Place> =
            (0..kin.reactions()).map(|r| empty.place(pivot[r] as usize, slot[r])).collect();
        let mut lists: Vec<Vec<Reader>> = vec![Vec::new(); species];
        let mut bounded_lists: Vec<Vec<Bounded>> = vec![Vec::new(); species];
        let mut bound = vec![Bound { species: NO_FACTOR, c: 0.0 }; empty.len()];
        for (r, &c_r) in c.iter().enumerate() {
            let p = pivot[r];
            let factor = match *kin.reactants(r) {
                [(a, 1), (b, 1)] if a == p && b != p => b,
                [(a, 1), (b, 1)] if b == p && a != p => a,
                _ => NO_FACTOR,
            };
            if factor != NO_FACTOR && place[r].in_hub() {
                bounded_lists[factor as usize].push(Bounded { group: p, place: place[r], c: c_r });
                bound[place[r].index()] = Bound { species: factor, c: c_r };
                continue;
            }
            for &(s, alpha) in kin.reactants(r) {
                if s != p || alpha > 1 {
                    let reader = Reader { reaction: r as u32, group: p, place: place[r], factor, c: c_r };
                    lists[s as usize].push(reader);
                }
            }
        }
        let mut rows = vec![Row::default(); empty.len()];
        let mut overflow = Vec::new();
        for (r, at) in place.iter().map(|place| place.index()).enumerate() {
            let changes = kin.changes(r);
            let row = &mut rows[at];
            row.len = changes.len() as u32;
            if changes.len() <= INLINE {
                row.changes[..changes.len()].copy_from_slice(changes);
            } else {
                row.changes[0].0 = overflow.len() as u32;
                overflow.extend_from_slice(changes);
            }
        }
        let (reader_start, readers) = flatten(lists);
        let (bounded_start, bounded) = flatten(bounded_lists);
        Pivots { pivot, place, empty, rows, overflow, bound, reader_start, readers, bounded_start, bounded }
    }

    fn changes_of(&self, at: usize) -> &[(u32, i32)] {
        let row = &self.rows[at];
        let len = row.len as usize;
        if len <= INLINE {
            &row.changes[..len]
        } else {
            let start = row.changes[0].0 as usize;
            &self.overflow[start..start + len]
        }
    }

    /// Asks for the rows of a drawn group's first reactions, at least one
    /// cache line of them (two rows a line) and the next: the group's scan
    /// then runs while they come, where the drawn row's load was a cache
    /// miss after it (rows are 1.6 MB on fceri_gamma2). 2-4 % more events
    /// a second there (best of three, alternated).
    #[inline(always)]
    fn prefetch_rows(&self, first: usize) {
        prefetch(self.rows.as_ptr().wrapping_add(first));
        prefetch(self.rows.as_ptr().wrapping_add(first + 2));
    }

    fn readers_of(&self, s: usize) -> &[Reader] {
        &self.readers[self.reader_start[s]..self.reader_start[s + 1]]
    }

    /// Sets `ceiling[s]` to n_s, and the stored partial of every bounded
    /// reaction of `s` to c · n_s.
    fn bound_partials_of(
        &self,
        s: usize,
        n: &[i64],
        ceiling: &mut [i64],
        groups: &mut Groups,
        top: &mut Top,
    ) {
        ceiling[s] = n[s];
        for b in &self.bounded[self.bounded_start[s]..self.bounded_start[s + 1]] {
            let g = b.group as usize;
            if groups.set(g, b.place, b.c * n[s] as f64, true) {
                top.set(g, n[g] as f64 * groups.weight(g));
            }
        }
    }
}

/// Asks the cache for the line at `p`, a hint with no effect on results.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    // SAFETY: a prefetch neither reads nor writes memory as the program
    // sees it, and never faults, whatever the address.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl Ssa<'_> {
    /// π_r: the propensity of `r` divided by its pivot's count. It reads the
    /// pivot's count only for a coefficient above 1 (and is then 0 below
    /// it, never negative); with coefficient 1 the group's weight n_p · Π_p
    /// alone vanishes with n_p, so the partial stays valid as n_p moves.
    #[inline]
    fn partial(&self, pivots: &Pivots, r: usize, n: &[i64]) -> f64 {
        let p = pivots.pivot[r];
        let mut a = self.c[r];
        for &(s, alpha) in self.kin.reactants(r) {
            let ns = n[s as usize];
            let alpha = i64::from(alpha);
            // The pivot's first factor n_p is the group's.
            let first = i64::from(s == p);
            if ns < alpha && alpha > first {
                return 0.0;
            }
            for j in first..alpha {
                a *= (ns - j) as f64;
            }
        }
        a
    }

    pub(super) fn partial_propensity(
        &self,
        pivots: &Pivots,
        n0: &[i64],
        times: &[f64],
        mut events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        let species = self.kin.species;
        let mut n = n0.to_vec();
        // The stand-in pivot of reactions without reactants, always 1.
        n.push(1);
        let mut out = Sampler::new(times, species);
        let mut groups = pivots.empty.clone();
        for r in 0..self.kin.reactions() {
            let value = self.partial(pivots, r, &n);
            groups.set(pivots.pivot[r] as usize, pivots.place[r], value, true);
        }
        let mut top = Top::new((0..=species).map(|p| groups.span(p)).collect());
        for (p, &count) in n.iter().enumerate() {
            top.set(p, count as f64 * groups.weight(p));
        }
        // Every stored partial of s's bounded reactions is c · ceiling[s],
        // set afresh only as n_s rises above it. A draw of such a reaction
        // is accepted with probability (its partial) / (the stored one),
        // exact by thinning; a rejected one sets the ceiling to n_s, as
        // otherwise draws would keep landing on s's stale bounds.
        let mut ceiling = n[..species].to_vec();
        let mut t = 0.0;
        loop {
            let total = top.total();
            if total <= 0.0 {
                break;
            }
            let (p, span) = top.sample(total, rng);
            pivots.prefetch_rows(span.first());
            t += exponential(rng) / total;
            if !out.advance(t, &n[..species]) {
                break;
            }
            // A hub group weighs a bound of its partials: drawing none is a
            // rejected trial, which advances time and changes nothing.
            let Some(Drawn { at, hub_rest }) = groups.sample(p, span, rng) else { continue };
            if let Some(rest) = hub_rest {
                let Bound { species, c } = pivots.bound[at];
                let s = species as usize;
                // c · n_s is what `partial` computes, bit for bit.
                if species != NO_FACTOR && rest > c * n[s] as f64 {
                    pivots.bound_partials_of(s, &n, &mut ceiling, &mut groups, &mut top);
                    continue;
                }
            }
            let changes = pivots.changes_of(at);
            self.apply(changes, &mut n[..species], &mut events, t)?;
            for &(s, _) in changes {
                let s = s as usize;
                // Its group's partials may have changed unsummed while it was away.
                groups.pivot_returns(s);
                // An empty group weighs 0 and stays out of the draw.
                top.set(s, n[s] as f64 * groups.weight(s));
                for reader in pivots.readers_of(s) {
                    // c · n_s is what `partial` computes for such a reaction, bit for bit.
                    let value = if reader.factor == NO_FACTOR {
                        self.partial(pivots, reader.reaction as usize, &n)
                    } else {
                        reader.c * n[reader.factor as usize] as f64
                    };
                    let g = reader.group as usize;
                    // The group of an absent pivot weighs 0 at the top level
                    // whatever its partials: it is summed as the pivot returns.
                    if groups.set(g, reader.place, value, n[g] > 0) {
                        top.set(g, n[g] as f64 * groups.weight(g));
                    }
                }
                if n[s] > ceiling[s] {
                    pivots.bound_partials_of(s, &n, &mut ceiling, &mut groups, &mut top);
                }
            }
        }
        Ok(out.finish(&n[..species], events))
    }
}
