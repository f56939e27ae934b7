//! The index answers exactly as brute force, on random and clustered data,
//! through insertions, removals and compactions.

use guardrail_media::{HashIndex, Hit, Layout, PdqHash};
use proptest::prelude::*;
use rand::{rngs::SmallRng, Rng, SeedableRng};

fn brute(hashes: &[(PdqHash, bool)], q: &PdqHash, r: u32) -> Vec<Hit> {
    let mut out: Vec<Hit> = hashes
        .iter()
        .enumerate()
        .filter(|(_, (_, live))| *live)
        .map(|(id, (h, _))| Hit { distance: h.distance(q), id: id as u32 })
        .filter(|h| h.distance <= r)
        .collect();
    out.sort_unstable();
    out
}

fn flip(rng: &mut SmallRng, h: PdqHash, bits: u32) -> PdqHash {
    let mut out = h;
    for _ in 0..bits {
        let k = rng.gen_range(0..256);
        out.0[k / 64] ^= 1 << (k % 64);
    }
    out
}

/// Clusters: a few centres, members within 0..=40 random flips of them.
fn clustered(rng: &mut SmallRng, n: usize) -> Vec<PdqHash> {
    let centres: Vec<PdqHash> = (0..(n / 20).max(1)).map(|_| PdqHash(rng.gen())).collect();
    (0..n)
        .map(|_| {
            let c = centres[rng.gen_range(0..centres.len())];
            let bits = rng.gen_range(0..=40);
            flip(rng, c, bits)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn same_answers_as_brute_force(seed in any::<u64>(), n in 1usize..600, cluster in any::<bool>(),
                                   radius in 0u32..=64, ops in 0usize..60, compact in any::<bool>()) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let data = if cluster { clustered(&mut rng, n) } else { (0..n).map(|_| PdqHash(rng.gen())).collect() };
        let split = rng.gen_range(0..=n);
        let layout = if compact { Layout::Compact } else { Layout::Fast };
        let mut index = HashIndex::build_with(layout, data[..split].iter().map(|&h| (h, 0)));
        index.set_buffer_limit(rng.gen_range(1..50));
        let mut truth: Vec<(PdqHash, bool)> = data[..split].iter().map(|&h| (h, true)).collect();
        for &h in &data[split..] {
            index.insert(h, 0).unwrap();
            truth.push((h, true));
        }
        for _ in 0..ops {
            if rng.gen_bool(0.5) && !truth.is_empty() {
                let id = rng.gen_range(0..truth.len());
                prop_assert_eq!(index.remove(id as u32), truth[id].1);
                truth[id].1 = false;
            } else {
                let base = data[rng.gen_range(0..n)];
                let bits = rng.gen_range(0..20);
                let h = flip(&mut rng, base, bits);
                index.insert(h, 0).unwrap();
                truth.push((h, true));
            }
        }
        for _ in 0..8 {
            let base = data[rng.gen_range(0..n)];
            let bits = rng.gen_range(0..48);
            let q = if rng.gen_bool(0.8) { flip(&mut rng, base, bits) } else { PdqHash(rng.gen()) };
            prop_assert_eq!(index.query(&q, radius).unwrap(), brute(&truth, &q, radius));
        }
    }
}

#[test]
fn real_clustered_hashes_from_the_reference_tests() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/pdq");
    let Ok(haystack) = std::fs::read_to_string(dir.join("haystack.txt")) else {
        eprintln!("skipped: {} not found", dir.display());
        return;
    };
    let needles = std::fs::read_to_string(dir.join("needles.txt")).unwrap();
    let parse = |text: &str| -> Vec<PdqHash> {
        text.lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| w.len() == 64)
            .map(|w| PdqHash::from_hex(w).unwrap())
            .collect()
    };
    let hay = parse(&haystack);
    let nee = parse(&needles);
    assert!(hay.len() >= 1000 && nee.len() >= 100, "{} {}", hay.len(), nee.len());
    let truth: Vec<(PdqHash, bool)> = hay.iter().map(|&h| (h, true)).collect();
    for layout in [Layout::Fast, Layout::Compact] {
        let index = HashIndex::build_with(layout, hay.iter().map(|&h| (h, 0)));
        let mut found = 0;
        for radius in [0, 1, 2, 10, 31, 48, 64, 96] {
            for q in &nee {
                let got = index.query(q, radius).unwrap();
                assert_eq!(got, brute(&truth, q, radius), "{layout:?}, radius {radius}");
                found += got.len();
            }
        }
        assert!(found > 100, "the needles should find clustered neighbours ({found})");
    }
}
