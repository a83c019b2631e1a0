//! The reachability class of the initial state, by breadth-first search
//! over the SSA's own propensities, with every transition and its rate: the
//! state space of the CME.
//!
//! An infinite class is cut to a [`Truncation`]: a bound on the total count
//! of the species no non-negative conservation law bounds. A transition that
//! would leave it goes to the initial state instead (the stationary finite
//! state projection of Gupta, Mikelson & Khammash 2017): merely dropping it
//! can leave a state with no way out (in A1's learner, X grows only while P
//! is absent, and each birth brings a P, so at the cut the state without P
//! would absorb everything), while the redirected chain keeps the initial
//! state's class closed and irreducible. The states with a redirected
//! transition are marked: the stationary mass there tells how much the cut
//! matters.

use std::collections::HashMap;

use crate::sim::kinetics::Kinetics;
use crate::sim::ssa::Ssa;

/// The states kept: Σ over `species` of n_i is at most `max_total`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// The species counted (those no non-negative conservation law bounds).
    pub species: Vec<usize>,
    pub max_total: i64,
}

impl Truncation {
    pub fn total(&self, n: &[i64]) -> i64 {
        self.species.iter().map(|&i| n[i]).sum()
    }
}

/// The states found, in the order found (the initial state first), and the
/// transitions between them.
pub struct StateSpace {
    pub species: usize,
    counts: Vec<i64>,
    /// Transitions out of state i: `edges[start[i]..start[i + 1]]` as (target, rate).
    start: Vec<usize>,
    edges: Vec<(u32, f64)>,
    /// Per state, whether a reaction from it would leave the truncation.
    pub at_edge: Vec<bool>,
}

/// Why the search stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum SearchError {
    /// More than `limit` states.
    TooMany { limit: usize },
    /// A rate law's propensity is negative at `state`, or positive where
    /// its event would take species `below_zero` under zero.
    Propensity { reaction: usize, value: f64, state: Vec<i64>, below_zero: Option<usize> },
}

impl StateSpace {
    pub fn len(&self) -> usize {
        self.at_edge.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at_edge.is_empty()
    }

    pub fn state(&self, i: usize) -> &[i64] {
        &self.counts[i * self.species..(i + 1) * self.species]
    }

    /// The index of the state with counts `n`, if it is in the space.
    pub fn position(&self, n: &[i64]) -> Option<usize> {
        (0..self.len()).find(|&i| self.state(i) == n)
    }

    /// Every state's counts, one state after another.
    pub fn counts(&self) -> &[i64] {
        &self.counts
    }

    /// (target, rate) of the transitions out of state i, one per target.
    pub fn transitions(&self, i: usize) -> &[(u32, f64)] {
        &self.edges[self.start[i]..self.start[i + 1]]
    }

    /// Whether any transition was cut.
    pub fn truncated(&self) -> bool {
        self.at_edge.iter().any(|&e| e)
    }
}

/// The states reachable from `n0` (within `truncation`, if given), at most
/// `max_states` of them.
pub fn search(
    kin: &Kinetics,
    ssa: &Ssa<'_>,
    n0: &[i64],
    truncation: Option<&Truncation>,
    max_states: usize,
) -> Result<StateSpace, SearchError> {
    let species = n0.len();
    let mut space =
        StateSpace { species, counts: n0.to_vec(), start: vec![0], edges: Vec::new(), at_edge: vec![false] };
    let mut index: HashMap<Box<[i64]>, u32> = HashMap::from([(n0.into(), 0)]);
    let mut target = vec![0i64; species];
    let mut i = 0;
    while i < space.at_edge.len() {
        let first_edge = space.edges.len();
        for r in 0..kin.reactions() {
            let state = space.state(i);
            let a = ssa.propensity(r, state);
            if a == 0.0 {
                continue;
            }
            target.copy_from_slice(state);
            for &(s, d) in kin.changes(r) {
                target[s as usize] += i64::from(d);
            }
            let below_zero = target.iter().position(|&n| n < 0);
            if a < 0.0 || below_zero.is_some() {
                return Err(SearchError::Propensity {
                    reaction: r,
                    value: a,
                    state: state.to_vec(),
                    below_zero,
                });
            }
            if target == state {
                continue;
            }
            let j = match index.get(&target[..]) {
                Some(&j) => j,
                None if truncation.is_some_and(|t| t.total(&target) > t.max_total) => {
                    space.at_edge[i] = true;
                    // Back to the initial state: dropped, the transition could leave a state with no way out.
                    if i == 0 {
                        continue;
                    }
                    0
                }
                None => {
                    let j = space.at_edge.len();
                    if j >= max_states {
                        return Err(SearchError::TooMany { limit: max_states });
                    }
                    index.insert(target.as_slice().into(), j as u32);
                    space.counts.extend_from_slice(&target);
                    space.at_edge.push(false);
                    j as u32
                }
            };
            // Reactions with the same net change lead to one target: one transition.
            match space.edges[first_edge..].iter_mut().find(|(t, _)| *t == j) {
                Some((_, rate)) => *rate += a,
                None => space.edges.push((j, a)),
            }
        }
        space.start.push(space.edges.len());
        i += 1;
    }
    Ok(space)
}
