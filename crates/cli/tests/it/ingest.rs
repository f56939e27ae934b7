use std::collections::HashSet;
use std::time::{Duration, Instant};

use guardrail_engine::store_backend::RunStatus;

use crate::{databases, guardrail, run_ok, synth};

fn file_ids(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| guardrail_engine::core::Event::from_json_line(l).unwrap().id.into_string())
        .collect()
}

fn stored_ids(url: &str) -> Vec<String> {
    let mut store = guardrail_engine::store_backend::open(url).unwrap();
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 50_000).unwrap();
        let Some(last) = page.last() else { return out };
        after = last.seq;
        out.extend(page.into_iter().map(|e| e.id));
    }
}

/// The ingest process is killed with SIGKILL part-way; running it again
/// leaves every event stored exactly once.
#[test]
fn sigkill_mid_ingest_then_rerun_stores_every_event_once() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), 6_000, 9);
    let events = dir.path().join("events.jsonl");
    let expected = file_ids(&events);
    for url in databases(dir.path(), "kill") {
        let mut child = guardrail()
            .args(["ingest", "--quiet", "--batch-size", "500", "--events"])
            .arg(&events)
            .args(["--database", &url])
            .spawn()
            .unwrap();
        // Wait until some batches are committed, then kill without warning.
        let started = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let stored =
                guardrail_engine::store_backend::open(&url).ok().and_then(|mut s| s.summary().ok());
            if stored.is_some_and(|s| s.total_events() >= 5_000) {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("ingest ended ({status}) before it could be killed");
            }
            assert!(started.elapsed() < Duration::from_secs(120), "ingest made no progress");
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let partial = stored_ids(&url).len();
        assert!(partial >= 5_000 && partial < expected.len(), "{partial} stored after the kill");

        let out = run_ok(
            guardrail().args(["ingest", "--events"]).arg(&events).args(["--database", &url]),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!(
                "{} new events, {partial} already stored",
                expected.len() - partial
            )),
            "{text}"
        );
        let stored = stored_ids(&url);
        assert_eq!(stored.len(), expected.len(), "events lost or duplicated");
        assert_eq!(stored.iter().collect::<HashSet<_>>(), expected.iter().collect::<HashSet<_>>());
        // Time order survives: the store's order is the file's order.
        assert_eq!(stored, expected);
        let runs = guardrail_engine::store_backend::open(&url).unwrap().runs().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].status, RunStatus::Running, "the killed run never finished");
        assert_eq!(runs[0].inserted as usize, partial, "its row counts exactly what was committed");
        assert_eq!(runs[1].status, RunStatus::Complete);
    }
}

#[test]
fn strict_ingest_names_line_and_field_and_skip_invalid_counts() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("bad.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"type":"follow","id":"e1","at":"2026-03-01T10:01:00Z","from":"u2","to":"u1"}"#, "\n",
            r#"{"type":"post","id":"e2","at":"2026-03-01T10:02:00Z","post":"p1","author":"u1","media":[{"kind":"image","pdq":"xyz"}]}"#, "\n",
            r#"{"type":"follow","id":"e3","at":"2026-03-01T10:03:00Z","from":"u3","to":"u1"}"#, "\n",
        ),
    )
    .unwrap();
    let db = dir.path().join("g.db").display().to_string();
    let out = guardrail()
        .args(["ingest", "--events"])
        .arg(&events)
        .args(["--database", &db])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2, field media[0].pdq: "), "{err}");
    assert!(err.contains("1 events before it were committed"), "{err}");
    let mut store = guardrail_engine::store_backend::open(&db).unwrap();
    assert_eq!(store.summary().unwrap().total_events(), 1);

    let out = run_ok(
        guardrail()
            .args(["ingest", "--skip-invalid", "--events"])
            .arg(&events)
            .args(["--database", &db]),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 new events, 1 already stored"), "{text}");
    assert!(
        text.contains("skipped 1 invalid lines") && text.contains("line 2, field media[0].pdq"),
        "{text}"
    );
}

#[test]
fn missing_files_and_bad_databases_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = guardrail()
        .args(["ingest", "--events", "/no/such/file.jsonl", "--database"])
        .arg(dir.path().join("g.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("opening events file /no/such/file.jsonl")
    );
    let out = guardrail()
        .args(["ingest", "--events", "x", "--database", "mysql://h/db"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scheme"));
}

// See: #26
#[test]
fn an_id_sent_again_with_other_content_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl");
    let bio = |id: &str, bio: &str| {
        format!(
            r#"{{"type":"account","id":"{id}","at":"2026-03-01T10:00:00Z","account":"u1","handle":"one","bio":"{bio}"}}"#
        ) + "\n"
    };
    std::fs::write(&first, bio("a1", "knits")).unwrap();
    // The bio changed but the platform reused the event id; then a new id.
    let second = dir.path().join("second.jsonl");
    std::fs::write(
        &second,
        bio("a1", "knits") + bio("a1", "sews").as_str() + bio("a2", "sews").as_str(),
    )
    .unwrap();
    for db in databases(dir.path(), "conflicts") {
        run_ok(guardrail().args(["ingest", "--quiet", "--database", &db, "--events"]).arg(&first));
        let out = guardrail()
            .args(["ingest", "--database", &db, "--events"])
            .arg(&second)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{db}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "line 2: event id a1 was already ingested with different content; \
                 send a new id for a new state"
            ),
            "{err}"
        );
        assert!(err.contains("1 events before it were committed"), "{err}");
        assert_eq!(stored_ids(&db), ["a1"], "nothing from the conflict on");

        let out = run_ok(
            guardrail()
                .args(["ingest", "--skip-invalid", "--database", &db, "--events"])
                .arg(&second),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("1 new events, 1 already stored"), "{text}");
        assert!(text.contains("skipped 1 conflicting events"), "{text}");
        assert!(text.contains("  line 2: event id a1\n"), "{text}");
        assert_eq!(stored_ids(&db), ["a1", "a2"]);
        let runs = guardrail_engine::store_backend::open(&db).unwrap().runs().unwrap();
        let conflicts: Vec<u64> = runs.iter().map(|r| r.conflicts).collect();
        assert_eq!(conflicts, [0, 0, 1], "{db}");
    }
}
