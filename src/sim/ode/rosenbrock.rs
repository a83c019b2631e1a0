//! Rodas4 (Hairer and Wanner, Solving ODEs II, IV.7): a 6-stage, order-4,
//! L-stable and stiffly accurate Rosenbrock method with an embedded order-3
//! error estimate, on a dense Jacobian over the species that change.
//!
//! Why by hand: a training run solves the same small network tens of
//! thousands of times (domain.md §2.10). There diffsol's BDF spends most of
//! its time in per-solve setup and per-step bookkeeping on sparse matrices,
//! and restarts at order 1 from every new state, not in the chemistry
//! (measured in benches/simulate.rs; ARCHITECTURE.md). A Rosenbrock step is
//! one Jacobian, one dense LU and a right-hand side per stage, with no Newton
//! iteration to converge, and the catalysts that make up most of a Neural
//! CRN's species (inputs and parameters never change in a phase) drop out of
//! the linear algebra altogether.

use std::sync::Arc;

use super::OdeError;
use super::dense_lu::DenseLu;
use super::equations::partial;
use super::stepper::Stepper;
use crate::sim::kinetics::Kinetics;

/// A Rosenbrock method in the form of Hairer and Wanner's codes and KPP: stage
/// i solves (I/(hγ) - J) K_i = f(y + Σ_j a_ij K_j) + Σ_j c_ij K_j / h. The
/// method is stiffly accurate: the last stage's input is the embedded
/// solution, the new state is that input plus the last K, and the last K is
/// the error estimate.
struct Tableau {
    /// The diagonal γ of the stage matrices I/(hγ) - J.
    gamma: f64,
    /// Per stage, the (a_ij, j) of its input; an empty row is y itself, whose
    /// f is already known. The last row is never empty.
    a: &'static [&'static [(f64, usize)]],
    /// Per stage, the (c_ij, j) its right-hand side adds as c_ij K_j / h.
    c: &'static [&'static [(f64, usize)]],
    /// -1 / (the embedded solution's order + 1), for step-size control.
    error_exponent: f64,
}

impl Tableau {
    fn stages(&self) -> usize {
        self.a.len()
    }
}

/// Rodas4's fifth stage input; the sixth adds K5 to it.
const RODAS4_A5: &[(f64, usize)] =
    &[(1.221224509226641, 0), (6.019134481288629, 1), (12.53708332932087, 2), (-0.687886036105895, 3)];

/// Hairer and Wanner's RODAS4 coefficients, in KPP's form. The sixth stage
/// input is the embedded order-3 solution, and the new state that plus K6.
const RODAS4: Tableau = Tableau {
    gamma: 0.25,
    a: &[
        &[],
        &[(1.544, 0)],
        &[(0.9466785280815826, 0), (0.2557011698983284, 1)],
        &[(3.314825187068521, 0), (2.896124015972201, 1), (0.9986419139977817, 2)],
        RODAS4_A5,
        &[RODAS4_A5[0], RODAS4_A5[1], RODAS4_A5[2], RODAS4_A5[3], (1.0, 4)],
    ],
    c: &[
        &[],
        &[(-5.6688, 0)],
        &[(-2.430093356833875, 0), (-0.2063599157091915, 1)],
        &[(-0.1073529058151375, 0), (-9.594562251023355, 1), (-20.47028614809616, 2)],
        &[(7.496443313967647, 0), (-10.24680431464352, 1), (-33.99990352819905, 2), (11.7089089320616, 3)],
        &[
            (8.083246795921522, 0),
            (-7.981132988064893, 1),
            (-31.52159432874371, 2),
            (16.31930543123136, 3),
            (-6.058818238834054, 4),
        ],
    ],
    error_exponent: -0.25,
};

/// Step-size control: h_new = h · clamp(SAFETY · err^exponent, MIN_FACTOR, MAX_FACTOR).
const SAFETY: f64 = 0.9;
const MIN_FACTOR: f64 = 0.2;
const MAX_FACTOR: f64 = 6.0;

#[derive(Clone, Debug)]
pub(super) struct Rosenbrock {
    kin: Arc<Kinetics>,
    /// The species some reaction changes (the others keep their initial
    /// value): first the `coupled` ones that are also reactants, then those
    /// no rate depends on (accumulators such as gradients and outputs).
    active: Vec<usize>,
    coupled: usize,
    /// Every (reaction, reactant slot) whose species changes, with the range
    /// of `scatter` its partial derivative lands in.
    slots: Vec<(usize, usize)>,
    slot_start: Vec<usize>,
    /// (row-major position in the active x coupled Jacobian, net change ν);
    /// the columns of the other species are zero.
    scatter: Vec<(usize, f64)>,
    rtol: f64,
    /// Per active species.
    atol: Vec<f64>,
    /// Per active species, the species whose size also scales its tolerance
    /// (`OdeOptions::paired_scale`; itself when unpaired).
    pair: Vec<usize>,
    /// Whether every rate constant is >= 0 (no rate-law term with a negative
    /// coefficient), so that exact solutions never leave the non-negative orthant.
    positive: bool,

    t: f64,
    t_stop: f64,
    /// The step size to try next.
    h: f64,
    /// Every species.
    y: Vec<f64>,
    /// dy/dt of the active species at `t`.
    f: Vec<f64>,
    jacobian: Vec<f64>,
    /// Whether `jacobian` is J(y) at the current `t`.
    jacobian_current: bool,
    /// Whether the last attempt was rejected (the next step may not grow).
    rejected: bool,
    lu: DenseLu,
    /// One per stage.
    k: Vec<Vec<f64>>,
    /// A stage's state and its dx/dt, every species.
    stage: Vec<f64>,
    rate: Vec<f64>,
    scratch: Vec<f64>,
}

/// dx/dt at `x` into `rate` (every species), and its active entries into `out`.
fn rhs_active(kin: &Kinetics, active: &[usize], x: &[f64], rate: &mut [f64], out: &mut [f64]) {
    kin.rhs(x, rate);
    for (o, &i) in out.iter_mut().zip(active) {
        *o = rate[i];
    }
}

/// The species some reaction changes, those that are also reactants first
/// (ascending within each group), and how many those are: the size of the
/// linear systems.
pub(super) fn changing_species(kin: &Kinetics) -> (Vec<usize>, usize) {
    let mut reactant = vec![false; kin.species];
    for &(s, _) in &kin.reactants {
        reactant[s as usize] = true;
    }
    let mut changes: Vec<usize> = kin.changes.iter().map(|&(s, _)| s as usize).collect();
    changes.sort_unstable_by_key(|&s| (!reactant[s], s));
    changes.dedup();
    let coupled = changes.iter().take_while(|&&s| reactant[s]).count();
    (changes, coupled)
}

impl Rosenbrock {
    /// `atol` and `paired_scale` (when given) have one entry per species.
    pub fn new(kin: Arc<Kinetics>, rtol: f64, atol: &[f64], paired_scale: Option<&[usize]>) -> Rosenbrock {
        let (active, coupled) = changing_species(&kin);
        let mut index = vec![usize::MAX; kin.species];
        for (a, &s) in active.iter().enumerate() {
            index[s] = a;
        }
        let m = active.len();
        let (mut slots, mut slot_start, mut scatter) = (Vec::new(), vec![0], Vec::new());
        for r in 0..kin.reactions() {
            for (p, &(j, _)) in kin.reactants(r).iter().enumerate() {
                let column = index[j as usize];
                if column == usize::MAX {
                    continue;
                }
                scatter.extend(
                    kin.changes(r).iter().map(|&(i, d)| (index[i as usize] * coupled + column, f64::from(d))),
                );
                slots.push((r, p));
                slot_start.push(scatter.len());
            }
        }
        let n = kin.species;
        Rosenbrock {
            atol: active.iter().map(|&i| atol[i]).collect(),
            pair: active.iter().map(|&i| paired_scale.map_or(i, |p| p[i])).collect(),
            positive: kin.k.iter().all(|&k| k >= 0.0),
            kin,
            slots,
            slot_start,
            scatter,
            rtol,
            t: 0.0,
            t_stop: 0.0,
            h: 0.0,
            y: vec![0.0; n],
            f: vec![0.0; m],
            jacobian: vec![0.0; m * coupled],
            jacobian_current: false,
            rejected: false,
            lu: DenseLu::new(coupled),
            k: vec![vec![0.0; m]; RODAS4.stages()],
            stage: vec![0.0; n],
            rate: vec![0.0; n],
            scratch: vec![0.0; coupled],
            active,
            coupled,
        }
    }

    /// See [`super::Integrator::set_rate_constants`].
    pub fn set_rate_constants(&mut self, k: &[f64]) {
        Arc::make_mut(&mut self.kin).k.copy_from_slice(k);
        self.positive = k.iter().all(|&k| k >= 0.0);
    }

    /// Starts an integration from `x0` at t = 0 that stops at `t_stop` > 0.
    pub fn start(&mut self, x0: &[f64], t_stop: f64) {
        self.t = 0.0;
        self.t_stop = t_stop;
        self.y.copy_from_slice(x0);
        rhs_active(&self.kin, &self.active, &self.y, &mut self.rate, &mut self.f);
        self.jacobian_current = false;
        self.rejected = false;
        self.h = self.initial_step();
    }

    /// The weighted RMS norm of an active vector against the state `x`
    /// (and, when given, a second state: the larger scale of the two counts).
    fn norm(&self, v: &[f64], x: &[f64], other: Option<&[f64]>) -> f64 {
        let size_in = |x: &[f64], i: usize, p: usize| x[i].abs().max(x[p].abs());
        let sum: f64 = self
            .active
            .iter()
            .zip(&self.pair)
            .enumerate()
            .map(|(a, (&i, &p))| {
                let size = other.map_or(size_in(x, i, p), |o| size_in(x, i, p).max(size_in(o, i, p)));
                (v[a] / (self.atol[a] + self.rtol * size)).powi(2)
            })
            .sum();
        (sum / self.active.len().max(1) as f64).sqrt()
    }

    /// Hairer, Nørsett and Wanner's starting step (Solving ODEs I, II.4):
    /// small enough that an explicit Euler step would meet the tolerance,
    /// from the sizes of y, y' and an estimate of y''.
    fn initial_step(&mut self) -> f64 {
        let span = self.t_stop;
        let active_y: Vec<f64> = self.active.iter().map(|&i| self.y[i]).collect();
        let d0 = self.norm(&active_y, &self.y, None);
        let d1 = self.norm(&self.f, &self.y, None);
        let h0 = if d0 < 1e-5 || d1 < 1e-5 { 1e-6 * span } else { (0.01 * d0 / d1).min(span) };
        self.stage.copy_from_slice(&self.y);
        for (a, &i) in self.active.iter().enumerate() {
            self.stage[i] += h0 * self.f[a];
        }
        let mut probe = std::mem::take(&mut self.k[0]);
        rhs_active(&self.kin, &self.active, &self.stage, &mut self.rate, &mut probe);
        for (p, f) in probe.iter_mut().zip(&self.f) {
            *p -= f;
        }
        let d2 = self.norm(&probe, &self.y, None) / h0;
        self.k[0] = probe;
        let d = d1.max(d2);
        let h1 =
            if d <= 1e-15 { (h0 * 1e-3).max(1e-6 * span) } else { (0.01 / d).powf(-RODAS4.error_exponent) };
        (100.0 * h0).min(h1).min(span)
    }

    fn fill_jacobian(&mut self) {
        self.jacobian.fill(0.0);
        for (s, &(r, p)) in self.slots.iter().enumerate() {
            let d = partial(&self.kin, r, p, &self.y);
            if d != 0.0 {
                for &(pos, nu) in &self.scatter[self.slot_start[s]..self.slot_start[s + 1]] {
                    self.jacobian[pos] += nu * d;
                }
            }
        }
        self.jacobian_current = true;
    }

    /// Factors the coupled block of I/(hγ) - J; false when it is singular.
    fn factor(&mut self, h: f64) -> bool {
        let c = self.coupled;
        let matrix = self.lu.matrix_mut();
        for (a, j) in matrix.iter_mut().zip(&self.jacobian[..c * c]) {
            *a = -j;
        }
        for i in 0..c {
            matrix[i * c + i] += 1.0 / (h * RODAS4.gamma);
        }
        self.lu.factor()
    }

    /// Y = y + Σ weight · K into `stage`, and its active dx/dt into `out`.
    fn stage_rate(&mut self, terms: &[(f64, usize)], out: usize) {
        self.stage.copy_from_slice(&self.y);
        for &(weight, k) in terms {
            for (a, &i) in self.active.iter().enumerate() {
                self.stage[i] += weight * self.k[k][a];
            }
        }
        let mut target = std::mem::take(&mut self.k[out]);
        rhs_active(&self.kin, &self.active, &self.stage, &mut self.rate, &mut target);
        self.k[out] = target;
    }

    /// Whether the proposed state `stage` takes a species that was >= 0 below
    /// zero by more than its tolerance. A linearly implicit step can jump
    /// across a pole (x' = x² from 1 lands on the branch -1/(t - 1) past
    /// t = 1) with a small error estimate; mass action cannot go negative, so
    /// such a step is refused.
    fn leaves_the_orthant(&self) -> bool {
        self.positive
            && self.active.iter().enumerate().any(|(a, &i)| {
                self.y[i] >= 0.0 && -self.stage[i] > self.atol[a] + self.rtol * self.y[i].abs()
            })
    }

    /// K_out += Σ c · K / h, then K_out = (I/(hγ) - J)⁻¹ K_out. The matrix is
    /// block lower triangular (no rate depends on an uncoupled species), so
    /// only the coupled block is factored; an uncoupled row o then reads
    /// K_o / (hγ) - Σ_j J_oj K_j = rhs_o.
    fn couple_and_solve(&mut self, terms: &[(f64, usize)], out: usize, h: f64) {
        let (done, rest) = self.k.split_at_mut(out);
        let target = &mut rest[0];
        for &(c, k) in terms {
            for (t, v) in target.iter_mut().zip(&done[k]) {
                *t += c / h * v;
            }
        }
        let c = self.coupled;
        let (inner, outer) = target.split_at_mut(c);
        self.lu.solve(inner, &mut self.scratch);
        for (o, rhs) in outer.iter_mut().enumerate() {
            let row = &self.jacobian[(c + o) * c..(c + o + 1) * c];
            *rhs = h * RODAS4.gamma * (*rhs + row.iter().zip(inner.iter()).map(|(j, k)| j * k).sum::<f64>());
        }
    }
}

impl Stepper for Rosenbrock {
    fn t(&self) -> f64 {
        self.t
    }

    fn y(&self) -> &[f64] {
        &self.y
    }

    fn step(&mut self) -> Result<(), OdeError> {
        loop {
            let remaining = self.t_stop - self.t;
            let last = self.h >= remaining;
            let h = if last { remaining } else { self.h };
            if self.t + h <= self.t {
                return Err(OdeError::StepSizeTooSmall { time: self.t });
            }
            if !self.jacobian_current {
                self.fill_jacobian();
            }
            if !self.factor(h) {
                self.h = h * MIN_FACTOR;
                self.rejected = true;
                continue;
            }
            for (i, (a, c)) in RODAS4.a.iter().zip(RODAS4.c).enumerate() {
                if a.is_empty() {
                    self.k[i].copy_from_slice(&self.f);
                } else {
                    self.stage_rate(a, i);
                }
                self.couple_and_solve(c, i, h);
            }
            // `stage` holds the last stage's input; the new state adds its K.
            let s = RODAS4.stages() - 1;
            for (a, &i) in self.active.iter().enumerate() {
                self.stage[i] += self.k[s][a];
            }
            let err = self.norm(&self.k[s], &self.y, Some(&self.stage));
            if self.leaves_the_orthant() {
                self.h = h * MIN_FACTOR;
                self.rejected = true;
                continue;
            }
            if err.is_nan() || err > 1.0 {
                let factor = if err.is_finite() {
                    (SAFETY * err.powf(RODAS4.error_exponent)).max(MIN_FACTOR)
                } else {
                    MIN_FACTOR
                };
                self.h = h * factor;
                self.rejected = true;
                continue;
            }
            self.t = if last { self.t_stop } else { self.t + h };
            std::mem::swap(&mut self.y, &mut self.stage);
            rhs_active(&self.kin, &self.active, &self.y, &mut self.rate, &mut self.f);
            self.jacobian_current = false;
            let grow = if err > 0.0 { SAFETY * err.powf(RODAS4.error_exponent) } else { MAX_FACTOR };
            let limit = if self.rejected { 1.0 } else { MAX_FACTOR };
            let next = h * grow.clamp(MIN_FACTOR, limit);
            // A step cut short to end at an output time says little about
            // the size the next one may take; the size it was cut from stands.
            self.h = if last && !self.rejected { next.max(self.h) } else { next };
            self.rejected = false;
            return Ok(());
        }
    }

    /// Steps end at output times, so no interpolant is needed: Rodas4's
    /// solution is accurate at the ends of its steps, and on problems it
    /// solves almost exactly (x' = -k x² takes steps of 0.9 at rtol 1e-6) a
    /// cubic through the ends was 16% off in between.
    fn end_steps_at(&mut self, t: f64) {
        self.t_stop = t;
    }

    fn interpolate(&mut self, t: f64, out: &mut [f64]) -> Result<(), OdeError> {
        if t != self.t {
            return Err(OdeError::Solver {
                time: self.t,
                message: format!("no state at t = {t} between steps"),
            });
        }
        out.copy_from_slice(&self.y);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kinetics::test_kinetics as kinetics;
    use crate::sim::ode::{OdeMethod, OdeOptions, solve};

    /// 2A -> B @ 1 (A' = -2A², B' = A²) beside a catalyst C: A + C -> C + D @ 3.
    fn dimerisation() -> Kinetics {
        kinetics(4, &[(&[(0, 2)], &[(0, -2), (1, 1)], 1.0), (&[(0, 1), (2, 1)], &[(0, -1), (3, 1)], 3.0)])
    }

    /// A at t = 1 from A = 1, C = 0.5 after `n` steps of equal size (the
    /// tolerances so loose that none is rejected): A' = -2A² - 1.5A has
    /// A(t) = 1.5 / ((1.5 + 2) e^{1.5t} - 2).
    fn fixed_step_error(n: usize) -> f64 {
        let mut method = Rosenbrock::new(Arc::new(dimerisation()), 1e6, &[1e6; 4], None);
        method.start(&[1.0, 0.0, 0.5, 0.0], 1.0);
        for _ in 0..n {
            method.h = 1.0 / n as f64;
            method.step().unwrap();
        }
        assert!((method.t - 1.0).abs() < 1e-12 && method.y[2] == 0.5);
        // D is an accumulator (solved outside the factored block): A + 2B + D stays 1.
        let y = &method.y;
        assert!((y[0] + 2.0 * y[1] + y[3] - 1.0).abs() < 1e-14, "{y:?}");
        let exact = 1.5 / (3.5 * 1.5f64.exp() - 2.0);
        (method.y[0] - exact).abs()
    }

    #[test]
    fn converges_with_order_four() {
        let errors: Vec<f64> = [20, 40, 80, 160].map(fixed_step_error).to_vec();
        for pair in errors.windows(2) {
            let order = (pair[0] / pair[1]).log2();
            assert!((3.7..4.4).contains(&order), "observed order {order} from {errors:?}");
        }
    }

    #[test]
    fn the_tableau_has_the_shape_the_step_assumes() {
        let s = RODAS4.stages();
        assert_eq!(RODAS4.c.len(), s);
        assert!(!RODAS4.a[s - 1].is_empty(), "the last stage input is the embedded solution");
        for (i, (a, c)) in RODAS4.a.iter().zip(RODAS4.c).enumerate() {
            assert!(a.iter().chain(c.iter()).all(|&(_, j)| j < i), "stage {i} reads a later K");
        }
    }

    /// A value's rails: 0 -> Z⁺ @ 5, Z⁺ + Z⁻ -> 0 @ 100, from z⁻ = 1: the
    /// minority rail Z⁻ is annihilated through many e-folds while the value
    /// z⁺ - z⁻ moves on the slow scale.
    #[test]
    fn pairing_the_rails_resolves_the_value_not_each_vanishing_rail() {
        let rails = kinetics(2, &[(&[], &[(0, 1)], 5.0), (&[(0, 1), (1, 1)], &[(0, -1), (1, -1)], 100.0)]);
        let times = [0.0, 0.5, 2.0];
        let opts = |rtol, paired_scale| OdeOptions {
            method: OdeMethod::Rosenbrock,
            rtol,
            atol: 1e-12,
            paired_scale,
            ..OdeOptions::default()
        };
        let exact = solve(&rails, &[0.0, 1.0], &times, &opts(1e-12, None)).unwrap();
        let single = solve(&rails, &[0.0, 1.0], &times, &opts(1e-6, None)).unwrap();
        let paired = solve(&rails, &[0.0, 1.0], &times, &opts(1e-6, Some(vec![1, 0]))).unwrap();
        assert!(
            paired.steps * 2 < single.steps,
            "{} paired against {} single steps",
            paired.steps,
            single.steps
        );
        let value = |row: &[f64]| row[0] - row[1];
        for (ours, truth) in paired.values.chunks(2).zip(exact.values.chunks(2)) {
            let scale = truth[0].max(truth[1]);
            assert!((value(ours) - value(truth)).abs() < 1e-5 * scale, "{ours:?} against {truth:?}");
        }
    }

    #[test]
    fn is_l_stable_on_a_very_stiff_decay() {
        // y' = -1e9 y: one step of h = 1 damps by R(-1e9) = O(1e-9), as L-stability requires.
        let kin = kinetics(1, &[(&[(0, 1)], &[(0, -1)], 1e9)]);
        let mut method = Rosenbrock::new(Arc::new(kin), 1e6, &[1e6], None);
        method.start(&[1.0], 1.0);
        method.h = 1.0;
        method.step().unwrap();
        assert!(method.y[0].abs() < 1e-7, "{}", method.y[0]);
    }

    /// Robertson's problem (0.04, 3e7, 1e4), the classic stiff test, against
    /// diffsol's BDF at a tight tolerance.
    #[test]
    fn agrees_with_bdf_on_robertson() {
        let kin = kinetics(
            3,
            &[
                (&[(0, 1)], &[(0, -1), (1, 1)], 0.04),
                (&[(1, 2)], &[(1, -1), (2, 1)], 3e7),
                (&[(1, 1), (2, 1)], &[(0, 1), (1, -1)], 1e4),
            ],
        );
        let times = [0.0, 0.4, 4.0, 40.0, 400.0, 4e4];
        let opts = |method, rtol| OdeOptions { method, rtol, atol: 1e-12, ..OdeOptions::default() };
        let reference = solve(&kin, &[1.0, 0.0, 0.0], &times, &opts(OdeMethod::Bdf, 1e-10)).unwrap();
        let ours = solve(&kin, &[1.0, 0.0, 0.0], &times, &opts(OdeMethod::Rosenbrock, 1e-7)).unwrap();
        for (i, (a, b)) in ours.values.iter().zip(&reference.values).enumerate() {
            assert!((a - b).abs() <= 1e-5 * b.abs() + 1e-11, "value {i}: {a} vs {b}");
        }
        // Stiffness does not force explicit-sized steps (h < 1e-7 for 3e7 · y2).
        assert!(ours.steps < 2_000, "{} steps", ours.steps);
        let mass: Vec<f64> = ours.values.chunks(3).map(|r| r.iter().sum()).collect();
        assert!(mass.iter().all(|m| (m - 1.0).abs() < 1e-12), "{mass:?}");
    }

    #[test]
    fn outputs_between_long_steps_are_exact_states() {
        // 2A -> A + B @ 5.5: A = A0 / (1 + k A0 t). Rodas4 solves it almost
        // exactly with long steps; every output is the end of a step.
        let kin = kinetics(2, &[(&[(0, 2)], &[(0, -1), (1, 1)], 5.5)]);
        let times: Vec<f64> = (0..=40).map(|i| i as f64 * 0.125).collect();
        let opts =
            OdeOptions { method: OdeMethod::Rosenbrock, rtol: 1e-6, atol: 1e-10, ..OdeOptions::default() };
        let sol = solve(&kin, &[0.96, 0.0], &times, &opts).unwrap();
        for (row, t) in sol.values.chunks(2).zip(&times) {
            let exact = 0.96 / (1.0 + 5.5 * 0.96 * t);
            assert!((row[0] - exact).abs() < 1e-5 * exact, "t = {t}: {} vs {exact}", row[0]);
            assert!((row[0] + row[1] - 0.96).abs() < 1e-14, "t = {t}: {row:?}");
        }
    }
}
