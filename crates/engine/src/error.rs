//! The composition layer's error: what went wrong, with the file, database
//! or setting it concerns; the engine's own error is its source.
//!
//! Messages use the library's words, never a command-line flag: the CLI and
//! the server add their own hints (which flag, which route) where it helps.

use std::path::PathBuf;

/// What a deployment operation met.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A file could not be read.
    #[error("reading {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("writing {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A setting is out of range or malformed.
    #[error("setting {field}: {why}")]
    Setting {
        /// The setting's name.
        field: &'static str,
        /// Why it was refused.
        why: String,
    },
    /// A lexicon file's name declares no format and none was given.
    #[error(
        "lexicon {path}: cannot tell its format from the name; name it .toml (the lexicon \
         format) or .txt (one term a line), or declare its format"
    )]
    LexiconFormat {
        /// The file.
        path: PathBuf,
    },
    /// A lexicon file holds no entries (it would match nothing) and empty
    /// lexicons were not allowed.
    #[error("lexicon {path} has no entries, so it would match nothing")]
    EmptyLexicon {
        /// The file.
        path: PathBuf,
    },
    /// A lexicon file did not parse.
    #[error("in {path}")]
    Lexicon {
        /// The file.
        path: PathBuf,
        /// The entry and why.
        source: Box<guardrail_core::LexiconError>,
    },
    /// A lexicon did not compile.
    #[error("compiling lexicon {name}")]
    Compile {
        /// The file, or the built-in lexicon's name.
        name: String,
        /// Why.
        source: Box<guardrail_text::TextError>,
    },
    /// A database a reader needs does not exist (readers never create one).
    #[error("{error}; readers never create a database")]
    NoDatabase {
        /// The store's error, naming the URL (in the message, not as a source,
        /// so it is printed once).
        error: guardrail_store::StoreError,
    },
    /// A database could not be opened.
    #[error("opening database {url}")]
    Open {
        /// The URL.
        url: String,
        /// Why.
        source: guardrail_store::StoreError,
    },
    /// A text check was asked of a deployment with no lexicon configured
    /// (refused rather than answered "allow").
    #[error("no lexicon is configured, so texts cannot be checked")]
    NoLexicon,
    /// A database holds no events to scan.
    #[error("database {url} holds no events")]
    NoEvents {
        /// The URL.
        url: String,
    },
    /// A database holds no hash bank, or no hashes in its banks, so a
    /// matcher would answer "no match" to everything.
    #[error("database {url} holds {what}")]
    NoHashes {
        /// The URL.
        url: String,
        /// What is missing ("no hash banks", "no hashes in its banks", "no hashes in bank X").
        what: String,
    },
    /// The named bank does not exist.
    #[error("no bank named {name:?} in database {url}")]
    NoSuchBank {
        /// The bank.
        name: String,
        /// The URL.
        url: String,
    },
    /// No active API token has this name.
    #[error("no active token named {name:?}")]
    NoSuchToken {
        /// The name.
        name: String,
    },
    /// A hash stored in a bank does not parse (the database was changed by hand or is corrupt).
    #[error("bank {bank}: stored hash {hash:?} of kind {kind:?} is not valid")]
    StoredHash {
        /// The bank.
        bank: String,
        /// The kind as stored.
        kind: String,
        /// The hash as stored.
        hash: String,
    },
    /// A hash list did not parse.
    #[error("hash list {name}")]
    HashList {
        /// The file (or `<stdin>`).
        name: String,
        /// The line and why.
        source: guardrail_media::MediaError,
    },
    /// A hash given as text (`kind:hex` or PDQ hex) is not valid.
    #[error("hash {text:?}: {why}")]
    Hash {
        /// The text.
        text: String,
        /// Why.
        why: String,
    },
    /// Matching a post's media against the banks failed; the load stops
    /// rather than read the post as "no match".
    #[error("matching the media of post {post}")]
    MediaCheck {
        /// The post.
        post: String,
        /// Why.
        source: guardrail_media::MediaError,
    },
    /// Hashing or matching a media file failed.
    #[error("{path}")]
    MediaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: guardrail_media::MediaError,
    },
    /// An event stream did not load into the graph.
    #[error("in {name}")]
    Events {
        /// The file, or the database's event log.
        name: String,
        /// The line and why.
        source: guardrail_graph::GraphError,
    },
    /// An event file's line did not parse.
    #[error("in {path}")]
    EventFile {
        /// The file.
        path: PathBuf,
        /// The line, field and why.
        source: guardrail_core::EventError,
    },
    /// A truth file did not parse.
    #[error("in {path}")]
    Truth {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// A guard policy file did not parse or has a setting out of range.
    #[error("in {path}")]
    Policy {
        /// The file.
        path: PathBuf,
        /// The key and why.
        source: guardrail_guard::GuardError,
    },
    /// A labelled text set's line did not parse.
    #[error("{path}: line {line}")]
    TextSet {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Why.
        source: serde_json::Error,
    },
    /// A labelled text set holds no cases.
    #[error("{path}: no cases")]
    EmptyTextSet {
        /// The file.
        path: PathBuf,
    },
    /// An edge list did not parse.
    #[error("in {path}")]
    EdgeList {
        /// The file.
        path: PathBuf,
        /// The line and why.
        source: guardrail_synth::SynthError,
    },
    /// An event file could not be opened.
    #[error("opening events file {path}")]
    EventsFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The store refused or failed an operation.
    #[error(transparent)]
    Store(#[from] guardrail_store::StoreError),
    /// Ingesting an event stream failed.
    #[error("ingesting {source_name}")]
    Ingest {
        /// The file, or `-`.
        source_name: String,
        /// Why (the line and field, or the store's error).
        source: guardrail_store::IngestError,
    },
    /// The graph engine refused (a scan setting, a scan of another graph).
    #[error(transparent)]
    Graph(#[from] guardrail_graph::GraphError),
    /// The guard refused (its state or the audit's settings).
    #[error(transparent)]
    Guard(#[from] guardrail_guard::GuardError),
    /// The media engine failed.
    #[error(transparent)]
    Media(#[from] guardrail_media::MediaError),
    /// The text engine refused a text.
    #[error(transparent)]
    Text(Box<guardrail_text::TextError>),
    /// The review engine refused (a report field, a transition, a role, a document).
    #[error(transparent)]
    Review(#[from] guardrail_review::ReviewError),
    /// A review configuration file is not valid.
    #[error("review configuration {path}: {why}")]
    ReviewConfig {
        /// The file.
        path: PathBuf,
        /// The key and why.
        why: String,
    },
    /// A reviewer the review configuration does not name.
    #[error("reviewer {reviewer} is not in the review configuration")]
    UnknownReviewer {
        /// The reviewer.
        reviewer: String,
    },
    /// No case has this number.
    #[error("no case {case}")]
    NoSuchCase {
        /// The case.
        case: u64,
    },
    /// A case that cannot be reported to the CyberTipline (yet).
    #[error("case {case} cannot be reported to the CyberTipline: {why}")]
    NotReportable {
        /// The case.
        case: u64,
        /// Why.
        why: String,
    },
    /// Generating a world failed.
    #[error(transparent)]
    Synth(#[from] guardrail_synth::SynthError),
}

impl From<guardrail_text::TextError> for EngineError {
    fn from(err: guardrail_text::TextError) -> EngineError {
        EngineError::Text(Box::new(err))
    }
}

/// The result of a composition-layer operation.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
