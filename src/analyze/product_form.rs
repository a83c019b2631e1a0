//! The product-form stationary law of a detailed-balanced network
//! (domain.md §3.2; Anderson, Craciun & Kurtz 2010; Whittle):
//! π(n) ∝ ∏_i λ_i^{n_i} / n_i! on the reachability class.
//!
//! With the SSA's propensities a_r(n) = c_r ∏_i ff(n_i, α_ri), a reaction
//! α → β and its reverse satisfy π(n) a_r(n) = π(n + ν) a_r'(n + ν) for this
//! π exactly when c_r / c_r' = λ^ν (ν = β - α). So the network is detailed
//! balanced when every reaction has its reverse and the linear system
//! ν_r · ln λ = ln(c_r / c_r'), one row per pair, has a solution: that is
//! Wegscheider's cycle condition, checked without listing cycles, and the
//! solution λ is a positive equilibrium of the mass-action ODE in counts.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector};

use crate::sim::kinetics::Kinetics;
use crate::sim::ssa::Ssa;

/// A reaction channel: its reactants (species, α) and net change (species, ν), both sorted.
type Channel = (Vec<(u32, u32)>, Vec<(u32, i32)>);

/// How far ν · ln λ may miss ln(c_r / c_r'), relative to the largest
/// |ln(c_r / c_r')| (and at least absolutely): rates written to a few
/// digits still count as balanced, a cycle off by a factor 1 + 1e-6 does not.
const RESIDUAL_TOLERANCE: f64 = 1e-9;

/// ln λ_i per species when the network is detailed balanced, else `None`.
/// A species no reaction changes gets 0 (its count is fixed on the class).
pub fn detailed_balance(kin: &Kinetics, ssa: &Ssa<'_>) -> Option<Vec<f64>> {
    if kin.has_laws() {
        return None;
    }
    // Reactions with the same complexes add up to one channel.
    let mut channels: HashMap<Channel, f64> = HashMap::new();
    for r in 0..kin.reactions() {
        let mut reactants = kin.reactants(r).to_vec();
        let mut changes = kin.changes(r).to_vec();
        reactants.sort_unstable();
        changes.sort_unstable();
        *channels.entry((reactants, changes)).or_default() += constant(kin, ssa, r);
    }
    let mut rows: Vec<(&[(u32, i32)], f64)> = Vec::new();
    for ((reactants, changes), &c) in &channels {
        let reverse = reverse_of(reactants, changes);
        let c_reverse = channels.get(&reverse)?;
        // Each pair once: from the side whose net change sorts first.
        if *changes < reverse.1 {
            rows.push((changes, (c / c_reverse).ln()));
        }
    }
    let species = kin.species;
    let mut nu = DMatrix::<f64>::zeros(rows.len(), species);
    let b = DVector::from_iterator(rows.len(), rows.iter().map(|&(_, b)| b));
    for (row, &(changes, _)) in rows.iter().enumerate() {
        for &(s, d) in changes {
            nu[(row, s as usize)] = f64::from(d);
        }
    }
    let u = if rows.is_empty() {
        DVector::zeros(species)
    } else {
        nu.clone().svd(true, true).solve(&b, 1e-12).ok()?
    };
    let scale = b.amax().max(1.0);
    let residual = (&nu * &u - &b).amax();
    (residual <= RESIDUAL_TOLERANCE * scale).then(|| u.iter().copied().collect())
}

/// ln of the product-form weight ∏ λ^n / n! of each state (counts one state
/// after another), in the same order.
pub fn log_weights(ln_lambda: &[f64], counts: &[i64]) -> Vec<f64> {
    counts
        .chunks(ln_lambda.len().max(1))
        .map(|n| n.iter().zip(ln_lambda).map(|(&n, &u)| n as f64 * u - libm::lgamma(n as f64 + 1.0)).sum())
        .collect()
}

/// c_r, read off the SSA's propensity at the reactant complex itself, where
/// a_r(α) = c_r ∏ α_i!: the constants are exactly the simulator's.
fn constant(kin: &Kinetics, ssa: &Ssa<'_>, r: usize) -> f64 {
    let mut n = vec![0i64; kin.species];
    let mut factorials = 1.0;
    for &(s, a) in kin.reactants(r) {
        n[s as usize] = i64::from(a);
        factorials *= crate::crn::factorial(a);
    }
    ssa.propensity(r, &n) / factorials
}

/// The (reactants, net change) of the reverse of a reaction: its products
/// (reactants plus net change) as reactants, and the opposite change.
fn reverse_of(reactants: &[(u32, u32)], changes: &[(u32, i32)]) -> Channel {
    let mut products: Vec<(u32, i64)> = reactants.iter().map(|&(s, a)| (s, i64::from(a))).collect();
    for &(s, d) in changes {
        match products.iter_mut().find(|(t, _)| *t == s) {
            Some((_, n)) => *n += i64::from(d),
            None => products.push((s, i64::from(d))),
        }
    }
    let mut products: Vec<(u32, u32)> =
        products.into_iter().filter(|&(_, n)| n > 0).map(|(s, n)| (s, n as u32)).collect();
    products.sort_unstable();
    let mut reversed: Vec<(u32, i32)> = changes.iter().map(|&(s, d)| (s, -d)).collect();
    reversed.sort_unstable();
    (products, reversed)
}
