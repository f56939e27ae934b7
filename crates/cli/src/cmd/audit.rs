//! `guardrail audit`: the researchers' sock-puppet experiment on a world,
//! against the reference recommender, without and with guardrails
//! (`guardrail-guard`), from a scan of the events (`guardrail-graph`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use guardrail_core::Truth;
use guardrail_graph::{scan, ScanConfig};
use guardrail_guard::{audit, AuditConfig, AuditReport, Guard, Metrics, Policy, State};

use super::scan::{load, Signals};

/// Arguments of `guardrail audit`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The event stream of the world (JSON Lines, format v1).
    #[arg(long, value_name = "FILE")]
    events: PathBuf,
    /// The world's truth.json: only chooses the sellers viewed and scores what is shown.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    #[command(flatten)]
    signals: Signals,
    /// Guard policy file (TOML, docs/GUARD.md); the defaults without it.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Sock-puppet accounts.
    #[arg(long, default_value_t = 100)]
    puppets: usize,
    /// Rounds of following suggestions after the view.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Suggestions followed per round.
    #[arg(long, default_value_t = 3)]
    follows_per_round: usize,
    /// Seed of the experiment's choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the exposure chart (PNG) here.
    #[arg(long, value_name = "FILE", default_value = "audit-exposure.png")]
    chart: PathBuf,
    /// Print JSON: {"unguarded": M, "guarded": M, "config", "counts"}.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let policy = match &args.policy {
        Some(p) => super::guard::load(p)?,
        None => Policy::default(),
    };
    let truth_text = std::fs::read_to_string(&args.truth)
        .with_context(|| format!("reading {}", args.truth.display()))?;
    let truth =
        Truth::from_json(&truth_text).with_context(|| format!("in {}", args.truth.display()))?;
    let config = AuditConfig {
        puppets: args.puppets,
        rounds: args.rounds,
        follows_per_round: args.follows_per_round,
        seed: args.seed,
        ..AuditConfig::default()
    };
    let (matcher, media) = args.signals.load()?;
    let (report, seconds) =
        run_audit(&args.events, &truth, matcher.map(Arc::new), media.as_ref(), policy, &config)?;
    crate::chart::exposure(&args.chart, &report)
        .with_context(|| format!("writing the chart {}", args.chart.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
        println!("\n({:.1} s; chart written to {})", seconds, args.chart.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads and scans the world, builds the guard from the scan, runs the audit.
pub(crate) fn run_audit(
    events: &Path,
    truth: &Truth,
    matcher: Option<Arc<guardrail_text::Matcher>>,
    media: Option<&super::scan::BankCheck>,
    policy: Policy,
    config: &AuditConfig,
) -> anyhow::Result<(AuditReport, f64)> {
    let start = Instant::now();
    let loaded = load(events, matcher.as_deref(), media, false)?;
    let result = scan(&loaded.graph, &loaded.evidence, matcher.as_deref(), &ScanConfig::default())?;
    let state = State::from_scan(&loaded.graph, &result, matcher.as_deref(), &policy)?;
    let guard = Guard::new(policy, state, matcher);
    let report = audit(&loaded.graph, truth, &guard, config)?;
    Ok((report, start.elapsed().as_secs_f64()))
}

/// The audit's figures as a table.
pub(crate) fn print_table(r: &AuditReport) {
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let row = |name: &str, f: &dyn Fn(&Metrics) -> String| {
        println!("  {:<44} {:>12} {:>12}", name, f(&r.unguarded), f(&r.guarded));
    };
    println!("  {:<44} {:>12} {:>12}", "", "unguarded", "guarded");
    row("network share of top-10 after one view", &|m| pct(m.exposure_after_view));
    for i in 0..r.config.rounds {
        row(&format!("  after round {} of following suggestions", i + 1), &|m| {
            pct(m.exposure_by_round[i])
        });
    }
    row("puppets ever shown a network account", &|m| pct(m.puppets_exposed));
    row("rounds to the first network suggestion", &|m| {
        m.rounds_to_first_exposure.map_or("never".into(), |x| format!("{x:.2}"))
    });
    row("followers then suggested the viewed seller", &|m| pct(m.follower_contamination));
    row("  (the same without the view)", &|m| pct(m.follower_contamination_without_view));
    row("niche recall@10 (hidden same-niche follow)", &|m| pct(m.niche_recall_at_10));
    let c = &r.counts;
    println!(
        "  {} puppets, {} rounds; {} network accounts ({} sellers not banned); guard never recommends {} accounts; {} follower checks; {} niche trials",
        r.config.puppets,
        r.config.rounds,
        c.network_accounts,
        c.live_sellers,
        c.never_recommended,
        c.followers_checked,
        c.niche_trials
    );
}

/// Step 6 of `guardrail demo`: the sock-puppet audit of the world, without
/// and with guardrails, and the guard's search and autocomplete rules.
pub(crate) fn demo_pass(world: &Path, dir: &Path) -> anyhow::Result<()> {
    use guardrail_guard::{Candidate, Surface};

    println!("\n6. the sock-puppet audit (guardrail audit): puppets view one seller, then follow suggestions");
    let lexicon = guardrail_core::Lexicon::from_toml(guardrail_synth::TEST_LEXICON)?;
    let matcher = Arc::new(guardrail_text::Matcher::new(lexicon)?);
    let truth = Truth::from_json(
        &std::fs::read_to_string(world.join("truth.json")).context("reading truth.json")?,
    )?;
    let config = AuditConfig::default();
    let (report, seconds) = run_audit(
        &world.join("events.jsonl"),
        &truth,
        Some(matcher.clone()),
        None,
        Policy::default(),
        &config,
    )?;
    print_table(&report);
    let chart = dir.join("audit-exposure.png");
    match crate::chart::exposure(&chart, &report) {
        Ok(()) => println!("  ({seconds:.1} s; chart: {})", chart.display()),
        Err(e) => println!("  ({seconds:.1} s; no chart: {e:#})"),
    }
    let guard = Guard::new(Policy::default(), State::new(), Some(matcher));
    let out = guard.search("viewer", "v0rbl4t pics", &[Candidate::Account("u1")]);
    if let Some(b) = &out.blocked {
        println!(
            "  search \"v0rbl4t pics\": blocked ({}), 0 results, resources: {}",
            b.reasons.names().collect::<Vec<_>>().join(", "),
            b.resources.links.iter().map(|l| l.url.as_str()).collect::<Vec<_>>().join(" ")
        );
    }
    let completions = ["vorblat boys", "vorblatt", "embroidery hoop", "cave survey"];
    let candidates: Vec<Candidate<'_>> = completions.iter().map(|c| Candidate::Text(c)).collect();
    let decisions = guard.decide("viewer", Surface::SearchAutocomplete, &candidates);
    let shown: Vec<String> = completions
        .iter()
        .zip(&decisions)
        .map(|(c, d)| format!("{c:?} {}", if d.allow { "shown" } else { "dropped" }))
        .collect();
    println!("  autocomplete: {}", shown.join(", "));
    Ok(())
}
