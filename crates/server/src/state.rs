//! What every request shares: the engine's host (its snapshot answers
//! checks), a read connection to the store, readiness, limits and metrics.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use guardrail_engine::host::Host;
use guardrail_engine::store_backend::Store;

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
    ready: AtomicBool,
    scanning: AtomicBool,
    limits: Limits,
    lexicon_file: Option<PathBuf>,
    policy_file: Option<PathBuf>,
    metrics: Metrics,
}

impl AppState {
    /// State over an open host; `reads` is a second connection for token
    /// look-ups and stored scans (never blocked by a rescan, which holds the
    /// host's writers' lock).
    pub fn new(
        host: Arc<Host>,
        reads: Box<dyn Store>,
        limits: Limits,
        lexicon_file: Option<PathBuf>,
        policy_file: Option<PathBuf>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Shared {
                host,
                reads: Mutex::new(reads),
                ready: AtomicBool::new(false),
                scanning: AtomicBool::new(false),
                limits,
                lexicon_file,
                policy_file,
                metrics: Metrics::default(),
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

    /// The metrics.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}
