//! The jumps' total propensities (over the vesicles) for the `Exact` and
//! `PerEvent` couplings, kept up to date by what changes them. A jump that
//! reads no potential changes only when an event changes its vesicles'
//! factors (the fired reaction's dependents): those sit in a sum tree,
//! updated and searched in O(log n). A jump that reads a potential changes
//! whenever the potentials move, which is at every event, so those few are
//! recomputed each time. In A7 lowered to two reactants (250 jumps, 80 of
//! them reading a potential) this replaced a pass over every jump per event.

use super::model::Model;
use crate::sim::sum_tree::SumTree;

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
            // A node's sum is exactly its left child's when the right one is 0, so the
            // descent never ends on an empty leaf.
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
        let last_plain = || (0..self.plain.len()).rev().find(|&i| self.tree.get(i) > 0.0).unwrap_or(0);
        last.map_or_else(|| self.plain[last_plain()], |i| self.readers[i])
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
}
