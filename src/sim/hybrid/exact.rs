//! The `Exact` coupling: the piecewise-deterministic process itself. Between
//! events the potentials follow their ODE with the vesicles frozen; the next
//! event comes when the jumps' hazard along that path reaches an Exp(1)
//! draw, and reaction and vesicle are drawn with the propensities then.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;

use super::ensemble::Ensemble;
use super::flow::{Blowup, Flow};
use super::jump_rates::JumpRates;
use super::record::Record;
use super::{HybridError, HybridOptions, Outcome, Start};
use crate::sim::ssa::{exponential, uniform};

pub(super) fn run(
    start: &Start<'_>,
    opts: &HybridOptions,
    record: &mut Record<'_>,
) -> Result<Outcome, HybridError> {
    let model = &start.model;
    let mut ensemble = Ensemble::new(model, vec![start.vesicle.clone(); opts.vesicles]);
    let mut p = start.potentials.clone();
    let mut flow = Flow::new(model);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let vesicles = opts.vesicles as f64;
    let mut integral = vec![0.0; p.len()];
    let mut jumps = JumpRates::new(model, &ensemble.sums);
    let mut factors = model.potential_factors(&p);
    let mut before = p.clone();
    let (mut t, mut events) = (0.0, 0u64);
    let blowup = |Blowup(i), p: &[f64], t| start.potential_error(i, p[i], t);
    loop {
        record.take(model, t, &p, ensemble.vesicles.iter());
        let Some(stop) = record.next_stop(t) else { break };
        flow.prepare(model, &p, &factors, &ensemble.sums, vesicles, jumps.plain_total());
        let sigma_start = model.dissipation(&p, &flow.weights);
        let waiting =
            flow.waiting_time(model, exponential(&mut rng), stop - t).map_err(|b| blowup(b, &p, t))?;
        let span = waiting.unwrap_or(stop - t);
        integral.fill(0.0);
        before.copy_from_slice(&p);
        flow.advance(model, &mut p, span, &mut integral).map_err(|b| blowup(b, &p, t))?;
        model.update_potential_factors(&before, &p, &mut factors);
        let sigma_end = model.dissipation(&p, &flow.weights);
        record.stretch(t, span, &integral, sigma_start, sigma_end);
        // Landing exactly on the stop keeps output times exact.
        t = if waiting.is_some() { t + span } else { stop };
        start.check(&p, t)?;
        if waiting.is_none() {
            if let Some(c) = record.due_cut(t) {
                start.cuts[c].set_potentials(&mut p);
                ensemble.set(model, &start.groups, &start.cuts[c].counts, t);
                jumps.refresh(model, model.jumps.iter().copied(), &ensemble.sums);
            }
            factors = model.potential_factors(&p);
            continue;
        }
        if events >= opts.max_events {
            return Err(HybridError::MaxEvents { limit: opts.max_events, time: t });
        }
        jumps.read_potentials(model, &ensemble.sums, &factors);
        if jumps.total() <= 0.0 {
            // Only an Exp(1) draw of exactly 0 lands here: nothing can fire.
            continue;
        }
        // 1 − u lies in [0, 1): the draw never lands past the last jump that can fire.
        let r = jumps.pick(1.0 - uniform(&mut rng));
        let v = ensemble.pick_vesicle(r, 1.0 - uniform(&mut rng));
        ensemble.fire(model, &start.groups, r, v, t);
        jumps.refresh(model, model.dependents.get(r).iter().map(|&j| j as usize), &ensemble.sums);
        events += 1;
    }
    Ok(Outcome { vesicles: ensemble.vesicles, events, rule_steps: None })
}
