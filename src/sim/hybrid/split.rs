//! The `Split` coupling: over each interval the potentials stand still while
//! every vesicle runs exact SSA on its own (in parallel, each on its own
//! random stream); then the potentials move over the interval, driven by the
//! vesicles' time-averaged discrete factors.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::SeedableRng;
use rayon::prelude::*;

use super::flow::{Blowup, Flow};
use super::model::Model;
use super::record::Record;
use super::vesicle::{Groups, Vesicle};
use super::{HybridError, HybridOptions, Outcome, Start};
use crate::sim::ssa::{exponential, uniform};

/// A vesicle with its random stream and its jumps' propensities.
struct Runner {
    vesicle: Vesicle,
    rng: Xoshiro256PlusPlus,
    /// Per reaction (jumps only): rate times discrete factor.
    propensities: Vec<f64>,
}

impl Runner {
    /// Exact SSA over [from, to) with each jump's rate (constant times
    /// potential factor) in `rates`; the events taken, or the time at which
    /// the vesicle used up its `budget` of events.
    fn run(
        &mut self,
        model: &Model,
        groups: &Groups,
        rates: &[f64],
        from: f64,
        to: f64,
        budget: u64,
    ) -> Result<u64, f64> {
        for &r in &model.jumps {
            self.propensities[r] = rates[r] * self.vesicle.factors[r];
        }
        let (mut t, mut events) = (from, 0u64);
        loop {
            let total: f64 = model.jumps.iter().map(|&r| self.propensities[r]).sum();
            if total <= 0.0 {
                return Ok(events);
            }
            t += exponential(&mut self.rng) / total;
            if t >= to {
                return Ok(events);
            }
            if events >= budget {
                return Err(t);
            }
            let target = (1.0 - uniform(&mut self.rng)) * total;
            let mut chosen = *model.jumps.last().expect("total > 0");
            let mut sum = 0.0;
            for &r in &model.jumps {
                sum += self.propensities[r];
                if target < sum && self.propensities[r] > 0.0 {
                    chosen = r;
                    break;
                }
            }
            let propensities = &mut self.propensities;
            self.vesicle.fire(model, groups, chosen, t, |j, _, new| {
                if model.is_jump[j] {
                    propensities[j] = rates[j] * new;
                }
            });
            events += 1;
        }
    }
}

pub(super) fn run(
    start: &Start<'_>,
    opts: &HybridOptions,
    interval: f64,
    record: &mut Record<'_>,
) -> Result<Outcome, HybridError> {
    let model = &start.model;
    let mut stream = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let mut runners: Vec<Runner> = (0..opts.vesicles)
        .map(|_| {
            stream.jump();
            Runner {
                vesicle: start.vesicle.clone(),
                rng: stream.clone(),
                propensities: vec![0.0; model.reactions()],
            }
        })
        .collect();
    let mut p = start.potentials.clone();
    let mut flow = Flow::new(model);
    let vesicles = opts.vesicles as f64;
    let mut rates = vec![0.0; model.reactions()];
    let mut mean_sums = vec![0.0; model.reactions()];
    let mut integral = vec![0.0; p.len()];
    let (mut t, mut events) = (0.0, 0u64);
    let blowup = |Blowup(i), p: &[f64], t| start.potential_error(i, p[i], t);
    loop {
        record.take(model, t, &p, runners.iter().map(|r| &r.vesicle));
        let Some(stop) = record.next_stop(t) else { break };
        let end = if t + interval < stop { t + interval } else { stop };
        for &r in &model.jumps {
            rates[r] = model.constant[r] * model.potential_factor(r, &p);
        }
        let budget = opts.max_events - events;
        let outcomes: Vec<Result<u64, f64>> = runners
            .par_iter_mut()
            .map(|runner| runner.run(model, &start.groups, &rates, t, end, budget))
            .collect();
        for outcome in outcomes {
            match outcome {
                Ok(n) => events += n,
                Err(time) => return Err(HybridError::MaxEvents { limit: opts.max_events, time }),
            }
        }
        if events > opts.max_events {
            return Err(HybridError::MaxEvents { limit: opts.max_events, time: end });
        }
        // The vesicles' factors averaged over the interval, summed over vesicles in order.
        let span = end - t;
        mean_sums.fill(0.0);
        for runner in &mut runners {
            runner.vesicle.take_factor_integrals(&model.flows, end, &mut mean_sums);
        }
        for &r in &model.flows {
            mean_sums[r] /= span;
        }
        // The jumps ran already: only the flows' weights matter here.
        flow.prepare(model, &p, &model.potential_factors(&p), &mean_sums, vesicles, 0.0);
        let sigma_start = model.dissipation(&p, &flow.weights);
        integral.fill(0.0);
        flow.advance(model, &mut p, span, &mut integral).map_err(|b| blowup(b, &p, t))?;
        record.stretch(t, span, &integral, sigma_start, model.dissipation(&p, &flow.weights));
        t = end;
        start.check(&p, t)?;
        if let Some(c) = record.due_cut(t) {
            let cut = &start.cuts[c];
            cut.set_potentials(&mut p);
            for runner in &mut runners {
                // Each run starts by recomputing its propensities from the factors.
                runner.vesicle.set(model, &start.groups, &cut.counts, t, |_, _, _| {});
            }
        }
    }
    Ok(Outcome { vesicles: runners.into_iter().map(|r| r.vesicle).collect(), events, rule_steps: None })
}
