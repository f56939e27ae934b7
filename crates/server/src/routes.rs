//! The route table: every route with its method, path and the role it
//! needs, in one list that builds the router, that the OpenAPI test checks
//! against the document, and that the access test walks.

use std::time::{Duration, Instant};

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;
use guardrail_engine::tokens::Role;

use crate::api::{admin, checks, events, ops, reads, review};
use crate::error::ApiError;
use crate::state::{AppState, Caller};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: liveness, readiness and the API description only.
    Public,
    /// A token whose role grants this one ([`Role::grants`]).
    Role(Role),
}

/// One route of the table.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    /// The method.
    pub method: Method,
    /// The path, with `{param}` segments as in the OpenAPI document.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether it takes large bodies (event batches, hash lists, lexicons).
    pub upload: bool,
}

struct Route {
    info: RouteInfo,
    handler: MethodRouter<AppState>,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> Route {
    Route { info: RouteInfo { method, path, access, upload: false }, handler }
}

fn upload(mut r: Route) -> Route {
    r.info.upload = true;
    r
}

use Access::Public;
const PLATFORM: Access = Access::Role(Role::Platform);
const REVIEWER: Access = Access::Role(Role::Reviewer);
const CHILD_SAFETY: Access = Access::Role(Role::ChildSafetyReviewer);
const ADMIN: Access = Access::Role(Role::Admin);
const METRICS: Access = Access::Role(Role::Metrics);

fn routes() -> Vec<Route> {
    vec![
        // Operations.
        route(Method::GET, "/healthz", Public, get(ops::healthz)),
        route(Method::GET, "/readyz", Public, get(ops::readyz)),
        route(Method::GET, "/metrics", METRICS, get(ops::metrics)),
        route(Method::GET, "/v1/openapi.json", Public, get(ops::openapi)),
        // The platform's calls.
        upload(route(Method::POST, "/v1/events", PLATFORM, post(events::post_events))),
        route(Method::POST, "/v1/check/text", PLATFORM, post(checks::check_text)),
        route(Method::POST, "/v1/check/media", PLATFORM, post(checks::check_media)),
        route(Method::POST, "/v1/guard/decide", PLATFORM, post(checks::guard_decide)),
        route(Method::POST, "/v1/guard/search", PLATFORM, post(checks::guard_search)),
        // Reviewers.
        route(Method::GET, "/v1/accounts/{id}", REVIEWER, get(reads::account)),
        route(Method::GET, "/v1/persons/{id}", REVIEWER, get(reads::person)),
        route(Method::GET, "/v1/scan", REVIEWER, get(reads::latest_scan)),
        // Reports from the platform; cases for reviewers (a child-safety
        // case answers only a token with the child-safety reviewer role).
        route(Method::POST, "/v1/reports", PLATFORM, post(review::post_reports)),
        route(Method::POST, "/v1/cases/{id}/appeal", PLATFORM, post(review::appeal)),
        route(Method::GET, "/v1/queue", REVIEWER, get(review::queue)),
        route(Method::GET, "/v1/cases/{id}", REVIEWER, get(review::case)),
        route(Method::POST, "/v1/cases/{id}/claim", REVIEWER, post(review::claim)),
        route(Method::POST, "/v1/cases/{id}/decision", REVIEWER, post(review::decide)),
        route(Method::POST, "/v1/cases/{id}/views", REVIEWER, post(review::record_view)),
        route(Method::POST, "/v1/cases/{id}/second-review", REVIEWER, post(review::second_review)),
        route(Method::GET, "/v1/networks/{id}", REVIEWER, get(review::network)),
        route(Method::POST, "/v1/cases/{id}/cybertip", CHILD_SAFETY, post(review::submit_cybertip)),
        // Operators.
        route(Method::POST, "/v1/scan", ADMIN, post(reads::start_scan)),
        route(Method::GET, "/v1/banks", ADMIN, get(admin::list_banks)),
        route(Method::POST, "/v1/banks", ADMIN, post(admin::create_bank)),
        upload(route(Method::POST, "/v1/banks/{name}/import", ADMIN, post(admin::import_bank))),
        route(Method::POST, "/v1/banks/{name}/hashes", ADMIN, post(admin::add_hashes)),
        route(Method::POST, "/v1/banks/{name}/hashes/remove", ADMIN, post(admin::remove_hashes)),
        upload(route(Method::POST, "/v1/lexicon/validate", ADMIN, post(admin::validate_lexicon))),
        upload(route(Method::PUT, "/v1/lexicon", ADMIN, put(admin::upload_lexicon))),
        route(Method::POST, "/v1/lexicon/reload", ADMIN, post(admin::reload_lexicon)),
        route(Method::GET, "/v1/policy", ADMIN, get(admin::get_policy)),
        route(Method::PUT, "/v1/policy", ADMIN, put(admin::put_policy)),
        route(Method::GET, "/v1/tokens", ADMIN, get(admin::list_tokens)),
        route(Method::POST, "/v1/tokens", ADMIN, post(admin::create_token)),
        route(Method::DELETE, "/v1/tokens/{name}", ADMIN, delete(admin::revoke_token)),
        route(Method::GET, "/v1/webhooks", ADMIN, get(admin::webhooks)),
        route(Method::GET, "/v1/transparency", ADMIN, get(review::transparency)),
        route(Method::GET, "/v1/audit-log/verify", ADMIN, get(review::verify_audit)),
        route(Method::GET, "/v1/cybertip", ADMIN, get(review::list_cybertip)),
    ]
}

/// The route table (method, path, access), in order.
pub fn table() -> Vec<RouteInfo> {
    routes().into_iter().map(|r| r.info).collect()
}

/// The application: every route behind its access check, the API's error
/// shape for unknown routes and methods, body limits, a timeout, request ids
/// and tracing, metrics. No CORS layer: browsers on other origins are refused.
pub fn app(state: AppState) -> Router {
    let limits = state.limits().clone();
    let mut router = Router::new();
    for Route { info, handler } in routes() {
        let mut handler = handler;
        if let Access::Role(role) = info.access {
            handler = handler
                .route_layer(middleware::from_fn_with_state((state.clone(), role), authorize));
        }
        if info.upload {
            handler = handler.layer(DefaultBodyLimit::max(limits.upload_bytes));
        }
        router = router.route(info.path, handler);
    }
    let timeout = Duration::from_secs(limits.request_timeout_seconds.max(1));
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "timeout",
                        "the request took too long",
                    )
                }))
                .layer(tower::timeout::TimeoutLayer::new(timeout)),
        )
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route (the API is described at /v1/openapi.json)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

/// Checks the bearer token and its role. The token itself is never logged:
/// only the name of the token that passed is recorded in the request span.
async fn authorize(
    State((state, needed)): State<(AppState, Role)>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return unauthorized("missing_token", "send Authorization: Bearer <token>");
    };
    let Some(secret) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
        return unauthorized("missing_token", "the Authorization header is not Bearer <token>");
    };
    let secret = secret.trim().to_owned();
    let hash = guardrail_engine::tokens::hash(&secret);
    let found = match state.cached_token(&hash) {
        Some(found) => Ok(Some(found)),
        None => {
            // The store is synchronous (and PostgreSQL's client must not run
            // on an async worker): ask it on the blocking pool.
            let store = state.clone();
            let verified = tokio::task::spawn_blocking(move || {
                guardrail_engine::tokens::verify(store.reads().as_mut(), &secret)
            })
            .await;
            match verified {
                Ok(Ok(Some((name, role)))) => {
                    state.cache_token(hash, name.clone(), role);
                    Ok(Some((name, role)))
                }
                Ok(other) => other.map_err(|e| ApiError::internal(&e)),
                Err(join) => Err(ApiError::internal(&join)),
            }
        }
    };
    match found {
        Err(e) => e.into_response(),
        Ok(None) => unauthorized("invalid_token", "unknown or revoked token"),
        Ok(Some((name, role))) if !role.grants(needed) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "token {name:?} has role {}; this route needs {}",
                role.as_str(),
                needed.as_str()
            ),
        )
        .into_response(),
        Ok(Some((name, role))) => match state.take_request(&name) {
            Ok(()) => {
                tracing::debug!(token = %name, "authorized");
                request.extensions_mut().insert(Caller { name, role });
                next.run(request).await
            }
            Err(wait) => {
                let mut response = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("token {name:?} is over its rate limit; retry in {wait:.2} s"),
                )
                .into_response();
                let seconds = wait.ceil().max(1.0) as u64;
                if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                response
            }
        },
    }
}

fn unauthorized(code: &'static str, message: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, code, message).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Counts and times each request by its route (the table's path, never the raw URI).
async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics().request(&method, &route, response.status().as_u16(), started.elapsed());
    response
}

/// Gives each request an id (the caller's `x-request-id`, or a new one),
/// logs it in the request's span with the method, path and status (never
/// the headers, so never a token), and returns it.
async fn request_id(request: Request, next: Next) -> Response {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| format!("r{}", NEXT.fetch_add(1, Ordering::Relaxed)), str::to_owned);
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    let started = Instant::now();
    let mut response = {
        use tracing::Instrument;
        next.run(request).instrument(span.clone()).await
    };
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
