//! Loading a graph and its evidence from a JSON Lines event stream.
//!
//! Lines are read in batches; each batch is parsed (and its texts checked
//! against the lexicon, and its media against the caller's hash banks) on all
//! cores, then applied to the graph in stream order on the calling thread.
//! Parsing is the expensive part and parallelises; applying needs the order.

use std::io::BufRead;
use std::time::Instant;

use guardrail_core::{Event, EventKind, Interaction, PostEvent, Surface};
use guardrail_text::{Level, Matcher};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::graph::{Graph, Kinds, Node};
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
    /// Byte span of the first match in the text (end exclusive).
    pub span: (usize, usize),
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
    /// Seconds waiting for input (reading runs on its own thread, beside parsing).
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

/// What the parallel stage hands to the ordered one: most events are
/// interactions between accounts the graph already knows, resolved to nodes on
/// the worker threads so that the ordered stage only appends an edge change.
enum Step {
    Edge {
        from: Node,
        to: Node,
        set: Kinds,
        clear: Kinds,
    },
    /// An event that changes nothing in the graph (a search by a known
    /// account, with no lexicon hit).
    Known,
    Event(Box<Parsed>),
    Skip,
}

/// Reads every event of `input` into `graph` (strictly: the first invalid line
/// stops the load with its line number and field), gathering lexicon hits in
/// captions, hashtags, comments and searches when a matcher is given, and hash
/// matches when a media check is given. The graph is compacted at the end.
///
/// The input is read in large blocks and split into lines; each batch of lines
/// is parsed on all cores, and ids the graph already knows are resolved there
/// too (read-only lookups); the ordered stage then interns new ids in stream
/// order (so node numbers never depend on thread timing) and appends changes.
pub fn load_events<R: BufRead + Send>(
    input: R,
    graph: &mut Graph,
    evidence: &mut Evidence,
    matcher: Option<&Matcher>,
    media: Option<&dyn MediaCheck>,
    options: &LoadOptions,
) -> Result<LoadReport, GraphError> {
    let mut report = LoadReport::default();
    // A reader thread fills the next block (cut after its last full line and
    // split into lines) while this one parses and applies the current one.
    std::thread::scope(|scope| -> Result<(), GraphError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Block, GraphError>>(1);
        scope.spawn(move || read_blocks(input, options, &tx));
        loop {
            let t = Instant::now();
            let Ok(block) = rx.recv() else { break };
            let block = block?;
            report.read_seconds += t.elapsed().as_secs_f64();
            report.bytes += block.bytes.len() as u64;
            for batch in block.lines.chunks(options.batch_lines) {
                parse_batch(
                    &block.bytes,
                    batch,
                    graph,
                    evidence,
                    matcher,
                    media,
                    options,
                    &mut report,
                )?;
            }
        }
        Ok(())
    })?;
    let t = Instant::now();
    graph.compact();
    report.compact_seconds = t.elapsed().as_secs_f64();
    Ok(report)
}

/// Complete lines of the stream: the bytes and each line's range.
struct Block {
    bytes: Vec<u8>,
    lines: Vec<(usize, usize)>,
}

/// The reader thread: reads blocks, cuts each after its last newline (the
/// rest is carried into the next), splits them into lines and sends them
/// until the end of the input, an error, or the receiver is gone.
fn read_blocks<R: BufRead>(
    mut input: R,
    options: &LoadOptions,
    tx: &std::sync::mpsc::SyncSender<Result<Block, GraphError>>,
) {
    let block = (options.batch_lines * 256).max(1 << 16);
    let mut carry: Vec<u8> = Vec::new();
    let mut lines_sent = 0u64;
    let mut eof = false;
    while !eof {
        let mut buf: Vec<u8> = Vec::with_capacity(carry.len() + block);
        buf.extend_from_slice(&carry);
        let carried = buf.len();
        buf.resize(carried + block, 0);
        let mut filled = carried;
        while filled < buf.len() {
            match input.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    let _ = tx.send(Err(GraphError::Io { line: lines_sent + 1, source }));
                    return;
                }
            }
        }
        buf.truncate(filled);
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None if buf.len() > options.max_line_bytes => {
                    let _ = tx.send(Err(too_long(lines_sent + 1, options.max_line_bytes)));
                    return;
                }
                None => {
                    carry = buf;
                    continue;
                }
            }
        };
        carry = buf[cut..].to_vec();
        buf.truncate(cut);
        let mut lines = Vec::with_capacity(buf.len() / 64);
        let mut begin = 0;
        for end in memchr::memchr_iter(b'\n', &buf) {
            lines.push((begin, end));
            begin = end + 1;
        }
        if begin < buf.len() {
            lines.push((begin, buf.len()));
        }
        lines_sent += lines.len() as u64;
        if tx.send(Ok(Block { bytes: buf, lines })).is_err() {
            return;
        }
    }
}

/// Parses one batch of lines on all cores and applies it in stream order.
#[allow(clippy::too_many_arguments)]
fn parse_batch(
    bytes: &[u8],
    batch: &[(usize, usize)],
    graph: &mut Graph,
    evidence: &mut Evidence,
    matcher: Option<&Matcher>,
    media: Option<&dyn MediaCheck>,
    options: &LoadOptions,
    report: &mut LoadReport,
) -> Result<(), GraphError> {
    let first_line = report.lines + 1;
    report.lines += batch.len() as u64;
    let t = Instant::now();
    let skip = options.skip_unknown_types;
    let known: &Graph = graph;
    let steps: Vec<Result<Step, GraphError>> = batch
        .par_iter()
        .enumerate()
        .map(|(i, &(a, b))| {
            let line_no = first_line + i as u64;
            if b - a > options.max_line_bytes {
                return Err(too_long(line_no, options.max_line_bytes));
            }
            let mut raw = &bytes[a..b];
            if let [rest @ .., b'\r'] = raw {
                raw = rest;
            }
            let line = std::str::from_utf8(raw).map_err(|e| GraphError::Invalid {
                line: line_no,
                field: "(line)".into(),
                why: format!("not valid UTF-8 at byte {}", e.valid_up_to()),
            })?;
            if let Some(step) = quick(known, line, matcher) {
                return Ok(step);
            }
            Ok(match parse(line, line_no, skip, matcher, media)? {
                None => Step::Skip,
                Some(p) => resolve(known, p),
            })
        })
        .collect();
    report.parse_seconds += t.elapsed().as_secs_f64();
    let t = Instant::now();
    for step in steps {
        match step? {
            Step::Edge { from, to, set, clear } => {
                graph.add_edge(from, to, set, clear);
                report.events += 1;
            }
            Step::Known => {
                graph.count_event();
                report.events += 1;
            }
            Step::Event(p) => {
                apply(graph, evidence, *p);
                report.events += 1;
            }
            Step::Skip => report.skipped_unknown += 1,
        }
    }
    report.apply_seconds += t.elapsed().as_secs_f64();
    Ok(())
}

fn apply(graph: &mut Graph, evidence: &mut Evidence, p: Parsed) {
    graph.apply(&p.event);
    if p.text.is_empty() && p.hashes.is_empty() {
        return;
    }
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

fn too_long(line: u64, max: usize) -> GraphError {
    GraphError::Invalid {
        line,
        field: "(line)".into(),
        why: format!("line is longer than the limit of {max} bytes"),
    }
}

/// The edge change of a plain interaction line between known accounts,
/// without building an event (most lines of a stream); `None` sends the line
/// down the full path (new accounts, unknown posts, comments the lexicon flags).
fn quick(graph: &Graph, line: &str, matcher: Option<&Matcher>) -> Option<Step> {
    let (_, interaction) = Event::interaction_of_line(line)?;
    let (from, to, set, clear) = match interaction {
        Interaction::Follow(a, b) => (a, graph.node(b)?, Kinds::FOLLOW, Kinds::NONE),
        Interaction::Unfollow(a, b) => (a, graph.node(b)?, Kinds::NONE, Kinds::FOLLOW),
        Interaction::ViewAccount(a, b) => (a, graph.node(b)?, Kinds::VIEW, Kinds::NONE),
        Interaction::ViewPost(a, p) => (a, graph.post_author(p)?, Kinds::VIEW, Kinds::NONE),
        Interaction::Like(a, p) => (a, graph.post_author(p)?, Kinds::LIKE, Kinds::NONE),
        Interaction::Comment(a, p, text) => {
            if matcher.is_some_and(|m| text_hit(m, text, Surface::Comment, None).is_some()) {
                return None;
            }
            (a, graph.post_author(p)?, Kinds::COMMENT, Kinds::NONE)
        }
    };
    Some(Step::Edge { from: graph.node(from)?, to, set, clear })
}

/// What the ordered stage must do with a fully parsed line. Interactions
/// reach here only when [`quick`] declined them (a new account or post, an
/// escaped id, content the lexicon flagged), so they go to [`Graph::apply`];
/// a search by a known account without hits changes nothing.
fn resolve(graph: &Graph, p: Parsed) -> Step {
    match &p.event.kind {
        EventKind::Search(e) if p.text.is_empty() && graph.node(e.actor.as_str()).is_some() => {
            Step::Known
        }
        _ => Step::Event(Box::new(p)),
    }
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
        span: verdict.matches.first().map_or((0, 0), |x| (x.start, x.end)),
        terms,
        source: source.map(str::to_owned),
    })
}
