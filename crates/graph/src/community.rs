//! Communities and dense blocks among a set of accounts.
//!
//! [`louvain`] groups nodes into communities by modularity (Blondel et al.
//! 2008: local moving, then aggregation, repeated); it runs on the subgraph
//! a scan flagged, which is small, so a plain careful implementation is
//! enough (no crate does Louvain on our CSR without copying it; `leiden-rs`
//! was measured 25x slower than networkit, see `../shared/notes/graph.md`).
//!
//! [`dense_blocks`] is Fraudar's greedy peeling (Hooi et al. 2016) on the
//! follow edges: it repeatedly removes the node with the least weighted degree
//! and keeps the densest prefix; edges into popular accounts weigh
//! `1 / ln(in-degree + 5)`, which is what makes it resist camouflage (fakes
//! following celebrities do not make the celebrities dense).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::graph::{Graph, Kinds, Node};

/// An undirected weighted graph on local indices `0..n`, adjacency as lists.
#[derive(Clone, Debug, Default)]
pub struct LocalGraph {
    adj: Vec<Vec<(u32, f64)>>,
}

impl LocalGraph {
    /// The subgraph of `graph` induced by `nodes` (local index = position in
    /// `nodes`), undirected, an edge's weight taken from `table` by kind mask;
    /// edges both ways between two nodes add up.
    pub fn induced(graph: &Graph, nodes: &[Node], table: &[f32; 16]) -> LocalGraph {
        let local: FxHashMap<Node, u32> =
            nodes.iter().enumerate().map(|(i, &v)| (v, i as u32)).collect();
        let mut adj: Vec<FxHashMap<u32, f64>> = vec![FxHashMap::default(); nodes.len()];
        for (i, &v) in nodes.iter().enumerate() {
            let (cols, kinds) = graph.out_edges(v);
            for (&u, &k) in cols.iter().zip(kinds) {
                if let Some(&j) = local.get(&u) {
                    let w = f64::from(table[k as usize & 15]);
                    if w > 0.0 && j != i as u32 {
                        *adj[i].entry(j).or_default() += w;
                        *adj[j as usize].entry(i as u32).or_default() += w;
                    }
                }
            }
        }
        LocalGraph { adj: adj.into_iter().map(|m| m.into_iter().collect()).collect() }
    }

    /// A graph from an edge list on `0..n` (undirected; repeats add up).
    pub fn from_edges(n: usize, edges: &[(u32, u32, f64)]) -> LocalGraph {
        let mut adj: Vec<FxHashMap<u32, f64>> = vec![FxHashMap::default(); n];
        for &(a, b, w) in edges {
            if a != b {
                *adj[a as usize].entry(b).or_default() += w;
                *adj[b as usize].entry(a).or_default() += w;
            }
        }
        LocalGraph { adj: adj.into_iter().map(|m| m.into_iter().collect()).collect() }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.adj.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.adj.is_empty()
    }
}

/// Louvain communities: a community label `0..k` for each local node, and the
/// modularity reached. Deterministic (nodes are visited in index order).
pub fn louvain(g: &LocalGraph) -> (Vec<u32>, f64) {
    let n = g.len();
    let mut membership: Vec<u32> = (0..n as u32).collect();
    let mut level = g.adj.clone();
    loop {
        let (assign, moved) = local_moving(&level);
        // Relabel communities 0..k.
        let mut relabel: FxHashMap<u32, u32> = FxHashMap::default();
        for &c in &assign {
            let next = relabel.len() as u32;
            relabel.entry(c).or_insert(next);
        }
        let k = relabel.len();
        for m in membership.iter_mut() {
            *m = relabel[&assign[*m as usize]];
        }
        if !moved || k == level.len() {
            break;
        }
        // Aggregate: one node per community; self-loops keep internal weight.
        let mut agg: Vec<FxHashMap<u32, f64>> = vec![FxHashMap::default(); k];
        for (v, row) in level.iter().enumerate() {
            let cv = relabel[&assign[v]];
            for &(u, w) in row {
                let cu = relabel[&assign[u as usize]];
                *agg[cv as usize].entry(cu).or_default() += w;
            }
        }
        level = agg.into_iter().map(|m| m.into_iter().collect()).collect();
    }
    let q = modularity(g, &membership);
    (membership, q)
}

/// One phase of local moving; returns each node's community and whether any
/// node moved.
fn local_moving(adj: &[Vec<(u32, f64)>]) -> (Vec<u32>, bool) {
    let n = adj.len();
    // Weighted degree; a self-loop (aggregated internal weight) counts once
    // per direction it was added, as in the standard aggregation.
    let degree: Vec<f64> = adj.iter().map(|row| row.iter().map(|&(_, w)| w).sum()).collect();
    let m2: f64 = degree.iter().sum();
    let mut community: Vec<u32> = (0..n as u32).collect();
    let mut total: Vec<f64> = degree.clone();
    if m2 <= 0.0 {
        return (community, false);
    }
    let mut moved_any = false;
    let mut weights: FxHashMap<u32, f64> = FxHashMap::default();
    for _pass in 0..32 {
        let mut moved = false;
        for v in 0..n {
            let cv = community[v];
            weights.clear();
            for &(u, w) in &adj[v] {
                if u as usize != v {
                    *weights.entry(community[u as usize]).or_default() += w;
                }
            }
            let kv = degree[v];
            total[cv as usize] -= kv;
            let gain = |c: u32, w_in: f64| w_in - total[c as usize] * kv / m2;
            let mut best = (gain(cv, weights.get(&cv).copied().unwrap_or(0.0)), cv);
            let mut candidates: Vec<(u32, f64)> = weights.iter().map(|(&c, &w)| (c, w)).collect();
            candidates.sort_unstable_by_key(|&(c, _)| c);
            for (c, w) in candidates {
                let g = gain(c, w);
                if g > best.0 + 1e-12 {
                    best = (g, c);
                }
            }
            total[best.1 as usize] += kv;
            if best.1 != cv {
                community[v] = best.1;
                moved = true;
                moved_any = true;
            }
        }
        if !moved {
            break;
        }
    }
    (community, moved_any)
}

/// Newman's modularity of a partition.
pub fn modularity(g: &LocalGraph, membership: &[u32]) -> f64 {
    let degree: Vec<f64> = g.adj.iter().map(|row| row.iter().map(|&(_, w)| w).sum()).collect();
    let m2: f64 = degree.iter().sum();
    if m2 <= 0.0 {
        return 0.0;
    }
    let k = membership.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut internal = vec![0f64; k];
    let mut tot = vec![0f64; k];
    for (v, row) in g.adj.iter().enumerate() {
        let c = membership[v] as usize;
        tot[c] += degree[v];
        for &(u, w) in row {
            if membership[u as usize] as usize == c {
                internal[c] += w;
            }
        }
    }
    (0..k).map(|c| internal[c] / m2 - (tot[c] / m2).powi(2)).sum()
}

/// A dense block found by peeling.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseBlock {
    /// The nodes of the block.
    pub nodes: Vec<Node>,
    /// Accounts in it that follow others in it (the buyer side).
    pub followers: usize,
    /// Accounts in it followed by others in it (the seller side).
    pub followed: usize,
    /// Weighted follow edges per node.
    pub density: f64,
}

/// Fraudar greedy peeling over the follow edges among `nodes`: up to
/// `max_blocks` blocks of at least `min_size` nodes, each found after removing
/// the previous blocks' edges. Edge `a -> b` weighs `1 / ln(in-degree(b) + 5)`
/// with `b`'s in-degree counted over the whole graph.
pub fn dense_blocks(
    graph: &Graph,
    nodes: &[Node],
    max_blocks: usize,
    min_size: usize,
) -> Vec<DenseBlock> {
    let local: FxHashMap<Node, u32> =
        nodes.iter().enumerate().map(|(i, &v)| (v, i as u32)).collect();
    let mut edges: Vec<(u32, u32, f64)> = Vec::new();
    for (i, &v) in nodes.iter().enumerate() {
        let (cols, kinds) = graph.out_edges(v);
        for (&u, &k) in cols.iter().zip(kinds) {
            if !Kinds(k).contains(Kinds::FOLLOW) {
                continue;
            }
            if let Some(&j) = local.get(&u) {
                let indeg = graph.in_edges(u).0.len() as f64;
                edges.push((i as u32, j, 1.0 / (indeg + 5.0).ln()));
            }
        }
    }
    let mut alive_edge = vec![true; edges.len()];
    let mut blocks = Vec::new();
    for _ in 0..max_blocks {
        let Some((members, density)) = peel(nodes.len(), &edges, &alive_edge) else { break };
        if members.len() < min_size {
            break;
        }
        let mut inside = vec![false; nodes.len()];
        for &m in &members {
            inside[m as usize] = true;
        }
        let (mut is_follower, mut is_followed) =
            (vec![false; nodes.len()], vec![false; nodes.len()]);
        for (e, &(a, b, _)) in edges.iter().enumerate() {
            if alive_edge[e] && inside[a as usize] && inside[b as usize] {
                is_follower[a as usize] = true;
                is_followed[b as usize] = true;
                alive_edge[e] = false;
            }
        }
        blocks.push(DenseBlock {
            nodes: members.iter().map(|&m| nodes[m as usize]).collect(),
            followers: is_follower.iter().filter(|&&x| x).count(),
            followed: is_followed.iter().filter(|&&x| x).count(),
            density,
        });
    }
    blocks
}

/// One peeling: returns the densest prefix's members (local indices) and density.
fn peel(n: usize, edges: &[(u32, u32, f64)], alive: &[bool]) -> Option<(Vec<u32>, f64)> {
    let mut incident: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    let mut weight = vec![0f64; n];
    let mut total = 0f64;
    for (e, &(a, b, w)) in edges.iter().enumerate() {
        if alive[e] {
            incident[a as usize].push((b, w));
            incident[b as usize].push((a, w));
            weight[a as usize] += w;
            weight[b as usize] += w;
            total += w;
        }
    }
    let active: Vec<u32> = (0..n as u32).filter(|&v| weight[v as usize] > 0.0).collect();
    if active.is_empty() {
        return None;
    }
    let mut removed = vec![false; n];
    for v in 0..n {
        if weight[v] <= 0.0 {
            removed[v] = true;
        }
    }
    // Lazy min-heap on (weight, node); weights are scaled to integers so the
    // order is total and deterministic.
    let scale = |w: f64| (w * 1e9) as u64;
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> =
        active.iter().map(|&v| Reverse((scale(weight[v as usize]), v))).collect();
    let mut left = active.len();
    let mut best = (total / left as f64, 0usize);
    let mut order: Vec<u32> = Vec::with_capacity(left);
    while let Some(Reverse((w, v))) = heap.pop() {
        if removed[v as usize] || w != scale(weight[v as usize]) {
            continue;
        }
        removed[v as usize] = true;
        order.push(v);
        total -= weight[v as usize];
        for &(u, x) in &incident[v as usize] {
            if !removed[u as usize] {
                weight[u as usize] -= x;
                heap.push(Reverse((scale(weight[u as usize]), u)));
            }
        }
        left -= 1;
        if left > 0 {
            let d = total.max(0.0) / left as f64;
            if d > best.0 {
                best = (d, order.len());
            }
        }
    }
    // The densest set is everything not yet peeled when the best was seen.
    let members: Vec<u32> = order[best.1..].to_vec();
    Some((members, best.0))
}
