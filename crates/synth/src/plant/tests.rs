//! Unit tests of the planting: edge-list parsing, the truth against the events, causal order, bank distances and configuration checks.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use guardrail_core::{EnforcementAction, EventKind, EventReader, Truth, ViewTarget};
use rand::{Rng, SeedableRng};

use super::*;

/// A random directed graph with a few hubs, as an edge-list text.
fn graph_text(vertices: u32, edges: u32, seed: u64) -> String {
    let mut r = SmallRng::seed_from_u64(seed);
    let mut text = String::from("# directed\n# a comment\n");
    for _ in 0..edges {
        let a = r.gen_range(0..vertices);
        // A quarter of the edges go to the first few vertices (hubs).
        let b = if r.gen_bool(0.25) { r.gen_range(0..10) } else { r.gen_range(0..vertices) };
        writeln!(text, "{a} {b}").unwrap();
    }
    text
}

fn small_config() -> PlantConfig {
    PlantConfig { sellers: 12, buyers: 8, ..PlantConfig::default() }
}

fn plant_into(config: &PlantConfig) -> (tempfile::TempDir, PlantStats, EdgeList) {
    let graph = EdgeList::parse(&graph_text(800, 4_000, 3)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stats = plant(&graph, config, dir.path()).unwrap();
    (dir, stats, graph)
}

fn parse_err(text: &str) -> String {
    EdgeList::parse(text).unwrap_err().to_string()
}

#[test]
fn edge_list_errors_name_the_line_and_why() {
    assert!(parse_err("").starts_with("line 1: empty edge list"), "{}", parse_err(""));
    let e = parse_err("1 2\n");
    assert!(e.starts_with("line 1: expected `# directed` or `# undirected`"), "{e}");
    let e = parse_err("# directed\n1 2\n\n3\n");
    assert!(e.starts_with("line 4: expected two vertex ids"), "{e}");
    let e = parse_err("# undirected\n1 2\n1 -2\n");
    assert!(e.starts_with("line 3: `-2` is not a vertex id"), "{e}");
    let e = parse_err("# directed\n1 2 3\n");
    assert!(e.starts_with("line 2: expected two vertex ids, found a third field `3`"), "{e}");
    let e = parse_err("# directed\n# vertices 5\n1 2\n4 5\n");
    assert!(e.starts_with("line 4: vertex 5 is not below the declared 5"), "{e}");
    let e = parse_err("# directed\n# vertices x\n");
    assert!(e.starts_with("line 2: `# vertices` needs a count"), "{e}");
    let e = parse_err("# directed\n# only comments\n");
    assert!(e.contains("no vertices"), "{e}");
}

#[test]
fn undirected_edges_are_mutual_and_loops_and_repeats_are_dropped() {
    let g = EdgeList::parse("# undirected\n10 20\n20 10\n7 7\n20 30\n").unwrap();
    assert!(!g.directed);
    assert_eq!(g.vertices, vec![7, 10, 20, 30], "a vertex with only a self-loop is an account");
    assert_eq!(g.follows, vec![(1, 2), (2, 1), (2, 3), (3, 2)]);
    assert_eq!((g.self_loops, g.duplicates), (1, 2));
    let g = EdgeList::parse("# directed\n# vertices 4\n0 1\n0 1\n1 0\n").unwrap();
    assert_eq!(g.vertices, vec![0, 1, 2, 3], "declared vertices include isolated ones");
    assert_eq!(g.follows, vec![(0, 1), (1, 0)]);
    assert_eq!(g.duplicates, 1);
}

#[test]
fn same_seed_same_bytes_other_seed_other_world() {
    let (a, _, _) = plant_into(&small_config());
    let (b, _, _) = plant_into(&small_config());
    let (c, _, _) = plant_into(&PlantConfig { seed: 2, ..small_config() });
    for file in ["events.jsonl", "truth.json", "bank.txt"] {
        let x = std::fs::read(a.path().join(file)).unwrap();
        assert_eq!(x, std::fs::read(b.path().join(file)).unwrap(), "{file} differs");
        assert_ne!(x, std::fs::read(c.path().join(file)).unwrap(), "{file} ignores the seed");
    }
}

/// What a planted world's files say, gathered from one pass over the events.
struct World {
    truth: Truth,
    extra: serde_json::Value,
    created: HashMap<String, u64>,
    handles: HashMap<String, String>,
    bios: HashMap<String, Vec<String>>,
    follows: Vec<(String, String, u64)>,
    /// Views of accounts: (viewer, viewed).
    views: Vec<(String, String)>,
    banned_at: HashMap<String, u64>,
    events: u64,
}

fn read_world(dir: &Path) -> World {
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let truth_text = std::fs::read_to_string(dir.join("truth.json")).unwrap();
    let truth = Truth::from_json(&truth_text).unwrap();
    let extra: serde_json::Value = serde_json::from_str(&truth_text).unwrap();
    let mut w = World {
        truth,
        extra,
        created: HashMap::new(),
        handles: HashMap::new(),
        bios: HashMap::new(),
        follows: Vec::new(),
        views: Vec::new(),
        banned_at: HashMap::new(),
        events: 0,
    };
    let mut last = None;
    let mut ids = HashSet::new();
    let mut posts = HashSet::new();
    for event in EventReader::new(text.as_bytes()) {
        let event = event.unwrap();
        w.events += 1;
        assert!(last.is_none_or(|t| t <= event.at), "out of time order at {}", event.id.as_str());
        last = Some(event.at);
        assert!(ids.insert(event.id.as_str().to_owned()), "repeated id");
        let t = event.at.unix_seconds() as u64;
        let known = |w: &World, a: &AccountId| {
            assert!(w.created.contains_key(a.as_str()), "{} acts before it exists", a.as_str());
            assert!(!w.banned_at.contains_key(a.as_str()), "{} involved after its ban", a.as_str());
        };
        match &event.kind {
            EventKind::Account(a) => {
                let id = a.account.as_str().to_owned();
                assert!(!w.banned_at.contains_key(&id), "account event after ban");
                w.created.entry(id.clone()).or_insert(t);
                w.handles.insert(id.clone(), a.handle.clone());
                w.bios.entry(id).or_default().extend(a.bio.clone());
            }
            EventKind::Follow(f) => {
                known(&w, &f.from);
                known(&w, &f.to);
                w.follows.push((f.from.as_str().to_owned(), f.to.as_str().to_owned(), t));
            }
            EventKind::Post(p) => {
                known(&w, &p.author);
                posts.insert(p.post.as_str().to_owned());
            }
            EventKind::Like(l) => {
                known(&w, &l.actor);
                assert!(posts.contains(l.post.as_str()), "like before post");
            }
            EventKind::Comment(c) => {
                known(&w, &c.actor);
                assert!(posts.contains(c.post.as_str()), "comment before post");
            }
            EventKind::View(v) => {
                known(&w, &v.viewer);
                match &v.target {
                    ViewTarget::Account(a) => {
                        known(&w, a);
                        w.views.push((v.viewer.as_str().to_owned(), a.as_str().to_owned()));
                    }
                    ViewTarget::Post(p) => assert!(posts.contains(p.as_str())),
                }
            }
            EventKind::Search(s) => known(&w, &s.actor),
            EventKind::Enforcement(e) => {
                known(&w, &e.account);
                assert_eq!(e.action, EnforcementAction::Ban);
                assert_eq!(e.confirmed_category.as_deref(), Some("child_safety"));
                w.banned_at.insert(e.account.as_str().to_owned(), t);
            }
            _ => {}
        }
    }
    w
}

#[test]
fn the_truth_matches_the_events() {
    let config = small_config();
    let (dir, stats, graph) = plant_into(&config);
    let w = read_world(dir.path());
    assert_eq!(w.events, stats.events);
    let role = |id: &str| w.truth.network.get(id).map(String::as_str);

    // Every network and planted account has an account event.
    for id in w.truth.network.keys() {
        assert!(w.created.contains_key(id), "{id} of the network has no account event");
    }
    let planted_benign: Vec<&str> =
        w.extra["planted_benign"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(planted_benign.len(), (config.sellers * config.hard_negatives) as usize);
    for id in &planted_benign {
        assert!(w.created.contains_key(*id) && role(id).is_none(), "{id}");
    }
    assert_eq!(w.extra["real_accounts"], graph.vertices.len());
    assert_eq!(w.extra["real_prefix"], "r");

    // Every real edge is a follow before the planting starts.
    let start = (EPOCH as u64) + PLANT_START as u64;
    let real: HashSet<(String, String)> = graph
        .follows
        .iter()
        .map(|&(a, b)| {
            (format!("r{}", graph.vertices[a as usize]), format!("r{}", graph.vertices[b as usize]))
        })
        .collect();
    let early: HashSet<(String, String)> =
        w.follows.iter().filter(|f| f.2 < start).map(|f| (f.0.clone(), f.1.clone())).collect();
    assert_eq!(early, real, "the real graph's follows, all before the planting");

    // Buyers follow at least buyer_min_sellers sellers; every seller has buyers.
    let mut seller_follows: HashMap<&str, usize> = HashMap::new();
    let mut buyers_of: HashMap<&str, usize> = HashMap::new();
    for (a, b, _) in &w.follows {
        if role(a) == Some("buyer") && role(b) == Some("seller") {
            *seller_follows.entry(a).or_default() += 1;
            *buyers_of.entry(b).or_default() += 1;
        }
    }
    let buyers: Vec<&String> =
        w.truth.network.iter().filter(|(_, r)| *r == "buyer").map(|(a, _)| a).collect();
    assert_eq!(buyers.len(), (config.sellers * config.buyers) as usize);
    for b in &buyers {
        let k = seller_follows.get(b.as_str()).copied().unwrap_or(0);
        assert!(k >= config.buyer_min_sellers as usize, "buyer {b} follows {k} sellers");
    }
    let returning = w.extra["returning"].as_object().unwrap();
    for (s, _) in w.truth.network.iter().filter(|(_, r)| *r == "seller") {
        assert!(buyers_of.get(s.as_str()).is_some_and(|&n| n > 0), "seller {s} has no buyer");
    }
    // Touches: real accounts outside the network touch each seller once, after the planting starts.
    let mut touches: HashMap<(&str, &str), usize> = HashMap::new();
    let late = w.follows.iter().filter(|f| f.2 >= start).map(|f| (&f.0, &f.1));
    for (a, b) in late.chain(w.views.iter().map(|v| (&v.0, &v.1))) {
        let real_benign = a.starts_with('r') && role(a).is_none();
        if real_benign && role(b) == Some("seller") && !returning.contains_key(b.as_str()) {
            *touches.entry((a.as_str(), b.as_str())).or_default() += 1;
        }
    }
    assert!(touches.values().all(|&n| n == 1), "a real account touched a seller twice");
    for (s, _) in w.truth.network.iter().filter(|(_, r)| *r == "seller") {
        if !returning.contains_key(s.as_str()) {
            let n = touches.keys().filter(|(_, b)| b == s).count();
            assert_eq!(n, config.touches as usize, "seller {s}");
        }
    }
    // Heavy tail: some buyer follows many more sellers than the minimum.
    assert!(seller_follows.values().any(|&k| k >= 4), "{seller_follows:?}");

    // Enforcement share, and returning accounts after the ban of their predecessor.
    let expected_bans = ((config.enforced_share * config.sellers as f64).round() as usize).max(1);
    assert_eq!(w.banned_at.len(), expected_bans);
    assert_eq!(returning.len(), expected_bans, "return_share 1.0: every banned seller returns");
    for (new, old) in returning {
        let old = old.as_str().unwrap();
        assert_eq!(role(new), Some("seller"));
        assert!(w.created[new.as_str()] > w.banned_at[old], "{new} exists before {old}'s ban");
        assert_eq!(w.truth.persons[new.as_str()], w.truth.persons[old]);
        assert!(w.bios.get(new.as_str()).is_none_or(|b| b.iter().all(|b| !b.contains('@'))));
        assert!(w.follows.iter().any(|(a, b, _)| b == new && role(a) == Some("buyer")));
    }

    // Backups: in truth with their main as one person, following the main.
    let backups = w.extra["backups"].as_object().unwrap();
    assert_eq!(backups.len(), (config.backup_share * config.sellers as f64).round() as usize);
    for (backup, t) in backups {
        let main = t["main"].as_str().unwrap();
        assert_eq!(role(backup), Some("backup"));
        assert_eq!(w.truth.persons[backup.as_str()], w.truth.persons[main]);
        assert!(w.follows.iter().any(|(a, b, _)| a == backup && b == main));
        let names = |who: &str, whom: &str| {
            w.bios[who].iter().any(|bio| bio.contains(&format!("@{}", w.handles[whom])))
        };
        match t["declared"].as_str().unwrap() {
            "main" => assert!(names(main, backup) && !names(backup, main)),
            "backup" => assert!(names(backup, main) && !names(main, backup)),
            "both" => assert!(names(main, backup) && names(backup, main)),
            other => panic!("declared {other}"),
        }
    }
    assert_eq!(stats.network_by_role["seller"] as usize, config.sellers as usize + returning.len());
}

#[test]
fn bank_media_is_near_the_bank_and_other_media_is_not() {
    let config = PlantConfig { bank_media_share: 0.5, ..small_config() };
    let (dir, _, _) = plant_into(&config);
    let (truth, posts) = crate::tests::posts_by_bank_distance(dir.path());
    let mut near = 0;
    for (post, author, nearest) in posts {
        match truth.bank_matches.get(post.as_str()) {
            Some(&flips) => {
                assert_eq!(nearest, Some(flips));
                assert!(flips < 31);
                let role = truth.network.get(author.as_str()).map(String::as_str);
                assert!(matches!(role, Some("seller" | "backup")), "{role:?}");
                near += 1;
            }
            None => assert!(nearest.is_none_or(|d| d > 31), "unplanned match {nearest:?}"),
        }
    }
    assert!(near > 0);
}

#[test]
fn declaration_side_and_camouflage_follow_the_configuration() {
    for declared in [BackupDeclared::Main, BackupDeclared::Backup] {
        let config = PlantConfig {
            backup_declared: declared,
            camouflage: 7,
            camouflage_target: CamouflageTarget::Popular,
            ..small_config()
        };
        let (dir, _, _) = plant_into(&config);
        let w = read_world(dir.path());
        for t in w.extra["backups"].as_object().unwrap().values() {
            assert_eq!(t["declared"], declared.as_str());
        }
        // Every new network account follows 7 real accounts it has no other tie to.
        let mut camouflage: HashMap<&str, usize> = HashMap::new();
        for (a, b, _) in &w.follows {
            let real_benign = b.starts_with('r') && !w.truth.network.contains_key(b);
            if a.starts_with('x') && w.truth.network.contains_key(a) && real_benign {
                *camouflage.entry(a).or_default() += 1;
            }
        }
        let new_network = w.truth.network.keys().filter(|a| a.starts_with('x')).collect::<Vec<_>>();
        for a in new_network {
            assert_eq!(camouflage.get(a.as_str()).copied().unwrap_or(0), 7, "{a}");
        }
    }
}

#[test]
fn bad_configurations_name_the_flag() {
    let graph = EdgeList::parse(&graph_text(100, 300, 1)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(PlantConfig, &str)> = vec![
        (PlantConfig { camouflage: 21, ..small_config() }, "camouflage: must be between 0 and 20"),
        (PlantConfig { follow_back: 1.5, ..small_config() }, "follow_back: is a share"),
        (PlantConfig { engage_share: -0.1, ..small_config() }, "engage_share: is a share"),
        (
            PlantConfig { buyer_follow_exponent: 1.0, ..small_config() },
            "buyer_follow_exponent: must be above 1",
        ),
        (PlantConfig { sellers: 0, ..small_config() }, "sellers: must be between 1"),
        (PlantConfig { sellers: 40, buyers: 20, ..small_config() }, "too few"),
    ];
    for (config, expected) in cases {
        let err = plant(&graph, &config, dir.path()).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }
}
