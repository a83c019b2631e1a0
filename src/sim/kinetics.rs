//! The elementary CRN flattened for simulation: reactants, net changes and
//! rate constants in contiguous arrays, with no names or maps left, so the
//! simulators' inner loops are plain index arithmetic.

use crate::crn::{Crn, factorial};
use crate::ir::RateLaw;

/// Mass-action kinetics of a CRN.
///
/// The state is y = n / V, amount per unit of the reaction volume V (the
/// concentration itself for a species in the reaction compartment). The
/// flux of reaction r is `k[r] · ∏ y_i^α_ri`, where `k` already includes the
/// combinatoric 1/∏α! when the network uses that convention, and
/// (V/V_i)^α_ri for each reactant in a compartment of size V_i: then
/// dy/dt = S·v(y) is dx_s/dt = (V/V_s)·Σ_r ν_sr f_r(x) at the concentrations
/// x_s = n_s/V_s in their own compartments, and the ODE solver and its
/// Jacobian never see a compartment. The SSA propensity at counts n is
/// `k[r] · V^(1-m_r) · ∏ ff(n_i, α_ri)` = V·k·∏ ff(n_i, α_ri)/V_i^α_ri
/// (domain.md §1.3).
#[derive(Clone, Debug)]
pub struct Kinetics {
    pub species: usize,
    /// `reactants[reactant_start[r]..reactant_start[r + 1]]`: (species, α).
    pub reactant_start: Vec<usize>,
    pub reactants: Vec<(u32, u32)>,
    /// `changes[change_start[r]..change_start[r + 1]]`: (species, net change), nonzero only.
    pub change_start: Vec<usize>,
    pub changes: Vec<(u32, i32)>,
    pub k: Vec<f64>,
    /// Molecularity m_r (0 for a reaction with a rate law).
    pub order: Vec<u32>,
    /// Per reaction, its rate law as (coefficient, factors) terms, or `None`
    /// for mass action; empty when no reaction has one. A law reaction's
    /// `reactants` list the species its law reads (for the dependency graph)
    /// and its `k` is 1.
    pub laws: Vec<Option<Vec<LawTerm>>>,
}

/// One term of a rate law: coefficient · ∏ x_s^e over (species, e).
pub type LawTerm = (f64, Vec<(u32, u32)>);

impl Kinetics {
    pub fn new(crn: &Crn) -> Kinetics {
        // V / V_s: exactly 1 in the reaction compartment, so one-volume rates are untouched.
        let dilution: Vec<f64> = crn.sizes().iter().map(|&size| crn.volume / size).collect();
        let diluted = |s: u32, e: u32| dilution[s as usize].powi(e as i32);
        let mut kin = Kinetics {
            species: crn.species.len(),
            reactant_start: vec![0],
            reactants: Vec::new(),
            change_start: vec![0],
            changes: Vec::new(),
            k: Vec::with_capacity(crn.reactions.len()),
            order: Vec::with_capacity(crn.reactions.len()),
            laws: Vec::new(),
        };
        if crn.reactions.iter().any(|r| r.law.is_some()) {
            kin.laws = crn
                .reactions
                .iter()
                .map(|r| {
                    r.law.as_ref().map(|law| {
                        law.iter()
                            .map(|t| {
                                let c =
                                    t.factors.iter().fold(t.coefficient, |c, &(s, e)| c * diluted(s.0, e));
                                (c, t.factors.iter().map(|&(s, e)| (s.0, e)).collect())
                            })
                            .collect()
                    })
                })
                .collect();
        }
        for (i, r) in crn.reactions.iter().enumerate() {
            if let Some(law) = kin.law(i) {
                // The species the law reads, so that the dependency graph sees them.
                let mut read: Vec<(u32, u32)> = Vec::new();
                for &(s, e) in law.iter().flat_map(|(_, f)| f) {
                    match read.iter_mut().find(|(t, _)| *t == s) {
                        Some((_, m)) => *m = (*m).max(e),
                        None => read.push((s, e)),
                    }
                }
                kin.reactants.extend(read);
                kin.reactant_start.push(kin.reactants.len());
                kin.changes.extend(r.net_change().map(|(s, d)| (s.0, d as i32)));
                kin.change_start.push(kin.changes.len());
                kin.k.push(1.0);
                kin.order.push(0);
                continue;
            }
            let mut k = r.rate;
            for &(s, a) in &r.reactants {
                kin.reactants.push((s.0, a));
                if crn.rate_law == RateLaw::Combinatoric {
                    k /= factorial(a);
                }
                k *= diluted(s.0, a);
            }
            kin.reactant_start.push(kin.reactants.len());
            kin.changes.extend(r.net_change().map(|(s, d)| (s.0, d as i32)));
            kin.change_start.push(kin.changes.len());
            kin.k.push(k);
            kin.order.push(r.order());
        }
        kin
    }

    /// Each species' share of the reaction volume, V_s / V: the state is
    /// y_s = x_s · V_s/V for the concentration x_s in its own compartment.
    pub fn shares(crn: &Crn) -> Vec<f64> {
        crn.sizes().iter().map(|&size| size / crn.volume).collect()
    }

    /// The rate law of reaction r, if it has one.
    #[inline]
    pub fn law(&self, r: usize) -> Option<&[LawTerm]> {
        self.laws.get(r).and_then(|l| l.as_deref())
    }

    pub fn has_laws(&self) -> bool {
        !self.laws.is_empty()
    }

    /// `species` species and no reaction yet.
    pub(crate) fn without_reactions(species: usize) -> Kinetics {
        Kinetics {
            species,
            reactant_start: vec![0],
            reactants: Vec::new(),
            change_start: vec![0],
            changes: Vec::new(),
            k: Vec::new(),
            order: Vec::new(),
            laws: Vec::new(),
        }
    }

    /// The same ODE with every rate law written as one mass-action row per
    /// term (its coefficient, possibly negative, as the rate constant), so
    /// that the ODE solver's flux and analytic Jacobian need no other case.
    /// Not for the SSA: there a law reaction is one channel.
    pub fn expanded(&self) -> Kinetics {
        let mut out = Kinetics::without_reactions(self.species);
        for r in 0..self.reactions() {
            let rows: Vec<(f64, &[(u32, u32)])> = match self.law(r) {
                Some(law) => law.iter().map(|(c, f)| (*c, f.as_slice())).collect(),
                None => vec![(self.k[r], self.reactants(r))],
            };
            for (k, reactants) in rows {
                out.reactants.extend_from_slice(reactants);
                out.reactant_start.push(out.reactants.len());
                out.changes.extend_from_slice(self.changes(r));
                out.change_start.push(out.changes.len());
                out.k.push(k);
                out.order.push(reactants.iter().map(|&(_, e)| e).sum());
            }
        }
        out
    }

    pub fn reactions(&self) -> usize {
        self.k.len()
    }

    pub fn reactants(&self, r: usize) -> &[(u32, u32)] {
        &self.reactants[self.reactant_start[r]..self.reactant_start[r + 1]]
    }

    pub fn changes(&self, r: usize) -> &[(u32, i32)] {
        &self.changes[self.change_start[r]..self.change_start[r + 1]]
    }

    /// Flux of reaction r at concentrations x.
    #[inline]
    pub fn flux(&self, r: usize, x: &[f64]) -> f64 {
        if let Some(law) = self.law(r) {
            return law
                .iter()
                .map(|(c, f)| f.iter().fold(*c, |v, &(s, e)| v * x[s as usize].powi(e as i32)))
                .sum();
        }
        let k = self.k[r];
        // The shapes of (at most bimolecular) elementary reactions first: the
        // ODE solvers spend a fifth of a training run here.
        match *self.reactants(r) {
            [] => k,
            [(s, 1)] => k * x[s as usize],
            [(s, 1), (t, 1)] => k * x[s as usize] * x[t as usize],
            [(s, 2)] => {
                let xs = x[s as usize];
                k * (xs * xs)
            }
            ref reactants => reactants.iter().fold(k, |v, &(s, a)| {
                let xs = x[s as usize];
                v * match a {
                    1 => xs,
                    2 => xs * xs,
                    _ => xs.powi(a as i32),
                }
            }),
        }
    }

    /// dx/dt = S · v(x).
    pub fn rhs(&self, x: &[f64], dxdt: &mut [f64]) {
        dxdt.fill(0.0);
        for r in 0..self.reactions() {
            let v = self.flux(r, x);
            if v != 0.0 {
                for &(s, d) in self.changes(r) {
                    dxdt[s as usize] += f64::from(d) * v;
                }
            }
        }
    }

    /// For each reaction, the reactions whose propensity changes when it
    /// fires (those with a reactant whose count it changes), itself included.
    pub fn dependency_graph(&self) -> (Vec<usize>, Vec<u32>) {
        let mut consumers: Vec<Vec<u32>> = vec![Vec::new(); self.species];
        for r in 0..self.reactions() {
            for &(s, _) in self.reactants(r) {
                consumers[s as usize].push(r as u32);
            }
        }
        let mut start = vec![0];
        let mut deps: Vec<u32> = Vec::new();
        let mut mark = vec![usize::MAX; self.reactions()];
        for r in 0..self.reactions() {
            let mut push = |j: u32, deps: &mut Vec<u32>| {
                if mark[j as usize] != r {
                    mark[j as usize] = r;
                    deps.push(j);
                }
            };
            push(r as u32, &mut deps);
            for &(s, _) in self.changes(r) {
                for &j in &consumers[s as usize] {
                    push(j, &mut deps);
                }
            }
            start.push(deps.len());
        }
        (start, deps)
    }
}

/// (reactants as (species, α), net changes as (species, ν), k).
#[cfg(test)]
pub(crate) type TestReaction<'a> = (&'a [(u32, u32)], &'a [(u32, i32)], f64);

/// Kinetics written out directly, for the simulators' unit tests.
#[cfg(test)]
pub(crate) fn test_kinetics(species: usize, reactions: &[TestReaction<'_>]) -> Kinetics {
    let mut kin = Kinetics::without_reactions(species);
    for &(reactants, changes, k) in reactions {
        kin.reactants.extend_from_slice(reactants);
        kin.reactant_start.push(kin.reactants.len());
        kin.changes.extend_from_slice(changes);
        kin.change_start.push(kin.changes.len());
        kin.k.push(k);
        kin.order.push(reactants.iter().map(|r| r.1).sum());
    }
    kin
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Kinetics;
    use crate::driver;
    use crate::source::MemoryFs;

    fn compiled(src: &str) -> crate::crn::Crn {
        let front = driver::front_end(&MemoryFs::new().with("t.crnl", src), Path::new("t.crnl"));
        assert!(!front.has_errors(), "{:?}", front.diagnostics);
        driver::lower(&front.program.networks[0], &front.db, None).expect("lowers").crn
    }

    /// A law's flux in the state y = x·V_s/V is the law at the
    /// concentrations x in their own compartments.
    #[test]
    fn a_law_reads_each_species_in_its_own_compartment() {
        // P in a compartment of 0.5, Q in one of 6, R in the reaction volume 3.
        let crn = compiled(
            "network T { volume = 3; compartment a = 0.5; compartment b = 6; species in a P = 2; species in b Q = 5; \
             species R = 1; P -> Q @ law(0.5 * P^2 * Q - 0.25 * P + 2 * R); }",
        );
        let kin = Kinetics::new(&crn);
        let x = [2.0, 5.0, 1.0];
        let y: Vec<f64> = x.iter().zip(Kinetics::shares(&crn)).map(|(x, s)| x * s).collect();
        let law = 0.5 * 4.0 * 5.0 - 0.25 * 2.0 + 2.0 * 1.0;
        assert!((kin.flux(0, &y) - law).abs() < 1e-12 * law, "{} != {law}", kin.flux(0, &y));
    }

    /// Without compartments the rate constants are the CRN's, bit for bit.
    #[test]
    fn one_volume_keeps_the_rate_constants() {
        let crn = compiled("network T { volume = 0.3; species A = 1, B; 2 A + B -> B @ 0.7; }");
        assert_eq!(Kinetics::new(&crn).k, [0.7]);
        assert_eq!(Kinetics::shares(&crn), [1.0, 1.0]);
    }
}
