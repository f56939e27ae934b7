//! `POST /v1/events`: single, array and JSON Lines; durable before the
//! answer; idempotent on event id; every refused line listed; direct signals
//! act at once.

use axum::http::StatusCode;
use guardrail_engine::tokens::Role;
use serde_json::json;

use crate::{assert_error, Api};

fn ban(id: &str, account: &str) -> serde_json::Value {
    json!({"type": "enforcement", "id": id, "at": "2030-01-01T00:00:00Z", "account": account,
           "action": "ban", "confirmed_category": "child_safety"})
}

#[tokio::test]
async fn events_are_stored_once_and_their_direct_signals_act_at_once() {
    let api = Api::new();
    let token = Some(api.token(Role::Platform).to_owned());
    let account = "fresh-account";
    let created = json!({"type": "account", "id": "a-new", "at": "2030-01-01T00:00:00Z", "account": account, "handle": "fresh"});
    let (status, v) = api.json("POST", "/v1/events", Some(Role::Platform), created.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["received"].as_u64(), v["inserted"].as_u64()), (Some(1), Some(1)));
    // Durable when acknowledged: the store holds it.
    assert!(api.state.host().with_store(|s| Ok(s.contains_event("a-new")?)).unwrap());
    let decide = json!({"viewer": "v", "surface": "account_suggestions", "candidates": [{"type": "account", "id": account}]});
    let (_, before) =
        api.json("POST", "/v1/guard/decide", Some(Role::Platform), decide.clone()).await;
    assert_eq!(before["decisions"][0]["allow"], true);
    // An array: the account event again (a duplicate) and its ban.
    let (_, v) = api
        .json("POST", "/v1/events", Some(Role::Platform), json!([created, ban("b-new", account)]))
        .await;
    assert_eq!((v["inserted"].as_u64(), v["duplicates"].as_u64()), (Some(1), Some(1)), "{v}");
    let (_, after) = api.json("POST", "/v1/guard/decide", Some(Role::Platform), decide).await;
    assert_eq!(after["decisions"][0]["allow"], false, "the ban acts before any rescan: {after}");
    assert_eq!(after["decisions"][0]["reasons"][0], "flagged_account");
    let (_, standing) =
        api.json("GET", &format!("/v1/accounts/{account}"), Some(Role::Reviewer), json!({})).await;
    assert_eq!(standing["live"]["reason"], "child_safety_enforcement", "{standing}");
    assert_eq!(standing["live"]["event"], "b-new");

    // JSON Lines with a bad line, a line missing a field and a conflicting id.
    let lines = [
        json!({"type": "follow", "id": "f-1", "at": "2030-01-02T00:00:00Z", "from": account, "to": "u1"}).to_string(),
        String::new(),
        "{not json".to_owned(),
        json!({"type": "follow", "id": "f-2", "at": "2030-01-02T00:00:00Z", "from": account}).to_string(),
        ban("b-new", "someone-else").to_string(),
    ]
    .join("\n");
    let (status, v) =
        api.send("POST", "/v1/events", token.clone(), "application/x-ndjson", lines).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["received"].as_u64(), v["inserted"].as_u64()), (Some(4), Some(1)), "{v}");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["field"].as_str()),
        (Some(3), Some("(line)"))
    );
    assert_eq!((errors[1]["line"].as_u64(), errors[1]["field"].as_str()), (Some(4), Some("to")));
    assert_eq!(v["conflicts"], json!([{"line": 5, "id": "b-new"}]));
    let (_, other) =
        api.json("GET", "/v1/accounts/someone-else", Some(Role::Reviewer), json!({})).await;
    assert!(other["live"].is_null(), "a conflicting event is neither stored nor applied");

    // Refusals: not JSON, nothing, neither format, too many.
    assert_error(
        &api.send("POST", "/v1/events", token.clone(), "application/json", "[{".into()).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    let (status, empty) =
        api.send("POST", "/v1/events", token.clone(), "application/json", "[]".into()).await;
    assert_eq!((status, empty["received"].as_u64()), (StatusCode::OK, Some(0)), "an empty batch");
    assert_error(
        &api.send("POST", "/v1/events", token.clone(), "application/json", "7".into()).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    assert_error(
        &api.send("POST", "/v1/events", token.clone(), "text/csv", "a,b".into()).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let limited =
        Api::with_limits(guardrail_server::Limits { batch_events: 2, ..Default::default() });
    let three: Vec<_> = (0..3).map(|i| ban(&format!("x{i}"), "u1")).collect();
    assert_error(
        &limited.json("POST", "/v1/events", Some(Role::Platform), json!(three)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_events",
    );
}

#[tokio::test]
async fn a_whole_world_sent_again_is_all_duplicates() {
    let api = Api::new();
    let lines = api.events();
    let token = Some(api.token(Role::Platform).to_owned());
    let first: Vec<String> = lines.iter().take(5_000).cloned().collect();
    let (status, v) =
        api.send("POST", "/v1/events", token, "application/x-ndjson", first.join("\n")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["inserted"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(5_000)),
        "ingested before: {v}"
    );
}
