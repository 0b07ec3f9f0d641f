//! `/v1` routes of the platform itself: liveness, the OpenAPI document, the catalog.
//! Must never answer 5xx for client input.

use crate::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use huoshui_core::wire::HealthResponse;

/// Liveness: the platform answers.
#[utoipa::path(get, path = "/v1/health", tag = "platform",
    responses((status = 200, description = "The platform is up", body = HealthResponse)))]
pub(super) async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".to_owned(),
    })
}

/// This document (OpenAPI 3.1, generated from the wire types and the handlers).
#[utoipa::path(get, path = "/v1/openapi.json", tag = "platform",
    responses((status = 200, description = "The OpenAPI document", body = serde_json::Value)))]
pub(super) async fn openapi_doc() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        openapi::document_json(),
    )
        .into_response()
}

/// The county catalog (products, banks, towns, grades), gzip on request, with its ETag.
#[utoipa::path(get, path = "/v1/catalog", tag = "platform",
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of the catalog the client holds: an unchanged catalog answers 304 without a body")),
    responses(
        (status = 200, description = "The catalog (the core's `Catalog` JSON)", body = serde_json::Value,
            headers(("ETag" = String, description = "The catalog's content version"))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match",
            headers(("ETag" = String, description = "The catalog's content version"))),
    ))]
pub(super) async fn catalog(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", state.dir.version);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        })
        .unwrap_or(false);
    let etag_value =
        HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"catalog\""));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::ETAG, etag_value),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        state.dir.catalog_json.as_ref().clone(),
    )
        .into_response()
}
