//! Uploading a document from the vault to the platform's resumable chunked upload.
//!
//! The upload is opened once (its id kept in the store; the opening request carries the outbox
//! command's idempotency key, so a lost answer never opens a second one); then the platform
//! says which chunks it still misses and only those are sent, each decrypted from the vault
//! just before it goes (at most one chunk of plaintext in memory, never a plaintext file); the
//! platform checks the SHA-256 of the whole document before it counts it as complete. Must
//! never mark a document uploaded before the platform said it is complete.

use super::{Ctx, Outcome, Refusal, SyncClient, SyncError, parse};
use crate::store::outbox::OutboxItem;
use crate::vault::VaultError;
use crate::wire::{self, IDEMPOTENCY_KEY, path};
use std::collections::BTreeSet;
use zeroize::Zeroizing;

/// The largest chunk the phone accepts to hold in memory at once.
const MAX_CHUNK_BYTES: u32 = 8 * 1024 * 1024;

/// How an upload attempt ended.
pub(crate) enum Uploaded {
    /// The platform has the whole document, SHA-256 checked.
    Complete,
    /// Try again later; the chunks already sent stay on the platform.
    Transient(String),
    /// It cannot succeed as it is (the platform refused, or the local copy is unreadable).
    Refused(Refusal),
}

fn unreadable(e: &VaultError) -> Refusal {
    tracing::warn!(error = %e, "a document cannot be read for upload");
    Refusal {
        status: 0,
        code: "document_unreadable".into(),
        message_zh: "手机上的这份材料已损坏或无法读取，请删除后重新拍摄".into(),
        message_en:
            "this document on the phone is damaged or cannot be read: delete it and take it again"
                .into(),
    }
}

fn bad_status() -> Refusal {
    Refusal {
        status: 0,
        code: "upload_mismatch".into(),
        message_zh: "平台的上传信息与手机上的材料不一致，请删除后重新拍摄".into(),
        message_en: "the platform's upload does not match the document on the phone: delete it and take it again".into(),
    }
}

/// What a step of the conversation gave.
enum Step<T> {
    Got(T),
    Stop(Uploaded),
}

impl SyncClient {
    /// Uploads one document (the outbox command `item`) to `application_id`.
    pub(crate) async fn upload_document(
        &self,
        ctx: &Ctx<'_>,
        item: &OutboxItem,
        application_id: &str,
        document_id: &str,
    ) -> Result<Uploaded, SyncError> {
        let Ok(doc_id) = uuid::Uuid::parse_str(document_id) else {
            return Ok(Uploaded::Refused(bad_status()));
        };
        let Some(row) = ctx
            .store
            .documents(None)?
            .into_iter()
            .find(|d| d.id == doc_id)
        else {
            // The villager deleted it before it went: nothing left to send.
            tracing::debug!("a queued upload's document is gone");
            return Ok(Uploaded::Complete);
        };
        if row.uploaded_at.is_some() {
            return Ok(Uploaded::Complete);
        }
        let status = match row.upload_id.as_deref() {
            Some(upload) => match self.upload_status(upload).await? {
                Step::Got(Some(s)) => s,
                Step::Got(None) => match self.open_upload(ctx, item, application_id, &row).await? {
                    Step::Got(s) => s,
                    Step::Stop(u) => return Ok(u),
                },
                Step::Stop(u) => return Ok(u),
            },
            None => match self.open_upload(ctx, item, application_id, &row).await? {
                Step::Got(s) => s,
                Step::Stop(u) => return Ok(u),
            },
        };
        if status.size != row.size_bytes
            || !status.sha256.eq_ignore_ascii_case(&row.sha256)
            || status.chunk_size == 0
            || status.chunk_size > MAX_CHUNK_BYTES
        {
            return Ok(Uploaded::Refused(bad_status()));
        }
        if !status.complete {
            if let Step::Stop(u) = self.send_missing(ctx, doc_id, &status).await? {
                return Ok(u);
            }
            match self.finish_upload(&status.upload_id).await? {
                Step::Got(()) => {}
                Step::Stop(u) => return Ok(u),
            }
        }
        ctx.store.mark_document_uploaded(doc_id, ctx.now)?;
        Ok(Uploaded::Complete)
    }

    /// `GET /v1/uploads/{id}`; `Got(None)` when the platform no longer knows the upload.
    async fn upload_status(
        &self,
        upload: &str,
    ) -> Result<Step<Option<wire::UploadStatus>>, SyncError> {
        match self.exchange(self.get(&path::upload(upload))).await {
            Outcome::Ok(body) => Ok(Step::Got(Some(parse(&body)?))),
            Outcome::Refused(r) if r.status == 404 => Ok(Step::Got(None)),
            other => stop(other),
        }
    }

    /// Opens the upload (idempotent by the command's key) and remembers its id.
    async fn open_upload(
        &self,
        ctx: &Ctx<'_>,
        item: &OutboxItem,
        application_id: &str,
        row: &crate::store::records::DocumentRow,
    ) -> Result<Step<wire::UploadStatus>, SyncError> {
        let req = self
            .post(&path::application_action(application_id, "documents"))
            .header(IDEMPOTENCY_KEY, item.idempotency_key.to_string())
            .json(&wire::StartUploadRequest {
                kind: row.kind,
                size: row.size_bytes,
                sha256: row.sha256.clone(),
            });
        match self.exchange(req).await {
            Outcome::Ok(body) => {
                let status: wire::UploadStatus = parse(&body)?;
                ctx.store.set_document_upload(row.id, &status.upload_id)?;
                Ok(Step::Got(status))
            }
            other => stop(other),
        }
    }

    /// Sends the chunks the platform misses, reading the vault in order and decrypting one
    /// piece at a time.
    async fn send_missing(
        &self,
        ctx: &Ctx<'_>,
        doc_id: uuid::Uuid,
        status: &wire::UploadStatus,
    ) -> Result<Step<()>, SyncError> {
        let missing: BTreeSet<u32> = status.missing_chunks.iter().copied().collect();
        let Some(&last_missing) = missing.iter().next_back() else {
            return Ok(Step::Got(()));
        };
        let mut reader = match ctx.vault.open_document(doc_id) {
            Ok(r) => r,
            Err(e) => return Ok(Step::Stop(Uploaded::Refused(unreadable(&e)))),
        };
        let size = status.chunk_size as usize;
        let mut carry: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
        for index in 0..=last_missing {
            let mut piece: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(size));
            let take = carry.len().min(size);
            piece.extend(carry.drain(..take));
            while piece.len() < size {
                match reader.next_chunk() {
                    Ok(Some(c)) => {
                        let room = size - piece.len();
                        let (now, later) = c.split_at(c.len().min(room));
                        piece.extend_from_slice(now);
                        carry.extend_from_slice(later);
                    }
                    Ok(None) => break,
                    Err(e) => return Ok(Step::Stop(Uploaded::Refused(unreadable(&e)))),
                }
            }
            if piece.is_empty() {
                return Ok(Step::Stop(Uploaded::Refused(bad_status())));
            }
            if !missing.contains(&index) {
                continue;
            }
            let req = self
                .put(&path::upload_chunk(&status.upload_id, index))
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(piece.to_vec());
            match self.exchange(req).await {
                Outcome::Ok(_) => {}
                Outcome::Refused(r) if r.code == "upload_complete" => return Ok(Step::Got(())),
                other => return stop(other),
            }
        }
        Ok(Step::Got(()))
    }

    /// `POST /v1/uploads/{id}/complete`: the platform checks the SHA-256.
    async fn finish_upload(&self, upload: &str) -> Result<Step<()>, SyncError> {
        match self
            .exchange(self.post(&path::upload_complete(upload)))
            .await
        {
            Outcome::Ok(body) => {
                let status: wire::UploadStatus = parse(&body)?;
                if status.complete {
                    Ok(Step::Got(()))
                } else {
                    Ok(Step::Stop(Uploaded::Transient("upload_incomplete".into())))
                }
            }
            // The platform discarded the chunks (checksum) or still misses some: send again.
            Outcome::Refused(r)
                if matches!(r.code.as_str(), "checksum_mismatch" | "chunks_missing") =>
            {
                Ok(Step::Stop(Uploaded::Transient(r.code)))
            }
            other => stop(other),
        }
    }
}

/// The step an unsuccessful exchange ends in.
fn stop<T>(outcome: Outcome) -> Result<Step<T>, SyncError> {
    match outcome {
        Outcome::Ok(_) | Outcome::NotModified => {
            Ok(Step::Stop(Uploaded::Transient("unexpected".into())))
        }
        Outcome::Transient(code) => Ok(Step::Stop(Uploaded::Transient(code))),
        Outcome::Unauthorized(_) => Err(SyncError::Unauthorized),
        Outcome::Refused(r) => Ok(Step::Stop(Uploaded::Refused(r))),
    }
}
