//! Repository automation.
//!
//! - `cargo xtask ci`: the whole test suite as CI runs it (installs PostgreSQL
//!   when missing, and graph-tool for the real graphs the scan is tested on).
//! - `cargo xtask tidy`: invariants no compiler enforces (also run by `cargo test -p xtask`).
//! - `cargo xtask postgres`: start the test PostgreSQL cluster and print its URL.
//! - `cargo xtask api-check`: the served OpenAPI document through
//!   openapi-spec-validator, and schemathesis against the live demo service
//!   (also run by `ci`).

mod api_check;
mod ci;
mod postgres;
mod tidy;

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "tidy" => tidy::run(),
        "ci" => ci::run(&workspace_root()),
        "postgres" => postgres::ensure().map(|cluster| println!("{}", cluster.keep())),
        "api-check" => api_check::run(&workspace_root()),
        _ => anyhow::bail!("usage: cargo xtask (ci | tidy | postgres | api-check)"),
    }
}

fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."))
}
