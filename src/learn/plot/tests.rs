use roxmltree::{Document, Node};

use super::*;
use crate::learn::data::Dataset;
use crate::learn::history::Epoch;
use crate::sim::plot::draw::{PALETTE, Rect};

/// A run of `epochs` epochs after epoch 0 whose loss halves each epoch, with
/// `params` parameters and a validation set.
fn history(epochs: usize, params: usize, threshold: Option<f64>) -> History {
    let epochs = (0..=epochs)
        .map(|k| Epoch {
            epoch: k,
            train_loss: 0.5f64.powi(k as i32),
            val_loss: Some(0.6 * 0.5f64.powi(k as i32)),
            train_accuracy: threshold.map(|_| k as f64 / (k + 1) as f64),
            val_accuracy: threshold.map(|_| 0.5),
            params: (0..params).map(|i| i as f64 - 0.1 * k as f64).collect(),
            seconds: 0.1,
        })
        .collect();
    History { param_names: (0..params).map(|i| format!("w[{i}]")).collect(), threshold, epochs }
}

fn xy_data(samples: &[([f64; 2], f64)]) -> Dataset {
    let mut data = Dataset::new(vec!["x0".into(), "x1".into()], "y");
    for (x, y) in samples {
        data.push(x, *y);
    }
    data
}

/// A grid of `k`×`k` points over [-1, 1]² with ŷ = f(x0, x1).
fn grid(k: usize, f: impl Fn(f64, f64) -> f64) -> Grid {
    let axis: Vec<f64> = (0..k).map(|i| -1.0 + 2.0 * i as f64 / (k - 1) as f64).collect();
    let mut grid = Grid { x0: axis.clone(), x1: axis, values: vec![] };
    grid.values = grid.inputs().map(|[a, b]| f(a, b)).collect();
    grid
}

fn figure<'a>(history: &'a History, boundary: Option<Boundary<'a>>) -> TrainingFigure<'a> {
    TrainingFigure { title: "A run".into(), history, boundary }
}

fn boundary<'a>(grid: Grid, threshold: f64, points: Vec<PointSet<'a>>) -> Boundary<'a> {
    Boundary { grid, threshold, points, input_names: ["x0".into(), "x1".into()] }
}

fn has_class(node: &Node, class: &str) -> bool {
    node.attribute("class").is_some_and(|c| c.split(' ').any(|k| k == class))
}

/// The nodes of class `class` inside the panel `panel`.
fn in_panel<'a, 'i>(doc: &'a Document<'i>, panel: &str, class: &str) -> Vec<Node<'a, 'i>> {
    let Some(panel) = doc.descendants().find(|n| has_class(n, "panel") && has_class(n, panel)) else {
        return vec![];
    };
    panel.descendants().filter(|n| has_class(n, class)).collect()
}

fn panels(doc: &Document) -> Vec<String> {
    let panels = doc.descendants().filter(|n| has_class(n, "panel"));
    panels.map(|n| n.attribute("class").unwrap().trim_start_matches("panel ").to_string()).collect()
}

fn texts(nodes: &[Node]) -> Vec<String> {
    nodes.iter().map(|n| n.text().unwrap_or("").to_string()).collect()
}

/// The coordinates in a path's `d`.
fn coordinates(node: &Node) -> Vec<(f64, f64)> {
    let numbers: Vec<f64> = node
        .attribute("d")
        .expect("a path")
        .split([' ', 'M', 'L', 'Z'])
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    numbers.chunks(2).map(|p| (p[0], p[1])).collect()
}

fn area(doc: &Document, panel: &str) -> Rect {
    let node = in_panel(doc, panel, "plot-area")[0];
    let [x, y, w, h] = ["x", "y", "width", "height"].map(|a| node.attribute(a).unwrap().parse().unwrap());
    Rect { x, y, w, h }
}

#[test]
fn a_classifier_has_every_panel_and_one_line_per_parameter() {
    let h = history(12, 5, Some(0.5));
    let data = xy_data(&[([0.0, 0.0], 0.0), ([1.0, 1.0], 1.0)]);
    let set = PointSet { name: "train", data: &data, predictions: vec![0.1, 0.9] };
    let fig = figure(&h, Some(boundary(grid(5, |a, _| a), 0.5, vec![set])));
    let text = svg(&fig);
    let doc = Document::parse(&text).expect("well-formed SVG");
    assert_eq!(panels(&doc), ["loss", "accuracy", "parameters", "boundary"]);
    let lines = in_panel(&doc, "parameters", "line");
    let names: Vec<&str> = lines.iter().map(|n| n.attribute("data-series").unwrap()).collect();
    assert_eq!(names, ["w[0]", "w[1]", "w[2]", "w[3]", "w[4]"]);
    assert!(lines.iter().all(|n| coordinates(n).len() == 13), "one point per epoch, epoch 0 included");
    let loss: Vec<&str> =
        in_panel(&doc, "loss", "line").iter().map(|n| n.attribute("data-series").unwrap()).collect();
    assert_eq!(loss, ["train", "validation"]);
    assert_eq!(texts(&in_panel(&doc, "accuracy", "legend-entry")), ["train", "validation"]);
    // Panels stack without overlapping, inside the figure.
    let height: f64 = doc.root_element().attribute("height").unwrap().parse().unwrap();
    let areas: Vec<Rect> = panels(&doc).iter().map(|p| area(&doc, p)).collect();
    for pair in areas.windows(2) {
        assert!(pair[0].y + pair[0].h < pair[1].y, "{pair:?}");
    }
    assert!(areas.last().is_some_and(|a| a.y + a.h < height));
}

#[test]
fn a_regression_run_without_validation_has_neither_accuracy_nor_boundary() {
    let mut h = history(3, 1, None);
    h.epochs.iter_mut().for_each(|e| e.val_loss = None);
    let text = svg(&figure(&h, None));
    let doc = Document::parse(&text).unwrap();
    assert_eq!(panels(&doc), ["loss", "parameters"]);
    assert_eq!(texts(&in_panel(&doc, "loss", "legend-entry")), ["train"]);
    let ticks = texts(
        &doc.descendants()
            .filter(|n| has_class(n, "axis") && has_class(n, "x"))
            .flat_map(|g| g.children().filter(|c| c.has_tag_name("text")))
            .collect::<Vec<_>>(),
    );
    assert!(ticks.iter().all(|t| t.parse::<u32>().is_ok()), "epochs are whole numbers: {ticks:?}");
}

#[test]
fn losses_spanning_more_than_a_decade_get_a_log_axis() {
    let y_ticks = |h: &History| {
        let text = svg(&figure(h, None));
        let doc = Document::parse(&text).unwrap();
        let axis = in_panel(&doc, "loss", "y");
        texts(&axis[0].children().filter(|c| c.has_tag_name("text")).collect::<Vec<_>>())
    };
    let wide = y_ticks(&history(10, 1, None));
    assert!(wide.iter().all(|t| t.starts_with("10")) && wide.contains(&"10⁻³".to_string()), "{wide:?}");
    let narrow = y_ticks(&history(2, 1, None));
    assert!(narrow.iter().all(|t| t.parse::<f64>().is_ok()), "{narrow:?}");
}

#[test]
fn many_parameters_are_all_drawn_and_labelled_or_counted() {
    for n in [30, 200] {
        let h = history(4, n, None);
        let text = svg(&figure(&h, None));
        let doc = Document::parse(&text).unwrap();
        assert_eq!(in_panel(&doc, "parameters", "line").len(), n);
        let entries = in_panel(&doc, "parameters", "legend-entry").len();
        let counted: usize = texts(&in_panel(&doc, "parameters", "legend-note"))
            .iter()
            .filter_map(|t| t.strip_prefix('+')?.split(' ').next()?.parse::<usize>().ok())
            .sum();
        assert_eq!(entries + counted, n);
        let width: f64 = doc.root_element().attribute("width").unwrap().parse().unwrap();
        let legend = in_panel(&doc, "parameters", "legend-box")[0];
        let right: f64 =
            ["x", "width"].iter().map(|a| legend.attribute(*a).unwrap().parse::<f64>().unwrap()).sum();
        assert!(right <= width, "the legend fits: {right} > {width}");
    }
}

#[test]
fn the_contour_lies_where_the_grid_crosses_the_threshold() {
    // ŷ = x0 crosses 0.1 between grid points 0 and 0.2: a vertical line.
    let h = history(1, 1, Some(0.1));
    let fig = figure(&h, Some(boundary(grid(11, |a, _| a), 0.1, vec![])));
    let text = svg(&fig);
    let doc = Document::parse(&text).unwrap();
    // The frame's position is written to 0.1, the paths' to 0.01.
    let p = area(&doc, "boundary");
    let line_x = p.x + (0.1 + 1.0) / 2.0 * p.w;
    let contour = in_panel(&doc, "boundary", "contour");
    assert_eq!(contour.len(), 1);
    let points = coordinates(&contour[0]);
    assert!(points.iter().all(|&(x, _)| (x - line_x).abs() < 0.1), "{points:?} off x = {line_x}");
    let ys = points.iter().map(|q| q.1);
    let (top, bottom) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    assert!((top - p.y).abs() < 0.1 && (bottom - p.y - p.h).abs() < 0.1, "the line crosses the whole panel");
    let above = in_panel(&doc, "boundary", "above");
    assert!(coordinates(&above[0]).iter().all(|&(x, _)| x >= line_x - 0.1), "shaded right of the line only");

    // ŷ = x0² + x1² ≥ 0.5 outside a circle: the contour keeps its radius.
    let fig = figure(&h, Some(boundary(grid(41, |a, b| a * a + b * b), 0.5, vec![])));
    let text = svg(&fig);
    let doc = Document::parse(&text).unwrap();
    let points = coordinates(&in_panel(&doc, "boundary", "contour")[0]);
    assert!(points.len() > 40);
    for (x, y) in points {
        let (a, b) = (-1.0 + 2.0 * (x - p.x) / p.w, 1.0 - 2.0 * (y - p.y) / p.h);
        assert!(((a * a + b * b).sqrt() - 0.5f64.sqrt()).abs() < 0.01, "({a}, {b}) off the circle");
    }

    // Nowhere at or above the threshold: no contour and nothing shaded as class 1.
    let fig = figure(&h, Some(boundary(grid(11, |_, _| -1.0), 0.1, vec![])));
    let text = svg(&fig);
    let doc = Document::parse(&text).unwrap();
    assert!(in_panel(&doc, "boundary", "contour").is_empty());
    assert!(in_panel(&doc, "boundary", "above").is_empty());
    assert_eq!(in_panel(&doc, "boundary", "below").len(), 1);
}

#[test]
fn points_are_coloured_by_class_and_filled_where_the_model_is_right() {
    let h = history(1, 1, Some(0.5));
    let train = xy_data(&[([0.0, 0.0], 0.0), ([1.0, 1.0], 1.0), ([1.0, 0.0], 1.0), ([0.0, 1.0], 0.0)]);
    let test = xy_data(&[([0.5, 0.5], 1.0)]);
    let sets = vec![
        PointSet { name: "train", data: &train, predictions: vec![0.2, 0.9, 0.3, 0.7] },
        PointSet { name: "test", data: &test, predictions: vec![0.5] },
    ];
    let covering = Grid::covering(&[&train, &test], 3);
    let values = covering.inputs().map(|[a, _]| a).collect();
    let fig = figure(&h, Some(boundary(Grid { values, ..covering }, 0.5, sets)));
    let text = svg(&fig);
    let doc = Document::parse(&text).unwrap();
    let right = in_panel(&doc, "boundary", "right");
    let wrong = in_panel(&doc, "boundary", "wrong");
    assert_eq!((right.len(), wrong.len()), (3, 2));
    assert!(wrong.iter().all(|n| n.attribute("fill") == Some("white")), "wrong points are hollow");
    assert_eq!(right.iter().map(|n| n.tag_name().name()).collect::<Vec<_>>(), ["circle", "circle", "rect"]);
    let colours: Vec<&str> = wrong.iter().map(|n| n.attribute("stroke").unwrap()).collect();
    assert_eq!(colours, [PALETTE[1], PALETTE[0]], "the target's class, not the prediction's");
    let notes = texts(&in_panel(&doc, "boundary", "legend-note"));
    assert!(
        notes.contains(&"train: 2 of 4 right".into()) && notes.contains(&"test: 1 of 1 right".into()),
        "{notes:?}"
    );
}

#[test]
fn a_covering_grid_holds_the_data_with_a_margin_in_the_order_of_its_values() {
    let data = xy_data(&[([0.0, 10.0], 0.0), ([2.0, 20.0], 1.0), ([f64::NAN, 15.0], 1.0)]);
    let grid = Grid::covering(&[&data], 5);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(grid.x0[0], -0.2) && close(grid.x0[4], 2.2), "{:?}", grid.x0);
    assert!(close(grid.x1[0], 9.0) && close(grid.x1[4], 21.0), "{:?}", grid.x1);
    let inputs: Vec<[f64; 2]> = grid.inputs().collect();
    assert_eq!(inputs.len(), 25);
    assert_eq!(inputs[1], [grid.x0[0], grid.x1[1]], "x0 outer");
    assert_eq!(inputs[5], [grid.x0[1], grid.x1[0]]);
}

#[test]
fn non_finite_values_are_skipped_with_a_note() {
    let mut h = history(5, 2, Some(0.5));
    h.epochs[2].train_loss = f64::NAN;
    h.epochs[3].val_loss = Some(f64::INFINITY);
    h.epochs[4].params[1] = f64::NEG_INFINITY;
    let data = xy_data(&[([0.0, 0.0], 0.0), ([1.0, f64::NAN], 1.0)]);
    let mut g = grid(6, |a, b| a + b);
    g.values[7] = f64::NAN;
    let set = PointSet { name: "train", data: &data, predictions: vec![f64::NAN, 1.0] };
    let fig = figure(&h, Some(boundary(g, 0.5, vec![set])));
    let text = svg(&fig);
    let doc = Document::parse(&text).unwrap();
    assert_eq!(texts(&in_panel(&doc, "loss", "legend-note")), ["2 non-finite values not drawn"]);
    assert_eq!(texts(&in_panel(&doc, "parameters", "legend-note")), ["1 non-finite value not drawn"]);
    let train = in_panel(&doc, "loss", "line")[0];
    assert_eq!(train.attribute("d").unwrap().matches('M').count(), 2, "the line breaks at the NaN");
    let notes = texts(&in_panel(&doc, "boundary", "legend-note"));
    assert!(notes.contains(&"1 samples with non-finite inputs not drawn".into()), "{notes:?}");
    let entries = texts(&in_panel(&doc, "boundary", "legend-entry"));
    assert!(entries.contains(&"ŷ not finite (4 cells)".into()), "{entries:?}");
    let undefined = in_panel(&doc, "boundary", "undefined");
    assert_eq!(coordinates(&undefined[0]).len(), 16, "the four cells around the NaN, in grey");
    assert!(notes.contains(&"train: 0 of 2 right".into()), "a NaN prediction is not right: {notes:?}");
    assert!(!text.contains("NaN") && !text.contains("inf"), "no non-finite coordinate reaches the SVG");
    assert!(png(&fig).is_ok());
}

#[test]
fn a_history_of_epoch_0_alone_draws_a_point_per_series() {
    let h = history(0, 2, Some(0.5));
    let text = svg(&figure(&h, None));
    let doc = Document::parse(&text).unwrap();
    for panel in ["loss", "accuracy", "parameters"] {
        let lines = in_panel(&doc, panel, "line");
        assert_eq!(in_panel(&doc, panel, "marker").len(), lines.len(), "{panel}");
        for line in lines {
            let points = coordinates(&line);
            assert_eq!(points.len(), 2, "a dot: a zero-length piece with round caps");
            assert_eq!(points[0], points[1]);
        }
    }
}

#[test]
fn the_figure_renders_to_png() {
    let h = history(8, 3, Some(0.5));
    let data = xy_data(&[([0.0, 0.0], 0.0), ([1.0, 1.0], 1.0)]);
    let set = PointSet { name: "train", data: &data, predictions: vec![0.1, 0.9] };
    let fig = figure(&h, Some(boundary(grid(30, |a, b| a * b), 0.0, vec![set])));
    let bytes = png(&fig).expect("renders");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(bytes.len() > 10_000, "{} bytes: more than a blank page", bytes.len());
}
