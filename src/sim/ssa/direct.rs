//! The direct method (Gillespie 1977) for small networks, exact: on the
//! smallest ([`RECOMPUTE_ALL_MAX_REACTIONS`]) every propensity is recomputed
//! each event into running sums that are searched without a branch; above,
//! the propensities are kept in one flat array, only the fired reaction's
//! dependents are recomputed, and the total is summed afresh each event
//! (exact, and as cheap as the linear search that follows).
//!
//! This is the path of the per-event floor (issue 14: rebop's straight-line
//! macro code is the yardstick), so the loop is written for the machine: the
//! propensity is chosen at compile time (no rate-law test, no `Result` per
//! propensity at mass action), the network's arrays and the generator's state
//! are held in locals, and the next sample time in a register.

use rand_xoshiro::Xoshiro256PlusPlus;

mod jit;
mod small;

use super::form::{self, Form};
use super::{Halt, Sampler, Ssa, Trajectory, exponential, sum, uniform};
use crate::sim::kinetics::Kinetics;

/// A network laid out for the direct method without a data-dependent branch
/// per event beyond the choice of reaction: on small networks a mispredicted
/// branch (the shape of a propensity, the length of a change or dependent
/// list) costs as much as the rest of the event.
///
/// Every reaction's changes and dependents are padded to one width: padded
/// changes add 0 to a count, padded dependents recompute reaction 0's
/// propensity at an unchanged state. When every reaction is at most
/// bimolecular mass action, the counts gain one slot after the species that
/// holds 1, so that every propensity is c · n[p] · max(n[q] − shift, 0): a
/// source has p = q = that slot, a single reactant q = that slot, a dimer
/// p = q with shift 1.
pub(super) struct Table {
    terms: Option<Vec<Term>>,
    /// The smallest networks' terms and changes as machine code, on a host
    /// that has a code generator.
    rates: Option<jit::Rates>,
    change_width: usize,
    changes: Vec<(u32, i32)>,
    dep_width: usize,
    deps: Vec<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Term {
    c: f64,
    p: u32,
    q: u32,
    shift: i64,
}

impl Term {
    /// The same products in the same order as `form::evaluate`, so the
    /// propensities, and the trajectories, are bit for bit the same.
    #[inline(always)]
    fn propensity(self, n: &[i64]) -> f64 {
        self.c * n[self.p as usize] as f64 * (n[self.q as usize] - self.shift).max(0) as f64
    }
}

impl Table {
    /// The layout of `kin` with stochastic constants `c`; `dependents(r)`
    /// lists the reactions whose propensity changes when r fires.
    pub(super) fn new<'d>(kin: &Kinetics, c: &[f64], dependents: impl Fn(usize) -> &'d [u32]) -> Table {
        let m = kin.reactions();
        let terms = terms(kin, c);
        let change_lists: Vec<Vec<(u32, i32)>> = (0..m).map(|r| kin.changes(r).to_vec()).collect();
        let rates = terms
            .as_ref()
            .filter(|_| small::fits(kin))
            .and_then(|terms| jit::Rates::compile(terms, kin.species as u32, &change_lists));
        let (change_width, changes) = padded(change_lists, (0, 0));
        // A source's propensity never changes: with terms it is nobody's dependent.
        let varies =
            |j: &&u32| terms.as_ref().is_none_or(|terms| terms[**j as usize].p != kin.species as u32);
        let lists = (0..m).map(|r| dependents(r).iter().filter(varies).copied().collect()).collect();
        let (dep_width, deps) = padded(lists, 0);
        Table { terms, rates, change_width, changes, dep_width, deps }
    }

    fn changes(&self, r: usize) -> &[(u32, i32)] {
        &self.changes[r * self.change_width..(r + 1) * self.change_width]
    }

    fn dependents(&self, r: usize) -> &[u32] {
        &self.deps[r * self.dep_width..(r + 1) * self.dep_width]
    }
}

/// Lists as one array of rows of the longest list's width, each filled out with `fill`.
fn padded<T: Copy>(lists: Vec<Vec<T>>, fill: T) -> (usize, Vec<T>) {
    let width = lists.iter().map(Vec::len).max().unwrap_or(0);
    let mut rows = Vec::with_capacity(lists.len() * width);
    for list in lists {
        let short = width - list.len();
        rows.extend(list);
        rows.extend(std::iter::repeat_n(fill, short));
    }
    (width, rows)
}

/// Each reaction's [`Term`] from its shape ([`form::Form`]), or `None` when
/// some reaction has a rate law or more than two reactant molecules.
fn terms(kin: &Kinetics, c: &[f64]) -> Option<Vec<Term>> {
    let one = kin.species as u32;
    form::forms(kin)
        .into_iter()
        .zip(c)
        .map(|(form, &c)| {
            let (p, q, shift) = match form {
                Form::Source => (one, one, 0),
                Form::Single(s) => (s, one, 0),
                Form::Dimer(s) => (s, s, 1),
                Form::Pair(a, b) => (a, b, 0),
                Form::Other => return None,
            };
            Some(Term { c, p, q, shift })
        })
        .collect()
}

impl Ssa<'_> {
    /// Kept out of line, so that its loop is laid out on its own and not
    /// among the other methods' in their caller.
    #[inline(never)]
    pub(super) fn direct(
        &self,
        table: &Table,
        n0: &[i64],
        times: &[f64],
        events: u64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Trajectory, Halt> {
        // The generator's state in a local the loop can keep in registers,
        // written back once: through `rng` it would be stored every draw.
        let mut local = rng.clone();
        let result =
            match &table.terms {
                Some(terms) if small::fits(self.kin) => {
                    self.direct_small(table, terms, n0, times, events, &mut local)
                }
                Some(terms) => self
                    .direct_with(table, n0, times, events, &mut local, |r, n, _| Ok(terms[r].propensity(n))),
                None if self.kin.has_laws() => {
                    self.direct_with(table, n0, times, events, &mut local, |r, n, t| self.checked(r, n, t))
                }
                None => self
                    .direct_with(table, n0, times, events, &mut local, |r, n, _| Ok(self.mass_action(r, n))),
            };
        *rng = local;
        result
    }

    /// The direct method with propensities from `propensity(r, n, t)`.
    #[inline(always)]
    fn direct_with(
        &self,
        table: &Table,
        n0: &[i64],
        times: &[f64],
        mut events: u64,
        rng: &mut Xoshiro256PlusPlus,
        propensity: impl Fn(usize, &[i64], f64) -> Result<f64, Halt>,
    ) -> Result<Trajectory, Halt> {
        let species = n0.len();
        let mut n = n0.to_vec();
        n.push(1);
        let mut out = Sampler::new(times, species);
        let m = self.kin.reactions();
        let Some(mut due) = out.due() else { return Ok(out.finish(n0, events)) };
        let mut t = 0.0;
        if m <= RECOMPUTE_ALL_MAX_REACTIONS {
            // Every propensity afresh, into running sums searched without a branch.
            let (mut a, mut cumulative) = (vec![0.0; m], vec![0.0; m]);
            loop {
                for (r, ar) in a.iter_mut().enumerate() {
                    *ar = propensity(r, &n, t)?;
                }
                let a0 = running_sums(&a, &mut cumulative);
                if a0 <= 0.0
                    || !step(&mut t, exponential(rng) / a0, &mut due, &mut out, |out, t| {
                        out.advance(t, &n[..species]);
                    })
                {
                    break;
                }
                let chosen = choose_branch_free(&cumulative, uniform(rng) * a0);
                self.apply(table.changes(chosen), &mut n, &mut events, t)?;
            }
        } else {
            let mut a: Vec<f64> = (0..m).map(|r| propensity(r, &n, 0.0)).collect::<Result<_, _>>()?;
            loop {
                let a0 = sum(&a);
                if a0 <= 0.0
                    || !step(&mut t, exponential(rng) / a0, &mut due, &mut out, |out, t| {
                        out.advance(t, &n[..species]);
                    })
                {
                    break;
                }
                let chosen = choose(&a, uniform(rng) * a0);
                self.apply(table.changes(chosen), &mut n, &mut events, t)?;
                for &j in table.dependents(chosen) {
                    a[j as usize] = propensity(j as usize, &n, t)?;
                }
            }
        }
        debug_assert_eq!(n[species], 1);
        Ok(out.finish(&n[..species], events))
    }
}

/// Up to this many reactions the direct method recomputes every propensity
/// at every event, as running sums that it searches without a branch; above,
/// it keeps the propensities and recomputes the fired reaction's dependents.
/// A branch on the drawn reaction is mispredicted about as often as not:
/// searching the kept propensities that way cost multistate (18 reactions) a
/// third of its speed. Measured (`cargo bench --bench ssa`, 2 shared cores,
/// the two loops alternated): recomputing all gives birth-death 48-51 M
/// events/s against 42 and multistate 23.5 against 19.7; ring24 (18
/// reactions) 21-22.5 against 17-19; at ring32 (24) it is level at best
/// (11-18 against 17.0-17.6), so the crossover lies at about 24 reactions.
pub const RECOMPUTE_ALL_MAX_REACTIONS: usize = 24;

/// Advances the time `t` by `waiting` (the next event's waiting time),
/// first recording the counts at every sample time passed (`due` is the
/// next; `record` is given the time, and is called only then, so that a loop
/// whose counts are not the sampler's converts them only then); false once
/// every sample is taken.
#[inline(always)]
fn step(
    t: &mut f64,
    waiting: f64,
    due: &mut f64,
    out: &mut Sampler<'_>,
    record: impl FnOnce(&mut Sampler<'_>, f64),
) -> bool {
    *t += waiting;
    if *t > *due {
        record(out, *t);
        match out.due() {
            Some(next) => *due = next,
            None => return false,
        }
    }
    true
}

/// The running sums of the propensities are taken in blocks of this many
/// reactions, each block's from 0 and then offset by the blocks before it:
/// the blocks' sums are independent chains of additions, which the
/// processor runs side by side, where one chain through every reaction is
/// an addition's latency per reaction. Multistate (18 reactions), compiled
/// to machine code: 23.5 M events/s in blocks of 4, 23.3 of 6, 21.0 in one
/// chain, the three alternated in one run.
pub(super) const SUM_BLOCK: usize = 4;

/// The running sums of `a` into `sums` (as long as `a`), in blocks of
/// [`SUM_BLOCK`]; their total, which is the last sum.
#[inline(always)]
fn running_sums(a: &[f64], sums: &mut [f64]) -> f64 {
    let mut offset: Option<f64> = None;
    for (block, sums) in a.chunks(SUM_BLOCK).zip(sums.chunks_mut(SUM_BLOCK)) {
        let mut local = block[0];
        for (j, sum) in sums.iter_mut().enumerate() {
            if j > 0 {
                local += block[j];
            }
            *sum = offset.map_or(local, |o| o + local);
        }
        offset = sums.last().copied();
    }
    offset.unwrap_or(0.0)
}

/// The reaction whose slice of the cumulative propensities holds `target`
/// (in (0, a0]), never one with propensity 0.
#[inline(always)]
fn choose(a: &[f64], target: f64) -> usize {
    let mut acc = 0.0;
    for (r, &ar) in a.iter().enumerate() {
        acc += ar;
        if target <= acc && ar > 0.0 {
            return r;
        }
    }
    // Rounding can leave `target` a hair above the sum: take the last active reaction.
    a.iter().rposition(|&x| x > 0.0).expect("a0 > 0")
}

/// [`choose`] on the running sums themselves, counting the sums below
/// `target` (in (0, a0]) instead of stopping at the first above it: a
/// reaction of propensity 0 has the sum of the one before it, so it is
/// never the one counted to.
#[inline(always)]
fn choose_branch_free(cumulative: &[f64], target: f64) -> usize {
    let below: usize = cumulative.iter().map(|&sum| usize::from(sum < target)).sum();
    if below < cumulative.len() {
        return below;
    }
    // `target` is at most the last sum, which rounding cannot pass here (it is
    // a0 itself); kept exact anyway: the last reaction whose sum rose.
    let mut r = cumulative.len() - 1;
    while r > 0 && cumulative[r] == cumulative[r - 1] {
        r -= 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kinetics::test_kinetics;
    use crate::sim::ssa::SsaMethod;

    /// Every shape of reactants (source, one, two distinct, a dimer) and a
    /// reaction changing three species, so that changes and dependents are
    /// padded: 0 -> A, A -> B, A + B -> C + A, 2 B -> C, C -> A + B + D.
    fn every_shape() -> Kinetics {
        every_shape_among(4)
    }

    /// [`every_shape`] among `species` species, the rest inert.
    fn every_shape_among(species: usize) -> Kinetics {
        test_kinetics(
            species,
            &[
                (&[], &[(0, 1)], 3.0),
                (&[(0, 1)], &[(0, -1), (1, 1)], 0.7),
                (&[(0, 1), (1, 1)], &[(1, -1), (2, 1)], 0.05),
                (&[(1, 2)], &[(1, -2), (2, 1)], 0.02),
                (&[(2, 1)], &[(2, -1), (0, 1), (1, 1), (3, 1)], 0.4),
            ],
        )
    }

    #[test]
    fn the_table_gives_the_general_propensities_bit_for_bit() {
        let kin = every_shape();
        let terms = terms(&kin, &kin.k).expect("at most bimolecular");
        for n in [[0, 0, 0, 0], [1, 1, 0, 2], [2, 1, 5, 0], [7, 11, 13, 3], [1 << 40, 5, 1 << 33, 9]] {
            let with_one: Vec<i64> = n.iter().copied().chain([1]).collect();
            for (r, term) in terms.iter().enumerate() {
                let general = super::super::propensity(&kin, &kin.k, r, &n);
                let got = term.propensity(&with_one);
                assert_eq!(got.to_bits(), general.to_bits(), "reaction {r} at {n:?}");
            }
        }
    }

    #[test]
    fn a_reaction_of_three_molecules_leaves_the_terms_out() {
        let kin = test_kinetics(2, &[(&[(0, 2), (1, 1)], &[(0, -1)], 1.0)]);
        assert!(terms(&kin, &kin.k).is_none());
    }

    /// Widths are the longest lists; shorter ones are padded with changes
    /// of 0 and with reaction 0, and sources are nobody's dependents.
    #[test]
    fn lists_are_padded_to_one_width() {
        let kin = every_shape();
        let table = Ssa::new(&kin, 1.0, SsaMethod::Direct).table.expect("the direct method's");
        assert_eq!(table.changes(0), &[(0, 1), (0, 0), (0, 0), (0, 0)]);
        assert_eq!(table.changes(4), &[(2, -1), (0, 1), (1, 1), (3, 1)]);
        for r in 0..kin.reactions() {
            assert_eq!(table.dependents(r).len(), table.dep_width);
        }
        // 0 -> A changes A, read by A -> B and A + B -> C + A; C -> A + B + D changes all four.
        assert_eq!(table.dependents(0), &[1, 2, 0, 0]);
        assert_eq!(table.dependents(4), &[4, 1, 2, 3]);
    }

    /// The terms are a layout, not a method: with them and with the general
    /// propensity, one seed gives the same trajectory event for event, on
    /// float counts (few species) and on integer counts (as many species as
    /// the float loop's slots, the rest inert).
    #[test]
    fn terms_and_the_general_propensity_give_the_same_trajectory() {
        for species in [4, small::MAX_SPECIES + 1] {
            let kin = every_shape_among(species);
            let with = Ssa::new(&kin, 1.0, SsaMethod::Direct);
            let mut without = Ssa::new(&kin, 1.0, SsaMethod::Direct);
            without.table.as_mut().expect("the direct method's").terms = None;
            let times: Vec<f64> = (0..=50).map(|i| f64::from(i) * 0.4).collect();
            let mut n0 = vec![0; species];
            n0[..2].copy_from_slice(&[5, 3]);
            for seed in 0..5 {
                let a = with.run(&n0, &times, seed).unwrap();
                let b = without.run(&n0, &times, seed).unwrap();
                assert!(a.events > 100, "too short a run to compare: {} events", a.events);
                assert_eq!(a, b, "{species} species, seed {seed}");
            }
        }
    }

    /// A ring of 9 species, each binding the next and the pair falling
    /// apart again (A_i + A_i+1 -> A_i+2 @ 0.01, A_i+2 -> A_i + A_i+1 @ 0.1):
    /// 18 reactions, as many as multistate, in several blocks of sums.
    fn ring_of_pairs() -> Kinetics {
        let reactants: Vec<[(u32, u32); 2]> = (0..9).map(|i| [(i, 1), ((i + 1) % 9, 1)]).collect();
        let single: Vec<[(u32, u32); 1]> = (0..9).map(|i| [((i + 2) % 9, 1)]).collect();
        let bind: Vec<[(u32, i32); 3]> =
            (0..9).map(|i| [(i, -1), ((i + 1) % 9, -1), ((i + 2) % 9, 1)]).collect();
        let part: Vec<[(u32, i32); 3]> =
            (0..9).map(|i| [(i, 1), ((i + 1) % 9, 1), ((i + 2) % 9, -1)]).collect();
        let list: Vec<_> = (0..9)
            .flat_map(|i| [(&reactants[i][..], &bind[i][..], 0.01), (&single[i][..], &part[i][..], 0.1)])
            .collect();
        test_kinetics(9, &list)
    }

    /// The network's machine code and the loop over its terms fire the same
    /// reactions at the same times, bit for bit, and stop at the same count
    /// limit: on a source, a dimer and an odd number of reactions
    /// ([`every_shape`]), on 18 reactions, and on counts near 2^52.
    #[test]
    fn machine_code_and_the_table_loop_give_the_same_trajectory() {
        let near_limit = test_kinetics(2, &[(&[(0, 1)], &[(0, 1), (1, 1)], 1.0)]);
        let cases = [
            (every_shape(), vec![5, 3, 0, 0]),
            (ring_of_pairs(), vec![40; 9]),
            (near_limit, vec![super::super::MAX_COUNT - 5, 0]),
        ];
        for (kin, n0) in cases {
            let compiled = Ssa::new(&kin, 1.0, SsaMethod::Direct);
            let has_code = compiled.table.as_ref().expect("the direct method's").rates.is_some();
            // Cranelift compiles for these hosts: the comparison must not pass by falling back.
            assert!(
                has_code || !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")),
                "no machine code"
            );
            let mut table = Ssa::new(&kin, 1.0, SsaMethod::Direct);
            table.table.as_mut().expect("the direct method's").rates = None;
            let times: Vec<f64> = (0..=50).map(|i| f64::from(i) * 0.4).collect();
            for seed in 0..5 {
                match (compiled.run(&n0, &times, seed), table.run(&n0, &times, seed)) {
                    (Ok(a), Ok(b)) => {
                        assert!(a.events > 100, "too short a run to compare: {} events", a.events);
                        assert_eq!(a, b, "seed {seed}");
                    }
                    (a, b) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "seed {seed}"),
                }
            }
        }
    }

    /// Independent birth-death processes (0 -> X_i @ 10, X_i -> 0 @ 1),
    /// Poisson with mean 10(1 − e^−t): the loop that recomputes every
    /// propensity (up to [`RECOMPUTE_ALL_MAX_REACTIONS`]) and the one that
    /// recomputes dependents (above) both give that mean within 5 standard errors.
    #[test]
    fn both_loops_give_the_poisson_mean_of_independent_birth_death_processes() {
        for copies in [RECOMPUTE_ALL_MAX_REACTIONS / 2, RECOMPUTE_ALL_MAX_REACTIONS] {
            let reactants: Vec<[(u32, u32); 1]> = (0..copies as u32).map(|s| [(s, 1)]).collect();
            let births: Vec<[(u32, i32); 1]> = (0..copies as u32).map(|s| [(s, 1)]).collect();
            let deaths: Vec<[(u32, i32); 1]> = (0..copies as u32).map(|s| [(s, -1)]).collect();
            let list: Vec<_> = (0..copies)
                .flat_map(|i| [(&[][..], &births[i][..], 10.0), (&reactants[i][..], &deaths[i][..], 1.0)])
                .collect();
            let kin = test_kinetics(copies, &list);
            let ssa = Ssa::new(&kin, 1.0, SsaMethod::Direct);
            let (runs, t) = (400, 3.0);
            let mut total = 0.0;
            for seed in 0..runs {
                let run = ssa.run(&vec![0; copies], &[0.0, t], seed).unwrap();
                total += run.samples[copies..].iter().sum::<i64>() as f64;
            }
            let samples = (runs as usize * copies) as f64;
            let (mean, want) = (total / samples, 10.0 * (1.0 - (-t).exp()));
            let se = (want / samples).sqrt();
            assert!(
                (mean - want).abs() < 5.0 * se,
                "{} reactions: mean {mean}, want {want} ± {se}",
                2 * copies
            );
        }
    }
}
