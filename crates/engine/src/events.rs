//! Loading events into the graph, from a file or from the store's event log,
//! with the lexicon and the banks gathering evidence on the way.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use guardrail_graph::{load_events, Evidence, Graph, LoadOptions, LoadReport, MediaCheck};
use guardrail_store::Store;
use guardrail_text::Matcher;

use crate::banks::BankCheck;
use crate::lexicon::LexiconSource;
use crate::{EngineError, Result};

/// The signals a load and a scan use besides enforcement: the lexicon whose
/// strong hits are seeds, and the banks whose matches in posts' media are
/// confirmed seeds.
#[derive(Debug, Default)]
pub struct Signals {
    /// The compiled lexicon, if any.
    pub matcher: Option<Arc<Matcher>>,
    /// The banks, if any.
    pub media: Option<BankCheck>,
}

/// Where a deployment's signals come from.
#[derive(Clone, Debug, Default)]
pub struct SignalSources {
    /// The lexicon file, if any.
    pub lexicon: LexiconSource,
    /// Hash-list files, each a bank named after the file (besides the store's banks).
    pub bank_files: Vec<PathBuf>,
    /// The PDQ match radius (checked).
    pub radius: Option<u32>,
}

impl SignalSources {
    /// Compiles the lexicon and loads the banks: the store's (when given) and the files'.
    pub fn load(&self, store: Option<&mut dyn Store>) -> Result<Signals> {
        let radius = self.radius.unwrap_or(crate::banks::DEFAULT_RADIUS);
        crate::banks::check_radius(radius)?;
        let media = crate::banks::gather(store, &self.bank_files)?
            .map(|banks| BankCheck::new(banks, radius))
            .transpose()?;
        Ok(Signals { matcher: self.lexicon.matcher()?, media })
    }
}

/// Where events come from.
pub enum EventSource<'a> {
    /// A JSON Lines file.
    File(&'a Path),
    /// The event log of a store (`url` names it in messages); an empty log is refused.
    Store {
        /// The store.
        store: &'a mut dyn Store,
        /// Its URL.
        url: &'a str,
    },
}

/// A loaded graph with the evidence gathered on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The graph.
    pub graph: Graph,
    /// Content hits (lexicon, banks) by account and post.
    pub evidence: Evidence,
    /// What the load did.
    pub report: LoadReport,
    /// Seconds it took.
    pub seconds: f64,
    /// What was loaded: the file's name, or `store`.
    pub source: String,
}

/// Loads events into a new graph, gathering evidence with `signals`.
pub fn load(
    source: EventSource<'_>,
    signals: &Signals,
    skip_unknown_types: bool,
) -> Result<Loaded> {
    match source {
        EventSource::File(path) => {
            let file = std::fs::File::open(path)
                .map_err(|source| EngineError::Read { path: path.to_owned(), source })?;
            let name = path.display().to_string();
            let mut loaded = load_from(
                BufReader::with_capacity(1 << 20, file),
                &name,
                signals,
                skip_unknown_types,
            )?;
            loaded.source = name;
            Ok(loaded)
        }
        EventSource::Store { store, url } => {
            if store.events_after(0, 1)?.is_empty() {
                return Err(EngineError::NoEvents { url: url.to_owned() });
            }
            let name = format!("the event log of {url}");
            let lines = guardrail_store::EventLines::new(store);
            let mut loaded = load_from(lines, &name, signals, skip_unknown_types)?;
            loaded.source = "store".to_owned();
            Ok(loaded)
        }
    }
}

/// Loads the graph from any stream of event lines (`name` for errors).
fn load_from<R: BufRead + Send>(
    input: R,
    name: &str,
    signals: &Signals,
    skip_unknown_types: bool,
) -> Result<Loaded> {
    let start = Instant::now();
    let mut graph = Graph::new();
    let mut evidence = Evidence::default();
    let options = LoadOptions { skip_unknown_types, ..LoadOptions::default() };
    let in_name = |source| EngineError::Events { name: name.to_owned(), source };
    let report = load_events(
        input,
        &mut graph,
        &mut evidence,
        signals.matcher.as_deref(),
        signals.media.as_ref().map(|m| m as &dyn MediaCheck),
        &options,
    )
    .map_err(in_name)?;
    if let Some(media) = &signals.media {
        media.finish()?;
    }
    Ok(Loaded {
        graph,
        evidence,
        report,
        seconds: start.elapsed().as_secs_f64(),
        source: name.to_owned(),
    })
}
