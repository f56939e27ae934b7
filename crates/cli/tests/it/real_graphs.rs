//! `guardrail plant` end to end, and the scan's targets on real graphs with a
//! planted network (`bench/real_graphs.py` dumps them; `cargo xtask ci` sets
//! `GUARDRAIL_REAL_GRAPHS` to that directory and `GUARDRAIL_REQUIRE_REAL_GRAPHS=1`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::{guardrail, run_ok};

const TEST_LEXICON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lexicons/test.toml");

/// A hand-written graph: two triangles joined by an edge, and an isolated vertex.
const TINY: &str = "# undirected\n# vertices 40\n0 1\n1 2\n2 0\n3 4\n4 5\n5 3\n2 3\n";

#[test]
fn plant_round_trips_a_tiny_edge_list() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("tiny.edges");
    std::fs::write(&graph, TINY).unwrap();
    let world = dir.path().join("w");
    let plant = |out: &Path| {
        run_ok(guardrail().args(["plant", "--graph"]).arg(&graph).arg("--out").arg(out).args([
            "--sellers",
            "3",
            "--buyers",
            "4",
            "--camouflage",
            "2",
            "--camouflage-target",
            "popular",
            "--backup-declared",
            "both",
            "--backup-share",
            "1",
        ]))
    };
    let out = plant(&world);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("40 real accounts, 14 real follows"), "{text}");
    assert!(text.contains("seller 4") && text.contains("backup 3"), "{text}");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(world.join("truth.json")).unwrap()).unwrap();
    assert_eq!(truth["real_accounts"], 40);
    assert_eq!(truth["real_prefix"], "r");
    assert_eq!(truth["planted_benign"].as_array().unwrap().len(), 6);
    assert!(truth["backups"].as_object().unwrap().values().all(|b| b["declared"] == "both"));
    // Byte-identical on a second run.
    let again = dir.path().join("again");
    plant(&again);
    for file in ["events.jsonl", "truth.json", "bank.txt"] {
        assert_eq!(
            std::fs::read(world.join(file)).unwrap(),
            std::fs::read(again.join(file)).unwrap(),
            "{file}"
        );
    }
    // The world is a valid stream that the scan reads and eval-scan scores.
    let out = run_ok(guardrail().args(["eval-scan", "--json", "--world"]).arg(&world));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let planted = &report["planted"];
    assert_eq!(planted["real"], 40 - 1 - 6, "real accounts outside the network: {planted}");
    assert_eq!(planted["backups"][0], 3, "{planted}");
    assert_eq!(planted["corroborated_backups"][0], 3, "{planted}");
    assert_eq!(planted["returning"][0], 1, "{planted}");
    assert!(report["detection"][0]["benign"].as_u64().unwrap() > 0);
}

#[test]
fn plant_refuses_bad_values_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("tiny.edges");
    let plant = |extra: &[String]| {
        guardrail()
            .args(["plant", "--graph"])
            .arg(&graph)
            .arg("--out")
            .arg(dir.path().join("w"))
            .args(extra)
            .output()
            .unwrap()
    };
    std::fs::write(&graph, TINY).unwrap();
    for (flag, value) in [
        ("--camouflage", "21"),
        ("--follow-back", "1.5"),
        ("--engage-share", "-1"),
        ("--camouflage-target", "everyone"),
        ("--backup-declared", "nobody"),
    ] {
        let out = plant(&[format!("{flag}={value}")]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
    std::fs::write(&graph, "# directed\n1 2\n3 x\n").unwrap();
    let out = plant(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3: `x` is not a vertex id"), "{err}");
    // Too small a graph for the default network.
    std::fs::write(&graph, TINY).unwrap();
    let out = plant(&[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("too few"));
}

/// The directory of edge lists, if configured; `GUARDRAIL_REQUIRE_REAL_GRAPHS=1`
/// makes its absence a failure.
fn real_graphs() -> Option<PathBuf> {
    let required = std::env::var("GUARDRAIL_REQUIRE_REAL_GRAPHS").as_deref() == Ok("1");
    match std::env::var_os("GUARDRAIL_REAL_GRAPHS") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            assert!(
                !required,
                "GUARDRAIL_REQUIRE_REAL_GRAPHS=1 but GUARDRAIL_REAL_GRAPHS is not set (bench/real_graphs.py writes the edge lists)"
            );
            None
        }
    }
}

/// The targets for the network scan on real graphs with a planted network:
/// precision and seller and buyer recall at least 95%, at most 0.1% of the
/// accounts outside the network flagged, every corroborated declared backup
/// and every returning account linked, and no wrong merge. Today's scan does
/// not meet them; the rewritten one must.
#[test]
fn the_scan_meets_the_targets_on_planted_real_graphs() {
    let Some(graphs) = real_graphs() else { return };
    let required = std::env::var("GUARDRAIL_REQUIRE_REAL_GRAPHS").as_deref() == Ok("1");
    let dir = tempfile::tempdir().unwrap();
    // polblogs has 1,490 accounts: a smaller network keeps it mostly real.
    let worlds: [(&str, &[&str]); 2] = [("polblogs", &["--sellers", "10"]), ("hep-th", &[])];
    let mut misses = String::new();
    let mut runs = 0;
    for (name, extra) in worlds {
        let graph = graphs.join(format!("{name}.edges"));
        if !graph.is_file() {
            assert!(!required, "{} is missing (bench/real_graphs.py)", graph.display());
            continue;
        }
        for (camouflage, target) in [("0", "random"), ("10", "random"), ("10", "popular")] {
            let label = format!("{name}, camouflage {camouflage} {target}");
            let world = dir.path().join(format!("{name}-{camouflage}-{target}"));
            run_ok(
                guardrail()
                    .args(["plant", "--quiet", "--graph"])
                    .arg(&graph)
                    .arg("--out")
                    .arg(&world)
                    .args(["--camouflage", camouflage, "--camouflage-target", target])
                    .args(extra),
            );
            let out = run_ok(
                guardrail()
                    .args(["eval-scan", "--json", "--lexicon", TEST_LEXICON, "--world"])
                    .arg(&world)
                    .arg("--bank")
                    .arg(world.join("bank.txt")),
            );
            runs += 1;
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let scan = &report["detection"][0];
            assert_eq!(scan["method"], "guardrail scan");
            let p = &report["planted"];
            let f = |v: &serde_json::Value| v.as_f64().unwrap();
            let u = |v: &serde_json::Value| v.as_u64().unwrap();
            let mut check = |ok: bool, what: String| {
                if !ok {
                    writeln!(misses, "{label}: {what}").unwrap();
                }
            };
            check(f(&scan["precision"]) >= 0.95, format!("precision {:.3}", f(&scan["precision"])));
            check(f(&p["seller_recall"]) >= 0.95, format!("seller recall {}", p["sellers"]));
            check(
                f(&p["buyer_recall"]) >= 0.95,
                format!(
                    "buyer recall {}/{}",
                    p["buyers_two_sellers_found"], p["buyers_two_sellers"]
                ),
            );
            check(
                f(&scan["benign_flagged_share"]) <= 0.001,
                format!("benign flagged {} of {}", scan["benign_flagged"], scan["benign"]),
            );
            let corroborated = &p["corroborated_backups"];
            check(
                u(&corroborated[1]) == u(&corroborated[0]),
                format!("corroborated backups linked {corroborated}"),
            );
            let returning = &p["returning"];
            check(
                u(&returning[0]) > 0 && u(&returning[1]) == u(&returning[0]),
                format!("returning accounts linked {returning}"),
            );
            let wrong = u(&report["linking"]["wrong_pairs"]);
            check(wrong == 0, format!("{wrong} wrong merges"));
        }
    }
    assert!(runs > 0 || !required);
    assert!(misses.is_empty(), "targets missed:\n{misses}");
}
