//! The one error shape of the API: `{"error": {"code", "message", "field"?}}`
//! with a stable snake_case code; 4xx for the caller's mistakes, 5xx only for
//! the server's own failures, whose body carries no internals (the cause is
//! logged inside the request's span).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guardrail_engine::review_engine::ReviewError;
use guardrail_engine::store_backend::StoreError;
use guardrail_engine::EngineError;
use serde::Serialize;
use utoipa::ToSchema;

/// An API error: a status, a stable code, a message and the field it concerns.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub(crate) message: String,
    /// The request field it concerns (a JSON path such as `candidates[2].id`).
    pub(crate) field: Option<String>,
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// The error.
    pub(crate) error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable snake_case code (see docs/API.md).
    #[schema(example = "invalid_field")]
    pub(crate) code: String,
    /// A message for a person.
    pub(crate) message: String,
    /// The request field it concerns, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
}

impl ApiError {
    /// An error with no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None }
    }

    /// A 422 about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_field",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 400 for a malformed request.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A 500 whose cause is logged, never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }

    /// With the field it concerns.
    pub fn at(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// The engine's errors: what a caller did (a missing bank, a bad hash, a
/// lexicon or policy that does not parse) is a 4xx with its code; the rest
/// is the server's failure.
impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> ApiError {
        let message = chain(&err);
        let unprocessable =
            |code| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, chain(&err));
        match &err {
            EngineError::NoLexicon => ApiError::new(StatusCode::CONFLICT, "no_lexicon", message),
            EngineError::NoHashes { .. } => {
                ApiError::new(StatusCode::CONFLICT, "no_banks", message)
            }
            EngineError::NoEvents { .. } => {
                ApiError::new(StatusCode::CONFLICT, "no_events", message)
            }
            EngineError::NoSuchBank { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "no_such_bank", message)
            }
            EngineError::NoSuchToken { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "no_such_token", message)
            }
            EngineError::Hash { .. } => unprocessable("invalid_hash"),
            EngineError::HashList { .. } => unprocessable("invalid_hash_list"),
            EngineError::Setting { field, .. } => {
                let field = *field;
                unprocessable("invalid_setting").at(field)
            }
            EngineError::Lexicon { .. }
            | EngineError::Compile { .. }
            | EngineError::EmptyLexicon { .. }
            | EngineError::LexiconFormat { .. } => unprocessable("invalid_lexicon"),
            EngineError::Policy { .. } | EngineError::Guard(_) => unprocessable("invalid_policy"),
            EngineError::Text(_) => unprocessable("uncheckable_text"),
            EngineError::Store(StoreError::InvalidField { field, .. }) => {
                let field = field.clone();
                unprocessable("invalid_field").at(field)
            }
            EngineError::Store(StoreError::Exists { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "already_exists", message)
            }
            EngineError::Store(StoreError::Missing { .. }) => ApiError::not_found(message),
            EngineError::Store(StoreError::KeyConflict { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "key_conflict", message)
            }
            EngineError::Store(StoreError::Stale { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "stale", message)
            }
            EngineError::NoSuchCase { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "no_such_case", message)
            }
            EngineError::UnknownReviewer { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "not_a_reviewer", message)
            }
            EngineError::NotReportable { .. } => {
                ApiError::new(StatusCode::CONFLICT, "not_reportable", message)
            }
            EngineError::Review(review) => review_error(review, message),
            _ => ApiError::internal(&message),
        }
    }
}

/// The review engine's refusals: a bad field is 422 with the field; a case
/// in the wrong state, held by another or decided by the same reviewer is a
/// 409; a missing role is a 403.
fn review_error(err: &ReviewError, message: String) -> ApiError {
    match err {
        ReviewError::Field { field, why } => ApiError::field(field.clone(), why.clone()),
        ReviewError::State { .. } => ApiError::new(StatusCode::CONFLICT, "invalid_state", message),
        ReviewError::Leased { .. } => ApiError::new(StatusCode::CONFLICT, "claimed", message),
        ReviewError::NotClaimed { .. } => {
            ApiError::new(StatusCode::CONFLICT, "not_claimed", message)
        }
        ReviewError::SameReviewer { .. } => {
            ApiError::new(StatusCode::CONFLICT, "same_reviewer", message)
        }
        ReviewError::Role { .. } => ApiError::new(StatusCode::FORBIDDEN, "needs_role", message),
        _ => ApiError::internal(&message),
    }
}

/// The message and every cause, once each (`message: cause: cause`).
fn chain(err: &EngineError) -> String {
    let mut out = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                // serde's message names the path ("candidates[0].type: unknown variant ...").
                let text =
                    std::error::Error::source(&e).map_or_else(|| e.body_text(), |s| s.to_string());
                let field = text.split_once(": ").map(|(path, _)| path.to_owned());
                ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid_field",
                    message: text,
                    field: field.filter(|f| !f.contains(' ')),
                }
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::bad_request("invalid_json", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) => body_error(e.status(), e.body_text()),
            other => ApiError::bad_request("bad_request", other.body_text()),
        }
    }
}

/// A body that could not be read: too large, or cut off.
pub(crate) fn body_error(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "payload_too_large",
            "the request body is larger than this route accepts",
        )
    } else {
        ApiError::bad_request("bad_body", text)
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::bad_request("invalid_path", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", rejection.body_text())
    }
}

/// A JSON body whose rejections (syntax, schema, content type, size) answer
/// in the API's error shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct Json<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string whose rejection answers in the error shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct Query<T>(pub(crate) T);

/// A path whose rejection answers in the error shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct Path<T>(pub(crate) T);

/// The result of a handler.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
