//! `guardrail synth`: write a deterministic synthetic platform.

use std::path::PathBuf;
use std::process::ExitCode;

use guardrail_engine::synth::{Config, Stats, DEFAULT_ACCOUNTS, DEFAULT_DAYS};

/// Arguments of `guardrail synth`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Number of accounts.
    #[arg(long, default_value_t = DEFAULT_ACCOUNTS)]
    accounts: u32,
    /// Seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Length of the world in days.
    #[arg(long, default_value_t = DEFAULT_DAYS)]
    days: u32,
    /// The lexicon to plant code words from (default: the invented test lexicon).
    #[command(flatten)]
    lexicon: super::text::LexiconOptions,
    /// Directory for events.jsonl, truth.json and bank.txt.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print nothing.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let stats = write(&args)?;
    if !args.quiet {
        print_stats(&stats, &args.out);
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn write(args: &Args) -> anyhow::Result<Stats> {
    let mut config = Config::new(args.accounts, args.seed);
    config.days = args.days;
    Ok(guardrail_engine::world::synthesise(config, &args.lexicon.source(), &args.out)?)
}

/// Synthesises a world with the defaults but for size and seed (for `demo`).
pub(crate) fn quick(accounts: u32, seed: u64, out: PathBuf) -> anyhow::Result<Stats> {
    write(&Args {
        accounts,
        seed,
        days: DEFAULT_DAYS,
        lexicon: Default::default(),
        out,
        quiet: true,
    })
}

pub(crate) fn print_stats(stats: &Stats, out: &std::path::Path) {
    println!(
        "wrote {} accounts, {} events ({:.1} MB) to {} in {:.1} s (plan {:.1} s, write {:.1} s)",
        stats.accounts,
        stats.events,
        stats.bytes as f64 / 1e6,
        out.join("events.jsonl").display(),
        (stats.plan_time + stats.write_time).as_secs_f64(),
        stats.plan_time.as_secs_f64(),
        stats.write_time.as_secs_f64(),
    );
    let by_type: Vec<String> =
        stats.events_by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("  events: {}", by_type.join(", "));
    let roles: Vec<String> =
        stats.network_by_role.iter().map(|(r, n)| format!("{r} {n}")).collect();
    println!("  planted network: {}", roles.join(", "));
    println!(
        "  bank: {} hashes in bank.txt, {} posts carry near-duplicates; ground truth in truth.json",
        stats.bank_hashes, stats.bank_matches
    );
}
