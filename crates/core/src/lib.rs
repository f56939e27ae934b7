//! The shared vocabulary of guardrail: typed identifiers, the platform event
//! model (event stream format version 1), risk tiers and the ground-truth
//! schema of synthetic worlds; and [`buf::Buf`], the huge-page array the
//! engines' large random-access tables live in.
//!
//! Every other crate depends on this one and on nothing of each other's
//! internals. The crate does no I/O beyond reading from a caller-supplied
//! [`std::io::BufRead`].
//!
//! The wire format is specified in `docs/EVENTS.md` (a copy of the public
//! contract). Parsing is strict about what the contract requires and lenient
//! about what it allows: unknown fields are ignored, unknown `type`s are an
//! error unless the reader is told to skip them.
//!
//! ```
//! use guardrail_core::{Event, EventKind};
//!
//! let line = r#"{"type":"follow","id":"e2","at":"2026-03-01T10:01:00Z","from":"u2","to":"u1"}"#;
//! let event = Event::from_json_line(line).unwrap();
//! assert!(matches!(event.kind, EventKind::Follow(_)));
//! assert_eq!(event.to_json_line(), line);
//! ```
#![deny(missing_docs)]

pub mod buf;
mod error;
mod event;
mod fast;
mod hex;
mod ids;
mod lexicon;
mod parse;
mod reader;
mod reason;
mod serialize;
mod textcase;
mod tier;
mod time;
mod truth;

pub use crate::error::{EventError, FieldError};
pub use crate::event::{
    AccountEvent, AgeBand, CommentEvent, EnforcementAction, EnforcementEvent, Event, EventKind,
    EventType, FollowEvent, Identifiers, LikeEvent, Media, MediaKind, PostEvent, ReportCategory,
    ReportEvent, ReportTarget, SearchEvent, ViewEvent, ViewTarget,
};
pub use crate::fast::Interaction;
pub use crate::hex::{HexError, Md5, Pdq, Sha256};
pub use crate::ids::{
    AccountId, AccountRef, CaseId, CommentId, EventId, PersonId, PostId, ReportId,
};
pub use crate::lexicon::{
    Entry, EntryKind, Lexicon, LexiconError, Severity, Surface, MAX_ENTRY_CHARS,
};
pub use crate::reader::{EventReader, ReaderConfig, ReaderStats};
pub use crate::reason::{
    Channel, ChannelCount, HashtagUse, IdentifierKind, IdentityEvidence, InteractionKind,
    NamedAccount, PathStep, PersonEvidence, Reason, Tie,
};
pub use crate::textcase::{Expect, TextCase};
pub use crate::tier::RiskTier;
pub use crate::time::Timestamp;
pub use crate::truth::{Truth, TruthError};

/// The version of the event stream format this crate reads and writes.
pub const EVENT_FORMAT_VERSION: u32 = 1;

#[cfg(test)]
mod tests;
