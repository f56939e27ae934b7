//! Tidy checks: the crate dependency graph follows the allow-list in
//! docs/ARCHITECTURE.md's shape, and every library root opens with a `//!` doc.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which workspace crates each workspace crate may depend on (normal and dev
/// dependencies alike). A new edge between components is a reviewed change:
/// add it here and in docs/ARCHITECTURE.md together.
const ALLOWED_EDGES: &[(&str, &[&str])] = &[
    ("guardrail-core", &[]),
    ("guardrail-media", &["guardrail-core"]),
    ("guardrail-text", &["guardrail-core"]),
    ("guardrail-graph", &["guardrail-core", "guardrail-text"]),
    ("guardrail-guard", &["guardrail-core", "guardrail-text", "guardrail-graph"]),
    ("guardrail-store", &["guardrail-core"]),
    ("guardrail-synth", &["guardrail-core"]),
    ("guardrail-review", &["guardrail-core"]),
    (
        "guardrail-engine",
        &[
            "guardrail-core",
            "guardrail-media",
            "guardrail-text",
            "guardrail-graph",
            "guardrail-guard",
            "guardrail-store",
            "guardrail-synth",
            "guardrail-review",
        ],
    ),
    // The service: HTTP and JSON over the composition layer, nothing else.
    ("guardrail-server", &["guardrail-engine"]),
    // The CLI composes nothing itself: it parses, calls the composition layer
    // (or starts the service), prints.
    ("guardrail-cli", &["guardrail-engine", "guardrail-server"]),
    ("xtask", &[]),
];

/// Every crate the CLI may depend on besides the composition layer: argument
/// parsing, errors and printing (JSON, TOML, the audit's chart). Engine
/// composition belongs in `guardrail-engine`, so an engine crate here is a
/// tidy problem.
const CLI_DEPENDENCIES: &[&str] = &[
    "guardrail-engine",
    "guardrail-server",
    "clap",
    "anyhow",
    "serde_json",
    "toml",
    "plotters",
    "tempfile",
];

/// Crates that engines must never depend on (directly), whatever the allow-list says.
const FORBIDDEN_IN_ENGINES: &[&str] = &["tokio", "axum", "sqlx", "rusqlite", "postgres"];
const ENGINES: &[&str] = &[
    "guardrail-core",
    "guardrail-media",
    "guardrail-text",
    "guardrail-graph",
    "guardrail-guard",
    "guardrail-review",
];

pub(crate) fn run() -> anyhow::Result<()> {
    let problems = check(&workspace_root())?;
    if problems.is_empty() {
        println!("tidy: ok");
        return Ok(());
    }
    for p in &problems {
        eprintln!("tidy: {p}");
    }
    anyhow::bail!("{} tidy problem(s)", problems.len())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn check(root: &Path) -> anyhow::Result<Vec<String>> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root)
        .output()?;
    anyhow::ensure!(output.status.success(), "cargo metadata failed");
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    check_packages(&meta)
}

/// The tidy problems of a `cargo metadata` document.
fn check_packages(meta: &serde_json::Value) -> anyhow::Result<Vec<String>> {
    let allowed: BTreeMap<&str, BTreeSet<&str>> =
        ALLOWED_EDGES.iter().map(|(k, v)| (*k, v.iter().copied().collect())).collect();
    let mut problems = Vec::new();
    let empty = Vec::new();
    for package in meta["packages"].as_array().unwrap_or(&empty) {
        let name = package["name"].as_str().unwrap_or_default();
        let Some(allowed_deps) = allowed.get(name) else {
            problems.push(format!("{name} is not in xtask's allow-list of crates"));
            continue;
        };
        for dep in package["dependencies"].as_array().unwrap_or(&empty) {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            if dep_name.starts_with("guardrail-") && !allowed_deps.contains(dep_name) {
                problems.push(format!("{name} depends on {dep_name}, which is not allowed"));
            }
            if name == "guardrail-cli" && !CLI_DEPENDENCIES.contains(&dep_name) {
                problems.push(format!(
                    "guardrail-cli depends on {dep_name}: the CLI may use only the composition \
                     layer, clap, anyhow and printing crates ({})",
                    CLI_DEPENDENCIES.join(", ")
                ));
            }
            if ENGINES.contains(&name)
                && dep["kind"].is_null()
                && FORBIDDEN_IN_ENGINES.contains(&dep_name)
            {
                problems.push(format!("engine {name} depends on {dep_name}"));
            }
        }
        for target in package["targets"].as_array().unwrap_or(&empty) {
            let is_lib =
                target["kind"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k == "lib"));
            if !is_lib {
                continue;
            }
            let src = target["src_path"].as_str().unwrap_or_default();
            let text = std::fs::read_to_string(src)?;
            if !text.trim_start().starts_with("//!") {
                problems.push(format!("{src} does not open with a //! doc comment"));
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tidy() {
        let problems = super::check(&super::workspace_root()).unwrap();
        assert!(problems.is_empty(), "tidy problems:\n{}", problems.join("\n"));
    }

    #[test]
    fn a_cli_that_composes_engines_itself_is_a_problem() {
        let meta = serde_json::json!({ "packages": [{
            "name": "guardrail-cli",
            "dependencies": [
                { "name": "guardrail-engine", "kind": null },
                { "name": "guardrail-graph", "kind": null },
                { "name": "rusqlite", "kind": null },
                { "name": "clap", "kind": null },
            ],
            "targets": [],
        }]});
        let problems = super::check_packages(&meta).unwrap();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("guardrail-graph, which is not allowed"), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("depends on rusqlite")), "{problems:?}");
    }
}
