//! The service's routes, in process: `tower::ServiceExt::oneshot` over the
//! real router, on a temporary SQLite database holding a small synthetic
//! world that the host has scanned.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed step should fail the test

mod access;
mod admin;
mod checks;
mod events;
mod openapi;
mod review;
mod webhooks;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use guardrail_engine::events::SignalSources;
use guardrail_engine::guard_engine::Policy;
use guardrail_engine::host::{Host, HostConfig};
use guardrail_engine::lexicon::{LexiconSource, TEST_LEXICON};
use guardrail_engine::store_backend::IngestOptions;
use guardrail_engine::tokens::Role;
use guardrail_server::{AppState, Limits, Review};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A scanned service over a temporary world.
pub(crate) struct Api {
    pub(crate) state: AppState,
    pub(crate) tokens: HashMap<Role, String>,
    pub(crate) world: PathBuf,
    pub(crate) lexicon: PathBuf,
    _dir: tempfile::TempDir,
}

impl Api {
    pub(crate) fn new() -> Api {
        Api::with_limits(Limits::default())
    }

    pub(crate) fn with_limits(limits: Limits) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let world = dir.path().join("world");
        guardrail_engine::world::synthesise(
            guardrail_engine::synth::Config::new(500, 3),
            &LexiconSource::default(),
            &world,
        )
        .unwrap();
        let lexicon = dir.path().join("lexicon.toml");
        std::fs::write(&lexicon, TEST_LEXICON.toml).unwrap();
        let database = dir.path().join("g.db").display().to_string();
        let host = Host::open(HostConfig {
            database: database.clone(),
            signals: SignalSources { lexicon: LexiconSource::file(&lexicon), ..Default::default() },
            policy: Policy::default(),
            scan: Default::default(),
        })
        .unwrap();
        let bank = std::fs::read_to_string(world.join("bank.txt")).unwrap();
        let tokens = host
            .with_store(|store| {
                guardrail_engine::ingest::ingest_path(
                    store,
                    &world.join("events.jsonl"),
                    &IngestOptions::default(),
                    &mut |_| {},
                )?;
                guardrail_engine::banks::import(
                    store,
                    &guardrail_engine::banks::Import {
                        bank: "world",
                        action: "report",
                        tags: &[],
                        kind: None,
                        text: &bank,
                        name: "bank.txt",
                    },
                )?;
                let mut tokens = HashMap::new();
                for role in Role::ALL {
                    tokens.insert(
                        role,
                        guardrail_engine::tokens::create(store, role.as_str(), role)?,
                    );
                }
                Ok(tokens)
            })
            .unwrap();
        host.reload_banks().unwrap();
        host.rescan().unwrap();
        let reads = guardrail_engine::store::open_writer(&database).unwrap();
        let review = Review::open(
            guardrail_engine::store::open_writer(&database).unwrap(),
            guardrail_engine::review::ReviewConfig::default(),
        )
        .unwrap();
        let state =
            AppState::new(Arc::new(host), reads, review, limits, Some(lexicon.clone()), None);
        state.catch_up_review().unwrap();
        state.set_ready();
        Api { state, tokens, world, lexicon, _dir: dir }
    }

    pub(crate) fn app(&self) -> Router {
        guardrail_server::app(self.state.clone())
    }

    pub(crate) fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    /// A JSON request as `role` (no token with `None`).
    pub(crate) async fn json(
        &self,
        method: &str,
        path: &str,
        role: Option<Role>,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.send(
            method,
            path,
            role.map(|r| self.token(r).to_owned()),
            "application/json",
            body.to_string(),
        )
        .await
    }

    /// Any request; the response body parsed as JSON (`Null` when it is not JSON).
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<String>,
        content_type: &str,
        body: String,
    ) -> (StatusCode, serde_json::Value) {
        let (status, text) = self.raw(method, path, token, content_type, body).await;
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<String>,
        content_type: &str,
        body: String,
    ) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if !content_type.is_empty() {
            request = request.header("content-type", content_type);
        }
        let response = self.app().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// The world's event lines.
    pub(crate) fn events(&self) -> Vec<String> {
        std::fs::read_to_string(self.world.join("events.jsonl"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Asserts the error shape and code.
#[track_caller]
pub(crate) fn assert_error(got: &(StatusCode, serde_json::Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(got.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", got.1);
}
