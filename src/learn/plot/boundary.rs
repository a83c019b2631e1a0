//! The decision panel of a two-input classifier: where the model says class 1
//! (ŷ ≥ threshold, shaded), the contour ŷ = threshold, and the data over it,
//! coloured by the target's class and filled where the model is right.
//!
//! The region and the contour come from one marching-squares pass over the
//! caller's grid of predictions, cell by cell, so the shading ends exactly on
//! the line: each cell's part above the threshold is its corners at or above
//! it plus the points where ŷ crosses the threshold on its edges (linearly
//! interpolated), and the contour joins those crossing points. Saddle cells
//! (an XOR's middle) are resolved by the value at their centre.

use std::fmt::Write;

use super::{Body, Panel};
use crate::backend::number;
use crate::learn::data::Dataset;
use crate::sim::plot::Axis;
use crate::sim::plot::draw::{self, Entry, Legend, PALETTE, Rect, Shape, Swatch};
use crate::sim::plot::panels::BOTTOM;

/// The model's decision over two inputs, with the data to show on it.
pub struct Boundary<'a> {
    /// The model's prediction ŷ on the grid, made by the caller.
    pub grid: Grid,
    /// Class 1 iff ŷ ≥ threshold (also for the targets).
    pub threshold: f64,
    /// The points to draw over the region: the training set and, optionally,
    /// more (a test set), each with its own marker shape.
    pub points: Vec<PointSet<'a>>,
    /// The names of the two inputs: the x and the y axis.
    pub input_names: [String; 2],
}

/// A data set of two inputs and the model's prediction for each sample.
pub struct PointSet<'a> {
    pub name: &'a str,
    pub data: &'a Dataset,
    /// ŷ of each sample, in the data set's order.
    pub predictions: Vec<f64>,
}

/// ŷ at the points of a grid over two inputs: `values[i * x1.len() + j]` is
/// ŷ at (`x0[i]`, `x1[j]`) (row-major, x0 outer). Both axes ascend.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub x0: Vec<f64>,
    pub x1: Vec<f64>,
    pub values: Vec<f64>,
}

/// The margin a covering grid leaves around the data, as a fraction of its range.
const MARGIN_FRACTION: f64 = 0.1;

impl Grid {
    /// A `k`×`k` grid (k at least 2) covering the inputs of `data` (two each)
    /// with a margin, without values: the caller evaluates the model at
    /// [`Grid::inputs`] and fills them in.
    pub fn covering(data: &[&Dataset], k: usize) -> Grid {
        let k = k.max(2);
        let axis = |d: usize| {
            let values =
                data.iter().flat_map(|set| set.samples().map(move |(x, _)| x[d])).filter(|v| v.is_finite());
            let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
            let (lo, hi) = match (lo.is_finite(), hi > lo) {
                (false, _) => (0.0, 1.0),
                (true, false) => (lo - 0.5, hi + 0.5),
                (true, true) => (lo - MARGIN_FRACTION * (hi - lo), hi + MARGIN_FRACTION * (hi - lo)),
            };
            (0..k).map(|i| lo + (hi - lo) * i as f64 / (k - 1) as f64).collect()
        };
        Grid { x0: axis(0), x1: axis(1), values: Vec::new() }
    }

    /// The grid's points in the order of `values`.
    pub fn inputs(&self) -> impl Iterator<Item = [f64; 2]> + '_ {
        self.x0.iter().flat_map(|&a| self.x1.iter().map(move |&b| [a, b]))
    }

    fn value(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.x1.len() + j]
    }
}

/// The region ŷ ≥ threshold and its contour, in data coordinates.
#[derive(Debug, Default)]
struct Region {
    /// Together they cover the region: whole runs of cells inside it, and
    /// the inside part of each cell the contour crosses.
    polygons: Vec<Vec<(f64, f64)>>,
    contour: Vec<[(f64, f64); 2]>,
    /// Cells with a corner where ŷ is not finite.
    undefined: Vec<Vec<(f64, f64)>>,
}

fn region(grid: &Grid, threshold: f64) -> Region {
    let (n0, n1) = (grid.x0.len(), grid.x1.len());
    let mut region = Region::default();
    let column = |i: usize, from: usize, to: usize| {
        vec![
            (grid.x0[i], grid.x1[from]),
            (grid.x0[i + 1], grid.x1[from]),
            (grid.x0[i + 1], grid.x1[to]),
            (grid.x0[i], grid.x1[to]),
        ]
    };
    for i in 0..n0.saturating_sub(1) {
        // Cells wholly inside are merged up the column into one rectangle.
        let mut run: Option<usize> = None;
        for j in 0..n1.saturating_sub(1) {
            let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let values = corners.map(|(a, b)| grid.value(a, b));
            if values.iter().all(|&v| v >= threshold && v.is_finite()) {
                run.get_or_insert(j);
                continue;
            }
            if let Some(start) = run.take() {
                region.polygons.push(column(i, start, j));
            }
            if values.iter().any(|v| !v.is_finite()) {
                region.undefined.push(column(i, j, j + 1));
                continue;
            }
            cell(corners.map(|(a, b)| (grid.x0[a], grid.x1[b])), values, threshold, &mut region);
        }
        if let Some(start) = run {
            region.polygons.push(column(i, start, n1 - 1));
        }
    }
    region
}

/// The inside part of one cell (corners in order around it) and the contour
/// pieces through it. Walking round the cell, each crossing from inside to
/// outside is joined to the next crossing back in. In a saddle (opposite
/// corners inside) the mean of the corners, the bilinear value at the
/// middle, decides: at or above the threshold the walk joins the two inside
/// corners through the middle; below it each inside corner is cut off alone.
fn cell(points: [(f64, f64); 4], values: [f64; 4], threshold: f64, region: &mut Region) {
    let inside = values.map(|v| v >= threshold);
    if !inside.contains(&true) {
        return;
    }
    let crossing = |k: usize, next: usize| {
        let s = (threshold - values[k]) / (values[next] - values[k]);
        (points[k].0 + s * (points[next].0 - points[k].0), points[k].1 + s * (points[next].1 - points[k].1))
    };
    let saddle = inside[0] == inside[2] && inside[1] == inside[3] && inside[0] != inside[1];
    if saddle && values.iter().sum::<f64>() / 4.0 < threshold {
        for k in (0..4).filter(|&k| inside[k]) {
            let (before, after) = ((k + 3) % 4, (k + 1) % 4);
            let (entry, exit) = (crossing(before, k), crossing(k, after));
            region.polygons.push(vec![entry, points[k], exit]);
            region.contour.push([exit, entry]);
        }
        return;
    }
    let mut polygon = Vec::with_capacity(6);
    let (mut exit, mut first_entry) = (None, None);
    for k in 0..4 {
        let next = (k + 1) % 4;
        if inside[k] {
            polygon.push(points[k]);
        }
        if inside[k] == inside[next] {
            continue;
        }
        let at = crossing(k, next);
        polygon.push(at);
        if inside[k] {
            exit = Some(at);
        } else if let Some(from) = exit.take() {
            region.contour.push([from, at]);
        } else {
            first_entry = Some(at);
        }
    }
    if let (Some(from), Some(to)) = (exit, first_entry) {
        region.contour.push([from, to]);
    }
    region.polygons.push(polygon);
}

/// Class 0 and class 1, in the points and the legend.
const CLASS_COLOURS: [&str; 2] = [PALETTE[0], PALETTE[1]];
/// The regions of class 0 and 1: the class colours at 15% and 28% on white,
/// opaque so that the class-1 region over the class-0 background keeps the
/// colour its legend entry shows.
const SHADES: [&str; 2] = ["#dde9f4", "#ffdbbb"];
/// Cells where the model's ŷ is not finite.
const UNDEFINED: &str = "#bdbdbd";
const SHAPES: [Shape; 3] = [Shape::Circle, Shape::Square, Shape::Diamond];
/// The legend's markers for right and wrong, which carry no class.
const NEUTRAL: &str = "#666";
const SIDE: f64 = 400.0;

/// One point to draw, in data coordinates.
struct Point {
    x: f64,
    y: f64,
    class: usize,
    right: bool,
    shape: Shape,
}

/// What the panel draws, worked out before the layout (the legend counts it).
pub(super) struct Drawing {
    region: Region,
    points: Vec<Point>,
}

pub(super) fn panel(b: &Boundary) -> Panel {
    let grid = &b.grid;
    assert_eq!(grid.values.len(), grid.x0.len() * grid.x1.len(), "a grid's values do not match its axes");
    let t = number(b.threshold);
    let mut entries = vec![
        Entry { label: format!("ŷ ≥ {t}: class 1"), swatch: Swatch::Area { colour: SHADES[1] } },
        Entry { label: format!("ŷ < {t}: class 0"), swatch: Swatch::Area { colour: SHADES[0] } },
        Entry { label: format!("ŷ = {t}"), swatch: Swatch::Line { stroke: contour_stroke(), band: None } },
    ];
    let mut notes = vec!["points: coloured by target class".to_string()];
    let mut points = Vec::new();
    let mut unplaced = 0;
    for (set, shape) in b.points.iter().zip(SHAPES.iter().cycle()) {
        assert_eq!(set.data.dim(), 2, "a decision boundary of a model with {} inputs", set.data.dim());
        assert_eq!(set.predictions.len(), set.data.len(), "one prediction per sample of {}", set.name);
        let before = points.len();
        for ((x, y), &prediction) in set.data.samples().zip(&set.predictions) {
            if !(x[0].is_finite() && x[1].is_finite()) {
                unplaced += 1;
                continue;
            }
            let class = usize::from(y >= b.threshold);
            let right = prediction.is_finite() && usize::from(prediction >= b.threshold) == class;
            points.push(Point { x: x[0], y: x[1], class, right, shape: *shape });
        }
        let right = points[before..].iter().filter(|p| p.right).count();
        notes.push(format!("{}: {right} of {} right", set.name, set.data.len()));
        for (filled, what) in [(true, "right"), (false, "wrong")] {
            let swatch = Swatch::Marker { shape: *shape, colour: NEUTRAL, filled };
            entries.push(Entry { label: format!("{}, {what}", set.name), swatch });
        }
    }
    if unplaced > 0 {
        notes.push(format!("{unplaced} samples with non-finite inputs not drawn"));
    }
    let region = region(grid, b.threshold);
    if !region.undefined.is_empty() {
        let label = format!("ŷ not finite ({} cells)", region.undefined.len());
        entries.insert(3, Entry { label, swatch: Swatch::Area { colour: UNDEFINED } });
    }
    let range = |axis: &[f64]| {
        let finite = axis.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        Axis::new(lo, hi, false)
    };
    Panel {
        class: "boundary",
        title: "Decision region".into(),
        x_label: b.input_names[0].clone(),
        y_label: b.input_names[1].clone(),
        x_axis: range(&grid.x0),
        y_axis: range(&grid.x1),
        height: SIDE,
        square: true,
        bottom: BOTTOM,
        legend: Legend::fit(entries, notes, SIDE),
        body: Body::Boundary(Drawing { region, points }),
    }
}

fn contour_stroke() -> String {
    r##"fill="none" stroke="#222" stroke-width="1.8" stroke-linecap="round""##.to_string()
}

pub(super) fn draw(out: &mut String, drawing: &Drawing, p: Rect, x_axis: &Axis, y_axis: &Axis) {
    let px = |x: f64| x_axis.place(x, p.x, p.x + p.w);
    let py = |y: f64| y_axis.place(y, p.y + p.h, p.y);
    draw::clip(out, "boundary-clip", p);
    let _ = writeln!(
        out,
        r#"<g class="data" clip-path="url(#boundary-clip)">
<rect class="region below" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
        p.x, p.y, p.w, p.h, SHADES[0]
    );
    let region = &drawing.region;
    for (class, polygons, fill) in
        [("above", &region.polygons, SHADES[1]), ("undefined", &region.undefined, UNDEFINED)]
    {
        if polygons.is_empty() {
            continue;
        }
        // One path, so that neighbouring cells meet without seams.
        let mut d = String::new();
        for polygon in polygons {
            for (k, &(x, y)) in polygon.iter().enumerate() {
                let _ = write!(d, "{}{:.2} {:.2} ", if k == 0 { 'M' } else { 'L' }, px(x), py(y));
            }
            d.push_str("Z ");
        }
        let _ = writeln!(
            out,
            r#"<path class="region {class}" d="{}" fill="{fill}" stroke="none"/>"#,
            d.trim_end()
        );
    }
    if !region.contour.is_empty() {
        let mut d = String::new();
        for [(x0, y0), (x1, y1)] in &region.contour {
            let _ = write!(d, "M{:.2} {:.2} L{:.2} {:.2} ", px(*x0), py(*y0), px(*x1), py(*y1));
        }
        let _ = writeln!(out, r#"<path class="contour" d="{}" {}/>"#, d.trim_end(), contour_stroke());
    }
    for point in &drawing.points {
        let class = if point.right { "point right" } else { "point wrong" };
        let colour = CLASS_COLOURS[point.class];
        out.push_str(&draw::marker(point.shape, px(point.x), py(point.y), colour, point.right, class));
        out.push('\n');
    }
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The corner of the unit square nearest to the middle of each contour piece.
    fn cut_off(region: &Region, corners: &[(f64, f64); 4]) -> Vec<usize> {
        let distance = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).hypot(a.1 - b.1);
        let mut nearest: Vec<usize> = region
            .contour
            .iter()
            .map(|[a, b]| {
                let middle = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                (0..4)
                    .min_by(|&i, &j| distance(corners[i], middle).total_cmp(&distance(corners[j], middle)))
                    .unwrap()
            })
            .collect();
        nearest.sort();
        nearest
    }

    #[test]
    fn a_saddle_joins_or_parts_its_inside_corners_by_the_value_at_its_middle() {
        // ŷ is 1 at (0, 0) and (1, 1), 0 at the other corners: 0.5 in the middle.
        let grid = Grid { x0: vec![0.0, 1.0], x1: vec![0.0, 1.0], values: vec![1.0, 0.0, 0.0, 1.0] };
        let corners = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        let joined = region(&grid, 0.4);
        assert_eq!(cut_off(&joined, &corners), [1, 3], "the outside corners are cut off");
        assert_eq!(joined.polygons.iter().map(Vec::len).collect::<Vec<_>>(), [6]);
        let parted = region(&grid, 0.6);
        assert_eq!(cut_off(&parted, &corners), [0, 2], "each inside corner alone");
        assert_eq!(parted.polygons.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3]);
        for [a, b] in parted.contour {
            // ŷ = 0.6 on the edges, 0.4 of the way from the inside corner.
            assert!([a, b].iter().all(|p| [p.0, p.1].iter().any(|c| *c == 0.0 || *c == 1.0)));
            assert!((a.0 - b.0).abs() > 0.3 && (a.1 - b.1).abs() > 0.3, "{a:?} {b:?}");
        }
    }
}
