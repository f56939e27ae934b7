//! A network as a map for reviewers: its members (tier, score, person,
//! whether confirmed) and the ties the scan's own reasons name between
//! accounts (interactions with confirmed accounts, paths to the nearest
//! confirmed one, same person, ban evasion). The edges are the evidence the
//! scan gave, not the whole interaction graph: what a reviewer needs to see
//! why each member is there.

use std::collections::{BTreeMap, BTreeSet};

use guardrail_core::{InteractionKind, Reason, RiskTier};
use guardrail_store::{RiskRow, Store};

use crate::Result;

/// One account on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct MapNode {
    /// The account id.
    pub account: String,
    /// Its handle, when a reason named it.
    pub handle: Option<String>,
    /// Its tier in the scan (`clear` for an account outside the flagged set
    /// that a member's reason names).
    pub tier: RiskTier,
    /// The scan's score.
    pub score: f64,
    /// Whether it is a member of the network (else a neighbour a reason names).
    pub member: bool,
    /// The person it belongs to in the scan, if any.
    pub person: Option<i64>,
}

/// What an edge of the map stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// Interactions (follows, views, likes, comments), from `from` to `to`.
    Interaction,
    /// One step of the path from a member to its nearest confirmed account.
    Path,
    /// Two accounts of one person.
    SamePerson,
    /// A new account of a banned person (`from`), and the banned one (`to`).
    BanEvasion,
}

impl EdgeKind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Interaction => "interaction",
            EdgeKind::Path => "path",
            EdgeKind::SamePerson => "same_person",
            EdgeKind::BanEvasion => "ban_evasion",
        }
    }
}

/// One tie between two accounts of the map.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MapEdge {
    /// Where it starts.
    pub from: String,
    /// Where it ends.
    pub to: String,
    /// What it stands for.
    pub kind: EdgeKind,
    /// For interactions and path steps: `follow`, `view`, `like`, `comment`.
    pub interactions: Vec<&'static str>,
}

/// A flagged network of one stored scan.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkMap {
    /// The stored scan.
    pub run: i64,
    /// The network's number in that scan.
    pub network: i64,
    /// Members first (most severe first), then the neighbours reasons name.
    pub nodes: Vec<MapNode>,
    /// The ties, each once.
    pub edges: Vec<MapEdge>,
}

fn kinds(k: &[InteractionKind]) -> Vec<&'static str> {
    k.iter().map(|k| k.as_str()).collect()
}

/// The map of network `network` of the stored scan `run` (`None` when the
/// scan has no such network).
pub fn network_map(store: &mut dyn Store, run: i64, network: i64) -> Result<Option<NetworkMap>> {
    let rows = store.scan_accounts(run, None)?;
    let tiers: BTreeMap<&str, &RiskRow> = rows.iter().map(|r| (r.account.as_str(), r)).collect();
    let members: Vec<&RiskRow> = rows.iter().filter(|r| r.network == Some(network)).collect();
    if members.is_empty() {
        return Ok(None);
    }
    let mut handles: BTreeMap<String, String> = BTreeMap::new();
    let mut edges: BTreeSet<MapEdge> = BTreeSet::new();
    let mut name = |a: &guardrail_core::NamedAccount| {
        if let Some(h) = &a.handle {
            handles.entry(a.id.clone()).or_insert_with(|| h.clone());
        }
        a.id.clone()
    };
    for row in &members {
        let me = row.account.as_str().to_owned();
        for reason in &row.reasons {
            match reason {
                Reason::NextToConfirmed { ties } | Reason::TouchedNetwork { ties } => {
                    for tie in ties {
                        let other = name(&tie.account);
                        let (from, to) =
                            if tie.outgoing { (me.clone(), other) } else { (other, me.clone()) };
                        edges.insert(MapEdge {
                            from,
                            to,
                            kind: EdgeKind::Interaction,
                            interactions: kinds(&tie.kinds),
                        });
                    }
                }
                Reason::PathToConfirmed { steps, .. } => {
                    for step in steps {
                        edges.insert(MapEdge {
                            from: name(&step.from),
                            to: name(&step.to),
                            kind: EdgeKind::Path,
                            interactions: kinds(&step.kinds),
                        });
                    }
                }
                Reason::SamePerson { account, .. } => {
                    let other = name(account);
                    let (from, to) =
                        if me < other { (me.clone(), other) } else { (other, me.clone()) };
                    edges.insert(MapEdge {
                        from,
                        to,
                        kind: EdgeKind::SamePerson,
                        interactions: Vec::new(),
                    });
                }
                Reason::BanEvasion { banned, .. } => {
                    edges.insert(MapEdge {
                        from: me.clone(),
                        to: banned.clone(),
                        kind: EdgeKind::BanEvasion,
                        interactions: Vec::new(),
                    });
                }
                _ => {}
            }
        }
    }
    let node = |account: &str, member: bool| {
        let row = tiers.get(account);
        MapNode {
            account: account.to_owned(),
            handle: handles.get(account).cloned(),
            tier: row.map_or(RiskTier::Clear, |r| r.tier),
            score: row.map_or(0.0, |r| r.score),
            member,
            person: row.and_then(|r| r.person),
        }
    };
    let in_network: BTreeSet<&str> = members.iter().map(|r| r.account.as_str()).collect();
    let mut nodes: Vec<MapNode> = members.iter().map(|r| node(r.account.as_str(), true)).collect();
    let outside: BTreeSet<&str> = edges
        .iter()
        .flat_map(|e| [e.from.as_str(), e.to.as_str()])
        .filter(|a| !in_network.contains(a))
        .collect();
    nodes.extend(outside.into_iter().map(|a| node(a, false)));
    Ok(Some(NetworkMap { run, network, nodes, edges: edges.into_iter().collect() }))
}
