//! The server's TOML configuration file: every key optional, unknown keys
//! refused with the key named (a typo must not silently fall back to a default).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `guardrail serve --config FILE` (docs/API.md lists every key).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (default `127.0.0.1:8080`; port 0 picks a free one).
    pub listen: Option<String>,
    /// Database URL: an SQLite path (default `guardrail.db`) or `postgres://…`.
    pub database: Option<String>,
    /// Lexicon file (`.toml` or `.txt`); `PUT /v1/lexicon` writes it.
    pub lexicon: Option<PathBuf>,
    /// Guard policy file (TOML); `PUT /v1/policy` writes it.
    pub policy: Option<PathBuf>,
    /// Hash-list files loaded as banks besides the database's banks.
    #[serde(default)]
    pub banks: Vec<PathBuf>,
    /// PDQ match radius (default 31, at most 96).
    pub radius: Option<u32>,
    /// Seconds between background rescans (default 300; 0 turns them off).
    pub rescan_interval_seconds: Option<u64>,
    /// `text` (default) or `json`.
    pub log_format: Option<LogFormat>,
    /// Request limits.
    #[serde(default)]
    pub limits: Limits,
    /// A second address serving `/metrics` without a token (for a scraper
    /// on a private network), besides `/metrics` with the `metrics` role.
    pub metrics_listen: Option<String>,
    /// The review configuration (TOML: lease, second-review rate, SLAs,
    /// reviewers' extra roles, the CyberTipline reporter; the same file as
    /// the CLI's `--config` of `guardrail case`).
    pub review: Option<PathBuf>,
    /// Endpoints that receive what guardrail decides the platform must carry out.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
}

/// One webhook endpoint (`[[webhooks]]`).
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// A unique name (deliveries are recorded per name).
    pub name: String,
    /// Where to POST (`http://`; put a TLS-terminating relay in front for `https`).
    pub url: String,
    /// The HMAC-SHA256 key the body is signed with (at least 16 characters).
    pub secret: String,
    /// How long to keep retrying a row, from when it was written (default a day).
    #[serde(default = "default_retry_window")]
    pub retry_window_seconds: u64,
    /// The first retry's delay; each next one doubles it (default 1000).
    #[serde(default = "default_initial_backoff")]
    pub initial_backoff_ms: u64,
    /// The longest delay between retries (default 600).
    #[serde(default = "default_max_backoff")]
    pub max_backoff_seconds: u64,
    /// How long to wait for the endpoint's answer (default 10).
    #[serde(default = "default_webhook_timeout")]
    pub timeout_seconds: u64,
}

fn default_retry_window() -> u64 {
    86_400
}
fn default_initial_backoff() -> u64 {
    1_000
}
fn default_max_backoff() -> u64 {
    600
}
fn default_webhook_timeout() -> u64 {
    10
}

/// The secret is never printed.
impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("retry_window_seconds", &self.retry_window_seconds)
            .finish_non_exhaustive()
    }
}

/// The log line format.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

/// Request limits; every key optional.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body on most routes, in bytes.
    pub body_bytes: usize,
    /// Largest body of an event batch, a hash-list import or a lexicon upload, in bytes.
    pub upload_bytes: usize,
    /// Most events in one batch.
    pub batch_events: usize,
    /// Most candidates in one guard request.
    pub candidates: usize,
    /// Most hashes in one media check.
    pub hashes: usize,
    /// Seconds a request may take before it is answered `timeout`.
    pub request_timeout_seconds: u64,
    /// Requests a second each token may make on average (0: no limit).
    pub requests_per_second_per_token: u32,
    /// Requests a token may make at once above that rate.
    pub burst_per_token: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 1 << 20,
            upload_bytes: 64 << 20,
            batch_events: 10_000,
            candidates: 1_000,
            hashes: 1_000,
            request_timeout_seconds: 30,
            requests_per_second_per_token: 0,
            burst_per_token: 100,
        }
    }
}

/// What went wrong reading a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid (the message names the key and line).
    #[error("in {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What TOML's parser said, with the key.
        message: String,
    },
}

impl Config {
    /// Parses a configuration's text.
    pub fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// Reads a configuration file.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Config::from_toml(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed step should fail the test
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
        let c = Config::from_toml("[limits]\nbatch_events = 5\n").unwrap();
        assert_eq!(c.limits.batch_events, 5);
        assert_eq!(c.limits.body_bytes, Limits::default().body_bytes);
    }

    #[test]
    fn a_full_file_parses() {
        let c = Config::from_toml(
            r#"
            listen = "0.0.0.0:9000"
            database = "postgres://localhost/g"
            lexicon = "lexicon.toml"
            policy = "policy.toml"
            banks = ["a.txt", "b.csv"]
            radius = 20
            rescan_interval_seconds = 0
            log_format = "json"
            review = "review.toml"
            [limits]
            body_bytes = 1000
            upload_bytes = 2000
            batch_events = 3
            candidates = 4
            hashes = 5
            request_timeout_seconds = 6
            [[webhooks]]
            name = "platform"
            url = "http://127.0.0.1:9000/hook"
            secret = "0123456789abcdef"
            retry_window_seconds = 60
            "#,
        )
        .unwrap();
        assert_eq!(c.listen.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(c.banks.len(), 2);
        assert_eq!(c.log_format, Some(LogFormat::Json));
        assert_eq!(c.limits.request_timeout_seconds, 6);
        assert_eq!(
            (c.webhooks[0].retry_window_seconds, c.webhooks[0].initial_backoff_ms),
            (60, 1000)
        );
        assert!(!format!("{c:?}").contains("0123456789abcdef"), "the secret is never printed");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_key_named() {
        let top = Config::from_toml("listen = \"x\"\nlisten_addr = \"y\"\n").unwrap_err();
        assert!(top.to_string().contains("listen_addr"), "{top}");
        let nested = Config::from_toml("[limits]\nbody_byte = 1\n").unwrap_err();
        assert!(nested.to_string().contains("body_byte"), "{nested}");
        let hook = Config::from_toml(
            "[[webhooks]]\nname = \"a\"\nurl = \"u\"\nsecret = \"s\"\nretries = 3\n",
        )
        .unwrap_err();
        assert!(hook.to_string().contains("retries"), "{hook}");
        let bad = Config::from_toml("log_format = \"xml\"\n").unwrap_err();
        assert!(bad.to_string().contains("xml"), "{bad}");
    }

    #[test]
    fn a_file_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve.toml");
        std::fs::write(&path, "rescan_interval = 5\n").unwrap();
        let err = Config::read(&path).unwrap_err().to_string();
        assert!(err.contains("serve.toml") && err.contains("rescan_interval"), "{err}");
    }
}
