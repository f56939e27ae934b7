//! `guardrail demo`: the main job for now. Synthesises a small world, ingests
//! it into an embedded SQLite file, prints what is in it, runs the engines
//! over it and ends with the review queue of its reports.

use std::path::PathBuf;
use std::process::ExitCode;

use guardrail_engine::core::EventType;
use guardrail_engine::store_backend::IngestOptions;

/// Arguments of `guardrail demo`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Accounts in the synthetic world.
    #[arg(long, default_value_t = guardrail_engine::synth::DEFAULT_ACCOUNTS)]
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
    // A fresh database each run, so the figures below are this world's.
    guardrail_engine::world::remove_sqlite_database(&db)?;
    println!("\n2. ingesting into {} (SQLite, WAL, synced commits)", db.display());
    let url = db.display().to_string();
    let mut store = guardrail_engine::store::open_writer(&url)?;
    let events = world.join("events.jsonl");
    let report = super::ingest::load(&events, store.as_mut(), &IngestOptions::default(), false)?;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "  {} events stored in {:.2} s ({:.0} events/s), {} duplicates, {} invalid",
        report.inserted,
        secs,
        report.events() as f64 / secs,
        report.duplicates,
        report.invalid
    );
    let again = super::ingest::load(&events, store.as_mut(), &IngestOptions::default(), true)?;
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
            guardrail_engine::core::Timestamp::from_unix_micros(micros)
                .map_or_else(|| micros.to_string(), |t| t.to_rfc3339())
        };
        println!("  from {} to {}", show(first), show(last));
    }
    text_pass(&world)?;
    super::scan::demo_pass(&world, &url)?;
    super::audit::demo_pass(&world, &args.dir)?;
    // The queue as of the world's last event: its reports are as old as the world says.
    let last = summary
        .time_span
        .and_then(|(_, last)| guardrail_engine::core::Timestamp::from_unix_micros(last));
    match last {
        Some(now) => super::review::demo_pass(&url, now)?,
        None => println!("\n7. reports and review: the world holds no events"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Step 4: every handle, bio, caption, hashtag, comment and search of the
/// world through the text engine, with the lexicon the world was planted
/// from; flagged shares split by what truth.json says about the author.
fn text_pass(world: &std::path::Path) -> anyhow::Result<()> {
    use guardrail_engine::lexicon::TEST_LEXICON;

    println!("\n4. text engine over the world's texts (test lexicon, the one the world was planted from)");
    let texts = guardrail_engine::text::check_world(world, &TEST_LEXICON.matcher()?)?;
    let pct = |a: u64, b: u64| {
        if b == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}%", 100.0 * a as f64 / b as f64)
        }
    };
    println!("  {:<10} {:>22} {:>22}", "surface", "network: flagged", "others: flagged");
    for (surface, t) in &texts.surfaces {
        println!(
            "  {surface:<10} {:>22} {:>22}",
            format!(
                "{} of {} ({})",
                t.network_flagged,
                t.network,
                pct(t.network_flagged, t.network)
            ),
            format!("{} of {} ({})", t.others_flagged, t.others, pct(t.others_flagged, t.others))
        );
    }
    println!(
        "  {:.1} MB of text checked in {:.2} s, reading and parsing included (flagged = strong or block; \
         network texts also include ordinary ones, so their share is below 100%)",
        texts.bytes as f64 / 1e6,
        texts.seconds.max(1e-9)
    );
    Ok(())
}
