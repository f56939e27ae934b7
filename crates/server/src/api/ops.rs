//! Operations: liveness, readiness, metrics and the API description.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Json};
use crate::state::AppState;

/// The process is up.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Liveness: answers while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// Ready to answer from a scanned state.
#[derive(Serialize, ToSchema)]
pub(crate) struct Ready {
    /// Always true (not ready is a 503 error).
    pub ready: bool,
    /// The live state's generation.
    pub generation: u64,
    /// The stored scan the guard acts on (`null` when the log was empty at start).
    pub scan: Option<i64>,
}

/// Readiness: 200 only once the start-up scan has finished.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Ready),
        (status = 503, description = "The start-up scan is still running (`not_ready`)", body = crate::error::ErrorBody),
    ))]
pub(crate) async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Ready>> {
    if !state.is_ready() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the start-up scan is still running",
        ));
    }
    let snapshot = state.host().snapshot();
    Ok(Json(Ready {
        ready: true,
        generation: snapshot.generation(),
        scan: snapshot.scan().map(|s| s.run),
    }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "The metrics", body = String, content_type = "text/plain"),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics().render(&state.host().snapshot(), state.is_ready());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::document_json()).into_response()
}
