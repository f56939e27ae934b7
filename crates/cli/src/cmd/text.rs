//! `guardrail check-text`, `guardrail eval-text` and `guardrail lexicon`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use guardrail_engine::core::{EntryKind, Surface};
use guardrail_engine::lexicon::{
    read_file, LexiconFormat, LexiconSource, STARTER_LEXICON, TEST_LEXICON,
};
use guardrail_engine::text::{read_set, DEFAULT_SET};
use guardrail_engine::text_engine::eval::{evaluate, Report, Tally};
use guardrail_engine::text_engine::{Level, Verdict};

fn parse_surface(s: &str) -> Result<Surface, String> {
    Surface::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Surface::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown surface {s:?}; one of {}", names.join(", "))
    })
}

fn parse_format(s: &str) -> Result<LexiconFormat, String> {
    LexiconFormat::parse(s).ok_or_else(|| {
        format!("unknown lexicon format {s:?}; one of {}", LexiconFormat::NAMES.join(", "))
    })
}

/// The lexicon options every command that reads a lexicon file shares.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct LexiconOptions {
    /// Lexicon file: `.toml` (docs/LEXICON.md) or `.txt` (a plain list, one
    /// term a line); any other name needs --lexicon-format.
    #[arg(long, value_name = "FILE")]
    pub(crate) lexicon: Option<PathBuf>,
    /// What the lexicon file is, whatever its name: toml or words (a plain list).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub(crate) lexicon_format: Option<LexiconFormat>,
    /// Accept a lexicon with no entries (it matches nothing; refused otherwise).
    #[arg(long)]
    pub(crate) allow_empty_lexicon: bool,
}

impl LexiconOptions {
    /// Where the composition layer reads the lexicon from.
    pub(crate) fn source(&self) -> LexiconSource {
        LexiconSource {
            path: self.lexicon.clone(),
            format: self.lexicon_format,
            allow_empty: self.allow_empty_lexicon,
            built_in: None,
        }
    }
}

/// Arguments of `guardrail check-text`.
#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    /// Where the texts appear: hashtag, search, autocomplete, handle, bio, caption or comment.
    #[arg(long, value_parser = parse_surface)]
    surface: Surface,
    /// The lexicon (default: the starter lexicon).
    #[command(flatten)]
    lexicon: LexiconOptions,
    /// One JSON object per text: text, surface, verdict, matches, reasons.
    #[arg(long)]
    json: bool,
    /// Texts to check; without any, each line of standard input is one text.
    texts: Vec<String>,
}

pub(crate) fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let matcher = args.lexicon.source().matcher_or(STARTER_LEXICON)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut flagged = false;
    let mut one = |text: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        match matcher.check(text, args.surface) {
            Ok(v) => {
                flagged |= v.level != Level::Allow;
                print_verdict(out, text, args.surface, &v, args.json)
            }
            Err(err) => {
                failed = true;
                if args.json {
                    let obj = serde_json::json!({ "text": text, "surface": args.surface, "error": err.to_string() });
                    writeln!(out, "{obj}")?;
                } else {
                    eprintln!("guardrail: {err}");
                }
                Ok(())
            }
        }
    };
    if args.texts.is_empty() {
        for (i, line) in std::io::stdin().lock().lines().enumerate() {
            let line = line.with_context(|| format!("reading standard input, line {}", i + 1))?;
            one(&line, &mut out)?;
        }
    } else {
        for text in &args.texts {
            one(text, &mut out)?;
        }
    }
    out.flush()?;
    // Exit codes as documented in the README: an error wins over a verdict.
    Ok(if failed {
        ExitCode::from(2)
    } else if flagged {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_verdict(
    out: &mut dyn Write,
    text: &str,
    surface: Surface,
    v: &Verdict,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let obj = serde_json::json!({
            "text": text,
            "surface": surface,
            "verdict": v.level,
            "matches": v.matches,
            "reasons": v.reasons,
        });
        writeln!(out, "{obj}")?;
        return Ok(());
    }
    write!(out, "{:<6}  {text}", v.level.as_str())?;
    for m in &v.matches {
        write!(
            out,
            "\n        {} {:?} at {}..{} {:?} ({:?})",
            m.severity.as_str(),
            m.term,
            m.start,
            m.end,
            m.matched,
            m.how
        )?;
        if let Some(age) = m.age {
            write!(out, " age {age}")?;
        }
    }
    for r in &v.reasons {
        write!(out, "\n        because: {r}")?;
    }
    writeln!(out)?;
    Ok(())
}

/// Arguments of `guardrail eval-text`.
#[derive(clap::Args)]
pub(crate) struct EvalArgs {
    /// Labelled set, JSON lines (see docs/TEXT.md).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_SET)]
    set: PathBuf,
    /// The lexicon the set was made for (default: the invented test lexicon).
    #[command(flatten)]
    lexicon: LexiconOptions,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Print up to this many wrong cases.
    #[arg(long, default_value_t = 20)]
    misses: usize,
    /// Exit with status 1 unless recall is at least 99% on every group with
    /// positives and false positives are at most 0.1% of benign texts.
    #[arg(long)]
    check_targets: bool,
    /// Instead of evaluating, generate a set for the lexicon into --set.
    #[arg(long)]
    generate: bool,
    /// With --generate: ordinary texts per surface.
    #[arg(long, default_value_t = 3_000)]
    benign: usize,
    /// With --generate: seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub(crate) fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let lexicon = args.lexicon.source().load_or(TEST_LEXICON)?;
    if args.generate {
        let n = guardrail_engine::text::generate_set(&lexicon, args.benign, args.seed, &args.set)?;
        println!("wrote {n} cases to {}", args.set.display());
        return Ok(ExitCode::SUCCESS);
    }
    let cases = read_set(&args.set)?;
    let shown =
        args.lexicon.lexicon.as_ref().map_or(TEST_LEXICON.name.into(), |p| p.display().to_string());
    let matcher = guardrail_engine::lexicon::compile(lexicon, &shown)?;
    let started = Instant::now();
    let report = evaluate(&matcher, &cases, args.misses);
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, &args.set, cases.len(), secs);
    }
    if args.check_targets {
        let recall_ok = report.groups.values().all(|t| t.recall().is_none_or(|r| r >= 0.99));
        let benign = report.groups.get("benign").cloned().unwrap_or_default();
        let fp_ok = report.total.false_positive_rate().is_none_or(|r| r <= 0.001)
            && benign.false_positive_rate().is_none_or(|r| r <= 0.001);
        if !(recall_ok && fp_ok) {
            eprintln!(
                "guardrail: targets not met (recall >= 99% per group, false positives <= 0.1%)"
            );
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(x: Option<f64>) -> String {
    x.map(|x| format!("{:.2}%", x * 100.0)).unwrap_or_else(|| "-".into())
}

fn print_report(r: &Report, set: &Path, n: usize, secs: f64) {
    println!(
        "{n} cases from {} in {:.2} s ({:.0} checks/s)",
        set.display(),
        secs,
        n as f64 / secs.max(1e-9)
    );
    let header = |what: &str| {
        println!(
            "\n{what:<16} {:>9} {:>8} {:>9} {:>8} {:>8}",
            "positives", "recall", "negatives", "FP rate", "weak"
        );
    };
    let row = |name: &str, t: &Tally| {
        println!(
            "{name:<16} {:>9} {:>8} {:>9} {:>8} {:>8}",
            t.positives,
            pct(t.recall()),
            t.negatives,
            pct(t.false_positive_rate()),
            t.weak_negatives
        );
    };
    header("group");
    for (g, t) in &r.groups {
        row(g, t);
    }
    header("surface");
    for (s, t) in &r.surfaces {
        row(s, t);
    }
    println!();
    row("total", &r.total);
    if !r.misses.is_empty() {
        println!("\nwrong cases (first {}):", r.misses.len());
        for m in &r.misses {
            println!(
                "  {:<12} {:<12} expected {:<6} got {:<6} {:?}",
                m.case.group,
                m.case.surface.as_str(),
                format!("{:?}", m.case.expect).to_lowercase(),
                m.got.as_str(),
                m.case.text
            );
        }
    }
}

/// Arguments of `guardrail lexicon`.
#[derive(clap::Args)]
pub(crate) struct LexiconArgs {
    #[command(subcommand)]
    command: LexiconCommand,
}

#[derive(clap::Subcommand)]
enum LexiconCommand {
    /// Check a lexicon file (TOML or word list) and compile it; errors name the entry.
    Validate {
        /// The lexicon file (`.toml` or `.txt`, or see --lexicon-format).
        file: PathBuf,
        /// What the file is, whatever its name: toml or words (a plain list).
        #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
        lexicon_format: Option<LexiconFormat>,
        /// Accept a lexicon with no entries.
        #[arg(long)]
        allow_empty_lexicon: bool,
    },
}

pub(crate) fn lexicon(args: LexiconArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        LexiconCommand::Validate { file, lexicon_format, allow_empty_lexicon } => {
            let lexicon = read_file(&file, lexicon_format, allow_empty_lexicon)?;
            let count = |k: EntryKind| lexicon.entries.iter().filter(|e| e.kind == k).count();
            let summary = format!(
                "{} entries: {} terms, {} phrases, {} patterns, {} emoji codes, {} age codes",
                lexicon.entries.len(),
                count(EntryKind::Term),
                count(EntryKind::Phrase),
                count(EntryKind::Pattern),
                count(EntryKind::Emoji),
                count(EntryKind::AgeCode),
            );
            let matcher = guardrail_engine::lexicon::compile(lexicon, &file.display().to_string())?;
            let (patterns, bytes) = matcher.automaton_size();
            println!(
                "{}: ok, {summary}; automaton of {patterns} keys, {:.1} MiB",
                file.display(),
                bytes as f64 / (1 << 20) as f64
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
