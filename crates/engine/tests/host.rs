//! The long-running host over a real SQLite database: snapshots answer while
//! changes are applied, and a change that fails keeps the current snapshot.

use guardrail_engine::core::{RiskTier, Surface};
use guardrail_engine::events::SignalSources;
use guardrail_engine::guard_engine::{Candidate, DiscoverySurface, Policy};
use guardrail_engine::host::{Host, HostConfig};
use guardrail_engine::lexicon::{LexiconSource, TEST_LEXICON};
use guardrail_engine::media_engine::{KnownHash, PdqHash};
use guardrail_engine::store_backend::IngestOptions;
use guardrail_engine::synth::Config;
use guardrail_engine::EngineError;

#[test]
fn snapshots_answer_while_the_host_rescans_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    guardrail_engine::world::synthesise(Config::new(600, 3), &LexiconSource::default(), &world)
        .unwrap();
    let lexicon = dir.path().join("lexicon.toml");
    std::fs::write(&lexicon, TEST_LEXICON.toml).unwrap();
    let database = dir.path().join("g.db").display().to_string();
    let config = HostConfig {
        database: database.clone(),
        signals: SignalSources { lexicon: LexiconSource::file(&lexicon), ..Default::default() },
        policy: Policy::default(),
        scan: Default::default(),
    };
    let host = Host::open(config).unwrap();
    let empty = host.snapshot();
    assert_eq!(empty.generation(), 0);
    assert!(empty.scan().is_none());
    // No banks yet: a hash check is refused, never "no match".
    let pdq = PdqHash::from_hex(&"a".repeat(64)).unwrap();
    assert!(matches!(empty.match_hashes(&[], &[pdq], None), Err(EngineError::NoHashes { .. })));
    // An empty event log cannot be scanned; the snapshot stays.
    assert!(matches!(host.rescan(), Err(EngineError::NoEvents { .. })));
    assert_eq!(host.snapshot().generation(), 0);

    host.with_store(|store| {
        guardrail_engine::ingest::ingest_path(
            store,
            &world.join("events.jsonl"),
            &IngestOptions::default(),
            &mut |_| {},
        )
        .map(|_| ())
    })
    .unwrap();
    let scanned = host.rescan().unwrap();
    assert_eq!(scanned.generation(), 1);
    let info = scanned.scan().unwrap();
    assert!(info.summary.confirmed > 0, "{:?}", info.summary);
    // The guard acts on the scan: a confirmed account is never suggested.
    let truth = guardrail_engine::truth::read(&world.join("truth.json")).unwrap().truth;
    let confirmed = truth
        .network
        .keys()
        .find(|a| scanned.guard().state().account(a).is_some_and(|s| s.tier == RiskTier::Confirmed))
        .expect("a confirmed network account");
    let d = scanned.guard().decide(
        "viewer".into(),
        DiscoverySurface::AccountSuggestions,
        &[Candidate::Account(confirmed.into())],
    );
    assert!(!d[0].allow);
    // The stored scan is the one the snapshot names.
    let stored = host.with_store(|s| Ok(s.scan_accounts(info.run, None)?)).unwrap();
    let s = info.summary;
    assert_eq!(stored.len(), s.confirmed + s.suspected + s.candidates + s.exposed);
    assert!(stored.iter().any(|r| r.account.as_str() == confirmed.as_str()));

    // Banks imported into the store reach new snapshots on reload; the old
    // snapshot keeps answering as it did.
    let bank = std::fs::read_to_string(world.join("bank.txt")).unwrap();
    host.with_store(|store| {
        guardrail_engine::banks::import(
            store,
            &guardrail_engine::banks::Import {
                bank: "world",
                action: "report",
                tags: &[],
                kind: None,
                text: &bank,
                name: "bank.txt",
            },
        )
        .map(|_| ())
    })
    .unwrap();
    let first = bank.lines().find(|l| !l.starts_with('#') && !l.trim().is_empty()).unwrap();
    let hash =
        guardrail_engine::banks::parse_hash(first.split_whitespace().next().unwrap()).unwrap();
    let KnownHash::Pdq(pdq) = hash else { panic!("the world's bank holds PDQ hashes") };
    let with_banks = host.reload_banks().unwrap();
    assert_eq!(with_banks.generation(), 2);
    assert_eq!(with_banks.match_hashes(&[], &[pdq], None).unwrap()[0].bank, "world");
    assert!(scanned.match_hashes(&[], &[pdq], None).is_err());

    // A lexicon that does not parse is refused and the current one stays.
    let code = "vorblat";
    assert!(with_banks.check_text(code, Surface::Bio).unwrap().level.as_str() != "allow");
    std::fs::write(&lexicon, "format = 1\nname = \"x\"\n[[entry]]\nkind = \"pattern\"\ntext = \"(\"\ncategory = \"c\"\nseverity = \"block\"\n").unwrap();
    assert!(host.reload_lexicon().is_err());
    let current = host.snapshot();
    assert_eq!(current.generation(), 2);
    assert!(current.check_text(code, Surface::Bio).unwrap().level.as_str() != "allow");
    // A good one replaces it, and the guard is rebuilt on the same scan.
    std::fs::write(&lexicon, "quimzel\n").unwrap();
    let err = host.reload_lexicon().unwrap_err();
    assert!(matches!(err, EngineError::Lexicon { .. }), "a .toml name is read as TOML: {err}");
    std::fs::write(&lexicon, TEST_LEXICON.toml.replace("vorblat", "quimzelt")).unwrap();
    let reloaded = host.reload_lexicon().unwrap();
    assert_eq!(reloaded.generation(), 3);
    assert_eq!(reloaded.scan().unwrap().run, info.run);
    assert!(reloaded.check_text("quimzelt", Surface::Bio).unwrap().level.as_str() != "allow");
}

fn event(line: &str) -> guardrail_engine::core::Event {
    guardrail_engine::core::Event::from_json_line(line).unwrap()
}

/// Direct signals of accepted events act at once, before any rescan; a
/// restore lifts an enforcement's marks; a rescan folds them into its tiers.
#[test]
fn appended_events_change_the_live_state_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    guardrail_engine::world::synthesise(Config::new(600, 5), &LexiconSource::default(), &world)
        .unwrap();
    let lexicon = dir.path().join("lexicon.toml");
    std::fs::write(&lexicon, TEST_LEXICON.toml).unwrap();
    let config = HostConfig {
        database: dir.path().join("g.db").display().to_string(),
        signals: SignalSources { lexicon: LexiconSource::file(&lexicon), ..Default::default() },
        policy: Policy::default(),
        scan: Default::default(),
    };
    let host = Host::open(config).unwrap();
    let lines = std::fs::read_to_string(world.join("events.jsonl")).unwrap();
    let events: Vec<_> = lines.lines().map(event).collect();
    // Appending is idempotent on event id, like ingest (the outbox is
    // enabled below: the world's history is not sent to the platform).
    let first = host.append(&events).unwrap();
    assert_eq!(first.inserted as usize, events.len());
    assert_eq!(host.append(&events[..10]).unwrap().duplicates, 10);
    let scanned = host.rescan().unwrap();
    let clear: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            guardrail_engine::core::EventKind::Account(a) => Some(a.account.as_str().to_owned()),
            _ => None,
        })
        .filter(|a| scanned.guard().state().account(a).is_none_or(|s| s.tier == RiskTier::Clear))
        .take(3)
        .collect();
    let allowed = |id: &str| {
        host.snapshot().decide(
            "viewer".into(),
            DiscoverySurface::AccountSuggestions,
            &[Candidate::Account(id.into())],
        )[0]
    };
    let (banned, commenter, poster) = (&clear[0], &clear[1], &clear[2]);
    host.enable_outbox();
    assert!(allowed(banned).allow && allowed(commenter).allow && allowed(poster).allow);

    // A child-safety ban drops the account from the next decision.
    let at = "2030-01-01T00:00:00Z";
    let ban = format!(
        r#"{{"type":"enforcement","id":"live-ban","at":"{at}","account":"{banned}","action":"ban","confirmed_category":"child_safety"}}"#
    );
    host.append(&[event(&ban)]).unwrap();
    let d = allowed(banned);
    assert!(!d.allow && d.reasons.names().any(|r| r == "flagged_account"), "{d:?}");
    let mark = host.snapshot().live_mark(banned).cloned().unwrap();
    assert_eq!(
        (mark.tier, mark.reason.code(), mark.event.as_str()),
        (Some(RiskTier::Confirmed), "child_safety_enforcement", "live-ban")
    );
    // The same event again changes nothing; the same id with other content is a conflict.
    let again = host.append(&[event(&ban)]).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 1));
    let other = ban.replace("\"ban\"", "\"suspend\"").replace(banned.as_str(), commenter.as_str());
    assert_eq!(host.append(&[event(&other)]).unwrap().conflicts, [0]);
    assert!(allowed(commenter).allow, "a conflicting event is not stored and not applied");

    // A strong lexicon hit in a comment marks its author suspected.
    let comment = format!(
        r#"{{"type":"comment","id":"live-c","at":"{at}","comment":"c-live","actor":"{commenter}","post":"p-none","text":"dm me, flenwick"}}"#
    );
    host.append(&[event(&comment)]).unwrap();
    assert!(!allowed(commenter).allow);
    assert_eq!(host.snapshot().live_mark(commenter).unwrap().tier, Some(RiskTier::Suspected));
    // A post whose media is in a bank marks its author confirmed.
    let bank = std::fs::read_to_string(world.join("bank.txt")).unwrap();
    host.with_store(|store| {
        guardrail_engine::banks::import(
            store,
            &guardrail_engine::banks::Import {
                bank: "world",
                action: "report",
                tags: &[],
                kind: None,
                text: &bank,
                name: "bank.txt",
            },
        )
        .map(|_| ())
    })
    .unwrap();
    host.reload_banks().unwrap();
    let pdq = bank.lines().find(|l| !l.starts_with('#') && !l.trim().is_empty()).unwrap();
    let pdq = pdq.split_whitespace().next().unwrap().trim_start_matches("pdq:");
    let post = format!(
        r#"{{"type":"post","id":"live-p","at":"{at}","post":"p-live","author":"{poster}","media":[{{"kind":"image","pdq":"{pdq}"}}]}}"#
    );
    host.append(&[event(&post)]).unwrap();
    assert_eq!(host.snapshot().live_mark(poster).unwrap().reason.code(), "bank_match");
    assert!(!allowed(poster).allow);
    // A post by the same author in a feed is dropped too.
    let feed = host.snapshot().decide(
        "viewer".into(),
        DiscoverySurface::Feed,
        &[Candidate::Post { author: poster.into(), hashtags: &[], caption: None }],
    );
    assert!(!feed[0].allow);

    // A restore lifts the ban's marks.
    let restore = format!(
        r#"{{"type":"enforcement","id":"live-restore","at":"2030-01-02T00:00:00Z","account":"{banned}","action":"restore"}}"#
    );
    host.append(&[event(&restore)]).unwrap();
    assert!(host.snapshot().live_mark(banned).is_none());
    assert!(allowed(banned).allow);
    // A rescan reads every appended event: the overlay empties and the
    // scan's tiers act (the poster's bank match is a confirmed seed).
    let rescanned = host.rescan().unwrap();
    assert!(rescanned.live().is_empty(), "{:?}", rescanned.live());
    assert!(!allowed(poster).allow);
    assert_eq!(rescanned.guard().state().account(poster).unwrap().tier, RiskTier::Confirmed);

    // What the platform must carry out went to the outbox with its events:
    // once each (the repeated ban added nothing), nothing for the conflict.
    let rows = host.with_store(|s| Ok(s.outbox_rows(0, 100)?)).unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("live-ban/account.non_recommendable/{banned}"),
            format!("live-c/account.non_recommendable/{commenter}"),
            format!("live-p/account.non_recommendable/{poster}"),
            format!("live-restore/account.recommendable/{banned}"),
        ]
    );
    let body: serde_json::Value = serde_json::from_str(&rows[0].body).unwrap();
    assert_eq!(body["reason"], "child_safety_enforcement");
    assert_eq!(body["tier"], "confirmed");
    assert_eq!(body["id"], rows[0].key.as_str());
}

/// A new account that shares an identifier with an account of a person
/// banned for child safety is flagged as ban evasion on its first event.
#[test]
fn a_banned_persons_return_is_flagged_on_its_first_event() {
    use guardrail_engine::core::EventKind;
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    guardrail_engine::world::synthesise(Config::new(800, 9), &LexiconSource::default(), &world)
        .unwrap();
    let host = Host::open(HostConfig {
        database: dir.path().join("g.db").display().to_string(),
        signals: SignalSources::default(),
        policy: Policy::default(),
        scan: Default::default(),
    })
    .unwrap();
    let lines = std::fs::read_to_string(world.join("events.jsonl")).unwrap();
    let events: Vec<_> = lines.lines().map(event).collect();
    host.append(&events).unwrap();
    host.rescan().unwrap();
    let banned: std::collections::HashSet<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Enforcement(x)
                if x.confirmed_category.as_deref() == Some("child_safety") =>
            {
                Some(x.account.as_str())
            }
            _ => None,
        })
        .collect();
    let (account, email) = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Account(a) if banned.contains(a.account.as_str()) => a
                .identifiers
                .as_ref()
                .and_then(|ids| ids.email_hash.first().cloned())
                .map(|email| (a.account.as_str().to_owned(), email)),
            _ => None,
        })
        .expect("a banned account that declared an email hash");
    let new = format!(
        r#"{{"type":"account","id":"ret-1","at":"2030-01-01T00:00:00Z","account":"returner","handle":"brand_new_9","identifiers":{{"email_hash":["{email}"]}}}}"#
    );
    let innocent = r#"{"type":"account","id":"ret-2","at":"2030-01-01T00:00:00Z","account":"innocent","handle":"someone_else","identifiers":{"email_hash":["not-shared"]}}"#;
    host.append(&[event(&new), event(innocent)]).unwrap();
    let snapshot = host.snapshot();
    let mark = snapshot.live_mark("returner").cloned().expect("flagged on its first event");
    assert_eq!((mark.reason.code(), mark.tier), ("ban_evasion", Some(RiskTier::Confirmed)));
    assert_eq!(mark.source, account);
    assert!(mark.evidence.iter().any(|e| e.contains(&email)), "{:?}", mark.evidence);
    assert!(snapshot.live_mark("innocent").is_none());
    let d = snapshot.decide(
        "viewer".into(),
        DiscoverySurface::AccountSuggestions,
        &[Candidate::Account("returner".into()), Candidate::Account("innocent".into())],
    );
    assert_eq!((d[0].allow, d[1].allow), (false, true));
}

/// A reviewer's decision acts on the guard at once, outlives a rescan and a
/// restart (it is read again from the store), and a restore after an appeal
/// lifts it.
#[test]
fn review_decisions_act_on_the_guard_and_survive_rescans_and_restarts() {
    use guardrail_engine::core::{ReportCategory, Timestamp};
    use guardrail_engine::review::{self, DecisionInput, ReviewConfig};
    use guardrail_engine::review_engine::case::Role;
    use guardrail_engine::review_engine::{NewReport, ReportSource, Target};

    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    guardrail_engine::world::synthesise(Config::new(600, 7), &LexiconSource::default(), &world)
        .unwrap();
    let config = HostConfig {
        database: dir.path().join("g.db").display().to_string(),
        signals: SignalSources::default(),
        policy: Policy::default(),
        scan: Default::default(),
    };
    let host = Host::open(config.clone()).unwrap();
    let lines = std::fs::read_to_string(world.join("events.jsonl")).unwrap();
    let events: Vec<_> = lines.lines().map(event).collect();
    host.append(&events).unwrap();
    let scanned = host.rescan().unwrap();
    let target = events
        .iter()
        .filter_map(|e| match &e.kind {
            guardrail_engine::core::EventKind::Account(a) => Some(a.account.as_str().to_owned()),
            _ => None,
        })
        .find(|a| scanned.guard().state().account(a).is_none_or(|s| s.tier == RiskTier::Clear))
        .unwrap();
    let allowed = |host: &Host, account: &str, tag: &str| {
        let d = host.snapshot().decide(
            "viewer".into(),
            DiscoverySurface::AccountSuggestions,
            &[Candidate::Account(account.into()), Candidate::Hashtag(tag)],
        );
        (d[0].allow, d[1].allow)
    };
    assert_eq!(allowed(&host, &target, "quietcorner"), (true, true));

    let mut review_config = ReviewConfig::default();
    review_config.reviewers.insert("r1".into(), vec![Role::Reviewer]);
    review_config.reviewers.insert("r2".into(), vec![Role::Reviewer]);
    let now = Timestamp::parse("2031-01-01T00:00:00Z").unwrap();
    let report = NewReport {
        key: None,
        source: ReportSource::Api,
        reporter: None,
        target: Target::Account(target.as_str().into()),
        category: ReportCategory::Spam,
        text: Some("sells followers".into()),
        received_at: now,
    };
    let case = host.with_store(|s| review::add_report(s, report, "test")).unwrap().case;
    host.with_store(|s| review::claim(s, &review_config, case, "r1", now)).unwrap();
    let input = DecisionInput {
        verdict: "violating".into(),
        policy: Some("spam".into()),
        category: Some("spam".into()),
        action: Some("none".into()),
        not_recommendable: true,
        block_hashtags: vec!["QuietCorner".into()],
        ..Default::default()
    };
    let decided = host
        .with_store(|s| review::decide(s, &review_config, case, "r1", input.decision()?, now))
        .unwrap();
    let actions: Vec<(String, String)> =
        decided.actions.iter().map(|a| (a.kind.to_owned(), a.target.clone())).collect();
    assert!(actions.contains(&("not_recommendable".into(), target.clone())), "{actions:?}");
    host.apply_review(case, &actions);
    assert_eq!(allowed(&host, &target, "quietcorner"), (false, false));
    let mark = host.snapshot().live_mark(&target).cloned().unwrap();
    assert_eq!(mark.reason.code(), "review_decision");
    // A rescan reads the platform's events, not decisions: the mark stays.
    host.rescan().unwrap();
    assert_eq!(allowed(&host, &target, "#QuietCorner"), (false, false));
    // A restart reads it again from the store.
    drop(host);
    let host = Host::open(config.clone()).unwrap();
    assert_eq!(allowed(&host, &target, "quietcorner"), (false, false), "before any scan");
    // An appeal, decided not violating by another reviewer, restores the account.
    host.with_store(|s| review::appeal(s, case, &target, "I only knit", now)).unwrap();
    host.with_store(|s| review::claim(s, &review_config, case, "r2", now)).unwrap();
    let restore = DecisionInput {
        verdict: "not_violating".into(),
        reason: Some("knitting".into()),
        ..Default::default()
    };
    let decided = host
        .with_store(|s| review::decide(s, &review_config, case, "r2", restore.decision()?, now))
        .unwrap();
    let actions: Vec<(String, String)> =
        decided.actions.iter().map(|a| (a.kind.to_owned(), a.target.clone())).collect();
    host.apply_review(case, &actions);
    assert!(allowed(&host, &target, "quietcorner").0, "restored: {actions:?}");
    drop(host);
    let host = Host::open(config).unwrap();
    assert!(allowed(&host, &target, "quietcorner").0, "restored after a restart too");
}
