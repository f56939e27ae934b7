//! The store test suite, run against every backend: SQLite always, and
//! PostgreSQL when `GUARDRAIL_TEST_POSTGRES_URL` names a server (required when
//! `GUARDRAIL_REQUIRE_POSTGRES=1`, as `cargo xtask ci` sets it). Each test gets
//! its own SQLite file and its own PostgreSQL schema.

use std::sync::atomic::{AtomicU32, Ordering};

use guardrail_core::{
    Channel, ChannelCount, Event, EventType, IdentifierKind, IdentityEvidence, NamedAccount,
    PersonEvidence, Reason, RiskTier, Severity, Surface, Tie, Timestamp,
};
use guardrail_store::{
    ingest, open, Backend, ConflictPolicy, IngestError, IngestOptions, NewEvent, RunStatus, Store,
    StoreError,
};
use proptest::prelude::*;

mod review;

struct Target {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Target {
    fn open(&self) -> Box<dyn Store> {
        open(&self.url).unwrap_or_else(|e| panic!("opening {}: {e}", self.url))
    }
}

fn targets() -> Vec<Target> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = tempfile::tempdir().unwrap();
    let mut out =
        vec![Target { url: dir.path().join("t.db").display().to_string(), _dir: Some(dir) }];
    match std::env::var("GUARDRAIL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let schema = format!(
                "t_{}_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos()
            );
            let sep = if url.contains('?') { '&' } else { '?' };
            out.push(Target { url: format!("{url}{sep}schema={schema}"), _dir: None });
        }
        _ => assert!(
            std::env::var("GUARDRAIL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "GUARDRAIL_REQUIRE_POSTGRES=1 but GUARDRAIL_TEST_POSTGRES_URL is not set"
        ),
    }
    out
}

fn follow(id: &str, minute: u32) -> String {
    format!(
        r#"{{"type":"follow","id":"{id}","at":"2026-03-01T10:{:02}:00Z","from":"u2","to":"u1"}}"#,
        minute % 60
    )
}

fn account(id: &str, account: &str, handle: &str, band: Option<&str>) -> String {
    let band = band.map(|b| format!(r#","age_band":"{b}""#)).unwrap_or_default();
    format!(
        r#"{{"type":"account","id":"{id}","at":"2026-03-01T09:00:00.5Z","account":"{account}","handle":"{handle}"{band}}}"#
    )
}

fn new_event(line: &str) -> NewEvent {
    NewEvent::from_event(&Event::from_json_line(line).unwrap())
}

fn all_events(store: &mut dyn Store) -> Vec<guardrail_store::StoredEvent> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 7).unwrap();
        let Some(last) = page.last() else { return out };
        after = last.seq;
        out.extend(page);
    }
}

#[test]
fn append_is_idempotent_on_event_id() {
    for t in targets() {
        let mut store = t.open();
        let batch: Vec<NewEvent> =
            (0..5).map(|i| new_event(&follow(&format!("e{i}"), i))).collect();
        let first = store.append(&batch, None).unwrap();
        assert_eq!((first.inserted, first.duplicates), (5, 0), "{:?}", store.backend());
        let again = store.append(&batch, None).unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, 5));
        // Repeats inside one batch count as duplicates too.
        let repeated = vec![new_event(&follow("x", 1)), new_event(&follow("x", 1))];
        let outcome = store.append(&repeated, None).unwrap();
        assert_eq!((outcome.inserted, outcome.duplicates), (1, 1));
        assert_eq!(outcome.conflicts, Vec::<usize>::new());
        assert!(store.contains_event("x").unwrap());
        assert!(!store.contains_event("y").unwrap());
        let stored = all_events(store.as_mut());
        assert_eq!(stored.len(), 6);
        assert_eq!(stored[5].event().unwrap().at.to_rfc3339(), "2026-03-01T10:01:00Z");
        // Reopening sees the same data.
        drop(store);
        assert_eq!(t.open().summary().unwrap().total_events(), 6);
    }
}

// See: #26
#[test]
fn the_same_id_with_other_content_is_a_conflict_not_a_duplicate() {
    for t in targets() {
        let mut store = t.open();
        store.append(&[new_event(&follow("e1", 1))], None).unwrap();
        // Unknown fields and key order do not change the canonical body.
        let same_e1 = r#"{"at":"2026-03-01T10:01:00Z","id":"e1","type":"follow","to":"u1","from":"u2","extra":1}"#;
        let batch = vec![
            new_event(same_e1),
            new_event(&follow("e1", 2)),
            new_event(&follow("e2", 3)),
            new_event(&follow("e2", 4)),
            new_event(&follow("e2", 3)),
        ];
        let outcome = store.append(&batch, None).unwrap();
        assert_eq!((outcome.inserted, outcome.duplicates), (1, 2), "{}", t.url);
        assert_eq!(outcome.conflicts, vec![1, 3], "{}", t.url);
        let stored = all_events(store.as_mut());
        let times: Vec<String> =
            stored.iter().map(|e| e.event().unwrap().at.to_rfc3339()).collect();
        assert_eq!(times, ["2026-03-01T10:01:00Z", "2026-03-01T10:03:00Z"], "first content kept");

        // Rejecting: a batch with a conflict stores nothing, and says where it is.
        let batch = vec![new_event(&follow("e3", 5)), new_event(&follow("e1", 9))];
        let outcome = store.append_with(&batch, None, ConflictPolicy::Reject).unwrap();
        assert_eq!((outcome.inserted, outcome.duplicates, outcome.conflicts), (0, 0, vec![1]));
        assert!(!store.contains_event("e3").unwrap(), "{}", t.url);
        // A later account event under a new id updates the account; one
        // under a stored id with other content is a conflict and does not.
        let first = new_event(&account("a1", "u1", "one", Some("adult")));
        store.append(&[first], None).unwrap();
        let reused = new_event(&account("a1", "u1", "one", Some("minor")));
        let outcome = store.append(&[reused], None).unwrap();
        assert_eq!(outcome.conflicts, vec![0]);
        assert_eq!(store.summary().unwrap().minor_accounts, 0, "{}", t.url);
        store.append(&[new_event(&account("a2", "u1", "one", Some("minor")))], None).unwrap();
        assert_eq!(store.summary().unwrap().minor_accounts, 1, "{}", t.url);
    }
}

#[test]
fn events_come_back_in_order_and_equal() {
    for t in targets() {
        let mut store = t.open();
        let lines = [
            account("a1", "u1", "threadwork", Some("adult")),
            follow("f1", 3),
            r#"{"type":"post","id":"p","at":"2026-03-01T10:02:00Z","post":"p1","author":"u1","caption":"tab\there \"quoted\" \\ back","hashtags":["embroidery"],"media":[{"kind":"image","pdq":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"}]}"#.to_owned(),
            r#"{"type":"report","id":"r","at":"2026-03-01T10:03:00Z","reporter":null,"target":{"hashtag":"x"},"category":"spam","text":"ünïcödé ✓"}"#.to_owned(),
        ];
        let batch: Vec<NewEvent> = lines.iter().map(|l| new_event(l)).collect();
        store.append(&batch, None).unwrap();
        let stored = all_events(store.as_mut());
        assert_eq!(stored.len(), lines.len());
        for (s, line) in stored.iter().zip(&lines) {
            assert_eq!(s.event().unwrap(), Event::from_json_line(line).unwrap());
        }
        assert!(stored.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(stored[0].kind, EventType::Account);
        assert_eq!(store.events_after(stored[3].seq, 10).unwrap(), vec![]);
    }
}

#[test]
fn summary_counts_types_accounts_and_minors() {
    for t in targets() {
        let mut store = t.open();
        let batch = vec![
            new_event(&account("a1", "u1", "one", Some("minor"))),
            new_event(&account("a2", "u2", "two", Some("adult"))),
            new_event(&follow("f1", 1)),
        ];
        store.append(&batch, None).unwrap();
        // A later update without age_band keeps the declared band; a new band replaces it.
        store.append(&[new_event(&account("a3", "u1", "one-renamed", None))], None).unwrap();
        let s = store.summary().unwrap();
        assert_eq!((s.accounts, s.minor_accounts), (2, 1));
        store.append(&[new_event(&account("a4", "u2", "two", Some("minor")))], None).unwrap();
        let s = store.summary().unwrap();
        assert_eq!((s.accounts, s.minor_accounts), (2, 2));
        assert_eq!(s.events_of(EventType::Account), 4);
        assert_eq!(s.events_of(EventType::Follow), 1);
        assert_eq!(s.events_of(EventType::Search), 0);
        assert_eq!(s.total_events(), 5);
        let (first, last) = s.time_span.unwrap();
        assert!(first < last);
        // Within one batch too: the band survives an update that omits it.
        store
            .append(
                &[
                    new_event(&account("b1", "u9", "nine", Some("minor"))),
                    new_event(&account("b2", "u9", "nine2", None)),
                ],
                None,
            )
            .unwrap();
        assert_eq!(store.summary().unwrap().minor_accounts, 3);
    }
}

fn stream(n: usize) -> String {
    (0..n).map(|i| follow(&format!("e{i}"), i as u32) + "\n").collect()
}

#[test]
fn ingest_twice_adds_nothing_and_records_runs() {
    for t in targets() {
        let mut store = t.open();
        let input = stream(2_500);
        let options = IngestOptions { batch_size: 1_000, ..IngestOptions::default() };
        let mut batches = 0;
        let first =
            ingest(input.as_bytes(), store.as_mut(), "s.jsonl", &options, &mut |_| batches += 1)
                .unwrap();
        assert_eq!((first.inserted, first.duplicates, first.lines), (2_500, 0, 2_500));
        assert_eq!(batches, 3);
        let second =
            ingest(input.as_bytes(), store.as_mut(), "s.jsonl", &options, &mut |_| {}).unwrap();
        assert_eq!((second.inserted, second.duplicates), (0, 2_500));
        let runs = store.runs().unwrap();
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().all(|r| r.status == RunStatus::Complete && r.lines == 2_500));
        assert_eq!((runs[1].inserted, runs[1].duplicates), (0, 2_500));
        assert_eq!(store.summary().unwrap().total_events(), 2_500);
    }
}

#[test]
fn strict_ingest_stops_at_the_first_bad_line_and_keeps_what_came_before() {
    for t in targets() {
        let mut store = t.open();
        let mut input = stream(30);
        input.push_str(r#"{"type":"follow","id":"bad","at":"2026-03-01T10:00:00Z","from":"u2"}"#);
        input.push('\n');
        input.push_str(&follow("after", 1));
        let options = IngestOptions { batch_size: 8, ..IngestOptions::default() };
        let err = ingest(input.as_bytes(), store.as_mut(), "bad.jsonl", &options, &mut |_| {})
            .unwrap_err();
        let IngestError::Invalid { line, error: source, report } = &err else { panic!("{err}") };
        assert_eq!(*line, 31);
        assert_eq!(source.field, "to");
        assert!(err.to_string().starts_with("line 31, field to: "), "{err}");
        assert_eq!(report.inserted, 30);
        assert!(store.contains_event("e29").unwrap());
        assert!(!store.contains_event("after").unwrap());
        let runs = store.runs().unwrap();
        assert_eq!(runs[0].status, RunStatus::Failed);
        assert_eq!(runs[0].lines, 30);
        assert!(runs[0].error.as_deref().unwrap_or("").contains("line 31, field to"));
    }
}

// See: #26
#[test]
fn strict_ingest_stops_at_a_conflicting_id_and_keeps_what_came_before() {
    for t in targets() {
        let mut store = t.open();
        let options = IngestOptions { batch_size: 8, ..IngestOptions::default() };
        ingest(stream(30).as_bytes(), store.as_mut(), "first", &options, &mut |_| {}).unwrap();
        // Lines 1-10 are duplicates, 11-15 new, 16 sends e3 again with other content.
        let mut input: String = stream(10);
        for i in 0..5 {
            input.push_str(&(follow(&format!("n{i}"), i) + "\n"));
        }
        input.push_str(&(follow("e3", 59) + "\n"));
        input.push_str(&(follow("after", 1) + "\n"));
        let err =
            ingest(input.as_bytes(), store.as_mut(), "second", &options, &mut |_| {}).unwrap_err();
        let IngestError::Conflict { conflict, report } = &err else { panic!("{err}") };
        assert_eq!((conflict.line, conflict.id.as_str()), (16, "e3"), "{}", t.url);
        assert!(
            err.to_string().starts_with(
                "line 16: event id e3 was already ingested with different content; \
                 send a new id for a new state"
            ),
            "{err}"
        );
        assert_eq!((report.inserted, report.duplicates, report.lines), (5, 10, 15));
        assert!(store.contains_event("n4").unwrap());
        assert!(!store.contains_event("after").unwrap());
        let stored = all_events(store.as_mut());
        let e3 = stored.iter().find(|e| e.id == "e3").unwrap();
        assert_eq!(e3.event().unwrap().at.to_rfc3339(), "2026-03-01T10:03:00Z", "unchanged");
        let runs = store.runs().unwrap();
        assert_eq!((runs[1].status, runs[1].lines, runs[1].inserted), (RunStatus::Failed, 15, 5));
        assert!(runs[1].error.as_deref().unwrap_or("").contains("line 16: event id e3"));

        // A repeat inside one input is a conflict too, even in one batch;
        // what comes after it is not counted (the unknown type on line 4).
        let input = format!(
            "{}\n{}\n{}\n{}\n",
            follow("x", 1),
            follow("y", 2),
            follow("x", 3),
            r#"{"type":"mystery","id":"m","at":"2026-03-01T10:00:00Z"}"#
        );
        let options = IngestOptions { skip_unknown_types: true, ..IngestOptions::default() };
        let err =
            ingest(input.as_bytes(), store.as_mut(), "third", &options, &mut |_| {}).unwrap_err();
        let IngestError::Conflict { conflict, report } = &err else { panic!("{err}") };
        assert_eq!((conflict.line, conflict.id.as_str(), report.inserted), (3, "x", 2));
        assert_eq!((report.lines, report.skipped_unknown), (2, 0));
        assert!(store.contains_event("y").unwrap());
    }
}

// See: #26
#[test]
fn skip_invalid_counts_and_lists_conflicts_and_records_them_in_the_run() {
    for t in targets() {
        let mut store = t.open();
        let options =
            IngestOptions { batch_size: 7, skip_invalid: true, ..IngestOptions::default() };
        ingest(stream(30).as_bytes(), store.as_mut(), "first", &options, &mut |_| {}).unwrap();
        // Every id again, 25 of them with other content, and one new event.
        let mut input = String::new();
        for i in 0..30u32 {
            let minute = if i < 25 { i + 30 } else { i };
            input.push_str(&(follow(&format!("e{i}"), minute) + "\n"));
        }
        input.push_str(&(follow("new", 1) + "\n"));
        let report =
            ingest(input.as_bytes(), store.as_mut(), "second", &options, &mut |_| {}).unwrap();
        assert_eq!((report.inserted, report.duplicates, report.conflicts), (1, 5, 25), "{}", t.url);
        assert_eq!(report.events(), 31);
        assert_eq!(report.conflict_list.len(), 20, "the first 20 are listed");
        assert_eq!((report.conflict_list[0].line, report.conflict_list[0].id.as_str()), (1, "e0"));
        assert_eq!(report.conflict_list[19].line, 20);
        assert!(report.conflict_list[0].to_string().starts_with("line 1: event id e0 was already"));
        let runs = store.runs().unwrap();
        assert_eq!(
            (runs[1].status, runs[1].conflicts, runs[1].inserted),
            (RunStatus::Complete, 25, 1)
        );
        assert_eq!(runs[0].conflicts, 0);
        assert_eq!(store.summary().unwrap().total_events(), 31);
    }
}

#[test]
fn skip_invalid_counts_each_bad_line_and_loads_the_rest() {
    for t in targets() {
        let mut store = t.open();
        let input = format!(
            "{}\nnot json\n{}\n{{\"type\":\"mystery\",\"id\":\"m\",\"at\":\"2026-03-01T10:00:00Z\"}}\n\n{}\n",
            follow("a", 1),
            follow("b", 2),
            follow("c", 3)
        );
        let options = IngestOptions { skip_invalid: true, ..IngestOptions::default() };
        let report = ingest(input.as_bytes(), store.as_mut(), "-", &options, &mut |_| {}).unwrap();
        assert_eq!((report.inserted, report.invalid, report.lines), (3, 2, 6));
        assert_eq!(report.errors.len(), 2);
        assert!(report.errors[0].starts_with("line 2, field (line): "), "{:?}", report.errors);
        assert!(report.errors[1].starts_with("line 4, field type: "), "{:?}", report.errors);
        // Told to skip unknown types, the unknown one is no longer invalid.
        let options = IngestOptions { skip_unknown_types: true, ..options };
        let report = ingest(input.as_bytes(), store.as_mut(), "-", &options, &mut |_| {}).unwrap();
        assert_eq!((report.duplicates, report.invalid, report.skipped_unknown), (3, 1, 1));
    }
}

#[test]
fn an_interrupted_ingest_resumes_without_duplicates() {
    for t in targets() {
        let mut store = t.open();
        let full = stream(1_000);
        // The first run sees only part of the file (as if killed), the second all of it.
        let cut = full.char_indices().filter(|(_, c)| *c == '\n').nth(399).unwrap().0 + 1;
        let options = IngestOptions { batch_size: 64, ..IngestOptions::default() };
        ingest(&full.as_bytes()[..cut], store.as_mut(), "f", &options, &mut |_| {}).unwrap();
        let report = ingest(full.as_bytes(), store.as_mut(), "f", &options, &mut |_| {}).unwrap();
        assert_eq!((report.inserted, report.duplicates), (600, 400));
        let ids: Vec<String> = all_events(store.as_mut()).into_iter().map(|e| e.id).collect();
        let expected: Vec<String> = (0..1_000).map(|i| format!("e{i}")).collect();
        assert_eq!(ids, expected);
    }
}

#[test]
fn newer_schema_is_refused_and_reopening_is_a_no_op() {
    for t in targets() {
        let mut store = t.open();
        assert_eq!(store.schema_version().unwrap(), guardrail_store::SCHEMA_VERSION);
        store.append(&[new_event(&follow("keep", 1))], None).unwrap();
        drop(store);
        let mut store = t.open();
        assert!(store.contains_event("keep").unwrap());
        // Pretend a newer guardrail migrated this database.
        let future = guardrail_store::SCHEMA_VERSION + 1;
        match store.backend() {
            Backend::Sqlite => {
                let path = t.url.clone();
                drop(store);
                assert!(mark_sqlite_newer(&path, future), "could not mark the schema as newer");
            }
            Backend::Postgres => {
                drop(store);
                mark_postgres_newer(&t.url, future);
            }
        }
        let err = open(&t.url).err().expect("a newer schema must be refused");
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
        assert!(err.to_string().contains("newer"), "{err}");
    }
}

// See: #26
#[test]
fn migration_4_adds_conflicts_to_the_runs_of_an_existing_database() {
    for t in targets() {
        let mut store = t.open();
        ingest(stream(3).as_bytes(), store.as_mut(), "old", &IngestOptions::default(), &mut |_| {})
            .unwrap();
        drop(store);
        // Take the database back to schema version 3, as an older guardrail
        // left it (undoing migration 5 first).
        let undo = "DROP TABLE scan_reasons; DELETE FROM schema_migrations WHERE version = 5; \
                    ALTER TABLE ingest_runs DROP COLUMN conflicts; \
                    DELETE FROM schema_migrations WHERE version = 4;";
        if t._dir.is_some() {
            rusqlite::Connection::open(&t.url).unwrap().execute_batch(undo).unwrap();
        } else {
            let (base, schema) = t.url.split_once("?schema=").unwrap();
            let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
            client.batch_execute(&format!("SET search_path TO \"{schema}\"; {undo}")).unwrap();
        }
        let mut store = guardrail_store::open_existing(&t.url).unwrap();
        // Migrations 4 and 5 ran again although a later one (7) is recorded:
        // the runner applies every unrecorded version, not only those above
        // the highest.
        let versions = schema_versions(&t.url);
        assert!(
            versions.contains(&4) && versions.contains(&5) && versions.contains(&7),
            "{versions:?}"
        );
        assert_eq!(store.schema_version().unwrap(), guardrail_store::SCHEMA_VERSION, "{}", t.url);
        let runs = store.runs().unwrap();
        assert_eq!((runs.len(), runs[0].inserted, runs[0].conflicts), (1, 3, 0), "{}", t.url);
    }
}

/// The migration versions recorded in a database, behind the store's back.
fn schema_versions(url: &str) -> Vec<i64> {
    let sql = "SELECT version FROM schema_migrations ORDER BY version";
    match url.split_once("?schema=") {
        None => {
            let conn = rusqlite::Connection::open(url).unwrap();
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| r.get(0)).unwrap();
            rows.map(Result::unwrap).collect()
        }
        Some((base, schema)) => {
            let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
            client.batch_execute(&format!("SET search_path TO \"{schema}\"")).unwrap();
            client.query(sql, &[]).unwrap().iter().map(|r| i64::from(r.get::<_, i32>(0))).collect()
        }
    }
}

/// Marks an SQLite database as migrated by a newer guardrail, behind the store's back.
fn mark_sqlite_newer(path: &str, version: u32) -> bool {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 'x')",
        [version],
    )
    .is_ok()
}

fn mark_postgres_newer(url: &str, version: u32) {
    let (base, schema) = url.split_once("?schema=").unwrap();
    let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "INSERT INTO \"{schema}\".schema_migrations (version, name, applied_at) \
             VALUES ({version}, 'future', 'x')"
        ))
        .unwrap();
}

#[test]
fn bad_urls_are_explained() {
    for (url, needle) in [
        ("", "no file path"),
        ("mysql://x", "unknown scheme"),
        ("/no/such/dir/g.db", "does not exist"),
        ("postgres://h/db?schema=Bad", "schema"),
    ] {
        let err = open(url).err().expect("must fail");
        assert!(err.to_string().contains(needle), "{url}: {err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Model check: whatever batches arrive, in whatever split and under
    /// either conflict policy, the store holds exactly the first occurrence
    /// of every id, in arrival order; a later occurrence is a duplicate when
    /// its content is the same and a conflict when it differs; a rejected
    /// batch (a conflict under `Reject`) stores nothing.
    #[test]
    fn store_matches_first_occurrence_model(
        events in proptest::collection::vec((0u8..40, 0u32..3), 1..120),
        split in proptest::collection::vec((1usize..30, any::<bool>()), 1..10),
    ) {
        for t in targets() {
            let mut store = t.open();
            // The content of an event is its id and one of three times.
            let events: Vec<NewEvent> = events
                .iter()
                .map(|(id, variant)| new_event(&follow(&format!("e{id}"), *variant)))
                .collect();
            let mut model: Vec<&NewEvent> = Vec::new();
            let mut bodies = std::collections::HashMap::new();
            let mut rest = &events[..];
            let mut sizes = split.iter().cycle();
            while !rest.is_empty() {
                let (n, reject) = *sizes.next().unwrap();
                let n = n.min(rest.len());
                let batch = &rest[..n];
                rest = &rest[n..];
                let policy = if reject { ConflictPolicy::Reject } else { ConflictPolicy::Skip };
                let outcome = store.append_with(batch, None, policy).unwrap();
                // What the model expects of this batch.
                let mut seen = bodies.clone();
                let (mut new, mut inserted, mut duplicates, mut conflicts) = (Vec::new(), 0, 0, Vec::new());
                for (index, e) in batch.iter().enumerate() {
                    match seen.get(&e.id) {
                        None => {
                            seen.insert(e.id.clone(), e.body.clone());
                            new.push(e);
                            inserted += 1;
                        }
                        Some(body) if *body == e.body => duplicates += 1,
                        Some(_) => conflicts.push(index),
                    }
                }
                prop_assert_eq!(&outcome.conflicts, &conflicts);
                if reject && !conflicts.is_empty() {
                    prop_assert_eq!((outcome.inserted, outcome.duplicates), (0, 0));
                } else {
                    prop_assert_eq!((outcome.inserted, outcome.duplicates), (inserted, duplicates));
                    bodies = seen;
                    model.extend(new);
                }
            }
            let stored = all_events(store.as_mut());
            prop_assert_eq!(stored.len(), model.len());
            for (s, e) in stored.iter().zip(model) {
                prop_assert_eq!(&s.id, &e.id);
                prop_assert_eq!(&s.body, &e.body);
            }
        }
    }
}

fn risk(account: &str, tier: &str, score: f64) -> guardrail_store::RiskRow {
    guardrail_store::RiskRow {
        account: account.into(),
        tier: tier.parse().unwrap(),
        score,
        reasons: vec![
            Reason::Text { text: format!("reason for {account}") },
            Reason::LexiconHit {
                surface: Surface::Bio,
                matched: "a | b\nc".into(),
                terms: vec!["b".into()],
                level: Severity::Strong,
                span: (4, 5),
                source: None,
                handle: None,
            },
        ],
        network: (tier != "exposed").then_some(1),
        person: (account == "u1").then_some(1),
    }
}

fn shared_device(value: &str) -> IdentityEvidence {
    IdentityEvidence::SharedIdentifier {
        identifier: IdentifierKind::Device,
        value: value.into(),
        sharers: 2,
        weight: 0.625,
    }
}

fn person_row(person: i64, accounts: [&str; 2]) -> guardrail_store::PersonRow {
    guardrail_store::PersonRow {
        person,
        accounts: accounts.map(str::to_owned).to_vec(),
        evidence: vec![PersonEvidence::Link {
            accounts: accounts.map(str::to_owned),
            strength: 1.125,
            evidence: vec![
                shared_device("d-1"),
                IdentityEvidence::AfterBan {
                    banned: accounts[0].into(),
                    banned_at: "2026-02-01T00:00:00Z".into(),
                    weight: 0.5,
                },
            ],
        }],
    }
}

/// A scan whose accounts have typed reasons of several kinds: u1 is a
/// banned seller, r1 its return, u2 a buyer, u3 exposed.
fn typed_scan() -> guardrail_store::NewScan {
    let at = |t: &str| Timestamp::parse(t).unwrap();
    let row =
        |account: &str, tier: &str, score: f64, reasons: Vec<Reason>| guardrail_store::RiskRow {
            account: account.into(),
            tier: tier.parse().unwrap(),
            score,
            reasons,
            network: None,
            person: None,
        };
    let channels = vec![
        ChannelCount { channel: Channel::TiesOut, count: 3, degree: 12, expected: 0.0625 },
        // A channel without a baseline: infinite chance count.
        ChannelCount { channel: Channel::ViewsOut, count: 2, degree: 2, expected: f64::INFINITY },
        ChannelCount { channel: Channel::Coded, count: 0, degree: 0, expected: 0.25 },
    ];
    guardrail_store::NewScan {
        source: "events.jsonl".into(),
        summary: "{}".into(),
        accounts: vec![
            row(
                "u1",
                "confirmed",
                50.0,
                vec![
                    Reason::Enforcement {
                        action: guardrail_core::EnforcementAction::Ban,
                        at: at("2026-02-01T00:00:00Z"),
                    },
                    Reason::HashMatch {
                        post: "p1".into(),
                        bank: "known".into(),
                        hash_kind: "pdq".into(),
                        distance: 3,
                        more: 1,
                    },
                    Reason::HashMatch {
                        post: "p2".into(),
                        bank: "other".into(),
                        hash_kind: "md5".into(),
                        distance: 0,
                        more: 0,
                    },
                ],
            ),
            row(
                "r1",
                "confirmed",
                20.0,
                vec![Reason::BanEvasion {
                    banned: "u1".into(),
                    banned_at: at("2026-02-01T00:00:00Z"),
                    evidence: vec![shared_device("d-1")],
                }],
            ),
            row(
                "u2",
                "suspected",
                30.0,
                vec![
                    Reason::Behaviour { channels, p_value: 0.00048828125 },
                    Reason::MemberOf { network: Some(1), block: None },
                ],
            ),
            row(
                "u3",
                "exposed",
                1.5,
                vec![Reason::TouchedNetwork {
                    ties: vec![Tie {
                        account: NamedAccount::new("u1", "seller"),
                        kinds: vec![guardrail_core::InteractionKind::View],
                        outgoing: true,
                    }],
                }],
            ),
        ],
        persons: vec![person_row(1, ["u1", "r1"])],
    }
}

#[test]
fn scans_round_trip_and_bad_rows_store_nothing() {
    for t in targets() {
        let mut s = t.open();
        let scan = guardrail_store::NewScan {
            source: "events.jsonl".into(),
            summary: "{\"accounts\":3}".into(),
            accounts: vec![
                risk("u3", "exposed", 1.0),
                risk("u1", "confirmed", 40.0),
                risk("u6", "candidate", 95.0),
                risk("u2", "suspected", 90.0),
            ],
            persons: vec![person_row(1, ["u1", "u9"])],
        };
        let run = s.save_scan(&scan).unwrap();
        let rows = s.scan_accounts(run, None).unwrap();
        let order: Vec<&str> = rows.iter().map(|r| r.account.as_str()).collect();
        // Most severe first; a candidate for review (#18) after the suspects.
        assert_eq!(order, ["u1", "u2", "u6", "u3"], "{:?}", t.url);
        assert_eq!(rows[0], risk("u1", "confirmed", 40.0));
        assert_eq!(s.scan_accounts(run, Some(RiskTier::Suspected)).unwrap().len(), 1);
        assert_eq!(s.scan_accounts(run, Some(RiskTier::Candidate)).unwrap().len(), 1);
        assert_eq!(s.scan_persons(run).unwrap(), scan.persons);
        let runs = s.scans().unwrap();
        assert_eq!(
            (runs.len(), runs[0].id, runs[0].summary.as_str()),
            (1, run, "{\"accounts\":3}")
        );

        // A bad tier or score is refused with the account named, and nothing is stored.
        // (A tier that is no tier cannot be built: `RiskRow.tier` is a
        // `RiskTier`; a stored one that is not reads as a corrupt row, below.)
        let mut bad = scan.clone();
        assert!("maybe".parse::<RiskTier>().is_err());
        bad.accounts.push(risk("u7", "clear", 1.0));
        assert!(s.save_scan(&bad).unwrap_err().to_string().contains("u7"), "clear is not stored");
        bad.accounts.pop();
        bad.accounts.push(risk("u5", "suspected", f64::NAN));
        assert!(s.save_scan(&bad).unwrap_err().to_string().contains("u5"));
        assert_eq!(s.scans().unwrap().len(), 1);
    }
}

#[test]
fn typed_reasons_and_evidence_round_trip() {
    for t in targets() {
        let mut s = t.open();
        let scan = typed_scan();
        let run = s.save_scan(&scan).unwrap();
        let rows = s.scan_accounts(run, None).unwrap();
        let mut want = scan.accounts.clone();
        want.sort_by(|a, b| {
            let rank = |t: RiskTier| {
                ["confirmed", "suspected", "candidate", "exposed"]
                    .iter()
                    .position(|x| *x == t.as_str())
            };
            rank(a.tier).cmp(&rank(b.tier)).then(b.score.total_cmp(&a.score))
        });
        assert_eq!(rows, want, "{}", t.url);
        assert_eq!(s.scan_persons(run).unwrap(), scan.persons, "{}", t.url);
        // The lines a reviewer reads survive too.
        assert_eq!(
            rows[1].reasons[0].to_string(),
            "ban evasion: same person as u1 (banned 2026-02-01T00:00:00Z): shared device d-1 (2 accounts)"
        );
    }
}

#[test]
fn accounts_are_listed_by_reason_kind() {
    for t in targets() {
        let mut s = t.open();
        let first = s.save_scan(&typed_scan()).unwrap();
        // A second scan in which only u2 has a hash match: not mixed in.
        let mut later = typed_scan();
        later.accounts.retain(|a| a.account.as_str() == "u2");
        later.accounts[0].reasons.push(Reason::HashMatch {
            post: "p9".into(),
            bank: "known".into(),
            hash_kind: "sha256".into(),
            distance: 0,
            more: 0,
        });
        let second = s.save_scan(&later).unwrap();
        let ids = |rows: Vec<guardrail_store::RiskRow>| -> Vec<String> {
            rows.into_iter().map(|r| r.account.into_string()).collect()
        };
        let with = |s: &mut Box<dyn Store>, run, kind| {
            ids(s.scan_accounts_with_reason(run, kind).unwrap())
        };
        assert_eq!(
            with(&mut s, first, "hash_match"),
            ["u1"],
            "two matches, listed once: {}",
            t.url
        );
        assert_eq!(with(&mut s, first, "ban_evasion"), ["r1"]);
        assert_eq!(with(&mut s, first, "behaviour"), ["u2"]);
        assert_eq!(with(&mut s, first, "touched_network"), ["u3"]);
        assert_eq!(with(&mut s, second, "hash_match"), ["u2"]);
        // A known kind that no account has: an empty answer.
        assert!(with(&mut s, first, "candidate").is_empty());
        // Rows come back whole, most severe first.
        let mut both = typed_scan();
        let hash = both.accounts[0].reasons[1].clone();
        both.accounts[2].reasons.push(hash);
        let run = s.save_scan(&both).unwrap();
        let rows = s.scan_accounts_with_reason(run, "hash_match").unwrap();
        assert_eq!(rows.iter().map(|r| r.account.as_str()).collect::<Vec<_>>(), ["u1", "u2"]);
        assert_eq!(rows[1], both.accounts[2]);
    }
}

#[test]
fn an_unknown_reason_kind_is_refused_not_answered_empty() {
    for t in targets() {
        let mut s = t.open();
        let run = s.save_scan(&typed_scan()).unwrap();
        for kind in ["ban-evasion", "BanEvasion", "", "hash"] {
            match s.scan_accounts_with_reason(run, kind) {
                Err(StoreError::InvalidField { field, why }) => {
                    assert_eq!(field, "reason kind", "{}", t.url);
                    assert!(why.contains("ban_evasion"), "the known kinds are listed: {why}");
                }
                other => panic!("{}: {kind:?}: {other:?}", t.url),
            }
        }
    }
}

/// Runs SQL on the target's database directly (in its PostgreSQL schema).
fn raw_sql(target: &Target, sql: &str) {
    if target._dir.is_some() {
        let conn = rusqlite::Connection::open(&target.url).unwrap();
        conn.execute_batch(sql).unwrap();
        return;
    }
    let (base, schema) = target.url.rsplit_once("schema=").unwrap();
    let base = base.trim_end_matches(['?', '&']);
    let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
    client.batch_execute(&format!("SET search_path TO \"{schema}\"; {sql}")).unwrap();
}

#[test]
fn scans_stored_before_typed_reasons_still_read() {
    for t in targets() {
        // A database at schema version 4 holding a scan of that time, whose
        // reasons and evidence were lines of prose.
        let mut s = t.open();
        drop(s);
        raw_sql(
            &t,
            r#"DROP TABLE scan_reasons;
            DELETE FROM schema_migrations WHERE version = 5;
            INSERT INTO scan_runs (source, finished_at, summary)
                VALUES ('events.jsonl', '2026-03-01T00:00:00Z', '{}');
            INSERT INTO scan_accounts (run, account, tier, score, reasons, network, person) VALUES
                (1, 'r0', 'confirmed', 9.5, '["ban evasion: same person as s0 (banned 2026-01-01T00:00:00Z): shared device d (2 accounts)","member of network 1"]', 1, 1),
                (1, 'n1', 'exposed', 0.5, '[]', NULL, NULL);
            INSERT INTO scan_persons (run, person, accounts, evidence) VALUES
                (1, 1, '["s0","r0"]', '["s0 ~ r0 (strength 1.60): shared device d (2 accounts)"]');"#,
        );
        s = t.open();
        assert_eq!(s.schema_version().unwrap(), guardrail_store::SCHEMA_VERSION, "{}", t.url);
        assert!(schema_versions(&t.url).contains(&5), "migration 5 ran again: {}", t.url);
        let rows = s.scan_accounts(1, None).unwrap();
        assert_eq!(
            rows[0].reasons,
            [
                Reason::Text {
                    text: "ban evasion: same person as s0 (banned 2026-01-01T00:00:00Z): shared device d (2 accounts)".into()
                },
                Reason::Text { text: "member of network 1".into() },
            ],
            "{}",
            t.url
        );
        assert!(rows[0].reasons[0].to_string().starts_with("ban evasion"));
        assert!(rows[1].reasons.is_empty());
        let persons = s.scan_persons(1).unwrap();
        assert_eq!(
            persons[0].evidence,
            [PersonEvidence::Text {
                text: "s0 ~ r0 (strength 1.60): shared device d (2 accounts)".into()
            }]
        );
        // The migration indexed the old reasons as `text`.
        let listed = s.scan_accounts_with_reason(1, "text").unwrap();
        assert_eq!(listed.iter().map(|r| r.account.as_str()).collect::<Vec<_>>(), ["r0"]);
        assert!(s.scan_accounts_with_reason(1, "ban_evasion").unwrap().is_empty());
        // New scans store typed reasons beside the old one.
        let run = s.save_scan(&typed_scan()).unwrap();
        assert_eq!(
            s.scan_accounts_with_reason(run, "ban_evasion").unwrap()[0].account.as_str(),
            "r1"
        );
        // A row that is neither is corrupt, and says which.
        raw_sql(
            &t,
            "UPDATE scan_accounts SET reasons = '[{\"kind\":\"no_such\"}]' WHERE account = 'n1'",
        );
        let err = s.scan_accounts(1, None).unwrap_err().to_string();
        assert!(err.contains("n1") && err.contains("no_such"), "{err}");
        // So is a tier this build does not know.
        raw_sql(&t, "UPDATE scan_accounts SET reasons = '[]' WHERE account = 'n1'");
        assert!(s.scan_accounts(1, None).is_ok());
        raw_sql(&t, "UPDATE scan_accounts SET tier = 'maybe' WHERE account = 'r0' AND run = 1");
        let err = s.scan_accounts(1, None).unwrap_err().to_string();
        assert!(err.contains("r0") && err.contains("maybe"), "{err}");
    }
}

/// Several processes (here threads) opening the same new database at once
/// all succeed: schema creation and migrations are serialised (a PostgreSQL
/// `CREATE SCHEMA IF NOT EXISTS` race once failed an ingest that a reader
/// opened at the same moment).
#[test]
fn concurrent_first_opens_all_succeed() {
    for target in (0..5).flat_map(|_| targets()) {
        let url = target.url.clone();
        let opened: Vec<Result<(), String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let url = url.clone();
                    s.spawn(move || open(&url).map(|_| ()).map_err(|e| e.to_string()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in opened {
            r.unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        assert_eq!(target.open().summary().unwrap().total_events(), 0);
    }
}

/// The stored log reads back as JSON Lines in log order, across pages.
#[test]
fn event_lines_read_the_log_in_order() {
    use std::io::BufRead;
    for target in targets() {
        let mut store = target.open();
        let lines: Vec<String> = (0..25_003).map(|i| follow(&format!("e{i}"), i)).collect();
        let events: Vec<NewEvent> = lines.iter().map(|l| new_event(l)).collect();
        for chunk in events.chunks(5_000) {
            store.append(chunk, None).unwrap();
        }
        let read: Vec<String> =
            guardrail_store::EventLines::new(store.as_mut()).lines().map(Result::unwrap).collect();
        assert_eq!(read.len(), lines.len(), "{}", target.url);
        for (got, want) in read.iter().zip(&lines) {
            assert_eq!(
                Event::from_json_line(got).unwrap(),
                Event::from_json_line(want).unwrap(),
                "{}",
                target.url
            );
        }
    }
    let fresh = targets();
    let mut empty = fresh[0].open();
    assert_eq!(guardrail_store::EventLines::new(empty.as_mut()).lines().count(), 0);
}

// See: #26
#[test]
fn open_existing_refuses_a_missing_database_and_creates_nothing() {
    for target in targets() {
        let err = guardrail_store::open_existing(&target.url).map(|_| ()).unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{}: {err}", target.url);
        assert!(err.to_string().contains("does not exist"), "{err}");
        if target._dir.is_some() {
            assert!(!std::path::Path::new(&target.url).exists(), "no file is created");
        }
        // Still nothing there: a second reader is refused the same way.
        let again = guardrail_store::open_existing(&target.url).map(|_| ()).unwrap_err();
        assert!(matches!(again, StoreError::NotFound { .. }), "{again}");
        // A writer creates it; then readers open it.
        target.open().append(&[new_event(&follow("e1", 1))], None).unwrap();
        let mut store = guardrail_store::open_existing(&target.url).unwrap();
        assert_eq!(store.summary().unwrap().total_events(), 1);
    }
    // An SQLite file that is not a guardrail database is refused too.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.db");
    std::fs::write(&other, b"").unwrap();
    let err = guardrail_store::open_existing(other.to_str().unwrap()).map(|_| ()).unwrap_err();
    assert!(err.to_string().contains("holds no guardrail tables"), "{err}");
}

#[test]
fn errors_callers_branch_on_are_typed() {
    // See: #25 (no string catch-alls): a missing bank and a bad field are
    // variants with their names, on every backend.
    for t in targets() {
        let mut s = t.open();
        let hash =
            guardrail_store::BankHash { kind: "pdq".into(), hash: "ab".repeat(32), tags: vec![] };
        match s.add_bank_hashes("nope", &[hash]) {
            Err(guardrail_store::StoreError::Missing { what: "bank named", name }) => {
                assert_eq!(name, "\"nope\"", "{:?}", t.url)
            }
            other => panic!("{:?}: {other:?}", t.url),
        }
        match s.put_bank("bad name!", "review", &[]) {
            Err(guardrail_store::StoreError::InvalidField { field, .. }) => {
                assert!(field.starts_with("bank name"), "{field}")
            }
            other => panic!("{:?}: {other:?}", t.url),
        }
    }
}

fn token(name: &str, role: &str, fill: char) -> guardrail_store::TokenRow {
    guardrail_store::TokenRow {
        name: name.into(),
        role: role.into(),
        hash: std::iter::repeat_n(fill, 64).collect(),
        created_at: "2026-12-04T00:00:00Z".into(),
        revoked_at: None,
    }
}

#[test]
fn tokens_are_found_by_hash_until_revoked_and_names_are_unique() {
    for t in targets() {
        let mut s = t.open();
        s.add_token(&token("acme", "platform", 'a')).unwrap();
        s.add_token(&token("root", "admin", 'b')).unwrap();
        let err = s.add_token(&token("acme", "admin", 'c')).unwrap_err();
        assert!(matches!(err, StoreError::Exists { what: "token", .. }), "{err}");
        let bad = s.add_token(&token("short", "admin", 'z')).unwrap_err();
        assert!(matches!(bad, StoreError::InvalidField { .. }), "{bad}");
        let found = s.active_token(&"a".repeat(64)).unwrap().unwrap();
        assert_eq!((found.name.as_str(), found.role.as_str()), ("acme", "platform"));
        assert!(s.active_token(&"d".repeat(64)).unwrap().is_none());
        assert!(s.revoke_token("acme").unwrap());
        assert!(!s.revoke_token("acme").unwrap(), "already revoked");
        assert!(!s.revoke_token("nobody").unwrap());
        assert!(s.active_token(&"a".repeat(64)).unwrap().is_none(), "{}", t.url);
        let all = s.tokens().unwrap();
        let names: Vec<_> = all.iter().map(|t| (t.name.as_str(), t.revoked_at.is_some())).collect();
        assert_eq!(names, [("acme", true), ("root", false)]);
    }
}

#[test]
fn one_account_and_one_person_of_a_scan_are_looked_up() {
    for t in targets() {
        let mut s = t.open();
        let scan = guardrail_store::NewScan {
            source: "store".into(),
            summary: "{}".into(),
            accounts: vec![risk("u1", "confirmed", 40.0), risk("u2", "suspected", 9.0)],
            persons: vec![guardrail_store::PersonRow {
                person: 1,
                accounts: vec!["u1".into(), "u9".into()],
                evidence: vec![PersonEvidence::Text {
                    text: "shared device d-1 (2 accounts)".into(),
                }],
            }],
        };
        let run = s.save_scan(&scan).unwrap();
        assert_eq!(s.scan_account(run, "u1").unwrap(), Some(risk("u1", "confirmed", 40.0)));
        assert_eq!(s.scan_account(run, "u7").unwrap(), None);
        assert_eq!(s.scan_account(run + 1, "u1").unwrap(), None);
        assert_eq!(s.scan_person(run, 1).unwrap().as_ref(), scan.persons.first());
        assert_eq!(s.scan_person(run, 2).unwrap(), None);
    }
}

fn outbox_row(event: usize, key: &str) -> guardrail_store::NewOutbox {
    guardrail_store::NewOutbox {
        event,
        key: key.into(),
        kind: "account.non_recommendable".into(),
        body: format!("{{\"id\":\"{key}\"}}"),
    }
}

/// Outbox rows are written with their events, in one transaction: never
/// for a conflicting event, never twice for one key; deliveries and
/// attempts are recorded per endpoint.
#[test]
fn the_outbox_is_written_with_its_events_and_delivered_per_endpoint() {
    use guardrail_store::{Attempt, AttemptOutcome};
    for t in targets() {
        let mut s = t.open();
        s.append(&[new_event(&follow("f1", 1))], None).unwrap();
        let changed = follow("f1", 2); // same id, other content: a conflict
        let batch = [new_event(&changed), new_event(&follow("f2", 3))];
        let out = s
            .append_with_outbox(
                &batch,
                None,
                ConflictPolicy::Skip,
                &[outbox_row(0, "k-conflict"), outbox_row(1, "k-1"), outbox_row(1, "k-2")],
            )
            .unwrap();
        assert_eq!(out.conflicts, [0]);
        // The same event again (a retry): its rows are not written twice.
        s.append_with_outbox(&batch[1..], None, ConflictPolicy::Skip, &[outbox_row(0, "k-1")])
            .unwrap();
        // Strict append with a conflict stores nothing, outbox included.
        let strict = s
            .append_with_outbox(&batch, None, ConflictPolicy::Reject, &[outbox_row(1, "k-strict")])
            .unwrap();
        assert_eq!(strict.conflicts, [0]);
        let rows = s.outbox_rows(0, 10).unwrap();
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["k-1", "k-2"], "{}", t.url);
        let now = rows[0].created_us + 1;
        let endpoints = ["a".to_owned(), "b".to_owned()];
        assert_eq!(s.outbox_pending(&endpoints).unwrap(), 4);
        assert_eq!(s.due_outbox("a", now, 10).unwrap().len(), 2);
        let attempt = |outbox, status: Option<u16>| Attempt {
            outbox,
            endpoint: "a".into(),
            at: "2026-12-04T00:00:00Z".into(),
            status,
            error: status.is_none().then(|| "connection refused".to_owned()),
        };
        s.record_attempt(&attempt(rows[0].id, None), AttemptOutcome::Retry(now + 1_000_000))
            .unwrap();
        s.record_attempt(&attempt(rows[1].id, Some(200)), AttemptOutcome::Delivered).unwrap();
        assert!(s.due_outbox("a", now, 10).unwrap().is_empty(), "the retry is not due yet");
        assert_eq!(s.due_outbox("a", now + 1_000_000, 10).unwrap()[0].key, "k-1");
        assert_eq!(s.due_outbox("b", now, 10).unwrap().len(), 2, "each endpoint on its own");
        s.record_attempt(&attempt(rows[0].id, Some(503)), AttemptOutcome::Retry(now)).unwrap();
        s.record_attempt(&attempt(rows[0].id, Some(200)), AttemptOutcome::Delivered).unwrap();
        let d = s.deliveries(rows[0].id).unwrap();
        assert_eq!((d.len(), d[0].attempts, d[0].delivered_at.is_some()), (1, 3, true));
        let statuses: Vec<Option<u16>> =
            s.attempts(rows[0].id).unwrap().iter().map(|a| a.status).collect();
        assert_eq!(statuses, [None, Some(503), Some(200)]);
        assert_eq!(s.outbox_pending(&endpoints).unwrap(), 2, "b has everything still to receive");
        s.record_attempt(
            &Attempt { endpoint: "b".into(), ..attempt(rows[0].id, None) },
            AttemptOutcome::GiveUp,
        )
        .unwrap();
        assert_eq!(s.outbox_pending(&endpoints).unwrap(), 1);
        assert_eq!(s.due_outbox("b", i64::MAX, 10).unwrap().len(), 1, "a row given up is not due");
    }
}
