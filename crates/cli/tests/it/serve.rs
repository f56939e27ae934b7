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
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
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
    let mut child = guardrail()
        .args(["serve", "--demo", "--demo-accounts", "600", "--listen", "127.0.0.1:0"])
        .args(["--database", database])
        .env("TMPDIR", dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut address = None;
    let mut platform = None;
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if let Some(url) = line.trim().strip_prefix("guardrail serve: listening on http://") {
            address = Some(url.to_owned());
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
