//! `guardrail check-text`, `guardrail eval-text` and `guardrail lexicon`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use guardrail_core::{EntryKind, Lexicon, Surface, TextCase};
use guardrail_text::eval::{evaluate, Report, Tally};
use guardrail_text::{Level, Matcher, Verdict};

/// The starter lexicon shipped for deployments (terms named in public reporting).
pub(crate) const STARTER_LEXICON: &str = include_str!("../../../../lexicons/starter.toml");
/// The default evaluation set, generated from the test lexicon.
pub(crate) const DEFAULT_SET: &str = "eval/text/test-lexicon.jsonl";

fn parse_surface(s: &str) -> Result<Surface, String> {
    Surface::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Surface::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown surface {s:?}; one of {}", names.join(", "))
    })
}

/// What a lexicon file is, as declared by its name or `--lexicon-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LexiconFormat {
    /// The TOML lexicon format (docs/LEXICON.md): `format = 1` required, unknown keys refused.
    Toml,
    /// A plain list: one term or phrase a line, `#` comments; each a `block` entry.
    Words,
}

impl LexiconFormat {
    /// The format a file's name declares: `.toml` or `.txt`; any other name is not a declaration.
    fn of_path(path: &Path) -> Option<LexiconFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(LexiconFormat::Toml),
            "txt" => Some(LexiconFormat::Words),
            _ => None,
        }
    }
}

/// The lexicon options every command that reads a lexicon file shares.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct LexiconOptions {
    /// Lexicon file: `.toml` (docs/LEXICON.md) or `.txt` (a plain list, one
    /// term a line); any other name needs --lexicon-format.
    #[arg(long, value_name = "FILE")]
    pub(crate) lexicon: Option<PathBuf>,
    /// What the lexicon file is, whatever its name: toml or words (a plain list).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub(crate) lexicon_format: Option<LexiconFormat>,
    /// Accept a lexicon with no entries (it matches nothing; refused otherwise).
    #[arg(long)]
    pub(crate) allow_empty_lexicon: bool,
}

impl LexiconOptions {
    /// The lexicon file, if one was given, read by [`read_lexicon_file`].
    pub(crate) fn load(&self) -> anyhow::Result<Option<Lexicon>> {
        self.lexicon
            .as_deref()
            .map(|path| read_lexicon_file(path, self.lexicon_format, self.allow_empty_lexicon))
            .transpose()
    }

    /// The lexicon file, or the built-in `default` (`(name, TOML text)`).
    pub(crate) fn load_or(&self, default: (&str, &str)) -> anyhow::Result<Lexicon> {
        match self.load()? {
            Some(lexicon) => Ok(lexicon),
            None => Lexicon::from_toml(default.1)
                .with_context(|| format!("the built-in {} lexicon", default.0)),
        }
    }
}

/// Reads a lexicon file by what it declares: `format` (from `--lexicon-format`)
/// or else its name (`.toml`, `.txt`); a name that declares nothing is refused,
/// so a TOML file is never read as a word list or the reverse. A lexicon with
/// no entries is refused unless `allow_empty`. This is the one place the CLI
/// reads lexicon files.
pub(crate) fn read_lexicon_file(
    path: &Path,
    format: Option<LexiconFormat>,
    allow_empty: bool,
) -> anyhow::Result<Lexicon> {
    let shown = path.display();
    let Some(format) = format.or_else(|| LexiconFormat::of_path(path)) else {
        bail!(
            "lexicon {shown}: cannot tell its format from the name; name it .toml (the lexicon \
             format) or .txt (one term a line), or give --lexicon-format toml|words"
        );
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading lexicon {shown}"))?;
    let lexicon = match format {
        LexiconFormat::Toml => Lexicon::from_toml(&text),
        LexiconFormat::Words => Lexicon::from_word_list(&shown.to_string(), &text),
    }
    .with_context(|| format!("in {shown}"))?;
    if lexicon.entries.is_empty() && !allow_empty {
        bail!(
            "lexicon {shown} has no entries, so it would match nothing; \
             give --allow-empty-lexicon if that is what you want"
        );
    }
    Ok(lexicon)
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
    let lexicon = args.lexicon.load_or(("starter", STARTER_LEXICON))?;
    let matcher = Matcher::new(lexicon).context("compiling the lexicon")?;
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
    let lexicon = args.lexicon.load_or(("test", guardrail_synth::TEST_LEXICON))?;
    if args.generate {
        let words = guardrail_text::words::list();
        let cases = guardrail_synth::text_eval(&lexicon, &words, args.benign, args.seed);
        if let Some(dir) = args.set.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&args.set)
                .with_context(|| format!("creating {}", args.set.display()))?,
        );
        for c in &cases {
            writeln!(out, "{}", serde_json::to_string(c)?)?;
        }
        out.flush()?;
        println!("wrote {} cases to {}", cases.len(), args.set.display());
        return Ok(ExitCode::SUCCESS);
    }
    let cases = read_set(&args.set)?;
    let matcher = Matcher::new(lexicon).context("compiling the lexicon")?;
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

pub(crate) fn read_set(path: &Path) -> anyhow::Result<Vec<TextCase>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut cases = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let case: TextCase = serde_json::from_str(&line)
            .with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        cases.push(case);
    }
    if cases.is_empty() {
        bail!("{}: no cases", path.display());
    }
    Ok(cases)
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
        #[arg(long, value_name = "FORMAT", value_enum)]
        lexicon_format: Option<LexiconFormat>,
        /// Accept a lexicon with no entries.
        #[arg(long)]
        allow_empty_lexicon: bool,
    },
}

pub(crate) fn lexicon(args: LexiconArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        LexiconCommand::Validate { file, lexicon_format, allow_empty_lexicon } => {
            let lexicon = read_lexicon_file(&file, lexicon_format, allow_empty_lexicon)?;
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
            let matcher =
                Matcher::new(lexicon).with_context(|| format!("in {}", file.display()))?;
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
