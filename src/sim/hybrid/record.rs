//! What a hybrid run reports as it goes: the output rows, the potentials'
//! time integrals over the averaging window, and the dissipation.
//! The couplings stop at every output time and at the window's start, so
//! no stretch they report straddles it (except [`Record::constant_stretch`],
//! which clips).

use super::model::Model;
use super::vesicle::Vesicle;

pub(super) struct Record<'t> {
    times: &'t [f64],
    next: usize,
    /// The scheduled assignments' times, and how many have been applied.
    cuts: Vec<f64>,
    next_cut: usize,
    species: usize,
    pub values: Vec<f64>,
    /// Start of the averaging window (not before 0).
    pub from: f64,
    pub potential_integral: Vec<f64>,
    /// ∫σ dt over the whole run and over the window.
    pub dissipation: f64,
    pub dissipation_window: f64,
}

impl<'t> Record<'t> {
    pub fn new(model: &Model, species: usize, times: &'t [f64], from: f64, cuts: Vec<f64>) -> Record<'t> {
        Record {
            times,
            next: 0,
            cuts,
            next_cut: 0,
            species,
            values: Vec::with_capacity(times.len() * species),
            from: from.max(0.0),
            potential_integral: vec![0.0; model.potentials.len()],
            dissipation: 0.0,
            dissipation_window: 0.0,
        }
    }

    /// The next time a coupling must stop at after `t`: the next output
    /// time, or the window's start or a scheduled assignment before it;
    /// `None` after the last output.
    pub fn next_stop(&self, t: f64) -> Option<f64> {
        let out = self.next_output_or_cut()?;
        Some(if t < self.from && self.from < out { self.from } else { out })
    }

    /// The next output time, or the next scheduled assignment before it.
    pub fn next_output_or_cut(&self) -> Option<f64> {
        let out = self.next_output()?;
        Some(self.cuts.get(self.next_cut).map_or(out, |&c| c.min(out)))
    }

    /// The scheduled assignment due at `t` (the coupling has just stopped
    /// there), once: its index.
    pub fn due_cut(&mut self, t: f64) -> Option<usize> {
        let due = self.cuts.get(self.next_cut).is_some_and(|&c| c <= t);
        due.then(|| {
            self.next_cut += 1;
            self.next_cut - 1
        })
    }

    /// The next output time not yet written.
    pub fn next_output(&self) -> Option<f64> {
        self.times.get(self.next).copied()
    }

    /// Writes a row for every output time up to `t`: potentials as
    /// concentrations, discrete species as the mean count over vesicles.
    pub fn take<'v>(
        &mut self,
        model: &Model,
        t: f64,
        p: &[f64],
        vesicles: impl Iterator<Item = &'v Vesicle> + Clone,
    ) {
        while self.next < self.times.len() && self.times[self.next] <= t {
            let start = self.values.len();
            self.values.resize(start + self.species, 0.0);
            let row = &mut self.values[start..];
            for (i, &s) in model.potentials.iter().enumerate() {
                row[s] = p[i];
            }
            let mut n = 0usize;
            for v in vesicles.clone() {
                n += 1;
                for (d, &s) in model.discrete.iter().enumerate() {
                    row[s] += v.counts[d] as f64;
                }
            }
            for &s in &model.discrete {
                row[s] /= n as f64;
            }
            self.next += 1;
        }
    }

    /// A stretch [t, t + span) inside or outside the window (never across
    /// its start) over which the potentials integrate to `integral` and the
    /// dissipation rate goes from `sigma_start` to `sigma_end` (trapezoid
    /// rule: exact where σ is constant, error O(span³·σ'') otherwise).
    pub fn stretch(&mut self, t: f64, span: f64, integral: &[f64], sigma_start: f64, sigma_end: f64) {
        let sigma = 0.5 * (sigma_start + sigma_end) * span;
        self.dissipation += sigma;
        if t >= self.from {
            self.dissipation_window += sigma;
            for (sum, part) in self.potential_integral.iter_mut().zip(integral) {
                *sum += part;
            }
        }
    }

    /// A stretch [t, end) with the potentials and σ constant, clipped to the window.
    pub fn constant_stretch(&mut self, t: f64, end: f64, p: &[f64], sigma: f64) {
        self.dissipation += sigma * (end - t);
        let inside = (end - t.max(self.from)).max(0.0);
        if inside > 0.0 {
            self.dissipation_window += sigma * inside;
            for (sum, &value) in self.potential_integral.iter_mut().zip(p) {
                *sum += value * inside;
            }
        }
    }
}
