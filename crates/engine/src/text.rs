//! Texts: labelled evaluation sets, and a world's texts through the text engine.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

use guardrail_core::{EventKind, EventReader, Surface, TextCase};
use guardrail_text::{Level, Matcher};

use crate::{EngineError, Result};

/// The default evaluation set, generated from the test lexicon.
pub const DEFAULT_SET: &str = "eval/text/test-lexicon.jsonl";

/// Reads a labelled set (one `TextCase` a line; blank lines skipped); an
/// empty set is refused.
pub fn read_set(path: &Path) -> Result<Vec<TextCase>> {
    let file = std::fs::File::open(path)
        .map_err(|source| EngineError::Read { path: path.to_owned(), source })?;
    let mut cases = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| EngineError::Read { path: path.to_owned(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        let case: TextCase = serde_json::from_str(&line).map_err(|source| {
            EngineError::TextSet { path: path.to_owned(), line: i + 1, source }
        })?;
        cases.push(case);
    }
    if cases.is_empty() {
        return Err(EngineError::EmptyTextSet { path: path.to_owned() });
    }
    Ok(cases)
}

/// Generates a labelled set for `lexicon` (positives per evasion and
/// surface, benign and hard negatives from the dictionary) and writes it
/// to `path` (its directory created); returns the number of cases.
pub fn generate_set(
    lexicon: &guardrail_core::Lexicon,
    benign: usize,
    seed: u64,
    path: &Path,
) -> Result<usize> {
    use std::io::Write;
    let words = guardrail_text::words::list();
    let cases = guardrail_synth::text_eval(lexicon, &words, benign, seed);
    let write = |source| EngineError::Write { path: path.to_owned(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(write)?);
    for c in &cases {
        serde_json::to_writer(&mut out, c).map_err(|e| write(e.into()))?;
        out.write_all(b"\n").map_err(write)?;
    }
    out.flush().map_err(write)?;
    Ok(cases.len())
}

/// Texts checked and flagged on one surface, split by whether truth puts
/// the author in the network.
#[derive(Clone, Copy, Debug, Default)]
pub struct SurfaceTally {
    /// Texts by network accounts.
    pub network: u64,
    /// Of them, flagged (strong or block).
    pub network_flagged: u64,
    /// Texts by everyone else.
    pub others: u64,
    /// Of them, flagged.
    pub others_flagged: u64,
}

/// Every handle, bio, caption, hashtag, comment and search of a world through the text engine.
#[derive(Clone, Debug, Default)]
pub struct WorldTexts {
    /// Per surface name.
    pub surfaces: BTreeMap<&'static str, SurfaceTally>,
    /// Bytes of text checked.
    pub bytes: usize,
    /// Seconds, reading and parsing included.
    pub seconds: f64,
}

/// Checks every text of a world directory's events with `matcher`; the
/// world's truth only splits the counts.
pub fn check_world(world: &Path, matcher: &Matcher) -> Result<WorldTexts> {
    let truth = crate::truth::read(&crate::truth::of_world(world))?.truth;
    let events = crate::truth::events_of_world(world);
    let started = Instant::now();
    let file = std::fs::File::open(&events)
        .map_err(|source| EngineError::Read { path: events.clone(), source })?;
    let mut out = WorldTexts::default();
    let mut check = |surface: Surface, who: &str, text: &str| {
        out.bytes += text.len();
        let flagged = matcher.check(text, surface).is_ok_and(|v| v.level >= Level::Strong);
        let row = out.surfaces.entry(surface.as_str()).or_default();
        if truth.network.contains_key(who) {
            row.network += 1;
            row.network_flagged += u64::from(flagged);
        } else {
            row.others += 1;
            row.others_flagged += u64::from(flagged);
        }
    };
    for event in EventReader::new(std::io::BufReader::with_capacity(1 << 20, file)) {
        let event =
            event.map_err(|source| EngineError::EventFile { path: events.clone(), source })?;
        match event.kind {
            EventKind::Account(a) => {
                check(Surface::Handle, a.account.as_str(), &a.handle);
                if let Some(bio) = &a.bio {
                    check(Surface::Bio, a.account.as_str(), bio);
                }
            }
            EventKind::Post(p) => {
                if let Some(caption) = &p.caption {
                    check(Surface::Caption, p.author.as_str(), caption);
                }
                for tag in &p.hashtags {
                    check(Surface::Hashtag, p.author.as_str(), tag);
                }
            }
            EventKind::Comment(c) => check(Surface::Comment, c.actor.as_str(), &c.text),
            EventKind::Search(q) => check(Surface::Search, q.actor.as_str(), &q.query),
            _ => {}
        }
    }
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}
