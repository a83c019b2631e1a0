//! The potentials' motion while the vesicles stand still, and the hazard
//! Λ(τ) = ∫₀^τ a₀ dt of the jumps along it (the `Exact` coupling's waiting
//! time solves Λ(τ) = E).
//!
//! Log-linear case (every flow reads one potential p with α = 1 and moves
//! only p): ln[p] grows at the constant rate g_p, each jump's propensity is
//! A_j·e^(β_j t) with β_j = Σ α·g, and Λ(τ) = Σ A_j (e^(β_j τ) − 1)/β_j. When
//! max|β|·τ ≤ 0.01 (the usual case: learning is slow beside the events) Λ
//! is its Taylor series in the moments M_k = Σ A_j β_j^k up to τ⁵, whose
//! relative truncation error is below (0.01)⁵/5! ≈ 1e-12, so an event costs
//! one pass over the jumps and a Newton solve on a polynomial. General case:
//! ([p], Λ, ∫[p]) integrated together by Dormand-Prince (relative tolerance
//! [`super::rk::RTOL`]).

use super::model::Model;
use super::rk::DormandPrince;

/// Taylor terms of the hazard in the log-linear case.
const SERIES_TERMS: usize = 5;
/// The largest β·τ at which the series is used.
const SERIES_REACH: f64 = 0.01;
/// Newton stops when Λ(τ) is this close to E, relatively.
pub(super) const HAZARD_TOLERANCE: f64 = 1e-12;

/// expm1(x)/x, 1 at 0: ∫₀^τ e^(gs) ds = τ·phi(gτ).
#[inline]
fn phi(x: f64) -> f64 {
    if x.abs() < 1e-8 { 1.0 + 0.5 * x } else { x.exp_m1() / x }
}

/// The integration failed: the potentials left the floats; the potential
/// (by index) that went furthest.
pub(super) struct Blowup(pub usize);

pub(super) struct Flow {
    /// Per reaction: a flow's constant times its mean discrete factor over
    /// the vesicles (its flux per vesicle without the potential factor); a
    /// potential-reading jump's constant times its factor summed over the
    /// vesicles (its total propensity without the potential factor).
    pub weights: Vec<f64>,
    /// The total propensity of the jumps that read no potential.
    plain: f64,
    /// d ln[p]/dt per potential (log-linear case).
    growth: Vec<f64>,
    /// Per jump that can fire: (propensity at the start, β).
    terms: Vec<(f64, f64)>,
    moments: [f64; SERIES_TERMS],
    fastest: f64,
    /// General case: the start state and the last integration, ([p], Λ, ∫[p]) over `span`.
    start: Vec<f64>,
    end: Vec<f64>,
    span: Option<f64>,
    rk: DormandPrince,
}

impl Flow {
    pub fn new(model: &Model) -> Flow {
        Flow {
            weights: vec![0.0; model.reactions()],
            plain: 0.0,
            growth: vec![0.0; model.potentials.len()],
            terms: Vec::with_capacity(model.jumps.len()),
            moments: [0.0; SERIES_TERMS],
            fastest: 0.0,
            start: Vec::new(),
            end: Vec::new(),
            span: None,
            rk: DormandPrince::default(),
        }
    }

    /// Sets the flow for the vesicles' factor sums `sums` over `vesicles`
    /// vesicles, from the potentials `p` (each reaction's potential factor
    /// there in `factors`); `plain` is the total propensity of the jumps that
    /// read no potential, which stays put while the potentials move.
    pub fn prepare(
        &mut self,
        model: &Model,
        p: &[f64],
        factors: &[f64],
        sums: &[f64],
        vesicles: f64,
        plain: f64,
    ) {
        for &r in &model.flows {
            self.weights[r] = model.constant[r] * sums[r] / vesicles;
        }
        for &r in &model.potential_readers {
            self.weights[r] = model.constant[r] * sums[r];
        }
        self.plain = plain;
        if model.log_linear {
            model.growth(&self.weights, &mut self.growth);
            self.terms.clear();
            self.moments = [0.0; SERIES_TERMS];
            self.moments[0] = plain;
            self.fastest = 0.0;
            if plain > 0.0 {
                self.terms.push((plain, 0.0));
            }
            for &r in &model.potential_readers {
                let a = self.weights[r] * factors[r];
                if a > 0.0 {
                    let beta = model.factor_growth(r, &self.growth);
                    self.terms.push((a, beta));
                    self.fastest = self.fastest.max(beta.abs());
                    let mut power = a;
                    for m in &mut self.moments {
                        *m += power;
                        power *= beta;
                    }
                }
            }
        } else {
            self.start.clear();
            self.start.extend_from_slice(p);
            self.start.push(0.0);
            self.start.extend(p.iter().map(|_| 0.0));
            self.span = None;
        }
    }

    /// The jumps' total propensity at `p`.
    fn jump_rate(&self, model: &Model, p: &[f64]) -> f64 {
        self.plain + Self::reader_rate(model, &self.weights, p)
    }

    /// The potential readers' total propensity at `p`.
    fn reader_rate(model: &Model, weights: &[f64], p: &[f64]) -> f64 {
        model.potential_readers.iter().map(|&r| weights[r] * model.potential_factor(r, p)).sum()
    }

    /// ([p], Λ, ∫[p]) after `span`, into `self.end` (general case).
    fn integrate(&mut self, model: &Model, span: f64) -> Result<(), Blowup> {
        if self.span == Some(span) {
            return Ok(());
        }
        let c = model.potentials.len();
        self.end.clone_from(&self.start);
        let (weights, plain) = (&self.weights, self.plain);
        let ok = self.rk.integrate(&mut self.end, span, |y, dy| {
            let (p, rest) = dy.split_at_mut(c);
            model.drift(&y[..c], weights, p);
            rest[0] = plain + Self::reader_rate(model, weights, &y[..c]);
            rest[1..].copy_from_slice(&y[..c]);
        });
        self.span = ok.then_some(span);
        if ok {
            return Ok(());
        }
        let worst = (0..c)
            .max_by(|&i, &j| {
                let size = |x: f64| if x.is_finite() { x.abs() } else { f64::INFINITY };
                size(self.end[i]).total_cmp(&size(self.end[j]))
            })
            .unwrap_or(0);
        Err(Blowup(worst))
    }

    /// Λ(τ) and a₀(τ).
    fn hazard(&mut self, model: &Model, tau: f64) -> Result<(f64, f64), Blowup> {
        if !model.log_linear {
            self.integrate(model, tau)?;
            let c = model.potentials.len();
            return Ok((self.end[c], self.jump_rate(model, &self.end[..c])));
        }
        if self.fastest * tau <= SERIES_REACH {
            let (mut hazard, mut rate, mut power, mut factorial) = (0.0, 0.0, 1.0, 1.0);
            for (k, m) in self.moments.iter().enumerate() {
                rate += m * power / factorial;
                factorial *= (k + 1) as f64;
                power *= tau;
                hazard += m * power / factorial;
            }
            return Ok((hazard, rate));
        }
        Ok(self.terms.iter().fold((0.0, 0.0), |(h, r), &(a, beta)| {
            (h + a * tau * phi(beta * tau), r + a * (beta * tau).exp())
        }))
    }

    /// The waiting time τ ≤ `limit` with Λ(τ) = `e`, or `None` when
    /// Λ(limit) < e (no event before `limit`).
    pub fn waiting_time(&mut self, model: &Model, e: f64, limit: f64) -> Result<Option<f64>, Blowup> {
        let (_, start_rate) = self.hazard(model, 0.0)?;
        let (mut lo, mut hi) = (0.0, f64::INFINITY);
        let mut tau = if start_rate > 0.0 { (e / start_rate).min(limit) } else { limit };
        for _ in 0..200 {
            let (hazard, rate) = self.hazard(model, tau)?;
            if (hazard - e).abs() <= HAZARD_TOLERANCE * e {
                return Ok(Some(tau));
            }
            if hazard < e {
                if tau >= limit {
                    return Ok(None);
                }
                lo = tau;
            } else {
                hi = tau;
            }
            if hi.is_finite() && hi - lo <= 1e-15 * hi {
                return Ok(Some(hi));
            }
            let newton = tau + (e - hazard) / rate;
            tau = if newton > lo && newton < hi {
                newton.min(limit)
            } else if hi.is_finite() {
                0.5 * (lo + hi)
            } else if tau > 0.0 {
                (2.0 * tau).min(limit)
            } else {
                limit
            };
        }
        Ok(Some(if hi.is_finite() { hi } else { tau }))
    }

    /// Moves the potentials on by `tau` and adds ∫[p] dt over it to `integral`.
    pub fn advance(
        &mut self,
        model: &Model,
        p: &mut [f64],
        tau: f64,
        integral: &mut [f64],
    ) -> Result<(), Blowup> {
        if model.log_linear {
            for ((p, g), sum) in p.iter_mut().zip(&self.growth).zip(integral.iter_mut()) {
                let x = g * tau;
                *sum += *p * tau * phi(x);
                if x != 0.0 {
                    *p *= x.exp();
                }
            }
            return Ok(());
        }
        self.integrate(model, tau)?;
        let c = model.potentials.len();
        p.copy_from_slice(&self.end[..c]);
        for (sum, part) in integral.iter_mut().zip(&self.end[c + 1..]) {
            *sum += part;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::hybrid::tests::model_of;

    /// A flow set up for one vesicle at `counts` and potentials `p`.
    fn flow_at(model: &Model, counts: &[i64], p: &[f64]) -> Flow {
        let sums: Vec<f64> = (0..model.reactions()).map(|r| model.discrete_factor(r, counts)).collect();
        let mut flow = Flow::new(model);
        let plain: f64 = model
            .jumps
            .iter()
            .filter(|r| !model.potential_readers.contains(r))
            .map(|&r| model.constant[r] * sums[r])
            .sum();
        flow.prepare(model, p, &model.potential_factors(p), &sums, 1.0, plain);
        flow
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs()
    }

    /// P -> 2P at g = 0.5 with A + P -> B + P at c = 2 from [P] = 1: the
    /// hazard is c(e^(gτ) − 1)/g, so τ = ln(1 + gE/c)/g, by the series for a
    /// short wait and by the exponential sums for a long one.
    #[test]
    fn the_log_linear_waiting_time_solves_the_closed_form() {
        let model = model_of(
            "network W { species amount A = 1, B = 0, P = 1; P -> 2 P @ 0.5; A + P -> B + P @ 2; }",
            &["P"],
        );
        assert!(model.log_linear);
        let (g, c) = (0.5, 2.0);
        for e in [1e-4, 0.5, 30.0] {
            let mut flow = flow_at(&model, &[1, 0], &[1.0]);
            let tau = flow.waiting_time(&model, e, 100.0).ok().flatten().expect("an event");
            let exact = (1.0 + g * e / c).ln() / g;
            assert!(close(tau, exact, 1e-10), "E = {e}: {tau} vs {exact}");
            let (mut p, mut area) = ([1.0], [0.0]);
            assert!(flow.advance(&model, &mut p, tau, &mut area).is_ok());
            assert!(close(p[0], (g * tau).exp(), 1e-12) && close(area[0], (g * tau).exp_m1() / g, 1e-12));
        }
        let mut flow = flow_at(&model, &[1, 0], &[1.0]);
        assert!(matches!(flow.waiting_time(&model, 30.0, 1.0), Ok(None)), "no event before the limit");
    }

    /// 2P -> 3P gives [P] = 1/(1 − t) from 1 (not log-linear), and A + P ->
    /// B + P at c = 1 the hazard −ln(1 − τ): τ = 1 − e^(−E), by Dormand-Prince.
    #[test]
    fn the_general_waiting_time_solves_the_closed_form() {
        let model =
            model_of("network Q { species amount A = 1, B = 0, P = 1; 2 P -> 3 P; A + P -> B + P; }", &["P"]);
        assert!(!model.log_linear);
        for e in [1e-3, 0.5, 3.0] {
            let mut flow = flow_at(&model, &[1, 0], &[1.0]);
            let tau = flow.waiting_time(&model, e, 0.999).ok().flatten().expect("an event");
            let exact = -(-e).exp_m1();
            assert!(close(tau, exact, 1e-8), "E = {e}: {tau} vs {exact}");
            let (mut p, mut area) = ([1.0], [0.0]);
            assert!(flow.advance(&model, &mut p, tau, &mut area).is_ok());
            assert!(close(p[0], 1.0 / (1.0 - tau), 1e-8) && close(area[0], -(-tau).ln_1p(), 1e-8));
        }
        let mut flow = flow_at(&model, &[1, 0], &[1.0]);
        let (mut p, mut area) = ([1.0], [0.0]);
        assert!(
            matches!(flow.advance(&model, &mut p, 1.5, &mut area), Err(Blowup(0))),
            "[P] leaves the floats at t = 1"
        );
    }
}
