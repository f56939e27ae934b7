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

use rayon::prelude::*;

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
    let n = graph.len();
    let row = |v: Node| match pattern {
        Pattern::Follows => graph.out_edges(v),
        Pattern::FollowedBy => graph.in_edges(v),
    };
    // Share of all follow edges whose other end is in the set.
    let (into, all) = (0..n as Node)
        .into_par_iter()
        .map(|v| {
            let (cols, kinds) = row(v);
            let mut into = 0u64;
            let mut all = 0u64;
            for (i, f) in follows(kinds) {
                if f {
                    all += 1;
                    into += u64::from(inside[cols[i] as usize]);
                }
            }
            (into, all)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if all == 0 {
        return Vec::new();
    }
    let share = into as f64 / all as f64;
    (0..n as Node)
        .into_par_iter()
        .filter(|&v| !inside[v as usize])
        .filter_map(|v| {
            let (cols, kinds) = row(v);
            let (mut count, mut degree) = (0u32, 0u32);
            for (i, f) in follows(kinds) {
                if f {
                    degree += 1;
                    count += u32::from(inside[cols[i] as usize]);
                }
            }
            if count < 2 {
                return None;
            }
            let expected = f64::from(degree) * share;
            let p_value = poisson_tail(count, expected);
            (p_value < alpha).then_some(PatternHit { node: v, count, degree, expected, p_value })
        })
        .collect()
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
