//! Reports, cases, decisions, the outbox and the audit log (migration 7), on
//! every backend.

use std::hash::{Hash, Hasher};

use guardrail_store::{
    AuditDraft, AuditRow, CaseRow, CaseWrite, DecisionWrite, Evidence, FileView, Intake,
    IntakeItem, NewReportRow, NewSignalRow, Store, StoreError, WebhookRow,
};

use super::targets;

/// A stand-in for the review engine's seal: any function of the row's
/// content and its predecessor's hash shows that the store links entries.
fn seal(row: &AuditRow) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (row.seq, row.at, &row.actor, &row.action, &row.subject, &row.detail, &row.prev_hash)
        .hash(&mut h);
    format!("{:016x}", h.finish())
}

fn report(key: &str, reporter: &str, target: &str, category: &str) -> Intake {
    Intake {
        subject_kind: "account".into(),
        subject: target.into(),
        item: IntakeItem::Report(NewReportRow {
            key: key.into(),
            canonical: format!("{reporter}>{target}:{category}"),
            source: "cli".into(),
            reporter: Some(reporter.into()),
            target_kind: "account".into(),
            target: target.into(),
            category: category.into(),
            text: None,
            received_at: 1_000,
        }),
        evidence: Evidence {
            child_safety: category == "child_safety",
            category_rank: Some(if category == "child_safety" { 0 } else { 3 }),
            accounts: vec![target.into()],
            ..Evidence::default()
        },
        audit: draft("cli", "intake"),
    }
}

fn draft(actor: &str, action: &str) -> AuditDraft {
    AuditDraft {
        at: 2_000,
        actor: actor.into(),
        action: action.into(),
        subject: String::new(),
        detail: String::new(),
    }
}

fn claim(case: &CaseRow, reviewer: &str, until: i64) -> CaseWrite {
    CaseWrite {
        id: case.id,
        expected_version: case.version,
        state: "claimed".into(),
        verdict: None,
        lease_holder: Some(reviewer.into()),
        lease_until: Some(until),
        escalated: case.escalated,
        appeals: case.appeals,
        excluded: case.excluded.clone(),
        at: 3_000,
        reopen_route: false,
    }
}

fn decision(
    case: &CaseRow,
    verdict: &str,
    resolution: &str,
    outbox: &[(&str, &str)],
) -> DecisionWrite {
    DecisionWrite {
        case: CaseWrite {
            state: "decided".into(),
            verdict: Some(verdict.into()),
            lease_holder: None,
            lease_until: None,
            excluded: vec![],
            ..claim(case, "r1", 0)
        },
        reviewer: "r1".into(),
        verdict: verdict.into(),
        detail: r#"{"policy":"spam"}"#.into(),
        statement: Some("{}".into()),
        sampled: false,
        resolution: Some((resolution.into(), case.id.to_string())),
        merged_into: None,
        outbox: outbox.iter().map(|(a, t)| ((*a).to_owned(), (*t).to_owned())).collect(),
        webhooks: outbox
            .iter()
            .map(|(a, t)| WebhookRow {
                key: format!("case:{}/v{}/{a}/{t}", case.id, case.version),
                kind: format!("enforcement.{a}"),
                body: format!(r#"{{"action":"{a}","target":"{t}"}}"#),
            })
            .collect(),
        audit: vec![draft("r1", "decide"), draft("r1", "enforce")],
    }
}

fn case_of(store: &mut dyn Store, id: u64) -> CaseRow {
    store.review_case(id).unwrap().unwrap()
}

fn audit_chain(store: &mut dyn Store) -> Vec<AuditRow> {
    let mut out = Vec::new();
    loop {
        let page = store.review_audit(out.len() as u64, 7).unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

fn check_chain(rows: &[AuditRow]) {
    let mut prev = String::new();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.seq, i as u64 + 1);
        assert_eq!(row.prev_hash, prev, "entry {}", row.seq);
        assert_eq!(row.hash, seal(row), "entry {}", row.seq);
        prev = row.hash.clone();
    }
}

#[test]
fn a_hundred_reports_of_one_account_are_one_case_and_keys_are_idempotent() {
    for t in targets() {
        let mut store = t.open();
        for i in 0..100 {
            let out = store
                .review_intake(&report(&format!("k{i}"), &format!("u{i}"), "a1", "spam"), &seal)
                .unwrap();
            assert_eq!((out.case, out.new_case, out.duplicate), (1, i == 0, false), "{}", t.url);
        }
        // The same key and content again: acknowledged, not stored twice.
        let again = store.review_intake(&report("k5", "u5", "a1", "spam"), &seal).unwrap();
        assert!(again.duplicate);
        assert_eq!(again.id, 6);
        // The same key with other content: a typed conflict, nothing written.
        let err = store.review_intake(&report("k5", "u5", "a2", "spam"), &seal).unwrap_err();
        assert!(matches!(err, StoreError::KeyConflict { ref key } if key == "k5"), "{err}");
        let cases = store.review_cases(true).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!((cases[0].reports, cases[0].state.as_str()), (100, "open"));
        assert_eq!(store.review_reports(1).unwrap().len(), 100);
        assert_eq!(
            store.review_report_by_key("k7").unwrap().map(|r| r.reporter),
            Some(Some("u7".into()))
        );
        let chain = audit_chain(store.as_mut());
        assert_eq!(chain.len(), 100);
        assert_eq!((chain[0].subject.as_str(), chain[0].detail.as_str()), ("case 1", "report 1"));
        check_chain(&chain);
    }
}

#[test]
fn evidence_accumulates_and_signals_join_the_case() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "spam"), &seal).unwrap();
        store.review_intake(&report("k2", "u2", "a1", "child_safety"), &seal).unwrap();
        store.review_intake(&report("k3", "u3", "a1", "harassment"), &seal).unwrap();
        let signal = Intake {
            subject_kind: "account".into(),
            subject: "a1".into(),
            item: IntakeItem::Signal(NewSignalRow {
                key: "hash:p1".into(),
                kind: "hash_match".into(),
                account: "a1".into(),
                detail: "bank test, distance 3".into(),
                at: 5,
            }),
            evidence: Evidence {
                hash_match: true,
                tier: 4,
                strong_terms: 2,
                ..Evidence::default()
            },
            audit: draft("system", "signal"),
        };
        assert_eq!(store.review_intake(&signal, &seal).unwrap().case, 1);
        assert!(store.review_intake(&signal, &seal).unwrap().duplicate);
        let case = case_of(store.as_mut(), 1);
        assert!(case.child_safety && case.hash_match, "{}", t.url);
        assert_eq!((case.tier, case.strong_terms, case.category_rank), (4, 2, Some(0)));
        assert_eq!((case.reports, case.signals), (3, 1));
        assert_eq!(store.review_signals(1).unwrap()[0].kind, "hash_match");
        assert_eq!(store.review_case_accounts(1).unwrap(), ["a1"]);
    }
}

#[test]
fn claims_are_compare_and_set() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "spam"), &seal).unwrap();
        let read = case_of(store.as_mut(), 1);
        store
            .review_update_case(&claim(&read, "r1", 9_000), &[draft("r1", "claim")], &seal)
            .unwrap();
        // A second reviewer who read the same version loses, and nothing of theirs is written.
        let err = store
            .review_update_case(&claim(&read, "r2", 9_000), &[draft("r2", "claim")], &seal)
            .unwrap_err();
        assert!(matches!(err, StoreError::Stale { case: 1 }), "{err}");
        let now = case_of(store.as_mut(), 1);
        assert_eq!((now.state.as_str(), now.lease_holder.as_deref()), ("claimed", Some("r1")));
        assert_eq!(now.version, read.version + 1);
        assert_eq!(audit_chain(store.as_mut()).len(), 2);
        let mut missing = claim(&read, "r1", 9_000);
        missing.id = 99;
        let err = store.review_update_case(&missing, &[], &seal).unwrap_err();
        assert!(matches!(err, StoreError::Missing { what: "case", .. }), "{err}");
    }
}

#[test]
fn a_decision_resolves_reports_and_writes_the_outbox_in_one_transaction() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "spam"), &seal).unwrap();
        store.review_intake(&report("k2", "u2", "a1", "spam"), &seal).unwrap();
        let read = case_of(store.as_mut(), 1);
        store.review_update_case(&claim(&read, "r1", 9_000), &[], &seal).unwrap();
        // Decided against a stale version: nothing of it is written.
        let stale = decision(&read, "violating", "actioned", &[("ban", "a1")]);
        assert!(matches!(store.review_decide(&stale, &seal), Err(StoreError::Stale { .. })));
        assert!(store.review_outbox(false).unwrap().is_empty());
        assert!(store.outbox_rows(0, 10).unwrap().is_empty(), "no webhook row of a stale decision");
        assert!(store.review_decisions(1).unwrap().is_empty());
        assert!(store.review_reports(1).unwrap().iter().all(|r| r.resolution.is_none()));
        let audit_before = audit_chain(store.as_mut()).len();
        let current = case_of(store.as_mut(), 1);
        let id = store
            .review_decide(
                &decision(
                    &current,
                    "violating",
                    "actioned",
                    &[("ban", "a1"), ("not_recommendable", "a1")],
                ),
                &seal,
            )
            .unwrap();
        let decided = case_of(store.as_mut(), 1);
        assert_eq!(
            (decided.state.as_str(), decided.verdict.as_deref()),
            ("decided", Some("violating"))
        );
        let outbox = store.review_outbox(true).unwrap();
        assert_eq!(outbox.len(), 2, "{}", t.url);
        assert!(outbox.iter().all(|o| o.decision_id == id && o.case_id == 1));
        // The platform gets the same actions as webhooks, from the same transaction.
        let hooks = store.outbox_rows(0, 10).unwrap();
        let kinds: Vec<&str> = hooks.iter().map(|h| h.kind.as_str()).collect();
        assert_eq!(kinds, ["enforcement.ban", "enforcement.not_recommendable"], "{}", t.url);
        let reports = store.review_reports(1).unwrap();
        assert!(reports.iter().all(|r| r.resolution.as_deref() == Some("actioned")), "{reports:?}");
        assert_eq!(store.review_decisions(1).unwrap().len(), 1);
        let chain = audit_chain(store.as_mut());
        assert_eq!(chain.len(), audit_before + 2);
        check_chain(&chain);
        // The subject's next report opens a new case.
        let next = store.review_intake(&report("k3", "u3", "a1", "spam"), &seal).unwrap();
        assert_eq!((next.case, next.new_case), (2, true));
        let records = store.review_reporters(&["u1".into(), "u9".into()]).unwrap();
        assert_eq!((records[0].upheld, records[0].rejected, records[1].upheld), (1, 0, 0));
    }
}

#[test]
fn merges_route_the_subject_and_appeals_reopen() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "spam"), &seal).unwrap();
        store.review_intake(&report("k2", "u1", "a2", "spam"), &seal).unwrap();
        let a = case_of(store.as_mut(), 1);
        let mut merge = decision(&a, "merged", "merged", &[]);
        merge.merged_into = Some(2);
        store.review_decide(&merge, &seal).unwrap();
        // a1's next report joins case 2, which took case 1's subject.
        assert_eq!(store.review_intake(&report("k3", "u2", "a1", "spam"), &seal).unwrap().case, 2);
        let b = case_of(store.as_mut(), 2);
        store.review_decide(&decision(&b, "not_violating", "not_violating", &[]), &seal).unwrap();
        // Merging into a decided case is refused and writes nothing.
        store.review_intake(&report("k4", "u2", "a3", "spam"), &seal).unwrap();
        let c = case_of(store.as_mut(), 3);
        let mut bad = decision(&c, "merged", "merged", &[]);
        bad.merged_into = Some(2);
        let err = store.review_decide(&bad, &seal).unwrap_err();
        assert!(matches!(err, StoreError::InvalidField { .. }), "{err}");
        assert_eq!(case_of(store.as_mut(), 3).state, "open");
        // An appeal reopens case 2 and a2's next report joins it again.
        let b = case_of(store.as_mut(), 2);
        let reopen = CaseWrite {
            state: "open".into(),
            verdict: b.verdict.clone(),
            lease_holder: None,
            lease_until: None,
            appeals: 1,
            excluded: vec!["r1".into()],
            reopen_route: true,
            ..claim(&b, "r1", 0)
        };
        store.review_update_case(&reopen, &[draft("u1", "appeal")], &seal).unwrap();
        let b = case_of(store.as_mut(), 2);
        assert_eq!((b.appeals, b.excluded.clone()), (1, vec!["r1".to_owned()]));
        assert_eq!(store.review_intake(&report("k5", "u3", "a2", "spam"), &seal).unwrap().case, 2);
        // Its reports keep their resolution until it is decided again.
        assert!(store
            .review_reports(2)
            .unwrap()
            .iter()
            .filter(|r| r.key != "k5")
            .all(|r| r.resolution.is_some()));
        check_chain(&audit_chain(store.as_mut()));
    }
}

#[test]
fn file_views_are_recorded_once_per_reviewer() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "child_safety"), &seal).unwrap();
        let view =
            FileView { case_id: 1, file: "sha256:ab".into(), reviewer: "r1".into(), viewed_at: 7 };
        store.review_record_view(&view, &draft("r1", "view_file"), &seal).unwrap();
        store.review_record_view(&view, &draft("r1", "view_file"), &seal).unwrap();
        assert_eq!(store.review_file_views(1).unwrap(), std::slice::from_ref(&view));
        let err = store
            .review_record_view(&FileView { case_id: 5, ..view }, &draft("r1", "view_file"), &seal)
            .unwrap_err();
        assert!(matches!(err, StoreError::Missing { .. }), "{err}");
        // Every view attempt on an existing case is audited.
        assert_eq!(audit_chain(store.as_mut()).len(), 3);
    }
}

#[test]
fn a_batch_commits_together_and_refuses_only_its_bad_items() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "spam"), &seal).unwrap();
        let mut empty = report("k4", "u4", "a4", "spam");
        if let IntakeItem::Report(r) = &mut empty.item {
            r.target.clear();
        }
        let batch = [
            report("k2", "u2", "a1", "spam"),
            report("k1", "u1", "a9", "spam"), // k1 with other content: a conflict
            report("k3", "u3", "a2", "spam"),
            report("k3", "u3", "a2", "spam"), // the same again inside the batch: a duplicate
            empty,
        ];
        let out = store.review_intake_batch(&batch, &seal).unwrap();
        assert_eq!(out.len(), 5);
        let ok: Vec<_> =
            out.iter().map(|o| o.as_ref().map(|o| (o.id, o.case, o.duplicate))).collect();
        assert_eq!(ok[0].as_ref().unwrap(), &(2, 1, false), "{}", t.url);
        assert!(matches!(ok[1], Err(StoreError::KeyConflict { .. })));
        assert_eq!(ok[2].as_ref().unwrap(), &(3, 2, false));
        assert_eq!(ok[3].as_ref().unwrap(), &(3, 2, true));
        assert!(matches!(ok[4], Err(StoreError::InvalidField { .. })), "{:?}", ok[4]);
        // The refused items wrote nothing: no case for a9 or a4, one audit entry per stored report.
        assert_eq!(store.review_cases(false).unwrap().len(), 2);
        let chain = audit_chain(store.as_mut());
        assert_eq!(chain.len(), 3);
        check_chain(&chain);
    }
}

fn submission(case: u64) -> guardrail_store::CyberTipRow {
    guardrail_store::CyberTipRow {
        case_id: case,
        environment: "test".into(),
        state: "pending".into(),
        report_xml: "<report/>".into(),
        files: "{}".into(),
        report_id: None,
        attempts: 0,
        next_at: 5_000,
        last_code: None,
        last_error: None,
        request_id: None,
        receipt: None,
        created_at: 5_000,
        updated_at: 5_000,
        finished_at: None,
    }
}

#[test]
fn cybertip_submissions_are_one_per_case_record_each_step_and_stay_finished() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "child_safety"), &seal).unwrap();
        assert_eq!(store.cybertip_awaiting().unwrap(), 0, "undecided: nothing awaits");
        let case = case_of(store.as_mut(), 1);
        store.review_decide(&decision(&case, "violating", "actioned", &[]), &seal).unwrap();
        assert_eq!(store.cybertip_awaiting().unwrap(), 1, "{}", t.url);
        let missing = store.cybertip_create(&submission(9), &[draft("r1", "queue")], &seal);
        assert!(matches!(missing, Err(StoreError::Missing { .. })), "{missing:?}");
        let mut bad = submission(1);
        bad.environment = "prod".into();
        let err = store.cybertip_create(&bad, &[], &seal).unwrap_err();
        assert!(err.to_string().starts_with("cybertip.environment"), "{err}");
        store.cybertip_create(&submission(1), &[draft("r1", "cybertip_queue")], &seal).unwrap();
        assert_eq!(store.cybertip_awaiting().unwrap(), 0, "queued: no longer awaiting");
        let twice = store.cybertip_create(&submission(1), &[], &seal);
        assert!(matches!(twice, Err(StoreError::Exists { .. })), "{}", t.url);
        let mut row = submission(1);
        row.state = "submitted".into();
        row.report_id = Some(77);
        let attempt = guardrail_store::CyberTipAttemptRow {
            case_id: 1,
            at: 6_000,
            step: "submit".into(),
            http_status: Some(200),
            code: Some(0),
            outcome: "report 77".into(),
            request_id: Some("req-1".into()),
        };
        store
            .cybertip_record(&row, Some(&attempt), &[draft("r1", "cybertip_submit")], &seal)
            .unwrap();
        row.state = "finished".into();
        row.receipt = Some("<reportDoneResponse/>".into());
        store.cybertip_record(&row, None, &[], &seal).unwrap();
        assert_eq!(store.cybertip_get(1).unwrap(), Some(row.clone()), "{}", t.url);
        assert_eq!(store.cybertip_attempts(1).unwrap(), [attempt]);
        assert_eq!(store.cybertip_list().unwrap().len(), 1);
        // A finished report is final.
        row.state = "pending".into();
        let err = store.cybertip_record(&row, None, &[], &seal).unwrap_err();
        assert!(err.to_string().contains("finished at NCMEC"), "{err}");
        assert_eq!(store.cybertip_get(1).unwrap().unwrap().state, "finished");
        check_chain(&audit_chain(store.as_mut()));
    }
}

#[test]
fn preservation_records_keep_their_files_until_destroyed_and_stay_destroyed() {
    for t in targets() {
        let mut store = t.open();
        store.review_intake(&report("k1", "u1", "a1", "child_safety"), &seal).unwrap();
        let row = guardrail_store::PreservationRow {
            case_id: 1,
            state: "kept".into(),
            created_at: 1,
            expires_at: 100,
            hold: false,
            hold_reason: None,
            metadata: "{\"hashes\": []}".into(),
            destroyed_at: None,
            destroyed_reason: None,
        };
        let file = guardrail_store::PreservedFile {
            case_id: 1,
            name: "post-p1-0".into(),
            sha256: "ab".repeat(32),
            size: 33,
            path: "/preserved/case-1/ab.bin".into(),
        };
        let missing = guardrail_store::PreservationRow { case_id: 9, ..row.clone() };
        assert!(matches!(
            store.preservation_create(&missing, &[], &[], &seal),
            Err(StoreError::Missing { .. })
        ));
        store
            .preservation_create(
                &row,
                std::slice::from_ref(&file),
                &[draft("r1", "preserve")],
                &seal,
            )
            .unwrap();
        let twice = store.preservation_create(&row, &[], &[], &seal);
        assert!(matches!(twice, Err(StoreError::Exists { .. })), "{}", t.url);
        assert_eq!(store.preservation_files(1).unwrap(), [file]);
        let mut held = row.clone();
        held.hold = true;
        held.hold_reason = Some("court order".into());
        store.preservation_update(&held, &[draft("lead", "hold")], &seal).unwrap();
        assert_eq!(store.preservation_get(1).unwrap(), Some(held.clone()));
        let mut gone = held.clone();
        gone.hold = false;
        gone.state = "destroyed".into();
        gone.metadata = String::new();
        gone.destroyed_at = Some(200);
        store.preservation_update(&gone, &[draft("lead", "destroy")], &seal).unwrap();
        assert!(store.preservation_files(1).unwrap().is_empty(), "{}", t.url);
        let err = store.preservation_update(&held, &[], &seal).unwrap_err();
        assert!(err.to_string().contains("destroyed"), "{err}");
        assert_eq!(store.preservation_list().unwrap(), [gone]);
        store.preservation_audit(&[draft("r1", "read")], &seal).unwrap();
        check_chain(&audit_chain(store.as_mut()));
    }
}

#[test]
fn the_queue_inputs_carry_each_cases_reporters_and_their_records() {
    for t in targets() {
        let mut store = t.open();
        // u1 reported a1 (then decided violating: u1 is upheld once), then a2.
        store.review_intake(&report("k1", "u1", "a1", "spam"), &seal).unwrap();
        let first = case_of(store.as_mut(), 1);
        store.review_decide(&decision(&first, "violating", "actioned", &[]), &seal).unwrap();
        store.review_intake(&report("k2", "u1", "a2", "spam"), &seal).unwrap();
        store.review_intake(&report("k3", "u2", "a2", "spam"), &seal).unwrap();
        store.review_intake(&report("k4", "u2", "a2", "spam"), &seal).unwrap();
        let mut anonymous = report("k5", "-", "a2", "spam");
        if let IntakeItem::Report(r) = &mut anonymous.item {
            r.reporter = None;
        }
        store.review_intake(&anonymous, &seal).unwrap();
        let inputs = store.review_queue_inputs().unwrap();
        assert_eq!(inputs.len(), 1, "decided cases are not in the queue: {}", t.url);
        let mut reporters: Vec<(String, u64, u64)> = inputs[0]
            .reporters
            .iter()
            .map(|r| (r.reporter.clone(), r.upheld, r.rejected))
            .collect();
        reporters.sort();
        assert_eq!(reporters, [("u1".into(), 1, 0), ("u2".into(), 0, 0)], "{}", t.url);
        assert_eq!(inputs[0].anonymous, 1);
        assert_eq!(inputs[0].case.reports, 4);
    }
}
