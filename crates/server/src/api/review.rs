//! Reports, the queue, cases and their decisions, networks, transparency
//! and the audit log's check: the review engine on HTTP. Each call goes to
//! `guardrail_engine::review` (the same functions as `guardrail report`,
//! `queue` and `case`), over review's own writer connection, in the calling
//! token's name; a child-safety case answers only a token whose role
//! carries the child-safety review role.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use guardrail_engine::core::{ReportCategory, Timestamp};
use guardrail_engine::cybertip;
use guardrail_engine::review::{self, DecisionInput, Filed, ReviewConfig};
use guardrail_engine::review_engine::case::Role as ReviewRole;
use guardrail_engine::review_engine::{NewReport, ReportSource, Target};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::state::{AppState, Caller};

/// A stored time (microseconds) in RFC 3339.
fn rfc3339(micros: i64) -> String {
    Timestamp::from_unix_micros(micros).map_or_else(|| micros.to_string(), |t| t.to_rfc3339())
}

fn may_see_child_safety(config: &ReviewConfig, caller: &Caller) -> bool {
    config.reviewers.get(&caller.name).is_some_and(|roles| roles.contains(&ReviewRole::ChildSafety))
}

fn child_safety_refused(case: u64) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "needs_role",
        format!("case {case} is a child-safety case: it needs a child_safety_reviewer token"),
    )
}

// ---------------------------------------------------------------- reports

/// One report, as the platform sends it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportBody {
    /// An idempotency key (1 to 128 visible ASCII characters); the same key
    /// with the same report is stored once. Default: derived from the content.
    pub key: Option<String>,
    /// The reporting account; leave it out for an outside reporter.
    pub reporter: Option<String>,
    /// What is reported: `account:ID`, `post:ID` or `hashtag:TAG`.
    #[schema(example = "account:u42")]
    pub target: String,
    /// A reported post's author, when the platform knows it.
    pub author: Option<String>,
    /// `child_safety`, `sexual_content`, `harassment`, `spam` or `other`.
    #[schema(example = "child_safety")]
    pub category: String,
    /// The reporter's words (at most 5000 characters).
    pub text: Option<String>,
}

/// The body: one report, or an array of them.
pub(crate) struct ReportsBody;

impl utoipa::PartialSchema for ReportsBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Schema};
        let one = utoipa::openapi::Ref::from_schema_name("ReportBody");
        Schema::OneOf(
            OneOfBuilder::new()
                .item(one.clone())
                .item(ArrayBuilder::new().items(one).description(Some("A batch of reports")))
                .build(),
        )
        .into()
    }
}

impl utoipa::ToSchema for ReportsBody {}

/// What happened to each report.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportsResponse {
    /// Reports in the request.
    pub received: usize,
    /// Newly stored (durable: this answer is sent after the commit).
    pub stored: u64,
    /// Stored before under the same key with the same content.
    pub duplicates: u64,
    /// Refused: nothing stored for them (see each one's error).
    pub refused: u64,
    /// One result per report, in the request's order.
    pub results: Vec<ReportResult>,
}

/// One report's outcome.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportResult {
    /// 1-based position in the request.
    pub index: usize,
    /// `stored`, `duplicate` or `refused`.
    pub status: &'static str,
    /// Its idempotency key (when it got that far).
    pub key: Option<String>,
    /// The report's number.
    pub report: Option<u64>,
    /// Its case.
    pub case: Option<u64>,
    /// Whether the case was opened for it.
    pub new_case: bool,
    /// For a refused report: the field and why.
    pub error: Option<crate::error::ErrorDetail>,
}

fn refused(index: usize, key: Option<String>, why: &str) -> ReportResult {
    let field = why.split_once(": ").map(|(f, _)| f.to_owned()).filter(|f| !f.contains(' '));
    let code = if why.contains("already used for a different report") {
        "key_conflict"
    } else {
        "invalid_field"
    };
    ReportResult {
        index,
        status: "refused",
        key,
        report: None,
        case: None,
        new_case: false,
        error: Some(crate::error::ErrorDetail {
            code: code.to_owned(),
            message: why.to_owned(),
            field,
        }),
    }
}

fn new_report(body: ReportBody, now: Timestamp) -> Result<NewReport, String> {
    let target = Target::parse(&body.target, body.author.as_deref()).map_err(|e| e.to_string())?;
    let category = ReportCategory::parse(&body.category).ok_or_else(|| {
        format!(
            "report.category: {:?} is not one of {}",
            body.category,
            ReportCategory::ALL.map(ReportCategory::as_str).join(", ")
        )
    })?;
    Ok(NewReport {
        key: body.key,
        source: ReportSource::Api,
        reporter: body.reporter.map(Into::into),
        target,
        category,
        text: body.text,
        received_at: now,
    })
}

/// Files reports: each is checked field by field, routed to its case (the
/// network, else the person, else the account, from the latest scan) and
/// acknowledged only once committed; the whole request is one transaction.
#[utoipa::path(
    post,
    path = "/v1/reports",
    tag = "review",
    request_body(content = ReportsBody, description = "One report, or an array of reports"),
    responses(
        (status = 200, description = "Stored (or stored before); refused reports listed with their field", body = ReportsResponse),
        (status = 400, description = "Not JSON, or neither an object nor an array", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 413, description = "Too many reports or too large a body", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn post_reports(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<Json<ReportsResponse>> {
    let items = match body {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(ApiError::bad_request(
                "invalid_json",
                "the body is neither a report object nor an array of reports",
            ))
        }
    };
    let limit = state.limits().batch_events;
    if items.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_reports",
            format!("{} reports in one request; at most {limit}", items.len()),
        ));
    }
    let at = Timestamp::now();
    let received = items.len();
    // Malformed items keep their place; the rest go to the engine together.
    let mut results: Vec<Option<ReportResult>> = Vec::with_capacity(received);
    let mut reports = Vec::new();
    let mut positions = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let parsed = serde_json::from_value::<ReportBody>(item)
            .map_err(|e| format!("report: {e}"))
            .and_then(|b| new_report(b, at));
        match parsed {
            Ok(report) => {
                reports.push(report);
                positions.push(i);
                results.push(None);
            }
            Err(why) => results.push(Some(refused(i + 1, None, &why))),
        }
    }
    let actor = format!("api:{}", caller.name);
    let filed = crate::api::blocking(move || {
        let mut desk = state.desk();
        let crate::state::Desk { store, intake } = &mut *desk;
        let mut filed = Vec::new();
        let n = reports.len().max(1);
        review::add_reports_linked(
            store.as_mut(),
            intake.linkage(),
            &mut reports.into_iter(),
            n,
            &actor,
            &mut |batch: &[Filed]| filed.extend_from_slice(batch),
        )?;
        Ok(filed)
    })
    .await?;
    let (mut stored, mut duplicates) = (0, 0);
    for (position, f) in positions.into_iter().zip(filed) {
        let index = position + 1;
        results[position] = Some(match f {
            Filed::Acknowledged(a) => {
                if a.duplicate {
                    duplicates += 1;
                } else {
                    stored += 1;
                }
                ReportResult {
                    index,
                    status: if a.duplicate { "duplicate" } else { "stored" },
                    key: Some(a.key),
                    report: Some(a.report),
                    case: Some(a.case),
                    new_case: a.new_case,
                    error: None,
                }
            }
            Filed::Refused { key, why } => refused(index, key, &why),
        });
    }
    let results: Vec<ReportResult> = results.into_iter().flatten().collect();
    let refused_n = results.iter().filter(|r| r.status == "refused").count() as u64;
    Ok(Json(ReportsResponse { received, stored, duplicates, refused: refused_n, results }))
}

// ---------------------------------------------------------------- queue

/// The queue's filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct QueueQuery {
    /// At most this many cases (default 50, at most 1000).
    pub limit: Option<usize>,
    /// Only cases in this state: `open`, `claimed`, `escalated` or `reopened`.
    pub state: Option<String>,
    /// Only cases at this level: `p0` to `p3`.
    pub level: Option<String>,
    /// Only child-safety cases (`true`) or only the others (`false`).
    pub child_safety: Option<bool>,
}

/// The undecided cases, most urgent first.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueueResponse {
    /// The cases (after the filters and the limit).
    pub cases: Vec<QueueCase>,
    /// Cases that match the filters, before the limit.
    pub matching: usize,
    /// Child-safety cases left out because the token may not see them.
    pub hidden_child_safety: usize,
    /// The whole backlog (every undecided case, whoever may see it).
    pub backlog: BacklogDto,
}

/// One case of the queue.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueueCase {
    /// The case's number.
    pub case: u64,
    /// `network:ID`, `person:ID`, `account:ID`, `post:ID` or `hashtag:TAG`.
    pub subject: String,
    /// `open`, `claimed`, `escalated` or `reopened`.
    pub state: &'static str,
    /// `p0` (most urgent) to `p3`, after age promotion.
    pub level: &'static str,
    /// Order within the level (higher first).
    pub score: f64,
    /// When its SLA ends (RFC 3339).
    pub due: String,
    /// Whether the SLA has passed.
    pub overdue: bool,
    /// Reports in it.
    pub reports: u64,
    /// Detection signals in it.
    pub signals: u64,
    /// Whether it needs the child-safety role.
    pub child_safety: bool,
    /// When it was opened (RFC 3339).
    pub opened_at: String,
}

/// The backlog by level.
#[derive(Serialize, ToSchema)]
pub(crate) struct BacklogDto {
    /// Undecided cases at P0.
    pub p0: u64,
    /// At P1.
    pub p1: u64,
    /// At P2.
    pub p2: u64,
    /// At P3.
    pub p3: u64,
    /// Past their SLA.
    pub overdue: u64,
    /// The oldest undecided case's age, in seconds.
    pub oldest_seconds: Option<f64>,
}

/// The review queue.
#[utoipa::path(
    get,
    path = "/v1/queue",
    tag = "review",
    params(QueueQuery),
    responses(
        (status = 200, description = "The queue", body = QueueResponse),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 422, description = "A bad filter", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn queue(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<QueueQuery>,
) -> ApiResult<Json<QueueResponse>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field("limit", format!("{limit} is not between 1 and 1000")));
    }
    if let Some(s) = &query.state {
        if !["open", "claimed", "escalated", "reopened"].contains(&s.as_str()) {
            return Err(ApiError::field(
                "state",
                format!("{s:?} is not open, claimed, escalated or reopened"),
            ));
        }
    }
    if let Some(l) = &query.level {
        if !["p0", "p1", "p2", "p3"].contains(&l.as_str()) {
            return Err(ApiError::field("level", format!("{l:?} is not p0, p1, p2 or p3")));
        }
    }
    let config = state.review_config(&caller);
    let sees_child_safety = may_see_child_safety(&config, &caller);
    let at = Timestamp::now();
    let (entries, backlog) = crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(review::queue(desk.store.as_mut(), &config, at)?)
    })
    .await?;
    let hidden =
        if sees_child_safety { 0 } else { entries.iter().filter(|e| e.child_safety).count() };
    let matching: Vec<&review::QueueEntry> = entries
        .iter()
        .filter(|e| sees_child_safety || !e.child_safety)
        .filter(|e| query.state.as_deref().is_none_or(|s| s == e.state))
        .filter(|e| query.level.as_deref().is_none_or(|l| l == e.priority.level.as_str()))
        .filter(|e| query.child_safety.is_none_or(|c| c == e.child_safety))
        .collect();
    let cases = matching
        .iter()
        .take(limit)
        .map(|e| QueueCase {
            case: e.case,
            subject: e.subject.clone(),
            state: e.state,
            level: e.priority.level.as_str(),
            score: e.priority.score,
            due: e.priority.due.to_rfc3339(),
            overdue: e.priority.overdue,
            reports: e.reports,
            signals: e.signals,
            child_safety: e.child_safety,
            opened_at: e.opened_at.to_rfc3339(),
        })
        .collect();
    let [p0, p1, p2, p3] = backlog.by_level;
    Ok(Json(QueueResponse {
        cases,
        matching: matching.len(),
        hidden_child_safety: hidden,
        backlog: BacklogDto {
            p0,
            p1,
            p2,
            p3,
            overdue: backlog.overdue,
            oldest_seconds: backlog.oldest.map(|d| d.as_secs_f64()),
        },
    }))
}

// ---------------------------------------------------------------- cases

/// Everything a reviewer reads about a case.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaseResponse {
    /// The case's number.
    pub case: u64,
    /// Its subject (`network:ID`, `person:ID`, `account:ID`, ...).
    pub subject: String,
    /// `open`, `claimed`, `escalated`, `reopened` or `decided`.
    pub state: &'static str,
    /// Who holds the claim, while it is claimed.
    pub claimed_by: Option<String>,
    /// Until when (RFC 3339).
    pub claimed_until: Option<String>,
    /// The last verdict, for a decided case.
    pub verdict: Option<String>,
    /// `p0` to `p3`.
    pub level: &'static str,
    /// Order within the level.
    pub score: f64,
    /// When its SLA ends (RFC 3339).
    pub due: String,
    /// Whether the SLA has passed.
    pub overdue: bool,
    /// Whether it needs the child-safety role.
    pub child_safety: bool,
    /// Whether a hash bank matched media in it.
    pub hash_match: bool,
    /// Appeals so far.
    pub appeals: u32,
    /// When it was opened (RFC 3339).
    pub opened_at: String,
    /// The accounts it links (every account of its person or network).
    pub accounts: Vec<String>,
    /// For a person case: why identity linking holds the accounts to be one person.
    pub link_evidence: Vec<String>,
    /// Its reports.
    pub reports: Vec<ReportDto>,
    /// Its detection signals (hash matches with bank and distance, the platform's enforcement).
    pub signals: Vec<SignalDto>,
    /// Its decisions, oldest first.
    pub decisions: Vec<CaseDecisionDto>,
    /// Files a reviewer viewed.
    pub views: Vec<ViewDto>,
    /// Its enforcement actions and their delivery.
    pub actions: Vec<ActionDto>,
}

/// A report of a case.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportDto {
    /// Its number.
    pub id: u64,
    /// Its idempotency key.
    pub key: String,
    /// `event`, `cli` or `api`.
    pub source: String,
    /// The reporting account (`null` for an outside reporter).
    pub reporter: Option<String>,
    /// `account:ID`, `post:ID` or `hashtag:TAG`.
    pub target: String,
    /// The reporter's category.
    pub category: String,
    /// The reporter's words.
    pub text: Option<String>,
    /// When it was received (RFC 3339).
    pub received_at: String,
    /// Its terminal state once the case is decided (`actioned`, `not_violating`, `duplicate`, `merged`).
    pub resolution: Option<String>,
    /// The resolution's detail (the reason, the other case).
    pub resolution_detail: Option<String>,
}

/// A detection signal of a case.
#[derive(Serialize, ToSchema)]
pub(crate) struct SignalDto {
    /// Its number.
    pub id: u64,
    /// `hash_match` or `enforcement`.
    pub kind: String,
    /// The account.
    pub account: String,
    /// What it found (the post, bank, hash kind and distance; the action).
    pub detail: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A decision.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaseDecisionDto {
    /// Its number.
    pub id: u64,
    /// Who decided.
    pub reviewer: String,
    /// `violating`, `not_violating`, `duplicate`, `merged` or `escalated`.
    pub verdict: String,
    /// The decision's fields.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The statement of reasons sent with an enforcement.
    #[schema(value_type = Option<Object>)]
    pub statement: Option<serde_json::Value>,
    /// Whether it was sampled for a second review.
    pub sampled: bool,
    /// When (RFC 3339).
    pub decided_at: String,
}

/// A file a reviewer viewed.
#[derive(Serialize, ToSchema)]
pub(crate) struct ViewDto {
    /// `post:ID#N`.
    pub file: String,
    /// Who.
    pub reviewer: String,
    /// When (RFC 3339).
    pub viewed_at: String,
}

/// An enforcement action.
#[derive(Serialize, ToSchema)]
pub(crate) struct ActionDto {
    /// Its number in the outbox.
    pub id: u64,
    /// The decision that wrote it.
    pub decision: u64,
    /// `ban`, `suspend`, `not_recommendable`, `block_identifier`, `block_hashtag` or `restore`.
    pub action: String,
    /// The account, identifier or hashtag.
    pub target: String,
    /// When the platform confirmed it (RFC 3339), if it has.
    pub delivered_at: Option<String>,
}

fn json_or_text(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

/// A case's context bundle.
#[utoipa::path(
    get,
    path = "/v1/cases/{id}",
    tag = "review",
    params(("id" = u64, Path, description = "The case's number")),
    responses(
        (status = 200, description = "The case", body = CaseResponse),
        (status = 400, description = "Not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role, or a child-safety case for a token without the child-safety role (`needs_role`)", body = crate::error::ErrorBody),
        (status = 404, description = "No such case (`no_such_case`)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn case(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<u64>,
) -> ApiResult<Json<CaseResponse>> {
    let config = state.review_config(&caller);
    let sees_child_safety = may_see_child_safety(&config, &caller);
    let at = Timestamp::now();
    let v = crate::api::blocking(move || {
        let mut desk = state.desk();
        let crate::state::Desk { store, intake } = &mut *desk;
        Ok(review::show_linked(store.as_mut(), &config, intake.linkage(), id, at)?)
    })
    .await?;
    if v.row.child_safety && !sees_child_safety {
        return Err(child_safety_refused(id));
    }
    let r = &v.row;
    let claimed = v.state == "claimed";
    let decided = r.state == "decided";
    Ok(Json(CaseResponse {
        case: r.id,
        subject: format!("{}:{}", r.subject_kind, r.subject),
        state: if decided { "decided" } else { v.state },
        claimed_by: r.lease_holder.clone().filter(|_| claimed),
        claimed_until: r.lease_until.filter(|_| claimed).map(rfc3339),
        verdict: r.verdict.clone().filter(|_| decided),
        level: v.priority.level.as_str(),
        score: v.priority.score,
        due: v.priority.due.to_rfc3339(),
        overdue: v.priority.overdue,
        child_safety: r.child_safety,
        hash_match: r.hash_match,
        appeals: r.appeals,
        opened_at: rfc3339(r.opened_at),
        accounts: v.accounts.clone(),
        link_evidence: v.link_evidence.clone(),
        reports: v
            .reports
            .iter()
            .map(|p| ReportDto {
                id: p.id,
                key: p.key.clone(),
                source: p.source.clone(),
                reporter: p.reporter.clone(),
                target: format!("{}:{}", p.target_kind, p.target),
                category: p.category.clone(),
                text: p.text.clone(),
                received_at: rfc3339(p.received_at),
                resolution: p.resolution.clone(),
                resolution_detail: p.resolution_detail.clone(),
            })
            .collect(),
        signals: v
            .signals
            .iter()
            .map(|s| SignalDto {
                id: s.id,
                kind: s.kind.clone(),
                account: s.account.clone(),
                detail: s.detail.clone(),
                at: rfc3339(s.at),
            })
            .collect(),
        decisions: v
            .decisions
            .iter()
            .map(|d| CaseDecisionDto {
                id: d.id,
                reviewer: d.reviewer.clone(),
                verdict: d.verdict.clone(),
                detail: json_or_text(&d.detail),
                statement: d.statement.as_deref().map(json_or_text),
                sampled: d.sampled,
                decided_at: rfc3339(d.decided_at),
            })
            .collect(),
        views: v
            .views
            .iter()
            .map(|w| ViewDto {
                file: w.file.clone(),
                reviewer: w.reviewer.clone(),
                viewed_at: rfc3339(w.viewed_at),
            })
            .collect(),
        actions: v
            .outbox
            .iter()
            .map(|o| ActionDto {
                id: o.id,
                decision: o.decision_id,
                action: o.action.clone(),
                target: o.target.clone(),
                delivered_at: o.delivered_at.map(rfc3339),
            })
            .collect(),
    }))
}

/// A claim.
#[derive(Serialize, ToSchema)]
pub(crate) struct Claimed {
    /// The case.
    pub case: u64,
    /// Who holds it (the token's name).
    pub reviewer: String,
    /// Until when (RFC 3339); a lapsed claim returns the case to the queue.
    pub until: String,
}

/// Claims a case for the calling token until the configured lease ends.
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/claim",
    tag = "review",
    params(("id" = u64, Path, description = "The case's number")),
    responses(
        (status = 200, description = "Claimed", body = Claimed),
        (status = 400, description = "Not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role, or a case needing a role the token lacks (`needs_role`)", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 409, description = "Claimed by another (`claimed`), decided (`invalid_state`), or changed meanwhile (`stale`)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn claim(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<u64>,
) -> ApiResult<Json<Claimed>> {
    let config = state.review_config(&caller);
    let at = Timestamp::now();
    let name = caller.name.clone();
    let until = crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(review::claim(desk.store.as_mut(), &config, id, &name, at)?)
    })
    .await?;
    Ok(Json(Claimed { case: id, reviewer: caller.name, until: until.to_rfc3339() }))
}

/// A decision's fields (`verdict` always; the rest as the verdict needs).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    /// `violating`, `not_violating`, `duplicate`, `merged` or `escalate`.
    #[schema(example = "violating")]
    pub verdict: String,
    /// For violating: the policy broken.
    pub policy: Option<String>,
    /// For violating: the confirmed category.
    pub category: Option<String>,
    /// For violating: `ban` (default), `suspend` or `none`.
    pub action: Option<String>,
    /// For violating: keep the accounts out of discovery surfaces.
    #[serde(default)]
    pub not_recommendable: bool,
    /// For violating: block the person's identifiers for new accounts.
    #[serde(default)]
    pub block_identifiers: bool,
    /// For violating: hashtags to block.
    #[serde(default)]
    pub block_hashtags: Vec<String>,
    /// For a child-safety violation: the CyberTipline incident type.
    pub incident_type: Option<String>,
    /// For a child-safety violation: why NCMEC should treat it as urgent.
    pub escalate_reason: Option<String>,
    /// For not_violating and escalate: why.
    pub reason: Option<String>,
    /// For duplicate and merged: the other case.
    pub other_case: Option<u64>,
}

impl From<DecisionBody> for DecisionInput {
    fn from(b: DecisionBody) -> DecisionInput {
        DecisionInput {
            verdict: b.verdict,
            policy: b.policy,
            category: b.category,
            action: b.action,
            not_recommendable: b.not_recommendable,
            block_identifiers: b.block_identifiers,
            block_hashtags: b.block_hashtags,
            incident_type: b.incident_type,
            escalate_reason: b.escalate_reason,
            reason: b.reason,
            other_case: b.other_case,
        }
    }
}

/// What a decision did.
#[derive(Serialize, ToSchema)]
pub(crate) struct DecidedResponse {
    /// The case.
    pub case: u64,
    /// The decision's number.
    pub decision: u64,
    /// The verdict (or `escalated`).
    pub verdict: String,
    /// The enforcement actions written to the outbox (and sent to the webhooks).
    pub actions: Vec<ActionTarget>,
    /// Whether it was sampled for a second review.
    pub sampled: bool,
    /// Reports resolved.
    pub reports_resolved: usize,
    /// The statement of reasons, for an enforcement.
    #[schema(value_type = Option<Object>)]
    pub statement: Option<serde_json::Value>,
}

/// One enforcement action.
#[derive(Serialize, ToSchema)]
pub(crate) struct ActionTarget {
    /// What to do.
    pub action: &'static str,
    /// To what.
    pub target: String,
}

/// Decides a case the calling token holds. A verdict resolves every report
/// in it and writes the enforcement outbox, the statement of reasons and the
/// audit entries in one transaction; the guard acts on the enforcement at
/// once (non-recommendable accounts, blocked hashtags); an escalation sends
/// it back to the queue for a lead.
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/decision",
    tag = "review",
    params(("id" = u64, Path, description = "The case's number")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Decided", body = DecidedResponse),
        (status = 400, description = "Not JSON, or not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role, or a role the case needs (`needs_role`)", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 409, description = "Not claimed by this token (`not_claimed`), decided (`invalid_state`), decided before by the same reviewer (`same_reviewer`), or changed meanwhile (`stale`)", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A missing or bad field (`decision.category`, ...)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn decide(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<u64>,
    Json(body): Json<DecisionBody>,
) -> ApiResult<Json<DecidedResponse>> {
    let decision = DecisionInput::from(body)
        .decision()
        .map_err(|e| ApiError::from(guardrail_engine::EngineError::from(e)))?;
    let config = state.review_config(&caller);
    let at = Timestamp::now();
    let notify = state.clone();
    let out = crate::api::blocking(move || {
        let out = {
            let mut desk = state.desk();
            review::decide(desk.store.as_mut(), &config, id, &caller.name, decision, at)?
        };
        let actions: Vec<(String, String)> =
            out.actions.iter().map(|a| (a.kind.to_owned(), a.target.clone())).collect();
        if !actions.is_empty() {
            state.host().apply_review(id, &actions);
        }
        Ok(out)
    })
    .await?;
    if !out.actions.is_empty() {
        notify.notify_outbox();
    }
    Ok(Json(DecidedResponse {
        case: id,
        decision: out.decision,
        verdict: out.verdict,
        actions: out
            .actions
            .iter()
            .map(|a| ActionTarget { action: a.kind, target: a.target.clone() })
            .collect(),
        sampled: out.sampled,
        reports_resolved: out.reports,
        statement: out.statement.map(|s| json_or_text(&s.to_json())),
    }))
}

/// A file a reviewer viewed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ViewBody {
    /// `post:ID#N`: the Nth media (from 0) of a post of the case.
    #[schema(example = "post:p17#0")]
    pub file: String,
}

/// Records that the calling token's reviewer viewed one of the case's files
/// (what makes `fileViewedByEsp` true in a CyberTipline report).
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/views",
    tag = "review",
    params(("id" = u64, Path, description = "The case's number")),
    request_body = ViewBody,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "Not JSON, or not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role, or a child-safety case (`needs_role`)", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A bad field", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn record_view(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<u64>,
    Json(body): Json<ViewBody>,
) -> ApiResult<StatusCode> {
    let file = body.file.trim().to_owned();
    if file.is_empty() || file.len() > 300 || file.chars().any(char::is_control) {
        return Err(ApiError::field("file", "write post:ID#N (at most 300 characters)"));
    }
    let config = state.review_config(&caller);
    let at = Timestamp::now();
    crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(review::record_view(desk.store.as_mut(), &config, id, &caller.name, &file, at)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A second review of a sampled decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecondReviewBody {
    /// The second reviewer's verdict: `violating`, `not_violating`, `duplicate` or `merged`.
    pub verdict: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// Whether the second reviewer agreed.
#[derive(Serialize, ToSchema)]
pub(crate) struct SecondReviewed {
    /// The case.
    pub case: u64,
    /// Whether the verdicts agree.
    pub agreed: bool,
}

/// Reviews a case's latest verdict again, by another token than the one that decided it.
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/second-review",
    tag = "review",
    params(("id" = u64, Path, description = "The case's number")),
    request_body = SecondReviewBody,
    responses(
        (status = 200, description = "Recorded", body = SecondReviewed),
        (status = 400, description = "Not JSON, or not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role, or a child-safety case (`needs_role`)", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 409, description = "Nothing to review (`not_reportable`), or the same reviewer (`same_reviewer`)", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A bad verdict", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn second_review(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<u64>,
    Json(body): Json<SecondReviewBody>,
) -> ApiResult<Json<SecondReviewed>> {
    let config = state.review_config(&caller);
    let at = Timestamp::now();
    let verdict = body.verdict.replace('-', "_");
    let agreed = crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(review::second_review(
            desk.store.as_mut(),
            &config,
            id,
            &caller.name,
            &verdict,
            &body.reason,
            at,
        )?)
    })
    .await?;
    Ok(Json(SecondReviewed { case: id, agreed }))
}

/// An appeal, as the platform forwards it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppealBody {
    /// Who appeals: the account acted on, or the reporter.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// The appealed case.
#[derive(Serialize, ToSchema)]
pub(crate) struct Appealed {
    /// The case.
    pub case: u64,
    /// `reopened`: back in the queue for a reviewer who did not decide it.
    pub state: &'static str,
}

/// Reopens a decided case on appeal.
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/appeal",
    tag = "review",
    params(("id" = u64, Path, description = "The case's number")),
    request_body = AppealBody,
    responses(
        (status = 200, description = "Reopened", body = Appealed),
        (status = 400, description = "Not JSON, or not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 409, description = "Not decided (`invalid_state`)", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A missing reason or appellant", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn appeal(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(body): Json<AppealBody>,
) -> ApiResult<Json<Appealed>> {
    let by = body.by.trim().to_owned();
    if by.is_empty() || by.len() > 256 || by.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::field("by", "an account id: 1 to 256 characters, no spaces"));
    }
    let at = Timestamp::now();
    crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(review::appeal(desk.store.as_mut(), id, &by, &body.reason, at)?)
    })
    .await?;
    Ok(Json(Appealed { case: id, state: "reopened" }))
}

// ---------------------------------------------------------------- networks

/// A network of the latest scan as a map.
#[derive(Serialize, ToSchema)]
pub(crate) struct NetworkResponse {
    /// The scan.
    pub run: i64,
    /// The network's number in it.
    pub network: i64,
    /// Members first (most severe first), then the accounts their reasons name.
    pub nodes: Vec<NodeDto>,
    /// The ties the scan's reasons name, each once.
    pub edges: Vec<EdgeDto>,
}

/// An account of the map.
#[derive(Serialize, ToSchema)]
pub(crate) struct NodeDto {
    /// The account id.
    pub account: String,
    /// Its handle, when a reason named it.
    pub handle: Option<String>,
    /// Its tier (`clear` for a neighbour outside the flagged set).
    pub tier: &'static str,
    /// The scan's score.
    pub score: f64,
    /// Whether it belongs to the network (else a neighbour a member's reason names).
    pub member: bool,
    /// Its person in the scan.
    pub person: Option<i64>,
}

/// A tie of the map.
#[derive(Serialize, ToSchema)]
pub(crate) struct EdgeDto {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// `interaction`, `path` (a step towards the nearest confirmed account), `same_person` or `ban_evasion`.
    pub kind: &'static str,
    /// For interactions and path steps: `follow`, `view`, `like`, `comment`.
    pub interactions: Vec<&'static str>,
}

/// A flagged network of the latest scan: members by tier and person, and the ties that put them there.
#[utoipa::path(
    get,
    path = "/v1/networks/{id}",
    tag = "review",
    params(("id" = i64, Path, description = "The network's number in the latest scan (an account's `network`)")),
    responses(
        (status = 200, description = "The map", body = NetworkResponse),
        (status = 400, description = "Not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No such network in the latest scan, or no scan yet", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn network(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<NetworkResponse>> {
    let Some(run) = state.host().snapshot().scan().map(|s| s.run) else {
        return Err(ApiError::not_found("no scan yet"));
    };
    let map =
        crate::api::blocking(move || Ok(review::network_map(state.reads().as_mut(), run, id)?))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no network {id} in scan {run}")))?;
    Ok(Json(NetworkResponse {
        run: map.run,
        network: map.network,
        nodes: map
            .nodes
            .into_iter()
            .map(|n| NodeDto {
                account: n.account,
                handle: n.handle,
                tier: n.tier.as_str(),
                score: n.score,
                member: n.member,
                person: n.person,
            })
            .collect(),
        edges: map
            .edges
            .into_iter()
            .map(|e| EdgeDto {
                from: e.from,
                to: e.to,
                kind: e.kind.as_str(),
                interactions: e.interactions,
            })
            .collect(),
    }))
}

// ---------------------------------------------------------------- oversight

/// A transparency report's period.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PeriodQuery {
    /// The start (RFC 3339; default: the beginning).
    pub from: Option<String>,
    /// The end, excluded (RFC 3339; default: no end).
    pub to: Option<String>,
}

/// Counts for a transparency report.
#[derive(Serialize, ToSchema)]
pub(crate) struct TransparencyResponse {
    /// Reports received, by category.
    pub reports_by_category: std::collections::BTreeMap<String, u64>,
    /// Reports received, by source (`event`, `cli`, `api`).
    pub reports_by_source: std::collections::BTreeMap<String, u64>,
    /// Detection signals, by kind.
    pub signals_by_kind: std::collections::BTreeMap<String, u64>,
    /// Decided cases, by what opened them (`reports`, `detection`, `both`).
    pub cases_by_origin: std::collections::BTreeMap<String, u64>,
    /// Decisions, by verdict.
    pub decisions_by_verdict: std::collections::BTreeMap<String, u64>,
    /// Enforcement actions, by kind.
    pub actions_by_kind: std::collections::BTreeMap<String, u64>,
    /// Appeals decided again.
    pub appeals: u64,
    /// Of them, overturned.
    pub appeals_overturned: u64,
    /// Decisions sampled for a second review.
    pub sampled: u64,
    /// Second reviews done.
    pub second_reviews: u64,
    /// Of them, agreeing.
    pub second_reviews_agreed: u64,
    /// From a case's opening to its first verdict.
    pub time_to_decision: DurationsDto,
    /// From a case's opening to its first violating verdict.
    pub time_to_action: DurationsDto,
}

/// Durations in seconds.
#[derive(Serialize, ToSchema)]
pub(crate) struct DurationsDto {
    /// How many.
    pub n: u64,
    /// The median.
    pub median_seconds: f64,
    /// The 90th percentile.
    pub p90_seconds: f64,
}

impl From<review::Durations> for DurationsDto {
    fn from(d: review::Durations) -> DurationsDto {
        DurationsDto { n: d.n, median_seconds: d.median, p90_seconds: d.p90 }
    }
}

/// The counts of a transparency report over a period.
#[utoipa::path(
    get,
    path = "/v1/transparency",
    tag = "review",
    params(PeriodQuery),
    responses(
        (status = 200, description = "The counts", body = TransparencyResponse),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 422, description = "A bad time", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn transparency(
    State(state): State<AppState>,
    Query(period): Query<PeriodQuery>,
) -> ApiResult<Json<TransparencyResponse>> {
    let time = |field: &str, text: &Option<String>| -> ApiResult<Option<Timestamp>> {
        text.as_deref()
            .map(|t| {
                Timestamp::parse(t).map_err(|why| ApiError::field(field, format!("{t:?}: {why}")))
            })
            .transpose()
    };
    let (from, to) = (time("from", &period.from)?, time("to", &period.to)?);
    let t = crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(review::transparency(desk.store.as_mut(), from, to)?)
    })
    .await?;
    Ok(Json(TransparencyResponse {
        reports_by_category: t.reports_by_category,
        reports_by_source: t.reports_by_source,
        signals_by_kind: t.signals_by_kind,
        cases_by_origin: t.cases_by_origin,
        decisions_by_verdict: t.decisions_by_verdict,
        actions_by_kind: t.actions_by_kind,
        appeals: t.appeals.0,
        appeals_overturned: t.appeals.1,
        sampled: t.sampled,
        second_reviews: t.second_reviews.0,
        second_reviews_agreed: t.second_reviews.1,
        time_to_decision: t.time_to_decision.into(),
        time_to_action: t.time_to_action.into(),
    }))
}

/// The audit log's check.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditVerified {
    /// Entries read.
    pub entries: u64,
    /// Whether the hash chain holds from the first entry to the last.
    pub intact: bool,
    /// The first bad entry, when it does not.
    pub broken: Option<String>,
    /// That entry's position.
    pub broken_at: Option<u64>,
}

/// Verifies the audit log's hash chain (every review step is an entry).
#[utoipa::path(
    get,
    path = "/v1/audit-log/verify",
    tag = "review",
    responses(
        (status = 200, description = "The check (`intact` false names the first bad entry)", body = AuditVerified),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn verify_audit(State(state): State<AppState>) -> ApiResult<Json<AuditVerified>> {
    let check = crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(review::verify_audit(desk.store.as_mut())?)
    })
    .await?;
    Ok(Json(AuditVerified {
        entries: check.entries,
        intact: check.broken.is_none(),
        broken_at: check.broken.as_ref().map(|b| b.seq),
        broken: check.broken.map(|b| b.to_string()),
    }))
}

// ---------------------------------------------------------------- CyberTipline

/// Runs the due CyberTipline submissions and refreshes the gauges; each
/// submission that failed and needs a person is logged as an error.
pub(crate) fn cybertip_tick(state: &AppState) -> guardrail_engine::Result<()> {
    let at = Timestamp::now();
    let config = state.base_review_config().clone();
    let mut desk = state.desk();
    if let Some(client) = state.cybertip_client() {
        for (case, outcome) in
            cybertip::run_due(desk.store.as_mut(), &config, client, "service", at)?
        {
            match outcome {
                cybertip::Outcome::Failed { why } => {
                    tracing::error!(case, why = %why, "CyberTipline submission failed and needs a person")
                }
                cybertip::Outcome::Retrying { why, next_at } => {
                    tracing::warn!(case, why = %why, next = %next_at.to_rfc3339(), "CyberTipline submission retried later")
                }
                cybertip::Outcome::Finished { report_id } => {
                    tracing::info!(case, report_id, "CyberTipline report filed")
                }
                cybertip::Outcome::Idle => {}
            }
        }
    }
    let rows = cybertip::status(desk.store.as_mut())?;
    let awaiting = desk.store.cybertip_awaiting()?;
    let m = state.metrics();
    let count = |s: &[&str]| rows.iter().filter(|r| s.contains(&r.state.as_str())).count() as u64;
    use std::sync::atomic::Ordering::Relaxed;
    m.cybertip_failed.store(count(&["failed"]), Relaxed);
    m.cybertip_open.store(count(&["pending", "submitted"]), Relaxed);
    m.cybertip_finished.store(count(&["finished"]), Relaxed);
    m.cybertip_awaiting.store(awaiting, Relaxed);
    Ok(())
}

/// A CyberTipline submission's state.
#[derive(Serialize, ToSchema)]
pub(crate) struct SubmissionDto {
    /// The case.
    pub case: u64,
    /// `test` or `production`.
    pub environment: String,
    /// `pending`, `submitted`, `finished` or `failed` (needs a person).
    pub state: String,
    /// NCMEC's report id, once submitted.
    pub report_id: Option<i64>,
    /// Attempts after passing failures.
    pub attempts: u64,
    /// When the next attempt is due (RFC 3339).
    pub next_at: String,
    /// The last NCMEC response code.
    pub last_code: Option<i64>,
    /// The last error.
    pub last_error: Option<String>,
    /// NCMEC's `Request-ID` of its last answer.
    pub request_id: Option<String>,
    /// Whether NCMEC's receipt is stored.
    pub receipt: bool,
    /// When NCMEC confirmed it (RFC 3339).
    pub finished_at: Option<String>,
}

impl From<guardrail_engine::store_backend::CyberTipRow> for SubmissionDto {
    fn from(r: guardrail_engine::store_backend::CyberTipRow) -> SubmissionDto {
        SubmissionDto {
            case: r.case_id,
            environment: r.environment,
            state: r.state,
            report_id: r.report_id,
            attempts: r.attempts,
            next_at: rfc3339(r.next_at),
            last_code: r.last_code,
            last_error: r.last_error,
            request_id: r.request_id,
            receipt: r.receipt.is_some(),
            finished_at: r.finished_at.map(rfc3339),
        }
    }
}

/// How to send a case's report.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitBody {
    /// The service keeps hashes, not media: the report goes without its
    /// files and names their hashes. It must be said (`true`); to attach the
    /// files, submit with `guardrail cybertip submit --files DIR`.
    pub without_files: bool,
}

/// Queues a case decided violating for child safety for the CyberTipline
/// and submits it now when credentials are configured (else the CLI's
/// `cybertip run` does); the answer is the submission's state.
#[utoipa::path(
    post,
    path = "/v1/cases/{id}/cybertip",
    tag = "review",
    params(("id" = u64, Path, description = "The case's number")),
    request_body = SubmitBody,
    responses(
        (status = 200, description = "Queued (and submitted as far as it went)", body = SubmissionDto),
        (status = 400, description = "Not JSON, or not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 409, description = "Not decided violating for child safety, or queued already (`not_reportable`, `already_exists`)", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "`without_files` not true, or a field the report needs (`cybertip.email`)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn submit_cybertip(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<u64>,
    Json(body): Json<SubmitBody>,
) -> ApiResult<Json<SubmissionDto>> {
    if !body.without_files {
        return Err(ApiError::field(
            "without_files",
            "the service keeps hashes, not media: set true to report without the files (their hashes are named), or attach them with `guardrail cybertip submit --files DIR`",
        ));
    }
    let config = state.review_config(&caller);
    let at = Timestamp::now();
    let actor = format!("api:{}", caller.name);
    let row = crate::api::blocking(move || {
        let mut desk = state.desk();
        cybertip::queue(desk.store.as_mut(), &config, id, &cybertip::Files::Without, &actor, at)?;
        if let Some(client) = state.cybertip_client() {
            if let cybertip::Outcome::Failed { why } =
                cybertip::run(desk.store.as_mut(), &config, client, id, &actor, at)?
            {
                tracing::error!(case = id, why = %why, "CyberTipline submission failed and needs a person");
            }
        }
        desk.store
            .cybertip_get(id)
            .map_err(|e| ApiError::internal(&e))?
            .ok_or_else(|| ApiError::internal(&"a queued submission is missing"))
    })
    .await?;
    Ok(Json(row.into()))
}

/// Every CyberTipline submission.
#[utoipa::path(
    get,
    path = "/v1/cybertip",
    tag = "review",
    responses(
        (status = 200, description = "The submissions, by case", body = Vec<SubmissionDto>),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn list_cybertip(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<SubmissionDto>>> {
    let rows = crate::api::blocking(move || {
        let mut desk = state.desk();
        Ok(cybertip::status(desk.store.as_mut())?)
    })
    .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
