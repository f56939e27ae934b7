//! Operators' routes (banks, lexicon, policy, tokens, scans), reviewers'
//! reads, and metrics: each change takes effect on the next request.

use axum::http::StatusCode;
use guardrail_engine::tokens::Role;
use serde_json::json;

use crate::{assert_error, Api};

const A: Option<Role> = Some(Role::Admin);
const P: Option<Role> = Some(Role::Platform);

#[tokio::test]
async fn bank_changes_take_effect_on_the_next_check() {
    let api = Api::new();
    let hash = format!("sha256:{}", "cd".repeat(32));
    let check = json!({"hashes": [hash.clone()]});
    assert_eq!(api.json("POST", "/v1/check/media", P, check.clone()).await.1["matched"], false);
    let (status, bank) = api
        .json("POST", "/v1/banks", A, json!({"name": "extra", "action": "block", "tags": ["t1"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bank}");
    assert_eq!((bank["name"].as_str(), bank["hashes"].as_u64()), (Some("extra"), Some(0)));
    let (_, added) =
        api.json("POST", "/v1/banks/extra/hashes", A, json!({"hashes": [hash.clone()]})).await;
    assert_eq!(added["added"], 1, "{added}");
    let (_, hit) = api.json("POST", "/v1/check/media", P, check.clone()).await;
    assert_eq!(
        (hit["matched"].as_bool(), hit["matches"][0]["action"].as_str()),
        (Some(true), Some("block")),
        "{hit}"
    );
    let (_, again) =
        api.json("POST", "/v1/banks/extra/hashes", A, json!({"hashes": [hash.clone()]})).await;
    assert_eq!((again["added"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(1)));
    let (_, removed) = api
        .json("POST", "/v1/banks/extra/hashes/remove", A, json!({"hashes": [hash.clone()]}))
        .await;
    assert_eq!(removed["removed"], 1);
    assert_eq!(api.json("POST", "/v1/check/media", P, check).await.1["matched"], false);
    assert_error(
        &api.json("POST", "/v1/banks/none/hashes", A, json!({"hashes": [hash.clone()]})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &api.json("POST", "/v1/banks/none/hashes/remove", A, json!({"hashes": [hash]})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &api.json("POST", "/v1/banks", A, json!({"name": "bad,name"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    // A list in the format `guardrail bank import` reads, into a new bank.
    let list = format!("# imported\n{}\n", "e".repeat(32));
    let token = Some(api.token(Role::Admin).to_owned());
    let (status, imported) =
        api.send("POST", "/v1/banks/listed/import", token.clone(), "text/plain", list).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["added"], 1);
    let (_, md5) = api
        .json(
            "POST",
            "/v1/check/media",
            P,
            json!({"hashes": [format!("md5:{}", "e".repeat(32))], "bank": "listed"}),
        )
        .await;
    assert_eq!(md5["matched"], true);
    let bad = api
        .send("POST", "/v1/banks/listed/import", token.clone(), "text/plain", "zzz\n".into())
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_hash_list");
    let kind = api
        .send("POST", "/v1/banks/listed/import?kind=sha1", token, "text/plain", "x".into())
        .await;
    assert_error(&kind, StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
    let empty = api
        .send(
            "PUT",
            "/v1/policy",
            Some(api.token(Role::Admin).to_owned()),
            "text/plain",
            " \n".into(),
        )
        .await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "bad_body");
    let (_, banks) = api.json("GET", "/v1/banks", A, json!({})).await;
    let names: Vec<&str> =
        banks.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["extra", "listed", "world"]);
}

#[tokio::test]
async fn a_lexicon_is_validated_uploaded_and_reloaded_without_a_restart() {
    let api = Api::new();
    let token = Some(api.token(Role::Admin).to_owned());
    let check = json!({"text": "zorbleflax", "surface": "bio"});
    assert_eq!(api.json("POST", "/v1/check/text", P, check.clone()).await.1["level"], "allow");
    let lexicon = "format = 1\nname = \"mine\"\n[[entry]]\nkind = \"term\"\ntext = \"zorbleflax\"\ncategory = \"child_safety\"\nseverity = \"block\"\n";
    let (status, v) =
        api.send("POST", "/v1/lexicon/validate", token.clone(), "text/plain", lexicon.into()).await;
    assert_eq!((status, v["entries"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    assert_eq!(
        api.json("POST", "/v1/check/text", P, check.clone()).await.1["level"],
        "allow",
        "validating changes nothing"
    );
    let broken = api
        .send(
            "POST",
            "/v1/lexicon/validate",
            token.clone(),
            "text/plain",
            "format = 1\n[[entry]]\n".into(),
        )
        .await;
    assert_error(&broken, StatusCode::UNPROCESSABLE_ENTITY, "invalid_lexicon");
    let words = api
        .send("PUT", "/v1/lexicon?format=words", token.clone(), "text/plain", "zorbleflax\n".into())
        .await;
    assert_error(&words, StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
    let (status, up) =
        api.send("PUT", "/v1/lexicon", token.clone(), "text/plain", lexicon.into()).await;
    assert_eq!(status, StatusCode::OK, "{up}");
    assert_eq!(api.json("POST", "/v1/check/text", P, check.clone()).await.1["level"], "block");
    assert_eq!(
        std::fs::read_to_string(&api.lexicon).unwrap(),
        lexicon,
        "written to the configured file"
    );
    // A file changed behind the service's back is read on reload; a broken one keeps the current.
    std::fs::write(&api.lexicon, "format = 1\n[[entry]]\n").unwrap();
    let failed = api.json("POST", "/v1/lexicon/reload", A, json!({})).await;
    assert_error(&failed, StatusCode::UNPROCESSABLE_ENTITY, "invalid_lexicon");
    assert_eq!(api.json("POST", "/v1/check/text", P, check.clone()).await.1["level"], "block");
    std::fs::write(&api.lexicon, guardrail_engine::lexicon::TEST_LEXICON.toml).unwrap();
    let (status, _) = api.json("POST", "/v1/lexicon/reload", A, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.json("POST", "/v1/check/text", P, check).await.1["level"], "allow");
}

#[tokio::test]
async fn the_policy_is_read_and_replaced() {
    let api = Api::new();
    let (status, policy) = api.json("GET", "/v1/policy", A, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        policy["never_recommend"].as_array().unwrap().iter().any(|t| t == "confirmed"),
        "{policy}"
    );
    let token = Some(api.token(Role::Admin).to_owned());
    let search = json!({"viewer": "v", "query": "vorblat", "results": []});
    assert!(!api.json("POST", "/v1/guard/search", P, search.clone()).await.1["blocked"].is_null());
    let (status, replaced) = api
        .send(
            "PUT",
            "/v1/policy",
            token.clone(),
            "text/plain",
            "search_block_level = \"block\"\nnever_recommend = [\"confirmed\"]\n".into(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["never_recommend"], json!(["confirmed"]));
    let bad = api
        .send("PUT", "/v1/policy", token.clone(), "text/plain", "never_recommend_x = []\n".into())
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy");
    assert!(bad.1["error"]["message"].as_str().unwrap().contains("never_recommend_x"), "{}", bad.1);
    let (_, now) = api.json("GET", "/v1/policy", A, json!({})).await;
    assert_eq!(now["never_recommend"], json!(["confirmed"]), "a refused policy changes nothing");
}

#[tokio::test]
async fn accounts_scans_tokens_and_metrics() {
    let api = Api::new();
    let (_, scan) = api.json("GET", "/v1/scan", Some(Role::Reviewer), json!({})).await;
    let run = scan["latest"]["run"].as_i64().unwrap();
    assert!(scan["latest"]["summary"]["confirmed"].as_u64().unwrap() > 0, "{scan}");
    let stored = api
        .state
        .host()
        .with_store(
            |s| Ok(s.scan_accounts(run, Some(guardrail_engine::core::RiskTier::Confirmed))?),
        )
        .unwrap();
    let (status, account) = api
        .json(
            "GET",
            &format!("/v1/accounts/{}", stored[0].account),
            Some(Role::ChildSafetyReviewer),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{account}");
    assert_eq!(
        (account["tier"].as_str(), account["scan"].as_i64()),
        (Some("confirmed"), Some(run))
    );
    assert!(!account["reasons"].as_array().unwrap().is_empty());
    let (_, clear) =
        api.json("GET", "/v1/accounts/nobody-at-all", Some(Role::Reviewer), json!({})).await;
    assert_eq!((clear["tier"].as_str(), clear["score"].as_f64()), (Some("clear"), Some(0.0)));
    // A scan in the background; a second one while it runs is refused.
    let (status, _) = api.json("POST", "/v1/scan", A, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second = api.json("POST", "/v1/scan", A, json!({})).await;
    if second.0 != StatusCode::ACCEPTED {
        assert_error(&second, StatusCode::CONFLICT, "scan_running");
    }
    for _ in 0..600 {
        let (_, s) = api.json("GET", "/v1/scan", Some(Role::Reviewer), json!({})).await;
        if s["running"] == false && s["latest"]["run"].as_i64() > Some(run) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, s) = api.json("GET", "/v1/scan", Some(Role::Reviewer), json!({})).await;
    assert!(s["latest"]["run"].as_i64() > Some(run), "{s}");
    // Tokens over the API: shown once, listed without secrets, revoked.
    let (status, created) =
        api.json("POST", "/v1/tokens", A, json!({"name": "partner", "role": "platform"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().unwrap().to_owned();
    let body = json!({"text": "hi", "surface": "bio"}).to_string();
    assert_eq!(
        api.send("POST", "/v1/check/text", Some(secret.clone()), "application/json", body.clone())
            .await
            .0,
        StatusCode::OK
    );
    let (_, list) = api
        .raw("GET", "/v1/tokens", Some(api.token(Role::Admin).to_owned()), "", String::new())
        .await;
    assert!(
        list.contains("partner")
            && !list.contains(&secret)
            && !list.contains(&guardrail_engine::tokens::hash(&secret))
    );
    assert_error(
        &api.json("POST", "/v1/tokens", A, json!({"name": "partner", "role": "platform"})).await,
        StatusCode::CONFLICT,
        "already_exists",
    );
    assert_error(
        &api.json("POST", "/v1/tokens", A, json!({"name": "x", "role": "root"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_eq!(
        api.json("DELETE", "/v1/tokens/partner", A, json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.send("POST", "/v1/check/text", Some(secret), "application/json", body).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    assert_error(
        &api.json("DELETE", "/v1/tokens/partner", A, json!({})).await,
        StatusCode::NOT_FOUND,
        "no_such_token",
    );
    // Metrics count what was answered, by route, with the scraper's token.
    let (status, metrics) = api
        .raw("GET", "/metrics", Some(api.token(Role::Metrics).to_owned()), "", String::new())
        .await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "guardrail_http_requests_total{method=\"POST\",route=\"/v1/check/text\",status=\"200\"} 1",
        "guardrail_http_requests_total{method=\"POST\",route=\"/v1/check/text\",status=\"401\"} 1",
        "guardrail_http_request_seconds_count{method=\"POST\",route=\"/v1/check/text\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} missing from {metrics}");
    }
    assert!(
        metrics.contains("guardrail_scans_total 1")
            || metrics.contains("guardrail_scan_failures_total 0"),
        "{metrics}"
    );
    assert!(metrics.contains("guardrail_guard_accounts "));
}

#[tokio::test]
async fn each_token_has_its_own_rate_limit() {
    let api = Api::with_limits(guardrail_server::Limits {
        requests_per_second_per_token: 1,
        burst_per_token: 2,
        ..Default::default()
    });
    let check = json!({"text": "hello", "surface": "bio"});
    for _ in 0..2 {
        assert_eq!(api.json("POST", "/v1/check/text", P, check.clone()).await.0, StatusCode::OK);
    }
    let over = api.json("POST", "/v1/check/text", P, check.clone()).await;
    assert_error(&over, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Another token is not slowed down by this one.
    assert_eq!(api.json("GET", "/v1/banks", A, json!({})).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(api.json("POST", "/v1/check/text", P, check).await.0, StatusCode::OK, "refilled");
}

#[tokio::test]
async fn a_person_of_the_latest_scan_is_read_with_its_evidence() {
    let api = Api::new();
    let run = api.state.host().snapshot().scan().unwrap().run;
    let persons = api.state.host().with_store(|s| Ok(s.scan_persons(run)?)).unwrap();
    let first = persons.first().expect("the world has a person with several accounts");
    let (status, person) = api
        .json("GET", &format!("/v1/persons/{}", first.person), Some(Role::Reviewer), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{person}");
    assert_eq!(person["accounts"], json!(first.accounts));
    assert!(!person["evidence"].as_array().unwrap().is_empty());
    let missing = api.json("GET", "/v1/persons/999999", Some(Role::Reviewer), json!({})).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found");
    let bad = api.json("GET", "/v1/persons/abc", Some(Role::Reviewer), json!({})).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_path");
}
