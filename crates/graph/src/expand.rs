//! Pattern expansion: the researchers' method ("sellers, their followers,
//! accounts that follow several sellers") made degree-aware.
//!
//! An account that follows `k` accounts of a flagged set, out of `d` follows,
//! is compared with chance: if follows landed on the set at the rate the whole
//! graph's follows do (`share`), the count would be Poisson with mean
//! `lambda = d * share`. The account fits the buyer pattern when `k >= 2` and
//! `P(X >= k) < alpha`. A benign account that follows one seller after brief
//! contact never fits; an account that follows thousands of accounts needs
//! many flagged follows before it does. The same test on followers (`k` of an
//! account's `d` followers in the set) finds the seller pattern without
//! rewarding popular benign accounts that some buyers also follow.
//!
//! Hashtags get the same test on the account-hashtag graph: the set's
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
}
