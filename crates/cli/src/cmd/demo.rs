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
    let mut store = super::open_writer(&url)?;
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
    text_pass(&world)?;
    super::scan::demo_pass(&world, &url)?;
    super::audit::demo_pass(&world, &args.dir)?;
    println!("\nNext steps (later issues): the server, reports and review.");
    Ok(ExitCode::SUCCESS)
}

/// Step 4: every handle, bio, caption, hashtag, comment and search of the
/// world through the text engine, with the lexicon the world was planted
/// from; flagged shares split by what truth.json says about the author.
fn text_pass(world: &std::path::Path) -> anyhow::Result<()> {
    use guardrail_core::{EventKind, EventReader, Lexicon, Surface, Truth};
    use guardrail_text::{Level, Matcher};

    println!("\n4. text engine over the world's texts (test lexicon, the one the world was planted from)");
    let truth_path = world.join("truth.json");
    let truth = Truth::from_json(
        &std::fs::read_to_string(&truth_path)
            .with_context(|| format!("reading {}", truth_path.display()))?,
    )
    .with_context(|| format!("in {}", truth_path.display()))?;
    let matcher = Matcher::new(Lexicon::from_toml(guardrail_synth::TEST_LEXICON)?)?;
    // Per surface: [network texts, network flagged, other texts, other flagged].
    let mut tally: std::collections::BTreeMap<&str, [u64; 4]> = Default::default();
    let mut bytes = 0usize;
    let started = std::time::Instant::now();
    let events = world.join("events.jsonl");
    let file =
        std::fs::File::open(&events).with_context(|| format!("opening {}", events.display()))?;
    let mut check = |surface: Surface, who: &str, text: &str| {
        bytes += text.len();
        let flagged = matcher.check(text, surface).is_ok_and(|v| v.level >= Level::Strong);
        let row = tally.entry(surface.as_str()).or_default();
        let base = if truth.network.contains_key(who) { 0 } else { 2 };
        row[base] += 1;
        row[base + 1] += u64::from(flagged);
    };
    for event in EventReader::new(std::io::BufReader::with_capacity(1 << 20, file)) {
        match event.with_context(|| format!("reading {}", events.display()))?.kind {
            EventKind::Account(a) => {
                check(Surface::Handle, a.account.as_str(), &a.handle);
                if let Some(bio) = &a.bio {
                    check(Surface::Bio, a.account.as_str(), bio);
                }
            }
            EventKind::Post(p) => {
                if let Some(caption) = &p.caption {
                    check(Surface::Caption, p.author.as_str(), caption);
                }
                for tag in &p.hashtags {
                    check(Surface::Hashtag, p.author.as_str(), tag);
                }
            }
            EventKind::Comment(c) => check(Surface::Comment, c.actor.as_str(), &c.text),
            EventKind::Search(q) => check(Surface::Search, q.actor.as_str(), &q.query),
            _ => {}
        }
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let pct = |a: u64, b: u64| {
        if b == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}%", 100.0 * a as f64 / b as f64)
        }
    };
    println!("  {:<10} {:>22} {:>22}", "surface", "network: flagged", "others: flagged");
    for (surface, [nt, nf, ot, of]) in &tally {
        println!(
            "  {surface:<10} {:>22} {:>22}",
            format!("{nf} of {nt} ({})", pct(*nf, *nt)),
            format!("{of} of {ot} ({})", pct(*of, *ot))
        );
    }
    println!(
        "  {:.1} MB of text checked in {:.2} s, reading and parsing included (flagged = strong or block; \
         network texts also include ordinary ones, so their share is below 100%)",
        bytes as f64 / 1e6,
        secs
    );
    Ok(())
}
