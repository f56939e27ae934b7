//! `guardrail synth` (placeholder while it is being written this session).

use std::process::ExitCode;

/// Arguments of `guardrail synth`.
#[derive(clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("synth is not built yet")
}
