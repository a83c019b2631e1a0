//! The figure of a training run (`crnc run --plot` on a learning circuit):
//! panels stacked under one title, drawn with the pieces of
//! [`crate::sim::plot`] so that it looks like a run's plot. The loss against
//! the epoch, the accuracy for a classifier and the parameters share one
//! epoch axis ([`curves`]); a two-input classifier adds its decision region
//! with the data over it ([`boundary`]).

mod boundary;
mod curves;

use crate::learn::history::History;
use crate::sim::plot::{draw, panels};

pub use boundary::{Boundary, Grid, PointSet};

/// Everything the figure shows.
pub struct TrainingFigure<'a> {
    /// E.g. the network's name and its task.
    pub title: String,
    pub history: &'a History,
    /// Two-input classifiers only.
    pub boundary: Option<Boundary<'a>>,
}

type Panel = panels::Panel<Body>;

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
    panels::stack(&fig.title, &panels(fig), |out, panel, area| match &panel.body {
        Body::Curves(curves) => {
            draw::grid(out, area, &panel.x_axis, &panel.y_axis);
            curves::draw(out, curves, area, &panel.x_axis, &panel.y_axis);
        }
        Body::Boundary(drawing) => boundary::draw(out, drawing, area, &panel.x_axis, &panel.y_axis),
    })
}

/// The figure rendered to PNG, like a run's plot.
pub fn png(fig: &TrainingFigure) -> Result<Vec<u8>, String> {
    draw::png(&svg(fig))
}

#[cfg(test)]
mod tests;
