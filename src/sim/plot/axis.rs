//! Axes: linear ones with ticks at 1, 2 or 5 times a power of ten, axes of
//! whole numbers (epochs), logarithmic ones with ticks at powers of ten, and
//! their labels.

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
    /// Values are placed by their logarithm.
    log: bool,
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
        Axis { lo, hi, ticks, exponent, decimals, log: false }
    }

    /// An axis of whole numbers from 0 to `hi` (epochs): it ends at `hi`,
    /// and its ticks are whole numbers however few there are. With `hi` 0
    /// (epoch 0 alone) it centres 0, so that the one value is not on the edge.
    pub fn counting(hi: f64) -> Axis {
        if hi < 1.0 {
            let mut axis = Axis::new(-1.0, 1.0, false);
            (axis.ticks, axis.decimals) = (vec![0.0], 0);
            return axis;
        }
        let mut axis = Axis::new(0.0, hi, false);
        if axis.ticks[1] - axis.ticks[0] < 1.0 {
            (axis.ticks, axis.decimals) = ((0..=hi.floor() as i64).map(|k| k as f64).collect(), 0);
        }
        axis
    }

    /// A logarithmic axis over `lo..hi` (both positive), widened to the
    /// powers of ten around them, with a tick at every power of ten whose
    /// exponent is a multiple of 1, 2, 5, 10, ... (so that about [`TICKS`]
    /// are labelled).
    pub fn log(lo: f64, hi: f64) -> Axis {
        let first = lo.log10().floor() as i32;
        let last = (hi.log10().ceil() as i32).max(first + 1);
        let stride = nice_step((last - first) as f64 / TICKS).max(1.0) as i32;
        let ticks = (first..=last).filter(|k| k % stride == 0).map(|k| 10f64.powi(k)).collect();
        Axis { lo: 10f64.powi(first), hi: 10f64.powi(last), ticks, exponent: 0, decimals: 0, log: true }
    }

    pub fn label(&self, v: f64) -> String {
        if self.log {
            return format!("10{}", superscript(v.log10().round() as i32));
        }
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
        format!(" (×10{})", superscript(self.exponent))
    }

    /// `v` placed on a pixel range (`from` at `lo`, `to` at `hi`).
    pub fn place(&self, v: f64, from: f64, to: f64) -> f64 {
        if self.log {
            return from + (v / self.lo).log10() / (self.hi / self.lo).log10() * (to - from);
        }
        from + (v - self.lo) / (self.hi - self.lo) * (to - from)
    }
}

/// `n` in superscript digits: 10⁻³.
fn superscript(n: i32) -> String {
    n.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
        })
        .collect()
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

    #[test]
    fn an_epoch_axis_has_whole_ticks_even_for_a_few_epochs() {
        let few = Axis::counting(3.0);
        assert_eq!(few.ticks, [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(few.label(2.0), "2");
        assert_eq!((few.lo, few.hi), (0.0, 3.0));
        let only_epoch_0 = Axis::counting(0.0);
        assert_eq!(only_epoch_0.ticks, [0.0]);
        assert_eq!(only_epoch_0.label(0.0), "0");
        assert!(only_epoch_0.place(0.0, 0.0, 100.0) == 50.0, "{only_epoch_0:?}");
        let many = Axis::counting(200.0);
        assert_eq!(
            many.ticks.iter().map(|&t| many.label(t)).collect::<Vec<_>>(),
            ["0", "50", "100", "150", "200"]
        );
    }

    #[test]
    fn a_log_axis_covers_its_range_with_decades_and_places_them_evenly() {
        let axis = Axis::log(0.003, 2.5);
        assert_eq!((axis.lo, axis.hi), (1e-3, 10.0));
        assert_eq!(
            axis.ticks.iter().map(|&t| axis.label(t)).collect::<Vec<_>>(),
            ["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹"]
        );
        assert_eq!(axis.scale_suffix(), "");
        assert!((axis.place(0.01, 0.0, 400.0) - 100.0).abs() < 1e-9);
        let wide = Axis::log(3e-62, 1.0);
        let labels: Vec<String> = wide.ticks.iter().map(|&t| wide.label(t)).collect();
        assert_eq!(labels, ["10⁻⁶⁰", "10⁻⁴⁰", "10⁻²⁰", "10⁰"], "round exponents");
        let within_a_decade = Axis::log(0.2, 0.2);
        assert!(within_a_decade.hi > within_a_decade.lo);
    }
}
