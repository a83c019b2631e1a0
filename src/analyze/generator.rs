//! The stationary law of any network on a finite state space: the null
//! space of the CME generator Q, πQ = 0 with Σπ = 1.
//!
//! The stationary law lives on the closed communicating classes of the
//! chain (its bottom strongly connected components); the states that lead
//! out of them get 0. With one closed class the law is unique, and Qᵀ
//! restricted to the class has rank one less than its size, so replacing one
//! of its equations by π_k = 1 gives a nonsingular sparse system: one sparse
//! LU (faer, with its fill-reducing ordering) and one step of iterative
//! refinement solve it to round-off, and π is normalised after. Power iteration or an eigensolver would
//! converge at the chain's spectral gap, which stiff networks (rates over
//! many decades) make tiny; the direct solve does not care.

use faer::prelude::Solve;
use faer::sparse::{SparseColMat, Triplet};

use super::states::StateSpace;

/// Why the law could not be computed.
#[derive(Clone, Debug, PartialEq)]
pub enum GeneratorError {
    /// More than one closed class is reachable: the long-run law depends on
    /// where a run ends up. One state of each class (by index).
    NotUnique { classes: Vec<usize> },
    /// The sparse factorisation failed.
    Solve(String),
}

/// The state whose equation is replaced carries at least this share of the
/// most probable state's mass, or the system is solved again fixing that one.
const MIN_FIXED_SHARE: f64 = 1e-3;

/// How many times the system is solved again for a better fixed state.
const MAX_RESOLVES: usize = 2;

/// π over every state of `space` (0 off the closed class). `hint` is a
/// state expected to carry much of the mass (the last truncation's mode);
/// without it the class's first state is tried first.
pub fn stationary(space: &StateSpace, hint: Option<usize>) -> Result<Vec<f64>, GeneratorError> {
    let component = components(space);
    let count = component.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut closed = vec![true; count];
    for i in 0..space.len() {
        if space.transitions(i).iter().any(|&(j, _)| component[j as usize] != component[i]) {
            closed[component[i] as usize] = false;
        }
    }
    let mut representatives: Vec<Option<usize>> = vec![None; count];
    for (i, &c) in component.iter().enumerate() {
        representatives[c as usize].get_or_insert(i);
    }
    let classes: Vec<usize> = (0..count).filter(|&c| closed[c]).filter_map(|c| representatives[c]).collect();
    if classes.len() > 1 {
        return Err(GeneratorError::NotUnique { classes });
    }
    let class = component[classes[0]];
    let members: Vec<usize> = (0..space.len()).filter(|&i| component[i] == class).collect();
    let mut local = vec![u32::MAX; space.len()];
    for (l, &i) in members.iter().enumerate() {
        local[i] = l as u32;
    }
    // Fix a state that carries mass: fixing one with almost none (the start (0, 0) of two
    // Poissons of mean 100 has e^-200 of it) scales the rest by its inverse and loses them to round-off.
    let mut fixed = hint.filter(|&i| component[i] == class).map_or(0, |i| local[i] as usize);
    let mut pi_class = solve_class(space, &members, &local, fixed)?;
    for _ in 0..MAX_RESOLVES {
        let mode = (0..pi_class.len()).fold(fixed, |m, l| if pi_class[l] > pi_class[m] { l } else { m });
        if pi_class[fixed] >= MIN_FIXED_SHARE * pi_class[mode] {
            break;
        }
        fixed = mode;
        pi_class = solve_class(space, &members, &local, fixed)?;
    }
    let mut pi = vec![0.0; space.len()];
    for (&i, p) in members.iter().zip(pi_class) {
        pi[i] = p;
    }
    Ok(pi)
}

/// Solves Qᵀπ = 0 on one closed class, the equation of its state `fixed`
/// (a local index) replaced by π_fixed = 1, then normalises. Σπ = 1 in its
/// place would be a dense row, whose fill-in made the LU of a few thousand
/// states take seconds.
fn solve_class(
    space: &StateSpace,
    members: &[usize],
    local: &[u32],
    fixed: usize,
) -> Result<Vec<f64>, GeneratorError> {
    let n = members.len();
    let mut triplets: Vec<Triplet<usize, usize, f64>> = vec![Triplet::new(fixed, fixed, 1.0)];
    for (l, &i) in members.iter().enumerate() {
        let mut out = 0.0;
        for &(j, rate) in space.transitions(i) {
            out += rate;
            let row = local[j as usize] as usize;
            if row != fixed {
                triplets.push(Triplet::new(row, l, rate));
            }
        }
        if l != fixed {
            triplets.push(Triplet::new(l, l, -out));
        }
    }
    let a = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &triplets)
        .map_err(|e| GeneratorError::Solve(format!("{e:?}")))?;
    let lu = a.sp_lu().map_err(|e| GeneratorError::Solve(format!("{e:?}")))?;
    let mut b = vec![0.0; n];
    b[fixed] = 1.0;
    let mut x = b.clone();
    lu.solve_in_place(faer::MatMut::from_column_major_slice_mut(&mut x, n, 1));
    // One step of iterative refinement: solve for the residual's correction.
    let mut residual = b;
    for t in &triplets {
        residual[t.row] -= t.val * x[t.col];
    }
    lu.solve_in_place(faer::MatMut::from_column_major_slice_mut(&mut residual, n, 1));
    for (x, d) in x.iter_mut().zip(&residual) {
        *x += d;
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(GeneratorError::Solve("the solution is not finite (the system is singular)".to_string()));
    }
    // Round-off leaves tiny negatives where the mass is near 0.
    x.iter_mut().for_each(|v| *v = v.max(0.0));
    let total: f64 = x.iter().sum();
    Ok(x.into_iter().map(|v| v / total).collect())
}

/// The strongly connected component of each state (Tarjan's algorithm,
/// iterative: a chain of a million states would overflow the stack).
fn components(space: &StateSpace) -> Vec<u32> {
    const UNSEEN: u32 = u32::MAX;
    let n = space.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut component = vec![UNSEEN; n];
    let mut next_index = 0u32;
    let mut next_component = 0u32;
    // (state, how many of its transitions are done)
    let mut calls: Vec<(u32, usize)> = Vec::new();
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        calls.push((root, 0));
        while let Some(&mut (v, ref mut done)) = calls.last_mut() {
            let v_ = v as usize;
            if *done == 0 && index[v_] == UNSEEN {
                index[v_] = next_index;
                low[v_] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v_] = true;
            }
            if let Some(&(w, _)) = space.transitions(v_).get(*done) {
                *done += 1;
                let w_ = w as usize;
                if index[w_] == UNSEEN {
                    calls.push((w, 0));
                } else if on_stack[w_] {
                    low[v_] = low[v_].min(index[w_]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[v_]);
            }
            if low[v_] == index[v_] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    component[w as usize] = next_component;
                    if w == v {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}
