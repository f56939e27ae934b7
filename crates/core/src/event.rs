//! The event model: what the platform tells guardrail, one value per JSONL line.
//!
//! Field names and optionality follow the event stream format, version 1.
//! Optional scalar fields are `Option`; optional lists are `Option<Vec<_>>` where
//! "absent" and "empty" mean different things on an update (`links`,
//! `identifiers`), and plain `Vec` (absent = empty) elsewhere.

use std::fmt;
use std::str::FromStr;

use crate::hex::{Md5, Pdq, Sha256};
use crate::ids::{AccountId, CommentId, EventId, PostId};
use crate::time::Timestamp;

/// One platform event.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Event {
    /// Unique within the stream; ingest is idempotent on it.
    pub id: EventId,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// The payload of an event, by `type`.
#[derive(Clone, PartialEq, Eq, Debug)]
#[allow(missing_docs)] // Each variant is named after its `type`.
pub enum EventKind {
    Account(AccountEvent),
    Follow(FollowEvent),
    Unfollow(FollowEvent),
    View(ViewEvent),
    Post(PostEvent),
    Like(LikeEvent),
    Comment(CommentEvent),
    Search(SearchEvent),
    Report(ReportEvent),
    Enforcement(EnforcementEvent),
}

/// The `type` tag of an event, without its payload.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[allow(missing_docs)] // Each variant is named after its `type`.
pub enum EventType {
    Account,
    Follow,
    Unfollow,
    View,
    Post,
    Like,
    Comment,
    Search,
    Report,
    Enforcement,
}

impl EventType {
    /// Every event type, in the order of the format's table.
    pub const ALL: [EventType; 10] = [
        EventType::Account,
        EventType::Follow,
        EventType::Unfollow,
        EventType::View,
        EventType::Post,
        EventType::Like,
        EventType::Comment,
        EventType::Search,
        EventType::Report,
        EventType::Enforcement,
    ];

    /// The `type` string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Account => "account",
            EventType::Follow => "follow",
            EventType::Unfollow => "unfollow",
            EventType::View => "view",
            EventType::Post => "post",
            EventType::Like => "like",
            EventType::Comment => "comment",
            EventType::Search => "search",
            EventType::Report => "report",
            EventType::Enforcement => "enforcement",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = ();

    fn from_str(s: &str) -> Result<EventType, ()> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s).ok_or(())
    }
}

impl EventKind {
    /// The `type` tag of this payload.
    pub fn event_type(&self) -> EventType {
        match self {
            EventKind::Account(_) => EventType::Account,
            EventKind::Follow(_) => EventType::Follow,
            EventKind::Unfollow(_) => EventType::Unfollow,
            EventKind::View(_) => EventType::View,
            EventKind::Post(_) => EventType::Post,
            EventKind::Like(_) => EventType::Like,
            EventKind::Comment(_) => EventType::Comment,
            EventKind::Search(_) => EventType::Search,
            EventKind::Report(_) => EventType::Report,
            EventKind::Enforcement(_) => EventType::Enforcement,
        }
    }
}

/// An account was created or updated. A later event for the same account
/// replaces the fields it carries; absent optional fields are left as they were.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AccountEvent {
    /// The account's id.
    pub account: AccountId,
    /// The public handle, without `@`.
    pub handle: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Profile text.
    pub bio: Option<String>,
    /// Profile links.
    pub links: Option<Vec<String>>,
    /// Declared age band.
    pub age_band: Option<AgeBand>,
    /// Identifiers that can link accounts of one person.
    pub identifiers: Option<Identifiers>,
}

/// Declared age band of an account.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[allow(missing_docs)]
pub enum AgeBand {
    Minor,
    Adult,
    Unknown,
}

impl AgeBand {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Minor => "minor",
            AgeBand::Adult => "adult",
            AgeBand::Unknown => "unknown",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<AgeBand> {
        match s {
            "minor" => Some(AgeBand::Minor),
            "adult" => Some(AgeBand::Adult),
            "unknown" => Some(AgeBand::Unknown),
            _ => None,
        }
    }
}

/// Identifiers the platform shares so that accounts of one person can be linked.
/// Emails and phones arrive hashed; guardrail never sees them in clear.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Identifiers {
    /// Device ids.
    pub device: Vec<String>,
    /// Hashed email addresses.
    pub email_hash: Vec<String>,
    /// Hashed phone numbers.
    pub phone_hash: Vec<String>,
    /// Payment handles.
    pub payment: Vec<String>,
}

impl Identifiers {
    /// Whether no identifier of any kind is present.
    pub fn is_empty(&self) -> bool {
        self.device.is_empty()
            && self.email_hash.is_empty()
            && self.phone_hash.is_empty()
            && self.payment.is_empty()
    }
}

/// `follow` or `unfollow`: `from` starts or stops following `to`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FollowEvent {
    /// The follower.
    pub from: AccountId,
    /// The followed account.
    pub to: AccountId,
}

/// An account viewed an account or a post.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ViewEvent {
    /// Who looked.
    pub viewer: AccountId,
    /// What they looked at.
    pub target: ViewTarget,
}

/// What a view was of.
#[derive(Clone, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum ViewTarget {
    Account(AccountId),
    Post(PostId),
}

/// A post with optional caption, hashtags and media.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PostEvent {
    /// The post's id.
    pub post: PostId,
    /// Its author.
    pub author: AccountId,
    /// Caption text.
    pub caption: Option<String>,
    /// Hashtags, without `#`.
    pub hashtags: Vec<String>,
    /// Attached media, by hash only.
    pub media: Vec<Media>,
}

/// One attached image or video, described by its hashes (never its bytes).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Media {
    /// Image or video.
    pub kind: MediaKind,
    /// PDQ perceptual hash.
    pub pdq: Option<Pdq>,
    /// MD5 of the file.
    pub md5: Option<Md5>,
    /// SHA-256 of the file.
    pub sha256: Option<Sha256>,
}

/// Media kind.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[allow(missing_docs)]
pub enum MediaKind {
    Image,
    Video,
}

impl MediaKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }
}

/// An account liked a post.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LikeEvent {
    /// Who liked.
    pub actor: AccountId,
    /// The post.
    pub post: PostId,
}

/// An account commented on a post.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommentEvent {
    /// The comment's id.
    pub comment: CommentId,
    /// Who commented.
    pub actor: AccountId,
    /// The post commented on.
    pub post: PostId,
    /// The comment text.
    pub text: String,
}

/// An account searched.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SearchEvent {
    /// Who searched.
    pub actor: AccountId,
    /// The query as typed.
    pub query: String,
}

/// A user (or an external reporter) reported an account, post or hashtag.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReportEvent {
    /// The reporting account; `None` for an external reporter.
    pub reporter: Option<AccountId>,
    /// What was reported.
    pub target: ReportTarget,
    /// The reporter's category.
    pub category: ReportCategory,
    /// Free text.
    pub text: Option<String>,
}

/// What a report is about.
#[derive(Clone, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum ReportTarget {
    Account(AccountId),
    Post(PostId),
    Hashtag(String),
}

/// Report categories.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[allow(missing_docs)]
pub enum ReportCategory {
    ChildSafety,
    SexualContent,
    Spam,
    Harassment,
    Other,
}

impl ReportCategory {
    /// Every category, most severe first.
    pub const ALL: [ReportCategory; 5] = [
        ReportCategory::ChildSafety,
        ReportCategory::SexualContent,
        ReportCategory::Harassment,
        ReportCategory::Spam,
        ReportCategory::Other,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportCategory::ChildSafety => "child_safety",
            ReportCategory::SexualContent => "sexual_content",
            ReportCategory::Spam => "spam",
            ReportCategory::Harassment => "harassment",
            ReportCategory::Other => "other",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<ReportCategory> {
        ReportCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// An enforcement decision the platform itself already took.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EnforcementEvent {
    /// The account acted on.
    pub account: AccountId,
    /// What was done.
    pub action: EnforcementAction,
    /// Free-text reason.
    pub reason: Option<String>,
    /// The confirmed category, such as `child_safety`.
    pub confirmed_category: Option<String>,
}

/// Platform enforcement actions (serialized by their wire names).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum EnforcementAction {
    Ban,
    Suspend,
    Restore,
}

impl EnforcementAction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EnforcementAction::Ban => "ban",
            EnforcementAction::Suspend => "suspend",
            EnforcementAction::Restore => "restore",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<EnforcementAction> {
        match s {
            "ban" => Some(EnforcementAction::Ban),
            "suspend" => Some(EnforcementAction::Suspend),
            "restore" => Some(EnforcementAction::Restore),
            _ => None,
        }
    }
}

impl Event {
    /// Parses one JSONL line. Errors name the field and why; the line number is
    /// added by [`crate::EventReader`].
    pub fn from_json_line(line: &str) -> Result<Event, crate::FieldError> {
        crate::parse::parse_line(line)
    }

    /// The interaction a follow, unfollow, view, like or comment line records,
    /// borrowed from the line, when the line is valid and needs no unescaping;
    /// `None` for anything else (parse it with [`Event::from_json_line`]).
    /// Graph loaders use it to skip building an [`Event`] for most lines.
    pub fn interaction_of_line(line: &str) -> Option<(Timestamp, crate::Interaction<'_>)> {
        crate::fast::parse_interaction(line)
    }

    /// Like [`Event::from_json_line`], but an unknown `type` gives `Ok(None)`
    /// (for readers told to skip unknown types, such as parallel loaders that
    /// cannot use [`crate::EventReader`]).
    pub fn from_json_line_skipping_unknown(line: &str) -> Result<Option<Event>, crate::FieldError> {
        crate::parse::parse_line_inner(line, true)
    }

    /// Writes the event as one JSON object (no newline), in the canonical field order.
    pub fn to_json_line(&self) -> String {
        let mut out = Vec::with_capacity(160);
        self.write_json(&mut out);
        // serde_json writes valid UTF-8, so the conversion cannot fail.
        String::from_utf8(out).expect("serde_json output is UTF-8")
    }

    /// Appends the event as one JSON object (no newline) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        crate::serialize::write_event(self, out)
    }
}
