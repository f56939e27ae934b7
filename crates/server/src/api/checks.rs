//! The online checks a platform calls on every upload, text, suggestion and
//! search: text against the lexicon, media hashes against the banks, and the
//! guard's decisions. They answer from the current snapshot (one atomic load)
//! and never wait for a rescan or a reload.

use std::sync::atomic::Ordering;

use axum::extract::State;
use guardrail_engine::core::Surface;
use guardrail_engine::guard_engine::{Candidate, Decision, DiscoverySurface};
use guardrail_engine::media_engine::KnownHash;
use guardrail_engine::text_engine::Level;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Json};
use crate::state::AppState;

/// Where a text appears.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TextSurface {
    /// A hashtag.
    Hashtag,
    /// A search query.
    Search,
    /// An autocomplete completion.
    Autocomplete,
    /// An account handle.
    Handle,
    /// A profile text.
    Bio,
    /// A post caption.
    Caption,
    /// A comment.
    Comment,
}

impl From<TextSurface> for Surface {
    fn from(s: TextSurface) -> Surface {
        match s {
            TextSurface::Hashtag => Surface::Hashtag,
            TextSurface::Search => Surface::Search,
            TextSurface::Autocomplete => Surface::Autocomplete,
            TextSurface::Handle => Surface::Handle,
            TextSurface::Bio => Surface::Bio,
            TextSurface::Caption => Surface::Caption,
            TextSurface::Comment => Surface::Comment,
        }
    }
}

/// A text to check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextCheckRequest {
    /// The text as the user wrote it.
    pub text: String,
    /// Where it appears (the rules differ: a hashtag is one token, a search is short).
    pub surface: TextSurface,
}

/// The text engine's verdict.
#[derive(Serialize, ToSchema)]
pub(crate) struct TextCheckResponse {
    /// `allow`, `weak` (a ranking feature only), `strong` (keep out of
    /// recommendations, flag for review) or `block` (do not show or suggest).
    #[schema(example = "block")]
    pub level: String,
    /// Every match.
    pub matches: Vec<TextMatch>,
    /// Why the verdict is what it is, one line per rule.
    pub reasons: Vec<String>,
}

/// One lexicon match.
#[derive(Serialize, ToSchema)]
pub(crate) struct TextMatch {
    /// The lexicon entry's text.
    pub term: String,
    /// Its category.
    pub category: String,
    /// Its severity (`weak`, `strong`, `block`).
    pub severity: String,
    /// Byte offset of the match in the text.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
    /// The text of the span, as a reviewer should see it.
    pub matched: String,
    /// How it was found (`words`, `joined`, `near`, ...).
    pub how: String,
}

/// Checks a text against the lexicon.
#[utoipa::path(
    post,
    path = "/v1/check/text",
    tag = "checks",
    request_body = TextCheckRequest,
    responses(
        (status = 200, description = "The verdict", body = TextCheckResponse),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 409, description = "No lexicon is configured (`no_lexicon`)", body = crate::error::ErrorBody),
        (status = 413, description = "Too large a body", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A field is missing or invalid, or the text is too long to check", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn check_text(
    State(state): State<AppState>,
    Json(request): Json<TextCheckRequest>,
) -> ApiResult<Json<TextCheckResponse>> {
    let snapshot = state.host().snapshot();
    let verdict = snapshot
        .check_text(&request.text, request.surface.into())
        .map_err(|e| ApiError::from(e).at("text"))?;
    let m = state.metrics();
    m.text_checks.fetch_add(1, Ordering::Relaxed);
    if verdict.level >= Level::Strong {
        m.text_flagged.fetch_add(1, Ordering::Relaxed);
    }
    Ok(Json(TextCheckResponse {
        level: verdict.level.as_str().to_owned(),
        matches: verdict
            .matches
            .iter()
            .map(|m| TextMatch {
                term: m.term.clone(),
                category: m.category.clone(),
                severity: m.severity.as_str().to_owned(),
                start: m.start,
                end: m.end,
                matched: m.matched.clone(),
                how: serde_json::to_value(m.how)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect(),
        reasons: verdict.reasons,
    }))
}

/// Hashes of one upload (or several), to match against the banks.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MediaCheckRequest {
    /// Hashes written `pdq:<64 hex>`, `md5:<32 hex>`, `sha256:<64 hex>` (bare 64 hex digits are PDQ).
    #[schema(example = json!(["pdq:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"]))]
    pub hashes: Vec<String>,
    /// Only this bank.
    pub bank: Option<String>,
}

/// The matches.
#[derive(Serialize, ToSchema)]
pub(crate) struct MediaCheckResponse {
    /// Whether anything matched.
    pub matched: bool,
    /// Every match (a PDQ hash within the configured radius, an exact digest).
    pub matches: Vec<MediaMatch>,
}

/// One bank match.
#[derive(Serialize, ToSchema)]
pub(crate) struct MediaMatch {
    /// The bank.
    pub bank: String,
    /// What the bank says a match calls for.
    pub action: String,
    /// The stored hash that matched, `kind:hex`.
    pub hash: String,
    /// Bits apart (0 for exact kinds).
    pub distance: u32,
}

/// Matches media hashes against the banks.
#[utoipa::path(
    post,
    path = "/v1/check/media",
    tag = "checks",
    request_body = MediaCheckRequest,
    responses(
        (status = 200, description = "The matches (none is `matched: false`)", body = MediaCheckResponse),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No such bank", body = crate::error::ErrorBody),
        (status = 409, description = "No hash banks loaded (`no_banks`): never read as no match", body = crate::error::ErrorBody),
        (status = 413, description = "Too many hashes", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A hash is not valid", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn check_media(
    State(state): State<AppState>,
    Json(request): Json<MediaCheckRequest>,
) -> ApiResult<Json<MediaCheckResponse>> {
    let limit = state.limits().hashes;
    if request.hashes.len() > limit {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_hashes",
            format!("{} hashes in one request; at most {limit}", request.hashes.len()),
        ));
    }
    if request.hashes.is_empty() {
        return Err(ApiError::field("hashes", "give at least one hash"));
    }
    let mut exact = Vec::new();
    let mut pdq = Vec::new();
    for (i, text) in request.hashes.iter().enumerate() {
        match guardrail_engine::banks::parse_hash(text) {
            Ok(KnownHash::Pdq(h)) => pdq.push(h),
            Ok(other) => exact.push(other),
            Err(e) => return Err(ApiError::from(e).at(format!("hashes[{i}]"))),
        }
    }
    let snapshot = state.host().snapshot();
    if let (Some(bank), Some(banks)) = (&request.bank, snapshot.banks()) {
        if !banks.banks().iter().any(|b| b.name == *bank) {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "no_such_bank",
                format!("no bank named {bank:?}"),
            )
            .at("bank"));
        }
    }
    let found = snapshot.match_hashes(&exact, &pdq, request.bank.as_deref())?;
    let m = state.metrics();
    m.media_checks.fetch_add(1, Ordering::Relaxed);
    if !found.is_empty() {
        m.media_matched.fetch_add(1, Ordering::Relaxed);
    }
    Ok(Json(MediaCheckResponse {
        matched: !found.is_empty(),
        matches: found
            .into_iter()
            .map(|f| MediaMatch {
                hash: format!("{}:{}", f.hash.kind().as_str(), f.hash.to_hex()),
                bank: f.bank,
                action: f.action,
                distance: f.distance,
            })
            .collect(),
    }))
}

/// Where candidates are about to be shown.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GuardSurface {
    /// "Suggested for you" accounts.
    AccountSuggestions,
    /// Hashtags suggested to follow or to add to a post.
    HashtagSuggestions,
    /// Completions offered while typing a search.
    SearchAutocomplete,
    /// Results of a search.
    SearchResults,
    /// Feed and explore items.
    Feed,
}

impl From<GuardSurface> for DiscoverySurface {
    fn from(s: GuardSurface) -> DiscoverySurface {
        match s {
            GuardSurface::AccountSuggestions => DiscoverySurface::AccountSuggestions,
            GuardSurface::HashtagSuggestions => DiscoverySurface::HashtagSuggestions,
            GuardSurface::SearchAutocomplete => DiscoverySurface::SearchAutocomplete,
            GuardSurface::SearchResults => DiscoverySurface::SearchResults,
            GuardSurface::Feed => DiscoverySurface::Feed,
        }
    }
}

/// Something that might be shown.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum CandidateDto {
    /// An account, by id.
    Account {
        /// The account id.
        id: String,
    },
    /// A hashtag, with or without `#`.
    Hashtag {
        /// The hashtag.
        tag: String,
    },
    /// A text: an autocomplete completion or a suggested query.
    Text {
        /// The text.
        text: String,
    },
    /// A post: its author, hashtags and caption.
    Post {
        /// The author's account id.
        author: String,
        /// Its hashtags.
        #[serde(default)]
        hashtags: Vec<String>,
        /// Its caption.
        caption: Option<String>,
    },
}

/// Candidates for one viewer on one surface.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GuardRequest {
    /// The account that would see them.
    pub viewer: String,
    /// Where.
    pub surface: GuardSurface,
    /// What might be shown, in order.
    pub candidates: Vec<CandidateDto>,
}

/// One decision.
#[derive(Serialize, ToSchema)]
pub(crate) struct DecisionDto {
    /// Whether it may be shown.
    pub allow: bool,
    /// Why not (`flagged_account`, `flagged_network`, `blocked_term`,
    /// `tainted_hashtag`, `suspected_to_suspected`, `minor_to_suspected`,
    /// `suspected_to_minor`, `blocked_search`, `uncheckable`).
    pub reasons: Vec<String>,
}

/// One decision per candidate, in order.
#[derive(Serialize, ToSchema)]
pub(crate) struct GuardResponse {
    /// The decisions.
    pub decisions: Vec<DecisionDto>,
    /// The live state's generation that decided.
    pub generation: u64,
}

fn hashtag_refs(candidates: &[CandidateDto]) -> Vec<Vec<&str>> {
    candidates
        .iter()
        .map(|c| match c {
            CandidateDto::Post { hashtags, .. } => hashtags.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn candidates<'a>(dtos: &'a [CandidateDto], tags: &'a [Vec<&'a str>]) -> Vec<Candidate<'a>> {
    dtos.iter()
        .zip(tags)
        .map(|(c, tags)| match c {
            CandidateDto::Account { id } => Candidate::Account(id.into()),
            CandidateDto::Hashtag { tag } => Candidate::Hashtag(tag),
            CandidateDto::Text { text } => Candidate::Text(text),
            CandidateDto::Post { author, caption, .. } => Candidate::Post {
                author: author.into(),
                hashtags: tags,
                caption: caption.as_deref(),
            },
        })
        .collect()
}

fn check_count(state: &AppState, n: usize, field: &str) -> ApiResult<()> {
    let limit = state.limits().candidates;
    if n > limit {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_candidates",
            format!("{n} candidates in one request; at most {limit}"),
        )
        .at(field));
    }
    Ok(())
}

fn dto(state: &AppState, d: &Decision) -> DecisionDto {
    let m = state.metrics();
    m.guard_candidates.fetch_add(1, Ordering::Relaxed);
    if !d.allow {
        m.dropped(d.reasons.names());
    }
    DecisionDto { allow: d.allow, reasons: d.reasons.names().map(str::to_owned).collect() }
}

/// Decides which candidates may be shown to a viewer on a surface.
#[utoipa::path(
    post,
    path = "/v1/guard/decide",
    tag = "guard",
    request_body = GuardRequest,
    responses(
        (status = 200, description = "One decision per candidate", body = GuardResponse),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 413, description = "Too many candidates", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A field is missing or invalid", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn guard_decide(
    State(state): State<AppState>,
    Json(request): Json<GuardRequest>,
) -> ApiResult<Json<GuardResponse>> {
    check_count(&state, request.candidates.len(), "candidates")?;
    let snapshot = state.host().snapshot();
    let tags = hashtag_refs(&request.candidates);
    let list = candidates(&request.candidates, &tags);
    let decisions = snapshot.decide(request.viewer.as_str().into(), request.surface.into(), &list);
    Ok(Json(GuardResponse {
        decisions: decisions.iter().map(|d| dto(&state, d)).collect(),
        generation: snapshot.generation(),
    }))
}

/// A search by a viewer, with its results.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchRequest {
    /// The account searching.
    pub viewer: String,
    /// The query as typed.
    pub query: String,
    /// The results the platform would show.
    #[serde(default)]
    pub results: Vec<CandidateDto>,
}

/// Whether the search may run, and the decisions on its results.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchResponse {
    /// Set when the query itself is blocked: show no results, only the resources.
    pub blocked: Option<BlockedDto>,
    /// One decision per result (all dropped when blocked).
    pub decisions: Vec<DecisionDto>,
    /// The live state's generation that decided.
    pub generation: u64,
}

/// Why a search is blocked and what to show instead.
#[derive(Serialize, ToSchema)]
pub(crate) struct BlockedDto {
    /// Reason codes.
    pub reasons: Vec<String>,
    /// The lexicon terms that matched.
    pub terms: Vec<String>,
    /// The policy's resources response (message and links).
    #[schema(value_type = Object)]
    pub resources: serde_json::Value,
}

/// Decides a search: blocks the query outright, or decides each result.
#[utoipa::path(
    post,
    path = "/v1/guard/search",
    tag = "guard",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "The outcome", body = SearchResponse),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 413, description = "Too many results", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
        (status = 422, description = "A field is missing or invalid", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn guard_search(
    State(state): State<AppState>,
    Json(request): Json<SearchRequest>,
) -> ApiResult<Json<SearchResponse>> {
    check_count(&state, request.results.len(), "results")?;
    let snapshot = state.host().snapshot();
    let tags = hashtag_refs(&request.results);
    let list = candidates(&request.results, &tags);
    let outcome = snapshot.search(request.viewer.as_str().into(), &request.query, &list);
    let blocked = match &outcome.blocked {
        Some(b) => {
            state.metrics().searches_blocked.fetch_add(1, Ordering::Relaxed);
            Some(BlockedDto {
                reasons: b.reasons.names().map(str::to_owned).collect(),
                terms: b.terms.clone(),
                resources: serde_json::to_value(b.resources).map_err(|e| ApiError::internal(&e))?,
            })
        }
        None => None,
    };
    Ok(Json(SearchResponse {
        blocked,
        decisions: outcome.decisions.iter().map(|d| dto(&state, d)).collect(),
        generation: snapshot.generation(),
    }))
}
