//! The panels over the epochs: loss, accuracy and parameters, one line per
//! series. A value that is not finite (a run that diverged) breaks its line
//! and a note counts it; a value not measured (no validation set) is left out.

use std::fmt::Write;

use super::{Body, Panel};
use crate::learn::history::{Epoch, History};
use crate::sim::plot::Axis;
use crate::sim::plot::draw::{self, Entry, Legend, PALETTE, ROW, Swatch, stroke};
use crate::sim::plot::panels::BOTTOM;

/// With this many epochs or fewer each value gets a marker, so that a short
/// run (epoch 0 alone) is visible, not only its lines.
const MARKERS_UP_TO: usize = 40;
const HEIGHT: f64 = 220.0;
/// The parameter panel grows with its legend up to this.
const MAX_HEIGHT: f64 = 420.0;

/// One series; `None` breaks the line where a value was not finite.
pub(super) struct Curve {
    name: String,
    points: Vec<Option<(f64, f64)>>,
}

/// The series of a panel, and how many of their values were not finite.
#[derive(Default)]
struct Curves {
    list: Vec<Curve>,
    skipped: usize,
}

impl Curves {
    /// Adds the series `name` of `value` over the epochs.
    fn add(&mut self, name: &str, history: &History, value: impl Fn(&Epoch) -> Option<f64>) {
        let points = history
            .epochs
            .iter()
            .filter_map(|e| {
                let v = value(e)?;
                self.skipped += usize::from(!v.is_finite());
                Some(Some((e.epoch as f64, v)).filter(|_| v.is_finite()))
            })
            .collect();
        self.list.push(Curve { name: name.to_string(), points });
    }

    /// The range of the finite values, (inf, -inf) when there are none.
    fn range(&self) -> (f64, f64) {
        let values = self.list.iter().flat_map(|c| c.points.iter().flatten().map(|p| p.1));
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
    }

    /// The training series of `value` and, when the run measured any, the
    /// validation series of `validation`.
    fn train_and_validation(
        history: &History,
        train: impl Fn(&Epoch) -> Option<f64>,
        validation: impl Fn(&Epoch) -> Option<f64>,
    ) -> Curves {
        let mut curves = Curves::default();
        curves.add("train", history, train);
        if history.epochs.iter().any(|e| validation(e).is_some()) {
            curves.add("validation", history, validation);
        }
        curves
    }
}

/// A panel of `curves` against the epoch, its legend fitted to `height`.
fn panel(
    class: &'static str,
    title: String,
    y_label: &str,
    y_axis: Axis,
    curves: Curves,
    history: &History,
    height: f64,
) -> Panel {
    let last = history.epochs.iter().map(|e| e.epoch).max().unwrap_or(0);
    let entries = curves
        .list
        .iter()
        .enumerate()
        .map(|(i, c)| Entry { label: c.name.clone(), swatch: Swatch::Line { stroke: stroke(i), band: None } })
        .collect();
    let notes = match curves.skipped {
        0 => vec![],
        n => vec![format!("{n} non-finite value{} not drawn", if n == 1 { "" } else { "s" })],
    };
    Panel {
        class,
        title,
        x_label: "epoch".into(),
        y_label: y_label.into(),
        x_axis: Axis::counting(last as f64),
        y_axis,
        height,
        square: false,
        bottom: BOTTOM,
        legend: Legend::fit(entries, notes, height),
        body: Body::Curves(curves.list),
    }
}

/// Training and, with a validation set, validation loss. The y axis is
/// logarithmic when the losses span more than a decade (and are positive).
pub(super) fn loss(history: &History) -> Panel {
    let curves = Curves::train_and_validation(history, |e| Some(e.train_loss), |e| e.val_loss);
    let (lo, hi) = curves.range();
    let y_axis =
        if lo > 0.0 && hi > 10.0 * lo { Axis::log(lo, hi) } else { Axis::new(lo.min(0.0), hi, true) };
    panel("loss", "Loss".into(), "loss, mean ½(ŷ − y)²", y_axis, curves, history, HEIGHT)
}

/// For a classifier: the fraction of samples on the right side of the threshold.
pub(super) fn accuracy(history: &History) -> Option<Panel> {
    let threshold = history.threshold?;
    let curves = Curves::train_and_validation(history, |e| e.train_accuracy, |e| e.val_accuracy);
    let title = format!("Accuracy (class 1 iff ŷ ≥ {})", crate::backend::number(threshold));
    Some(panel("accuracy", title, "accuracy", Axis::new(0.0, 1.0, true), curves, history, HEIGHT))
}

/// One line per learned parameter, with the parameter's name in the legend.
pub(super) fn parameters(history: &History) -> Option<Panel> {
    if history.param_names.is_empty() {
        return None;
    }
    let mut curves = Curves::default();
    for (k, name) in history.param_names.iter().enumerate() {
        curves.add(name, history, |e| e.params.get(k).copied());
    }
    let (lo, hi) = curves.range();
    // Tall enough for the legend's rows at three columns, within limits.
    let rows = curves.list.len().div_ceil(3) + 2;
    let height = (rows as f64 * ROW).clamp(HEIGHT, MAX_HEIGHT);
    Some(panel("parameters", "Parameters".into(), "value", Axis::new(lo, hi, true), curves, history, height))
}

/// The curves as paths (a zero-length piece where a value stands alone, which
/// the round cap draws as a dot), with markers on short runs.
pub(super) fn draw(out: &mut String, curves: &[Curve], p: draw::Rect, x_axis: &Axis, y_axis: &Axis) {
    let px = |x: f64| x_axis.place(x, p.x, p.x + p.w);
    let py = |y: f64| y_axis.place(y, p.y + p.h, p.y);
    out.push_str("<g class=\"data\">\n");
    for (i, c) in curves.iter().enumerate() {
        let pieces = c.points.split(Option::is_none);
        draw::line(
            out,
            &c.name,
            i,
            pieces.map(|piece| piece.iter().flatten().map(|&(x, y)| (px(x), py(y))).collect()),
        );
        if c.points.len() <= MARKERS_UP_TO {
            for &(x, y) in c.points.iter().flatten() {
                let _ = writeln!(
                    out,
                    r#"<circle class="marker" cx="{:.2}" cy="{:.2}" r="2.6" fill="{}"/>"#,
                    px(x),
                    py(y),
                    PALETTE[i % PALETTE.len()]
                );
            }
        }
    }
    out.push_str("</g>\n");
}
