//! A throwaway PostgreSQL cluster for the test suite.
//!
//! `GUARDRAIL_TEST_POSTGRES_URL` wins when it is set. Otherwise the server
//! binaries are looked up under `/usr/lib/postgresql/<version>/bin` (installed
//! from Debian's `postgresql` package when absent), a cluster is initialised in
//! a temporary directory with trust authentication on loopback, and started on
//! a fixed port. A cluster already running there from an earlier run is reused.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

const PORT: u16 = 55432;
const DATA_DIR: &str = "/tmp/guardrail-test-pg";

/// Returns a connection URL for a running PostgreSQL server.
pub(crate) fn ensure() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("GUARDRAIL_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            return Ok(url);
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
        return Ok(url);
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
    anyhow::ensure!(is_ready(&bin)?, "PostgreSQL started but is not accepting connections");
    Ok(url)
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
