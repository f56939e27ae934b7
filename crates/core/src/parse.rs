//! Validating parser for one JSONL line.
//!
//! Lines are parsed into a `serde_json` map first and then checked field by
//! field, so that every rejection names the field and the reason (serde's
//! derive would report only a column). Unknown fields are ignored. Lines go
//! through the fast path in `fast.rs` first, which accepts exactly what this
//! parser accepts and is about three times faster.

use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::event::*;
use crate::hex::{HexError, Md5, Pdq, Sha256};
use crate::ids::{AccountId, CommentId, EventId, PostId};
use crate::time::Timestamp;

/// Longest id accepted (ids may be URIs, as on Mastodon).
pub(crate) const MAX_ID_BYTES: usize = 2048;

pub(crate) fn parse_line(line: &str) -> Result<Event, FieldError> {
    match parse_line_inner(line, false)? {
        Some(event) => Ok(event),
        // With skip_unknown = false an unknown type is an error, never None.
        None => unreachable!("unknown types are errors when not skipping"),
    }
}

/// Parses a line; `Ok(None)` when the type is unknown and `skip_unknown` is set.
pub(crate) fn parse_line_inner(
    line: &str,
    skip_unknown: bool,
) -> Result<Option<Event>, FieldError> {
    if let Some(event) = crate::fast::parse_fast(line) {
        return Ok(Some(event));
    }
    parse_validating(line, skip_unknown)
}

/// The validating parser alone (the fast path's fallback; used by tests to
/// check the two agree).
pub(crate) fn parse_validating(
    line: &str,
    skip_unknown: bool,
) -> Result<Option<Event>, FieldError> {
    let map: Map<String, Value> = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(FieldError::new("(line)", "not a JSON object")),
        Err(e) => return Err(FieldError::new("(line)", format!("not valid JSON ({e})"))),
    };
    let f = Fields { map: &map, prefix: "" };
    let type_name = f.req_str("type")?;
    let Ok(event_type) = type_name.parse::<EventType>() else {
        if skip_unknown {
            return Ok(None);
        }
        return Err(FieldError::new(
            "type",
            format!(
                "unknown event type {type_name:?} (expected one of {})",
                EventType::ALL.map(|t| t.as_str()).join(", ")
            ),
        ));
    };
    let id = EventId::new(f.req_id("id")?);
    let at = Timestamp::parse(f.req_str("at")?).map_err(|why| FieldError::new("at", why))?;
    let kind = match event_type {
        EventType::Account => EventKind::Account(parse_account(&f)?),
        EventType::Follow => EventKind::Follow(parse_follow(&f)?),
        EventType::Unfollow => EventKind::Unfollow(parse_follow(&f)?),
        EventType::View => EventKind::View(parse_view(&f)?),
        EventType::Post => EventKind::Post(parse_post(&f)?),
        EventType::Like => EventKind::Like(LikeEvent {
            actor: AccountId::new(f.req_id("actor")?),
            post: PostId::new(f.req_id("post")?),
        }),
        EventType::Comment => EventKind::Comment(CommentEvent {
            comment: CommentId::new(f.req_id("comment")?),
            actor: AccountId::new(f.req_id("actor")?),
            post: PostId::new(f.req_id("post")?),
            text: f.req_str("text")?.to_owned(),
        }),
        EventType::Search => EventKind::Search(SearchEvent {
            actor: AccountId::new(f.req_id("actor")?),
            query: f.req_str("query")?.to_owned(),
        }),
        EventType::Report => EventKind::Report(parse_report(&f)?),
        EventType::Enforcement => EventKind::Enforcement(parse_enforcement(&f)?),
    };
    Ok(Some(Event { id, at, kind }))
}

fn parse_account(f: &Fields<'_>) -> Result<AccountEvent, FieldError> {
    let age_band = match f.opt_str("age_band")? {
        None => None,
        Some(s) => Some(AgeBand::parse(s).ok_or_else(|| {
            f.err("age_band", format!("{s:?} is not one of minor, adult, unknown"))
        })?),
    };
    let identifiers = match f.opt_object("identifiers")? {
        None => None,
        Some(map) => {
            let g = Fields { map, prefix: "identifiers." };
            Some(Identifiers {
                device: g.opt_str_list("device")?.unwrap_or_default(),
                email_hash: g.opt_str_list("email_hash")?.unwrap_or_default(),
                phone_hash: g.opt_str_list("phone_hash")?.unwrap_or_default(),
                payment: g.opt_str_list("payment")?.unwrap_or_default(),
            })
        }
    };
    Ok(AccountEvent {
        account: AccountId::new(f.req_id("account")?),
        handle: f.req_nonempty_str("handle")?.to_owned(),
        display_name: f.opt_str("display_name")?.map(str::to_owned),
        bio: f.opt_str("bio")?.map(str::to_owned),
        links: f.opt_str_list("links")?,
        age_band,
        identifiers,
    })
}

fn parse_follow(f: &Fields<'_>) -> Result<FollowEvent, FieldError> {
    Ok(FollowEvent { from: AccountId::new(f.req_id("from")?), to: AccountId::new(f.req_id("to")?) })
}

fn parse_view(f: &Fields<'_>) -> Result<ViewEvent, FieldError> {
    let viewer = AccountId::new(f.req_id("viewer")?);
    let account = f.opt_id("account")?;
    let post = f.opt_id("post")?;
    let target = match (account, post) {
        (Some(a), None) => ViewTarget::Account(AccountId::new(a)),
        (None, Some(p)) => ViewTarget::Post(PostId::new(p)),
        (Some(_), Some(_)) => {
            return Err(f.err("account", "a view has either account or post, not both"))
        }
        (None, None) => return Err(f.err("account", "missing (a view needs account or post)")),
    };
    Ok(ViewEvent { viewer, target })
}

fn parse_post(f: &Fields<'_>) -> Result<PostEvent, FieldError> {
    let hashtags = f.opt_str_list("hashtags")?.unwrap_or_default();
    for (i, tag) in hashtags.iter().enumerate() {
        if tag.is_empty() {
            return Err(f.err(&format!("hashtags[{i}]"), "empty hashtag"));
        }
        if tag.starts_with('#') {
            return Err(f.err(&format!("hashtags[{i}]"), "hashtags are written without '#'"));
        }
    }
    let mut media = Vec::new();
    if let Some(items) = f.opt_array("media")? {
        for (i, item) in items.iter().enumerate() {
            let prefix = format!("media[{i}].");
            let Value::Object(map) = item else {
                return Err(FieldError::new(format!("media[{i}]"), "not an object"));
            };
            let g = Fields { map, prefix: &prefix };
            let kind = match g.req_str("kind")? {
                "image" => MediaKind::Image,
                "video" => MediaKind::Video,
                other => return Err(g.err("kind", format!("{other:?} is not image or video"))),
            };
            media.push(Media {
                kind,
                pdq: g.opt_hex("pdq", Pdq::from_hex)?,
                md5: g.opt_hex("md5", Md5::from_hex)?,
                sha256: g.opt_hex("sha256", Sha256::from_hex)?,
            });
        }
    }
    Ok(PostEvent {
        post: PostId::new(f.req_id("post")?),
        author: AccountId::new(f.req_id("author")?),
        caption: f.opt_str("caption")?.map(str::to_owned),
        hashtags,
        media,
    })
}

fn parse_report(f: &Fields<'_>) -> Result<ReportEvent, FieldError> {
    let reporter = f.opt_id("reporter")?.map(AccountId::new);
    let target_map = f
        .opt_object("target")?
        .ok_or_else(|| f.err("target", "missing (an object is required)"))?;
    let g = Fields { map: target_map, prefix: "target." };
    let account = g.opt_id("account")?;
    let post = g.opt_id("post")?;
    let hashtag = g.opt_id("hashtag")?;
    let target = match (account, post, hashtag) {
        (Some(a), None, None) => ReportTarget::Account(AccountId::new(a)),
        (None, Some(p), None) => ReportTarget::Post(PostId::new(p)),
        (None, None, Some(h)) => {
            if h.starts_with('#') {
                return Err(g.err("hashtag", "hashtags are written without '#'"));
            }
            ReportTarget::Hashtag(h.to_owned())
        }
        (None, None, None) => return Err(f.err("target", "needs one of account, post or hashtag")),
        _ => return Err(f.err("target", "has more than one of account, post and hashtag")),
    };
    let category_name = f.req_str("category")?;
    let category = ReportCategory::parse(category_name).ok_or_else(|| {
        f.err(
            "category",
            format!(
                "{category_name:?} is not one of child_safety, sexual_content, spam, harassment, other"
            ),
        )
    })?;
    Ok(ReportEvent { reporter, target, category, text: f.opt_str("text")?.map(str::to_owned) })
}

fn parse_enforcement(f: &Fields<'_>) -> Result<EnforcementEvent, FieldError> {
    let action_name = f.req_str("action")?;
    let action = EnforcementAction::parse(action_name).ok_or_else(|| {
        f.err("action", format!("{action_name:?} is not one of ban, suspend, restore"))
    })?;
    Ok(EnforcementEvent {
        account: AccountId::new(f.req_id("account")?),
        action,
        reason: f.opt_str("reason")?.map(str::to_owned),
        confirmed_category: f.opt_str("confirmed_category")?.map(str::to_owned),
    })
}

/// A view of one JSON object with typed, error-naming accessors.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

impl<'a> Fields<'a> {
    fn err(&self, name: &str, why: impl Into<String>) -> FieldError {
        FieldError::new(format!("{}{name}", self.prefix), why)
    }

    fn req_str(&self, name: &str) -> Result<&'a str, FieldError> {
        self.opt_str(name)?.ok_or_else(|| self.err(name, "missing"))
    }

    fn req_nonempty_str(&self, name: &str) -> Result<&'a str, FieldError> {
        let s = self.req_str(name)?;
        if s.is_empty() {
            return Err(self.err(name, "must not be empty"));
        }
        Ok(s)
    }

    fn opt_str(&self, name: &str) -> Result<Option<&'a str>, FieldError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.err(name, format!("expected a string, found {}", kind(other)))),
        }
    }

    fn req_id(&self, name: &str) -> Result<&'a str, FieldError> {
        self.opt_id(name)?.ok_or_else(|| self.err(name, "missing"))
    }

    fn opt_id(&self, name: &str) -> Result<Option<&'a str>, FieldError> {
        let Some(id) = self.opt_str(name)? else { return Ok(None) };
        if id.is_empty() {
            return Err(self.err(name, "an id must not be empty"));
        }
        if id.len() > MAX_ID_BYTES {
            return Err(self.err(name, format!("an id is at most {MAX_ID_BYTES} bytes")));
        }
        Ok(Some(id))
    }

    fn opt_object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, FieldError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => {
                Err(self.err(name, format!("expected an object, found {}", kind(other))))
            }
        }
    }

    fn opt_array(&self, name: &str) -> Result<Option<&'a Vec<Value>>, FieldError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(self.err(name, format!("expected an array, found {}", kind(other)))),
        }
    }

    fn opt_str_list(&self, name: &str) -> Result<Option<Vec<String>>, FieldError> {
        let Some(items) = self.opt_array(name)? else { return Ok(None) };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                other => {
                    return Err(self.err(
                        &format!("{name}[{i}]"),
                        format!("expected a string, found {}", kind(other)),
                    ))
                }
            }
        }
        Ok(Some(out))
    }

    fn opt_hex<T>(
        &self,
        name: &str,
        parse: fn(&str) -> Result<T, HexError>,
    ) -> Result<Option<T>, FieldError> {
        match self.opt_str(name)? {
            None => Ok(None),
            Some(s) => parse(s).map(Some).map_err(|e| self.err(name, e.to_string())),
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
