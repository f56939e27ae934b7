//! `guardrail demo`: the main job for now. Synthesises a small world, ingests
//! it into an embedded SQLite file and prints what is in it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use guardrail_core::EventType;
use guardrail_store::IngestOptions;

/// Arguments of `guardrail demo`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Accounts in the synthetic world.
    #[arg(long, default_value_t = 20_000)]
    accounts: u32,
    /// Seed of the world.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Working directory for the world and the database (kept afterwards).
    #[arg(long, value_name = "DIR", default_value = "guardrail-demo")]
    dir: PathBuf,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let world = args.dir.join("world");
    println!("1. synthesising a platform of {} accounts (seed {})", args.accounts, args.seed);
    let stats = super::synth::quick(args.accounts, args.seed, world.clone())?;
    super::synth::print_stats(&stats, &world);

    let db = args.dir.join("guardrail.db");
    if db.exists() {
        // A fresh database each run, so the figures below are this world's.
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing old {}", path.display()))?;
            }
        }
    }
    println!("\n2. ingesting into {} (SQLite, WAL, synced commits)", db.display());
    let url = db.display().to_string();
    let mut store = guardrail_store::open(&url).with_context(|| format!("opening {url}"))?;
    let events = world.join("events.jsonl");
    let file =
        std::fs::File::open(&events).with_context(|| format!("opening {}", events.display()))?;
    let report = super::ingest::load(
        std::io::BufReader::with_capacity(1 << 20, file),
        store.as_mut(),
        &events.display().to_string(),
        &IngestOptions::default(),
        false,
    )?;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "  {} events stored in {:.2} s ({:.0} events/s), {} duplicates, {} invalid",
        report.inserted,
        secs,
        report.events() as f64 / secs,
        report.duplicates,
        report.invalid
    );
    let again = super::ingest::load(
        std::io::BufReader::new(std::fs::File::open(&events)?),
        store.as_mut(),
        &events.display().to_string(),
        &IngestOptions::default(),
        true,
    )?;
    println!(
        "  ingesting the same file again: {} new, {} already stored (idempotent)",
        again.inserted, again.duplicates
    );

    println!("\n3. what the store holds");
    let summary = store.summary()?;
    println!(
        "  {} events, {} accounts ({} declared minors)",
        summary.total_events(),
        summary.accounts,
        summary.minor_accounts
    );
    for kind in EventType::ALL {
        println!("    {:<12} {:>10}", kind.as_str(), summary.events_of(kind));
    }
    if let Some((first, last)) = summary.time_span {
        let show = |micros| {
            guardrail_core::Timestamp::from_unix_micros(micros)
                .map_or_else(|| micros.to_string(), |t| t.to_rfc3339())
        };
        println!("  from {} to {}", show(first), show(last));
    }
    println!(
        "\nNext steps (later issues): media matching against world/bank.txt, term detection, \
         network mapping from the enforcement seeds, and discovery guardrails."
    );
    Ok(ExitCode::SUCCESS)
}
