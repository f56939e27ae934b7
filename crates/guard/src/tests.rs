//! One test per policy rule (each fails if its rule is removed), the
//! interaction hygiene, and the reference recommender.

use std::sync::Arc;

use guardrail_core::{AgeBand, Event, Lexicon, RiskTier};
use guardrail_graph::Graph;
use guardrail_text::{Level, Matcher};

use crate::*;

fn account(tier: RiskTier, age: Option<AgeBand>) -> AccountState {
    AccountState { tier, age_band: age, flagged_network: false }
}

/// u-clear, u-exposed, u-suspected, u-confirmed (adults), u-minor,
/// u-suspected-minor, u-net (clear but in a flagged network).
fn state() -> State {
    let mut s = State::new();
    let adult = Some(AgeBand::Adult);
    s.set_account("u-clear", account(RiskTier::Clear, adult));
    s.set_account("u-exposed", account(RiskTier::Exposed, adult));
    s.set_account("u-suspected", account(RiskTier::Suspected, adult));
    s.set_account("u-confirmed", account(RiskTier::Confirmed, adult));
    s.set_account("u-minor", account(RiskTier::Clear, Some(AgeBand::Minor)));
    s.set_account("u-unknown-age", account(RiskTier::Clear, None));
    s.set_account(
        "u-net",
        AccountState { flagged_network: true, ..account(RiskTier::Clear, adult) },
    );
    let tag = |users, flagged_users, level| HashtagState { users, flagged_users, level };
    s.set_hashtag("embroidery", tag(500, 2, Level::Allow));
    s.set_hashtag("#quietcorner", tag(4, 3, Level::Allow)); // mostly flagged users
    s.set_hashtag("vorblatpics", tag(3, 0, Level::Block));
    s
}

fn matcher() -> Arc<Matcher> {
    let lexicon = Lexicon::parse("test", "vorblat\nquimzel\n").unwrap();
    Arc::new(Matcher::new(lexicon).unwrap())
}

fn guard(policy: Policy) -> Guard {
    Guard::new(policy, state(), Some(matcher()))
}

fn allowed(
    g: &Guard,
    viewer: &str,
    surface: DiscoverySurface,
    c: Candidate<'_>,
) -> (bool, Vec<&'static str>) {
    let d = g.decide(viewer.into(), surface, &[c])[0];
    (d.allow, d.reasons.names().collect())
}

/// A policy where only `confirmed` is never recommended, so that the viewer
/// rules are tested on their own.
fn lenient() -> Policy {
    Policy { never_recommend: vec![RiskTier::Confirmed], ..Policy::default() }
}

#[test]
fn flagged_tiers_are_never_recommended_on_any_surface() {
    let g = guard(Policy::default());
    for surface in DiscoverySurface::ALL {
        for id in ["u-suspected", "u-confirmed"] {
            let (ok, why) = allowed(&g, "u-clear", surface, Candidate::Account(id.into()));
            assert!(!ok, "{id} on {surface:?}");
            assert_eq!(why, ["flagged_account"]);
            let post = Candidate::Post { author: id.into(), hashtags: &[], caption: None };
            assert!(!allowed(&g, "u-clear", surface, post).0);
        }
        for id in ["u-clear", "u-exposed", "u-never-seen"] {
            assert!(allowed(&g, "u-clear", surface, Candidate::Account(id.into())).0, "{id}");
        }
    }
    // The rule is data: without it, a suspected account is shown.
    let g = guard(Policy { never_recommend: vec![], ..Policy::default() });
    assert!(
        allowed(
            &g,
            "u-clear",
            DiscoverySurface::AccountSuggestions,
            Candidate::Account("u-suspected".into())
        )
        .0
    );
}

#[test]
fn members_of_flagged_networks_are_never_recommended() {
    let g = guard(Policy::default());
    let (ok, why) = allowed(
        &g,
        "u-clear",
        DiscoverySurface::AccountSuggestions,
        Candidate::Account("u-net".into()),
    );
    assert!(!ok);
    assert_eq!(why, ["flagged_network"]);
    let g = guard(Policy { drop_flagged_networks: false, ..Policy::default() });
    assert!(
        allowed(
            &g,
            "u-clear",
            DiscoverySurface::AccountSuggestions,
            Candidate::Account("u-net".into())
        )
        .0
    );
}

#[test]
fn tainted_hashtags_are_not_suggested_searchable_or_in_feeds() {
    let g = guard(Policy::default());
    let s = DiscoverySurface::HashtagSuggestions;
    let (ok, why) = allowed(&g, "u-clear", s, Candidate::Hashtag("QuietCorner"));
    assert!(!ok);
    assert_eq!(why, ["tainted_hashtag"]);
    assert!(allowed(&g, "u-clear", s, Candidate::Hashtag("#embroidery")).0);
    let post =
        Candidate::Post { author: "u-clear".into(), hashtags: &["quietcorner"], caption: None };
    assert!(!allowed(&g, "u-clear", DiscoverySurface::Feed, post).0);
    let out = g.search("u-clear".into(), "#quietcorner", &[Candidate::Account("u-clear".into())]);
    assert!(out.blocked.is_some());
    assert!(!out.decisions[0].allow);
    // Raise the threshold above 3 of 4 users: no longer tainted.
    let mut p = Policy::default();
    p.taint.share = 0.9;
    let g = guard(p);
    assert!(allowed(&g, "u-clear", s, Candidate::Hashtag("QuietCorner")).0);
    assert!(g.search("u-clear".into(), "#quietcorner", &[]).blocked.is_none());
}

#[test]
fn hashtags_and_texts_the_lexicon_blocks_are_not_suggested() {
    let g = guard(Policy::default());
    let s = DiscoverySurface::HashtagSuggestions;
    // Known to the state with a block verdict, and unknown but checked now.
    for tag in ["vorblatpics", "#v0rbl4t", "QuimzelDeals"] {
        let (ok, why) = allowed(&g, "u-clear", s, Candidate::Hashtag(tag));
        assert!(!ok, "{tag}");
        assert_eq!(why, ["blocked_term"], "{tag}");
    }
    assert!(allowed(&g, "u-clear", s, Candidate::Hashtag("#spelunking")).0);
    let caption =
        Candidate::Post { author: "u-clear".into(), hashtags: &[], caption: Some("new v0rblat") };
    assert!(!allowed(&g, "u-clear", DiscoverySurface::Feed, caption).0);
    // Without a lexicon nothing is blocked by text (only by the state's verdicts).
    let g = Guard::new(Policy::default(), state(), None);
    assert!(allowed(&g, "u-clear", s, Candidate::Hashtag("#v0rbl4t")).0);
}

#[test]
fn autocomplete_drops_near_variants_of_blocked_terms() {
    let g = guard(Policy::default());
    let s = DiscoverySurface::SearchAutocomplete;
    for text in ["vorblat boys", "vorblatt", "new vorblat cp", "vor blat", "quimzell"] {
        let (ok, why) = allowed(&g, "u-clear", s, Candidate::Text(text));
        assert!(!ok, "{text}");
        assert_eq!(why, ["blocked_term"], "{text}");
    }
    for text in ["embroidery hoop", "sega mega drive", "violet blanket"] {
        assert!(allowed(&g, "u-clear", s, Candidate::Text(text)).0, "{text}");
    }
}

#[test]
fn a_blocked_search_returns_resources_and_no_results() {
    let g = guard(Policy::default());
    let results = [Candidate::Account("u-clear".into()), Candidate::Hashtag("embroidery")];
    let out = g.search("u-clear".into(), "v0rblat pics", &results);
    let blocked = out.blocked.expect("blocked");
    assert!(blocked.reasons.contains(Reasons::BLOCKED_SEARCH | Reasons::BLOCKED_TERM));
    assert_eq!(blocked.terms, ["vorblat"]);
    assert!(!blocked.resources.links.is_empty());
    assert!(out.decisions.iter().all(|d| !d.allow && d.reasons.contains(Reasons::BLOCKED_SEARCH)));
    // An ordinary search is not blocked, and its results are still filtered.
    let results = [Candidate::Account("u-clear".into()), Candidate::Account("u-confirmed".into())];
    let out = g.search("u-clear".into(), "embroidery hoops", &results);
    assert!(out.blocked.is_none());
    assert_eq!(out.decisions.iter().map(|d| d.allow).collect::<Vec<_>>(), [true, false]);
}

#[test]
fn suspected_viewers_are_not_shown_suspected_accounts() {
    let g = guard(lenient());
    let s = DiscoverySurface::AccountSuggestions;
    let (ok, why) = allowed(&g, "u-suspected", s, Candidate::Account("u-suspected".into()));
    assert!(!ok);
    assert_eq!(why, ["suspected_to_suspected"]);
    assert!(allowed(&g, "u-clear", s, Candidate::Account("u-suspected".into())).0);
    let mut p = lenient();
    p.viewer.suspected_not_shown_suspected = false;
    assert!(allowed(&guard(p), "u-suspected", s, Candidate::Account("u-suspected".into())).0);
}

#[test]
fn suspected_viewers_are_not_shown_minors() {
    let g = guard(Policy::default());
    let s = DiscoverySurface::AccountSuggestions;
    for viewer in ["u-suspected", "u-confirmed"] {
        let (ok, why) = allowed(&g, viewer, s, Candidate::Account("u-minor".into()));
        assert!(!ok);
        assert_eq!(why, ["minor_to_suspected"]);
    }
    assert!(allowed(&g, "u-clear", s, Candidate::Account("u-minor".into())).0);
    assert!(allowed(&g, "u-suspected", s, Candidate::Account("u-unknown-age".into())).0);
    let mut p = Policy::default();
    p.viewer.unknown_age_is_minor = true;
    assert!(!allowed(&guard(p), "u-suspected", s, Candidate::Account("u-unknown-age".into())).0);
    let mut p = Policy::default();
    p.viewer.suspected_not_shown_minors = false;
    assert!(allowed(&guard(p), "u-suspected", s, Candidate::Account("u-minor".into())).0);
}

#[test]
fn minors_are_not_shown_suspected_adults() {
    let g = guard(lenient());
    let s = DiscoverySurface::AccountSuggestions;
    let (ok, why) = allowed(&g, "u-minor", s, Candidate::Account("u-suspected".into()));
    assert!(!ok);
    assert_eq!(why, ["suspected_to_minor"]);
    assert!(allowed(&g, "u-clear", s, Candidate::Account("u-suspected".into())).0);
    let mut p = lenient();
    p.viewer.minors_not_shown_suspected = false;
    assert!(allowed(&guard(p), "u-minor", s, Candidate::Account("u-suspected".into())).0);
}

#[test]
fn decisions_come_one_per_candidate_in_order() {
    let g = guard(Policy::default());
    let c = [
        Candidate::Account("u-clear".into()),
        Candidate::Account("u-confirmed".into()),
        Candidate::Hashtag("embroidery"),
        Candidate::Text("vorblat"),
    ];
    let d = g.decide("u-clear".into(), DiscoverySurface::SearchResults, &c);
    assert_eq!(d.iter().map(|d| d.allow).collect::<Vec<_>>(), [true, false, true, false]);
    assert!(d.iter().all(|d| d.allow == d.reasons.is_empty()));
}

// ---- interaction hygiene and the recommender ----

fn events(lines: &[&str]) -> Vec<Event> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let line = format!(
                "{{\"id\":\"e{i}\",\"at\":\"2026-03-01T10:{:02}:{:02}Z\",{}}}",
                i / 60,
                i % 60,
                l
            );
            Event::from_json_line(&line).unwrap_or_else(|e| panic!("{line}: {e}"))
        })
        .collect()
}

fn follow(from: &str, to: &str) -> String {
    format!("\"type\":\"follow\",\"from\":\"{from}\",\"to\":\"{to}\"")
}

/// A tiny world: sellers s1..s3 followed by buyers b1..b4 (who follow all
/// sellers); a benign niche n1..n6 following each other; n1 viewed s1 once.
fn world() -> Vec<Event> {
    let mut lines: Vec<String> = Vec::new();
    let ids = ["s1", "s2", "s3", "b1", "b2", "b3", "b4", "n1", "n2", "n3", "n4", "n5", "n6"];
    for id in ids {
        lines.push(format!(
            "\"type\":\"account\",\"account\":\"{id}\",\"handle\":\"h{id}\",\"age_band\":\"adult\""
        ));
    }
    for b in ["b1", "b2", "b3", "b4"] {
        for s in ["s1", "s2", "s3"] {
            lines.push(follow(b, s));
        }
    }
    for a in 1..=6 {
        for b in 1..=6 {
            if a != b && (a + b) % 3 != 0 {
                lines.push(follow(&format!("n{a}"), &format!("n{b}")));
            }
        }
    }
    lines.push("\"type\":\"view\",\"viewer\":\"n1\",\"account\":\"s1\"".into());
    lines.push(
        "\"type\":\"post\",\"post\":\"p1\",\"author\":\"s2\",\"hashtags\":[\"quietcorner\"]".into(),
    );
    lines.push("\"type\":\"like\",\"actor\":\"n2\",\"post\":\"p1\"".into());
    lines.push("\"type\":\"search\",\"actor\":\"n3\",\"query\":\"v0rblat\"".into());
    lines.push("\"type\":\"search\",\"actor\":\"n3\",\"query\":\"embroidery\"".into());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    events(&refs)
}

fn world_guard() -> Guard {
    let mut s = State::new();
    for id in ["s1", "s2", "s3", "b1", "b2", "b3", "b4"] {
        s.set_account(id, account(RiskTier::Suspected, Some(AgeBand::Adult)));
    }
    Guard::new(Policy::default(), s, Some(matcher()))
}

fn graph_of(events: &[Event]) -> Graph {
    let mut g = Graph::new();
    for e in events {
        g.apply(e);
    }
    g.compact();
    g
}

#[test]
fn hygiene_drops_interactions_with_and_by_flagged_accounts() {
    let guard = world_guard();
    let all = world();
    let mut h = Hygiene::new(&guard);
    let kept: Vec<Event> = h.filter(all.clone()).collect();
    let text = |e: &Event| format!("{e:?}");
    let dropped: Vec<String> = all.iter().filter(|e| !kept.contains(e)).map(text).collect();
    // 12 buyer->seller follows, the view of s1, s2's post, the like of it,
    // the search for a blocked term.
    assert_eq!(dropped.len(), 16, "{dropped:#?}");
    assert!(dropped
        .iter()
        .any(|d| d.contains("viewer: AccountId(\"n1\")") || d.contains("\"n1\"")));
    assert!(kept.iter().any(|e| text(e).contains("embroidery")));
    assert!(kept.iter().all(|e| !text(e).contains("\"s1\"") || text(e).contains("Account(")));
    assert_eq!(h.counts(), (kept.len() as u64, 16));
    // Without hygiene rules for tiers, everything passes.
    let mut p = Policy::default();
    p.hygiene.drop_tiers.clear();
    p.suggest_max_level = Level::Block;
    let lax = Guard::new(p, guard.state().clone(), Some(matcher()));
    assert_eq!(Hygiene::new(&lax).filter(all.clone()).count(), all.len());
}

#[test]
fn learning_through_the_predicate_equals_learning_from_filtered_events() {
    let guard = world_guard();
    let all = world();
    let full = graph_of(&all);
    let filtered: Vec<Event> = Hygiene::new(&guard).filter(all.clone()).collect();
    let clean = graph_of(&filtered);
    let by_predicate = Recommender::new(&full, RecommenderConfig::default(), |v| {
        !guard.never_recommended(full.account(v).id.as_str())
    });
    let from_events = Recommender::new(&clean, RecommenderConfig::default(), |_| true);
    for a in full.accounts() {
        let (v, w) = (full.node(a.id.as_str()).unwrap(), clean.node(a.id.as_str()).unwrap());
        let ids = |g: &Graph, r: &Recommender, v| -> Vec<String> {
            let p = r.profile(v);
            // Learnt suggestions only (the cold-start filler is the most
            // followed accounts, among which the predicate's flagged ones are
            // never counted at all).
            r.recommend(Some(v), &p, &Overlay::default(), 5, &mut Scratch::default())
                .into_iter()
                .filter(|&(_, score)| score > 0.0)
                .map(|(t, _)| g.account(t).id.as_str().to_owned())
                .collect()
        };
        let (x, y) = (ids(&full, &by_predicate, v), ids(&clean, &from_events, w));
        let named = |r: &Recommender, g: &Graph, v| -> Vec<String> {
            r.follows_of(v).iter().map(|&t| g.account(t).id.as_str().to_owned()).collect()
        };
        assert_eq!(
            named(&by_predicate, &full, v),
            named(&from_events, &clean, w),
            "{}",
            a.id.as_str()
        );
        // Scores tie among equals; compare as sets.
        let (mut x, mut y) = (x, y);
        x.sort();
        y.sort();
        assert_eq!(x, y, "{}", a.id.as_str());
    }
}

#[test]
fn one_view_pulls_the_network_in_without_hygiene_and_not_with_it() {
    let guard = world_guard();
    let g = graph_of(&world());
    let net: Vec<u32> =
        ["s1", "s2", "s3", "b1", "b2", "b3", "b4"].iter().map(|id| g.node(id).unwrap()).collect();
    let s1 = g.node("s1").unwrap();
    let puppet = Profile { interactions: vec![s1], ..Profile::default() };
    let plain = Recommender::new(&g, RecommenderConfig::default(), |_| true);
    let shown = plain.recommend(None, &puppet, &Overlay::default(), 3, &mut Scratch::default());
    assert!(shown.iter().all(|(t, _)| net.contains(t)), "{shown:?}");
    let clean = Recommender::new(&g, RecommenderConfig::default(), |v| {
        !guard.never_recommended(g.account(v).id.as_str())
    });
    let learnt = Profile { interactions: vec![], ..Profile::default() }; // the view was dropped
    let shown = clean.recommend(None, &learnt, &Overlay::default(), 3, &mut Scratch::default());
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|(t, _)| !net.contains(t)), "{shown:?}");
}

#[test]
fn the_recommender_suggests_the_viewers_niche() {
    let g = graph_of(&world());
    let r = Recommender::new(&g, RecommenderConfig::default(), |_| true);
    let n1 = g.node("n1").unwrap();
    let mut p = r.profile(n1);
    assert!(p.interactions.contains(&g.node("s1").unwrap()));
    p.interactions.clear();
    let shown = r.recommend(Some(n1), &p, &Overlay::default(), 2, &mut Scratch::default());
    let names: Vec<&str> = shown.iter().map(|&(t, _)| g.account(t).id.as_str()).collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with('n') && *n != "n1"), "{names:?}");
    // Already followed accounts are not suggested.
    assert!(shown.iter().all(|(t, _)| !p.follows.contains(t)));
}

#[test]
fn a_view_reaches_the_viewers_followers_without_hygiene_and_not_with_it() {
    let guard = world_guard();
    let g = graph_of(&world());
    let node = |id: &str| g.node(id).unwrap();
    let (n1, n3, s3) = (node("n1"), node("n3"), node("s3"));
    // n3 follows n1 (in the tiny world); n1 now views s3 once.
    let plain = Recommender::new(&g, RecommenderConfig::default(), |_| true);
    assert!(plain.follows_of(n3).contains(&n1));
    let mut overlay = Overlay::default();
    overlay.insert(n1, vec![s3]);
    let p = plain.profile(n3);
    let shown = plain.recommend(Some(n3), &p, &overlay, 10, &mut Scratch::default());
    assert!(shown.iter().any(|&(t, s)| t == s3 && s > 0.0), "{shown:?}");
    // With hygiene the view is not learnt (s3 is flagged), and the guard
    // would drop s3 anyway.
    let learn = |v: u32| !guard.never_recommended(g.account(v).id.as_str());
    assert!(!learn(s3));
    let clean = Recommender::new(&g, RecommenderConfig::default(), learn);
    let kept: Overlay = overlay
        .iter()
        .filter(|(v, _)| learn(**v))
        .map(|(&v, ts)| (v, ts.iter().copied().filter(|&t| learn(t)).collect()))
        .collect();
    let p = clean.profile(n3);
    let shown = clean.recommend(Some(n3), &p, &kept, 10, &mut Scratch::default());
    assert!(shown.iter().all(|&(t, s)| t != s3 || s == 0.0), "{shown:?}");
    let d = guard.decide(
        "n3".into(),
        DiscoverySurface::AccountSuggestions,
        &[Candidate::Account("s3".into())],
    );
    assert!(!d[0].allow);
}

#[test]
fn recent_activity_of_a_followed_account_has_its_own_slots() {
    // "People you follow recently engaged with X": one recent view by n1
    // puts s3 among n3's first suggestions, whatever the long-term scores;
    // without the recent-activity slots it does not get there.
    let g = graph_of(&world());
    let node = |id: &str| g.node(id).unwrap();
    let (n1, n3, s3) = (node("n1"), node("n3"), node("s3"));
    let mut overlay = Overlay::default();
    overlay.insert(n1, vec![s3]);
    let top2 = |config: RecommenderConfig| {
        let r = Recommender::new(&g, config, |_| true);
        let p = r.profile(n3);
        r.recommend(Some(n3), &p, &overlay, 2, &mut Scratch::default())
    };
    let shown = top2(RecommenderConfig::default());
    assert_eq!(shown[1].0, s3, "{shown:?}");
    let without = top2(RecommenderConfig { recent_slots: 0, ..RecommenderConfig::default() });
    assert!(without.iter().all(|&(t, _)| t != s3), "{without:?}");
    // Recent activity of an account n3 does not follow does not count.
    let mut stranger = Overlay::default();
    stranger.insert(node("b1"), vec![s3]);
    let r = Recommender::new(&g, RecommenderConfig::default(), |_| true);
    let shown = r.recommend(Some(n3), &r.profile(n3), &stranger, 2, &mut Scratch::default());
    assert!(shown.iter().all(|&(t, _)| t != s3), "{shown:?}");
}

#[test]
fn the_feed_shows_followed_and_similar_accounts_posts_and_hygiene_keeps_the_network_out() {
    let guard = world_guard();
    let g = graph_of(&world());
    let s1 = g.node("s1").unwrap();
    let s2 = g.node("s2").unwrap();
    let posts_of = |v: u32| g.account(v).posts;
    assert_eq!(posts_of(s2), 1);
    // A puppet that viewed s1 is shown s2's post (explore: accounts similar
    // to what it viewed) without hygiene.
    let plain = Recommender::new(&g, RecommenderConfig::default(), |_| true);
    let puppet = Profile { interactions: vec![s1], ..Profile::default() };
    let feed =
        plain.feed(None, &puppet, &Overlay::default(), &posts_of, 20, &mut Scratch::default());
    assert!(feed.iter().any(|i| i.author == s2), "{feed:?}");
    // Following s2 puts its post first.
    let follower = Profile { follows: vec![s2], ..Profile::default() };
    let feed =
        plain.feed(None, &follower, &Overlay::default(), &posts_of, 20, &mut Scratch::default());
    assert_eq!(feed[0].author, s2);
    assert_eq!(feed[0].score, 1.0);
    // With hygiene the view is not learnt and the network is not learnt
    // from: nothing of it reaches the feed.
    let learn = |v: u32| !guard.never_recommended(g.account(v).id.as_str());
    let clean = Recommender::new(&g, RecommenderConfig::default(), learn);
    let feed = clean.feed(
        None,
        &Profile::default(),
        &Overlay::default(),
        &posts_of,
        20,
        &mut Scratch::default(),
    );
    assert!(feed.iter().all(|i| learn(i.author)), "{feed:?}");
}

#[test]
fn a_scan_of_another_graph_is_refused_not_read_as_clear() {
    // See: #25. The scan's tiers are indexed by node; on another graph they
    // would belong to other accounts, or to none.
    use guardrail_graph::{load_events, scan, Evidence, LoadOptions, ScanConfig};
    let load = |text: &str| {
        let mut g = Graph::new();
        let mut ev = Evidence::default();
        load_events(
            std::io::Cursor::new(text),
            &mut g,
            &mut ev,
            None,
            None,
            &LoadOptions::default(),
        )
        .unwrap();
        (g, ev)
    };
    let line = |i: usize, from: &str, to: &str| {
        format!("{{\"type\":\"follow\",\"id\":\"e{i}\",\"at\":\"2026-01-01T00:00:{i:02}Z\",\"from\":\"{from}\",\"to\":\"{to}\"}}\n")
    };
    let a = format!("{}{}", line(0, "u1", "u2"), line(1, "u2", "u3"));
    let b = format!("{}{}", line(0, "u9", "u2"), line(1, "u2", "u3"));
    let (ga, eva) = load(&a);
    let (gb, _) = load(&b);
    let result = scan(&ga, &eva, None, &ScanConfig::default()).unwrap();
    assert!(State::from_scan(&ga, &result, None, &Policy::default()).is_ok());
    let err = State::from_scan(&gb, &result, None, &Policy::default()).unwrap_err();
    assert!(err.to_string().contains("computed on another graph"), "{err}");
}

#[test]
fn policy_errors_name_the_key_callers_can_branch_on() {
    // See: #25 (no string catch-alls in library signatures).
    let err = Policy::from_toml("[taint]\nshare = 2.0\n").unwrap_err();
    assert!(matches!(err, GuardError::PolicySetting { key: "taint.share", .. }), "{err:?}");
    assert_eq!(err.to_string(), "policy: taint.share: must be above 0 and at most 1");
    let err = Policy::from_toml("no_such_key = 1\n").unwrap_err();
    assert!(matches!(err, GuardError::PolicyFile { .. }), "{err:?}");
}
