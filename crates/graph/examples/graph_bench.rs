//! Speed and memory of the graph engine (run by `bench/graph.sh`; figures in
//! `bench/README.md`).
//!
//! `graph_bench world DIR`: load a world's `events.jsonl` (timings per stage),
//! then the full scan (timings per phase), with peak memory.
//!
//! `graph_bench rmat NODES EDGES SEED [EDGE_LIST]`: a power-law (R-MAT) follow
//! graph of NODES accounts and EDGES distinct follows with a planted
//! seller/buyer network and child-safety bans on 10% of its sellers, built
//! through the same edge log as a load; then global personalised PageRank
//! (20 power iterations, both threads, the figure compared with networkit),
//! the full scan, and peak memory. With EDGE_LIST, the undirected edge list is
//! written for the peer.

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use guardrail_core::{
    AccountId, EnforcementAction, EnforcementEvent, Event, EventId, EventKind, Timestamp,
};
use guardrail_graph::rank::{personalised_pagerank, PprConfig};
use guardrail_graph::{load_events, scan, Evidence, Graph, Kinds, LoadOptions, Node, ScanConfig};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn report_scan(g: &Graph) {
    let t = Instant::now();
    let r = scan(g, &Evidence::default(), None, &ScanConfig::default()).expect("scan");
    let s = &r.summary;
    println!(
        "scan: {:.2} s (identity {:.2}, propagation {:.2}, patterns {:.2}, communities {:.2}, reasons {:.2}); {} seeds, {} confirmed, {} suspected, {} exposed, {} networks",
        t.elapsed().as_secs_f64(),
        s.seconds.identity,
        s.seconds.propagation,
        s.seconds.patterns,
        s.seconds.communities,
        s.seconds.reasons,
        s.seeds,
        s.confirmed,
        s.suspected,
        s.exposed,
        r.networks.len()
    );
}

fn world(dir: &str) {
    let t = Instant::now();
    let file = std::fs::File::open(format!("{dir}/events.jsonl")).expect("events.jsonl");
    let mut g = Graph::new();
    let mut ev = Evidence::default();
    let r = load_events(BufReader::new(file), &mut g, &mut ev, None, None, &LoadOptions::default())
        .expect("load");
    println!(
        "load: {} events ({:.0} MB), {} accounts, {} edges in {:.1} s (read {:.1}, parse {:.1}, apply {:.1}, compact {:.1}); edge arrays {:.1} B/edge; id tables {:.0} MiB; peak RSS {:.0} MiB",
        r.events,
        r.bytes as f64 / 1e6,
        g.len(),
        g.edges(),
        t.elapsed().as_secs_f64(),
        r.read_seconds,
        r.parse_seconds,
        r.apply_seconds,
        r.compact_seconds,
        g.edge_bytes() as f64 / g.edges().max(1) as f64,
        g.index_bytes() as f64 / 1048576.0,
        peak_rss_mib()
    );
    report_scan(&g);
    println!("peak RSS {:.0} MiB", peak_rss_mib());
}

/// One R-MAT edge on `2^scale` nodes (a, b, c = 0.57, 0.19, 0.19).
fn rmat_edge(r: &mut impl Rng, scale: u32) -> (u64, u64) {
    let (mut u, mut v) = (0u64, 0u64);
    for _ in 0..scale {
        let x: f64 = r.gen();
        let (du, dv) = if x < 0.57 {
            (0, 0)
        } else if x < 0.76 {
            (0, 1)
        } else if x < 0.95 {
            (1, 0)
        } else {
            (1, 1)
        };
        u = (u << 1) | du;
        v = (v << 1) | dv;
    }
    (u, v)
}

fn rmat(nodes: usize, edges: usize, seed: u64, edge_list: Option<&str>) {
    let mut r = rand::rngs::SmallRng::seed_from_u64(seed);
    let t = Instant::now();
    let at = Timestamp::from_unix_seconds(1_767_225_600).expect("time");
    let mut g = Graph::new();
    for i in 0..nodes {
        g.intern(&AccountId::new(format!("u{i}")), at);
    }
    // A random relabelling spreads R-MAT's hubs over the id space.
    let mut perm: Vec<u32> = (0..nodes as u32).collect();
    for i in (1..nodes).rev() {
        perm.swap(i, r.gen_range(0..=i));
    }
    let scale = (nodes as f64).log2().ceil() as u32;
    // Planted network: 0.2% sellers, 1% buyers following 3..30 sellers; the
    // rest R-MAT follows, drawn until EDGES distinct pairs exist, then given
    // to the graph in random order, as a stream would.
    let sellers = (nodes / 500).max(10);
    let buyers = (nodes / 100).max(50);
    let mut pairs: Vec<u64> = Vec::with_capacity(edges + edges / 8);
    for b in 0..buyers {
        for _ in 0..r.gen_range(3..30) {
            pairs.push(((sellers + b) as u64) << 32 | r.gen_range(0..sellers) as u64);
        }
    }
    let planted = pairs.len();
    loop {
        while pairs.len() < edges + edges / 16 {
            let (u, v) = rmat_edge(&mut r, scale);
            let (u, v) = (perm[u as usize % nodes], perm[v as usize % nodes]);
            if u != v {
                pairs.push(u64::from(u) << 32 | u64::from(v));
            }
        }
        pairs.par_sort_unstable();
        pairs.dedup();
        if pairs.len() >= edges {
            break;
        }
    }
    // Keep the planted follows, drop surplus random ones, shuffle.
    pairs.shuffle(&mut r);
    pairs.truncate(edges);
    let generated = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for &p in &pairs {
        g.add_edge((p >> 32) as Node, p as u32, Kinds::FOLLOW, Kinds::NONE);
    }
    drop(pairs);
    let logged = t.elapsed().as_secs_f64();
    let t2 = Instant::now();
    g.compact();
    let built = t.elapsed().as_secs_f64();
    for s in (0..sellers).step_by(10) {
        g.apply(&Event {
            id: EventId::new(format!("ban{s}")),
            at,
            kind: EventKind::Enforcement(EnforcementEvent {
                account: AccountId::new(format!("u{s}")),
                action: EnforcementAction::Ban,
                reason: None,
                confirmed_category: Some("child_safety".into()),
            }),
        });
    }
    println!(
        "rmat: {} accounts, {} distinct edges (about {} planted follows; generated in {:.1} s) built in {:.1} s (edge log {:.1} s, compaction {:.1} s); edge arrays {:.1} B/edge; peak RSS {:.0} MiB",
        g.len(),
        g.edges(),
        planted,
        generated,
        built,
        logged,
        t2.elapsed().as_secs_f64(),
        g.edge_bytes() as f64 / g.edges() as f64,
        peak_rss_mib()
    );
    if let Some(path) = edge_list {
        let mut out = BufWriter::new(std::fs::File::create(path).expect("edge list"));
        for v in 0..g.len() as Node {
            for &u in g.out_edges(v).0 {
                writeln!(out, "{v} {u}").expect("write");
            }
        }
        out.flush().expect("write");
    }
    let seeds: Vec<(Node, f64)> = (0..sellers as Node).step_by(10).map(|s| (s, 1.0)).collect();
    let cfg = PprConfig { tolerance: 0.0, max_iterations: 20, ..PprConfig::default() };
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let p = personalised_pagerank(&g, &seeds, &cfg);
        times.push(t.elapsed().as_secs_f64());
        assert_eq!(p.iterations, 20);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "personalised PageRank, 20 power iterations over the undirected view, {} threads: median of 3 {:.2} s (min {:.2})",
        rayon::current_num_threads(),
        times[1],
        times[0]
    );
    report_scan(&g);
    println!("peak RSS {:.0} MiB", peak_rss_mib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("world") => world(&args[2]),
        Some("rmat") => rmat(
            args[2].parse().expect("nodes"),
            args[3].parse().expect("edges"),
            args[4].parse().expect("seed"),
            args.get(5).map(String::as_str),
        ),
        _ => eprintln!(
            "usage: graph_bench world DIR | graph_bench rmat NODES EDGES SEED [EDGE_LIST]"
        ),
    }
}
