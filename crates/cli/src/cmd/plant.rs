//! `guardrail plant`: plant a network into a real graph (an edge list) and
//! write a world (`guardrail_synth::plant`).

use std::path::PathBuf;
use std::process::ExitCode;

use guardrail_engine::synth::plant::{BackupDeclared, CamouflageTarget, MAX_CAMOUFLAGE};
use guardrail_engine::synth::PlantConfig;

/// A share: a number in [0, 1].
fn share(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("a share must be between 0 and 1, not {value}"))
    }
}

/// Arguments of `guardrail plant`; every default is `PlantConfig::default()`'s.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Edge list: `# directed` or `# undirected`, then `a b` per edge (bench/real_graphs.py writes them).
    #[arg(long, value_name = "FILE")]
    graph: PathBuf,
    /// Directory for events.jsonl, truth.json and bank.txt.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seed; the same graph, flags and seed give byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The lexicon to plant code words from (default: the invented test lexicon).
    #[command(flatten)]
    lexicon: super::text::LexiconOptions,
    /// Sellers (returning accounts not counted).
    #[arg(long, default_value_t = 40)]
    sellers: u32,
    /// Buyers per seller.
    #[arg(long, default_value_t = 20)]
    buyers: u32,
    /// Share of sellers that are real accounts that turned.
    #[arg(long, default_value_t = 0.25, value_parser = share)]
    sellers_from_real: f64,
    /// Share of buyers that are real accounts.
    #[arg(long, default_value_t = 0.5, value_parser = share)]
    buyers_from_real: f64,
    /// Exponent of the power law of a buyer's number of seller follows.
    #[arg(long, default_value_t = 2.5)]
    buyer_follow_exponent: f64,
    /// The least number of sellers a buyer follows.
    #[arg(long, default_value_t = 2)]
    buyer_min_sellers: u32,
    /// Sellers a buyer views besides those it follows.
    #[arg(long, default_value_t = 2)]
    extra_views: u32,
    /// Chance that a buyer likes a post of a seller it follows (half that to comment).
    #[arg(long, default_value_t = 0.5, value_parser = share)]
    engage_share: f64,
    /// Share of buyers that search code words.
    #[arg(long, default_value_t = 0.5, value_parser = share)]
    coded_search_share: f64,
    /// Follows from each new planted network account to real accounts (0 to 20).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=MAX_CAMOUFLAGE as i64))]
    camouflage: u32,
    /// How camouflage targets are chosen: random or popular (by in-degree).
    #[arg(long, default_value = "random", value_parser = str::parse::<CamouflageTarget>)]
    camouflage_target: CamouflageTarget,
    /// Share of buyer follows the seller follows back.
    #[arg(long, default_value_t = 0.3, value_parser = share)]
    follow_back: f64,
    /// Chance per ordered pair of sellers that one follows the other.
    #[arg(long, default_value_t = 0.1, value_parser = share)]
    sellers_follow_each_other: f64,
    /// Real accounts per seller that touch it once (a follow or a view).
    #[arg(long, default_value_t = 5)]
    touches: u32,
    /// Share of sellers with code words in the bio.
    #[arg(long, default_value_t = 0.3, value_parser = share)]
    bio_code_share: f64,
    /// Share of sellers with a code word in the handle.
    #[arg(long, default_value_t = 0.1, value_parser = share)]
    handle_code_share: f64,
    /// Share of sellers with code words in captions and hashtags.
    #[arg(long, default_value_t = 0.5, value_parser = share)]
    caption_code_share: f64,
    /// Share of sellers posting near-duplicates of bank hashes.
    #[arg(long, default_value_t = 0.2, value_parser = share)]
    bank_media_share: f64,
    /// Share of sellers banned for child safety (at least one when positive).
    #[arg(long, default_value_t = 0.1, value_parser = share)]
    enforced_share: f64,
    /// Share of sellers with a backup account.
    #[arg(long, default_value_t = 0.3, value_parser = share)]
    backup_share: f64,
    /// Which side names the other: main, backup, both, or mixed (one of the three per backup).
    #[arg(long, default_value = "mixed", value_parser = str::parse::<BackupDeclared>)]
    backup_declared: BackupDeclared,
    /// Share of backups sharing a device or email hash with their main.
    #[arg(long, default_value_t = 0.5, value_parser = share)]
    backup_shared_identifier: f64,
    /// Chance that a banned seller returns with a new account sharing only a device.
    #[arg(long, default_value_t = 1.0, value_parser = share)]
    return_share: f64,
    /// Planted benign accounts (fans, shops, household devices) per seller.
    #[arg(long, default_value_t = 2)]
    hard_negatives: u32,
    /// Share of real accounts with benign posts.
    #[arg(long, default_value_t = 0.3, value_parser = share)]
    real_post_share: f64,
    /// Share of real accounts with benign searches.
    #[arg(long, default_value_t = 0.2, value_parser = share)]
    real_search_share: f64,
    /// Print nothing.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = PlantConfig {
        seed: args.seed,
        sellers: args.sellers,
        buyers: args.buyers,
        sellers_from_real: args.sellers_from_real,
        buyers_from_real: args.buyers_from_real,
        buyer_follow_exponent: args.buyer_follow_exponent,
        buyer_min_sellers: args.buyer_min_sellers,
        extra_views: args.extra_views,
        engage_share: args.engage_share,
        coded_search_share: args.coded_search_share,
        camouflage: args.camouflage,
        camouflage_target: args.camouflage_target,
        follow_back: args.follow_back,
        sellers_follow_each_other: args.sellers_follow_each_other,
        touches: args.touches,
        bio_code_share: args.bio_code_share,
        handle_code_share: args.handle_code_share,
        caption_code_share: args.caption_code_share,
        bank_media_share: args.bank_media_share,
        enforced_share: args.enforced_share,
        backup_share: args.backup_share,
        backup_declared: args.backup_declared,
        backup_shared_identifier: args.backup_shared_identifier,
        return_share: args.return_share,
        hard_negatives: args.hard_negatives,
        real_post_share: args.real_post_share,
        real_search_share: args.real_search_share,
        ..PlantConfig::default()
    };
    let (graph, stats) =
        guardrail_engine::world::plant(&args.graph, config, &args.lexicon.source(), &args.out)?;
    if !args.quiet {
        println!(
            "{}: {} real accounts, {} real follows ({}; {} self-loops and {} repeats dropped)",
            args.graph.display(),
            stats.real_accounts,
            stats.real_follows,
            if graph.directed { "directed" } else { "undirected, each edge both ways" },
            graph.self_loops,
            graph.duplicates
        );
        let roles: Vec<String> =
            stats.network_by_role.iter().map(|(r, n)| format!("{r} {n}")).collect();
        println!(
            "  planted network: {} ({} of them real accounts that turned); {} banned, {} returning; {} planted benign accounts",
            roles.join(", "),
            stats.network_from_real,
            stats.banned,
            stats.returning,
            stats.planted_benign
        );
        let by_type: Vec<String> =
            stats.events_by_type.iter().map(|(t, n)| format!("{t} {n}")).collect();
        println!(
            "  wrote {} events ({:.1} MB) to {}: {}",
            stats.events,
            stats.bytes as f64 / 1e6,
            args.out.join("events.jsonl").display(),
            by_type.join(", ")
        );
        println!("  bank: {} hashes in bank.txt; ground truth in truth.json", stats.bank_hashes);
    }
    Ok(ExitCode::SUCCESS)
}
