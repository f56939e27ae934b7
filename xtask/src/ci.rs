//! `cargo xtask ci`: the whole test suite, as CI runs it.
//!
//! It installs what the tests need when it is missing (PostgreSQL, the
//! Debian packages in `APT_PACKAGES`, and `python3-graph-tool` for the real
//! graphs), starts a throwaway PostgreSQL cluster, dumps two real graphs into
//! `target/real-graphs` with `bench/real_graphs.py`, then runs formatting,
//! clippy, tidy and every test of the workspace against both storage backends
//! and, for the network scan, on those real graphs with a planted network;
//! last, the API check (`api_check.rs`: the OpenAPI document validated, and
//! schemathesis against the live demo service).

use std::path::Path;
use std::process::Command;

use anyhow::Context;

/// Debian packages the test suite needs, each with a binary on the PATH (or
/// an absolute file path) that shows it is present: ffmpeg for video
/// hashing, a TrueType font for the audit's chart, xmllint to validate
/// CyberTipline documents against NCMEC's schema.
const APT_PACKAGES: &[(&str, &str)] = &[
    ("ffmpeg", "ffmpeg"),
    ("libxml2-utils", "xmllint"),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
];

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    ensure_apt_packages().context("installing test dependencies")?;
    // Held to the end of the run: dropping it stops a cluster it started.
    let postgres = crate::postgres::ensure().context("starting PostgreSQL for the tests")?;
    let postgres_url = postgres.url.clone();
    println!("ci: PostgreSQL at {postgres_url}");
    let real_graphs = ensure_real_graphs(root).context("dumping real graphs for the scan tests")?;
    let real_graphs = real_graphs.display().to_string();
    println!("ci: real graphs in {real_graphs}");

    step(root, "cargo fmt", &["fmt", "--all", "--", "--check"], &[])?;
    step(
        root,
        "cargo clippy",
        &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"],
        &[],
    )?;
    let mut test_env = vec![
        ("GUARDRAIL_TEST_POSTGRES_URL", postgres_url.as_str()),
        ("GUARDRAIL_REQUIRE_POSTGRES", "1"),
        ("GUARDRAIL_REQUIRE_FFMPEG", "1"),
        ("GUARDRAIL_REQUIRE_XMLLINT", "1"),
        ("GUARDRAIL_REAL_GRAPHS", real_graphs.as_str()),
        ("GUARDRAIL_REQUIRE_REAL_GRAPHS", "1"),
    ];
    // NCMEC's schema is not ours to copy into the repository: the tests read
    // it from ../shared beside the workspace, and must when it is there.
    let schema = root.join("../shared/vectors/ncmec/cybertipline.xsd");
    let schema_text = schema.display().to_string();
    if schema.is_file() {
        println!("ci: NCMEC schema at {schema_text}");
        test_env.push(("GUARDRAIL_NCMEC_XSD", schema_text.as_str()));
        test_env.push(("GUARDRAIL_REQUIRE_NCMEC_SCHEMA", "1"));
    } else {
        println!("ci: no NCMEC schema at {schema_text}: CyberTipline schema checks skip");
    }
    step(root, "cargo test", &["test", "--workspace", "--locked", "--no-fail-fast"], &test_env)?;
    println!("ci: api-check (openapi-spec-validator, schemathesis)");
    let started = std::time::Instant::now();
    crate::api_check::run(root).context("api-check")?;
    println!("ci: api-check took {:.0?}", started.elapsed());
    println!("ci: all steps passed");
    drop(postgres);
    Ok(())
}

fn step(root: &Path, name: &str, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    println!("ci: {name}");
    let started = std::time::Instant::now();
    let mut command = Command::new(env!("CARGO"));
    command.args(args).current_dir(root);
    for (key, value) in env {
        command.env(key, value);
    }
    let status = command.status().with_context(|| format!("running {name}"))?;
    println!("ci: {name} took {:.0?}", started.elapsed());
    anyhow::ensure!(status.success(), "{name} failed ({status})");
    Ok(())
}

/// The real graphs the scan's integration test plants into (small enough
/// for a few seconds per world).
const REAL_GRAPHS: &[&str] = &["polblogs", "hep-th"];

/// Installs graph-tool for Debian's own interpreter when it lacks it, and
/// writes the edge lists of `REAL_GRAPHS` into `target/real-graphs` (kept
/// between runs: the script skips files that exist).
fn ensure_real_graphs(root: &Path) -> anyhow::Result<std::path::PathBuf> {
    const PYTHON: &str = "/usr/bin/python3";
    let has_graph_tool = || {
        Command::new(PYTHON)
            .args(["-c", "import graph_tool"])
            .output()
            .map(|out| out.status.success())
            .unwrap_or(false)
    };
    if !has_graph_tool() {
        println!("ci: installing python3-graph-tool");
        apt_install(&["python3-graph-tool"])?;
        anyhow::ensure!(has_graph_tool(), "{PYTHON} still cannot import graph_tool");
    }
    let dir = root.join("target").join("real-graphs");
    let status = Command::new(PYTHON)
        .arg(root.join("bench").join("real_graphs.py"))
        .arg(&dir)
        .args(REAL_GRAPHS)
        .current_dir(root)
        .status()
        .context("running bench/real_graphs.py")?;
    anyhow::ensure!(status.success(), "bench/real_graphs.py failed ({status})");
    Ok(dir)
}

fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
        .unwrap_or(false)
}

fn ensure_apt_packages() -> anyhow::Result<()> {
    let present = |probe: &str| {
        if probe.starts_with('/') {
            Path::new(probe).is_file()
        } else {
            on_path(probe)
        }
    };
    let missing: Vec<&str> =
        APT_PACKAGES.iter().filter(|(_, probe)| !present(probe)).map(|(pkg, _)| *pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("ci: installing {}", missing.join(" "));
    apt_install(&missing)
}

/// Installs Debian packages non-interactively (the CI machine runs as root).
pub(crate) fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("apt-get")
        .arg("update")
        .arg("-q")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get update")?;
    anyhow::ensure!(status.success(), "apt-get update failed ({status})");
    let status = Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get install")?;
    anyhow::ensure!(status.success(), "apt-get install {} failed ({status})", packages.join(" "));
    Ok(())
}
