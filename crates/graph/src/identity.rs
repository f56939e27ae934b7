//! Identity linking: which accounts belong to one person.
//!
//! Evidence between two accounts is weighed and summed; a pair whose evidence
//! reaches [`IdentityConfig::threshold`] is merged (union-find), so persons are
//! the connected components of strong links. Every link keeps its evidence for
//! the reviewer.
//!
//! Evidence and default weights:
//! - a shared hashed email or phone, or a shared payment handle (1.0); a
//!   shared device id (0.6: households and shared computers share devices, so
//!   a device alone does not merge two people);
//! - an identifier shared by k accounts counts `weight / (1 + ln(k - 1))`, and
//!   one shared by more than [`IdentityConfig::max_sharers`] accounts (a public
//!   Wi-Fi, a shop's card reader, a default value) counts nothing;
//! - a bio naming the other account's handle: 0.8 when the clause around the
//!   mention says it is another account of the same person ("backup", "main",
//!   "2nd", "alt", "new acc", "find me", ...), 0.3 otherwise; 0.4 more when
//!   both bios name each other;
//! - a declaration (a bio naming the other as the same person's) is
//!   corroborated by a follow between the two (0.3), significantly many
//!   shared followers (0.3) or a child-safety ban of one of them (0.3), so a
//!   declaration plus any one of them links the two; a declaration alone
//!   stays a weak link for the reviewer, and a mention without such words
//!   (a fan account naming a celebrity) gets no corroboration;
//! - handles that are one another plus a short suffix (`shopname` and
//!   `shopname_bk`): 0.4 (only added to pairs with other evidence);
//! - one account first seen after the other was banned for child safety: 0.5
//!   (only added to pairs with other evidence): a banned person's device or
//!   mention reappearing is exactly the ban-evasion pattern.

use guardrail_core::{IdentifierKind, Identifiers, Timestamp};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::expand::poisson_tail;
use crate::graph::{Graph, Kinds, Node};

/// Settings of identity linking.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityConfig {
    /// Total evidence at which two accounts are one person.
    pub threshold: f64,
    /// Identifiers shared by more accounts than this are ignored.
    pub max_sharers: usize,
    /// Weight of a shared device.
    pub device: f64,
    /// Weight of a shared hashed email or phone.
    pub contact: f64,
    /// Weight of a shared payment handle.
    pub payment: f64,
}

impl Default for IdentityConfig {
    fn default() -> IdentityConfig {
        IdentityConfig { threshold: 1.0, max_sharers: 20, device: 0.6, contact: 1.0, payment: 1.0 }
    }
}

/// One piece of evidence that two accounts are one person: the shared
/// vocabulary's [`IdentityEvidence`], which scans and the store keep.
pub use guardrail_core::IdentityEvidence as LinkEvidence;

/// Evidence between two accounts.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// One account (the lower node).
    pub a: Node,
    /// The other account.
    pub b: Node,
    /// Sum of the evidence weights.
    pub strength: f64,
    /// The evidence.
    pub evidence: Vec<LinkEvidence>,
}

/// The persons found: every account's person, and the links that made them.
#[derive(Clone, Debug)]
pub struct Persons {
    /// Person label of each node: the smallest node of its person.
    pub person: Vec<u32>,
    /// Links at or above the threshold, which formed the persons.
    pub links: Vec<Link>,
    /// Links below the threshold (kept for reviewers: weak ties such as a
    /// shared household device).
    pub weak_links: Vec<Link>,
}

impl Persons {
    /// Accounts grouped by person, only persons with more than one account.
    pub fn groups(&self) -> Vec<Vec<Node>> {
        let mut by: FxHashMap<u32, Vec<Node>> = FxHashMap::default();
        for (v, &p) in self.person.iter().enumerate() {
            by.entry(p).or_default().push(v as Node);
        }
        let mut out: Vec<Vec<Node>> = by.into_values().filter(|g| g.len() > 1).collect();
        out.sort_unstable_by_key(|g| g[0]);
        out
    }
}

/// Union-find with path halving and union by size.
pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    pub(crate) fn find(&mut self, mut v: u32) -> u32 {
        while self.parent[v as usize] != v {
            let p = self.parent[v as usize];
            self.parent[v as usize] = self.parent[p as usize];
            v = self.parent[v as usize];
        }
        v
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// Words that, in the clause around a mention, say the mentioned account is
/// the same person's (compared after the text engine's normalisation, so
/// `B4CKUP` and `bаckup` count).
const SAME_PERSON_WORDS: &[&str] = &[
    "backup",
    "back up",
    "bk",
    "bkup",
    "alt",
    "main",
    "2nd",
    "second",
    "spare",
    "new acc",
    "new account",
    "old acc",
    "old account",
    "other acc",
    "other account",
    "find me",
    "moved to",
    "my other",
    "if this goes",
    "if this gets",
    "reserve",
    "if banned",
    "banned",
    "moved",
    "new page",
    "new profile",
    "relocated",
];

/// An @handle named in a bio, with the clause around it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Mention {
    /// The handle, without `@`, lowercased.
    pub handle: String,
    /// The clause of the text around it.
    pub clause: String,
    /// Whether the clause has words saying it is the same person's account.
    pub same_person: bool,
}

/// The @handles named in a text (a bio), each with its clause and whether
/// the clause marks it as another account of the same person. Full-width
/// `＠` counts as `@`; a handle is letters, digits, `_` and `.`.
pub fn mentions(text: &str) -> Vec<Mention> {
    static KEYS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let mut out = Vec::new();
    if !text.contains(['@', '＠']) {
        return out;
    }
    let keys =
        KEYS.get_or_init(|| SAME_PERSON_WORDS.iter().map(|w| guardrail_text::key(w)).collect());
    for clause in text.split(['|', '\n', '•', ';', '·']) {
        let mut rest = clause;
        let mut found: Vec<String> = Vec::new();
        while let Some(i) = rest.find(['@', '＠']) {
            let at_len = rest[i..].chars().next().map_or(1, char::len_utf8);
            let after = &rest[i + at_len..];
            let end = after
                .char_indices()
                .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .map_or(after.len(), |(j, _)| j);
            let handle = after[..end].trim_end_matches('.').to_lowercase();
            if !handle.is_empty() {
                found.push(handle);
            }
            rest = &after[end..];
        }
        if found.is_empty() {
            continue;
        }
        // The clause without its handles, normalised like lexicon text.
        let mut words = clause.to_owned();
        for h in &found {
            words = words.replace(h.as_str(), " ");
        }
        let key = format!(" {} ", guardrail_text::key(&words));
        let same_person = keys.iter().any(|k| !k.is_empty() && key.contains(&format!(" {k} ")));
        for handle in found {
            out.push(Mention { handle, clause: clause.trim().to_owned(), same_person });
        }
    }
    out
}

/// Whether one handle is the other plus a suffix of at most 6 characters
/// (and the shorter has at least 5), ignoring case.
pub fn similar_handles(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.chars().count() >= 5
        && long.starts_with(&short)
        && long.len() - short.len() <= 6
        && long != short
}

type Pair = (Node, Node);

fn pair(a: Node, b: Node) -> Pair {
    (a.min(b), a.max(b))
}

/// Links the accounts of the graph into persons.
///
/// Two passes: the second counts an identifier's sharers as distinct persons
/// of the first (a device used by a seller, its backup and its returning
/// account is shared by one person and a newcomer, not by three people).
pub fn link_identities(graph: &Graph, config: &IdentityConfig) -> Persons {
    // Both passes share the groups of accounts behind each identifier and the
    // bio mentions; only the weights change.
    let mut holders: FxHashMap<(u8, &str), Vec<Node>> = FxHashMap::default();
    for (v, acc) in graph.accounts().iter().enumerate() {
        for (k, list) in identifier_lists(&acc.identifiers) {
            for value in list {
                holders.entry((k, value.as_str())).or_default().push(v as Node);
            }
        }
    }
    let mut groups: Vec<(u8, &str, Vec<Node>)> = holders
        .into_iter()
        .filter_map(|((k, value), mut accounts)| {
            accounts.sort_unstable();
            accounts.dedup();
            (accounts.len() >= 2 && accounts.len() <= config.max_sharers)
                .then_some((k, value, accounts))
        })
        .collect();
    groups.sort_unstable();
    let mentioned = mention_evidence(graph);
    let first = link_pass(graph, config, &groups, &mentioned, None);
    link_pass(graph, config, &groups, &mentioned, Some(&first.person))
}

fn link_pass(
    graph: &Graph,
    config: &IdentityConfig,
    groups: &[(u8, &str, Vec<Node>)],
    mentioned: &FxHashMap<Pair, Vec<LinkEvidence>>,
    earlier: Option<&[u32]>,
) -> Persons {
    let n = graph.len();
    let mut evidence: FxHashMap<Pair, Vec<LinkEvidence>> = mentioned.clone();

    // Shared identifiers.
    for (k, value, accounts) in groups {
        let (k, value) = (*k, *value);
        let sharers = accounts.len();
        // Distinct persons among the holders, as the earlier pass saw them.
        let people = match earlier {
            Some(person) => {
                let mut p: Vec<u32> = accounts.iter().map(|&v| person[v as usize]).collect();
                p.sort_unstable();
                p.dedup();
                p.len().max(2)
            }
            None => sharers,
        };
        let base = match k {
            0 => config.device,
            1 | 2 => config.contact,
            _ => config.payment,
        };
        let weight = base / (1.0 + ((people - 1) as f64).ln());
        for (i, &a) in accounts.iter().enumerate() {
            for &b in &accounts[i + 1..] {
                evidence.entry(pair(a, b)).or_default().push(LinkEvidence::SharedIdentifier {
                    identifier: IdentifierKind::ALL[k as usize],
                    value: value.to_owned(),
                    sharers,
                    weight,
                });
            }
        }
    }

    // Corroborating evidence, only for pairs that already have some.
    let banned_at = |v: Node| -> Option<Timestamp> {
        graph.account(v).enforcement.as_ref().filter(|e| e.is_child_safety()).map(|e| e.at)
    };
    for (&(a, b), list) in evidence.iter_mut() {
        let (ha, hb) = (&graph.account(a).handle, &graph.account(b).handle);
        if similar_handles(ha, hb) {
            list.push(LinkEvidence::SimilarHandle {
                handles: (ha.clone(), hb.clone()),
                weight: 0.4,
            });
        }
        for (old, new) in [(a, b), (b, a)] {
            if let Some(t) = banned_at(old) {
                if graph.account(new).first_seen >= t {
                    list.push(LinkEvidence::AfterBan {
                        banned: graph.account(old).id.as_str().to_owned(),
                        banned_at: t.to_rfc3339(),
                        weight: 0.5,
                    });
                }
            }
        }
    }

    let mut uf = UnionFind::new(n);
    let mut links = Vec::new();
    let mut weak_links = Vec::new();
    let mut pairs: Vec<(Pair, Vec<LinkEvidence>)> = evidence.into_iter().collect();
    pairs.sort_unstable_by_key(|(p, _)| *p);
    for ((a, b), evidence) in pairs {
        let strength: f64 = evidence.iter().map(LinkEvidence::weight).sum();
        let link = Link { a, b, strength, evidence };
        if strength + 1e-9 >= config.threshold {
            uf.union(a, b);
            links.push(link);
        } else {
            weak_links.push(link);
        }
    }
    // Label each person by its smallest node.
    let mut smallest = vec![u32::MAX; n];
    for v in 0..n as u32 {
        let r = uf.find(v) as usize;
        smallest[r] = smallest[r].min(v);
    }
    let person = (0..n as u32).map(|v| smallest[uf.find(v) as usize]).collect();
    Persons { person, links, weak_links }
}

/// Evidence from bios naming other accounts' handles.
fn mention_evidence(graph: &Graph) -> FxHashMap<Pair, Vec<LinkEvidence>> {
    let mut evidence: FxHashMap<Pair, Vec<LinkEvidence>> = FxHashMap::default();
    let mut by_handle: FxHashMap<String, Node> = FxHashMap::default();
    for (v, acc) in graph.accounts().iter().enumerate() {
        if !acc.handle.is_empty() {
            by_handle.insert(acc.handle.to_lowercase(), v as Node);
        }
    }
    let mut named: FxHashMap<Pair, u8> = FxHashMap::default();
    for (v, acc) in graph.accounts().iter().enumerate() {
        let Some(bio) = &acc.bio else { continue };
        for m in mentions(bio) {
            let Some(&w) = by_handle.get(&m.handle) else { continue };
            if w == v as Node {
                continue;
            }
            let p = pair(v as Node, w);
            let side = if (v as Node) < w { 1 } else { 2 };
            let seen = named.entry(p).or_default();
            if *seen & side != 0 {
                continue;
            }
            *seen |= side;
            let weight = if m.same_person { 0.8 } else { 0.3 };
            evidence.entry(p).or_default().push(LinkEvidence::BioMention {
                from: acc.id.as_str().to_owned(),
                text: m.clause,
                same_person_words: m.same_person,
                weight,
            });
        }
    }
    for (p, sides) in named {
        if sides == 3 {
            evidence.entry(p).or_default().push(LinkEvidence::MutualMention { weight: 0.4 });
        }
    }
    // A declaration is corroborated by what the two accounts do: a follow
    // between them, an audience they share beyond chance, a ban of one.
    let n = graph.len().max(1) as f64;
    for (&(a, b), list) in evidence.iter_mut() {
        let declared = list
            .iter()
            .any(|e| matches!(e, LinkEvidence::BioMention { same_person_words: true, .. }));
        if !declared {
            continue;
        }
        let id = |v: Node| graph.account(v).id.as_str().to_owned();
        for (x, y) in [(a, b), (b, a)] {
            if graph.edge(x, y).contains(Kinds::FOLLOW) {
                list.push(LinkEvidence::FollowBetween { from: id(x), to: id(y), weight: 0.3 });
                break;
            }
        }
        let followers = |v: Node| -> Vec<u32> {
            let (cols, kinds) = graph.in_edges(v);
            cols.iter()
                .zip(kinds)
                .filter(|&(_, &k)| Kinds(k).contains(Kinds::FOLLOW))
                .map(|(&u, _)| u)
                .collect()
        };
        let (fa, mut fb) = (followers(a), followers(b));
        fb.sort_unstable();
        let shared = fa.iter().filter(|u| fb.binary_search(u).is_ok()).count() as u32;
        let expected = fa.len() as f64 * fb.len() as f64 / n;
        if shared >= 2 && poisson_tail(shared, expected) < SHARED_FOLLOWERS_ALPHA {
            list.push(LinkEvidence::SharedFollowers { shared, expected, weight: 0.3 });
        }
        for v in [a, b] {
            if graph.account(v).enforcement.as_ref().is_some_and(|e| e.is_child_safety()) {
                list.push(LinkEvidence::DeclaredBanned { banned: id(v), weight: 0.3 });
                break;
            }
        }
    }

    evidence
}

/// Significance at which two accounts' shared followers corroborate a
/// declaration (one test per declared pair, so few tests).
const SHARED_FOLLOWERS_ALPHA: f64 = 1e-3;

fn identifier_lists(ids: &Identifiers) -> [(u8, &Vec<String>); 4] {
    [(0, &ids.device), (1, &ids.email_hash), (2, &ids.phone_hash), (3, &ids.payment)]
}

/// Catches ban evasion on a new account's first event: the identifiers,
/// handles and bios of every account of a banned person, so that an `account`
/// event can be checked against them at once (the server and ingest use it
/// between scans). The evidence and weights are those of [`link_identities`];
/// the ban is already known, so "appeared after the ban" always counts.
#[derive(Clone, Debug, Default)]
pub struct EvasionWatch {
    /// (identifier kind, value) to the banned accounts that declared it.
    identifiers: FxHashMap<(u8, String), Vec<String>>,
    /// Lowercased handles of banned persons' accounts.
    handles: FxHashMap<String, String>,
    config: IdentityConfig,
}

/// A new account that looks like a banned person's return.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evasion {
    /// The banned account it is linked to.
    pub banned: String,
    /// Sum of the evidence.
    pub strength: f64,
    /// The evidence, one line each.
    pub evidence: Vec<String>,
}

impl EvasionWatch {
    /// Watches every account of every person that has a child-safety ban.
    pub fn new(graph: &Graph, persons: &Persons, config: &IdentityConfig) -> EvasionWatch {
        let mut banned_people: Vec<u32> = (0..graph.len())
            .filter(|&v| {
                graph.accounts()[v].enforcement.as_ref().is_some_and(|e| e.is_child_safety())
            })
            .map(|v| persons.person[v])
            .collect();
        banned_people.sort_unstable();
        banned_people.dedup();
        let mut watch = EvasionWatch { config: config.clone(), ..EvasionWatch::default() };
        for (v, acc) in graph.accounts().iter().enumerate() {
            if banned_people.binary_search(&persons.person[v]).is_err() {
                continue;
            }
            let id = acc.id.as_str().to_owned();
            for (k, list) in identifier_lists(&acc.identifiers) {
                for value in list {
                    watch.identifiers.entry((k, value.clone())).or_default().push(id.clone());
                }
            }
            if !acc.handle.is_empty() {
                watch.handles.insert(acc.handle.to_lowercase(), id);
            }
        }
        watch
    }

    /// Number of banned persons' accounts watched.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Checks an `account` event: the strongest link to a banned person's
    /// account, if it reaches the linking threshold.
    pub fn check(&self, account: &guardrail_core::AccountEvent) -> Option<Evasion> {
        let mut found: FxHashMap<&str, (f64, Vec<String>)> = FxHashMap::default();
        if let Some(ids) = &account.identifiers {
            for (k, list) in identifier_lists(ids) {
                for value in list {
                    let Some(holders) = self.identifiers.get(&(k, value.clone())) else { continue };
                    let base = match k {
                        0 => self.config.device,
                        1 | 2 => self.config.contact,
                        _ => self.config.payment,
                    };
                    for h in holders {
                        let e = found.entry(h.as_str()).or_default();
                        e.0 += base;
                        e.1.push(format!("shared {} {value}", IdentifierKind::ALL[k as usize]));
                    }
                }
            }
        }
        if let Some(bio) = &account.bio {
            for m in mentions(bio) {
                if let Some(h) = self.handles.get(&m.handle) {
                    let e = found.entry(h.as_str()).or_default();
                    e.0 += if m.same_person { 0.8 } else { 0.3 };
                    e.1.push(format!("bio names @{}: \"{}\"", m.handle, m.clause));
                }
            }
        }
        for (handle, id) in &self.handles {
            if let Some(e) = found.get_mut(id.as_str()) {
                if similar_handles(handle, &account.handle) {
                    e.0 += 0.4;
                    e.1.push(format!("similar handles @{handle} and @{}", account.handle));
                }
            }
        }
        found
            .into_iter()
            .map(|(banned, (w, mut evidence))| {
                evidence.push("the person is banned for child safety".into());
                Evasion { banned: banned.to_owned(), strength: w + 0.5, evidence }
            })
            .filter(|e| e.strength + 1e-9 >= self.config.threshold)
            .max_by(|a, b| a.strength.total_cmp(&b.strength).then(b.banned.cmp(&a.banned)))
    }
}
