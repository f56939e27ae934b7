//! The scan: from the platform's own signals to tiers, networks and persons.
//!
//! 1. Persons: [`link_identities`]. An account of a person with a
//!    child-safety ban, seen after the ban, is ban evasion.
//! 2. Seeds, never ground truth: child-safety enforcement, hash-bank matches
//!    and ban evasion (confirmed); strong lexicon hits in the account's own
//!    handle, bio, captions or hashtags (direct evidence: suspected).
//! 3. Propagation (`propagate`): personalised PageRank from the seeds,
//!    degree-normalised, and the Andersen-Chung-Lang sweep cut, repeated from
//!    the set found until it stops growing. It only ranks: proximity alone
//!    never makes an account suspected.
//! 4. Patterns (`patterns`), to a fixed point: the behaviour test of every
//!    account outside the set ([`crate::expand::behaviour_tests`]) and the
//!    hashtag test, under Benjamini-Hochberg false-discovery control, and
//!    every account of a person in the set.
//! 5. Tiers: `confirmed` seeds; `suspected`, the rest of the set;
//!    `candidate`, accounts of the propagation set that touch a flagged
//!    account and whose behaviour is nominally significant (a case for
//!    review); `exposed`, an interaction with a flagged account; `clear`.
//! 6. Networks: Louvain communities of the flagged accounts, and Fraudar
//!    dense blocks of their follows.
//! 7. Reasons (`account_reasons`): typed [`Reason`] values, each one line
//!    for a reviewer (its `Display`) and a JSON object a console can filter
//!    by `kind`.

use std::collections::VecDeque;
use std::time::Instant;

use guardrail_core::{
    Channel, ChannelCount, HashtagUse, IdentityEvidence, NamedAccount, PathStep, PersonEvidence,
    Reason, ReportCategory, RiskTier, Severity, Surface, Tie,
};
use guardrail_text::{Level, Matcher};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::community::{dense_blocks, louvain, LocalGraph};
use crate::expand::{
    behaviour_tests, benjamini_hochberg, hashtag_hits, set_hashtags, Behaviour, Hashtags,
    PatternHit,
};
use crate::graph::{Graph, GraphStamp, Kinds, Node};
use crate::identity::{link_identities, IdentityConfig, Persons};
use crate::load::{text_hit, Evidence, TextHit};
use crate::rank::{ppr_push, sweep_cut, weighted_degrees, PprConfig};
use crate::GraphError;

/// Settings of a scan. The defaults are documented in `docs/GRAPH.md`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanConfig {
    /// Personalised PageRank settings.
    pub ppr: PprConfig,
    /// Precision of the local-push PageRank, relative to chance: a node's
    /// score is exact to within `push_precision * degree / volume` (1 means
    /// to within what a random walk's stationary visits would give it).
    pub push_precision: f64,
    /// False-discovery rate of the pattern tests (Benjamini-Hochberg over
    /// every account outside the set, each round): the share of accounts a
    /// round adds that chance alone could explain is kept below this.
    pub fdr: f64,
    /// Nominal significance at which an account near the seeds by proximity
    /// becomes a `candidate` for review.
    pub candidate_alpha: f64,
    /// Least lift (visits by the seeds' walk over a random walk's) of an
    /// account a sweep may take.
    pub min_lift: f64,
    /// Largest share of the graph's volume a sweep may take.
    pub max_volume_share: f64,
    /// Rounds of seed-set expansion (PageRank from the set found, sweep again).
    pub expansion_rounds: usize,
    /// Significance level at which a hashtag is the set's.
    pub pattern_alpha: f64,
    /// Most rounds of pattern expansion (it stops earlier when a round adds
    /// nothing).
    pub pattern_rounds: usize,
    /// Least share of a hashtag's distinct users that must be in the set for
    /// the hashtag to be the set's (see [`crate::expand::set_hashtags`]).
    pub hashtag_share: f64,
    /// Seed weight of an account flagged only by the lexicon (confirmed seeds weigh 1).
    pub lexicon_seed_weight: f64,
    /// Identity linking settings.
    pub identity: IdentityConfig,
    /// Most members of a network listed per reason line.
    pub reason_examples: usize,
    /// Most dense seller-buyer blocks a scan looks for (Fraudar peeling of
    /// the flagged accounts' follows, one block after another).
    pub max_blocks: usize,
    /// Least accounts of a dense block (at least 2).
    pub min_block_size: usize,
    /// Least accounts of a network (a Louvain community of the flagged
    /// accounts; smaller ones are not listed; at least 2).
    pub min_network_size: usize,
    /// Least followers shared with confirmed accounts for a flagged account
    /// to get the "shared followers" reason (at least 1).
    pub min_shared_followers: usize,
    /// Least of the network's hashtags an account must use for the hashtag
    /// test to be among its reasons (at least 1).
    pub min_hashtags_shown: u32,
}

impl Default for ScanConfig {
    fn default() -> ScanConfig {
        ScanConfig {
            ppr: PprConfig::default(),
            push_precision: 1.0,
            min_lift: 1.0,
            fdr: 0.05,
            candidate_alpha: 0.05,
            max_volume_share: 0.5,
            expansion_rounds: 3,
            pattern_alpha: 1e-3,
            pattern_rounds: 20,
            hashtag_share: 0.5,
            lexicon_seed_weight: 0.5,
            identity: IdentityConfig::default(),
            reason_examples: 3,
            max_blocks: 4,
            min_block_size: 6,
            min_network_size: 2,
            min_shared_followers: 2,
            min_hashtags_shown: 2,
        }
    }
}

impl ScanConfig {
    /// Checks that every setting is in range.
    pub fn validate(&self) -> Result<(), GraphError> {
        let bad = |name, why: &str| Err(GraphError::Config { name, why: why.to_owned() });
        if !(self.ppr.restart > 0.0 && self.ppr.restart < 1.0) {
            return bad("ppr.restart", "must be between 0 and 1 (exclusive)");
        }
        if !(self.push_precision > 0.0 && self.push_precision.is_finite()) {
            return bad("push_precision", "must be a finite number > 0");
        }
        if !(self.max_volume_share > 0.0 && self.max_volume_share <= 1.0) {
            return bad("max_volume_share", "must be in (0, 1]");
        }
        if !(self.pattern_alpha > 0.0 && self.pattern_alpha < 1.0) {
            return bad("pattern_alpha", "must be between 0 and 1 (exclusive)");
        }
        if !(self.fdr > 0.0 && self.fdr < 1.0) {
            return bad("fdr", "must be between 0 and 1 (exclusive)");
        }
        if !(self.candidate_alpha > 0.0 && self.candidate_alpha < 1.0) {
            return bad("candidate_alpha", "must be between 0 and 1 (exclusive)");
        }
        if !(self.hashtag_share > 0.0 && self.hashtag_share <= 1.0) {
            return bad("hashtag_share", "must be in (0, 1]");
        }
        if !(self.lexicon_seed_weight >= 0.0 && self.lexicon_seed_weight.is_finite()) {
            return bad("lexicon_seed_weight", "must be a finite number >= 0");
        }
        if !(self.identity.threshold > 0.0 && self.identity.threshold.is_finite()) {
            return bad("identity.threshold", "must be a finite number > 0");
        }
        if self.min_block_size < 2 {
            return bad("min_block_size", "must be at least 2");
        }
        if self.min_network_size < 2 {
            return bad("min_network_size", "must be at least 2");
        }
        if self.min_shared_followers < 1 {
            return bad("min_shared_followers", "must be at least 1");
        }
        if self.min_hashtags_shown < 1 {
            return bad("min_hashtags_shown", "must be at least 1");
        }
        Ok(())
    }
}

/// One account's result.
#[derive(Clone, Debug, Serialize)]
pub struct AccountRisk {
    /// The platform's account id.
    pub id: String,
    /// Its node in the graph.
    #[serde(skip)]
    pub node: Node,
    /// The tier.
    pub tier: RiskTier,
    /// How much more than chance the seeds' random walk visits the account
    /// (personalised PageRank over degree, times the graph's volume).
    pub score: f64,
    /// Why, one line each for a reviewer (`Display`).
    pub reasons: Vec<Reason>,
}

/// A group of flagged accounts that belong together.
#[derive(Clone, Debug, Serialize)]
pub struct Network {
    /// 1-based id within this scan.
    pub id: usize,
    /// Member account ids.
    pub accounts: Vec<String>,
    /// Members that are confirmed.
    pub confirmed: usize,
}

/// Accounts of one person.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    /// 1-based id within this scan.
    pub id: usize,
    /// Member account ids.
    pub accounts: Vec<String>,
    /// The links between them, one line each (`Display`).
    pub evidence: Vec<PersonEvidence>,
}

/// A declaration that two accounts are one person's (a bio naming the other
/// as its backup, main, ...) that nothing corroborates: shown to a reviewer,
/// never merged.
#[derive(Clone, Debug, Serialize)]
pub struct WeakLink {
    /// The two account ids.
    pub accounts: [String; 2],
    /// Sum of the evidence weights (below the identity threshold).
    pub strength: f64,
    /// The evidence, one line each (`Display`).
    pub evidence: Vec<IdentityEvidence>,
}

/// A dense seller-buyer block.
#[derive(Clone, Debug, Serialize)]
pub struct Block {
    /// 1-based id within this scan.
    pub id: usize,
    /// Member account ids.
    pub accounts: Vec<String>,
    /// Members that follow others in the block.
    pub followers: usize,
    /// Members followed by others in the block.
    pub followed: usize,
    /// Weighted follow edges per member.
    pub density: f64,
}

/// Counts of a scan.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ScanSummary {
    /// Accounts in the graph.
    pub accounts: usize,
    /// Distinct interaction edges.
    pub edges: usize,
    /// Seeds (confirmed and lexicon).
    pub seeds: usize,
    /// Accounts per tier.
    pub confirmed: usize,
    /// Suspected accounts.
    pub suspected: usize,
    /// Candidates for review (proximity with some evidence; not flagged).
    pub candidates: usize,
    /// Exposed accounts.
    pub exposed: usize,
    /// Pushes of the last local PageRank round.
    pub ppr_pushes: usize,
    /// Conductance of the last sweep cut.
    pub conductance: f64,
    /// Seconds per phase.
    pub seconds: Timings,
}

/// Seconds spent in each phase of a scan.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Timings {
    /// Identity linking.
    pub identity: f64,
    /// Seeds (including lexicon checks of handles and bios).
    pub seeds: f64,
    /// PageRank rounds and sweep cuts.
    pub propagation: f64,
    /// Follow-pattern expansion.
    pub patterns: f64,
    /// Louvain and dense blocks.
    pub communities: f64,
    /// Tiers and reasons.
    pub reasons: f64,
}

/// The result of [`scan`].
#[derive(Clone, Debug, Serialize)]
pub struct ScanResult {
    /// Every account that is not `clear`, most severe first.
    pub accounts: Vec<AccountRisk>,
    /// Networks of flagged accounts.
    pub networks: Vec<Network>,
    /// Persons with more than one account.
    pub persons: Vec<Person>,
    /// Declarations of one person that nothing corroborates.
    pub weak_links: Vec<WeakLink>,
    /// Dense seller-buyer blocks.
    pub blocks: Vec<Block>,
    /// Counts.
    pub summary: ScanSummary,
    /// The tier of every node ([`ScanResult::tiers_for`]).
    #[serde(skip)]
    pub(crate) tiers: Vec<RiskTier>,
    /// The person label of every node ([`ScanResult::person_of_for`]).
    #[serde(skip)]
    pub(crate) person_of: Vec<u32>,
    /// The graph the scan ran on: `tiers` and `person_of` are indexed by its
    /// nodes (see [`ScanResult::check_graph`]).
    #[serde(skip)]
    pub graph: GraphStamp,
}

impl ScanResult {
    /// Refuses a graph other than the one this scan ran on, whose node
    /// numbers would read this scan's tiers for other accounts.
    pub fn check_graph(&self, graph: &Graph) -> Result<(), GraphError> {
        let stamp = graph.stamp();
        if stamp == self.graph {
            return Ok(());
        }
        Err(GraphError::OtherGraph {
            scanned_accounts: self.graph.accounts,
            scanned_edges: self.graph.edges,
            accounts: stamp.accounts,
            edges: stamp.edges,
        })
    }

    /// The tier of every node of `graph`, indexed by node, once
    /// [`ScanResult::check_graph`] has found it the graph this scan ran on.
    pub fn tiers_for(&self, graph: &Graph) -> Result<&[RiskTier], GraphError> {
        self.check_graph(graph)?;
        Ok(&self.tiers)
    }

    /// The person label of every node of `graph` (the smallest node of its
    /// person), indexed by node, once [`ScanResult::check_graph`] has found
    /// it the graph this scan ran on.
    pub fn person_of_for(&self, graph: &Graph) -> Result<&[u32], GraphError> {
        self.check_graph(graph)?;
        Ok(&self.person_of)
    }
}

/// Why an account is a seed.
#[derive(Clone, Debug)]
struct Seed {
    weight: f64,
    confirmed: bool,
    reasons: Vec<Reason>,
}

/// Runs the whole scan. `evidence` holds content hits gathered while loading
/// ([`crate::load_events`]); `matcher`, when given, is also applied to every
/// account's handle and bio.
pub fn scan(
    graph: &Graph,
    evidence: &Evidence,
    matcher: Option<&Matcher>,
    config: &ScanConfig,
) -> Result<ScanResult, GraphError> {
    config.validate()?;
    let n = graph.len();
    let mut clock = Instant::now();
    let mut lap = || {
        let s = clock.elapsed().as_secs_f64();
        clock = Instant::now();
        s
    };
    let mut seconds = Timings::default();
    let persons = link_identities(graph, &config.identity);
    seconds.identity = lap();
    let seeds = seeds(graph, evidence, matcher, &persons, config);
    seconds.seeds = lap();
    // Propagation: ranks accounts by closeness to the seeds. It never makes an
    // account suspected; it only names candidates for review.
    let propagation = propagate(graph, &seeds, config);
    let mut summary = ScanSummary {
        accounts: n,
        edges: graph.edges(),
        seeds: seeds.len(),
        ppr_pushes: propagation.pushes,
        conductance: propagation.conductance,
        ..Default::default()
    };
    seconds.propagation = lap();
    // Behavioural patterns and direct evidence, to a fixed point.
    let coded: Vec<bool> = (0..n as Node)
        .map(|v| {
            evidence.text.get(&v).is_some_and(|hits| {
                hits.iter().any(|h| matches!(h.surface, Surface::Search | Surface::Comment))
            })
        })
        .collect();
    let patterns = patterns(graph, &seeds, &persons, &coded, config);
    seconds.patterns = lap();
    let tiers = assign_tiers(graph, &seeds, &patterns, &propagation, &coded, config);
    let tiers_seconds = lap();
    let communities = communities(graph, &tiers, config);
    seconds.communities = lap();
    let mut accounts = account_reasons(&ReasonInputs {
        graph,
        evidence,
        config,
        tiers: &tiers.tiers,
        flagged: &tiers.flagged,
        score: &propagation.score,
        seeds: &seeds,
        patterns: &patterns.reasons,
        candidates: &tiers.candidate_reasons,
        network_of: &communities.network_of,
        block_of: &communities.block_of,
    });
    accounts.sort_by(|a, b| {
        b.tier.cmp(&a.tier).then(b.score.total_cmp(&a.score)).then(a.node.cmp(&b.node))
    });
    let count = |tier| tiers.tiers.iter().filter(|&&t| t == tier).count();
    summary.confirmed = count(RiskTier::Confirmed);
    summary.suspected = count(RiskTier::Suspected);
    summary.exposed = count(RiskTier::Exposed);
    summary.candidates = count(RiskTier::Candidate);

    let persons_out = person_list(graph, &persons);
    seconds.reasons = tiers_seconds + lap();
    summary.seconds = seconds;
    Ok(ScanResult {
        accounts,
        networks: communities.networks,
        persons: persons_out,
        weak_links: weak_declarations(graph, &persons),
        blocks: communities.blocks,
        summary,
        tiers: tiers.tiers,
        person_of: persons.person,
        graph: graph.stamp(),
    })
}

/// The seeds phase: enforcement, hash matches and ban evasion (confirmed),
/// and lexicon hits in profiles, captions and hashtags (weighted, not confirmed).
fn seeds(
    graph: &Graph,
    evidence: &Evidence,
    matcher: Option<&Matcher>,
    persons: &Persons,
    config: &ScanConfig,
) -> FxHashMap<Node, Seed> {
    let mut seeds: FxHashMap<Node, Seed> = FxHashMap::default();
    let mut seed = |v: Node, weight: f64, confirmed: bool, reason: Reason| {
        let s =
            seeds.entry(v).or_insert(Seed { weight: 0.0, confirmed: false, reasons: Vec::new() });
        s.weight = s.weight.max(weight);
        s.confirmed |= confirmed;
        s.reasons.push(reason);
    };
    // Confirmed: enforcement and hash matches.
    for (v, acc) in graph.accounts().iter().enumerate() {
        if let Some(e) = acc.enforcement.as_ref().filter(|e| e.is_child_safety()) {
            seed(v as Node, 1.0, true, Reason::Enforcement { action: e.action, at: e.at });
        }
    }
    for (&v, hits) in &evidence.hashes {
        let h = &hits[0];
        seed(
            v,
            1.0,
            true,
            Reason::HashMatch {
                post: h.post.clone(),
                bank: h.bank.clone(),
                hash_kind: h.kind.clone(),
                distance: h.distance,
                more: hits.len() - 1,
            },
        );
    }
    // Ban evasion: the person of a banned account came back.
    let evasion = ban_evasion(graph, persons);
    for (v, reason) in evasion {
        seed(v, 1.0, true, reason);
    }
    // Lexicon: profile now, content gathered while loading.
    let profile_hits: Vec<(Node, Reason)> = match matcher {
        Some(m) => graph
            .accounts()
            .iter()
            .enumerate()
            .flat_map(|(v, acc)| {
                let mut out = Vec::new();
                if let Some(h) = text_hit(m, &acc.handle, Surface::Handle, None) {
                    out.push((v as Node, lexicon_reason(&h, Some(&acc.handle))));
                }
                if let Some(bio) = &acc.bio {
                    if let Some(h) = text_hit(m, bio, Surface::Bio, None) {
                        out.push((v as Node, lexicon_reason(&h, None)));
                    }
                }
                out
            })
            .collect(),
        None => Vec::new(),
    };
    for (v, reason) in profile_hits {
        seed(v, config.lexicon_seed_weight, false, reason);
    }
    for (&v, hits) in &evidence.text {
        for h in hits.iter().filter(|h| matches!(h.surface, Surface::Caption | Surface::Hashtag)) {
            seed(v, config.lexicon_seed_weight, false, lexicon_reason(h, None));
        }
    }
    seeds
}

/// The tiers phase's result.
struct Tiers {
    /// The tier of every node.
    tiers: Vec<RiskTier>,
    /// The flagged nodes (confirmed and suspected), in node order.
    flagged: Vec<Node>,
    /// Why each candidate is one.
    candidate_reasons: FxHashMap<Node, Reason>,
}

/// The tiers phase: confirmed seeds, suspected from the fixed point, exposed
/// neighbours of flagged accounts, and candidates for review.
fn assign_tiers(
    graph: &Graph,
    seeds: &FxHashMap<Node, Seed>,
    patterns: &Patterns,
    propagation: &Propagation,
    coded: &[bool],
    config: &ScanConfig,
) -> Tiers {
    let n = graph.len();
    let inside = &patterns.inside;
    // Tiers.
    let mut tiers = vec![RiskTier::Clear; n];
    for (tier, &flag) in tiers.iter_mut().zip(inside) {
        if flag {
            *tier = RiskTier::Suspected;
        }
    }
    for (&v, s) in seeds {
        if s.confirmed {
            tiers[v as usize] = RiskTier::Confirmed;
        }
    }
    let flagged: Vec<Node> = (0..n as Node).filter(|&v| tiers[v as usize].is_flagged()).collect();
    for &v in &flagged {
        for (cols, _) in [graph.out_edges(v), graph.in_edges(v)] {
            for &u in cols {
                if tiers[u as usize] == RiskTier::Clear {
                    tiers[u as usize] = RiskTier::Exposed;
                }
            }
        }
    }
    // Candidates: near the seeds by proximity, with behavioural evidence that
    // is nominally significant but does not survive the false-discovery
    // control. A reviewer's case, not a flag.
    let mut candidate_reasons: FxHashMap<Node, Reason> = FxHashMap::default();
    {
        // The fixed point's last round tested every account outside the
        // final set already; only if the rounds ran out is it tested again.
        let rerun;
        let tests = match &patterns.last_tests {
            Some(tests) => tests,
            None => {
                rerun = behaviour_tests(graph, inside, coded).0;
                &rerun
            }
        };
        for b in tests {
            let v = b.node as usize;
            if propagation.near[v] && b.p_value < config.candidate_alpha {
                tiers[v] = RiskTier::Candidate;
                candidate_reasons.insert(
                    b.node,
                    Reason::Candidate { channels: channel_counts(b), p_value: b.p_value },
                );
            }
        }
    }
    Tiers { tiers, flagged, candidate_reasons }
}

/// The communities phase's result.
struct Communities {
    networks: Vec<Network>,
    blocks: Vec<Block>,
    /// The network (1-based) of each flagged node in one.
    network_of: FxHashMap<Node, usize>,
    /// The first dense block (1-based) of each node in one.
    block_of: FxHashMap<Node, usize>,
}

/// The communities phase: Louvain networks and dense seller-buyer blocks
/// among the flagged accounts.
fn communities(graph: &Graph, tiers: &Tiers, config: &ScanConfig) -> Communities {
    let (flagged, tiers) = (&tiers.flagged, &tiers.tiers);
    // Networks and dense blocks.
    let table = config.ppr.weights.table();
    let local = LocalGraph::induced(graph, flagged, &table);
    let (membership, _) = louvain(&local);
    let mut by_community: FxHashMap<u32, Vec<Node>> = FxHashMap::default();
    for (i, &c) in membership.iter().enumerate() {
        by_community.entry(c).or_default().push(flagged[i]);
    }
    let mut communities: Vec<Vec<Node>> =
        by_community.into_values().filter(|m| m.len() >= config.min_network_size).collect();
    communities.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    let mut network_of: FxHashMap<Node, usize> = FxHashMap::default();
    let networks: Vec<Network> = communities
        .iter()
        .enumerate()
        .map(|(i, members)| {
            for &v in members {
                network_of.insert(v, i + 1);
            }
            Network {
                id: i + 1,
                accounts: members
                    .iter()
                    .map(|&v| graph.account(v).id.as_str().to_owned())
                    .collect(),
                confirmed: members
                    .iter()
                    .filter(|&&v| tiers[v as usize] == RiskTier::Confirmed)
                    .count(),
            }
        })
        .collect();
    let mut block_of: FxHashMap<Node, usize> = FxHashMap::default();
    let blocks: Vec<Block> = dense_blocks(graph, flagged, config.max_blocks, config.min_block_size)
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            for &v in &b.nodes {
                block_of.entry(v).or_insert(i + 1);
            }
            Block {
                id: i + 1,
                accounts: b
                    .nodes
                    .iter()
                    .map(|&v| graph.account(v).id.as_str().to_owned())
                    .collect(),
                followers: b.followers,
                followed: b.followed,
                density: b.density,
            }
        })
        .collect();
    Communities { networks, blocks, network_of, block_of }
}

/// What the reasons phase reads: everything the earlier phases found.
struct ReasonInputs<'a> {
    graph: &'a Graph,
    evidence: &'a Evidence,
    config: &'a ScanConfig,
    tiers: &'a [RiskTier],
    flagged: &'a [Node],
    score: &'a [f64],
    seeds: &'a FxHashMap<Node, Seed>,
    patterns: &'a FxHashMap<Node, Vec<Reason>>,
    candidates: &'a FxHashMap<Node, Reason>,
    network_of: &'a FxHashMap<Node, usize>,
    block_of: &'a FxHashMap<Node, usize>,
}

/// The reasons phase: every account that is not clear, with its reasons
/// (in node order; the caller sorts).
fn account_reasons(input: &ReasonInputs<'_>) -> Vec<AccountRisk> {
    let &ReasonInputs { graph, evidence, config, tiers, flagged, score, seeds, .. } = input;
    let n = graph.len();
    // Up to `reason_examples` interactions of `v` with accounts `pick` selects,
    // both ways ("follows+liked @x" / "@x follows it").
    let ties_to = |v: Node, pick: &dyn Fn(Node) -> bool| -> Vec<Tie> {
        let mut out = Vec::new();
        for (outgoing, (cols, kinds)) in [(true, graph.out_edges(v)), (false, graph.in_edges(v))] {
            for (&u, &k) in cols.iter().zip(kinds) {
                if out.len() < config.reason_examples && pick(u) {
                    out.push(Tie {
                        account: account_ref(graph, u),
                        kinds: Kinds(k).interactions(),
                        outgoing,
                    });
                }
            }
        }
        out
    };
    let confirmed = |v: Node| tiers[v as usize] == RiskTier::Confirmed;
    let path = paths_from(graph, flagged, tiers);
    // Accounts that follow a confirmed account: a flagged account followed by
    // several of them shares its audience with the confirmed ones.
    let mut follows_confirmed = vec![false; n];
    for v in (0..n as Node).filter(|&v| confirmed(v)) {
        let (cols, kinds) = graph.in_edges(v);
        for (&u, &k) in cols.iter().zip(kinds) {
            if Kinds(k).contains(Kinds::FOLLOW) {
                follows_confirmed[u as usize] = true;
            }
        }
    }
    let mut accounts: Vec<AccountRisk> = Vec::new();
    for v in 0..n as Node {
        let tier = tiers[v as usize];
        if tier == RiskTier::Clear {
            continue;
        }
        let mut reasons = Vec::new();
        if let Some(s) = seeds.get(&v) {
            reasons.extend(s.reasons.iter().cloned());
        }
        if tier.is_flagged() {
            if let Some(p) = input.patterns.get(&v) {
                reasons.extend(p.iter().cloned());
            }
            let direct = ties_to(v, &confirmed);
            if !direct.is_empty() && !confirmed(v) {
                reasons.push(Reason::NextToConfirmed { ties: direct });
            } else if !confirmed(v) {
                if let Some(r) = path_to_confirmed(graph, &path, v) {
                    reasons.push(r);
                }
            }
            let (cols, kinds) = graph.in_edges(v);
            let (mut shared, mut followers) = (0, 0);
            for (&u, &k) in cols.iter().zip(kinds) {
                if Kinds(k).contains(Kinds::FOLLOW) {
                    followers += 1;
                    shared += usize::from(follows_confirmed[u as usize] && u != v);
                }
            }
            if shared >= config.min_shared_followers && !confirmed(v) {
                reasons.push(Reason::SharedFollowers { shared, followers });
            }
            if score[v as usize] > 0.0 && !seeds.contains_key(&v) {
                reasons.push(Reason::RiskPropagation { lift: score[v as usize] });
            }
            let reports = graph.account(v).reports_of(ReportCategory::ChildSafety);
            if reports > 0 {
                reasons.push(Reason::Reports { count: reports });
            }
            let (network, block) =
                (input.network_of.get(&v).copied(), input.block_of.get(&v).copied());
            if network.is_some() || block.is_some() {
                reasons.push(Reason::MemberOf { network, block });
            }
        } else {
            if let Some(r) = input.candidates.get(&v) {
                reasons.push(r.clone());
            }
            // Exposed or candidate: say what it touched.
            let touched = ties_to(v, &|u| tiers[u as usize].is_flagged());
            reasons.push(Reason::TouchedNetwork { ties: touched });
        }
        if let Some(hits) = evidence.text.get(&v) {
            for h in hits
                .iter()
                .filter(|h| matches!(h.surface, Surface::Search | Surface::Comment))
                .take(config.reason_examples)
            {
                reasons.push(lexicon_reason(h, None));
            }
        }
        accounts.push(AccountRisk {
            id: graph.account(v).id.as_str().to_owned(),
            node: v,
            tier,
            score: score[v as usize],
            reasons,
        });
    }
    accounts
}

/// An account as reasons name it: its id, and its handle if it has one.
fn account_ref(graph: &Graph, v: Node) -> NamedAccount {
    let a = graph.account(v);
    NamedAccount::new(a.id.as_str(), &a.handle)
}

/// A lexicon hit as a reason; `handle` is the account's, for a hit in it.
fn lexicon_reason(h: &TextHit, handle: Option<&str>) -> Reason {
    Reason::LexiconHit {
        surface: h.surface,
        matched: h.matched.clone(),
        terms: h.terms.clone(),
        // Hits below `strong` are never kept (see `TextHit::level`).
        level: match h.level {
            Level::Block => Severity::Block,
            Level::Strong => Severity::Strong,
            Level::Weak | Level::Allow => Severity::Weak,
        },
        span: h.span,
        source: h.source.clone(),
        handle: handle.map(str::to_owned),
    }
}

/// One step of a shortest path towards a confirmed account: the next
/// account, the interactions between the two, and whether they go from this
/// account to the next.
#[derive(Clone, Copy)]
struct Step {
    next: Node,
    kinds: Kinds,
    outgoing: bool,
}

/// Breadth-first search from every confirmed account through the flagged
/// accounts, by follows, likes and comments either way (views are not ties):
/// for every flagged account reached, its first step back towards the
/// nearest confirmed account.
fn paths_from(graph: &Graph, flagged: &[Node], tiers: &[RiskTier]) -> FxHashMap<Node, Step> {
    let mut step: FxHashMap<Node, Step> = FxHashMap::default();
    let confirmed = |v: Node| tiers[v as usize] == RiskTier::Confirmed;
    let mut queue: VecDeque<Node> = flagged.iter().copied().filter(|&v| confirmed(v)).collect();
    while let Some(v) = queue.pop_front() {
        // u -> v edges are u's outgoing; v -> u edges are u's incoming.
        for (u_outgoing, (cols, kinds)) in [(true, graph.in_edges(v)), (false, graph.out_edges(v))]
        {
            for (&u, &k) in cols.iter().zip(kinds) {
                let kinds = Kinds(k & !Kinds::VIEW.0);
                // Confirmed accounts are the sources; others are reached once.
                if kinds == Kinds::NONE
                    || !tiers[u as usize].is_flagged()
                    || confirmed(u)
                    || step.contains_key(&u)
                {
                    continue;
                }
                step.insert(u, Step { next: v, kinds, outgoing: u_outgoing });
                queue.push_back(u);
            }
        }
    }
    step
}

/// "path to confirmed X: A follows B; C liked B; ..." for an account two or
/// more steps from the nearest confirmed account.
fn path_to_confirmed(graph: &Graph, path: &FxHashMap<Node, Step>, v: Node) -> Option<Reason> {
    let mut steps = Vec::new();
    let mut at = v;
    while let Some(s) = path.get(&at) {
        let (from, to) = if s.outgoing { (at, s.next) } else { (s.next, at) };
        steps.push(PathStep {
            from: account_ref(graph, from),
            kinds: s.kinds.interactions(),
            to: account_ref(graph, to),
        });
        // Steps lead to accounts found earlier, so this ends at a confirmed one.
        at = s.next;
    }
    (!steps.is_empty())
        .then(|| Reason::PathToConfirmed { confirmed: account_ref(graph, at), steps })
}

/// What propagation found: every account's lift, and the accounts the sweep
/// cut placed near the seeds.
struct Propagation {
    score: Vec<f64>,
    near: Vec<bool>,
    pushes: usize,
    conductance: f64,
}

/// Personalised PageRank from the seeds (local push), degree-normalised, and
/// the sweep cut, repeated from the set found until it stops growing. Only
/// ranks: the set is where candidates for review may come from.
fn propagate(graph: &Graph, seeds: &FxHashMap<Node, Seed>, config: &ScanConfig) -> Propagation {
    let n = graph.len();
    let mut out =
        Propagation { score: vec![0.0; n], near: vec![false; n], pushes: 0, conductance: 0.0 };
    if seeds.is_empty() {
        return out;
    }
    let mut seed_list: Vec<(Node, f64)> = seeds.iter().map(|(&v, s)| (v, s.weight)).collect();
    seed_list.sort_unstable_by_key(|&(v, _)| v);
    let mut size = seed_list.len();
    let degree = weighted_degrees(graph, &config.ppr.weights.table());
    let volume: f64 = degree.iter().sum();
    let epsilon = config.push_precision / volume.max(1.0);
    for round in 0..=config.expansion_rounds {
        let ppr = ppr_push(graph, &degree, &seed_list, &config.ppr, epsilon);
        let sweep = sweep_cut(
            graph,
            &ppr,
            &config.ppr.weights,
            size,
            config.max_volume_share,
            config.min_lift,
        );
        for (v, s) in out.score.iter_mut().enumerate() {
            *s = ppr.normalised(v as Node) * volume;
        }
        out.pushes = ppr.iterations;
        out.conductance = sweep.conductance;
        let grew = sweep.size > size || round == 0;
        for &v in &sweep.order[..sweep.size] {
            out.near[v as usize] = true;
        }
        size = size.max(sweep.size);
        if !grew {
            break;
        }
        seed_list = (0..n as Node).filter(|&v| out.near[v as usize]).map(|v| (v, 1.0)).collect();
    }
    for &v in seeds.keys() {
        out.near[v as usize] = true;
    }
    out
}

/// The set of flagged accounts and why each pattern member is in it.
struct Patterns {
    inside: Vec<bool>,
    reasons: FxHashMap<Node, Vec<Reason>>,
    /// The behaviour tests of the round that added nothing (against the
    /// final set), or `None` when the rounds ran out first.
    last_tests: Option<Vec<Behaviour>>,
}

/// Every channel of a behaviour test, in the order its reason lists them
/// ("follows, likes or comments on 3 flagged accounts among its 12 (chance
/// 0.09); viewed 2 more ...; its own searches or comments use coded terms
/// (1.20% of other accounts' do): p = 3.1e-6").
fn channel_counts(b: &Behaviour) -> Vec<ChannelCount> {
    [
        (Channel::TiesOut, &b.ties_out),
        (Channel::ViewsOut, &b.views_out),
        (Channel::TiesIn, &b.ties_in),
        (Channel::Depth, &b.depth),
        (Channel::Coded, &b.coded),
    ]
    .into_iter()
    .map(|(channel, c)| ChannelCount {
        channel,
        count: c.count,
        degree: c.degree,
        expected: c.expected,
    })
    .collect()
}

/// The fixed point of the behaviour and hashtag tests, from the seeds
/// (confirmed accounts and direct evidence). Each round tests every account
/// outside the set, keeps those that survive the Benjamini-Hochberg
/// false-discovery control at `config.fdr` over all accounts outside the set,
/// adds them, and adds every other account of a person with an account in
/// the set; rounds stop when none is added.
fn patterns(
    graph: &Graph,
    seeds: &FxHashMap<Node, Seed>,
    persons: &Persons,
    coded: &[bool],
    config: &ScanConfig,
) -> Patterns {
    let n = graph.len();
    let mut inside = vec![false; n];
    for &v in seeds.keys() {
        inside[v as usize] = true;
    }
    let mut reasons: FxHashMap<Node, Vec<Reason>> = FxHashMap::default();
    let hashtags = Hashtags::new(graph);
    let mut members: FxHashMap<u32, Vec<Node>> = FxHashMap::default();
    for (v, &p) in persons.person.iter().enumerate() {
        members.entry(p).or_default().push(v as Node);
    }
    members.retain(|_, m| m.len() > 1);
    let mut last_tests = None;
    for _ in 0..config.pattern_rounds.max(1) {
        let mut added = 0;
        // Persons: every account of a person in the set is in the set.
        let mut person_adds = Vec::new();
        for group in members.values() {
            if let Some(&known) = group.iter().find(|&&v| inside[v as usize]) {
                for &v in group.iter().filter(|&&v| !inside[v as usize]) {
                    person_adds.push((v, known));
                }
            }
        }
        person_adds.sort_unstable();
        for (v, known) in person_adds {
            let banned =
                graph.account(known).enforcement.as_ref().is_some_and(|e| e.is_child_safety());
            reasons
                .entry(v)
                .or_default()
                .push(Reason::SamePerson { account: account_ref(graph, known), banned });
            inside[v as usize] = true;
            added += 1;
        }
        let (tests, _) = behaviour_tests(graph, &inside, coded);
        let set = set_hashtags(&hashtags, &inside, config.hashtag_share, config.pattern_alpha);
        let tag_tests = hashtag_hits(&hashtags, &inside, &set, 1.0);
        let mut tag_of: FxHashMap<Node, PatternHit> = FxHashMap::default();
        for h in tag_tests {
            tag_of.insert(h.node, h);
        }
        // One p-value per account: the smaller of the two tests, doubled
        // (Bonferroni) when the account has both.
        let mut candidates: Vec<(f64, Node, Option<Behaviour>, Option<PatternHit>)> = Vec::new();
        for &b in &tests {
            let tag = tag_of.remove(&b.node);
            let p = match &tag {
                Some(t) => (2.0 * b.p_value.min(t.p_value)).min(1.0),
                None => b.p_value,
            };
            candidates.push((p, b.node, Some(b), tag));
        }
        for (v, t) in tag_of {
            candidates.push((t.p_value, v, None, Some(t)));
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let outside = inside.iter().filter(|&&f| !f).count();
        let p_values: Vec<f64> = candidates.iter().map(|c| c.0).collect();
        let accepted = benjamini_hochberg(&p_values, outside, config.fdr);
        for (_, v, behaviour, tag) in candidates.into_iter().take(accepted) {
            let list = reasons.entry(v).or_default();
            if let Some(b) = behaviour.filter(|b| b.p_value < 1.0) {
                list.push(Reason::Behaviour { channels: channel_counts(&b), p_value: b.p_value });
            }
            if let Some(h) = tag.filter(|t| t.count >= config.min_hashtags_shown) {
                let used: Vec<HashtagUse> = hashtags
                    .of(h.node)
                    .iter()
                    .filter_map(|&f| set.binary_search_by_key(&f, |s| s.family).ok())
                    .take(config.reason_examples)
                    .map(|i| {
                        let s = &set[i];
                        HashtagUse {
                            tag: graph.hashtag(hashtags.spelling(s.family)).to_owned(),
                            spellings: hashtags.spellings(s.family),
                            flagged: s.inside,
                            users: s.users,
                        }
                    })
                    .collect();
                list.push(Reason::Hashtags {
                    count: h.count,
                    degree: h.degree,
                    expected: h.expected,
                    p_value: h.p_value,
                    hashtags: used,
                });
            }
            inside[v as usize] = true;
            added += 1;
        }
        if added == 0 {
            last_tests = Some(tests);
            break;
        }
    }
    Patterns { inside, reasons, last_tests }
}

/// Accounts whose person has a child-safety ban and that were first seen at
/// or after it, with the reason.
fn ban_evasion(graph: &Graph, persons: &Persons) -> Vec<(Node, Reason)> {
    let mut banned: FxHashMap<u32, Vec<Node>> = FxHashMap::default();
    for (v, acc) in graph.accounts().iter().enumerate() {
        if acc.enforcement.as_ref().is_some_and(|e| e.is_child_safety()) {
            banned.entry(persons.person[v]).or_default().push(v as Node);
        }
    }
    let mut out = Vec::new();
    for (v, acc) in graph.accounts().iter().enumerate() {
        let Some(olds) = banned.get(&persons.person[v]) else { continue };
        for &old in olds {
            let Some(e) = &graph.account(old).enforcement else { continue };
            if old != v as Node && acc.first_seen >= e.at {
                out.push((
                    v as Node,
                    Reason::BanEvasion {
                        banned: graph.account(old).id.as_str().to_owned(),
                        banned_at: e.at,
                        evidence: link_path_evidence(persons, old, v as Node),
                    },
                ));
                break;
            }
        }
    }
    out
}

/// The evidence of the direct link between two accounts, if there is one.
fn link_path_evidence(persons: &Persons, a: Node, b: Node) -> Vec<IdentityEvidence> {
    let (a, b) = (a.min(b), a.max(b));
    persons
        .links
        .iter()
        .find(|l| l.a == a && l.b == b)
        .map(|l| l.evidence.clone())
        .unwrap_or_default()
}

/// The weak links whose evidence includes a same-person declaration, between
/// accounts of different persons.
fn weak_declarations(graph: &Graph, persons: &Persons) -> Vec<WeakLink> {
    persons
        .weak_links
        .iter()
        .filter(|l| persons.person[l.a as usize] != persons.person[l.b as usize])
        .filter(|l| {
            l.evidence.iter().any(|e| {
                matches!(
                    e,
                    crate::identity::LinkEvidence::BioMention { same_person_words: true, .. }
                )
            })
        })
        .map(|l| WeakLink {
            accounts: [l.a, l.b].map(|v| graph.account(v).id.as_str().to_owned()),
            strength: l.strength,
            evidence: l.evidence.clone(),
        })
        .collect()
}

fn person_list(graph: &Graph, persons: &Persons) -> Vec<Person> {
    let mut links_of: FxHashMap<u32, Vec<PersonEvidence>> = FxHashMap::default();
    for l in &persons.links {
        let p = persons.person[l.a as usize];
        links_of.entry(p).or_default().push(PersonEvidence::Link {
            accounts: [l.a, l.b].map(|v| graph.account(v).id.as_str().to_owned()),
            strength: l.strength,
            evidence: l.evidence.clone(),
        });
    }
    persons
        .groups()
        .into_iter()
        .enumerate()
        .map(|(i, members)| Person {
            id: i + 1,
            accounts: members.iter().map(|&v| graph.account(v).id.as_str().to_owned()).collect(),
            evidence: links_of.remove(&persons.person[members[0] as usize]).unwrap_or_default(),
        })
        .collect()
}
