//! Mass-action kinetics as diffsol equations, with the analytic sparse
//! Jacobian.
//!
//! diffsol would otherwise assemble the Jacobian from Jacobian-vector
//! products, one per colour of a graph colouring of its pattern; mass
//! action's entries are short products that can be written straight into the
//! CSC values instead, through a scatter plan computed once.

use diffsol::{
    ConstantOp, FaerContext, FaerSparseMat, FaerVec, Matrix, NonLinearOp, NonLinearOpJacobian, OdeEquations,
    OdeEquationsRef, Op, UnitCallable, Vector, VectorCommon,
};
use faer::sparse::SymbolicSparseColMat;

use crate::sim::kinetics::Kinetics;

type M = FaerSparseMat<f64>;
type V = FaerVec<f64>;

/// x^a for the small integer exponents of mass action (`a = 0` gives 1).
#[inline]
fn pow(x: f64, a: u32) -> f64 {
    match a {
        0 => 1.0,
        1 => x,
        2 => x * x,
        _ => x.powi(a as i32),
    }
}

/// ∂v_r/∂x_s for the reactant in slot `p` of reaction r:
/// `k_r α_p x_s^(α_p - 1) ∏_{q≠p} x_q^α_q`. Written as a product over the other
/// slots rather than `v_r α / x_s` so that it stays exact at x_s = 0.
#[inline]
pub(super) fn partial(kin: &Kinetics, r: usize, p: usize, x: &[f64]) -> f64 {
    let reactants = kin.reactants(r);
    let mut d = kin.k[r];
    for (q, &(s, a)) in reactants.iter().enumerate() {
        let xs = x[s as usize];
        d *= if q == p { f64::from(a) * pow(xs, a.saturating_sub(1)) } else { pow(xs, a) };
    }
    d
}

/// The Jacobian's CSC pattern and, for every (reaction, reactant slot), where
/// its partial derivative lands: J_ij = Σ_r ν_ir ∂v_r/∂x_j, so slot (r, j)
/// contributes ν_ir · ∂v_r/∂x_j to entry (i, j) for each species i that r
/// changes.
#[derive(Debug)]
pub(super) struct JacobianPattern {
    pub sparsity: SymbolicSparseColMat<usize>,
    /// Per reaction-reactant slot, in reaction order: `scatter[slot_start[s]..slot_start[s + 1]]`.
    slot_start: Vec<usize>,
    /// (CSC value index, ν_ir).
    scatter: Vec<(usize, f64)>,
}

impl JacobianPattern {
    pub fn new(kin: &Kinetics) -> JacobianPattern {
        let n = kin.species;
        // The diagonal is always present: the Newton matrix I - γJ needs it,
        // and it keeps the pattern structurally non-singular for the LU and
        // ILU factorisations.
        let mut columns: Vec<Vec<usize>> = (0..n).map(|j| vec![j]).collect();
        for r in 0..kin.reactions() {
            for &(j, _) in kin.reactants(r) {
                columns[j as usize].extend(kin.changes(r).iter().map(|&(i, _)| i as usize));
            }
        }
        let mut col_ptr = Vec::with_capacity(n + 1);
        col_ptr.push(0);
        let mut row_idx = Vec::new();
        for column in &mut columns {
            column.sort_unstable();
            column.dedup();
            row_idx.extend_from_slice(column);
            col_ptr.push(row_idx.len());
        }
        let position = |i: usize, j: usize| {
            let rows = &row_idx[col_ptr[j]..col_ptr[j + 1]];
            // Every (i, j) looked up here was inserted above.
            col_ptr[j] + rows.partition_point(|&row| row < i)
        };
        let mut slot_start = vec![0];
        let mut scatter = Vec::new();
        for r in 0..kin.reactions() {
            for &(j, _) in kin.reactants(r) {
                scatter.extend(
                    kin.changes(r).iter().map(|&(i, d)| (position(i as usize, j as usize), f64::from(d))),
                );
                slot_start.push(scatter.len());
            }
        }
        let sparsity = SymbolicSparseColMat::new_checked(n, n, col_ptr, None, row_idx);
        JacobianPattern { sparsity, slot_start, scatter }
    }

    /// Writes J(x) into `values`, the CSC values of a matrix with this pattern.
    pub fn fill(&self, kin: &Kinetics, x: &[f64], values: &mut [f64]) {
        values.fill(0.0);
        let mut slot = 0;
        for r in 0..kin.reactions() {
            for p in 0..kin.reactants(r).len() {
                let d = partial(kin, r, p, x);
                if d != 0.0 {
                    for &(pos, nu) in &self.scatter[self.slot_start[slot]..self.slot_start[slot + 1]] {
                        values[pos] += nu * d;
                    }
                }
                slot += 1;
            }
        }
    }
}

/// y = J(x) v without forming J.
fn jacobian_times(kin: &Kinetics, x: &[f64], v: &[f64], y: &mut [f64]) {
    y.fill(0.0);
    for r in 0..kin.reactions() {
        let dv: f64 = kin
            .reactants(r)
            .iter()
            .enumerate()
            .map(|(p, &(s, _))| partial(kin, r, p, x) * v[s as usize])
            .sum();
        if dv != 0.0 {
            for &(i, d) in kin.changes(r) {
                y[i as usize] += f64::from(d) * dv;
            }
        }
    }
}

/// dx/dt = S v(x) from the initial state `x0`, as diffsol's [`OdeEquations`].
pub(super) struct MassAction<'k> {
    kin: &'k Kinetics,
    x0: V,
    pattern: &'k JacobianPattern,
    /// diffsol's parameter plumbing; mass action here has none (rates are fixed).
    params: V,
    ctx: FaerContext,
}

impl<'k> MassAction<'k> {
    pub fn new(kin: &'k Kinetics, pattern: &'k JacobianPattern, x0: &[f64]) -> MassAction<'k> {
        let ctx = FaerContext::default();
        MassAction { kin, x0: V::from_slice(x0, ctx), pattern, params: V::zeros(0, ctx), ctx }
    }
}

pub(super) struct Rhs<'a, 'k>(&'a MassAction<'k>);
pub(super) struct Init<'a, 'k>(&'a MassAction<'k>);

macro_rules! impl_op {
    ($t:ty, |$s:ident| $eqn:expr) => {
        impl Op for $t {
            type T = f64;
            type V = V;
            type M = M;
            type C = FaerContext;
            fn nstates(&self) -> usize {
                let $s = self;
                $eqn.kin.species
            }
            fn nout(&self) -> usize {
                self.nstates()
            }
            fn nparams(&self) -> usize {
                0
            }
            fn context(&self) -> &FaerContext {
                let $s = self;
                &$eqn.ctx
            }
        }
    };
}

impl_op!(MassAction<'_>, |s| s);
impl_op!(Rhs<'_, '_>, |s| s.0);
impl_op!(Init<'_, '_>, |s| s.0);

impl NonLinearOp for Rhs<'_, '_> {
    fn call_inplace(&self, x: &V, _t: f64, y: &mut V) {
        y.for_each_batch_host([x], |y, [x], _| self.0.kin.rhs(x, y));
    }
}

impl NonLinearOpJacobian for Rhs<'_, '_> {
    fn jac_mul_inplace(&self, x: &V, _t: f64, v: &V, y: &mut V) {
        y.for_each_batch_host([x, v], |y, [x, v], _| jacobian_times(self.0.kin, x, v, y));
    }

    fn jacobian_inplace(&self, x: &V, _t: f64, y: &mut M) {
        let x = x.inner().col_as_slice(0);
        for block in y.inner_mut() {
            self.0.pattern.fill(self.0.kin, x, block.val_mut());
        }
    }

    fn jacobian_sparsity(&self) -> Option<SymbolicSparseColMat<usize>> {
        Some(self.0.pattern.sparsity.clone())
    }
}

impl ConstantOp for Init<'_, '_> {
    fn call_inplace(&self, _t: f64, y: &mut V) {
        y.copy_from(&self.0.x0);
    }
}

impl<'a> OdeEquationsRef<'a> for MassAction<'_> {
    type Rhs = Rhs<'a, 'a>;
    type Mass = UnitCallable<M>;
    type Init = Init<'a, 'a>;
    type Root = UnitCallable<M>;
    type Out = UnitCallable<M>;
    type Reset = UnitCallable<M>;
}

impl OdeEquations for MassAction<'_> {
    fn rhs(&self) -> Rhs<'_, '_> {
        Rhs(self)
    }

    fn mass(&self) -> Option<UnitCallable<M>> {
        None
    }

    fn init(&self) -> Init<'_, '_> {
        Init(self)
    }

    fn set_params(&mut self, p: &V) {
        self.params.copy_from(p);
    }

    fn get_params(&self, p: &mut V) {
        p.copy_from(&self.params);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A + B -> C @ 2, 2C -> A @ 0.5, C -> 0 @ 3: every shape of partial derivative.
    fn kinetics() -> Kinetics {
        Kinetics {
            species: 3,
            reactant_start: vec![0, 2, 3, 4],
            reactants: vec![(0, 1), (1, 1), (2, 2), (2, 1)],
            change_start: vec![0, 3, 5, 6],
            changes: vec![(0, -1), (1, -1), (2, 1), (2, -2), (0, 1), (2, -1)],
            k: vec![2.0, 0.5, 3.0],
            order: vec![2, 2, 1],
            laws: vec![],
        }
    }

    #[test]
    fn the_jacobian_of_a_rate_law_is_its_partial_derivatives() {
        // A -> B @ law(3 A^2 B - A + 0.5): v_A = 6AB - 1, v_B = 3A^2.
        let law = Kinetics {
            species: 2,
            reactant_start: vec![0, 2],
            reactants: vec![(0, 2), (1, 1)],
            change_start: vec![0, 2],
            changes: vec![(0, -1), (1, 1)],
            k: vec![1.0],
            order: vec![0],
            laws: vec![Some(vec![(3.0, vec![(0, 2), (1, 1)]), (-1.0, vec![(0, 1)]), (0.5, vec![])])],
        };
        let kin = law.expanded();
        let pattern = JacobianPattern::new(&kin);
        let (a, b) = (1.3, 0.7);
        let mut values = vec![0.0; pattern.sparsity.row_idx().len()];
        pattern.fill(&kin, &[a, b], &mut values);
        let jac = dense(&pattern, &values);
        let (da, db) = (6.0 * a * b - 1.0, 3.0 * a * a);
        let exact = [[-da, -db], [da, db]];
        for i in 0..2 {
            for j in 0..2 {
                assert!(
                    (jac[i][j] - exact[i][j]).abs() < 1e-12,
                    "J[{i}][{j}] = {} vs {}",
                    jac[i][j],
                    exact[i][j]
                );
            }
        }
    }

    fn dense(pattern: &JacobianPattern, values: &[f64]) -> Vec<Vec<f64>> {
        let n = pattern.sparsity.ncols();
        let mut out = vec![vec![0.0; n]; n];
        let (col_ptr, row_idx) = (pattern.sparsity.col_ptr(), pattern.sparsity.row_idx());
        for (j, range) in col_ptr.windows(2).enumerate() {
            for p in range[0]..range[1] {
                out[row_idx[p]][j] = values[p];
            }
        }
        out
    }

    #[test]
    fn analytic_jacobian_matches_central_differences() {
        let kin = kinetics();
        let pattern = JacobianPattern::new(&kin);
        let x = [0.7, 1.3, 0.4];
        let mut values = vec![0.0; pattern.sparsity.row_idx().len()];
        pattern.fill(&kin, &x, &mut values);
        let jac = dense(&pattern, &values);
        let h = 1e-6;
        for j in 0..3 {
            let (mut up, mut down) = (x, x);
            up[j] += h;
            down[j] -= h;
            let (mut fu, mut fd) = ([0.0; 3], [0.0; 3]);
            kin.rhs(&up, &mut fu);
            kin.rhs(&down, &mut fd);
            for i in 0..3 {
                let fd_ij = (fu[i] - fd[i]) / (2.0 * h);
                assert!((jac[i][j] - fd_ij).abs() < 1e-6, "J[{i}][{j}] = {} vs {fd_ij}", jac[i][j]);
            }
        }
    }

    #[test]
    fn jacobian_vector_product_agrees_with_the_matrix() {
        let kin = kinetics();
        let pattern = JacobianPattern::new(&kin);
        let x = [0.0, 2.0, 0.5];
        let v = [1.0, -0.5, 2.0];
        let mut values = vec![0.0; pattern.sparsity.row_idx().len()];
        pattern.fill(&kin, &x, &mut values);
        let jac = dense(&pattern, &values);
        let mut y = [0.0; 3];
        jacobian_times(&kin, &x, &v, &mut y);
        for i in 0..3 {
            let expected: f64 = (0..3).map(|j| jac[i][j] * v[j]).sum();
            assert!((y[i] - expected).abs() < 1e-12);
        }
    }

    #[test]
    fn pattern_has_the_diagonal_and_only_structural_entries() {
        let kin = kinetics();
        let s = JacobianPattern::new(&kin).sparsity;
        let entries: Vec<(usize, usize)> = (0..3)
            .flat_map(|j| s.row_idx()[s.col_ptr()[j]..s.col_ptr()[j + 1]].iter().map(move |&i| (i, j)))
            .collect();
        // Column 0 and 1 (A, B feed reaction 1 changing A, B, C); column 2 (C feeds 2C -> A and C -> 0).
        assert_eq!(entries, [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2), (2, 2)]);
    }
}
