//! Development probe: scan quality on a synthetic world.
use std::io::BufReader;
use std::time::Instant;

use guardrail_graph::{eval, load_events, scan, Evidence, Graph, LoadOptions, Node, ScanConfig};

fn main() {
    let dir = std::env::args().nth(1).expect("world dir");
    let t = Instant::now();
    let f = std::fs::File::open(format!("{dir}/events.jsonl")).unwrap();
    let mut g = Graph::new();
    let mut ev = Evidence::default();
    let r = load_events(
        BufReader::with_capacity(1 << 20, f),
        &mut g,
        &mut ev,
        None,
        None,
        &LoadOptions::default(),
    )
    .unwrap();
    eprintln!("{r:?}");
    eprintln!(
        "load {:?} {} accounts {} edges {:.1}s edge bytes {}",
        r.events,
        g.len(),
        g.edges(),
        t.elapsed().as_secs_f64(),
        g.edge_bytes()
    );
    let truth = guardrail_core::Truth::from_json(
        &std::fs::read_to_string(format!("{dir}/truth.json")).unwrap(),
    )
    .unwrap();
    let t = Instant::now();
    let res = scan(&g, &ev, None, &ScanConfig::default()).unwrap();
    eprintln!("scan {:.2}s {:?}", t.elapsed().as_secs_f64(), res.summary);
    let flagged: Vec<bool> = res.tiers.iter().map(|t| t.is_flagged()).collect();
    eprintln!("{:?}", eval::detection("scan", &g, &truth, &flagged));
    eprintln!("{:?}", eval::linking(&g, &truth, &res.person_of));
    eprintln!("networks {:?}", res.networks.iter().map(|n| n.accounts.len()).collect::<Vec<_>>());
    eprintln!(
        "blocks {:?}",
        res.blocks
            .iter()
            .map(|n| (n.accounts.len(), n.followers, n.followed, n.density))
            .collect::<Vec<_>>()
    );
    for a in res
        .accounts
        .iter()
        .take(3)
        .chain(
            res.accounts.iter().filter(|a| a.tier == guardrail_core::RiskTier::Suspected).take(2),
        )
        .chain(res.accounts.iter().filter(|a| a.tier == guardrail_core::RiskTier::Exposed).take(1))
    {
        eprintln!("{} {} {:.1} {:?}", a.id, a.tier, a.score, a.reasons);
    }
    let _ = Node::default();
}
