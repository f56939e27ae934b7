//! `guardrail serve` as a real process: the demo starts on a free port,
//! becomes ready after its start-up scan, answers a request with a printed
//! token, and exits cleanly on SIGTERM; `guardrail token` manages tokens.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::{guardrail, run_ok};

/// One HTTP/1.1 request over a fresh connection; the status and the body.
fn http(address: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    try_http(address, method, path, token, body).unwrap()
}

/// [`http`], with the connection's errors (a killed server) returned.
fn try_http(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// On SQLite, and on PostgreSQL when a test server is configured (whose
/// synchronous client must never run on the service's async workers).
#[test]
fn serve_demo_becomes_ready_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    for database in crate::databases(dir.path(), "serve") {
        serve_demo(dir.path(), &database);
    }
}

fn serve_demo(dir: &std::path::Path, database: &str) {
    let config = dir.join("serve.toml");
    std::fs::write(&config, "metrics_listen = \"127.0.0.1:0\"\nrescan_interval_seconds = 0\n")
        .unwrap();
    let mut child = guardrail()
        .args(["serve", "--demo", "--demo-accounts", "600", "--listen", "127.0.0.1:0"])
        .args(["--database", database, "--config", config.to_str().unwrap()])
        .env("TMPDIR", dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut address = None;
    let mut metrics = None;
    let mut platform = None;
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if let Some(url) = line.trim().strip_prefix("guardrail serve: listening on http://") {
            address = Some(url.to_owned());
        }
        if let Some(url) = line.trim().strip_prefix("guardrail serve: metrics on http://") {
            metrics = url.strip_suffix("/metrics").map(str::to_owned);
        }
        if let Some(token) = line.trim().strip_prefix("platform") {
            platform = Some(token.trim().to_owned());
        }
        if line.starts_with("ready at") {
            break;
        }
        line.clear();
    }
    let address = address.expect("the listening address is printed");
    let platform = platform.expect("a platform token is printed");
    assert!(platform.starts_with("grt_"), "{platform}");
    // Not ready until the start-up scan has finished; then ready.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, body) = http(&address, "GET", "/readyz", None, "");
        if status == 200 {
            assert!(body.contains("\"ready\":true"), "{body}");
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("not_ready"), "{body}");
        assert!(Instant::now() < deadline, "not ready in time");
        std::thread::sleep(Duration::from_millis(100));
    }
    let check = r#"{"text": "selling vorblat, dm me", "surface": "comment"}"#;
    let (status, body) = http(&address, "POST", "/v1/check/text", Some(&platform), check);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"level\":\"block\""), "{body}");
    let (status, body) = http(&address, "POST", "/v1/check/text", None, check);
    assert_eq!(status, 401, "{body}");
    // Metrics on their own address answer without a token; on the API's, not.
    let metrics = metrics.expect("the metrics address is printed");
    let (status, body) = http(&metrics, "GET", "/metrics", None, "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("guardrail_http_requests_total"), "{body}");
    assert_eq!(http(&address, "GET", "/metrics", None, "").0, 401);
    // An event is stored and acts at once (through the store on this backend).
    let ban = r#"{"type":"enforcement","id":"e2e-ban","at":"2030-01-01T00:00:00Z","account":"e2e-acct","action":"ban","confirmed_category":"child_safety"}"#;
    let (status, body) = http(&address, "POST", "/v1/events", Some(&platform), ban);
    let acknowledged = Instant::now();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"inserted\":1"), "{body}");
    let decide =
        r#"{"viewer":"v","surface":"feed","candidates":[{"type":"post","author":"e2e-acct"}]}"#;
    let (status, body) = http(&address, "POST", "/v1/guard/decide", Some(&platform), decide);
    // Freshness of a direct signal: from the acknowledgement to a decision
    // that acts on it (issue 20's target: under 1 s; it is the next request).
    let fresh = acknowledged.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"allow\":false"), "{database}: {body}");
    assert!(fresh < Duration::from_secs(1), "{fresh:?}");
    eprintln!("freshness of a direct signal on {database}: {:.2} ms", fresh.as_secs_f64() * 1e3);

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("shut down"), "{stderr}");
    assert!(!stderr.contains(&platform), "a token was logged: {stderr}");
}

#[test]
fn tokens_are_created_once_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db").display().to_string();
    let out = run_ok(guardrail().args([
        "token",
        "create",
        "--role",
        "platform",
        "--name",
        "acme",
        "--database",
        &db,
    ]));
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("grt_") && secret.len() == 68, "{secret}");
    let bad = guardrail()
        .args(["token", "create", "--role", "root", "--name", "x", "--database", &db])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));
    let list = run_ok(guardrail().args(["token", "list", "--database", &db]));
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.starts_with("acme\tplatform\t") && list.trim_end().ends_with("active"), "{list}");
    assert!(!list.contains(&secret[4..]), "secrets are never listed");
    run_ok(guardrail().args(["token", "revoke", "--name", "acme", "--database", &db]));
    let list =
        String::from_utf8(run_ok(guardrail().args(["token", "list", "--database", &db])).stdout)
            .unwrap();
    assert!(list.contains("revoked"), "{list}");
    let again = guardrail()
        .args(["token", "revoke", "--name", "acme", "--database", &db])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

/// Starts `guardrail serve` on `database` and a free port; returns the child
/// and its address once it is ready.
fn start(database: &str) -> (std::process::Child, String) {
    let mut child = guardrail()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut address = None;
    while stdout.read_line(&mut line).unwrap() > 0 {
        if let Some(url) = line.trim().strip_prefix("guardrail serve: listening on http://") {
            address = Some(url.to_owned());
            break;
        }
        line.clear();
    }
    let address = address.expect("the listening address is printed");
    let deadline = Instant::now() + Duration::from_secs(60);
    while try_http(&address, "GET", "/readyz", None, "").map(|r| r.0).ok() != Some(200) {
        assert!(Instant::now() < deadline, "not ready in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, address)
}

/// A report with its own key, about an account of the crash test.
fn report_body(n: usize) -> (String, String) {
    let key = format!("crash-report-{n}");
    let body = format!(
        r#"{{"key":"{key}","target":"account:a-0-{}","category":"spam","reporter":"r{n}"}}"#,
        n % 97
    );
    (key, body)
}

fn account_event(client: usize, n: usize) -> (String, String) {
    let id = format!("crash-{client}-{n}");
    let line = format!(
        r#"{{"type":"account","id":"{id}","at":"2030-01-01T00:00:00Z","account":"a-{client}-{n}","handle":"h{client}x{n}"}}"#
    );
    (id, line)
}

/// Clients send events at full speed while the server is killed with
/// SIGKILL at several moments and restarted; each client resends what was
/// not acknowledged. Every acknowledged event is stored, and every event
/// exactly once; a final SIGTERM loses nothing either.
#[test]
fn events_acknowledged_before_a_sigkill_are_stored_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    for database in crate::databases(dir.path(), "crash") {
        crash_run(&database);
    }
}

fn crash_run(database: &str) {
    let out = run_ok(guardrail().args([
        "token",
        "create",
        "--role",
        "platform",
        "--name",
        "load",
        "--database",
        database,
    ]));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let acknowledged =
        std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let sent = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    // Kill moments in milliseconds after the server is ready (fixed, so a
    // failure can be replayed); the last run ends with SIGTERM instead.
    let kills = [120u64, 300, 60, 450, 200];
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for (round, wait) in kills.iter().chain(std::iter::once(&250)).enumerate() {
        let (mut child, address) = start(database);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients: Vec<_> = (0..3)
            .map(|client| {
                let (address, token) = (address.clone(), token.clone());
                let (acknowledged, sent, stop, next) =
                    (acknowledged.clone(), sent.clone(), stop.clone(), next.clone());
                std::thread::spawn(move || {
                    // Resend this client's unacknowledged events first, then new ones.
                    let mut pending: Vec<(String, String)> = sent
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|(c, _, _)| *c == client)
                        .filter(|(_, id, _)| !acknowledged.lock().unwrap().contains(id))
                        .map(|(_, id, line): &(usize, String, String)| (id.clone(), line.clone()))
                        .collect();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        // Clients 0 and 1 send events, client 2 reports (keyed).
                        let (path, batch) =
                            if client == 2 { ("/v1/reports", 20) } else { ("/v1/events", 50) };
                        while pending.len() < batch {
                            let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let (id, line) =
                                if client == 2 { report_body(n) } else { account_event(client, n) };
                            sent.lock().unwrap().insert((client, id.clone(), line.clone()));
                            pending.push((id, line));
                        }
                        let body: Vec<&str> = pending.iter().map(|(_, l)| l.as_str()).collect();
                        let body = format!("[{}]", body.join(","));
                        match try_http(&address, "POST", path, Some(&token), &body) {
                            Ok((200, answer)) if client == 2 => {
                                let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
                                let results = v["results"].as_array().unwrap();
                                assert!(
                                    results.iter().all(|r| r["status"] != "refused"),
                                    "{answer}"
                                );
                                let mut acked = acknowledged.lock().unwrap();
                                acked.extend(pending.drain(..).map(|(id, _)| id));
                            }
                            Ok((200, _)) => {
                                let mut acked = acknowledged.lock().unwrap();
                                acked.extend(pending.drain(..).map(|(id, _)| id));
                            }
                            Ok((status, body)) if status != 0 => panic!("{status}: {body}"),
                            _ => break, // killed: resend after the restart
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(*wait));
        let last = round == kills.len();
        let signal = if last { "-TERM" } else { "-KILL" };
        assert!(std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap()
            .success());
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let status = child.wait().unwrap();
        if last {
            assert!(status.success(), "SIGTERM exits cleanly: {status}");
        }
        for c in clients {
            c.join().unwrap();
        }
    }
    let acknowledged = acknowledged.lock().unwrap();
    let sent = sent.lock().unwrap();
    assert!(acknowledged.len() > 500, "only {} acknowledged", acknowledged.len());
    let mut store = guardrail_engine::store::open_reader(database).unwrap();
    let mut stored = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 10_000).unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        stored.extend(page.into_iter().map(|e| e.id));
    }
    // Reports: every acknowledged key is stored once, in one case, and the
    // review data is consistent after the kills.
    let report_keys: Vec<&String> =
        acknowledged.iter().filter(|k| k.starts_with("crash-report-")).collect();
    assert!(report_keys.len() > 40, "only {} reports acknowledged", report_keys.len());
    for key in &report_keys {
        assert!(
            store.review_report_by_key(key).unwrap().is_some(),
            "report {key} acknowledged, not stored"
        );
    }
    let check = guardrail_engine::review::check_review(store.as_mut()).unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    let reports_sent = sent.iter().filter(|(c, _, _)| *c == 2).count() as u64;
    assert!(check.reports <= reports_sent, "more reports stored than sent: {check:?}");
    let stored: Vec<String> =
        stored.into_iter().filter(|id| !id.starts_with("crash-report-")).collect();
    let acknowledged: std::collections::BTreeSet<String> =
        acknowledged.iter().filter(|k| !k.starts_with("crash-report-")).cloned().collect();
    let sent: Vec<(usize, String, String)> =
        sent.iter().filter(|(c, _, _)| *c != 2).cloned().collect();
    let unique: std::collections::BTreeSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "an event stored twice");
    let missing: Vec<_> = acknowledged.iter().filter(|id| !unique.contains(id)).take(5).collect();
    assert!(missing.is_empty(), "acknowledged but not stored: {missing:?} on {database}");
    let sent_ids: std::collections::BTreeSet<&String> = sent.iter().map(|(_, id, _)| id).collect();
    assert!(unique.iter().all(|id| sent_ids.contains(id)), "stored what no one sent");
    eprintln!(
        "crash test on {database}: {} rounds, {} events sent, {} acknowledged, {} stored; {} reports acknowledged, {} stored in {} cases",
        kills.len() + 1,
        sent_ids.len(),
        acknowledged.len(),
        stored.len(),
        report_keys.len(),
        check.reports,
        check.cases
    );
}
