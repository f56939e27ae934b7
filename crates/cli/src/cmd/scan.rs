//! `guardrail scan` and `guardrail eval-scan`: network mapping and identity
//! linking over an event stream (`guardrail-graph`), with the lexicon
//! (`guardrail-text`) and hash banks (`guardrail-media`) as seed signals.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use guardrail_core::{PostEvent, RiskTier, Truth};
use guardrail_graph::{
    eval, load_events, scan, Evidence, Graph, HashHit, LoadOptions, LoadReport, MediaCheck, Node,
    ScanConfig, ScanResult,
};
use guardrail_media::bank::{parse_list, BankInfo, Banks, KnownHash};
use guardrail_media::PdqHash;
use guardrail_text::Matcher;

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
    #[arg(long, default_value_t = 31, value_parser = clap::value_parser!(u32).range(0..=96))]
    radius: u32,
}

impl Signals {
    /// The compiled lexicon and the hash lists given as files, if any.
    pub(crate) fn load(&self) -> anyhow::Result<(Option<Matcher>, Option<BankCheck>)> {
        self.load_with(None)
    }

    /// As [`Signals::load`], with the banks stored in `store` (if any) besides the files.
    fn load_with(
        &self,
        store: Option<(&mut dyn guardrail_store::Store, &str)>,
    ) -> anyhow::Result<(Option<Matcher>, Option<BankCheck>)> {
        let mut banks = match store {
            Some((store, url)) => super::media::banks_of(store, url)?,
            None => Banks::new(),
        };
        add_bank_files(&mut banks, &self.bank)?;
        banks.compact();
        let media = (!banks.banks().is_empty()).then(|| BankCheck::new(banks, self.radius));
        Ok((load_matcher(&self.lexicon)?, media))
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

/// The media engine's banks, adapted to the graph crate's [`MediaCheck`].
///
/// The graph's trait has no way to fail, so the first matching error is kept
/// and [`BankCheck::finish`] turns it into the load's error: a check that
/// failed never reads as "no match".
pub(crate) struct BankCheck {
    banks: Banks,
    radius: u32,
    error: std::sync::Mutex<Option<String>>,
}

impl BankCheck {
    fn new(banks: Banks, radius: u32) -> BankCheck {
        BankCheck { banks, radius, error: std::sync::Mutex::new(None) }
    }

    fn fail(&self, post: &PostEvent, err: guardrail_media::MediaError) {
        let mut first = self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert_with(|| format!("matching the media of post {}: {err}", post.post));
    }

    /// The first error any check met, if one did.
    pub(crate) fn finish(&self) -> anyhow::Result<()> {
        let first = self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match first.as_ref() {
            Some(err) => anyhow::bail!("{err}"),
            None => Ok(()),
        }
    }
}

impl MediaCheck for BankCheck {
    fn check(&self, post: &PostEvent) -> Vec<HashHit> {
        let mut hits = Vec::new();
        for m in &post.media {
            let mut exact = Vec::new();
            if let Some(h) = m.md5 {
                exact.push(KnownHash::Md5(h));
            }
            if let Some(h) = m.sha256 {
                exact.push(KnownHash::Sha256(h));
            }
            let mut found = match self.banks.match_exact(&exact, None) {
                Ok(found) => found,
                Err(err) => {
                    self.fail(post, err);
                    Vec::new()
                }
            };
            if let Some(p) = m.pdq {
                match self.banks.match_pdq(&[PdqHash::from(p)], self.radius, None) {
                    Ok(more) => found.extend(more),
                    Err(err) => self.fail(post, err),
                }
            }
            for f in found {
                hits.push(HashHit {
                    post: post.post.as_str().to_owned(),
                    bank: f.bank,
                    kind: f.hash.kind().as_str().to_owned(),
                    distance: f.distance,
                });
            }
        }
        hits
    }
}

fn load_bank_files(files: &[PathBuf], radius: u32) -> anyhow::Result<Option<BankCheck>> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut banks = Banks::new();
    add_bank_files(&mut banks, files)?;
    banks.compact();
    Ok(Some(BankCheck::new(banks, radius)))
}

/// Adds each hash list file as a bank named after the file (the list
/// declares its kind, as `guardrail synth` and `guardrail plant` write it).
fn add_bank_files(banks: &mut Banks, files: &[PathBuf]) -> anyhow::Result<()> {
    for path in files {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("bank").to_owned();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading hash list {}", path.display()))?;
        // The list must declare its kind (a `# kind:` line or a table header),
        // as for `guardrail bank import`: 64 hex digits may be PDQ or SHA-256.
        let hashes = parse_list(&text, &path.display().to_string(), None)?;
        banks.put_bank(BankInfo { name: name.clone(), action: "review".into(), tags: Vec::new() });
        let hashes: Vec<_> = hashes.into_iter().map(|h| (name.as_str(), h.hash)).collect();
        banks.add_all(&hashes)?;
    }
    Ok(())
}

fn load_matcher(options: &super::text::LexiconOptions) -> anyhow::Result<Option<Matcher>> {
    let Some(lexicon) = options.load()? else { return Ok(None) };
    let shown = options.lexicon.as_deref().map(Path::display);
    let matcher = Matcher::new(lexicon).with_context(|| {
        format!("compiling lexicon {}", shown.map(|p| p.to_string()).unwrap_or_default())
    })?;
    Ok(Some(matcher))
}

pub(crate) struct Loaded {
    pub(crate) graph: Graph,
    pub(crate) evidence: Evidence,
    pub(crate) report: LoadReport,
    pub(crate) seconds: f64,
}

pub(crate) fn load(
    events: &Path,
    matcher: Option<&Matcher>,
    media: Option<&BankCheck>,
    skip_unknown_types: bool,
) -> anyhow::Result<Loaded> {
    let file =
        std::fs::File::open(events).with_context(|| format!("opening {}", events.display()))?;
    load_from(
        BufReader::with_capacity(1 << 20, file),
        &events.display().to_string(),
        matcher,
        media,
        skip_unknown_types,
    )
}

/// Loads the graph from any stream of event lines (`name` for errors).
fn load_from<R: std::io::BufRead + Send>(
    input: R,
    name: &str,
    matcher: Option<&Matcher>,
    media: Option<&BankCheck>,
    skip_unknown_types: bool,
) -> anyhow::Result<Loaded> {
    let start = Instant::now();
    let mut graph = Graph::new();
    let mut evidence = Evidence::default();
    let options = LoadOptions { skip_unknown_types, ..LoadOptions::default() };
    let report = load_events(
        input,
        &mut graph,
        &mut evidence,
        matcher,
        media.map(|m| m as &dyn MediaCheck),
        &options,
    )
    .with_context(|| format!("in {name}"))?;
    if let Some(media) = media {
        media.finish().with_context(|| format!("in {name}"))?;
    }
    Ok(Loaded { graph, evidence, report, seconds: start.elapsed().as_secs_f64() })
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut store = match &args.database {
        // The scan reads the database (its event log, its banks) and adds its
        // results to it: a database that does not exist is refused, never created.
        Some(url) => Some(super::open_reader(url)?),
        None => None,
    };
    // The banks stored in the database (`guardrail bank import`), and --bank files besides.
    let (matcher, media) = match (store.as_mut(), &args.database) {
        (Some(store), Some(url)) => args.signals.load_with(Some((store.as_mut(), url)))?,
        _ => args.signals.load()?,
    };
    let (loaded, source) = match (&args.events, store.as_mut()) {
        (Some(events), _) => (
            load(events, matcher.as_ref(), media.as_ref(), args.skip_unknown_types)?,
            events.display().to_string(),
        ),
        (None, Some(store)) => {
            let url = args.database.as_deref().unwrap_or("");
            anyhow::ensure!(
                !store.events_after(0, 1)?.is_empty(),
                "database {url} holds no events: load them with `guardrail ingest`, or give --events FILE"
            );
            let name = format!("the event log of {url}");
            let lines = guardrail_store::EventLines::new(store.as_mut());
            let loaded =
                load_from(lines, &name, matcher.as_ref(), media.as_ref(), args.skip_unknown_types)?;
            (loaded, "store".to_owned())
        }
        (None, None) => {
            anyhow::bail!("give --events FILE, or --database URL to scan its event log")
        }
    };
    let start = Instant::now();
    let result = scan(&loaded.graph, &loaded.evidence, matcher.as_ref(), &ScanConfig::default())?;
    let scan_seconds = start.elapsed().as_secs_f64();
    let mut stored = None;
    if let Some(store) = store.as_mut() {
        let run = store.save_scan(&to_store(&source, &result)).context("storing the scan")?;
        stored = Some(run);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer(&mut out, &result)?;
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

fn to_store(source: &str, result: &ScanResult) -> guardrail_store::NewScan {
    let mut network_of = std::collections::HashMap::new();
    for n in &result.networks {
        for a in &n.accounts {
            network_of.insert(a.as_str(), n.id as i64);
        }
    }
    let mut person_of = std::collections::HashMap::new();
    for p in &result.persons {
        for a in &p.accounts {
            person_of.insert(a.as_str(), p.id as i64);
        }
    }
    guardrail_store::NewScan {
        source: source.to_owned(),
        summary: serde_json::to_string(&result.summary).unwrap_or_default(),
        accounts: result
            .accounts
            .iter()
            .map(|a| guardrail_store::RiskRow {
                account: a.id.clone(),
                tier: a.tier.as_str().to_owned(),
                score: a.score,
                reasons: a.reasons.clone(),
                network: network_of.get(a.id.as_str()).copied(),
                person: person_of.get(a.id.as_str()).copied(),
            })
            .collect(),
        persons: result
            .persons
            .iter()
            .map(|p| guardrail_store::PersonRow {
                person: p.id as i64,
                accounts: p.accounts.clone(),
                evidence: p.evidence.clone(),
            })
            .collect(),
    }
}

#[derive(serde::Serialize)]
struct EvalReport {
    world: String,
    seeds: String,
    accounts: usize,
    edges: usize,
    load_seconds: f64,
    scan_seconds: f64,
    detection: Vec<eval::Detection>,
    linking: eval::Linking,
    /// What a planted world's truth adds (and buyers, backups for any world).
    planted: eval::Planted,
}

pub(crate) fn eval_scan(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let truth_path = args.world.join("truth.json");
    let truth_text = std::fs::read_to_string(&truth_path)
        .with_context(|| format!("reading {}", truth_path.display()))?;
    let truth =
        Truth::from_json(&truth_text).with_context(|| format!("in {}", truth_path.display()))?;
    let plant_truth: eval::PlantTruth = serde_json::from_str(&truth_text)
        .with_context(|| format!("in {} (planting keys)", truth_path.display()))?;
    let matcher = load_matcher(&args.lexicon)?;
    let media = load_bank_files(&args.bank, 31)?;
    let loaded = load(&args.world.join("events.jsonl"), matcher.as_ref(), media.as_ref(), false)?;
    let graph = &loaded.graph;
    let start = Instant::now();
    let result = scan(graph, &loaded.evidence, matcher.as_ref(), &ScanConfig::default())?;
    let scan_seconds = start.elapsed().as_secs_f64();

    let flagged: Vec<bool> = result.tiers_for(graph)?.iter().map(|t| t.is_flagged()).collect();
    // The baselines start from the same platform signal: child-safety enforcement.
    let enforced: Vec<Node> = (0..graph.len() as Node)
        .filter(|&v| graph.account(v).enforcement.as_ref().is_some_and(|e| e.is_child_safety()))
        .collect();
    let mut seeds = String::from("child-safety enforcement");
    if args.lexicon.lexicon.is_some() {
        seeds.push_str(" + lexicon");
    }
    if !args.bank.is_empty() {
        seeds.push_str(" + hash banks");
    }
    let report = EvalReport {
        world: args.world.display().to_string(),
        seeds,
        accounts: graph.len(),
        edges: graph.edges(),
        load_seconds: loaded.seconds,
        scan_seconds,
        detection: vec![
            eval::detection("guardrail scan", graph, &truth, &flagged),
            eval::detection(
                "1-hop follow expansion",
                graph,
                &truth,
                &eval::hop_expansion(graph, &enforced, 1),
            ),
            eval::detection(
                "2-hop follow expansion",
                graph,
                &truth,
                &eval::hop_expansion(graph, &enforced, 2),
            ),
        ],
        linking: eval::linking(graph, &truth, result.person_of_for(graph)?),
        planted: eval::planted(graph, &truth, &plant_truth, &flagged, result.person_of_for(graph)?),
    };
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
    println!("\n5. network scan from the platform's own enforcement events (guardrail scan)");
    let events = world.join("events.jsonl");
    let loaded = load(&events, None, None, false)?;
    let start = Instant::now();
    let result = scan(&loaded.graph, &loaded.evidence, None, &ScanConfig::default())?;
    let s = &result.summary;
    println!(
        "  {} accounts, {} edges loaded in {:.1} s, scanned in {:.1} s: {} seeds; {} confirmed, {} suspected, {} candidates for review, {} exposed; {} networks; {} persons with several accounts",
        s.accounts,
        s.edges,
        loaded.seconds,
        start.elapsed().as_secs_f64(),
        s.seeds,
        s.confirmed,
        s.suspected,
        s.candidates,
        s.exposed,
        result.networks.len(),
        result.persons.len()
    );
    if let Some(a) = result
        .accounts
        .iter()
        .find(|a| a.reasons.iter().any(|r| r.to_string().starts_with("ban evasion")))
    {
        println!("  for example {} ({}): {}", a.id, a.tier, a.reasons[0]);
    }
    let mut store = super::open_reader(database)?;
    let run = store
        .save_scan(&to_store(&events.display().to_string(), &result))
        .context("storing the scan")?;
    println!("  stored as scan {run} in {database}");
    let truth_text =
        std::fs::read_to_string(world.join("truth.json")).context("reading truth.json")?;
    let truth = Truth::from_json(&truth_text)?;
    let graph = &loaded.graph;
    let flagged: Vec<bool> = result.tiers_for(graph)?.iter().map(|t| t.is_flagged()).collect();
    let d = eval::detection("scan", graph, &truth, &flagged);
    let l = eval::linking(graph, &truth, result.person_of_for(graph)?);
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
