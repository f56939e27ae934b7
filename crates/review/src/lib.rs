//! guardrail's review engine: what happens to a report from the moment it is
//! received to the moment it is decided, acted on and, for child safety,
//! reported to NCMEC. No I/O: the store keeps what it decides, the clock and
//! the files come from the caller.
//!
//! - [`report`]: the report model ([`NewReport`]), its validation (errors
//!   name the field) and the idempotency key that makes intake safe to retry;
//! - [`case`]: case subjects and routing (network, else person, else
//!   account: a hundred reports of one account are one case), roles, the
//!   state machine (claim with a lease, decide, escalate, appeal), verdicts
//!   and report resolutions, second-review sampling;
//! - [`priority`]: levels, scores and SLA deadlines;
//! - [`enforce`]: enforcement plans acting on every linked account;
//! - [`statement`]: the statement of reasons (EU DSA Art. 17);
//! - [`cybertip`]: the CyberTipline `<report>` and `<fileDetails>` documents
//!   and NCMEC's responses;
//! - [`audit`]: the audit log's hash chain;
//! - [`docket`]: the rules over cases in memory, the reference model.
//!
//! ```
//! use guardrail_core::{ReportCategory, Timestamp};
//! use guardrail_review::case::{route, Subject};
//! use guardrail_review::docket::Docket;
//! use guardrail_review::report::{NewReport, ReportSource, Target};
//!
//! let mut docket = Docket::new();
//! for reporter in ["u2", "u3", "u4"] {
//!     let report = NewReport {
//!         key: None,
//!         source: ReportSource::Cli,
//!         reporter: Some(reporter.into()),
//!         target: Target::Account("u1".into()),
//!         category: ReportCategory::Spam,
//!         text: None,
//!         received_at: Timestamp::parse("2026-03-01T10:00:00Z").unwrap(),
//!     }
//!     .validate()
//!     .unwrap();
//!     let subject = route(&report.report().target, None);
//!     docket.intake(&report, subject).unwrap();
//! }
//! assert_eq!(docket.cases().count(), 1);
//! assert_eq!(docket.cases().next().unwrap().subject, Subject::Account("u1".into()));
//! ```
#![deny(missing_docs)]

pub mod audit;
pub mod case;
pub mod cybertip;
pub mod docket;
pub mod enforce;
mod error;
pub mod priority;
pub mod report;
pub mod statement;

pub use crate::error::ReviewError;
pub use crate::report::{IdempotencyKey, NewReport, ReportSource, Target, ValidReport};

#[cfg(test)]
mod tests;
