//! Runs a [`Protocol`] on a CRN the host-orchestrated way (domain.md §2.6):
//! each phase integrates only its groups' reactions from the current state,
//! and the host applies the perturbations between phases.
//!
//! The state is one vector of concentrations over all species, carried from
//! phase to phase and from sample to sample, so parameters persist while the
//! protocol's resets clear the transients.

use std::fmt;

use std::sync::Arc;

use super::groups::Folded;
use super::kinetics::Kinetics;

use super::ode::{Integrator, OdeError, OdeOptions};
use crate::backend::number;
use crate::crn::protocol::{self, Duration, Perturbation, Protocol, Slot, Source};
use crate::crn::{Crn, RailPair, SpeciesId, Violation};

/// What a `Load` reads: one row of a data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample<'a> {
    pub inputs: &'a [f64],
    pub targets: &'a [f64],
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProtocolError {
    /// The protocol does not fit the CRN: a bug in whoever built it.
    Invalid(Vec<Violation>),
    /// The state does not have one value per species.
    State { expected: usize, found: usize },
    /// A phase's integration failed.
    Ode { phase: String, error: OdeError },
    /// A steady-state phase still changed faster than its tolerance at its cap.
    NoSteadyState { phase: String, max_time: f64, tolerance: f64, species: String, rate: f64 },
    /// A load needs a sample, or a column the sample does not have.
    MissingValue { phase: String, source: String },
    /// A negative value loaded into a single-rail species.
    NegativeLoad { phase: String, species: String, value: f64 },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Invalid(v) => f.write_str(&protocol::does_not_fit(v)),
            ProtocolError::State { expected, found } => {
                write!(f, "the state has {found} values for {expected} species")
            }
            ProtocolError::Ode { phase, error } => write!(f, "phase `{phase}`: {error}"),
            ProtocolError::NoSteadyState { phase, max_time, tolerance, species, rate } => write!(
                f,
                "phase `{phase}` did not reach steady state by t = {}: d{species}/dt = {} is above the \
                 tolerance {}; raise the phase's time cap or tolerance, or check that the sub-network settles",
                number(*max_time),
                number(*rate),
                number(*tolerance)
            ),
            ProtocolError::MissingValue { phase, source } => {
                write!(f, "phase `{phase}`: the sample has no {source} to load")
            }
            ProtocolError::NegativeLoad { phase, species, value } => write!(
                f,
                "phase `{phase}`: loads {} into `{species}`, a single-rail species, which cannot be negative",
                number(*value)
            ),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Output times of a steady-state phase: its cap times 10^(-6 + i/16), so a
/// phase ends within 16% of the time it settles and a settled network is
/// never integrated in many restarts.
const STEADY_GRID: std::ops::RangeInclusive<i32> = -96..=0;

/// A protocol checked against its CRN, with each phase's kinetics and
/// solver built once: a training run integrates the same phases thousands of
/// times from new states. Cloning is cheap (the kinetics are shared), so
/// parallel work takes one clone per thread; every integration is
/// deterministic, so results do not depend on which clone ran them.
#[derive(Clone)]
pub struct Executor<'a> {
    crn: &'a Crn,
    protocol: &'a Protocol,
    phases: Vec<PhaseSolver>,
    rails: Vec<RailPair>,
    initial: Vec<f64>,
}

/// For each of a phase's species (`species[k]` is its CRN index), the
/// position of the other rail of its signed value among them (`rails`, the
/// CRN's pairs), or its own: the solver scales a rail's error by its value's
/// size ([`OdeOptions::paired_scale`]).
fn rail_partners(rails: &[RailPair], species: &[u32]) -> Vec<usize> {
    let mut index = vec![None; species.iter().max().map_or(0, |&s| s as usize + 1)];
    for (k, &s) in species.iter().enumerate() {
        index[s as usize] = Some(k);
    }
    let position = |s: SpeciesId| index.get(s.index()).copied().flatten();
    let mut partners: Vec<usize> = (0..species.len()).collect();
    for pair in rails {
        if let (Some(plus), Some(minus)) = (position(pair.plus), position(pair.minus)) {
            partners[plus] = minus;
            partners[minus] = plus;
        }
    }
    partners
}

/// One phase's ODE over only the species its reactions change, the species
/// they only read folded into the rate constants at each start.
#[derive(Clone)]
struct PhaseSolver {
    folding: Arc<Folded>,
    /// The folded kinetics with the current rate constants (for the
    /// steady-state test).
    kinetics: Kinetics,
    solver: Integrator,
    /// The phase's state before and after an integration, and its rates.
    start: Vec<f64>,
    end: Vec<f64>,
    dxdt: Vec<f64>,
}

impl PhaseSolver {
    fn new(
        crn: &Crn,
        rails: &[RailPair],
        phase: &protocol::Phase,
        options: &OdeOptions,
    ) -> Result<PhaseSolver, ProtocolError> {
        let folding = Kinetics::of_groups(crn, &phase.groups).folded();
        let options =
            OdeOptions { paired_scale: Some(rail_partners(rails, &folding.changing)), ..options.clone() };
        let solver = Integrator::new(&folding.kinetics, &options)
            .map_err(|error| ProtocolError::Ode { phase: phase.name.clone(), error })?;
        let n = folding.changing.len();
        Ok(PhaseSolver {
            kinetics: folding.kinetics.clone(),
            folding: Arc::new(folding),
            solver,
            start: vec![0.0; n],
            end: vec![0.0; n],
            dxdt: vec![0.0; n],
        })
    }

    /// The CRN index of each of the phase's species.
    fn species(&self) -> &[u32] {
        &self.folding.changing
    }

    /// Takes the phase's start from the CRN state `x`, and its rate constants
    /// from the species it only reads.
    fn gather(&mut self, x: &[f64]) -> Result<(), OdeError> {
        for (v, &s) in self.start.iter_mut().zip(&self.folding.changing) {
            *v = x[s as usize];
        }
        if self.folding.folds_any() {
            self.folding.rates(x, &mut self.kinetics.k);
            self.solver.set_rate_constants(&self.kinetics.k)?;
        }
        Ok(())
    }

    fn scatter(&self, from: &[f64], x: &mut [f64]) {
        for (&v, &s) in from.iter().zip(self.species()) {
            x[s as usize] = v;
        }
    }
}

impl<'a> Executor<'a> {
    pub fn new(
        crn: &'a Crn,
        protocol: &'a Protocol,
        options: OdeOptions,
    ) -> Result<Executor<'a>, ProtocolError> {
        let violations = protocol::validate(protocol, crn);
        if !violations.is_empty() {
            return Err(ProtocolError::Invalid(violations));
        }
        let rails = crn.rail_pairs();
        let phases = protocol
            .phases
            .iter()
            .map(|p| PhaseSolver::new(crn, &rails, p, &options))
            .collect::<Result<_, _>>()?;
        Ok(Executor { crn, protocol, phases, rails, initial: crn.initial_concentrations() })
    }

    pub fn protocol(&self) -> &'a Protocol {
        self.protocol
    }

    /// Runs every phase once from the state `x` (concentrations), then the
    /// steps after the last phase, leaving the final state in `x`;
    /// `observe(phase index, time the phase ran, state)` sees the state at
    /// the end of each phase.
    pub fn run(
        &mut self,
        x: &mut [f64],
        sample: Option<&Sample<'_>>,
        observe: impl FnMut(usize, f64, &[f64]),
    ) -> Result<(), ProtocolError> {
        self.run_phases(self.protocol.phases.len(), x, sample, observe)?;
        let last = self.protocol.phases.last().map_or("", |p| p.name.as_str());
        for p in &self.protocol.after {
            self.apply(p, x, sample, last)?;
        }
        Ok(())
    }

    /// Runs the phases that make the prediction (the protocol's `predict`
    /// leading phases) from `x`, leaving their end state in `x`.
    pub fn predict(&mut self, x: &mut [f64], sample: &Sample<'_>) -> Result<(), ProtocolError> {
        self.run_phases(self.protocol.predict, x, Some(sample), |_, _, _| {})
    }

    /// Runs the first `count` phases, each after its perturbations.
    fn run_phases(
        &mut self,
        count: usize,
        x: &mut [f64],
        sample: Option<&Sample<'_>>,
        mut observe: impl FnMut(usize, f64, &[f64]),
    ) -> Result<(), ProtocolError> {
        if x.len() != self.crn.species.len() {
            return Err(ProtocolError::State { expected: self.crn.species.len(), found: x.len() });
        }
        let protocol = self.protocol;
        for (i, phase) in protocol.phases.iter().enumerate().take(count) {
            for p in &phase.before {
                self.apply(p, x, sample, &phase.name)?;
            }
            let time = self.integrate(i, x)?;
            for p in &phase.after {
                self.apply(p, x, sample, &phase.name)?;
            }
            observe(i, time, x);
        }
        Ok(())
    }

    /// Runs phase `i` from `x`, leaving its end state there; returns how long it ran.
    fn integrate(&mut self, i: usize, x: &mut [f64]) -> Result<f64, ProtocolError> {
        let phase = &self.protocol.phases[i];
        let failed = |error| ProtocolError::Ode { phase: phase.name.clone(), error };
        let solver = &mut self.phases[i];
        solver.gather(x).map_err(failed)?;
        match phase.duration {
            Duration::Time(t) => {
                let PhaseSolver { solver, start, end, .. } = solver;
                solver.solve_to(start, t, end).map_err(failed)?;
                self.phases[i].scatter(&self.phases[i].end, x);
                Ok(t)
            }
            Duration::SteadyState { tolerance, max_time } => {
                let PhaseSolver { folding, kinetics, solver, start, dxdt, .. } = solver;
                // The species that changes fastest, and how fast; a NaN rate is never settled.
                let mut fastest = |state: &[f64]| {
                    kinetics.rhs(state, dxdt);
                    dxdt.iter().enumerate().fold((0, 0.0f64), |(at, m), (s, v)| {
                        if v.abs() > m || v.is_nan() { (s, v.abs()) } else { (at, m) }
                    })
                };
                if fastest(start).1 <= tolerance {
                    return Ok(0.0);
                }
                let times: Vec<f64> =
                    STEADY_GRID.map(|e| max_time * 10f64.powf(f64::from(e) / 16.0)).collect();
                let path = solver.solve(start, &times).map_err(failed)?;
                let n = start.len();
                let mut worst = (0, 0.0);
                for (row, &t) in path.values.chunks(n).zip(&times) {
                    worst = fastest(row);
                    if worst.1 <= tolerance {
                        self.phases[i].scatter(row, x);
                        return Ok(t);
                    }
                }
                kinetics.rhs(&path.values[path.values.len() - n..], dxdt);
                Err(ProtocolError::NoSteadyState {
                    phase: phase.name.clone(),
                    max_time,
                    tolerance,
                    species: self.crn.species[folding.changing[worst.0] as usize].name.clone(),
                    rate: dxdt[worst.0],
                })
            }
        }
    }

    fn apply(
        &self,
        p: &Perturbation,
        x: &mut [f64],
        sample: Option<&Sample<'_>>,
        phase: &str,
    ) -> Result<(), ProtocolError> {
        match p {
            Perturbation::Load(loads) => {
                for load in loads {
                    let v = self.value(load.from, sample, phase)?;
                    match load.into {
                        Slot::Species(s) if v < 0.0 => {
                            return Err(ProtocolError::NegativeLoad {
                                phase: phase.to_string(),
                                species: self.crn.species(s).name.clone(),
                                value: v,
                            });
                        }
                        Slot::Species(s) => x[s.index()] = v,
                        Slot::Rails(pair) => pair.set(x, v),
                    }
                }
            }
            Perturbation::CopyValues(copies) => {
                let values: Vec<f64> = copies.iter().map(|&(from, _)| x[from.index()]).collect();
                for (&(_, to), v) in copies.iter().zip(values) {
                    x[to.index()] = v;
                }
            }
            Perturbation::Assign { into, terms } => {
                let v = terms.iter().map(|&(pair, c)| c * pair.value(x)).sum();
                into.set(x, v);
            }
            Perturbation::CancelRails => {
                for &pair in &self.rails {
                    pair.set(x, pair.value(x));
                }
            }
            Perturbation::ResetTransients => {
                for ((v, s), initial) in x.iter_mut().zip(&self.crn.species).zip(&self.initial) {
                    if !s.role.is_learned() {
                        *v = *initial;
                    }
                }
            }
            Perturbation::Set(values) => {
                for &(s, v) in values {
                    x[s.index()] = super::schedule::concentration(self.crn, s.index(), v);
                }
            }
            Perturbation::UpdateParameters { rate, pairs } => {
                for u in pairs {
                    let (gp, gm) = (x[u.gradient.plus.index()], x[u.gradient.minus.index()]);
                    x[u.parameter.plus.index()] += rate * gm;
                    x[u.parameter.minus.index()] += rate * gp;
                }
            }
        }
        Ok(())
    }

    fn value(&self, source: Source, sample: Option<&Sample<'_>>, phase: &str) -> Result<f64, ProtocolError> {
        let missing = |what: String| ProtocolError::MissingValue { phase: phase.to_string(), source: what };
        match source {
            Source::Constant(v) => Ok(v),
            Source::Input(i) => {
                sample.and_then(|s| s.inputs.get(i)).copied().ok_or_else(|| missing(format!("input {i}")))
            }
            Source::Target(i) => {
                sample.and_then(|s| s.targets.get(i)).copied().ok_or_else(|| missing(format!("target {i}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture::{self, Complex};
    use crate::crn::protocol::{Load, Phase, Update};
    use crate::crn::{GroupId, Role, SpeciesId};
    use crate::ir::RateLaw;

    const A: SpeciesId = SpeciesId(0);
    const B: SpeciesId = SpeciesId(1);
    const C: SpeciesId = SpeciesId(2);

    fn phase(name: &str, group: u32, duration: Duration, before: Vec<Perturbation>) -> Phase {
        Phase { name: name.into(), groups: vec![GroupId(group)], duration, before, after: vec![] }
    }

    fn options() -> OdeOptions {
        OdeOptions { rtol: 1e-10, atol: 1e-14, ..OdeOptions::default() }
    }

    /// Runs `protocol` from the CRN's initial state; the state after each phase and the time it ran.
    fn run(
        crn: &Crn,
        protocol: &Protocol,
        sample: Option<&Sample<'_>>,
    ) -> Result<Vec<(f64, Vec<f64>)>, ProtocolError> {
        let mut executor = Executor::new(crn, protocol, options())?;
        let mut x = crn.initial_concentrations();
        let mut ends = Vec::new();
        executor.run(&mut x, sample, |_, t, state| ends.push((t, state.to_vec())))?;
        ends.push((0.0, x));
        Ok(ends)
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1e-300)
    }

    #[test]
    fn two_phases_run_only_their_groups_and_copy_between_them() {
        // Phase 1: A -> B @ 2 for t = 1. Then B is copied into C, and phase 2
        // runs C -> 0 @ 0.5 until |dC/dt| = 0.5·c <= 1e-6.
        let reactions: Vec<(Complex, Complex, f64, _)> =
            vec![(vec![(A, 1)], vec![(B, 1)], 2.0, None), (vec![(C, 1)], vec![], 0.5, None)];
        let crn = fixture::crn(RateLaw::MassAction, &[("A", 1.0), ("B", 0.0), ("C", 0.0)], reactions);
        let crn = fixture::grouped(crn, &["convert", "decay"], &[0, 1]);
        let steady = Duration::SteadyState { tolerance: 1e-6, max_time: 1000.0 };
        let protocol = Protocol {
            phases: vec![
                phase("convert", 0, Duration::Time(1.0), vec![]),
                phase("decay", 1, steady, vec![Perturbation::CopyValues(vec![(B, C)])]),
            ],
            after: vec![],
            predict: 1,
        };
        let ends = run(&crn, &protocol, None).unwrap();
        let a = (-2.0f64).exp();
        let (t1, first) = &ends[0];
        assert_eq!(*t1, 1.0);
        assert!(close(first[0], a, 1e-7) && close(first[1], 1.0 - a, 1e-7) && first[2] == 0.0, "{first:?}");
        let (t2, second) = &ends[1];
        // A and B do not move while only the decay group runs.
        assert_eq!((second[0], second[1]), (first[0], first[1]));
        // c(t) = (1 - e^-2)·e^(-t/2) reaches 2e-6 at t*; the phase ends on the first grid time past it.
        let settle = 2.0 * ((1.0 - a) / 2e-6).ln();
        assert!(*t2 >= settle * 0.999 && *t2 <= settle * 1.16, "t = {t2}, t* = {settle}");
        assert!(close(second[2], (1.0 - a) * (-t2 / 2.0).exp(), 1e-5), "{second:?}");
        assert!(second[2] <= 2e-6 * 1.0001);
    }

    #[test]
    fn a_settled_phase_ends_at_once() {
        let crn = fixture::crn(RateLaw::MassAction, &[("A", 0.0)], vec![(vec![(A, 1)], vec![], 1.0, None)]);
        let steady = Duration::SteadyState { tolerance: 1e-9, max_time: 10.0 };
        let protocol = Protocol { phases: vec![phase("main", 0, steady, vec![])], after: vec![], predict: 1 };
        assert_eq!(run(&crn, &protocol, None).unwrap()[0], (0.0, vec![0.0]));
    }

    /// P (parameter) in s0, s1 and G (gradient) in s2, s3, with no reactions.
    fn parameter_and_gradient(p: (f64, f64), g: (f64, f64)) -> Crn {
        let species = [("P_p", p.0), ("P_m", p.1), ("G_p", g.0), ("G_m", g.1)];
        let mut crn = fixture::crn(RateLaw::MassAction, &species, vec![]);
        fixture::rails(&mut crn, 0, "P", Role::Parameter);
        fixture::rails(&mut crn, 2, "G", Role::Gradient);
        crn
    }

    #[test]
    fn each_rail_is_paired_with_the_other_rail_of_its_value_among_the_phase_species() {
        // P's rails and G's: the phase keeps G_p, P_m, P_p (in that order) but not G_m.
        let crn = parameter_and_gradient((1.0, 0.5), (0.2, 0.7));
        assert_eq!(rail_partners(&crn.rail_pairs(), &[2, 1, 0]), [0, 2, 1]);
        assert_eq!(rail_partners(&crn.rail_pairs(), &[0, 1, 2, 3]), [1, 0, 3, 2]);
    }

    fn host_step(after: Vec<Perturbation>) -> Protocol {
        Protocol { phases: vec![phase("main", 0, Duration::Time(1.0), vec![])], after, predict: 1 }
    }

    #[test]
    fn the_host_update_moves_each_gradient_rail_onto_the_opposite_parameter_rail() {
        // θ = 1 - 0.5 = 0.5, g = 0.2 - 0.7 = -0.5, η = 0.1: θ' = 0.55.
        let crn = parameter_and_gradient((1.0, 0.5), (0.2, 0.7));
        let update = Update {
            parameter: RailPair { plus: A, minus: B },
            gradient: RailPair { plus: C, minus: SpeciesId(3) },
        };
        let protocol = host_step(vec![Perturbation::UpdateParameters { rate: 0.1, pairs: vec![update] }]);
        let end = &run(&crn, &protocol, None).unwrap()[1].1;
        assert!(close(end[0], 1.07, 1e-15) && close(end[1], 0.52, 1e-15), "{end:?}");
        assert_eq!((end[2], end[3]), (0.2, 0.7));
    }

    #[test]
    fn cancelling_leaves_each_rail_pair_on_one_rail() {
        let crn = parameter_and_gradient((3.0, 5.0), (0.75, 0.25));
        let end = &run(&crn, &host_step(vec![Perturbation::CancelRails]), None).unwrap()[1].1;
        assert_eq!(end, &[0.0, 2.0, 0.5, 0.0]);
    }

    #[test]
    fn loading_puts_signed_values_on_rails_and_reset_keeps_only_parameters() {
        // s0, s1: rails of input x; s2: target Y; s3: a constant; s4, s5: parameter P.
        let species = [("x_p", 0.0), ("x_m", 0.0), ("Y", 0.0), ("H", 0.0), ("P_p", 2.0), ("P_m", 0.0)];
        let mut crn = fixture::crn(RateLaw::MassAction, &species, vec![]);
        fixture::rails(&mut crn, 0, "x", Role::Input);
        fixture::rails(&mut crn, 4, "P", Role::Parameter);
        crn.species[2].role = Role::Target;
        let x = RailPair { plus: A, minus: B };
        let loads = vec![
            Load { into: Slot::Rails(x), from: Source::Input(0) },
            Load { into: Slot::Species(C), from: Source::Target(0) },
            Load { into: Slot::Species(SpeciesId(3)), from: Source::Constant(1.5) },
        ];
        let protocol = Protocol {
            phases: vec![
                phase("present", 0, Duration::Time(1.0), vec![Perturbation::Load(loads)]),
                phase("clear", 0, Duration::Time(1.0), vec![Perturbation::ResetTransients]),
            ],
            after: vec![],
            predict: 1,
        };
        let sample = Sample { inputs: &[-0.25], targets: &[3.0] };
        let mut start = crn.initial_concentrations();
        start[4] = 7.0;
        let mut executor = Executor::new(&crn, &protocol, options()).unwrap();
        let mut ends = Vec::new();
        executor.run(&mut start, Some(&sample), |_, _, x| ends.push(x.to_vec())).unwrap();
        assert_eq!(ends[0], [0.0, 0.25, 3.0, 1.5, 7.0, 0.0]);
        assert_eq!(ends[1], [0.0, 0.0, 0.0, 0.0, 7.0, 0.0]);
        let positive = Sample { inputs: &[0.5], targets: &[3.0] };
        let mut loaded = Vec::new();
        executor
            .run(&mut start, Some(&positive), |i, _, x| loaded.extend((i == 0).then(|| x[..2].to_vec())))
            .unwrap();
        assert_eq!(loaded, [vec![0.5, 0.0]]);
        // A load with no sample, a column the sample lacks, a negative value into one species.
        let err = executor.run(&mut start, None, |_, _, _| {}).unwrap_err();
        assert_eq!(err.to_string(), "phase `present`: the sample has no input 0 to load");
        let short = Sample { inputs: &[0.5], targets: &[] };
        assert!(matches!(
            executor.run(&mut start, Some(&short), |_, _, _| {}),
            Err(ProtocolError::MissingValue { .. })
        ));
        let negative = Sample { inputs: &[0.5], targets: &[-1.0] };
        let err = executor.run(&mut start, Some(&negative), |_, _, _| {}).unwrap_err();
        assert!(matches!(&err, ProtocolError::NegativeLoad { species, .. } if species == "Y"), "{err}");
    }

    #[test]
    fn a_phase_that_never_settles_is_an_error_at_its_cap() {
        // A -> 2A grows as e^t: at t = 10, dA/dt = e^10.
        let crn =
            fixture::crn(RateLaw::MassAction, &[("A", 1.0)], vec![(vec![(A, 1)], vec![(A, 2)], 1.0, None)]);
        let steady = Duration::SteadyState { tolerance: 1e-6, max_time: 10.0 };
        let protocol = Protocol { phases: vec![phase("grow", 0, steady, vec![])], after: vec![], predict: 1 };
        let err = run(&crn, &protocol, None).unwrap_err();
        match &err {
            ProtocolError::NoSteadyState { species, rate, .. } => {
                assert_eq!(species, "A");
                assert!(close(*rate, 10f64.exp(), 1e-6), "{rate}");
            }
            _ => panic!("{err}"),
        }
        assert!(
            err.to_string().starts_with("phase `grow` did not reach steady state by t = 10: dA/dt = 22026.4"),
            "{err}"
        );
    }

    #[test]
    fn an_invalid_protocol_or_state_is_refused_before_anything_runs() {
        let crn = fixture::crn(RateLaw::MassAction, &[("A", 1.0)], vec![]);
        let wrong_group = Protocol {
            phases: vec![phase("main", 3, Duration::Time(1.0), vec![])],
            after: vec![],
            predict: 1,
        };
        assert!(matches!(Executor::new(&crn, &wrong_group, options()), Err(ProtocolError::Invalid(_))));
        let protocol = Protocol::plain(&crn, 1.0);
        let mut executor = Executor::new(&crn, &protocol, options()).unwrap();
        let err = executor.run(&mut [1.0, 2.0], None, |_, _, _| {}).unwrap_err();
        assert_eq!(err, ProtocolError::State { expected: 1, found: 2 });
    }

    #[test]
    fn a_failed_integration_names_its_phase() {
        // 2A -> 3A: a' = a² blows up at t = 1.
        let crn =
            fixture::crn(RateLaw::MassAction, &[("A", 1.0)], vec![(vec![(A, 2)], vec![(A, 3)], 1.0, None)]);
        let err = run(&crn, &Protocol::plain(&crn, 2.0), None).unwrap_err();
        assert!(matches!(&err, ProtocolError::Ode { phase, .. } if phase == "main"), "{err}");
    }
}
