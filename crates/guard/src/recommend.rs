//! A reference recommender of the kind the investigation describes:
//! "suggested for you" from co-follow collaborative filtering (accounts
//! followed by those who follow, or interacted with, what you follow or
//! viewed), what the accounts you follow interact with, and hashtag co-use;
//! "people you follow recently engaged with X" from recent activity; and a
//! feed/explore ranker over the posts of followed and similar accounts.
//!
//! Recent activity ([`Overlay`]) is what accounts did within the
//! recency window (the graph keeps no per-edge times, so the caller passes
//! it: a platform's recent-activity log; in the audit, the experiment's own
//! views, the most recent events of the world). As on the platforms that
//! show "followed by someone you follow", it does not compete with the
//! long-term scores: it has its own slots among the suggestions
//! ([`RecommenderConfig::recent_slots`]), the best candidates by how many
//! followed accounts recently engaged with them.
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
    /// Suggestion slots (every third from the second) for accounts the
    /// viewer's follows recently engaged with.
    pub recent_slots: usize,
    /// Posts of one author a feed shows at most.
    pub feed_posts_per_author: u32,
    /// Similar accounts (suggestions) whose posts a feed mixes in (explore).
    pub feed_explore_authors: usize,
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
            recent_slots: 3,
            feed_posts_per_author: 2,
            feed_explore_authors: 10,
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

/// Recent interactions of accounts (within the recency window), by actor:
/// the recent-activity signal ("people you follow recently engaged with X").
pub type Overlay = FxHashMap<Node, Vec<Node>>;

/// One feed item: a post of `author` (its `ordinal`-th most recent).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeedItem {
    /// The author.
    pub author: Node,
    /// Which of its posts, 0 the most recent.
    pub ordinal: u32,
    /// The ranking score.
    pub score: f32,
}

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
        // What followed accounts interact with, over their history.
        for &s in &profile.follows {
            let own = self.follows.get(s);
            let other = self.interactions.get(s);
            let total = own.len() + other.len();
            if total == 0 {
                continue;
            }
            let w = c.friend_weight / (total as f32).sqrt();
            for &t in own.iter().chain(other) {
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
        // Recent activity of followed accounts: its own slots (the path by
        // which one view reaches the viewer's followers).
        let mut recent: Vec<(Node, f32)> = Vec::new();
        for &s in &profile.follows {
            for &t in overlay.get(&s).map_or(&[][..], Vec::as_slice) {
                if followed(t) {
                    continue;
                }
                match recent.iter_mut().find(|(r, _)| *r == t) {
                    Some((_, count)) => *count += 1.0,
                    None => recent.push((t, 1.0)),
                }
            }
        }
        recent.sort_unstable_by(by_score);
        recent.truncate(c.recent_slots);
        if !recent.is_empty() {
            scored.retain(|&(t, _)| !recent.iter().any(|&(r, _)| r == t));
            for (i, r) in recent.into_iter().enumerate() {
                let at = (1 + 3 * i).min(scored.len());
                scored.insert(at, r);
            }
            scored.truncate(n);
        }
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

    /// The `n` best feed/explore items for a viewer: the posts of the
    /// accounts it follows (score 1) and of the accounts most similar to what
    /// it follows and viewed (its best suggestions, scores scaled into (0, 1],
    /// the explore part), each author's most recent posts first, at most
    /// [`RecommenderConfig::feed_posts_per_author`] each.
    pub fn feed(
        &self,
        viewer: Option<Node>,
        profile: &Profile,
        overlay: &Overlay,
        posts_of: &dyn Fn(Node) -> u32,
        n: usize,
        scratch: &mut Scratch,
    ) -> Vec<FeedItem> {
        let c = &self.config;
        let explore = self.recommend(viewer, profile, overlay, c.feed_explore_authors, scratch);
        let best = explore.iter().map(|&(_, s)| s).fold(0.0f32, f32::max);
        let mut authors: Vec<(Node, f32)> = profile.follows.iter().map(|&a| (a, 1.0)).collect();
        for (i, &(a, s)) in explore.iter().enumerate() {
            // Cold-start fill has score 0: rank it by position, below the rest.
            let scaled = if best > 0.0 && s > 0.0 { 0.5 * s / best } else { 0.25 / (i + 1) as f32 };
            authors.push((a, scaled));
        }
        let mut items = Vec::new();
        for (a, score) in authors {
            for ordinal in 0..posts_of(a).min(c.feed_posts_per_author) {
                // An author's older posts rank a little lower.
                items.push(FeedItem { author: a, ordinal, score: score / (1 + ordinal) as f32 });
            }
        }
        items.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then(x.author.cmp(&y.author))
                .then(x.ordinal.cmp(&y.ordinal))
        });
        items.truncate(n);
        items
    }
}
