//! Repository automation. `cargo run -p xtask -- tidy` checks the invariants
//! that no compiler enforces; the same checks run as `cargo test -p xtask`.

mod tidy;

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "tidy" => tidy::run(),
        _ => anyhow::bail!("usage: cargo run -p xtask -- tidy"),
    }
}
