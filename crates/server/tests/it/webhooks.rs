//! Webhooks against local receivers: one that fails at random and one that
//! is down for a while. Every outbox row is delivered, none is lost, every
//! retry carries the same idempotency key and body, every signature checks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use guardrail_engine::tokens::Role;
use serde_json::json;

use crate::Api;

const SECRET: &str = "a-test-secret-of-some-length";

#[derive(Default)]
struct Received {
    /// Every request: key, body, whether it was acknowledged.
    requests: Vec<(String, String, bool)>,
    bad_signatures: usize,
    rng: u64,
    fail_share: f64,
}

async fn receive(
    State(received): State<Arc<Mutex<Received>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header =
        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let key = header("idempotency-key");
    let timestamp: u64 = header("x-guardrail-timestamp").parse().unwrap_or(0);
    let expected =
        format!("sha256={}", guardrail_server::webhooks::signature(SECRET, timestamp, &body));
    let mut r = received.lock().unwrap();
    if header("x-guardrail-signature") != expected {
        r.bad_signatures += 1;
    }
    // xorshift: the receiver fails a share of requests at random.
    r.rng ^= r.rng << 13;
    r.rng ^= r.rng >> 7;
    r.rng ^= r.rng << 17;
    let fail = (r.rng % 1000) as f64 / 1000.0 < r.fail_share;
    r.requests.push((key, body, !fail));
    if fail {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

async fn receiver(listener: tokio::net::TcpListener, fail_share: f64) -> Arc<Mutex<Received>> {
    let received = Arc::new(Mutex::new(Received {
        rng: 0x9e37_79b9_7f4a_7c15,
        fail_share,
        ..Default::default()
    }));
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(received.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    received
}

fn endpoint(port: u16) -> guardrail_server::WebhookConfig {
    let toml = format!(
        "[[webhooks]]\nname = \"platform\"\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret = \"{SECRET}\"\ninitial_backoff_ms = 20\nmax_backoff_seconds = 1\n"
    );
    guardrail_server::Config::from_toml(&toml).unwrap().webhooks.remove(0)
}

/// Sends `n` child-safety bans and one restore; returns the outbox keys expected.
async fn send_actions(api: &Api, n: usize) -> BTreeSet<String> {
    let mut events: Vec<serde_json::Value> = (0..n)
        .map(|i| json!({"type": "enforcement", "id": format!("hook-ban-{i}"), "at": "2030-01-01T00:00:00Z",
                         "account": format!("hook-{i}"), "action": "ban", "confirmed_category": "child_safety"}))
        .collect();
    events.push(json!({"type": "enforcement", "id": "hook-restore", "at": "2030-01-02T00:00:00Z", "account": "hook-0", "action": "restore"}));
    for chunk in events.chunks(7) {
        let (status, v) = api.json("POST", "/v1/events", Some(Role::Platform), json!(chunk)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    // A retried batch adds no row.
    api.json("POST", "/v1/events", Some(Role::Platform), json!(events[..3])).await;
    let mut keys: BTreeSet<String> =
        (0..n).map(|i| format!("hook-ban-{i}/account.non_recommendable/hook-{i}")).collect();
    keys.insert("hook-restore/account.recommendable/hook-0".into());
    keys
}

async fn wait_delivered(api: &Api, expected: usize) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, outbox) =
            api.json("GET", "/v1/webhooks?limit=1000", Some(Role::Admin), json!({})).await;
        let items = outbox["items"].as_array().unwrap();
        let delivered =
            items.iter().filter(|i| i["deliveries"][0]["delivered_at"].is_string()).count();
        if items.len() == expected && delivered == expected && outbox["pending"] == 0 {
            return outbox;
        }
        assert!(Instant::now() < deadline, "not delivered in time: {outbox}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn check_received(received: &Received, keys: &BTreeSet<String>) {
    assert_eq!(received.bad_signatures, 0);
    let mut bodies: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut acknowledged: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, body, ok) in &received.requests {
        bodies.entry(key.as_str()).or_default().insert(body.as_str());
        if *ok {
            *acknowledged.entry(key.as_str()).or_default() += 1;
        }
    }
    let got: BTreeSet<String> = acknowledged.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(&got, keys, "every row delivered, nothing else");
    assert!(acknowledged.values().all(|&n| n == 1), "acknowledged once each: {acknowledged:?}");
    assert!(bodies.values().all(|b| b.len() == 1), "a retry carries the same body");
    for (key, body) in bodies.iter().map(|(k, b)| (k, b.iter().next().unwrap())) {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["id"], *key, "the body names its idempotency key");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_reaches_a_receiver_that_fails_at_random() {
    let api = Api::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = receiver(listener, 0.5).await;
    guardrail_server::webhooks::start(&api.state, &[endpoint(port)]).unwrap();
    let keys = send_actions(&api, 20).await;
    let outbox = wait_delivered(&api, keys.len()).await;
    let received = received.lock().unwrap();
    check_received(&received, &keys);
    let failed = received.requests.iter().filter(|r| !r.2).count();
    assert!(failed > 0, "the receiver failed some requests");
    // Every attempt is on record, with the status the receiver answered.
    let recorded: usize = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["attempts"].as_array().unwrap().len())
        .sum();
    assert_eq!(recorded, received.requests.len());
    assert!(outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["attempts"].as_array().unwrap())
        .any(|a| a["status"] == 503));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_wait_for_a_receiver_that_is_down_for_a_while() {
    let api = Api::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    guardrail_server::webhooks::start(&api.state, &[endpoint(port)]).unwrap();
    let keys = send_actions(&api, 8).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, down) = api.json("GET", "/v1/webhooks", Some(Role::Admin), json!({})).await;
    let first = &down["items"][0];
    assert!(first["deliveries"][0]["delivered_at"].is_null(), "{down}");
    assert!(first["attempts"].as_array().unwrap().len() >= 2, "retried while down: {down}");
    assert!(first["attempts"][0]["status"].is_null() && first["attempts"][0]["error"].is_string());
    assert_eq!(down["pending"], keys.len());
    let received =
        receiver(tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap(), 0.0).await;
    wait_delivered(&api, keys.len()).await;
    check_received(&received.lock().unwrap(), &keys);
    let (_, metrics) = api
        .raw("GET", "/metrics", Some(api.token(Role::Metrics).to_owned()), "", String::new())
        .await;
    assert!(
        metrics.contains(&format!("guardrail_webhooks_delivered_total {}", keys.len())),
        "{metrics}"
    );
}
