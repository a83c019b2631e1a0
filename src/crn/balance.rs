//! Wegscheider's cycle condition: a reversible mass-action network is
//! detailed balanced exactly when ln(k₊/k₋) lies in the span of the
//! reactions' net changes, that is when every cycle v (a combination of
//! reactions with no net change, S·v = 0) has Σ v_r·ln(k₊ᵣ/k₋ᵣ) = 0
//! (domain.md §3.1). The cycles come from an exact integer basis of the
//! kernel of S, so a failing one can be named reaction by reaction.

use super::{Crn, Partner};

/// Whether an elementary CRN is detailed balanced: `Err` names a reaction
/// (by index) without a reverse partner or with a rate law, `Ok(Some)` a
/// cycle whose rate product is not 1 (its steps index the forward halves in
/// `crn.reactions`).
/// The `--max-order` lowering must keep this (tests/energies.rs).
pub fn check(crn: &Crn) -> Result<Option<BrokenCycle>, usize> {
    // The plain convention's constants: a combinatoric one carries 1/∏α!.
    let plain = |r: &super::Reaction| r.rate / crn.divisor(&r.reactants);
    let (mut changes, mut log_ratios, mut forward) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in crn.reactions.iter().enumerate() {
        match r.partner {
            Some(Partner::Forward(_)) => continue,
            Some(Partner::Reverse(j)) if r.law.is_none() => {
                forward.push(i);
                changes.push(r.net_change().map(|(s, d)| (s.index(), d)).collect());
                log_ratios.push((plain(r) / plain(&crn.reactions[j])).ln());
            }
            _ => return Err(i),
        }
    }
    Ok(broken_cycle(crn.species.len(), &changes, &log_ratios).map(|cycle| BrokenCycle {
        steps: cycle.steps.into_iter().map(|(r, times)| (forward[r], times)).collect(),
        ..cycle
    }))
}

/// A cycle whose rate product is not 1: (reaction index, how many times it
/// runs forward; negative for backward), and Σ v_r·ln(k₊ᵣ/k₋ᵣ).
#[derive(Clone, Debug, PartialEq)]
pub struct BrokenCycle {
    pub steps: Vec<(usize, i64)>,
    pub log_product: f64,
}

/// The first cycle of a kernel basis of the net changes (`changes[r]`:
/// (species, net change) of reaction r) whose log rate product
/// (`log_ratios[r]` = ln(k₊ᵣ/k₋ᵣ)) is not 0 within rounding; `None` when the
/// network is detailed balanced. A basis suffices: the condition is linear.
pub fn broken_cycle(
    species: usize,
    changes: &[Vec<(usize, i64)>],
    log_ratios: &[f64],
) -> Option<BrokenCycle> {
    kernel(species, changes).into_iter().find_map(|v| {
        let steps: Vec<(usize, i64)> =
            v.iter().enumerate().filter(|&(_, &c)| c != 0).map(|(r, &c)| (r, c)).collect();
        let log_product: f64 = steps.iter().map(|&(r, c)| c as f64 * log_ratios[r]).sum();
        let scale: f64 = steps.iter().map(|&(r, c)| (c as f64 * log_ratios[r]).abs()).sum();
        (log_product.abs() > 1e-9 * scale.max(1.0)).then_some(BrokenCycle { steps, log_product })
    })
}

/// An integer basis of {v : Σ_r v_r·changes[r] = 0}, by exact row reduction
/// over the rationals (small networks: stoichiometries are small integers).
fn kernel(species: usize, changes: &[Vec<(usize, i64)>]) -> Vec<Vec<i64>> {
    let reactions = changes.len();
    // Rows are species, columns reactions; entries num/den with den > 0.
    let mut m = vec![vec![(0i128, 1i128); reactions]; species];
    for (r, change) in changes.iter().enumerate() {
        for &(s, c) in change {
            m[s][r].0 += i128::from(c);
        }
    }
    let mut pivots = Vec::new();
    let mut row = 0;
    for col in 0..reactions {
        let Some(p) = (row..species).find(|&i| m[i][col].0 != 0) else { continue };
        m.swap(row, p);
        let pivot = m[row][col];
        for entry in m[row].iter_mut() {
            *entry = divide(*entry, pivot);
        }
        let pivot_row = m[row].clone();
        for (i, other) in m.iter_mut().enumerate() {
            let factor = other[col];
            if i != row && factor.0 != 0 {
                for (entry, &p) in other.iter_mut().zip(&pivot_row) {
                    *entry = subtract(*entry, multiply(factor, p));
                }
            }
        }
        pivots.push(col);
        row += 1;
        if row == species {
            break;
        }
    }
    (0..reactions)
        .filter(|c| !pivots.contains(c))
        .map(|free| {
            let mut v = vec![(0i128, 1i128); reactions];
            v[free] = (1, 1);
            for (i, &p) in pivots.iter().enumerate() {
                v[p] = (-m[i][free].0, m[i][free].1);
            }
            let lcm = v.iter().fold(1i128, |l, &(_, d)| l / gcd(l, d) * d);
            let ints: Vec<i128> = v.iter().map(|&(n, d)| n * (lcm / d)).collect();
            let g = ints.iter().fold(0i128, |g, &x| gcd(g, x.abs())).max(1);
            ints.iter().map(|&x| i64::try_from(x / g).unwrap_or(i64::MAX)).collect()
        })
        .collect()
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

fn reduce((n, d): (i128, i128)) -> (i128, i128) {
    let g = gcd(n, d).max(1) * d.signum();
    (n / g, d / g)
}

fn multiply(a: (i128, i128), b: (i128, i128)) -> (i128, i128) {
    reduce((a.0 * b.0, a.1 * b.1))
}

fn divide(a: (i128, i128), b: (i128, i128)) -> (i128, i128) {
    reduce((a.0 * b.1, a.1 * b.0))
}

fn subtract(a: (i128, i128), b: (i128, i128)) -> (i128, i128) {
    reduce((a.0 * b.1 - b.0 * a.1, a.1 * b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ⇌ B ⇌ C ⇌ A: one cycle.
    fn triangle() -> Vec<Vec<(usize, i64)>> {
        vec![vec![(0, -1), (1, 1)], vec![(1, -1), (2, 1)], vec![(2, -1), (0, 1)]]
    }

    #[test]
    fn a_cycle_with_rate_product_one_is_balanced_and_another_is_named() {
        let balanced = [2f64.ln(), 3f64.ln(), -(6f64.ln())];
        assert_eq!(broken_cycle(3, &triangle(), &balanced), None);
        let broken = [2f64.ln(), 3f64.ln(), 0.0];
        let cycle = broken_cycle(3, &triangle(), &broken).expect("a broken cycle");
        let sign = cycle.steps[0].1.signum();
        assert_eq!(cycle.steps, [(0, sign), (1, sign), (2, sign)]);
        assert!((cycle.log_product.abs() - 6f64.ln()).abs() < 1e-12, "{cycle:?}");
    }

    #[test]
    fn networks_without_cycles_are_always_balanced() {
        // 0 ⇌ X, X ⇌ Y: no combination of reactions returns to where it started.
        let chain = vec![vec![(0, 1)], vec![(0, -1), (1, 1)]];
        assert_eq!(broken_cycle(2, &chain, &[5.0, -3.0]), None);
    }

    #[test]
    fn the_kernel_has_whole_number_cycles_with_coefficients() {
        // 2A ⇌ B, B ⇌ C, C ⇌ 2A: the cycle runs each once; A ⇌ D, 2D ⇌ B closes 2·(A ⇌ D) + (2D ⇌ B) - (2A ⇌ B).
        let changes = vec![
            vec![(0, -2), (1, 1)],
            vec![(1, -1), (2, 1)],
            vec![(2, -1), (0, 2)],
            vec![(0, -1), (3, 1)],
            vec![(3, -2), (1, 1)],
        ];
        for v in kernel(4, &changes) {
            let mut net = [0i64; 4];
            for (r, change) in changes.iter().enumerate() {
                for &(s, c) in change {
                    net[s] += v[r] * c;
                }
            }
            assert_eq!(net, [0; 4], "{v:?}");
            assert!(v.iter().any(|&c| c != 0));
        }
        assert_eq!(kernel(4, &changes).len(), 2);
        // 2·ln K₄ + ln K₅ = ln K₁ balances the second cycle.
        let ratios = [1.0, 0.5, -1.5, 0.25, 0.5];
        assert_eq!(broken_cycle(4, &changes, &ratios), None);
        let cycle = broken_cycle(4, &changes, &[1.0, 0.5, -1.5, 0.25, 0.75]).expect("broken");
        assert!(cycle.steps.iter().any(|&(r, _)| r == 4), "{cycle:?}");
    }
}
