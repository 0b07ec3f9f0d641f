//! Documents a villager uploads for an application: resumable, chunked, checked against the
//! SHA-256 the phone sends, stored encrypted at rest (AES-256-GCM under the server key, a fresh
//! random nonce per chunk, the upload id and chunk index bound in as associated data so chunks
//! cannot be swapped or moved between uploads).
//!
//! Protocol: `POST /v1/applications/{id}/documents {kind, size, sha256}` opens an upload and
//! answers its `chunk_size` and `chunk_count` (with an `Idempotency-Key`, a retry answers the
//! same upload, so a lost answer never opens a second one); `PUT /v1/uploads/{upload}/chunks/{index}` sends
//! one chunk (any order, re-sending is harmless); `GET /v1/uploads/{upload}` says which chunks
//! are missing (resume after a dropped connection); `POST /v1/uploads/{upload}/complete`
//! decrypts, hashes and compares — a mismatch discards the chunks and answers 422.
//! Must never write plaintext to disk, and never let anyone but the owning villager upload or
//! anyone but the owner, the assigned manager or an administrator read.

use crate::accounts::User;
use crate::apps::{self, lifecycle_error};
use crate::error::ApiError;
use crate::sql::{OptionalExtension, Tx, params};
use crate::state::AppState;
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::{ApplicationId, Role};
use huoshui_core::wire::{StartUploadRequest, UploadStatus};
use ring::digest;

/// Chunk size the server asks for (256 KiB).
pub const CHUNK_SIZE: u32 = 256 * 1024;
/// Largest document accepted (20 MiB).
pub const MAX_DOCUMENT_BYTES: u64 = 20 * 1024 * 1024;
/// Most documents per application.
pub const MAX_DOCUMENTS_PER_APPLICATION: i64 = 32;

fn bad(code: &'static str, zh: &str, en: &str) -> ApiError {
    ApiError::unprocessable(code, zh, en)
}

struct UploadRow {
    application_id: String,
    owner_id: String,
    kind: String,
    size: u64,
    sha256: String,
    chunk_size: u32,
    chunk_count: u32,
    completed: bool,
}

fn upload_row(conn: &Tx<'_>, upload_id: &str) -> Result<Option<UploadRow>, ApiError> {
    Ok(conn
        .prepare_cached(
            "SELECT application_id, owner_id, kind, size, sha256, chunk_size, chunk_count, completed_at IS NOT NULL
             FROM uploads WHERE id = ?1",
        )?
        .query_row(params![upload_id], |r| {
            Ok(UploadRow {
                application_id: r.get(0)?,
                owner_id: r.get(1)?,
                kind: r.get(2)?,
                size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                sha256: r.get(4)?,
                chunk_size: u32::try_from(r.get::<_, i64>(5)?).unwrap_or(CHUNK_SIZE),
                chunk_count: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
                completed: r.get(7)?,
            })
        })
        .optional()?)
}

fn status(conn: &Tx<'_>, upload_id: &str, row: &UploadRow) -> Result<UploadStatus, ApiError> {
    let mut have = vec![false; row.chunk_count as usize];
    let mut stmt = conn.prepare_cached("SELECT idx FROM upload_chunks WHERE upload_id = ?1")?;
    let rows = stmt.query_map(params![upload_id], |r| r.get::<_, i64>(0))?;
    for idx in rows {
        if let Some(slot) = usize::try_from(idx?).ok().and_then(|i| have.get_mut(i)) {
            *slot = true;
        }
    }
    let missing = have
        .iter()
        .enumerate()
        .filter(|(_, h)| !**h)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect();
    Ok(UploadStatus {
        upload_id: upload_id.to_owned(),
        application_id: row.application_id.clone(),
        kind: DocumentKind::from_code(&row.kind).unwrap_or(DocumentKind::Other),
        size: row.size,
        sha256: row.sha256.clone(),
        chunk_size: row.chunk_size,
        chunk_count: row.chunk_count,
        missing_chunks: if row.completed { Vec::new() } else { missing },
        complete: row.completed,
    })
}

/// Opens an upload for the owning villager.
pub async fn start(
    state: &AppState,
    user: &User,
    id: ApplicationId,
    req: StartUploadRequest,
    key: Option<String>,
) -> Result<UploadStatus, ApiError> {
    let kind = req.kind;
    if req.size == 0 || req.size > MAX_DOCUMENT_BYTES {
        return Err(bad(
            "invalid_size",
            "文件大小须在 1 字节到 20 MB 之间",
            "the size must be 1 byte to 20 MB",
        ));
    }
    let sha = req.sha256.to_ascii_lowercase();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(
            "invalid_sha256",
            "SHA-256 应为 64 位十六进制",
            "sha256 must be 64 hex digits",
        ));
    }
    let chunk_count = u32::try_from(req.size.div_ceil(u64::from(CHUNK_SIZE))).unwrap_or(u32::MAX);
    let user = user.clone();
    let now = state.clock.now().as_millisecond();
    let mut raw = [0u8; 16];
    state.keys.random(&mut raw)?;
    let upload_id = uuid::Builder::from_random_bytes(raw)
        .into_uuid()
        .to_string();
    let request_hash = crate::keys::sha256_hex(
        format!("{}:{}:{}:{sha}", id.as_str(), kind.code(), req.size).as_bytes(),
    );
    state
        .db
        .write(move |conn| {
            let app = apps::load(conn, &id)?.ok_or_else(ApiError::not_found)?;
            if user.role != Role::Villager || app.villager_id != user.id {
                return Err(ApiError::not_found());
            }
            if let Some(key) = &key
                && let Some(existing) = upload_by_key(conn, &user.id, key, &request_hash)?
            {
                let row = upload_row(conn, &existing)?
                    .ok_or_else(|| ApiError::internal("upload vanished"))?;
                return status(conn, &existing, &row);
            }
            if app.state.is_final() {
                return Err(ApiError::conflict(
                    "application_closed",
                    "申请已结束，不能再上传材料",
                    "the application has ended; no more documents",
                ));
            }
            let count: i64 = conn.query_row(
                "SELECT COUNT(*) FROM uploads WHERE application_id = ?1",
                params![id.as_str()],
                |r| r.get(0),
            )?;
            if count >= MAX_DOCUMENTS_PER_APPLICATION {
                return Err(ApiError::conflict("too_many_documents", "材料数量已达上限", "too many documents on this application"));
            }
            conn.execute(
                "INSERT INTO uploads (id, application_id, owner_id, kind, size, sha256, chunk_size, chunk_count, created_at,
                     idempotency_key, request_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    upload_id,
                    id.as_str(),
                    user.id,
                    kind.code(),
                    i64::try_from(req.size).unwrap_or(i64::MAX),
                    sha,
                    CHUNK_SIZE,
                    chunk_count,
                    now,
                    key,
                    key.as_ref().map(|_| request_hash.clone()),
                ],
            )?;
            let row = upload_row(conn, &upload_id)?.ok_or_else(|| ApiError::internal("upload vanished"))?;
            status(conn, &upload_id, &row)
        })
        .await
}

/// The upload this owner opened with `key`, if any; the same key for another upload is refused.
fn upload_by_key(
    conn: &Tx<'_>,
    owner_id: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<String>, ApiError> {
    let found: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT id, request_hash FROM uploads WHERE owner_id = ?1 AND idempotency_key = ?2",
        )?
        .query_row(params![owner_id, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match found {
        None => Ok(None),
        Some((id, Some(hash))) if hash == request_hash => Ok(Some(id)),
        Some(_) => Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "同一个 Idempotency-Key 已用于另一份材料，请换一个新的键",
            "this Idempotency-Key was already used for another document; use a new key",
        )),
    }
}

fn owned_row(conn: &Tx<'_>, user: &User, upload_id: &str) -> Result<UploadRow, ApiError> {
    let row = upload_row(conn, upload_id)?.ok_or_else(ApiError::not_found)?;
    if user.role != Role::Villager || row.owner_id != user.id {
        return Err(ApiError::not_found());
    }
    Ok(row)
}

fn aad(upload_id: &str, index: u32) -> Vec<u8> {
    format!("huoshui-doc:{upload_id}:{index}").into_bytes()
}

/// Stores one chunk, encrypted.
pub async fn put_chunk(
    state: &AppState,
    user: &User,
    upload_id: String,
    index: u32,
    body: Vec<u8>,
) -> Result<UploadStatus, ApiError> {
    let user = user.clone();
    let keys = state.keys.clone();
    state
        .db
        .write(move |conn| {
            let row = owned_row(conn, &user, &upload_id)?;
            if row.completed {
                return Err(ApiError::conflict("upload_complete", "此材料已上传完成", "this upload is already complete"));
            }
            if index >= row.chunk_count {
                return Err(bad("invalid_chunk", "分片序号超出范围", "chunk index out of range"));
            }
            let start = u64::from(index) * u64::from(row.chunk_size);
            let expected = row.size.saturating_sub(start).min(u64::from(row.chunk_size));
            if body.len() as u64 != expected {
                return Err(bad(
                    "invalid_chunk",
                    &format!("分片 {index} 的长度应为 {expected} 字节"),
                    &format!("chunk {index} must be {expected} bytes"),
                ));
            }
            let (nonce, sealed) = keys.seal(&aad(&upload_id, index), &body)?;
            conn.execute(
                "INSERT INTO upload_chunks (upload_id, idx, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (upload_id, idx) DO UPDATE SET nonce = ?3, ciphertext = ?4",
                params![upload_id, index, nonce, sealed],
            )?;
            status(conn, &upload_id, &row)
        })
        .await
}

/// Where an upload stands (for resuming).
pub async fn get_status(
    state: &AppState,
    user: &User,
    upload_id: String,
) -> Result<UploadStatus, ApiError> {
    let user = user.clone();
    state
        .db
        .read(move |conn| {
            let row = owned_row(conn, &user, &upload_id)?;
            status(conn, &upload_id, &row)
        })
        .await
}

/// Decrypts every chunk in order and hashes the plaintext.
fn hash_stored(
    conn: &Tx<'_>,
    keys: &crate::keys::ServerKeys,
    upload_id: &str,
    count: u32,
) -> Result<(String, u64), ApiError> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut total = 0u64;
    let mut stmt = conn.prepare_cached(
        "SELECT nonce, ciphertext FROM upload_chunks WHERE upload_id = ?1 AND idx = ?2",
    )?;
    for idx in 0..count {
        let (nonce, sealed): (Vec<u8>, Vec<u8>) =
            stmt.query_row(params![upload_id, idx], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let plain = keys.open(&aad(upload_id, idx), &nonce, &sealed)?;
        ctx.update(&plain);
        total += plain.len() as u64;
    }
    Ok((crate::keys::hex(ctx.finish().as_ref()), total))
}

/// Verifies the SHA-256 and marks the upload complete.
pub async fn complete(
    state: &AppState,
    user: &User,
    upload_id: String,
) -> Result<UploadStatus, ApiError> {
    let user = user.clone();
    let keys = state.keys.clone();
    let now = state.clock.now().as_millisecond();
    state
        .db
        .write(move |conn| {
            let row = owned_row(conn, &user, &upload_id)?;
            if row.completed {
                return status(conn, &upload_id, &row).map(Ok);
            }
            let st = status(conn, &upload_id, &row)?;
            if !st.missing_chunks.is_empty() {
                return Err(ApiError::conflict(
                    "chunks_missing",
                    format!("还缺 {} 个分片，请继续上传", st.missing_chunks.len()),
                    format!(
                        "{} chunks are still missing; keep uploading",
                        st.missing_chunks.len()
                    ),
                ));
            }
            let (hash, total) = hash_stored(conn, &keys, &upload_id, row.chunk_count)?;
            if hash != row.sha256 || total != row.size {
                // Answer Ok so the deletion commits; the caller turns it into the 422.
                conn.execute(
                    "DELETE FROM upload_chunks WHERE upload_id = ?1",
                    params![upload_id],
                )?;
                return Ok(Err(()));
            }
            conn.execute(
                "UPDATE uploads SET completed_at = ?2 WHERE id = ?1",
                params![upload_id, now],
            )?;
            let row = owned_row(conn, &user, &upload_id)?;
            status(conn, &upload_id, &row).map(Ok)
        })
        .await?
        .map_err(|()| mismatch())
}

fn mismatch() -> ApiError {
    ApiError::unprocessable(
        "checksum_mismatch",
        "文件校验失败（SHA-256 不一致），请重新上传全部分片",
        "the SHA-256 does not match; upload every chunk again",
    )
}

/// The completed documents of an application, for whoever may see the application.
pub async fn list(
    state: &AppState,
    user: &User,
    id: ApplicationId,
) -> Result<Vec<UploadStatus>, ApiError> {
    let user = user.clone();
    state
        .db
        .read(move |conn| {
            let app = apps::load(conn, &id)?.ok_or_else(ApiError::not_found)?;
            let bank: String = conn
                .query_row(
                    "SELECT bank_id FROM applications WHERE id = ?1",
                    params![id.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default();
            if !apps::visible_to(&user, &app, &bank) {
                return Err(ApiError::not_found());
            }
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM uploads WHERE application_id = ?1 ORDER BY created_at",
            )?;
            let ids = stmt.query_map(params![id.as_str()], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for uid in ids {
                let uid = uid?;
                if let Some(row) = upload_row(conn, &uid)? {
                    out.push(status(conn, &uid, &row)?);
                }
            }
            Ok(out)
        })
        .await
}

/// The plaintext of a completed document, for the owner, the application's assigned manager or
/// an administrator. Decrypted in memory only.
pub async fn content(
    state: &AppState,
    user: &User,
    upload_id: String,
) -> Result<(DocumentKind, Vec<u8>), ApiError> {
    let user = user.clone();
    let keys = state.keys.clone();
    state
        .db
        .read(move |conn| {
            let row = upload_row(conn, &upload_id)?.ok_or_else(ApiError::not_found)?;
            let id = ApplicationId::parse(&row.application_id).map_err(lifecycle_error)?;
            let app = apps::load(conn, &id)?.ok_or_else(ApiError::not_found)?;
            let bank: String = conn
                .query_row(
                    "SELECT bank_id FROM applications WHERE id = ?1",
                    params![id.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default();
            if !apps::visible_to(&user, &app, &bank) || !row.completed {
                return Err(ApiError::not_found());
            }
            let mut out = Vec::with_capacity(usize::try_from(row.size).unwrap_or(0));
            let mut stmt = conn.prepare_cached(
                "SELECT nonce, ciphertext FROM upload_chunks WHERE upload_id = ?1 AND idx = ?2",
            )?;
            for idx in 0..row.chunk_count {
                let (nonce, sealed): (Vec<u8>, Vec<u8>) =
                    stmt.query_row(params![upload_id, idx], |r| Ok((r.get(0)?, r.get(1)?)))?;
                out.extend_from_slice(&keys.open(&aad(&upload_id, idx), &nonce, &sealed)?);
            }
            Ok((
                DocumentKind::from_code(&row.kind).unwrap_or(DocumentKind::Other),
                out,
            ))
        })
        .await
}
