//! `guardrail scan` and `guardrail eval-scan`: network mapping and identity
//! linking over an event stream (`guardrail-graph`), with the lexicon
//! (`guardrail-text`) and hash banks (`guardrail-media`) as seed signals.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use guardrail_engine::core::RiskTier;
use guardrail_engine::events::SignalSources;
use guardrail_engine::scan::{evaluate, ScanJob};

/// The scan's signals besides enforcement (shared by `scan` and `audit`).
#[derive(clap::Args)]
pub(crate) struct Signals {
    /// The lexicon whose strong hits in handles, bios, captions and hashtags
    /// are seeds (and, for `audit`, the guard's text rules).
    #[command(flatten)]
    lexicon: super::text::LexiconOptions,
    /// Hash list whose matches in posts' media are confirmed seeds, in
    /// addition to the banks stored in --database (repeatable): a PDQ list
    /// as `guardrail synth` writes it, or a CSV/TSV with a header.
    #[arg(long, value_name = "FILE")]
    bank: Vec<PathBuf>,
    /// PDQ match radius for the banks.
    #[arg(long, default_value_t = guardrail_engine::banks::DEFAULT_RADIUS, value_parser = clap::value_parser!(u32).range(0..=guardrail_engine::banks::MAX_RADIUS as i64))]
    radius: u32,
}

impl Signals {
    /// Where the composition layer reads the signals from.
    pub(crate) fn sources(&self) -> SignalSources {
        SignalSources {
            lexicon: self.lexicon.source(),
            bank_files: self.bank.clone(),
            radius: Some(self.radius),
        }
    }
}

/// Arguments of `guardrail scan`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The event stream (JSON Lines, format v1); without it, the event log
    /// stored in --database (after `guardrail ingest`).
    #[arg(long, value_name = "FILE", required_unless_present = "database")]
    events: Option<PathBuf>,
    #[command(flatten)]
    signals: Signals,
    /// Skip events of unknown type instead of failing.
    #[arg(long)]
    skip_unknown_types: bool,
    /// Print JSON: {"accounts", "networks", "persons", "weak_links", "blocks", "summary"}.
    #[arg(long)]
    json: bool,
    /// Store the results in this database (SQLite path or PostgreSQL URL);
    /// without --events, the events are read from it too.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Accounts listed per tier in the readable summary.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Arguments of `guardrail eval-scan`.
#[derive(clap::Args)]
pub(crate) struct EvalArgs {
    /// A world directory with events.jsonl and truth.json (from `guardrail synth` or any generator).
    #[arg(long, value_name = "DIR")]
    world: PathBuf,
    /// Also seed from this lexicon (the required figures start from enforcement only).
    #[command(flatten)]
    lexicon: super::text::LexiconOptions,
    /// Also seed from hash-bank matches against this list (e.g. the world's bank.txt).
    #[arg(long, value_name = "FILE")]
    bank: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let job = ScanJob {
        events: args.events.clone(),
        database: args.database.clone(),
        signals: args.signals.sources(),
        skip_unknown_types: args.skip_unknown_types,
        ..ScanJob::default()
    };
    let outcome = job.run()?;
    let (loaded, result, scan_seconds) =
        (&outcome.loaded, &outcome.scanned.result, outcome.scanned.seconds);
    let stored = outcome.stored;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer(&mut out, result)?;
        writeln!(out)?;
    } else {
        let s = &result.summary;
        writeln!(
            out,
            "{} events, {} accounts, {} edges (loaded in {:.1} s, scanned in {:.1} s)",
            loaded.report.events, s.accounts, s.edges, loaded.seconds, scan_seconds
        )?;
        writeln!(
            out,
            "{} seeds; {} confirmed, {} suspected, {} candidates for review, {} exposed; {} networks, {} dense blocks, {} persons with several accounts",
            s.seeds,
            s.confirmed,
            s.suspected,
            s.candidates,
            s.exposed,
            result.networks.len(),
            result.blocks.len(),
            result.persons.len()
        )?;
        for tier in
            [RiskTier::Confirmed, RiskTier::Suspected, RiskTier::Candidate, RiskTier::Exposed]
        {
            let list: Vec<_> = result.accounts.iter().filter(|a| a.tier == tier).collect();
            if list.is_empty() {
                continue;
            }
            writeln!(out, "\n{tier} ({}):", list.len())?;
            for a in list.iter().take(args.top) {
                writeln!(out, "  {} (score {:.1})", a.id, a.score)?;
                for r in &a.reasons {
                    writeln!(out, "    - {r}")?;
                }
            }
            if list.len() > args.top {
                writeln!(out, "  ... and {} more (--json lists all)", list.len() - args.top)?;
            }
        }
        for n in result.networks.iter().take(args.top) {
            writeln!(
                out,
                "\nnetwork {}: {} accounts ({} confirmed)",
                n.id,
                n.accounts.len(),
                n.confirmed
            )?;
        }
        if !result.weak_links.is_empty() {
            writeln!(
                out,
                "\n{} declarations of one person that nothing corroborates (weak links, not merged; --json lists them)",
                result.weak_links.len()
            )?;
        }
        for p in result.persons.iter().filter(|p| p.accounts.len() > 1).take(args.top) {
            writeln!(out, "\nperson {}: {}", p.id, p.accounts.join(", "))?;
            for e in &p.evidence {
                writeln!(out, "    - {e}")?;
            }
        }
        if let Some(run) = stored {
            writeln!(out, "\nstored as scan {run}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn eval_scan(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let sources = SignalSources {
        lexicon: args.lexicon.source(),
        bank_files: args.bank.clone(),
        radius: None,
    };
    let report = evaluate(&args.world, &sources)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "world {}: {} accounts, {} edges; seeds from {}; load {:.1} s, scan {:.1} s",
            report.world,
            report.accounts,
            report.edges,
            report.seeds,
            report.load_seconds,
            report.scan_seconds
        )?;
        writeln!(
            out,
            "\n{:<26} {:>8} {:>8} {:>8} {:>8} {:>10}",
            "method", "network", "flagged", "correct", "recall", "precision"
        )?;
        for d in &report.detection {
            writeln!(
                out,
                "{:<26} {:>8} {:>8} {:>8} {:>7.1}% {:>9.1}%",
                d.method,
                d.network,
                d.flagged,
                d.correct,
                d.recall * 100.0,
                d.precision * 100.0
            )?;
        }
        let d = &report.detection[0];
        let roles: Vec<String> =
            d.by_role.iter().map(|(r, (found, total))| format!("{r} {found}/{total}")).collect();
        writeln!(out, "guardrail scan recall by role: {}", roles.join(", "))?;
        let p = &report.planted;
        writeln!(
            out,
            "guardrail scan: precision {:.1}%; seller recall {}/{} ({:.1}%); buyers following >= 2 sellers found {}/{} ({:.1}%)",
            d.precision * 100.0,
            p.sellers.1,
            p.sellers.0,
            p.seller_recall * 100.0,
            p.buyers_two_sellers_found,
            p.buyers_two_sellers,
            p.buyer_recall * 100.0
        )?;
        writeln!(
            out,
            "benign flagged: {} of {} accounts outside the network ({:.3}%)",
            d.benign_flagged,
            d.benign,
            d.benign_flagged_share * 100.0
        )?;
        if let (Some(real), Some(flagged), Some(share)) =
            (p.real, p.real_flagged, p.real_flagged_share)
        {
            writeln!(
                out,
                "real accounts flagged: {flagged} of the real graph's {real} own accounts ({:.3}%); planted benign accounts flagged: {}/{}",
                share * 100.0,
                p.planted_benign.1,
                p.planted_benign.0
            )?;
        }
        let l = &report.linking;
        writeln!(
            out,
            "\nidentity: {}/{} returning accounts linked to their banned person ({:.1}%); {} wrong merges ({} between benign people); {}/{} same-person pairs linked",
            l.linked,
            l.returning,
            l.recall * 100.0,
            l.wrong_pairs,
            l.wrong_benign_pairs,
            l.same_person_pairs.1,
            l.same_person_pairs.0
        )?;
        writeln!(
            out,
            "persons: {}/{} declared backups linked to their main ({}/{} corroborated by an identifier or both bios); {}/{} returning accounts linked; {} wrong merges touching planted benign accounts",
            p.backups.1,
            p.backups.0,
            p.corroborated_backups.1,
            p.corroborated_backups.0,
            p.returning.1,
            p.returning.0,
            p.wrong_planted_benign_pairs
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Step 5 of `guardrail demo`: the network scan of the world from its
/// enforcement events, stored in the demo's database and scored against the
/// world's truth.
pub(crate) fn demo_pass(world: &Path, database: &str) -> anyhow::Result<()> {
    use guardrail_engine::truth;

    println!("\n5. network scan from the platform's own enforcement events (guardrail scan)");
    let job = ScanJob {
        events: Some(truth::events_of_world(world)),
        database: Some(database.to_owned()),
        ..ScanJob::default()
    };
    let outcome = job.run()?;
    let (loaded, scanned) = (&outcome.loaded, &outcome.scanned);
    let result = &scanned.result;
    let s = &result.summary;
    println!(
        "  {} accounts, {} edges loaded in {:.1} s, scanned in {:.1} s: {} seeds; {} confirmed, {} suspected, {} candidates for review, {} exposed; {} networks; {} persons with several accounts",
        s.accounts,
        s.edges,
        loaded.seconds,
        scanned.seconds,
        s.seeds,
        s.confirmed,
        s.suspected,
        s.candidates,
        s.exposed,
        result.networks.len(),
        result.persons.len()
    );
    if let Some(a) =
        result.accounts.iter().find(|a| a.reasons.iter().any(|r| r.kind() == "ban_evasion"))
    {
        println!("  for example {} ({}): {}", a.id, a.tier, a.reasons[0]);
    }
    if let Some(run) = outcome.stored {
        println!("  stored as scan {run} in {database}");
    }
    let truth = truth::read(&truth::of_world(world))?;
    let (d, l) = guardrail_engine::scan::score(loaded, result, &truth.truth)?;
    println!(
        "  against truth.json: {} of {} network accounts found (recall {:.1}%, precision {:.1}%); {}/{} returning accounts linked to their banned person, {} wrong merges",
        d.correct,
        d.network,
        d.recall * 100.0,
        d.precision * 100.0,
        l.linked,
        l.returning,
        l.wrong_pairs
    );
    Ok(())
}
