//! Risk propagation: personalised PageRank (random walk with restart) from
//! seed accounts over the interaction graph taken as undirected and weighted,
//! the degree-normalised score, and the sweep cut that turns the ranking into
//! a set.
//!
//! Why undirected: the abusive network's edges point both ways that matter
//! (buyers follow sellers; sellers are followed), and a walk that can only
//! follow out-edges from a seller never reaches its buyers. Why normalise by
//! degree: on an undirected graph the walk's stationary share of a node is
//! proportional to its weighted degree, so `ppr(v) / deg(v)` is how much more
//! the seeds' walk visits `v` than chance does. A popular benign account that
//! some buyers follow gets a large raw score and a small normalised one; this
//! is SybilRank's normalisation, and the ordering the Andersen-Chung-Lang sweep
//! uses.

use rayon::prelude::*;

use crate::graph::{Graph, Kinds, Node};

/// Weights of each kind of interaction in the propagation graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeWeights {
    /// A follow.
    pub follow: f32,
    /// A like.
    pub like: f32,
    /// A comment.
    pub comment: f32,
    /// A view (weak: one look is not a relationship).
    pub view: f32,
}

impl Default for EdgeWeights {
    fn default() -> EdgeWeights {
        EdgeWeights { follow: 1.0, like: 0.5, comment: 0.5, view: 0.1 }
    }
}

impl EdgeWeights {
    /// The weight of every kind mask, as a lookup table.
    pub fn table(&self) -> [f32; 16] {
        let mut t = [0f32; 16];
        for (m, w) in t.iter_mut().enumerate() {
            let k = Kinds(m as u8);
            for (bit, x) in [
                (Kinds::FOLLOW, self.follow),
                (Kinds::LIKE, self.like),
                (Kinds::COMMENT, self.comment),
                (Kinds::VIEW, self.view),
            ] {
                if k.contains(bit) {
                    *w += x;
                }
            }
        }
        t
    }
}

/// Settings of the personalised PageRank.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PprConfig {
    /// Probability of restarting at a seed at each step (0.15 is PageRank's).
    pub restart: f64,
    /// Stop when the L1 change of an iteration is below this.
    pub tolerance: f64,
    /// Most iterations.
    pub max_iterations: usize,
    /// Edge weights.
    pub weights: EdgeWeights,
}

impl Default for PprConfig {
    fn default() -> PprConfig {
        PprConfig {
            restart: 0.15,
            tolerance: 1e-9,
            max_iterations: 100,
            weights: EdgeWeights::default(),
        }
    }
}

/// The result of [`personalised_pagerank`].
#[derive(Clone, Debug)]
pub struct Ppr {
    /// Visit probability of each node (sums to 1 over the graph, less the mass
    /// that reached nodes without edges).
    pub score: Vec<f64>,
    /// Weighted degree of each node in the undirected view.
    pub degree: Vec<f64>,
    /// Iterations run.
    pub iterations: usize,
    /// L1 change of the last iteration.
    pub residual: f64,
}

impl Ppr {
    /// `score / degree`: the walk's visits relative to chance (0 for isolated nodes).
    pub fn normalised(&self, v: Node) -> f64 {
        let d = self.degree[v as usize];
        if d > 0.0 {
            self.score[v as usize] / d
        } else {
            0.0
        }
    }
}

/// Weighted degree of every node, in and out edges together.
pub fn weighted_degrees(graph: &Graph, table: &[f32; 16]) -> Vec<f64> {
    (0..graph.len() as Node)
        .into_par_iter()
        .map(|v| {
            let (_, ko) = graph.out_edges(v);
            let (_, ki) = graph.in_edges(v);
            ko.iter().chain(ki).map(|&k| f64::from(table[k as usize & 15])).sum()
        })
        .collect()
}

/// Personalised PageRank from `seeds` (node, weight; weights are normalised to
/// sum 1) by power iteration over the undirected weighted view, in parallel
/// (each node pulls from its neighbours, so no two threads write one value).
/// A walk at a node without edges restarts at the seeds.
pub fn personalised_pagerank(graph: &Graph, seeds: &[(Node, f64)], config: &PprConfig) -> Ppr {
    let n = graph.len();
    let table = config.weights.table();
    let degree = weighted_degrees(graph, &table);
    let mut restart = vec![0f64; n];
    let total: f64 = seeds.iter().map(|&(_, w)| w.max(0.0)).sum();
    if n == 0 || total <= 0.0 {
        return Ppr { score: vec![0.0; n], degree, iterations: 0, residual: 0.0 };
    }
    for &(v, w) in seeds {
        restart[v as usize] += w.max(0.0) / total;
    }
    let alpha = config.restart;
    let mut x = restart.clone();
    // Each node's outgoing share of its score, read at random by its
    // neighbours: kept in f32 (half the memory traffic of the hot loop; the
    // sums are f64, and ranking needs far less than f32's 7 digits).
    let mut share = vec![0f32; n];
    let mut iterations = 0;
    let mut residual = f64::INFINITY;
    while iterations < config.max_iterations && residual > config.tolerance {
        // Mass of nodes without edges goes back to the seeds.
        let dangling: f64 =
            x.par_iter().zip(&degree).map(|(&xv, &d)| if d > 0.0 { 0.0 } else { xv }).sum();
        share.par_iter_mut().zip(&x).zip(&degree).for_each(|((s, &xv), &d)| {
            *s = if d > 0.0 { (xv / d) as f32 } else { 0.0 };
        });
        let next: Vec<f64> = (0..n as Node)
            .into_par_iter()
            .map(|v| {
                // Two plain loops (a chained iterator does not vectorise as well).
                let mut acc = 0f64;
                for (cols, kinds) in [graph.out_edges(v), graph.in_edges(v)] {
                    let mut part = 0f64;
                    for (&u, &k) in cols.iter().zip(kinds) {
                        part += f64::from(table[k as usize & 15] * share[u as usize]);
                    }
                    acc += part;
                }
                let r = restart[v as usize];
                alpha * r + (1.0 - alpha) * (acc + dangling * r)
            })
            .collect();
        residual = next.par_iter().zip(&x).map(|(a, b)| (a - b).abs()).sum();
        x = next;
        iterations += 1;
    }
    Ppr { score: x, degree, iterations, residual }
}

/// Personalised PageRank by local push (Andersen, Chung and Lang 2006): mass
/// is pushed from a node only while its residual is at least `epsilon` times
/// its degree, so the work is bounded by `1 / (epsilon * restart)` edge visits
/// whatever the graph's size, and every node's score is within
/// `epsilon * degree` of the exact value. `degree` is [`weighted_degrees`]
/// for the same weights. This is what a scan uses; [`personalised_pagerank`]
/// is the exact global computation.
pub fn ppr_push(
    graph: &Graph,
    degree: &[f64],
    seeds: &[(Node, f64)],
    config: &PprConfig,
    epsilon: f64,
) -> Ppr {
    let n = graph.len();
    let table = config.weights.table();
    let mut score = vec![0f64; n];
    let mut residual = vec![0f64; n];
    let total: f64 = seeds.iter().map(|&(_, w)| w.max(0.0)).sum();
    if n == 0 || total <= 0.0 {
        return Ppr { score, degree: degree.to_vec(), iterations: 0, residual: 0.0 };
    }
    let mut queue = std::collections::VecDeque::new();
    let mut queued = vec![false; n];
    for &(v, w) in seeds {
        residual[v as usize] += w.max(0.0) / total;
        if !queued[v as usize] {
            queued[v as usize] = true;
            queue.push_back(v);
        }
    }
    let alpha = config.restart;
    let mut pushes = 0usize;
    while let Some(u) = queue.pop_front() {
        queued[u as usize] = false;
        let r = residual[u as usize];
        let d = degree[u as usize];
        if d <= 0.0 {
            // No edges: the walk restarts, so the mass stays here.
            score[u as usize] += r;
            residual[u as usize] = 0.0;
            continue;
        }
        if r < epsilon * d {
            continue;
        }
        pushes += 1;
        score[u as usize] += alpha * r;
        residual[u as usize] = 0.0;
        let spread = (1.0 - alpha) * r / d;
        let (co, ko) = graph.out_edges(u);
        let (ci, ki) = graph.in_edges(u);
        for (&v, &k) in co.iter().zip(ko).chain(ci.iter().zip(ki)) {
            let w = f64::from(table[k as usize & 15]);
            if w <= 0.0 {
                continue;
            }
            let rv = &mut residual[v as usize];
            *rv += spread * w;
            if !queued[v as usize] && *rv >= epsilon * degree[v as usize] {
                queued[v as usize] = true;
                queue.push_back(v);
            }
        }
    }
    let left: f64 = residual.iter().sum();
    Ppr { score, degree: degree.to_vec(), iterations: pushes, residual: left }
}

/// The result of a sweep cut.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The nodes in order of normalised score; the set is `order[..size]`.
    pub order: Vec<Node>,
    /// How many of `order` form the cut with the least conductance.
    pub size: usize,
    /// That conductance (cut weight over the smaller side's volume).
    pub conductance: f64,
}

/// Andersen-Chung-Lang sweep: order nodes with a positive score by
/// `ppr / degree`, and take the prefix with the least conductance, among
/// prefixes of at least `min_size` nodes and at most `max_volume_share` of the
/// graph's volume, over nodes whose lift (`ppr / degree` times the graph's
/// volume: how much more often the seeds' walk visits them than a random
/// walk does) is at least `min_lift`. Past lift 1 the order says nothing about
/// the seeds, and large unions of unrelated communities can have a lower
/// conductance than the network itself (measured with camouflage follows).
pub fn sweep_cut(
    graph: &Graph,
    ppr: &Ppr,
    weights: &EdgeWeights,
    min_size: usize,
    max_volume_share: f64,
    min_lift: f64,
) -> Sweep {
    let table = weights.table();
    let n = graph.len();
    let mut order: Vec<Node> = (0..n as Node)
        .filter(|&v| ppr.score[v as usize] > 0.0 && ppr.degree[v as usize] > 0.0)
        .collect();
    order.par_sort_unstable_by(|&a, &b| {
        ppr.normalised(b).total_cmp(&ppr.normalised(a)).then(a.cmp(&b))
    });
    let total_volume: f64 = ppr.degree.iter().sum();
    let mut inside = vec![false; n];
    let (mut volume, mut cut) = (0f64, 0f64);
    let mut best = (f64::INFINITY, 0usize);
    for (i, &v) in order.iter().enumerate() {
        if i >= min_size && ppr.normalised(v) * total_volume < min_lift {
            break;
        }
        let mut to_inside = 0f64;
        let (co, ko) = graph.out_edges(v);
        let (ci, ki) = graph.in_edges(v);
        for (&u, &k) in co.iter().zip(ko).chain(ci.iter().zip(ki)) {
            if inside[u as usize] {
                to_inside += f64::from(table[k as usize & 15]);
            }
        }
        inside[v as usize] = true;
        volume += ppr.degree[v as usize];
        cut += ppr.degree[v as usize] - 2.0 * to_inside;
        if volume > max_volume_share * total_volume {
            break;
        }
        let smaller = volume.min(total_volume - volume);
        if i + 1 >= min_size && smaller > 0.0 {
            let phi = cut.max(0.0) / smaller;
            if phi < best.0 {
                best = (phi, i + 1);
            }
        }
    }
    Sweep { order, size: best.1, conductance: best.0 }
}
