//! The fast path of the line parser: serde's derive straight into borrowed
//! fields, about three times faster than building a `serde_json::Value`.
//!
//! It only ever accepts: any line it cannot take exactly as the validating
//! parser in `parse.rs` would (a missing field, a wrong type, a duplicate key,
//! an invalid value) returns `None`, and the caller parses the line again the
//! slow way, which names the field and the reason. The acceptance rules here
//! mirror `parse.rs` one for one; the property test
//! `fast_and_validating_parsers_agree` in `tests.rs` holds them together.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::*;
use crate::hex::{Md5, Pdq, Sha256};
use crate::ids::{AccountId, CommentId, EventId, PostId};
use crate::parse::MAX_ID_BYTES;
use crate::time::Timestamp;

/// A string borrowed from the line when it has no escapes. serde's own `Cow`
/// impl always copies inside an `Option`, so this is written out.
pub(crate) struct CowStr<'a>(Cow<'a, str>);

impl std::ops::Deref for CowStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CowStr<'a>, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(Visit).map(CowStr)
    }
}

type Str<'a> = Option<CowStr<'a>>;

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Str<'a>,
    #[serde(borrow, default)]
    at: Str<'a>,
    #[serde(borrow, default)]
    account: Str<'a>,
    #[serde(borrow, default)]
    handle: Str<'a>,
    #[serde(borrow, default)]
    display_name: Str<'a>,
    #[serde(borrow, default)]
    bio: Str<'a>,
    #[serde(default)]
    links: Option<Vec<String>>,
    #[serde(borrow, default)]
    age_band: Str<'a>,
    #[serde(default)]
    identifiers: Option<RawIds>,
    #[serde(borrow, default)]
    from: Str<'a>,
    #[serde(borrow, default)]
    to: Str<'a>,
    #[serde(borrow, default)]
    viewer: Str<'a>,
    #[serde(borrow, default)]
    post: Str<'a>,
    #[serde(borrow, default)]
    author: Str<'a>,
    #[serde(borrow, default)]
    caption: Str<'a>,
    #[serde(default)]
    hashtags: Option<Vec<String>>,
    #[serde(borrow, default)]
    media: Option<Vec<RawMedia<'a>>>,
    #[serde(borrow, default)]
    actor: Str<'a>,
    #[serde(borrow, default)]
    comment: Str<'a>,
    #[serde(borrow, default)]
    text: Str<'a>,
    #[serde(borrow, default)]
    query: Str<'a>,
    #[serde(borrow, default)]
    reporter: Str<'a>,
    #[serde(borrow, default)]
    target: Option<RawTarget<'a>>,
    #[serde(borrow, default)]
    category: Str<'a>,
    #[serde(borrow, default)]
    action: Str<'a>,
    #[serde(borrow, default)]
    reason: Str<'a>,
    #[serde(borrow, default)]
    confirmed_category: Str<'a>,
}

#[derive(Deserialize)]
struct RawIds {
    #[serde(default)]
    device: Option<Vec<String>>,
    #[serde(default)]
    email_hash: Option<Vec<String>>,
    #[serde(default)]
    phone_hash: Option<Vec<String>>,
    #[serde(default)]
    payment: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawMedia<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    pdq: Str<'a>,
    #[serde(borrow, default)]
    md5: Str<'a>,
    #[serde(borrow, default)]
    sha256: Str<'a>,
}

#[derive(Deserialize)]
struct RawTarget<'a> {
    #[serde(borrow, default)]
    account: Str<'a>,
    #[serde(borrow, default)]
    post: Str<'a>,
    #[serde(borrow, default)]
    hashtag: Str<'a>,
}

/// An id the validating parser would accept.
fn id(s: &Str<'_>) -> Option<String> {
    let s = s.as_deref()?;
    (!s.is_empty() && s.len() <= MAX_ID_BYTES).then(|| s.to_owned())
}

/// An optional id: `Some(None)` when absent, `None` when present but invalid.
fn opt_id(s: &Str<'_>) -> Option<Option<String>> {
    match s {
        None => Some(None),
        Some(_) => id(s).map(Some),
    }
}

fn owned(s: Str<'_>) -> Option<String> {
    s.map(|c| c.0.into_owned())
}

/// Parses a line the fast way; `None` means "ask the validating parser".
pub(crate) fn parse_fast(line: &str) -> Option<Event> {
    let raw: Raw<'_> = serde_json::from_str(line).ok()?;
    let event_type: EventType = raw.kind.parse().ok()?;
    let event_id = EventId::new(id(&raw.id)?);
    let at = Timestamp::parse(raw.at.as_deref()?).ok()?;
    let kind = match event_type {
        EventType::Account => {
            let age_band = match raw.age_band.as_deref() {
                None => None,
                Some(s) => Some(AgeBand::parse(s)?),
            };
            let handle = raw.handle?;
            if handle.is_empty() {
                return None;
            }
            EventKind::Account(AccountEvent {
                account: AccountId::new(id(&raw.account)?),
                handle: handle.0.into_owned(),
                display_name: owned(raw.display_name),
                bio: owned(raw.bio),
                links: raw.links,
                age_band,
                identifiers: raw.identifiers.map(|ids| Identifiers {
                    device: ids.device.unwrap_or_default(),
                    email_hash: ids.email_hash.unwrap_or_default(),
                    phone_hash: ids.phone_hash.unwrap_or_default(),
                    payment: ids.payment.unwrap_or_default(),
                }),
            })
        }
        EventType::Follow | EventType::Unfollow => {
            let f = FollowEvent {
                from: AccountId::new(id(&raw.from)?),
                to: AccountId::new(id(&raw.to)?),
            };
            if event_type == EventType::Follow {
                EventKind::Follow(f)
            } else {
                EventKind::Unfollow(f)
            }
        }
        EventType::View => {
            let viewer = AccountId::new(id(&raw.viewer)?);
            let target = match (opt_id(&raw.account)?, opt_id(&raw.post)?) {
                (Some(a), None) => ViewTarget::Account(AccountId::new(a)),
                (None, Some(p)) => ViewTarget::Post(PostId::new(p)),
                _ => return None,
            };
            EventKind::View(ViewEvent { viewer, target })
        }
        EventType::Post => {
            let hashtags = raw.hashtags.unwrap_or_default();
            if hashtags.iter().any(|t| t.is_empty() || t.starts_with('#')) {
                return None;
            }
            let mut media = Vec::new();
            for m in raw.media.unwrap_or_default() {
                let kind = match &*m.kind {
                    "image" => MediaKind::Image,
                    "video" => MediaKind::Video,
                    _ => return None,
                };
                media.push(Media {
                    kind,
                    pdq: m.pdq.as_deref().map(Pdq::from_hex).transpose().ok()?,
                    md5: m.md5.as_deref().map(Md5::from_hex).transpose().ok()?,
                    sha256: m.sha256.as_deref().map(Sha256::from_hex).transpose().ok()?,
                });
            }
            EventKind::Post(PostEvent {
                post: PostId::new(id(&raw.post)?),
                author: AccountId::new(id(&raw.author)?),
                caption: owned(raw.caption),
                hashtags,
                media,
            })
        }
        EventType::Like => EventKind::Like(LikeEvent {
            actor: AccountId::new(id(&raw.actor)?),
            post: PostId::new(id(&raw.post)?),
        }),
        EventType::Comment => EventKind::Comment(CommentEvent {
            comment: CommentId::new(id(&raw.comment)?),
            actor: AccountId::new(id(&raw.actor)?),
            post: PostId::new(id(&raw.post)?),
            text: raw.text?.0.into_owned(),
        }),
        EventType::Search => EventKind::Search(SearchEvent {
            actor: AccountId::new(id(&raw.actor)?),
            query: raw.query?.0.into_owned(),
        }),
        EventType::Report => {
            let reporter = opt_id(&raw.reporter)?.map(AccountId::new);
            let t = raw.target?;
            let target = match (opt_id(&t.account)?, opt_id(&t.post)?, opt_id(&t.hashtag)?) {
                (Some(a), None, None) => ReportTarget::Account(AccountId::new(a)),
                (None, Some(p), None) => ReportTarget::Post(PostId::new(p)),
                (None, None, Some(h)) if !h.starts_with('#') => ReportTarget::Hashtag(h),
                _ => return None,
            };
            let category = ReportCategory::parse(raw.category.as_deref()?)?;
            EventKind::Report(ReportEvent { reporter, target, category, text: owned(raw.text) })
        }
        EventType::Enforcement => EventKind::Enforcement(EnforcementEvent {
            account: AccountId::new(id(&raw.account)?),
            action: EnforcementAction::parse(raw.action.as_deref()?)?,
            reason: owned(raw.reason),
            confirmed_category: owned(raw.confirmed_category),
        }),
    };
    Some(Event { id: event_id, at, kind })
}

/// The fields of the interaction types only: fewer names to match than
/// [`Raw`] (other keys are skipped), for the most frequent lines.
#[derive(Deserialize)]
struct RawInteraction<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Str<'a>,
    #[serde(borrow, default)]
    at: Str<'a>,
    #[serde(borrow, default)]
    from: Str<'a>,
    #[serde(borrow, default)]
    to: Str<'a>,
    #[serde(borrow, default)]
    viewer: Str<'a>,
    #[serde(borrow, default)]
    account: Str<'a>,
    #[serde(borrow, default)]
    post: Str<'a>,
    #[serde(borrow, default)]
    actor: Str<'a>,
    #[serde(borrow, default)]
    comment: Str<'a>,
    #[serde(borrow, default)]
    text: Str<'a>,
}

/// An interaction between accounts, borrowed from its line: what graph
/// loaders need from the most frequent event types without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Interaction<'a> {
    /// `follow`: from, to.
    Follow(&'a str, &'a str),
    /// `unfollow`: from, to.
    Unfollow(&'a str, &'a str),
    /// `view` of an account: viewer, account.
    ViewAccount(&'a str, &'a str),
    /// `view` of a post: viewer, post.
    ViewPost(&'a str, &'a str),
    /// `like`: actor, post.
    Like(&'a str, &'a str),
    /// `comment`: actor, post, text.
    Comment(&'a str, &'a str, &'a str),
}

fn borrowed<'a>(s: &'a Str<'_>) -> Option<&'a str> {
    s.as_ref().map(|c| &*c.0)
}

fn id_ref<'a>(s: &'a Str<'_>) -> Option<&'a str> {
    let s = s.as_deref()?;
    (!s.is_empty() && s.len() <= MAX_ID_BYTES).then_some(s)
}

/// Parses a line as an [`Interaction`] when it is a valid follow, unfollow,
/// view, like or comment event whose strings need no unescaping; `None`
/// otherwise (the caller then parses it as an [`Event`], which validates and
/// names the field of any error). What this accepts, the validating parser
/// accepts with the same meaning.
pub(crate) fn parse_interaction(line: &str) -> Option<(Timestamp, Interaction<'_>)> {
    let raw: RawInteraction<'_> = serde_json::from_str(line).ok()?;
    // Only borrowed strings: an escaped id would need an allocation.
    let plain = |s: &Str<'_>| !matches!(s, Some(CowStr(Cow::Owned(_))));
    let ok = [&raw.from, &raw.to, &raw.viewer, &raw.account, &raw.post, &raw.actor, &raw.text]
        .iter()
        .all(|s| plain(s));
    if !ok {
        return None;
    }
    let event_type: EventType = raw.kind.parse().ok()?;
    id(&raw.id)?;
    let at = Timestamp::parse(raw.at.as_deref()?).ok()?;
    let keep = |s: &Str<'_>| -> Option<&str> {
        // Borrowed from `line`: re-slice so the lifetime is the line's.
        let b = borrowed(s)?;
        let start = (b.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
        line.get(start..start + b.len())
    };
    let both = |a: &Str<'_>, b: &Str<'_>| -> Option<(&str, &str)> {
        id_ref(a)?;
        id_ref(b)?;
        Some((keep(a)?, keep(b)?))
    };
    let i = match event_type {
        EventType::Follow => {
            let (a, b) = both(&raw.from, &raw.to)?;
            Interaction::Follow(a, b)
        }
        EventType::Unfollow => {
            let (a, b) = both(&raw.from, &raw.to)?;
            Interaction::Unfollow(a, b)
        }
        EventType::View => match (opt_id(&raw.account)?, opt_id(&raw.post)?) {
            (Some(_), None) => {
                let (a, b) = both(&raw.viewer, &raw.account)?;
                Interaction::ViewAccount(a, b)
            }
            (None, Some(_)) => {
                let (a, b) = both(&raw.viewer, &raw.post)?;
                Interaction::ViewPost(a, b)
            }
            _ => return None,
        },
        EventType::Like => {
            let (a, b) = both(&raw.actor, &raw.post)?;
            Interaction::Like(a, b)
        }
        EventType::Comment => {
            id(&raw.comment)?;
            let (a, b) = both(&raw.actor, &raw.post)?;
            Interaction::Comment(a, b, keep(&raw.text)?)
        }
        _ => return None,
    };
    Some((at, i))
}
