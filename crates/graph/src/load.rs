//! Loading a graph and its evidence from a JSON Lines event stream.
//!
//! Lines are read in batches; each batch is parsed (and its texts checked
//! against the lexicon, and its media against the caller's hash banks) on all
//! cores, then applied to the graph in stream order on the calling thread.
//! Parsing is the expensive part and parallelises; applying needs the order.

use std::io::BufRead;
use std::time::Instant;

use guardrail_core::{Event, EventKind, PostEvent, Surface, Timestamp};
use guardrail_text::{Level, Matcher};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::graph::{Graph, Node};
use crate::GraphError;

/// A lexicon hit in something an account wrote.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct TextHit {
    /// Where the text was (`bio`, `handle`, `caption`, `hashtag`, `comment`, `search`).
    pub surface: Surface,
    /// The verdict's level (`strong` or `block`; weaker hits are not kept).
    pub level: Level,
    /// The lexicon terms found.
    pub terms: Vec<String>,
    /// The original text of the first match.
    pub matched: String,
    /// The post, comment or search event it was found in (`None` for the profile).
    pub source: Option<String>,
}

/// A post whose media matched a known-abuse hash bank.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct HashHit {
    /// The post.
    pub post: String,
    /// The bank that matched.
    pub bank: String,
    /// `pdq`, `md5` or `sha256`.
    pub kind: String,
    /// Hamming distance for PDQ (0 for exact hashes).
    pub distance: u32,
}

/// Checks a post's media against hash banks. The graph crate does not know
/// the media engine; the caller (the CLI, the server) adapts it to this.
pub trait MediaCheck: Sync {
    /// The bank matches of one post's media.
    fn check(&self, post: &PostEvent) -> Vec<HashHit>;
}

/// Evidence gathered from content while loading: what each account wrote that
/// the lexicon flags, and which of its posts matched a hash bank.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// Strong or blocking lexicon hits, by author.
    pub text: FxHashMap<Node, Vec<TextHit>>,
    /// Hash-bank matches, by author.
    pub hashes: FxHashMap<Node, Vec<HashHit>>,
}

/// Most hits kept per account and kind (a seller's hundred captions add
/// nothing to the tenth for a reviewer, and memory must stay bounded).
const MAX_HITS_PER_ACCOUNT: usize = 16;

impl Evidence {
    fn add_text(&mut self, v: Node, hit: TextHit) {
        let list = self.text.entry(v).or_default();
        if list.len() < MAX_HITS_PER_ACCOUNT {
            list.push(hit);
        }
    }

    fn add_hash(&mut self, v: Node, hit: HashHit) {
        let list = self.hashes.entry(v).or_default();
        if list.len() < MAX_HITS_PER_ACCOUNT {
            list.push(hit);
        }
    }
}

/// How to read the stream.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Skip events of unknown type instead of failing.
    pub skip_unknown_types: bool,
    /// Lines per parallel batch.
    pub batch_lines: usize,
    /// Longest line accepted, in bytes.
    pub max_line_bytes: usize,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions { skip_unknown_types: false, batch_lines: 65_536, max_line_bytes: 1 << 20 }
    }
}

/// What a load did.
#[derive(Clone, Copy, Default, Debug, Serialize)]
pub struct LoadReport {
    /// Lines read.
    pub lines: u64,
    /// Events applied.
    pub events: u64,
    /// Events of unknown type skipped.
    pub skipped_unknown: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Time of the last event.
    #[serde(skip)]
    pub last_at: Option<Timestamp>,
    /// Seconds reading lines.
    pub read_seconds: f64,
    /// Seconds parsing and checking content (on all cores).
    pub parse_seconds: f64,
    /// Seconds applying events to the graph (in order, one core).
    pub apply_seconds: f64,
    /// Seconds folding the edges into their final arrays.
    pub compact_seconds: f64,
}

/// One parsed line and what the content checks found in it.
struct Parsed {
    event: Event,
    text: Vec<TextHit>,
    hashes: Vec<HashHit>,
}

/// Reads every event of `input` into `graph` (strictly: the first invalid line
/// stops the load with its line number and field), gathering lexicon hits in
/// captions, hashtags, comments and searches when a matcher is given, and hash
/// matches when a media check is given. The graph is compacted at the end.
pub fn load_events<R: BufRead>(
    mut input: R,
    graph: &mut Graph,
    evidence: &mut Evidence,
    matcher: Option<&Matcher>,
    media: Option<&dyn MediaCheck>,
    options: &LoadOptions,
) -> Result<LoadReport, GraphError> {
    let mut report = LoadReport::default();
    let mut lines: Vec<String> = Vec::with_capacity(options.batch_lines);
    let mut spare: Vec<String> = Vec::new();
    loop {
        let first_line = report.lines + 1;
        let t = Instant::now();
        while lines.len() < options.batch_lines {
            let mut line = spare.pop().unwrap_or_default();
            line.clear();
            let n = read_line(&mut input, &mut line, options.max_line_bytes, report.lines + 1)?;
            if n == 0 {
                break;
            }
            report.bytes += n as u64;
            report.lines += 1;
            lines.push(line);
        }
        report.read_seconds += t.elapsed().as_secs_f64();
        if lines.is_empty() {
            break;
        }
        let t = Instant::now();
        let skip = options.skip_unknown_types;
        let parsed: Vec<Result<Option<Parsed>, GraphError>> = lines
            .par_iter()
            .enumerate()
            .map(|(i, line)| parse(line, first_line + i as u64, skip, matcher, media))
            .collect();
        report.parse_seconds += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for p in parsed {
            match p? {
                Some(p) => {
                    apply(graph, evidence, p);
                    report.events += 1;
                }
                None => {
                    report.skipped_unknown += 1;
                }
            }
        }
        spare.append(&mut lines);
        report.apply_seconds += t.elapsed().as_secs_f64();
    }
    report.last_at = graph.accounts().iter().map(|a| a.first_seen).max();
    let t = Instant::now();
    graph.compact();
    report.compact_seconds = t.elapsed().as_secs_f64();
    Ok(report)
}

fn apply(graph: &mut Graph, evidence: &mut Evidence, p: Parsed) {
    graph.apply(&p.event);
    let author = match &p.event.kind {
        EventKind::Post(e) => Some(&e.author),
        EventKind::Comment(e) => Some(&e.actor),
        EventKind::Search(e) => Some(&e.actor),
        _ => None,
    };
    if let Some(author) = author {
        let v = graph.intern(author, p.event.at);
        for hit in p.text {
            evidence.add_text(v, hit);
        }
        for hit in p.hashes {
            evidence.add_hash(v, hit);
        }
    }
}

/// Reads one line (without its ending) into `line`; returns the bytes consumed,
/// 0 at the end of input.
fn read_line<R: BufRead>(
    input: &mut R,
    line: &mut String,
    max: usize,
    line_no: u64,
) -> Result<usize, GraphError> {
    let mut bytes = std::mem::take(line).into_bytes();
    let n = std::io::Read::take(&mut *input, max as u64 + 2)
        .read_until(b'\n', &mut bytes)
        .map_err(|source| GraphError::Io { line: line_no, source })?;
    if bytes.len() > max + 1 || (bytes.len() == max + 1 && bytes.last() != Some(&b'\n')) {
        return Err(GraphError::Invalid {
            line: line_no,
            field: "(line)".into(),
            why: format!("line is longer than the limit of {max} bytes"),
        });
    }
    while let Some(b'\n' | b'\r') = bytes.last() {
        bytes.pop();
    }
    *line = String::from_utf8(bytes).map_err(|e| GraphError::Invalid {
        line: line_no,
        field: "(line)".into(),
        why: format!("not valid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
    })?;
    Ok(n)
}

fn parse(
    line: &str,
    line_no: u64,
    skip_unknown: bool,
    matcher: Option<&Matcher>,
    media: Option<&dyn MediaCheck>,
) -> Result<Option<Parsed>, GraphError> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let event = match Event::from_json_line_skipping_unknown(line) {
        Ok(Some(event)) => event,
        Ok(None) if skip_unknown => return Ok(None),
        Ok(None) => {
            // Parse again strictly for the error that names the type.
            let e = Event::from_json_line(line).err();
            let (field, why) =
                e.map_or(("type".into(), "unknown event type".into()), |e| (e.field, e.why));
            return Err(GraphError::Invalid { line: line_no, field, why });
        }
        Err(e) => return Err(GraphError::Invalid { line: line_no, field: e.field, why: e.why }),
    };
    let mut text = Vec::new();
    let mut hashes = Vec::new();
    if let Some(m) = matcher {
        let mut check = |t: &str, surface: Surface, source: &str| {
            if let Some(hit) = text_hit(m, t, surface, Some(source)) {
                text.push(hit);
            }
        };
        match &event.kind {
            EventKind::Post(e) => {
                if let Some(c) = &e.caption {
                    check(c, Surface::Caption, e.post.as_str());
                }
                for tag in &e.hashtags {
                    check(tag, Surface::Hashtag, e.post.as_str());
                }
            }
            EventKind::Comment(e) => check(&e.text, Surface::Comment, e.comment.as_str()),
            EventKind::Search(e) => check(&e.query, Surface::Search, event.id.as_str()),
            _ => {}
        }
    }
    if let (Some(media), EventKind::Post(post)) = (media, &event.kind) {
        if !post.media.is_empty() {
            hashes = media.check(post);
        }
    }
    Ok(Some(Parsed { event, text, hashes }))
}

/// The lexicon's verdict on one text, kept when it is at least `strong`.
pub fn text_hit(
    m: &Matcher,
    text: &str,
    surface: Surface,
    source: Option<&str>,
) -> Option<TextHit> {
    // A text beyond the matcher's limits is not evidence either way.
    let verdict = m.check(text, surface).ok()?;
    if verdict.level < Level::Strong {
        return None;
    }
    let mut terms: Vec<String> = verdict.matches.iter().map(|x| x.term.clone()).collect();
    terms.sort();
    terms.dedup();
    Some(TextHit {
        surface,
        level: verdict.level,
        matched: verdict.matches.first().map(|x| x.matched.clone()).unwrap_or_default(),
        terms,
        source: source.map(str::to_owned),
    })
}
