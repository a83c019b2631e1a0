//! The `PerEvent` coupling, the authors' reference (domain.md §3.12 items 1
//! and 2): bioscrape's loop with repeated rules. Each iteration applies the
//! potentials' rule (one Euler step of dt with the flows summed over the
//! vesicles), computes the propensities with the new values, and either
//! fires the next event, if it comes before the next output time, or moves
//! to that time and writes its row.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;

use super::ensemble::Ensemble;
use super::jump_rates::JumpRates;
use super::record::Record;
use super::{HybridError, HybridOptions, Outcome, Start};
use crate::sim::ssa::{exponential, uniform};

pub(super) fn run(
    start: &Start<'_>,
    opts: &HybridOptions,
    dt: f64,
    record: &mut Record<'_>,
) -> Result<Outcome, HybridError> {
    let model = &start.model;
    let mut ensemble = Ensemble::new(model, vec![start.vesicle.clone(); opts.vesicles]);
    let mut p = start.potentials.clone();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let vesicles = opts.vesicles as f64;
    // Per flow: its weight in the rule (summed over vesicles, times dt) and
    // per vesicle (the mean, for the dissipation).
    let mut rule = vec![0.0; model.reactions()];
    let mut mean = vec![0.0; model.reactions()];
    let mut step = vec![0.0; p.len()];
    let mut factors = model.potential_factors(&p);
    let mut before = p.clone();
    let mut jumps = JumpRates::new(model, &ensemble.sums);
    let (mut t, mut events, mut steps) = (0.0, 0u64, 0u64);
    // The rule steps after each event of the network as written and at each
    // output time; a binding step of the molecularity pass is neither, so a
    // lowered network learns at the rate of the network it lowers.
    let mut rule_due = true;
    while let Some(next) = record.next_output_or_cut() {
        for &r in &model.flows {
            let weight = model.constant[r] * ensemble.sums[r];
            rule[r] = weight * dt;
            mean[r] = weight / vesicles;
        }
        if rule_due {
            model.drift_with(|r| factors[r], &rule, &mut step);
            before.copy_from_slice(&p);
            for (p, dp) in p.iter_mut().zip(&step) {
                *p += dp;
            }
            start.check(&p, t)?;
            model.update_potential_factors(&before, &p, &mut factors);
            steps += 1;
        }
        jumps.read_potentials(model, &ensemble.sums, &factors);
        let total = jumps.total();
        let fire_at = Some(t + exponential(&mut rng) / total).filter(|&at| total > 0.0 && at <= next);
        let until = fire_at.unwrap_or(next);
        record.constant_stretch(t, until, &p, model.dissipation(&p, &mean));
        t = until;
        if let Some(c) = record.due_cut(t) {
            start.cuts[c].set_potentials(&mut p);
            ensemble.set(model, &start.groups, &start.cuts[c].counts, t);
            jumps.refresh(model, model.jumps.iter().copied(), &ensemble.sums);
        }
        record.take(model, t, &p, ensemble.vesicles.iter());
        if fire_at.is_none() {
            factors = model.potential_factors(&p);
            rule_due = true;
        } else {
            if events >= opts.max_events {
                return Err(HybridError::MaxEvents { limit: opts.max_events, time: t });
            }
            // 1 − u lies in [0, 1): the draw never lands past the last jump that can fire.
            let r = jumps.pick(1.0 - uniform(&mut rng));
            let v = ensemble.pick_vesicle(r, 1.0 - uniform(&mut rng));
            ensemble.fire(model, &start.groups, r, v, t);
            jumps.refresh(model, model.dependents.get(r).iter().map(|&j| j as usize), &ensemble.sums);
            events += 1;
            rule_due = !model.binding[r];
        }
    }
    Ok(Outcome { vesicles: ensemble.vesicles, events, rule_steps: Some(steps) })
}
