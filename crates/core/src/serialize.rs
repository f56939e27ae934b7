//! Canonical JSON writer for events: `type`, `id`, `at`, then the payload's
//! fields in the order of the format's table; absent optional fields are omitted.
//!
//! Written directly to a byte buffer rather than through a `Value` so the
//! synthetic generator can write tens of millions of events quickly.

use crate::event::*;

pub(crate) fn write_event(event: &Event, out: &mut Vec<u8>) {
    let mut w = ObjectWriter::new(out);
    w.str_field("type", event.kind.event_type().as_str());
    w.str_field("id", event.id.as_str());
    w.str_field("at", &event.at.to_rfc3339());
    match &event.kind {
        EventKind::Account(a) => {
            w.str_field("account", a.account.as_str());
            w.str_field("handle", &a.handle);
            w.opt_str_field("display_name", a.display_name.as_deref());
            w.opt_str_field("bio", a.bio.as_deref());
            if let Some(links) = &a.links {
                w.list_field("links", links);
            }
            if let Some(band) = a.age_band {
                w.str_field("age_band", band.as_str());
            }
            if let Some(ids) = &a.identifiers {
                let out = w.key("identifiers");
                let mut inner = ObjectWriter::new(out);
                for (name, list) in [
                    ("device", &ids.device),
                    ("email_hash", &ids.email_hash),
                    ("phone_hash", &ids.phone_hash),
                    ("payment", &ids.payment),
                ] {
                    if !list.is_empty() {
                        inner.list_field(name, list);
                    }
                }
                inner.finish();
            }
        }
        EventKind::Follow(f) | EventKind::Unfollow(f) => {
            w.str_field("from", f.from.as_str());
            w.str_field("to", f.to.as_str());
        }
        EventKind::View(v) => {
            w.str_field("viewer", v.viewer.as_str());
            match &v.target {
                ViewTarget::Account(a) => w.str_field("account", a.as_str()),
                ViewTarget::Post(p) => w.str_field("post", p.as_str()),
            }
        }
        EventKind::Post(p) => {
            w.str_field("post", p.post.as_str());
            w.str_field("author", p.author.as_str());
            w.opt_str_field("caption", p.caption.as_deref());
            if !p.hashtags.is_empty() {
                w.list_field("hashtags", &p.hashtags);
            }
            if !p.media.is_empty() {
                let out = w.key("media");
                out.push(b'[');
                for (i, m) in p.media.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let mut item = ObjectWriter::new(out);
                    item.str_field("kind", m.kind.as_str());
                    if let Some(h) = &m.pdq {
                        item.str_field("pdq", &h.to_hex());
                    }
                    if let Some(h) = &m.md5 {
                        item.str_field("md5", &h.to_hex());
                    }
                    if let Some(h) = &m.sha256 {
                        item.str_field("sha256", &h.to_hex());
                    }
                    item.finish();
                }
                out.push(b']');
            }
        }
        EventKind::Like(l) => {
            w.str_field("actor", l.actor.as_str());
            w.str_field("post", l.post.as_str());
        }
        EventKind::Comment(c) => {
            w.str_field("comment", c.comment.as_str());
            w.str_field("actor", c.actor.as_str());
            w.str_field("post", c.post.as_str());
            w.str_field("text", &c.text);
        }
        EventKind::Search(s) => {
            w.str_field("actor", s.actor.as_str());
            w.str_field("query", &s.query);
        }
        EventKind::Report(r) => {
            match &r.reporter {
                Some(a) => w.str_field("reporter", a.as_str()),
                None => w.key("reporter").extend_from_slice(b"null"),
            }
            let out = w.key("target");
            let mut t = ObjectWriter::new(out);
            match &r.target {
                ReportTarget::Account(a) => t.str_field("account", a.as_str()),
                ReportTarget::Post(p) => t.str_field("post", p.as_str()),
                ReportTarget::Hashtag(h) => t.str_field("hashtag", h),
            }
            t.finish();
            w.str_field("category", r.category.as_str());
            w.opt_str_field("text", r.text.as_deref());
        }
        EventKind::Enforcement(e) => {
            w.str_field("account", e.account.as_str());
            w.str_field("action", e.action.as_str());
            w.opt_str_field("reason", e.reason.as_deref());
            w.opt_str_field("confirmed_category", e.confirmed_category.as_deref());
        }
    }
    w.finish();
}

struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(self.out, name);
        self.out.push(b':');
        self.out
    }

    fn str_field(&mut self, name: &str, value: &str) {
        let out = self.key(name);
        write_str(out, value);
    }

    fn opt_str_field(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.str_field(name, v);
        }
    }

    fn list_field(&mut self, name: &str, values: &[String]) {
        let out = self.key(name);
        out.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, v);
        }
        out.push(b']');
    }

    fn finish(self) {
        self.out.push(b'}');
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing a &str to a Vec cannot fail.
    serde_json::to_writer(&mut *out, s).expect("writing JSON to a Vec cannot fail");
}
