//! The HTTP surface (`/v1`): routes, extractors and handlers. Owns request parsing (a JSON
//! extractor whose every rejection is a JSON 4xx), header rules (`Idempotency-Key`, `ETag`,
//! `Last-Event-ID`), body limits, and the mapping of each route to the module that does the work.
//!
//! Every handler is registered ONCE, through utoipa-axum's `routes!`, which adds both the axum
//! route and its OpenAPI operation (the `#[utoipa::path]` above the handler: parameters, body,
//! every answer with its status and error codes). So a route cannot exist undocumented and there
//! is no second table to drift; [`crate::openapi`] adds what is common to many operations.
//! Must never answer 5xx for client input and never put personal data into a log line.

use crate::apps::{self, Do};
use crate::auth::{self, AuthUser};
use crate::error::ApiError;
use crate::state::AppState;
use crate::{admin, documents, feed, openapi};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use huoshui_core::domain::lifecycle::{ApplicationId, ApprovedOffer, Command, Role};
use huoshui_core::wire::{
    AcknowledgeRequest, ApplicationList, ApplicationView, ApproveRequest, CodeRequest,
    CodeSentResponse, ContactRequest, DisburseRequest, DocumentList, ErrorBody, EscalationList,
    FeedItem, FeedPage, Figures, HealthResponse, Inbox, LoginRequest, ReassignRequest,
    RejectRequest, RequestDocumentsRequest, SessionResponse, StartUploadRequest, StreamTopic,
    SubmitRequest, UploadStatus, UserView, WithdrawRequest,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::time::Duration;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// Largest JSON body accepted (64 KiB).
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// `Json<T>` whose rejections are our JSON errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(ApiError::from(rej)),
        }
    }
}

/// An application id from the path; anything that is not one reads as "not found".
fn app_id(text: &str) -> Result<ApplicationId, ApiError> {
    ApplicationId::parse(text).map_err(|_| ApiError::not_found())
}

pub(crate) type PathResult = Result<Path<String>, axum::extract::rejection::PathRejection>;

fn path_text(p: PathResult) -> Result<String, ApiError> {
    p.map(|Path(s)| s).map_err(|_| ApiError::not_found())
}

/// Every operation of `/v1`, each registered once with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    let chunk_limit = DefaultBodyLimit::max(documents::CHUNK_SIZE as usize + 1024);
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(health))
        .routes(routes!(openapi_doc))
        .routes(routes!(request_code))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(catalog))
        .routes(routes!(submit, list))
        .routes(routes!(detail))
        .routes(routes!(withdraw))
        .routes(routes!(accept))
        .routes(routes!(provide_documents))
        .routes(routes!(contact))
        .routes(routes!(request_documents))
        .routes(routes!(start_review))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(disburse))
        .routes(routes!(start_upload, list_documents))
        .routes(routes!(upload_status))
        .routes(routes!(put_chunk).layer(chunk_limit))
        .routes(routes!(complete_upload))
        .routes(routes!(document_content))
        .routes(routes!(inbox))
        .routes(routes!(escalations))
        .routes(routes!(reassign))
        .routes(routes!(acknowledge))
        .routes(routes!(figures))
        .routes(routes!(events))
        .routes(routes!(feed_page))
        .routes(routes!(crate::repayments::record))
}

/// Builds the router.
pub fn router(state: AppState) -> axum::Router {
    let (v1, _document) = routes().split_for_parts();
    v1.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "没有这个接口",
        "no such endpoint",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "此接口不支持该方法",
        "this endpoint does not take that method",
    )
}

/// Liveness: the platform answers.
#[utoipa::path(get, path = "/v1/health", tag = "platform",
    responses((status = 200, description = "The platform is up", body = HealthResponse)))]
async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".to_owned(),
    })
}

/// This document (OpenAPI 3.1, generated from the wire types and the handlers).
#[utoipa::path(get, path = "/v1/openapi.json", tag = "platform",
    responses((status = 200, description = "The OpenAPI document", body = serde_json::Value)))]
async fn openapi_doc() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        openapi::document_json(),
    )
        .into_response()
}

/// Sends a one-time login code to a phone. Always 202, whether or not the phone has an account.
#[utoipa::path(post, path = "/v1/auth/code", tag = "sign-in", request_body = CodeRequest,
    responses(
        (status = 202, description = "If the phone has an account, a code is on its way", body = CodeSentResponse),
        (status = 422, description = "`invalid_phone`: not 11 digits starting with 1", body = ErrorBody),
    ))]
async fn request_code(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<(StatusCode, Json<CodeSentResponse>), ApiError> {
    auth::request_code(&state, req.phone).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSentResponse {
            sent: true,
            expires_in_seconds: auth::CODE_TTL_SECONDS,
        }),
    ))
}

/// Signs in with the phone and its one-time code; answers the bearer token (shown once).
#[utoipa::path(post, path = "/v1/auth/login", tag = "sign-in", request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session", body = SessionResponse),
        (status = 401, description = "`invalid_code`: the code is wrong, expired, used or out of tries", body = ErrorBody),
        (status = 422, description = "`invalid_phone`: not 11 digits starting with 1", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    Ok(Json(auth::login(&state, req.phone, req.code).await?))
}

/// Ends this session (the token stops working at once).
#[utoipa::path(post, path = "/v1/auth/logout", tag = "sign-in", security(("bearer" = [])),
    responses((status = 204, description = "Signed out")))]
async fn logout(State(state): State<AppState>, who: AuthUser) -> Result<StatusCode, ApiError> {
    auth::logout(&state, who.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user as the platform records them (a villager's points and grade included).
#[utoipa::path(get, path = "/v1/me", tag = "sign-in", security(("bearer" = [])),
    responses((status = 200, description = "Who is signed in", body = UserView)))]
async fn me(State(state): State<AppState>, who: AuthUser) -> Json<UserView> {
    Json(who.user.view(&state.dir))
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
async fn catalog(State(state): State<AppState>, headers: HeaderMap) -> Response {
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

/// The `Idempotency-Key` header: 1 to 128 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(raw) = headers.get(huoshui_core::wire::IDEMPOTENCY_KEY) else {
        return Err(ApiError::bad_request(
            "idempotency_key_missing",
            "提交申请需要 Idempotency-Key 请求头（每份申请一个新的随机值，重试时沿用）",
            "submitting needs an Idempotency-Key header (a fresh random value per application, reused on retries)",
        ));
    };
    let key = raw.to_str().ok().map(str::trim).unwrap_or("");
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "idempotency_key_invalid",
            "Idempotency-Key 应为 1 到 128 个可见 ASCII 字符",
            "the Idempotency-Key must be 1 to 128 visible ASCII characters",
        ));
    }
    Ok(key.to_owned())
}

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
async fn submit(
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
struct ListQuery {
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
async fn list(
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
async fn detail(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = app_id(&path_text(id)?)?;
    Ok(Json(apps::detail(&state, &who.user, id).await?))
}

/// The optional `Idempotency-Key` of a command (validated like the submission's when present).
fn optional_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    if headers.contains_key(huoshui_core::wire::IDEMPOTENCY_KEY) {
        idempotency_key(headers).map(Some)
    } else {
        Ok(None)
    }
}

pub(crate) async fn run(
    state: &AppState,
    who: &AuthUser,
    id: PathResult,
    headers: &HeaderMap,
    cmd: Command,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = app_id(&path_text(id)?)?;
    let key = optional_key(headers)?;
    Ok(Json(
        apps::command(state, &who.user, id, Do::Command(cmd), key).await?,
    ))
}

/// An optional JSON body: empty or `null` means the default.
async fn optional_body<T: DeserializeOwned + Default>(
    body: axum::body::Bytes,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(&body)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            ApiError::unprocessable(
                "invalid_fields",
                "请求字段缺失或类型不对",
                format!("missing or wrongly typed fields: {e}"),
            )
        })
}

type BodyResult = Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>;

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
async fn withdraw(
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
async fn accept(
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
async fn provide_documents(
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
async fn contact(
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
async fn request_documents(
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
async fn start_review(
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
async fn approve(
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
async fn reject(
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
async fn disburse(
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

fn admin_only(who: &AuthUser) -> Result<(), ApiError> {
    if who.user.role == Role::Administrator {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// An administrator assigns (or reassigns) the application to a manager of the product's bank.
#[utoipa::path(post, path = "/v1/admin/applications/{id}/reassign", tag = "administrator", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = ReassignRequest,
    responses(
        (status = 200, description = "Assigned to that manager", body = ApplicationView),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: the application has no manager to change", body = ErrorBody),
        (status = 422, description = "`unknown_manager`: not a manager of the product's bank; `invalid`", body = ErrorBody),
    ))]
async fn reassign(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ReassignRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    admin_only(&who)?;
    let id = app_id(&path_text(id)?)?;
    let key = optional_key(&headers)?;
    Ok(Json(
        apps::command(&state, &who.user, id, Do::AssignTo(b.manager_id), key).await?,
    ))
}

/// An administrator takes an escalation in hand.
#[utoipa::path(post, path = "/v1/admin/applications/{id}/acknowledge", tag = "administrator", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body(content = Option<AcknowledgeRequest>, description = "Optional: an empty body acknowledges without a note"),
    responses(
        (status = 200, description = "Acknowledged", body = ApplicationView),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: no open escalation", body = ErrorBody),
        (status = 422, description = "`invalid`: the note is too long", body = ErrorBody),
    ))]
async fn acknowledge(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    body: BodyResult,
) -> Result<Json<ApplicationView>, ApiError> {
    admin_only(&who)?;
    let b: AcknowledgeRequest = optional_body(body?).await?;
    run(
        &state,
        &who,
        id,
        &headers,
        Command::AcknowledgeEscalation { note: b.note },
    )
    .await
}

/// Open escalations no administrator has taken in hand yet.
#[utoipa::path(get, path = "/v1/admin/escalations", tag = "administrator", security(("bearer" = [])),
    responses(
        (status = 200, description = "Oldest first", body = EscalationList),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
    ))]
async fn escalations(
    State(state): State<AppState>,
    who: AuthUser,
) -> Result<Json<EscalationList>, ApiError> {
    admin_only(&who)?;
    let escalations = admin::escalations(&state, &who.user).await?;
    Ok(Json(EscalationList { escalations }))
}

/// Applications by state, contact times and SLA compliance per bank.
#[utoipa::path(get, path = "/v1/admin/figures", tag = "administrator", security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures now", body = Figures),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
    ))]
async fn figures(State(state): State<AppState>, who: AuthUser) -> Result<Json<Figures>, ApiError> {
    admin_only(&who)?;
    Ok(Json(admin::figures(&state).await?))
}

/// A manager's tasks with countdowns, most urgent first, each with the villager to call, and
/// the applications of their bank in their towns that no one has yet.
#[utoipa::path(get, path = "/v1/manager/inbox", tag = "manager", security(("bearer" = [])),
    responses(
        (status = 200, description = "The inbox now", body = Inbox),
        (status = 403, description = "`forbidden`: account managers only", body = ErrorBody),
    ))]
async fn inbox(State(state): State<AppState>, who: AuthUser) -> Result<Json<Inbox>, ApiError> {
    if who.user.role != Role::Manager {
        return Err(ApiError::forbidden());
    }
    Ok(Json(admin::inbox(&state, &who.user).await?))
}

/// The owning villager opens a resumable upload of one document.
#[utoipa::path(post, path = "/v1/applications/{id}/documents", tag = "documents", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = StartUploadRequest,
    responses(
        (status = 201, description = "The upload: chunk size, chunk count, missing chunks", body = UploadStatus),
        (status = 409, description = "`application_closed`: the application has ended; `too_many_documents`", body = ErrorBody),
        (status = 422, description = "`invalid_size`: not 1 byte to 20 MiB; `invalid_sha256`: not 64 hex digits", body = ErrorBody),
    ))]
async fn start_upload(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<StartUploadRequest>,
) -> Result<(StatusCode, Json<UploadStatus>), ApiError> {
    let id = app_id(&path_text(id)?)?;
    let key = optional_key(&headers)?;
    let st = documents::start(&state, &who.user, id, b, key).await?;
    Ok((StatusCode::CREATED, Json(st)))
}

/// The documents of an application, for whoever may see the application.
#[utoipa::path(get, path = "/v1/applications/{id}/documents", tag = "documents", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)")),
    responses((status = 200, description = "Oldest first", body = DocumentList)))]
async fn list_documents(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
) -> Result<Json<DocumentList>, ApiError> {
    let id = app_id(&path_text(id)?)?;
    let documents = documents::list(&state, &who.user, id).await?;
    Ok(Json(DocumentList { documents }))
}

/// Where an upload stands: the chunks still missing (to resume after a dropped connection).
#[utoipa::path(get, path = "/v1/uploads/{upload}", tag = "documents", security(("bearer" = [])),
    params(("upload" = String, Path, description = "The upload id")),
    responses((status = 200, description = "The upload", body = UploadStatus)))]
async fn upload_status(
    State(state): State<AppState>,
    who: AuthUser,
    upload: PathResult,
) -> Result<Json<UploadStatus>, ApiError> {
    Ok(Json(
        documents::get_status(&state, &who.user, path_text(upload)?).await?,
    ))
}

/// Sends one chunk (any order; sending one again replaces it). Stored encrypted.
#[utoipa::path(put, path = "/v1/uploads/{upload}/chunks/{index}", tag = "documents", security(("bearer" = [])),
    params(
        ("upload" = String, Path, description = "The upload id"),
        ("index" = u32, Path, description = "The chunk's index, from 0", minimum = 0, maximum = 79),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Exactly `chunk_size` bytes (the last chunk: the rest)"),
    responses(
        (status = 200, description = "Stored; the chunks still missing", body = UploadStatus),
        (status = 400, description = "`bad_body`: the body could not be read", body = ErrorBody),
        (status = 409, description = "`upload_complete`: the upload is already complete", body = ErrorBody),
        (status = 413, description = "`too_large`: more than one chunk", body = ErrorBody),
        (status = 422, description = "`invalid_chunk`: the index is beyond the upload's last chunk, or the chunk is not the length it must be", body = ErrorBody),
    ))]
async fn put_chunk(
    State(state): State<AppState>,
    who: AuthUser,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    body: BodyResult,
) -> Result<Json<UploadStatus>, ApiError> {
    let Path((upload, index)) = path.map_err(|_| ApiError::not_found())?;
    let index: u32 = index.parse().map_err(|_| {
        ApiError::unprocessable(
            "invalid_chunk",
            "分片序号应为非负整数",
            "the chunk index must be a whole number",
        )
    })?;
    let body = body?;
    Ok(Json(
        documents::put_chunk(&state, &who.user, upload, index, body.to_vec()).await?,
    ))
}

/// Finishes an upload: checks the SHA-256 of what arrived (a mismatch discards the chunks).
#[utoipa::path(post, path = "/v1/uploads/{upload}/complete", tag = "documents", security(("bearer" = [])),
    params(("upload" = String, Path, description = "The upload id")),
    responses(
        (status = 200, description = "Complete and stored", body = UploadStatus),
        (status = 409, description = "`chunks_missing`: send the missing chunks first", body = ErrorBody),
        (status = 422, description = "`checksum_mismatch`: the SHA-256 does not match; upload every chunk again", body = ErrorBody),
    ))]
async fn complete_upload(
    State(state): State<AppState>,
    who: AuthUser,
    upload: PathResult,
) -> Result<Json<UploadStatus>, ApiError> {
    Ok(Json(
        documents::complete(&state, &who.user, path_text(upload)?).await?,
    ))
}

/// A completed document's bytes, for the owner, the assigned manager and administrators.
#[utoipa::path(get, path = "/v1/documents/{upload}/content", tag = "documents", security(("bearer" = [])),
    params(("upload" = String, Path, description = "The upload id")),
    responses((status = 200, description = "The document", content_type = "application/octet-stream", body = Vec<u8>)))]
async fn document_content(
    State(state): State<AppState>,
    who: AuthUser,
    upload: PathResult,
) -> Result<Response, ApiError> {
    let (_, bytes) = documents::content(&state, &who.user, path_text(upload)?).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

/// `?after=`: the feed position the client has handled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    after: Option<i64>,
}

/// What changed for this user since a position in their feed: the status cursor a phone pulls
/// by (an unchanged pull is one small answer). The same messages as the live stream.
#[utoipa::path(get, path = "/v1/feed", tag = "live", security(("bearer" = [])),
    params(("after" = Option<i64>, Query, description = "The last position handled; absent: answer where the feed stands now", minimum = 0)),
    responses(
        (status = 200, description = "The messages after `after`, oldest first, at most 256", body = FeedPage),
        (status = 400, description = "`bad_query`: `after` is not a whole number of 0 or more, or an unknown query parameter", body = ErrorBody),
    ))]
async fn feed_page(
    State(state): State<AppState>,
    who: AuthUser,
    query: Result<Query<FeedQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<FeedPage>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "bad_query",
            "查询参数无效：after 应为 0 或更大的整数",
            "invalid query: after must be a whole number of 0 or more",
        )
    };
    let Query(q) = query.map_err(|_| bad())?;
    let user = who.user.id;
    let page = state
        .db
        .read(move |conn| {
            let newest = feed::newest(conn)?;
            let Some(after) = q.after else {
                return Ok(FeedPage {
                    messages: Vec::new(),
                    next: whole(newest),
                    more: false,
                    reset: false,
                });
            };
            if after < 0 {
                return Err(bad());
            }
            if feed::pruned_after(conn, after)? {
                return Ok(FeedPage {
                    messages: Vec::new(),
                    next: whole(newest),
                    more: false,
                    reset: true,
                });
            }
            let rows = feed::after(conn, &user, after)?;
            let more = rows.len() == feed::PAGE as usize;
            // A page that is not full has seen everything up to `newest` (ids grow with each
            // commit of the single writer), so the cursor moves past other users' rows too.
            let last_row = rows.last().map_or(after, |r| r.id);
            let next = if more {
                last_row
            } else {
                newest.max(last_row).max(after)
            };
            let messages = rows
                .into_iter()
                .map(|r| FeedItem {
                    id: whole(r.id),
                    message: r.message,
                })
                .collect();
            Ok(FeedPage {
                messages,
                next: whole(next),
                more,
                reset: false,
            })
        })
        .await?;
    Ok(Json(page))
}

fn whole(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

/// The live stream (Server-Sent Events): first `ready`, then every message addressed to this
/// user (`event:` the topic, `data:` a `StreamMessage`, `id:` its position in the user's feed).
/// With `Last-Event-ID` the messages after it come first (in order), then the live ones, without
/// gap or duplicate; `resync` means messages may be missing: pull everything.
#[utoipa::path(get, path = "/v1/events", tag = "live", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last message received: the messages after it are sent first")),
    responses((status = 200, description = "An endless `text/event-stream`; each `data:` is a `StreamMessage`", content_type = "text/event-stream", body = String)))]
async fn events(
    State(state): State<AppState>,
    who: AuthUser,
    headers: HeaderMap,
) -> Result<Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    // Subscribe BEFORE reading where the feed stands: a message committed in between wakes
    // this stream and is read from the feed, so nothing falls in the gap.
    let rx = state.hub.subscribe();
    let user_id = who.user.id;
    let asked = headers
        .get("last-event-id")
        .map(|v| v.to_str().ok().and_then(|t| t.trim().parse::<i64>().ok()));
    let (last, resync) = match asked {
        Some(Some(last)) if last >= 0 => {
            let pruned = state
                .db
                .read(move |conn| feed::pruned_after(conn, last))
                .await?;
            (last, pruned)
        }
        // An id that is not one of ours: start from now and tell the client to pull everything.
        Some(_) => (state.db.read(feed::newest).await?, true),
        None => (state.db.read(feed::newest).await?, false),
    };
    let mut pending = std::collections::VecDeque::new();
    pending.push_back(
        SseEvent::default()
            .event(StreamTopic::Ready.code())
            .data("{}"),
    );
    if resync {
        pending.push_back(resync_event());
    }
    let stream = LiveFeed {
        state: state.clone(),
        rx,
        shutdown: state.shutdown.clone(),
        user_id,
        last,
        pending,
        catch_up: asked.is_some(),
    }
    .into_stream();
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn resync_event() -> SseEvent {
    SseEvent::default()
        .event(StreamTopic::Resync.code())
        .data("{}")
}

/// One user's open stream: where it stands in their feed and what is ready to send.
struct LiveFeed {
    state: AppState,
    rx: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::hub::Published>>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    user_id: String,
    /// The last feed id sent (or the starting point); only later rows are sent.
    last: i64,
    pending: std::collections::VecDeque<SseEvent>,
    /// Read the feed before waiting (a resume with `Last-Event-ID`).
    catch_up: bool,
}

impl LiveFeed {
    /// Reads this user's rows after `last` into `pending` (one page).
    async fn read_feed(&mut self) -> Result<(), ApiError> {
        let user = self.user_id.clone();
        let last = self.last;
        let rows = self
            .state
            .db
            .read(move |conn| feed::after(conn, &user, last))
            .await?;
        self.catch_up = rows.len() == feed::PAGE as usize;
        for row in rows {
            self.last = row.id;
            let data = serde_json::to_string(&row.message)?;
            self.pending.push_back(
                SseEvent::default()
                    .id(row.id.to_string())
                    .event(row.message.topic.code())
                    .data(data),
            );
        }
        Ok(())
    }

    fn into_stream(self) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
        futures_util::stream::unfold(self, |mut f| async move {
            loop {
                if let Some(ev) = f.pending.pop_front() {
                    return Some((Ok(ev), f));
                }
                if *f.shutdown.borrow() {
                    return None;
                }
                if f.catch_up {
                    if f.read_feed().await.is_err() {
                        // The database could not be read: the client re-syncs and reconnects.
                        return Some((Ok(resync_event()), f));
                    }
                    continue;
                }
                tokio::select! {
                    changed = f.shutdown.changed() => {
                        if changed.is_err() || *f.shutdown.borrow() { return None; }
                    }
                    got = f.rx.recv() => match got {
                        Ok(p) => {
                            if p.entries.iter().any(|(u, id)| *u == f.user_id && *id > f.last) {
                                f.catch_up = true;
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            // Wake-ups were missed: say so, then read the feed (nothing is lost).
                            f.pending.push_back(resync_event());
                            f.catch_up = true;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        })
    }
}
