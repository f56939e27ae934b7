use crate::{guardrail, run_ok};

#[test]
fn synth_writes_the_three_files_and_demo_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        guardrail().args(["synth", "--accounts", "1000", "--seed", "3", "--out"]).arg(dir.path()),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("wrote 1000 accounts"), "{text}");
    for file in ["events.jsonl", "truth.json", "bank.txt"] {
        assert!(dir.path().join(file).metadata().unwrap().len() > 0, "{file}");
    }
    let out = run_ok(
        guardrail().args(["demo", "--accounts", "2000", "--dir"]).arg(dir.path().join("demo")),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 new,") && text.contains("(idempotent)"), "{text}");
    assert!(text.contains("2000 accounts"), "{text}");
    // See: #19 (the demo ends with a queue).
    assert!(text.contains("7. reports and review") && text.contains("undecided case(s)"), "{text}");
}

#[test]
fn synth_refuses_bad_arguments_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        guardrail().args(["synth", "--accounts", "3", "--out"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("accounts: must be between 500") && err.contains("(--accounts)"), "{err}");
    let lexicon = dir.path().join("lex.toml");
    std::fs::write(&lexicon, "format = 2\nname = \"x\"\n").unwrap();
    let out = guardrail()
        .args(["synth", "--accounts", "1000", "--lexicon"])
        .arg(&lexicon)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("format: only format 1 is known"), "{err}");
}
