//! How fast could any exact multi-index Hamming search be within a memory
//! budget? An optimistic model, with memory costs measured on this machine,
//! behind the statement in docs/MEDIA.md that 48 bytes a hash and 3,000
//! radius-31 queries a second at 10M hashes cannot both be met by this family
//! of indexes. Run by bench/media.sh; the figures are in bench/README.md.
//!
//! ```text
//! index_bound [N] [RADIUS]     defaults 10000000 and 31
//! ```
//!
//! The family (multi-index hashing in every variant we know: single-level as
//! FAISS's `IndexBinaryMultiHash` and our compact layout, two-level as our fast
//! layout, any mix of part lengths and thresholds): the 256 bits are split into
//! parts, one table per part; part `i` gets a threshold `t_i` with
//! `sum(t_i + 1) >= RADIUS + 1`, so a hash within RADIUS has some part within
//! its threshold (generalised pigeonhole). Table `i` sorts its entries into
//! `2^b_i` buckets by `b_i` bits of its part and may store `f_i` filter bits an
//! entry. A query must visit every bucket whose key is within `t_i` of its own,
//! `V(b, t) = sum_{k<=t} C(b, k)` of them, stream their entries, and read the
//! full hash of every entry its filter lets through.
//!
//! Every assumption favours the index, so the speeds it prints are upper
//! bounds for the family:
//! - memory: the hashes take `256 - log2 N + log2 e` bits (stored sorted, the
//!   least any representation of N random hashes can take), the payload (bank)
//!   nothing, and a table `b + f` bits an entry (an inverted list of N entries
//!   over `2^b` buckets takes `b` bits an entry with ideal coding, less than
//!   Elias-Fano's `b + 2`; no directory is counted). One table may be the
//!   sorted hash array itself: no bits beyond the hashes, no verification
//!   reads, but it streams 32 bytes an entry.
//! - time: a filter of `f` bits passes `2^-f` of random entries (the best any
//!   `f` bits can do; a real filter tests a distance, not equality); no CPU
//!   work is counted: only a random read of the directory per visited bucket
//!   (at the measured cost for a structure of its size), a random read from
//!   memory per non-empty visited bucket and per verified entry, and the
//!   streaming of entries at the measured sequential bandwidth. Random reads
//!   are measured as independent loads, so as many misses overlap as the core
//!   allows.
//!
//! Memory budgets are swept, and the best design for each is found by dynamic
//! programming over (sum of `t_i + 1`, bits used, primary table used).

use std::time::Instant;

use guardrail_core::buf::Buf;
use rand::{rngs::SmallRng, Rng, SeedableRng};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: f64 = args.first().map_or(1e7, |a| a.parse().expect("N: a number"));
    let radius: usize = args.get(1).map_or(31, |a| a.parse().expect("RADIUS: a number"));
    let costs = Costs::measure();
    println!("== memory costs measured on this machine (one thread)");
    for (bytes, ns) in &costs.random {
        println!("  random 8-byte read in {:>8} KiB: {ns:.2} ns", bytes >> 10);
    }
    println!("  sequential read: {:.2} GB/s", costs.bandwidth);

    let model = Model { n, costs };
    println!("== our layouts under the same model (N = {n}, radius 31)");
    for (name, tables, b, t, f) in [
        ("fast (16 tables, 16-bit keys, 16-bit filter)", 16, 16, 1, 16),
        ("compact (8 tables, 18-bit keys, 14-bit filter)", 8, 18, 3, 14),
    ] {
        let ns = tables as f64 * model.table(b, t, f);
        let bytes = model.hash_bits() / 8.0 + (tables * (b + f)) as f64 / 8.0;
        println!("  {name}: model memory {bytes:.1} B/hash, model bound {:.0} q/s", 1e9 / ns);
    }

    println!("== best design of the family within each memory budget (N = {n}, radius {radius})");
    for budget in [40.0, 44.0, 46.0, 48.0, 50.0, 52.0, 56.0, 60.0, 64.0] {
        match model.best(budget, radius) {
            None => println!("  {budget:>5.1} B/hash: no exact design fits"),
            Some((ns, design)) => {
                println!("  {budget:>5.1} B/hash: at most {:>7.0} q/s  {design}", 1e9 / ns)
            }
        }
    }
}

/// Measured costs of memory access on this machine.
struct Costs {
    /// (structure size in bytes, ns a random read), sizes ascending.
    random: Vec<(usize, f64)>,
    /// Sequential read bandwidth, bytes a nanosecond.
    bandwidth: f64,
}

impl Costs {
    /// Random reads in buffers of 256 KiB to 1 GiB, then sequential reads of
    /// the largest.
    fn measure() -> Costs {
        let mut rng = SmallRng::seed_from_u64(1);
        let reads = 1 << 22;
        let mut random = Vec::new();
        let mut buf: Buf<u64> = Buf::new();
        for shift in [18, 21, 24, 27, 29, 30] {
            let len = (1usize << shift) / 8;
            buf = Buf::zeroed(len);
            for (i, x) in buf.iter_mut().enumerate() {
                *x = i as u64;
            }
            let idx: Vec<u32> = (0..reads).map(|_| rng.gen_range(0..len as u32)).collect();
            let ns = best_of_3(|| {
                // Independent loads: the core overlaps as many misses as it can.
                idx.iter().fold(0u64, |a, &i| a.wrapping_add(buf[i as usize]))
            });
            random.push((1usize << shift, ns / reads as f64));
        }
        let ns = best_of_3(|| buf.iter().fold(0u64, |a, &x| a.wrapping_add(x)));
        Costs { random, bandwidth: buf.bytes() as f64 / ns }
    }

    /// Cost of a random read in a structure of `bytes` bytes: that of the
    /// largest measured size not above it (rounding down favours the index).
    fn random(&self, bytes: f64) -> f64 {
        let below = self.random.iter().rev().find(|(size, _)| *size as f64 <= bytes);
        below.unwrap_or(&self.random[0]).1
    }
}

/// A table added to a design in the search: the sorted hash array searched
/// within threshold `t`, or a table of threshold `t` and `extra` bits an entry.
#[derive(Clone, Copy)]
enum Step {
    Primary(usize),
    Table(usize, usize),
}

struct Model {
    n: f64,
    costs: Costs,
}

/// Bits a table entry may take at most in the search.
const MAX_TABLE_BITS: usize = 96;
/// Largest bucket key considered.
const MAX_KEY_BITS: usize = 40;

impl Model {
    /// Bits a hash takes when N random hashes are stored sorted.
    fn hash_bits(&self) -> f64 {
        256.0 - self.n.log2() + std::f64::consts::LOG2_E
    }

    /// A random read of a stored hash.
    fn hash_read(&self) -> f64 {
        self.costs.random(self.n * self.hash_bits() / 8.0)
    }

    /// Visiting the buckets of a `b`-bit key within `t` in a table of
    /// `entry_bits` an entry: a directory read per bucket and a read of the
    /// table per non-empty one; returns (ns, entries streamed).
    fn visits(&self, b: usize, t: usize, entry_bits: f64) -> (f64, f64) {
        let v = ball(b, t);
        let buckets = (b as f64).exp2();
        let per_bucket = self.n / buckets;
        let directory = if buckets <= self.n {
            buckets * 4.0
        } else {
            self.n * ((b as f64) - self.n.log2() + 2.0) / 8.0
        };
        let nonempty = 1.0 - (-per_bucket).exp();
        let first = self.costs.random(self.n * entry_bits / 8.0);
        let ns = v * (self.costs.random(directory) + nonempty * first);
        (ns, v * per_bucket)
    }

    /// A table of `b`-bit keys and `f`-bit filters searched within `t`.
    fn table(&self, b: usize, t: usize, f: usize) -> f64 {
        let (ns, entries) = self.visits(b, t, (b + f) as f64);
        let stream = entries * (b + f) as f64 / 8.0 / self.costs.bandwidth;
        let verify = entries * (-(f as f64)).exp2() * self.hash_read();
        ns + stream + verify
    }

    /// The sorted hash array used as a table of `b`-bit keys, searched within `t`.
    fn primary(&self, b: usize, t: usize) -> f64 {
        let (ns, entries) = self.visits(b, t, self.hash_bits());
        ns + entries * 32.0 / self.costs.bandwidth
    }

    /// The least query time (ns) of an exact design within `budget` bytes a
    /// hash, and the design.
    fn best(&self, budget: f64, radius: usize) -> Option<(f64, String)> {
        let bits = (budget * 8.0 - self.hash_bits()).floor();
        if bits < 0.0 {
            return None;
        }
        let bits = bits as usize;
        let need = radius + 1;
        // The best (b, f) for each threshold and entry size, and the best
        // primary key for each threshold.
        let mut table = vec![vec![(f64::INFINITY, 0, 0); MAX_TABLE_BITS + 1]; need];
        let mut primary = vec![(f64::INFINITY, 0); need];
        for (t, row) in table.iter_mut().enumerate() {
            for (m, cell) in row.iter_mut().enumerate() {
                for b in t.max(1)..=m.min(MAX_KEY_BITS) {
                    let ns = self.table(b, t, m - b);
                    if ns < cell.0 {
                        *cell = (ns, b, m - b);
                    }
                }
            }
            for b in t.max(1)..=MAX_KEY_BITS {
                let ns = self.primary(b, t);
                if ns < primary[t].0 {
                    primary[t] = (ns, b);
                }
            }
        }
        // cost[s][m][p]: least time for parts with sum(t + 1) = s (capped at
        // `need`), m table bits, p = primary used; `from` remembers the step.
        let states = (need + 1) * (bits + 1) * 2;
        let at = |s: usize, m: usize, p: usize| (s * (bits + 1) + m) * 2 + p;
        let mut cost = vec![f64::INFINITY; states];
        let mut from: Vec<Option<(usize, Step)>> = vec![None; states];
        cost[at(0, 0, 0)] = 0.0;
        for s in 0..need {
            for m in 0..=bits {
                for p in 0..2 {
                    let here = cost[at(s, m, p)];
                    if here.is_infinite() {
                        continue;
                    }
                    for t in 0..need {
                        let s2 = (s + t + 1).min(need);
                        if p == 0 && primary[t].0.is_finite() {
                            let i = at(s2, m, 1);
                            if here + primary[t].0 < cost[i] {
                                cost[i] = here + primary[t].0;
                                from[i] = Some((at(s, m, p), Step::Primary(t)));
                            }
                        }
                        let fits = &table[t][..=MAX_TABLE_BITS.min(bits - m)];
                        for (extra, &(ns, _, _)) in fits.iter().enumerate().skip(1) {
                            let i = at(s2, m + extra, p);
                            if here + ns < cost[i] {
                                cost[i] = here + ns;
                                from[i] = Some((at(s, m, p), Step::Table(t, extra)));
                            }
                        }
                    }
                }
            }
        }
        let end = (0..=bits)
            .flat_map(|m| [at(need, m, 0), at(need, m, 1)])
            .min_by(|&a, &b| cost[a].total_cmp(&cost[b]))?;
        if cost[end].is_infinite() {
            return None;
        }
        let mut parts = Vec::new();
        let mut key_bits = 0;
        let mut i = end;
        while let Some((prev, step)) = from[i] {
            parts.push(match step {
                Step::Primary(t) => {
                    key_bits += primary[t].1;
                    format!("hashes sorted by {} bits (t {t})", primary[t].1)
                }
                Step::Table(t, extra) => {
                    let (_, b, f) = table[t][extra];
                    key_bits += b;
                    format!("b {b} f {f} (t {t})")
                }
            });
            i = prev;
        }
        parts.sort();
        let mut design = String::new();
        let mut k = 0;
        while k < parts.len() {
            let same = parts[k..].iter().take_while(|p| **p == parts[k]).count();
            design += &format!("{}{same} x [{}]", if k == 0 { "" } else { ", " }, parts[k]);
            k += same;
        }
        // The search does not require the parts' keys to be disjoint bits of
        // the hash: relaxing a constraint can only make the bound looser.
        if key_bits > 256 {
            design += &format!("; keys {key_bits} bits > 256, so not buildable: a loose bound");
        }
        Some((cost[end], design))
    }
}

/// The least of three timings of `f`, in nanoseconds.
fn best_of_3(f: impl Fn() -> u64) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64() * 1e9
        })
        .fold(f64::INFINITY, f64::min)
}

/// Keys within `t` of a `b`-bit key: sum of C(b, k) for k <= t.
fn ball(b: usize, t: usize) -> f64 {
    let mut c = 1.0;
    let mut sum = 1.0;
    for k in 1..=t.min(b) {
        c = c * (b + 1 - k) as f64 / k as f64;
        sum += c;
    }
    sum
}
