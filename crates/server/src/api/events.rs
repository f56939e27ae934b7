//! `POST /v1/events`: one event, a JSON array of events, or JSON Lines;
//! durable before acknowledged, idempotent on event id (as `guardrail
//! ingest`), with the error of every refused line.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use guardrail_engine::core::Event;
use serde::Serialize;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;

use crate::error::{body_error, ApiError, ApiResult, Json};
use crate::state::AppState;

/// The JSON body's schema: one event (an object) or a batch (an array of
/// objects); each is checked field by field like a line of `guardrail
/// ingest`, and refused ones are listed in the answer (docs/EVENTS.md).
pub(crate) struct EventsBody;

impl utoipa::PartialSchema for EventsBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
        let object = || ObjectBuilder::new().schema_type(Type::Object);
        Schema::OneOf(
            OneOfBuilder::new()
                .item(object().description(Some("One event")))
                .item(ArrayBuilder::new().items(object()).description(Some("A batch of events")))
                .build(),
        )
        .into()
    }
}

impl utoipa::ToSchema for EventsBody {}

/// What happened to a batch.
#[derive(Serialize, ToSchema)]
pub(crate) struct EventsResponse {
    /// Events in the request.
    pub received: usize,
    /// Newly stored (durable: this response is sent after the commit).
    pub inserted: u64,
    /// Already stored with the same content (not stored again).
    pub duplicates: u64,
    /// Ids already stored with other content: refused, never stored.
    pub conflicts: Vec<EventConflict>,
    /// Lines (or array items) that are not valid events: not stored.
    pub errors: Vec<LineError>,
    /// The live state's generation after the batch (it already acts on the batch's direct signals).
    pub generation: u64,
}

/// A refused event id.
#[derive(Serialize, ToSchema)]
pub(crate) struct EventConflict {
    /// 1-based line (or array position).
    pub line: usize,
    /// The event id.
    pub id: String,
}

/// Why a line was refused.
#[derive(Serialize, ToSchema)]
pub(crate) struct LineError {
    /// 1-based line (or array position).
    pub line: usize,
    /// The field (`(line)` when the line is not a JSON object).
    pub field: String,
    /// Why.
    pub message: String,
}

/// Accepts events and applies their direct signals.
#[utoipa::path(
    post,
    path = "/v1/events",
    tag = "events",
    request_body(
        description = "One event object, a JSON array of events (`application/json`), or JSON Lines (`application/x-ndjson`); the format is docs/EVENTS.md.",
        content(
            (EventsBody = "application/json"),
            (String = "application/x-ndjson"),
        ),
    ),
    responses(
        (status = 200, description = "Stored (or already stored); refused lines listed", body = EventsResponse),
        (status = 400, description = "Not JSON, or neither an object nor an array", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "The token's role may not send events", body = crate::error::ErrorBody),
        (status = 413, description = "Too many events or too large a body", body = crate::error::ErrorBody),
        (status = 415, description = "Neither JSON nor JSON Lines", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn post_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<EventsResponse>> {
    let body = body.map_err(|e| body_error(e.status(), e.body_text()))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError::bad_request("invalid_utf8", format!("the body is not UTF-8: {e}"))
    })?;
    let lines: Vec<(usize, String)> = match content_type.as_str() {
        "application/json" => json_items(text)?,
        "application/x-ndjson" | "application/jsonl" | "application/jsonlines" | "application/json-seq" => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l.to_owned()))
            .collect(),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send events as application/json (an object or an array) or application/x-ndjson (JSON Lines)",
            ))
        }
    };
    let limit = state.limits().batch_events;
    if lines.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!("{} events in one request; at most {limit}", lines.len()),
        ));
    }
    let mut events = Vec::with_capacity(lines.len());
    let mut line_of = Vec::with_capacity(lines.len());
    let mut errors = Vec::new();
    for (line, text) in &lines {
        match Event::from_json_line(text) {
            Ok(event) => {
                events.push(event);
                line_of.push(*line);
            }
            Err(e) => errors.push(LineError { line: *line, field: e.field, message: e.why }),
        }
    }
    let received = lines.len();
    let metrics_state = state.clone();
    let (outcome, generation, ids) = crate::api::blocking(move || {
        if events.is_empty() {
            return Ok((Default::default(), state.host().snapshot().generation(), Vec::new()));
        }
        let outcome = state.host().append(&events)?;
        let ids = outcome.conflicts.iter().map(|&i| events[i].id.as_str().to_owned()).collect();
        Ok((outcome, state.host().snapshot().generation(), ids))
    })
    .await?;
    let conflicts: Vec<EventConflict> = outcome
        .conflicts
        .iter()
        .zip(ids)
        .map(|(&i, id)| EventConflict { line: line_of[i], id })
        .collect();
    if outcome.inserted > 0 {
        metrics_state.notify_outbox();
        metrics_state.notify_intake();
    }
    let m = metrics_state.metrics();
    m.events_inserted.fetch_add(outcome.inserted, Ordering::Relaxed);
    m.events_duplicates.fetch_add(outcome.duplicates, Ordering::Relaxed);
    m.events_invalid.fetch_add(errors.len() as u64, Ordering::Relaxed);
    m.events_conflicts.fetch_add(conflicts.len() as u64, Ordering::Relaxed);
    Ok(Json(EventsResponse {
        received,
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
        conflicts,
        errors,
        generation,
    }))
}

/// One JSON object, or an array of them, as event lines numbered from 1.
fn json_items(text: &str) -> ApiResult<Vec<(usize, String)>> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    Ok(match value {
        serde_json::Value::Array(items) => {
            items.iter().enumerate().map(|(i, v)| (i + 1, v.to_string())).collect()
        }
        object @ serde_json::Value::Object(_) => vec![(1, object.to_string())],
        _ => {
            return Err(ApiError::bad_request(
                "invalid_json",
                "the body is neither an event object nor an array of events",
            ))
        }
    })
}
