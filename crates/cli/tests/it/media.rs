//! `guardrail hash`, `bank` and `match` end to end, on generated images.

use std::path::Path;

use crate::{guardrail, run_code, run_ok};

/// A 24-bit BMP written by hand (the CLI crate has no image encoder).
fn write_bmp(path: &Path, w: u32, h: u32, px: impl Fn(u32, u32) -> [u8; 3]) {
    let row = (3 * w).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut b = Vec::with_capacity(size as usize);
    b.extend_from_slice(b"BM");
    for v in [size, 0, 54, 40] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&(w as i32).to_le_bytes());
    b.extend_from_slice(&(h as i32).to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    for v in [0u32, row * h, 2835, 2835, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for y in (0..h).rev() {
        let start = b.len();
        for x in 0..w {
            let [r, g, bl] = px(x, y);
            b.extend_from_slice(&[bl, g, r]);
        }
        b.resize(start + row as usize, 0);
    }
    std::fs::write(path, b).unwrap();
}

/// A disc on a gradient with a bright block: strong low-frequency structure,
/// so a few changed pixels move the hash little.
fn pattern(x: u32, y: u32) -> [u8; 3] {
    let (dx, dy) = (x as i64 - 50, y as i64 - 45);
    let v = if dx * dx + dy * dy < 900 {
        220
    } else {
        30 + x / 2 + if y > 80 && x > 90 { 60 } else { 0 }
    } as u8;
    [v, if x > 120 { v.wrapping_mul(3) } else { v }, 255 - v]
}

#[test]
fn hash_import_match_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("m.db").display().to_string();
    write_bmp(&d.join("a.bmp"), 160, 120, pattern);
    // The same picture with a few pixels changed, and an unrelated one.
    write_bmp(&d.join("near.bmp"), 160, 120, |x, y| {
        if x < 4 && y < 4 {
            [0, 0, 0]
        } else {
            pattern(x, y)
        }
    });
    write_bmp(&d.join("other.bmp"), 160, 120, |x, y| {
        let v = ((x * x + y * 5) % 256) as u8;
        [v, v, 255 - v]
    });
    std::fs::write(d.join("broken.bmp"), b"BM not really").unwrap();

    let out = run_ok(guardrail().args(["hash", "--json"]).arg(d.join("a.bmp")));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pdq = v["pdq"].as_str().unwrap().to_owned();
    assert_eq!(pdq.len(), 64);
    assert!(v["quality"].as_u64().unwrap() >= 50, "{v}");

    // Errors are per file; the others still print.
    let out = guardrail()
        .args(["hash", "--json"])
        .arg(d.join("broken.bmp"))
        .arg(d.join("a.bmp"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an unreadable file exits 2, with --json too");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[0]["error"].as_str().unwrap().contains("corrupt"), "{text}");
    assert_eq!(lines[1]["pdq"], pdq.as_str());
    let plain = guardrail().arg("hash").arg(d.join("broken.bmp")).output().unwrap();
    assert_eq!(plain.status.code(), Some(2));

    // A malformed list is refused whole, naming the line. (A plain list of
    // 64-digit hashes must say what they are: --kind, #26.)
    std::fs::write(d.join("bad.txt"), format!("{pdq}\nxyz\n")).unwrap();
    let out = guardrail()
        .args(["bank", "import", "--bank", "known", "--kind", "pdq", "--database", &db])
        .arg(d.join("bad.txt"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = run_ok(guardrail().args(["bank", "list", "--database", &db]));
    assert!(String::from_utf8_lossy(&list.stdout).trim().is_empty(), "nothing imported");

    std::fs::write(d.join("list.txt"), format!("# known\n{pdq}\n")).unwrap();
    run_ok(
        guardrail()
            .args(["bank", "import", "--bank", "known", "--action", "block", "--kind", "pdq"])
            .args(["--database", &db])
            .arg(d.join("list.txt")),
    );
    let list = run_ok(guardrail().args(["bank", "list", "--database", &db]));
    assert!(String::from_utf8_lossy(&list.stdout).contains("known\tblock\t1 hashes"));

    let out =
        guardrail().args(["match", "--database", &db]).arg(d.join("near.bmp")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\tknown\t") && text.contains("\tblock\t"), "{text}");
    let out =
        guardrail().args(["match", "--database", &db]).arg(d.join("other.bmp")).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "no match: {}", String::from_utf8_lossy(&out.stdout));
    let out =
        guardrail().args(["match", "--database", &db]).arg(d.join("broken.bmp")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    // A second bank keeps a hash in the store once `known` is emptied: a
    // store with no hash at all is refused by `match` (#26).
    let out = run_ok(guardrail().args(["hash", "--json"]).arg(d.join("other.bmp")));
    let other: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    std::fs::write(d.join("other.txt"), format!("{}\n", other["pdq"].as_str().unwrap())).unwrap();
    run_ok(
        guardrail()
            .args(["bank", "import", "--bank", "others", "--kind", "pdq", "--database", &db])
            .arg(d.join("other.txt")),
    );
    run_ok(guardrail().args(["bank", "remove", "known", "--database", &db, "--hash", &pdq]));
    let out = guardrail().args(["match", "--database", &db]).arg(d.join("a.bmp")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = guardrail()
        .args(["match", "--bank", "known", "--database", &db])
        .arg(d.join("a.bmp"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "an empty bank is refused (#26)");
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no hashes"));
}

// See: #26
#[test]
fn match_reports_a_skipped_low_quality_image_with_its_quality() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("m.db").display().to_string();
    write_bmp(&d.join("a.bmp"), 160, 120, pattern);
    // A flat picture: no gradients, so PDQ quality 0 (an unreliable hash).
    write_bmp(&d.join("flat.bmp"), 160, 120, |_, _| [128, 128, 128]);
    let out = run_ok(guardrail().args(["hash", "--json"]).arg(d.join("a.bmp")));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    std::fs::write(d.join("list.txt"), format!("{}\n", v["pdq"].as_str().unwrap())).unwrap();
    run_ok(
        guardrail()
            .args(["bank", "import", "--bank", "known", "--kind", "pdq", "--database", &db])
            .arg(d.join("list.txt")),
    );

    // Not "no match" (1): the file was not checked, so the exit code is 3.
    let out = run_code(guardrail().args(["match", "--database", &db]).arg(d.join("flat.bmp")), 3);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("skipped: quality 0 is below 50 (unreliable hash"), "{text}");
    let out = run_code(
        guardrail().args(["match", "--json", "--database", &db]).arg(d.join("flat.bmp")),
        3,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["matches"], serde_json::json!([]), "{v}");
    assert_eq!(v["skipped"]["reason"], "low_quality", "{v}");
    assert_eq!(v["skipped"]["quality"], 0, "{v}");
    assert_eq!(v["skipped"]["threshold"], 50, "{v}");

    // A match elsewhere still exits 0, and the skip is still reported.
    let out = run_ok(
        guardrail().args(["match", "--database", &db]).arg(d.join("flat.bmp")).arg(d.join("a.bmp")),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("flat.bmp\tskipped: quality 0") && text.contains("\tknown\t"), "{text}");
    // With --include-low-quality the file is matched and nothing is skipped.
    let out = run_code(
        guardrail()
            .args(["match", "--json", "--include-low-quality", "--database", &db])
            .arg(d.join("flat.bmp")),
        1,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("skipped").is_none(), "{v}");
}
