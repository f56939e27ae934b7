//! `guardrail report`, `queue`, `case`, `cybertip` and `audit-log`: reports,
//! cases and review over the store.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use guardrail_engine::core::{ReportCategory, Timestamp};
use guardrail_engine::cybertip;
use guardrail_engine::preservation;
use guardrail_engine::review::{self, ReviewConfig};
use guardrail_engine::review_engine::{NewReport, ReportSource, ReviewError, Target};
use guardrail_engine::store_backend::DEFAULT_DATABASE;

/// Where the review data is and how review works there.
#[derive(clap::Args)]
pub(crate) struct Common {
    /// The database: a file path or sqlite:PATH (embedded), or postgres://…
    #[arg(long, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = DEFAULT_DATABASE)]
    database: String,
    /// The review configuration (TOML: lease_seconds, second_review_rate,
    /// [sla] p0..p3 in seconds, [reviewers] id = [roles], [cybertip] reporter).
    #[arg(long, value_name = "FILE", env = "GUARDRAIL_REVIEW_CONFIG")]
    config: Option<PathBuf>,
    /// The time to act at (RFC 3339; default: now). Leases, SLAs and the
    /// audit log use it.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
}

impl Common {
    fn config(&self) -> anyhow::Result<ReviewConfig> {
        match &self.config {
            Some(path) => Ok(ReviewConfig::read(path)?),
            None => Ok(ReviewConfig::default()),
        }
    }

    fn now(&self) -> anyhow::Result<Timestamp> {
        match &self.now {
            Some(text) => {
                Timestamp::parse(text).map_err(|why| anyhow::anyhow!("--now {text:?}: {why}"))
            }
            None => Ok(Timestamp::now()),
        }
    }
}

/// Arguments of `guardrail report`.
#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(clap::Subcommand)]
enum ReportCommand {
    /// File one report; it is acknowledged only once it is stored.
    Add(AddArgs),
    /// File every `report` event of the stored log, the platform's bans and
    /// suspensions, and hash-bank matches of posts (a re-run files nothing twice).
    Intake(IntakeArgs),
}

#[derive(clap::Args)]
struct AddArgs {
    #[command(flatten)]
    common: Common,
    /// What is reported: account:ID, post:ID or hashtag:TAG.
    #[arg(long, value_name = "KIND:ID", required_unless_present = "events")]
    target: Option<String>,
    /// The author of a reported post, when known.
    #[arg(long, value_name = "ACCOUNT")]
    author: Option<String>,
    /// The category: child_safety, sexual_content, harassment, spam, other.
    #[arg(long, required_unless_present = "events")]
    category: Option<String>,
    /// The reporting account (none for an outside reporter).
    #[arg(long, value_name = "ACCOUNT")]
    reporter: Option<String>,
    /// The reporter's words.
    #[arg(long)]
    text: Option<String>,
    /// The idempotency key (default: derived from the report's content).
    #[arg(long)]
    key: Option<String>,
    /// File every `report` event of this JSON Lines file instead (keyed by
    /// event id; other event types are skipped), in group-committed batches.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["target", "category", "reporter", "text", "key", "author"])]
    events: Option<PathBuf>,
    /// Reports per transaction with --events.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    /// With --events, print `ack KEY report N case M` for each report once its batch is committed.
    #[arg(long)]
    acks: bool,
}

#[derive(clap::Args)]
struct IntakeArgs {
    #[command(flatten)]
    common: Common,
    /// Count the strong terms of reports (their text, the hashtag reported)
    /// with this lexicon, towards their cases' priority.
    #[command(flatten)]
    lexicon: super::text::LexiconOptions,
}

pub(crate) fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ReportCommand::Add(args) => add(args),
        ReportCommand::Intake(args) => intake(args),
    }
}

fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    if let Some(events) = &args.events {
        return add_events(&args, events);
    }
    let now = args.common.now()?;
    let target_text = args.target.clone().unwrap_or_default();
    let category_text = args.category.clone().unwrap_or_default();
    let target = Target::parse(&target_text, args.author.as_deref()).map_err(|e| {
        let flag = match &e {
            ReviewError::Field { field, .. } if field == "report.author" => "--author",
            _ => "--target",
        };
        anyhow::anyhow!("{flag} {target_text:?}: {e}")
    })?;
    let category = ReportCategory::parse(&category_text).with_context(|| {
        format!(
            "--category {category_text:?}: one of {}",
            ReportCategory::ALL.map(ReportCategory::as_str).join(", ")
        )
    })?;
    let report = NewReport {
        key: args.key,
        source: ReportSource::Cli,
        reporter: args.reporter.map(Into::into),
        target,
        category,
        text: args.text,
        received_at: now,
    };
    let mut store = guardrail_engine::store::open_writer(&args.common.database)?;
    let ack = review::add_report(store.as_mut(), report, "cli")?;
    if ack.duplicate {
        println!("already stored: report {} in case {} (key {})", ack.report, ack.case, ack.key);
    } else {
        let how = if ack.new_case { "opened" } else { "joined" };
        println!("stored report {} in case {} ({how}; key {})", ack.report, ack.case, ack.key);
    }
    Ok(ExitCode::SUCCESS)
}

/// `report add --events FILE`: report events straight into review, group-committed.
fn add_events(args: &AddArgs, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    use std::io::{BufRead, Write};
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = std::io::BufReader::new(file).lines().enumerate();
    let mut bad: Option<anyhow::Error> = None;
    let mut skipped = 0u64;
    let mut reports = std::iter::from_fn(|| {
        for (i, line) in lines.by_ref() {
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    bad = Some(anyhow::anyhow!("reading {}: {e}", path.display()));
                    return None;
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            match guardrail_engine::core::Event::from_json_line(&line) {
                Ok(event) => match NewReport::from_event(&event) {
                    Some(report) => return Some(report),
                    None => skipped += 1,
                },
                Err(e) => {
                    bad = Some(anyhow::anyhow!("{}: line {}, {e}", path.display(), i + 1));
                    return None;
                }
            }
        }
        None
    });
    let mut store = guardrail_engine::store::open_writer(&args.common.database)?;
    let started = std::time::Instant::now();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut write_error = None;
    let (stored, refused) = review::add_reports(
        store.as_mut(),
        &mut reports,
        args.batch as usize,
        "cli",
        &mut |filed| {
            if !args.acks {
                return;
            }
            for f in filed {
                let line = match f {
                    review::Filed::Acknowledged(a) => {
                        format!("ack {} report {} case {}", a.key, a.report, a.case)
                    }
                    review::Filed::Refused { key, why } => {
                        format!("refused {}: {why}", key.as_deref().unwrap_or("-"))
                    }
                };
                if let Err(e) = writeln!(out, "{line}") {
                    write_error.get_or_insert(e);
                }
            }
            if let Err(e) = out.flush() {
                write_error.get_or_insert(e);
            }
        },
    )?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if let Some(e) = bad {
        return Err(e.context(format!("{stored} report(s) before it are stored")));
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "filed {stored} report(s) in {secs:.2} s ({:.0}/s, batches of {}), {refused} refused, {skipped} other event(s) skipped",
        stored as f64 / secs,
        args.batch
    );
    Ok(ExitCode::SUCCESS)
}

fn intake(args: IntakeArgs) -> anyhow::Result<ExitCode> {
    let matcher = args.lexicon.source().matcher()?;
    let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
    let out = review::intake_log(store.as_mut(), matcher.as_deref())?;
    println!(
        "filed {} report(s) and {} signal(s) from the event log, {} already filed; {} case(s) opened",
        out.reports, out.signals, out.duplicates, out.cases_opened
    );
    for (event, why) in out.invalid.iter().take(20) {
        println!("  refused report event {event}: {why}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `guardrail queue`.
#[derive(clap::Args)]
pub(crate) struct QueueArgs {
    #[command(flatten)]
    common: Common,
    /// Show at most this many cases.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

pub(crate) fn queue(args: QueueArgs) -> anyhow::Result<ExitCode> {
    let config = args.common.config()?;
    let now = args.common.now()?;
    let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
    let (entries, backlog) = review::queue(store.as_mut(), &config, now)?;
    let levels: Vec<String> = ["p0", "p1", "p2", "p3"]
        .iter()
        .zip(backlog.by_level)
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    let oldest =
        backlog.oldest.map_or("-".to_owned(), |d| format!("{:.1} h", d.as_secs_f64() / 3600.0));
    println!(
        "{} undecided case(s): {}; {} overdue; oldest {oldest}",
        entries.len(),
        levels.join(", "),
        backlog.overdue
    );
    if entries.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>6}  {:<5} {:>7}  {:<9} {:<22} {:>7} {:>7}  subject",
        "case", "level", "score", "state", "due", "reports", "signals"
    );
    for e in entries.iter().take(args.limit) {
        let due = if e.priority.overdue {
            format!("OVERDUE {}", e.priority.due.to_rfc3339())
        } else {
            e.priority.due.to_rfc3339()
        };
        let cs = if e.child_safety { " [child safety]" } else { "" };
        println!(
            "{:>6}  {:<5} {:>7.2}  {:<9} {:<22} {:>7} {:>7}  {}{cs}",
            e.case,
            e.priority.level.as_str(),
            e.priority.score,
            e.state,
            due,
            e.reports,
            e.signals,
            e.subject
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `guardrail case`.
#[derive(clap::Args)]
pub(crate) struct CaseArgs {
    #[command(subcommand)]
    command: CaseCommand,
}

#[derive(clap::Subcommand)]
enum CaseCommand {
    /// Everything a reviewer reads about a case.
    Show(ShowArgs),
    /// Claim a case (a lease that expires, so an abandoned case returns to the queue).
    Claim(ClaimArgs),
    /// Record that a reviewer viewed one of a case's files (post:ID#N).
    ViewFile(ViewArgs),
    /// Decide a claimed case.
    Decide(DecideArgs),
    /// Reopen a decided case for another reviewer.
    Appeal(AppealArgs),
    /// Check the stored cases, reports, decisions and outbox against the
    /// rules (exit 0 consistent, 1 not, 2 error).
    Check(CheckArgs),
    /// Review a sampled decision again (another reviewer): agreement is counted.
    SecondReview(SecondReviewArgs),
}

#[derive(clap::Args)]
struct SecondReviewArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// The second reviewer.
    #[arg(long)]
    reviewer: String,
    /// Their verdict: violating, not-violating, duplicate or merged.
    #[arg(long)]
    verdict: String,
    /// Why.
    #[arg(long, default_value = "")]
    reason: String,
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args)]
struct ShowArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
}

#[derive(clap::Args)]
struct ClaimArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// Who claims it (a reviewer of the review configuration).
    #[arg(long)]
    reviewer: String,
}

#[derive(clap::Args)]
struct ViewArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// Who viewed it.
    #[arg(long)]
    reviewer: String,
    /// The file: post:ID#N (the Nth media of the post, from 0).
    #[arg(long)]
    file: String,
}

#[derive(clap::Args)]
struct DecideArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// Who decides (they must hold the claim).
    #[arg(long)]
    reviewer: String,
    /// violating, not-violating, duplicate, merged or escalate.
    #[arg(long)]
    verdict: String,
    /// For violating: the policy broken.
    #[arg(long)]
    policy: Option<String>,
    /// For violating: the confirmed category.
    #[arg(long)]
    category: Option<String>,
    /// For violating: ban, suspend or none.
    #[arg(long, default_value = "ban")]
    action: String,
    /// For violating: keep the accounts out of discovery surfaces.
    #[arg(long)]
    not_recommendable: bool,
    /// For violating: block the person's identifiers for new accounts.
    #[arg(long)]
    block_identifiers: bool,
    /// For violating: a hashtag to block (repeatable).
    #[arg(long, value_name = "TAG")]
    block_hashtag: Vec<String>,
    /// For a child-safety violation: the CyberTipline incident type.
    #[arg(long)]
    incident_type: Option<String>,
    /// For a child-safety violation: why NCMEC should treat it as urgent.
    #[arg(long)]
    escalate_reason: Option<String>,
    /// For not-violating and escalate: why.
    #[arg(long)]
    reason: Option<String>,
    /// For duplicate and merged: the other case.
    #[arg(long = "other-case", value_name = "CASE")]
    other_case: Option<u64>,
}

#[derive(clap::Args)]
struct AppealArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// Who appeals (the account acted on, or the reporter).
    #[arg(long)]
    by: String,
    /// Why.
    #[arg(long)]
    reason: String,
}

pub(crate) fn case(args: CaseArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CaseCommand::Show(args) => show(args),
        CaseCommand::Claim(args) => {
            let (config, now) = (args.common.config()?, args.common.now()?);
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            let until = review::claim(store.as_mut(), &config, args.case, &args.reviewer, now)?;
            println!(
                "case {} claimed by {} until {}",
                args.case,
                args.reviewer,
                until.to_rfc3339()
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::ViewFile(args) => {
            let (config, now) = (args.common.config()?, args.common.now()?);
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            review::record_view(
                store.as_mut(),
                &config,
                args.case,
                &args.reviewer,
                &args.file,
                now,
            )?;
            println!("recorded: {} viewed {} of case {}", args.reviewer, args.file, args.case);
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Decide(args) => decide(args),
        CaseCommand::SecondReview(args) => {
            let (config, now) = (args.common.config()?, args.common.now()?);
            let verdict = args.verdict.replace('-', "_");
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            let agreed = review::second_review(
                store.as_mut(),
                &config,
                args.case,
                &args.reviewer,
                &verdict,
                &args.reason,
                now,
            )?;
            let how = if agreed { "agrees with" } else { "disagrees with" };
            println!("second review of case {}: {} {how} the decision", args.case, args.reviewer);
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Check(args) => {
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            let c = review::check_review(store.as_mut())?;
            let counts = format!(
                "{} case(s), {} report(s), {} decision(s), {} outbox entr(ies)",
                c.cases, c.reports, c.decisions, c.outbox
            );
            if c.problems.is_empty() {
                println!("consistent: {counts}");
                return Ok(ExitCode::SUCCESS);
            }
            println!("inconsistent: {counts}");
            for p in &c.problems {
                println!("  {p}");
            }
            Ok(ExitCode::from(1))
        }
        CaseCommand::Appeal(args) => {
            let now = args.common.now()?;
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            review::appeal(store.as_mut(), args.case, &args.by, &args.reason, now)?;
            println!("case {} reopened on appeal by {}", args.case, args.by);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let (config, now) = (args.common.config()?, args.common.now()?);
    let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
    let v = review::show(store.as_mut(), &config, args.case, now)?;
    let r = &v.row;
    println!("case {}: {}:{}", r.id, r.subject_kind, r.subject);
    println!(
        "  state {}{}; priority {} (score {:.2}, due {}{})",
        v.state,
        r.lease_holder
            .as_ref()
            .filter(|_| v.state == "claimed")
            .map(|h| format!(" by {h}"))
            .unwrap_or_default(),
        v.priority.level.as_str(),
        v.priority.score,
        v.priority.due.to_rfc3339(),
        if v.priority.overdue { ", overdue" } else { "" }
    );
    if r.child_safety {
        println!("  child safety: reviewers need the child_safety role");
    }
    println!(
        "  accounts: {}",
        if v.accounts.is_empty() { "-".to_owned() } else { v.accounts.join(", ") }
    );
    for line in &v.link_evidence {
        println!("  link: {line}");
    }
    println!("  reports ({}):", v.reports.len());
    for rep in &v.reports {
        println!(
            "    {} {} {}:{} by {}{}{}",
            rep.id,
            rep.category,
            rep.target_kind,
            rep.target,
            rep.reporter.as_deref().unwrap_or("(outside reporter)"),
            rep.text.as_ref().map(|t| format!(": {t:?}")).unwrap_or_default(),
            rep.resolution.as_ref().map(|res| format!(" -> {res}")).unwrap_or_default()
        );
    }
    println!("  signals ({}):", v.signals.len());
    for s in &v.signals {
        println!("    {} {} {}: {}", s.id, s.kind, s.account, s.detail);
    }
    println!("  decisions ({}):", v.decisions.len());
    for d in &v.decisions {
        let sampled = if d.sampled { " [second review]" } else { "" };
        println!("    {} {} by {}{sampled}: {}", d.id, d.verdict, d.reviewer, d.detail);
    }
    for view in &v.views {
        println!("  viewed: {} by {}", view.file, view.reviewer);
    }
    for o in &v.outbox {
        let state = if o.delivered_at.is_some() { "delivered" } else { "pending" };
        println!("  outbox {}: {} {} ({state})", o.id, o.action, o.target);
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(args: DecideArgs) -> anyhow::Result<ExitCode> {
    let (config, now) = (args.common.config()?, args.common.now()?);
    // The flags are the input's fields (`decision.other_case` is --other-case).
    let input = review::DecisionInput {
        verdict: args.verdict.clone(),
        policy: args.policy.clone(),
        category: args.category.clone(),
        action: Some(args.action.clone()),
        not_recommendable: args.not_recommendable,
        block_identifiers: args.block_identifiers,
        block_hashtags: args.block_hashtag.clone(),
        incident_type: args.incident_type.clone(),
        escalate_reason: args.escalate_reason.clone(),
        reason: args.reason.clone(),
        other_case: args.other_case,
    };
    let decision = input.decision().map_err(|e| {
        let flag = match &e {
            ReviewError::Field { field, .. } => field.strip_prefix("decision.").map(|f| {
                format!(" (--{})", f.replace('_', "-").replace("block-hashtags", "block-hashtag"))
            }),
            _ => None,
        };
        anyhow::anyhow!("{e}{}", flag.unwrap_or_default())
    })?;
    let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
    let out = review::decide(store.as_mut(), &config, args.case, &args.reviewer, decision, now)?;
    println!(
        "case {} decided {} (decision {}): {} report(s) resolved, {} action(s) in the outbox{}",
        args.case,
        out.verdict,
        out.decision,
        out.reports,
        out.actions.len(),
        if out.sampled { "; sampled for a second review" } else { "" }
    );
    for a in &out.actions {
        println!("  {} {}", a.kind, a.target);
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `guardrail cybertip`.
#[derive(clap::Args)]
pub(crate) struct CyberTipArgs {
    #[command(subcommand)]
    command: CyberTipCommand,
}

#[derive(clap::Subcommand)]
enum CyberTipCommand {
    /// Write a confirmed child-safety case's CyberTipline report (report.xml,
    /// files.jsonl) into a directory.
    Export(ExportArgs),
    /// Queue a confirmed child-safety case's report and submit it to NCMEC
    /// (the test environment unless the review configuration says
    /// `environment = "production"`): submit, upload and describe the
    /// files, finish; the receipt is stored. Exit 0 finished, 1 retrying
    /// or failed (the reason printed), 2 error.
    Submit(SubmitArgs),
    /// Run every submission that is due (retries after passing failures).
    Run(RunArgs),
    /// Send a failed submission back to the queue after fixing its cause.
    Retry(RetryArgs),
    /// List the submissions (exit 1 when one has failed and needs a person).
    Status(StatusArgs),
}

#[derive(clap::Args)]
struct SubmitArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// The directory holding the case's files by the names `cybertip
    /// export` lists (`post-<id>-<n>`).
    #[arg(long, value_name = "DIR")]
    files: Option<PathBuf>,
    /// Send the report without files (it names their hashes instead).
    #[arg(long, conflicts_with = "files")]
    without_files: bool,
    /// Who submits (audited).
    #[arg(long, default_value = "cli")]
    actor: String,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Who runs them (audited).
    #[arg(long, default_value = "cli")]
    actor: String,
}

#[derive(clap::Args)]
struct RetryArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// Who retries (audited).
    #[arg(long, default_value = "cli")]
    actor: String,
}

#[derive(clap::Args)]
struct StatusArgs {
    #[command(flatten)]
    common: Common,
}

fn print_outcome(case: u64, outcome: &cybertip::Outcome) -> bool {
    match outcome {
        cybertip::Outcome::Finished { report_id } => {
            println!("case {case}: filed with NCMEC as report {report_id}; the receipt is stored");
            true
        }
        cybertip::Outcome::Retrying { why, next_at } => {
            println!("case {case}: not filed yet ({why}); retried from {}", next_at.to_rfc3339());
            false
        }
        cybertip::Outcome::Failed { why } => {
            eprintln!(
                "error: case {case}: the CyberTipline submission failed and needs a person: {why}"
            );
            eprintln!("  fix the cause, then `guardrail cybertip retry {case}`");
            false
        }
        cybertip::Outcome::Idle => {
            println!("case {case}: nothing due");
            true
        }
    }
}

#[derive(clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    common: Common,
    /// The case.
    case: u64,
    /// The directory to write into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Who exports (audited).
    #[arg(long, default_value = "cli")]
    actor: String,
}

pub(crate) fn cybertip(args: CyberTipArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CyberTipCommand::Submit(args) => {
            let (config, now) = (args.common.config()?, args.common.now()?);
            let files = match (&args.files, args.without_files) {
                (Some(dir), _) => cybertip::Files::Dir(dir.clone()),
                (None, true) => cybertip::Files::Without,
                (None, false) => anyhow::bail!(
                    "say where the case's files are (--files DIR) or that the report goes without them (--without-files)"
                ),
            };
            let client = cybertip::Client::new(&config)?;
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            let row =
                cybertip::queue(store.as_mut(), &config, args.case, &files, &args.actor, now)?;
            println!("case {}: queued for NCMEC's {} environment", args.case, row.environment);
            let out = cybertip::run(store.as_mut(), &config, &client, args.case, &args.actor, now)?;
            Ok(if print_outcome(args.case, &out) { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        CyberTipCommand::Run(args) => {
            let (config, now) = (args.common.config()?, args.common.now()?);
            let client = cybertip::Client::new(&config)?;
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            let outcomes = cybertip::run_due(store.as_mut(), &config, &client, &args.actor, now)?;
            let mut all = true;
            for (case, out) in &outcomes {
                all &= print_outcome(*case, out);
            }
            println!("{} submission(s) due", outcomes.len());
            Ok(if all { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        CyberTipCommand::Retry(args) => {
            let (config, now) = (args.common.config()?, args.common.now()?);
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            cybertip::retry(store.as_mut(), &config, args.case, &args.actor, now)?;
            println!("case {}: queued again; `guardrail cybertip run` submits it", args.case);
            Ok(ExitCode::SUCCESS)
        }
        CyberTipCommand::Status(args) => {
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            let rows = cybertip::status(store.as_mut())?;
            let failed = rows.iter().filter(|r| r.state == "failed").count();
            println!("{} submission(s), {failed} failed", rows.len());
            for r in &rows {
                let id = r.report_id.map_or("-".to_owned(), |i| i.to_string());
                let why = r.last_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
                println!(
                    "  case {:>6}  {:<9} {:<10} report {id:<10} {} attempt(s){why}",
                    r.case_id, r.state, r.environment, r.attempts
                );
            }
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        CyberTipCommand::Export(args) => {
            let (config, now) = (args.common.config()?, args.common.now()?);
            let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
            let out = review::cybertip_export(
                store.as_mut(),
                &config,
                args.case,
                &args.out,
                &args.actor,
                now,
            )?;
            println!(
                "wrote {} and {} ({} file(s), {} viewed by a reviewer)",
                out.report.display(),
                out.files.display(),
                out.n_files,
                out.n_viewed
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Arguments of `guardrail audit-log`.
#[derive(clap::Args)]
pub(crate) struct AuditLogArgs {
    #[command(subcommand)]
    command: AuditLogCommand,
}

#[derive(clap::Subcommand)]
enum AuditLogCommand {
    /// Check the audit log's hash chain (exit 0 intact, 1 broken, 2 error).
    Verify(VerifyArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    common: Common,
}

pub(crate) fn audit_log(args: AuditLogArgs) -> anyhow::Result<ExitCode> {
    let AuditLogCommand::Verify(args) = args.command;
    let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
    let check = review::verify_audit(store.as_mut())?;
    match check.broken {
        None => {
            println!("audit log intact: {} entries", check.entries);
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!("audit log broken: {b} ({} entries read)", check.entries);
            Ok(ExitCode::from(1))
        }
    }
}

/// The demo's last step: the world's reports and the platform's bans through
/// intake into cases, and the queue a reviewer would open.
pub(crate) fn demo_pass(url: &str, now: Timestamp) -> anyhow::Result<()> {
    println!("\n7. reports and review: the stored reports and bans filed into cases");
    let matcher = guardrail_engine::lexicon::TEST_LEXICON.matcher()?;
    let mut store = guardrail_engine::store::open_reader(url)?;
    let out = review::intake_log(store.as_mut(), Some(&matcher))?;
    println!(
        "  {} report(s) and {} signal(s) filed into {} case(s) (one per network, person or account)",
        out.reports, out.signals, out.cases_opened
    );
    let (entries, backlog) = review::queue(store.as_mut(), &ReviewConfig::default(), now)?;
    let levels: Vec<String> = ["p0", "p1", "p2", "p3"]
        .iter()
        .zip(backlog.by_level)
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    println!(
        "  queue at the world's last event ({}): {} undecided case(s): {}",
        now.to_rfc3339(),
        entries.len(),
        levels.join(", ")
    );
    for e in entries.iter().take(10) {
        let cs = if e.child_safety { " [child safety]" } else { "" };
        println!(
            "    case {:>5}  {}  {:>3} report(s) {:>3} signal(s)  {}{cs}",
            e.case,
            e.priority.level.as_str(),
            e.reports,
            e.signals,
            e.subject
        );
    }
    println!("  review them with `guardrail case show|claim|decide CASE --database {url}`");
    Ok(())
}

/// Arguments of `guardrail transparency`.
#[derive(clap::Args)]
pub(crate) struct TransparencyArgs {
    #[command(flatten)]
    common: Common,
    /// The period's start (RFC 3339; default: the beginning).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// The period's end, excluded (RFC 3339; default: no end).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
}

pub(crate) fn transparency(args: TransparencyArgs) -> anyhow::Result<ExitCode> {
    let time = |flag: &str, text: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
        text.as_deref()
            .map(|t| Timestamp::parse(t).map_err(|why| anyhow::anyhow!("--{flag} {t:?}: {why}")))
            .transpose()
    };
    let (from, to) = (time("from", &args.from)?, time("to", &args.to)?);
    let mut store = guardrail_engine::store::open_reader(&args.common.database)?;
    let t = review::transparency(store.as_mut(), from, to)?;
    let show = |t: Option<Timestamp>| t.map_or("-".to_owned(), Timestamp::to_rfc3339);
    println!("transparency report, {} to {}", show(from), show(to));
    let table = |title: &str, counts: &std::collections::BTreeMap<String, u64>| {
        let total: u64 = counts.values().sum();
        println!("{title} ({total}):");
        for (k, n) in counts {
            println!("  {k:<22} {n:>8}");
        }
    };
    table("reports by category", &t.reports_by_category);
    table("reports by source", &t.reports_by_source);
    table("detection signals by kind", &t.signals_by_kind);
    table("decided cases by what opened them", &t.cases_by_origin);
    table("decisions by verdict", &t.decisions_by_verdict);
    table("enforcement actions by kind", &t.actions_by_kind);
    println!("appeals decided again: {}, overturned: {}", t.appeals.0, t.appeals.1);
    let rate = if t.second_reviews.0 == 0 {
        "-".to_owned()
    } else {
        format!("{:.0}%", 100.0 * t.second_reviews.1 as f64 / t.second_reviews.0 as f64)
    };
    println!(
        "decisions sampled for a second review: {}; reviewed again: {}, agreed: {} (agreement {rate})",
        t.sampled, t.second_reviews.0, t.second_reviews.1
    );
    let hours = |d: &review::Durations| {
        if d.n == 0 {
            "-".to_owned()
        } else {
            format!(
                "median {:.1} h, p90 {:.1} h over {} case(s)",
                d.median / 3600.0,
                d.p90 / 3600.0,
                d.n
            )
        }
    };
    println!("time to decision: {}", hours(&t.time_to_decision));
    println!("time to action: {}", hours(&t.time_to_action));
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `guardrail preservation`.
#[derive(clap::Args)]
pub(crate) struct PreservationArgs {
    #[command(subcommand)]
    command: PreservationCommand,
}

#[derive(clap::Subcommand)]
enum PreservationCommand {
    /// List every record: state, expiry, hold.
    List(PreservationCommon),
    /// Preserve a case now (`cybertip submit` does it by itself): its
    /// metadata and hashes, and files where the configuration keeps media.
    Add(PreservationAdd),
    /// Put a record under legal hold: never destroyed until released.
    Hold(PreservationReason),
    /// Release a legal hold.
    Release(PreservationReason),
    /// Keep a record longer.
    Extend(PreservationExtend),
    /// Destroy a record's files and metadata (refused under hold).
    Destroy(PreservationReason),
    /// Destroy every record whose time ended and that is not held.
    Sweep(PreservationCommon),
    /// Decrypt a preserved file into a file (the read is audited).
    Read(PreservationRead),
}

#[derive(clap::Args)]
struct PreservationCommon {
    #[command(flatten)]
    common: Common,
    /// Who acts (audited).
    #[arg(long, default_value = "cli")]
    actor: String,
}

#[derive(clap::Args)]
struct PreservationAdd {
    #[command(flatten)]
    base: PreservationCommon,
    /// The case.
    case: u64,
    /// A file to preserve, as NAME=PATH (repeatable; needs store_media).
    #[arg(long, value_name = "NAME=PATH")]
    file: Vec<String>,
}

#[derive(clap::Args)]
struct PreservationReason {
    #[command(flatten)]
    base: PreservationCommon,
    /// The case.
    case: u64,
    /// Why (audited).
    #[arg(long)]
    reason: String,
}

#[derive(clap::Args)]
struct PreservationExtend {
    #[command(flatten)]
    base: PreservationCommon,
    /// The case.
    case: u64,
    /// Days to add to its expiry.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=36_500))]
    days: u64,
    /// Why (audited).
    #[arg(long)]
    reason: String,
}

#[derive(clap::Args)]
struct PreservationRead {
    #[command(flatten)]
    base: PreservationCommon,
    /// The case.
    case: u64,
    /// The file's name in the case.
    #[arg(long)]
    file: String,
    /// Where to write the decrypted bytes (created; never overwritten).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
}

fn show_record(r: &guardrail_engine::store_backend::PreservationRow) -> String {
    let time =
        |m: i64| Timestamp::from_unix_micros(m).map_or_else(|| m.to_string(), |t| t.to_rfc3339());
    let hold = r.hold_reason.as_deref().map(|h| format!(", held: {h}")).unwrap_or_default();
    match r.state.as_str() {
        "destroyed" => format!(
            "case {}: destroyed {} ({})",
            r.case_id,
            r.destroyed_at.map(time).unwrap_or_default(),
            r.destroyed_reason.as_deref().unwrap_or_default()
        ),
        _ => format!("case {}: kept until {}{hold}", r.case_id, time(r.expires_at)),
    }
}

pub(crate) fn preservation(args: PreservationArgs) -> anyhow::Result<ExitCode> {
    let open = |c: &Common| -> anyhow::Result<_> {
        Ok((c.config()?, c.now()?, guardrail_engine::store::open_reader(&c.database)?))
    };
    match args.command {
        PreservationCommand::List(a) => {
            let (_, _, mut store) = open(&a.common)?;
            let rows = preservation::list(store.as_mut())?;
            println!("{} record(s)", rows.len());
            for r in &rows {
                println!("  {}", show_record(r));
            }
        }
        PreservationCommand::Add(a) => {
            let (config, now, mut store) = open(&a.base.common)?;
            let mut files = Vec::new();
            for f in &a.file {
                let (name, path) =
                    f.split_once('=').with_context(|| format!("--file {f:?}: write NAME=PATH"))?;
                let bytes =
                    std::fs::read(path).with_context(|| format!("--file {f:?}: reading {path}"))?;
                files.push((name.to_owned(), bytes));
            }
            let r = preservation::preserve(
                store.as_mut(),
                &config,
                a.case,
                &files,
                &a.base.actor,
                now,
            )?;
            println!("{} ({} file(s))", show_record(&r), files.len());
        }
        PreservationCommand::Hold(a) => {
            let (_, now, mut store) = open(&a.base.common)?;
            let r = preservation::hold(store.as_mut(), a.case, &a.reason, &a.base.actor, now)?;
            println!("{}", show_record(&r));
        }
        PreservationCommand::Release(a) => {
            let (_, now, mut store) = open(&a.base.common)?;
            let r = preservation::release(store.as_mut(), a.case, &a.reason, &a.base.actor, now)?;
            println!("{}", show_record(&r));
        }
        PreservationCommand::Extend(a) => {
            let (_, now, mut store) = open(&a.base.common)?;
            let by = std::time::Duration::from_secs(a.days * 86_400);
            let r =
                preservation::extend(store.as_mut(), a.case, by, &a.reason, &a.base.actor, now)?;
            println!("{}", show_record(&r));
        }
        PreservationCommand::Destroy(a) => {
            let (config, now, mut store) = open(&a.base.common)?;
            let r = preservation::destroy(
                store.as_mut(),
                &config,
                a.case,
                &a.reason,
                &a.base.actor,
                now,
            )?;
            println!("{}", show_record(&r));
        }
        PreservationCommand::Sweep(a) => {
            let (config, now, mut store) = open(&a.common)?;
            let gone = preservation::sweep(store.as_mut(), &config, &a.actor, now)?;
            println!("{} record(s) destroyed at the end of their time", gone.len());
        }
        PreservationCommand::Read(a) => {
            let (config, now, mut store) = open(&a.base.common)?;
            let bytes = preservation::read_file(
                store.as_mut(),
                &config,
                a.case,
                &a.file,
                &a.base.actor,
                now,
            )?;
            use std::io::Write;
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&a.out)
                .with_context(|| {
                    format!(
                        "--out {}: creating it (an existing file is never overwritten)",
                        a.out.display()
                    )
                })?;
            out.write_all(&bytes).with_context(|| format!("writing {}", a.out.display()))?;
            println!("wrote {} byte(s) to {}", bytes.len(), a.out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
