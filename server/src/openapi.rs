//! The OpenAPI 3.1 document served at `/v1/openapi.json`, generated: the schemas come from the
//! wire types (`huoshui_core::wire`, derived with the core's `openapi` feature), the operations
//! from the `#[utoipa::path]` of each handler in [`crate::api`], registered with the route itself.
//!
//! This module owns the document's frame (title, security scheme) and the answers common to
//! many operations, added in one place so that none is forgotten: 401 for every operation with
//! bearer security; 400/413/415/422 for every JSON body; 404 for every path with an id; the
//! `Idempotency-Key` refusals; 429 and 503 with `Retry-After` for the platform's limits. Each error answer names its `code`s in backticks in its
//! description (the API fuzzer checks that every refusal's code is one the document names).
//! Owns the description only, never behaviour.

use huoshui_core::wire::{ErrorBody, StreamMessage, StreamTopic};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The optional `Idempotency-Key` of a command: a retry with the same key answers the first
/// answer again instead of a conflict.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct OptionalKey {
    /// Optional: a retry of the same command with the same key answers the first answer again
    /// (the same key with another command: 422 `idempotency_key_reused`).
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 128,
        pattern = "^[!-~]+$"
    )]
    pub idempotency_key: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Huoshui county platform API",
        description = "活水县域平台 /v1: sign-in by phone and one-time code, applications and their lifecycle, documents (chunked, resumable, encrypted at rest), the manager's inbox, supervision and the live stream. Money is integer fen, rates parts per million a year, times RFC 3339 UTC. Every error is an `ErrorBody` with a stable `code` and messages in Chinese and English."
    ),
    components(schemas(ErrorBody, StreamMessage, StreamTopic)),
    modifiers(&Bearer)
)]
struct Frame;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi
            .components
            .get_or_insert_with(utoipa::openapi::Components::new);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token from POST /v1/auth/login: `Authorization: Bearer <token>`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The frame the router's operations are added to.
pub fn base() -> utoipa::openapi::OpenApi {
    Frame::openapi()
}

/// The document, built once from the routes.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let api = crate::api::routes().into_openapi();
        let mut doc = serde_json::to_value(&api).unwrap_or_else(|_| json!({}));
        complete(&mut doc);
        doc
    })
}

/// The document as JSON bytes (what `/v1/openapi.json` serves).
pub fn document_json() -> Vec<u8> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES
        .get_or_init(|| serde_json::to_vec(document()).unwrap_or_default())
        .clone()
}

/// Every (method, path) the document describes.
pub fn operations() -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(paths) = document()["paths"].as_object() {
        for (path, item) in paths {
            if let Some(ops) = item.as_object() {
                for method in ops.keys().filter(|m| is_method(m)) {
                    out.push((method.clone(), path.clone()));
                }
            }
        }
    }
    out
}

fn is_method(m: &str) -> bool {
    matches!(
        m,
        "get" | "put" | "post" | "delete" | "patch" | "head" | "options"
    )
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Adds `description` to the answer `status` of `op`, creating it or appending to it.
fn add(op: &mut Map<String, Value>, status: &str, description: &str) {
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else { return };
    match responses.get_mut(status) {
        Some(existing) => {
            let old = existing["description"].as_str().unwrap_or("").to_owned();
            if !old.contains(description) {
                existing["description"] = Value::String(if old.is_empty() {
                    description.to_owned()
                } else {
                    format!("{old}; {description}")
                });
            }
            if existing.get("content").is_none() {
                existing["content"] = error_response("")["content"].clone();
            }
        }
        None => {
            responses.insert(status.to_owned(), error_response(description));
        }
    }
}

/// The answers many operations share, added to each operation that can give them.
fn complete(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            if !is_method(method) {
                continue;
            }
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            if secured {
                add(
                    op,
                    "401",
                    "`unauthorized`: no session, or it expired or was revoked; sign in again",
                );
            }
            let params: Vec<Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if params.iter().any(|p| p["in"] == "path") {
                add(
                    op,
                    "404",
                    "`not_found`: no such record, or not this user's to see",
                );
            }
            if params.iter().any(|p| p["name"] == "Idempotency-Key") {
                add(
                    op,
                    "400",
                    "`idempotency_key_missing`, `idempotency_key_invalid`: the Idempotency-Key header is needed and is 1 to 128 visible ASCII characters",
                );
                add(
                    op,
                    "422",
                    "`idempotency_key_reused`: this key was used with another request",
                );
            }
            let body = op.get("requestBody").cloned();
            if let Some(body) = body {
                let json_body = body["content"].get("application/json").is_some();
                let required = body["required"].as_bool().unwrap_or(false);
                if json_body {
                    add(op, "413", "`too_large`: the body is over 64 KiB");
                    add(
                        op,
                        "422",
                        "`invalid_fields`: a field is missing, unknown or of the wrong type",
                    );
                    if required {
                        add(
                            op,
                            "400",
                            "`malformed_json`, `bad_body`: the body is not JSON or could not be read",
                        );
                        add(
                            op,
                            "415",
                            "`unsupported_media_type`: send Content-Type: application/json",
                        );
                    } else {
                        add(op, "400", "`bad_body`: the body could not be read");
                    }
                }
            }
            add_limits(op, path, method);
            if path == "/v1/auth/code" && method == "post" {
                // The login-code limits and the SMS provider (crate::code_limits).
                add(
                    op,
                    "429",
                    "`too_many_codes`: a limit on codes is reached (one a minute and ten a day per phone, a hundred an hour per client address); `Retry-After` gives the seconds to wait, the messages say it in words",
                );
                add(
                    op,
                    "503",
                    "`sms_unavailable`: the text message could not be sent; ask again later",
                );
            }
            normalise(op);
        }
    }
}

/// The refusals of the platform's limits (issue 16), each with `Retry-After`.
fn add_limits(op: &mut Map<String, Value>, path: &str, method: &str) {
    if path == "/v1/health" {
        return;
    }
    add(
        op,
        "429",
        "`rate_limited`: too many requests from this user or address; wait `Retry-After` seconds",
    );
    if path.contains("/chunks/") {
        add(
            op,
            "429",
            "`too_many_uploads`: this user has too many chunks uploading at once",
        );
    }
    if method != "get" {
        add(
            op,
            "503",
            "`busy`: the platform is shedding writes; nothing was saved, retry after `Retry-After` seconds",
        );
    }
    add(
        op,
        "503",
        "`timeout`: the request took too long; retry after `Retry-After` seconds (with the same `Idempotency-Key`)",
    );
    let retry_after = json!({"Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1}
    }});
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        for status in ["429", "503"] {
            if let Some(r) = responses.get_mut(status) {
                r["headers"] = retry_after.clone();
            }
        }
    }
}

/// Binary bodies are `string`/`binary` (not arrays of numbers), and an optional header or query
/// parameter is absent rather than `null`.
fn normalise(op: &mut Map<String, Value>) {
    let binary = json!({"type": "string", "format": "binary"});
    if let Some(c) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(|c| c.get_mut("application/octet-stream"))
    {
        c["schema"] = binary.clone();
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        for r in responses.values_mut() {
            if let Some(c) = r
                .get_mut("content")
                .and_then(|c| c.get_mut("application/octet-stream"))
            {
                c["schema"] = binary.clone();
            }
        }
    }
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params {
            let ty = p["schema"]["type"].clone();
            if let Some(types) = ty.as_array() {
                let kept: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
                if let [only] = kept.as_slice() {
                    p["schema"]["type"] = (*only).clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_secured_operation_documents_the_expired_session() {
        let doc = document();
        let mut seen = 0;
        for (method, path) in operations() {
            let op = &doc["paths"][&path][&method];
            if op.get("security").is_some() {
                seen += 1;
                let d = op["responses"]["401"]["description"].as_str().unwrap();
                assert!(d.contains("`unauthorized`"), "{method} {path}");
            }
        }
        assert!(seen > 20, "{seen} secured operations");
    }

    #[test]
    fn every_error_answer_names_its_codes_and_uses_the_error_body() {
        let doc = document();
        for (method, path) in operations() {
            let responses = doc["paths"][&path][&method]["responses"]
                .as_object()
                .unwrap();
            for (status, r) in responses {
                if status.starts_with('4') {
                    let d = r["description"].as_str().unwrap();
                    assert!(d.contains('`'), "{method} {path} {status}: {d}");
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}
