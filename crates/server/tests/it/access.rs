//! One walk over the route table: every route that needs a role refuses a
//! missing token (401), a wrong token (401), a revoked token (401) and a
//! token of a role that does not grant its own (403); public routes answer
//! without one.

use axum::http::StatusCode;
use guardrail_engine::tokens::Role;
use guardrail_server::routes::{table, Access};

use crate::{assert_error, Api};

/// A role that does not grant `needed`.
fn wrong_role(needed: Role) -> Role {
    Role::ALL.into_iter().find(|r| !r.grants(needed)).unwrap()
}

#[tokio::test]
async fn every_route_refuses_a_missing_a_wrong_and_a_revoked_token_and_a_wrong_role() {
    let api = Api::new();
    let revoked = api
        .state
        .host()
        .with_store(|store| {
            let secret = guardrail_engine::tokens::create(store, "gone", Role::Admin)?;
            guardrail_engine::tokens::revoke(store, "gone")?;
            Ok(secret)
        })
        .unwrap();
    let routes = table();
    assert!(routes.len() >= 20, "{}", routes.len());
    for route in &routes {
        let id = if route.path.starts_with("/v1/persons/") { "1" } else { "u1" };
        let path = route.path.replace("{id}", id).replace("{name}", "world");
        let method = route.method.as_str();
        let send =
            |token: Option<String>| api.send(method, &path, token, "application/json", "{}".into());
        match route.access {
            Access::Public => {
                let got = send(None).await;
                assert_eq!(got.0, StatusCode::OK, "{method} {path}: {}", got.1);
            }
            Access::Role(needed) => {
                assert_error(&send(None).await, StatusCode::UNAUTHORIZED, "missing_token");
                let wrong = format!("{}x", api.token(needed));
                assert_error(&send(Some(wrong)).await, StatusCode::UNAUTHORIZED, "invalid_token");
                assert_error(
                    &send(Some(revoked.clone())).await,
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                );
                let other = api.token(wrong_role(needed)).to_owned();
                let got = send(Some(other)).await;
                assert_error(&got, StatusCode::FORBIDDEN, "forbidden");
                // The route's own role passes the check (whatever the body makes of it).
                let own = send(Some(api.token(needed).to_owned())).await;
                assert!(
                    own.0 != StatusCode::UNAUTHORIZED && own.0 != StatusCode::FORBIDDEN,
                    "{method} {path} refused its own role: {}",
                    own.1
                );
                assert!(!own.0.is_server_error(), "{method} {path}: {}", own.1);
            }
        }
    }
    // Revoking a token through the API takes effect on the next request.
    let platform = api.token(Role::Platform).to_owned();
    let body = serde_json::json!({"text": "hello", "surface": "bio"}).to_string();
    let ok = api
        .send("POST", "/v1/check/text", Some(platform.clone()), "application/json", body.clone())
        .await;
    assert_eq!(ok.0, StatusCode::OK);
    let (status, _) =
        api.json("DELETE", "/v1/tokens/platform", Some(Role::Admin), serde_json::json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gone = api.send("POST", "/v1/check/text", Some(platform), "application/json", body).await;
    assert_error(&gone, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let api = Api::new();
    assert_error(
        &api.json("GET", "/v1/nothing", None, serde_json::json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &api.json("DELETE", "/healthz", None, serde_json::json!({})).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}
