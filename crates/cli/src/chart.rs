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
/// without and with guardrails.
pub(crate) fn exposure(path: &Path, report: &AuditReport) -> anyhow::Result<()> {
    font()?;
    let series = |m: &guardrail_engine::guard_engine::Metrics| -> Vec<(i32, f64)> {
        std::iter::once(m.exposure_after_view)
            .chain(m.exposure_by_round.iter().copied())
            .enumerate()
            .map(|(i, x)| (i as i32, x * 100.0))
            .collect()
    };
    let unguarded = series(&report.unguarded);
    let guarded = series(&report.guarded);
    let rounds = unguarded.len() as i32 - 1;
    let root = BitMapBackend::new(path, (900, 560)).into_drawing_area();
    let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Network accounts in a sock puppet's top-10 suggestions", ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(0..rounds.max(1), 0.0..100.0)?;
        chart
            .configure_mesh()
            .x_desc("round (0 = right after viewing one seller; then follow 3 suggestions a round)")
            .y_desc("share of top-10 (%)")
            .x_labels(rounds.max(1) as usize + 1)
            .label_style(("sans-serif", 15))
            .draw()?;
        let red = RGBColor(200, 40, 40);
        let blue = RGBColor(30, 90, 200);
        chart
            .draw_series(LineSeries::new(unguarded.clone(), red.stroke_width(3)))?
            .label(format!(
                "without guardrails (after view {:.0}%)",
                report.unguarded.exposure_after_view * 100.0
            ))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(3)));
        chart.draw_series(unguarded.iter().map(|&p| Circle::new(p, 4, red.filled())))?;
        chart
            .draw_series(LineSeries::new(guarded.clone(), blue.stroke_width(3)))?
            .label(format!(
                "with guardrails (worst round {:.1}%)",
                report.guarded.worst_round_exposure * 100.0
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(3))
            });
        chart.draw_series(guarded.iter().map(|&p| Circle::new(p, 4, blue.filled())))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .label_font(("sans-serif", 16))
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
