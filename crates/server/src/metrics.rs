//! Prometheus metrics in the text exposition format, kept with atomics and
//! one small map of per-route counters (no metrics crate: a handful of
//! counters does not need one).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use guardrail_engine::host::Snapshot;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    seconds: f64,
}

/// The server's counters.
#[derive(Default)]
pub(crate) struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    pub(crate) events_inserted: AtomicU64,
    pub(crate) events_duplicates: AtomicU64,
    pub(crate) events_invalid: AtomicU64,
    pub(crate) events_conflicts: AtomicU64,
    pub(crate) guard_candidates: AtomicU64,
    pub(crate) guard_dropped: AtomicU64,
    pub(crate) searches_blocked: AtomicU64,
    pub(crate) text_checks: AtomicU64,
    pub(crate) text_flagged: AtomicU64,
    pub(crate) media_checks: AtomicU64,
    pub(crate) media_matched: AtomicU64,
    pub(crate) scans: AtomicU64,
    pub(crate) scan_failures: AtomicU64,
    pub(crate) webhooks_delivered: AtomicU64,
    pub(crate) webhooks_failed: AtomicU64,
    pub(crate) webhooks_given_up: AtomicU64,
    pub(crate) outbox_pending: AtomicU64,
    pub(crate) review_reports: AtomicU64,
    pub(crate) review_signals: AtomicU64,
    pub(crate) review_invalid: AtomicU64,
    pub(crate) review_failures: AtomicU64,
    pub(crate) cybertip_failed: AtomicU64,
    pub(crate) cybertip_open: AtomicU64,
    pub(crate) cybertip_awaiting: AtomicU64,
    pub(crate) cybertip_finished: AtomicU64,
    pub(crate) last_scan_seconds: Mutex<Option<(f64, std::time::Instant)>>,
    drops_by_reason: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Records one answered request.
    pub(crate) fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let mut routes = self.routes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stats = routes.entry((method.to_owned(), route.to_owned())).or_default();
        *stats.by_status.entry(status).or_default() += 1;
        let seconds = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                stats.buckets[i] += 1;
            }
        }
        stats.count += 1;
        stats.seconds += seconds;
    }

    /// Records the reasons of a dropped candidate.
    pub(crate) fn dropped(&self, reasons: impl Iterator<Item = &'static str>) {
        self.guard_dropped.fetch_add(1, Ordering::Relaxed);
        let mut by = self.drops_by_reason.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in reasons {
            *by.entry(r).or_default() += 1;
        }
    }

    /// The exposition text.
    pub(crate) fn render(&self, snapshot: &Snapshot, ready: bool) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        let gauge = |out: &mut String, name: &str, help: &str, value: f64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        {
            let routes = self.routes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = writeln!(out, "# HELP guardrail_http_requests_total Requests answered, by route and status.\n# TYPE guardrail_http_requests_total counter");
            for ((method, route), s) in routes.iter() {
                for (status, n) in &s.by_status {
                    let _ = writeln!(out, "guardrail_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
                }
            }
            let _ = writeln!(out, "# HELP guardrail_http_request_seconds Request latency, by route.\n# TYPE guardrail_http_request_seconds histogram");
            for ((method, route), s) in routes.iter() {
                for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                    let _ = writeln!(out, "guardrail_http_request_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"{bound}\"}} {n}");
                }
                let _ = writeln!(out, "guardrail_http_request_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"+Inf\"}} {}", s.count);
                let _ = writeln!(out, "guardrail_http_request_seconds_sum{{method=\"{method}\",route=\"{route}\"}} {}", s.seconds);
                let _ = writeln!(out, "guardrail_http_request_seconds_count{{method=\"{method}\",route=\"{route}\"}} {}", s.count);
            }
        }
        counter(
            &mut out,
            "guardrail_events_inserted_total",
            "Events newly stored.",
            load(&self.events_inserted),
        );
        counter(
            &mut out,
            "guardrail_events_duplicate_total",
            "Events already stored with the same content.",
            load(&self.events_duplicates),
        );
        counter(
            &mut out,
            "guardrail_events_invalid_total",
            "Event lines refused as invalid.",
            load(&self.events_invalid),
        );
        counter(
            &mut out,
            "guardrail_events_conflict_total",
            "Events whose id is stored with other content.",
            load(&self.events_conflicts),
        );
        counter(
            &mut out,
            "guardrail_guard_candidates_total",
            "Candidates decided.",
            load(&self.guard_candidates),
        );
        counter(
            &mut out,
            "guardrail_guard_dropped_total",
            "Candidates dropped.",
            load(&self.guard_dropped),
        );
        {
            let by = self.drops_by_reason.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = writeln!(out, "# HELP guardrail_guard_drop_reasons_total Dropped candidates by reason.\n# TYPE guardrail_guard_drop_reasons_total counter");
            for (reason, n) in by.iter() {
                let _ =
                    writeln!(out, "guardrail_guard_drop_reasons_total{{reason=\"{reason}\"}} {n}");
            }
        }
        counter(
            &mut out,
            "guardrail_searches_blocked_total",
            "Search queries blocked.",
            load(&self.searches_blocked),
        );
        counter(&mut out, "guardrail_text_checks_total", "Texts checked.", load(&self.text_checks));
        counter(
            &mut out,
            "guardrail_text_flagged_total",
            "Texts at strong or block.",
            load(&self.text_flagged),
        );
        counter(
            &mut out,
            "guardrail_media_checks_total",
            "Media checks by hash.",
            load(&self.media_checks),
        );
        counter(
            &mut out,
            "guardrail_media_matched_total",
            "Media checks with a bank match.",
            load(&self.media_matched),
        );
        counter(&mut out, "guardrail_scans_total", "Scans finished.", load(&self.scans));
        counter(
            &mut out,
            "guardrail_scan_failures_total",
            "Scans that failed.",
            load(&self.scan_failures),
        );
        counter(
            &mut out,
            "guardrail_webhooks_delivered_total",
            "Outbox rows an endpoint acknowledged.",
            load(&self.webhooks_delivered),
        );
        counter(
            &mut out,
            "guardrail_webhook_failures_total",
            "Delivery attempts that failed.",
            load(&self.webhooks_failed),
        );
        counter(
            &mut out,
            "guardrail_webhooks_given_up_total",
            "Outbox rows given up after their retry window.",
            load(&self.webhooks_given_up),
        );
        counter(
            &mut out,
            "guardrail_review_reports_filed_total",
            "Report events of the log filed into cases by the service's intake.",
            load(&self.review_reports),
        );
        counter(
            &mut out,
            "guardrail_review_signals_filed_total",
            "Detection signals (hash matches, the platform's enforcement) filed into cases.",
            load(&self.review_signals),
        );
        counter(
            &mut out,
            "guardrail_review_reports_refused_total",
            "Report events of the log refused by review's validation (logged with the event id).",
            load(&self.review_invalid),
        );
        gauge(
            &mut out,
            "guardrail_cybertip_failed",
            "CyberTipline submissions that failed and need a person (alert on any).",
            load(&self.cybertip_failed) as f64,
        );
        gauge(
            &mut out,
            "guardrail_cybertip_open",
            "CyberTipline submissions queued or submitted and not finished yet.",
            load(&self.cybertip_open) as f64,
        );
        gauge(
            &mut out,
            "guardrail_cybertip_awaiting",
            "Cases decided violating for child safety with no CyberTipline submission queued (alert on any that stays).",
            load(&self.cybertip_awaiting) as f64,
        );
        gauge(
            &mut out,
            "guardrail_cybertip_finished",
            "CyberTipline reports NCMEC confirmed (receipt stored).",
            load(&self.cybertip_finished) as f64,
        );
        counter(
            &mut out,
            "guardrail_review_intake_failures_total",
            "Review intake or relink runs that failed (retried; alert on any).",
            load(&self.review_failures),
        );
        gauge(
            &mut out,
            "guardrail_outbox_pending",
            "Outbox rows (times endpoints) still to deliver.",
            load(&self.outbox_pending) as f64,
        );
        let last =
            *self.last_scan_seconds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((took, at)) = last {
            gauge(&mut out, "guardrail_scan_duration_seconds", "Duration of the last scan.", took);
            gauge(
                &mut out,
                "guardrail_scan_age_seconds",
                "Seconds since the last scan finished.",
                at.elapsed().as_secs_f64(),
            );
        }
        gauge(
            &mut out,
            "guardrail_ready",
            "1 once the start-up scan has finished.",
            f64::from(u8::from(ready)),
        );
        gauge(
            &mut out,
            "guardrail_snapshot_generation",
            "Changes applied to the live state.",
            snapshot.generation() as f64,
        );
        gauge(
            &mut out,
            "guardrail_guard_accounts",
            "Accounts in the guard's state.",
            snapshot.guard().state().accounts() as f64,
        );
        gauge(
            &mut out,
            "guardrail_guard_hashtags",
            "Hashtags in the guard's state.",
            snapshot.guard().state().hashtags() as f64,
        );
        gauge(
            &mut out,
            "guardrail_live_marks",
            "Accounts marked by direct signals since the last scan.",
            snapshot.live().len() as f64,
        );
        let hashes = snapshot.banks().map_or(0, |b| b.banks().len());
        gauge(&mut out, "guardrail_banks", "Hash banks loaded.", hashes as f64);
        out
    }
}
