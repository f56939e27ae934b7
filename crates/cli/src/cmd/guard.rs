//! `guardrail policy`: the discovery guard's policy file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use guardrail_guard::Policy;

/// Arguments of `guardrail policy`.
#[derive(clap::Args)]
pub(crate) struct PolicyArgs {
    /// A policy file to check; without it, the defaults.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// Checks a policy file and prints it with every default filled in (or the
/// default policy), as TOML.
pub(crate) fn policy(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    let policy = match &args.file {
        Some(p) => load(p)?,
        None => Policy::default(),
    };
    print!("{}", toml::to_string(&policy).context("writing the policy as TOML")?);
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks a policy file.
pub(crate) fn load(path: &std::path::Path) -> anyhow::Result<Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Policy::from_toml(&text).with_context(|| format!("in {}", path.display()))
}
