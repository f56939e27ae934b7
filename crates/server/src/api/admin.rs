//! What operators change: hash banks, the lexicon, the guard's policy and
//! API tokens. Every change reaches the live state without a restart and
//! without a matching stall: the host builds the next snapshot while the
//! current one keeps answering.

use axum::extract::rejection::StringRejection;
use axum::extract::State;
use axum::http::StatusCode;
use guardrail_engine::core::Lexicon;
use guardrail_engine::guard_engine::Policy;
use guardrail_engine::lexicon::LexiconFormat;
use guardrail_engine::media_engine::bank::HashKind;
use guardrail_engine::store_backend::BankHash;
use guardrail_engine::tokens::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{body_error, ApiError, ApiResult, Json, Path, Query};
use crate::state::AppState;

fn text_body(body: Result<String, StringRejection>) -> ApiResult<String> {
    body.map_err(|e| body_error(e.status(), e.body_text()))
}

/// A hash bank.
#[derive(Serialize, ToSchema)]
pub(crate) struct BankDto {
    /// Its name.
    pub name: String,
    /// What a match calls for (`review`, `block`, `report`, ...).
    pub action: String,
    /// Its labels.
    pub tags: Vec<String>,
    /// Hashes it holds.
    pub hashes: u64,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// Every bank.
#[utoipa::path(
    get, path = "/v1/banks", tag = "banks",
    responses(
        (status = 200, description = "Every bank", body = Vec<BankDto>),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn list_banks(State(state): State<AppState>) -> ApiResult<Json<Vec<BankDto>>> {
    let banks =
        crate::api::blocking(move || state.reads().banks().map_err(|e| ApiError::internal(&e)))
            .await?;
    Ok(Json(
        banks
            .into_iter()
            .map(|b| BankDto {
                name: b.name,
                action: b.action,
                tags: b.tags,
                hashes: b.hashes,
                created_at: b.created_at,
            })
            .collect(),
    ))
}

/// A bank to create (or whose action and tags to change).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewBank {
    /// Its name (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// What a match calls for (default `review`).
    #[serde(default = "review")]
    pub action: String,
    /// Its labels (no commas).
    #[serde(default)]
    pub tags: Vec<String>,
}

fn review() -> String {
    "review".into()
}

/// Creates a bank, or changes the action and tags of an existing one.
#[utoipa::path(
    post, path = "/v1/banks", tag = "banks",
    request_body = NewBank,
    responses(
        (status = 201, description = "Created or updated", body = BankDto),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 422, description = "A bad name or tag", body = crate::error::ErrorBody),
        (status = 413, description = "Too large a body", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn create_bank(
    State(state): State<AppState>,
    Json(bank): Json<NewBank>,
) -> ApiResult<(StatusCode, Json<BankDto>)> {
    let dto = crate::api::blocking(move || {
        let host = state.host();
        let stored = host.with_store(|store| {
            store.put_bank(&bank.name, &bank.action, &bank.tags)?;
            Ok(store.banks()?.into_iter().find(|b| b.name == bank.name))
        })?;
        host.reload_banks()?;
        let b = stored.ok_or_else(|| ApiError::internal(&"a bank just stored is missing"))?;
        Ok(BankDto {
            name: b.name,
            action: b.action,
            tags: b.tags,
            hashes: b.hashes,
            created_at: b.created_at,
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

/// What a plain list of 64-digit hashes holds.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ListKind {
    /// PDQ hashes.
    Pdq,
    /// SHA-256 digests.
    Sha256,
}

/// How to read an imported list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportParams {
    /// What a plain list of 64-digit hashes holds (lists that declare it need nothing).
    pub kind: Option<ListKind>,
}

/// What an import or an addition did.
#[derive(Serialize, ToSchema)]
pub(crate) struct AddedDto {
    /// Hashes read.
    pub read: usize,
    /// Newly stored.
    pub added: u64,
    /// Already in the bank.
    pub duplicates: u64,
}

/// Imports a hash list into a bank (created when new), all or nothing.
#[utoipa::path(
    post, path = "/v1/banks/{name}/import", tag = "banks",
    params(("name" = String, Path, description = "The bank"), ImportParams),
    request_body(content = String, content_type = "text/plain",
        description = "A hash list in any format `guardrail bank import` reads: plain (one hash a line, `kind:hex` or hex), ThreatExchange/HMA CSV or TSV"),
    responses(
        (status = 200, description = "Imported", body = AddedDto),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 413, description = "Too large", body = crate::error::ErrorBody),
        (status = 422, description = "A line does not parse (nothing stored)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn import_bank(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<ImportParams>,
    body: Result<String, StringRejection>,
) -> ApiResult<Json<AddedDto>> {
    let text = text_body(body)?;
    let kind = params.kind.map(|k| match k {
        ListKind::Pdq => HashKind::Pdq,
        ListKind::Sha256 => HashKind::Sha256,
    });
    let imported = crate::api::blocking(move || {
        let host = state.host();
        let imported = host.with_store(|store| {
            let existing = store.banks()?.into_iter().find(|b| b.name == name);
            let (action, tags) =
                existing.map_or_else(|| (review(), Vec::new()), |b| (b.action, b.tags));
            guardrail_engine::banks::import(
                store,
                &guardrail_engine::banks::Import {
                    bank: &name,
                    action: &action,
                    tags: &tags,
                    kind,
                    text: &text,
                    name: "the request body",
                },
            )
        })?;
        host.reload_banks()?;
        Ok(imported)
    })
    .await?;
    Ok(Json(AddedDto {
        read: imported.read,
        added: imported.outcome.added,
        duplicates: imported.outcome.duplicates,
    }))
}

/// Hashes to add to or remove from a bank.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HashesRequest {
    /// Hashes written `kind:hex` (`pdq:`, `md5:`, `sha256:`); bare 64 hex digits are PDQ.
    pub hashes: Vec<String>,
    /// Labels for added hashes (no commas).
    #[serde(default)]
    pub tags: Vec<String>,
}

fn parse_hashes(hashes: &[String]) -> ApiResult<Vec<(String, String)>> {
    hashes
        .iter()
        .enumerate()
        .map(|(i, text)| {
            guardrail_engine::banks::parse_hash(text)
                .map(|h| (h.kind().as_str().to_owned(), h.to_hex()))
                .map_err(|e| ApiError::from(e).at(format!("hashes[{i}]")))
        })
        .collect()
}

/// Adds hashes to an existing bank, all or nothing.
#[utoipa::path(
    post, path = "/v1/banks/{name}/hashes", tag = "banks",
    params(("name" = String, Path, description = "The bank")),
    request_body = HashesRequest,
    responses(
        (status = 200, description = "Added", body = AddedDto),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No such bank", body = crate::error::ErrorBody),
        (status = 422, description = "A hash or tag is not valid", body = crate::error::ErrorBody),
        (status = 413, description = "Too large a body", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn add_hashes(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<HashesRequest>,
) -> ApiResult<Json<AddedDto>> {
    let rows: Vec<BankHash> = parse_hashes(&request.hashes)?
        .into_iter()
        .map(|(kind, hash)| BankHash { kind, hash, tags: request.tags.clone() })
        .collect();
    let read = rows.len();
    let outcome = crate::api::blocking(move || {
        let host = state.host();
        let outcome = host.with_store(|store| Ok(store.add_bank_hashes(&name, &rows)?))?;
        host.reload_banks()?;
        Ok(outcome)
    })
    .await?;
    Ok(Json(AddedDto { read, added: outcome.added, duplicates: outcome.duplicates }))
}

/// How many hashes were removed.
#[derive(Serialize, ToSchema)]
pub(crate) struct RemovedDto {
    /// Hashes that were in the bank.
    pub removed: u64,
}

/// Removes hashes from a bank.
#[utoipa::path(
    post, path = "/v1/banks/{name}/hashes/remove", tag = "banks",
    params(("name" = String, Path, description = "The bank")),
    request_body = HashesRequest,
    responses(
        (status = 200, description = "Removed", body = RemovedDto),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No such bank", body = crate::error::ErrorBody),
        (status = 422, description = "A hash is not valid", body = crate::error::ErrorBody),
        (status = 413, description = "Too large a body", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn remove_hashes(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<HashesRequest>,
) -> ApiResult<Json<RemovedDto>> {
    let pairs = parse_hashes(&request.hashes)?;
    let removed = crate::api::blocking(move || {
        let host = state.host();
        let removed = host.with_store(|store| {
            if !store.banks()?.iter().any(|b| b.name == name) {
                return Err(guardrail_engine::EngineError::Store(
                    guardrail_engine::store_backend::StoreError::Missing {
                        what: "bank named",
                        name: name.clone(),
                    },
                ));
            }
            Ok(store.remove_bank_hashes(&name, &pairs)?)
        })?;
        host.reload_banks()?;
        Ok(removed)
    })
    .await?;
    Ok(Json(RemovedDto { removed }))
}

/// A lexicon file's format.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LexiconFormatDto {
    /// The TOML lexicon format (docs/LEXICON.md).
    Toml,
    /// One term or phrase a line.
    Words,
}

/// The lexicon format of a body.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LexiconParams {
    /// `toml` (the default) or `words`.
    pub format: Option<LexiconFormatDto>,
}

/// A lexicon that parsed and compiled.
#[derive(Serialize, ToSchema)]
pub(crate) struct LexiconDto {
    /// Its entries.
    pub entries: usize,
    /// The live state's generation (after an upload or a reload).
    pub generation: Option<u64>,
}

fn parse_lexicon(text: &str, format: LexiconFormat) -> ApiResult<Lexicon> {
    let lexicon = match format {
        LexiconFormat::Toml => Lexicon::from_toml(text),
        LexiconFormat::Words => Lexicon::from_word_list("the request body", text),
    }
    .map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_lexicon", e.to_string())
    })?;
    if lexicon.entries.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_lexicon",
            "the lexicon has no entries, so it would match nothing",
        ));
    }
    guardrail_engine::lexicon::compile(lexicon.clone(), "the request body")?;
    Ok(lexicon)
}

fn format_of(params: &LexiconParams) -> ApiResult<LexiconFormat> {
    Ok(match params.format {
        None | Some(LexiconFormatDto::Toml) => LexiconFormat::Toml,
        Some(LexiconFormatDto::Words) => LexiconFormat::Words,
    })
}

/// Checks that a lexicon parses and compiles, changing nothing.
#[utoipa::path(
    post, path = "/v1/lexicon/validate", tag = "lexicon",
    params(LexiconParams),
    request_body(content = String, content_type = "text/plain", description = "The lexicon file's text"),
    responses(
        (status = 200, description = "Valid", body = LexiconDto),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid (the entry and why)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn validate_lexicon(
    Query(params): Query<LexiconParams>,
    body: Result<String, StringRejection>,
) -> ApiResult<Json<LexiconDto>> {
    let text = text_body(body)?;
    let format = format_of(&params)?;
    let lexicon = crate::api::blocking(move || parse_lexicon(&text, format)).await?;
    Ok(Json(LexiconDto { entries: lexicon.entries.len(), generation: None }))
}

/// Replaces the lexicon: validated, written to the configured lexicon file,
/// and swapped in (the old one answers until then).
#[utoipa::path(
    put, path = "/v1/lexicon", tag = "lexicon",
    params(LexiconParams),
    request_body(content = String, content_type = "text/plain", description = "The lexicon file's text"),
    responses(
        (status = 200, description = "In force", body = LexiconDto),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 409, description = "No lexicon file is configured (`no_lexicon_file`)", body = crate::error::ErrorBody),
        (status = 413, description = "Too large", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid, or not the configured file's format", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn upload_lexicon(
    State(state): State<AppState>,
    Query(params): Query<LexiconParams>,
    body: Result<String, StringRejection>,
) -> ApiResult<Json<LexiconDto>> {
    let text = text_body(body)?;
    let format = format_of(&params)?;
    let Some(path) = state.lexicon_file().cloned() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_lexicon_file",
            "no lexicon file is configured (set `lexicon` in the configuration)",
        ));
    };
    if LexiconFormat::of_path(&path).is_some_and(|declared| declared != format) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
            format!("the configured lexicon file {} is of another format", path.display()),
        )
        .at("format"));
    }
    let (entries, generation) = crate::api::blocking(move || {
        let lexicon = parse_lexicon(&text, format)?;
        write_atomically(&path, &text)?;
        let snapshot = state.host().reload_lexicon()?;
        Ok((lexicon.entries.len(), snapshot.generation()))
    })
    .await?;
    Ok(Json(LexiconDto { entries, generation: Some(generation) }))
}

/// Reads the configured lexicon file again.
#[utoipa::path(
    post, path = "/v1/lexicon/reload", tag = "lexicon",
    responses(
        (status = 200, description = "Reloaded", body = LexiconDto),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 422, description = "The file is invalid (the current lexicon stays)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn reload_lexicon(State(state): State<AppState>) -> ApiResult<Json<LexiconDto>> {
    let (entries, generation) = crate::api::blocking(move || {
        let snapshot = state.host().reload_lexicon()?;
        let entries = snapshot.matcher().map_or(0, |m| m.lexicon().entries.len());
        Ok((entries, snapshot.generation()))
    })
    .await?;
    Ok(Json(LexiconDto { entries, generation: Some(generation) }))
}

/// Writes a file through a temporary file and a rename, so a reader never sees half of it.
fn write_atomically(path: &std::path::Path, text: &str) -> ApiResult<()> {
    let tmp = path.with_extension("upload.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| ApiError::internal(&format!("writing {}: {e}", path.display())))
}

/// The guard's policy in force (docs/GUARD.md), as JSON.
#[utoipa::path(
    get, path = "/v1/policy", tag = "policy",
    responses(
        (status = 200, description = "The policy", body = Object),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn get_policy(
    State(state): State<AppState>,
) -> ApiResult<Json<serde_json::Value>> {
    let snapshot = state.host().snapshot();
    serde_json::to_value(snapshot.guard().policy()).map(Json).map_err(|e| ApiError::internal(&e))
}

/// Replaces the guard's policy (TOML, the policy file's format; every key
/// optional, unknown keys refused), written to the configured policy file if any.
#[utoipa::path(
    put, path = "/v1/policy", tag = "policy",
    request_body(content = String, content_type = "text/plain", description = "The policy in TOML"),
    responses(
        (status = 200, description = "The policy now in force", body = Object),
        (status = 400, description = "An empty body", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid (the key and why)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn put_policy(
    State(state): State<AppState>,
    body: Result<String, StringRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let text = text_body(body)?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "bad_body",
            "send the policy's TOML (every key is optional, so `# defaults` is the default policy)",
        ));
    }
    let policy = Policy::from_toml(&text).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy", e.to_string())
    })?;
    let snapshot = crate::api::blocking(move || {
        let snapshot = state.host().replace_policy(policy)?;
        if let Some(path) = state.policy_file() {
            write_atomically(path, &text)?;
        }
        Ok(snapshot)
    })
    .await?;
    serde_json::to_value(snapshot.guard().policy()).map(Json).map_err(|e| ApiError::internal(&e))
}

/// A token as listed (its secret is never shown again, nor its hash).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenDto {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// When it was created.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Every token.
#[utoipa::path(
    get, path = "/v1/tokens", tag = "tokens",
    responses(
        (status = 200, description = "Every token", body = Vec<TokenDto>),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn list_tokens(State(state): State<AppState>) -> ApiResult<Json<Vec<TokenDto>>> {
    let rows =
        crate::api::blocking(move || Ok(guardrail_engine::tokens::list(state.reads().as_mut())?))
            .await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| TokenDto {
                name: t.name,
                role: t.role,
                created_at: t.created_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    ))
}

/// A token to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    /// A unique name (who holds it).
    pub name: String,
    /// `platform`, `reviewer`, `child_safety_reviewer`, `admin` or `metrics`.
    pub role: String,
}

/// A new token's secret, shown this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedToken {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// The secret to send as `Authorization: Bearer <token>`; only its hash is stored.
    pub token: String,
}

/// Creates a token.
#[utoipa::path(
    post, path = "/v1/tokens", tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "Created; the secret is shown once", body = CreatedToken),
        (status = 400, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 409, description = "The name is taken", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown role or bad name", body = crate::error::ErrorBody),
        (status = 413, description = "Too large a body", body = crate::error::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    Json(request): Json<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let role = Role::parse(&request.role)
        .ok_or_else(|| ApiError::field("role", format!("unknown role {:?}", request.role)))?;
    let name = request.name.clone();
    let token = crate::api::blocking(move || {
        Ok(guardrail_engine::tokens::create(state.reads().as_mut(), &name, role)?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken { name: request.name, role: role.as_str().into(), token }),
    ))
}

/// Revokes a token.
#[utoipa::path(
    delete, path = "/v1/tokens/{name}", tag = "tokens",
    params(("name" = String, Path, description = "The token's name")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 404, description = "No active token of that name", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let forget = state.clone();
    let revoked = name.clone();
    crate::api::blocking(move || {
        Ok(guardrail_engine::tokens::revoke(state.reads().as_mut(), &name)?)
    })
    .await?;
    forget.forget_token(&revoked);
    Ok(StatusCode::NO_CONTENT)
}

/// Which outbox rows to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutboxParams {
    /// Rows with an id above this (default 0: from the first).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// The webhook outbox: what was decided, and every delivery attempt.
#[derive(Serialize, ToSchema)]
pub(crate) struct OutboxDto {
    /// The configured endpoints.
    pub endpoints: Vec<String>,
    /// Rows (times endpoints) still to deliver.
    pub pending: u64,
    /// The rows, oldest first.
    pub items: Vec<OutboxItem>,
}

/// One outbox row.
#[derive(Serialize, ToSchema)]
pub(crate) struct OutboxItem {
    /// Its id (page with `after`).
    pub id: i64,
    /// The idempotency key every delivery of it carries.
    pub key: String,
    /// `account.non_recommendable` or `account.recommendable`.
    pub kind: String,
    /// When it was written, with the event that caused it.
    pub created_at: String,
    /// The body delivered.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// Each endpoint's state.
    pub deliveries: Vec<DeliveryDto>,
    /// Every attempt, in order.
    pub attempts: Vec<AttemptDto>,
}

/// An endpoint's delivery state of a row.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryDto {
    /// The endpoint.
    pub endpoint: String,
    /// Attempts made.
    pub attempts: u64,
    /// When it was acknowledged.
    pub delivered_at: Option<String>,
    /// When retrying stopped.
    pub given_up_at: Option<String>,
    /// The last error.
    pub last_error: Option<String>,
}

/// One attempt.
#[derive(Serialize, ToSchema)]
pub(crate) struct AttemptDto {
    /// The endpoint.
    pub endpoint: String,
    /// When.
    pub at: String,
    /// The HTTP status answered.
    pub status: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
}

/// The webhook outbox with each row's deliveries and attempts.
#[utoipa::path(
    get, path = "/v1/webhooks", tag = "webhooks",
    params(OutboxParams),
    responses(
        (status = 200, description = "The outbox", body = OutboxDto),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "Wrong role", body = crate::error::ErrorBody),
        (status = 422, description = "A bad query", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn webhooks(
    State(state): State<AppState>,
    Query(params): Query<OutboxParams>,
) -> ApiResult<Json<OutboxDto>> {
    let endpoints = state.webhook_names();
    let names = endpoints.clone();
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let after = params.after.unwrap_or(0);
    let (pending, items) = crate::api::blocking(move || {
        let mut store = state.reads();
        let internal = |e: guardrail_engine::store_backend::StoreError| ApiError::internal(&e);
        let pending = store.outbox_pending(&names).map_err(internal)?;
        let mut items = Vec::new();
        for row in store.outbox_rows(after, limit).map_err(internal)? {
            let deliveries = store.deliveries(row.id).map_err(internal)?;
            let attempts = store.attempts(row.id).map_err(internal)?;
            items.push(OutboxItem {
                id: row.id,
                key: row.key,
                kind: row.kind,
                created_at: row.created_at,
                body: serde_json::from_str(&row.body).unwrap_or(serde_json::Value::Null),
                deliveries: deliveries
                    .into_iter()
                    .map(|d| DeliveryDto {
                        endpoint: d.endpoint,
                        attempts: d.attempts,
                        delivered_at: d.delivered_at,
                        given_up_at: d.given_up_at,
                        last_error: d.last_error,
                    })
                    .collect(),
                attempts: attempts
                    .into_iter()
                    .map(|a| AttemptDto {
                        endpoint: a.endpoint,
                        at: a.at,
                        status: a.status,
                        error: a.error,
                    })
                    .collect(),
            });
        }
        Ok((pending, items))
    })
    .await?;
    Ok(Json(OutboxDto { endpoints, pending, items }))
}
