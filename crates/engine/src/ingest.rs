//! Ingesting an event stream (a file, or standard input) into the store.

use std::io::{BufRead, BufReader};
use std::path::Path;

use guardrail_store::{IngestOptions, IngestReport, Store};

use crate::{EngineError, Result};

/// Ingests the file at `path` (`-` reads standard input) into `store`,
/// calling `on_batch` after each committed batch.
pub fn ingest_path(
    store: &mut dyn Store,
    path: &Path,
    options: &IngestOptions,
    on_batch: &mut dyn FnMut(&IngestReport),
) -> Result<IngestReport> {
    let source = path.display().to_string();
    if source == "-" {
        return ingest(
            BufReader::with_capacity(1 << 20, std::io::stdin()),
            store,
            &source,
            options,
            on_batch,
        );
    }
    let file = std::fs::File::open(path)
        .map_err(|e| EngineError::EventsFile { path: path.to_owned(), source: e })?;
    ingest(BufReader::with_capacity(1 << 20, file), store, &source, options, on_batch)
}

/// Ingests any stream of event lines (`source` names it in the store's run
/// and in errors).
pub fn ingest<R: BufRead + Send>(
    input: R,
    store: &mut dyn Store,
    source: &str,
    options: &IngestOptions,
    on_batch: &mut dyn FnMut(&IngestReport),
) -> Result<IngestReport> {
    guardrail_store::ingest(input, store, source, options, on_batch)
        .map_err(|e| EngineError::Ingest { source_name: source.to_owned(), source: e })
}
