//! Figures of panels stacked under one title (the training figure, a
//! learner's figure): plotting areas left-aligned and equally wide, so that
//! panels over the same x axis line up; each panel's legend on its right.

use std::fmt::Write;

use quick_xml::escape::escape;

use super::Axis;
use super::draw::{self, Legend, MARGIN, Rect, TITLE_FONT, WIDTH};

/// The panels are never narrower than this; a wide legend widens the figure.
pub(crate) const MIN_PLOT_WIDTH: f64 = 560.0;
/// Above the first panel: the figure's title.
const TOP: f64 = 40.0;
/// Above each panel: its title.
const PANEL_TITLE: f64 = 26.0;
/// Below a panel with numeric ticks: tick labels and the axis label.
pub(crate) const BOTTOM: f64 = 58.0;

/// One plotting area with its axes and legend; `body` is what is drawn in it.
pub(crate) struct Panel<B> {
    /// The panel's `class` after `panel` (`loss`, `potentials`, ...).
    pub class: &'static str,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    /// The plotting area's height; a square panel is as wide.
    pub height: f64,
    pub square: bool,
    /// The space under the plotting area ([`BOTTOM`]; rotated labels need more).
    pub bottom: f64,
    pub legend: Legend,
    pub body: B,
}

/// `panels` stacked under `title` as one SVG document; `draw_body` draws a
/// panel's body into its plotting area, before the frame and axes.
pub(crate) fn stack<B>(
    title: &str,
    panels: &[Panel<B>],
    draw_body: impl Fn(&mut String, &Panel<B>, Rect),
) -> String {
    let left = panels.iter().map(|p| draw::left_of_plot(&p.y_axis)).fold(0.0, f64::max);
    let legend_width = panels.iter().map(|p| p.legend.w).fold(0.0, f64::max);
    let width = WIDTH.max(left + MIN_PLOT_WIDTH + 2.0 * MARGIN + legend_width).ceil();
    let plot_width = width - left - 2.0 * MARGIN - legend_width;
    let mut y = TOP;
    let areas: Vec<Rect> = panels
        .iter()
        .map(|p| {
            let w = if p.square { p.height } else { plot_width };
            let area = Rect { x: left, y: y + PANEL_TITLE, w, h: p.height };
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
        draw_body(&mut out, panel, area);
        draw::frame(&mut out, area);
        draw::axes(&mut out, area, &panel.x_axis, &panel.y_axis, &panel.x_label, &panel.y_label);
        panel.legend.draw(&mut out, area.x + area.w + MARGIN, area.y);
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}
