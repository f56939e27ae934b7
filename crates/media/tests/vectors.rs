//! The reference vectors in ../shared/vectors/pdq (see its README): exact on
//! the decoder-independent PNGs, within 10 bits on the original files.

use std::path::PathBuf;

use guardrail_media::decode::{decode_file, Limits};
use guardrail_media::{Hasher, PdqHash};

fn vectors() -> Option<PathBuf> {
    let dir = match std::env::var_os("GUARDRAIL_PDQ_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/pdq"),
    };
    if dir.join("expected-rgb-png.tsv").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: PDQ vectors not found at {} (set GUARDRAIL_PDQ_VECTORS)",
            dir.display()
        );
        None
    }
}

struct Row {
    path: String,
    hash: PdqHash,
    quality: u8,
}

fn rows(dir: &std::path::Path, file: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                path: f[0].to_owned(),
                hash: PdqHash::from_hex(f[1]).unwrap(),
                quality: f[2].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn rgb_pngs_hash_exactly_as_the_reference() {
    let Some(dir) = vectors() else { return };
    let mut hasher = Hasher::new();
    let mut failures = Vec::new();
    let all = rows(&dir, "expected-rgb-png.tsv");
    assert!(all.len() > 50);
    for row in &all {
        let img = decode_file(&dir.join(&row.path), &Limits::default()).unwrap();
        let out = hasher.hash_rgb8(&img.pixels, img.width, img.height);
        if out.hash != row.hash || out.quality != row.quality {
            failures.push(format!(
                "{}: got {} q{} want {} q{} ({} bits)",
                row.path,
                out.hash,
                out.quality,
                row.hash,
                row.quality,
                out.hash.distance(&row.hash)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn original_files_hash_within_ten_bits() {
    let Some(dir) = vectors() else { return };
    let mut hasher = Hasher::new();
    let mut report = Vec::new();
    let mut worst = 0;
    let all = rows(&dir, "expected-from-original.tsv");
    for row in &all {
        let img = decode_file(&dir.join(&row.path), &Limits::default()).unwrap();
        let out = hasher.hash_rgb8(&img.pixels, img.width, img.height);
        let d = out.hash.distance(&row.hash);
        worst = worst.max(d);
        if d > 10 || out.quality.abs_diff(row.quality) > 5 {
            report.push(format!(
                "{}: {d} bits, quality {} want {}",
                row.path, out.quality, row.quality
            ));
        }
    }
    assert!(report.is_empty(), "worst {worst} bits:\n{}", report.join("\n"));
    eprintln!("{} originals, worst distance {worst} bits", all.len());
}

#[test]
fn dihedral_variants_of_the_bridge_match_its_rotated_files() {
    let Some(dir) = vectors() else { return };
    let expected = rows(&dir, "expected-from-original.tsv");
    let want = |name: &str| expected.iter().find(|r| r.path.ends_with(name)).unwrap().hash;
    let img = decode_file(
        &dir.join("images/reg-test-input/dih/bridge-1-original.jpg"),
        &Limits::default(),
    )
    .unwrap();
    let variants = Hasher::new().hash_rgb8_dihedral(&img.pixels, img.width, img.height);
    let files = [
        "bridge-1-original.jpg",
        "bridge-2-rotate-90.jpg",
        "bridge-3-rotate-180.jpg",
        "bridge-4-rotate-270.jpg",
        "bridge-5-flipx.jpg",
        "bridge-6-flipy.jpg",
        "bridge-7-flip-plus-1.jpg",
        "bridge-8-flip-minus-1.jpg",
    ];
    for (variant, file) in variants.iter().zip(files) {
        let d = variant.hash.distance(&want(file));
        assert!(d <= 16, "{file}: {d} bits");
        eprintln!("{file}: {d} bits from the variant computed from the original");
    }
}
