//! The review page's timeline over the whole film, as inline SVG (plotters): colour change the motion does not
//! explain, the network's uncertainty at keyframes, cuts, how each frame got its colour, and hints.

use std::ops::Range;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use super::data::{Doubt, FrameRecord, Kind};

const SIZE: (u32, u32) = (1100, 280);
/// Columns the film is drawn in at most: a feature's frames are grouped, each group drawn by its worst frame,
/// so a spike in a long film still shows and the page stays small.
const COLUMNS: usize = 1000;
const CHANGE: RGBColor = RGBColor(31, 119, 180);
const UNSURE: RGBColor = RGBColor(214, 39, 40);
const CUT: RGBColor = RGBColor(90, 90, 90);
const HINT: RGBColor = RGBColor(44, 160, 44);

/// The plot, and where its frames lie on it, for the page's script to turn a click into a frame.
pub struct Plot {
    pub svg: String,
    /// The plotting area's left and right edge, in the SVG's pixels, and the frames at them.
    pub left: i32,
    pub right: i32,
    pub frames: Range<usize>,
}

/// A column of the plot: the frames it stands for, drawn by their worst.
struct Column {
    at: f64,
    change: Option<f64>,
    unsure: Option<f64>,
    cut: bool,
    hints: bool,
    kind: Kind,
}

fn columns(records: &[FrameRecord]) -> Vec<Column> {
    let per = records.len().div_ceil(COLUMNS).max(1);
    let worst = |v: &mut dyn Iterator<Item = f64>| v.reduce(f64::max);
    records
        .chunks(per)
        .map(|group| Column {
            at: group[0].index as f64,
            change: worst(&mut group.iter().filter_map(|r| r.stability)),
            unsure: worst(&mut group.iter().filter_map(|r| r.uncertainty)),
            cut: group.iter().any(|r| r.cut),
            hints: group.iter().any(|r| r.hints > 0),
            kind: [Kind::Keyframe, Kind::Repeat]
                .into_iter()
                .find(|k| group.iter().any(|r| r.kind == *k))
                .unwrap_or(Kind::Carried),
        })
        .collect()
}

/// The plot of `records`, whose uncertainty is `doubt`.
pub fn timeline(records: &[FrameRecord], doubt: Doubt) -> Result<Plot> {
    let first = records.first().map_or(0, |r| r.index);
    let end = records.last().map_or(1, |r| r.index + 1);
    let columns = columns(records);
    let top = columns.iter().filter_map(|c| c.change).fold(6.0, f64::max) * 1.1;
    let mut svg = String::new();
    let (left, right) = draw(&mut svg, &columns, first as f64..end as f64, top, doubt).map_err(|e| anyhow!("{e}"))?;
    // A viewBox lets the page scale the plot to its width; inline SVG needs no namespace, and without it the
    // page names no web address at all.
    let svg = svg
        .replacen(
            &format!("<svg width=\"{}\" height=\"{}\"", SIZE.0, SIZE.1),
            &format!("<svg id=\"timeline\" viewBox=\"0 0 {} {}\"", SIZE.0, SIZE.1),
            1,
        )
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    Ok(Plot {
        svg,
        left,
        right,
        frames: first..end,
    })
}

type Drawn = std::result::Result<(i32, i32), Box<dyn std::error::Error>>;

fn draw(svg: &mut String, columns: &[Column], frames: Range<f64>, top: f64, doubt: Doubt) -> Drawn {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(56)
        .right_y_label_area_size(56)
        .build_cartesian_2d(frames.clone(), 0.0..top)?
        .set_secondary_coord(frames.clone(), 0.0..1.0);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("frame")
        .y_desc("change not explained by motion (ΔE)")
        .draw()?;
    let (axis, legend) = uncertainty_words(doubt);
    chart.configure_secondary_axes().y_desc(axis).draw()?;
    chart.draw_series(strip(columns, frames.end - frames.start, top))?;
    chart.draw_series(
        columns
            .iter()
            .filter(|c| c.cut)
            .map(|c| PathElement::new([(c.at, 0.0), (c.at, top)], CUT.stroke_width(1))),
    )?;
    let change = columns.iter().filter_map(|c| c.change.map(|v| (c.at, v)));
    chart
        .draw_series(LineSeries::new(change, CHANGE.stroke_width(1)))?
        .label("stability: change not explained by motion")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], CHANGE));
    let unsure = columns.iter().filter_map(|c| c.unsure.map(|v| (c.at, v)));
    chart
        .draw_secondary_series(unsure.map(|p| Circle::new(p, 2, UNSURE.filled())))?
        .label(legend)
        .legend(|(x, y)| Circle::new((x + 8, y), 3, UNSURE.filled()));
    chart
        .draw_series(
            columns
                .iter()
                .filter(|c| c.hints)
                .map(|c| TriangleMarker::new((c.at, top * 0.95), 5, HINT.filled())),
        )?
        .label("hints")
        .legend(|(x, y)| TriangleMarker::new((x + 8, y), 4, HINT.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    let (x, _) = chart.plotting_area().get_pixel_range();
    root.present()?;
    Ok((x.start, x.end))
}

/// The uncertainty's axis title and legend entry: a network without a measure of its doubt has no red points, and
/// both say so.
fn uncertainty_words(doubt: Doubt) -> (&'static str, &'static str) {
    match doubt {
        Doubt::Entropy => ("uncertainty (0 sure, 1 no idea)", "uncertainty at keyframes"),
        Doubt::Unmeasured => (
            "uncertainty: none from DDColor",
            "no uncertainty: DDColor gives no measure of doubt",
        ),
    }
}

/// The strip along the bottom that says how each column's frames got their colour.
fn strip(columns: &[Column], span: f64, top: f64) -> Vec<Rectangle<(f64, f64)>> {
    let width = span / columns.len().max(1) as f64;
    columns
        .iter()
        .map(|c| {
            let colour = match c.kind {
                Kind::Keyframe => RGBColor(60, 60, 60),
                Kind::Repeat => RGBColor(150, 150, 150),
                Kind::Carried => RGBColor(225, 225, 225),
            };
            Rectangle::new([(c.at, 0.0), (c.at + width, top * 0.04)], colour.filled())
        })
        .collect()
}
