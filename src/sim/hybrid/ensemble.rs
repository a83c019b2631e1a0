//! The vesicles as one jump process (the `Exact` and `PerEvent` couplings):
//! each reaction's discrete factor summed over vesicles, S_r = Σ_v h_r(n^v),
//! so a jump's total propensity is its constant times its potential factor
//! times S_r, and per jump a Fenwick tree over the vesicles' factors picks
//! the vesicle in O(log N). Factors are products of whole numbers, exact in
//! f64 below 2^53, so the sums never drift.

use super::model::Model;
use super::vesicle::{Groups, Vesicle};

pub(super) struct Ensemble {
    pub vesicles: Vec<Vesicle>,
    /// S_r for every reaction.
    pub sums: Vec<f64>,
    /// Per jump (by its position in `model.jumps`), a Fenwick tree of N + 1 slots.
    trees: Vec<f64>,
    /// Reaction -> its position in `model.jumps` (usize::MAX for a flow).
    jump_slot: Vec<usize>,
}

impl Ensemble {
    pub fn new(model: &Model, vesicles: Vec<Vesicle>) -> Ensemble {
        let n = vesicles.len();
        let mut jump_slot = vec![usize::MAX; model.reactions()];
        for (i, &r) in model.jumps.iter().enumerate() {
            jump_slot[r] = i;
        }
        let sums = (0..model.reactions()).map(|r| vesicles.iter().map(|v| v.factors[r]).sum()).collect();
        let mut ensemble =
            Ensemble { vesicles, sums, trees: vec![0.0; model.jumps.len() * (n + 1)], jump_slot };
        for (i, &r) in model.jumps.iter().enumerate() {
            for v in 0..n {
                tree_add(&mut ensemble.trees, n, i, v, ensemble.vesicles[v].factors[r]);
            }
        }
        ensemble
    }

    /// The vesicle in which jump `r` fires, for `u` uniform in [0, 1): the
    /// one whose share of S_r holds u·S_r.
    pub fn pick_vesicle(&self, r: usize, u: f64) -> usize {
        let n = self.vesicles.len();
        let jump = self.jump_slot[r];
        let tree = &self.trees[jump * (n + 1)..(jump + 1) * (n + 1)];
        let mut rest = u * self.sums[r];
        let mut pos = 0;
        let mut step = (n + 1).next_power_of_two() / 2;
        while step > 0 {
            if pos + step <= n && tree[pos + step] <= rest {
                pos += step;
                rest -= tree[pos];
            }
            step /= 2;
        }
        pos.min(n - 1)
    }

    /// Fires jump `r` in vesicle `v` at time `t`, keeping the sums and trees.
    #[inline]
    pub fn fire(&mut self, model: &Model, groups: &Groups, r: usize, v: usize, t: f64) {
        let n = self.vesicles.len();
        let changed = follow(&mut self.sums, &mut self.trees, &self.jump_slot, n, v);
        self.vesicles[v].fire(model, groups, r, t, changed);
    }

    /// Sets every vesicle's discrete species to `counts` at time `t`.
    pub fn set(&mut self, model: &Model, groups: &Groups, counts: &[(usize, i64)], t: f64) {
        let n = self.vesicles.len();
        for (v, vesicle) in self.vesicles.iter_mut().enumerate() {
            let changed = follow(&mut self.sums, &mut self.trees, &self.jump_slot, n, v);
            vesicle.set(model, groups, counts, t, changed);
        }
    }
}

/// What keeps S_r and the trees in step with vesicle `v`'s factors: called
/// with (reaction, old factor, new factor) for each factor that changes.
#[inline]
fn follow<'a>(
    sums: &'a mut [f64],
    trees: &'a mut [f64],
    jump_slot: &'a [usize],
    n: usize,
    v: usize,
) -> impl FnMut(usize, f64, f64) + 'a {
    move |j, old, new| {
        sums[j] += new - old;
        if jump_slot[j] != usize::MAX {
            tree_add(trees, n, jump_slot[j], v, new - old);
        }
    }
}

/// The sum of `values` in four interleaved partial sums: one running sum
/// makes every addition wait for the one before, and on A7's 46 jumps that
/// chain was a third of the per-event loop.
#[inline]
pub(super) fn total(values: &[f64]) -> f64 {
    let mut lanes = [0.0; 4];
    let chunks = values.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
}

/// Adds `delta` to vesicle `vesicle`'s slot in the Fenwick tree of jump `jump`.
#[inline]
fn tree_add(trees: &mut [f64], n: usize, jump: usize, vesicle: usize, delta: f64) {
    let tree = &mut trees[jump * (n + 1)..(jump + 1) * (n + 1)];
    let mut i = vesicle + 1;
    while i <= n {
        tree[i] += delta;
        i += i & i.wrapping_neg();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::hybrid::tests::model_of;

    /// Each vesicle is picked in proportion to its factor; a vesicle with
    /// factor 0 never is.
    #[test]
    fn the_vesicle_is_picked_in_proportion_to_its_factor() {
        let model = model_of("network T { species A = 0, P = 1; A + P -> P @ 1; }", &["P"]);
        let groups = Groups::new(vec![], 1);
        let vesicles = [3, 0, 1, 4].map(|a| Vesicle::new(&model, vec![a], 0, 0.0)).to_vec();
        let ensemble = Ensemble::new(&model, vesicles);
        assert_eq!(ensemble.sums[0], 8.0);
        let picks: Vec<usize> = (0..8).map(|i| ensemble.pick_vesicle(0, (i as f64 + 0.5) / 8.0)).collect();
        assert_eq!(picks, [0, 0, 0, 2, 3, 3, 3, 3]);
        let mut ensemble = ensemble;
        ensemble.fire(&model, &groups, 0, 3, 1.0);
        assert_eq!((ensemble.sums[0], ensemble.pick_vesicle(0, 0.99)), (7.0, 3));
        assert_eq!(ensemble.pick_vesicle(0, 3.5 / 7.0), 2);
    }
}
