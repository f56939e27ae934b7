//! Unit and property tests of the event model.

use proptest::prelude::*;

use crate::*;

const EXAMPLE: &str = r#"{"type":"account","id":"e1","at":"2026-03-01T10:00:00Z","account":"u1","handle":"threadwork","bio":"embroidery + patterns","age_band":"adult","identifiers":{"device":["d-19"]}}
{"type":"follow","id":"e2","at":"2026-03-01T10:01:00Z","from":"u2","to":"u1"}
{"type":"post","id":"e3","at":"2026-03-01T10:02:00Z","post":"p1","author":"u1","caption":"new hoop","hashtags":["embroidery"],"media":[{"kind":"image","pdq":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"}]}
"#;

fn read_all(text: &str, config: ReaderConfig) -> Vec<Result<Event, String>> {
    EventReader::with_config(text.as_bytes(), config)
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

fn first_error(line: &str) -> String {
    match Event::from_json_line(line) {
        Ok(e) => panic!("expected an error, parsed {e:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn example_stream_parses_and_writes_back_identically() {
    let events: Vec<Event> = EventReader::new(EXAMPLE.as_bytes()).map(|r| r.unwrap()).collect();
    assert_eq!(events.len(), 3);
    for (event, line) in events.iter().zip(EXAMPLE.lines()) {
        assert_eq!(event.to_json_line(), line);
    }
    let EventKind::Post(post) = &events[2].kind else { panic!("third event is a post") };
    assert_eq!(
        post.media[0].pdq.unwrap().to_hex(),
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    );
}

#[test]
fn errors_name_line_field_and_reason() {
    let text = "{\"type\":\"follow\",\"id\":\"e1\",\"at\":\"2026-03-01T10:01:00Z\",\"from\":\"u2\",\"to\":\"u1\"}\n\n{\"type\":\"follow\",\"id\":\"e2\",\"at\":\"2026-03-01T10:01:00Z\",\"from\":\"u2\"}\n";
    let results = read_all(text, ReaderConfig::default());
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].as_ref().unwrap_err(), "line 3, field to: missing");
}

#[test]
fn field_errors_are_specific() {
    let base = r#""id":"e","at":"2026-03-01T10:00:00Z""#;
    let cases = [
        (format!(r#"{{"type":"folow",{base}}}"#), "field type: unknown event type \"folow\""),
        (
            r#"{"type":"follow","id":"e","at":"yesterday","from":"a","to":"b"}"#.to_owned(),
            "field at: not an RFC 3339 time",
        ),
        (
            format!(r#"{{"type":"follow",{base},"from":"","to":"b"}}"#),
            "field from: an id must not be empty",
        ),
        (
            format!(r#"{{"type":"follow",{base},"from":7,"to":"b"}}"#),
            "field from: expected a string, found a number",
        ),
        (
            format!(r#"{{"type":"view",{base},"viewer":"a"}}"#),
            "field account: missing (a view needs account or post)",
        ),
        (
            format!(r#"{{"type":"view",{base},"viewer":"a","account":"b","post":"p"}}"#),
            "field account: a view has either account or post, not both",
        ),
        (
            format!(
                r#"{{"type":"post",{base},"post":"p","author":"a","media":[{{"kind":"image","pdq":"abc"}}]}}"#
            ),
            "field media[0].pdq: expected 64 hex digits, found 3",
        ),
        (
            format!(
                r#"{{"type":"post",{base},"post":"p","author":"a","media":[{{"kind":"gif"}}]}}"#
            ),
            "field media[0].kind: \"gif\" is not image or video",
        ),
        (
            format!(r##"{{"type":"post",{base},"post":"p","author":"a","hashtags":["#x"]}}"##),
            "field hashtags[0]: hashtags are written without '#'",
        ),
        (
            format!(r#"{{"type":"account",{base},"account":"a","handle":"h","age_band":"teen"}}"#),
            "field age_band: \"teen\" is not one of minor, adult, unknown",
        ),
        (
            format!(
                r#"{{"type":"account",{base},"account":"a","handle":"h","identifiers":{{"device":[1]}}}}"#
            ),
            "field identifiers.device[0]: expected a string, found a number",
        ),
        (
            format!(
                r#"{{"type":"report",{base},"reporter":null,"target":{{}},"category":"spam"}}"#
            ),
            "field target: needs one of account, post or hashtag",
        ),
        (
            format!(
                r#"{{"type":"report",{base},"reporter":null,"target":{{"account":"a"}},"category":"bad"}}"#
            ),
            "field category: \"bad\" is not one of",
        ),
        (
            format!(r#"{{"type":"enforcement",{base},"account":"a","action":"nuke"}}"#),
            "field action: \"nuke\" is not one of ban, suspend, restore",
        ),
        ("[1,2]".to_owned(), "field (line): not a JSON object"),
        ("{\"type\":".to_owned(), "field (line): not valid JSON"),
    ];
    for (line, expected) in cases {
        let got = first_error(&line);
        assert!(got.starts_with(expected), "for {line}\n  got      {got}\n  expected {expected}");
    }
}

// See: #26
#[test]
fn time_errors_say_what_is_missing() {
    let missing = [
        ("2026-03-01T10:00:00", "missing time-zone offset (Z or +hh:mm)"),
        ("2026-03-01T10:00:00.250", "missing time-zone offset (Z or +hh:mm)"),
        ("2026-03-01 10:00:00", "missing time-zone offset (Z or +hh:mm)"),
        ("2026-03-01T10:00", "missing seconds and time-zone offset"),
        ("2026-03-01", "missing time of day and time-zone offset"),
    ];
    for (text, needle) in missing {
        let err = Timestamp::parse(text).unwrap_err();
        assert!(err.contains(needle), "{text}: {err}");
    }
    // Something wrong rather than missing keeps chrono's reason.
    let err = Timestamp::parse("2026-13-01T10:00:00Z").unwrap_err();
    assert!(err.starts_with("not an RFC 3339 time (") && !err.contains("missing"), "{err}");
    let err =
        first_error(r#"{"type":"follow","id":"e","at":"2026-03-01T10:00:00","from":"a","to":"b"}"#);
    assert!(err.contains("field at: not an RFC 3339 time: missing time-zone offset"), "{err}");
}

/// The chain `{:#}` prints (as the CLI does): the message, then each source.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

// See: #26
#[test]
fn errors_that_include_their_cause_do_not_repeat_it_as_source() {
    let line = r#"{"type":"follow","id":"e1","at":"2026-03-01T10:01:00Z","from":"u2"}"#;
    let err = EventReader::new(line.as_bytes()).next().unwrap().unwrap_err();
    assert_eq!(chain(&err), "line 1, field to: missing");
    let err = Lexicon::from_toml("format = 1\nname = ").unwrap_err();
    let text = chain(&err);
    let first_line = text.lines().next().unwrap_or("");
    assert_eq!(text.matches(first_line).count(), 1, "{text}");
    assert!(std::error::Error::source(&err).is_none(), "{text}");
    let err = Truth::from_json("{").unwrap_err();
    assert!(std::error::Error::source(&err).is_none(), "{err}");
}

#[test]
fn unknown_types_are_skipped_only_when_asked() {
    let text = "{\"type\":\"story\",\"id\":\"e1\",\"at\":\"2026-03-01T10:01:00Z\"}\n{\"type\":\"follow\",\"id\":\"e2\",\"at\":\"2026-03-01T10:01:00Z\",\"from\":\"u2\",\"to\":\"u1\"}\n";
    let strict = read_all(text, ReaderConfig::default());
    assert!(strict[0].as_ref().unwrap_err().starts_with("line 1, field type: unknown event type"));
    let mut reader = EventReader::with_config(
        text.as_bytes(),
        ReaderConfig { skip_unknown_types: true, ..ReaderConfig::default() },
    );
    assert!(reader.next().unwrap().is_ok());
    assert!(reader.next().is_none());
    assert_eq!(reader.stats().skipped_unknown, 1);
    assert_eq!(reader.stats().events, 1);
}

#[test]
fn overlong_and_non_utf8_lines_are_rejected_and_reading_continues() {
    let mut text = Vec::new();
    text.extend_from_slice(b"{\"type\":\"follow\",\"id\":\"");
    text.extend(std::iter::repeat_n(b'x', 200));
    text.extend_from_slice(b"\"}\n\xff\xfe\n{\"type\":\"follow\",\"id\":\"e2\",\"at\":\"2026-03-01T10:01:00Z\",\"from\":\"u2\",\"to\":\"u1\"}");
    let config = ReaderConfig { max_line_bytes: 100, ..ReaderConfig::default() };
    let results: Vec<_> = EventReader::with_config(&text[..], config).collect();
    assert_eq!(results.len(), 3);
    let e0 = results[0].as_ref().unwrap_err().to_string();
    assert!(
        e0.starts_with("line 1, field (line): line is 226 bytes, longer than the limit"),
        "{e0}"
    );
    let e1 = results[1].as_ref().unwrap_err().to_string();
    assert_eq!(e1, "line 2, field (line): not valid UTF-8 at byte 0");
    assert!(results[2].is_ok(), "a final line without newline is read");
}

#[test]
fn crlf_and_offsets_are_accepted() {
    let text = "{\"type\":\"follow\",\"id\":\"e2\",\"at\":\"2026-03-01T12:01:00+02:00\",\"from\":\"u2\",\"to\":\"u1\"}\r\n";
    let event = EventReader::new(text.as_bytes()).next().unwrap().unwrap();
    assert_eq!(event.at.to_rfc3339(), "2026-03-01T10:01:00Z");
}

#[test]
fn truth_accepts_extra_keys() {
    let truth = Truth::from_json(
        r#"{"network":{"u17":"seller"},"persons":{"u17":"person-3"},"niches":{"embroidery":["u1"]},"minors":["u40"],"extra":1}"#,
    )
    .unwrap();
    assert_eq!(truth.network["u17"], "seller");
    assert_eq!(Truth::from_json(&truth.to_json()).unwrap(), truth);
}

#[test]
fn public_types_are_send_sync_unwind_safe() {
    fn assert_all<T: Send + Sync + std::panic::UnwindSafe>() {}
    assert_all::<Event>();
    // io::Error inside EventError is not UnwindSafe; Send + Sync is what callers need.
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<EventError>();
    assert_all::<FieldError>();
    assert_all::<Truth>();
    assert_all::<EventReader<&[u8]>>();
    assert_all::<RiskTier>();
}

// ---- property test: any event serialised and parsed again is equal ----

fn id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:/._-]{1,12}"
}

fn text() -> impl Strategy<Value = String> {
    // Arbitrary Unicode, including quotes, controls and escapes.
    any::<String>().prop_map(|s| s.chars().take(40).collect())
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

fn account_id() -> impl Strategy<Value = AccountId> {
    id().prop_map(AccountId::new)
}

fn post_id() -> impl Strategy<Value = PostId> {
    id().prop_map(PostId::new)
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000, prop_oneof![Just(0i64), 0i64..1_000_000_000])
        .prop_map(|(s, n)| Timestamp::from_unix_nanos(s * 1_000_000_000 + n))
}

fn media() -> impl Strategy<Value = Media> {
    (
        prop_oneof![Just(MediaKind::Image), Just(MediaKind::Video)],
        opt(any::<[u8; 32]>().prop_map(Pdq)),
        opt(any::<[u8; 16]>().prop_map(Md5)),
        opt(any::<[u8; 32]>().prop_map(Sha256)),
    )
        .prop_map(|(kind, pdq, md5, sha256)| Media { kind, pdq, md5, sha256 })
}

fn kind() -> impl Strategy<Value = EventKind> {
    let list = || proptest::collection::vec(text(), 0..3);
    let account = (
        account_id(),
        "[^\u{0}]{1,10}",
        opt(text()),
        opt(text()),
        opt(list()),
        opt(prop_oneof![Just(AgeBand::Minor), Just(AgeBand::Adult), Just(AgeBand::Unknown)]),
        opt((list(), list(), list(), list()).prop_map(
            |(device, email_hash, phone_hash, payment)| Identifiers {
                device,
                email_hash,
                phone_hash,
                payment,
            },
        )),
    )
        .prop_map(|(account, handle, display_name, bio, links, age_band, identifiers)| {
            EventKind::Account(AccountEvent {
                account,
                handle,
                display_name,
                bio,
                links,
                age_band,
                identifiers,
            })
        });
    let follow = || (account_id(), account_id()).prop_map(|(from, to)| FollowEvent { from, to });
    let view_target = prop_oneof![
        account_id().prop_map(ViewTarget::Account),
        post_id().prop_map(ViewTarget::Post)
    ];
    let post = (
        post_id(),
        account_id(),
        opt(text()),
        proptest::collection::vec("[a-z0-9_]{1,10}", 0..3),
        proptest::collection::vec(media(), 0..3),
    )
        .prop_map(|(post, author, caption, hashtags, media)| {
            EventKind::Post(PostEvent { post, author, caption, hashtags, media })
        });
    let report_target = prop_oneof![
        account_id().prop_map(ReportTarget::Account),
        post_id().prop_map(ReportTarget::Post),
        "[a-z0-9_]{1,10}".prop_map(ReportTarget::Hashtag),
    ];
    let report = (
        opt(account_id()),
        report_target,
        proptest::sample::select(ReportCategory::ALL.to_vec()),
        opt(text()),
    )
        .prop_map(|(reporter, target, category, text)| {
            EventKind::Report(ReportEvent { reporter, target, category, text })
        });
    let enforcement = (
        account_id(),
        prop_oneof![
            Just(EnforcementAction::Ban),
            Just(EnforcementAction::Suspend),
            Just(EnforcementAction::Restore)
        ],
        opt(text()),
        opt(text()),
    )
        .prop_map(|(account, action, reason, confirmed_category)| {
            EventKind::Enforcement(EnforcementEvent { account, action, reason, confirmed_category })
        });
    prop_oneof![
        account,
        follow().prop_map(EventKind::Follow),
        follow().prop_map(EventKind::Unfollow),
        (account_id(), view_target)
            .prop_map(|(viewer, target)| EventKind::View(ViewEvent { viewer, target })),
        post,
        (account_id(), post_id())
            .prop_map(|(actor, post)| EventKind::Like(LikeEvent { actor, post })),
        (id(), account_id(), post_id(), text()).prop_map(|(comment, actor, post, text)| {
            EventKind::Comment(CommentEvent { comment: CommentId::new(comment), actor, post, text })
        }),
        (account_id(), text())
            .prop_map(|(actor, query)| EventKind::Search(SearchEvent { actor, query })),
        report,
        enforcement,
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (id(), timestamp(), kind()).prop_map(|(id, at, kind)| Event { id: EventId::new(id), at, kind })
}

proptest! {
    #[test]
    fn any_event_round_trips(event in event()) {
        let line = event.to_json_line();
        prop_assert!(!line.contains('\n'));
        let parsed = Event::from_json_line(&line);
        prop_assert_eq!(parsed.as_ref(), Ok(&event), "line: {}", line);
    }

    #[test]
    fn timestamp_serde_round_trips(at in timestamp()) {
        let json = serde_json::to_string(&at).unwrap();
        prop_assert_eq!(&json, &format!("\"{}\"", at.to_rfc3339()));
        prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), at);
    }

    #[test]
    fn hex_round_trips(bytes in any::<[u8; 32]>()) {
        let pdq = Pdq(bytes);
        prop_assert_eq!(Pdq::from_hex(&pdq.to_hex()), Ok(pdq));
        prop_assert_eq!(Pdq::from_hex(&pdq.to_hex().to_uppercase()), Ok(pdq));
    }

    #[test]
    fn reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for result in EventReader::new(&bytes[..]) {
            let _ = result;
        }
    }
}

/// Edits that turn a valid line into a near-valid one: a field's value
/// emptied, nulled, made a number, a key dropped or duplicated, a byte cut.
fn mutate(line: &str, pick: usize, how: u8) -> String {
    let keys: Vec<usize> = line.match_indices("\":").map(|(i, _)| i).collect();
    if keys.is_empty() {
        return line.to_owned();
    }
    let at = keys[pick % keys.len()] + 2;
    let rest = &line[at..];
    let value_end = if let Some(inner) = rest.strip_prefix('"') {
        inner.find('"').map_or(rest.len(), |i| i + 2)
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    let (head, tail) = (&line[..at], &rest[value_end..]);
    match how % 6 {
        0 => format!("{head}\"\"{tail}"),
        1 => format!("{head}null{tail}"),
        2 => format!("{head}7{tail}"),
        3 => format!("{head}\"#x\"{tail}"),
        4 => {
            let key_start = line[..at - 2].rfind('"').unwrap_or(0);
            format!("{},{}", &line[..line.len() - 1], &line[key_start..at + value_end]) + "}"
        }
        _ => line.chars().take(pick % line.len().max(1)).collect(),
    }
}

proptest! {
    #[test]
    fn fast_and_validating_parsers_agree(event in event(), pick in 0usize..64, how in 0u8..6) {
        let line = event.to_json_line();
        for text in [line.clone(), mutate(&line, pick, how)] {
            let slow = crate::parse::parse_validating(&text, false);
            match crate::fast::parse_fast(&text) {
                // The fast path may decline anything, but what it accepts the
                // validating parser accepts identically.
                Some(fast) => prop_assert_eq!(slow, Ok(Some(fast)), "line: {}", text),
                None => prop_assert!(text != line || slow.is_err(), "declined a valid line: {}", text),
            }
            if let Some((at, i)) = Event::interaction_of_line(&text) {
                let Ok(Some(event)) = crate::parse::parse_validating(&text, false) else {
                    return Err(TestCaseError::fail(format!("interaction from an invalid line: {text}")));
                };
                prop_assert_eq!(at, event.at);
                let same = match (i, &event.kind) {
                    (Interaction::Follow(a, b), EventKind::Follow(e))
                    | (Interaction::Unfollow(a, b), EventKind::Unfollow(e)) => a == e.from.as_str() && b == e.to.as_str(),
                    (Interaction::ViewAccount(a, b), EventKind::View(e)) => {
                        a == e.viewer.as_str() && matches!(&e.target, ViewTarget::Account(x) if x.as_str() == b)
                    }
                    (Interaction::ViewPost(a, b), EventKind::View(e)) => {
                        a == e.viewer.as_str() && matches!(&e.target, ViewTarget::Post(x) if x.as_str() == b)
                    }
                    (Interaction::Like(a, b), EventKind::Like(e)) => a == e.actor.as_str() && b == e.post.as_str(),
                    (Interaction::Comment(a, b, t), EventKind::Comment(e)) => {
                        a == e.actor.as_str() && b == e.post.as_str() && t == e.text
                    }
                    _ => false,
                };
                prop_assert!(same, "{:?} vs {:?}", i, event);
            } else if text == line {
                let plain = !line.contains('\\');
                let interaction = matches!(
                    event.kind,
                    EventKind::Follow(_) | EventKind::Unfollow(_) | EventKind::View(_) | EventKind::Like(_) | EventKind::Comment(_)
                );
                prop_assert!(!(plain && interaction), "declined a plain interaction: {}", line);
            }
        }
    }
}
