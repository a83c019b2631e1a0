//! Dormand-Prince 5(4) with error control, for the potentials' ODE where it
//! has no closed form (reversible learning: d[p]/dt quadratic in [p]).

/// Relative and absolute tolerance of each step's local error.
pub(super) const RTOL: f64 = 1e-10;
const ATOL: f64 = 1e-14;
/// Steps one integration may take before it gives up (a solution that
/// needs more is taken as leaving the floats).
const MAX_STEPS: usize = 1_000_000;

const A: [&[f64]; 6] = [
    &[1.0 / 5.0],
    &[3.0 / 40.0, 9.0 / 40.0],
    &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
    &[19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0],
    &[9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0],
    &[35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0],
];
/// The fifth-order weights less the embedded fourth-order ones.
const E: [f64; 7] =
    [71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0];

/// Workspace of one integrator, reused from call to call.
#[derive(Default)]
pub(super) struct DormandPrince {
    k: [Vec<f64>; 7],
    stage: Vec<f64>,
    next: Vec<f64>,
}

impl DormandPrince {
    /// Integrates the autonomous system y' = f(y) over `span` in place;
    /// false if the solution left the floats or needed too many steps.
    pub fn integrate(&mut self, y: &mut [f64], span: f64, mut f: impl FnMut(&[f64], &mut [f64])) -> bool {
        let n = y.len();
        for k in &mut self.k {
            k.resize(n, 0.0);
        }
        self.stage.resize(n, 0.0);
        self.next.resize(n, 0.0);
        let (mut done, mut h) = (0.0, span);
        for _ in 0..MAX_STEPS {
            if span - done <= span * 1e-14 {
                return true;
            }
            // A solution that needs steps this small is leaving the floats (a blow-up).
            if h < span * 1e-12 {
                return false;
            }
            h = h.min(span - done);
            f(y, &mut self.k[0]);
            for (s, row) in A.iter().enumerate() {
                let k = &self.k;
                for (i, (stage, y)) in self.stage.iter_mut().zip(&*y).enumerate() {
                    *stage = y + h * row.iter().zip(k).map(|(a, k)| a * k[i]).sum::<f64>();
                }
                let (_, rest) = self.k.split_at_mut(s + 1);
                f(&self.stage, &mut rest[0]);
            }
            // The last stage is the fifth-order solution itself (FSAL tableau).
            self.next.copy_from_slice(&self.stage);
            let mut error: f64 = 0.0;
            for (i, (y, next)) in y.iter().zip(&self.next).enumerate() {
                let e = h * E.iter().zip(&self.k).map(|(e, k)| e * k[i]).sum::<f64>();
                let scale = ATOL + RTOL * y.abs().max(next.abs());
                error = error.max((e / scale).abs());
            }
            if !error.is_finite() {
                h /= 10.0;
                continue;
            }
            if error <= 1.0 {
                y.copy_from_slice(&self.next);
                done += h;
            }
            h *= (0.9 * error.powf(-0.2)).clamp(0.2, 5.0);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::DormandPrince;

    /// The logistic equation y' = y(1 − y) from 0.1 over 5, against its
    /// closed form, with a second component integrating y.
    #[test]
    fn the_logistic_equation_is_integrated_to_the_tolerance() {
        let mut y = [0.1, 0.0];
        let ok = DormandPrince::default().integrate(&mut y, 5.0, |y, d| {
            d[0] = y[0] * (1.0 - y[0]);
            d[1] = y[0];
        });
        let exact = 1.0 / (1.0 + 9.0 * (-5f64).exp());
        // ∫ y = ln(1 + 0.1 (e^t − 1)) / 1 for y0 = 0.1.
        let area = (1.0 + 0.1 * (5f64.exp() - 1.0)).ln();
        assert!(ok);
        assert!((y[0] - exact).abs() < 1e-9, "{} vs {exact}", y[0]);
        assert!((y[1] - area).abs() < 1e-9, "{} vs {area}", y[1]);
    }

    #[test]
    fn a_blow_up_is_reported() {
        let mut y = [1.0];
        assert!(!DormandPrince::default().integrate(&mut y, 2.0, |y, d| d[0] = y[0] * y[0]));
    }
}
