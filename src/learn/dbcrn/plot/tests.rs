use roxmltree::{Document, Node};

use super::*;
use crate::analyze::Distribution;
use crate::analyze::tests::crn_of;
use crate::ir::Method;
use crate::learn::dbcrn::Learner;
use crate::learn::dbcrn::report::{Window, report};
use crate::sim::run::{RunSettings, Summary, simulate};

/// Two potentials, P for X and S for Y, each learning toward a target.
const TWO_POTENTIALS: &str = "network T {
    species amount X = 2, Y = 1, Q = 100, R = 3;
    energy X = -3;
    potential P = 1000 for X;
    potential S = 1 for Y;
    0 <-> X @ 10; 0 <-> Y @ 10;
    learn P: X ~ Q @ 1; learn S: Y ~ R @ 1;
}";

/// A run of [`TWO_POTENTIALS`] over t in 0..=20: P falls over five decades
/// to 0.01, S rises from 1 to 3; `p` gives P's value at each time instead.
fn table(crn: &Crn, p: impl Fn(f64) -> f64) -> Table {
    let times: Vec<f64> = (0..=20).map(f64::from).collect();
    let columns: Vec<String> = crn.species.iter().map(|s| s.name.clone()).collect();
    let values = times
        .iter()
        .flat_map(|&t| {
            columns.iter().map(move |c| match c.as_str() {
                "S" => 1.0 + t / 10.0,
                "X" => 5.0 * t,
                _ => 1.0,
            })
        })
        .collect::<Vec<f64>>();
    let mut table = Table {
        times,
        columns,
        values,
        summary: Summary {
            method: "hybrid (exact coupling, 2 vesicles)".into(),
            work: 0,
            work_unit: "events",
            seconds: 0.0,
        },
        window: None,
    };
    let at = table.columns.iter().position(|c| c == "P").unwrap();
    let width = table.columns.len();
    for (row, &t) in table.times.clone().iter().enumerate() {
        table.values[row * width + at] = p(t);
    }
    table
}

fn law(states: &[[i64; 2]], p: &[f64]) -> Distribution {
    Distribution::new(vec!["X".into(), "Y".into()], states.iter().flatten().copied().collect(), p.to_vec())
}

/// The report of that run: a law over four states, a target with a fifth.
fn two_by_two() -> Report {
    Report {
        network: "T".into(),
        window: (16.0, 20.0),
        potentials: vec![("P".into(), 0.02), ("S".into(), 2.8)],
        means: vec![],
        visible: vec!["X".into(), "Y".into()],
        learned: law(&[[0, 0], [0, 1], [1, 0], [1, 1]], &[0.1, 0.2, 0.3, 0.4]),
        target: Some(law(&[[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]], &[0.1, 0.1, 0.3, 0.4, 0.1])),
        kl_nats: Some(0.0412),
        kl_over_time: (0..5).map(|k| (4.0 * k as f64, 10f64.powi(-k))).collect(),
        dissipation: None,
        per_event_rate_factor: None,
        learned_energies: Vec::new(),
    }
}

fn falling(t: f64) -> f64 {
    1000.0 * 10f64.powf(-t / 4.0)
}

fn has_class(node: &Node, class: &str) -> bool {
    node.attribute("class").is_some_and(|c| c.split(' ').any(|k| k == class))
}

fn panel<'a, 'i>(doc: &'a Document<'i>, name: &str) -> Option<Node<'a, 'i>> {
    doc.descendants().find(|n| has_class(n, "panel") && has_class(n, name))
}

/// The nodes of class `class` inside the panel `name`.
fn in_panel<'a, 'i>(doc: &'a Document<'i>, name: &str, class: &str) -> Vec<Node<'a, 'i>> {
    let panel = panel(doc, name).unwrap_or_else(|| panic!("no panel {name}"));
    panel.descendants().filter(|n| has_class(n, class)).collect()
}

fn panels(doc: &Document) -> Vec<String> {
    let panels = doc.descendants().filter(|n| has_class(n, "panel"));
    panels.map(|n| n.attribute("class").unwrap().trim_start_matches("panel ").to_string()).collect()
}

fn attributes<'a>(nodes: &[Node<'a, '_>], name: &str) -> Vec<&'a str> {
    nodes.iter().map(|n| n.attribute(name).unwrap_or_else(|| panic!("no {name}"))).collect()
}

fn number(node: &Node, name: &str) -> f64 {
    node.attribute(name).unwrap_or_else(|| panic!("no {name}")).parse().unwrap()
}

/// The coordinates in a path's `d`, and the number of pieces it has.
fn coordinates(node: &Node) -> (Vec<(f64, f64)>, usize) {
    let d = node.attribute("d").expect("a path");
    let numbers: Vec<f64> =
        d.split([' ', 'M', 'L', 'Z']).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    (numbers.chunks(2).map(|p| (p[0], p[1])).collect(), d.matches('M').count())
}

/// The plotting area of the panel `name`: [x, y, width, height].
fn area(doc: &Document, name: &str) -> [f64; 4] {
    let frame = &in_panel(doc, name, "plot-area")[0];
    ["x", "y", "width", "height"].map(|a| number(frame, a))
}

fn texts(nodes: &[Node]) -> Vec<String> {
    nodes.iter().map(|n| n.text().unwrap_or("").to_string()).collect()
}

#[test]
fn a_learners_figure_has_its_potentials_its_kl_and_its_law_in_panels() {
    let crn = crn_of(TWO_POTENTIALS);
    let svg = svg(&two_by_two(), &table(&crn, falling), &crn);
    let doc = Document::parse(&svg).expect("well-formed");
    assert_eq!(panels(&doc), ["potentials", "kl", "distribution"]);
    let potentials = in_panel(&doc, "potentials", "line");
    assert_eq!(attributes(&potentials, "data-series"), ["P", "S"], "one line per potential");
    for line in &potentials {
        let (points, pieces) = coordinates(line);
        assert_eq!((points.len(), pieces), (21, 1), "every output time, unbroken");
    }
    assert_eq!(in_panel(&doc, "kl", "line").len(), 1);
    assert_eq!(in_panel(&doc, "kl", "marker").len(), 5, "a marker at each sampled time");
    let states = ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)", "(2, 0)"];
    assert_eq!(attributes(&in_panel(&doc, "distribution", "learned"), "data-state"), states);
    assert_eq!(attributes(&in_panel(&doc, "distribution", "target"), "data-state"), states);
    assert_eq!(texts(&in_panel(&doc, "distribution", "state-label")), states);
    let notes = texts(&in_panel(&doc, "distribution", "legend-note"));
    assert_eq!(notes, ["KL(target ‖ learned) = 0.0412 nats"]);
    assert!(doc.descendants().any(|n| n.text() == Some("T: learning, hybrid (exact coupling, 2 vesicles)")));
}

#[test]
fn every_coordinate_is_finite_and_the_data_stays_in_its_plotting_area() {
    let crn = crn_of(TWO_POTENTIALS);
    let svg = svg(&two_by_two(), &table(&crn, falling), &crn);
    let doc = Document::parse(&svg).unwrap();
    let root = doc.root_element();
    let (width, height) = (number(&root, "width"), number(&root, "height"));
    for node in doc.descendants().filter(|n| n.is_element()) {
        for a in ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height"] {
            if let Some(v) = node.attribute(a).filter(|v| !v.ends_with('%')) {
                let v: f64 = v.parse().unwrap_or_else(|_| panic!("{a}={v}"));
                assert!(v.is_finite() && (0.0..=width.max(height)).contains(&v), "{a}={v} in {node:?}");
            }
        }
    }
    for name in ["potentials", "kl", "distribution"] {
        let [x, y, w, h] = area(&doc, name);
        let inside =
            |(px, py): (f64, f64)| px >= x - 0.1 && px <= x + w + 0.1 && py >= y - 0.1 && py <= y + h + 0.1;
        for line in in_panel(&doc, name, "line") {
            assert!(
                coordinates(&line).0.into_iter().all(inside),
                "{name} in {:?}: {:?}",
                [x, y, w, h],
                line.attribute("d")
            );
        }
        for bar in in_panel(&doc, name, "bar") {
            let (bx, by) = (number(&bar, "x"), number(&bar, "y"));
            assert!(inside((bx, by)) && inside((bx + number(&bar, "width"), by + number(&bar, "height"))));
        }
    }
}

#[test]
fn bars_are_as_high_as_their_probabilities_and_grouped_by_state() {
    let crn = crn_of(TWO_POTENTIALS);
    let svg = svg(&two_by_two(), &table(&crn, falling), &crn);
    let doc = Document::parse(&svg).unwrap();
    let [_, y, _, h] = area(&doc, "distribution");
    let bottom = y + h;
    let learned = in_panel(&doc, "distribution", "learned");
    let target = in_panel(&doc, "distribution", "target");
    for (bars, p) in [(&learned, [0.1, 0.2, 0.3, 0.4, 0.0]), (&target, [0.1, 0.1, 0.3, 0.4, 0.1])] {
        let heights: Vec<f64> = bars.iter().map(|b| number(b, "height")).collect();
        for (bar, (&height, p)) in bars.iter().zip(heights.iter().zip(p)) {
            assert!((height - heights[3] * p / 0.4).abs() < 0.02, "{heights:?}");
            assert!((number(bar, "y") + height - bottom).abs() < 0.02, "bars stand on 0");
        }
    }
    for (l, t) in learned.iter().zip(&target) {
        let (lx, tx) = (number(l, "x"), number(t, "x"));
        assert!(
            (lx + number(l, "width") - tx).abs() < 0.02,
            "the target's bar is right beside the learned one"
        );
    }
}

#[test]
fn potentials_are_on_a_log_axis_and_a_zero_count_breaks_its_line() {
    // The species form holds P as a count, 0 at some times.
    let crn = crn_of(TWO_POTENTIALS);
    let svg = svg(&two_by_two(), &table(&crn, |t| if t == 10.0 { 0.0 } else { falling(t) }), &crn);
    let doc = Document::parse(&svg).unwrap();
    let ticks = texts(
        &panel(&doc, "potentials")
            .unwrap()
            .descendants()
            .filter(|n| has_class(n, "y"))
            .flat_map(|g| g.children().filter(|c| c.has_tag_name("text")))
            .collect::<Vec<_>>(),
    );
    assert_eq!(ticks, ["10⁻²", "10⁻¹", "10⁰", "10¹", "10²", "10³"]);
    let p = &in_panel(&doc, "potentials", "line")[0];
    let (points, pieces) = coordinates(p);
    assert_eq!((points.len(), pieces), (20, 2), "the line breaks at t = 10");
    // P falls one decade every 4 time units: a straight line on a log axis.
    let slope = |a: (f64, f64), b: (f64, f64)| (b.1 - a.1) / (b.0 - a.0);
    assert!((slope(points[0], points[1]) - slope(points[15], points[19])).abs() < 1e-3);
    let notes = texts(&in_panel(&doc, "potentials", "legend-note"));
    assert_eq!(notes, ["1 point ≤ 0 or not finite left out"]);
    let [x, _, w, _] = area(&doc, "potentials");
    let window = &in_panel(&doc, "potentials", "window")[0];
    assert!((number(window, "x") - (x + 0.8 * w)).abs() < 0.1, "the report's window is the last fifth");
    assert!((number(window, "width") - 0.2 * w).abs() < 0.1);
}

#[test]
fn without_kl_along_the_run_there_is_no_kl_panel_and_without_a_target_no_target_bars() {
    let crn = crn_of(TWO_POTENTIALS);
    let report = Report { target: None, kl_nats: None, kl_over_time: vec![], ..two_by_two() };
    let svg = svg(&report, &table(&crn, falling), &crn);
    let doc = Document::parse(&svg).unwrap();
    assert_eq!(panels(&doc), ["potentials", "distribution"]);
    assert_eq!(in_panel(&doc, "distribution", "learned").len(), 4);
    assert!(in_panel(&doc, "distribution", "target").is_empty());
    assert_eq!(texts(&in_panel(&doc, "distribution", "legend-entry")), ["learned"]);
}

#[test]
fn infinite_kl_breaks_its_line_and_kl_never_finite_has_no_panel() {
    // The species form: a potential held as a count gives laws that miss the target's states.
    let crn = crn_of(TWO_POTENTIALS);
    let mut report = two_by_two();
    report.kl_over_time[2].1 = f64::INFINITY;
    let doc_text = svg(&report, &table(&crn, falling), &crn);
    let doc = Document::parse(&doc_text).unwrap();
    let (points, pieces) = coordinates(&in_panel(&doc, "kl", "line")[0]);
    assert_eq!((points.len(), pieces), (4, 2));
    assert_eq!(texts(&in_panel(&doc, "kl", "legend-note")), ["KL infinite at 1 of 5 times"]);
    for point in &mut report.kl_over_time {
        point.1 = f64::INFINITY;
    }
    let doc_text = svg(&report, &table(&crn, falling), &crn);
    assert_eq!(panels(&Document::parse(&doc_text).unwrap()), ["potentials", "distribution"]);
}

/// The Poisson law of mean `mean` over 0..states.
fn poisson(mean: f64, states: i64) -> Distribution {
    let p = (0..states)
        .map(|n| (n as f64 * mean.ln() - mean - (1..=n).map(|k| (k as f64).ln()).sum::<f64>()).exp());
    Distribution::new(vec!["X".into()], (0..states).collect(), p.collect())
}

#[test]
fn a_law_over_many_states_shows_its_likeliest_in_state_order() {
    // A3: the learned Poisson of mean 100 over 251 counts against a target of mean 90.
    let crn = crn_of(TWO_POTENTIALS);
    let (learned, target) = (poisson(100.0, 251), poisson(90.0, 251));
    let report = Report {
        visible: vec!["X".into()],
        learned: learned.clone(),
        target: Some(target.clone()),
        ..two_by_two()
    };
    let svg = svg(&report, &table(&crn, falling), &crn);
    let doc = Document::parse(&svg).unwrap();
    let shown: Vec<i64> = attributes(&in_panel(&doc, "distribution", "learned"), "data-state")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(shown.len(), bars::MAX_STATES);
    assert!(shown.windows(2).all(|w| w[0] < w[1]), "in state order: {shown:?}");
    let likeliness = |n: i64| learned.p[n as usize].max(target.p[n as usize]);
    let least_shown = shown.iter().map(|&n| likeliness(n)).fold(f64::INFINITY, f64::min);
    assert!((0..251).filter(|n| !shown.contains(n)).all(|n| likeliness(n) <= least_shown), "the likeliest");
    assert_eq!(in_panel(&doc, "distribution", "target").len(), bars::MAX_STATES);
    let notes = texts(&in_panel(&doc, "distribution", "legend-note"));
    assert_eq!(notes[1], "221 unlikelier states not shown,");
    let hidden =
        |law: &Distribution| (0..251).filter(|n| !shown.contains(n)).map(|n| law.p[n as usize]).sum::<f64>();
    assert_eq!(
        notes[2],
        format!("holding learned {}, target {}", short(hidden(&learned)), short(hidden(&target)))
    );
    let labels = in_panel(&doc, "distribution", "state-label");
    assert!(
        labels.iter().all(|l| l.attribute("transform").is_some_and(|t| t.starts_with("rotate(-90"))),
        "written downwards"
    );
}

#[test]
fn the_figure_renders_to_png() {
    let crn = crn_of(TWO_POTENTIALS);
    let png = png(&two_by_two(), &table(&crn, falling), &crn).expect("renders");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let doc_height: f64 = {
        let svg = svg(&two_by_two(), &table(&crn, falling), &crn);
        number(&Document::parse(&svg).unwrap().root_element(), "height")
    };
    let png_height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(png_height, (doc_height * f64::from(draw::PNG_SCALE)) as u32);
}

#[test]
fn a_learners_run_draws_one_line_per_potential_of_its_crn() {
    // A1's learner by the hybrid method, briefly, from near its fixed point P = e^3/100.
    let crn = crn_of(
        "network A1 { species amount X = 80, Q = 100; energy X = -3; potential P = 0.25 for X;
        0 <-> X @ 10; learn P: X ~ Q @ 1; }",
    );
    let learner = Learner::of(&crn).expect("a learner");
    let settings =
        RunSettings { method: Method::Hybrid, t_end: 2.0, points: 10, vesicles: 2, ..RunSettings::DEFAULT };
    let table = simulate(&crn, &settings).expect("runs");
    let visible = learner.model_species();
    let window = table.window.clone().unwrap_or_else(|| Window::from_grid(&table, &crn, &visible, None));
    let report = report(&crn, &learner, &table, &window, &visible).expect("a report");
    let svg = svg(&report, &table, &crn);
    let doc = Document::parse(&svg).unwrap();
    assert_eq!(panels(&doc)[0], "potentials");
    assert_eq!(attributes(&in_panel(&doc, "potentials", "line"), "data-series"), ["P"]);
    assert!(!in_panel(&doc, "distribution", "learned").is_empty());
    assert_eq!(panels(&doc).contains(&"kl".to_string()), !report.kl_over_time.is_empty());
}

fn sweep() -> Vec<(f64, f64, String)> {
    // Shuffled on purpose: the figure orders each series by k/ε.
    let mut points = Vec::new();
    for (g, scale) in [(0, 1.0), (-3, 4.0), (-6, 20.0)] {
        for dinv in [32.0, 2.0, 128.0, 8.0] {
            points.push((dinv, scale * 1e-4 * dinv, format!("G_S = {g}")));
        }
    }
    points
}

#[test]
fn a_sweep_draws_one_line_per_series_in_k_over_eps_order_on_a_log_axis() {
    let svg = dissipation_svg(&sweep());
    let doc = Document::parse(&svg).unwrap();
    assert_eq!(panels(&doc), ["dissipation"]);
    let lines = in_panel(&doc, "dissipation", "line");
    assert_eq!(attributes(&lines, "data-series"), ["G_S = 0", "G_S = -3", "G_S = -6"]);
    for line in &lines {
        let (points, _) = coordinates(line);
        let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
        // 2, 8, 32, 128: a factor of 4 each, so evenly spaced on a log axis.
        let gaps: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| *g > 0.0 && (g - gaps[0]).abs() < 0.02), "{xs:?}");
    }
    assert_eq!(in_panel(&doc, "dissipation", "marker").len(), 12);
    let x_ticks = texts(
        &panel(&doc, "dissipation")
            .unwrap()
            .descendants()
            .filter(|n| has_class(n, "x"))
            .flat_map(|g| g.children().filter(|c| c.has_tag_name("text")))
            .collect::<Vec<_>>(),
    );
    assert_eq!(x_ticks, ["10⁰", "10¹", "10²", "10³"]);
    assert_eq!(&dissipation_png(&sweep()).expect("renders")[..4], b"\x89PNG");
}

#[test]
fn a_tiny_sweep_figure_stays_as_it_was() {
    let points = [(2.0, 0.001, "G_S = 0".to_string()), (8.0, 0.01, "G_S = 0".to_string())];
    insta::assert_snapshot!(dissipation_svg(&points));
}

#[test]
fn notes_keep_three_significant_digits() {
    assert_eq!(short(0.012345), "0.0123");
    assert_eq!(short(123.456), "123");
    assert_eq!(short(4.5678e-5), "4.57e-5");
    assert_eq!(short(0.0), "0");
}
