//! CyberTipline submissions against a local fake of NCMEC's reporting API
//! (loopback only): the whole flow, refusals that need a person (4100,
//! 2000), passing failures retried with back-off (1000, a timeout, a
//! dropped connection), and a crash between submit and finish that resumes
//! without submitting the report twice.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed step should fail the test

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use guardrail_engine::core::Timestamp;
use guardrail_engine::cybertip::{self, Client, Files, Outcome};
use guardrail_engine::review::{self, DecisionInput, ReviewConfig};
use guardrail_engine::store_backend::{IngestOptions, Store};

/// What the fake answers one request with.
#[derive(Clone)]
enum Reply {
    /// A status and an XML body.
    Xml(u16, String),
    /// Drop the connection without answering (a crash or a network cut).
    Close,
    /// Answer normally after this long (longer than the client waits: a timeout).
    Late(Duration),
}

#[derive(Clone, Debug)]
struct Seen {
    path: String,
    authorization: String,
    body: Vec<u8>,
}

/// A fake NCMEC on a loopback port: answers each path from its script, then
/// with success; records every request.
struct Fake {
    url: String,
    script: Arc<Mutex<HashMap<String, VecDeque<Reply>>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

const REPORT_ID: i64 = 4_564_654;

fn ok(path: &str) -> String {
    match path {
        "/finish" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><reportDoneResponse><responseCode>0</responseCode><reportId>{REPORT_ID}</reportId><files><fileId>f-1</fileId></files></reportDoneResponse>"
        ),
        "/upload" => format!(
            "<?xml version=\"1.0\"?><reportResponse><responseCode>0</responseCode><responseDescription>Success</responseDescription><reportId>{REPORT_ID}</reportId><fileId>f-1</fileId></reportResponse>"
        ),
        _ => format!(
            "<?xml version=\"1.0\"?><reportResponse><responseCode>0</responseCode><responseDescription>Success</responseDescription><reportId>{REPORT_ID}</reportId></reportResponse>"
        ),
    }
}

fn code(code: i64, description: &str) -> Reply {
    Reply::Xml(
        200,
        format!("<?xml version=\"1.0\"?><reportResponse><responseCode>{code}</responseCode><responseDescription>{description}</responseDescription></reportResponse>"),
    )
}

impl Fake {
    fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/ispws", listener.local_addr().unwrap());
        let script: Arc<Mutex<HashMap<String, VecDeque<Reply>>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (s, n) = (script.clone(), seen.clone());
        std::thread::spawn(move || {
            for (i, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let (s, n) = (s.clone(), n.clone());
                std::thread::spawn(move || serve(stream, i, &s, &n));
            }
        });
        Fake { url, script, seen }
    }

    fn then(&self, path: &str, reply: Reply) {
        self.script.lock().unwrap().entry(path.to_owned()).or_default().push_back(reply);
    }

    fn paths(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|s| s.path.clone()).collect()
    }

    fn count(&self, path: &str) -> usize {
        self.paths().iter().filter(|p| *p == path).count()
    }
}

fn serve(
    stream: TcpStream,
    n: usize,
    script: &Mutex<HashMap<String, VecDeque<Reply>>>,
    seen: &Mutex<Vec<Seen>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path =
        line.split_whitespace().nth(1).unwrap_or_default().trim_start_matches("/ispws").to_owned();
    let (mut length, mut authorization) = (0usize, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap(),
            "authorization" => authorization = value.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    seen.lock().unwrap().push(Seen { path: path.clone(), authorization, body });
    let reply = script.lock().unwrap().get_mut(&path).and_then(VecDeque::pop_front);
    let (status, xml) = match reply {
        Some(Reply::Close) => return,
        Some(Reply::Late(d)) => {
            std::thread::sleep(d);
            (200, ok(&path))
        }
        Some(Reply::Xml(status, xml)) => (status, xml),
        None => (200, ok(&path)),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nRequest-ID: req-{n}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
        xml.len()
    );
}

/// A case decided violating for child safety (a post with one file), in a
/// store at `dir`, and the review configuration pointing at the fake.
struct World {
    dir: tempfile::TempDir,
    config: ReviewConfig,
}

const EVENTS: &str = concat!(
    r#"{"type":"account","id":"e1","at":"2026-03-01T09:00:00Z","account":"u1","handle":"seller_one"}"#,
    "\n",
    r#"{"type":"post","id":"e2","at":"2026-03-01T09:30:00Z","post":"p1","author":"u1","media":[{"kind":"image","md5":"0123456789abcdef0123456789abcdef"}]}"#,
    "\n",
    r#"{"type":"report","id":"e3","at":"2026-03-01T10:00:00Z","reporter":"u2","target":{"post":"p1"},"category":"child_safety"}"#,
    "\n",
);

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix_micros(
        Timestamp::parse("2026-03-01T12:00:00Z").unwrap().unix_micros() + minutes * 60_000_000,
    )
    .unwrap()
}

impl World {
    fn new(fake: &Fake) -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("events.jsonl"), EVENTS).unwrap();
        std::fs::create_dir(dir.path().join("files")).unwrap();
        std::fs::write(dir.path().join("files/post-p1-0"), b"generated test pattern, not media")
            .unwrap();
        let config = ReviewConfig::parse(&format!(
            "[reviewers]\nr1 = [\"reviewer\", \"child_safety\"]\n[cybertip]\nemail = \"safety@social.example\"\nurl = \"{}\"\nusername = \"esp\"\npassword = \"hunter2-secret\"\ntimeout_seconds = 1\n",
            fake.url
        ))
        .unwrap();
        let world = World { dir, config };
        let mut store = world.store();
        guardrail_engine::ingest::ingest_path(
            store.as_mut(),
            &world.dir.path().join("events.jsonl"),
            &IngestOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        review::intake_log(store.as_mut(), None).unwrap();
        review::claim(store.as_mut(), &world.config, 1, "r1", at(0)).unwrap();
        let decision = DecisionInput {
            verdict: "violating".into(),
            policy: Some("child_safety".into()),
            category: Some("child_safety".into()),
            incident_type: Some("csam".into()),
            ..DecisionInput::default()
        };
        review::decide(store.as_mut(), &world.config, 1, "r1", decision.decision().unwrap(), at(1))
            .unwrap();
        world
    }

    fn store(&self) -> Box<dyn Store> {
        guardrail_engine::store::open_writer(self.dir.path().join("g.db").to_str().unwrap())
            .unwrap()
    }

    fn files(&self) -> Files {
        Files::Dir(self.dir.path().join("files"))
    }

    fn client(&self) -> Client {
        Client::new(&self.config).unwrap()
    }
}

fn submission(store: &mut dyn Store) -> guardrail_engine::store_backend::CyberTipRow {
    store.cybertip_get(1).unwrap().unwrap()
}

#[test]
fn a_report_goes_through_submit_upload_fileinfo_finish_and_keeps_the_receipt() {
    let fake = Fake::start();
    let world = World::new(&fake);
    let mut store = world.store();
    let queued =
        cybertip::queue(store.as_mut(), &world.config, 1, &world.files(), "r1", at(2)).unwrap();
    assert_eq!((queued.state.as_str(), queued.environment.as_str()), ("pending", "test"));
    // Queued once: a second queue of the case is refused.
    assert!(cybertip::queue(store.as_mut(), &world.config, 1, &world.files(), "r1", at(2)).is_err());
    let out =
        cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(2)).unwrap();
    assert_eq!(out, Outcome::Finished { report_id: REPORT_ID });
    assert_eq!(fake.paths(), ["/submit", "/upload", "/fileinfo", "/finish"]);
    let seen = fake.seen.lock().unwrap().clone();
    // Basic auth with the configured credentials, on every request.
    assert!(seen.iter().all(|s| s.authorization == "Basic ZXNwOmh1bnRlcjItc2VjcmV0"), "{seen:?}");
    let report = String::from_utf8(seen[0].body.clone()).unwrap();
    assert!(
        report.contains("<incidentType>Child Pornography")
            && report.contains("<espIdentifier>u1</espIdentifier>"),
        "{report}"
    );
    let upload = String::from_utf8_lossy(&seen[1].body);
    assert!(upload.contains("name=\"id\"") && upload.contains(&REPORT_ID.to_string()));
    assert!(upload.contains("filename=\"post-p1-0\"") && upload.contains("generated test pattern"));
    let details = String::from_utf8(seen[2].body.clone()).unwrap();
    assert!(
        details.contains("<fileId>f-1</fileId>")
            && details.contains("<fileViewedByEsp>false</fileViewedByEsp>"),
        "{details}"
    );
    assert_eq!(String::from_utf8_lossy(&seen[3].body), format!("id={REPORT_ID}"));
    let row = submission(store.as_mut());
    assert_eq!((row.state.as_str(), row.report_id), ("finished", Some(REPORT_ID)));
    assert!(row.receipt.as_deref().unwrap().contains("<reportDoneResponse>"));
    assert_eq!(row.request_id.as_deref(), Some("req-3"));
    let attempts = store.cybertip_attempts(1).unwrap();
    let steps: Vec<&str> = attempts.iter().map(|a| a.step.as_str()).collect();
    assert_eq!(steps, ["submit", "upload", "fileinfo", "finish"]);
    // A finished report is final: running again sends nothing.
    let again =
        cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(9)).unwrap();
    assert_eq!((again, fake.paths().len()), (Outcome::Idle, 4));
    let audit = review::verify_audit(store.as_mut()).unwrap();
    assert!(audit.broken.is_none());
    // Neither the password nor its encoding is in the stored rows or the config's Debug.
    assert!(!format!("{row:?}{:?}", world.config).contains("hunter2"));
}

#[test]
fn a_validation_failure_stops_for_a_person_and_a_retry_after_the_fix_files_it() {
    let fake = Fake::start();
    let world = World::new(&fake);
    let mut store = world.store();
    cybertip::queue(store.as_mut(), &world.config, 1, &world.files(), "r1", at(2)).unwrap();
    fake.then("/submit", code(4100, "Validation failed"));
    let out =
        cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(2)).unwrap();
    let Outcome::Failed { why } = out else { panic!("{out:?}") };
    assert!(why.contains("4100") && why.contains("validation failed"), "{why}");
    let row = submission(store.as_mut());
    assert_eq!((row.state.as_str(), row.last_code), ("failed", Some(4100)));
    // Nothing runs it again by itself.
    let due =
        cybertip::run_due(store.as_mut(), &world.config, &world.client(), "sys", at(600)).unwrap();
    assert!(due.is_empty(), "{due:?}");
    cybertip::retry(store.as_mut(), &world.config, 1, "r1", at(30)).unwrap();
    let due =
        cybertip::run_due(store.as_mut(), &world.config, &world.client(), "sys", at(30)).unwrap();
    assert_eq!(due, [(1, Outcome::Finished { report_id: REPORT_ID })]);
    assert_eq!(fake.count("/submit"), 2);
}

#[test]
fn a_server_error_is_retried_with_back_off() {
    let fake = Fake::start();
    let world = World::new(&fake);
    let mut store = world.store();
    cybertip::queue(store.as_mut(), &world.config, 1, &world.files(), "r1", at(2)).unwrap();
    fake.then("/submit", code(1000, "Server error"));
    fake.then("/submit", Reply::Xml(503, "unavailable".into()));
    let client = world.client();
    let first = cybertip::run(store.as_mut(), &world.config, &client, 1, "r1", at(2)).unwrap();
    let Outcome::Retrying { next_at, .. } = first else { panic!("{first:?}") };
    assert_eq!(next_at, at(3), "the first retry is a minute later");
    // Not due before then.
    assert_eq!(
        cybertip::run(store.as_mut(), &world.config, &client, 1, "r1", at(2)).unwrap(),
        Outcome::Idle
    );
    let second = cybertip::run(store.as_mut(), &world.config, &client, 1, "r1", at(3)).unwrap();
    let Outcome::Retrying { next_at, .. } = second else { panic!("{second:?}") };
    assert_eq!(next_at, at(5), "then two minutes");
    let third = cybertip::run(store.as_mut(), &world.config, &client, 1, "r1", at(5)).unwrap();
    assert_eq!(third, Outcome::Finished { report_id: REPORT_ID });
    assert_eq!(submission(store.as_mut()).attempts, 2);
}

#[test]
fn refused_credentials_at_finish_retract_the_report_before_stopping() {
    let fake = Fake::start();
    let world = World::new(&fake);
    let mut store = world.store();
    cybertip::queue(store.as_mut(), &world.config, 1, &world.files(), "r1", at(2)).unwrap();
    fake.then("/finish", code(2000, "Authentication required"));
    let out =
        cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(2)).unwrap();
    assert!(matches!(out, Outcome::Failed { .. }), "{out:?}");
    assert_eq!(fake.paths(), ["/submit", "/upload", "/fileinfo", "/finish", "/retract"]);
    let row = submission(store.as_mut());
    assert_eq!((row.state.as_str(), row.report_id), ("failed", None));
    cybertip::retry(store.as_mut(), &world.config, 1, "r1", at(10)).unwrap();
    let out =
        cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(10)).unwrap();
    assert_eq!(out, Outcome::Finished { report_id: REPORT_ID });
    assert_eq!(fake.count("/upload"), 2, "the retracted report's file is uploaded again");
}

#[test]
fn a_timeout_and_a_crash_between_submit_and_finish_resume_without_a_second_report() {
    let fake = Fake::start();
    let world = World::new(&fake);
    {
        let mut store = world.store();
        cybertip::queue(store.as_mut(), &world.config, 1, &world.files(), "r1", at(2)).unwrap();
        fake.then("/finish", Reply::Late(Duration::from_secs(3)));
        fake.then("/finish", Reply::Close);
        let out =
            cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(2)).unwrap();
        assert!(matches!(out, Outcome::Retrying { .. }), "a timeout is retried: {out:?}");
        let out =
            cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(3)).unwrap();
        assert!(
            matches!(out, Outcome::Retrying { .. }),
            "a dropped connection is retried: {out:?}"
        );
        let row = submission(store.as_mut());
        assert_eq!((row.state.as_str(), row.report_id), ("submitted", Some(REPORT_ID)));
        // The process goes away here, with the report submitted and not finished.
    }
    let mut store = world.store();
    let due =
        cybertip::run_due(store.as_mut(), &world.config, &world.client(), "sys", at(60)).unwrap();
    assert_eq!(due, [(1, Outcome::Finished { report_id: REPORT_ID })]);
    assert_eq!(fake.count("/submit"), 1, "never submitted twice");
    assert_eq!(fake.count("/upload"), 1, "the uploaded file is not sent again");
    // NCMEC had finished it before its answer was lost: 5102 counts as finished.
    let fake2 = Fake::start();
    let world2 = World::new(&fake2);
    let mut store2 = world2.store();
    cybertip::queue(store2.as_mut(), &world2.config, 1, &Files::Without, "r1", at(2)).unwrap();
    fake2.then("/finish", code(5102, "Report already finished"));
    let out =
        cybertip::run(store2.as_mut(), &world2.config, &world2.client(), 1, "r1", at(2)).unwrap();
    assert_eq!(out, Outcome::Finished { report_id: REPORT_ID });
}

#[test]
fn files_are_never_dropped_silently() {
    let fake = Fake::start();
    let world = World::new(&fake);
    let mut store = world.store();
    let empty = world.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = cybertip::queue(store.as_mut(), &world.config, 1, &Files::Dir(empty), "r1", at(2))
        .unwrap_err();
    assert!(err.to_string().contains("post-p1-0"), "{err}");
    assert!(store.cybertip_get(1).unwrap().is_none(), "a refused queue stores nothing");
    // Without files, the report says which files and hashes it leaves out.
    cybertip::queue(store.as_mut(), &world.config, 1, &Files::Without, "r1", at(2)).unwrap();
    let out =
        cybertip::run(store.as_mut(), &world.config, &world.client(), 1, "r1", at(2)).unwrap();
    assert_eq!(out, Outcome::Finished { report_id: REPORT_ID });
    assert_eq!(fake.paths(), ["/submit", "/finish"]);
    let report = String::from_utf8(fake.seen.lock().unwrap()[0].body.clone()).unwrap();
    assert!(
        report.contains("not attached") && report.contains("0123456789abcdef0123456789abcdef"),
        "{report}"
    );
}

#[test]
fn production_needs_saying_so_and_credentials_are_required() {
    let production = ReviewConfig::parse(
        "[cybertip]\nenvironment = \"production\"\nurl = \"http://127.0.0.1:1\"\n",
    );
    assert!(production
        .unwrap_err()
        .starts_with("cybertip.url: production submissions go to NCMEC's own URL"));
    let config = ReviewConfig::parse("[cybertip]\nemail = \"a@b.example\"\n").unwrap();
    assert_eq!(config.cybertip.environment.as_str(), "test", "test is the default");
    if std::env::var_os("GUARDRAIL_CYBERTIP_USERNAME").is_none() {
        let err = Client::new(&config).unwrap_err().to_string();
        assert!(err.contains("cybertip.username"), "{err}");
    }
    let bad = ReviewConfig::parse("[cybertip]\nenvironment = \"prod\"\n").unwrap_err();
    assert!(bad.starts_with("cybertip.environment"), "{bad}");
}

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn with_media(world: &World) -> ReviewConfig {
    let mut config = world.config.clone();
    config.preservation = ReviewConfig::parse(&format!(
        "[preservation]\nstore_media = true\ndir = \"{}\"\nkey = \"{KEY}\"\n",
        world.dir.path().join("preserved").display()
    ))
    .unwrap()
    .preservation;
    config
}

fn days(n: i64) -> Timestamp {
    Timestamp::from_unix_micros(at(0).unix_micros() + n * 86_400_000_000).unwrap()
}

#[test]
fn what_is_reported_is_preserved_encrypted_held_and_destroyed_on_request() {
    use guardrail_engine::preservation;
    let fake = Fake::start();
    let world = World::new(&fake);
    let config = with_media(&world);
    let mut store = world.store();
    cybertip::queue(store.as_mut(), &config, 1, &world.files(), "r1", at(2)).unwrap();
    let record = store.preservation_get(1).unwrap().unwrap();
    assert_eq!((record.state.as_str(), record.hold), ("kept", false));
    assert_eq!(
        record.expires_at,
        days(365).unix_micros() + 2 * 60_000_000,
        "a year from the queueing"
    );
    assert!(record.metadata.contains("0123456789abcdef0123456789abcdef"), "{}", record.metadata);
    assert!(record.metadata.contains("<report"), "the document sent is kept");
    let files = store.preservation_files(1).unwrap();
    assert_eq!(files.len(), 1);
    let on_disk = std::fs::read(&files[0].path).unwrap();
    let plain = b"generated test pattern, not media";
    assert!(!on_disk.windows(plain.len()).any(|w| w == plain), "the bytes are encrypted at rest");
    let back =
        preservation::read_file(store.as_mut(), &config, 1, "post-p1-0", "r1", at(3)).unwrap();
    assert_eq!(back, plain);
    // Another key does not open it.
    let mut wrong = config.clone();
    wrong.preservation.key = Some(guardrail_engine::cybertip::Secret::new("ff".repeat(32)));
    let err =
        preservation::read_file(store.as_mut(), &wrong, 1, "post-p1-0", "r1", at(3)).unwrap_err();
    assert!(err.to_string().contains("does not decrypt"), "{err}");
    // Under hold it is not destroyed, not even at the end of its time.
    preservation::hold(store.as_mut(), 1, "law enforcement request 2026-17", "lead", at(4))
        .unwrap();
    let refused =
        preservation::destroy(store.as_mut(), &config, 1, "user asked", "lead", at(5)).unwrap_err();
    assert!(refused.to_string().contains("under legal hold"), "{refused}");
    assert!(preservation::sweep(store.as_mut(), &config, "sys", days(400)).unwrap().is_empty());
    preservation::release(store.as_mut(), 1, "case closed", "lead", at(6)).unwrap();
    let gone = preservation::destroy(
        store.as_mut(),
        &config,
        1,
        "destruction requested by law enforcement",
        "lead",
        at(7),
    )
    .unwrap();
    assert_eq!((gone.state.as_str(), gone.metadata.as_str()), ("destroyed", ""));
    assert!(!Path::new(&files[0].path).exists(), "the encrypted file is gone");
    assert!(store.preservation_files(1).unwrap().is_empty());
    assert!(preservation::read_file(store.as_mut(), &config, 1, "post-p1-0", "r1", at(8)).is_err());
    assert!(
        preservation::hold(store.as_mut(), 1, "again", "lead", at(9)).is_err(),
        "a destroyed record is final"
    );
    // Every step is in the audit log, and the chain holds.
    let mut actions = Vec::new();
    let mut after = 0;
    loop {
        let page = store.review_audit(after, 1000).unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        actions.extend(page.into_iter().map(|r| r.action));
    }
    for a in [
        "preservation_create",
        "preservation_read",
        "preservation_hold",
        "preservation_release",
        "preservation_destroy",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited: {actions:?}");
    }
    assert!(review::verify_audit(store.as_mut()).unwrap().broken.is_none());
}

#[test]
fn without_media_only_hashes_are_kept_and_time_ends_it_unless_extended() {
    use guardrail_engine::preservation;
    let fake = Fake::start();
    let world = World::new(&fake);
    let mut store = world.store();
    // The default keeps no media: bytes offered are refused, not dropped.
    let bytes = vec![("post-p1-0".to_owned(), b"x".to_vec())];
    let err =
        preservation::preserve(store.as_mut(), &world.config, 1, &bytes, "r1", at(2)).unwrap_err();
    assert!(err.to_string().contains("preservation.store_media"), "{err}");
    cybertip::queue(store.as_mut(), &world.config, 1, &world.files(), "r1", at(2)).unwrap();
    assert!(store.preservation_files(1).unwrap().is_empty());
    assert!(store.preservation_get(1).unwrap().unwrap().metadata.contains("MD5:0123456789abcdef"));
    preservation::extend(
        store.as_mut(),
        1,
        Duration::from_secs(30 * 86_400),
        "investigation",
        "lead",
        at(3),
    )
    .unwrap();
    assert!(
        preservation::sweep(store.as_mut(), &world.config, "sys", days(380)).unwrap().is_empty(),
        "extended past day 380"
    );
    assert_eq!(preservation::sweep(store.as_mut(), &world.config, "sys", days(396)).unwrap(), [1]);
    assert_eq!(
        store.preservation_get(1).unwrap().unwrap().destroyed_reason.as_deref(),
        Some("retention ended")
    );
    // Bad settings name their key.
    let bad = ReviewConfig::parse("[preservation]\nkey = \"abc\"\n").unwrap_err();
    assert!(bad.starts_with("preservation.key"), "{bad}");
    let no_dir = ReviewConfig::parse("[preservation]\nstore_media = true\n").unwrap_err();
    assert!(no_dir.starts_with("preservation.dir"), "{no_dir}");
}
