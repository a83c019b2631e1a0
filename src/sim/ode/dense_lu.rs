//! LU factorisation with partial pivoting of a small dense matrix, into
//! storage allocated once: the Rosenbrock integrator factors one matrix per
//! step, and for the handful of species a training network changes an
//! allocation would cost as much as the arithmetic.

/// The factors of an n x n row-major matrix.
#[derive(Clone, Debug)]
pub(super) struct DenseLu {
    n: usize,
    /// L (unit diagonal, below) and U (on and above) in one row-major array.
    lu: Vec<f64>,
    /// Row `i` of the factors is row `pivot[i]` of the matrix.
    pivot: Vec<usize>,
    /// 1 / U_ii: back substitution is a chain of dependent steps, and a
    /// multiplication in it costs a few cycles where a division costs tens.
    inverse_diagonal: Vec<f64>,
}

impl DenseLu {
    pub fn new(n: usize) -> DenseLu {
        DenseLu { n, lu: vec![0.0; n * n], pivot: (0..n).collect(), inverse_diagonal: vec![0.0; n] }
    }

    /// The storage to write the matrix into before [`DenseLu::factor`].
    pub fn matrix_mut(&mut self) -> &mut [f64] {
        &mut self.lu
    }

    /// Factors the matrix written through [`DenseLu::matrix_mut`] in place;
    /// false when it is singular (a zero or non-finite pivot).
    pub fn factor(&mut self) -> bool {
        let n = self.n;
        let a = &mut self.lu;
        for (i, p) in self.pivot.iter_mut().enumerate() {
            *p = i;
        }
        for k in 0..n {
            let (best, size) =
                (k..n).map(|i| (i, a[i * n + k].abs())).fold((k, -1.0), |b, c| if c.1 > b.1 { c } else { b });
            if !(size > 0.0 && size.is_finite()) {
                return false;
            }
            if best != k {
                for j in 0..n {
                    a.swap(k * n + j, best * n + j);
                }
                self.pivot.swap(k, best);
            }
            let diag = a[k * n + k];
            self.inverse_diagonal[k] = 1.0 / diag;
            for i in k + 1..n {
                let l = a[i * n + k] / diag;
                a[i * n + k] = l;
                if l != 0.0 {
                    for j in k + 1..n {
                        a[i * n + j] -= l * a[k * n + j];
                    }
                }
            }
        }
        true
    }

    /// Solves A x = b for the last factored A; `scratch` has n entries.
    pub fn solve(&self, b: &mut [f64], scratch: &mut [f64]) {
        let n = self.n;
        for (s, &p) in scratch.iter_mut().zip(&self.pivot) {
            *s = b[p];
        }
        for i in 0..n {
            let row = &self.lu[i * n..i * n + i];
            scratch[i] -= row.iter().zip(&scratch[..i]).map(|(l, x)| l * x).sum::<f64>();
        }
        for i in (0..n).rev() {
            let row = &self.lu[i * n..(i + 1) * n];
            let upper: f64 = row[i + 1..].iter().zip(&scratch[i + 1..]).map(|(u, x)| u * x).sum();
            scratch[i] = (scratch[i] - upper) * self.inverse_diagonal[i];
        }
        b.copy_from_slice(scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn factored(n: usize, a: &[f64]) -> Option<DenseLu> {
        let mut lu = DenseLu::new(n);
        lu.matrix_mut().copy_from_slice(a);
        lu.factor().then_some(lu)
    }

    #[test]
    fn a_system_that_needs_pivoting_is_solved() {
        // A zero in the first pivot position: solvable only with a row swap.
        let a = [0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0];
        let lu = factored(3, &a).unwrap();
        let x = [1.0, -2.0, 0.5];
        let mut b: Vec<f64> = (0..3).map(|i| (0..3).map(|j| a[i * 3 + j] * x[j]).sum()).collect();
        lu.solve(&mut b, &mut [0.0; 3]);
        for (got, want) in b.iter().zip(x) {
            assert!((got - want).abs() < 1e-14, "{b:?}");
        }
    }

    #[test]
    fn singular_and_non_finite_matrices_are_refused() {
        assert!(factored(2, &[1.0, 2.0, 2.0, 4.0]).is_none());
        assert!(factored(2, &[f64::NAN, 0.0, 0.0, 1.0]).is_none());
        assert!(factored(0, &[]).is_some());
    }

    proptest! {
        /// Diagonally dominant matrices are well conditioned, so A (A⁻¹ b) = b to rounding.
        #[test]
        fn solutions_satisfy_the_system(n in 1usize..8, seed in prop::collection::vec(-1.0f64..1.0, 72)) {
            let mut a: Vec<f64> = seed[..n * n].to_vec();
            for i in 0..n {
                a[i * n + i] += n as f64 * if seed[64 + i] < 0.0 { -1.0 } else { 1.0 };
            }
            let lu = factored(n, &a).unwrap();
            let b: Vec<f64> = seed[..n].iter().map(|v| v * 3.0).collect();
            let mut x = b.clone();
            lu.solve(&mut x, &mut vec![0.0; n]);
            for i in 0..n {
                let ax: f64 = (0..n).map(|j| a[i * n + j] * x[j]).sum();
                prop_assert!((ax - b[i]).abs() < 1e-12, "row {}: {} vs {}", i, ax, b[i]);
            }
        }
    }
}
