//! The OpenAPI 3.1 document served at `/v1/openapi.json`, written by hand from one table of
//! routes ([`ROUTES`]); a test checks that every route the router serves is in the table and
//! every route in the table is served. Owns the description only, never behaviour.

use serde_json::{Map, Value, json};

/// One operation: method, path (under the server root), summary, who may call it, and the
/// request body schema (if any).
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub roles: &'static str,
    pub body: Option<fn() -> Value>,
    pub ok: u16,
}

fn obj(required: &[&str], props: Value) -> Value {
    json!({"type": "object", "required": required, "properties": props, "additionalProperties": false})
}

fn phone() -> Value {
    obj(
        &["phone"],
        json!({"phone": {"type": "string", "pattern": "^1[0-9]{10}$"}}),
    )
}
fn login() -> Value {
    obj(
        &["phone", "code"],
        json!({"phone": {"type": "string"}, "code": {"type": "string", "pattern": "^[0-9]{6}$"}}),
    )
}
fn submit() -> Value {
    obj(
        &["product_id", "amount_fen", "months"],
        json!({"product_id": {"type": "string"}, "amount_fen": {"type": "integer", "minimum": 1}, "months": {"type": "integer", "minimum": 1, "maximum": 600}, "id": {"type": "string", "format": "uuid", "description": "optional: the id the phone chose for its draft; taken by another submission → 409, malformed → 400"}}),
    )
}
fn reason_opt() -> Value {
    obj(
        &[],
        json!({"reason": {"type": "string", "maxLength": 2000}}),
    )
}
fn note_opt() -> Value {
    obj(&[], json!({"note": {"type": "string", "maxLength": 2000}}))
}
fn request_documents() -> Value {
    obj(
        &["kinds"],
        json!({"kinds": {"type": "array", "items": {"type": "string", "enum": ["id_card_front", "id_card_back", "household_register", "land_contract", "business_license", "lease", "inventory_receipt", "other"]}}, "note": {"type": "string"}}),
    )
}
fn approve() -> Value {
    obj(
        &["amount_fen", "months", "annual_rate_ppm"],
        json!({"amount_fen": {"type": "integer"}, "months": {"type": "integer"}, "annual_rate_ppm": {"type": "integer", "description": "1% = 10000"}}),
    )
}
fn reject() -> Value {
    obj(
        &["reason"],
        json!({"reason": {"type": "string", "minLength": 1}}),
    )
}
fn disburse() -> Value {
    obj(
        &["amount_fen"],
        json!({"amount_fen": {"type": "integer", "minimum": 1}}),
    )
}
fn reassign() -> Value {
    obj(&["manager_id"], json!({"manager_id": {"type": "string"}}))
}
fn start_upload() -> Value {
    obj(
        &["kind", "size", "sha256"],
        json!({"kind": {"type": "string"}, "size": {"type": "integer", "minimum": 1, "maximum": 20971520}, "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}}),
    )
}
fn chunk() -> Value {
    json!({"type": "string", "format": "binary", "description": "application/octet-stream; exactly chunk_size bytes (the last chunk: the rest)"})
}

/// Every operation the server answers.
pub const ROUTES: &[Route] = &[
    Route {
        method: "get",
        path: "/v1/health",
        summary: "Liveness",
        roles: "anyone",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/openapi.json",
        summary: "This document",
        roles: "anyone",
        body: None,
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/auth/code",
        summary: "Send a one-time login code to a phone (always 202, whether or not it has an account)",
        roles: "anyone",
        body: Some(phone),
        ok: 202,
    },
    Route {
        method: "post",
        path: "/v1/auth/login",
        summary: "Log in with phone + code; answers an opaque bearer token",
        roles: "anyone",
        body: Some(login),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/auth/logout",
        summary: "End this session",
        roles: "any signed-in user",
        body: None,
        ok: 204,
    },
    Route {
        method: "get",
        path: "/v1/me",
        summary: "The signed-in user",
        roles: "any signed-in user",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/catalog",
        summary: "The county catalog (ETag; If-None-Match answers 304; gzip)",
        roles: "anyone",
        body: None,
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications",
        summary: "Submit an application (Idempotency-Key header required)",
        roles: "villager",
        body: Some(submit),
        ok: 201,
    },
    Route {
        method: "get",
        path: "/v1/applications",
        summary: "List: a villager's own; a manager's assigned and open-to-them; all for an administrator",
        roles: "any signed-in user",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/applications/{id}",
        summary: "One application with its events and SLA",
        roles: "owner, assigned manager, administrator",
        body: None,
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/withdraw",
        summary: "Withdraw",
        roles: "owning villager",
        body: Some(reason_opt),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/accept",
        summary: "Accept the approved offer",
        roles: "owning villager",
        body: None,
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/provide-documents",
        summary: "Say the requested documents are uploaded",
        roles: "owning villager",
        body: None,
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/contact",
        summary: "Log the first contact (stops the SLA clock)",
        roles: "assigned manager",
        body: Some(note_opt),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/request-documents",
        summary: "Ask for documents",
        roles: "assigned manager",
        body: Some(request_documents),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/start-review",
        summary: "Start the review",
        roles: "assigned manager",
        body: None,
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/approve",
        summary: "Approve with an offer",
        roles: "assigned manager",
        body: Some(approve),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/reject",
        summary: "Reject with a reason",
        roles: "assigned manager",
        body: Some(reject),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/disburse",
        summary: "Record the disbursement",
        roles: "assigned manager",
        body: Some(disburse),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/applications/{id}/documents",
        summary: "Open a resumable document upload",
        roles: "owning villager",
        body: Some(start_upload),
        ok: 201,
    },
    Route {
        method: "get",
        path: "/v1/applications/{id}/documents",
        summary: "The application's documents",
        roles: "owner, assigned manager, administrator",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/uploads/{upload}",
        summary: "Upload status: missing chunks (to resume)",
        roles: "owning villager",
        body: None,
        ok: 200,
    },
    Route {
        method: "put",
        path: "/v1/uploads/{upload}/chunks/{index}",
        summary: "Send one chunk (stored encrypted)",
        roles: "owning villager",
        body: Some(chunk),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/uploads/{upload}/complete",
        summary: "Finish: checks the SHA-256 (422 and restart on mismatch)",
        roles: "owning villager",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/documents/{upload}/content",
        summary: "A completed document's bytes",
        roles: "owner, assigned manager, administrator",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/manager/inbox",
        summary: "Tasks with countdowns, most urgent first, and unassigned applications",
        roles: "manager",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/admin/escalations",
        summary: "Open escalations not yet taken in hand",
        roles: "administrator",
        body: None,
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/admin/applications/{id}/reassign",
        summary: "Assign or reassign to a manager of the same bank",
        roles: "administrator",
        body: Some(reassign),
        ok: 200,
    },
    Route {
        method: "post",
        path: "/v1/admin/applications/{id}/acknowledge",
        summary: "Take an escalation in hand",
        roles: "administrator",
        body: Some(note_opt),
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/admin/figures",
        summary: "Applications by state, contact times, SLA compliance per bank",
        roles: "administrator",
        body: None,
        ok: 200,
    },
    Route {
        method: "get",
        path: "/v1/events",
        summary: "Server-Sent Events: this user's live task and status messages",
        roles: "any signed-in user",
        body: None,
        ok: 200,
    },
];

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let entry = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        let mut op = json!({
            "summary": r.summary,
            "description": format!("Who: {}.", r.roles),
            "responses": {
                r.ok.to_string(): {"description": "success"},
                "4XX": {"description": "client error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if r.roles != "anyone" {
            op["security"] = json!([{"bearer": []}]);
        }
        if r.path == "/v1/applications" && r.method == "post" {
            op["parameters"] = json!([{"name": "Idempotency-Key", "in": "header", "required": true, "schema": {"type": "string", "maxLength": 128}}]);
        } else if r.method == "post"
            && r.path.contains("/applications/{id}/")
            && !r.path.ends_with("/documents")
        {
            op["parameters"] = json!([{"name": "Idempotency-Key", "in": "header", "required": false, "description": "optional: a retry with the same key answers the first answer", "schema": {"type": "string", "maxLength": 128}}]);
        }
        if let Some(body) = r.body {
            let chunk = r.path.contains("/chunks/");
            let media = if chunk {
                "application/octet-stream"
            } else {
                "application/json"
            };
            let schema = body();
            let required = chunk || schema["required"].as_array().is_some_and(|a| !a.is_empty());
            op["requestBody"] =
                json!({"required": required, "content": {media: {"schema": schema}}});
        }
        if let Some(map) = entry.as_object_mut() {
            map.insert(r.method.to_owned(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Huoshui county platform API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "required": ["code", "message_zh", "message_en"], "properties": {"code": {"type": "string"}, "message_zh": {"type": "string"}, "message_en": {"type": "string"}}}}}}
        }
    })
}
