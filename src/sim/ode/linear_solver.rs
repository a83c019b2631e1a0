//! The linear solver for BDF's Newton iterations: dense LU up to
//! [`DENSE_MAX_SPECIES`] coupled species, exact sparse LU below
//! [`ITERATIVE_MIN_SPECIES`], ILU(0)-preconditioned GMRES from there on, and
//! exact LU again whenever the iterative path fails.

use std::cell::{Cell, RefCell};

use diffsol::{FaerContext, FaerSparseLU, FaerSparseMat, FaerVec, LaError, Matrix, MatrixCommon, Vector};
use diffsol_la::{LinearOp, LinearSolver};
use faer::sparse::SymbolicSparseColMat;

use super::dense_lu::DenseLu;
use super::ilu_gmres::{Csc, Gmres, Ilu0};

/// Networks with at least this many species use ILU(0)-GMRES.
///
/// Measured with this module (release build, rtol 1e-6, t = 100, best of 5),
/// LU against GMRES: multistate (9 species) 0.4 ms against 0.5 ms,
/// multisite2 (66 species) 5.4 ms against 3.4 ms, egfr_net (356 species)
/// 93 ms against 50 ms; in the prototype BCR (1,122 species) took 2.2 s
/// against 0.37 s and fceri_gamma2 (3,744 species) 27 s against 0.5 s to
/// t = 10, as LU fill-in on the hub species grows. The crossover lies
/// between 9 and 66 species; below it the exact factorisation is all but
/// free and never needs a fallback.
pub(super) const ITERATIVE_MIN_SPECIES: usize = 64;

/// Networks with at most this many coupled species (those some rate reads)
/// factor a dense copy of their part of the matrix: at this size a sparse
/// LU's symbolic bookkeeping costs more than the arithmetic it saves.
pub(super) const DENSE_MAX_SPECIES: usize = 24;

/// After this many consecutive linearisations that all needed the exact LU,
/// the ILU is evidently no use for this problem and is no longer tried.
const FALLBACKS_BEFORE_GIVING_UP_ON_ILU: usize = 3;

type M = FaerSparseMat<f64>;
type V = FaerVec<f64>;

/// diffsol creates the solver with `Default` and then calls `set_sparsity`.
#[derive(Default)]
pub(super) struct NewtonSolver {
    state: Option<State>,
}

enum State {
    Dense(Box<Dense>),
    Direct(Box<FaerSparseLU<f64>>),
    Iterative(Box<Iterative>),
}

/// Dense LU with partial pivoting of the coupled part of the Newton matrix.
///
/// A species that no rate reads (a gradient accumulator, a product that
/// only piles up) has a zero Jacobian column, so its column of
/// M = I − hγJ holds only the diagonal. Those columns split off: with N the
/// other columns, M[N, T] = 0, so x_N solves the small dense system
/// M[N, N] x_N = b_N and each x_t = (b_t − M[t, N] x_N) / M[t, t] follows by
/// substitution. A training phase with 52 species of which 12 are read
/// factors a 12 × 12 matrix.
struct Dense {
    sparse: M,
    /// The coupled columns, and each column's place among them (or `None`).
    coupled: Vec<usize>,
    place: Vec<Option<usize>>,
    /// The split-off columns, each with the index of its diagonal value.
    split: Vec<(usize, usize)>,
    /// (row in the split part, value index, coupled column's place) of every
    /// entry M[t, N].
    coupling: Vec<(usize, usize, usize)>,
    lu: DenseLu,
    /// Whether `lu` holds the factors of a nonsingular matrix.
    factored: bool,
    /// x_N, then the LU's scratch.
    work: RefCell<(Vec<f64>, Vec<f64>)>,
}

impl Dense {
    /// The split of `sparsity`, or `None` when more than
    /// [`DENSE_MAX_SPECIES`] columns are coupled.
    fn new(sparsity: SymbolicSparseColMat<usize>, ctx: FaerContext) -> Option<Dense> {
        let n = sparsity.ncols();
        let (col_ptr, row_idx) = (sparsity.col_ptr(), sparsity.row_idx());
        let diagonal_only = |j: usize| (col_ptr[j]..col_ptr[j + 1]).all(|k| row_idx[k] == j);
        let diagonal_at = |j: usize| (col_ptr[j]..col_ptr[j + 1]).find(|&k| row_idx[k] == j);
        let mut place = vec![None; n];
        let mut coupled = Vec::new();
        let mut split = Vec::new();
        for (j, place) in place.iter_mut().enumerate() {
            match diagonal_at(j).filter(|_| diagonal_only(j)) {
                Some(k) => split.push((j, k)),
                None => {
                    *place = Some(coupled.len());
                    coupled.push(j);
                }
            }
        }
        if coupled.len() > DENSE_MAX_SPECIES {
            return None;
        }
        let coupling = coupled
            .iter()
            .enumerate()
            .flat_map(|(c, &j)| (col_ptr[j]..col_ptr[j + 1]).map(move |k| (k, c)))
            .filter(|&(k, _)| place[row_idx[k]].is_none())
            .map(|(k, c)| (row_idx[k], k, c))
            .collect();
        let m = coupled.len();
        let work = RefCell::new((vec![0.0; m], vec![0.0; m]));
        let sparse = M::new_from_sparsity(n, n, Some(sparsity), ctx);
        Some(Dense { sparse, coupled, place, split, coupling, lu: DenseLu::new(m), factored: false, work })
    }

    fn set_linearisation<C: LinearOp<T = f64, V = V, M = M, C = FaerContext>>(&mut self, op: &C) {
        op.matrix_inplace(&mut self.sparse);
        let m = self.coupled.len();
        let dense = self.lu.matrix_mut();
        dense.fill(0.0);
        let csc = &self.sparse.inner()[0];
        let (col_ptr, row_idx, values) = (csc.symbolic().col_ptr(), csc.symbolic().row_idx(), csc.val());
        for (c, &j) in self.coupled.iter().enumerate() {
            for k in col_ptr[j]..col_ptr[j + 1] {
                if let Some(r) = self.place[row_idx[k]] {
                    dense[r * m + c] += values[k];
                }
            }
        }
        self.factored = self.lu.factor();
    }

    fn solve_in_place(&self, b: &mut V) -> Result<(), LaError> {
        if !self.factored {
            return Err(LaError::Other("the Newton matrix is singular".to_string()));
        }
        let values = self.sparse.inner()[0].val();
        let (work, scratch) = &mut *self.work.borrow_mut();
        let mut ok = true;
        b.for_each_batch_host([], |b, [], _| {
            for (c, &j) in self.coupled.iter().enumerate() {
                work[c] = b[j];
            }
            self.lu.solve(work, scratch);
            for &(t, k, c) in &self.coupling {
                b[t] -= values[k] * work[c];
            }
            for &(t, k) in &self.split {
                ok &= values[k] != 0.0;
                b[t] /= values[k];
            }
            for (c, &j) in self.coupled.iter().enumerate() {
                b[j] = work[c];
            }
        });
        if ok { Ok(()) } else { Err(LaError::Other("the Newton matrix is singular".to_string())) }
    }
}

struct Iterative {
    sparsity: SymbolicSparseColMat<usize>,
    matrix: M,
    ilu: Ilu0,
    gmres: RefCell<Gmres>,
    /// Exact factors of `matrix`, set up the first time the iterative path fails.
    lu: RefCell<Option<FaerSparseLU<f64>>>,
    /// Whether `lu` holds the factors of the current linearisation (and is
    /// then used for all of its solves).
    lu_current: Cell<bool>,
    fallbacks_in_a_row: usize,
}

/// A matrix already assembled, as the operator faer's LU is set up from.
struct Assembled<'a> {
    sparsity: &'a SymbolicSparseColMat<usize>,
    matrix: &'a M,
}

impl LinearOp for Assembled<'_> {
    type T = f64;
    type V = V;
    type M = M;
    type C = FaerContext;

    fn nrows(&self) -> usize {
        self.sparsity.nrows()
    }

    fn ncols(&self) -> usize {
        self.sparsity.ncols()
    }

    fn context(&self) -> &FaerContext {
        self.matrix.context()
    }

    fn matrix_inplace(&self, y: &mut M) {
        for (dst, src) in y.inner_mut().iter_mut().zip(self.matrix.inner()) {
            dst.val_mut().copy_from_slice(src.val());
        }
    }

    fn sparsity(&self) -> Option<SymbolicSparseColMat<usize>> {
        Some(self.sparsity.clone())
    }
}

impl Iterative {
    fn new(sparsity: SymbolicSparseColMat<usize>, ctx: FaerContext) -> Option<Iterative> {
        let ilu = Ilu0::new(sparsity.col_ptr(), sparsity.row_idx())?;
        let n = sparsity.nrows();
        Some(Iterative {
            matrix: M::new_from_sparsity(n, n, Some(sparsity.clone()), ctx),
            sparsity,
            ilu,
            gmres: RefCell::new(Gmres::new(n)),
            lu: RefCell::new(None),
            lu_current: Cell::new(false),
            fallbacks_in_a_row: 0,
        })
    }

    fn set_linearisation<C: LinearOp<T = f64, V = V, M = M, C = FaerContext>>(&mut self, op: &C) {
        op.matrix_inplace(&mut self.matrix);
        self.fallbacks_in_a_row = if self.lu_current.get() { self.fallbacks_in_a_row + 1 } else { 0 };
        self.lu_current.set(false);
        if self.fallbacks_in_a_row >= FALLBACKS_BEFORE_GIVING_UP_ON_ILU
            || !self.ilu.factor(self.matrix.inner()[0].val())
        {
            self.factor_exactly();
        }
    }

    fn factor_exactly(&self) {
        let op = Assembled { sparsity: &self.sparsity, matrix: &self.matrix };
        let mut lu = self.lu.borrow_mut();
        let lu = lu.get_or_insert_with(|| {
            let mut lu = FaerSparseLU::default();
            lu.set_sparsity(&op);
            lu
        });
        lu.set_linearisation(&op);
        self.lu_current.set(true);
    }

    fn solve_exactly(&self, b: &mut V) -> Result<(), LaError> {
        match self.lu.borrow().as_ref() {
            Some(lu) => lu.solve_in_place(b),
            None => Err(LaError::Other("the exact LU fallback was never factored".to_string())),
        }
    }

    fn solve_in_place(&self, b: &mut V) -> Result<(), LaError> {
        if !self.lu_current.get() {
            let a = Csc {
                col_ptr: self.sparsity.col_ptr(),
                row_idx: self.sparsity.row_idx(),
                values: self.matrix.inner()[0].val(),
            };
            let mut gmres = self.gmres.borrow_mut();
            let mut converged = true;
            b.for_each_batch_host([], |b, [], _| converged &= gmres.solve(a, &self.ilu, b));
            if converged {
                return Ok(());
            }
            self.factor_exactly();
        }
        self.solve_exactly(b)
    }
}

impl LinearSolver<M> for NewtonSolver {
    fn set_sparsity<C: LinearOp<T = f64, V = V, M = M, C = FaerContext>>(&mut self, op: &C) {
        if let Some(dense) = op.sparsity().and_then(|sparsity| Dense::new(sparsity, *op.context())) {
            self.state = Some(State::Dense(Box::new(dense)));
            return;
        }
        let iterative = match op.sparsity() {
            Some(sparsity) if op.nrows() >= ITERATIVE_MIN_SPECIES => Iterative::new(sparsity, *op.context()),
            _ => None,
        };
        self.state = Some(match iterative {
            Some(iterative) => State::Iterative(Box::new(iterative)),
            None => {
                let mut lu = Box::<FaerSparseLU<f64>>::default();
                lu.set_sparsity(op);
                State::Direct(lu)
            }
        });
    }

    fn set_linearisation<C: LinearOp<T = f64, V = V, M = M, C = FaerContext>>(&mut self, op: &C) {
        match &mut self.state {
            Some(State::Dense(dense)) => dense.set_linearisation(op),
            Some(State::Direct(lu)) => lu.set_linearisation(op),
            Some(State::Iterative(iterative)) => iterative.set_linearisation(op),
            None => {}
        }
    }

    fn solve_in_place(&self, b: &mut V) -> Result<(), LaError> {
        match &self.state {
            Some(State::Dense(dense)) => dense.solve_in_place(b),
            Some(State::Direct(lu)) => lu.solve_in_place(b),
            Some(State::Iterative(iterative)) => iterative.solve_in_place(b),
            None => Err(LaError::Other("the linear solver has no matrix yet".to_string())),
        }
    }

    fn solve_transpose_in_place(&self, _b: &mut V) -> Result<(), LaError> {
        Err(LaError::Other(
            "transposed solves are only needed for adjoints, which crnc does not use".to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffsol::VectorCommon;

    /// n x n with 2x2 blocks [[d, 1], [1, d]] on the diagonal.
    fn blocks(n: usize, d: f64) -> (SymbolicSparseColMat<usize>, M) {
        let (mut col_ptr, mut row_idx, mut values) = (vec![0], vec![], vec![]);
        for j in 0..n {
            let partner = j ^ 1;
            let mut rows = [(j, d), (partner, 1.0)];
            rows.sort_by_key(|r| r.0);
            for (i, v) in rows {
                row_idx.push(i);
                values.push(v);
            }
            col_ptr.push(row_idx.len());
        }
        let sparsity = SymbolicSparseColMat::new_checked(n, n, col_ptr, None, row_idx);
        let mut matrix = M::new_from_sparsity(n, n, Some(sparsity.clone()), FaerContext::default());
        matrix.inner_mut()[0].val_mut().copy_from_slice(&values);
        (sparsity, matrix)
    }

    fn solve(solver: &NewtonSolver, rhs: &[f64]) -> Vec<f64> {
        let mut b = V::from_slice(rhs, FaerContext::default());
        solver.solve_in_place(&mut b).unwrap();
        b.inner().col_as_slice(0).to_vec()
    }

    fn lu_current(solver: &NewtonSolver) -> bool {
        match &solver.state {
            Some(State::Iterative(it)) => it.lu_current.get(),
            _ => panic!("expected the iterative solver"),
        }
    }

    #[test]
    fn tiny_systems_use_the_dense_lu_and_small_ones_the_sparse_lu() {
        for (n, dense) in [(4, true), (DENSE_MAX_SPECIES + 2, false)] {
            let (sparsity, matrix) = blocks(n, 0.0);
            let mut solver = NewtonSolver::default();
            let op = Assembled { sparsity: &sparsity, matrix: &matrix };
            solver.set_sparsity(&op);
            assert_eq!(matches!(solver.state, Some(State::Dense(_))), dense, "n = {n}");
            assert_eq!(matches!(solver.state, Some(State::Direct(_))), !dense, "n = {n}");
            solver.set_linearisation(&op);
            let rhs: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let swapped: Vec<f64> = (0..n).map(|i| rhs[i ^ 1]).collect();
            assert_eq!(solve(&solver, &rhs), swapped);
        }
    }

    /// [[2, 1], [1, 2]] on species 0 and 1, then `n − 2` accumulators, each
    /// with diagonal 4 and the entries 1 and −1 in columns 0 and 1.
    fn accumulators(n: usize) -> (SymbolicSparseColMat<usize>, M) {
        let (mut col_ptr, mut row_idx, mut values) = (vec![0], vec![], vec![]);
        for (j, diagonal, partner, sign) in [(0, 2.0, 1, 1.0), (1, 2.0, 0, -1.0)] {
            let mut rows = vec![(j, diagonal), (partner, 1.0)];
            rows.extend((2..n).map(|t| (t, sign)));
            rows.sort_by_key(|r| r.0);
            for (i, v) in rows {
                row_idx.push(i);
                values.push(v);
            }
            col_ptr.push(row_idx.len());
        }
        for t in 2..n {
            row_idx.push(t);
            values.push(4.0);
            col_ptr.push(row_idx.len());
        }
        let sparsity = SymbolicSparseColMat::new_checked(n, n, col_ptr, None, row_idx);
        let mut matrix = M::new_from_sparsity(n, n, Some(sparsity.clone()), FaerContext::default());
        matrix.inner_mut()[0].val_mut().copy_from_slice(&values);
        (sparsity, matrix)
    }

    #[test]
    fn columns_no_rate_reads_split_off_the_dense_lu_however_many() {
        let n = 3 * DENSE_MAX_SPECIES;
        let (sparsity, matrix) = accumulators(n);
        let mut solver = NewtonSolver::default();
        let op = Assembled { sparsity: &sparsity, matrix: &matrix };
        solver.set_sparsity(&op);
        match &solver.state {
            Some(State::Dense(dense)) => assert_eq!(dense.coupled, [0, 1]),
            _ => panic!("expected the dense LU"),
        }
        solver.set_linearisation(&op);
        let rhs: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
        let x = solve(&solver, &rhs);
        // 2 x0 + x1 = 1, x0 + 2 x1 = 2; 4 x_t + x0 − x1 = b_t.
        let (x0, x1) = (0.0, 1.0);
        assert!((x[0] - x0).abs() < 1e-15 && (x[1] - x1).abs() < 1e-15, "{:?}", &x[..2]);
        for t in 2..n {
            assert!((x[t] - (rhs[t] - x0 + x1) / 4.0).abs() < 1e-14, "x[{t}] = {}", x[t]);
        }
    }

    #[test]
    fn a_singular_dense_system_is_an_error_not_a_panic() {
        let (sparsity, matrix) = blocks(2, 1.0); // [[1, 1], [1, 1]]
        let mut solver = NewtonSolver::default();
        let op = Assembled { sparsity: &sparsity, matrix: &matrix };
        solver.set_sparsity(&op);
        solver.set_linearisation(&op);
        let mut b = V::from_slice(&[1.0, 2.0], FaerContext::default());
        assert!(solver.solve_in_place(&mut b).is_err());
    }

    #[test]
    fn large_systems_use_gmres_and_fall_back_to_lu_on_a_zero_pivot() {
        let n = ITERATIVE_MIN_SPECIES;
        let rhs: Vec<f64> = (0..n).map(|i| i as f64 + 1.0).collect();
        let mut solver = NewtonSolver::default();

        let (sparsity, good) = blocks(n, 3.0);
        solver.set_sparsity(&Assembled { sparsity: &sparsity, matrix: &good });
        solver.set_linearisation(&Assembled { sparsity: &sparsity, matrix: &good });
        assert!(!lu_current(&solver));
        let x = solve(&solver, &rhs);
        for k in (0..n).step_by(2) {
            // [[3, 1], [1, 3]] x = (b0, b1)
            let (b0, b1) = (rhs[k], rhs[k + 1]);
            assert!((x[k] - (3.0 * b0 - b1) / 8.0).abs() < 1e-9);
            assert!((x[k + 1] - (3.0 * b1 - b0) / 8.0).abs() < 1e-9);
        }

        // A zero diagonal defeats ILU(0) but not the pivoting LU.
        let (_, swap) = blocks(n, 0.0);
        for round in 1..=FALLBACKS_BEFORE_GIVING_UP_ON_ILU + 1 {
            solver.set_linearisation(&Assembled { sparsity: &sparsity, matrix: &swap });
            assert!(lu_current(&solver), "round {round}");
            let x = solve(&solver, &rhs);
            let swapped: Vec<f64> = (0..n).map(|i| rhs[i ^ 1]).collect();
            assert_eq!(x, swapped);
        }
        // Having given up on the ILU, the solver stays with the LU even for a good matrix.
        solver.set_linearisation(&Assembled { sparsity: &sparsity, matrix: &good });
        assert!(lu_current(&solver));
    }
}
