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

use super::report::Report;
use crate::crn::Crn;
use crate::sim::plot::{Axis, draw, panels};
use crate::sim::run::Table;

type Panel = panels::Panel<Body>;

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

/// `panels` stacked under `title`, so that the time panels' times line up.
fn stack(title: &str, panels: &[Panel]) -> String {
    panels::stack(title, panels, |out, panel, area| match &panel.body {
        Body::Lines(l) => lines::draw(out, l, area, &panel.x_axis, &panel.y_axis),
        Body::Bars(b) => bars::draw(out, b, area, &panel.x_axis, &panel.y_axis),
    })
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
