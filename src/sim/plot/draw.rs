//! The pieces every figure is drawn from, so that run plots and training
//! figures share one look: sizes and colours, text widths, a plotting area's
//! grid, frame and axes, the legend beside it, and PNG rendering.

use std::fmt::Write;

use quick_xml::escape::escape;

use super::Axis;

/// Colour-blind-safe enough and familiar from papers (matplotlib's tab10).
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
];
/// Past ten series colours repeat, so the line style changes with them.
const DASHES: [&str; 3] = ["", "7 4", "2 3"];
/// The width a figure has at least; a wide legend widens it.
pub const WIDTH: f64 = 900.0;
pub const MARGIN: f64 = 16.0;
pub const FONT: f64 = 13.0;
pub const TITLE_FONT: f64 = 17.0;
/// The height of one legend line.
pub const ROW: f64 = 19.0;
const SWATCH: f64 = 26.0;
/// Inside the legend box, around its entries.
const PADDING: f64 = 8.0;
/// Legend columns before entries are left out (and a note says how many).
const LEGEND_COLUMNS: usize = 3;
/// Longer names are cut with an ellipsis, so one name cannot squeeze the plot.
const LABEL_CHARS: usize = 28;
/// PNG pixels per SVG unit: sharp in print and on high-density screens.
pub const PNG_SCALE: f32 = 2.0;

/// A box in SVG units.
#[derive(Clone, Copy, Debug)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The width `text` takes in DejaVu Sans at `size` (from its advance widths,
/// in classes; a little generous, so that boxes never cut text).
pub fn text_width(text: &str, size: f64) -> f64 {
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

/// The stroke attributes of the `i`th series: its colour, and a dash once
/// the colours repeat.
pub fn stroke(i: usize) -> String {
    let dash = DASHES[(i / PALETTE.len()) % DASHES.len()];
    let dash = if dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{dash}""#) };
    format!(
        r#"fill="none" stroke="{}" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round"{dash}"#,
        PALETTE[i % PALETTE.len()]
    )
}

/// The `i`th series, `name`, as one path through `pieces` of pixel points:
/// the line breaks between pieces, and a piece of one point gets a
/// zero-length segment, which the round cap draws as a dot.
pub fn line(out: &mut String, name: &str, i: usize, pieces: impl IntoIterator<Item = Vec<(f64, f64)>>) {
    let mut d = String::new();
    for piece in pieces {
        for (k, (x, y)) in piece.iter().enumerate() {
            let _ = write!(d, "{}{x:.2} {y:.2} ", if k == 0 { 'M' } else { 'L' });
        }
        if let [(x, y)] = piece[..] {
            let _ = write!(d, "L{x:.2} {y:.2} ");
        }
    }
    let _ = writeln!(
        out,
        r#"<path class="line" data-series="{}" d="{}" {}/>"#,
        escape(name),
        d.trim_end(),
        stroke(i)
    );
}

/// The space left of a plotting area for `axis`'s tick labels and the
/// rotated axis label.
pub fn left_of_plot(axis: &Axis) -> f64 {
    let tick_width = axis.ticks.iter().map(|&t| text_width(&axis.label(t), FONT)).fold(0.0, f64::max);
    MARGIN + 1.6 * FONT + tick_width + 12.0
}

/// The opening of an SVG document of this size: the white background and
/// the title centred on top.
pub fn open(out: &mut String, width: f64, height: f64, title: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans, sans-serif" font-size="{FONT}">
<rect class="background" width="100%" height="100%" fill="white"/>
<text class="title" x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="{TITLE_FONT}">{title}</text>
"##,
        cx = width / 2.0,
        ty = MARGIN + TITLE_FONT,
        title = escape(title),
    );
}

/// A clip path `id` to the plotting area `p`.
pub fn clip(out: &mut String, id: &str, p: Rect) {
    let _ = writeln!(
        out,
        r#"<defs><clipPath id="{id}"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/></clipPath></defs>"#,
        p.x, p.y, p.w, p.h
    );
}

/// Light lines at every tick across the plotting area `p`.
pub fn grid(out: &mut String, p: Rect, x_axis: &Axis, y_axis: &Axis) {
    out.push_str("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
    for &t in &x_axis.ticks {
        let x = x_axis.place(t, p.x, p.x + p.w);
        let _ = writeln!(out, r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/>"#, p.y, p.y + p.h);
    }
    for &t in &y_axis.ticks {
        let y = y_axis.place(t, p.y + p.h, p.y);
        let _ = writeln!(out, r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/>"#, p.x, p.x + p.w);
    }
    out.push_str("</g>\n");
}

/// The frame around the plotting area `p`.
pub fn frame(out: &mut String, p: Rect) {
    let _ = writeln!(
        out,
        r##"<rect class="plot-area" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#333" stroke-width="1"/>"##,
        p.x, p.y, p.w, p.h
    );
}

/// Ticks, tick labels and axis labels around the plotting area `p`.
pub fn axes(out: &mut String, p: Rect, x_axis: &Axis, y_axis: &Axis, x_label: &str, y_label: &str) {
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
        escape(x_label),
        x_axis.scale_suffix()
    );
    let (lx, ly) = (MARGIN + FONT, p.y + p.h / 2.0);
    let _ = writeln!(
        out,
        r#"<text class="axis-label y-label" x="{lx:.1}" y="{ly:.1}" transform="rotate(-90 {lx:.1} {ly:.1})" text-anchor="middle" font-size="{}">{}{}</text>"#,
        FONT + 1.0,
        escape(y_label),
        y_axis.scale_suffix()
    );
}

/// A marker's shape; point sets are told apart by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Diamond,
}

/// A marker centred at (`x`, `y`): filled in `colour`, or hollow with a
/// thicker outline in it.
pub fn marker(shape: Shape, x: f64, y: f64, colour: &str, filled: bool, class: &str) -> String {
    let paint = if filled {
        format!(r##"fill="{colour}" stroke="#222" stroke-width="0.8""##)
    } else {
        format!(r#"fill="white" stroke="{colour}" stroke-width="2""#)
    };
    let r = 4.5;
    match shape {
        Shape::Circle => format!(r#"<circle class="{class}" cx="{x:.2}" cy="{y:.2}" r="{r}" {paint}/>"#),
        Shape::Square => format!(
            r#"<rect class="{class}" x="{:.2}" y="{:.2}" width="{}" height="{}" {paint}/>"#,
            x - r * 0.9,
            y - r * 0.9,
            1.8 * r,
            1.8 * r
        ),
        Shape::Diamond => format!(
            r#"<path class="{class}" d="M{x:.2} {:.2} L{:.2} {y:.2} L{x:.2} {:.2} L{:.2} {y:.2} Z" {paint}/>"#,
            y - 1.25 * r,
            x + 1.25 * r,
            y + 1.25 * r,
            x - 1.25 * r
        ),
    }
}

/// What a legend entry shows left of its label.
#[derive(Clone, Debug, PartialEq)]
pub enum Swatch {
    /// A line with these stroke attributes, over a band in `band`'s colour.
    Line {
        stroke: String,
        band: Option<&'static str>,
    },
    /// A shaded area in this colour.
    Area {
        colour: &'static str,
    },
    Marker {
        shape: Shape,
        colour: &'static str,
        filled: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub label: String,
    pub swatch: Swatch,
}

/// A legend fitted beside a plotting area: as many columns as it needs up to
/// [`LEGEND_COLUMNS`], then the entries that do not fit are counted in a note.
pub struct Legend {
    entries: Vec<Entry>,
    notes: Vec<String>,
    rows: usize,
    column_width: f64,
    pub w: f64,
    pub h: f64,
}

impl Legend {
    /// The legend of `entries` and `notes` (lines under the entries) that
    /// fits in `height`.
    pub fn fit(mut entries: Vec<Entry>, mut notes: Vec<String>, height: f64) -> Legend {
        let rows_beside =
            |notes: usize| (((height - 2.0 * PADDING) / ROW).floor() as usize).saturating_sub(notes);
        let n = entries.len();
        let mut room = rows_beside(notes.len()).max(1);
        if n > LEGEND_COLUMNS * room {
            room = rows_beside(notes.len() + 1).max(1);
            notes.push(format!("+{} more lines not labelled", n - LEGEND_COLUMNS * room));
        }
        let columns = n.div_ceil(room).clamp(1, LEGEND_COLUMNS);
        entries.truncate(n.min(columns * room));
        let rows = entries.len().div_ceil(columns);
        let label_width = entries.iter().map(|e| text_width(&shorten(&e.label), FONT)).fold(0.0, f64::max);
        let column_width = SWATCH + 8.0 + label_width + 12.0;
        let note_width = notes.iter().map(|t| text_width(t, FONT - 1.0)).fold(0.0, f64::max);
        let w = (columns as f64 * column_width).max(note_width) + 2.0 * PADDING;
        let h = (rows + notes.len()) as f64 * ROW + 2.0 * PADDING;
        Legend { entries, notes, rows, column_width, w, h }
    }

    /// The legend with its top left corner at (`x`, `y`).
    pub fn draw(&self, out: &mut String, x: f64, y: f64) {
        let _ = writeln!(
            out,
            r##"<g class="legend">
<rect class="legend-box" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="white" stroke="#999" stroke-width="1"/>"##,
            self.w, self.h
        );
        for (i, e) in self.entries.iter().enumerate() {
            let x = x + PADDING + (i / self.rows) as f64 * self.column_width;
            let y = y + PADDING + (i % self.rows) as f64 * ROW + ROW / 2.0;
            match &e.swatch {
                Swatch::Line { stroke, band } => {
                    if let Some(colour) = band {
                        let _ = write!(
                            out,
                            r#"<rect x="{x:.1}" y="{:.1}" width="{SWATCH}" height="10" fill="{colour}" fill-opacity="0.22"/>"#,
                            y - 5.0
                        );
                    }
                    let _ = write!(
                        out,
                        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" {stroke}/>"#,
                        x + SWATCH
                    );
                }
                Swatch::Area { colour } => {
                    let _ = write!(
                        out,
                        r##"<rect x="{x:.1}" y="{:.1}" width="{SWATCH}" height="12" fill="{colour}" stroke="#999" stroke-width="0.5"/>"##,
                        y - 6.0
                    );
                }
                Swatch::Marker { shape, colour, filled } => {
                    out.push_str(&marker(*shape, x + SWATCH / 2.0, y, colour, *filled, "legend-marker"));
                }
            }
            let _ = writeln!(
                out,
                r#"<text class="legend-entry" x="{:.1}" y="{:.1}">{}</text>"#,
                x + SWATCH + 8.0,
                y + FONT * 0.35,
                escape(shorten(&e.label).as_str())
            );
        }
        for (k, note) in self.notes.iter().enumerate() {
            let _ = writeln!(
                out,
                r##"<text class="legend-note" x="{:.1}" y="{:.1}" fill="#555" font-size="{}">{}</text>"##,
                x + PADDING,
                y + PADDING + (self.rows + k) as f64 * ROW + ROW / 2.0 + FONT * 0.35,
                FONT - 1.0,
                escape(note.as_str())
            );
        }
        out.push_str("</g>\n");
    }
}

/// An SVG document rendered to PNG at [`PNG_SCALE`], with DejaVu Sans
/// embedded so that labels render on machines without system fonts.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let mut options = usvg::Options::default();
    let fonts = std::sync::Arc::make_mut(&mut options.fontdb);
    fonts.load_font_data(dejavu::sans::regular().to_vec());
    fonts.set_sans_serif_family("DejaVu Sans");
    options.font_family = "DejaVu Sans".to_string();
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size().scale_by(PNG_SCALE).ok_or("the plot has no area")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("the plot has no area")?;
    let scale = tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE);
    resvg::render(&tree, scale, &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| e.to_string())
}
