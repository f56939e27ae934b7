//! Network mapping and identity linking.
//!
//! guardrail-graph holds the platform's interaction graph in compact form
//! ([`Graph`]: accounts, follows, views, likes, comments, hashtags), loads it
//! from the event stream in parallel ([`load_events`]), and maps abusive
//! networks from the signals a platform really has ([`scan()`]): confirmed
//! enforcement, hash-bank matches and lexicon hits are the seeds; the
//! network grows from them only through each account's own behaviour,
//! tested against a null model fitted on the graph ([`expand`]), while
//! personalised PageRank ([`rank`]) only ranks and names candidates for
//! review; the flagged accounts are split into networks by Louvain
//! communities and dense seller-buyer blocks ([`community`]), and every
//! account gets a tier with the reasons a reviewer can read.
//! [`identity`] links the accounts of one person from shared identifiers and
//! backup handles named in bios, so enforcement follows the person.
//!
//! The crate never reads ground truth; [`eval`] scores a scan against a
//! `truth.json` for the evaluation command only.

mod graph;
mod keys;
mod load;
mod scan;
#[cfg(test)]
mod tests;

pub mod community;
pub mod eval;
pub mod expand;
pub mod identity;
pub mod rank;

pub use crate::graph::{Account, ApplyStats, Enforcement, Graph, GraphStamp, Kinds, Node};
pub use crate::load::{
    load_events, text_hit, Evidence, HashHit, LoadOptions, LoadReport, MediaCheck, TextHit,
};
pub use crate::scan::{
    scan, AccountRisk, Block, Network, Person, ScanConfig, ScanResult, ScanSummary, WeakLink,
};

/// Errors of the graph engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A line of the event stream did not conform.
    #[error("line {line}, field {field}: {why}")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// The field path, or `(line)`.
        field: String,
        /// Why it was rejected.
        why: String,
    },
    /// Reading the stream failed.
    #[error("line {line}: read failed")]
    Io {
        /// The line being read.
        line: u64,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A scan setting is out of range.
    #[error("scan setting {name}: {why}")]
    Config {
        /// The setting.
        name: &'static str,
        /// Why it was rejected.
        why: String,
    },
    /// A scan result was applied to a graph it was not computed on (its
    /// tiers are indexed by that graph's nodes, so reading them on another
    /// would silently call every account clear).
    #[error(
        "this scan was computed on another graph ({scanned_accounts} accounts, {scanned_edges} edges; \
         this one has {accounts} accounts, {edges} edges, or other account ids): scan this graph again"
    )]
    OtherGraph {
        /// Accounts of the graph the scan ran on.
        scanned_accounts: usize,
        /// Its edges.
        scanned_edges: usize,
        /// Accounts of the graph given.
        accounts: usize,
        /// Its edges.
        edges: usize,
    },
}
