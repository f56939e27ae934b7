//! `guardrail policy`: the discovery guard's policy file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use guardrail_engine::guard::policy_or_default;

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
    let policy = policy_or_default(args.file.as_deref())?;
    print!("{}", toml::to_string(&policy).context("writing the policy as TOML")?);
    Ok(ExitCode::SUCCESS)
}
