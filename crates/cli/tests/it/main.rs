//! End-to-end tests of the `guardrail` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed step should fail the test

mod audit;
mod failsafe;
mod ingest;
mod media;
mod real_graphs;
mod review;
mod scan;
mod serve;
mod synth;
mod text;

use std::path::Path;
use std::process::{Command, Output};

pub(crate) fn guardrail() -> Command {
    Command::new(env!("CARGO_BIN_EXE_guardrail"))
}

pub(crate) fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("running guardrail");
    assert!(
        out.status.success(),
        "guardrail failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a command that must exit with `code` (not 0: `check-text` flagging, `match` missing).
pub(crate) fn run_code(cmd: &mut Command, code: i32) -> Output {
    let out = cmd.output().expect("running guardrail");
    assert_eq!(
        out.status.code(),
        Some(code),
        "guardrail exited {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub(crate) fn synth(dir: &Path, accounts: u32, seed: u64) {
    run_ok(guardrail().args(["synth", "--quiet", "--accounts", &accounts.to_string()]).args([
        "--seed",
        &seed.to_string(),
        "--out",
        dir.to_str().unwrap(),
    ]));
}

/// Database URLs to run a test against: an SQLite file in `dir`, and a fresh
/// PostgreSQL schema when a test server is configured.
pub(crate) fn databases(dir: &Path, name: &str) -> Vec<String> {
    let mut out = vec![dir.join(format!("{name}.db")).display().to_string()];
    match std::env::var("GUARDRAIL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let sep = if url.contains('?') { '&' } else { '?' };
            out.push(format!("{url}{sep}schema=cli_{name}_{}_{nanos}", std::process::id()));
        }
        _ => assert!(
            std::env::var("GUARDRAIL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "GUARDRAIL_REQUIRE_POSTGRES=1 but GUARDRAIL_TEST_POSTGRES_URL is not set"
        ),
    }
    out
}
