//! PNG charts with plotters' bitmap backend: each scenario's latency distribution and its
//! extra charts (memory per connection against connection count, RSS over time). Text is
//! drawn with DejaVu Sans; without the font the charts are skipped with a note.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::results::{Chart, Run};

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const SIZE: (u32, u32) = (1200, 700);

/// Draws every chart of the run into `dir`; notes on what could not be drawn.
pub fn draw_all(run: &Run, dir: &Path) -> Vec<String> {
    if let Err(e) = load_font() {
        return vec![format!("plots skipped: {e}")];
    }
    let charts = run.scenarios.iter().flat_map(|s| s.latency_chart().into_iter().chain(s.charts.iter().cloned()));
    charts
        .filter_map(|chart| draw(&chart, &dir.join(&chart.file)).err().map(|e| format!("{}: {e}", chart.file)))
        .collect()
}

fn load_font() -> anyhow::Result<()> {
    let bytes = std::fs::read(FONT).map_err(|e| anyhow::anyhow!("{FONT}: {e} (Debian: fonts-dejavu-core)"))?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(bytes.into_boxed_slice()))
        .map_err(|_| anyhow::anyhow!("{FONT} is not a usable font"))
}

fn draw(chart: &Chart, path: &Path) -> anyhow::Result<()> {
    let points = chart.series.iter().flat_map(|(_, p)| p.iter());
    let (mut x_max, mut y_max, mut x_min) = (0f64, 0f64, f64::MAX);
    for &(x, y) in points {
        x_max = x_max.max(x);
        y_max = y_max.max(y);
        x_min = x_min.min(x);
    }
    if x_max <= 0.0 {
        return Ok(());
    }
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut builder = ChartBuilder::on(&root);
    builder.caption(&chart.title, ("sans-serif", 26)).margin(20).x_label_area_size(50).y_label_area_size(80);
    let y_range = 0.0..y_max * 1.08;
    if chart.log_x {
        let x_range = (x_min.max(0.01) * 0.8..x_max * 1.25).log_scale();
        let mut ctx = builder.build_cartesian_2d(x_range, y_range)?;
        ctx.configure_mesh().x_desc(&chart.x_label).y_desc(&chart.y_label).label_style(("sans-serif", 16)).draw()?;
        draw_series(&mut ctx, chart)?;
        legend(&mut ctx)?;
    } else {
        let x_range = 0.0..x_max * 1.05;
        let mut ctx = builder.build_cartesian_2d(x_range, y_range)?;
        ctx.configure_mesh().x_desc(&chart.x_label).y_desc(&chart.y_label).label_style(("sans-serif", 16)).draw()?;
        draw_series(&mut ctx, chart)?;
        legend(&mut ctx)?;
    }
    root.present()?;
    Ok(())
}

type Ctx<'a, X> = ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>;

fn draw_series<X>(ctx: &mut Ctx<'_, X>, chart: &Chart) -> anyhow::Result<()>
where
    X: Ranged<ValueType = f64>,
{
    for (i, (name, points)) in chart.series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let style = ShapeStyle::from(color).stroke_width(2);
        ctx.draw_series(LineSeries::new(points.iter().copied(), style))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        if points.len() <= 12 {
            ctx.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        }
    }
    Ok(())
}

fn legend<X>(ctx: &mut Ctx<'_, X>) -> anyhow::Result<()>
where
    X: Ranged<ValueType = f64>,
{
    ctx.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    Ok(())
}
