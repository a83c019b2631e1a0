//! Linear axes: ranges, ticks at 1, 2 or 5 times a power of ten, and their labels.

/// About this many ticks on an axis: enough to read values off, few enough
/// that the labels of a 560-pixel axis never touch.
const TICKS: f64 = 6.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    /// Tick labels are values divided by 10^exponent, written once in the
    /// axis label, so that 25000 and 0.0004 do not crowd the margin.
    pub exponent: i32,
    decimals: usize,
}

impl Axis {
    /// An axis over `lo..hi`. With `widen`, the ends move out to the ticks
    /// around them (a value axis); without, they stay (time ends at t_end).
    pub fn new(lo: f64, hi: f64, widen: bool) -> Axis {
        let (lo, hi) = match (lo.is_finite() && hi.is_finite(), hi > lo) {
            (true, true) => (lo, hi),
            (true, false) if lo != 0.0 => (lo - lo.abs() / 2.0, hi + hi.abs() / 2.0),
            _ => (0.0, 1.0),
        };
        let step = nice_step((hi - lo) / TICKS);
        let (lo, hi) =
            if widen { ((lo / step).floor() * step, (hi / step - 1e-9).ceil() * step) } else { (lo, hi) };
        let first = (lo / step - 1e-9).ceil() as i64;
        let last = (hi / step + 1e-9).floor() as i64;
        let ticks = (first..=last).map(|k| k as f64 * step).collect();
        let largest = lo.abs().max(hi.abs());
        let exponent = if !(1e-2..1e4).contains(&largest) { largest.log10().floor() as i32 } else { 0 };
        let decimals = (exponent - step.log10().floor() as i32).max(0) as usize;
        Axis { lo, hi, ticks, exponent, decimals }
    }

    pub fn label(&self, v: f64) -> String {
        let text = format!("{:.*}", self.decimals, v / 10f64.powi(self.exponent));
        // A tick a rounding error below zero would read "-0".
        if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            "0".to_string()
        } else {
            text
        }
    }

    /// The factor the tick labels leave out, as " (×10⁴)", or "".
    pub fn scale_suffix(&self) -> String {
        if self.exponent == 0 {
            return String::new();
        }
        let superscript: String = self
            .exponent
            .to_string()
            .chars()
            .map(|c| match c {
                '-' => '⁻',
                d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
            })
            .collect();
        format!(" (×10{superscript})")
    }

    /// `v` placed on a pixel range (`from` at `lo`, `to` at `hi`).
    pub fn place(&self, v: f64, from: f64, to: f64) -> f64 {
        from + (v - self.lo) / (self.hi - self.lo) * (to - from)
    }
}

/// The step of 1, 2 or 5 times a power of ten nearest above `raw`.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    let mantissa = raw / power;
    let nice = [1.0, 2.0, 5.0, 10.0].into_iter().find(|&m| mantissa <= m * (1.0 + 1e-9)).unwrap_or(10.0);
    nice * power
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_axis_widens_to_round_ticks_that_cover_the_data() {
        for (lo, hi) in [(0.0, 3.87), (0.0, 117.0), (0.0, 0.0043), (-2.5, 7.1), (0.0, 2.6e7), (1e-3, 1e-3)] {
            let axis = Axis::new(lo, hi, true);
            assert!(axis.lo <= lo && axis.hi >= hi, "{lo}..{hi} in {axis:?}");
            assert!((4..=12).contains(&axis.ticks.len()), "{axis:?}");
            assert_eq!(axis.ticks.first(), Some(&axis.lo), "{axis:?}");
            let step = axis.ticks[1] - axis.ticks[0];
            let mantissa = step / 10f64.powf(step.log10().floor());
            assert!([1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6), "step {step}");
            let labels: Vec<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
            let mut distinct = labels.clone();
            distinct.dedup();
            assert_eq!(labels, distinct, "every tick reads differently: {labels:?}");
        }
    }

    #[test]
    fn large_and_small_values_move_their_power_of_ten_into_the_axis_label() {
        let axis = Axis::new(0.0, 2.6e7, true);
        assert_eq!(axis.scale_suffix(), " (×10⁷)");
        assert!(axis.ticks.iter().all(|&t| axis.label(t).len() <= 4), "{axis:?}");
        assert_eq!(Axis::new(0.0, 0.0043, true).scale_suffix(), " (×10⁻³)");
        assert_eq!(Axis::new(0.0, 30.0, true).scale_suffix(), "");
    }

    #[test]
    fn a_time_axis_keeps_its_end_and_flat_data_still_gets_a_range() {
        let time = Axis::new(0.0, 30.0, false);
        assert_eq!((time.lo, time.hi), (0.0, 30.0));
        assert_eq!(time.label(30.0), "30");
        let flat = Axis::new(0.0, 0.0, true);
        assert!(flat.hi > flat.lo);
    }
}
