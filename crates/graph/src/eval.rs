//! Scoring a scan against ground truth (`truth.json`). Only evaluation reads
//! truth; nothing in detection calls into this module.

use std::collections::BTreeMap;

use guardrail_core::{Timestamp, Truth};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

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
    /// Accounts outside the network (that appear in the graph).
    pub benign: usize,
    /// Of those, how many were flagged ("benign flagged").
    pub benign_flagged: usize,
    /// benign_flagged / benign.
    pub benign_flagged_share: f64,
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
    let benign = graph.len() - network;
    let benign_flagged = n_flagged - correct;
    Detection {
        method: method.to_owned(),
        network,
        flagged: n_flagged,
        correct,
        recall: ratio(correct, network),
        precision: ratio(correct, n_flagged),
        by_role,
        benign,
        benign_flagged,
        benign_flagged_share: ratio(benign_flagged, benign),
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

/// The extra keys of a planted world's `truth.json` (`guardrail plant`), all
/// optional; `guardrail_core::Truth` ignores them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PlantTruth {
    /// Benign accounts the planting added as hard negatives (fans, shops,
    /// household devices): not in the network, never the same person as anyone.
    #[serde(default)]
    pub planted_benign: Vec<String>,
    /// Accounts of the real graph the network was planted into.
    #[serde(default)]
    pub real_accounts: Option<usize>,
    /// The id prefix of the real graph's accounts (`r`).
    #[serde(default)]
    pub real_prefix: Option<String>,
    /// Backup accounts: their main and how the pair is declared.
    #[serde(default)]
    pub backups: BTreeMap<String, BackupTruth>,
    /// Returning accounts, with the banned account they replace.
    #[serde(default)]
    pub returning: BTreeMap<String, String>,
}

/// One planted backup account.
#[derive(Clone, Debug, Deserialize)]
pub struct BackupTruth {
    /// The account it backs up.
    pub main: String,
    /// Which bio names the other: `main`, `backup` or `both`.
    pub declared: String,
    /// Whether it also shares a device or email hash with the main.
    #[serde(default)]
    pub shared_identifier: bool,
}

/// Figures for planted worlds (and the parts that apply to any world):
/// buyers by how many sellers they follow, the real graph's own accounts,
/// declared backups, and merges touching planted benign accounts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Planted {
    /// Buyers that follow at least two sellers.
    pub buyers_two_sellers: usize,
    /// Of those, how many were flagged.
    pub buyers_two_sellers_found: usize,
    /// buyers_two_sellers_found / buyers_two_sellers.
    pub buyer_recall: f64,
    /// Sellers (in the graph) and how many were flagged.
    pub sellers: (usize, usize),
    /// sellers found / sellers.
    pub seller_recall: f64,
    /// The real graph's own accounts: prefixed ids outside the network and
    /// the planted benign accounts (`None` without `real_prefix`).
    pub real: Option<usize>,
    /// Of those, how many were flagged.
    pub real_flagged: Option<usize>,
    /// real_flagged / real.
    pub real_flagged_share: Option<f64>,
    /// Planted benign accounts in the graph, and how many were flagged.
    pub planted_benign: (usize, usize),
    /// Declared backups (accounts with role `backup` and a main, from the
    /// truth's `backups`, or else from `persons`), and how many the scan put
    /// in one person with their main.
    pub backups: (usize, usize),
    /// Backups whose declaration is corroborated (a shared device or email
    /// hash, or both bios naming each other), and how many were linked.
    pub corroborated_backups: (usize, usize),
    /// Returning accounts of the truth's `returning`, and how many were
    /// linked to the banned account.
    pub returning: (usize, usize),
    /// Pairs merged into one person where one account is a planted benign
    /// account (every one is a wrong merge).
    pub wrong_planted_benign_pairs: usize,
}

/// Scores `flagged` and `person` (as [`detection`] and [`linking`] take
/// them) on what a planted world's truth adds.
pub fn planted(
    graph: &Graph,
    truth: &Truth,
    extra: &PlantTruth,
    flagged: &[bool],
    person: &[u32],
) -> Planted {
    let role = |v: Node| truth.network.get(graph.account(v).id.as_str()).map(String::as_str);
    let mut out = Planted::default();
    for (id, r) in &truth.network {
        let Some(v) = graph.node(id) else { continue };
        match r.as_str() {
            "seller" => {
                out.sellers.0 += 1;
                out.sellers.1 += usize::from(flagged[v as usize]);
            }
            "buyer" => {
                let (targets, kinds) = graph.out_edges(v);
                let seller_follows = targets
                    .iter()
                    .zip(kinds)
                    .filter(|(&u, &k)| {
                        Kinds(k).contains(Kinds::FOLLOW) && role(u) == Some("seller")
                    })
                    .count();
                if seller_follows >= 2 {
                    out.buyers_two_sellers += 1;
                    out.buyers_two_sellers_found += usize::from(flagged[v as usize]);
                }
            }
            _ => {}
        }
    }
    out.buyer_recall = ratio(out.buyers_two_sellers_found, out.buyers_two_sellers);
    out.seller_recall = ratio(out.sellers.1, out.sellers.0);

    let planted_benign: std::collections::HashSet<&str> =
        extra.planted_benign.iter().map(String::as_str).collect();
    for id in &extra.planted_benign {
        if let Some(v) = graph.node(id) {
            out.planted_benign.0 += 1;
            out.planted_benign.1 += usize::from(flagged[v as usize]);
        }
    }
    if let Some(prefix) = extra.real_prefix.as_deref() {
        let (mut real, mut real_flagged) = (0, 0);
        for v in 0..graph.len() as Node {
            let id = graph.account(v).id.as_str();
            if id.starts_with(prefix)
                && !truth.network.contains_key(id)
                && !planted_benign.contains(id)
            {
                real += 1;
                real_flagged += usize::from(flagged[v as usize]);
            }
        }
        out.real = Some(real);
        out.real_flagged = Some(real_flagged);
        out.real_flagged_share = Some(ratio(real_flagged, real));
    }

    let same = |a: &str, b: &str| match (graph.node(a), graph.node(b)) {
        (Some(a), Some(b)) => Some(person[a as usize] == person[b as usize]),
        _ => None,
    };
    if extra.backups.is_empty() {
        // Any world: pairs of a backup and a non-backup account of one person.
        let mut by_person: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (id, p) in &truth.persons {
            by_person.entry(p.as_str()).or_default().push(id.as_str());
        }
        for members in by_person.values() {
            for &b in
                members.iter().filter(|&&m| truth.network.get(m).is_some_and(|r| r == "backup"))
            {
                for &m in members.iter().filter(|&&m| m != b) {
                    if truth.network.get(m).is_some_and(|r| r == "backup") {
                        continue;
                    }
                    if let Some(linked) = same(b, m) {
                        out.backups.0 += 1;
                        out.backups.1 += usize::from(linked);
                    }
                }
            }
        }
    }
    for (backup, t) in &extra.backups {
        let Some(linked) = same(backup, &t.main) else { continue };
        out.backups.0 += 1;
        out.backups.1 += usize::from(linked);
        if t.shared_identifier || t.declared == "both" {
            out.corroborated_backups.0 += 1;
            out.corroborated_backups.1 += usize::from(linked);
        }
    }
    for (new, old) in &extra.returning {
        if let Some(linked) = same(new, old) {
            out.returning.0 += 1;
            out.returning.1 += usize::from(linked);
        }
    }

    if !planted_benign.is_empty() {
        let mut groups: FxHashMap<u32, Vec<Node>> = FxHashMap::default();
        for (v, &p) in person.iter().enumerate() {
            groups.entry(p).or_default().push(v as Node);
        }
        for members in groups.values().filter(|m| m.len() > 1) {
            let n_planted = members
                .iter()
                .filter(|&&v| planted_benign.contains(graph.account(v).id.as_str()))
                .count();
            // Pairs with at least one planted benign account.
            let others = members.len() - n_planted;
            out.wrong_planted_benign_pairs +=
                n_planted * others + n_planted * (n_planted.saturating_sub(1)) / 2;
        }
    }
    out
}
