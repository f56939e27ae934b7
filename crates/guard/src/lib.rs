//! Discovery guardrails.
//!
//! guardrail-guard decides what a platform's discovery surfaces may show:
//! "suggested for you" accounts, hashtag suggestions, search autocomplete,
//! search results and feed items. [`Guard::decide`] takes a viewer, a
//! [`DiscoverySurface`] and a list of [`Candidate`]s and returns one [`Decision`] per
//! candidate (allow, or drop with reason codes); [`Guard::search`] blocks a
//! search outright (no results, a resources response, no "see results
//! anyway"). The rules are data ([`Policy`], a TOML file documented in
//! `docs/GUARD.md`); what they look up ([`State`]: account tiers, age bands,
//! flagged networks, hashtag usage by flagged accounts and text verdicts) is
//! precomputed from a scan, so a decision is a few hash lookups.
//!
//! [`Hygiene`] filters the interaction events a recommender learns from, so
//! one view of a bad account does not pull the network into anyone's
//! suggestions. [`Recommender`] is a reference co-follow recommender of the
//! kind the investigation describes, and [`audit()`] runs the researchers'
//! sock-puppet experiment against it, without and with the guardrails.
//!
//! ```
//! use guardrail_core::RiskTier;
//! use guardrail_guard::{AccountState, Candidate, Guard, Policy, State, DiscoverySurface};
//!
//! let mut state = State::new();
//! state.set_account("u1", AccountState { tier: RiskTier::Suspected, ..AccountState::default() });
//! let guard = Guard::new(Policy::default(), state, None);
//! let d = guard.decide("viewer".into(), DiscoverySurface::AccountSuggestions,
//!                      &[Candidate::Account("u1".into()), Candidate::Account("u2".into())]);
//! assert!(!d[0].allow && d[1].allow);
//! assert_eq!(d[0].reasons.names().collect::<Vec<_>>(), ["flagged_account"]);
//! ```

#![warn(missing_docs)]

pub mod audit;
mod decide;
mod hygiene;
mod policy;
mod recommend;
mod state;
#[cfg(test)]
mod tests;

pub use crate::audit::{audit, AuditConfig, AuditReport, Metrics};
pub use crate::decide::{
    Blocked, Candidate, Decision, DiscoverySurface, Guard, Reasons, SearchOutcome,
};
pub use crate::hygiene::Hygiene;
pub use crate::policy::{HygieneRules, Link, Policy, Resources, Taint, ViewerRules};
pub use crate::recommend::{Overlay, Profile, Recommender, RecommenderConfig, Scratch};
pub use crate::state::{hashtag_key, AccountState, HashtagState, State};

/// Errors of the guard.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The policy file is not valid TOML for a policy (an unknown key or
    /// tier, a wrong type: the TOML reader's message names it).
    #[error("policy: {why}")]
    PolicyFile {
        /// What is wrong, as the TOML reader says it.
        why: String,
    },
    /// A policy setting is out of range.
    #[error("policy: {key}: {why}")]
    PolicySetting {
        /// The key, dotted (`taint.share`).
        key: &'static str,
        /// Why it was refused.
        why: &'static str,
    },
    /// The audit's settings cannot run.
    #[error("audit: {why}")]
    AuditConfig {
        /// Why.
        why: &'static str,
    },
    /// The truth file names no seller the audit could view.
    #[error("audit: the truth file names no seller (role \"seller\") that is in the events and not banned")]
    NoSellers,
    /// The scan given was computed on another graph.
    #[error(transparent)]
    Scan(#[from] guardrail_graph::GraphError),
}
