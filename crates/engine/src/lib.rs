//! guardrail's composition layer: what a deployment does with the engines
//! and the store, in one place that the CLI and the server both call.
//!
//! The engines (`guardrail-core`, `-text`, `-media`, `-graph`, `-guard`) are
//! pure libraries; the store keeps what the platform told us. This crate
//! puts them together:
//!
//! - [`store`]: open a database (writers create it, readers never do);
//! - [`lexicon`]: the one place lexicon files are read and compiled, and the built-in lexicons;
//! - [`banks`]: hash banks from the store and from files into the media
//!   engine, imports, and the adapter to the graph loader ([`banks::BankCheck`]);
//! - [`files`]: hashing media files and matching them against banks;
//! - [`events`]: loading events from a file or the store into the graph, with
//!   the signals ([`events::SignalSources`] -> [`events::Signals`]);
//! - [`scan`]: scanning and storing ([`scan::ScanJob`]), and the evaluation against truth;
//! - [`guard`]: the policy file, the guard built from a scan, the audit ([`guard::AuditJob`]);
//! - [`ingest`], [`text`], [`world`], [`truth`] (the one reader of `truth.json`);
//! - [`review`]: reports, cases and review over the store (intake from the
//!   command line and the event log, the queue, claims, decisions with the
//!   enforcement outbox, appeals, CyberTipline export, the audit log's check);
//! - [`tokens`]: API tokens with roles, stored as hashes;
//! - [`host`]: the long-running side, a [`host::Host`] that applies changes
//!   (reload the lexicon or the banks, rescan) and [`host::Snapshot`]s that
//!   answer checks without waiting, with the direct signals of accepted
//!   events applied at once ([`host::Host::append`]).
//!
//! The engines are re-exported ([`core`], [`text_engine`], [`review_engine`], ...) so that a
//! caller depends on this crate alone and names their types from here.
//!
//! ```
//! use guardrail_engine::events::{load, EventSource, SignalSources};
//! use guardrail_engine::lexicon::TEST_LEXICON;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let events = dir.path().join("events.jsonl");
//! std::fs::write(&events, concat!(
//!     r#"{"v":1,"id":"e1","type":"account","at":"2024-01-01T00:00:00Z","account":"a1","handle":"alice"}"#, "\n",
//! )).unwrap();
//! let signals = SignalSources::default().load(None).unwrap();
//! let loaded = load(EventSource::File(&events), &signals, false).unwrap();
//! assert_eq!(loaded.graph.len(), 1);
//! assert!(TEST_LEXICON.matcher().is_ok());
//! ```

pub mod banks;
pub mod cybertip;
mod error;
pub mod events;
pub mod files;
pub mod guard;
pub mod host;
pub mod ingest;
pub mod lexicon;
pub mod preservation;
pub mod review;
pub mod scan;
pub mod store;
pub mod text;
pub mod tokens;
pub mod truth;
pub mod world;

pub use crate::error::{EngineError, Result};

/// Lower-case hex of bytes (digests in stored rows and file names).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

pub use guardrail_core as core;
pub use guardrail_graph as graph_engine;
pub use guardrail_guard as guard_engine;
pub use guardrail_media as media_engine;
pub use guardrail_review as review_engine;
pub use guardrail_store as store_backend;
pub use guardrail_synth as synth;
pub use guardrail_text as text_engine;
