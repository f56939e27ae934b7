//! The compact interaction graph: accounts, their directed interactions, the
//! hashtags they use, and what the platform said about them.
//!
//! Edges live in two compressed sparse row arrays (out and in), one `u32`
//! neighbour and one `u8` kind mask per direction: 10 bytes per distinct
//! (from, to) pair, whatever mix of follow, view, like and comment it carries.
//! Changes ([`Graph::apply`]) are appended to a log of edge operations and
//! folded into the arrays by [`Graph::compact`] (a stable sort of the log and a
//! linear merge), so a load of 50 million edges never goes through a hash map.
//! [`Graph::edge`] sees pending changes at once through a small index that is
//! kept only after the first compaction (during bulk loading it would cost a
//! hash-map insert per edge for nothing).

use std::ops::BitOr;

use guardrail_core::{
    AccountEvent, AccountId, AgeBand, EnforcementAction, Event, EventKind, Identifiers,
    InteractionKind, ReportCategory, ReportTarget, Timestamp, ViewTarget,
};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::keys::{Key, KeyTable};

/// A node: the dense index of an account in a [`Graph`].
pub type Node = u32;

/// The interactions one account had with another, as a bit set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Kinds(pub u8);

impl Kinds {
    /// No interaction.
    pub const NONE: Kinds = Kinds(0);
    /// `from` follows `to` (cleared by an unfollow).
    pub const FOLLOW: Kinds = Kinds(1);
    /// `from` viewed `to`'s profile or one of its posts.
    pub const VIEW: Kinds = Kinds(2);
    /// `from` liked a post of `to`.
    pub const LIKE: Kinds = Kinds(4);
    /// `from` commented on a post of `to`.
    pub const COMMENT: Kinds = Kinds(8);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Kinds) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Whether no bit is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Names of the set bits, for reasons.
    pub fn names(self) -> Vec<&'static str> {
        self.interactions().into_iter().map(InteractionKind::verb).collect()
    }

    /// The interactions of the set bits, in the order follow, view, like, comment.
    pub fn interactions(self) -> Vec<InteractionKind> {
        let mut out = Vec::new();
        for (bit, kind) in [
            (Kinds::FOLLOW, InteractionKind::Follow),
            (Kinds::VIEW, InteractionKind::View),
            (Kinds::LIKE, InteractionKind::Like),
            (Kinds::COMMENT, InteractionKind::Comment),
        ] {
            if self.contains(bit) {
                out.push(kind);
            }
        }
        out
    }
}

impl BitOr for Kinds {
    type Output = Kinds;
    fn bitor(self, rhs: Kinds) -> Kinds {
        Kinds(self.0 | rhs.0)
    }
}

/// Compressed sparse rows: the neighbours of node `v` are
/// `adj[off[v]..off[v + 1]]`, sorted, with their kind masks beside them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Csr {
    off: Vec<u64>,
    adj: Vec<u32>,
    kind: Vec<u8>,
}

impl Csr {
    /// Builds from (row, column, mask) triples sorted by (row, column), no repeats.
    fn from_sorted(n: usize, rows: &[u32], mut cols: Vec<u32>, mut kind: Vec<u8>) -> Csr {
        cols.shrink_to_fit();
        kind.shrink_to_fit();
        let mut off = vec![0u64; n + 1];
        for &r in rows {
            off[r as usize + 1] += 1;
        }
        for i in 0..n {
            off[i + 1] += off[i];
        }
        Csr { off, adj: cols, kind }
    }

    /// Number of nodes the rows cover.
    pub(crate) fn nodes(&self) -> usize {
        self.off.len().saturating_sub(1)
    }

    /// Number of stored entries.
    pub(crate) fn entries(&self) -> usize {
        self.adj.len()
    }

    /// The neighbours of `v` and their kind masks.
    pub(crate) fn row(&self, v: Node) -> (&[u32], &[u8]) {
        let v = v as usize;
        if v + 1 >= self.off.len() {
            return (&[], &[]);
        }
        let (a, b) = (self.off[v] as usize, self.off[v + 1] as usize);
        (&self.adj[a..b], &self.kind[a..b])
    }

    /// The mask of entry (v, w), if present.
    fn get(&self, v: Node, w: Node) -> Kinds {
        let (adj, kind) = self.row(v);
        adj.binary_search(&w).map_or(Kinds::NONE, |i| Kinds(kind[i]))
    }

    /// The transpose (rows become columns), in O(entries).
    fn transpose(&self, n: usize) -> Csr {
        let mut off = vec![0u64; n + 1];
        for &c in &self.adj {
            off[c as usize + 1] += 1;
        }
        for i in 0..n {
            off[i + 1] += off[i];
        }
        let mut next = off.clone();
        let mut adj = vec![0u32; self.adj.len()];
        let mut kind = vec![0u8; self.adj.len()];
        // Rows are visited in order, so every transposed row comes out sorted.
        for r in 0..self.nodes() {
            let (cols, ks) = self.row(r as u32);
            for (&c, &k) in cols.iter().zip(ks) {
                let slot = &mut next[c as usize];
                adj[*slot as usize] = r as u32;
                kind[*slot as usize] = k;
                *slot += 1;
            }
        }
        Csr { off, adj, kind }
    }

    fn bytes(&self) -> usize {
        self.off.capacity() * 8 + self.adj.capacity() * 4 + self.kind.capacity()
    }
}

/// The latest enforcement the platform reported for an account.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Enforcement {
    /// `ban` or `suspend` (a `restore` clears the record).
    pub action: EnforcementAction,
    /// The confirmed category, such as `child_safety`.
    pub category: Option<String>,
    /// The platform's free-text reason.
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

impl Enforcement {
    /// Whether this enforcement confirms child-safety abuse (the seeds of a scan).
    pub fn is_child_safety(&self) -> bool {
        self.category.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("child_safety"))
    }
}

/// What the graph keeps about one account.
#[derive(Clone, Debug)]
pub struct Account {
    /// The platform's id.
    pub id: AccountId,
    /// The latest handle (empty until an `account` event is seen).
    pub handle: String,
    /// The latest bio.
    pub bio: Option<String>,
    /// The latest declared age band.
    pub age_band: Option<AgeBand>,
    /// Every identifier ever declared (identifiers accumulate; a new device does
    /// not erase the old one's evidence).
    pub identifiers: Identifiers,
    /// When the account was first seen in any event.
    pub first_seen: Timestamp,
    /// Whether an `account` event was seen for it.
    pub declared: bool,
    /// The latest ban or suspension still in force.
    pub enforcement: Option<Enforcement>,
    /// Reports received, by category (`child_safety`, `sexual_content`, ...).
    pub reports: Vec<(ReportCategory, u32)>,
    /// Posts it published (what a feed can show of it).
    pub posts: u32,
}

impl Account {
    fn new(id: AccountId, at: Timestamp) -> Account {
        Account {
            id,
            handle: String::new(),
            bio: None,
            age_band: None,
            identifiers: Identifiers::default(),
            first_seen: at,
            declared: false,
            enforcement: None,
            reports: Vec::new(),
            posts: 0,
        }
    }

    /// Number of reports of `category` received.
    pub fn reports_of(&self, category: ReportCategory) -> u32 {
        self.reports.iter().find(|(c, _)| *c == category).map_or(0, |&(_, n)| n)
    }

    fn update(&mut self, e: &AccountEvent) {
        self.declared = true;
        self.handle.clone_from(&e.handle);
        if e.bio.is_some() {
            self.bio.clone_from(&e.bio);
        }
        if e.age_band.is_some() {
            self.age_band = e.age_band;
        }
        if let Some(ids) = &e.identifiers {
            for (mine, theirs) in [
                (&mut self.identifiers.device, &ids.device),
                (&mut self.identifiers.email_hash, &ids.email_hash),
                (&mut self.identifiers.phone_hash, &ids.phone_hash),
                (&mut self.identifiers.payment, &ids.payment),
            ] {
                for id in theirs {
                    if !mine.contains(id) {
                        mine.push(id.clone());
                    }
                }
            }
        }
    }
}

/// One pending change of an edge's mask: `(mask | set) & !clear`.
#[derive(Clone, Copy, Debug)]
struct Op {
    key: u64,
    set: u8,
    clear: u8,
}

fn key(from: Node, to: Node) -> u64 {
    (u64::from(from) << 32) | u64::from(to)
}

/// Counts of what [`Graph::apply`] did with events.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApplyStats {
    /// Events applied.
    pub events: u64,
    /// Interactions whose post was never seen (so its author is unknown).
    pub unknown_posts: u64,
    /// Self-interactions (an account following or liking itself), ignored.
    pub self_loops: u64,
}

/// Identifies a graph's node numbering (see [`Graph::stamp`]): account
/// count, edge count and a hash of every account id in node order.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct GraphStamp {
    /// Accounts.
    pub accounts: usize,
    /// Distinct edges.
    pub edges: usize,
    /// XXH3 of the account ids in node order.
    pub ids: u64,
}

/// The interaction graph. Build it with [`Graph::new`] and [`Graph::apply`]
/// (or [`crate::load_events`]), then [`Graph::compact`] before analysing it.
#[derive(Debug, Default)]
pub struct Graph {
    /// Account ids by their 96-bit key ([`Key`]).
    index: KeyTable,
    accounts: Vec<Account>,
    out: Csr,
    inn: Csr,
    pending: Vec<Op>,
    /// Current masks of the edges in `pending`, kept once the graph has been
    /// compacted at least once (incremental mode).
    delta: Option<FxHashMap<u64, u8>>,
    /// Post authors by the post id's key.
    posts: KeyTable,
    tag_index: FxHashMap<Box<str>, u32>,
    tags: Vec<Box<str>>,
    /// (account, tag) uses, folded into `tag_rows` on compaction.
    tag_uses: Vec<(Node, u32)>,
    tag_rows: Vec<Vec<(u32, u32)>>,
    stats: ApplyStats,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Number of distinct (from, to) edges as of the last compaction.
    pub fn edges(&self) -> usize {
        self.out.entries()
    }

    /// What identifies this graph's node numbering and edges: results indexed
    /// by node (a [`crate::ScanResult`]) are only valid on a graph with the
    /// same stamp.
    pub fn stamp(&self) -> GraphStamp {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for a in &self.accounts {
            h.update(a.id.as_str().as_bytes());
            h.update(&[0]);
        }
        GraphStamp { accounts: self.accounts.len(), edges: self.edges(), ids: h.digest() }
    }

    /// What [`Graph::apply`] counted.
    pub fn stats(&self) -> ApplyStats {
        self.stats
    }

    /// Whether changes are waiting for [`Graph::compact`].
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || !self.tag_uses.is_empty()
    }

    /// The node of an account id, if known.
    pub fn node(&self, id: &str) -> Option<Node> {
        self.index.get(Key::of(id))
    }

    /// The account of a node.
    pub fn account(&self, v: Node) -> &Account {
        &self.accounts[v as usize]
    }

    /// Every account, indexed by node.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// Out-edges (who `v` interacted with) as of the last compaction.
    pub fn out_edges(&self, v: Node) -> (&[u32], &[u8]) {
        self.out.row(v)
    }

    /// In-edges (who interacted with `v`) as of the last compaction.
    pub fn in_edges(&self, v: Node) -> (&[u32], &[u8]) {
        self.inn.row(v)
    }

    /// The interactions `from` had with `to`, including changes not yet compacted
    /// (once the graph has been compacted at least once).
    pub fn edge(&self, from: Node, to: Node) -> Kinds {
        if let Some(delta) = &self.delta {
            if let Some(&m) = delta.get(&key(from, to)) {
                return Kinds(m);
            }
        }
        self.out.get(from, to)
    }

    /// The hashtags `v` used, with counts (as of the last compaction).
    pub fn hashtags_of(&self, v: Node) -> &[(u32, u32)] {
        self.tag_rows.get(v as usize).map_or(&[], Vec::as_slice)
    }

    /// The text of a hashtag id.
    pub fn hashtag(&self, t: u32) -> &str {
        &self.tags[t as usize]
    }

    /// Number of distinct hashtags.
    pub fn hashtag_count(&self) -> usize {
        self.tags.len()
    }

    /// The author of a post, if the post was seen.
    pub fn post_author(&self, post: &str) -> Option<Node> {
        self.posts.get(Key::of(post))
    }

    /// The node of `id`, created if new.
    pub fn intern(&mut self, id: &AccountId, at: Timestamp) -> Node {
        let k = Key::of(id.as_str());
        if let Some(v) = self.index.get(k) {
            return v;
        }
        let v = self.accounts.len() as Node;
        self.index.insert(k, v);
        self.accounts.push(Account::new(id.clone(), at));
        v
    }

    /// Records a change of the edge `from -> to`: `(mask | set) & !clear`
    /// (what [`Graph::apply`] does for an interaction, for callers that
    /// resolved the accounts themselves). Counts as one applied event.
    pub fn add_edge(&mut self, from: Node, to: Node, set: Kinds, clear: Kinds) {
        self.stats.events += 1;
        self.push_op(from, to, set, clear);
    }

    /// Counts an event that changed nothing (a search by a known account).
    pub fn count_event(&mut self) {
        self.stats.events += 1;
    }

    fn push_op(&mut self, from: Node, to: Node, set: Kinds, clear: Kinds) {
        if from == to {
            self.stats.self_loops += 1;
            return;
        }
        let k = key(from, to);
        if let Some(delta) = &mut self.delta {
            let base = self.out.get(from, to).0;
            let m = delta.entry(k).or_insert(base);
            *m = (*m | set.0) & !clear.0;
        }
        self.pending.push(Op { key: k, set: set.0, clear: clear.0 });
    }

    fn interact(&mut self, actor: &AccountId, post: &str, kind: Kinds, at: Timestamp) {
        let a = self.intern(actor, at);
        match self.posts.get(Key::of(post)) {
            Some(author) => self.push_op(a, author, kind, Kinds::NONE),
            None => self.stats.unknown_posts += 1,
        }
    }

    /// Applies one event. Events must come in time order (the stream's contract);
    /// an unfollow clears only an earlier follow.
    pub fn apply(&mut self, event: &Event) {
        self.stats.events += 1;
        let at = event.at;
        match &event.kind {
            EventKind::Account(e) => {
                let v = self.intern(&e.account, at);
                self.accounts[v as usize].update(e);
            }
            EventKind::Follow(e) => {
                let (a, b) = (self.intern(&e.from, at), self.intern(&e.to, at));
                self.push_op(a, b, Kinds::FOLLOW, Kinds::NONE);
            }
            EventKind::Unfollow(e) => {
                let (a, b) = (self.intern(&e.from, at), self.intern(&e.to, at));
                self.push_op(a, b, Kinds::NONE, Kinds::FOLLOW);
            }
            EventKind::View(e) => match &e.target {
                ViewTarget::Account(t) => {
                    let (a, b) = (self.intern(&e.viewer, at), self.intern(t, at));
                    self.push_op(a, b, Kinds::VIEW, Kinds::NONE);
                }
                ViewTarget::Post(p) => self.interact(&e.viewer, p.as_str(), Kinds::VIEW, at),
            },
            EventKind::Post(e) => {
                let a = self.intern(&e.author, at);
                self.posts.insert(Key::of(e.post.as_str()), a);
                self.accounts[a as usize].posts += 1;
                for tag in &e.hashtags {
                    let t = self.tag(tag);
                    self.tag_uses.push((a, t));
                }
            }
            EventKind::Like(e) => self.interact(&e.actor, e.post.as_str(), Kinds::LIKE, at),
            EventKind::Comment(e) => self.interact(&e.actor, e.post.as_str(), Kinds::COMMENT, at),
            EventKind::Search(e) => {
                self.intern(&e.actor, at);
            }
            EventKind::Report(e) => {
                if let Some(r) = &e.reporter {
                    self.intern(r, at);
                }
                let target = match &e.target {
                    ReportTarget::Account(t) => Some(self.intern(t, at)),
                    ReportTarget::Post(p) => self.posts.get(Key::of(p.as_str())),
                    _ => None,
                };
                if let Some(t) = target {
                    let reports = &mut self.accounts[t as usize].reports;
                    match reports.iter_mut().find(|(c, _)| *c == e.category) {
                        Some((_, n)) => *n += 1,
                        None => reports.push((e.category, 1)),
                    }
                }
            }
            EventKind::Enforcement(e) => {
                let v = self.intern(&e.account, at);
                self.accounts[v as usize].enforcement = match e.action {
                    EnforcementAction::Restore => None,
                    action => Some(Enforcement {
                        action,
                        category: e.confirmed_category.clone(),
                        reason: e.reason.clone(),
                        at,
                    }),
                };
            }
        }
    }

    fn tag(&mut self, tag: &str) -> u32 {
        // Hashtags are compared case-insensitively, as platforms show them;
        // most are lowercase already and need no copy to look up.
        let lower = tag.bytes().all(|b| !b.is_ascii_uppercase()) && tag.is_ascii();
        if lower {
            if let Some(&t) = self.tag_index.get(tag) {
                return t;
            }
        }
        let folded = tag.to_lowercase();
        if let Some(&t) = self.tag_index.get(folded.as_str()) {
            return t;
        }
        let t = self.tags.len() as u32;
        self.tag_index.insert(folded.as_str().into(), t);
        self.tags.push(folded.into());
        t
    }

    /// Folds pending changes into the edge arrays: a stable parallel sort of
    /// the change log by (from, to), then one merge with the old rows. After the
    /// first compaction, changes are also indexed so [`Graph::edge`] sees them
    /// before the next one.
    pub fn compact(&mut self) {
        let n = self.accounts.len();
        let mut ops = std::mem::take(&mut self.pending);
        // Stable: ops on one edge stay in event order.
        ops.par_sort_by_key(|o| o.key);
        let mut rows: Vec<u32> = Vec::with_capacity(self.out.entries() + ops.len() / 2);
        let mut cols: Vec<u32> = Vec::with_capacity(rows.capacity());
        let mut kinds: Vec<u8> = Vec::with_capacity(rows.capacity());
        let mut push = |k: u64, m: u8| {
            if m != 0 {
                rows.push((k >> 32) as u32);
                cols.push(k as u32);
                kinds.push(m);
            }
        };
        let old = std::mem::take(&mut self.out);
        let mut base = (0..old.nodes() as u32).flat_map(|r| {
            let (c, k) = old.row(r);
            c.iter().zip(k).map(move |(&c, &k)| (key(r, c), k))
        });
        let mut next_base = base.next();
        let mut i = 0;
        while i < ops.len() || next_base.is_some() {
            let op_key = ops.get(i).map(|o| o.key);
            match (next_base, op_key) {
                (Some((bk, bm)), Some(ok)) if bk < ok => {
                    push(bk, bm);
                    next_base = base.next();
                }
                (Some((bk, bm)), Some(ok)) if bk == ok => {
                    let mut m = bm;
                    while i < ops.len() && ops[i].key == ok {
                        m = (m | ops[i].set) & !ops[i].clear;
                        i += 1;
                    }
                    push(ok, m);
                    next_base = base.next();
                }
                (_, Some(ok)) => {
                    let mut m = 0u8;
                    while i < ops.len() && ops[i].key == ok {
                        m = (m | ops[i].set) & !ops[i].clear;
                        i += 1;
                    }
                    push(ok, m);
                }
                (Some((bk, bm)), None) => {
                    push(bk, bm);
                    next_base = base.next();
                }
                (None, None) => unreachable!("loop condition"),
            }
        }
        drop(ops);
        self.out = Csr::from_sorted(n, &rows, cols, kinds);
        drop(rows);
        self.inn = self.out.transpose(n);
        self.delta = Some(FxHashMap::default());
        self.fold_tags(n);
    }

    fn fold_tags(&mut self, n: usize) {
        let uses = std::mem::take(&mut self.tag_uses);
        self.tag_rows.resize_with(n, Vec::new);
        for (a, t) in uses {
            let row = &mut self.tag_rows[a as usize];
            match row.iter_mut().find(|(x, _)| *x == t) {
                Some((_, c)) => *c += 1,
                None => row.push((t, 1)),
            }
        }
    }

    /// Bytes held by the edge arrays (out and in rows), the figure behind the
    /// documented cost per edge.
    pub fn edge_bytes(&self) -> usize {
        self.out.bytes() + self.inn.bytes()
    }

    /// Bytes of the tables that find accounts and posts by id.
    pub fn index_bytes(&self) -> usize {
        self.index.bytes() + self.posts.bytes()
    }
}
