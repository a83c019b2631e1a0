//! The figures of detailed-balanced learners, drawn with the pieces of
//! [`crate::sim::plot::draw`] so that they look like every other crnc plot.
//!
//! [`svg`] is a learner's run (`crnc run --plot` on a network with
//! potentials): panels stacked under one title like the training figure
//! (`crate::learn::plot`): the potentials over time, KL(target ‖ learned)
//! over time, and the learned law against the target's as grouped bars
//! ([`lines`], [`bars`]). [`dissipation_svg`] is a sweep's figure: the
//! learning reactions' dissipation rate against k/ε, one line per series.

mod bars;
mod lines;

use std::fmt::Write;

use quick_xml::escape::escape;

use super::report::Report;
use crate::crn::Crn;
use crate::sim::plot::Axis;
use crate::sim::plot::draw::{self, Legend, MARGIN, Rect, TITLE_FONT, WIDTH};
use crate::sim::run::Table;

/// The panels are never narrower than this; a wide legend widens the figure.
const MIN_PLOT_WIDTH: f64 = 560.0;
/// Above the first panel: the figure's title.
const TOP: f64 = 40.0;
/// Above each panel: its title.
const PANEL_TITLE: f64 = 26.0;
/// Below a panel with numeric ticks: tick labels and the axis label.
const BOTTOM: f64 = 58.0;

/// One plotting area with its axes and legend; `body` is what is drawn in it.
struct Panel {
    /// The panel's `class` after `panel` (`potentials`, `kl`, ...).
    class: &'static str,
    title: String,
    x_label: String,
    y_label: String,
    x_axis: Axis,
    y_axis: Axis,
    height: f64,
    /// The space under the plotting area (rotated state labels need more).
    bottom: f64,
    legend: Legend,
    body: Body,
}

enum Body {
    Lines(lines::Lines),
    Bars(bars::Bars),
}

/// The figure of a learner's run: `table` is the run of `crn`, `report` its
/// report. A report without KL along the run has no KL panel.
pub fn svg(report: &Report, table: &Table, crn: &Crn) -> String {
    let mut panels = vec![lines::potentials(report, table, crn)];
    panels.extend(lines::kl(report, table));
    panels.push(bars::panel(report));
    stack(&format!("{}: learning, {}", report.network, table.summary.method), &panels)
}

/// [`svg`] rendered to PNG, like a run's plot.
pub fn png(report: &Report, table: &Table, crn: &Crn) -> Result<Vec<u8>, String> {
    draw::png(&svg(report, table, crn))
}

/// The figure of a sweep: each point is (k/ε, dissipation rate in k_B·T per
/// unit time, the series it belongs to, e.g. "G_S = -3"), drawn on a
/// logarithmic k/ε axis, one line per series in the order they first appear.
pub fn dissipation_svg(points: &[(f64, f64, String)]) -> String {
    stack("Dissipation of the learning reactions", &[lines::dissipation(points)])
}

/// [`dissipation_svg`] rendered to PNG.
pub fn dissipation_png(points: &[(f64, f64, String)]) -> Result<Vec<u8>, String> {
    draw::png(&dissipation_svg(points))
}

/// `panels` stacked under `title` in one SVG document, their plotting areas
/// equally wide and left-aligned so that the time panels' times line up.
fn stack(title: &str, panels: &[Panel]) -> String {
    let left = panels.iter().map(|p| draw::left_of_plot(&p.y_axis)).fold(0.0, f64::max);
    let legend_width = panels.iter().map(|p| p.legend.w).fold(0.0, f64::max);
    let width = WIDTH.max(left + MIN_PLOT_WIDTH + 2.0 * MARGIN + legend_width).ceil();
    let plot_width = width - left - 2.0 * MARGIN - legend_width;
    let mut y = TOP;
    let areas: Vec<Rect> = panels
        .iter()
        .map(|p| {
            let area = Rect { x: left, y: y + PANEL_TITLE, w: plot_width, h: p.height };
            y += PANEL_TITLE + p.height + p.bottom;
            area
        })
        .collect();
    let mut out = String::with_capacity(16384);
    draw::open(&mut out, width, y.ceil(), title);
    for (panel, &area) in panels.iter().zip(&areas) {
        let _ = writeln!(
            out,
            r#"<g class="panel {}">
<text class="panel-title" x="{:.1}" y="{:.1}" font-size="{}">{}</text>"#,
            panel.class,
            area.x,
            area.y - 9.0,
            TITLE_FONT - 2.0,
            escape(panel.title.as_str())
        );
        match &panel.body {
            Body::Lines(l) => lines::draw(&mut out, l, area, &panel.x_axis, &panel.y_axis),
            Body::Bars(b) => bars::draw(&mut out, b, area, &panel.x_axis, &panel.y_axis),
        }
        draw::frame(&mut out, area);
        draw::axes(&mut out, area, &panel.x_axis, &panel.y_axis, &panel.x_label, &panel.y_label);
        panel.legend.draw(&mut out, area.x + area.w + MARGIN, area.y);
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// Whether values over `lo..hi` read better on a logarithmic axis: they are
/// positive and span more than a decade.
fn log_scale(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi > 10.0 * lo
}

/// A value axis over `lo..hi`: logarithmic by [`log_scale`], else linear from 0.
fn value_axis(lo: f64, hi: f64) -> Axis {
    if log_scale(lo, hi) { Axis::log(lo, hi) } else { Axis::new(lo.min(0.0), hi, true) }
}

/// `x` to three significant digits, for notes: 0.0123, 4.56e-5, 120.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        return format!("{x:.2e}");
    }
    format!("{:.*}", (2 - magnitude).max(0) as usize, x)
}

#[cfg(test)]
mod tests;
