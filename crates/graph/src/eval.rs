//! Scoring a scan against ground truth (`truth.json`). Only evaluation reads
//! truth; nothing in detection calls into this module.

use std::collections::BTreeMap;

use guardrail_core::{Timestamp, Truth};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::graph::{Graph, Kinds, Node};

/// Recall and precision of one set of flagged accounts.
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    /// What produced the set.
    pub method: String,
    /// Accounts of the planted network (that appear in the graph).
    pub network: usize,
    /// Accounts flagged.
    pub flagged: usize,
    /// Flagged accounts that are in the network.
    pub correct: usize,
    /// correct / network.
    pub recall: f64,
    /// correct / flagged.
    pub precision: f64,
    /// Recall per role (`seller`, `buyer`, ...): (found, total).
    pub by_role: BTreeMap<String, (usize, usize)>,
}

/// Scores `flagged` (one flag per node) against the truth's network.
pub fn detection(method: &str, graph: &Graph, truth: &Truth, flagged: &[bool]) -> Detection {
    let mut by_role: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut network = 0;
    let mut correct = 0;
    for (id, role) in &truth.network {
        let Some(v) = graph.node(id) else { continue };
        network += 1;
        let e = by_role.entry(role.clone()).or_default();
        e.1 += 1;
        if flagged[v as usize] {
            correct += 1;
            e.0 += 1;
        }
    }
    let n_flagged = flagged.iter().filter(|&&f| f).count();
    Detection {
        method: method.to_owned(),
        network,
        flagged: n_flagged,
        correct,
        recall: ratio(correct, network),
        precision: ratio(correct, n_flagged),
        by_role,
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The plain baseline: every account within `hops` follow edges (either
/// direction) of a seed.
pub fn hop_expansion(graph: &Graph, seeds: &[Node], hops: usize) -> Vec<bool> {
    let mut flagged = vec![false; graph.len()];
    let mut frontier: Vec<Node> = seeds.to_vec();
    for &s in seeds {
        flagged[s as usize] = true;
    }
    for _ in 0..hops {
        let mut next = Vec::new();
        for &v in &frontier {
            let (co, ko) = graph.out_edges(v);
            let (ci, ki) = graph.in_edges(v);
            for (&u, &k) in co.iter().zip(ko).chain(ci.iter().zip(ki)) {
                if Kinds(k).contains(Kinds::FOLLOW) && !flagged[u as usize] {
                    flagged[u as usize] = true;
                    next.push(u);
                }
            }
        }
        frontier = next;
    }
    flagged
}

/// How well accounts were linked to persons.
#[derive(Clone, Debug, Serialize)]
pub struct Linking {
    /// Accounts created after a child-safety ban of another account of the
    /// same person (ban evasion), per truth.
    pub returning: usize,
    /// Of those, how many the scan put in one person with the banned account.
    pub linked: usize,
    /// linked / returning.
    pub recall: f64,
    /// Pairs of accounts the scan merged into one person although truth says
    /// they are different people.
    pub wrong_pairs: usize,
    /// Of those, pairs where both accounts are outside the network (benign people).
    pub wrong_benign_pairs: usize,
    /// Pairs of accounts truth says share a person, and how many of them the scan linked.
    pub same_person_pairs: (usize, usize),
}

/// Scores a person assignment (`person[v]`, any labels) against truth.
pub fn linking(graph: &Graph, truth: &Truth, person: &[u32]) -> Linking {
    // Truth person of each node; accounts not listed are their own person.
    let truth_person = |v: Node| -> String {
        let id = graph.account(v).id.as_str();
        truth.persons.get(id).cloned().unwrap_or_else(|| format!("self:{id}"))
    };
    let mut by_truth: FxHashMap<String, Vec<Node>> = FxHashMap::default();
    for id in truth.persons.keys() {
        if let Some(v) = graph.node(id) {
            by_truth.entry(truth_person(v)).or_default().push(v);
        }
    }
    let banned_at = |v: Node| -> Option<Timestamp> {
        graph.account(v).enforcement.as_ref().filter(|e| e.is_child_safety()).map(|e| e.at)
    };
    let (mut returning, mut linked, mut pairs, mut pairs_linked) = (0, 0, 0, 0);
    for members in by_truth.values() {
        for (i, &a) in members.iter().enumerate() {
            for &b in &members[i + 1..] {
                pairs += 1;
                if person[a as usize] == person[b as usize] {
                    pairs_linked += 1;
                }
            }
        }
        for &new in members {
            let created = graph.account(new).first_seen;
            let old = members
                .iter()
                .copied()
                .find(|&old| old != new && banned_at(old).is_some_and(|t| t <= created));
            if let Some(old) = old {
                returning += 1;
                if person[old as usize] == person[new as usize] {
                    linked += 1;
                }
            }
        }
    }
    let mut groups: FxHashMap<u32, Vec<Node>> = FxHashMap::default();
    for (v, &p) in person.iter().enumerate() {
        groups.entry(p).or_default().push(v as Node);
    }
    let (mut wrong, mut wrong_benign) = (0, 0);
    for members in groups.values().filter(|m| m.len() > 1) {
        let labels: Vec<String> = members.iter().map(|&v| truth_person(v)).collect();
        for i in 0..members.len() {
            for j in i + 1..members.len() {
                if labels[i] != labels[j] {
                    wrong += 1;
                    let benign =
                        |v: Node| !truth.network.contains_key(graph.account(v).id.as_str());
                    if benign(members[i]) && benign(members[j]) {
                        wrong_benign += 1;
                    }
                }
            }
        }
    }
    Linking {
        returning,
        linked,
        recall: ratio(linked, returning),
        wrong_pairs: wrong,
        wrong_benign_pairs: wrong_benign,
        same_person_pairs: (pairs, pairs_linked),
    }
}
