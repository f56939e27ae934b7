//! Webhook delivery: one task per configured endpoint reads the store's
//! outbox (written in the same transaction as the events that caused each
//! row), POSTs each row as signed JSON, and records every attempt; a failed
//! attempt is retried with exponential back-off until the endpoint's retry
//! window has passed. The outbox is in the database, so nothing is lost
//! across a restart: delivery resumes where the records say it stopped.
//!
//! Each request carries `idempotency-key` (the row's key, the same on every
//! retry), `x-guardrail-timestamp` (Unix seconds) and
//! `x-guardrail-signature: sha256=<hex>`, the HMAC-SHA256 with the endpoint's
//! secret of `<timestamp>.<body>`: a receiver recomputes it, compares in
//! constant time, and refuses stale timestamps to stop replays.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use guardrail_engine::store_backend::{Attempt, AttemptOutcome, OutboxRow};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::config::WebhookConfig;
use crate::state::AppState;

/// A checked endpoint.
#[derive(Clone)]
pub(crate) struct Endpoint {
    name: String,
    url: hyper::Uri,
    secret: String,
    retry_window: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
    timeout: Duration,
}

impl Endpoint {
    fn from_config(c: &WebhookConfig) -> anyhow::Result<Endpoint> {
        let url: hyper::Uri =
            c.url.parse().with_context(|| format!("webhook {}: url {:?}", c.name, c.url))?;
        anyhow::ensure!(
            url.scheme_str() == Some("http") && url.host().is_some(),
            "webhook {}: url {:?} must be http://host/... (put a TLS-terminating relay in front for https)",
            c.name,
            c.url
        );
        anyhow::ensure!(
            c.secret.len() >= 16,
            "webhook {}: secret must have at least 16 characters",
            c.name
        );
        anyhow::ensure!(!c.name.trim().is_empty(), "webhook name must not be empty");
        Ok(Endpoint {
            name: c.name.clone(),
            url,
            secret: c.secret.clone(),
            retry_window: Duration::from_secs(c.retry_window_seconds),
            initial_backoff: Duration::from_millis(c.initial_backoff_ms.max(1)),
            max_backoff: Duration::from_secs(c.max_backoff_seconds.max(1)),
            timeout: Duration::from_secs(c.timeout_seconds.max(1)),
        })
    }
}

/// The signature of a body at a timestamp: hex HMAC-SHA256 of `<timestamp>.<body>`.
pub fn signature(secret: &str, timestamp: u64, body: &str) -> String {
    // A key of any length is accepted by HMAC, so this cannot fail.
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the webhook configuration and starts one delivery task per
/// endpoint (inside the runtime); the host writes to the outbox from then on.
pub fn start(state: &AppState, configs: &[WebhookConfig]) -> anyhow::Result<()> {
    if configs.is_empty() {
        return Ok(());
    }
    let endpoints: Vec<Endpoint> =
        configs.iter().map(Endpoint::from_config).collect::<anyhow::Result<_>>()?;
    let mut names: Vec<&str> = endpoints.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    anyhow::ensure!(names.len() == endpoints.len(), "webhook names must be unique");
    state.set_webhook_names(endpoints.iter().map(|e| e.name.clone()).collect());
    state.host().enable_outbox();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    for endpoint in endpoints {
        tokio::spawn(deliver(state.clone(), client.clone(), endpoint));
    }
    Ok(())
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

fn now_rfc3339() -> String {
    guardrail_engine::core::Timestamp::from_unix_micros(now_us())
        .map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), |t| t.to_rfc3339())
}

async fn deliver(
    state: AppState,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    endpoint: Endpoint,
) {
    loop {
        let name = endpoint.name.clone();
        let reads = state.clone();
        let due =
            tokio::task::spawn_blocking(move || reads.reads().due_outbox(&name, now_us(), 100))
                .await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::error!(endpoint = %endpoint.name, error = %e, "reading the outbox");
                Vec::new()
            }
            Err(e) => {
                tracing::error!(endpoint = %endpoint.name, error = %e, "reading the outbox");
                Vec::new()
            }
        };
        if due.is_empty() {
            update_pending(&state).await;
            tokio::select! {
                () = state.outbox_notified() => {},
                () = tokio::time::sleep(Duration::from_millis(200)) => {},
            }
            continue;
        }
        for row in due {
            attempt(&state, &client, &endpoint, row).await;
        }
        update_pending(&state).await;
    }
}

async fn update_pending(state: &AppState) {
    let reads = state.clone();
    let names = state.webhook_names();
    if let Ok(Ok(n)) =
        tokio::task::spawn_blocking(move || reads.reads().outbox_pending(&names)).await
    {
        state.metrics().outbox_pending.store(n, Ordering::Relaxed);
    }
}

async fn attempt(
    state: &AppState,
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    endpoint: &Endpoint,
    row: OutboxRow,
) {
    let timestamp = (now_us() / 1_000_000).max(0) as u64;
    let signature = signature(&endpoint.secret, timestamp, &row.body);
    let request = hyper::Request::post(endpoint.url.clone())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", &row.key)
        .header("x-guardrail-event-type", &row.kind)
        .header("x-guardrail-timestamp", timestamp.to_string())
        .header("x-guardrail-signature", format!("sha256={signature}"))
        .body(Full::new(Bytes::from(row.body.clone())));
    let (status, error) = match request {
        Err(e) => (None, Some(format!("building the request: {e}"))),
        Ok(request) => {
            match tokio::time::timeout(endpoint.timeout, client.request(request)).await {
                Err(_) => {
                    (None, Some(format!("no answer within {} s", endpoint.timeout.as_secs())))
                }
                Ok(Err(e)) => (None, Some(format!("{e}"))),
                Ok(Ok(response)) => {
                    let status = response.status();
                    (
                        Some(status.as_u16()),
                        (!status.is_success()).then(|| format!("answered {status}")),
                    )
                }
            }
        }
    };
    let m = state.metrics();
    let delivered = error.is_none();
    let store = state.clone();
    let name = endpoint.name.clone();
    let window = endpoint.retry_window;
    let (initial, max) = (endpoint.initial_backoff, endpoint.max_backoff);
    let result = tokio::task::spawn_blocking(move || {
        let mut store = store.reads();
        let outcome = if delivered {
            AttemptOutcome::Delivered
        } else {
            let attempts = store
                .deliveries(row.id)?
                .into_iter()
                .find(|d| d.endpoint == name)
                .map_or(0, |d| d.attempts);
            let now = now_us();
            if now - row.created_us > window.as_micros() as i64 {
                AttemptOutcome::GiveUp
            } else {
                let doubling = 2u32.saturating_pow(attempts.min(30) as u32);
                let delay = initial.saturating_mul(doubling).min(max);
                AttemptOutcome::Retry(now + delay.as_micros() as i64)
            }
        };
        let attempt = Attempt { outbox: row.id, endpoint: name, at: now_rfc3339(), status, error };
        store.record_attempt(&attempt, outcome).map(|()| outcome)
    })
    .await;
    match result {
        Ok(Ok(AttemptOutcome::Delivered)) => {
            m.webhooks_delivered.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Ok(AttemptOutcome::GiveUp)) => {
            m.webhooks_failed.fetch_add(1, Ordering::Relaxed);
            m.webhooks_given_up.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(endpoint = %endpoint.name, "gave up on an outbox row after its retry window");
        }
        Ok(Ok(AttemptOutcome::Retry(_))) => {
            m.webhooks_failed.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Err(e)) => {
            tracing::error!(endpoint = %endpoint.name, error = %e, "recording a webhook attempt")
        }
        Err(e) => {
            tracing::error!(endpoint = %endpoint.name, error = %e, "recording a webhook attempt")
        }
    }
}
