//! The review engine's error type.

use guardrail_core::{CaseId, Timestamp};

use crate::case::Role;

/// What a review operation refused, with the case, field or reviewer it concerns.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// A field of a report, decision or document is missing or not valid.
    #[error("{field}: {why}")]
    Field {
        /// The field, with the record it belongs to (`report.target.account`,
        /// `cybertip.reporter.email`).
        field: String,
        /// Why it was refused.
        why: String,
    },
    /// The case is not in a state that allows the operation.
    #[error("case {case} is {state}: cannot {action}")]
    State {
        /// The case.
        case: CaseId,
        /// Its state's name.
        state: &'static str,
        /// What was asked (`claim`, `decide`, `appeal`).
        action: &'static str,
    },
    /// Another reviewer holds the case's lease.
    #[error("case {case} is claimed by {holder} until {}", until.to_rfc3339())]
    Leased {
        /// The case.
        case: CaseId,
        /// Who holds it.
        holder: String,
        /// When the lease expires.
        until: Timestamp,
    },
    /// The reviewer does not hold a live lease on the case (never claimed it,
    /// or the lease expired and the case may have gone to someone else).
    #[error("case {case}: {reviewer} holds no live claim on it (claim it first)")]
    NotClaimed {
        /// The case.
        case: CaseId,
        /// The reviewer.
        reviewer: String,
    },
    /// The case needs a role the reviewer does not have.
    #[error("case {case} needs the {} role, which {reviewer} does not have", needed.as_str())]
    Role {
        /// The case.
        case: CaseId,
        /// The reviewer.
        reviewer: String,
        /// The role needed.
        needed: Role,
    },
    /// A reopened case goes to a reviewer who did not decide it before.
    #[error("case {case} was reopened on appeal: {reviewer} decided it before, so another reviewer must")]
    SameReviewer {
        /// The case.
        case: CaseId,
        /// The reviewer who decided it before.
        reviewer: String,
    },
    /// An NCMEC response could not be read.
    #[error("NCMEC response: {why}")]
    Response {
        /// What is wrong with it.
        why: String,
    },
}

impl ReviewError {
    /// A [`ReviewError::Field`].
    pub(crate) fn field(field: impl Into<String>, why: impl Into<String>) -> ReviewError {
        ReviewError::Field { field: field.into(), why: why.into() }
    }
}
