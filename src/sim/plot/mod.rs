//! Plots: the figure of a run or an ensemble ([`svg`]: lines with optional
//! bands). It is drawn from the pieces in [`draw`], which the training
//! figure (`crate::learn::plot`) shares, so every figure crnc draws has one
//! look. The SVG is written directly (each part carries a `class`, so tests
//! and users can find the bands, the axes and the legend); PNG is rendered
//! from it by resvg with an embedded DejaVu Sans.

mod axis;
pub(crate) mod draw;
pub(crate) mod panels;
mod table;

use std::fmt::Write;

use quick_xml::escape::escape;

pub use axis::Axis;
pub use draw::PNG_SCALE;
use draw::{Entry, Legend, MARGIN, PALETTE, Rect, Swatch, WIDTH, stroke};
pub use table::{DEFAULT_SERIES, Selection, Unit, entry_species, of_run, select};

/// A figure: lines against a common x axis, each with an optional shaded band.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Lines under the legend's entries: what the bands mean, what was left out.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// (x, low, high) of a band drawn behind the line in its colour.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

const HEIGHT: f64 = 560.0;
/// The plotting area is never narrower than this; a wide legend widens the figure.
const MIN_PLOT_WIDTH: f64 = 560.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 56.0;

/// Where the parts of a figure go, in SVG units.
struct Layout {
    width: f64,
    plot: Rect,
    legend: Legend,
}

fn layout(figure: &Figure, y_axis: &Axis) -> Layout {
    let left = draw::left_of_plot(y_axis);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let entries = figure
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| Entry {
            label: s.name.clone(),
            swatch: Swatch::Line {
                stroke: stroke(i),
                band: s.band.as_ref().map(|_| PALETTE[i % PALETTE.len()]),
            },
        })
        .collect();
    let legend = Legend::fit(entries, figure.notes.clone(), plot_height);
    let width = WIDTH.max(left + MIN_PLOT_WIDTH + 2.0 * MARGIN + legend.w).ceil();
    let plot = Rect { x: left, y: TOP, w: width - left - 2.0 * MARGIN - legend.w, h: plot_height };
    Layout { width, plot, legend }
}

/// The figure as an SVG document.
pub fn svg(figure: &Figure) -> String {
    let finite = |v: &f64| v.is_finite();
    let xs = figure.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).filter(finite);
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let x_axis = Axis::new(x_lo.min(0.0), x_hi, false);
    // Bands widen the range upwards only: values are non-negative, so a band
    // reaching below zero is cut at the axis rather than stretching it.
    let lines = figure.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let highs = figure.series.iter().flat_map(|s| s.band.iter().flatten().map(|b| b.2));
    let (y_lo, y_hi) =
        lines.chain(highs).filter(finite).fold((0.0f64, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    let y_axis = Axis::new(y_lo, y_hi, true);
    let l = layout(figure, &y_axis);
    let p = l.plot;
    let px = |x: f64| x_axis.place(x, p.x, p.x + p.w);
    let py = |y: f64| y_axis.place(y, p.y + p.h, p.y);

    let mut out =
        String::with_capacity(4096 + figure.series.iter().map(|s| s.points.len() * 40).sum::<usize>());
    draw::open(&mut out, l.width, HEIGHT, &figure.title);
    draw::clip(&mut out, "plot-clip", p);
    draw::grid(&mut out, p, &x_axis, &y_axis);
    out.push_str("<g class=\"data\" clip-path=\"url(#plot-clip)\">\n");
    for (i, s) in figure.series.iter().enumerate() {
        let Some(band) = &s.band else { continue };
        let band: Vec<_> =
            band.iter().filter(|b| b.0.is_finite() && b.1.is_finite() && b.2.is_finite()).collect();
        let mut d = String::new();
        let edge = band.iter().map(|b| (b.0, b.2)).chain(band.iter().rev().map(|b| (b.0, b.1)));
        for (k, (x, y)) in edge.enumerate() {
            let _ = write!(d, "{}{:.2} {:.2} ", if k == 0 { 'M' } else { 'L' }, px(x), py(y));
        }
        d.push('Z');
        let _ = writeln!(
            out,
            r#"<path class="band" data-series="{}" d="{d}" fill="{}" fill-opacity="0.22" stroke="none"/>"#,
            escape(s.name.as_str()),
            PALETTE[i % PALETTE.len()]
        );
    }
    for (i, s) in figure.series.iter().enumerate() {
        let finite = s.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite());
        draw::line(&mut out, &s.name, i, [finite.map(|&(x, y)| (px(x), py(y))).collect()]);
    }
    out.push_str("</g>\n");
    draw::frame(&mut out, p);
    draw::axes(&mut out, p, &x_axis, &y_axis, &figure.x_label, &figure.y_label);
    l.legend.draw(&mut out, p.x + p.w + MARGIN, TOP);
    out.push_str("</svg>\n");
    out
}

/// The figure rendered to PNG at [`PNG_SCALE`], with DejaVu Sans embedded so
/// that labels render on machines without system fonts.
pub fn png(figure: &Figure) -> Result<Vec<u8>, String> {
    draw::png(&svg(figure))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(n: usize, name: impl Fn(usize) -> String) -> Figure {
        let series = (0..n)
            .map(|i| Series {
                name: name(i),
                points: (0..=10).map(|t| (t as f64, (i * t) as f64)).collect(),
                band: None,
            })
            .collect();
        Figure { title: "T".into(), x_label: "time".into(), y_label: "amount".into(), series, notes: vec![] }
    }

    fn rect(doc: &roxmltree::Document, class: &str) -> [f64; 4] {
        let node = doc.descendants().find(|n| n.attribute("class") == Some(class)).expect(class);
        ["x", "y", "width", "height"].map(|a| node.attribute(a).unwrap().parse().unwrap())
    }

    #[test]
    fn any_number_of_series_gets_a_legend_inside_the_figure_and_beside_the_plot() {
        for n in [0, 1, 8, 12, 30, 75, 200] {
            for long in [false, true] {
                let svg = svg(&figure(n, |i| {
                    if long { format!("a_rather_long_species_name_{i}") } else { format!("x{i}") }
                }));
                let doc = roxmltree::Document::parse(&svg).unwrap();
                let root = doc.root_element();
                let width: f64 = root.attribute("width").unwrap().parse().unwrap();
                let height: f64 = root.attribute("height").unwrap().parse().unwrap();
                let [px, py, pw, ph] = rect(&doc, "plot-area");
                let [lx, ly, lw, lh] = rect(&doc, "legend-box");
                assert!(lx >= px + pw, "n = {n}: the legend starts right of the plot");
                assert!(lx + lw <= width && ly >= 0.0 && ly + lh <= height, "n = {n}: the legend fits");
                assert!(pw >= MIN_PLOT_WIDTH && ph > 0.0 && py >= 0.0, "n = {n}: the plot keeps its size");
                let entries =
                    doc.descendants().filter(|e| e.attribute("class") == Some("legend-entry")).count();
                let unlabelled: usize = doc
                    .descendants()
                    .filter(|e| e.attribute("class") == Some("legend-note"))
                    .filter_map(|e| e.text()?.strip_prefix('+')?.split(' ').next()?.parse::<usize>().ok())
                    .sum();
                assert_eq!(entries + unlabelled, n, "n = {n}: every line is labelled or counted");
                let lines = doc.descendants().filter(|e| e.attribute("class") == Some("line")).count();
                assert_eq!(lines, n, "every series is drawn");
            }
        }
    }

    #[test]
    fn names_and_titles_are_escaped() {
        let mut f = figure(1, |_| "a<b & \"c\"".to_string());
        f.title = "<T> & co".into();
        let doc_text = svg(&f);
        let doc = roxmltree::Document::parse(&doc_text).expect("well-formed");
        let entry = doc.descendants().find(|e| e.attribute("class") == Some("legend-entry")).unwrap();
        assert_eq!(entry.text(), Some("a<b & \"c\""));
        let line = doc.descendants().find(|e| e.attribute("class") == Some("line")).unwrap();
        assert_eq!(line.attribute("data-series"), Some("a<b & \"c\""));
    }
}
