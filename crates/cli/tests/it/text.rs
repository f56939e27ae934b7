//! `check-text`, `eval-text` and `lexicon validate`.

use std::io::Write;
use std::process::Stdio;

use crate::{guardrail, run_code, run_ok};

const TEST_LEXICON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lexicons/test.toml");

#[test]
fn check_text_json_one_object_per_text() {
    // Exit code 1: some text is flagged (#26).
    let out = run_code(
        guardrail()
            .args(["check-text", "--surface", "bio", "--lexicon", TEST_LEXICON, "--json"])
            .args(["dm for v0rbl@t", "embroidery hoop", "level 14"]),
        1,
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["verdict"], "block");
    assert_eq!(lines[0]["text"], "dm for v0rbl@t");
    assert_eq!(lines[0]["matches"][0]["matched"], "v0rbl@t");
    assert_eq!(lines[0]["matches"][0]["start"], 7);
    assert_eq!(lines[1]["verdict"], "allow");
    assert_eq!(lines[1]["matches"].as_array().unwrap().len(), 0);
    assert_eq!(lines[2]["verdict"], "weak");
}

#[test]
fn check_text_reads_standard_input() {
    let mut child = guardrail()
        .args(["check-text", "--surface", "search", "--lexicon", TEST_LEXICON, "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"vorblatt boys\nspelunking gear\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "one text is blocked (#26)");
    let verdicts: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["verdict"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(verdicts, ["block", "allow"]);
}

/// Without `--lexicon` the shipped starter lexicon is used. Tests never rely
/// on its (real) terms: the texts are its own entries, read from the file, and
/// the default must treat them exactly as the explicit file does.
#[test]
fn check_text_default_lexicon_is_the_starter_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lexicons/starter.toml");
    let lexicon =
        guardrail_engine::core::Lexicon::from_toml(&std::fs::read_to_string(path).unwrap())
            .unwrap();
    let texts: Vec<&str> = lexicon.entries.iter().map(|e| e.text.as_str()).take(5).collect();
    let check = |extra: &[&str]| {
        let out = guardrail()
            .args(["check-text", "--surface", "bio", "--json"])
            .args(extra)
            .args(&texts)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "its own entries are flagged (#26)");
        String::from_utf8(out.stdout).unwrap()
    };
    let default = check(&[]);
    assert_eq!(default, check(&["--lexicon", path]));
    assert!(default.lines().any(|l| !l.contains("\"verdict\":\"allow\"")), "{default}");
}

#[test]
fn bad_surface_and_bad_lexicon_are_clear_errors() {
    let out = guardrail().args(["check-text", "--surface", "bios", "x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown surface \"bios\""));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "format = 1\nname = \"b\"\n[[entry]]\nkind = \"term\"\ntext = \"ok\"\ncategory = \"c\"\nseverity = \"block\"\n\
         [[entry]]\nkind = \"pattern\"\ntext = \"(\"\ncategory = \"c\"\nseverity = \"weak\"\n",
    )
    .unwrap();
    let out = guardrail().args(["lexicon", "validate", bad.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entry[1].text: not a valid regular expression"), "{err}");
}

#[test]
fn lexicon_validate_accepts_shipped_lexicons() {
    for name in ["test", "starter"] {
        let path = format!("{}/../../lexicons/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let out = run_ok(guardrail().args(["lexicon", "validate", &path]));
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok,"));
    }
}

#[test]
fn eval_text_meets_the_targets_on_the_shipped_set() {
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/text/test-lexicon.jsonl");
    let out = run_ok(guardrail().args([
        "eval-text",
        "--check-targets",
        "--set",
        set,
        "--lexicon",
        TEST_LEXICON,
    ]));
    let text = String::from_utf8(out.stdout).unwrap();
    for group in ["leet", "homoglyphs", "zero-width", "separators", "benign", "cross-word"] {
        assert!(text.contains(group), "{group} missing from\n{text}");
    }
}

#[test]
fn shipped_eval_set_is_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("set.jsonl");
    run_ok(guardrail().args(["eval-text", "--generate", "--set", fresh.to_str().unwrap()]));
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/text/test-lexicon.jsonl");
    assert!(
        std::fs::read(shipped).unwrap() == std::fs::read(&fresh).unwrap(),
        "eval/text/test-lexicon.jsonl is stale: run `guardrail eval-text --generate`"
    );
}

#[test]
fn eval_text_reports_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set.jsonl");
    std::fs::write(
        &set,
        "{\"text\":\"a\",\"surface\":\"bio\",\"expect\":\"allow\",\"group\":\"g\"}\n{\"text\":1}\n",
    )
    .unwrap();
    let out = guardrail().args(["eval-text", "--set", set.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
}
