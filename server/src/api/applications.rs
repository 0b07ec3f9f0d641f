//! `/v1/applications` routes: submission, lists, detail and the lifecycle commands of the
//! villager and the assigned manager (the work is in [`crate::apps`]).
//! Must never answer 5xx for client input.

use super::{
    ApiJson, BodyResult, PathResult, app_id, idempotency_key, optional_body, path_text, run,
};
use crate::apps;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use huoshui_core::domain::lifecycle::{ApprovedOffer, Command};
use huoshui_core::wire::{
    ApplicationList, ApplicationView, ApproveRequest, ContactRequest, DisburseRequest, ErrorBody,
    RejectRequest, RequestDocumentsRequest, SubmitRequest, WithdrawRequest,
};
use serde::Deserialize;

/// Submits an application. The same key and body answer the first answer again; another body
/// under the same key is refused. The platform checks the product's rules against the
/// villager's record (points, town) like the phone does.
#[utoipa::path(post, path = "/v1/applications", tag = "villager", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "A fresh random value per application, reused on every retry", min_length = 1, max_length = 128, pattern = "^[!-~]+$")),
    request_body = SubmitRequest,
    responses(
        (status = 201, description = "Submitted (and routed to a manager when one serves the town)", body = ApplicationView),
        (status = 400, description = "`application_id_invalid`: the chosen id is not a UUID", body = ErrorBody),
        (status = 403, description = "`role_cannot`: only a villager applies", body = ErrorBody),
        (status = 409, description = "`application_id_taken`: the chosen id belongs to another application", body = ErrorBody),
        (status = 422, description = "`not_eligible`: the product's rules refuse it (every reason in `reasons`); `unknown_product`, `unknown_value`: the product, industry or purpose is not in the catalog; `invalid`: the lifecycle refuses the terms", body = ErrorBody),
    ))]
pub(super) async fn submit(
    State(state): State<AppState>,
    who: AuthUser,
    headers: HeaderMap,
    body: Result<Json<SubmitRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<ApplicationView>), ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(req) = body.map_err(ApiError::from)?;
    let stored = apps::submit(&state, &who.user, key, req).await?;
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    Ok((status, Json(stored.body)))
}

/// `?limit=`: how many applications at most (1 to 500, default 100).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    limit: Option<u32>,
}

/// Lists applications: a villager's own (newest first); a manager's assigned and the open
/// ones of their bank in their towns; every one for an administrator.
#[utoipa::path(get, path = "/v1/applications", tag = "applications", security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, description = "At most this many (1 to 500, default 100)", minimum = 1, maximum = 500)),
    responses(
        (status = 200, description = "The applications this user may see (no events)", body = ApplicationList),
        (status = 400, description = "`bad_query`: `limit` is not a whole number from 1 to 500, or an unknown query parameter", body = ErrorBody),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    who: AuthUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ApplicationList>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "bad_query",
            "查询参数无效：limit 应为 1 到 500 的整数",
            "invalid query: limit must be a whole number from 1 to 500",
        )
    };
    let Query(q) = query.map_err(|_| bad())?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(bad());
    }
    let applications = apps::list(&state, &who.user, limit).await?;
    Ok(Json(ApplicationList { applications }))
}

/// One application with its events, timeline and SLA. The assigned manager and
/// administrators also get the villager's name and full phone number (each release recorded).
#[utoipa::path(get, path = "/v1/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)")),
    responses((status = 200, description = "The application as this viewer may see it", body = ApplicationView)))]
pub(super) async fn detail(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = app_id(&path_text(id)?)?;
    Ok(Json(apps::detail(&state, &who.user, id).await?))
}

/// The villager withdraws the application.
#[utoipa::path(post, path = "/v1/applications/{id}/withdraw", tag = "villager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body(content = Option<WithdrawRequest>, description = "Optional: an empty body withdraws without a reason"),
    responses(
        (status = 200, description = "Withdrawn", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the owning villager withdraws", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: too late to withdraw", body = ErrorBody),
        (status = 422, description = "`invalid`: the reason is too long", body = ErrorBody),
    ))]
pub(super) async fn withdraw(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    body: BodyResult,
) -> Result<Json<ApplicationView>, ApiError> {
    let b: WithdrawRequest = optional_body(body?).await?;
    run(
        &state,
        &who,
        id,
        &headers,
        Command::Withdraw { reason: b.reason },
    )
    .await
}

/// The villager accepts the bank's offer.
#[utoipa::path(post, path = "/v1/applications/{id}/accept", tag = "villager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    responses(
        (status = 200, description = "Accepted", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the owning villager accepts", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: there is no offer to accept", body = ErrorBody),
    ))]
pub(super) async fn accept(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
) -> Result<Json<ApplicationView>, ApiError> {
    run(&state, &who, id, &headers, Command::AcceptOffer).await
}

/// The villager says the requested documents are uploaded.
#[utoipa::path(post, path = "/v1/applications/{id}/provide-documents", tag = "villager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    responses(
        (status = 200, description = "Back under review", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the owning villager", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: no documents were requested", body = ErrorBody),
    ))]
pub(super) async fn provide_documents(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
) -> Result<Json<ApplicationView>, ApiError> {
    run(&state, &who, id, &headers, Command::ProvideDocuments).await
}

/// The assigned manager records the call (its outcome and an internal note): the first one stops
/// the SLA clock.
#[utoipa::path(post, path = "/v1/applications/{id}/contact", tag = "manager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body(content = Option<ContactRequest>, description = "Optional: an empty body records a call that reached the villager"),
    responses(
        (status = 200, description = "Recorded", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the assigned manager", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: not waiting for a call", body = ErrorBody),
        (status = 422, description = "`invalid`: the note is too long", body = ErrorBody),
    ))]
pub(super) async fn contact(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    body: BodyResult,
) -> Result<Json<ApplicationView>, ApiError> {
    let b: ContactRequest = optional_body(body?).await?;
    run(
        &state,
        &who,
        id,
        &headers,
        Command::LogContact {
            note: b.note,
            outcome: b.outcome,
        },
    )
    .await
}

/// The assigned manager asks for documents.
#[utoipa::path(post, path = "/v1/applications/{id}/request-documents", tag = "manager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = RequestDocumentsRequest,
    responses(
        (status = 200, description = "Requested", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the assigned manager", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: not under review", body = ErrorBody),
        (status = 422, description = "`invalid`: no kind named, or the note is too long", body = ErrorBody),
    ))]
pub(super) async fn request_documents(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<RequestDocumentsRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let mut kinds = b.kinds;
    kinds.sort();
    kinds.dedup();
    run(
        &state,
        &who,
        id,
        &headers,
        Command::RequestDocuments {
            kinds,
            note: b.note,
        },
    )
    .await
}

/// The assigned manager starts the review.
#[utoipa::path(post, path = "/v1/applications/{id}/start-review", tag = "manager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    responses(
        (status = 200, description = "Under review", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the assigned manager", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: not contacted yet, or already reviewed", body = ErrorBody),
    ))]
pub(super) async fn start_review(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
) -> Result<Json<ApplicationView>, ApiError> {
    run(&state, &who, id, &headers, Command::StartReview).await
}

/// The assigned manager approves with an offer.
#[utoipa::path(post, path = "/v1/applications/{id}/approve", tag = "manager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Approved", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the assigned manager", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: not under review", body = ErrorBody),
        (status = 422, description = "`invalid`: the amount is above the amount applied for", body = ErrorBody),
    ))]
pub(super) async fn approve(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ApproveRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let offer = ApprovedOffer {
        amount: b.amount_fen,
        months: b.months,
        annual_rate_ppm: b.annual_rate_ppm,
    };
    run(&state, &who, id, &headers, Command::Approve { offer }).await
}

/// The assigned manager rejects, with a reason the villager reads.
#[utoipa::path(post, path = "/v1/applications/{id}/reject", tag = "manager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the assigned manager", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: not under review", body = ErrorBody),
        (status = 422, description = "`invalid`: the reason is blank", body = ErrorBody),
    ))]
pub(super) async fn reject(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<RejectRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    run(
        &state,
        &who,
        id,
        &headers,
        Command::Reject { reason: b.reason },
    )
    .await
}

/// The assigned manager records the disbursement.
#[utoipa::path(post, path = "/v1/applications/{id}/disburse", tag = "manager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = DisburseRequest,
    responses(
        (status = 200, description = "Disbursed", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the assigned manager", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: the offer is not accepted", body = ErrorBody),
        (status = 422, description = "`invalid`: the amount is above the approved amount", body = ErrorBody),
    ))]
pub(super) async fn disburse(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<DisburseRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    run(
        &state,
        &who,
        id,
        &headers,
        Command::Disburse {
            amount: b.amount_fen,
        },
    )
    .await
}
