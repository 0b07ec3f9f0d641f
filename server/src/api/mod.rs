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
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request};
use axum::http::{HeaderMap, StatusCode};
use huoshui_core::domain::lifecycle::{ApplicationId, Command};
use huoshui_core::wire::ApplicationView;
use serde::de::DeserializeOwned;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

mod admin;
mod applications;
mod devices;
mod documents;
mod live;
mod platform;
mod sign_in;

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
    let chunk_limit = DefaultBodyLimit::max(crate::documents::CHUNK_SIZE as usize + 1024);
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(platform::health))
        .routes(routes!(platform::openapi_doc))
        .routes(routes!(sign_in::request_code))
        .routes(routes!(sign_in::login))
        .routes(routes!(sign_in::logout))
        .routes(routes!(sign_in::me))
        .routes(routes!(platform::catalog))
        .routes(routes!(applications::submit, applications::list))
        .routes(routes!(applications::detail))
        .routes(routes!(applications::withdraw))
        .routes(routes!(applications::accept))
        .routes(routes!(applications::provide_documents))
        .routes(routes!(applications::contact))
        .routes(routes!(applications::request_documents))
        .routes(routes!(applications::start_review))
        .routes(routes!(applications::approve))
        .routes(routes!(applications::reject))
        .routes(routes!(applications::disburse))
        .routes(routes!(documents::start_upload, documents::list_documents))
        .routes(routes!(documents::upload_status))
        .routes(routes!(documents::put_chunk).layer(chunk_limit))
        .routes(routes!(documents::complete_upload))
        .routes(routes!(documents::document_content))
        .routes(routes!(admin::inbox))
        .routes(routes!(admin::escalations))
        .routes(routes!(admin::reassign))
        .routes(routes!(admin::acknowledge))
        .routes(routes!(admin::figures))
        .routes(routes!(live::events))
        .routes(routes!(live::feed_page))
        .merge(crate::ladder::api::routes())
        .routes(routes!(crate::repayments::record))
        .routes(routes!(devices::register, devices::unregister))
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
