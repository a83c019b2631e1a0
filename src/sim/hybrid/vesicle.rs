//! One vesicle: its discrete counts, each reaction's discrete factor, and
//! the exact time integrals over the averaging window that the run reports
//! (counts, and the joint distributions of the histogram groups). The state
//! is piecewise constant, so each integral is brought up to date only when
//! its value changes.

use std::collections::BTreeMap;

use super::model::Model;

/// The histogram groups as discrete-species indices, and for each discrete
/// species the groups it belongs to.
pub(super) struct Groups {
    pub members: Vec<Vec<u32>>,
    of_species: Vec<Vec<u32>>,
}

impl Groups {
    pub fn new(members: Vec<Vec<u32>>, discrete: usize) -> Groups {
        let mut of_species = vec![Vec::new(); discrete];
        for (g, list) in members.iter().enumerate() {
            for &d in list {
                of_species[d as usize].push(g as u32);
            }
        }
        Groups { members, of_species }
    }
}

#[derive(Clone)]
pub(super) struct Vesicle {
    pub counts: Vec<i64>,
    /// ∏ ff(n, α) of every reaction at `counts`.
    pub factors: Vec<f64>,
    /// ∫ factor dt since the last [`Vesicle::take_factor_integrals`].
    factor_integral: Vec<f64>,
    factor_since: Vec<f64>,
    /// Start of the averaging window.
    from: f64,
    count_integral: Vec<f64>,
    count_since: Vec<f64>,
    /// Per histogram group: time in the window spent in each joint state.
    histograms: Vec<BTreeMap<Vec<i64>, f64>>,
    group_since: Vec<f64>,
}

/// The part of [since, t) inside the window [from, ∞).
#[inline]
fn overlap(since: f64, t: f64, from: f64) -> f64 {
    (t - since.max(from)).max(0.0)
}

impl Vesicle {
    pub fn new(model: &Model, counts: Vec<i64>, groups: usize, from: f64) -> Vesicle {
        let factors: Vec<f64> = (0..model.reactions()).map(|r| model.discrete_factor(r, &counts)).collect();
        let d = counts.len();
        Vesicle {
            factor_integral: vec![0.0; factors.len()],
            factor_since: vec![0.0; factors.len()],
            factors,
            counts,
            from,
            count_integral: vec![0.0; d],
            count_since: vec![0.0; d],
            histograms: vec![BTreeMap::new(); groups],
            group_since: vec![0.0; groups],
        }
    }

    /// Fires reaction `r` at time `t`; `changed(j, old, new)` hears of each
    /// discrete factor the event changes.
    #[inline]
    pub fn fire(
        &mut self,
        model: &Model,
        groups: &Groups,
        r: usize,
        t: f64,
        changed: impl FnMut(usize, f64, f64),
    ) {
        let changes = model.discrete_changes.get(r).iter().map(|&(d, delta)| (d as usize, i64::from(delta)));
        self.change(groups, changes, t);
        self.refactor(model, model.dependents.get(r).iter().map(|&j| j as usize), t, changed);
    }

    /// Sets discrete species to counts at time `t` (a scheduled
    /// assignment); `changed` as for [`Vesicle::fire`].
    pub fn set(
        &mut self,
        model: &Model,
        groups: &Groups,
        counts: &[(usize, i64)],
        t: f64,
        changed: impl FnMut(usize, f64, f64),
    ) {
        let changes: Vec<(usize, i64)> = counts.iter().map(|&(d, n)| (d, n - self.counts[d])).collect();
        self.change(groups, changes.into_iter(), t);
        self.refactor(model, 0..model.reactions(), t, changed);
    }

    /// Moves counts by `changes` at time `t`, closing the integrals they end.
    #[inline]
    fn change(&mut self, groups: &Groups, changes: impl Iterator<Item = (usize, i64)> + Clone, t: f64) {
        if !groups.members.is_empty() {
            for (d, _) in changes.clone() {
                for &g in &groups.of_species[d] {
                    self.close_group(groups, g as usize, t);
                }
            }
        }
        for (d, delta) in changes {
            self.count_integral[d] += self.counts[d] as f64 * overlap(self.count_since[d], t, self.from);
            self.count_since[d] = t;
            self.counts[d] += delta;
        }
    }

    /// Recomputes the discrete factors of `reactions` at time `t`.
    #[inline]
    fn refactor(
        &mut self,
        model: &Model,
        reactions: impl Iterator<Item = usize>,
        t: f64,
        mut changed: impl FnMut(usize, f64, f64),
    ) {
        for j in reactions {
            let new = model.discrete_factor(j, &self.counts);
            let old = self.factors[j];
            if new != old {
                self.factor_integral[j] += old * (t - self.factor_since[j]);
                self.factor_since[j] = t;
                self.factors[j] = new;
                changed(j, old, new);
            }
        }
    }

    /// Credits the group's current joint state with its time since the last change.
    fn close_group(&mut self, groups: &Groups, g: usize, t: f64) {
        let held = overlap(self.group_since[g], t, self.from);
        if held > 0.0 {
            let state: Vec<i64> = groups.members[g].iter().map(|&d| self.counts[d as usize]).collect();
            *self.histograms[g].entry(state).or_insert(0.0) += held;
        }
        self.group_since[g] = t;
    }

    /// Adds ∫ factor dt over [last take, t) of each reaction in `reactions`
    /// to `sums`, and starts the next integral at t.
    pub fn take_factor_integrals(&mut self, reactions: &[usize], t: f64, sums: &mut [f64]) {
        for &r in reactions {
            sums[r] += self.factor_integral[r] + self.factors[r] * (t - self.factor_since[r]);
            self.factor_integral[r] = 0.0;
            self.factor_since[r] = t;
        }
    }

    /// Closes every integral at the end time `t`: the counts' integrals over
    /// the window are added to `counts` and the histograms merged into `into`.
    pub fn finish(
        mut self,
        groups: &Groups,
        t: f64,
        counts: &mut [f64],
        into: &mut [BTreeMap<Vec<i64>, f64>],
    ) {
        for (d, sum) in counts.iter_mut().enumerate() {
            *sum +=
                self.count_integral[d] + self.counts[d] as f64 * overlap(self.count_since[d], t, self.from);
        }
        for g in 0..groups.members.len() {
            self.close_group(groups, g, t);
        }
        for (total, own) in into.iter_mut().zip(self.histograms) {
            for (state, time) in own {
                *total.entry(state).or_insert(0.0) += time;
            }
        }
    }
}
