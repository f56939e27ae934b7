//! Media engine figures, printed: the Hamming index on a synthetic bank and
//! PDQ hashing speed. Driven by bench/media.sh, which runs the peers (FAISS,
//! Meta's PDQ through `pdqhash`) on the same files in the same run.
//!
//! ```text
//! media_bench data DIR N QUERIES SEED   write haystack.bin, queries.bin, truth.tsv, images
//! media_bench index DIR [RADIUS] [fast|compact]  build the index over DIR's haystack and time queries
//! media_bench hash DIR                  time PDQ on DIR's raw RGB images
//! ```

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use guardrail_media::{HashIndex, Hasher, Layout, PdqHash};
use rand::{rngs::SmallRng, seq::index::sample, Rng, SeedableRng};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_else(|| usage());
    match arg(0) {
        "data" => data(
            Path::new(arg(1)),
            arg(2).parse().unwrap(),
            arg(3).parse().unwrap(),
            arg(4).parse().unwrap(),
        ),
        "index" => index(
            Path::new(arg(1)),
            args.get(2).map_or(31, |r| r.parse().unwrap()),
            match args.get(3).map(String::as_str) {
                None | Some("fast") => Layout::Fast,
                Some("compact") => Layout::Compact,
                Some(_) => usage(),
            },
        ),
        "hash" => hash(Path::new(arg(1))),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: media_bench data DIR N QUERIES SEED | index DIR [RADIUS] [fast|compact] | hash DIR"
    );
    std::process::exit(2)
}

/// Hashes as 32 bytes each, the reference's byte order (big-endian hex).
fn write_hashes(path: &Path, hashes: &[PdqHash]) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for h in hashes {
        out.write_all(&guardrail_core::Pdq::from(*h).0).unwrap();
    }
    out.flush().unwrap();
}

fn read_hashes(path: &Path) -> Vec<PdqHash> {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .chunks_exact(32)
        .map(|c| {
            let mut p = [0u8; 32];
            p.copy_from_slice(c);
            PdqHash::from(guardrail_core::Pdq(p))
        })
        .collect()
}

/// `n` random hashes, then `queries` queries: even ones are a stored hash
/// with exactly `d` bits flipped (d cycling 0..=31), odd ones random. The
/// planted pairs go to truth.tsv (query index, haystack index, distance).
fn data(dir: &Path, n: usize, queries: usize, seed: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = SmallRng::seed_from_u64(seed);
    let hay: Vec<PdqHash> = (0..n).map(|_| PdqHash(rng.gen())).collect();
    let mut qs = Vec::with_capacity(queries);
    let mut truth = String::new();
    for q in 0..queries {
        if q % 2 == 0 {
            let target = rng.gen_range(0..n);
            let d = (q / 2) % 32;
            let mut h = hay[target];
            for k in sample(&mut rng, 256, d).iter() {
                h.0[k / 64] ^= 1 << (k % 64);
            }
            truth.push_str(&format!("{q}\t{target}\t{d}\n"));
            qs.push(h);
        } else {
            qs.push(PdqHash(rng.gen()));
        }
    }
    write_hashes(&dir.join("haystack.bin"), &hay);
    write_hashes(&dir.join("queries.bin"), &qs);
    std::fs::write(dir.join("truth.tsv"), truth).unwrap();
    // Test images: smooth blobs and stripes, raw RGB, 512² and 1024².
    for side in [512usize, 1024] {
        let mut px = Vec::with_capacity(3 * side * side);
        for y in 0..side {
            for x in 0..side {
                let (fx, fy) = (x as f32 / side as f32, y as f32 / side as f32);
                let v = ((fx * 13.0).sin() * (fy * 7.0).cos() * 100.0 + 128.0) as u8;
                px.extend_from_slice(&[v, v.wrapping_add((x ^ y) as u8 / 8), 255 - v]);
            }
        }
        std::fs::write(dir.join(format!("image-{side}.rgb")), px).unwrap();
    }
    println!("wrote {n} hashes, {queries} queries, images to {}", dir.display());
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn index(dir: &Path, radius: u32, layout: Layout) {
    let hay = read_hashes(&dir.join("haystack.bin"));
    let queries = read_hashes(&dir.join("queries.bin"));
    let truth: Vec<(usize, u32, u32)> = std::fs::read_to_string(dir.join("truth.tsv"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<u32> = l.split('\t').map(|x| x.parse().unwrap()).collect();
            (f[0] as usize, f[1], f[2])
        })
        .collect();
    let n = hay.len();
    let rss_before = rss_kib();
    let start = Instant::now();
    let index = HashIndex::build_with(layout, hay.iter().map(|&h| (h, 0)));
    let build = start.elapsed().as_secs_f64();
    let rss_after = rss_kib();
    drop(hay);
    let mut latencies = Vec::with_capacity(queries.len());
    let mut results = Vec::with_capacity(queries.len());
    let start = Instant::now();
    for q in &queries {
        let t = Instant::now();
        results.push(index.query(q, radius).unwrap());
        latencies.push(t.elapsed().as_secs_f64());
    }
    let total = start.elapsed().as_secs_f64();
    let found = truth
        .iter()
        .filter(|(q, target, d)| *d <= radius && results[*q].iter().any(|h| h.id == *target))
        .count();
    let planted = truth.iter().filter(|(_, _, d)| *d <= radius).count();
    let hits: usize = results.iter().map(Vec::len).sum();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize] * 1e6;
    println!(
        "guardrail index ({layout:?} layout): {n} hashes, radius {radius}, {} queries one at a time, 1 thread",
        queries.len()
    );
    println!("  build            {build:.2} s (tables built in parallel on the available cores)");
    println!(
        "  memory           {:.1} bytes/hash (index's own count; RSS grew {:.1} bytes/hash)",
        index.memory_bytes() as f64 / n as f64,
        (rss_after.saturating_sub(rss_before) * 1024) as f64 / n as f64
    );
    println!("  queries/s        {:.0}", queries.len() as f64 / total);
    println!("  latency          p50 {:.0} us, p99 {:.0} us", pct(0.5), pct(0.99));
    println!(
        "  recall           {found}/{planted} planted matches ({:.2}%), {hits} hits in all",
        100.0 * found as f64 / planted.max(1) as f64
    );
}

fn hash(dir: &Path) {
    let mut hasher = Hasher::new();
    for side in [512usize, 1024] {
        let px = std::fs::read(dir.join(format!("image-{side}.rgb"))).unwrap();
        let reps = if side == 512 { 200 } else { 50 };
        let mut times = Vec::with_capacity(reps);
        let mut out = None;
        for _ in 0..reps {
            let t = Instant::now();
            out = Some(hasher.hash_rgb8(&px, side, side));
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let out = out.unwrap();
        println!(
            "guardrail pdq {side}x{side}: median {:.2} ms, min {:.2} ms ({reps} runs) -> {} q{}",
            times[reps / 2] * 1e3,
            times[0] * 1e3,
            out.hash,
            out.quality
        );
    }
}
