//! A reference recommender of the kind the investigation describes:
//! "suggested for you" from co-follow collaborative filtering (accounts
//! followed by those who follow, or interacted with, what you follow or
//! viewed), what the accounts you follow interact with, and hashtag co-use.
//!
//! It is a baseline to audit, not a product: it is good at linking people who
//! share a niche interest, which is exactly how it links an abusive network
//! too when nothing guards it. Scores are damped by the square root of the
//! candidate's follower count (a cosine-style similarity), so a niche's own
//! accounts win over the platform's most popular ones.
//!
//! It learns from a [`Graph`], restricted to the accounts a predicate lets it
//! learn from: `Recommender::new(graph, |v| !flagged[v])` learns exactly what
//! it would learn from the event stream after [`crate::Hygiene`] dropped every
//! interaction with or by a flagged account and their posts.

use guardrail_graph::{Graph, Kinds, Node};
use rustc_hash::FxHashMap;

/// Knobs of the reference recommender.
#[derive(Clone, Debug)]
pub struct RecommenderConfig {
    /// Followers of a seed account sampled for co-follows.
    pub followers_per_seed: usize,
    /// Follows of a co-follower counted.
    pub follows_per_follower: usize,
    /// Users of a hashtag counted.
    pub users_per_hashtag: usize,
    /// Weight of what followed accounts interact with.
    pub friend_weight: f32,
    /// Weight of hashtag co-use.
    pub hashtag_weight: f32,
    /// Accounts kept for cold start (by follower count).
    pub popular: usize,
    /// Scores are divided by (followers + 1) to this power: 0.5 is cosine
    /// similarity, 0 ranks by raw co-occurrence (popular accounts win).
    pub popularity_damping: f32,
}

impl Default for RecommenderConfig {
    fn default() -> RecommenderConfig {
        RecommenderConfig {
            followers_per_seed: 256,
            follows_per_follower: 256,
            users_per_hashtag: 256,
            friend_weight: 1.0,
            hashtag_weight: 0.5,
            popular: 200,
            popularity_damping: 0.5,
        }
    }
}

/// Compressed adjacency lists.
#[derive(Clone, Debug, Default)]
struct Lists {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Lists {
    fn build(n: usize, mut pairs: Vec<(u32, u32)>) -> Lists {
        pairs.sort_unstable();
        pairs.dedup();
        let mut offsets = vec![0u32; n + 1];
        for &(a, _) in &pairs {
            offsets[a as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Lists { offsets, items: pairs.into_iter().map(|(_, b)| b).collect() }
    }

    fn get(&self, v: u32) -> &[u32] {
        let v = v as usize;
        if v + 1 >= self.offsets.len() {
            return &[];
        }
        &self.items[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }
}

/// What a viewer has done, as the recommender sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Accounts followed.
    pub follows: Vec<Node>,
    /// Accounts viewed, liked or commented on (not followed).
    pub interactions: Vec<Node>,
    /// Hashtags used (the graph's hashtag numbers).
    pub hashtags: Vec<u32>,
}

/// Extra interactions of other accounts, not in the graph (for experiments:
/// "what if this account had viewed that one").
pub type Overlay = FxHashMap<Node, Vec<Node>>;

/// Reusable per-thread buffers for [`Recommender::recommend`].
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    acc: Vec<f32>,
    touched: Vec<u32>,
}

/// The reference recommender.
#[derive(Clone, Debug)]
pub struct Recommender {
    n: usize,
    follows: Lists,
    followers: Lists,
    interactions: Lists,
    tags_of: Lists,
    tag_users: Lists,
    popular: Vec<Node>,
    config: RecommenderConfig,
}

impl Recommender {
    /// Learns from `graph`, ignoring every interaction with or by an account
    /// for which `learn` is false, and their hashtag use.
    pub fn new(graph: &Graph, config: RecommenderConfig, learn: impl Fn(Node) -> bool) -> Self {
        let n = graph.len();
        let ok: Vec<bool> = (0..n as u32).map(&learn).collect();
        let mut follows = Vec::new();
        let mut interactions = Vec::new();
        let mut tags = Vec::new();
        for v in 0..n as u32 {
            if !ok[v as usize] {
                continue;
            }
            let (targets, kinds) = graph.out_edges(v);
            for (&t, &k) in targets.iter().zip(kinds) {
                if !ok[t as usize] || t == v {
                    continue;
                }
                let k = Kinds(k);
                if k.contains(Kinds::FOLLOW) {
                    follows.push((v, t));
                } else if !k.is_empty() {
                    interactions.push((v, t));
                }
            }
            for &(tag, _) in graph.hashtags_of(v) {
                tags.push((v, tag));
            }
        }
        let followers = Lists::build(n, follows.iter().map(|&(a, b)| (b, a)).collect());
        let tag_users =
            Lists::build(graph.hashtag_count(), tags.iter().map(|&(a, b)| (b, a)).collect());
        let follows = Lists::build(n, follows);
        let mut popular: Vec<Node> = (0..n as u32).filter(|&v| ok[v as usize]).collect();
        popular.sort_unstable_by_key(|&v| (std::cmp::Reverse(followers.get(v).len()), v));
        popular.truncate(config.popular);
        Recommender {
            n,
            follows,
            followers,
            interactions: Lists::build(n, interactions),
            tags_of: Lists::build(n, tags),
            tag_users,
            popular,
            config,
        }
    }

    /// Accounts known (the graph's).
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether no account is known.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Accounts `v` follows, as learnt.
    pub fn follows_of(&self, v: Node) -> &[Node] {
        self.follows.get(v)
    }

    /// Accounts following `v`, as learnt.
    pub fn followers_of(&self, v: Node) -> &[Node] {
        self.followers.get(v)
    }

    /// What the recommender learnt about an account of the graph.
    pub fn profile(&self, v: Node) -> Profile {
        Profile {
            follows: self.follows.get(v).to_vec(),
            interactions: self.interactions.get(v).to_vec(),
            hashtags: self.tags_of.get(v).to_vec(),
        }
    }

    /// The `n` best suggestions for a viewer with `profile` (`viewer` is its
    /// node when it is in the graph, so that its own edges do not count),
    /// best first. Accounts already followed and the viewer are never
    /// suggested. A viewer with no signal gets the most followed accounts.
    pub fn recommend(
        &self,
        viewer: Option<Node>,
        profile: &Profile,
        overlay: &Overlay,
        n: usize,
        scratch: &mut Scratch,
    ) -> Vec<(Node, f32)> {
        let c = &self.config;
        if scratch.acc.len() < self.n {
            scratch.acc = vec![0.0; self.n];
        }
        let Scratch { acc, touched } = scratch;
        touched.clear();
        let mut add = |t: u32, w: f32| {
            let slot = &mut acc[t as usize];
            if *slot == 0.0 {
                touched.push(t);
            }
            *slot += w;
        };
        // Co-follows: who else follows what the viewer follows or viewed,
        // and what they follow.
        for &s in profile.follows.iter().chain(&profile.interactions) {
            let fol = self.followers.get(s);
            if fol.is_empty() {
                continue;
            }
            let step = fol.len().div_ceil(c.followers_per_seed).max(1);
            let w = step as f32 / (fol.len() as f32).sqrt();
            for &f in fol.iter().step_by(step) {
                if Some(f) == viewer {
                    continue;
                }
                for &t in self.follows.get(f).iter().take(c.follows_per_follower) {
                    add(t, w);
                }
            }
        }
        // What followed accounts interact with (the path by which one view
        // reaches the viewer's followers).
        for &s in &profile.follows {
            let extra = overlay.get(&s).map_or(&[][..], Vec::as_slice);
            let own = self.follows.get(s);
            let other = self.interactions.get(s);
            let total = own.len() + other.len() + extra.len();
            if total == 0 {
                continue;
            }
            let w = c.friend_weight / (total as f32).sqrt();
            for &t in own.iter().chain(other).chain(extra) {
                if Some(t) != viewer {
                    add(t, w);
                }
            }
        }
        // Hashtag co-use.
        for &h in &profile.hashtags {
            let users = self.tag_users.get(h);
            if users.is_empty() {
                continue;
            }
            let step = users.len().div_ceil(c.users_per_hashtag).max(1);
            let w = c.hashtag_weight * step as f32 / (users.len() as f32).sqrt();
            for &t in users.iter().step_by(step) {
                add(t, w);
            }
        }
        let followed = |t: u32| profile.follows.contains(&t) || Some(t) == viewer;
        let mut scored: Vec<(Node, f32)> = touched
            .iter()
            .filter_map(|&t| {
                let s = acc[t as usize];
                acc[t as usize] = 0.0;
                (!followed(t)).then(|| {
                    (t, s / ((self.followers.get(t).len() + 1) as f32).powf(c.popularity_damping))
                })
            })
            .collect();
        let by_score = |a: &(Node, f32), b: &(Node, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > n {
            scored.select_nth_unstable_by(n, by_score);
            scored.truncate(n);
        }
        scored.sort_unstable_by(by_score);
        // Too little signal: fill up with the most followed accounts (cold start).
        for &t in &self.popular {
            if scored.len() >= n {
                break;
            }
            if !followed(t) && !scored.iter().any(|&(s, _)| s == t) {
                scored.push((t, 0.0));
            }
        }
        scored
    }
}
