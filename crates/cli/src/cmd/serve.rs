//! `guardrail serve` (the HTTP service, `guardrail-server`) and `guardrail
//! token` (the service's API tokens).

use std::path::PathBuf;
use std::process::ExitCode;

use guardrail_engine::store_backend::DEFAULT_DATABASE;
use guardrail_engine::tokens::Role;

/// Arguments of `guardrail serve`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The configuration file (TOML; every key optional, docs/API.md).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL (an SQLite path, or postgres://...); overrides the file's.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Address to listen on (port 0 picks a free one); overrides the file's.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Synthesise a small world into a fresh database, scan it, and print a token per role.
    #[arg(long)]
    demo: bool,
    /// Accounts in the demo world.
    #[arg(long, value_name = "N", requires = "demo")]
    demo_accounts: Option<u32>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    guardrail_server::serve(guardrail_server::ServeOptions {
        config: args.config,
        database: args.database,
        listen: args.listen,
        demo: args.demo,
        demo_accounts: args.demo_accounts,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `guardrail token`.
#[derive(clap::Args)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(clap::Subcommand)]
enum TokenCommand {
    /// Create a token and print it once (only its SHA-256 is stored).
    Create {
        /// platform, reviewer, child_safety_reviewer, admin or metrics.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A unique name: who or what holds it.
        #[arg(long)]
        name: String,
        /// Database URL.
        #[arg(long, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = DEFAULT_DATABASE)]
        database: String,
    },
    /// List tokens (names, roles, dates; never secrets).
    List {
        /// Database URL.
        #[arg(long, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = DEFAULT_DATABASE)]
        database: String,
    },
    /// Revoke a token by name (at once: the service checks every request).
    Revoke {
        /// The token's name.
        #[arg(long)]
        name: String,
        /// Database URL.
        #[arg(long, value_name = "URL", env = "GUARDRAIL_DATABASE", default_value = DEFAULT_DATABASE)]
        database: String,
    },
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::parse(name).ok_or_else(|| {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {name:?} (one of {})", names.join(", "))
    })
}

pub(crate) fn token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        TokenCommand::Create { role, name, database } => {
            let mut store = guardrail_engine::store::open_writer(&database)?;
            let secret = guardrail_engine::tokens::create(store.as_mut(), &name, role)?;
            eprintln!(
                "created token {name:?} with role {} (shown once; store it now)",
                role.as_str()
            );
            println!("{secret}");
        }
        TokenCommand::List { database } => {
            let mut store = guardrail_engine::store::open_reader(&database)?;
            for t in guardrail_engine::tokens::list(store.as_mut())? {
                let state =
                    t.revoked_at.map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                println!("{}\t{}\t{}\t{state}", t.name, t.role, t.created_at);
            }
        }
        TokenCommand::Revoke { name, database } => {
            let mut store = guardrail_engine::store::open_reader(&database)?;
            guardrail_engine::tokens::revoke(store.as_mut(), &name)?;
            println!("revoked {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
