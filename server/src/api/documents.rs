//! `/v1/applications/{id}/documents`, `/v1/uploads/*`, `/v1/documents/*`: resumable uploads
//! and document content (the work is in [`crate::documents`]). Must never log document bytes.

use super::{ApiJson, BodyResult, PathResult, app_id, optional_key, path_text};
use crate::auth::AuthUser;
use crate::documents;
use crate::error::ApiError;
use crate::openapi;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use huoshui_core::wire::{DocumentList, ErrorBody, StartUploadRequest, UploadStatus};

/// The owning villager opens a resumable upload of one document.
#[utoipa::path(post, path = "/v1/applications/{id}/documents", tag = "documents", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = StartUploadRequest,
    responses(
        (status = 201, description = "The upload: chunk size, chunk count, missing chunks", body = UploadStatus),
        (status = 409, description = "`application_closed`: the application has ended; `too_many_documents`", body = ErrorBody),
        (status = 422, description = "`invalid_size`: not 1 byte to 20 MiB; `invalid_sha256`: not 64 hex digits", body = ErrorBody),
    ))]
pub(super) async fn start_upload(
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
pub(super) async fn list_documents(
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
pub(super) async fn upload_status(
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
pub(super) async fn put_chunk(
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
pub(super) async fn complete_upload(
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
pub(super) async fn document_content(
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
