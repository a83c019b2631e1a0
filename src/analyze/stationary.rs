//! The exact stationary distribution in molecule counts: the reachability
//! class of the initial state, then the product form where the network is
//! detailed balanced and the generator's null space elsewhere; an infinite
//! class is truncated, and the truncation grown until the stationary mass at
//! its edge falls below [`Options::tail_mass`].

use super::conservation::{ConservationLaw, bounded_species};
use super::distribution::Distribution;
use super::states::{SearchError, StateSpace, Truncation, search};
use super::{AnalyzeError, generator, product_form};
use crate::crn::Crn;
use crate::sim::kinetics::Kinetics;
use crate::sim::ssa::{self, Ssa, SsaMethod};

/// The default bound on the states enumerated (`--max-states`).
pub const DEFAULT_MAX_STATES: usize = 1_000_000;

/// The default stationary mass below which the states at a truncation's edge count as negligible.
pub const DEFAULT_TAIL_MASS: f64 = 1e-12;

/// The smallest truncation tried first: below it a few extra rounds cost more than they save.
const FIRST_MAX_TOTAL: i64 = 16;

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub max_states: usize,
    pub tail_mass: f64,
    pub method: MethodChoice,
}

impl Default for Options {
    fn default() -> Options {
        Options { max_states: DEFAULT_MAX_STATES, tail_mass: DEFAULT_TAIL_MASS, method: MethodChoice::Auto }
    }
}

/// Which method may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodChoice {
    /// The product form where the network is detailed balanced, else the generator.
    Auto,
    /// Always the generator's null space (a cross-check of the product form).
    Generator,
}

/// The method that computed a distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    ProductForm,
    GeneratorNullSpace,
}

impl Method {
    /// The name in the summary JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::ProductForm => "product_form",
            Method::GeneratorNullSpace => "generator_null_space",
        }
    }
}

/// A stationary distribution and how it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Stationary {
    /// Over every species of the CRN, states in lexicographic order.
    pub distribution: Distribution,
    pub method: Method,
    /// The stationary mass on the states at the truncation's edge (those a
    /// reaction would take out of it): 0 for a finite class, else an
    /// estimate of the mass the truncation leaves out.
    pub truncated_mass: f64,
    /// The truncation that gave the result; `None` when the class is finite.
    pub truncation: Option<Truncation>,
}

/// The stationary distribution of `crn` from its initial counts; `laws` are
/// its conservation laws ([`super::conservation_laws`]), which tell the
/// species an infinite class must be cut in.
pub fn stationary(
    crn: &Crn,
    laws: &[ConservationLaw],
    options: &Options,
) -> Result<Stationary, AnalyzeError> {
    let kin = Kinetics::new(crn);
    let ssa = Ssa::new(&kin, crn.volume, SsaMethod::Direct);
    let n0 = ssa::initial_counts(crn).map_err(AnalyzeError::InitialCount)?;
    let ln_lambda = match options.method {
        MethodChoice::Auto => product_form::detailed_balance(&kin, &ssa),
        MethodChoice::Generator => None,
    };
    let bounded = bounded_species(laws, n0.len());
    let free: Vec<usize> = (0..n0.len()).filter(|&i| !bounded[i]).collect();
    let mut truncation = (!free.is_empty()).then(|| {
        let start = Truncation { species: free, max_total: 0 };
        Truncation { max_total: start.total(&n0).max(FIRST_MAX_TOTAL), ..start }
    });
    let mut previous_edge_mass = None;
    // The most probable state of the last round: the generator fixes its equation.
    let mut previous_mode: Option<Vec<i64>> = None;
    loop {
        let space =
            search(&kin, &ssa, &n0, truncation.as_ref(), options.max_states).map_err(|e| match e {
                SearchError::TooMany { limit } => AnalyzeError::TooManyStates {
                    limit,
                    truncation: truncation.clone().zip(previous_edge_mass),
                },
                SearchError::Propensity { reaction, value, state, below_zero } => {
                    AnalyzeError::Propensity { reaction, value, state, below_zero }
                }
            })?;
        let (p, method) = match &ln_lambda {
            Some(ln_lambda) => {
                (normalised_exp(product_form::log_weights(ln_lambda, space.counts())), Method::ProductForm)
            }
            None => {
                let hint = previous_mode.as_deref().and_then(|mode| space.position(mode));
                (
                    generator::stationary(&space, hint).map_err(|e| solve_error(e, &space))?,
                    Method::GeneratorNullSpace,
                )
            }
        };
        let edge_mass = p.iter().zip(&space.at_edge).filter(|(_, e)| **e).fold(0.0, |m, (p, _)| m + p);
        if !space.truncated() || edge_mass <= options.tail_mass {
            let names = crn.species.iter().map(|s| s.name.clone()).collect();
            let distribution = Distribution::new(names, space.counts().to_vec(), p).sorted();
            let truncation = truncation.filter(|_| space.truncated());
            return Ok(Stationary { distribution, method, truncated_mass: edge_mass, truncation });
        }
        previous_edge_mass = Some(edge_mass);
        let mode = (0..p.len()).fold(0, |m, i| if p[i] > p[m] { i } else { m });
        previous_mode = Some(space.state(mode).to_vec());
        if let Some(t) = truncation.as_mut() {
            // Half as large again: the rounds' costs form a geometric series that the last one dominates.
            t.max_total += (t.max_total / 2).max(8);
        }
    }
}

/// exp of log-weights, normalised (the largest first scaled to 1, so none overflows).
fn normalised_exp(log_weights: Vec<f64>) -> Vec<f64> {
    let top = log_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_weights.into_iter().map(|w| (w - top).exp()).collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

fn solve_error(e: generator::GeneratorError, space: &StateSpace) -> AnalyzeError {
    match e {
        generator::GeneratorError::NotUnique { classes } => {
            AnalyzeError::NotUnique { states: classes.into_iter().map(|i| space.state(i).to_vec()).collect() }
        }
        generator::GeneratorError::Solve(why) => AnalyzeError::Solve(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::conservation_laws;
    use crate::analyze::tests::crn_of;

    fn solve(src: &str, method: MethodChoice) -> Stationary {
        let crn = crn_of(src);
        let laws = conservation_laws(&crn).unwrap();
        stationary(&crn, &laws, &Options { method, ..Options::default() }).unwrap()
    }

    fn ln_factorial(n: i64) -> f64 {
        libm::lgamma(n as f64 + 1.0)
    }

    /// Every probability against `exact(state)`, and the states' total.
    fn assert_matches(s: &Stationary, exact: impl Fn(&[i64]) -> f64, tolerance: f64) {
        for (state, p) in s.distribution.iter() {
            let q = exact(state);
            assert!((p - q).abs() < tolerance, "p{state:?} = {p}, exact {q}");
        }
        assert!((s.distribution.p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    /// ∅ -> X @ k in volume V, X -> ∅ @ d: Poisson with mean k·V/d.
    #[test]
    fn birth_death_is_poisson_by_either_method() {
        let src = "network BD { volume = 2.5; species amount X = 3; 0 -> X @ 4; X -> 0 @ 0.5; }";
        let mean: f64 = 4.0 * 2.5 / 0.5;
        let poisson = |n: &[i64]| (n[0] as f64 * mean.ln() - mean - ln_factorial(n[0])).exp();
        for (method, expected) in
            [(MethodChoice::Auto, Method::ProductForm), (MethodChoice::Generator, Method::GeneratorNullSpace)]
        {
            let s = solve(src, method);
            assert_eq!(s.method, expected);
            assert_matches(&s, poisson, 1e-12);
            assert!(s.truncated_mass > 0.0 && s.truncated_mass <= DEFAULT_TAIL_MASS, "{}", s.truncated_mass);
            let t = s.truncation.expect("an infinite class is truncated");
            assert_eq!(t.species, [0]);
            assert!((s.distribution.means()[0] - mean).abs() < 1e-9);
            assert!((s.distribution.variances()[0] - mean).abs() < 1e-8);
        }
    }

    /// Two independent Poissons of mean 40 from (0, 0), whose own mass is
    /// e^-80: the generator must not fix the equation of that state.
    #[test]
    fn the_generator_is_exact_from_a_start_with_almost_no_mass() {
        let src = "network P2 { species amount X, Y; 0 <-> X @ 40, 1; 0 <-> Y @ 40, 1; }";
        let s = solve(src, MethodChoice::Generator);
        let poisson = |n: i64| (n as f64 * 40f64.ln() - 40.0 - ln_factorial(n)).exp();
        assert_matches(&s, |n| poisson(n[0]) * poisson(n[1]), 1e-12);
    }

    /// A <-> B @ kf, kr with A + B = N: binomial(N, kf / (kf + kr)) in B.
    #[test]
    fn isomerisation_with_a_fixed_total_is_binomial() {
        let src = "network Iso { species amount A = 7, B = 5; A <-> B @ 3, 1.5; }";
        let (n, q) = (12, 3.0 / 4.5);
        let binomial = |s: &[i64]| {
            let b = s[1];
            (ln_factorial(n) - ln_factorial(b) - ln_factorial(n - b)
                + b as f64 * f64::ln(q)
                + (n - b) as f64 * f64::ln(1.0 - q))
            .exp()
        };
        for method in [MethodChoice::Auto, MethodChoice::Generator] {
            let s = solve(src, method);
            assert_eq!(s.distribution.len(), 13);
            assert_eq!((s.truncated_mass, s.truncation.is_none()), (0.0, true));
            assert_matches(&s, binomial, 1e-14);
        }
    }

    /// Unequal rates around an irreversible cycle: no detailed balance.
    #[test]
    fn an_irreversible_cycle_uses_the_generator_and_balances_the_flux() {
        let s = solve(
            "network C { species amount A = 1; A -> B @ 1; B -> C @ 2; C -> A @ 4; species B, C; }",
            MethodChoice::Auto,
        );
        assert_eq!(s.method, Method::GeneratorNullSpace);
        // One molecule: π ∝ 1/rate out of each state.
        let weights = [1.0, 0.5, 0.25];
        let total: f64 = weights.iter().sum();
        let exact = |n: &[i64]| n.iter().zip(weights).map(|(&c, w)| c as f64 * w).sum::<f64>() / total;
        assert_matches(&s, exact, 1e-14);
    }

    /// A reversible triangle is detailed balanced only when its rate products
    /// agree around the cycle (Wegscheider); either way the two methods agree.
    #[test]
    fn a_reversible_cycle_has_the_product_form_exactly_when_its_rates_close() {
        let network = |k: f64| {
            format!(
                "network T {{ species amount A = 4, B = 2, C; A <-> B @ 2, 1; B <-> C @ 3, 0.5; C <-> A @ {k}, 1; }}"
            )
        };
        // Around A -> B -> C -> A: 2 · 3 · k = 1 · 0.5 · 1 closes at k = 1/12.
        for (k, expected) in [(1.0 / 12.0, Method::ProductForm), (0.3, Method::GeneratorNullSpace)] {
            let auto = solve(&network(k), MethodChoice::Auto);
            assert_eq!(auto.method, expected, "k = {k}");
            let generator = solve(&network(k), MethodChoice::Generator);
            assert_eq!(auto.distribution.len(), 28);
            for ((s, p), (t, q)) in auto.distribution.iter().zip(generator.distribution.iter()) {
                assert_eq!(s, t);
                assert!((p - q).abs() < 1e-13, "{s:?}: {p} against {q}");
            }
        }
    }

    /// Under the combinatoric convention 2A -> B fires at k·A(A-1)/2: the
    /// product form's constants are the simulator's, so both methods agree.
    #[test]
    fn dimerisation_under_either_convention_agrees_with_the_generator() {
        for law in ["mass_action", "combinatoric"] {
            let src = format!(
                "network D {{ rate_law = {law}; species amount A = 30, B = 2; 2 A <-> B @ 0.2, 1.5; }}"
            );
            let auto = solve(&src, MethodChoice::Auto);
            assert_eq!(auto.method, Method::ProductForm);
            let generator = solve(&src, MethodChoice::Generator);
            assert_eq!(auto.distribution.len(), 18);
            for ((_, p), (_, q)) in auto.distribution.iter().zip(generator.distribution.iter()) {
                assert!((p - q).abs() < 1e-13, "{law}: {p} against {q}");
            }
        }
    }
}
