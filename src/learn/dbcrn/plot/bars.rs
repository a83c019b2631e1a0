//! The learned law against the target's as grouped bars, one group per
//! state of the visible species (a count vector, labelled "(0, 1)", or "7"
//! for one species), in state order.
//!
//! A law over many states (A3: a Poisson over about 200 counts) shows only
//! its [`MAX_STATES`] likeliest, by the larger of the two probabilities, and
//! a note says how many states and how much mass were left out: the bars
//! stay wide enough to compare where the mass is, which lines over every
//! state would not make easier, and every law is drawn the same way.

use std::collections::BTreeMap;
use std::fmt::Write;

use quick_xml::escape::escape;

use super::{Body, Panel, short};
use crate::learn::dbcrn::report::Report;
use crate::sim::plot::Axis;
use crate::sim::plot::draw::{self, Entry, FONT, Legend, PALETTE, Rect, Swatch, text_width};
use crate::sim::plot::panels::{BOTTOM, MIN_PLOT_WIDTH};

/// States shown at most: at 560 pixels, bars about 7 pixels wide.
pub(super) const MAX_STATES: usize = 30;
const HEIGHT: f64 = 240.0;
const LEARNED: &str = PALETTE[0];
const TARGET: &str = PALETTE[1];
/// Of a state's slot, the part its bars take (the rest separates groups).
const FILL: f64 = 0.8;

pub(super) struct Bars {
    states: Vec<State>,
    /// Labels too wide for their slot are written downwards.
    vertical: bool,
}

struct State {
    label: String,
    learned: f64,
    /// `None` when the report has no target law.
    target: Option<f64>,
}

/// "7" for one species, "(0, 1)" for several.
fn label(counts: &[i64]) -> String {
    match counts {
        [n] => n.to_string(),
        _ => format!("({})", counts.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// The panel of `report`'s learned and target laws.
pub(super) fn panel(report: &Report) -> Panel {
    let mut law: BTreeMap<Vec<i64>, (f64, f64)> = BTreeMap::new();
    for (state, p) in report.learned.iter() {
        law.entry(state.to_vec()).or_default().0 += p;
    }
    for (state, p) in report.target.iter().flat_map(|t| t.iter()) {
        law.entry(state.to_vec()).or_default().1 += p;
    }
    let mut shown: Vec<(Vec<i64>, (f64, f64))> = law.into_iter().collect();
    let mut notes: Vec<String> =
        report.kl_nats.map(|kl| format!("KL(target ‖ learned) = {} nats", short(kl))).into_iter().collect();
    if shown.len() > MAX_STATES {
        shown.sort_by(|a, b| (b.1.0.max(b.1.1)).total_cmp(&a.1.0.max(a.1.1)));
        let left_out = shown.split_off(MAX_STATES);
        let mass = |pick: fn(&(f64, f64)) -> f64| left_out.iter().map(|s| pick(&s.1)).sum::<f64>();
        notes.push(format!("{} unlikelier states not shown,", left_out.len()));
        notes.push(match report.target {
            Some(_) => format!("holding learned {}, target {}", short(mass(|m| m.0)), short(mass(|m| m.1))),
            None => format!("holding {}", short(mass(|m| m.0))),
        });
        shown.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let has_target = report.target.is_some();
    let states: Vec<State> = shown
        .iter()
        .map(|(counts, (learned, target))| State {
            label: label(counts),
            learned: *learned,
            target: has_target.then_some(*target),
        })
        .collect();
    let widest = states.iter().map(|s| text_width(&s.label, FONT)).fold(0.0, f64::max);
    // The plotting area is at least MIN_PLOT_WIDTH wide.
    let vertical = widest + 4.0 > MIN_PLOT_WIDTH / states.len().max(1) as f64;
    let highest = states.iter().map(|s| s.learned.max(s.target.unwrap_or(0.0))).fold(0.0, f64::max);
    let mut x_axis = Axis::new(0.0, states.len() as f64, false);
    // The states are labelled under their bars, not at numeric ticks.
    x_axis.ticks.clear();
    let mut entries = vec![Entry { label: "learned".into(), swatch: Swatch::Area { colour: LEARNED } }];
    if has_target {
        entries.push(Entry { label: "target".into(), swatch: Swatch::Area { colour: TARGET } });
    }
    let title = match report.target {
        Some(_) => format!("Stationary law of ({}): learned against target", report.visible.join(", ")),
        None => format!("Stationary law of ({}) learned", report.visible.join(", ")),
    };
    Panel {
        class: "distribution",
        title,
        x_label: String::new(),
        y_label: "probability".into(),
        x_axis,
        y_axis: Axis::new(0.0, highest, true),
        height: HEIGHT,
        square: false,
        bottom: if vertical { widest + 24.0 } else { BOTTOM },
        legend: Legend::fit(entries, notes, HEIGHT),
        body: Body::Bars(Bars { states, vertical }),
    }
}

/// The bars in the plotting area `p`, over the y axis's grid, and each
/// state's label under its group.
pub(super) fn draw(out: &mut String, bars: &Bars, p: Rect, x_axis: &Axis, y_axis: &Axis) {
    draw::grid(out, p, x_axis, y_axis);
    let py = |v: f64| y_axis.place(v, p.y + p.h, p.y);
    let slot = p.w / bars.states.len().max(1) as f64;
    let per_state = if bars.states.iter().any(|s| s.target.is_some()) { 2.0 } else { 1.0 };
    let width = slot * FILL / per_state;
    out.push_str("<g class=\"data\">\n");
    for (k, state) in bars.states.iter().enumerate() {
        let left = p.x + k as f64 * slot + slot * (1.0 - FILL) / 2.0;
        let values = [("learned", LEARNED, Some(state.learned)), ("target", TARGET, state.target)];
        for (j, (class, colour, p)) in values.into_iter().enumerate() {
            let Some(p) = p else { continue };
            let _ = writeln!(
                out,
                r#"<rect class="bar {class}" data-state="{}" x="{:.2}" y="{:.2}" width="{width:.2}" height="{:.2}" fill="{colour}"/>"#,
                escape(state.label.as_str()),
                left + j as f64 * width,
                py(p),
                py(0.0) - py(p)
            );
        }
    }
    out.push_str("</g>\n<g class=\"state-labels\">\n");
    for (k, state) in bars.states.iter().enumerate() {
        let x = p.x + (k as f64 + 0.5) * slot;
        let y = p.y + p.h;
        let _ = if bars.vertical {
            // Turned a quarter anticlockwise the glyphs stand left of the
            // baseline, so it moves right to centre them under the group.
            let (x, y) = (x + FONT * 0.35, y + 8.0);
            writeln!(
                out,
                r#"<text class="state-label" x="{x:.1}" y="{y:.1}" text-anchor="end" transform="rotate(-90 {x:.1} {y:.1})">{}</text>"#,
                escape(state.label.as_str())
            )
        } else {
            writeln!(
                out,
                r#"<text class="state-label" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                y + 7.0 + FONT,
                escape(state.label.as_str())
            )
        };
    }
    out.push_str("</g>\n");
}
