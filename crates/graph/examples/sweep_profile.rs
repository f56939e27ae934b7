//! Development probe: the conductance profile of the first sweep.
use std::io::BufReader;

use guardrail_graph::rank::{ppr_push, weighted_degrees, PprConfig};
use guardrail_graph::{load_events, Evidence, Graph, LoadOptions, Node};

fn main() {
    let dir = std::env::args().nth(1).expect("world dir");
    let f = std::fs::File::open(format!("{dir}/events.jsonl")).expect("events");
    let mut g = Graph::new();
    let mut ev = Evidence::default();
    load_events(BufReader::new(f), &mut g, &mut ev, None, None, &LoadOptions::default())
        .expect("load");
    let truth = guardrail_core::Truth::from_json(
        &std::fs::read_to_string(format!("{dir}/truth.json")).expect("t"),
    )
    .expect("t");
    let cfg = PprConfig::default();
    let table = cfg.weights.table();
    let deg = weighted_degrees(&g, &table);
    let vol: f64 = deg.iter().sum();
    let seeds: Vec<(Node, f64)> = (0..g.len() as Node)
        .filter(|&v| g.account(v).enforcement.as_ref().is_some_and(|e| e.is_child_safety()))
        .map(|v| (v, 1.0))
        .collect();
    let p = ppr_push(&g, &deg, &seeds, &cfg, 1.0 / vol);
    let mut order: Vec<Node> =
        (0..g.len() as Node).filter(|&v| p.score[v as usize] > 0.0).collect();
    order.sort_by(|&a, &b| p.normalised(b).total_cmp(&p.normalised(a)));
    let mut inside = vec![false; g.len()];
    let (mut volume, mut cut) = (0f64, 0f64);
    let mut correct = 0;
    for (i, &v) in order.iter().enumerate() {
        let mut to_in = 0f64;
        for (cols, kinds) in [g.out_edges(v), g.in_edges(v)] {
            for (&u, &k) in cols.iter().zip(kinds) {
                if inside[u as usize] {
                    to_in += f64::from(table[k as usize & 15]);
                }
            }
        }
        inside[v as usize] = true;
        volume += deg[v as usize];
        cut += deg[v as usize] - 2.0 * to_in;
        if truth.network.contains_key(g.account(v).id.as_str()) {
            correct += 1;
        }
        let n = i + 1;
        if n % 25 == 0 && n <= 600 || n % 1000 == 0 {
            println!(
                "{n:>6} cond {:.3} vol {:.3} correct {correct} lift {:.1}",
                cut / volume.min(vol - volume),
                volume / vol,
                p.normalised(v) * vol
            );
        }
    }
}
