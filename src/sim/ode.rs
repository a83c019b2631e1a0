//! Deterministic simulation: the mass-action ODE dx/dt = S v(x), integrated
//! with diffsol's variable-order BDF method.
//!
//! Reaction networks are stiff as a rule (binding rates and slow turnover
//! differ by orders of magnitude), so the integrator is implicit and every
//! step solves Newton systems with the matrix I - γJ. Two choices make that
//! fast:
//!
//! - The Jacobian is analytic and sparse ([`equations`]): J_ij = Σ_r ν_ir
//!   ∂v_r/∂x_j with ∂v_r/∂x_j = k_r α_rj x_j^(α_rj-1) ∏_{l≠j} x_l^α_rl, on a
//!   CSC pattern computed once per network.
//! - The Newton systems of large networks are solved by ILU(0)-preconditioned
//!   GMRES rather than sparse LU ([`linear_solver`]). Rule-based networks
//!   couple a few hub species (free receptors, ligands) to almost everything,
//!   and LU fill-in on those rows is severe: on fceri_gamma2 (3,744 species,
//!   58,276 reactions) BDF with faer's sparse LU took 27 s to t = 10, with
//!   ILU-GMRES 0.5 s; BCR (1,122 species) went from 2.2 s to 0.37 s to t = 100.
//!   Small networks keep the exact LU, and a large one falls back to it
//!   whenever an ILU pivot is bad or GMRES does not converge.
//!
//! The integration runs step by step rather than through diffsol's
//! `solve_dense`, for a step limit of our own and for a finiteness check
//! after every step; outputs are interpolated from the BDF polynomial at the
//! requested times, so they cost no extra steps.

mod equations;
mod ilu_gmres;
mod linear_solver;

use diffsol::error::OdeSolverError;
use diffsol::{DiffsolError, FaerSparseMat, OdeBuilder, OdeSolverMethod, VectorCommon};

use self::equations::MassAction;
use self::linear_solver::NewtonSolver;
use super::kinetics::Kinetics;

/// Tolerances and limits of one integration.
#[derive(Clone, Debug, PartialEq)]
pub struct OdeOptions {
    /// Relative tolerance of the local error per step.
    pub rtol: f64,
    /// Absolute tolerance, in concentration units; must be positive.
    pub atol: f64,
    /// Per-species absolute tolerances, in place of `atol` when given (one
    /// per species, each positive), as CVODE and libRoadRunner allow.
    pub species_atol: Option<Vec<f64>>,
    /// Accepted steps allowed before giving up.
    pub max_steps: u64,
}

impl Default for OdeOptions {
    fn default() -> Self {
        OdeOptions { rtol: 1e-6, atol: 1e-9, species_atol: None, max_steps: 1_000_000 }
    }
}

/// The trajectory at the requested times.
#[derive(Clone, Debug, PartialEq)]
pub struct OdeSolution {
    /// Row-major, `times.len()` rows of one value per species.
    pub values: Vec<f64>,
    /// Accepted integration steps.
    pub steps: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OdeError {
    /// The step size shrank below what the time axis can resolve.
    StepSizeTooSmall { time: f64 },
    /// `max_steps` steps did not reach the last output time.
    TooManySteps { time: f64, steps: u64 },
    /// A concentration became infinite or NaN.
    NotFinite { time: f64 },
    /// Any other failure of the solver (Newton or error-test failures, ...).
    Solver { time: f64, message: String },
    /// Inconsistent arguments to [`solve`].
    InvalidInput { message: String },
}

const STIFF_HINT: &str = "the system may be stiff beyond what the tolerances allow: loosen rtol/atol, \
     or check for rates that differ by many orders of magnitude";

impl std::fmt::Display for OdeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OdeError::StepSizeTooSmall { time } => write!(
                f,
                "ODE integration failed at t = {time}: the step size became too small; {STIFF_HINT}, \
                 or for a species that grows without bound"
            ),
            OdeError::TooManySteps { time, steps } => write!(
                f,
                "ODE integration stopped at t = {time} after {steps} steps without reaching the end time: \
                 raise the step limit or shorten t_end"
            ),
            OdeError::NotFinite { time } => write!(
                f,
                "ODE integration failed at t = {time}: a concentration became infinite or NaN; \
                 some species grows without bound (autocatalysis such as 2A -> 3A blows up in finite time): \
                 check the rates or shorten t_end"
            ),
            OdeError::Solver { time, message } => {
                write!(f, "ODE integration failed at t = {time}: {message}; {STIFF_HINT}")
            }
            OdeError::InvalidInput { message } => write!(f, "cannot integrate the ODE: {message}"),
        }
    }
}

impl std::error::Error for OdeError {}

fn invalid(message: impl Into<String>) -> OdeError {
    OdeError::InvalidInput { message: message.into() }
}

/// `Kinetics::new` always builds a consistent structure, but its fields are
/// public; a hand-made one with dangling indices must not panic the solver.
fn check_kinetics(kin: &Kinetics) -> Result<(), OdeError> {
    let reactions = kin.k.len();
    let well_formed = |start: &[usize], len: usize| {
        start.len() == reactions + 1
            && start.first() == Some(&0)
            && start.last() == Some(&len)
            && start.windows(2).all(|w| w[0] <= w[1])
    };
    if !well_formed(&kin.reactant_start, kin.reactants.len())
        || !well_formed(&kin.change_start, kin.changes.len())
        || kin
            .reactants
            .iter()
            .map(|r| r.0)
            .chain(kin.changes.iter().map(|c| c.0))
            .any(|s| s as usize >= kin.species)
    {
        return Err(invalid("the kinetics arrays are inconsistent"));
    }
    if let Some(k) = kin.k.iter().find(|k| !k.is_finite()) {
        return Err(invalid(format!("rate constant {k} is not finite")));
    }
    Ok(())
}

fn check_input(kin: &Kinetics, x0: &[f64], times: &[f64], opts: &OdeOptions) -> Result<(), OdeError> {
    check_kinetics(kin)?;
    if x0.len() != kin.species {
        return Err(invalid(format!("{} initial values for {} species", x0.len(), kin.species)));
    }
    if let Some(v) = x0.iter().find(|v| !v.is_finite()) {
        return Err(invalid(format!("initial value {v} is not finite")));
    }
    if let Some(t) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        return Err(invalid(format!("output time {t} is not a finite time >= 0")));
    }
    if times.windows(2).any(|w| w[1] < w[0]) {
        return Err(invalid("output times must be in ascending order"));
    }
    if !(opts.rtol.is_finite() && opts.rtol >= 0.0) {
        return Err(invalid(format!("rtol = {} must be finite and >= 0", opts.rtol)));
    }
    if !(opts.atol.is_finite() && opts.atol > 0.0) {
        return Err(invalid(format!("atol = {} must be finite and > 0", opts.atol)));
    }
    if let Some(v) = &opts.species_atol
        && (v.len() != kin.species || !v.iter().all(|a| a.is_finite() && *a > 0.0))
    {
        return Err(invalid(format!(
            "{} per-species atol values for {} species, each must be > 0",
            v.len(),
            kin.species
        )));
    }
    Ok(())
}

fn solver_error(e: DiffsolError, time: f64) -> OdeError {
    match e {
        DiffsolError::OdeSolverError(OdeSolverError::StepSizeTooSmall { time }) => {
            OdeError::StepSizeTooSmall { time }
        }
        e => OdeError::Solver { time, message: e.to_string() },
    }
}

/// Integrates dx/dt = S v(x) from x(0) = `x0` and returns x at each of
/// `times` (ascending, >= 0; a time 0 gives `x0` itself).
pub fn solve(kin: &Kinetics, x0: &[f64], times: &[f64], opts: &OdeOptions) -> Result<OdeSolution, OdeError> {
    // Rate laws become one mass-action row per term: the same ODE and Jacobian.
    let expanded;
    let kin = if kin.has_laws() {
        expanded = kin.expanded();
        &expanded
    } else {
        kin
    };
    check_input(kin, x0, times, opts)?;
    let t_end = times.last().copied().unwrap_or(0.0);
    if kin.species == 0 || kin.reactions() == 0 || t_end == 0.0 {
        return Ok(OdeSolution { values: times.iter().flat_map(|_| x0.iter().copied()).collect(), steps: 0 });
    }

    let mut problem = OdeBuilder::<FaerSparseMat<f64>>::new()
        .rtol(opts.rtol)
        .atol(opts.species_atol.clone().unwrap_or_else(|| vec![opts.atol]))
        .build_from_eqn(MassAction::new(kin, x0))
        .map_err(|e| solver_error(e, 0.0))?;
    // diffsol's 1e-13 floor is absolute; a network simulated over 1e-12 time
    // units needs a smaller one. Stalls at large t (t + h == t) are caught below.
    problem.ode_options.min_timestep = problem.ode_options.min_timestep.min(t_end * 1e-14);
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
    solver.set_stop_time(t_end).map_err(|e| solver_error(e, 0.0))?;

    let mut values = Vec::with_capacity(times.len() * kin.species);
    let mut steps = 0u64;
    for &t in times {
        if t == 0.0 {
            values.extend_from_slice(x0);
            continue;
        }
        while solver.state().t < t {
            let before = solver.state().t;
            if steps >= opts.max_steps {
                return Err(OdeError::TooManySteps { time: before, steps });
            }
            solver.step().map_err(|e| solver_error(e, before))?;
            steps += 1;
            let state = solver.state();
            if state.t <= before {
                return Err(OdeError::StepSizeTooSmall { time: before });
            }
            if !state.y.inner().col_as_slice(0).iter().all(|v| v.is_finite()) {
                return Err(OdeError::NotFinite { time: state.t });
            }
        }
        let x = solver.interpolate(t).map_err(|e| solver_error(e, t))?;
        values.extend_from_slice(x.inner().col_as_slice(0));
    }
    Ok(OdeSolution { values, steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kinetics::test_kinetics as kinetics;

    #[test]
    fn decay_matches_the_exponential() {
        let kin = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 2.0)]);
        let times = [0.0, 0.5, 1.0, 3.0];
        let sol = solve(&kin, &[1.0], &times, &OdeOptions::default()).unwrap();
        for (x, t) in sol.values.iter().zip(times) {
            assert!((x - (-2.0 * t).exp()).abs() < 1e-5, "t = {t}: {x}");
        }
        assert!(sol.steps > 0);
    }

    #[test]
    fn trivial_inputs_give_constant_or_empty_tables() {
        let opts = OdeOptions::default();
        let empty = kinetics(0, &[]);
        assert_eq!(solve(&empty, &[], &[0.0, 1.0], &opts).unwrap(), OdeSolution { values: vec![], steps: 0 });
        let inert = kinetics(2, &[]);
        assert_eq!(solve(&inert, &[1.0, 2.0], &[0.0, 5.0], &opts).unwrap().values, [1.0, 2.0, 1.0, 2.0]);
        let decay = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 1.0)]);
        assert_eq!(solve(&decay, &[1.0], &[], &opts).unwrap().values, Vec::<f64>::new());
        assert_eq!(solve(&decay, &[3.0], &[0.0, 0.0], &opts).unwrap().values, [3.0, 3.0]);
        // Repeated output times after the start are interpolated, not stepped to twice.
        let v = solve(&decay, &[1.0], &[0.0, 1.0, 1.0], &opts).unwrap().values;
        assert_eq!(v[1], v[2]);
    }

    #[test]
    fn per_species_absolute_tolerances_are_used() {
        // Two independent decays, one of them at a time: the one with the loose tolerance takes fewer steps.
        let decays = kinetics(2, &[(&[(0, 1)], &[(0, -1)], 1.0), (&[(1, 1)], &[(1, -1)], 1.0)]);
        let tight = OdeOptions { rtol: 0.0, atol: 1e-10, ..OdeOptions::default() };
        let loose = OdeOptions { species_atol: Some(vec![1e-10, 1e-2]), ..tight.clone() };
        let b = solve(&decays, &[1.0, 0.0], &[0.0, 5.0], &loose).unwrap();
        let c = solve(&decays, &[0.0, 1.0], &[0.0, 5.0], &loose).unwrap();
        assert!(c.steps < b.steps, "{} vs {}", c.steps, b.steps);
    }

    #[test]
    fn bad_input_is_an_error() {
        let opts = OdeOptions::default();
        let decay = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 1.0)]);
        let bad = [
            solve(&decay, &[1.0, 2.0], &[0.0, 1.0], &opts),
            solve(&decay, &[f64::NAN], &[0.0, 1.0], &opts),
            solve(&decay, &[1.0], &[0.0, 2.0, 1.0], &opts),
            solve(&decay, &[1.0], &[0.0, f64::INFINITY], &opts),
            solve(&decay, &[1.0], &[-1.0, 1.0], &opts),
            solve(&decay, &[1.0], &[0.0, 1.0], &OdeOptions { atol: 0.0, ..opts.clone() }),
            solve(&decay, &[1.0], &[0.0, 1.0], &OdeOptions { rtol: f64::NAN, ..opts.clone() }),
            solve(&decay, &[1.0], &[0.0, 1.0], &OdeOptions { species_atol: Some(vec![]), ..opts.clone() }),
            solve(
                &decay,
                &[1.0],
                &[0.0, 1.0],
                &OdeOptions { species_atol: Some(vec![-1.0]), ..opts.clone() },
            ),
        ];
        for r in bad {
            assert!(matches!(r, Err(OdeError::InvalidInput { .. })), "{r:?}");
        }
        let dangling = kinetics(1, &[(&[(3, 1)], &[(0, -1)], 1.0)]);
        let truncated = Kinetics { change_start: vec![0], ..decay.clone() };
        let infinite_rate = Kinetics { k: vec![f64::INFINITY], ..decay.clone() };
        for kin in [dangling, truncated, infinite_rate] {
            let r = solve(&kin, &[1.0], &[0.0, 1.0], &opts);
            assert!(matches!(r, Err(OdeError::InvalidInput { .. })), "{r:?}");
        }
    }

    #[test]
    fn finite_time_blow_up_is_reported() {
        // 2A -> 3A: x' = x², x(0) = 1 reaches infinity at t = 1.
        let kin = kinetics(1, &[(&[(0, 2)], &[(0, 1)], 1.0)]);
        let err = solve(&kin, &[1.0], &[0.0, 2.0], &OdeOptions::default()).unwrap_err();
        let time = match &err {
            OdeError::NotFinite { time } | OdeError::StepSizeTooSmall { time } => *time,
            OdeError::Solver { time, .. } | OdeError::TooManySteps { time, .. } => *time,
            OdeError::InvalidInput { .. } => panic!("{err}"),
        };
        assert!(time > 0.9 && time <= 1.0 + 1e-6, "{err}");
    }

    #[test]
    fn tiny_and_huge_time_scales_integrate() {
        let opts = OdeOptions::default();
        let fast = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 1e12)]);
        let v = solve(&fast, &[1.0], &[0.0, 1e-12], &opts).unwrap().values;
        assert!((v[1] - (-1f64).exp()).abs() < 1e-5, "{v:?}");
        let slow = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 1e-9)]);
        let v = solve(&slow, &[1.0], &[0.0, 1e9], &opts).unwrap().values;
        assert!((v[1] - (-1f64).exp()).abs() < 1e-5, "{v:?}");
    }

    #[test]
    fn messages_carry_the_time_and_a_hint() {
        let e = OdeError::StepSizeTooSmall { time: 2.5 }.to_string();
        assert!(e.contains("t = 2.5") && e.contains("loosen rtol/atol"), "{e}");
        let e = OdeError::TooManySteps { time: 1.0, steps: 10 }.to_string();
        assert!(e.contains("after 10 steps") && e.contains("raise the step limit or shorten t_end"), "{e}");
    }
}
