//! The figure of a training run (`crnc run --plot` on a learning circuit):
//! panels stacked under one title, drawn with the pieces of
//! [`crate::sim::plot`] so that it looks like a run's plot. The loss against
//! the epoch, the accuracy for a classifier and the parameters share one
//! epoch axis ([`curves`]); a two-input classifier adds its decision region
//! with the data over it ([`boundary`]).

mod boundary;
mod curves;

use std::fmt::Write;

use quick_xml::escape::escape;

use crate::learn::history::History;
use crate::sim::plot::Axis;
use crate::sim::plot::draw::{self, Legend, MARGIN, Rect, TITLE_FONT, WIDTH};

pub use boundary::{Boundary, Grid, PointSet};

/// Everything the figure shows.
pub struct TrainingFigure<'a> {
    /// E.g. the network's name and its task.
    pub title: String,
    pub history: &'a History,
    /// Two-input classifiers only.
    pub boundary: Option<Boundary<'a>>,
}

/// The epoch panels are never narrower than this; a wide legend widens the figure.
const MIN_PLOT_WIDTH: f64 = 560.0;
/// Above the first panel: the figure's title.
const TOP: f64 = 40.0;
/// Above each panel: its title.
const PANEL_TITLE: f64 = 26.0;
/// Below each panel: tick labels and the axis label.
const BOTTOM: f64 = 58.0;

/// One plotting area with its axes and legend; `body` is what is drawn in it.
struct Panel {
    /// The panel's `class` after `panel` (`loss`, `accuracy`, ...).
    class: &'static str,
    title: String,
    x_label: String,
    y_label: String,
    x_axis: Axis,
    y_axis: Axis,
    /// The plotting area's height; a square panel is as wide.
    height: f64,
    square: bool,
    legend: Legend,
    body: Body,
}

enum Body {
    Curves(Vec<curves::Curve>),
    Boundary(boundary::Drawing),
}

fn panels(fig: &TrainingFigure) -> Vec<Panel> {
    let history = fig.history;
    let mut panels = vec![curves::loss(history)];
    panels.extend(curves::accuracy(history));
    panels.extend(curves::parameters(history));
    panels.extend(fig.boundary.as_ref().map(boundary::panel));
    panels
}

/// The figure as one SVG document.
pub fn svg(fig: &TrainingFigure) -> String {
    let panels = panels(fig);
    let left = panels.iter().map(|p| draw::left_of_plot(&p.y_axis)).fold(0.0, f64::max);
    let legend_width = panels.iter().map(|p| p.legend.w).fold(0.0, f64::max);
    let width = WIDTH.max(left + MIN_PLOT_WIDTH + 2.0 * MARGIN + legend_width).ceil();
    // Every epoch panel is as wide, so that their epochs line up.
    let epoch_width = width - left - 2.0 * MARGIN - legend_width;
    let mut y = TOP;
    let areas: Vec<Rect> = panels
        .iter()
        .map(|p| {
            let area = Rect {
                x: left,
                y: y + PANEL_TITLE,
                w: if p.square { p.height } else { epoch_width },
                h: p.height,
            };
            y += PANEL_TITLE + p.height + BOTTOM;
            area
        })
        .collect();
    let mut out = String::with_capacity(16384);
    draw::open(&mut out, width, y.ceil(), &fig.title);
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
            Body::Curves(curves) => {
                draw::grid(&mut out, area, &panel.x_axis, &panel.y_axis);
                curves::draw(&mut out, curves, area, &panel.x_axis, &panel.y_axis);
            }
            Body::Boundary(drawing) => boundary::draw(&mut out, drawing, area, &panel.x_axis, &panel.y_axis),
        }
        draw::frame(&mut out, area);
        draw::axes(&mut out, area, &panel.x_axis, &panel.y_axis, &panel.x_label, &panel.y_label);
        panel.legend.draw(&mut out, area.x + area.w + MARGIN, area.y);
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// The figure rendered to PNG, like a run's plot.
pub fn png(fig: &TrainingFigure) -> Result<Vec<u8>, String> {
    draw::png(&svg(fig))
}

#[cfg(test)]
mod tests;
