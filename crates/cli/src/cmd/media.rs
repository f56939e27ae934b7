//! `guardrail hash`, `guardrail bank ...` and `guardrail match`: the media
//! engine over files, with banks kept in the store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use guardrail_engine::banks::{parse_hash, Import, MAX_RADIUS};
use guardrail_engine::files::{hash_file, match_file, Hashed, MatchOptions};
use guardrail_engine::media_engine::{HashKind, Hasher, MIN_RELIABLE_QUALITY};
use guardrail_engine::store::{open_reader, open_writer};
use guardrail_engine::store_backend::DEFAULT_DATABASE;
use serde_json::json;

/// Arguments of `guardrail hash`.
#[derive(clap::Args)]
pub(crate) struct HashArgs {
    /// Image files (JPEG, PNG, GIF, WebP, BMP; detected from the bytes) or
    /// videos (by extension: mp4, webm, mov, mkv...; needs ffmpeg).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Also print the hashes of the 8 rotations and mirror images.
    #[arg(long)]
    dihedral: bool,
    /// One JSON object per file.
    #[arg(long)]
    json: bool,
    /// Video frames hashed per second.
    #[arg(long, default_value_t = 1.0)]
    fps: f64,
}

/// Why one file failed, with its causes, without the file's name (the
/// caller prints it once).
fn file_error(e: &guardrail_engine::EngineError) -> String {
    let mut causes = Vec::new();
    let mut next: Option<&dyn std::error::Error> = match e {
        guardrail_engine::EngineError::MediaFile { source, .. } => Some(source),
        other => Some(other),
    };
    while let Some(cause) = next {
        causes.push(cause.to_string());
        next = cause.source();
    }
    causes.join(": ")
}

pub(crate) fn hash(args: HashArgs) -> anyhow::Result<ExitCode> {
    let mut hasher = Hasher::new();
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for path in &args.files {
        let shown = path.display().to_string();
        let result = hash_file(path, &mut hasher, args.dihedral, args.fps);
        let line = match (&result, args.json) {
            (Err(e), true) => json!({ "path": shown, "error": file_error(e) }).to_string(),
            (Err(e), false) => {
                eprintln!("guardrail: {shown}: {}", file_error(e));
                failed = true;
                continue;
            }
            (Ok(Hashed::Image { variants, .. }), true) => {
                let (_, first) = variants[0];
                let mut obj =
                    json!({ "path": shown, "pdq": first.hash.to_hex(), "quality": first.quality });
                if args.dihedral {
                    obj["dihedral"] = variants
                        .iter()
                        .map(|(d, o)| (d.name().to_owned(), json!(o.hash.to_hex())))
                        .collect();
                }
                obj.to_string()
            }
            (Ok(Hashed::Image { variants, .. }), false) => {
                let mut text = String::new();
                for (d, o) in variants {
                    let suffix =
                        if args.dihedral { format!(" {}", d.name()) } else { String::new() };
                    text.push_str(&format!("{} {} {shown}{suffix}\n", o.hash, o.quality));
                }
                text.pop();
                text
            }
            (Ok(Hashed::Video(frames)), true) => {
                let frames: Vec<_> = frames
                    .iter()
                    .map(|f| json!({ "index": f.index, "timestamp_ms": f.timestamp_ms, "pdq": f.hash.to_hex(), "quality": f.quality }))
                    .collect();
                json!({ "path": shown, "frames": frames }).to_string()
            }
            (Ok(Hashed::Video(frames)), false) => frames
                .iter()
                .map(|f| {
                    format!(
                        "{} {} {shown} frame={} t={:.3}",
                        f.hash,
                        f.quality,
                        f.index,
                        f.timestamp_ms as f64 / 1000.0
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        };
        if result.is_err() {
            failed = true;
        }
        use std::io::Write as _;
        writeln!(out, "{line}")?;
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Arguments of `guardrail bank`.
#[derive(clap::Args)]
pub(crate) struct BankArgs {
    #[command(subcommand)]
    command: BankCommand,
    /// Where banks are stored: a file path or sqlite:PATH (embedded), or postgres://…
    #[arg(long, global = true, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = DEFAULT_DATABASE)]
    database: String,
}

#[derive(clap::Subcommand)]
enum BankCommand {
    /// Import a hash list into a bank (created if new): plain text, or the
    /// CSV/TSV exports of ThreatExchange and HMA. All or nothing.
    Import {
        /// The bank's name (letters, digits, '-', '_', '.').
        #[arg(long)]
        bank: String,
        /// What a match calls for.
        #[arg(long, default_value = "review")]
        action: String,
        /// The bank's tags, comma-separated.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// What the list holds (pdq or sha256): needed for a plain list of
        /// 64-digit hashes without a `# kind:` line; must agree with a CSV/TSV header.
        #[arg(long)]
        kind: Option<String>,
        /// The list; `-` reads standard input.
        file: PathBuf,
    },
    /// Every bank with its action, tags and hash count.
    List,
    /// Remove hashes from a bank, or (without --hash) the whole bank.
    Remove {
        /// The bank.
        bank: String,
        /// Hashes to remove, as kind:hex (pdq:…, md5:…, sha256:…) or PDQ hex.
        #[arg(long = "hash")]
        hashes: Vec<String>,
    },
}

pub(crate) fn bank(args: BankArgs) -> anyhow::Result<ExitCode> {
    // Only an import creates the database; listing and removing read an existing one.
    let mut store = match args.command {
        BankCommand::Import { .. } => open_writer(&args.database)?,
        BankCommand::List | BankCommand::Remove { .. } => open_reader(&args.database)?,
    };
    match args.command {
        BankCommand::Import { bank, action, tags, kind, file } => {
            let kind = kind
                .map(|kind| {
                    HashKind::parse(&kind)
                        .with_context(|| format!("--kind {kind:?}: use pdq or sha256"))
                })
                .transpose()?;
            let (text, name) = if file == Path::new("-") {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .context("reading standard input")?;
                (s, "<stdin>".to_owned())
            } else {
                let s = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                (s, file.display().to_string())
            };
            let import = Import {
                bank: &bank,
                action: &action,
                tags: &tags,
                kind,
                text: &text,
                name: &name,
            };
            let done = guardrail_engine::banks::import(store.as_mut(), &import)?;
            println!(
                "{bank}: {} added, {} already there ({} read from {name})",
                done.outcome.added, done.outcome.duplicates, done.read
            );
        }
        BankCommand::List => {
            for b in store.banks()? {
                println!(
                    "{}\t{}\t{} hashes\ttags={}\tcreated {}",
                    b.name,
                    b.action,
                    b.hashes,
                    b.tags.join(","),
                    b.created_at
                );
            }
        }
        BankCommand::Remove { bank, hashes } => {
            if hashes.is_empty() {
                anyhow::ensure!(store.delete_bank(&bank)?, "no bank named {bank:?}");
                println!("{bank}: deleted");
            } else {
                let pairs = hashes
                    .iter()
                    .map(|h| parse_hash(h).map(|k| (k.kind().as_str().to_owned(), k.to_hex())))
                    .collect::<Result<Vec<_>, _>>()?;
                let removed = store.remove_bank_hashes(&bank, &pairs)?;
                println!("{bank}: {removed} of {} removed", pairs.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `guardrail match`.
#[derive(clap::Args)]
pub(crate) struct MatchArgs {
    /// Image or video files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Only this bank.
    #[arg(long)]
    bank: Option<String>,
    /// Largest PDQ distance that counts as a match.
    #[arg(long, default_value_t = guardrail_engine::banks::DEFAULT_RADIUS, value_parser = clap::value_parser!(u32).range(0..=MAX_RADIUS as i64))]
    radius: u32,
    /// Also match the image's rotations and mirror images.
    #[arg(long)]
    dihedral: bool,
    /// Also match hashes with quality below 50 (unreliable; skipped by default,
    /// and each skipped file reported: exit 3 when nothing else matched).
    #[arg(long)]
    include_low_quality: bool,
    /// One JSON object per file.
    #[arg(long)]
    json: bool,
    /// Where banks are stored.
    #[arg(long, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = DEFAULT_DATABASE)]
    database: String,
}

pub(crate) fn matches(args: MatchArgs) -> anyhow::Result<ExitCode> {
    let mut store = open_reader(&args.database)?;
    let banks = guardrail_engine::banks::for_matching(
        store.as_mut(),
        &args.database,
        args.bank.as_deref(),
    )?;
    let options = MatchOptions {
        bank: args.bank.clone(),
        radius: args.radius,
        dihedral: args.dihedral,
        include_low_quality: args.include_low_quality,
    };
    let mut hasher = Hasher::new();
    let (mut any_match, mut any_error, mut any_skipped) = (false, false, false);
    let threshold = MIN_RELIABLE_QUALITY;
    for path in &args.files {
        let shown = path.display().to_string();
        match match_file(path, &banks, &options, &mut hasher) {
            Ok(found) => {
                let skipped = found.skipped_quality;
                let found = found.matches;
                any_match |= !found.is_empty();
                any_skipped |= skipped.is_some();
                if args.json {
                    let list: Vec<_> = found
                        .iter()
                        .map(|m| json!({ "bank": m.bank, "action": m.action, "kind": m.hash.kind().as_str(), "hash": m.hash.to_hex(), "distance": m.distance }))
                        .collect();
                    let mut obj = json!({ "path": shown, "matches": list });
                    if let Some(quality) = skipped {
                        obj["skipped"] = json!({ "reason": "low_quality", "quality": quality, "threshold": threshold });
                    }
                    println!("{obj}");
                } else {
                    if let Some(quality) = skipped {
                        println!(
                            "{shown}\tskipped: quality {quality} is below {threshold} (unreliable hash; \
                             only its exact digests were matched, --include-low-quality matches it anyway)"
                        );
                    }
                    for m in &found {
                        println!(
                            "{shown}\t{}\t{}\t{}\t{}:{}",
                            m.bank,
                            m.distance,
                            m.action,
                            m.hash.kind().as_str(),
                            m.hash.to_hex()
                        );
                    }
                }
            }
            Err(e) => {
                any_error = true;
                if args.json {
                    println!("{}", json!({ "path": shown, "error": file_error(&e) }));
                } else {
                    eprintln!("guardrail: {shown}: {}", file_error(&e));
                }
            }
        }
    }
    // grep's convention: 0 something matched, 1 nothing matched, 2 an error;
    // and 3 when nothing matched but a file's perceptual hash was skipped as
    // unreliable: that file was not fully checked, so it is not "no match".
    Ok(if any_error {
        ExitCode::from(2)
    } else if any_match {
        ExitCode::SUCCESS
    } else if any_skipped {
        ExitCode::from(3)
    } else {
        ExitCode::from(1)
    })
}
