//! Deterministic simulation: the mass-action ODE dx/dt = S v(x).
//!
//! Reaction networks are stiff as a rule (binding rates and slow turnover
//! differ by orders of magnitude), so both methods are implicit and use the
//! analytic Jacobian of mass action ([`equations`]): J_ij = Σ_r ν_ir
//! ∂v_r/∂x_j with ∂v_r/∂x_j = k_r α_rj x_j^(α_rj-1) ∏_{l≠j} x_l^α_rl.
//!
//! - Small networks (up to [`ROSENBROCK_MAX_SPECIES`] species that change
//!   and that some rate reads) can use a hand-written Rosenbrock method on a dense Jacobian
//!   ([`rosenbrock`]), for training runs that solve the same network tens of
//!   thousands of times at loose tolerances ([`OdeMethod`]).
//! - Otherwise diffsol's variable-order BDF ([`bdf`]) on a CSC pattern
//!   computed once per network. The Newton systems of large networks are
//!   solved by ILU(0)-preconditioned GMRES rather than sparse LU
//!   ([`linear_solver`]). Rule-based networks couple a few hub species (free
//!   receptors, ligands) to almost everything, and LU fill-in on those rows is
//!   severe: on fceri_gamma2 (3,744 species, 58,276 reactions) BDF with faer's
//!   sparse LU took 27 s to t = 10, with ILU-GMRES 0.5 s; BCR (1,122 species)
//!   went from 2.2 s to 0.37 s to t = 100. Small networks keep the exact LU,
//!   and a large one falls back to it whenever an ILU pivot is bad or GMRES
//!   does not converge.
//!
//! [`Integrator`] is the handle built once per network and reused for every
//! integration; [`solve`] builds one for a single integration. Both methods
//! run step by step under the drivers of [`stepper`], for a step limit of our
//! own and a finiteness check after every step. BDF interpolates outputs
//! from its polynomial, so they cost no extra steps; Rosenbrock steps end at
//! each output time (its steps can be long where the solution is easy, and a
//! cubic between their ends is not accurate enough).

mod bdf;
mod dense_lu;
mod equations;
mod ilu_gmres;
mod integrator;
mod linear_solver;
mod rosenbrock;
mod stepper;

pub use self::integrator::{
    Integrator, ROSENBROCK_MAX_SPECIES, ROSENBROCK_MIN_RTOL, SteadyOptions, SteadyState,
};
use super::kinetics::Kinetics;

/// The integration method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OdeMethod {
    /// diffsol's variable-order BDF (any size; ILU-GMRES for large networks).
    #[default]
    Bdf,
    /// Rodas4, a Rosenbrock method on a dense Jacobian: for small networks
    /// solved many times (training runs).
    Rosenbrock,
    /// Rosenbrock up to [`ROSENBROCK_MAX_SPECIES`] coupled species that change and
    /// from an rtol of [`ROSENBROCK_MIN_RTOL`] up (where it is faster), else BDF.
    Auto,
}

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
    /// Per species, the species whose size also scales its relative
    /// tolerance (the other rail of a dual-rail value; itself when unpaired):
    /// the Rosenbrock method's error test weighs species i by atol_i + rtol ·
    /// max(|x_i|, |x_pair(i)|). A signed value's rails carry its size, and
    /// the minority rail, annihilated towards zero, would otherwise be
    /// resolved to rtol of itself through every e-fold of its decay, which
    /// the value z = z⁺ − z⁻ never sees. BDF keeps the per-species test
    /// (stricter).
    pub paired_scale: Option<Vec<usize>>,
    /// Accepted steps allowed before giving up.
    pub max_steps: u64,
    pub method: OdeMethod,
}

impl Default for OdeOptions {
    fn default() -> Self {
        OdeOptions {
            rtol: 1e-6,
            atol: 1e-9,
            species_atol: None,
            paired_scale: None,
            max_steps: 1_000_000,
            method: OdeMethod::Bdf,
        }
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
    /// A run to steady state reached its time cap with the relative rate of
    /// change `rate` still above `tol`.
    NotSteady { time: f64, rate: f64, tol: f64 },
    /// Any other failure of the solver (Newton or error-test failures, ...).
    Solver { time: f64, message: String },
    /// Inconsistent arguments to [`solve`] or [`Integrator`].
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
            OdeError::NotSteady { time, rate, tol } => write!(
                f,
                "no steady state by t = {time}: the largest rate of change relative to its species is {rate:e} \
                 per time unit, above the tolerance {tol:e}; the network may oscillate or keep growing: \
                 raise the time cap or loosen the tolerance"
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

fn check_options(kin: &Kinetics, opts: &OdeOptions) -> Result<(), OdeError> {
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
    if let Some(pairs) = &opts.paired_scale
        && (pairs.len() != kin.species || pairs.iter().any(|&p| p >= kin.species))
    {
        return Err(invalid(format!(
            "{} paired-scale entries for {} species, each a species index",
            pairs.len(),
            kin.species
        )));
    }
    Ok(())
}

impl OdeError {
    /// The same error for an integration that started at `start`, not at 0.
    pub fn started_at(self, start: f64) -> OdeError {
        use OdeError::*;
        match self {
            StepSizeTooSmall { time } => StepSizeTooSmall { time: time + start },
            TooManySteps { time, steps } => TooManySteps { time: time + start, steps },
            NotFinite { time } => NotFinite { time: time + start },
            NotSteady { time, rate, tol } => NotSteady { time: time + start, rate, tol },
            Solver { time, message } => Solver { time: time + start, message },
            InvalidInput { message } => InvalidInput { message },
        }
    }
}

/// Integrates dx/dt = S v(x) from x(0) = `x0` and returns x at each of
/// `times` (ascending, >= 0; a time 0 gives `x0` itself). One integration
/// through a fresh [`Integrator`]; build the handle instead to integrate the
/// same network many times.
pub fn solve(kin: &Kinetics, x0: &[f64], times: &[f64], opts: &OdeOptions) -> Result<OdeSolution, OdeError> {
    Integrator::new(kin, opts)?.solve(x0, times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kinetics::test_kinetics as kinetics;

    const METHODS: [OdeMethod; 2] = [OdeMethod::Bdf, OdeMethod::Rosenbrock];

    fn with(method: OdeMethod) -> OdeOptions {
        OdeOptions { method, ..OdeOptions::default() }
    }

    #[test]
    fn decay_matches_the_exponential() {
        let kin = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 2.0)]);
        let times = [0.0, 0.5, 1.0, 3.0];
        for method in METHODS {
            let sol = solve(&kin, &[1.0], &times, &with(method)).unwrap();
            for (x, t) in sol.values.iter().zip(times) {
                assert!((x - (-2.0 * t).exp()).abs() < 1e-5, "{method:?}, t = {t}: {x}");
            }
            assert!(sol.steps > 0);
        }
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
        for method in METHODS {
            let tight = OdeOptions { rtol: 0.0, atol: 1e-10, ..with(method) };
            let loose = OdeOptions { species_atol: Some(vec![1e-10, 1e-2]), ..tight.clone() };
            let b = solve(&decays, &[1.0, 0.0], &[0.0, 5.0], &loose).unwrap();
            let c = solve(&decays, &[0.0, 1.0], &[0.0, 5.0], &loose).unwrap();
            assert!(c.steps < b.steps, "{method:?}: {} vs {}", c.steps, b.steps);
        }
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
            solve(&decay, &[1.0], &[0.0, 1.0], &OdeOptions { paired_scale: Some(vec![1]), ..opts.clone() }),
            solve(&decay, &[1.0], &[0.0, 1.0], &OdeOptions { paired_scale: Some(vec![]), ..opts.clone() }),
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
        for method in METHODS {
            let err = solve(&kin, &[1.0], &[0.0, 2.0], &with(method)).unwrap_err();
            let time = match &err {
                OdeError::NotFinite { time } | OdeError::StepSizeTooSmall { time } => *time,
                OdeError::Solver { time, .. } | OdeError::TooManySteps { time, .. } => *time,
                OdeError::NotSteady { .. } | OdeError::InvalidInput { .. } => panic!("{err}"),
            };
            assert!(time > 0.9 && time <= 1.0 + 1e-6, "{method:?}: {err}");
        }
    }

    #[test]
    fn tiny_and_huge_time_scales_integrate() {
        let fast = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 1e12)]);
        let slow = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 1e-9)]);
        for method in METHODS {
            let v = solve(&fast, &[1.0], &[0.0, 1e-12], &with(method)).unwrap().values;
            assert!((v[1] - (-1f64).exp()).abs() < 1e-5, "{method:?}: {v:?}");
            let v = solve(&slow, &[1.0], &[0.0, 1e9], &with(method)).unwrap().values;
            assert!((v[1] - (-1f64).exp()).abs() < 1e-5, "{method:?}: {v:?}");
        }
    }

    #[test]
    fn messages_carry_the_time_and_a_hint() {
        let e = OdeError::StepSizeTooSmall { time: 2.5 }.to_string();
        assert!(e.contains("t = 2.5") && e.contains("loosen rtol/atol"), "{e}");
        let e = OdeError::TooManySteps { time: 1.0, steps: 10 }.to_string();
        assert!(e.contains("after 10 steps") && e.contains("raise the step limit or shorten t_end"), "{e}");
    }
}
