//! What every request shares: the engine's host (its snapshot answers
//! checks), a read connection to the store, readiness, limits and metrics.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use guardrail_engine::host::Host;
use guardrail_engine::review::{EventIntake, ReviewConfig};
use guardrail_engine::store_backend::Store;
use guardrail_engine::tokens::Role;

use crate::config::Limits;
use crate::metrics::Metrics;

/// The shared state of the application (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    host: Arc<Host>,
    reads: Mutex<Box<dyn Store>>,
    review: Review,
    ready: AtomicBool,
    scanning: AtomicBool,
    limits: Limits,
    lexicon_file: Option<PathBuf>,
    policy_file: Option<PathBuf>,
    metrics: Metrics,
    /// Tokens that passed, by the SHA-256 of their secret (never the secret):
    /// name, role and when the store confirmed them.
    tokens: Mutex<HashMap<String, (String, Role, Instant)>>,
    /// The configured webhook endpoints' names.
    webhooks: Mutex<Vec<String>>,
    /// Wakes the delivery tasks when events were appended.
    outbox: tokio::sync::Notify,
    /// Each token's rate-limit bucket, by token name: tokens left and when it was refilled.
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    /// Wakes the review intake when events were appended (a stored permit:
    /// a wake-up while it runs is not lost).
    intake: tokio::sync::Notify,
}

/// Review's side of the service: its configuration, and its own writer
/// connection with the log's intake (reports, claims and decisions never
/// wait for a rescan, which holds the host's store).
pub struct Review {
    config: ReviewConfig,
    desk: Mutex<Desk>,
    /// NCMEC's client, when the review configuration has credentials.
    cybertip: Option<guardrail_engine::cybertip::Client>,
}

/// The review connection and the intake that files the log into cases.
pub(crate) struct Desk {
    pub(crate) store: Box<dyn Store>,
    pub(crate) intake: EventIntake,
}

impl Review {
    /// Review over its own writer connection, with the configuration's
    /// reviewers and SLAs; the intake starts at the beginning of the log
    /// (it files nothing twice) with the latest stored scan's linkage.
    pub fn open(
        mut store: Box<dyn Store>,
        config: ReviewConfig,
    ) -> guardrail_engine::Result<Review> {
        let intake = EventIntake::new(store.as_mut())?;
        // Without credentials the service still queues and reports nothing:
        // `/metrics` counts the cases awaiting a report, and the CLI submits.
        let cybertip = guardrail_engine::cybertip::Client::new(&config).ok();
        Ok(Review { config, desk: Mutex::new(Desk { store, intake }), cybertip })
    }
}

/// Who called: the token that passed `authorize` (its name and role). The
/// handlers act in the token's name: the audit log says which token did what.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) name: String,
    pub(crate) role: Role,
}

/// How long a token the store confirmed is trusted without asking it again:
/// a revocation through the API takes effect at once, one made directly in
/// the database (`guardrail token revoke`) within this time.
pub(crate) const TOKEN_CACHE_SECONDS: u64 = 5;

impl AppState {
    /// State over an open host; `reads` is a second connection for token
    /// look-ups and stored scans (never blocked by a rescan, which holds the
    /// host's writers' lock).
    pub fn new(
        host: Arc<Host>,
        reads: Box<dyn Store>,
        review: Review,
        limits: Limits,
        lexicon_file: Option<PathBuf>,
        policy_file: Option<PathBuf>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Shared {
                host,
                reads: Mutex::new(reads),
                review,
                ready: AtomicBool::new(false),
                scanning: AtomicBool::new(false),
                limits,
                lexicon_file,
                policy_file,
                metrics: Metrics::default(),
                tokens: Mutex::new(HashMap::new()),
                webhooks: Mutex::new(Vec::new()),
                outbox: tokio::sync::Notify::new(),
                buckets: Mutex::new(HashMap::new()),
                intake: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The engine's host.
    pub fn host(&self) -> &Arc<Host> {
        &self.inner.host
    }

    /// The read connection.
    pub(crate) fn reads(&self) -> MutexGuard<'_, Box<dyn Store>> {
        self.inner.reads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The review connection and intake (one at a time: SQLite has one writer anyway).
    pub(crate) fn desk(&self) -> MutexGuard<'_, Desk> {
        self.inner.review.desk.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The review configuration as `caller` acts under it (their token's
    /// review roles added to the configured ones).
    pub(crate) fn review_config(&self, caller: &Caller) -> ReviewConfig {
        self.inner.review.config.with_token(&caller.name, caller.role)
    }

    /// Files what the log holds beyond the intake's place (reports, the
    /// platform's enforcement, hash-matched posts) into cases.
    pub fn catch_up_review(&self) -> guardrail_engine::Result<guardrail_engine::review::LogIntake> {
        let matcher = self.inner.host.snapshot().matcher().cloned();
        let mut desk = self.desk();
        let Desk { store, intake } = &mut *desk;
        intake.catch_up(store.as_mut(), matcher.as_deref())
    }

    /// Runs the due CyberTipline submissions and refreshes their gauges (the
    /// service does it every minute).
    pub fn run_cybertip(&self) -> guardrail_engine::Result<()> {
        crate::api::review::cybertip_tick(self)
    }

    /// The review configuration as the service itself acts under it.
    pub(crate) fn base_review_config(&self) -> &ReviewConfig {
        &self.inner.review.config
    }

    /// NCMEC's client, when credentials are configured.
    pub(crate) fn cybertip_client(&self) -> Option<&guardrail_engine::cybertip::Client> {
        self.inner.review.cybertip.as_ref()
    }

    /// Reads the latest scan's linkage and the banks again for review (after
    /// a rescan), and files what the scan found (tiers, ban evasion) as signals.
    pub fn relink_review(&self) -> guardrail_engine::Result<guardrail_engine::review::LogIntake> {
        let mut desk = self.desk();
        let Desk { store, intake } = &mut *desk;
        intake.relink(store.as_mut())?;
        intake.file_scan(store.as_mut())
    }

    /// Tells the review intake that the log grew.
    pub(crate) fn notify_intake(&self) {
        self.inner.intake.notify_one();
    }

    /// Resolves when [`AppState::notify_intake`] was called (now or before).
    pub(crate) async fn intake_notified(&self) {
        self.inner.intake.notified().await;
    }

    /// Whether the start-up scan has finished.
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::Acquire)
    }

    /// Marks the service ready (after the start-up scan).
    pub fn set_ready(&self) {
        self.inner.ready.store(true, Ordering::Release);
    }

    /// Claims the one scan slot; false when a scan is already running.
    pub(crate) fn start_scan(&self) -> bool {
        !self.inner.scanning.swap(true, Ordering::AcqRel)
    }

    /// Frees the scan slot.
    pub(crate) fn end_scan(&self) {
        self.inner.scanning.store(false, Ordering::Release);
    }

    /// Whether a scan is running.
    pub(crate) fn scanning(&self) -> bool {
        self.inner.scanning.load(Ordering::Acquire)
    }

    /// The request limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The lexicon file uploads write, if one is configured.
    pub(crate) fn lexicon_file(&self) -> Option<&PathBuf> {
        self.inner.lexicon_file.as_ref()
    }

    /// The policy file replacements write, if one is configured.
    pub(crate) fn policy_file(&self) -> Option<&PathBuf> {
        self.inner.policy_file.as_ref()
    }

    /// A token confirmed less than [`TOKEN_CACHE_SECONDS`] ago, by the hash of its secret.
    pub(crate) fn cached_token(&self, hash: &str) -> Option<(String, Role)> {
        let tokens = self.inner.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let (name, role, at) = tokens.get(hash)?;
        (at.elapsed() < Duration::from_secs(TOKEN_CACHE_SECONDS)).then(|| (name.clone(), *role))
    }

    /// Remembers a token the store confirmed.
    pub(crate) fn cache_token(&self, hash: String, name: String, role: Role) {
        let mut tokens = self.inner.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() > 10_000 {
            tokens.clear();
        }
        tokens.insert(hash, (name, role, Instant::now()));
    }

    /// Takes one request from a token's bucket: `Ok` when it may go on,
    /// `Err(seconds)` until the next one may. Always `Ok` without a limit.
    pub(crate) fn take_request(&self, token: &str) -> Result<(), f64> {
        let rate = f64::from(self.inner.limits.requests_per_second_per_token);
        if rate <= 0.0 {
            return Ok(());
        }
        let burst = f64::from(self.inner.limits.burst_per_token.max(1));
        let mut buckets = self.inner.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let (left, at) = buckets.entry(token.to_owned()).or_insert((burst, now));
        *left = (*left + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *left >= 1.0 {
            *left -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *left) / rate)
        }
    }

    /// Forgets a token (revoked through the API).
    pub(crate) fn forget_token(&self, name: &str) {
        let mut tokens = self.inner.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|_, (n, _, _)| n != name);
    }

    /// The configured webhook endpoints.
    pub(crate) fn webhook_names(&self) -> Vec<String> {
        self.inner.webhooks.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn set_webhook_names(&self, names: Vec<String>) {
        *self.inner.webhooks.lock().unwrap_or_else(PoisonError::into_inner) = names;
    }

    /// Tells the delivery tasks that the outbox may have new rows.
    pub(crate) fn notify_outbox(&self) {
        self.inner.outbox.notify_waiters();
    }

    /// Resolves when [`AppState::notify_outbox`] is called.
    pub(crate) async fn outbox_notified(&self) {
        self.inner.outbox.notified().await;
    }

    /// The metrics.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}
