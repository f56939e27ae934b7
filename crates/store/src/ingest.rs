//! Loading an event stream into a store: parse on one thread, write on
//! another, in batches of one transaction each.

use std::io::BufRead;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use guardrail_core::{EventError, EventReader, FieldError, ReaderConfig};

use crate::model::{ConflictPolicy, NewEvent, RunProgress, RunStatus};
use crate::{Store, StoreError};

/// Events per transaction unless a caller sets it.
pub const DEFAULT_BATCH_SIZE: usize = 10_000;

/// How to ingest.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Events per transaction.
    pub batch_size: usize,
    /// Skip (and count) invalid lines, and events whose id was stored with
    /// different content, instead of stopping at the first one.
    pub skip_invalid: bool,
    /// Skip (and count) events of unknown `type` instead of treating them as invalid.
    pub skip_unknown_types: bool,
    /// Longest accepted line, in bytes.
    pub max_line_bytes: usize,
    /// How many skipped-line messages (and, apart, conflicts) to keep in the report.
    pub keep_errors: usize,
}

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions {
            batch_size: DEFAULT_BATCH_SIZE,
            skip_invalid: false,
            skip_unknown_types: false,
            max_line_bytes: ReaderConfig::default().max_line_bytes,
            keep_errors: 20,
        }
    }
}

/// What an ingest did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// The run's id in the store's `ingest_runs`.
    pub run: i64,
    /// Input lines read and committed (including blank and skipped ones).
    pub lines: u64,
    /// Events newly stored.
    pub inserted: u64,
    /// Events already stored (same id, same content), not stored again.
    pub duplicates: u64,
    /// Events whose id was already stored (or came earlier in the input) with
    /// different content: skipped (only with `skip_invalid`; strict ingest
    /// stops at the first with [`IngestError::Conflict`]).
    pub conflicts: u64,
    /// The first `keep_errors` conflicts, with their line numbers.
    pub conflict_list: Vec<IngestConflict>,
    /// Invalid lines skipped (only with `skip_invalid`).
    pub invalid: u64,
    /// Events of unknown type skipped (only with `skip_unknown_types`).
    pub skipped_unknown: u64,
    /// The first `keep_errors` messages about skipped lines.
    pub errors: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

impl IngestReport {
    /// Events read (stored, duplicate or conflicting).
    pub fn events(&self) -> u64 {
        self.inserted + self.duplicates + self.conflicts
    }
}

/// An event whose id was already ingested with different content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestConflict {
    /// Its 1-based line number.
    pub line: u64,
    /// Its event id.
    pub id: String,
}

impl std::fmt::Display for IngestConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: event id {} was already ingested with different content; \
             send a new id for a new state",
            self.line, self.id
        )
    }
}

/// Why an ingest stopped early. Everything before the failing line was
/// committed; nothing from it on was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// A line was invalid (strict mode).
    #[error("line {line}, {error} (stopped; {} events before it were committed, nothing after; \
             fix the line and re-run, or skip invalid lines)", report.inserted + report.duplicates)]
    Invalid {
        /// The 1-based line number.
        line: u64,
        /// What was wrong with it.
        error: FieldError,
        /// What was committed before it.
        report: Box<IngestReport>,
    },
    /// An event id was already stored with different content (strict mode).
    #[error("{conflict} (stopped; {} events before it were committed, nothing after; \
             or skip and count conflicts)", report.inserted + report.duplicates)]
    Conflict {
        /// The line and the id.
        conflict: IngestConflict,
        /// What was committed before it.
        report: Box<IngestReport>,
    },
    /// Reading the input failed.
    #[error("{error} (stopped; {} events before it were committed)", report.inserted + report.duplicates)]
    Read {
        /// The read error.
        error: EventError,
        /// What was committed before it.
        report: Box<IngestReport>,
    },
    /// The store failed.
    #[error("{0}")]
    Store(StoreError),
}

// Each message includes its cause, so no variant also returns it as `source()`
// (`{:#}` would print it twice).
impl From<StoreError> for IngestError {
    fn from(error: StoreError) -> IngestError {
        IngestError::Store(error)
    }
}

struct Batch {
    events: Vec<NewEvent>,
    /// The line number of each event, and how many events of unknown type
    /// were skipped before it.
    event_lines: Vec<(u64, u64)>,
    lines: u64,
    invalid: u64,
    skipped_unknown: u64,
    errors: Vec<String>,
    /// Set on the last batch when reading stopped at an error.
    stop: Option<EventError>,
}

/// Reads `input` to its end (or to the first invalid line in strict mode) and
/// appends every event to `store`, recording the run in `source`'s name.
/// `on_batch` sees the running totals after each committed batch.
pub fn ingest<R: BufRead + Send>(
    input: R,
    store: &mut dyn Store,
    source: &str,
    options: &IngestOptions,
    on_batch: &mut dyn FnMut(&IngestReport),
) -> Result<IngestReport, IngestError> {
    let started = Instant::now();
    let run = store.begin_run(source)?;
    let mut report = IngestReport { run, ..IngestReport::default() };
    let result = std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Batch>(2);
        scope.spawn(move || parse(input, options, tx));
        write(rx, store, run, options, &mut report, started, on_batch)
    });
    report.elapsed = started.elapsed();
    let (status, message) = match &result {
        Ok(()) => (RunStatus::Complete, None),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    // Best effort after a store failure: the run stays `running` if the store is gone.
    let finished = store.finish_run(run, status, message.as_deref());
    match result {
        Ok(()) => {
            finished?;
            Ok(report)
        }
        Err(stop) => Err(match stop {
            Stop::Store(e) => IngestError::Store(e),
            Stop::Conflict(conflict) => {
                IngestError::Conflict { conflict, report: Box::new(report) }
            }
            Stop::Read(EventError::Invalid { line, error }) => {
                IngestError::Invalid { line, error, report: Box::new(report) }
            }
            Stop::Read(error) => IngestError::Read { error, report: Box::new(report) },
        }),
    }
}

enum Stop {
    Store(StoreError),
    Read(EventError),
    Conflict(IngestConflict),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Store(e) => write!(f, "{e}"),
            Stop::Read(e) => write!(f, "{e}"),
            Stop::Conflict(c) => write!(f, "{c}"),
        }
    }
}

fn write(
    rx: mpsc::Receiver<Batch>,
    store: &mut dyn Store,
    run: i64,
    options: &IngestOptions,
    report: &mut IngestReport,
    started: Instant,
    on_batch: &mut dyn FnMut(&IngestReport),
) -> Result<(), Stop> {
    let policy = if options.skip_invalid { ConflictPolicy::Skip } else { ConflictPolicy::Reject };
    // The parse thread ends the channel after the last batch.
    for batch in rx {
        let mut progress = RunProgress { run, lines: batch.lines, invalid: batch.invalid };
        let mut skipped_unknown = batch.skipped_unknown;
        let mut end = batch.events.len();
        let mut conflict = None;
        // Strict mode: a batch with a conflict stores nothing, so store the
        // part before its first conflict (again, should a concurrent writer
        // have stored a conflicting id in between), up to the line before it.
        let outcome = loop {
            let outcome = store
                .append_with(&batch.events[..end], Some(progress), policy)
                .map_err(Stop::Store)?;
            match outcome.conflicts.first() {
                Some(&first) if policy == ConflictPolicy::Reject => {
                    end = first;
                    let line;
                    (line, skipped_unknown) = batch.event_lines[first];
                    progress.lines = line - 1;
                    conflict = Some(IngestConflict { line, id: batch.events[first].id.clone() });
                }
                _ => break outcome,
            }
        };
        report.lines = progress.lines;
        report.invalid = batch.invalid;
        report.skipped_unknown = skipped_unknown;
        report.inserted += outcome.inserted;
        report.duplicates += outcome.duplicates;
        report.conflicts += outcome.conflicts.len() as u64;
        for &index in &outcome.conflicts {
            if report.conflict_list.len() < options.keep_errors {
                report.conflict_list.push(IngestConflict {
                    line: batch.event_lines[index].0,
                    id: batch.events[index].id.clone(),
                });
            }
        }
        report.errors.extend(batch.errors);
        report.elapsed = started.elapsed();
        on_batch(report);
        if let Some(conflict) = conflict {
            return Err(Stop::Conflict(conflict));
        }
        if let Some(stop) = batch.stop {
            return Err(Stop::Read(stop));
        }
    }
    Ok(())
}

fn parse<R: BufRead>(input: R, options: &IngestOptions, tx: mpsc::SyncSender<Batch>) {
    let config = ReaderConfig {
        skip_unknown_types: options.skip_unknown_types,
        max_line_bytes: options.max_line_bytes,
    };
    let mut reader = EventReader::with_config(input, config);
    let batch_size = options.batch_size.max(1);
    let new_batch = || Batch {
        events: Vec::with_capacity(batch_size),
        event_lines: Vec::with_capacity(batch_size),
        lines: 0,
        invalid: 0,
        skipped_unknown: 0,
        errors: Vec::new(),
        stop: None,
    };
    let mut batch = new_batch();
    let mut kept_errors = 0;
    let mut invalid = 0;
    loop {
        let item = reader.next();
        let mut full = false;
        let mut end = false;
        match item {
            None => end = true,
            Some(Ok(event)) => {
                batch.events.push(NewEvent::from_event(&event));
                let stats = reader.stats();
                batch.event_lines.push((stats.lines, stats.skipped_unknown));
                full = batch.events.len() >= batch_size;
            }
            Some(Err(e)) if e.is_recoverable() && options.skip_invalid => {
                invalid += 1;
                if kept_errors < options.keep_errors {
                    kept_errors += 1;
                    batch.errors.push(e.to_string());
                }
            }
            Some(Err(e)) => {
                // Strict mode or a broken reader: the lines before this one
                // are committed, this one and what follows are not.
                batch.stop = Some(e);
                end = true;
            }
        }
        if full || end {
            let stats = reader.stats();
            batch.lines = batch.stop.as_ref().map_or(stats.lines, |e| e.line() - 1);
            batch.invalid = invalid;
            batch.skipped_unknown = stats.skipped_unknown;
            let done = std::mem::replace(&mut batch, new_batch());
            // A closed channel means the writer stopped on a store error.
            if tx.send(done).is_err() || end {
                return;
            }
        }
    }
}
