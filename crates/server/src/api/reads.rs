//! What reviewers read: an account's standing from the latest stored scan
//! (with any live mark since), and the scans themselves; and the trigger of a
//! scan.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Json, Path};
use crate::state::AppState;

/// An account's standing.
#[derive(Serialize, ToSchema)]
pub(crate) struct AccountResponse {
    /// The account id.
    pub account: String,
    /// The stored scan read (`null` before the first scan).
    pub scan: Option<i64>,
    /// The tier in that scan (`clear` when the scan did not flag it).
    #[schema(example = "suspected")]
    pub tier: String,
    /// The scan's risk score (0 when clear).
    pub score: f64,
    /// The scan's reasons, one line each.
    pub reasons: Vec<String>,
    /// The flagged network it belongs to in that scan.
    pub network: Option<i64>,
    /// The person (several accounts of one user) it belongs to in that scan.
    pub person: Option<PersonDto>,
    /// A direct signal since that scan (an enforcement, a bank match, a strong lexicon hit).
    pub live: Option<LiveDto>,
}

/// A person: accounts one user holds, and the links between them.
#[derive(Serialize, ToSchema)]
pub(crate) struct PersonDto {
    /// The person's number within the scan.
    pub id: i64,
    /// Its accounts.
    pub accounts: Vec<String>,
    /// The links between them.
    pub evidence: Vec<String>,
}

/// A direct signal applied since the last scan.
#[derive(Serialize, ToSchema)]
pub(crate) struct LiveDto {
    /// The tier it gives (`null` for a ban outside child safety).
    pub tier: Option<String>,
    /// `child_safety_enforcement`, `enforcement`, `same_person_enforced`, `bank_match`, `strong_lexicon` or `ban_evasion`.
    pub reason: String,
    /// The event that caused it.
    pub event: String,
    /// What links it (for ban evasion: the shared identifiers, handle, bio).
    pub evidence: Vec<String>,
}

/// An account's tier, score, reasons, person and network.
#[utoipa::path(
    get,
    path = "/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "The platform's account id")),
    responses(
        (status = 200, description = "The account's standing", body = AccountResponse),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn account(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountResponse>> {
    let snapshot = state.host().snapshot();
    let live = snapshot.live_mark(&id).map(|m| LiveDto {
        tier: m.tier.map(|t| t.as_str().to_owned()),
        reason: m.reason.code().to_owned(),
        event: m.event.clone(),
        evidence: m.evidence.clone(),
    });
    let run = snapshot.scan().map(|s| s.run);
    let account = id.clone();
    let (row, person) = crate::api::blocking(move || {
        let Some(run) = run else { return Ok((None, None)) };
        let mut store = state.reads();
        let row = store.scan_account(run, &account).map_err(|e| ApiError::internal(&e))?;
        let person = match row.as_ref().and_then(|r| r.person) {
            Some(p) => store.scan_person(run, p).map_err(|e| ApiError::internal(&e))?,
            None => None,
        };
        Ok((row, person))
    })
    .await?;
    Ok(Json(match row {
        Some(r) => AccountResponse {
            account: id,
            scan: run,
            tier: r.tier.as_str().to_owned(),
            score: r.score,
            // The reviewer's lines; the store keeps them typed (`Reason`).
            reasons: r.reasons.iter().map(ToString::to_string).collect(),
            network: r.network,
            person: person.map(|p| PersonDto {
                id: p.person,
                accounts: p.accounts,
                evidence: p.evidence.iter().map(ToString::to_string).collect(),
            }),
            live,
        },
        None => AccountResponse {
            account: id,
            scan: run,
            tier: "clear".into(),
            score: 0.0,
            reasons: Vec::new(),
            network: None,
            person: None,
            live,
        },
    }))
}

/// The latest scan.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScanResponse {
    /// Whether a scan is running now.
    pub running: bool,
    /// The latest stored scan the guard acts on (`null` before the first).
    pub latest: Option<ScanDto>,
    /// Accounts marked by direct signals since it.
    pub live_marks: usize,
    /// The live state's generation.
    pub generation: u64,
}

/// A stored scan.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScanDto {
    /// Its id.
    pub run: i64,
    /// When it was stored (RFC 3339).
    pub finished_at: String,
    /// Its counts (accounts, confirmed, suspected, candidates, exposed, networks, persons, ...).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
}

/// The latest scan's summary.
#[utoipa::path(
    get,
    path = "/v1/scan",
    tag = "scan",
    responses(
        (status = 200, description = "The latest scan", body = ScanResponse),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn latest_scan(State(state): State<AppState>) -> ApiResult<Json<ScanResponse>> {
    let snapshot = state.host().snapshot();
    let run = snapshot.scan().map(|s| s.run);
    let running = state.scanning();
    let reads = state.clone();
    let latest = crate::api::blocking(move || {
        let Some(run) = run else { return Ok(None) };
        let scans = reads.reads().scans().map_err(|e| ApiError::internal(&e))?;
        Ok(scans.into_iter().find(|s| s.id == run).map(|s| ScanDto {
            run: s.id,
            finished_at: s.finished_at,
            summary: serde_json::from_str(&s.summary).unwrap_or(serde_json::Value::Null),
        }))
    })
    .await?;
    Ok(Json(ScanResponse {
        running,
        latest,
        live_marks: snapshot.live().len(),
        generation: snapshot.generation(),
    }))
}

/// A scan was started.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScanStarted {
    /// Always true: poll `GET /v1/scan` for its end.
    pub started: bool,
}

/// Starts a rescan of the whole event log in the background; requests keep
/// being answered from the current state until it is swapped in.
#[utoipa::path(
    post,
    path = "/v1/scan",
    tag = "scan",
    responses(
        (status = 202, description = "Started", body = ScanStarted),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 409, description = "A scan is already running (`scan_running`)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn start_scan(
    State(state): State<AppState>,
) -> ApiResult<(StatusCode, Json<ScanStarted>)> {
    if !crate::serve::spawn_scan(&state) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "scan_running",
            "a scan is already running",
        ));
    }
    Ok((StatusCode::ACCEPTED, Json(ScanStarted { started: true })))
}

/// A person of the latest scan: its accounts and the evidence that links them.
#[utoipa::path(
    get,
    path = "/v1/persons/{id}",
    tag = "accounts",
    params(("id" = i64, Path, description = "The person's number in the latest scan (an account's `person.id`)")),
    responses(
        (status = 200, description = "The person", body = PersonDto),
        (status = 400, description = "Not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No such person in the latest scan, or no scan yet", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn person(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonDto>> {
    let Some(run) = state.host().snapshot().scan().map(|s| s.run) else {
        return Err(ApiError::not_found("no scan yet"));
    };
    let person = crate::api::blocking(move || {
        state.reads().scan_person(run, id).map_err(|e| ApiError::internal(&e))
    })
    .await?;
    let p = person.ok_or_else(|| ApiError::not_found(format!("no person {id} in scan {run}")))?;
    let evidence = p.evidence.iter().map(ToString::to_string).collect();
    Ok(Json(PersonDto { id: p.person, accounts: p.accounts, evidence }))
}
