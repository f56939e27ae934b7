use std::collections::{HashMap, HashSet};

use guardrail_core::{EventKind, EventReader, Lexicon, Pdq, Truth, ViewTarget};

use super::*;

fn world(accounts: u32, seed: u64) -> (tempfile::TempDir, Stats) {
    let dir = tempfile::tempdir().unwrap();
    let stats = generate(&Config::new(accounts, seed), dir.path()).unwrap();
    (dir, stats)
}

#[test]
fn the_test_lexicon_parses_and_the_starter_lexicon_has_sources() {
    let test = Lexicon::from_toml(TEST_LEXICON).unwrap();
    assert!(test.entries.len() >= 5);
    let starter = Lexicon::from_toml(include_str!("../../../lexicons/starter.toml")).unwrap();
    assert!(starter.require_sources);
    assert!(starter.entries.iter().all(|t| t.source.is_some()));
}

#[test]
fn same_seed_same_bytes_other_seed_other_world() {
    let (a, _) = world(2_000, 7);
    let (b, _) = world(2_000, 7);
    let (c, _) = world(2_000, 8);
    for file in ["events.jsonl", "truth.json", "bank.txt"] {
        let x = std::fs::read(a.path().join(file)).unwrap();
        assert_eq!(x, std::fs::read(b.path().join(file)).unwrap(), "{file} differs");
        assert_ne!(x, std::fs::read(c.path().join(file)).unwrap(), "{file} ignores the seed");
    }
}

#[test]
fn a_world_is_valid_time_ordered_and_causal() {
    let (dir, stats) = world(5_000, 42);
    let text = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let truth =
        Truth::from_json(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap()).unwrap();
    let mut last = None;
    let mut ids = HashSet::new();
    let mut accounts = HashSet::new();
    let mut posts = HashSet::new();
    let mut banned = HashSet::new();
    let mut n = 0u64;
    for event in EventReader::new(text.as_bytes()) {
        let event = event.unwrap();
        n += 1;
        assert!(last.is_none_or(|t| t <= event.at), "out of time order at {}", event.id.as_str());
        last = Some(event.at);
        assert!(ids.insert(event.id.as_str().to_owned()), "repeated id");
        let known = |a: &guardrail_core::AccountId| accounts.contains(a.as_str());
        match &event.kind {
            EventKind::Account(a) => {
                accounts.insert(a.account.as_str().to_owned());
            }
            EventKind::Follow(f) | EventKind::Unfollow(f) => {
                assert!(known(&f.from) && known(&f.to), "follow before account");
                assert!(!banned.contains(f.from.as_str()) && !banned.contains(f.to.as_str()));
            }
            EventKind::Post(p) => {
                assert!(known(&p.author));
                assert!(!banned.contains(p.author.as_str()), "post after ban");
                posts.insert(p.post.as_str().to_owned());
            }
            EventKind::Like(l) => assert!(posts.contains(l.post.as_str()), "like before post"),
            EventKind::Comment(c) => assert!(posts.contains(c.post.as_str())),
            EventKind::View(v) => match &v.target {
                ViewTarget::Account(a) => assert!(known(a)),
                ViewTarget::Post(p) => assert!(posts.contains(p.as_str())),
            },
            EventKind::Enforcement(e) if e.action == guardrail_core::EnforcementAction::Ban => {
                banned.insert(e.account.as_str().to_owned());
            }
            _ => {}
        }
    }
    assert_eq!(n, stats.events);
    assert_eq!(accounts.len() as u64, stats.accounts);
    // Every role and the truth's other parts are there.
    for role in ["seller", "buyer", "aggregator", "backup"] {
        assert!(truth.network.values().any(|r| r == role), "no {role}");
    }
    assert!(truth.niches.len() >= 20);
    assert!(!truth.minors.is_empty());
    assert!(!truth.persons.is_empty());
    assert!(!truth.bank_matches.is_empty());
    // Seeds: some sellers are banned for child safety, about a tenth.
    let sellers = truth.network.values().filter(|r| *r == "seller").count();
    let seeds = banned.iter().filter(|a| truth.network.contains_key(*a)).count();
    assert!(seeds * 20 >= sellers && seeds * 5 <= sellers, "{seeds} seeds of {sellers} sellers");
}

#[test]
fn benign_accounts_follow_mostly_within_their_niche_and_degrees_are_heavy_tailed() {
    let (dir, _) = world(20_000, 3);
    let text = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let truth =
        Truth::from_json(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap()).unwrap();
    let niche_of: HashMap<&str, &str> = truth
        .niches
        .iter()
        .flat_map(|(n, members)| members.iter().map(move |m| (m.as_str(), n.as_str())))
        .collect();
    let (mut same, mut benign_follows) = (0u64, 0u64);
    let mut in_degree: HashMap<String, u64> = HashMap::new();
    for event in EventReader::new(text.as_bytes()) {
        if let EventKind::Follow(f) = event.unwrap().kind {
            *in_degree.entry(f.to.as_str().to_owned()).or_default() += 1;
            if let (Some(a), Some(b)) = (niche_of.get(f.from.as_str()), niche_of.get(f.to.as_str()))
            {
                benign_follows += 1;
                same += u64::from(a == b);
            }
        }
    }
    let share = same as f64 / benign_follows as f64;
    assert!(share > 0.7, "only {share:.2} of benign follows stay in the niche");
    let mut degrees: Vec<u64> = in_degree.into_values().collect();
    degrees.sort_unstable();
    let median = degrees[degrees.len() / 2];
    let max = *degrees.last().unwrap();
    assert!(max > 50 * median.max(1), "max in-degree {max}, median {median}: not heavy-tailed");
}

#[test]
fn sellers_carry_disguised_code_words_and_backups_are_named() {
    let (dir, _) = world(5_000, 11);
    let text = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let truth =
        Truth::from_json(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap()).unwrap();
    let mut handles = HashMap::new();
    let mut seller_bios = Vec::new();
    for event in EventReader::new(text.as_bytes()) {
        if let EventKind::Account(a) = event.unwrap().kind {
            handles.insert(a.account.as_str().to_owned(), a.handle.clone());
            if truth.network.get(a.account.as_str()).is_some_and(|r| r == "seller") {
                seller_bios.extend(a.bio);
            }
        }
    }
    let plain =
        seller_bios.iter().filter(|b| b.contains("vorblat") || b.contains("quimzel")).count();
    assert!(plain < seller_bios.len(), "every bio uses a plain code word");
    assert!(seller_bios.iter().any(|b| !b.is_ascii()), "no disguise beyond ASCII");
    let named = truth
        .network
        .iter()
        .filter(|(_, r)| *r == "backup")
        .filter(|(a, _)| seller_bios.iter().any(|b| b.contains(&format!("@{}", handles[*a]))))
        .count();
    assert!(named > 0, "no seller names its backup");
}

/// Every post with media in the world written to `dir`: its author and the
/// distance of its media to the nearest hash of `bank.txt` (`None` without
/// PDQ media), with the world's truth. Shared by the synth and plant tests.
pub(crate) fn posts_by_bank_distance(
    dir: &std::path::Path,
) -> (Truth, Vec<(String, String, Option<u32>)>) {
    let bank: Vec<Pdq> = std::fs::read_to_string(dir.join("bank.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| Pdq::from_hex(l).unwrap())
        .collect();
    let truth =
        Truth::from_json(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let distance =
        |a: &Pdq, b: &Pdq| -> u32 { a.0.iter().zip(&b.0).map(|(x, y)| (x ^ y).count_ones()).sum() };
    let mut posts = Vec::new();
    for event in EventReader::new(text.as_bytes()) {
        if let EventKind::Post(p) = event.unwrap().kind {
            let nearest = p
                .media
                .iter()
                .filter_map(|m| m.pdq.as_ref())
                .map(|h| bank.iter().map(|b| distance(h, b)).min().unwrap())
                .min();
            posts.push((p.post.as_str().to_owned(), p.author.as_str().to_owned(), nearest));
        }
    }
    (truth, posts)
}

#[test]
fn bank_near_duplicates_are_within_the_stated_distance() {
    let (dir, _) = world(3_000, 5);
    let (truth, posts) = posts_by_bank_distance(dir.path());
    let mut checked = 0;
    for (post, _, nearest) in posts {
        match truth.bank_matches.get(post.as_str()) {
            Some(&flips) => {
                assert_eq!(nearest, Some(flips), "post {post}");
                checked += 1;
            }
            None => assert!(nearest.is_none_or(|d| d > 31), "unplanned match {nearest:?}"),
        }
    }
    assert!(checked > 10);
}

#[test]
fn bad_configurations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = generate(&Config::new(10, 1), dir.path()).unwrap_err();
    assert!(err.to_string().contains("accounts: must be between"), "{err}");
    let mut config = Config::new(1_000, 1);
    config.lexicon.entries.clear();
    assert!(generate(&config, dir.path()).unwrap_err().to_string().contains("lexicon"));
}
