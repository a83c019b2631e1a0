//! What `crnc run --plot` draws (issue 15): the SVG's structure for ODE runs
//! and SSA ensembles, units on the axes, the legend off the data,
//! `--species`, many species, and PNG output.

mod common;

use common::crnc;
use std::path::Path;

use roxmltree::{Document, Node};

fn example(name: &str) -> String {
    common::root().join("examples").join(name).display().to_string()
}

/// Runs crnc with `args` and `--plot plot.svg` in `dir`, and returns the SVG.
fn svg_of(dir: &Path, args: &[&str]) -> String {
    let args: Vec<&str> = args.iter().copied().chain(["-o", "out.csv", "--plot", "plot.svg"]).collect();
    let o = crnc(&args, dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(dir.join("plot.svg")).unwrap()
}

fn with_class<'a, 'i>(doc: &'a Document<'i>, class: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.split(' ').any(|k| k == class)))
        .collect()
}

fn text_of(doc: &Document, class: &str) -> Vec<String> {
    with_class(doc, class).iter().map(|n| n.text().unwrap_or("").to_string()).collect()
}

fn series_of(doc: &Document, class: &str) -> Vec<String> {
    with_class(doc, class).iter().map(|n| n.attribute("data-series").expect("named").to_string()).collect()
}

fn num(node: Node, attribute: &str) -> f64 {
    node.attribute(attribute).unwrap_or_else(|| panic!("{attribute} on {node:?}")).parse().expect("a number")
}

#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn of(node: Node) -> Rect {
        Rect { x: num(node, "x"), y: num(node, "y"), w: num(node, "width"), h: num(node, "height") }
    }
    fn overlaps(self, o: Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
    fn contains(self, x: f64, y: f64) -> bool {
        (self.x..=self.x + self.w).contains(&x) && (self.y..=self.y + self.h).contains(&y)
    }
}

fn one_rect(doc: &Document, class: &str) -> Rect {
    let found = with_class(doc, class);
    assert_eq!(found.len(), 1, "one {class}");
    Rect::of(found[0])
}

/// The legend sits beside the plotting area, inside the figure, and holds its entries.
fn assert_legend_off_the_data(doc: &Document) {
    let (plot, legend) = (one_rect(doc, "plot-area"), one_rect(doc, "legend-box"));
    assert!(!plot.overlaps(legend), "legend {legend:?} on the plotting area {plot:?}");
    let root = doc.root_element();
    let figure = Rect { x: 0.0, y: 0.0, w: num(root, "width"), h: num(root, "height") };
    for corner in [(legend.x, legend.y), (legend.x + legend.w, legend.y + legend.h)] {
        assert!(figure.contains(corner.0, corner.1), "legend {legend:?} outside the figure {figure:?}");
    }
    for entry in with_class(doc, "legend-entry").into_iter().chain(with_class(doc, "legend-note")) {
        assert!(legend.contains(num(entry, "x"), num(entry, "y")), "{entry:?} outside {legend:?}");
    }
}

fn points(node: Node) -> Vec<(f64, f64)> {
    let text = node.attribute("points").or(node.attribute("d")).expect("points or a path");
    let numbers: Vec<f64> = text
        .split(|c: char| c == ' ' || c == ',' || c.is_ascii_alphabetic())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("a coordinate"))
        .collect();
    numbers.chunks(2).map(|p| (p[0], p[1])).collect()
}

#[test]
fn an_ode_plot_has_units_on_its_axes_a_title_and_the_legend_beside_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let svg = svg_of(dir.path(), &["run", &example("brusselator.crnl")]);
    let doc = Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(series_of(&doc, "line"), ["X", "Y"], "the simulate block's plot list");
    assert!(with_class(&doc, "band").is_empty(), "one trajectory has no band");
    assert_eq!(text_of(&doc, "x-label"), ["time"]);
    assert_eq!(text_of(&doc, "y-label"), ["concentration"]);
    let title = text_of(&doc, "title").concat();
    assert!(title.contains("Brusselator") && title.contains("ode"), "{title}");
    assert_eq!(text_of(&doc, "legend-entry"), ["X", "Y"]);
    assert_legend_off_the_data(&doc);

    let counted = svg_of(dir.path(), &["run", &example("brusselator.crnl"), "--counts"]);
    assert_eq!(text_of(&Document::parse(&counted).unwrap(), "y-label"), ["molecules"]);
}

#[test]
fn an_ensemble_draws_each_mean_in_a_band_of_one_sd_and_leaves_sd_and_kurtosis_to_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let svg =
        svg_of(dir.path(), &["run", &example("birth_death.crnl"), "--trajectories", "40", "--points", "20"]);
    let doc = Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(series_of(&doc, "band"), ["X"], "a filled band per species");
    assert_eq!(series_of(&doc, "line"), ["X"], "the mean only");
    assert!(!svg.contains("-sd") && !svg.contains("-kurt"), "no sd or kurtosis series");
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(csv.starts_with("time,X-mean,X-sd,X-kurt\n"), "the CSV keeps them");
    let band = with_class(&doc, "band")[0];
    assert!(band.attribute("fill-opacity").is_some_and(|o| o.parse::<f64>().unwrap() < 1.0), "translucent");
    assert_eq!(
        band.attribute("fill"),
        with_class(&doc, "line")[0].attribute("stroke"),
        "in the line's colour"
    );
    // The band's outline runs along mean + sd, then back along mean - sd (SVG y grows downwards).
    let (line, outline) = (points(with_class(&doc, "line")[0]), points(band));
    assert_eq!(outline.len(), 2 * line.len());
    let sd: Vec<f64> = csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().parse().unwrap()).collect();
    for (k, &(x, y)) in line.iter().enumerate() {
        let (upper, lower) = (outline[k], outline[outline.len() - 1 - k]);
        assert!(upper.0 == x && lower.0 == x, "band and line share times");
        assert!(upper.1 <= y && y <= lower.1, "the mean lies in its band at point {k}");
        if k > 0 {
            assert!(lower.1 - upper.1 > 0.0 && sd[k] > 0.0, "the band has the sd's width at point {k}");
        }
    }
    assert_eq!(text_of(&doc, "y-label"), ["amount"], "X is declared `species amount`");
    let title = text_of(&doc, "title").concat();
    assert!(title.contains("BirthDeath") && title.contains("40 trajectories"), "{title}");
    assert!(text_of(&doc, "legend-note").concat().contains("±1 sd"));
    assert_legend_off_the_data(&doc);
}

#[test]
fn the_value_axis_names_the_unit_the_csv_holds() {
    let dir = tempfile::tempdir().unwrap();
    let src = "network Mixed {\n  species amount N = 20;\n  species C = 3;\n  N -> C @ 0.5;\n}\n";
    std::fs::write(dir.path().join("m.crnl"), src).unwrap();
    let y_label = |args: &[&str]| {
        let svg = svg_of(
            dir.path(),
            &[&["run", "m.crnl", "--method", "ssa", "--trajectories", "5"], args].concat(),
        );
        text_of(&Document::parse(&svg).unwrap(), "y-label").concat()
    };
    assert_eq!(y_label(&["--species", "C"]), "concentration");
    assert_eq!(y_label(&["--species", "N"]), "amount");
    assert_eq!(y_label(&["--counts"]), "molecules");
    assert_eq!(y_label(&[]), "amount or concentration");
    let svg = svg_of(dir.path(), &["run", "m.crnl"]);
    let entries = text_of(&Document::parse(&svg).unwrap(), "legend-entry");
    assert_eq!(
        entries,
        ["N (amount)", "C (concentration)"],
        "two units on one axis: each entry says its own"
    );
}

const ARRAYS: &str = "network Arr {\n  species x[3] = [1, 2, 3], A = 1;\n  for i in 0..3 { x[i] -> A @ 0.1; }\n  simulate { t_end = 2; points = 4; plot = [A, x[1 + 1]]; }\n}\n";

#[test]
fn species_picks_what_is_plotted_over_the_simulate_block_with_elements_and_whole_arrays() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.crnl"), ARRAYS).unwrap();
    let drawn = |args: &[&str]| {
        let svg = svg_of(dir.path(), &[&["run", "a.crnl"], args].concat());
        series_of(&Document::parse(&svg).unwrap(), "line")
    };
    assert_eq!(drawn(&[]), ["A", "x[2]"], "the simulate block's list, an element by its index expression");
    assert_eq!(drawn(&["--species", "x[1],A"]), ["x[1]", "A"]);
    assert_eq!(drawn(&["--species", "x"]), ["x[0]", "x[1]", "x[2]"]);
    assert_eq!(drawn(&["--species", "A", "--species", "x[2]"]), ["A", "x[2]"]);

    let o = crnc(&["run", "a.crnl", "--species", "x[1],B", "--plot", "bad.svg"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("E0200") && stderr.contains("`B`"), "{stderr}");
    assert!(!dir.path().join("bad.svg").exists());
    let o = crnc(&["run", "a.crnl", "--species", "x[7]"], dir.path());
    assert_eq!(o.status.code(), Some(1), "an element out of range is not a species");
}

#[test]
fn twelve_species_get_a_legend_that_fits_and_species_not_drawn_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let cascade = common::root().join("docs/plots/cascade.crnl").display().to_string();
    let svg = svg_of(dir.path(), &["run", &cascade]);
    let doc = Document::parse(&svg).unwrap();
    let names: Vec<String> = (0..12).map(|i| format!("x[{i}]")).collect();
    assert_eq!(series_of(&doc, "line"), names, "plot = [x] is the whole array");
    assert_eq!(text_of(&doc, "legend-entry"), names);
    assert_legend_off_the_data(&doc);

    let src = std::fs::read_to_string(&cascade).unwrap().replace("plot = [x];", "");
    std::fs::write(dir.path().join("c.crnl"), src).unwrap();
    let doc_text = svg_of(dir.path(), &["run", "c.crnl"]);
    let doc = Document::parse(&doc_text).unwrap();
    assert_eq!(series_of(&doc, "line").len(), 8, "the first eight when none are chosen");
    let notes = text_of(&doc, "legend-note").concat();
    assert!(notes.contains("4 more species not drawn") && notes.contains("--species"), "{notes}");
    assert_legend_off_the_data(&doc);
}

#[test]
fn png_plots_are_the_svg_rendered_at_twice_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let svg = svg_of(dir.path(), &["run", &example("brusselator.crnl")]);
    let o = crnc(&["run", &example("brusselator.crnl"), "-o", "out.csv", "--plot", "p.png"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(dir.path().join("p.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
    let doc = Document::parse(&svg).unwrap();
    let size = |a: &str| doc.root_element().attribute(a).unwrap().parse::<u32>().unwrap();
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (2 * size("width"), 2 * size("height")), "IHDR size");
}
