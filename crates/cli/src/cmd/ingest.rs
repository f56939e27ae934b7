//! `guardrail ingest` (placeholder while it is being written this session).

use std::process::ExitCode;

/// Arguments of `guardrail ingest`.
#[derive(clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("ingest is not built yet")
}
