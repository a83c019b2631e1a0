//! diffsol's variable-order BDF as a [`Stepper`], for networks too large for
//! the dense Rosenbrock method.
//!
//! diffsol's solver borrows its problem, so the problem is built per
//! integration from the handle's kinetics and Jacobian pattern; the linear
//! solver's setup (dense or sparse LU, ILU-GMRES) happens in diffsol's
//! constructor and costs little next to the integrations this path serves.

use diffsol::error::OdeSolverError;
use diffsol::{DiffsolError, FaerSparseMat, OdeBuilder, OdeSolverMethod, VectorCommon};

use super::equations::{JacobianPattern, MassAction};
use super::linear_solver::NewtonSolver;
use super::stepper::Stepper;
use super::{OdeError, OdeOptions};
use crate::sim::kinetics::Kinetics;

fn solver_error(e: DiffsolError, time: f64) -> OdeError {
    match e {
        DiffsolError::OdeSolverError(OdeSolverError::StepSizeTooSmall { time }) => {
            OdeError::StepSizeTooSmall { time }
        }
        e => OdeError::Solver { time, message: e.to_string() },
    }
}

struct Bdf<S>(S);

impl<'a, S: OdeSolverMethod<'a, MassAction<'a>>> Stepper for Bdf<S> {
    fn t(&self) -> f64 {
        self.0.state().t
    }

    fn y(&self) -> &[f64] {
        self.0.state().y.inner().col_as_slice(0)
    }

    fn step(&mut self) -> Result<(), OdeError> {
        let before = self.t();
        self.0.step().map(|_| ()).map_err(|e| solver_error(e, before))
    }

    fn interpolate(&mut self, t: f64, out: &mut [f64]) -> Result<(), OdeError> {
        let x = self.0.interpolate(t).map_err(|e| solver_error(e, t))?;
        out.copy_from_slice(x.inner().col_as_slice(0));
        Ok(())
    }
}

/// Runs `body` on a BDF integration from `x0` that stops at `t_stop`.
pub(super) fn run<R>(
    kin: &Kinetics,
    pattern: &JacobianPattern,
    x0: &[f64],
    opts: &OdeOptions,
    t_stop: f64,
    body: impl FnOnce(&mut dyn Stepper) -> Result<R, OdeError>,
) -> Result<R, OdeError> {
    let mut problem = OdeBuilder::<FaerSparseMat<f64>>::new()
        .rtol(opts.rtol)
        .atol(opts.species_atol.clone().unwrap_or_else(|| vec![opts.atol]))
        .build_from_eqn(MassAction::new(kin, pattern, x0))
        .map_err(|e| solver_error(e, 0.0))?;
    // diffsol's 1e-13 floor is absolute; a network simulated over 1e-12 time
    // units needs a smaller one. Stalls at large t (t + h == t) are caught by the driver.
    problem.ode_options.min_timestep = problem.ode_options.min_timestep.min(t_stop * 1e-14);
    // diffsol counts Newton failures over the whole integration, not per step,
    // so a long run would die of failures it recovered from; the step-size
    // floor and the step limit already bound a run that is really stuck.
    problem.ode_options.max_nonlinear_solver_failures = usize::MAX;
    // diffsol grows a step at most 2x, and only when 2x is due; mass-action
    // transients start at tiny steps, and climbing out of them dominated small
    // networks (361 steps to t = 100 on multistate against CVODE's 297).
    // CVODE's growth limit (10x) and a lower threshold take 269 steps there,
    // and cut the time per simulation by 10-20% on the benchmark networks.
    problem.ode_options.max_timestep_growth = Some(10.0);
    problem.ode_options.min_timestep_growth = Some(1.2);
    let mut solver = problem.bdf::<NewtonSolver>().map_err(|e| solver_error(e, 0.0))?;
    solver.set_stop_time(t_stop).map_err(|e| solver_error(e, 0.0))?;
    body(&mut Bdf(solver))
}
