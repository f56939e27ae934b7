//! `guardrail audit` end to end.

use crate::{guardrail, run_ok, synth};

/// The experiment on a small world: the harm is reproduced without
/// guardrails and stopped with them; the JSON has every figure the issue
/// names; the chart is a PNG.
#[test]
fn audit_reproduces_the_harm_and_the_guard_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("w");
    synth(&world, 8_000, 21);
    let chart = dir.path().join("exposure.png");
    let out = run_ok(guardrail().args([
        "audit",
        "--json",
        "--events",
        world.join("events.jsonl").to_str().unwrap(),
        "--truth",
        world.join("truth.json").to_str().unwrap(),
        "--lexicon",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../lexicons/test.toml"),
        "--bank",
        world.join("bank.txt").to_str().unwrap(),
        "--puppets",
        "30",
        "--chart",
        chart.to_str().unwrap(),
    ]));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for side in ["unguarded", "guarded"] {
        let m = &r[side];
        for key in [
            "exposure_after_view",
            "feed_exposure_after_view",
            "worst_round_feed_exposure",
            "follower_contamination",
            "follower_contamination_seller",
            "niche_recall_at_10",
            "niche_precision_at_10",
            "puppets_exposed",
        ] {
            let x = m[key].as_f64().unwrap_or_else(|| panic!("{side}.{key}: {m}"));
            assert!((0.0..=1.0).contains(&x), "{side}.{key} = {x}");
        }
        assert_eq!(m["exposure_by_round"].as_array().unwrap().len(), 5, "{m}");
        assert_eq!(m["feed_exposure_by_round"].as_array().unwrap().len(), 5, "{m}");
        assert!(m.get("rounds_to_first_exposure").is_some(), "{m}");
    }
    let (u, g) = (&r["unguarded"], &r["guarded"]);
    assert!(u["exposure_after_view"].as_f64().unwrap() >= 0.5, "{u}");
    assert_eq!(u["rounds_to_first_exposure"], 0.0);
    assert!(g["worst_round_exposure"].as_f64().unwrap() <= 0.005, "{g}");
    assert!(g["follower_contamination"].as_f64().unwrap() <= 0.005, "{g}");
    // Each harm is reproduced without guardrails (see: #22): the feed fills
    // with the network after one view, and one follower's brief view of a
    // seller reaches her followers' suggestions.
    assert!(u["feed_exposure_after_view"].as_f64().unwrap() >= 0.5, "{u}");
    assert!(u["follower_contamination"].as_f64().unwrap() >= 0.2, "{u}");
    assert!(g["worst_round_feed_exposure"].as_f64().unwrap() <= 0.005, "{g}");
    let (pu, pg) = (
        u["niche_precision_at_10"].as_f64().unwrap(),
        g["niche_precision_at_10"].as_f64().unwrap(),
    );
    assert!(pu > 0.0 && pg >= 0.95 * pu, "niche precision {pu} -> {pg}");
    let (nu, ng) =
        (u["niche_recall_at_10"].as_f64().unwrap(), g["niche_recall_at_10"].as_f64().unwrap());
    assert!(nu > 0.0 && ng >= 0.95 * nu, "niche recall {nu} -> {ng}");
    let png = std::fs::read(&chart).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn audit_rejects_bad_input_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        "{\"type\":\"account\",\"id\":\"e1\",\"at\":\"2026-01-01T00:00:00Z\",\"account\":\"u1\",\"handle\":\"a\"}\n",
    )
    .unwrap();
    let truth = dir.path().join("truth.json");
    let fails = |args: &[&str], expect: &str| {
        let out = guardrail().arg("audit").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
    };
    let ev = events.to_str().unwrap();
    let tr = truth.to_str().unwrap();
    std::fs::write(&truth, "{\"network\": 3}").unwrap();
    fails(&["--events", ev, "--truth", tr], "truth");
    std::fs::write(&truth, "{\"network\": {\"u9\": \"seller\"}}").unwrap();
    fails(&["--events", ev, "--truth", tr], "names no seller");
    std::fs::write(&truth, "{\"network\": {\"u1\": \"seller\"}}").unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[taint]\nshare = 2.0\n").unwrap();
    fails(&["--events", ev, "--truth", tr, "--policy", policy.to_str().unwrap()], "taint.share");
    fails(&["--events", "/nonexistent/events.jsonl", "--truth", tr], "/nonexistent/events.jsonl");
}

#[test]
fn policy_prints_the_defaults_and_checks_a_file() {
    let out = run_ok(guardrail().arg("policy"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("never_recommend = [\"confirmed\", \"suspected\"]"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(&file, "suggest_max_level = \"strong\"\n").unwrap();
    let out = run_ok(guardrail().arg("policy").arg(&file));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("suggest_max_level = \"strong\""), "{text}");
    assert!(text.contains("[taint]"), "{text}");
    std::fs::write(&file, "[viewer]\nsuspected_tiers = [\"sus\"]\n").unwrap();
    let out = guardrail().arg("policy").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sus") && err.contains("p.toml"), "{err}");
}
