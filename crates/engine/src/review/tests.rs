//! Tests of the review composition: the configuration file, the stored
//! form of verdicts, and the queue over a real store.

use super::*;

#[test]
fn configuration_errors_name_the_key() {
    let config = ReviewConfig::parse(
        "lease_seconds = 60\n[sla]\np0 = 600\n[reviewers]\nr1 = [\"reviewer\", \"child_safety\"]\n",
    )
    .unwrap();
    assert_eq!(config.lease, Duration::from_secs(60));
    assert_eq!(config.sla.deadline(Level::P0), Duration::from_secs(600));
    assert!(config.reviewer("r1").unwrap().has(Role::ChildSafety));
    assert!(matches!(config.reviewer("r9"), Err(EngineError::UnknownReviewer { .. })));
    let err = |text: &str| ReviewConfig::parse(text).unwrap_err();
    assert_eq!(err("[sla]\np9 = 1\n"), "sla.p9: not a level (p0, p1, p2, p3)");
    assert_eq!(err("[sla]\np1 = 1\n"), "sla.p1: shorter than sla.p0");
    assert_eq!(err("second_review_rate = 2.0\n"), "second_review_rate: 2 is not between 0 and 1");
    assert!(
        err("[reviewers]\nr1 = [\"boss\"]\n").starts_with("reviewers.r1: \"boss\" is not a role")
    );
    assert!(err("lease = 3\n").contains("unknown field"));
}

#[test]
fn verdicts_survive_their_stored_form() {
    let verdicts = [
        Verdict::Violating {
            policy: "child_safety".into(),
            category: ReportCategory::ChildSafety,
            enforcement: Enforcement {
                account_action: AccountAction::Ban,
                not_recommendable: true,
                block_identifiers: true,
                block_hashtags: vec!["codeword".into()],
            },
            cybertip: Some(CyberTipFields {
                incident_type: IncidentType::ChildSexTrafficking,
                escalate_reason: Some("immediate risk".into()),
            }),
        },
        Verdict::NotViolating { reason: "a knitting pattern".into() },
        Verdict::Duplicate { of: CaseId::new(3) },
        Verdict::Merged { into: CaseId::new(4) },
    ];
    for v in verdicts {
        let json = decision_json(&Decision::Verdict(v.clone()));
        assert_eq!(verdict_from_json(&json), Some(v), "{json}");
    }
    assert_eq!(verdict_from_json(&decision_json(&Decision::Escalate { reason: "x".into() })), None);
}

fn report(target: &str, category: ReportCategory, reporter: &str) -> NewReport {
    NewReport {
        key: None,
        source: guardrail_review::ReportSource::Cli,
        reporter: Some(reporter.into()),
        target: Target::Account(target.into()),
        category,
        text: None,
        received_at: Timestamp::parse("2026-03-01T10:00:00Z").unwrap(),
    }
}

#[test]
fn the_queue_puts_child_safety_first_and_a_decision_writes_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = guardrail_store::open(dir.path().join("r.db").to_str().unwrap()).unwrap();
    let mut config = ReviewConfig::default();
    config.reviewers.insert("r1".into(), vec![Role::Reviewer, Role::ChildSafety]);
    for i in 0..5 {
        add_report(store.as_mut(), report("u1", ReportCategory::Spam, &format!("s{i}")), "test")
            .unwrap();
    }
    add_report(store.as_mut(), report("u2", ReportCategory::ChildSafety, "s9"), "test").unwrap();
    let now = Timestamp::parse("2026-03-01T11:00:00Z").unwrap();
    let (entries, backlog) = queue(store.as_mut(), &config, now).unwrap();
    assert_eq!(entries.iter().map(|e| e.case).collect::<Vec<_>>(), [2, 1]);
    assert_eq!((entries[1].reports, backlog.by_level), (5, [1, 0, 0, 1]));
    // Case 2 is overdue after its hour: counted.
    assert_eq!(backlog.overdue, 1);
    claim(store.as_mut(), &config, 1, "r1", now).unwrap();
    let ban = Decision::Verdict(Verdict::Violating {
        policy: "spam".into(),
        category: ReportCategory::Spam,
        enforcement: Enforcement {
            account_action: AccountAction::Suspend,
            ..Enforcement::default()
        },
        cybertip: None,
    });
    let out = decide(store.as_mut(), &config, 1, "r1", ban, now).unwrap();
    assert_eq!((out.reports, out.actions.len()), (5, 1));
    let statement = out.statement.unwrap();
    assert_eq!((statement.notices, statement.contractual_ground.as_deref()), (5, Some("spam")));
    assert_eq!(store.review_outbox(true).unwrap()[0].action, "suspend");
    // Their reporters were upheld: their next reports weigh more.
    let row = store.review_case(2).unwrap().unwrap();
    let inputs = priority_inputs(store.as_mut(), &row).unwrap();
    assert_eq!(inputs.reporters, [0.5]);
    assert_eq!(verify_audit(store.as_mut()).unwrap(), AuditCheck { entries: 9, broken: None });
}

#[test]
fn decision_input_names_the_missing_or_bad_field() {
    let input = |verdict: &str| DecisionInput { verdict: verdict.into(), ..Default::default() };
    let field = |i: &DecisionInput| match i.decision() {
        Err(ReviewError::Field { field, why }) => format!("{field}: {why}"),
        other => panic!("{other:?}"),
    };
    assert_eq!(field(&input("violating")), "decision.category: needed for violating");
    let mut v = DecisionInput { category: Some("spam".into()), ..input("violating") };
    assert_eq!(field(&v), "decision.policy: needed for violating");
    v.policy = Some("spam".into());
    v.action = Some("delete".into());
    assert_eq!(field(&v), "decision.action: \"delete\" is not ban, suspend or none");
    v.action = None;
    v.incident_type = Some("bad".into());
    assert!(field(&v).starts_with("decision.incident_type: \"bad\" is not one of"));
    v.incident_type = None;
    match v.decision().unwrap() {
        Decision::Verdict(Verdict::Violating { enforcement, cybertip: None, .. }) => {
            assert_eq!(enforcement.account_action, AccountAction::Ban, "ban unless told");
        }
        other => panic!("{other:?}"),
    }
    v.category = Some("knitting".into());
    assert!(field(&v).starts_with("decision.category: \"knitting\" is not one of"));
    assert_eq!(field(&input("not-violating")), "decision.reason: needed for not_violating");
    let blank = DecisionInput { reason: Some("  ".into()), ..input("escalate") };
    assert_eq!(field(&blank), "decision.reason: needed for escalate");
    assert_eq!(field(&input("merged")), "decision.other_case: needed for this verdict");
    assert!(field(&input("maybe")).starts_with("decision.verdict: \"maybe\" is not"));
    let dup = DecisionInput { other_case: Some(4), ..input("duplicate") };
    assert_eq!(
        dup.decision().unwrap(),
        Decision::Verdict(Verdict::Duplicate { of: CaseId::new(4) })
    );
    // A JSON body with a key that is not a field is refused, naming it.
    let err = serde_json::from_str::<DecisionInput>(r#"{"verdict":"escalate","reasn":"x"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `reasn`"), "{err}");
}
