//! `guardrail hash`, `guardrail bank ...` and `guardrail match`: the media
//! engine over files, with banks kept in the store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use guardrail_media::bank::{digests, digests_of, parse_list, ImportedHash};
use guardrail_media::decode::{decode, read_limited, Limits};
use guardrail_media::video::{hash_video, FrameHash, VideoOptions};
use guardrail_media::{
    BankInfo, BankMatch, Banks, Dihedral, HashKind, Hasher, KnownHash, PdqOutput,
};
use serde_json::json;

/// File extensions hashed as videos (through ffmpeg) rather than images.
const VIDEO_EXTENSIONS: &[&str] =
    &["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "3gp", "ts"];

fn is_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| VIDEO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

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

/// What hashing one file gave.
enum Hashed {
    Image { variants: Vec<(Dihedral, PdqOutput)>, bytes: Vec<u8> },
    Video(Vec<FrameHash>),
}

fn hash_file(path: &Path, hasher: &mut Hasher, dihedral: bool, fps: f64) -> anyhow::Result<Hashed> {
    if is_video(path) {
        let frames = hash_video(path, &VideoOptions { fps, ..VideoOptions::default() })?;
        return Ok(Hashed::Video(frames));
    }
    let limits = Limits::default();
    let bytes = read_limited(path, &limits)?;
    let image = decode(&bytes, &limits)?;
    let variants = if dihedral {
        Dihedral::ALL
            .into_iter()
            .zip(hasher.hash_rgb8_dihedral(&image.pixels, image.width, image.height))
            .collect()
    } else {
        vec![(Dihedral::Original, hasher.hash_rgb8(&image.pixels, image.width, image.height))]
    };
    Ok(Hashed::Image { variants, bytes })
}

pub(crate) fn hash(args: HashArgs) -> anyhow::Result<ExitCode> {
    let mut hasher = Hasher::new();
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for path in &args.files {
        let shown = path.display().to_string();
        let result = hash_file(path, &mut hasher, args.dihedral, args.fps);
        let line = match (&result, args.json) {
            (Err(e), true) => json!({ "path": shown, "error": format!("{e:#}") }).to_string(),
            (Err(e), false) => {
                eprintln!("guardrail: {shown}: {e:#}");
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
    #[arg(long, global = true, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = guardrail_store::DEFAULT_DATABASE)]
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

fn parse_hash_arg(text: &str) -> anyhow::Result<KnownHash> {
    let (kind, hex) = match text.split_once(':') {
        Some((k, h)) => {
            (HashKind::parse(k).with_context(|| format!("unknown hash kind in {text:?}"))?, h)
        }
        None => (HashKind::Pdq, text),
    };
    Ok(KnownHash::parse(kind, hex)?)
}

pub(crate) fn bank(args: BankArgs) -> anyhow::Result<ExitCode> {
    // Only an import creates the database; listing and removing read an existing one.
    let mut store = match args.command {
        BankCommand::Import { .. } => super::open_writer(&args.database)?,
        BankCommand::List | BankCommand::Remove { .. } => super::open_reader(&args.database)?,
    };
    match args.command {
        BankCommand::Import { bank, action, tags, kind, file } => {
            let kind = kind
                .map(|kind| {
                    HashKind::parse(&kind)
                        .filter(|k| *k != HashKind::Md5)
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
            let hashes = parse_list(&text, &name, kind)?;
            let rows: Vec<guardrail_store::BankHash> = hashes
                .iter()
                .map(|ImportedHash { hash, tags }| guardrail_store::BankHash {
                    kind: hash.kind().as_str().to_owned(),
                    hash: hash.to_hex(),
                    tags: tags.iter().map(|t| t.replace(',', " ")).collect(),
                })
                .collect();
            store.put_bank(&bank, &action, &tags)?;
            let outcome = store.add_bank_hashes(&bank, &rows)?;
            println!(
                "{bank}: {} added, {} already there ({} read from {name})",
                outcome.added,
                outcome.duplicates,
                rows.len()
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
                    .map(|h| parse_hash_arg(h).map(|k| (k.kind().as_str().to_owned(), k.to_hex())))
                    .collect::<anyhow::Result<Vec<_>>>()?;
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
    #[arg(long, default_value_t = guardrail_media::DEFAULT_RADIUS, value_parser = clap::value_parser!(u32).range(0..=96))]
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
    #[arg(long, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = guardrail_store::DEFAULT_DATABASE)]
    database: String,
}

/// Every bank stored in the database at `url`, refusing a database without
/// any hash: a matcher with nothing to match against would answer "no match".
/// With `only`, that bank must exist and hold hashes.
pub(crate) fn load_banks(url: &str, only: Option<&str>) -> anyhow::Result<Banks> {
    let mut store = super::open_reader(url)?;
    let stored = store.banks()?;
    anyhow::ensure!(
        !stored.is_empty(),
        "database {url} holds no hash banks: import one with `guardrail bank import`"
    );
    match only {
        Some(name) => {
            let bank = stored.iter().find(|b| b.name == name);
            let bank = bank.with_context(|| format!("no bank named {name:?} in database {url}"))?;
            anyhow::ensure!(bank.hashes > 0, "bank {name:?} in database {url} holds no hashes");
        }
        None => anyhow::ensure!(
            stored.iter().any(|b| b.hashes > 0),
            "the banks in database {url} hold no hashes: import a list with `guardrail bank import`"
        ),
    }
    banks_of(store.as_mut(), url)
}

/// The banks stored in `store` (possibly none), loaded into the media engine.
pub(crate) fn banks_of(store: &mut dyn guardrail_store::Store, url: &str) -> anyhow::Result<Banks> {
    let mut banks = Banks::new();
    for b in store.banks()? {
        banks.put_bank(BankInfo { name: b.name, action: b.action, tags: b.tags });
    }
    let mut hashes = Vec::new();
    for (bank, h) in store.bank_hashes(None)? {
        let kind = HashKind::parse(&h.kind)
            .with_context(|| format!("bank {bank}: stored hash kind {:?}", h.kind))?;
        let hash = KnownHash::parse(kind, &h.hash)
            .with_context(|| format!("bank {bank}: a stored hash"))?;
        hashes.push((bank, hash));
    }
    banks.add_all(&hashes).with_context(|| format!("loading the banks of {url}"))?;
    banks.compact();
    Ok(banks)
}

/// Why a file's perceptual hash was not matched (its exact digests were).
struct Skipped {
    /// The best quality among its hashes (the image's, or a video's best frame).
    quality: u8,
}

fn match_file(
    path: &Path,
    banks: &Banks,
    args: &MatchArgs,
    hasher: &mut Hasher,
) -> anyhow::Result<(Vec<BankMatch>, Option<Skipped>)> {
    let only = args.bank.as_deref();
    let mut out = Vec::new();
    let mut skipped = None;
    match hash_file(path, hasher, args.dihedral, 1.0)? {
        Hashed::Image { variants, bytes } => {
            out.extend(banks.match_exact(&digests(&bytes), only)?);
            let quality = variants[0].1.quality;
            if args.include_low_quality || variants[0].1.is_reliable() {
                let hashes: Vec<_> = variants.iter().map(|(_, o)| o.hash).collect();
                out.extend(banks.match_pdq(&hashes, args.radius, only)?);
            } else {
                skipped = Some(Skipped { quality });
            }
        }
        Hashed::Video(frames) => {
            // Streamed: a video need not fit in memory to be digested.
            let reading = || format!("reading {}", path.display());
            let file = std::fs::File::open(path).with_context(reading)?;
            let sums = digests_of(std::io::BufReader::new(file)).with_context(reading)?;
            out.extend(banks.match_exact(&sums, only)?);
            let mut seen = std::collections::HashSet::new();
            let good: Vec<&FrameHash> = frames
                .iter()
                .filter(|f| {
                    args.include_low_quality || f.quality >= guardrail_media::MIN_RELIABLE_QUALITY
                })
                .collect();
            if good.is_empty() {
                let quality = frames.iter().map(|f| f.quality).max().unwrap_or(0);
                skipped = Some(Skipped { quality });
            }
            for f in good {
                for m in banks.match_pdq(&[f.hash], args.radius, only)? {
                    if seen.insert((m.bank.clone(), m.hash)) {
                        out.push(m);
                    }
                }
            }
        }
    }
    Ok((out, skipped))
}

pub(crate) fn matches(args: MatchArgs) -> anyhow::Result<ExitCode> {
    let banks = load_banks(&args.database, args.bank.as_deref())?;
    let mut hasher = Hasher::new();
    let (mut any_match, mut any_error, mut any_skipped) = (false, false, false);
    let threshold = guardrail_media::MIN_RELIABLE_QUALITY;
    for path in &args.files {
        let shown = path.display().to_string();
        match match_file(path, &banks, &args, &mut hasher) {
            Ok((found, skipped)) => {
                any_match |= !found.is_empty();
                any_skipped |= skipped.is_some();
                if args.json {
                    let list: Vec<_> = found
                        .iter()
                        .map(|m| json!({ "bank": m.bank, "action": m.action, "kind": m.hash.kind().as_str(), "hash": m.hash.to_hex(), "distance": m.distance }))
                        .collect();
                    let mut obj = json!({ "path": shown, "matches": list });
                    if let Some(Skipped { quality }) = skipped {
                        obj["skipped"] = json!({ "reason": "low_quality", "quality": quality, "threshold": threshold });
                    }
                    println!("{obj}");
                } else {
                    if let Some(Skipped { quality }) = skipped {
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
                    println!("{}", json!({ "path": shown, "error": format!("{e:#}") }));
                } else {
                    eprintln!("guardrail: {shown}: {e:#}");
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
