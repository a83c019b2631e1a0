//! Plots of a run's table: SVG through plotters, PNG rendered from it by resvg.

use plotters::prelude::*;

use super::run::Table;

/// At most this many series are drawn when none are chosen, to stay readable.
pub const DEFAULT_SERIES: usize = 8;

/// Draws the chosen columns (or the first few) against time as SVG.
pub fn svg(table: &Table, title: &str, columns: &[String]) -> Result<String, String> {
    let chosen: Vec<&str> = if columns.is_empty() {
        table.columns.iter().take(DEFAULT_SERIES).map(String::as_str).collect()
    } else {
        columns.iter().map(String::as_str).collect()
    };
    let series: Vec<(&str, Vec<(f64, f64)>)> = chosen
        .iter()
        .filter_map(|&name| {
            let column = table.column(name).or_else(|| table.column(&format!("{name}-mean")))?;
            Some((name, table.times.iter().copied().zip(column).filter(|(_, v)| v.is_finite()).collect()))
        })
        .collect();
    let t_end = table.times.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let (lo, hi) = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|&(_, v)| v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo.is_finite() && hi > lo { (lo.min(0.0), hi * 1.05) } else { (0.0, 1.0) };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (900, 560)).into_drawing_area();
        let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 22))
                .margin(16)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(0.0..t_end, lo..hi)?;
            chart.configure_mesh().x_desc("time").y_desc("value").draw()?;
            for (i, (name, points)) in series.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                chart
                    .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
                    .label(*name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            }
            chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
            root.present()?;
            Ok(())
        };
        draw().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The same plot rendered to PNG, with DejaVu Sans embedded so that labels
/// render on machines without system fonts.
pub fn png(table: &Table, title: &str, columns: &[String]) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let svg = svg(table, title, columns)?;
    let mut options = usvg::Options::default();
    let fonts = std::sync::Arc::make_mut(&mut options.fontdb);
    fonts.load_font_data(dejavu::sans::regular().to_vec());
    fonts.set_sans_serif_family("DejaVu Sans");
    options.font_family = "DejaVu Sans".to_string();
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("the plot has no area".to_string())?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| e.to_string())
}
