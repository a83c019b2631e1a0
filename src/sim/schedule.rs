//! A plain network's schedule as the simulators run it: the cuts of its
//! protocol (`Protocol::scheduled`: the phase `main` cut at each `at T:`
//! assignment) and the segments of a run between them. Every method (ODE,
//! SSA, hybrid) reads its cuts here, so one place knows where a run stops.
//!
//! A run's cuts are the starts of the protocol's phases after the first that
//! come before the run's end time (`--t-end` may end it earlier than the
//! protocol's); the last segment runs to the end time. At a cut the state
//! jumps to the assigned values, and an output row at the cut's time shows
//! the state after the jump.

use std::ops::Range;

use crate::crn::protocol::{Duration, Perturbation, Protocol};
use crate::crn::{Crn, Species, SpeciesId};
use crate::ir::Quantity;
use crate::sim::ssa::{self, SsaError};

/// At `time` each species (by CRN index) takes its value, in its declared unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Cut {
    pub time: f64,
    pub values: Vec<(usize, f64)>,
}

/// A value of species `s` in its declared unit as a concentration (n/V_s),
/// as [`Crn::initial_concentrations`] converts initial values.
pub fn concentration(crn: &Crn, s: usize, value: f64) -> f64 {
    let species = &crn.species[s];
    if species.quantity == Quantity::Amount { value / crn.size(species) } else { value }
}

impl Cut {
    /// The values as concentrations.
    pub fn concentrations<'a>(&'a self, crn: &'a Crn) -> impl Iterator<Item = (usize, f64)> + 'a {
        self.values.iter().map(|&(s, v)| (s, concentration(crn, s, v)))
    }

    /// The values as molecule counts, which must be whole (as initial counts must).
    pub fn counts(&self, crn: &Crn) -> Result<Vec<(usize, i64)>, SsaError> {
        let at = Some(self.time);
        self.values
            .iter()
            .map(|&(s, v)| {
                let species = Species { initial: v, ..crn.species[s].clone() };
                let count = ssa::initial_count(crn, &species).map_err(|e| match e {
                    SsaError::NotInteger { species, count, .. } => {
                        SsaError::NotInteger { species, count, at }
                    }
                    SsaError::TooLarge { species, count, .. } => SsaError::TooLarge { species, count, at },
                    other => other,
                })?;
                Ok((s, count))
            })
            .collect()
    }
}

/// The cuts of a plain network's `protocol` before `t_end`. A protocol of
/// one phase has none.
pub fn cuts(protocol: &Protocol, t_end: f64) -> Vec<Cut> {
    let mut out = Vec::new();
    let mut start = 0.0;
    for (i, phase) in protocol.phases.iter().enumerate() {
        if i > 0 && start < t_end {
            let values = phase
                .before
                .iter()
                .flat_map(|p| match p {
                    Perturbation::Set(values) => values.as_slice(),
                    _ => &[],
                })
                .map(|&(SpeciesId(s), v)| (s as usize, v));
            out.push(Cut { time: start, values: values.collect() });
        }
        start += match phase.duration {
            Duration::Time(t) => t,
            Duration::SteadyState { max_time, .. } => max_time,
        };
    }
    out
}

/// A stretch of a run between cuts.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub from: f64,
    pub to: f64,
    /// The output rows whose times lie in [from, to); in the last segment
    /// also the row at the end time.
    pub rows: Range<usize>,
    /// The cut applied at `from` (none for the first segment).
    pub cut: Option<usize>,
}

impl Segment {
    /// Times from the segment's start: its rows' times and, unless it is
    /// the last, the time of the next cut last (which yields the state the
    /// next segment starts from).
    pub fn local_times(&self, times: &[f64], last: bool) -> Vec<f64> {
        let mut local: Vec<f64> = times[self.rows.clone()].iter().map(|t| t - self.from).collect();
        if !last {
            local.push(self.to - self.from);
        }
        local
    }
}

/// The segments of a run with output `times` (ascending, from 0 to the end
/// time) cut at `cuts` (ascending, inside (0, end)).
pub fn segments(cuts: &[Cut], times: &[f64]) -> Vec<Segment> {
    segments_at(&cuts.iter().map(|c| c.time).collect::<Vec<_>>(), times)
}

/// [`segments`] for the cuts' times alone.
pub fn segments_at(cuts: &[f64], times: &[f64]) -> Vec<Segment> {
    let end = times.last().copied().unwrap_or(0.0);
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0.0;
    let mut first_row = 0;
    for i in 0..=cuts.len() {
        let to = cuts.get(i).copied().unwrap_or(end);
        let last_row = if i == cuts.len() { times.len() } else { times.partition_point(|&t| t < to) };
        out.push(Segment { from, to, rows: first_row..last_row, cut: i.checked_sub(1) });
        from = to;
        first_row = last_row;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(time: f64) -> Cut {
        Cut { time, values: vec![(0, 1.0)] }
    }

    #[test]
    fn a_count_that_is_not_whole_names_its_assignment() {
        let mut crn = crate::crn::passes::fixture::crn(crate::ir::RateLaw::MassAction, &[("X", 1.0)], vec![]);
        crn.volume = 1.0;
        let error = Cut { time: 10.0, values: vec![(0, 2.5)] }.counts(&crn).unwrap_err();
        assert!(
            error.to_string().starts_with("the count of `X` assigned at t = 10 is 2.5, not a whole number")
        );
        assert_eq!(Cut { time: 10.0, values: vec![(0, 3.0)] }.counts(&crn), Ok(vec![(0, 3)]));
    }

    #[test]
    fn a_run_without_cuts_is_one_segment_over_every_row() {
        let times = [0.0, 1.0, 2.0];
        assert_eq!(segments(&[], &times), vec![Segment { from: 0.0, to: 2.0, rows: 0..3, cut: None }]);
    }

    #[test]
    fn a_row_at_a_cut_belongs_to_the_segment_after_it() {
        let times = [0.0, 1.0, 2.0, 3.0, 4.0];
        let found = segments(&[cut(2.0), cut(2.5)], &times);
        assert_eq!(
            found,
            vec![
                Segment { from: 0.0, to: 2.0, rows: 0..2, cut: None },
                Segment { from: 2.0, to: 2.5, rows: 2..3, cut: Some(0) },
                Segment { from: 2.5, to: 4.0, rows: 3..5, cut: Some(1) },
            ]
        );
        assert_eq!(found[1].local_times(&times, false), [0.0, 0.5]);
        assert_eq!(found[2].local_times(&times, true), [0.5, 1.5]);
    }
}
