//! Plots: every figure crnc draws goes through [`svg`], so runs, ensembles
//! and later training curves share one look. The SVG is written directly
//! (each part carries a `class`, so tests and users can find the bands, the
//! axes and the legend); PNG is rendered from it by resvg with an embedded
//! DejaVu Sans.

mod axis;
mod table;

use std::fmt::Write;

use quick_xml::escape::escape;

pub use axis::Axis;
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

/// Colour-blind-safe enough and familiar from papers (matplotlib's tab10).
const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
];
/// Past ten series colours repeat, so the line style changes with them.
const DASHES: [&str; 3] = ["", "7 4", "2 3"];
const HEIGHT: f64 = 560.0;
/// The plotting area is never narrower than this; a wide legend widens the figure.
const MIN_PLOT_WIDTH: f64 = 560.0;
const WIDTH: f64 = 900.0;
const MARGIN: f64 = 16.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 56.0;
const FONT: f64 = 13.0;
const TITLE_FONT: f64 = 17.0;
const ROW: f64 = 19.0;
const SWATCH: f64 = 26.0;
/// Legend columns before entries are left out (and a note says how many).
const LEGEND_COLUMNS: usize = 3;
/// Longer names are cut with an ellipsis, so one name cannot squeeze the plot.
const LABEL_CHARS: usize = 28;
/// PNG pixels per SVG unit: sharp in print and on high-density screens.
pub const PNG_SCALE: f32 = 2.0;

/// The width `text` takes in DejaVu Sans at `size` (from its advance widths,
/// in classes; a little generous, so that boxes never cut text).
fn text_width(text: &str, size: f64) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.30,
            'f' | 't' | 'r' | ' ' | '(' | ')' | '[' | ']' | '-' | 'I' => 0.42,
            'm' | 'w' | 'M' | 'W' => 1.0,
            c if c.is_uppercase() => 0.76,
            _ => 0.64,
        })
        .sum();
    em * size
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= LABEL_CHARS {
        return name.to_string();
    }
    name.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
}

/// Where the parts of a figure go, in SVG units.
struct Layout {
    width: f64,
    plot: Rect,
    legend: Rect,
    rows: usize,
    column_width: f64,
    /// Series with a legend entry; any others are drawn, and a note counts them.
    labelled: usize,
    notes: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

const PADDING: f64 = 8.0;

fn layout(figure: &Figure, y_axis: &Axis) -> Layout {
    let tick_width = y_axis.ticks.iter().map(|&t| text_width(&y_axis.label(t), FONT)).fold(0.0, f64::max);
    let left = MARGIN + 1.6 * FONT + tick_width + 12.0;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let rows_beside = |notes: usize| ((plot_height - 2.0 * PADDING) / ROW).floor() as usize - notes;
    let n = figure.series.len();
    let mut notes = figure.notes.clone();
    let mut room = rows_beside(notes.len()).max(1);
    if n > LEGEND_COLUMNS * room {
        room = rows_beside(notes.len() + 1).max(1);
        notes.push(format!("+{} more lines not labelled", n - LEGEND_COLUMNS * room));
    }
    let columns = n.div_ceil(room).clamp(1, LEGEND_COLUMNS);
    let labelled = n.min(columns * room);
    let rows = labelled.div_ceil(columns);
    let label_width =
        figure.series[..labelled].iter().map(|s| text_width(&shorten(&s.name), FONT)).fold(0.0, f64::max);
    let column_width = SWATCH + 8.0 + label_width + 12.0;
    let note_width = notes.iter().map(|t| text_width(t, FONT - 1.0)).fold(0.0, f64::max);
    let legend_w = (columns as f64 * column_width).max(note_width) + 2.0 * PADDING;
    let legend_h = (rows + notes.len()) as f64 * ROW + 2.0 * PADDING;
    let width = WIDTH.max(left + MIN_PLOT_WIDTH + 2.0 * MARGIN + legend_w).ceil();
    let plot = Rect { x: left, y: TOP, w: width - left - 2.0 * MARGIN - legend_w, h: plot_height };
    let legend = Rect { x: plot.x + plot.w + MARGIN, y: TOP, w: legend_w, h: legend_h };
    Layout { width, plot, legend, rows, column_width, labelled, notes }
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
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{HEIGHT:.0}" viewBox="0 0 {w:.0} {HEIGHT:.0}" font-family="DejaVu Sans, sans-serif" font-size="{FONT}">
<rect class="background" width="100%" height="100%" fill="white"/>
<text class="title" x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="{TITLE_FONT}">{title}</text>
<defs><clipPath id="plot-clip"><rect x="{x:.1}" y="{y:.1}" width="{pw:.1}" height="{ph:.1}"/></clipPath></defs>
"##,
        w = l.width,
        cx = l.width / 2.0,
        ty = MARGIN + TITLE_FONT,
        title = escape(figure.title.as_str()),
        x = p.x,
        y = p.y,
        pw = p.w,
        ph = p.h,
    );
    out.push_str("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
    for &t in &x_axis.ticks {
        let _ = writeln!(
            out,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/>"#,
            p.y,
            p.y + p.h,
            x = px(t)
        );
    }
    for &t in &y_axis.ticks {
        let _ = writeln!(
            out,
            r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/>"#,
            p.x,
            p.x + p.w,
            y = py(t)
        );
    }
    out.push_str("</g>\n<g class=\"data\" clip-path=\"url(#plot-clip)\">\n");
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
        let mut points = String::new();
        for &(x, y) in s.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
            let _ = write!(points, "{:.2},{:.2} ", px(x), py(y));
        }
        let _ = writeln!(
            out,
            r#"<polyline class="line" data-series="{}" points="{}" {}/>"#,
            escape(s.name.as_str()),
            points.trim_end(),
            stroke(i)
        );
    }
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        r##"<rect class="plot-area" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#333" stroke-width="1"/>"##,
        p.x, p.y, p.w, p.h
    );
    axes(&mut out, figure, p, &x_axis, &y_axis);
    legend(&mut out, figure, &l);
    out.push_str("</svg>\n");
    out
}

/// Ticks, tick labels and axis labels around the plotting area `p`.
fn axes(out: &mut String, figure: &Figure, p: Rect, x_axis: &Axis, y_axis: &Axis) {
    out.push_str("<g class=\"axis x\" text-anchor=\"middle\">\n");
    for &t in &x_axis.ticks {
        let (x, y) = (x_axis.place(t, p.x, p.x + p.w), p.y + p.h);
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333"/><text x="{x:.1}" y="{:.1}">{}</text>"##,
            y + 5.0,
            y + 7.0 + FONT,
            x_axis.label(t)
        );
    }
    out.push_str("</g>\n<g class=\"axis y\" text-anchor=\"end\">\n");
    for &t in &y_axis.ticks {
        let (x, y) = (p.x, y_axis.place(t, p.y + p.h, p.y));
        let _ = writeln!(
            out,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{x:.1}" y2="{y:.1}" stroke="#333"/><text x="{:.1}" y="{:.1}">{}</text>"##,
            x - 5.0,
            x - 8.0,
            y + FONT * 0.35,
            y_axis.label(t)
        );
    }
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        r#"<text class="axis-label x-label" x="{:.1}" y="{:.1}" text-anchor="middle" font-size="{}">{}{}</text>"#,
        p.x + p.w / 2.0,
        p.y + p.h + 2.0 * FONT + 16.0,
        FONT + 1.0,
        escape(figure.x_label.as_str()),
        x_axis.scale_suffix()
    );
    let (lx, ly) = (MARGIN + FONT, p.y + p.h / 2.0);
    let _ = writeln!(
        out,
        r#"<text class="axis-label y-label" x="{lx:.1}" y="{ly:.1}" transform="rotate(-90 {lx:.1} {ly:.1})" text-anchor="middle" font-size="{}">{}{}</text>"#,
        FONT + 1.0,
        escape(figure.y_label.as_str()),
        y_axis.scale_suffix()
    );
}

fn stroke(i: usize) -> String {
    let dash = DASHES[(i / PALETTE.len()) % DASHES.len()];
    let dash = if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) };
    format!(
        r#"fill="none" stroke="{}" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round"{dash}"#,
        PALETTE[i % PALETTE.len()]
    )
}

fn legend(out: &mut String, figure: &Figure, l: &Layout) {
    let b = l.legend;
    let _ = writeln!(
        out,
        r##"<g class="legend">
<rect class="legend-box" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="white" stroke="#999" stroke-width="1"/>"##,
        b.x, b.y, b.w, b.h
    );
    for (i, s) in figure.series[..l.labelled].iter().enumerate() {
        let x = b.x + PADDING + (i / l.rows) as f64 * l.column_width;
        let y = b.y + PADDING + (i % l.rows) as f64 * ROW + ROW / 2.0;
        if s.band.is_some() {
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="{SWATCH}" height="10" fill="{}" fill-opacity="0.22"/>"#,
                y - 5.0,
                PALETTE[i % PALETTE.len()]
            );
        }
        let _ = writeln!(
            out,
            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" {}/><text class="legend-entry" x="{:.1}" y="{:.1}">{}</text>"#,
            x + SWATCH,
            stroke(i),
            x + SWATCH + 8.0,
            y + FONT * 0.35,
            escape(shorten(&s.name).as_str())
        );
    }
    for (k, note) in l.notes.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<text class="legend-note" x="{:.1}" y="{:.1}" fill="#555" font-size="{}">{}</text>"##,
            b.x + PADDING,
            b.y + PADDING + (l.rows + k) as f64 * ROW + ROW / 2.0 + FONT * 0.35,
            FONT - 1.0,
            escape(note.as_str())
        );
    }
    out.push_str("</g>\n");
}

/// The figure rendered to PNG at [`PNG_SCALE`], with DejaVu Sans embedded so
/// that labels render on machines without system fonts.
pub fn png(figure: &Figure) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let svg = svg(figure);
    let mut options = usvg::Options::default();
    let fonts = std::sync::Arc::make_mut(&mut options.fontdb);
    fonts.load_font_data(dejavu::sans::regular().to_vec());
    fonts.set_sans_serif_family("DejaVu Sans");
    options.font_family = "DejaVu Sans".to_string();
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size().scale_by(PNG_SCALE).ok_or("the plot has no area")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("the plot has no area")?;
    let scale = tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE);
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| e.to_string())
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
