//! Charts (PNG, plotters).
//!
//! plotters draws text with a TrueType font it is given (its `ab_glyph`
//! backend: pure Rust, no fontconfig): the first of `GUARDRAIL_FONT` and the
//! usual system paths (Debian's `fonts-dejavu-core`, Liberation, Noto).

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use guardrail_engine::guard_engine::AuditReport;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::FontStyle;

const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// Registers a font once; the error says what to install.
fn font() -> anyhow::Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let candidates: Vec<String> = std::env::var("GUARDRAIL_FONT")
            .ok()
            .into_iter()
            .chain(FONTS.iter().map(|s| (*s).to_owned()))
            .collect();
        for path in &candidates {
            if let Ok(bytes) = std::fs::read(path) {
                // plotters keeps registered fonts for the life of the process.
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return Ok(());
                }
            }
        }
        Err("no TrueType font found for the chart: install fonts-dejavu-core or set \
             GUARDRAIL_FONT to a .ttf file"
            .to_owned())
    })
    .clone()
    .map_err(anyhow::Error::msg)
}

/// Writes the audit's exposure per round (0 = right after the single view),
/// on every surface the audit measures, without and with guardrails.
pub(crate) fn exposure(path: &Path, report: &AuditReport) -> anyhow::Result<()> {
    font()?;
    type Of = fn(&guardrail_engine::guard_engine::Metrics) -> (f64, &[f64]);
    let surfaces: [(&str, Of); 2] = [
        ("suggestions (top 10)", |m| (m.exposure_after_view, &m.exposure_by_round)),
        ("feed/explore (top 20)", |m| (m.feed_exposure_after_view, &m.feed_exposure_by_round)),
    ];
    let series = |(first, rest): (f64, &[f64])| -> Vec<(i32, f64)> {
        std::iter::once(first)
            .chain(rest.iter().copied())
            .enumerate()
            .map(|(i, x)| (i as i32, x * 100.0))
            .collect()
    };
    let rounds = report.unguarded.exposure_by_round.len() as i32;
    let root = BitMapBackend::new(path, (900, 560)).into_drawing_area();
    let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Network accounts and posts a sock puppet is shown", ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(0..rounds.max(1), 0.0..100.0)?;
        chart
            .configure_mesh()
            .x_desc("round (0 = right after viewing one seller; then follow 3 suggestions a round)")
            .y_desc("network share of what is shown (%)")
            .x_labels(rounds.max(1) as usize + 1)
            .label_style(("sans-serif", 15))
            .draw()?;
        let red = RGBColor(200, 40, 40);
        let blue = RGBColor(30, 90, 200);
        for (i, (name, of)) in surfaces.iter().enumerate() {
            for (side, m, colour) in
                [("without", &report.unguarded, red), ("with", &report.guarded, blue)]
            {
                let points = series(of(m));
                let style = if i == 0 { colour.stroke_width(3) } else { colour.stroke_width(1) };
                let worst = points.iter().map(|p| p.1).fold(0.0, f64::max);
                chart
                    .draw_series(LineSeries::new(points.clone(), style))?
                    .label(format!("{name}, {side} guardrails (worst {worst:.1}%)"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                if i == 0 {
                    chart
                        .draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
                } else {
                    chart.draw_series(
                        points.iter().map(|&p| TriangleMarker::new(p, 5, colour.filled())),
                    )?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("drawing {}", path.display()))
}
