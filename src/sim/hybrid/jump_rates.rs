//! The jumps' total propensities (over the vesicles) for the `Exact` and
//! `PerEvent` couplings, kept up to date by what changes them. A jump that
//! reads no potential changes only when an event changes its vesicles'
//! factors (the fired reaction's dependents): those sit in a sum tree,
//! updated and searched in O(log n). A jump that reads a potential changes
//! whenever the potentials move, which is at every event, so those few are
//! recomputed each time. In A7 lowered to two reactants (250 jumps, 80 of
//! them reading a potential) this replaced a pass over every jump per event.

use super::model::Model;

pub(super) struct JumpRates {
    /// Per reaction: its leaf in `tree` when it is a jump that reads no
    /// potential; and per leaf, its reaction.
    leaf: Vec<usize>,
    plain: Vec<usize>,
    tree: SumTree,
    /// The jumps that read a potential, their propensities, and their sum.
    readers: Vec<usize>,
    reader_rates: Vec<f64>,
    reader_total: f64,
}

impl JumpRates {
    /// The rates at the vesicles' factor sums `sums`.
    pub fn new(model: &Model, sums: &[f64]) -> JumpRates {
        let readers = model.potential_readers.clone();
        let mut reads = vec![false; model.reactions()];
        for &r in &readers {
            reads[r] = true;
        }
        let plain: Vec<usize> = model.jumps.iter().copied().filter(|&r| !reads[r]).collect();
        let mut leaf = vec![usize::MAX; model.reactions()];
        for (i, &r) in plain.iter().enumerate() {
            leaf[r] = i;
        }
        let mut rates = JumpRates {
            leaf,
            tree: SumTree::new(plain.len()),
            plain,
            reader_rates: vec![0.0; readers.len()],
            readers,
            reader_total: 0.0,
        };
        rates.refresh(model, model.jumps.iter().copied(), sums);
        rates
    }

    /// Brings the plain jumps among `reactions` up to date with `sums` (after
    /// an event: the fired reaction's dependents; after a cut: every jump).
    pub fn refresh(&mut self, model: &Model, reactions: impl Iterator<Item = usize>, sums: &[f64]) {
        for r in reactions {
            if self.leaf[r] != usize::MAX {
                self.tree.set(self.leaf[r], model.constant[r] * sums[r]);
            }
        }
    }

    /// Recomputes the potential readers at the potential factors `factors`.
    pub fn read_potentials(&mut self, model: &Model, sums: &[f64], factors: &[f64]) {
        for (a, &r) in self.reader_rates.iter_mut().zip(&self.readers) {
            *a = model.constant[r] * sums[r] * factors[r];
        }
        self.reader_total = super::ensemble::total(&self.reader_rates);
    }

    /// The total propensity of the jumps that read no potential.
    pub fn plain_total(&self) -> f64 {
        self.tree.total()
    }

    /// The total propensity of every jump (the readers as last read).
    pub fn total(&self) -> f64 {
        self.tree.total() + self.reader_total
    }

    /// The jump whose share of the total holds `u`·total, for `u` in [0, 1)
    /// and a positive total: never a jump whose propensity is 0.
    pub fn pick(&self, u: f64) -> usize {
        let plain = self.tree.total();
        let mut target = u * (plain + self.reader_total);
        if target < plain {
            return self.plain[self.tree.find(target)];
        }
        target -= plain;
        let mut sum = 0.0;
        for (&a, &r) in self.reader_rates.iter().zip(&self.readers) {
            sum += a;
            if target < sum && a > 0.0 {
                return r;
            }
        }
        // Rounding left the target past the last reader: the last one that can fire.
        let last = self.reader_rates.iter().rposition(|&a| a > 0.0);
        last.map_or_else(|| self.plain[self.tree.last_positive()], |i| self.readers[i])
    }
}

/// Sums over leaves in a complete binary tree, each inner node the sum of
/// its children recomputed on every change (so the sums never drift, unlike
/// a tree that adds differences).
struct SumTree {
    /// Leaves start here; node i has children 2i and 2i + 1, the root is 1.
    width: usize,
    nodes: Vec<f64>,
}

impl SumTree {
    fn new(leaves: usize) -> SumTree {
        let width = leaves.max(1).next_power_of_two();
        SumTree { width, nodes: vec![0.0; 2 * width] }
    }

    fn set(&mut self, leaf: usize, value: f64) {
        let mut i = self.width + leaf;
        self.nodes[i] = value;
        while i > 1 {
            i /= 2;
            self.nodes[i] = self.nodes[2 * i] + self.nodes[2 * i + 1];
        }
    }

    fn total(&self) -> f64 {
        self.nodes[1]
    }

    /// The leaf whose share holds `target` in [0, total): a node's sum is
    /// exactly its left child's when the right one is 0, so the descent
    /// never ends on a leaf of value 0.
    fn find(&self, mut target: f64) -> usize {
        let mut i = 1;
        while i < self.width {
            let left = self.nodes[2 * i];
            if target < left {
                i *= 2;
            } else {
                target -= left;
                i = 2 * i + 1;
            }
        }
        if self.nodes[i] > 0.0 { i - self.width } else { self.last_positive() }
    }

    fn last_positive(&self) -> usize {
        self.nodes[self.width..].iter().rposition(|&a| a > 0.0).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::hybrid::tests::model_of;

    /// A plain jump (2 A at rate 1) and a reader (3 B at rate 2 times [P] = 2):
    /// totals 2 + 12, each picked by its share, the reader moving with [P].
    #[test]
    fn plain_jumps_and_potential_readers_share_the_draw() {
        let model = model_of(
            "network T { species amount A = 2, B = 3, P = 2; A -> B @ 1; B + P -> A + P @ 2; }",
            &["P"],
        );
        let sums = [2.0, 3.0];
        let mut rates = JumpRates::new(&model, &sums);
        rates.read_potentials(&model, &sums, &model.potential_factors(&[2.0]));
        assert_eq!((rates.plain_total(), rates.total()), (2.0, 14.0));
        assert_eq!([0.1, 0.14, 0.15, 0.99].map(|u| rates.pick(u)), [0, 0, 1, 1]);
        rates.read_potentials(&model, &sums, &model.potential_factors(&[0.0]));
        assert_eq!((rates.total(), rates.pick(0.99)), (2.0, 0));
        rates.refresh(&model, [0].into_iter(), &[0.0, 3.0]);
        assert_eq!(rates.plain_total(), 0.0);
    }

    #[test]
    fn the_tree_finds_each_leaf_by_its_share_and_skips_empty_ones() {
        let mut tree = SumTree::new(5);
        for (i, v) in [2.0, 0.0, 1.0, 0.0, 3.0].into_iter().enumerate() {
            tree.set(i, v);
        }
        assert_eq!(tree.total(), 6.0);
        let picks: Vec<usize> = (0..6).map(|k| tree.find(k as f64 + 0.5)).collect();
        assert_eq!(picks, [0, 0, 2, 4, 4, 4]);
        assert_eq!(tree.find(2.0), 2, "a boundary belongs to the next leaf with mass");
        tree.set(4, 0.0);
        assert_eq!((tree.total(), tree.find(2.999)), (3.0, 2));
    }
}
