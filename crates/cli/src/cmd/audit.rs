//! `guardrail audit`: the researchers' sock-puppet experiment on a world,
//! against the reference recommender, without and with guardrails
//! (`guardrail-guard`), from a scan of the events (`guardrail-graph`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use guardrail_engine::events::SignalSources;
use guardrail_engine::guard::{policy_or_default, run_audit, AuditJob};
use guardrail_engine::guard_engine::{AuditConfig, AuditReport, Metrics, Policy};
use guardrail_engine::lexicon::LexiconSource;

use super::scan::Signals;

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
    let config = AuditConfig {
        puppets: args.puppets,
        rounds: args.rounds,
        follows_per_round: args.follows_per_round,
        seed: args.seed,
        ..AuditConfig::default()
    };
    let job = AuditJob {
        events: args.events.clone(),
        truth: args.truth.clone(),
        signals: args.signals.sources(),
        policy: policy_or_default(args.policy.as_deref())?,
        config,
    };
    let (report, seconds) = run_audit(&job)?;
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
    row("network share of top-20 feed after one view", &|m| pct(m.feed_exposure_after_view));
    for i in 0..r.config.rounds {
        row(&format!("  after round {} of following suggestions", i + 1), &|m| {
            pct(m.feed_exposure_by_round[i])
        });
    }
    row("followers then suggested a network account", &|m| pct(m.follower_contamination));
    row("  (the same without the view)", &|m| pct(m.follower_contamination_without_view));
    row("  the viewed seller itself", &|m| pct(m.follower_contamination_seller));
    row("niche recall@10 (hidden same-niche follow)", &|m| pct(m.niche_recall_at_10));
    row("niche precision@10 (suggestions from the niche)", &|m| pct(m.niche_precision_at_10));
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
    use guardrail_engine::guard_engine::{Candidate, DiscoverySurface};
    use guardrail_engine::lexicon::TEST_LEXICON;
    use guardrail_engine::truth;

    println!("\n6. the sock-puppet audit (guardrail audit): puppets view one seller, then follow suggestions");
    let job = AuditJob {
        events: truth::events_of_world(world),
        truth: truth::of_world(world),
        // The world's own (invented) lexicon, which its code words were planted from.
        signals: SignalSources {
            lexicon: LexiconSource::built_in(TEST_LEXICON),
            ..Default::default()
        },
        policy: Policy::default(),
        config: AuditConfig::default(),
    };
    let (report, seconds) = run_audit(&job)?;
    let matcher = std::sync::Arc::new(TEST_LEXICON.matcher()?);
    print_table(&report);
    let chart = dir.join("audit-exposure.png");
    match crate::chart::exposure(&chart, &report) {
        Ok(()) => println!("  ({seconds:.1} s; chart: {})", chart.display()),
        Err(e) => println!("  ({seconds:.1} s; no chart: {e:#})"),
    }
    let guard = guardrail_engine::guard::without_scan(Policy::default(), Some(matcher));
    let out = guard.search("viewer".into(), "v0rbl4t pics", &[Candidate::Account("u1".into())]);
    if let Some(b) = &out.blocked {
        println!(
            "  search \"v0rbl4t pics\": blocked ({}), 0 results, resources: {}",
            b.reasons.names().collect::<Vec<_>>().join(", "),
            b.resources.links.iter().map(|l| l.url.as_str()).collect::<Vec<_>>().join(" ")
        );
    }
    let completions = ["vorblat boys", "vorblatt", "embroidery hoop", "cave survey"];
    let candidates: Vec<Candidate<'_>> = completions.iter().map(|c| Candidate::Text(c)).collect();
    let decisions =
        guard.decide("viewer".into(), DiscoverySurface::SearchAutocomplete, &candidates);
    let shown: Vec<String> = completions
        .iter()
        .zip(&decisions)
        .map(|(c, d)| format!("{c:?} {}", if d.allow { "shown" } else { "dropped" }))
        .collect();
    println!("  autocomplete: {}", shown.join(", "));
    Ok(())
}
