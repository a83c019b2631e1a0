//! The CRN split the hybrid way: potentials (continuous, shared) and vesicle
//! species (discrete, per vesicle), every reaction a jump (it changes a
//! discrete species) or a flow (it moves only potentials), in flat lists.

use super::HybridError;
use crate::crn::contents::Contents;
use crate::crn::{Crn, Partner, Role};
use crate::sim::kinetics::Kinetics;

/// Per-item slices in one allocation: `items[start[i]..start[i + 1]]`.
pub(super) struct Lists<T> {
    start: Vec<usize>,
    items: Vec<T>,
}

impl<T> Lists<T> {
    fn new() -> Lists<T> {
        Lists { start: vec![0], items: Vec::new() }
    }

    fn push(&mut self, list: impl IntoIterator<Item = T>) {
        self.items.extend(list);
        self.start.push(self.items.len());
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> &[T] {
        &self.items[self.start[i]..self.start[i + 1]]
    }
}

pub(super) struct Model {
    /// The CRN index of each potential and of each discrete species.
    pub potentials: Vec<usize>,
    pub discrete: Vec<usize>,
    /// The reactions that change a discrete species, and the continuous
    /// ones that move some potential (a continuous reaction that changes
    /// nothing is left out).
    pub jumps: Vec<usize>,
    pub flows: Vec<usize>,
    pub is_jump: Vec<bool>,
    /// A jump's stochastic constant k·V^(1−m) or a flow's k·V^(−m), m the
    /// molecularity of its discrete reactants.
    pub constant: Vec<f64>,
    discrete_reactants: Lists<(u32, u32)>,
    potential_reactants: Lists<(u32, u32)>,
    pub discrete_changes: Lists<(u32, i32)>,
    potential_changes: Lists<(u32, i32)>,
    /// Per jump, the reactions whose discrete factor its firing changes.
    pub dependents: Lists<u32>,
    /// The jumps whose propensity reads a potential.
    pub potential_readers: Vec<usize>,
    /// Per potential, the reactions with it among their reactants, with its α.
    readers: Lists<(u32, u32)>,
    /// Reversible flow pairs (forward, reverse), for the dissipation.
    pub pairs: Vec<(usize, usize)>,
    /// Every flow reads one potential p (α = 1) and changes only p, so ln p
    /// moves linearly in time while the vesicles stand still.
    pub log_linear: bool,
    /// Per reaction, whether it only binds molecules into an intermediate of
    /// the molecularity pass or unbinds them (`crn::contents`): not an event
    /// of the network as written, so the per-event rule takes no step on it.
    pub binding: Vec<bool>,
}

impl Model {
    pub fn new(crn: &Crn) -> Result<Model, HybridError> {
        if let Some(s) = crn.species.iter().find(|s| s.compartment.is_some()) {
            return Err(HybridError::Unsupported(format!(
                "`{}` lives in compartment `{}`: the hybrid simulator knows only the reaction compartment",
                s.name,
                s.compartment.as_deref().unwrap_or_default()
            )));
        }
        if let Some(r) = crn.reactions.iter().position(|r| r.law.is_some()) {
            return Err(HybridError::Unsupported(format!(
                "reaction {r} has a rate law: the hybrid simulator takes mass action only"
            )));
        }
        let continuous: Vec<bool> = crn.species.iter().map(|s| s.role == Role::Potential).collect();
        let mut slot = vec![0u32; crn.species.len()];
        let (mut potentials, mut discrete) = (Vec::new(), Vec::new());
        for (i, &c) in continuous.iter().enumerate() {
            let list = if c { &mut potentials } else { &mut discrete };
            slot[i] = list.len() as u32;
            list.push(i);
        }
        if potentials.is_empty() {
            return Err(HybridError::NoPotential);
        }
        let kin = Kinetics::new(crn);
        let mut model = Model {
            potentials,
            discrete,
            jumps: Vec::new(),
            flows: Vec::new(),
            is_jump: Vec::new(),
            constant: Vec::new(),
            discrete_reactants: Lists::new(),
            potential_reactants: Lists::new(),
            discrete_changes: Lists::new(),
            potential_changes: Lists::new(),
            dependents: Lists::new(),
            potential_readers: Vec::new(),
            readers: Lists::new(),
            pairs: Vec::new(),
            log_linear: true,
            binding: {
                let contents = Contents::of(crn);
                crn.reactions.iter().map(|r| contents.is_binding(crn, r)).collect()
            },
        };
        let split = |list: &[(u32, u32)], want: bool| -> Vec<(u32, u32)> {
            list.iter()
                .filter(|(s, _)| continuous[*s as usize] == want)
                .map(|&(s, a)| (slot[s as usize], a))
                .collect()
        };
        let split_changes = |list: &[(u32, i32)], want: bool| -> Vec<(u32, i32)> {
            list.iter()
                .filter(|(s, _)| continuous[*s as usize] == want)
                .map(|&(s, d)| (slot[s as usize], d))
                .collect()
        };
        for r in 0..kin.reactions() {
            let discrete_reactants = split(kin.reactants(r), false);
            let potential_reactants = split(kin.reactants(r), true);
            let discrete_changes = split_changes(kin.changes(r), false);
            let potential_changes = split_changes(kin.changes(r), true);
            let m: i32 = discrete_reactants.iter().map(|&(_, a)| a as i32).sum();
            let jump = !discrete_changes.is_empty();
            let exponent = if jump { 1 - m } else { -m };
            model.constant.push(kin.k[r] * crn.volume.powi(exponent));
            if jump {
                model.jumps.push(r);
                if !potential_reactants.is_empty() {
                    model.potential_readers.push(r);
                }
            } else if !potential_changes.is_empty() {
                model.flows.push(r);
                let one_potential = matches!(potential_reactants[..], [(_, 1)]);
                let moves_it_only = potential_changes
                    .iter()
                    .all(|&(q, _)| Some(q) == potential_reactants.first().map(|x| x.0));
                model.log_linear &= one_potential && moves_it_only;
            }
            model.is_jump.push(jump);
            model.discrete_reactants.push(discrete_reactants);
            model.potential_reactants.push(potential_reactants);
            model.discrete_changes.push(discrete_changes);
            model.potential_changes.push(potential_changes);
        }
        model.dependents = model.dependency_lists(kin.reactions());
        for q in 0..model.potentials.len() as u32 {
            let readers = (0..kin.reactions() as u32).filter_map(|r| {
                model.potential_reactants.get(r as usize).iter().find(|&&(s, _)| s == q).map(|&(_, a)| (r, a))
            });
            model.readers.push(readers.collect::<Vec<(u32, u32)>>());
        }
        for &r in &model.flows {
            if let Some(Partner::Reverse(b)) = crn.reactions[r].partner
                && model.flows.contains(&b)
            {
                model.pairs.push((r, b));
            }
        }
        Ok(model)
    }

    fn dependency_lists(&self, reactions: usize) -> Lists<u32> {
        let mut readers: Vec<Vec<u32>> = vec![Vec::new(); self.discrete.len()];
        for r in 0..reactions {
            for &(d, _) in self.discrete_reactants.get(r) {
                readers[d as usize].push(r as u32);
            }
        }
        let mut lists = Lists::new();
        for r in 0..reactions {
            let mut deps: Vec<u32> = self
                .discrete_changes
                .get(r)
                .iter()
                .flat_map(|&(d, _)| readers[d as usize].iter().copied())
                .collect();
            deps.sort_unstable();
            deps.dedup();
            lists.push(deps);
        }
        lists
    }

    pub fn reactions(&self) -> usize {
        self.constant.len()
    }

    /// ∏ ff(n_d, α_d) over the discrete reactants of `r`: 1 when it has none.
    #[inline]
    pub fn discrete_factor(&self, r: usize, counts: &[i64]) -> f64 {
        let mut h = 1.0;
        for &(d, alpha) in self.discrete_reactants.get(r) {
            let n = counts[d as usize];
            for j in 0..i64::from(alpha) {
                if n <= j {
                    return 0.0;
                }
                h *= (n - j) as f64;
            }
        }
        h
    }

    /// ∏ [p]^α over the potential reactants of `r`.
    #[inline]
    pub fn potential_factor(&self, r: usize, p: &[f64]) -> f64 {
        self.potential_reactants.get(r).iter().fold(1.0, |f, &(q, a)| {
            let x = p[q as usize];
            f * if a == 1 { x } else { x.powi(a as i32) }
        })
    }

    /// Every reaction's potential factor at `p`.
    pub fn potential_factors(&self, p: &[f64]) -> Vec<f64> {
        (0..self.reactions()).map(|r| self.potential_factor(r, p)).collect()
    }

    /// Brings `factors` up to date after the potentials moved from `old` to
    /// `p`, by the ratio new/old of each that moved: one product per reader,
    /// where recomputing would cost every reader's whole product (in A7 most
    /// potentials move at every event and each has many readers). The
    /// ratios' rounding accumulates, so the couplings recompute the factors
    /// ([`Model::potential_factors`]) at every output time.
    #[inline]
    pub fn update_potential_factors(&self, old: &[f64], p: &[f64], factors: &mut [f64]) {
        for (q, (&new, &was)) in p.iter().zip(old).enumerate() {
            if new != was {
                let ratio = new / was;
                for &(r, a) in self.readers.get(q) {
                    factors[r as usize] *= if a == 1 { ratio } else { ratio.powi(a as i32) };
                }
            }
        }
    }

    /// d[p]/dt with the flows weighted by `weights` (per reaction index: the
    /// constant times the vesicles' discrete factor, summed or averaged).
    pub fn drift(&self, p: &[f64], weights: &[f64], out: &mut [f64]) {
        self.drift_with(|r| self.potential_factor(r, p), weights, out);
    }

    /// [`Model::drift`] with each reaction's potential factor from `factor`.
    #[inline]
    pub fn drift_with(&self, factor: impl Fn(usize) -> f64, weights: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for &r in &self.flows {
            let v = weights[r] * factor(r);
            for &(q, d) in self.potential_changes.get(r) {
                out[q as usize] += f64::from(d) * v;
            }
        }
    }

    /// The log-linear case's d ln[p]/dt, which does not depend on [p].
    pub fn growth(&self, weights: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for &r in &self.flows {
            for &(q, d) in self.potential_changes.get(r) {
                out[q as usize] += f64::from(d) * weights[r];
            }
        }
    }

    /// Σ α·g over the potential reactants of `r`: the log-linear growth rate
    /// of its potential factor.
    pub fn factor_growth(&self, r: usize, growth: &[f64]) -> f64 {
        self.potential_reactants.get(r).iter().map(|&(q, a)| f64::from(a) * growth[q as usize]).sum()
    }

    /// The entropy production rate per vesicle of the reversible flow pairs,
    /// Σ (a⁺ − a⁻)·ln(a⁺/a⁻) with a = constant·∏[p]^α·(mean discrete factor);
    /// `weights` as for [`Model::drift`] with the mean over vesicles.
    pub fn dissipation(&self, p: &[f64], weights: &[f64]) -> f64 {
        self.pairs
            .iter()
            .map(|&(f, b)| {
                let forward = weights[f] * self.potential_factor(f, p);
                let reverse = weights[b] * self.potential_factor(b, p);
                if forward == reverse { 0.0 } else { (forward - reverse) * (forward / reverse).ln() }
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::hybrid::tests::{crn_of, model_of};

    const A9: &str = "network A9 { species amount X = 1, P = 1, Q = 100; 0 <-> X + P @ 500; \
                      P + X <-> 2 P + X @ 0.01, 0.005; P + Q <-> Q @ 0.01, 0.005; }";

    /// A3's reactions: births and deaths of X are jumps, the learning
    /// reactions log-linear flows; A9's reverse learning reactions are not.
    #[test]
    fn reactions_are_split_into_jumps_and_flows() {
        let a3 = model_of(
            "network A3 { species amount X = 2, P = 1000, Q = 100; 0 <-> X + P @ 500; \
             P + X -> 2 P + X @ 0.001; P + Q -> Q @ 0.001; }",
            &["P"],
        );
        assert_eq!((a3.jumps.as_slice(), a3.flows.as_slice()), ([0, 1].as_slice(), [2, 3].as_slice()));
        assert!(a3.log_linear && a3.pairs.is_empty());
        assert_eq!(a3.potential_readers, [1]);
        let a9 = model_of(A9, &["P"]);
        assert!(!a9.log_linear);
        assert_eq!(a9.pairs.len(), 2);
    }

    /// A jump's constant is k·V^(1−m) and a flow's k·V^(−m), m counting
    /// discrete reactants only; the factors are falling factorials and powers.
    #[test]
    fn constants_scale_with_the_volume_by_discrete_molecularity() {
        let src = "network V { volume = 2; species amount X = 5, P = 3; 2 X + P -> X + P @ 1.5; X + P -> X + 2 P @ 4; }";
        let crn = crn_of(src, &["P"]);
        let model = super::Model::new(&crn).unwrap();
        assert_eq!(model.constant, [1.5 * 2f64.powi(-1), 4.0 * 2f64.powi(-1)]);
        assert_eq!(model.discrete_factor(0, &[5]), 20.0);
        assert_eq!(model.potential_factor(0, &[3.0]), 3.0);
    }

    /// σ = Σ (a⁺ − a⁻) ln(a⁺/a⁻) per pair at the given weights.
    #[test]
    fn the_dissipation_sums_over_reversible_pairs() {
        let model = model_of(A9, &["P"]);
        let mut weights = vec![0.0; model.reactions()];
        // Mean factors: x̄ = 50 for the X pair, q = 100 for the Q pair.
        for &r in &model.flows {
            let catalyst = if model.dependents.get(0).contains(&(r as u32)) { 50.0 } else { 100.0 };
            weights[r] = model.constant[r] * catalyst;
        }
        let p = 0.5;
        let pair = |plus: f64, minus: f64| (plus - minus) * (plus / minus).ln();
        let expected = pair(0.01 * p * 50.0, 0.005 * p * p * 50.0) + pair(0.01 * p * 100.0, 0.005 * 100.0);
        assert!((model.dissipation(&[p], &weights) - expected).abs() < 1e-15);
    }
}
