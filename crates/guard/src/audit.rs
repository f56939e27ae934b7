//! The sock-puppet audit: the researchers' experiment, run on a world
//! against the reference recommender, without and with guardrails.
//!
//! Test accounts are created inside the world. Each views one seller of the
//! planted network and then, round after round, follows the first suggestions
//! it is shown, as the researchers' test accounts did; its suggestions and its
//! feed/explore items are scored after the view and after every round. Benign
//! accounts "briefly view" a seller (a recent interaction) to see whether
//! their followers are then suggested it or any network account. Benign niche members hide one of their follows to see
//! whether the recommender still finds it (recall@10), so that the cost of
//! the guardrails to ordinary communities is measured too.
//!
//! Ground truth only chooses whom the puppets view and scores what they are
//! shown; the guarded side decides from the scan, lexicon and banks alone.

use guardrail_core::Truth;
use guardrail_graph::{Graph, Node};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use crate::decide::{Candidate, DiscoverySurface, Guard};
use crate::recommend::{Overlay, Profile, Recommender, RecommenderConfig, Scratch};
use crate::GuardError;

/// How to run the audit.
#[derive(Clone, Debug, Serialize)]
pub struct AuditConfig {
    /// Sock-puppet accounts (each views one seller).
    pub puppets: usize,
    /// Rounds of following suggestions after the view.
    pub rounds: usize,
    /// Suggestions a puppet follows each round.
    pub follows_per_round: usize,
    /// Suggestions shown (top k).
    pub top: usize,
    /// Feed/explore items shown (top k).
    pub feed_top: usize,
    /// Candidates the guarded side asks the recommender for before the guard
    /// drops some.
    pub candidates: usize,
    /// Benign accounts that briefly view a seller.
    pub viewers: usize,
    /// Followers of each such viewer whose suggestions are checked.
    pub followers_per_viewer: usize,
    /// Benign niche members whose hidden follow the recommender must find.
    pub niche_trials: usize,
    /// Seed of the choices.
    pub seed: u64,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            puppets: 100,
            rounds: 5,
            follows_per_round: 3,
            top: 10,
            feed_top: 20,
            candidates: 50,
            viewers: 100,
            followers_per_viewer: 20,
            niche_trials: 1000,
            seed: 1,
        }
    }
}

/// What one side (unguarded or guarded) showed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metrics {
    /// Share of network accounts in the top suggestions right after the
    /// single view (mean over puppets).
    pub exposure_after_view: f64,
    /// The same after each round of following suggestions.
    pub exposure_by_round: Vec<f64>,
    /// Mean round (0 = right after the view) at which a puppet was first
    /// shown a network account, over the puppets that ever were; `null` when
    /// none was.
    pub rounds_to_first_exposure: Option<f64>,
    /// Share of puppets shown at least one network account in some round.
    pub puppets_exposed: f64,
    /// Share of network posts among the top feed/explore items right after
    /// the single view (mean over puppets).
    pub feed_exposure_after_view: f64,
    /// The same after each round of following suggestions.
    pub feed_exposure_by_round: Vec<f64>,
    /// Share of a viewer's followers whose top suggestions include the
    /// seller the viewer briefly viewed, or any other network account.
    pub follower_contamination: f64,
    /// The same without the view (what the followers were shown anyway).
    pub follower_contamination_without_view: f64,
    /// Share of a viewer's followers whose top suggestions include the very
    /// seller the viewer viewed.
    pub follower_contamination_seller: f64,
    /// Share of hidden same-niche follows of benign niche members found in
    /// their top suggestions.
    pub niche_recall_at_10: f64,
    /// Share of the top suggestions of benign niche members that are from
    /// their own niche (mean over the niche trials).
    pub niche_precision_at_10: f64,
    /// Largest share of network accounts in any round (the guard's target).
    pub worst_round_exposure: f64,
    /// Largest share of network posts in the feed in any round.
    pub worst_round_feed_exposure: f64,
}

/// The audit's result.
#[derive(Clone, Debug, Serialize)]
pub struct AuditReport {
    /// Without guardrails: the recommender learns from everything and shows
    /// its top suggestions.
    pub unguarded: Metrics,
    /// With guardrails: it learns through interaction hygiene and the guard
    /// decides on its candidates.
    pub guarded: Metrics,
    /// What was run.
    pub config: AuditConfig,
    /// Counts behind the figures.
    pub counts: Counts,
}

/// Counts behind the figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    /// Accounts of the planted network in the graph.
    pub network_accounts: usize,
    /// Sellers that can be viewed (not banned).
    pub live_sellers: usize,
    /// Accounts the guard never recommends.
    pub never_recommended: usize,
    /// Follower suggestions checked for contamination.
    pub followers_checked: usize,
    /// Niche trials run.
    pub niche_trials: usize,
}

/// One side of the experiment.
struct Side<'a> {
    graph: &'a Graph,
    rec: &'a Recommender,
    /// Which accounts the recommender learnt from (all, unguarded).
    learn: &'a [bool],
    guard: Option<&'a Guard>,
    top: usize,
    feed_top: usize,
    candidates: usize,
}

impl Side<'_> {
    /// What the viewer is shown.
    fn suggest(
        &self,
        viewer_id: &str,
        viewer: Option<Node>,
        profile: &Profile,
        overlay: &Overlay,
        scratch: &mut Scratch,
    ) -> Vec<Node> {
        let Some(guard) = self.guard else {
            return self
                .rec
                .recommend(viewer, profile, overlay, self.top, scratch)
                .into_iter()
                .map(|(t, _)| t)
                .collect();
        };
        let recs = self.rec.recommend(viewer, profile, overlay, self.candidates, scratch);
        let candidates: Vec<Candidate<'_>> = recs
            .iter()
            .map(|&(t, _)| Candidate::Account((&self.graph.account(t).id).into()))
            .collect();
        let decisions =
            guard.decide(viewer_id.into(), DiscoverySurface::AccountSuggestions, &candidates);
        recs.iter()
            .zip(decisions)
            .filter(|(_, d)| d.allow)
            .map(|(&(t, _), _)| t)
            .take(self.top)
            .collect()
    }

    /// The authors of the feed/explore items the viewer is shown.
    fn feed(
        &self,
        viewer_id: &str,
        viewer: Option<Node>,
        profile: &Profile,
        overlay: &Overlay,
        scratch: &mut Scratch,
    ) -> Vec<Node> {
        let posts_of = |v: Node| self.graph.account(v).posts;
        let Some(guard) = self.guard else {
            return self
                .rec
                .feed(viewer, profile, overlay, &posts_of, self.feed_top, scratch)
                .into_iter()
                .map(|i| i.author)
                .collect();
        };
        let items = self.rec.feed(viewer, profile, overlay, &posts_of, self.feed_top * 3, scratch);
        let candidates: Vec<Candidate<'_>> = items
            .iter()
            .map(|i| Candidate::Post {
                author: (&self.graph.account(i.author).id).into(),
                hashtags: &[],
                caption: None,
            })
            .collect();
        let decisions = guard.decide(viewer_id.into(), DiscoverySurface::Feed, &candidates);
        items
            .iter()
            .zip(decisions)
            .filter(|(_, d)| d.allow)
            .map(|(i, _)| i.author)
            .take(self.feed_top)
            .collect()
    }

    /// The interactions this side learns from.
    fn learnt(&self, targets: &[Node]) -> Vec<Node> {
        targets.iter().copied().filter(|&t| self.learn[t as usize]).collect()
    }
}

/// Runs the audit. `guard` holds the state the engine derived from the
/// events (never from `truth`).
pub fn audit(
    graph: &Graph,
    truth: &Truth,
    guard: &Guard,
    config: &AuditConfig,
) -> Result<AuditReport, GuardError> {
    if config.top == 0 || config.candidates < config.top || config.feed_top == 0 {
        return Err(GuardError::AuditConfig {
            why: "top and feed_top must be at least 1 and candidates at least top",
        });
    }
    let n = graph.len();
    let mut network = vec![false; n];
    let mut sellers = Vec::new();
    for (id, role) in &truth.network {
        if let Some(v) = graph.node(id) {
            network[v as usize] = true;
            if role == "seller" && graph.account(v).enforcement.is_none() {
                sellers.push(v);
            }
        }
    }
    sellers.sort_unstable();
    if sellers.is_empty() {
        return Err(GuardError::NoSellers);
    }
    let everyone = vec![true; n];
    let learn: Vec<bool> =
        graph.accounts().iter().map(|a| !guard.hygiene_flagged(a.id.as_str())).collect();
    let never_recommended =
        graph.accounts().iter().filter(|a| guard.never_recommended(a.id.as_str())).count();
    let (unguarded_rec, guarded_rec) = rayon::join(
        || Recommender::new(graph, RecommenderConfig::default(), |_| true),
        || Recommender::new(graph, RecommenderConfig::default(), |v| learn[v as usize]),
    );
    let unguarded = Side {
        graph,
        rec: &unguarded_rec,
        learn: &everyone,
        guard: None,
        top: config.top,
        feed_top: config.feed_top,
        candidates: config.candidates,
    };
    let guarded = Side {
        graph,
        rec: &guarded_rec,
        learn: &learn,
        guard: Some(guard),
        top: config.top,
        feed_top: config.feed_top,
        candidates: config.candidates,
    };
    let plan = Plan::new(graph, truth, &network, &sellers, &unguarded_rec, config);
    let mut counts = Counts {
        network_accounts: network.iter().filter(|&&b| b).count(),
        live_sellers: sellers.len(),
        never_recommended,
        ..Counts::default()
    };
    let u = run_side(&unguarded, &plan, &network, config, &mut counts);
    let g = run_side(&guarded, &plan, &network, config, &mut counts);
    Ok(AuditReport { unguarded: u, guarded: g, config: config.clone(), counts })
}

/// The experiment's choices, the same for both sides.
struct Plan {
    /// The seller each puppet views.
    puppets: Vec<Node>,
    /// (viewer, seller viewed, followers checked).
    viewers: Vec<(Node, Node, Vec<Node>)>,
    /// (niche member, hidden same-niche follow).
    niche: Vec<(Node, Node)>,
    /// The niche of every benign niche member (`u32::MAX` for others).
    niche_of: Vec<u32>,
}

impl Plan {
    fn new(
        graph: &Graph,
        truth: &Truth,
        network: &[bool],
        sellers: &[Node],
        rec: &Recommender,
        config: &AuditConfig,
    ) -> Plan {
        let mut r = SmallRng::seed_from_u64(config.seed);
        let puppets = (0..config.puppets).map(|_| sellers[r.gen_range(0..sellers.len())]).collect();
        let mut niche_of = vec![u32::MAX; graph.len()];
        let mut members = Vec::new();
        for (i, ids) in truth.niches.values().enumerate() {
            for id in ids {
                if let Some(v) = graph.node(id) {
                    if !network[v as usize] {
                        niche_of[v as usize] = i as u32;
                        members.push(v);
                    }
                }
            }
        }
        members.sort_unstable();
        members.dedup();
        let mut pool = members.clone();
        pool.shuffle(&mut r);
        let viewers = pool
            .iter()
            .filter(|&&v| rec.followers_of(v).len() >= 3)
            .take(config.viewers)
            .map(|&v| {
                let mut f = rec.followers_of(v).to_vec();
                f.shuffle(&mut r);
                f.truncate(config.followers_per_viewer);
                (v, sellers[r.gen_range(0..sellers.len())], f)
            })
            .collect();
        pool.shuffle(&mut r);
        let niche = pool
            .iter()
            .filter_map(|&m| {
                let same: Vec<Node> = rec
                    .follows_of(m)
                    .iter()
                    .copied()
                    .filter(|&t| niche_of[t as usize] == niche_of[m as usize])
                    .collect();
                (same.len() >= 2).then(|| (m, same[r.gen_range(0..same.len())]))
            })
            .take(config.niche_trials)
            .collect();
        Plan { puppets, viewers, niche, niche_of }
    }
}

fn run_side(
    side: &Side<'_>,
    plan: &Plan,
    network: &[bool],
    config: &AuditConfig,
    counts: &mut Counts,
) -> Metrics {
    let share = |shown: &[Node]| {
        shown.iter().filter(|&&t| network[t as usize]).count() as f64 / shown.len().max(1) as f64
    };
    let empty = Overlay::default();
    // Puppets: suggestions and feed after the view and after each round.
    let runs: Vec<(Vec<f64>, Vec<f64>)> = plan
        .puppets
        .par_iter()
        .enumerate()
        .map_init(Scratch::default, |scratch, (i, &seller)| {
            let id = format!("audit-puppet-{i}");
            let mut profile =
                Profile { interactions: side.learnt(&[seller]), ..Profile::default() };
            let mut shares = Vec::with_capacity(config.rounds + 1);
            let mut feed_shares = Vec::with_capacity(config.rounds + 1);
            for round in 0..=config.rounds {
                let shown = side.suggest(&id, None, &profile, &empty, scratch);
                shares.push(share(&shown));
                feed_shares.push(share(&side.feed(&id, None, &profile, &empty, scratch)));
                if round < config.rounds {
                    for t in shown.into_iter().take(config.follows_per_round) {
                        if side.learn[t as usize] {
                            profile.follows.push(t);
                        }
                    }
                }
            }
            (shares, feed_shares)
        })
        .collect();
    let feed_runs: Vec<Vec<f64>> = runs.iter().map(|(_, f)| f.clone()).collect();
    let runs: Vec<Vec<f64>> = runs.into_iter().map(|(s, _)| s).collect();
    let mean_at = |r: usize| runs.iter().map(|s| s[r]).sum::<f64>() / runs.len().max(1) as f64;
    let feed_at =
        |r: usize| feed_runs.iter().map(|s| s[r]).sum::<f64>() / feed_runs.len().max(1) as f64;
    let firsts: Vec<usize> = runs.iter().filter_map(|s| s.iter().position(|&x| x > 0.0)).collect();
    // Followers of a viewer who briefly viewed a seller.
    let (hits, hits_without, hits_seller, checked) = plan
        .viewers
        .par_iter()
        .map_init(Scratch::default, |scratch, (viewer, seller, followers)| {
            let mut overlay = Overlay::default();
            if side.learn[*viewer as usize] && side.learn[*seller as usize] {
                overlay.insert(*viewer, vec![*seller]);
            }
            let any_network = |shown: &[Node]| shown.iter().any(|&t| network[t as usize]);
            let (mut hit, mut hit_without, mut hit_seller) = (0usize, 0usize, 0usize);
            for &f in followers {
                let id = side.graph.account(f).id.as_str();
                let profile = side.rec.profile(f);
                let shown = side.suggest(id, Some(f), &profile, &overlay, scratch);
                hit += usize::from(any_network(&shown));
                hit_seller += usize::from(shown.contains(seller));
                let shown = side.suggest(id, Some(f), &profile, &empty, scratch);
                hit_without += usize::from(any_network(&shown));
            }
            (hit, hit_without, hit_seller, followers.len())
        })
        .reduce(|| (0, 0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3));
    counts.followers_checked = checked;
    // Niche recall: hide one same-niche follow and see whether it comes
    // back; precision: the share of the suggestions from the member's niche.
    let (found, same_niche): (usize, f64) = plan
        .niche
        .par_iter()
        .map_init(Scratch::default, |scratch, &(m, hidden)| {
            let mut profile = side.rec.profile(m);
            profile.follows.retain(|&t| t != hidden);
            profile.interactions.retain(|&t| t != hidden);
            let id = side.graph.account(m).id.as_str();
            let shown = side.suggest(id, Some(m), &profile, &empty, scratch);
            let niche = plan.niche_of[m as usize];
            let same = shown.iter().filter(|&&t| plan.niche_of[t as usize] == niche).count();
            (usize::from(shown.contains(&hidden)), same as f64 / shown.len().max(1) as f64)
        })
        .reduce(|| (0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    counts.niche_trials = plan.niche.len();
    let by_round: Vec<f64> = (1..=config.rounds).map(mean_at).collect();
    let after_view = mean_at(0);
    let feed_by_round: Vec<f64> = (1..=config.rounds).map(feed_at).collect();
    let feed_after_view = feed_at(0);
    let trials = plan.niche.len().max(1) as f64;
    Metrics {
        exposure_after_view: after_view,
        worst_round_exposure: by_round.iter().copied().fold(after_view, f64::max),
        exposure_by_round: by_round,
        feed_exposure_after_view: feed_after_view,
        worst_round_feed_exposure: feed_by_round.iter().copied().fold(feed_after_view, f64::max),
        feed_exposure_by_round: feed_by_round,
        follower_contamination_seller: hits_seller as f64 / checked.max(1) as f64,
        niche_precision_at_10: same_niche / trials,
        rounds_to_first_exposure: (!firsts.is_empty())
            .then(|| firsts.iter().sum::<usize>() as f64 / firsts.len() as f64),
        puppets_exposed: firsts.len() as f64 / runs.len().max(1) as f64,
        follower_contamination: hits as f64 / checked.max(1) as f64,
        follower_contamination_without_view: hits_without as f64 / checked.max(1) as f64,
        niche_recall_at_10: found as f64 / trials,
    }
}
