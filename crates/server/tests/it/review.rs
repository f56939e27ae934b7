//! Reports, the queue, cases and decisions over HTTP: acknowledged only
//! once stored, refused field by field, child-safety cases only for tokens
//! with that role, and a decision that the guard acts on at once.

use axum::http::StatusCode;
use guardrail_engine::tokens::Role;
use serde_json::{json, Value};

use crate::{assert_error, Api};

const P: Option<Role> = Some(Role::Platform);
const R: Option<Role> = Some(Role::Reviewer);
const CS: Option<Role> = Some(Role::ChildSafetyReviewer);
const A: Option<Role> = Some(Role::Admin);

/// An account of a flagged network in the latest scan, and the network's number.
fn network_member(api: &Api) -> (String, i64) {
    let run = api.state.host().snapshot().scan().unwrap().run;
    api.state
        .host()
        .with_store(|store| {
            let rows = store.scan_accounts(run, None)?;
            let row = rows.iter().find(|r| r.network.is_some()).expect("a network");
            Ok((row.account.as_str().to_owned(), row.network.unwrap()))
        })
        .unwrap()
}

async fn get(api: &Api, path: &str, role: Option<Role>) -> (StatusCode, Value) {
    api.json("GET", path, role, json!({})).await
}

#[tokio::test]
async fn reports_are_acknowledged_once_stored_and_refused_field_by_field() {
    let api = Api::new();
    let one = json!({"target": "account:u9", "category": "spam", "reporter": "u3", "key": "k-1"});
    let (status, v) = api.json("POST", "/v1/reports", P, one.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["received"].as_u64(), v["stored"].as_u64()), (Some(1), Some(1)), "{v}");
    let case = v["results"][0]["case"].as_u64().unwrap();
    assert_eq!(v["results"][0]["status"], "stored");
    assert_eq!(v["results"][0]["key"], "k-1");
    // The same key and report again: a duplicate, nothing new.
    let (_, again) = api.json("POST", "/v1/reports", P, one).await;
    assert_eq!(again["results"][0]["status"], "duplicate", "{again}");
    assert_eq!(again["results"][0]["case"].as_u64(), Some(case));
    // A batch: good ones stored, each bad one refused with its field, in order.
    let batch = json!([
        {"target": "account:u9", "category": "spam", "reporter": "u4"},
        {"target": "u9", "category": "spam"},
        {"target": "account:u9", "category": "rude"},
        {"target": "account:u9", "category": "spam", "colour": "red"},
        {"target": "account:u9", "category": "spam", "reporter": "u3", "key": "k-1", "text": "other"},
        {"target": "account:", "category": "spam"},
        {"target": "post:p1", "author": "u9", "category": "other"},
    ]);
    let (status, v) = api.json("POST", "/v1/reports", P, batch).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 7, "{v}");
    let status_of = |i: usize| results[i]["status"].as_str().unwrap();
    let field_of = |i: usize| results[i]["error"]["field"].as_str().unwrap_or_default();
    assert_eq!(status_of(0), "stored");
    assert_eq!(results[0]["case"].as_u64(), Some(case), "a second report joins the case");
    assert_eq!((status_of(1), field_of(1)), ("refused", "report.target"), "{v}");
    assert_eq!((status_of(2), field_of(2)), ("refused", "report.category"), "{v}");
    assert_eq!(status_of(3), "refused");
    assert!(results[3]["error"]["message"].as_str().unwrap().contains("colour"), "{v}");
    assert_eq!(status_of(4), "refused");
    assert_eq!(results[4]["error"]["code"], "key_conflict", "{v}");
    assert_eq!((status_of(5), field_of(5)), ("refused", "report.target.account"), "{v}");
    assert_eq!(status_of(6), "stored", "a post the store never saw is still a report");
    assert_eq!((v["stored"].as_u64(), v["refused"].as_u64()), (Some(2), Some(5)), "{v}");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["index"].as_u64(), Some(i as u64 + 1));
    }
    // A hundred reports of one account are one case with a hundred reports.
    let many: Vec<Value> = (0..100)
        .map(|i| json!({"target": "account:u77", "category": "harassment", "reporter": format!("r{i}")}))
        .collect();
    let (_, v) = api.json("POST", "/v1/reports", P, Value::Array(many)).await;
    let cases: std::collections::BTreeSet<u64> =
        v["results"].as_array().unwrap().iter().map(|r| r["case"].as_u64().unwrap()).collect();
    assert_eq!(cases.len(), 1, "{cases:?}");
    let id = *cases.first().unwrap();
    let (_, c) = get(&api, &format!("/v1/cases/{id}"), R).await;
    assert_eq!(c["reports"].as_array().unwrap().len(), 100, "{c}");
    // Not JSON, a scalar, and a reviewer's token are refused.
    let token = Some(api.token(Role::Platform).to_owned());
    let bad = api.send("POST", "/v1/reports", token, "application/json", "[{".into()).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_json");
    let scalar = api.json("POST", "/v1/reports", P, json!(5)).await;
    assert_error(&scalar, StatusCode::BAD_REQUEST, "invalid_json");
    let reviewer = api.json("POST", "/v1/reports", R, json!({})).await;
    assert_error(&reviewer, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn child_safety_cases_answer_only_child_safety_tokens() {
    let api = Api::new();
    let (member, _) = network_member(&api);
    let (_, v) = api
        .json(
            "POST",
            "/v1/reports",
            P,
            json!({"target": format!("account:{member}"), "category": "child_safety"}),
        )
        .await;
    let case = v["results"][0]["case"].as_u64().unwrap();
    let (_, plain) = api
        .json("POST", "/v1/reports", P, json!({"target": "account:u5", "category": "spam"}))
        .await;
    let plain_case = plain["results"][0]["case"].as_u64().unwrap();
    let (status, q) = get(&api, "/v1/queue?limit=1000", R).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let listed: Vec<u64> =
        q["cases"].as_array().unwrap().iter().map(|c| c["case"].as_u64().unwrap()).collect();
    assert!(!listed.contains(&case), "a reviewer token must not see the child-safety case");
    assert!(listed.contains(&plain_case));
    assert!(q["hidden_child_safety"].as_u64().unwrap() >= 1, "{q}");
    assert!(q["cases"].as_array().unwrap().iter().all(|c| c["child_safety"] == false));
    let (_, q) = get(&api, "/v1/queue?limit=1000", CS).await;
    let listed: Vec<u64> =
        q["cases"].as_array().unwrap().iter().map(|c| c["case"].as_u64().unwrap()).collect();
    assert!(listed.contains(&case) && listed.contains(&plain_case));
    assert_eq!(q["hidden_child_safety"], 0);
    // Child-safety cases come first.
    assert_eq!(q["cases"][0]["child_safety"], true, "{q}");
    assert_error(
        &get(&api, &format!("/v1/cases/{case}"), R).await,
        StatusCode::FORBIDDEN,
        "needs_role",
    );
    let claim = api.json("POST", &format!("/v1/cases/{case}/claim"), R, json!({})).await;
    assert_error(&claim, StatusCode::FORBIDDEN, "needs_role");
    let (status, c) = get(&api, &format!("/v1/cases/{case}"), CS).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["child_safety"], true);
    assert!(c["accounts"].as_array().unwrap().iter().any(|a| a == &json!(member)), "{c}");
    // Filters are checked.
    assert_error(
        &get(&api, "/v1/queue?limit=0", R).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(
        &get(&api, "/v1/queue?state=done", R).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_error(
        &get(&api, "/v1/queue?colour=1", R).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_query",
    );
    let (_, open) = get(&api, "/v1/queue?child_safety=true&limit=1000", CS).await;
    assert!(open["cases"].as_array().unwrap().iter().all(|c| c["child_safety"] == true));
    assert_error(&get(&api, "/v1/cases/999999", CS).await, StatusCode::NOT_FOUND, "no_such_case");
    assert_error(&get(&api, "/v1/cases/x", CS).await, StatusCode::BAD_REQUEST, "invalid_path");
}

/// An account the latest scan left clear.
fn clear_account(api: &Api) -> String {
    let run = api.state.host().snapshot().scan().unwrap().run;
    let flagged: std::collections::BTreeSet<String> = api
        .state
        .host()
        .with_store(|store| {
            Ok(store
                .scan_accounts(run, None)?
                .into_iter()
                .map(|r| r.account.as_str().to_owned())
                .collect())
        })
        .unwrap();
    (0..500).map(|i| format!("u{i}")).find(|a| !flagged.contains(a)).expect("a clear account")
}

async fn allowed(api: &Api, account: &str) -> bool {
    let (_, guard) = api
        .json(
            "POST",
            "/v1/guard/decide",
            P,
            json!({"surface": "account_suggestions", "viewer": "someone",
                   "candidates": [{"type": "account", "id": account}]}),
        )
        .await;
    guard["decisions"][0]["allow"].as_bool().unwrap_or_else(|| panic!("{guard}"))
}

#[tokio::test]
async fn a_decision_acts_on_the_guard_at_once_and_is_audited() {
    let api = Api::new();
    let (_, network) = network_member(&api);
    let member = clear_account(&api);
    assert!(allowed(&api, &member).await, "a clear account is recommendable before the decision");
    let (_, v) = api
        .json(
            "POST",
            "/v1/reports",
            P,
            json!({"target": format!("account:{member}"), "category": "child_safety", "text": "selling"}),
        )
        .await;
    let case = v["results"][0]["case"].as_u64().unwrap();
    let path = |tail: &str| format!("/v1/cases/{case}{tail}");
    // Deciding without a claim is refused.
    let body = json!({"verdict": "violating", "policy": "CSE-1", "category": "child_safety",
                      "not_recommendable": true, "block_hashtags": ["#zqxfoo"]});
    let early = api.json("POST", &path("/decision"), CS, body.clone()).await;
    assert_error(&early, StatusCode::CONFLICT, "not_claimed");
    let (status, claimed) = api.json("POST", &path("/claim"), CS, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["reviewer"], "child_safety_reviewer");
    // Another token cannot take it while it is held.
    let taken = api.json("POST", &path("/claim"), A, json!({})).await;
    assert_error(&taken, StatusCode::CONFLICT, "claimed");
    // A missing field is named.
    let missing = api
        .json("POST", &path("/decision"), CS, json!({"verdict": "violating", "policy": "CSE-1"}))
        .await;
    assert_error(&missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(missing.1["error"]["field"], "decision.category");
    let unknown = api
        .json("POST", &path("/decision"), CS, json!({"verdict": "violating", "severity": 3}))
        .await;
    assert_error(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let view = api.json("POST", &path("/views"), CS, json!({"file": "post:p1#0"})).await;
    assert_eq!(view.0, StatusCode::NO_CONTENT, "{}", view.1);
    let no_type = api.json("POST", &path("/decision"), CS, body.clone()).await;
    assert_error(&no_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(no_type.1["error"]["field"], "decision.incident_type");
    let mut body = body;
    body["incident_type"] = json!("csam");
    let (status, decided) = api.json("POST", &path("/decision"), CS, body).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["verdict"], "violating");
    let actions = decided["actions"].as_array().unwrap();
    assert!(
        actions.iter().any(|a| a["action"] == "not_recommendable" && a["target"] == json!(member)),
        "{decided}"
    );
    assert!(decided["statement"].is_object(), "{decided}");
    // The guard acts on it now, before any rescan: the account is marked and dropped.
    let (_, account) = get(&api, &format!("/v1/accounts/{member}"), R).await;
    assert_eq!(account["live"]["reason"], "review_decision", "{account}");
    assert!(!allowed(&api, &member).await, "the decided account leaves suggestions at once");
    // The case shows the decision, the view and the actions; the webhook outbox has them.
    let (_, c) = get(&api, &path(""), CS).await;
    assert_eq!(c["state"], "decided", "{c}");
    assert_eq!(c["decisions"][0]["reviewer"], "child_safety_reviewer");
    assert_eq!(c["views"][0]["file"], "post:p1#0");
    assert!(!c["actions"].as_array().unwrap().is_empty());
    assert!(c["reports"].as_array().unwrap().iter().all(|r| !r["resolution"].is_null()), "{c}");
    // A second review by another token; the same token may not.
    let same = api.json("POST", &path("/second-review"), CS, json!({"verdict": "violating"})).await;
    assert_error(&same, StatusCode::CONFLICT, "same_reviewer");
    let second = api
        .json(
            "POST",
            &path("/second-review"),
            A,
            json!({"verdict": "violating", "reason": "agree"}),
        )
        .await;
    if decided["sampled"] == true {
        assert_eq!(second.0, StatusCode::OK, "{}", second.1);
        assert_eq!(second.1["agreed"], true);
    } else {
        // Only sampled decisions are reviewed again (the rate is the configuration's).
        assert_error(&second, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
        assert_eq!(second.1["error"]["field"], "second_review.decision");
    }
    // The CyberTipline: the service holds no media, so sending without the
    // files must be said; without the reporter's email nothing is queued.
    let no_files = api.json("POST", &path("/cybertip"), CS, json!({"without_files": false})).await;
    assert_error(&no_files, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(no_files.1["error"]["field"], "without_files");
    let no_email = api.json("POST", &path("/cybertip"), CS, json!({"without_files": true})).await;
    assert_error(&no_email, StatusCode::UNPROCESSABLE_ENTITY, "invalid_setting");
    assert_eq!(no_email.1["error"]["field"], "cybertip.email");
    let reviewer = api.json("POST", &path("/cybertip"), R, json!({"without_files": true})).await;
    assert_error(&reviewer, StatusCode::FORBIDDEN, "forbidden");
    // The decided case awaits a report, and /metrics says so.
    api.state.run_cybertip().unwrap();
    let (_, metrics) = api
        .raw("GET", "/metrics", Some(api.token(Role::Metrics).to_owned()), "", String::new())
        .await;
    assert!(metrics.contains("guardrail_cybertip_awaiting 1"), "{metrics}");
    let (status, list) = get(&api, "/v1/cybertip", A).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    // The platform forwards an appeal: the case is back in the queue, reopened.
    let bad = api.json("POST", &path("/appeal"), P, json!({"by": member, "reason": " "})).await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let (status, appealed) =
        api.json("POST", &path("/appeal"), P, json!({"by": member, "reason": "not me"})).await;
    assert_eq!(status, StatusCode::OK, "{appealed}");
    let (_, q) = get(&api, "/v1/queue?state=reopened&limit=1000", CS).await;
    assert!(q["cases"].as_array().unwrap().iter().any(|c| c["case"].as_u64() == Some(case)), "{q}");
    // The network map holds the member and the ties that put it there.
    let (status, map) = get(&api, &format!("/v1/networks/{network}"), R).await;
    assert_eq!(status, StatusCode::OK, "{map}");
    let nodes = map["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|n| n["member"] == true), "{map}");
    let edges = map["edges"].as_array().unwrap();
    assert!(!edges.is_empty(), "{map}");
    let confirmed: Vec<&Value> =
        nodes.iter().filter(|n| n["tier"] == "confirmed").map(|n| &n["account"]).collect();
    assert!(
        edges.iter().any(|e| confirmed.contains(&&e["to"]) || confirmed.contains(&&e["from"])),
        "{map}"
    );
    assert_error(&get(&api, "/v1/networks/999999", R).await, StatusCode::NOT_FOUND, "not_found");
    // Oversight: the counts and the audit chain.
    let (status, t) = get(&api, "/v1/transparency", A).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert!(t["decisions_by_verdict"]["violating"].as_u64().unwrap() >= 1, "{t}");
    assert!(t["reports_by_source"]["api"].as_u64().unwrap() >= 1, "{t}");
    let bad_time = get(&api, "/v1/transparency?from=yesterday", A).await;
    assert_error(&bad_time, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let (status, audit) = get(&api, "/v1/audit-log/verify", A).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert_eq!(audit["intact"], true, "{audit}");
    assert!(audit["entries"].as_u64().unwrap() >= 6, "{audit}");
}

#[tokio::test]
async fn report_events_sent_to_the_service_reach_the_queue() {
    let api = Api::new();
    let event = json!({"type": "report", "id": "rep-http-1", "at": "2026-03-01T10:00:00Z",
                       "reporter": "u2", "target": {"account": "u11"}, "category": "harassment"});
    let (status, v) = api.json("POST", "/v1/events", P, event).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // The service's intake task does this on the append's wake-up.
    let filed = api.state.catch_up_review().unwrap();
    assert_eq!(filed.reports, 1, "{filed:?}");
    assert_eq!(api.state.catch_up_review().unwrap().reports, 0, "nothing is filed twice");
    let (_, q) = get(&api, "/v1/queue?limit=1000", R).await;
    let case = q["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["subject"].as_str().is_some_and(|s| s.ends_with(":u11"))
                || c["reports"].as_u64() > Some(0)
        })
        .cloned();
    assert!(case.is_some(), "{q}");
    let found = api.state.host().with_store(|store| {
        let cases = store.review_cases(true)?;
        let mut keys = Vec::new();
        for c in cases {
            keys.extend(store.review_reports(c.id)?.into_iter().map(|r| r.key));
        }
        Ok(keys)
    });
    assert!(found.unwrap().contains(&"event:rep-http-1".to_owned()));
}

#[tokio::test]
async fn strong_terms_scan_tiers_and_ban_evasion_open_cases_once() {
    let api = Api::new();
    // The log's intake (done by Api::new) filed strong lexicon hits in the
    // accounts' own words; the scan's findings are filed after each scan.
    let first = api.state.relink_review().unwrap();
    assert!(first.signals > 0, "{first:?}");
    let again = api.state.relink_review().unwrap();
    assert_eq!((again.signals, again.duplicates), (0, first.signals), "nothing is filed twice");
    let kinds = api
        .state
        .host()
        .with_store(|store| {
            let mut kinds = std::collections::BTreeMap::<String, Vec<String>>::new();
            for c in store.review_cases(true)? {
                for s in store.review_signals(c.id)? {
                    kinds.entry(s.kind).or_default().push(s.detail);
                }
            }
            Ok(kinds)
        })
        .unwrap();
    assert!(kinds.contains_key("scan_tier"), "{:?}", kinds.keys());
    let terms = kinds.get("strong_term").expect("strong lexicon hits are signals");
    // The detail names the surface, the matched text and its span.
    assert!(terms.iter().all(|d| d.contains(" at ") && d.contains("..")), "{terms:?}");
    // They are child-safety cases: a reviewer token does not see them.
    let (_, q) = get(&api, "/v1/queue?limit=1000", R).await;
    assert!(q["hidden_child_safety"].as_u64().unwrap() > 0, "{q}");
}
