//! The `guardrail` command: parses arguments, calls the composition layer
//! (`guardrail-engine`), prints.
//!
//! Each subcommand lives in its own module under `cmd/` with its own `Args`
//! struct and `run` function. Errors are printed with `{:#}` and exit code 2;
//! a closed pipe (e.g. `| head`) exits 0.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod chart;
mod cmd;

/// The crate version and the git revision it was built from (`build.rs`;
/// "unknown" outside a git checkout).
const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("GUARDRAIL_GIT_REVISION"), ")");

/// guardrail: a child-safety engine for social platforms.
#[derive(Parser)]
#[command(name = "guardrail", version = VERSION, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    // Subcommands, one line each; keep the list in README order.
    /// Run the whole story on a small synthetic world (the main job).
    Demo(cmd::demo::Args),
    /// Write a deterministic synthetic platform: events.jsonl, truth.json, bank.txt.
    Synth(cmd::synth::Args),
    /// Plant a network into a real graph (an edge list): events.jsonl, truth.json, bank.txt.
    Plant(cmd::plant::Args),
    /// Load an event stream into the store (idempotent, restartable).
    Ingest(cmd::ingest::Args),
    /// Check texts against a lexicon (exit 0 all allow, 1 any flagged, 2 error).
    CheckText(cmd::text::CheckArgs),
    /// Recall and false positives of the text engine on a labelled set.
    EvalText(cmd::text::EvalArgs),
    /// Work with lexicon files.
    Lexicon(cmd::text::LexiconArgs),
    /// PDQ hashes of images (and video frames): hash, quality, path.
    Hash(cmd::media::HashArgs),
    /// Manage hash banks in the store: import, list, remove.
    Bank(cmd::media::BankArgs),
    /// Match files against the banks (exit 0 matched, 1 no match, 2 error,
    /// 3 nothing matched but a low-quality file was skipped).
    Match(cmd::media::MatchArgs),
    /// Map abusive networks and link accounts of one person from an event stream.
    Scan(cmd::scan::Args),
    /// Detection and linking quality of `scan` on a world with truth.json.
    EvalScan(cmd::scan::EvalArgs),
    /// The sock-puppet experiment on a world, without and with discovery guardrails.
    Audit(cmd::audit::Args),
    /// Check a discovery-guard policy file and print it with defaults filled in (or the defaults).
    Policy(cmd::guard::PolicyArgs),
    /// File reports: one from the command line, or the stored event log's.
    Report(cmd::review::ReportArgs),
    /// The review queue: undecided cases by priority, with the backlog.
    Queue(cmd::review::QueueArgs),
    /// Review a case: show, claim, view-file, decide, appeal.
    Case(cmd::review::CaseArgs),
    /// CyberTipline reports of confirmed child-safety cases.
    Cybertip(cmd::review::CyberTipArgs),
    /// Preserved evidence of reported cases: list, hold, release, extend, destroy, sweep.
    Preservation(cmd::review::PreservationArgs),
    /// The tamper-evident audit log of review.
    AuditLog(cmd::review::AuditLogArgs),
    /// Run the HTTP service (`--demo`: a populated service on a synthetic world at once).
    Serve(cmd::serve::Args),
    /// Manage the service's API tokens: create (printed once), list, revoke.
    Token(cmd::serve::TokenArgs),
    /// Transparency report: reports, detections, decisions, actions, appeals, time to action.
    Transparency(cmd::review::TransparencyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Synth(args) => cmd::synth::run(args),
        Command::Plant(args) => cmd::plant::run(args),
        Command::Ingest(args) => cmd::ingest::run(args),
        Command::CheckText(args) => cmd::text::check(args),
        Command::EvalText(args) => cmd::text::eval(args),
        Command::Lexicon(args) => cmd::text::lexicon(args),
        Command::Hash(args) => cmd::media::hash(args),
        Command::Bank(args) => cmd::media::bank(args),
        Command::Match(args) => cmd::media::matches(args),
        Command::Scan(args) => cmd::scan::run(args),
        Command::EvalScan(args) => cmd::scan::eval_scan(args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Policy(args) => cmd::guard::policy(args),
        Command::Report(args) => cmd::review::report(args),
        Command::Queue(args) => cmd::review::queue(args),
        Command::Case(args) => cmd::review::case(args),
        Command::Cybertip(args) => cmd::review::cybertip(args),
        Command::Preservation(args) => cmd::review::preservation(args),
        Command::AuditLog(args) => cmd::review::audit_log(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Token(args) => cmd::serve::token(args),
        Command::Transparency(args) => cmd::review::transparency(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let hint = err
                .chain()
                .find_map(|cause| cause.downcast_ref::<guardrail_engine::EngineError>())
                .and_then(cmd::hint);
            match hint {
                Some(hint) => eprintln!("guardrail: {err:#} ({hint})"),
                None => eprintln!("guardrail: {err:#}"),
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
