//! A throwaway PostgreSQL cluster for the test suite.
//!
//! `GUARDRAIL_TEST_POSTGRES_URL` wins when it is set. Otherwise the server
//! binaries are looked up under `/usr/lib/postgresql/<version>/bin` (installed
//! from Debian's `postgresql` package when absent), a cluster is initialised in
//! a temporary directory with trust authentication on loopback, and started on
//! a fixed port. A cluster already running there from an earlier run is reused
//! (and left running); one this call started is stopped when its [`Cluster`]
//! is dropped, so `cargo xtask ci` stops what it started, failed or not.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

const PORT: u16 = 55432;
const DATA_DIR: &str = "/tmp/guardrail-test-pg";

/// A running PostgreSQL server: its URL, and the binaries to stop it with
/// when this process started it.
pub(crate) struct Cluster {
    pub(crate) url: String,
    started: Option<PathBuf>,
}

impl Cluster {
    /// Leaves the cluster running after this process (`cargo xtask postgres`).
    pub(crate) fn keep(mut self) -> String {
        self.started = None;
        std::mem::take(&mut self.url)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(bin) = self.started.take() {
            match run_as_postgres(
                &bin.join("pg_ctl"),
                &["-D", DATA_DIR, "-m", "fast", "-w", "stop"],
            ) {
                Ok(()) => println!("ci: stopped the PostgreSQL it started"),
                Err(e) => eprintln!("ci: could not stop PostgreSQL ({DATA_DIR}): {e:#}"),
            }
        }
    }
}

/// A running PostgreSQL server, started if none is.
pub(crate) fn ensure() -> anyhow::Result<Cluster> {
    if let Ok(url) = std::env::var("GUARDRAIL_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            return Ok(Cluster { url, started: None });
        }
    }
    let url = format!("postgres://postgres@127.0.0.1:{PORT}/postgres");
    let bin = match find_bin_dir() {
        Some(dir) => dir,
        None => {
            println!("ci: installing postgresql");
            crate::ci::apt_install(&["postgresql"])?;
            find_bin_dir().context("postgresql installed but no /usr/lib/postgresql/*/bin found")?
        }
    };
    if is_ready(&bin)? {
        return Ok(Cluster { url, started: None });
    }
    let data = Path::new(DATA_DIR);
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(data).with_context(|| format!("creating {DATA_DIR}"))?;
        chown_to_postgres(data)?;
        run_as_postgres(
            &bin.join("initdb"),
            &["-D", DATA_DIR, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        )
        .context("initdb")?;
    }
    let options = format!(
        "-p {PORT} -c listen_addresses=127.0.0.1 -c unix_socket_directories={DATA_DIR} \
         -c max_connections=200"
    );
    let log = format!("{DATA_DIR}/server.log");
    run_as_postgres(
        &bin.join("pg_ctl"),
        &["-D", DATA_DIR, "-l", &log, "-o", &options, "-w", "start"],
    )
    .with_context(|| format!("starting PostgreSQL (log in {log})"))?;
    let cluster = Cluster { url, started: Some(bin.clone()) };
    anyhow::ensure!(is_ready(&bin)?, "PostgreSQL started but is not accepting connections");
    Ok(cluster)
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_ready(bin: &Path) -> anyhow::Result<bool> {
    let status = Command::new(bin.join("pg_isready"))
        .args(["-h", "127.0.0.1", "-p", &PORT.to_string(), "-q"])
        .status()
        .context("running pg_isready")?;
    Ok(status.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn chown_to_postgres(dir: &Path) -> anyhow::Result<()> {
    if !is_root() {
        return Ok(());
    }
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .status()
        .context("running chown")?;
    anyhow::ensure!(status.success(), "chown of {} failed", dir.display());
    Ok(())
}

/// PostgreSQL refuses to run as root, so as root the server runs as the
/// `postgres` user that the Debian package creates.
fn run_as_postgres(program: &Path, args: &[&str]) -> anyhow::Result<()> {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    let status =
        command.args(args).status().with_context(|| format!("running {}", program.display()))?;
    anyhow::ensure!(status.success(), "{} failed ({status})", program.display());
    Ok(())
}
