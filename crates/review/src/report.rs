//! The report model: what a user (or an outside reporter) told us, validated
//! field by field, with the idempotency key that makes intake safe to retry.

use guardrail_core::{AccountId, Event, EventId, EventKind, PostId, ReportCategory, Timestamp};
use sha2::{Digest, Sha256};

use crate::ReviewError;

/// The longest idempotency key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 128;
/// The longest platform id (account, post) accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// The longest report text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// The longest hashtag accepted, in characters.
pub const MAX_HASHTAG_CHARS: usize = 100;

/// Where a report came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportSource {
    /// A `report` event in the platform's stream (its id).
    Event(EventId),
    /// The command line.
    Cli,
    /// The HTTP API.
    Api,
}

impl ReportSource {
    /// The name stored with the report (`event`, `cli`, `api`).
    pub fn kind(&self) -> &'static str {
        match self {
            ReportSource::Event(_) => "event",
            ReportSource::Cli => "cli",
            ReportSource::Api => "api",
        }
    }
}

/// What a report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An account.
    Account(AccountId),
    /// A post, with its author when known (a post the store never saw, or
    /// one without media, is still a report to handle).
    Post {
        /// The post.
        post: PostId,
        /// Its author, when known.
        author: Option<AccountId>,
    },
    /// A hashtag (without the `#`).
    Hashtag(String),
}

impl Target {
    /// The kind stored with the report (`account`, `post`, `hashtag`).
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Account(_) => "account",
            Target::Post { .. } => "post",
            Target::Hashtag(_) => "hashtag",
        }
    }

    /// The target's id (account id, post id or hashtag).
    pub fn id(&self) -> &str {
        match self {
            Target::Account(a) => a.as_str(),
            Target::Post { post, .. } => post.as_str(),
            Target::Hashtag(h) => h,
        }
    }

    /// A target written `account:ID`, `post:ID` or `hashtag:TAG` (as on the
    /// command line and in the API's report body), with a post's author
    /// when known; the error names `report.target` (or `report.author`).
    pub fn parse(text: &str, author: Option<&str>) -> Result<Target, ReviewError> {
        let (kind, id) = text.split_once(':').ok_or_else(|| {
            ReviewError::field(
                "report.target",
                format!("{text:?}: write account:ID, post:ID or hashtag:TAG"),
            )
        })?;
        if author.is_some() && kind != "post" {
            return Err(ReviewError::field("report.author", "only a post has an author"));
        }
        Ok(match kind {
            "account" => Target::Account(id.into()),
            "post" => Target::Post { post: id.into(), author: author.map(Into::into) },
            "hashtag" => Target::Hashtag(id.to_owned()),
            _ => {
                return Err(ReviewError::field(
                    "report.target",
                    format!("{kind:?} is not a kind of target (account, post or hashtag)"),
                ))
            }
        })
    }

    /// The account the report is about: the account itself, or a post's author.
    pub fn account(&self) -> Option<&AccountId> {
        match self {
            Target::Account(a) => Some(a),
            Target::Post { author, .. } => author.as_ref(),
            Target::Hashtag(_) => None,
        }
    }
}

/// A report as received, before validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReport {
    /// The caller's idempotency key; `None` derives one from the content
    /// ([`IdempotencyKey::derive`]).
    pub key: Option<String>,
    /// Where it came from.
    pub source: ReportSource,
    /// The reporting account; `None` for an outside reporter (still handled).
    pub reporter: Option<AccountId>,
    /// What it is about.
    pub target: Target,
    /// The reporter's category.
    pub category: ReportCategory,
    /// The reporter's words.
    pub text: Option<String>,
    /// When it was received (for an event, the event's time).
    pub received_at: Timestamp,
}

/// A report's idempotency key: the same key is the same report, stored once.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A caller's key, checked: 1 to [`MAX_KEY_BYTES`] visible ASCII characters.
    pub fn parse(key: &str) -> Result<IdempotencyKey, ReviewError> {
        if key.is_empty() {
            return Err(ReviewError::field("report.key", "empty"));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(ReviewError::field(
                "report.key",
                format!("{} bytes, at most {MAX_KEY_BYTES}", key.len()),
            ));
        }
        if let Some(c) = key.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(ReviewError::field(
                "report.key",
                format!("{c:?} is not a visible ASCII character"),
            ));
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    /// The key of a report that brought none: `event:<id>` for a stream
    /// event (so re-ingesting the stream never reports twice), else
    /// `sha256:<hex>` of the reporter, target, category and text, so the same
    /// reporter sending the same report again is one report.
    pub fn derive(report: &NewReport) -> IdempotencyKey {
        if let ReportSource::Event(id) = &report.source {
            return IdempotencyKey(format!("event:{id}"));
        }
        let content = serde_json::json!({
            "reporter": report.reporter.as_ref().map(AccountId::as_str),
            "target_kind": report.target.kind(),
            "target": report.target.id(),
            "category": report.category.as_str(),
            "text": report.text,
        });
        let digest = Sha256::digest(content.to_string().as_bytes());
        IdempotencyKey(format!("sha256:{}", hex(&digest)))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A report that passed validation, with its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidReport {
    key: IdempotencyKey,
    report: NewReport,
}

impl ValidReport {
    /// Its idempotency key.
    pub fn key(&self) -> &IdempotencyKey {
        &self.key
    }

    /// The report.
    pub fn report(&self) -> &NewReport {
        &self.report
    }

    /// The canonical form stored with the report (JSON, keys sorted, the
    /// received time excluded): a second intake with the same key and the
    /// same canonical form is a duplicate, with another one a conflict.
    pub fn canonical(&self) -> String {
        let r = &self.report;
        let author = match &r.target {
            Target::Post { author, .. } => author.as_ref().map(AccountId::as_str),
            _ => None,
        };
        serde_json::json!({
            "source": r.source.kind(),
            "event": match &r.source { ReportSource::Event(id) => Some(id.as_str()), _ => None },
            "reporter": r.reporter.as_ref().map(AccountId::as_str),
            "target_kind": r.target.kind(),
            "target": r.target.id(),
            "author": author,
            "category": r.category.as_str(),
            "text": r.text,
        })
        .to_string()
    }
}

impl NewReport {
    /// The report a `report` event carries; `None` for any other event.
    /// A post's author is not in the event: the caller adds it when the
    /// store knows the post.
    pub fn from_event(event: &Event) -> Option<NewReport> {
        let EventKind::Report(r) = &event.kind else { return None };
        let target = match &r.target {
            guardrail_core::ReportTarget::Account(a) => Target::Account(a.clone()),
            guardrail_core::ReportTarget::Post(p) => Target::Post { post: p.clone(), author: None },
            guardrail_core::ReportTarget::Hashtag(h) => Target::Hashtag(h.clone()),
        };
        Some(NewReport {
            key: None,
            source: ReportSource::Event(event.id.clone()),
            reporter: r.reporter.clone(),
            target,
            category: r.category,
            text: r.text.clone(),
            received_at: event.at,
        })
    }

    /// Checks every field and settles the key; the error names the first bad field.
    pub fn validate(mut self) -> Result<ValidReport, ReviewError> {
        if let ReportSource::Event(id) = &self.source {
            check_id("report.source.event", id.as_str())?;
        }
        if let Some(reporter) = &self.reporter {
            check_id("report.reporter", reporter.as_str())?;
        }
        match &mut self.target {
            Target::Account(a) => check_id("report.target.account", a.as_str())?,
            Target::Post { post, author } => {
                check_id("report.target.post", post.as_str())?;
                if let Some(author) = author {
                    check_id("report.target.author", author.as_str())?;
                }
            }
            Target::Hashtag(h) => {
                let tag = h.strip_prefix('#').unwrap_or(h).to_owned();
                if tag.is_empty() {
                    return Err(ReviewError::field("report.target.hashtag", "empty"));
                }
                if tag.chars().count() > MAX_HASHTAG_CHARS {
                    return Err(ReviewError::field(
                        "report.target.hashtag",
                        format!("longer than {MAX_HASHTAG_CHARS} characters"),
                    ));
                }
                if tag.chars().any(|c| c.is_whitespace() || c.is_control() || c == '#') {
                    return Err(ReviewError::field(
                        "report.target.hashtag",
                        "holds a space, a control character or a second #",
                    ));
                }
                *h = tag;
            }
        }
        if let Some(text) = &self.text {
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(ReviewError::field(
                    "report.text",
                    format!("longer than {MAX_TEXT_CHARS} characters"),
                ));
            }
            if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(ReviewError::field("report.text", "holds a control character"));
            }
        }
        if self.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            self.text = None;
        }
        let key = match &self.key {
            Some(key) => IdempotencyKey::parse(key)?,
            None => IdempotencyKey::derive(&self),
        };
        Ok(ValidReport { key, report: self })
    }
}

fn check_id(field: &str, id: &str) -> Result<(), ReviewError> {
    if id.is_empty() {
        return Err(ReviewError::field(field, "empty"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(ReviewError::field(field, format!("longer than {MAX_ID_BYTES} bytes")));
    }
    if id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ReviewError::field(field, "holds a space or a control character"));
    }
    Ok(())
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::parse("2026-03-01T10:00:00Z").unwrap()
    }

    fn report(target: Target) -> NewReport {
        NewReport {
            key: None,
            source: ReportSource::Cli,
            reporter: Some("u2".into()),
            target,
            category: ReportCategory::ChildSafety,
            text: Some("selling codeword".into()),
            received_at: at(),
        }
    }

    #[test]
    fn errors_name_the_field() {
        let bad = |r: NewReport| r.validate().unwrap_err().to_string();
        assert_eq!(bad(report(Target::Account("".into()))), "report.target.account: empty");
        assert_eq!(
            bad(report(Target::Hashtag("two words".into()))),
            "report.target.hashtag: holds a space, a control character or a second #"
        );
        let mut r = report(Target::Account("u1".into()));
        r.reporter = Some("u 2".into());
        assert_eq!(bad(r), "report.reporter: holds a space or a control character");
        let mut r = report(Target::Account("u1".into()));
        r.key = Some("k".repeat(200));
        assert_eq!(bad(r), "report.key: 200 bytes, at most 128");
        let mut r = report(Target::Account("u1".into()));
        r.text = Some("a\u{7}b".into());
        assert_eq!(bad(r), "report.text: holds a control character");
        let mut r = report(Target::Post { post: "p1".into(), author: Some("".into()) });
        r.reporter = None;
        assert_eq!(bad(r), "report.target.author: empty");
    }

    #[test]
    fn targets_parse_from_their_written_form() {
        assert_eq!(Target::parse("account:u1", None).unwrap(), Target::Account("u1".into()));
        assert_eq!(
            Target::parse("post:p1", Some("u2")).unwrap(),
            Target::Post { post: "p1".into(), author: Some("u2".into()) }
        );
        assert_eq!(Target::parse("hashtag:x", None).unwrap(), Target::Hashtag("x".into()));
        let bad = |t: &str, a: Option<&str>| Target::parse(t, a).unwrap_err().to_string();
        assert!(bad("u1", None).starts_with("report.target: "), "{}", bad("u1", None));
        assert!(bad("user:u1", None).contains("not a kind of target"));
        assert_eq!(bad("account:u1", Some("u2")), "report.author: only a post has an author");
    }

    #[test]
    fn reports_without_reporter_media_or_author_are_valid() {
        let mut r = report(Target::Post { post: "p9".into(), author: None });
        r.reporter = None;
        let valid = r.validate().unwrap();
        assert!(valid.key().as_str().starts_with("sha256:"));
        assert_eq!(valid.report().target.account(), None);
    }

    #[test]
    fn derived_keys_follow_content_not_time() {
        let a = report(Target::Account("u1".into())).validate().unwrap();
        let mut later = report(Target::Account("u1".into()));
        later.received_at = Timestamp::parse("2026-03-02T10:00:00Z").unwrap();
        let b = later.validate().unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.canonical(), b.canonical());
        let other = report(Target::Account("u3".into())).validate().unwrap();
        assert_ne!(a.key(), other.key());
        let hashtag = report(Target::Hashtag("#tag".into())).validate().unwrap();
        assert_eq!(hashtag.report().target.id(), "tag");
    }

    #[test]
    fn stream_reports_are_keyed_by_event_id() {
        let line = r#"{"type":"report","id":"e7","at":"2026-03-01T10:00:00Z","reporter":null,"target":{"post":"p1"},"category":"child_safety"}"#;
        let event = Event::from_json_line(line).unwrap();
        let valid = NewReport::from_event(&event).unwrap().validate().unwrap();
        assert_eq!(valid.key().as_str(), "event:e7");
        assert_eq!(valid.report().reporter, None);
        assert_eq!(valid.report().target, Target::Post { post: "p1".into(), author: None });
    }
}
