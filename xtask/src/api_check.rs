//! `cargo xtask api-check`: the OpenAPI document that `guardrail serve`
//! serves passes `openapi-spec-validator`, and `schemathesis` runs against
//! the live demo service from that document, with a bounded number of
//! examples and the checks issue 20 names (no 5xx, status codes documented,
//! responses, content types and headers matching the document).
//!
//! Both tools come from PyPI, pinned, into a virtual environment in
//! the cargo target directory's `api-venv` (kept between runs).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

const TOOLS: &[&str] = &["openapi-spec-validator==0.9.0", "schemathesis==4.32.5"];
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,response_headers_conformance";
/// Examples per operation (bounded, so CI stays in minutes).
const EXAMPLES: &str = "20";

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let venv =
        ensure_tools(&target).context("installing openapi-spec-validator and schemathesis")?;
    let status = Command::new(env!("CARGO"))
        .args(["build", "-p", "guardrail-cli", "--locked"])
        .current_dir(root)
        .status()
        .context("building guardrail")?;
    anyhow::ensure!(status.success(), "building guardrail failed");
    let work = target.join("api-check");
    std::fs::create_dir_all(&work)?;
    let mut child = Command::new(target.join("debug/guardrail"))
        .args(["serve", "--demo", "--demo-accounts", "600", "--listen", "127.0.0.1:0"])
        .env("TMPDIR", &work)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting guardrail serve --demo")?;
    let result = check(&venv, &work, &mut child);
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let exit = child.wait()?;
    result?;
    anyhow::ensure!(exit.success(), "guardrail serve did not exit cleanly on SIGTERM ({exit})");
    println!("api-check: ok");
    Ok(())
}

fn check(venv: &Path, work: &Path, child: &mut std::process::Child) -> anyhow::Result<()> {
    let stdout = child.stdout.take().context("the server's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let (mut address, mut admin) = (None, None);
    for line in lines.by_ref() {
        let line = line?;
        if let Some(url) = line.trim().strip_prefix("guardrail serve: listening on http://") {
            address = Some(url.to_owned());
        }
        if let Some(token) = line.trim().strip_prefix("admin") {
            admin = Some(token.trim().to_owned());
        }
        if line.starts_with("ready at") {
            break;
        }
    }
    let address = address.context("the server printed no address")?;
    let admin = admin.context("the server printed no admin token")?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while get(&address, "/readyz").map(|(s, _)| s).unwrap_or(0) != 200 {
        anyhow::ensure!(Instant::now() < deadline, "the demo service was not ready in 120 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, document) = get(&address, "/v1/openapi.json")?;
    anyhow::ensure!(status == 200, "GET /v1/openapi.json answered {status}");
    let file = work.join("openapi.json");
    std::fs::write(&file, document)?;
    run_tool(venv, work, "openapi-spec-validator", &[file.to_str().unwrap_or_default()])?;
    let url = format!("http://{address}");
    run_tool(
        venv,
        work,
        "schemathesis",
        &[
            "run",
            file.to_str().unwrap_or_default(),
            "--url",
            &url,
            "-H",
            &format!("Authorization: Bearer {admin}"),
            "--max-examples",
            EXAMPLES,
            "--seed",
            "20",
            "--checks",
            CHECKS,
            // Revoking tokens would revoke the one the run uses.
            "--exclude-path",
            "/v1/tokens/{name}",
        ],
    )
}

/// Runs a tool in `work` (schemathesis keeps its example database there).
fn run_tool(venv: &Path, work: &Path, tool: &str, args: &[&str]) -> anyhow::Result<()> {
    println!("api-check: {tool}");
    let status = Command::new(venv.join("bin").join(tool))
        .args(args)
        .current_dir(work)
        .status()
        .with_context(|| format!("running {tool}"))?;
    anyhow::ensure!(status.success(), "{tool} failed ({status})");
    Ok(())
}

/// One GET over a fresh connection: the status and the body.
fn get(address: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// The virtual environment with the pinned tools in the cargo target
/// directory (made, and Debian's `python3-venv` installed, when missing).
fn ensure_tools(target: &Path) -> anyhow::Result<PathBuf> {
    let venv = target.join("api-venv");
    let ready = venv.join(".installed");
    if std::fs::read_to_string(&ready).is_ok_and(|t| t == TOOLS.join(" ")) {
        return Ok(venv);
    }
    let make = || Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
    if !make().is_ok_and(|s| s.success()) {
        println!("api-check: installing python3-venv");
        let apt = Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "python3-venv"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        if !apt.is_ok_and(|s| s.success()) {
            Command::new("apt-get").arg("update").status()?;
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", "python3-venv"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()?;
        }
        anyhow::ensure!(make()?.success(), "python3 -m venv {} failed", venv.display());
    }
    let status = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(TOOLS)
        .status()?;
    anyhow::ensure!(status.success(), "pip install {} failed", TOOLS.join(" "));
    std::fs::write(&ready, TOOLS.join(" "))?;
    Ok(venv)
}
