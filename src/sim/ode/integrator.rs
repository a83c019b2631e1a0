//! The solver handle: everything about a network that does not depend on the
//! initial state, built once and reused for every integration of it.

use std::sync::Arc;

use super::bdf;
use super::equations::JacobianPattern;
use super::rosenbrock::{Rosenbrock, changing_species};
use super::stepper::{self, Stepper};
use super::{OdeError, OdeMethod, OdeOptions, OdeSolution, check_kinetics, check_options, invalid};
use crate::sim::kinetics::Kinetics;

/// `OdeMethod::Auto` uses the dense Rosenbrock method up to this many
/// species that change and that some rate depends on (accumulators, which
/// no rate reads, cost no factorisation), and BDF above: a dense LU costs
/// n³/3 per step, which BDF avoids by reusing its factors over many steps.
/// Measured: with 6 such species (B4's forward phase to T = 0.4) Rodas4
/// takes 42 µs per solve against BDF's 81 at rtol 1e-6 (benches/simulate.rs),
/// and the XOR example's training run (`--feedback exact`) 1.7-1.9 s with
/// BDF on its 12-species backward phase (60 steps per solve) against 3.0-3.2
/// s with Rodas4 there (48 steps, each twice as costly). On multistate to t =
/// 100 (9 species) BDF's long high-order steps pay at rtol 1e-6 (0.43 ms
/// against 0.63). The setting is for training runs, many short solves of
/// small networks.
pub const ROSENBROCK_MAX_SPECIES: usize = 8;

/// ... and from this relative tolerance up: Rodas4 is of order 4 and BDF of
/// up to 5, so tight tolerances take Rodas4 more steps. benches/simulate.rs,
/// µs per solve from 64 states, Rodas4 against BDF: B4's forward network (T =
/// 0.4) 18 against 58 at rtol 1e-4, 42 against 81 at 1e-6, 57 against 91 at
/// 1e-8; its backward (T = 2) 82 against 201 at 1e-6 but 212 against 163 at
/// 1e-8. (Rodas3, order 3, took 81 and 187 µs at 1e-6 and 117 and 462 at
/// 1e-8: Rodas4 replaced it, faster at every tolerance measured.)
pub const ROSENBROCK_MIN_RTOL: f64 = 1e-6;

/// How a run to steady state ends.
#[derive(Clone, Debug, PartialEq)]
pub struct SteadyOptions {
    /// Settled once max_i |dx_i/dt| / (|x_i| + atol_i) <= `tol`.
    pub tol: f64,
    /// The time cap: not settled by then is [`OdeError::NotSteady`].
    pub t_max: f64,
}

/// A steady state reached.
#[derive(Clone, Debug, PartialEq)]
pub struct SteadyState {
    /// One value per species.
    pub values: Vec<f64>,
    /// The time it was reached at.
    pub time: f64,
    /// Accepted integration steps.
    pub steps: u64,
}

#[derive(Clone, Debug)]
enum Engine {
    Rosenbrock(Box<Rosenbrock>),
    Bdf(Arc<JacobianPattern>),
}

/// An ODE solver for one network and one set of options, reused across
/// integrations from new initial states: the flattened kinetics (rate laws
/// expanded), the Jacobian's pattern or scatter plan and the method's
/// workspaces are built once.
///
/// Integrations are deterministic: the same initial state and times give the
/// same values bit for bit, on any thread. The handle is `Send` and cheap to
/// clone (the kinetics are shared), so parallel work takes one clone per
/// thread.
#[derive(Clone, Debug)]
pub struct Integrator {
    kin: Arc<Kinetics>,
    opts: OdeOptions,
    /// Per species, for the steady-state test.
    atol: Vec<f64>,
    engine: Engine,
    values: Vec<f64>,
}

impl Integrator {
    pub fn new(kin: &Kinetics, opts: &OdeOptions) -> Result<Integrator, OdeError> {
        // Rate laws become one mass-action row per term: the same ODE and Jacobian.
        let kin = Arc::new(if kin.has_laws() { kin.expanded() } else { kin.clone() });
        check_kinetics(&kin)?;
        check_options(&kin, opts)?;
        let atol = opts.species_atol.clone().unwrap_or_else(|| vec![opts.atol; kin.species]);
        let dense = match opts.method {
            OdeMethod::Auto => {
                opts.rtol >= ROSENBROCK_MIN_RTOL && changing_species(&kin).1 <= ROSENBROCK_MAX_SPECIES
            }
            OdeMethod::Rosenbrock => true,
            OdeMethod::Bdf => false,
        };
        let engine = if dense {
            Engine::Rosenbrock(Box::new(Rosenbrock::new(
                kin.clone(),
                opts.rtol,
                &atol,
                opts.paired_scale.as_deref(),
            )))
        } else {
            Engine::Bdf(Arc::new(JacobianPattern::new(&kin)))
        };
        Ok(Integrator { kin, opts: opts.clone(), atol, engine, values: Vec::new() })
    }

    /// The method integrations use (`Bdf` or `Rosenbrock`, never `Auto`).
    pub fn method(&self) -> OdeMethod {
        match self.engine {
            Engine::Rosenbrock(_) => OdeMethod::Rosenbrock,
            Engine::Bdf(_) => OdeMethod::Bdf,
        }
    }

    pub fn species(&self) -> usize {
        self.kin.species
    }

    /// The kinetics integrations use, with the rate constants last set.
    pub fn kinetics(&self) -> &Kinetics {
        &self.kin
    }

    /// Replaces the rate constants (one per reaction) for the integrations
    /// that follow: a phase whose catalysts were folded into its rates
    /// ([`Kinetics::folded`]) sets them from each new state. A handle's first
    /// call takes its own copy of the kinetics; later calls allocate nothing.
    pub fn set_rate_constants(&mut self, k: &[f64]) -> Result<(), OdeError> {
        if k.len() != self.kin.reactions() {
            return Err(invalid(format!(
                "{} rate constants for {} reactions",
                k.len(),
                self.kin.reactions()
            )));
        }
        if let Some(bad) = k.iter().find(|k| !k.is_finite()) {
            return Err(invalid(format!("rate constant {bad} is not finite")));
        }
        Arc::make_mut(&mut self.kin).k.copy_from_slice(k);
        if let Engine::Rosenbrock(method) = &mut self.engine {
            method.set_rate_constants(k);
        }
        Ok(())
    }

    fn check_state(&self, x0: &[f64]) -> Result<(), OdeError> {
        if x0.len() != self.kin.species {
            return Err(invalid(format!("{} initial values for {} species", x0.len(), self.kin.species)));
        }
        if let Some(v) = x0.iter().find(|v| !v.is_finite()) {
            return Err(invalid(format!("initial value {v} is not finite")));
        }
        Ok(())
    }

    /// Whether nothing ever changes, so that every state is x0.
    fn inert(&self) -> bool {
        self.kin.species == 0 || self.kin.reactions() == 0
    }

    /// Runs `body` on an integration from `x0` that stops at `t_stop` > 0.
    fn run<R>(
        &mut self,
        x0: &[f64],
        t_stop: f64,
        body: impl FnOnce(&mut dyn Stepper, &Kinetics, &[f64], &mut Vec<f64>) -> Result<R, OdeError>,
    ) -> Result<R, OdeError> {
        let Integrator { kin, opts, atol, engine, values } = self;
        match engine {
            Engine::Rosenbrock(method) => {
                method.start(x0, t_stop);
                body(method.as_mut(), kin, atol, values)
            }
            Engine::Bdf(pattern) => bdf::run(kin, pattern, x0, opts, t_stop, |s| body(s, kin, atol, values)),
        }
    }

    /// Integrates from x(0) = `x0` and returns x at each of `times`
    /// (ascending, >= 0; a time 0 gives `x0` itself).
    pub fn solve(&mut self, x0: &[f64], times: &[f64]) -> Result<OdeSolution, OdeError> {
        self.check_state(x0)?;
        if let Some(t) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(invalid(format!("output time {t} is not a finite time >= 0")));
        }
        if times.windows(2).any(|w| w[1] < w[0]) {
            return Err(invalid("output times must be in ascending order"));
        }
        let t_end = times.last().copied().unwrap_or(0.0);
        if self.inert() || t_end == 0.0 {
            return Ok(OdeSolution {
                values: times.iter().flat_map(|_| x0.iter().copied()).collect(),
                steps: 0,
            });
        }
        let max_steps = self.opts.max_steps;
        let mut values = Vec::with_capacity(times.len() * x0.len());
        let steps =
            self.run(x0, t_end, |s, _, _, _| stepper::trajectory(s, x0, times, max_steps, &mut values))?;
        Ok(OdeSolution { values, steps })
    }

    /// Integrates from `x0` to `t` and writes x(t) into `out` (one value per
    /// species) without allocating; returns the steps taken.
    pub fn solve_to(&mut self, x0: &[f64], t: f64, out: &mut [f64]) -> Result<u64, OdeError> {
        self.check_state(x0)?;
        if out.len() != x0.len() {
            return Err(invalid(format!("an output of {} values for {} species", out.len(), x0.len())));
        }
        if !(t.is_finite() && t >= 0.0) {
            return Err(invalid(format!("output time {t} is not a finite time >= 0")));
        }
        if self.inert() || t == 0.0 {
            out.copy_from_slice(x0);
            return Ok(0);
        }
        let max_steps = self.opts.max_steps;
        let steps = self.run(x0, t, |s, _, _, values| {
            values.clear();
            stepper::trajectory(s, x0, &[t], max_steps, values)
        })?;
        out.copy_from_slice(&self.values);
        Ok(steps)
    }

    /// Integrates from `x0` until the largest |dx_i/dt| / (|x_i| + atol_i) is
    /// at most `settle.tol`, and returns the state then; past `settle.t_max`
    /// it is [`OdeError::NotSteady`].
    pub fn steady_state(&mut self, x0: &[f64], settle: &SteadyOptions) -> Result<SteadyState, OdeError> {
        self.check_state(x0)?;
        if !(settle.tol.is_finite() && settle.tol > 0.0) {
            return Err(invalid(format!("steady-state tolerance {} must be finite and > 0", settle.tol)));
        }
        if !(settle.t_max.is_finite() && settle.t_max > 0.0) {
            return Err(invalid(format!("steady-state time cap {} must be finite and > 0", settle.t_max)));
        }
        if self.inert() {
            return Ok(SteadyState { values: x0.to_vec(), time: 0.0, steps: 0 });
        }
        let max_steps = self.opts.max_steps;
        self.run(x0, settle.t_max, |s, kin, atol, _| {
            let settled = stepper::settle(s, kin, atol, settle.tol, settle.t_max, max_steps)?;
            Ok(SteadyState { values: s.y().to_vec(), time: settled.time, steps: settled.steps })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kinetics::test_kinetics as kinetics;
    use proptest::prelude::*;

    const METHODS: [OdeMethod; 2] = [OdeMethod::Bdf, OdeMethod::Rosenbrock];

    /// A reaction with owned lists: (reactants as (species, α), net changes, k).
    type Row = (Vec<(u32, u32)>, Vec<(u32, i32)>, f64);

    fn from_rows(species: usize, rows: &[Row]) -> Kinetics {
        let slices: Vec<_> = rows.iter().map(|(r, c, k)| (r.as_slice(), c.as_slice(), *k)).collect();
        kinetics(species, &slices)
    }

    fn handle(kin: &Kinetics, method: OdeMethod, rtol: f64) -> Integrator {
        Integrator::new(kin, &OdeOptions { method, rtol, atol: 1e-10, ..OdeOptions::default() }).unwrap()
    }

    /// A ⇌ B @ 2, 1 with a catalyst C: A + C -> B + C.
    fn isomerisation() -> Kinetics {
        kinetics(3, &[(&[(0, 1), (2, 1)], &[(0, -1), (1, 1)], 2.0), (&[(1, 1)], &[(0, 1), (1, -1)], 1.0)])
    }

    #[test]
    fn auto_picks_rosenbrock_for_small_networks_at_loose_tolerances() {
        let auto = |rtol| OdeOptions { method: OdeMethod::Auto, rtol, ..OdeOptions::default() };
        let small = Integrator::new(&isomerisation(), &auto(1e-4)).unwrap();
        assert_eq!(small.method(), OdeMethod::Rosenbrock);
        let tight = Integrator::new(&isomerisation(), &auto(ROSENBROCK_MIN_RTOL / 10.0)).unwrap();
        assert_eq!(tight.method(), OdeMethod::Bdf);
        // A chain of decays through more species than the dense method takes.
        let n = ROSENBROCK_MAX_SPECIES + 1;
        let chain: Vec<Row> =
            (0..n as u32).map(|i| (vec![(i, 1)], vec![(i, -1), ((i + 1) % n as u32, 1)], 1.0)).collect();
        let big = from_rows(n, &chain);
        assert_eq!(Integrator::new(&big, &auto(1e-4)).unwrap().method(), OdeMethod::Bdf);
        // One species feeding as many accumulators: one coupled species.
        let fan: Vec<Row> = (1..=n as u32).map(|i| (vec![(0, 1)], vec![(0, -1), (i, 1)], 1.0)).collect();
        let fan = from_rows(n + 1, &fan);
        assert_eq!(Integrator::new(&fan, &auto(1e-4)).unwrap().method(), OdeMethod::Rosenbrock);
        assert_eq!(handle(&big, OdeMethod::Rosenbrock, 1e-6).method(), OdeMethod::Rosenbrock);
    }

    #[test]
    fn reused_handles_give_the_same_bits_as_fresh_ones_and_keep_catalysts_exact() {
        let kin = isomerisation();
        let times = [0.0, 0.1, 0.35, 1.0, 4.0];
        for method in METHODS {
            let mut reused = handle(&kin, method, 1e-6);
            let first = reused.solve(&[1.0, 0.0, 0.5], &times).unwrap();
            reused.solve(&[0.2, 3.0, 7.0], &times).unwrap();
            let again = reused.solve(&[1.0, 0.0, 0.5], &times).unwrap();
            let fresh = handle(&kin, method, 1e-6).solve(&[1.0, 0.0, 0.5], &times).unwrap();
            assert_eq!(first, again, "{method:?}");
            assert_eq!(first, fresh, "{method:?}");
            let mut end = [0.0; 3];
            let steps = reused.solve_to(&[1.0, 0.0, 0.5], 4.0, &mut end).unwrap();
            let at_end = reused.solve(&[1.0, 0.0, 0.5], &[4.0]).unwrap();
            assert_eq!((end.to_vec(), steps), (at_end.values, at_end.steps), "{method:?}");
            assert!(first.values.chunks(3).all(|row| row[2] == 0.5), "{method:?}");
        }
    }

    #[test]
    fn handles_on_many_threads_agree_bit_for_bit() {
        fn send_and_clone<T: Send + Clone>() {}
        send_and_clone::<Integrator>();
        let kin = isomerisation();
        let starts: Vec<[f64; 3]> = (0..16).map(|i| [i as f64 * 0.25, 1.0, 0.1 * i as f64]).collect();
        for method in METHODS {
            let mut one = handle(&kin, method, 1e-8);
            let serial: Vec<_> = starts.iter().map(|x| one.solve(x, &[0.0, 0.4, 2.0]).unwrap()).collect();
            let parallel: Vec<_> = std::thread::scope(|scope| {
                let workers: Vec<_> = starts
                    .chunks(4)
                    .map(|chunk| {
                        let mut mine = one.clone();
                        scope.spawn(move || {
                            chunk.iter().map(|x| mine.solve(x, &[0.0, 0.4, 2.0]).unwrap()).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
            });
            assert_eq!(serial, parallel, "{method:?}");
        }
    }

    #[test]
    fn steady_state_of_a_reversible_reaction_is_its_equilibrium() {
        // A ⇌ B at 2·C, 1 with C = 0.5: equilibrium B = A, A + B = 1.
        let kin = isomerisation();
        let settle = SteadyOptions { tol: 1e-8, t_max: 1e3 };
        for method in METHODS {
            let steady = handle(&kin, method, 1e-8).steady_state(&[1.0, 0.0, 0.5], &settle).unwrap();
            let [a, b, c] = steady.values[..] else { panic!() };
            assert!((a - 0.5).abs() < 1e-7 && (b - 0.5).abs() < 1e-7 && c == 0.5, "{method:?}: {steady:?}");
            // Relaxation at rate 2: the rate of change e^{-2t} falls below 1e-8 after about t = 9.
            assert!(steady.time > 5.0 && steady.time < 20.0, "{method:?}: {steady:?}");
            assert!(steady.steps > 0);
        }
    }

    #[test]
    fn dot_product_settles_on_its_value() {
        // y = a·b through A_i + B_i -> A_i + B_i + Y and Y -> 0 (domain.md §2.5).
        let (a, b) = ([0.5, 1.0, 2.0], [4.0, 3.0, 0.25]);
        let mut reactions: Vec<Row> = (0..3).map(|i| (vec![(i, 1), (3 + i, 1)], vec![(6, 1)], 1.0)).collect();
        reactions.push((vec![(6, 1)], vec![(6, -1)], 1.0));
        let kin = from_rows(7, &reactions);
        let x0 = [a[0], a[1], a[2], b[0], b[1], b[2], 0.0];
        for method in METHODS {
            let steady = handle(&kin, method, 1e-8)
                .steady_state(&x0, &SteadyOptions { tol: 1e-9, t_max: 100.0 })
                .unwrap();
            assert!((steady.values[6] - 5.5).abs() < 1e-7, "{method:?}: {steady:?}");
        }
    }

    #[test]
    fn an_oscillator_never_settles_and_says_so() {
        // Lotka-Volterra: X -> 2X, X + Y -> 2Y, Y -> 0 cycles forever.
        let kin = kinetics(
            2,
            &[
                (&[(0, 1)], &[(0, 1)], 1.0),
                (&[(0, 1), (1, 1)], &[(0, -1), (1, 1)], 1.0),
                (&[(1, 1)], &[(1, -1)], 1.0),
            ],
        );
        for method in METHODS {
            let err = handle(&kin, method, 1e-6)
                .steady_state(&[2.0, 1.0], &SteadyOptions { tol: 1e-6, t_max: 50.0 })
                .unwrap_err();
            let OdeError::NotSteady { time, rate, tol } = err else { panic!("{method:?}: {err}") };
            assert!((time - 50.0).abs() < 1e-9 && rate > tol, "{method:?}: {err}");
            assert!(err.to_string().contains("no steady state by t = 50"), "{err}");
        }
    }

    #[test]
    fn a_state_already_steady_takes_no_step() {
        let kin = isomerisation();
        let steady = handle(&kin, OdeMethod::Rosenbrock, 1e-6)
            .steady_state(&[0.5, 0.5, 0.5], &SteadyOptions { tol: 1e-12, t_max: 1.0 })
            .unwrap();
        assert_eq!((steady.time, steady.steps), (0.0, 0));
    }

    /// A reaction of a closed network: as many molecules out as in.
    fn closed_reaction(species: u32) -> impl Strategy<Value = (Vec<u32>, Vec<u32>, f64)> {
        (1usize..=2)
            .prop_flat_map(move |n| {
                let side = prop::collection::vec(0..species, n);
                (side.clone(), side, 0.1f64..10.0)
            })
            .prop_filter("no net change", |(r, p, _)| {
                let (mut r, mut p) = (r.clone(), p.clone());
                r.sort_unstable();
                p.sort_unstable();
                r != p
            })
    }

    fn closed_network() -> impl Strategy<Value = (Kinetics, Vec<f64>)> {
        (2u32..6).prop_flat_map(|n| {
            let reactions = prop::collection::vec(closed_reaction(n), 1..8);
            let x0 = prop::collection::vec(0.0f64..2.0, n as usize);
            (reactions, x0).prop_map(move |(reactions, x0)| {
                let count = |side: &[u32]| {
                    let mut c: Vec<(u32, i32)> = Vec::new();
                    for &s in side {
                        match c.iter_mut().find(|e| e.0 == s) {
                            Some(e) => e.1 += 1,
                            None => c.push((s, 1)),
                        }
                    }
                    c
                };
                let rows: Vec<Row> = reactions
                    .iter()
                    .map(|(r, p, k)| {
                        let reactants = count(r);
                        let mut change: Vec<(u32, i32)> = reactants.iter().map(|&(s, a)| (s, -a)).collect();
                        for (s, a) in count(p) {
                            match change.iter_mut().find(|e| e.0 == s) {
                                Some(e) => e.1 += a,
                                None => change.push((s, a)),
                            }
                        }
                        change.retain(|e| e.1 != 0);
                        (reactants.iter().map(|&(s, a)| (s, a as u32)).collect(), change, *k)
                    })
                    .collect();
                (from_rows(n as usize, &rows), x0)
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// On random closed networks Rosenbrock conserves the molecule count
        /// to rounding and agrees with a tightly solved BDF.
        #[test]
        fn rosenbrock_conserves_mass_and_agrees_with_bdf((kin, x0) in closed_network()) {
            let times = [0.0, 0.5, 5.0];
            let ours = handle(&kin, OdeMethod::Rosenbrock, 1e-6).solve(&x0, &times).unwrap();
            let reference = handle(&kin, OdeMethod::Bdf, 1e-10).solve(&x0, &times).unwrap();
            let total: f64 = x0.iter().sum();
            for row in ours.values.chunks(x0.len()) {
                prop_assert!((row.iter().sum::<f64>() - total).abs() < 1e-12 * total.max(1.0), "{:?}", row);
            }
            for (a, b) in ours.values.iter().zip(&reference.values) {
                prop_assert!((a - b).abs() < 1e-4 * total.max(1.0), "{} vs {}", a, b);
            }
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        let kin = isomerisation();
        let mut h = handle(&kin, OdeMethod::Rosenbrock, 1e-6);
        let bad = [
            h.solve_to(&[1.0, 0.0], 1.0, &mut [0.0; 2]).err(),
            h.solve_to(&[1.0, 0.0, 0.0], 1.0, &mut [0.0; 2]).err(),
            h.solve_to(&[1.0, 0.0, 0.0], f64::NAN, &mut [0.0; 3]).err(),
            h.steady_state(&[1.0, 0.0, 0.0], &SteadyOptions { tol: 0.0, t_max: 1.0 }).err(),
            h.steady_state(&[1.0, 0.0, 0.0], &SteadyOptions { tol: 1e-6, t_max: f64::INFINITY }).err(),
            h.steady_state(&[f64::NAN, 0.0, 0.0], &SteadyOptions { tol: 1e-6, t_max: 1.0 }).err(),
        ];
        for e in bad {
            assert!(matches!(e, Some(OdeError::InvalidInput { .. })), "{e:?}");
        }
    }
}
