//! `guardrail ingest`: load an event stream into the store.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use guardrail_engine::store_backend::{
    IngestOptions, IngestReport, Store, DEFAULT_BATCH_SIZE, DEFAULT_DATABASE,
};

/// Arguments of `guardrail ingest`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The event stream (JSON Lines, format v1); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    events: PathBuf,
    /// Where to store: a file path or sqlite:PATH (embedded), or postgres://…
    #[arg(long, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = DEFAULT_DATABASE)]
    database: String,
    /// Skip and count invalid lines, and events whose id was already ingested
    /// with different content, instead of stopping at the first one.
    #[arg(long)]
    skip_invalid: bool,
    /// Skip and count events whose `type` this version does not know.
    #[arg(long)]
    skip_unknown_types: bool,
    /// Events per transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE as u32, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    batch_size: u32,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut store = guardrail_engine::store::open_writer(&args.database)?;
    let options = IngestOptions {
        batch_size: args.batch_size as usize,
        skip_invalid: args.skip_invalid,
        skip_unknown_types: args.skip_unknown_types,
        ..IngestOptions::default()
    };
    let report = load(&args.events, store.as_mut(), &options, args.quiet)?;
    if !args.quiet {
        print_report(&report, &args.database);
    }
    Ok(ExitCode::SUCCESS)
}

/// Ingests `events` (`-` for standard input), printing progress to a
/// terminal's stderr about once a second.
pub(crate) fn load(
    events: &Path,
    store: &mut dyn Store,
    options: &IngestOptions,
    quiet: bool,
) -> anyhow::Result<IngestReport> {
    let show_progress = !quiet && std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let report = guardrail_engine::ingest::ingest_path(store, events, options, &mut |r| {
        if show_progress && last.elapsed() >= Duration::from_secs(1) {
            last = Instant::now();
            eprint!("\r  {} lines, {} events stored ...", r.lines, r.inserted);
        }
    });
    if show_progress {
        eprint!("\r\x1b[K");
    }
    Ok(report?)
}

fn print_report(report: &IngestReport, database: &str) {
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "ingested {} lines into {database} in {:.2} s ({:.0} events/s): \
         {} new events, {} already stored",
        report.lines,
        secs,
        report.events() as f64 / secs,
        report.inserted,
        report.duplicates,
    );
    if report.skipped_unknown > 0 {
        println!("skipped {} events of unknown type", report.skipped_unknown);
    }
    if report.conflicts > 0 {
        println!(
            "skipped {} conflicting events (an event id already ingested with different content; \
             send a new id for a new state); the first ones:",
            report.conflicts
        );
        for c in &report.conflict_list {
            println!("  line {}: event id {}", c.line, c.id);
        }
    }
    if report.invalid > 0 {
        println!("skipped {} invalid lines; the first ones:", report.invalid);
        for e in &report.errors {
            println!("  {e}");
        }
    }
}
