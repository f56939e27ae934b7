//! Issue 26: no failure that looks like "all clear". Every mistake a user can
//! make is refused or reported, never answered with a silent "no match" or "allow".

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::guardrail;

const TEST_LEXICON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lexicons/test.toml");

fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("running guardrail")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether any non-trivial piece of the message after `guardrail: ` appears twice.
fn repeats_itself(message: &str) -> bool {
    let parts: Vec<&str> = message.trim().split(": ").filter(|p| p.len() > 12).collect();
    parts.iter().enumerate().any(|(i, p)| parts[i + 1..].iter().any(|q| q == p))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

// See: #26
#[test]
fn each_error_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let events = write(
        dir.path(),
        "bad.jsonl",
        "{\"type\":\"follow\",\"id\":\"e1\",\"at\":\"2026-03-01T10:01:00\",\"from\":\"u2\",\"to\":\"u1\"}\n",
    );
    let db = dir.path().join("g.db").display().to_string();
    let out = output(guardrail().args(["ingest", "--events", &events, "--database", &db]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!repeats_itself(&err), "{err}");
    assert!(
        err.contains("line 1, field at: not an RFC 3339 time: missing time-zone offset"),
        "{err}"
    );

    let lexicon =
        write(dir.path(), "bad.toml", "format = 1\nname = \"x\"\n[[entry]]\nkind = \"term\"\n");
    let out = output(guardrail().args(["lexicon", "validate", &lexicon]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("missing field"), "{err}");
    let first = err.lines().next().unwrap_or("");
    assert!(!repeats_itself(first), "{err}");
    assert_eq!(err.matches("missing field `text`").count(), 1, "{err}");
    assert_eq!(err.matches("TOML parse error").count(), 1, "{err}");
}

// See: #26
#[test]
fn check_text_exit_code_is_the_verdict() {
    let code = |texts: &[&str]| {
        output(
            guardrail()
                .args(["check-text", "--surface", "bio", "--lexicon", TEST_LEXICON])
                .args(texts),
        )
        .status
        .code()
    };
    assert_eq!(code(&["embroidery hoop"]), Some(0), "allow");
    assert_eq!(code(&["level 14"]), Some(1), "weak");
    assert_eq!(code(&["embroidery hoop", "dm for v0rbl@t"]), Some(1), "block");
    // A text over the length limit cannot be checked: an error wins over a verdict.
    let mut child = guardrail()
        .args(["check-text", "--surface", "bio", "--lexicon", TEST_LEXICON])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = format!("dm for v0rbl@t\n{}\n", "a".repeat((1 << 20) + 1));
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(2));
}

// See: #26
#[test]
fn version_carries_the_crate_version_and_git_revision() {
    let out = output(guardrail().arg("--version"));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = format!("guardrail {} (git ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected), "{text}");
    let revision = text.trim().trim_start_matches(&expected).trim_end_matches(')');
    assert!(
        revision == "unknown"
            || (revision.len() >= 7 && revision.chars().all(|c| c.is_ascii_hexdigit())),
        "{text}"
    );
}

// See: #26
#[test]
fn readers_refuse_a_database_that_does_not_exist_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("a.bmp");
    std::fs::write(&image, b"not read: the database is checked first").unwrap();
    let typo = dir.path().join("nodb.db").display().to_string();
    let commands: [&[&str]; 4] = [
        &["match", "--database", &typo, image.to_str().unwrap()],
        &["scan", "--database", &typo],
        &["bank", "list", "--database", &typo],
        &["bank", "remove", "known", "--database", &typo],
    ];
    for args in commands {
        let out = output(guardrail().args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(&format!("database {typo} does not exist")), "{args:?}: {err}");
        assert!(!Path::new(&typo).exists(), "{args:?} created {typo}");
    }
}

// See: #26
#[test]
fn match_refuses_a_database_without_banks_and_scan_one_without_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db").display().to_string();
    // An ingest of nothing creates the database with no events and no banks.
    let empty = write(dir.path(), "empty.jsonl", "");
    let out = output(guardrail().args(["ingest", "--events", &empty, "--database", &db]));
    assert!(out.status.success(), "{}", stderr(&out));
    let image = write(dir.path(), "a.bmp", "not read");
    let out = output(guardrail().args(["match", "--database", &db, &image]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("database {db} holds no hash banks")),
        "{}",
        stderr(&out)
    );
    let out = output(guardrail().args(["scan", "--database", &db]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("database {db} holds no events")), "{}", stderr(&out));
}

// See: #26
#[test]
fn lexicons_are_read_by_what_they_declare_and_empty_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let entry =
        "[[entry]]\nkind = \"term\"\ntext = \"vorblat\"\ncategory = \"c\"\nseverity = \"block\"\n";
    let no_format = write(dir.path(), "noformat.toml", &format!("name = \"x\"\n{entry}"));
    let unknown = write(
        dir.path(),
        "unknown.toml",
        &format!("format = 1\nname = \"x\"\nsevere = true\n{entry}"),
    );
    let empty_toml = write(dir.path(), "empty.toml", "");
    let no_entries = write(dir.path(), "none.toml", "format = 1\nname = \"x\"\n");
    let comments = write(dir.path(), "comments.txt", "# nothing yet\n\n");
    let list = write(dir.path(), "list.lst", "vorblat\n");
    let validate = |args: &[&str]| output(guardrail().args(["lexicon", "validate"]).args(args));
    let refused = |args: &[&str], needle: &str| {
        let out = validate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    };
    refused(&[&no_format], "missing field `format`");
    refused(&[&unknown], "unknown field `severe`");
    refused(&[&empty_toml], "missing field `format`");
    refused(&[&no_entries], "has no entries");
    refused(&[&comments], "has no entries");
    refused(&[&list], "--lexicon-format toml|words");
    for args in
        [vec![&no_entries, "--allow-empty-lexicon"], vec![&list, "--lexicon-format", "words"]]
    {
        let out = validate(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }

    // Every command that reads a lexicon reads it the same way: the terms of
    // a TOML without `format` are not allowed, nor are its keys blocked words.
    let check = |lexicon: &str, text: &str| {
        output(guardrail().args(["check-text", "--surface", "bio", "--lexicon", lexicon, text]))
    };
    let out = check(&no_format, "vorblat");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr(&out).contains("missing field `format`"), "{}", stderr(&out));
    assert_eq!(check(&no_entries, "anything").status.code(), Some(2));
    let events = write(dir.path(), "events.jsonl", "");
    let out = output(guardrail().args(["scan", "--events", &events, "--lexicon", &no_format]));
    assert!(stderr(&out).contains("missing field `format`"), "{}", stderr(&out));
    let world = dir.path().join("w").display().to_string();
    let out = output(guardrail().args([
        "synth",
        "--accounts",
        "100",
        "--out",
        &world,
        "--lexicon",
        &list,
    ]));
    assert!(stderr(&out).contains("--lexicon-format"), "{}", stderr(&out));
}

const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// A few accounts; `u1` posts an image whose PDQ hash is [`PDQ`].
fn stream_with_a_known_image() -> String {
    let mut s = String::new();
    for (n, a) in ["u1", "u2", "u3", "u4"].iter().enumerate() {
        s.push_str(&format!(
            "{{\"type\":\"account\",\"id\":\"a{n}\",\"at\":\"2026-01-01T00:00:0{n}Z\",\"account\":\"{a}\",\"handle\":\"h_{a}\"}}\n"
        ));
    }
    for (n, from) in ["u2", "u3", "u4"].iter().enumerate() {
        s.push_str(&format!(
            "{{\"type\":\"follow\",\"id\":\"f{n}\",\"at\":\"2026-01-01T00:01:0{n}Z\",\"from\":\"{from}\",\"to\":\"u1\"}}\n"
        ));
    }
    s.push_str(&format!(
        "{{\"type\":\"post\",\"id\":\"p0\",\"at\":\"2026-01-01T00:02:00Z\",\"post\":\"p1\",\"author\":\"u1\",\"media\":[{{\"kind\":\"image\",\"pdq\":\"{PDQ}\"}}]}}\n"
    ));
    s
}

fn tier_of(scan_json: &[u8], account: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(scan_json).unwrap();
    v["accounts"].as_array()?.iter().find(|a| a["id"] == account).map(|a| a["tier"].to_string())
}

// See: #26
#[test]
fn scan_uses_the_banks_stored_in_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let events = write(dir.path(), "events.jsonl", &stream_with_a_known_image());
    for url in crate::databases(dir.path(), "banks") {
        let ok = |args: &[&str]| {
            let out = output(guardrail().args(args));
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
            out
        };
        ok(&["ingest", "--quiet", "--events", &events, "--database", &url]);
        let before = ok(&["scan", "--json", "--database", &url]);
        assert_eq!(tier_of(&before.stdout, "u1"), None, "no bank yet");
        let list = write(dir.path(), "known.txt", &format!("{PDQ}\n"));
        ok(&["bank", "import", "--bank", "known", "--kind", "pdq", "--database", &url, &list]);
        let after = ok(&["scan", "--json", "--database", &url]);
        assert_eq!(tier_of(&after.stdout, "u1").as_deref(), Some("\"confirmed\""), "stored bank");
        let with_file = ok(&["scan", "--json", "--events", &events, "--database", &url]);
        assert_eq!(tier_of(&with_file.stdout, "u1").as_deref(), Some("\"confirmed\""));
    }
    // --bank FILE adds to them; without a database it is the only bank.
    // A plain list of 64-digit hashes declares its kind (item 4).
    let list = write(dir.path(), "list.txt", &format!("# kind: pdq\n{PDQ}\n"));
    let out = output(guardrail().args(["scan", "--json", "--events", &events, "--bank", &list]));
    assert_eq!(tier_of(&out.stdout, "u1").as_deref(), Some("\"confirmed\""), "{}", stderr(&out));
}

// See: #26
#[test]
fn scan_radius_is_range_checked_like_match() {
    let dir = tempfile::tempdir().unwrap();
    let events = write(dir.path(), "events.jsonl", &stream_with_a_known_image());
    let out = output(guardrail().args(["scan", "--events", &events, "--radius", "100"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("100 is not in 0..=96"), "{}", stderr(&out));
}

// See: #26
#[test]
fn bank_import_refuses_undeclared_kinds_empty_lists_and_unknown_headers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db").display().to_string();
    let import = |file: &str, extra: &[&str]| {
        output(
            guardrail()
                .args(["bank", "import", "--bank", "b", "--database", &db])
                .args(extra)
                .arg(file),
        )
    };
    let refused = |file: &str, extra: &[&str], needle: &str| {
        let out = import(file, extra);
        assert_eq!(out.status.code(), Some(2), "{file} {extra:?}");
        assert!(stderr(&out).contains(needle), "{file} {extra:?}: {}", stderr(&out));
    };
    let sha = write(dir.path(), "sha.txt", &format!("{PDQ}\n"));
    refused(&sha, &[], "--kind pdq|sha256");
    let empty = write(dir.path(), "empty.txt", "# nothing here\n\n");
    refused(&empty, &["--kind", "pdq"], &format!("{empty}: no hashes"));
    let header = write(dir.path(), "h.csv", &format!("hash_kind,hex_digits\npdq,{PDQ}\n"));
    refused(&header, &[], "unknown column headers \"hash_kind\", \"hex_digits\" (expected");
    let typed = write(dir.path(), "t.csv", &format!("sha256\n{PDQ}\n"));
    refused(&typed, &["--kind", "pdq"], "declared pdq but its column \"sha256\" holds sha256");
    // Declared, it is imported as what it is.
    let out = import(&sha, &["--kind", "sha256"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = output(guardrail().args(["bank", "list", "--database", &db]));
    assert!(String::from_utf8_lossy(&list.stdout).contains("b\treview\t1 hashes"));
}
