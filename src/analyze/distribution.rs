//! A distribution over molecule-count states, with what the learning reports
//! need of it: moments, marginals over chosen species, the KL divergence,
//! and the CSV layout of design.md §4.2.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::backend::number;

/// Probabilities of count vectors over named species.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    /// The species a state counts, in column order.
    pub species: Vec<String>,
    /// State i is `counts[i * k..(i + 1) * k]` for k species.
    counts: Vec<i64>,
    pub p: Vec<f64>,
}

/// Why two distributions cannot be compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpeciesMismatch {
    pub left: Vec<String>,
    pub right: Vec<String>,
}

impl std::fmt::Display for SpeciesMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "one distribution is over {:?} and the other over {:?}", self.left, self.right)
    }
}

impl Distribution {
    /// `counts` holds one state after another, `species.len()` counts each,
    /// and `p` one probability per state.
    pub fn new(species: Vec<String>, counts: Vec<i64>, p: Vec<f64>) -> Distribution {
        assert_eq!(counts.len(), species.len() * p.len(), "one probability per state");
        Distribution { species, counts, p }
    }

    pub fn len(&self) -> usize {
        self.p.len()
    }

    pub fn is_empty(&self) -> bool {
        self.p.is_empty()
    }

    pub fn state(&self, i: usize) -> &[i64] {
        let k = self.species.len();
        &self.counts[i * k..(i + 1) * k]
    }

    /// (state, probability) pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[i64], f64)> + '_ {
        (0..self.len()).map(|i| (self.state(i), self.p[i]))
    }

    /// E[n_i] per species.
    pub fn means(&self) -> Vec<f64> {
        let mut means = vec![0.0; self.species.len()];
        for (state, p) in self.iter() {
            for (m, &n) in means.iter_mut().zip(state) {
                *m += p * n as f64;
            }
        }
        means
    }

    /// E[(n_i - E n_i)²] per species, about the exact means.
    pub fn variances(&self) -> Vec<f64> {
        let means = self.means();
        let mut variances = vec![0.0; self.species.len()];
        for (state, p) in self.iter() {
            for ((v, &n), m) in variances.iter_mut().zip(state).zip(&means) {
                *v += p * (n as f64 - m).powi(2);
            }
        }
        variances
    }

    /// The marginal over the species at `columns` (in that order), its
    /// states sorted.
    pub fn marginal(&self, columns: &[usize]) -> Distribution {
        let species = columns.iter().map(|&c| self.species[c].clone()).collect();
        let sums: Vec<Vec<(usize, i64)>> = columns.iter().map(|&c| vec![(c, 1)]).collect();
        self.tallied(species, &sums)
    }

    /// The law of the sums Σ w·n_c over the (column, w) terms of each entry
    /// of `sums`, named `species`, its states sorted: a species counted
    /// together with the intermediates that hold it (`crn::contents`).
    pub fn tallied(&self, species: Vec<String>, sums: &[Vec<(usize, i64)>]) -> Distribution {
        assert_eq!(species.len(), sums.len(), "one name per sum");
        let mut summed: BTreeMap<Vec<i64>, f64> = BTreeMap::new();
        for (state, p) in self.iter() {
            let tally = sums.iter().map(|terms| terms.iter().map(|&(c, w)| w * state[c]).sum());
            *summed.entry(tally.collect()).or_default() += p;
        }
        let p = summed.values().copied().collect();
        Distribution::new(species, summed.into_keys().flatten().collect(), p)
    }

    /// The marginal over the named species, or `None` if one is not a species of this distribution.
    pub fn marginal_of(&self, names: &[&str]) -> Option<Distribution> {
        let columns: Option<Vec<usize>> =
            names.iter().map(|n| self.species.iter().position(|s| s == n)).collect();
        Some(self.marginal(&columns?))
    }

    /// The same distribution with its states in lexicographic order.
    pub fn sorted(&self) -> Distribution {
        self.marginal(&(0..self.species.len()).collect::<Vec<_>>())
    }

    /// The CSV of design.md §4.2: a header with the species then `p`, one
    /// row per state, in the order held.
    pub fn csv(&self) -> String {
        let mut out = String::with_capacity(16 * (self.species.len() + 1) * (self.len() + 1));
        for name in &self.species {
            out.push_str(name);
            out.push(',');
        }
        out.push_str("p\n");
        for (state, p) in self.iter() {
            for n in state {
                let _ = write!(out, "{n},");
            }
            out.push_str(&number(p));
            out.push('\n');
        }
        out
    }
}

/// D(p ‖ q) = Σ_s p(s) ln(p(s)/q(s)) in nats, over states matched by their
/// counts (q's species may be in another order). Infinite where p has mass
/// on a state q gives none.
pub fn kl_divergence(p: &Distribution, q: &Distribution) -> Result<f64, SpeciesMismatch> {
    let mismatch = || SpeciesMismatch { left: p.species.clone(), right: q.species.clone() };
    if p.species.len() != q.species.len() {
        return Err(mismatch());
    }
    let names: Vec<&str> = p.species.iter().map(String::as_str).collect();
    let q = q.marginal_of(&names).ok_or_else(mismatch)?;
    let q_of: HashMap<&[i64], f64> = q.iter().collect();
    Ok(p.iter()
        .filter(|&(_, ps)| ps > 0.0)
        .map(|(state, ps)| match q_of.get(state) {
            Some(&qs) if qs > 0.0 => ps * (ps / qs).ln(),
            _ => f64::INFINITY,
        })
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_species() -> Distribution {
        let species = vec!["A".to_string(), "B".to_string()];
        Distribution::new(species, vec![0, 2, 1, 1, 2, 0, 1, 0], vec![0.25, 0.5, 0.125, 0.125])
    }

    #[test]
    fn moments_are_exact_sums() {
        let d = two_species();
        assert_eq!(d.means(), [0.5 + 0.25 + 0.125, 0.5 + 0.5]);
        let mean_a = 0.875;
        let var_a: f64 = [(0.0, 0.25), (1.0, 0.5), (2.0, 0.125), (1.0, 0.125)]
            .iter()
            .map(|(n, p)| p * (n - mean_a) * (n - mean_a))
            .sum();
        assert!((d.variances()[0] - var_a).abs() < 1e-15);
    }

    #[test]
    fn a_marginal_adds_up_the_states_that_agree_on_its_species() {
        let m = two_species().marginal_of(&["A"]).unwrap();
        assert_eq!(m.species, ["A"]);
        assert_eq!((m.state(0), m.state(1), m.state(2)), (&[0][..], &[1][..], &[2][..]));
        assert_eq!(m.p, [0.25, 0.625, 0.125]);
        assert!(two_species().marginal_of(&["C"]).is_none());
        assert_eq!(two_species().sorted().csv(), "A,B,p\n0,2,0.25\n1,0,0.125\n1,1,0.5\n2,0,0.125\n");
    }

    #[test]
    fn a_tally_counts_a_species_with_what_holds_it() {
        // States (A, B) = (0,2), (1,1), (2,0), (1,0): B holding two A's makes A + 2B 4, 3, 2, 1.
        let t = two_species().tallied(vec!["A".into()], &[vec![(0, 1), (1, 2)]]);
        assert_eq!(t.species, ["A"]);
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            [(&[1][..], 0.125), (&[2][..], 0.125), (&[3][..], 0.5), (&[4][..], 0.25)]
        );
    }

    #[test]
    fn kl_divergence_is_zero_for_itself_and_matches_by_species_name() {
        let d = two_species();
        assert_eq!(kl_divergence(&d, &d), Ok(0.0));
        let swapped = Distribution::new(
            vec!["B".to_string(), "A".to_string()],
            vec![2, 0, 1, 1, 0, 2, 0, 1],
            vec![0.25, 0.25, 0.25, 0.25],
        );
        let expected = 0.25 * 1f64.ln() + 0.5 * 2f64.ln() + 2.0 * 0.125 * 0.5f64.ln();
        assert!((kl_divergence(&d, &swapped).unwrap() - expected).abs() < 1e-15);
        let narrow = two_species().marginal_of(&["A", "B"]).unwrap();
        assert!(kl_divergence(&narrow, &narrow.marginal_of(&["B", "A"]).unwrap()).unwrap().abs() < 1e-15);
    }

    #[test]
    fn kl_divergence_is_infinite_off_the_support_and_refuses_other_species() {
        let d = two_species();
        let species = vec!["A".to_string(), "B".to_string()];
        let q = Distribution::new(species, vec![0, 2, 1, 1], vec![0.5, 0.5]);
        assert_eq!(kl_divergence(&d, &q), Ok(f64::INFINITY));
        assert!(kl_divergence(&q, &d).unwrap().is_finite());
        assert!(kl_divergence(&d, &d.marginal_of(&["A"]).unwrap()).is_err());
    }
}
