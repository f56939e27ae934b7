//! Decision speed: latency of one `decide` over 500 candidates (p50, p99,
//! max) and candidate decisions per second on one core, per surface, against
//! a state of 1,000,000 accounts and 100,000 hashtags with the test lexicon.
//!
//! `cargo bench -p guardrail-guard --bench decide` (figures in bench/README.md).
//! A bench binary rather than criterion: the target is a tail latency, which
//! needs every request's time, not a mean.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use guardrail_core::{AgeBand, Lexicon, RiskTier};
use guardrail_guard::{
    AccountState, Candidate, DiscoverySurface, Guard, HashtagState, Policy, State,
};
use guardrail_text::{Level, Matcher};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const ACCOUNTS: u32 = 1_000_000;
const HASHTAGS: u32 = 100_000;
const CANDIDATES: usize = 500;

fn state(r: &mut SmallRng) -> State {
    let mut s = State::new();
    for i in 0..ACCOUNTS {
        let tier = match r.gen_range(0..1000) {
            0..=4 => RiskTier::Confirmed,
            5..=19 => RiskTier::Suspected,
            20..=59 => RiskTier::Exposed,
            _ => RiskTier::Clear,
        };
        let age_band = Some(if r.gen_bool(0.08) { AgeBand::Minor } else { AgeBand::Adult });
        s.set_account(
            &format!("u{i}"),
            AccountState { tier, age_band, flagged_network: tier == RiskTier::Confirmed },
        );
    }
    for i in 0..HASHTAGS {
        let users = r.gen_range(1..5000);
        let flagged_users = if r.gen_bool(0.01) { users } else { users / 100 };
        s.set_hashtag(
            &format!("tag{i}"),
            HashtagState { users, flagged_users, level: Level::Allow },
        );
    }
    s
}

#[derive(Clone, Copy)]
enum Kind {
    Account,
    Hashtag,
    Text,
}

impl Kind {
    fn of(self, s: &str) -> Candidate<'_> {
        match self {
            Kind::Account => Candidate::Account(s.into()),
            Kind::Hashtag => Candidate::Hashtag(s),
            Kind::Text => Candidate::Text(s),
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn run(
    guard: &Guard,
    name: &str,
    requests: usize,
    make: &dyn Fn(&mut SmallRng) -> Vec<String>,
    kind: Kind,
    surface: DiscoverySurface,
) {
    let mut r = SmallRng::seed_from_u64(7);
    let batches: Vec<Vec<String>> = (0..64).map(|_| make(&mut r)).collect();
    let mut out = Vec::with_capacity(CANDIDATES);
    let mut times = Vec::with_capacity(requests);
    let mut dropped = 0usize;
    let start = Instant::now();
    for i in 0..requests {
        let batch = &batches[i % batches.len()];
        let candidates: Vec<Candidate<'_>> = batch.iter().map(|s| kind.of(s)).collect();
        let viewer = format!("u{}", r.gen_range(0..ACCOUNTS));
        let t = Instant::now();
        guard.decide_into((&viewer).into(), surface, &candidates, &mut out);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        dropped += out.iter().filter(|d| !d.allow).count();
        black_box(&out);
    }
    let total = start.elapsed().as_secs_f64();
    let decide_total: f64 = times.iter().sum::<f64>() / 1e3;
    times.sort_by(f64::total_cmp);
    println!(
        "{name:<22} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  {:>10.0} decisions/s/core  ({} requests of {CANDIDATES}, {:.1}% dropped, {:.1} s)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        (requests * CANDIDATES) as f64 / decide_total,
        requests,
        dropped as f64 * 100.0 / (requests * CANDIDATES) as f64,
        total
    );
}

fn main() {
    // Cargo passes `--bench`; figures are printed either way.
    let mut r = SmallRng::seed_from_u64(1);
    let t = Instant::now();
    let state = state(&mut r);
    let lexicon = Lexicon::from_toml(include_str!("../../../lexicons/test.toml")).expect("lexicon");
    let matcher = Arc::new(Matcher::new(lexicon).expect("matcher"));
    let guard = Guard::new(Policy::default(), state, Some(matcher));
    println!(
        "state of {ACCOUNTS} accounts and {HASHTAGS} hashtags built in {:.1} s (one core)",
        t.elapsed().as_secs_f64()
    );
    let accounts = |r: &mut SmallRng| -> Vec<String> {
        (0..CANDIDATES).map(|_| format!("u{}", r.gen_range(0..ACCOUNTS + ACCOUNTS / 10))).collect()
    };
    let tags = |r: &mut SmallRng| -> Vec<String> {
        (0..CANDIDATES).map(|_| format!("#tag{}", r.gen_range(0..HASHTAGS))).collect()
    };
    run(
        &guard,
        "account suggestions",
        20_000,
        &accounts,
        Kind::Account,
        DiscoverySurface::AccountSuggestions,
    );
    run(
        &guard,
        "hashtag suggestions",
        20_000,
        &tags,
        Kind::Hashtag,
        DiscoverySurface::HashtagSuggestions,
    );
    let words = [
        "embroidery hoop",
        "cave survey",
        "sourdough starter",
        "birding trip",
        "new pattern",
        "vorblat",
        "quimzel deals",
        "spelunking gear",
        "knitting",
        "field notes",
    ];
    let texts = |r: &mut SmallRng| -> Vec<String> {
        (0..CANDIDATES)
            .map(|i| format!("{} {}", words[r.gen_range(0..words.len())], i % 7))
            .collect()
    };
    run(
        &guard,
        "autocomplete (text)",
        1_000,
        &texts,
        Kind::Text,
        DiscoverySurface::SearchAutocomplete,
    );
}
