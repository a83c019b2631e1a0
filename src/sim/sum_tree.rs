//! A complete binary tree of partial sums over non-negative weights, the
//! sampling structure of the hybrid couplings' plain jumps.

/// A complete binary tree of partial sums: drawing a leaf by weight and
/// changing a weight are O(log M), and every sum is recomputed from its
/// children, so no rounding drift accumulates.
pub(crate) struct SumTree {
    leaves: usize,
    sums: Vec<f64>,
}

impl SumTree {
    pub(crate) fn new(len: usize) -> SumTree {
        let leaves = len.next_power_of_two().max(1);
        SumTree { leaves, sums: vec![0.0; 2 * leaves] }
    }

    pub(crate) fn total(&self) -> f64 {
        self.sums[1]
    }

    pub(crate) fn get(&self, i: usize) -> f64 {
        self.sums[self.leaves + i]
    }

    pub(crate) fn set(&mut self, i: usize, value: f64) {
        let mut node = self.leaves + i;
        self.sums[node] = value;
        while node > 1 {
            node /= 2;
            self.sums[node] = self.sums[2 * node] + self.sums[2 * node + 1];
        }
    }

    /// The leaf whose cumulative range contains `x` (0 <= x < total).
    pub(crate) fn find(&self, x: f64) -> usize {
        self.find_with_rest(x).0
    }

    /// The leaf whose cumulative range contains `x`, and how far into that
    /// leaf's range `x` lies: a second-level draw reuses it instead of
    /// drawing another number.
    pub(crate) fn find_with_rest(&self, mut x: f64) -> (usize, f64) {
        let mut node = 1;
        while node < self.leaves {
            let left = self.sums[2 * node];
            if x < left {
                node *= 2;
            } else {
                x -= left;
                node = 2 * node + 1;
            }
        }
        (node - self.leaves, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_tree_finds_leaves_by_cumulative_weight() {
        let mut tree = SumTree::new(5);
        for (i, w) in [1.0, 0.0, 2.0, 3.0, 4.0].into_iter().enumerate() {
            tree.set(i, w);
        }
        assert_eq!(tree.total(), 10.0);
        assert_eq!(tree.find(0.5), 0);
        assert_eq!(tree.find(1.0), 2, "zero-weight leaves are skipped");
        assert_eq!(tree.find(2.9), 2);
        assert_eq!(tree.find(3.0), 3);
        assert_eq!(tree.find(9.9), 4);
        assert_eq!(tree.find_with_rest(4.5), (3, 1.5));
        tree.set(4, 0.0);
        assert_eq!(tree.total(), 6.0);
    }
}
