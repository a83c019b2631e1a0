//! The line panels: the potentials and KL(target ‖ learned) over the run's
//! time, with the report's window shaded, and a sweep's dissipation rate
//! against k/ε. A value a logarithmic axis cannot show (0 for a potential
//! held as a count, the species form) or that is not finite breaks its line,
//! and a note counts it.

use std::fmt::Write;

use super::{Body, Panel, log_scale, value_axis};
use crate::crn::{Crn, Role};
use crate::learn::dbcrn::report::Report;
use crate::sim::plot::Axis;
use crate::sim::plot::draw::{self, Entry, Legend, PALETTE, ROW, Rect, Swatch, stroke};
use crate::sim::plot::panels::BOTTOM;
use crate::sim::run::Table;

/// The report's window behind the lines: light enough that grid lines show.
const WINDOW_FILL: &str = "#f0f0f0";
const HEIGHT: f64 = 220.0;
/// The potentials panel grows with its legend up to this.
const MAX_HEIGHT: f64 = 420.0;
/// Inside a legend box, above and below its rows (draw.rs's padding).
const LEGEND_PADDING: f64 = 16.0;

pub(super) struct Line {
    name: String,
    /// Pieces of finite points the axes can place, in data units.
    pieces: Vec<Vec<(f64, f64)>>,
}

pub(super) struct Lines {
    list: Vec<Line>,
    /// A marker on every point: the KL's few sampled times, a sweep's points.
    markers: bool,
    /// The report's window (from, to), shaded.
    window: Option<(f64, f64)>,
}

/// What a panel of lines shows, before it is fitted with a legend.
struct Spec {
    class: &'static str,
    title: String,
    x_label: String,
    y_label: String,
    x_axis: Axis,
    y_axis: Axis,
    lines: Lines,
    /// Lines under the legend's entries: what was left out and why.
    notes: Vec<String>,
    min_height: f64,
}

impl Spec {
    /// The panel, tall enough for one legend column up to [`MAX_HEIGHT`].
    fn panel(self) -> Panel {
        let mut entries: Vec<Entry> = (self.lines.list.iter().enumerate())
            .map(|(i, l)| Entry {
                label: l.name.clone(),
                swatch: Swatch::Line { stroke: stroke(i), band: None },
            })
            .collect();
        if self.lines.window.is_some() {
            entries
                .push(Entry { label: "report window".into(), swatch: Swatch::Area { colour: WINDOW_FILL } });
        }
        let rows = entries.len() + self.notes.len();
        let height =
            (rows as f64 * ROW + LEGEND_PADDING).clamp(self.min_height, MAX_HEIGHT.max(self.min_height));
        Panel {
            class: self.class,
            title: self.title,
            x_label: self.x_label,
            y_label: self.y_label,
            x_axis: self.x_axis,
            y_axis: self.y_axis,
            height,
            square: false,
            bottom: BOTTOM,
            legend: Legend::fit(entries, self.notes, height),
            body: Body::Lines(self.lines),
        }
    }
}

/// The note for `n` points left out because an axis cannot place them.
fn left_out(n: usize) -> Vec<String> {
    match n {
        0 => vec![],
        1 => vec!["1 point ≤ 0 or not finite left out".into()],
        n => vec![format!("{n} points ≤ 0 or not finite left out")],
    }
}

/// The range of the finite values, (inf, -inf) when there are none.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
}

/// `points` cut where `drawable` fails: the pieces of a line, and how many
/// points were left out.
fn pieces(points: &[(f64, f64)], drawable: impl Fn(f64, f64) -> bool) -> (Vec<Vec<(f64, f64)>>, usize) {
    let pieces: Vec<Vec<(f64, f64)>> =
        points.split(|&(x, y)| !drawable(x, y)).filter(|p| !p.is_empty()).map(<[_]>::to_vec).collect();
    let drawn: usize = pieces.iter().map(Vec::len).sum();
    (pieces, points.len() - drawn)
}

/// `series` as lines that axes, logarithmic (`log_x`, `log_y`) or not, can
/// draw, and how many points were left out.
fn drawable_lines(series: Vec<(String, Vec<(f64, f64)>)>, log_x: bool, log_y: bool) -> (Vec<Line>, usize) {
    let placeable = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    let mut skipped = 0;
    let list = series
        .into_iter()
        .map(|(name, points)| {
            let (pieces, left_out) = pieces(&points, |x, y| placeable(x, log_x) && placeable(y, log_y));
            skipped += left_out;
            Line { name, pieces }
        })
        .collect();
    (list, skipped)
}

/// The run's time axis, ending at its last output time.
fn time_axis(table: &Table) -> Axis {
    Axis::new(0.0, table.times.last().copied().unwrap_or(0.0), false)
}

/// One line per potential (the species with `Role::Potential`, in species
/// order) on a logarithmic axis: learning moves them over decades.
pub(super) fn potentials(report: &Report, table: &Table, crn: &Crn) -> Panel {
    let series: Vec<(String, Vec<(f64, f64)>)> = crn
        .species
        .iter()
        .filter(|s| s.role == Role::Potential)
        .filter_map(|s| {
            Some((s.name.clone(), table.times.iter().copied().zip(table.column(&s.name)?).collect()))
        })
        .collect();
    let values = || series.iter().flat_map(|(_, points)| points.iter().map(|p| p.1));
    let (lo, hi) = range(values().filter(|&v| v > 0.0));
    // Without a positive value there are no decades to show.
    let log_y = lo.is_finite();
    let y_axis = if log_y {
        Axis::log(lo, hi)
    } else {
        let (lo, hi) = range(values());
        Axis::new(lo.min(0.0), hi, true)
    };
    let (list, skipped) = drawable_lines(series, false, log_y);
    Spec {
        class: "potentials",
        title: "Potentials".into(),
        x_label: "time".into(),
        y_label: "potential".into(),
        x_axis: time_axis(table),
        y_axis,
        lines: Lines { list, markers: false, window: Some(report.window) },
        notes: left_out(skipped),
        min_height: HEIGHT,
    }
    .panel()
}

/// KL(target ‖ learned at the potentials of that time) at the report's
/// sampled times; `None` when none is finite (no target, no law found, or,
/// in the species form, potentials whose law misses the target's states).
pub(super) fn kl(report: &Report, table: &Table) -> Option<Panel> {
    let (lo, hi) = range(report.kl_over_time.iter().map(|p| p.1));
    if !lo.is_finite() {
        return None;
    }
    let log_y = log_scale(lo, hi);
    let (list, skipped) =
        drawable_lines(vec![("KL(target ‖ learned)".into(), report.kl_over_time.clone())], false, log_y);
    Some(
        Spec {
            class: "kl",
            title: "Relative entropy of the target from the learned law".into(),
            x_label: "time".into(),
            y_label: "KL (nats)".into(),
            x_axis: time_axis(table),
            y_axis: value_axis(lo, hi),
            lines: Lines { list, markers: true, window: Some(report.window) },
            // KL is never negative and a log axis only holds positive
            // values, so what is left out is infinite: a target state the
            // learned law gives no mass.
            notes: match skipped {
                0 => vec![],
                n => vec![format!("KL infinite at {n} of {} times", report.kl_over_time.len())],
            },
            min_height: HEIGHT,
        }
        .panel(),
    )
}

/// A sweep's dissipation rates against k/ε on a logarithmic axis, one line
/// per series label in the order they first appear, each in k/ε order.
pub(super) fn dissipation(points: &[(f64, f64, String)]) -> Panel {
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (x, y, label) in points {
        match series.iter_mut().find(|(name, _)| name == label) {
            Some((_, list)) => list.push((*x, *y)),
            None => series.push((label.clone(), vec![(*x, *y)])),
        }
    }
    for (_, list) in &mut series {
        list.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let on_x_axis = || series.iter().flat_map(|(_, p)| p.iter()).filter(|p| p.0 > 0.0);
    let (x_lo, x_hi) = range(on_x_axis().map(|p| p.0));
    let x_axis = if x_lo.is_finite() { Axis::log(x_lo, x_hi) } else { Axis::log(1.0, 10.0) };
    let (lo, hi) = range(on_x_axis().map(|p| p.1));
    let log_y = log_scale(lo, hi);
    let (list, skipped) = drawable_lines(series, true, log_y);
    Spec {
        class: "dissipation",
        title: "Dissipation rate against k/ε".into(),
        x_label: "k/ε (learning rate over its reverse)".into(),
        y_label: "dissipation rate (k_B·T per unit time)".into(),
        x_axis,
        y_axis: value_axis(lo, hi),
        lines: Lines { list, markers: true, window: None },
        notes: left_out(skipped),
        min_height: 2.0 * HEIGHT,
    }
    .panel()
}

/// The lines in the plotting area `p`: the window first, then the grid over
/// it, then the data.
pub(super) fn draw(out: &mut String, lines: &Lines, p: Rect, x_axis: &Axis, y_axis: &Axis) {
    let px = |x: f64| x_axis.place(x, p.x, p.x + p.w);
    let py = |y: f64| y_axis.place(y, p.y + p.h, p.y);
    if let Some((from, to)) = lines.window {
        let (left, right) = (px(from.max(x_axis.lo)), px(to.min(x_axis.hi)));
        let _ = writeln!(
            out,
            r#"<rect class="window" x="{left:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{WINDOW_FILL}"/>"#,
            p.y,
            (right - left).max(0.0),
            p.h
        );
    }
    draw::grid(out, p, x_axis, y_axis);
    out.push_str("<g class=\"data\">\n");
    for (i, line) in lines.list.iter().enumerate() {
        let placed = || line.pieces.iter().map(|piece| piece.iter().map(|&(x, y)| (px(x), py(y))));
        draw::line(out, &line.name, i, placed().map(Iterator::collect));
        if lines.markers {
            for (x, y) in placed().flatten() {
                let _ = writeln!(
                    out,
                    r#"<circle class="marker" cx="{x:.2}" cy="{y:.2}" r="2.6" fill="{}"/>"#,
                    PALETTE[i % PALETTE.len()]
                );
            }
        }
    }
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_breaks_where_its_value_cannot_be_drawn_and_counts_what_it_left_out() {
        let points = [(0.0, 1.0), (1.0, 0.0), (2.0, 2.0), (3.0, 3.0), (4.0, f64::NAN)];
        let (cut, left_out) = pieces(&points, |_, y| y > 0.0);
        assert_eq!(cut, [vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
        assert_eq!(left_out, 2);
    }
}
