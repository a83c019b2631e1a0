//! What the integration drivers need from a method, and the two drivers:
//! a trajectory at output times, and a run to steady state. Both methods go
//! through these, so step limits, finiteness checks and the steady-state test
//! are written once.

use super::OdeError;
use crate::sim::kinetics::Kinetics;

/// One integration in progress, started from a state at t = 0 towards a stop
/// time it never steps beyond.
pub(super) trait Stepper {
    /// The time reached.
    fn t(&self) -> f64;
    /// The state at [`Stepper::t`], one value per species.
    fn y(&self) -> &[f64];
    /// One accepted step.
    fn step(&mut self) -> Result<(), OdeError>;
    /// Asks that no step end beyond `t` (at most the stop time): for a
    /// method without an accurate interpolant the next output time. Methods
    /// that interpolate ignore it.
    fn end_steps_at(&mut self, _t: f64) {}
    /// The state at `t`, which lies within the last step, into `out`.
    fn interpolate(&mut self, t: f64, out: &mut [f64]) -> Result<(), OdeError>;
}

/// Takes one step and checks that it advanced and stayed finite.
fn checked_step(stepper: &mut dyn Stepper, steps: &mut u64, max_steps: u64) -> Result<(), OdeError> {
    let before = stepper.t();
    if *steps >= max_steps {
        return Err(OdeError::TooManySteps { time: before, steps: *steps });
    }
    stepper.step()?;
    *steps += 1;
    if stepper.t() <= before {
        return Err(OdeError::StepSizeTooSmall { time: before });
    }
    if !stepper.y().iter().all(|v| v.is_finite()) {
        return Err(OdeError::NotFinite { time: stepper.t() });
    }
    Ok(())
}

/// Appends the state at each of `times` (ascending; 0 gives `x0`) to `values`
/// and returns the number of steps taken.
pub(super) fn trajectory(
    stepper: &mut dyn Stepper,
    x0: &[f64],
    times: &[f64],
    max_steps: u64,
    values: &mut Vec<f64>,
) -> Result<u64, OdeError> {
    let mut steps = 0;
    for &t in times {
        if t == 0.0 {
            values.extend_from_slice(x0);
            continue;
        }
        stepper.end_steps_at(t);
        while stepper.t() < t {
            checked_step(stepper, &mut steps, max_steps)?;
        }
        let start = values.len();
        values.resize(start + x0.len(), 0.0);
        stepper.interpolate(t, &mut values[start..])?;
    }
    Ok(steps)
}

/// max_i |dx_i/dt| / (|x_i| + atol_i): the rate of change relative to the state,
/// with the absolute tolerance (one per species) as the floor for species near zero.
pub(super) fn relative_rate(kin: &Kinetics, x: &[f64], atol: &[f64], dxdt: &mut [f64]) -> f64 {
    kin.rhs(x, dxdt);
    dxdt.iter().zip(x).zip(atol).map(|((f, x), a)| f.abs() / (x.abs() + a)).fold(0.0, f64::max)
}

/// Where a run to steady state stopped.
pub(super) struct Settled {
    pub time: f64,
    pub steps: u64,
}

/// Steps until [`relative_rate`] is at most `tol`, or fails with
/// [`OdeError::NotSteady`] on reaching the stepper's stop time `t_max`.
pub(super) fn settle(
    stepper: &mut dyn Stepper,
    kin: &Kinetics,
    atol: &[f64],
    tol: f64,
    t_max: f64,
    max_steps: u64,
) -> Result<Settled, OdeError> {
    let mut dxdt = vec![0.0; kin.species];
    let mut steps = 0;
    loop {
        let rate = relative_rate(kin, stepper.y(), atol, &mut dxdt);
        if rate <= tol {
            return Ok(Settled { time: stepper.t(), steps });
        }
        if stepper.t() >= t_max {
            return Err(OdeError::NotSteady { time: stepper.t(), rate, tol });
        }
        checked_step(stepper, &mut steps, max_steps)?;
    }
}
