//! Text, media and guard checks.

use axum::http::StatusCode;
use guardrail_engine::core::RiskTier;
use guardrail_engine::tokens::Role;
use serde_json::json;

use crate::{assert_error, Api};

const P: Option<Role> = Some(Role::Platform);

#[tokio::test]
async fn text_checks_give_the_verdict_and_refuse_bad_input_with_4xx() {
    let api = Api::new();
    let (status, v) = api
        .json(
            "POST",
            "/v1/check/text",
            P,
            json!({"text": "new vorblat here", "surface": "caption"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["level"], "block");
    assert_eq!(v["matches"][0]["term"], "vorblat");
    assert_eq!(
        (v["matches"][0]["start"].as_u64(), v["matches"][0]["end"].as_u64()),
        (Some(4), Some(11))
    );
    let (_, fine) = api
        .json("POST", "/v1/check/text", P, json!({"text": "a sunny walk", "surface": "bio"}))
        .await;
    assert_eq!(fine["level"], "allow");
    let bad_surface =
        api.json("POST", "/v1/check/text", P, json!({"text": "x", "surface": "poster"})).await;
    assert_error(&bad_surface, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(bad_surface.1["error"]["field"], "surface");
    let missing = api.json("POST", "/v1/check/text", P, json!({"surface": "bio"})).await;
    assert_error(&missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let extra = api
        .json("POST", "/v1/check/text", P, json!({"text": "x", "surface": "bio", "lang": "en"}))
        .await;
    assert_error(&extra, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let token = Some(api.token(Role::Platform).to_owned());
    let syntax = api
        .send("POST", "/v1/check/text", token.clone(), "application/json", "{\"text\":".into())
        .await;
    assert_error(&syntax, StatusCode::BAD_REQUEST, "invalid_json");
    let plain = api.send("POST", "/v1/check/text", token.clone(), "text/plain", "{}".into()).await;
    assert_error(&plain, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let huge = json!({"text": "a".repeat(2 << 20), "surface": "bio"}).to_string();
    let big = api.send("POST", "/v1/check/text", token, "application/json", huge).await;
    assert_error(&big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn media_checks_match_bank_hashes_and_refuse_bad_hashes() {
    let api = Api::new();
    let bank = std::fs::read_to_string(api.world.join("bank.txt")).unwrap();
    let line = bank.lines().find(|l| !l.starts_with('#') && !l.trim().is_empty()).unwrap();
    let hash = line.split_whitespace().next().unwrap().to_owned();
    let (status, v) =
        api.json("POST", "/v1/check/media", P, json!({"hashes": [hash.clone()]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["matched"], true);
    assert_eq!(
        (v["matches"][0]["bank"].as_str(), v["matches"][0]["distance"].as_u64()),
        (Some("world"), Some(0))
    );
    // A hash far from every banked one matches nothing.
    let far = format!("sha256:{}", "ab".repeat(32));
    let (_, none) = api.json("POST", "/v1/check/media", P, json!({"hashes": [far]})).await;
    assert_eq!(
        (none["matched"].as_bool(), none["matches"].as_array().map(Vec::len)),
        (Some(false), Some(0))
    );
    let bad =
        api.json("POST", "/v1/check/media", P, json!({"hashes": [hash.clone(), "md5:zz"]})).await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_hash");
    assert_eq!(bad.1["error"]["field"], "hashes[1]");
    let bank = api
        .json("POST", "/v1/check/media", P, json!({"hashes": [hash.clone()], "bank": "nope"}))
        .await;
    assert_error(&bank, StatusCode::NOT_FOUND, "no_such_bank");
    let many: Vec<String> = (0..1001).map(|_| hash.clone()).collect();
    assert_error(
        &api.json("POST", "/v1/check/media", P, json!({"hashes": many})).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_hashes",
    );
    assert_error(
        &api.json("POST", "/v1/check/media", P, json!({"hashes": []})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
}

#[tokio::test]
async fn guard_decisions_drop_flagged_accounts_and_terms_and_block_searches() {
    let api = Api::new();
    let snapshot = api.state.host().snapshot();
    let truth = guardrail_engine::truth::read(&api.world.join("truth.json")).unwrap().truth;
    let confirmed = truth
        .network
        .keys()
        .find(|a| {
            snapshot.guard().state().account(a).is_some_and(|s| s.tier == RiskTier::Confirmed)
        })
        .unwrap()
        .clone();
    let request = json!({
        "viewer": "someone",
        "surface": "account_suggestions",
        "candidates": [
            {"type": "account", "id": confirmed},
            {"type": "account", "id": "never-seen"},
            {"type": "hashtag", "tag": "#vorblat"},
            {"type": "text", "text": "garden ideas"},
            {"type": "post", "author": confirmed, "hashtags": ["sunset"], "caption": "hello"},
        ],
    });
    let (status, v) = api.json("POST", "/v1/guard/decide", P, request).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let allow: Vec<bool> =
        v["decisions"].as_array().unwrap().iter().map(|d| d["allow"].as_bool().unwrap()).collect();
    assert_eq!(allow, [false, true, false, true, false]);
    assert_eq!(v["decisions"][0]["reasons"][0], "flagged_account");
    assert!(v["decisions"][2]["reasons"].as_array().unwrap().iter().any(|r| r == "blocked_term"));
    let (_, search) = api.json("POST", "/v1/guard/search", P, json!({"viewer": "someone", "query": "vorblat pics", "results": [{"type": "account", "id": "never-seen"}]})).await;
    assert!(
        search["blocked"]["terms"].as_array().unwrap().iter().any(|t| t == "vorblat"),
        "{search}"
    );
    assert!(search["blocked"]["resources"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(search["decisions"][0]["allow"], false);
    let (_, open) = api.json("POST", "/v1/guard/search", P, json!({"viewer": "someone", "query": "garden", "results": [{"type": "account", "id": confirmed}]})).await;
    assert!(open["blocked"].is_null());
    assert_eq!(
        open["decisions"][0]["allow"], false,
        "a flagged result is dropped from an open search"
    );
    let bad = api
        .json(
            "POST",
            "/v1/guard/decide",
            P,
            json!({"viewer": "v", "surface": "feed", "candidates": [{"type": "group", "id": "g"}]}),
        )
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let surface = api
        .json(
            "POST",
            "/v1/guard/decide",
            P,
            json!({"viewer": "v", "surface": "inbox", "candidates": []}),
        )
        .await;
    assert_error(&surface, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    let many: Vec<_> =
        (0..1001).map(|i| json!({"type": "account", "id": format!("u{i}")})).collect();
    let too_many = api
        .json(
            "POST",
            "/v1/guard/decide",
            P,
            json!({"viewer": "v", "surface": "feed", "candidates": many}),
        )
        .await;
    assert_error(&too_many, StatusCode::PAYLOAD_TOO_LARGE, "too_many_candidates");
}
