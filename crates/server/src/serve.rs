//! `guardrail serve`: reads the configuration, opens the host (with the demo
//! world when asked), owns the tokio runtime, runs the start-up scan (ready
//! only after it), the periodic rescans, and shuts down gracefully on
//! SIGTERM or Ctrl-C (in-flight requests finish).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use guardrail_engine::events::SignalSources;
use guardrail_engine::host::{Host, HostConfig};
use guardrail_engine::lexicon::{LexiconSource, TEST_LEXICON};
use guardrail_engine::store_backend::IngestOptions;
use guardrail_engine::tokens::Role;
use guardrail_engine::EngineError;

use crate::config::{Config, LogFormat};
use crate::state::{AppState, Review};

/// What `guardrail serve` was asked (the command line wins over the file).
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// The configuration file.
    pub config: Option<PathBuf>,
    /// The database URL.
    pub database: Option<String>,
    /// The listen address.
    pub listen: Option<String>,
    /// Synthesise a small world into a fresh database and print a token per role.
    pub demo: bool,
    /// Accounts in the demo world.
    pub demo_accounts: Option<u32>,
}

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default database.
pub const DEFAULT_DATABASE: &str = guardrail_engine::store_backend::DEFAULT_DATABASE;
const DEFAULT_RESCAN_SECONDS: u64 = 300;

/// Runs the service until SIGTERM or Ctrl-C.
pub fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let mut config = match &options.config {
        Some(path) => Config::read(path)?,
        None => Config::default(),
    };
    init_logging(config.log_format.unwrap_or_default());
    if let Some(database) = &options.database {
        config.database = Some(database.clone());
    }
    if let Some(listen) = &options.listen {
        config.listen = Some(listen.clone());
    }
    let demo =
        if options.demo { Some(prepare_demo(&mut config, options.demo_accounts)?) } else { None };
    let database = config.database.clone().unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
    let policy = guardrail_engine::guard::policy_or_default(config.policy.as_deref())?;
    let host_config = HostConfig {
        database: database.clone(),
        signals: SignalSources {
            lexicon: config.lexicon.clone().map(LexiconSource::file).unwrap_or_default(),
            bank_files: config.banks.clone(),
            radius: config.radius,
        },
        policy,
        scan: Default::default(),
    };
    let host = Arc::new(Host::open(host_config).with_context(|| format!("opening {database}"))?);
    let tokens = match &demo {
        Some(world) => Some(load_demo(&host, world)?),
        None => None,
    };
    let reads = guardrail_engine::store::open_writer(&database)?;
    let review_config = match &config.review {
        Some(path) => guardrail_engine::review::ReviewConfig::read(path)?,
        None => guardrail_engine::review::ReviewConfig::default(),
    };
    let review = Review::open(guardrail_engine::store::open_writer(&database)?, review_config)?;
    let state = AppState::new(
        host,
        reads,
        review,
        config.limits.clone(),
        config.lexicon.clone(),
        config.policy.clone(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("guardrail-serve")
        .build()
        .context("starting the async runtime")?;
    let listen = config.listen.clone().unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let interval = config.rescan_interval_seconds.unwrap_or(DEFAULT_RESCAN_SECONDS);
    let webhooks = config.webhooks.clone();
    let metrics_listen = config.metrics_listen.clone();
    let result = runtime.block_on(async {
        crate::webhooks::start(&state, &webhooks)?;
        if let Some(address) = metrics_listen {
            serve_metrics(&state, &address).await?;
        }
        run(state.clone(), listen, interval, tokens).await
    });
    // The runtime goes first: the store's connections (PostgreSQL's client
    // blocks on its own runtime when closed) are dropped with the last state,
    // here, outside any async context.
    drop(runtime);
    drop(state);
    result
}

async fn run(
    state: AppState,
    listen: String,
    rescan_seconds: u64,
    tokens: Option<Vec<(Role, String)>>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "guardrail serve: listening on http://{address}")?;
        if let Some(tokens) = &tokens {
            writeln!(out, "demo tokens (shown once; only their hashes are stored):")?;
            for (role, token) in tokens {
                writeln!(out, "  {:<22} {token}", role.as_str())?;
            }
            if let Some((_, platform)) = tokens.iter().find(|(r, _)| *r == Role::Platform) {
                writeln!(out, "try:\n  curl -s -H 'Authorization: Bearer {platform}' -H 'Content-Type: application/json' \\\n    -d '{{\"text\": \"selling vorblat, dm me\", \"surface\": \"comment\"}}' http://{address}/v1/check/text")?;
            }
        }
        writeln!(out, "ready at http://{address}/readyz after the start-up scan")?;
        out.flush()?;
    }
    start_intake(&state);
    start_cybertip(&state);
    startup_scan(&state);
    if rescan_seconds > 0 {
        let periodic = state.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(rescan_seconds));
            ticks.tick().await;
            loop {
                ticks.tick().await;
                if periodic.is_ready() {
                    spawn_scan(&periodic);
                }
            }
        });
    }
    axum::serve(listener, crate::routes::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("shut down");
    Ok(())
}

/// `/metrics` without a token on an address of its own.
async fn serve_metrics(state: &AppState, address: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address} for metrics"))?;
    let bound = listener.local_addr().context("reading the metrics address")?;
    println!("guardrail serve: metrics on http://{bound}/metrics");
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(crate::api::ops::metrics))
        .with_state(state.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// Files the log's reports, enforcement events and hash-matched posts into
/// cases whenever events were appended (and once after the start-up scan),
/// in the background: an event's acknowledgement never waits for review.
fn start_intake(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            state.intake_notified().await;
            let worker = state.clone();
            match tokio::task::spawn_blocking(move || worker.catch_up_review()).await {
                Ok(Ok(out)) => {
                    let m = state.metrics();
                    m.review_reports.fetch_add(out.reports, Ordering::Relaxed);
                    m.review_signals.fetch_add(out.signals, Ordering::Relaxed);
                    m.review_invalid.fetch_add(out.invalid.len() as u64, Ordering::Relaxed);
                    if out.reports + out.signals > 0 || !out.invalid.is_empty() {
                        tracing::info!(
                            reports = out.reports,
                            signals = out.signals,
                            cases_opened = out.cases_opened,
                            refused = out.invalid.len(),
                            "review intake"
                        );
                    }
                    for (event, why) in out.invalid.iter().take(20) {
                        tracing::warn!(event = %event, why = %why, "report event refused by review");
                    }
                }
                // The place in the log stays: the next wake-up files the rest.
                Ok(Err(e)) => {
                    state.metrics().review_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(error = %format!("{e:#}"), "review intake failed; retried on the next events");
                }
                Err(join) => tracing::error!(error = %join, "review intake panicked"),
            }
        }
    });
}

/// Every minute: runs the CyberTipline submissions that are due (when
/// credentials are configured), logs each one that failed and needs a
/// person, and refreshes the gauges `/metrics` alerts on.
fn start_cybertip(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticks.tick().await;
            let worker = state.clone();
            match tokio::task::spawn_blocking(move || worker.run_cybertip()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(error = %format!("{e:#}"), "CyberTipline submissions could not run; retried in a minute")
                }
                Err(join) => tracing::error!(error = %join, "CyberTipline worker panicked"),
            }
        }
    });
}

/// After a scan: review routes new reports by the new linkage, then files
/// what the log holds beyond its place.
fn after_scan(state: &AppState) {
    match state.relink_review() {
        Ok(out) => {
            state.metrics().review_signals.fetch_add(out.signals, Ordering::Relaxed);
            if out.signals > 0 {
                tracing::info!(
                    signals = out.signals,
                    cases_opened = out.cases_opened,
                    "the scan's findings filed for review"
                );
            }
        }
        Err(e) => {
            state.metrics().review_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %format!("{e:#}"), "review could not read the new scan; it keeps the last one");
        }
    }
    state.notify_intake();
}

/// The start-up scan: ready once it has finished (or the log was empty).
fn startup_scan(state: &AppState) {
    let state = state.clone();
    state.start_scan();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        match state.host().rescan() {
            Ok(snapshot) => {
                record_scan(&state, started);
                tracing::info!(
                    generation = snapshot.generation(),
                    seconds = started.elapsed().as_secs_f64(),
                    "start-up scan done"
                );
                after_scan(&state);
                state.set_ready();
            }
            Err(EngineError::NoEvents { .. }) => {
                tracing::info!("the event log is empty: ready without a scan");
                state.notify_intake();
                state.set_ready();
            }
            Err(e) => {
                state.metrics().scan_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %format!("{e:#}"), "start-up scan failed; not ready");
            }
        }
        state.end_scan();
    });
}

fn record_scan(state: &AppState, started: Instant) {
    let m = state.metrics();
    m.scans.fetch_add(1, Ordering::Relaxed);
    *m.last_scan_seconds.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
        Some((started.elapsed().as_secs_f64(), Instant::now()));
}

/// Starts a background rescan unless one is running; the current snapshot
/// answers until the new one is swapped in.
pub(crate) fn spawn_scan(state: &AppState) -> bool {
    if !state.start_scan() {
        return false;
    }
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        match state.host().rescan() {
            Ok(snapshot) => {
                record_scan(&state, started);
                tracing::info!(
                    generation = snapshot.generation(),
                    seconds = started.elapsed().as_secs_f64(),
                    "rescan done"
                );
                after_scan(&state);
            }
            Err(EngineError::NoEvents { .. }) => {}
            Err(e) => {
                state.metrics().scan_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %format!("{e:#}"), "rescan failed; the current state stays");
            }
        }
        state.end_scan();
    });
    true
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Where the demo's world lives.
struct DemoWorld {
    dir: PathBuf,
}

/// Synthesises the demo world into a new directory and points the
/// configuration at a fresh database and the test lexicon there.
fn prepare_demo(config: &mut Config, accounts: Option<u32>) -> anyhow::Result<DemoWorld> {
    let dir = std::env::temp_dir().join(format!("guardrail-serve-demo-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let accounts = accounts.unwrap_or(2_000);
    eprintln!("demo: synthesising a platform of {accounts} accounts into {}", dir.display());
    guardrail_engine::world::synthesise(
        guardrail_engine::synth::Config::new(accounts, 1),
        &LexiconSource::default(),
        &dir.join("world"),
    )?;
    let lexicon = dir.join("lexicon.toml");
    std::fs::write(&lexicon, TEST_LEXICON.toml)
        .with_context(|| format!("writing {}", lexicon.display()))?;
    config.lexicon = Some(lexicon);
    if config.database.is_none() {
        config.database = Some(dir.join("demo.db").display().to_string());
    }
    Ok(DemoWorld { dir })
}

/// Ingests the demo world, imports its bank, creates one token per role.
fn load_demo(host: &Host, world: &DemoWorld) -> anyhow::Result<Vec<(Role, String)>> {
    let events = world.dir.join("world/events.jsonl");
    let bank = std::fs::read_to_string(world.dir.join("world/bank.txt"))
        .context("reading the demo bank")?;
    let tokens = host.with_store(|store| {
        let report = guardrail_engine::ingest::ingest_path(
            store,
            &events,
            &IngestOptions::default(),
            &mut |_| {},
        )?;
        eprintln!("demo: ingested {} events", report.inserted);
        guardrail_engine::banks::import(
            store,
            &guardrail_engine::banks::Import {
                bank: "demo",
                action: "report",
                tags: &[],
                kind: None,
                text: &bank,
                name: "bank.txt",
            },
        )?;
        let mut tokens = Vec::new();
        let suffix = std::process::id();
        for role in
            [Role::Platform, Role::Reviewer, Role::ChildSafetyReviewer, Role::Admin, Role::Metrics]
        {
            let name = format!("demo-{}-{suffix}", role.as_str());
            tokens.push((role, guardrail_engine::tokens::create(store, &name, role)?));
        }
        Ok(tokens)
    })?;
    host.reload_banks()?;
    Ok(tokens)
}
