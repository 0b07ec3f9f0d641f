//! The HTTP surface (`/v1`): routes, extractors and handlers. Owns request parsing (a JSON
//! extractor whose every rejection is a JSON 4xx), header rules (`Idempotency-Key`, `ETag`),
//! body limits, and the mapping of each route to the module that does the work.
//! Must never answer 5xx for client input and never put personal data into a log line.

use crate::apps::{self, Do};
use crate::auth::{self, AuthUser};
use crate::documents;
use crate::error::ApiError;
use crate::state::AppState;
use crate::{admin, openapi};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use huoshui_core::domain::lifecycle::{ApplicationId, ApprovedOffer, Command, Role};
use huoshui_core::wire::{
    AcknowledgeRequest, ApplicationList, ApplicationView, ApproveRequest, CodeRequest,
    CodeSentResponse, ContactRequest, DisburseRequest, DocumentList, EscalationList, Figures,
    HealthResponse, Inbox, LoginRequest, ReassignRequest, RejectRequest, RequestDocumentsRequest,
    SessionResponse, StartUploadRequest, SubmitRequest, UploadStatus, UserView, WithdrawRequest,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::time::Duration;

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

type PathResult = Result<Path<String>, axum::extract::rejection::PathRejection>;

fn path_text(p: PathResult) -> Result<String, ApiError> {
    p.map(|Path(s)| s).map_err(|_| ApiError::not_found())
}

/// Builds the router.
pub fn router(state: AppState) -> Router {
    let chunk_limit = DefaultBodyLimit::max(documents::CHUNK_SIZE as usize + 1024);
    let v1 = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_doc))
        .route("/auth/code", post(request_code))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
        .route("/catalog", get(catalog))
        .route("/applications", post(submit).get(list))
        .route("/applications/{id}", get(detail))
        .route("/applications/{id}/withdraw", post(withdraw))
        .route("/applications/{id}/accept", post(accept))
        .route(
            "/applications/{id}/provide-documents",
            post(provide_documents),
        )
        .route("/applications/{id}/contact", post(contact))
        .route(
            "/applications/{id}/request-documents",
            post(request_documents),
        )
        .route("/applications/{id}/start-review", post(start_review))
        .route("/applications/{id}/approve", post(approve))
        .route("/applications/{id}/reject", post(reject))
        .route("/applications/{id}/disburse", post(disburse))
        .route(
            "/applications/{id}/documents",
            post(start_upload).get(list_documents),
        )
        .route("/uploads/{upload}", get(upload_status))
        .route(
            "/uploads/{upload}/chunks/{index}",
            put(put_chunk).layer(chunk_limit),
        )
        .route("/uploads/{upload}/complete", post(complete_upload))
        .route("/documents/{upload}/content", get(document_content))
        .route("/manager/inbox", get(inbox))
        .route("/admin/escalations", get(escalations))
        .route("/admin/applications/{id}/reassign", post(reassign))
        .route("/admin/applications/{id}/acknowledge", post(acknowledge))
        .route("/admin/figures", get(figures))
        .route("/events", get(events));
    Router::new()
        .nest("/v1", v1)
        .fallback(not_found)
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

async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".to_owned(),
    })
}

async fn openapi_doc() -> Json<serde_json::Value> {
    Json(openapi::document())
}

async fn request_code(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<Response, ApiError> {
    auth::request_code(&state, req.phone).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSentResponse {
            sent: true,
            expires_in_seconds: auth::CODE_TTL_SECONDS,
        }),
    )
        .into_response())
}

async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    Ok(Json(auth::login(&state, req.phone, req.code).await?))
}

async fn logout(State(state): State<AppState>, who: AuthUser) -> Result<StatusCode, ApiError> {
    auth::logout(&state, who.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, who: AuthUser) -> Json<UserView> {
    Json(who.user.view(&state.dir))
}

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
    let Some(raw) = headers.get("idempotency-key") else {
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

async fn submit(
    State(state): State<AppState>,
    who: AuthUser,
    headers: HeaderMap,
    body: Result<Json<SubmitRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(req) = body.map_err(ApiError::from)?;
    let stored = apps::submit(&state, &who.user, key, req).await?;
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    Ok((status, Json(stored.body)).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    who: AuthUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ApplicationList>, ApiError> {
    let Query(q) = query.map_err(|_| {
        ApiError::bad_request("bad_query", "查询参数无效", "invalid query parameters")
    })?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let applications = apps::list(&state, &who.user, limit).await?;
    Ok(Json(ApplicationList { applications }))
}

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
    if headers.contains_key("idempotency-key") {
        idempotency_key(headers).map(Some)
    } else {
        Ok(None)
    }
}

async fn run(
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

/// An optional JSON body: empty means the default.
async fn optional_body<T: DeserializeOwned + Default>(
    body: axum::body::Bytes,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&body).map_err(|e| {
        ApiError::unprocessable(
            "invalid_fields",
            "请求字段缺失或类型不对",
            format!("missing or wrongly typed fields: {e}"),
        )
    })
}

type BodyResult = Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>;

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

async fn accept(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
) -> Result<Json<ApplicationView>, ApiError> {
    run(&state, &who, id, &headers, Command::AcceptOffer).await
}

async fn provide_documents(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
) -> Result<Json<ApplicationView>, ApiError> {
    run(&state, &who, id, &headers, Command::ProvideDocuments).await
}

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

async fn start_review(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
) -> Result<Json<ApplicationView>, ApiError> {
    run(&state, &who, id, &headers, Command::StartReview).await
}

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

async fn escalations(
    State(state): State<AppState>,
    who: AuthUser,
) -> Result<Json<EscalationList>, ApiError> {
    admin_only(&who)?;
    let escalations = admin::escalations(&state, &who.user).await?;
    Ok(Json(EscalationList { escalations }))
}

async fn figures(State(state): State<AppState>, who: AuthUser) -> Result<Json<Figures>, ApiError> {
    admin_only(&who)?;
    Ok(Json(admin::figures(&state).await?))
}

async fn inbox(State(state): State<AppState>, who: AuthUser) -> Result<Json<Inbox>, ApiError> {
    if who.user.role != Role::Manager {
        return Err(ApiError::forbidden());
    }
    Ok(Json(admin::inbox(&state, &who.user).await?))
}

async fn start_upload(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    ApiJson(b): ApiJson<StartUploadRequest>,
) -> Result<Response, ApiError> {
    let id = app_id(&path_text(id)?)?;
    let st = documents::start(&state, &who.user, id, b).await?;
    Ok((StatusCode::CREATED, Json(st)).into_response())
}

async fn list_documents(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
) -> Result<Json<DocumentList>, ApiError> {
    let id = app_id(&path_text(id)?)?;
    let documents = documents::list(&state, &who.user, id).await?;
    Ok(Json(DocumentList { documents }))
}

async fn upload_status(
    State(state): State<AppState>,
    who: AuthUser,
    upload: PathResult,
) -> Result<Json<UploadStatus>, ApiError> {
    Ok(Json(
        documents::get_status(&state, &who.user, path_text(upload)?).await?,
    ))
}

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

async fn complete_upload(
    State(state): State<AppState>,
    who: AuthUser,
    upload: PathResult,
) -> Result<Json<UploadStatus>, ApiError> {
    Ok(Json(
        documents::complete(&state, &who.user, path_text(upload)?).await?,
    ))
}

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

/// The live stream: first a `ready` message, then every notice addressed to this user, until
/// the client leaves or the server shuts down.
async fn events(
    State(state): State<AppState>,
    who: AuthUser,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.hub.subscribe();
    let shutdown = state.shutdown.clone();
    let user_id = who.user.id;
    let ready = SseEvent::default().event("ready").data("{}");
    struct Feed {
        rx: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::hub::Notice>>,
        shutdown: tokio::sync::watch::Receiver<bool>,
        user_id: String,
        ready: Option<SseEvent>,
    }
    let feed = Feed {
        rx,
        shutdown,
        user_id,
        ready: Some(ready),
    };
    let stream = futures_util::stream::unfold(feed, |mut f| async move {
        if let Some(first) = f.ready.take() {
            return Some((Ok(first), f));
        }
        loop {
            if *f.shutdown.borrow() {
                return None;
            }
            tokio::select! {
                changed = f.shutdown.changed() => {
                    if changed.is_err() || *f.shutdown.borrow() { return None; }
                }
                got = f.rx.recv() => match got {
                    Ok(notice) => {
                        if notice.recipients.contains(&f.user_id) {
                            let data = serde_json::to_string(&notice.message).unwrap_or_default();
                            let ev = SseEvent::default().event(notice.message.topic.code()).data(data);
                            return Some((Ok(ev), f));
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let ev = SseEvent::default().event("resync").data("{}");
                        return Some((Ok(ev), f));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
