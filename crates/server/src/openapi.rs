//! The OpenAPI 3.1 document, generated from the handlers' annotations
//! (utoipa) and served at `/v1/openapi.json`.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{admin, checks, events, ops, reads, review};

/// The document's definition.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "guardrail",
        description = "Child-safety checks for a social platform: events, text and media checks, discovery guard decisions, accounts, reports, the review queue and cases, networks, banks, lexicon, policy and scans. Errors are always `{\"error\": {\"code\", \"message\", \"field\"?}}`. See docs/API.md.",
        license(name = "Apache-2.0"),
    ),
    paths(
        ops::healthz, ops::readyz, ops::metrics, ops::openapi,
        events::post_events,
        checks::check_text, checks::check_media, checks::guard_decide, checks::guard_search,
        reads::account, reads::person, reads::latest_scan, reads::start_scan,
        admin::list_banks, admin::create_bank, admin::import_bank, admin::add_hashes, admin::remove_hashes,
        admin::validate_lexicon, admin::upload_lexicon, admin::reload_lexicon,
        admin::get_policy, admin::put_policy,
        admin::list_tokens, admin::create_token, admin::revoke_token, admin::webhooks,
        review::post_reports, review::queue, review::case, review::claim, review::decide,
        review::record_view, review::second_review, review::appeal, review::network,
        review::transparency, review::verify_audit, review::submit_cybertip, review::list_cybertip,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        events::EventsBody,
        review::ReportBody,
        review::ReportsBody,
        admin::ListKind,
        admin::LexiconFormatDto,
    )),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Every route behind a token may answer 429 (the per-token rate limit)
        // and 503 (the request timeout).
        let error = || {
            utoipa::openapi::ResponseBuilder::new().content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete]
                .into_iter()
                .flatten()
            {
                if op.security.is_some() {
                    op.responses.responses.entry("429".into()).or_insert_with(|| {
                        error()
                            .description(
                                "Over the token's rate limit (`rate_limited`; see Retry-After)",
                            )
                            .build()
                            .into()
                    });
                }
                op.responses.responses.entry("503".into()).or_insert_with(|| {
                    error().description("The request took too long (`timeout`)").build().into()
                });
            }
        }
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as JSON, built once.
pub(crate) fn document_json() -> String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_pretty_json().unwrap_or_else(|_| "{}".to_owned())).clone()
}
