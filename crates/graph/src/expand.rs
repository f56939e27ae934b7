//! Pattern expansion: the researchers' method ("sellers, their followers,
//! accounts that follow several sellers") made degree-aware, with a null
//! model taken from the graph itself.
//!
//! [`behaviour_tests`] is what the scan uses: for every account outside a
//! flagged set, everything it does towards the set (ties out, views, ties in,
//! depth of interaction, coded searches and comments), each channel against
//! the count chance would give, fitted on the background (the accounts with
//! at most one contact with the set), so that neither a hub that buyers
//! follow as camouflage, nor a chain of quiet accounts, nor a large network
//! inflating its own baseline looks like a pattern. [`benjamini_hochberg`]
//! keeps the share of chance findings among a round's additions bounded.
//!
//! [`pattern_hits`] is the simpler single-relation test (follows or
//! followers against the whole graph's share), kept as a documented
//! baseline and for tests.
//!
//! Hashtags get the same kind of test on the account-hashtag graph: the set's
//! hashtags are those most of whose users are in the set (and more than
//! chance would put there), and an account outside fits when `k` of the `d`
//! hashtags it used are the set's, against the share of all hashtag uses that
//! fall on them. A seller's camouflage in a popular hashtag does not make the
//! hashtag the set's; an account that used one of the set's hashtags once
//! among ordinary ones does not fit.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::graph::{Graph, Kinds, Node};

/// One account that fits a pattern.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PatternHit {
    /// The account.
    pub node: Node,
    /// Flagged accounts it follows (buyer pattern) or that follow it (seller pattern).
    pub count: u32,
    /// Its follows (or followers) in all.
    pub degree: u32,
    /// The count expected by chance.
    pub expected: f64,
    /// `P(X >= count)` for a Poisson with that mean.
    pub p_value: f64,
}

/// Which side of a follow the test looks at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pattern {
    /// Accounts that follow many flagged accounts.
    Follows,
    /// Accounts followed by many flagged accounts.
    FollowedBy,
}

/// `P(X >= k)` for `X ~ Poisson(lambda)`, summed from `k` upward (accurate for
/// the small tails that matter here).
pub fn poisson_tail(k: u32, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    if !lambda.is_finite() {
        return 1.0;
    }
    // log of the first term: -lambda + k ln(lambda) - ln(k!)
    let ln_fact: f64 = (1..=k).map(|i| f64::from(i).ln()).sum();
    let mut term = (-lambda + f64::from(k) * lambda.ln() - ln_fact).exp();
    let mut sum = 0.0;
    let mut i = k;
    while term > sum * 1e-12 && i < k + 10_000 {
        sum += term;
        i += 1;
        term *= lambda / f64::from(i);
    }
    sum.min(1.0)
}

fn follows(kinds: &[u8]) -> impl Iterator<Item = (usize, bool)> + '_ {
    kinds.iter().enumerate().map(|(i, &k)| (i, Kinds(k).contains(Kinds::FOLLOW)))
}

/// Accounts outside `inside` that fit `pattern` against it at level `alpha`.
pub fn pattern_hits(
    graph: &Graph,
    inside: &[bool],
    pattern: Pattern,
    alpha: f64,
) -> Vec<PatternHit> {
    let row = |v: Node| match pattern {
        Pattern::Follows => graph.out_edges(v),
        Pattern::FollowedBy => graph.in_edges(v),
    };
    tail_hits(inside, alpha, |v| {
        let (cols, kinds) = row(v);
        let (mut count, mut degree) = (0u32, 0u32);
        for (i, f) in follows(kinds) {
            if f {
                degree += 1;
                count += u32::from(inside[cols[i] as usize]);
            }
        }
        (count, degree)
    })
}

/// The accounts outside `inside` whose `(count, degree)` from `row` is
/// significant at level `alpha` (and `count >= 2`) against the share
/// `sum(count) / sum(degree)` over every account.
fn tail_hits(
    inside: &[bool],
    alpha: f64,
    row: impl Fn(Node) -> (u32, u32) + Sync,
) -> Vec<PatternHit> {
    let n = inside.len() as Node;
    let (into, all) = (0..n)
        .into_par_iter()
        .map(|v| {
            let (k, d) = row(v);
            (u64::from(k), u64::from(d))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if all == 0 {
        return Vec::new();
    }
    let share = into as f64 / all as f64;
    (0..n)
        .into_par_iter()
        .filter(|&v| !inside[v as usize])
        .filter_map(|v| {
            let (count, degree) = row(v);
            if count < 2 {
                return None;
            }
            let expected = f64::from(degree) * share;
            let p_value = poisson_tail(count, expected);
            (p_value < alpha).then_some(PatternHit { node: v, count, degree, expected, p_value })
        })
        .collect()
}

/// Hashtags as people read them: spellings with the same normalised text
/// (`guardrail_text::key`: case, width, lookalike letters, leetspeak,
/// repeated letters, separators) are one hashtag to the tests below, so a
/// seller cannot spread one code over a dozen rare spellings.
#[derive(Clone, Debug, Default)]
pub struct Hashtags {
    /// The family of every hashtag id.
    family: Vec<u32>,
    /// The most used spelling of every family.
    spelling: Vec<u32>,
    /// Spellings per family.
    spellings: Vec<u32>,
    /// Per account, its distinct families: `rows[offsets[v]..offsets[v + 1]]`.
    offsets: Vec<usize>,
    rows: Vec<u32>,
}

impl Hashtags {
    /// Groups the graph's hashtags and lists every account's families.
    pub fn new(graph: &Graph) -> Hashtags {
        let tags = graph.hashtag_count();
        let keys: Vec<String> = (0..tags as u32)
            .into_par_iter()
            .map(|t| {
                let k = guardrail_text::key(graph.hashtag(t));
                if k.is_empty() {
                    graph.hashtag(t).to_owned()
                } else {
                    k
                }
            })
            .collect();
        let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
        let family: Vec<u32> = keys
            .iter()
            .map(|k| {
                let next = ids.len() as u32;
                *ids.entry(k.as_str()).or_insert(next)
            })
            .collect();
        let families = ids.len();
        let mut users = vec![0u32; tags];
        let mut offsets = Vec::with_capacity(graph.len() + 1);
        offsets.push(0);
        let mut rows = Vec::new();
        let mut row = Vec::new();
        for v in 0..graph.len() as Node {
            row.clear();
            for &(t, _) in graph.hashtags_of(v) {
                users[t as usize] += 1;
                row.push(family[t as usize]);
            }
            row.sort_unstable();
            row.dedup();
            rows.extend_from_slice(&row);
            offsets.push(rows.len());
        }
        let mut spelling = vec![u32::MAX; families];
        let mut spellings = vec![0u32; families];
        for (t, &f) in family.iter().enumerate() {
            let best = &mut spelling[f as usize];
            if *best == u32::MAX || users[t] > users[*best as usize] {
                *best = t as u32;
            }
            spellings[f as usize] += 1;
        }
        Hashtags { family, spelling, spellings, offsets, rows }
    }

    /// Number of families.
    pub fn families(&self) -> usize {
        self.spelling.len()
    }

    /// The family of a hashtag id.
    pub fn family_of(&self, tag: u32) -> u32 {
        self.family[tag as usize]
    }

    /// The most used spelling (a hashtag id) of a family.
    pub fn spelling(&self, family: u32) -> u32 {
        self.spelling[family as usize]
    }

    /// Distinct spellings of a family.
    pub fn spellings(&self, family: u32) -> u32 {
        self.spellings[family as usize]
    }

    /// The distinct families account `v` used, ascending.
    pub fn of(&self, v: Node) -> &[u32] {
        match (self.offsets.get(v as usize), self.offsets.get(v as usize + 1)) {
            (Some(&a), Some(&b)) => &self.rows[a..b],
            _ => &[],
        }
    }
}

/// A hashtag (family) of a flagged set: most of its users are in the set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SetTag {
    /// The family ([`Hashtags::spelling`] names it).
    pub family: u32,
    /// Distinct accounts that used it.
    pub users: u32,
    /// Those in the set.
    pub inside: u32,
    /// `P(X >= inside)` for a Poisson with the mean chance would give.
    pub p_value: f64,
}

/// The hashtags of the set `inside`: used by at least two of its accounts,
/// by at least `share` of their distinct users, and by more of the set than
/// chance allows at level `alpha` (the set's share of all account-hashtag
/// pairs times the hashtag's users). Sorted by family.
pub fn set_hashtags(tags: &Hashtags, inside: &[bool], share: f64, alpha: f64) -> Vec<SetTag> {
    let mut users = vec![0u32; tags.families()];
    let mut within = vec![0u32; tags.families()];
    let (mut pairs, mut pairs_inside) = (0u64, 0u64);
    for (v, &flagged) in inside.iter().enumerate() {
        for &f in tags.of(v as Node) {
            users[f as usize] += 1;
            within[f as usize] += u32::from(flagged);
            pairs += 1;
            pairs_inside += u64::from(flagged);
        }
    }
    if pairs == 0 {
        return Vec::new();
    }
    let base = pairs_inside as f64 / pairs as f64;
    users
        .iter()
        .zip(&within)
        .enumerate()
        .filter(|&(_, (&u, &k))| k >= 2 && f64::from(k) >= share * f64::from(u))
        .map(|(f, (&u, &k))| SetTag {
            family: f as u32,
            users: u,
            inside: k,
            p_value: poisson_tail(k, f64::from(u) * base),
        })
        .filter(|t| t.p_value < alpha)
        .collect()
}

/// Accounts outside `inside` that used significantly many of `set` (from
/// [`set_hashtags`]) at level `alpha`: `count` of the set's hashtags among
/// the `degree` distinct hashtags they used.
pub fn hashtag_hits(
    tags: &Hashtags,
    inside: &[bool],
    set: &[SetTag],
    alpha: f64,
) -> Vec<PatternHit> {
    let mut of_set = vec![false; tags.families()];
    for t in set {
        of_set[t.family as usize] = true;
    }
    tail_hits(inside, alpha, |v| {
        let row = tags.of(v);
        let count = row.iter().filter(|&&f| of_set[f as usize]).count();
        (count as u32, row.len() as u32)
    })
}

/// `P(X > x)` for `X` chi-squared with `2 * m` degrees of freedom (closed
/// form for even degrees: `e^(-x/2) * sum_{i<m} (x/2)^i / i!`).
pub fn chi2_even_tail(x: f64, m: u32) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..m {
        term *= half / f64::from(i);
        sum += term;
    }
    ((-half).exp() * sum).min(1.0)
}

/// One channel of the behaviour test: how many distinct accounts of the set
/// an account reached this way, out of how many it reached this way, against
/// the count chance would give.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Channel {
    /// Distinct accounts of the set.
    pub count: u32,
    /// Distinct accounts in all.
    pub degree: u32,
    /// The count chance would give (the null model's mean).
    pub expected: f64,
    /// `P(X >= count)` for a Poisson with that mean (1 when `count` is 0).
    pub p_value: f64,
}

impl Channel {
    fn new(count: u32, degree: u32, expected: f64) -> Channel {
        Channel { count, degree, expected, p_value: poisson_tail(count, expected) }
    }
}

/// The evidence channels of the behaviour test, in the order they are
/// combined. Each distinct account of the set counts once per direction, in
/// its strongest channel (a follow and a view of the same seller is one
/// follow).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Behaviour {
    /// The account.
    pub node: Node,
    /// Accounts of the set it follows, likes or comments on.
    pub ties_out: Channel,
    /// Accounts of the set it only viewed.
    pub views_out: Channel,
    /// Accounts of the set that follow, like or comment on it.
    pub ties_in: Channel,
    /// Searches and comments of its own that hit the lexicon: count 1 when it
    /// has any, against the share of accounts outside the set that have any.
    pub coded: Channel,
    /// Extra kinds of interaction on its contacts with the set (it follows
    /// a seller and also views and likes it: two), against the
    /// background's extra kinds per contact with anyone.
    pub depth: Channel,
    /// Distinct accounts of the set it touches in any channel.
    pub distinct: u32,
    /// `P(X >= total count)` for a Poisson whose mean is the sum of the
    /// channels' expected counts, for the best choice of the optional
    /// channels, times 8 (channels without a baseline left out).
    pub p_value: f64,
}

/// The null model of the behaviour test, fitted on the graph itself against
/// the current set (see [`behaviour_tests`]). Rates are per contact of the
/// channel: a tie or view lands on the set with probability `rate`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Null {
    /// Outgoing ties (follows, likes, comments): fitted rate into the set.
    pub ties_out: f64,
    /// Outgoing views: fitted rate into the set.
    pub views_out: f64,
    /// Incoming ties, degree-proportional part: rate per tie received
    /// (camouflage aimed at popular accounts).
    pub ties_in: f64,
    /// Incoming ties, uniform part: ties from the set per account whatever
    /// its degree (camouflage aimed at random accounts). Chance for an
    /// account is `ties_in_mean + degree * ties_in`, both fitted together.
    pub ties_in_mean: f64,
    /// Share of background accounts with a coded search or comment.
    pub coded: f64,
    /// Extra kinds of interaction per contact in the background (a follow
    /// that is also viewed and liked has two).
    pub depth: f64,
    /// Accounts in the background the rates were fitted on.
    pub background: usize,
}

const TIES: u8 = Kinds::FOLLOW.0 | Kinds::LIKE.0 | Kinds::COMMENT.0;

/// Per account outside the set: (count, degree) of ties out, views out and
/// ties in, and whether it has coded text.
#[derive(Clone, Copy, Default)]
struct Counts {
    ties: (u32, u32),
    views: (u32, u32),
    back: (u32, u32),
    /// Extra kinds of interaction (beyond the first) on its contacts with
    /// the set, and those contacts.
    depth: (u32, u32),
    /// The same over all its outgoing contacts (for the background rate).
    depth_all: (u32, u32),
    coded: bool,
}

impl Counts {
    fn distinct(&self) -> u32 {
        self.ties.0 + self.views.0 + self.back.0
    }
}

fn counts(graph: &Graph, inside: &[bool], coded: &[bool], v: Node) -> Counts {
    let mut c = Counts { coded: coded[v as usize], ..Counts::default() };
    let (ocols, okinds) = graph.out_edges(v);
    for (&u, &k) in ocols.iter().zip(okinds) {
        let hit = u32::from(inside[u as usize]);
        let extra = (k & (TIES | Kinds::VIEW.0)).count_ones().saturating_sub(1);
        c.depth_all.0 += extra;
        c.depth_all.1 += 1;
        if hit == 1 {
            c.depth.0 += extra;
            c.depth.1 += 1;
        }
        if k & TIES != 0 {
            c.ties.1 += 1;
            c.ties.0 += hit;
        } else if k & Kinds::VIEW.0 != 0 {
            c.views.1 += 1;
            c.views.0 += hit;
        }
    }
    let (icols, ikinds) = graph.in_edges(v);
    for (&u, &k) in icols.iter().zip(ikinds) {
        if k & TIES != 0 {
            c.back.1 += 1;
            // Counted once: an account of the set that v reached itself is
            // already in an outgoing channel.
            if inside[u as usize] && ocols.binary_search(&u).is_err() {
                c.back.0 += 1;
            }
        }
    }
    c
}

/// The rate `theta` of a Poisson model with mean `degree * theta`, fitted by
/// maximum likelihood on accounts truncated to counts 0 and 1 (`pairs` are
/// `(count, degree)` with count <= 1). Truncation keeps the accounts that
/// fit a pattern (two or more contacts) out of the estimate of chance, so a
/// large network does not make its own contacts look ordinary; among the
/// rest, `P(1) / P(0 or 1) = d theta / (1 + d theta)`, and the fit solves
/// `sum(count) = sum(d theta / (1 + d theta))`. `None` when every account
/// has a contact, or when the fitted per-contact rate reaches 1 (no evidence
/// that chance is low: the channel carries none).
fn truncated_rate(pairs: &[(u32, u32)]) -> Option<f64> {
    let ones: f64 = pairs.iter().map(|&(k, _)| f64::from(k)).sum();
    let active: Vec<f64> =
        pairs.iter().filter(|&&(_, d)| d > 0).map(|&(_, d)| f64::from(d)).collect();
    if ones >= active.len() as f64 {
        return None;
    }
    // The fit's upper 95% bound, not the point estimate: a background that
    // reached the set `ones` times could have reached it about `ones + 3`
    // times (the rule of three when it never did), so a small or quiet
    // background does not make every contact look significant.
    if ones == 0.0 {
        let exposure: f64 = active.iter().sum();
        return (exposure > 0.0).then(|| (3.0 / exposure).min(1.0));
    }
    let inflate = (ones + 3.0) / ones;
    let expected =
        |theta: f64| -> f64 { active.iter().map(|&d| d * theta / (1.0 + d * theta)).sum() };
    // Bisection on log theta: expected() rises from 0 to active.len().
    let (mut lo, mut hi) = (1e-12f64, 1.0f64);
    // A contact lands on the set with probability theta, so theta >= 1 means
    // the background reaches the set at every contact: no baseline.
    if expected(hi) < ones {
        return None;
    }
    for _ in 0..100 {
        let mid = (lo * hi).sqrt();
        if expected(mid) < ones {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let theta = hi * inflate;
    (theta < 1.0).then_some(theta)
}

/// The two rates `(a, b)` of a Poisson model with mean `a + d b` (a part
/// that lands on every account alike, and one in proportion to its degree
/// `d`), fitted by maximum likelihood (EM over the two sources) on the
/// background: accounts with at most one contact, or with at most half of
/// their ties from the set (a hub that buyers follow among hundreds of
/// others stays in; a seller, most of whose followers are buyers, does not).
/// Raised to the fit's upper 95% bound by `(contacts + 3) / contacts`.
/// Accounts that received no tie are left out (they cannot have a contact).
/// `None` when no account is left to fit on.
fn background_mixture(pairs: &[(u32, u32)]) -> Option<(f64, f64)> {
    let pairs: Vec<(f64, f64)> = pairs
        .iter()
        .filter(|&&(k, d)| d > 0 && (k <= 1 || 2 * k <= d))
        .map(|&(k, d)| (f64::from(k), f64::from(d)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let contacts: f64 = pairs.iter().map(|p| p.0).sum();
    let degrees: f64 = pairs.iter().map(|p| p.1).sum();
    if contacts == 0.0 {
        // Rule of three, all of it on the uniform part.
        return Some(((3.0 / n).min(1.0), 0.0));
    }
    let (mut a, mut b) = (0.5 * contacts / n, 0.5 * contacts / degrees);
    for _ in 0..500 {
        let (mut from_a, mut from_b) = (0.0, 0.0);
        for &(k, d) in &pairs {
            let l = a + b * d;
            if l > 0.0 && k > 0.0 {
                from_a += k * a / l;
                from_b += k * b * d / l;
            }
        }
        let (next_a, next_b) = (from_a / n, from_b / degrees);
        let done = (next_a - a).abs() <= 1e-12 + 1e-9 * a && (next_b - b).abs() <= 1e-15 + 1e-9 * b;
        (a, b) = (next_a, next_b);
        if done {
            break;
        }
    }
    let inflate = (contacts + 3.0) / contacts;
    Some((a * inflate, b * inflate))
}

/// The behaviour test of every account outside `inside` that touches at
/// least two distinct accounts of the set, with the null model it used.
///
/// An account's evidence is everything it does towards the set: the
/// accounts of the set it follows, likes or comments on; those it only
/// viewed; those of the set that follow, like or comment on it (a seller's
/// buyers); and its own searches and comments that hit the lexicon
/// (`coded`). Each channel is compared with chance under a null model fitted
/// on the graph's background (accounts outside the set with at most one
/// contact to it in that channel; see `truncated_rate`), never with
/// constants:
/// - outgoing ties and views: Poisson with mean `degree * rate`, so an
///   account that follows thousands needs many flagged contacts, and one
///   that views only the set's accounts (when the background does too)
///   shows nothing;
/// - incoming ties: Poisson with mean `mean + degree * rate`, fitted
///   together on the background (see `background_mixture`): the degree term is chance for a
///   popular account (a hub that buyers follow as camouflage gets its share
///   and no more), the constant for a quiet one (random camouflage lands on
///   low-degree accounts whatever their degree);
/// - coded: the share of background accounts with such a hit.
///
/// The channels add up: the total count is compared with the sum of the
/// channels' expected counts (a Poisson tail). Ties out and in are always
/// summed; views, coded text and depth only where they raise the evidence,
/// and the choice is paid for (the best of the 8 choices, times 8), so a
/// channel with a high baseline (depth on a platform where everyone views
/// what they follow) does not dilute the others. One contact is
/// exposure, not membership: accounts that touch fewer than two distinct
/// accounts of the set are not tested (their p-value is 1).
pub fn behaviour_tests(graph: &Graph, inside: &[bool], coded: &[bool]) -> (Vec<Behaviour>, Null) {
    let n = inside.len() as Node;
    let all: Vec<(Node, Counts)> = (0..n)
        .into_par_iter()
        .filter(|&v| !inside[v as usize])
        .map(|v| (v, counts(graph, inside, coded, v)))
        .collect();
    let truncated = |pick: fn(&Counts) -> (u32, u32)| -> Vec<(u32, u32)> {
        all.iter().map(|(_, c)| pick(c)).filter(|&(k, _)| k <= 1).collect()
    };
    let background: Vec<&Counts> =
        all.iter().map(|(_, c)| c).filter(|c| c.distinct() <= 1).collect();
    let coded_share = if background.is_empty() {
        1.0
    } else {
        background.iter().filter(|c| c.coded).count() as f64 / background.len() as f64
    };
    let ties_pairs = truncated(|c| c.ties);
    let views_pairs = truncated(|c| c.views);
    let in_rates = background_mixture(&all.iter().map(|(_, c)| c.back).collect::<Vec<_>>());
    let null = Null {
        ties_out: truncated_rate(&ties_pairs).unwrap_or(f64::INFINITY),
        views_out: truncated_rate(&views_pairs).unwrap_or(f64::INFINITY),
        ties_in: in_rates.map_or(f64::INFINITY, |r| r.1),
        ties_in_mean: in_rates.map_or(f64::INFINITY, |r| r.0),
        coded: coded_share,
        depth: {
            let (x, d) = background.iter().fold((0u64, 0u64), |a, c| {
                (a.0 + u64::from(c.depth_all.0), a.1 + u64::from(c.depth_all.1))
            });
            if d == 0 {
                f64::INFINITY
            } else {
                x as f64 / d as f64
            }
        },
        background: background.len(),
    };
    let hits = all
        .par_iter()
        .filter(|(_, c)| c.distinct() >= 2)
        .map(|&(v, c)| {
            let out = |(k, d): (u32, u32), rate: f64| Channel::new(k, d, f64::from(d) * rate);
            let ties_out = out(c.ties, null.ties_out);
            let views_out = out(c.views, null.views_out);
            // Chance given the ties it received: never more than one per tie.
            let received = f64::from(c.back.1);
            let ties_in = Channel::new(
                c.back.0,
                c.back.1,
                (null.ties_in_mean + received * null.ties_in).min(received),
            );
            let coded = Channel {
                count: u32::from(c.coded),
                degree: 1,
                expected: null.coded,
                p_value: if c.coded { null.coded.max(f64::MIN_POSITIVE) } else { 1.0 },
            };
            // Every distinct account of the set counts one, whatever the
            // channel, and chance adds up over the channels summed. The
            // structural channels (ties out and in) are always summed; each
            // of the others (views, coded text, depth) only where it helps,
            // and the best of the 8 choices pays for the choice (Bonferroni,
            // times 8). A channel without a baseline is never summed.
            let sum = |chs: &[Channel]| -> (u32, f64) {
                chs.iter()
                    .filter(|ch| ch.expected.is_finite())
                    .fold((0, 0.0), |(k, l), ch| (k + ch.count, l + ch.expected))
            };
            let depth = Channel::new(c.depth.0, c.depth.1, f64::from(c.depth.1) * null.depth);
            let (core_k, core_l) = sum(&[ties_out, ties_in]);
            let optional = [views_out, coded, depth];
            let mut best = 1.0f64;
            for mask in 0u32..8 {
                let chosen: Vec<Channel> =
                    (0..3).filter(|i| mask & (1 << i) != 0).map(|i| optional[i]).collect();
                let (k, l) = sum(&chosen);
                best = best.min(poisson_tail(core_k + k, core_l + l));
            }
            let p_value = (8.0 * best).min(1.0);
            Behaviour {
                node: v,
                ties_out,
                views_out,
                ties_in,
                coded,
                depth,
                distinct: c.distinct(),
                p_value,
            }
        })
        .collect();
    (hits, null)
}

/// The Benjamini-Hochberg step-up procedure at false discovery rate `q`
/// over `m` hypotheses, of which `p_values` are the tested ones (every other
/// hypothesis has p-value 1): the number of smallest p-values accepted.
/// `p_values` must be sorted ascending.
pub fn benjamini_hochberg(p_values: &[f64], m: usize, q: f64) -> usize {
    let m = m.max(p_values.len()).max(1) as f64;
    let mut accepted = 0;
    for (i, &p) in p_values.iter().enumerate() {
        if p <= q * (i + 1) as f64 / m {
            accepted = i + 1;
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_closed_forms() {
        // P(X >= 1) = 1 - e^-lambda
        for lambda in [0.01f64, 0.5, 2.0, 10.0] {
            let want = 1.0 - (-lambda).exp();
            assert!((poisson_tail(1, lambda) - want).abs() < 1e-9, "{lambda}");
        }
        // P(X >= 2) = 1 - e^-l (1 + l)
        let l: f64 = 0.3;
        let want = 1.0 - (-l).exp() * (1.0 + l);
        assert!((poisson_tail(2, l) - want).abs() < 1e-12);
        assert_eq!(poisson_tail(0, 3.0), 1.0);
        assert_eq!(poisson_tail(3, 0.0), 0.0);
        // Monotone in k.
        assert!(poisson_tail(8, 0.7) < poisson_tail(4, 0.7));
    }

    #[test]
    fn chi2_tail_matches_closed_forms() {
        // Two degrees of freedom: exponential with mean 2.
        for x in [0.5f64, 3.0, 20.0] {
            assert!((chi2_even_tail(x, 1) - (-x / 2.0).exp()).abs() < 1e-12);
        }
        // Four: e^-x/2 (1 + x/2).
        let x = 7.0f64;
        assert!((chi2_even_tail(x, 2) - (-x / 2.0).exp() * (1.0 + x / 2.0)).abs() < 1e-12);
        assert_eq!(chi2_even_tail(0.0, 4), 1.0);
        // 8 degrees of freedom at the 5% point (15.507).
        assert!((chi2_even_tail(15.507, 4) - 0.05).abs() < 1e-3);
    }

    #[test]
    fn benjamini_hochberg_steps_up() {
        // m = 10, q = 0.1: thresholds 0.01, 0.02, ...; the third p-value
        // passes its threshold, so the first three are accepted even though
        // the second alone would not.
        assert_eq!(benjamini_hochberg(&[0.001, 0.025, 0.03, 0.5], 10, 0.1), 3);
        assert_eq!(benjamini_hochberg(&[0.02, 0.5], 10, 0.1), 0);
        assert_eq!(benjamini_hochberg(&[], 10, 0.1), 0);
    }
}
