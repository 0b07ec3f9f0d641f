//! Reading and writing the store's rows: catalog cache, drafts, applications and their events,
//! manager tasks, document metadata. The outbox is in [`super::outbox`].
//!
//! Owns the mapping between Rust values and rows; must never put a personal field in a clear
//! column. Payloads are JSON text chosen by the caller (the lifecycle types serialize
//! themselves); the store does not look inside them.

use super::outbox::Payload;
use super::{Store, StoreError};
use crate::domain::documents::DocumentKind;
use crate::vault::{DocumentInfo, Media};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub(crate) fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn ts(ms: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Invalid(format!("time {ms}: {e}")))
}

/// The cached catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedCatalog {
    pub json: String,
    pub etag: Option<String>,
    pub fetched_at: jiff::Timestamp,
}

/// The extras of a draft application the villager is still filling in (industry and purpose
/// codes, chosen from lists). Kept clear when it holds only such codes, so the draft survives a
/// lost install key; any other payload is sealed ([`super::clear::draft_is_clear`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub product_id: Option<String>,
    pub payload_json: Zeroizing<String>,
    pub updated_at: jiff::Timestamp,
}

/// The local copy of one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    pub id: String,
    pub product_id: String,
    /// The lifecycle state's code (e.g. `submitted`).
    pub state: String,
    pub payload_json: Option<Zeroizing<String>>,
    pub updated_at: jiff::Timestamp,
}

/// One event of an application's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub application_id: String,
    pub seq: i64,
    pub event_json: Zeroizing<String>,
    pub at: jiff::Timestamp,
    /// Decided on this phone, not yet confirmed by the platform.
    pub local: bool,
}

/// One task in a manager's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub id: String,
    pub application_id: String,
    pub kind: String,
    pub state: String,
    pub due_at: Option<jiff::Timestamp>,
    pub payload_json: Option<Zeroizing<String>>,
    pub updated_at: jiff::Timestamp,
}

/// Metadata of a document in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRow {
    pub id: uuid::Uuid,
    pub kind: DocumentKind,
    pub media: Media,
    pub application_id: Option<String>,
    pub size_bytes: u64,
    pub sha256: String,
    pub created_at: jiff::Timestamp,
    /// The platform's upload, once one was opened.
    #[serde(default)]
    pub upload_id: Option<String>,
    /// When the platform confirmed the whole document.
    #[serde(default)]
    pub uploaded_at: Option<jiff::Timestamp>,
}

/// (seq, clear or sealed event, at, local) of a stored event.
type RawEvent = (i64, Payload, i64, bool);

fn event_rows(
    conn: &rusqlite::Connection,
    application_id: &str,
) -> Result<Vec<RawEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, sealed_event, at, local, clear_event FROM application_events WHERE application_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([application_id], |r| {
        let event = match r.get::<_, Option<String>>(4)? {
            Some(text) => Payload::Clear(text),
            None => Payload::Sealed(r.get(1)?),
        };
        Ok((r.get(0)?, event, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn media_from_code(code: &str) -> Option<Media> {
    [Media::Jpeg, Media::Png, Media::Heic, Media::Pdf]
        .into_iter()
        .find(|m| m.code() == code)
}

impl Store {
    /// Replaces the cached catalog.
    pub fn save_catalog(
        &self,
        json: &str,
        etag: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO catalog_cache (id, etag, json, fetched_at) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET etag = excluded.etag, json = excluded.json, fetched_at = excluded.fetched_at",
                params![etag, json, ms(now)],
            )?;
            Ok(())
        })
    }

    /// The cached catalog, if any.
    pub fn cached_catalog(&self) -> Result<Option<CachedCatalog>, StoreError> {
        self.read(|conn| {
            let row = conn
                .query_row(
                    "SELECT json, etag, fetched_at FROM catalog_cache WHERE id = 1",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(json, etag, at)| {
                Ok(CachedCatalog {
                    json,
                    etag,
                    fetched_at: ts(at)?,
                })
            })
            .transpose()
        })
    }

    /// Saves (creates or replaces) a draft; the payload is sealed.
    pub fn save_draft(
        &self,
        id: &str,
        product_id: Option<&str>,
        payload_json: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(|tx| self.save_draft_in(tx, id, product_id, payload_json, now))
    }

    /// [`Store::save_draft`] inside a caller's transaction.
    pub fn save_draft_in(
        &self,
        tx: &Transaction<'_>,
        id: &str,
        product_id: Option<&str>,
        payload_json: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        // Kept clear when it holds only list codes (see [`Draft`]); sealed otherwise.
        let (sealed, clear) = if super::clear::draft_is_clear(payload_json) {
            (Vec::new(), Some(payload_json))
        } else {
            (self.seal("drafts", id, payload_json.as_bytes())?, None)
        };
        tx.execute(
            "INSERT INTO drafts (id, product_id, sealed_payload, clear_payload, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET product_id = excluded.product_id,
               sealed_payload = excluded.sealed_payload, clear_payload = excluded.clear_payload,
               updated_at = excluded.updated_at",
            params![id, product_id, sealed, clear, ms(now)],
        )?;
        Ok(())
    }

    /// Every draft, most recently changed first.
    pub fn drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let rows = self.read(|conn| {
            let mut stmt = conn.prepare("SELECT id, product_id, sealed_payload, updated_at, clear_payload FROM drafts ORDER BY updated_at DESC, id")?;
            let rows = stmt.query_map([], |r| {
                let payload = match r.get::<_, Option<String>>(4)? {
                    Some(text) => Payload::Clear(text),
                    None => Payload::Sealed(r.get(2)?),
                };
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, payload, r.get::<_, i64>(3)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        rows.into_iter()
            .map(|(id, product_id, payload, at)| {
                let payload_json = match payload {
                    Payload::Clear(text) => Zeroizing::new(text),
                    Payload::Sealed(sealed) => self.open_text("drafts", &id, &sealed)?,
                };
                Ok(Draft {
                    id,
                    product_id,
                    payload_json,
                    updated_at: ts(at)?,
                })
            })
            .collect()
    }

    /// Removes a draft (e.g. once submitted).
    pub fn delete_draft(&self, id: &str) -> Result<bool, StoreError> {
        self.write(|tx| self.delete_draft_in(tx, id))
    }

    /// [`Store::delete_draft`] inside a caller's transaction.
    pub fn delete_draft_in(&self, tx: &Transaction<'_>, id: &str) -> Result<bool, StoreError> {
        Ok(tx.execute("DELETE FROM drafts WHERE id = ?1", [id])? > 0)
    }

    /// Creates or replaces the local copy of an application.
    pub fn upsert_application(
        &self,
        id: &str,
        product_id: &str,
        state: &str,
        payload_json: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(|tx| self.upsert_application_in(tx, id, product_id, state, payload_json, now))
    }

    /// [`Store::upsert_application`] inside a caller's transaction. A `None` payload keeps the
    /// payload already stored (the platform's summary, e.g. the villager's contact).
    pub fn upsert_application_in(
        &self,
        tx: &Transaction<'_>,
        id: &str,
        product_id: &str,
        state: &str,
        payload_json: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let sealed = payload_json
            .map(|p| self.seal("applications", id, p.as_bytes()))
            .transpose()?;
        tx.execute(
            "INSERT INTO applications (id, product_id, state, sealed_payload, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET product_id = excluded.product_id, state = excluded.state,
               sealed_payload = COALESCE(excluded.sealed_payload, applications.sealed_payload),
               updated_at = excluded.updated_at",
            params![id, product_id, state, sealed, ms(now)],
        )?;
        Ok(())
    }

    /// Removes the local copy of an application and its events (e.g. it was reassigned to
    /// another manager and is no longer this phone's to see).
    pub fn delete_application_in(&self, tx: &Transaction<'_>, id: &str) -> Result<(), StoreError> {
        tx.execute(
            "DELETE FROM application_events WHERE application_id = ?1",
            [id],
        )?;
        tx.execute("DELETE FROM applications WHERE id = ?1", [id])?;
        Ok(())
    }

    /// One application's local copy.
    pub fn application(&self, id: &str) -> Result<Option<ApplicationRow>, StoreError> {
        Ok(self.applications()?.into_iter().find(|a| a.id == id))
    }

    /// Every application, most recently changed first.
    pub fn applications(&self) -> Result<Vec<ApplicationRow>, StoreError> {
        type Raw = (String, String, String, Option<Vec<u8>>, i64);
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt =
                conn.prepare("SELECT id, product_id, state, sealed_payload, updated_at FROM applications ORDER BY updated_at DESC, id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        rows.into_iter()
            .map(|(id, product_id, state, sealed, at)| {
                let payload_json = sealed
                    .map(|s| self.open_text("applications", &id, &s))
                    .transpose()?;
                Ok(ApplicationRow {
                    id,
                    product_id,
                    state,
                    payload_json,
                    updated_at: ts(at)?,
                })
            })
            .collect()
    }

    /// Appends an event to an application's timeline (an existing `seq` is left as it is, so a
    /// re-delivered event is harmless). Returns whether it was new.
    pub fn append_event(
        &self,
        application_id: &str,
        seq: i64,
        event_json: &str,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.write(|tx| self.append_event_in(tx, application_id, seq, event_json, at, false))
    }

    /// [`Store::append_event`] inside a caller's transaction; `local` marks an event the phone
    /// decided itself that the platform has not confirmed yet.
    pub fn append_event_in(
        &self,
        tx: &Transaction<'_>,
        application_id: &str,
        seq: i64,
        event_json: &str,
        at: jiff::Timestamp,
        local: bool,
    ) -> Result<bool, StoreError> {
        let (sealed, clear) = if super::clear::event_is_clear(event_json) {
            (Vec::new(), Some(event_json))
        } else {
            let sealed = self.seal(
                "application_events",
                &format!("{application_id}/{seq}"),
                event_json.as_bytes(),
            )?;
            (sealed, None)
        };
        let n = tx.execute(
            "INSERT INTO application_events (application_id, seq, sealed_event, clear_event, at, local) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(application_id, seq) DO NOTHING",
            params![application_id, seq, sealed, clear, ms(at), local],
        )?;
        Ok(n > 0)
    }

    /// Drops every event of an application (inside a caller's transaction), before the
    /// platform's confirmed history is written in their place.
    pub fn clear_events_in(
        &self,
        tx: &Transaction<'_>,
        application_id: &str,
    ) -> Result<(), StoreError> {
        tx.execute(
            "DELETE FROM application_events WHERE application_id = ?1",
            [application_id],
        )?;
        Ok(())
    }

    /// An application's events in order.
    pub fn events(&self, application_id: &str) -> Result<Vec<EventRow>, StoreError> {
        let rows = self.read(|conn| event_rows(conn, application_id))?;
        self.open_events(application_id, rows)
    }

    /// [`Store::events`] inside a caller's transaction (sees its uncommitted writes).
    pub fn events_in(
        &self,
        tx: &Transaction<'_>,
        application_id: &str,
    ) -> Result<Vec<EventRow>, StoreError> {
        let rows = event_rows(tx, application_id)?;
        self.open_events(application_id, rows)
    }

    fn open_events(
        &self,
        application_id: &str,
        rows: Vec<RawEvent>,
    ) -> Result<Vec<EventRow>, StoreError> {
        rows.into_iter()
            .map(|(seq, event, at, local)| {
                let event_json = match event {
                    Payload::Clear(text) => Zeroizing::new(text),
                    Payload::Sealed(sealed) => self.open_text(
                        "application_events",
                        &format!("{application_id}/{seq}"),
                        &sealed,
                    )?,
                };
                Ok(EventRow {
                    application_id: application_id.to_owned(),
                    seq,
                    event_json,
                    at: ts(at)?,
                    local,
                })
            })
            .collect()
    }

    /// Creates or replaces a manager task.
    pub fn upsert_task(&self, task: &TaskRow) -> Result<(), StoreError> {
        let sealed = task
            .payload_json
            .as_ref()
            .map(|p| self.seal("manager_tasks", &task.id, p.as_bytes()))
            .transpose()?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO manager_tasks (id, application_id, kind, state, due_at, sealed_payload, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET application_id = excluded.application_id, kind = excluded.kind,
                   state = excluded.state, due_at = excluded.due_at, sealed_payload = excluded.sealed_payload,
                   updated_at = excluded.updated_at",
                params![task.id, task.application_id, task.kind, task.state, task.due_at.map(ms), sealed, ms(task.updated_at)],
            )?;
            Ok(())
        })
    }

    /// Every manager task, the earliest due first (tasks without a due time last).
    pub fn tasks(&self) -> Result<Vec<TaskRow>, StoreError> {
        type Raw = (
            String,
            String,
            String,
            String,
            Option<i64>,
            Option<Vec<u8>>,
            i64,
        );
        let rows: Vec<Raw> = self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, application_id, kind, state, due_at, sealed_payload, updated_at FROM manager_tasks
                 ORDER BY due_at IS NULL, due_at, id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        rows.into_iter()
            .map(|(id, application_id, kind, state, due, sealed, at)| {
                let payload_json = sealed
                    .map(|s| self.open_text("manager_tasks", &id, &s))
                    .transpose()?;
                Ok(TaskRow {
                    id,
                    application_id,
                    kind,
                    state,
                    due_at: due.map(ts).transpose()?,
                    payload_json,
                    updated_at: ts(at)?,
                })
            })
            .collect()
    }

    /// Records a document captured in the vault.
    pub fn record_document(
        &self,
        info: &DocumentInfo,
        application_id: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(|tx| self.record_document_in(tx, info, application_id, now))
    }

    /// [`Store::record_document`] inside a caller's transaction.
    pub fn record_document_in(
        &self,
        tx: &Transaction<'_>,
        info: &DocumentInfo,
        application_id: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let size = i64::try_from(info.size_bytes)
            .map_err(|_| StoreError::Invalid("document size".into()))?;
        tx.execute(
            "INSERT INTO documents (id, kind, media, application_id, size_bytes, sha256, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET application_id = excluded.application_id",
            params![info.id.to_string(), info.kind.code(), info.media.code(), application_id, size, info.sha256, ms(now)],
        )?;
        Ok(())
    }

    /// Remembers the platform's upload of a document (to resume it after a dropped connection).
    pub fn set_document_upload(&self, id: uuid::Uuid, upload_id: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE documents SET upload_id = ?2 WHERE id = ?1",
                params![id.to_string(), upload_id],
            )?;
            Ok(())
        })
    }

    /// The platform checked the document's SHA-256 and stored it.
    pub fn mark_document_uploaded(
        &self,
        id: uuid::Uuid,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE documents SET uploaded_at = ?2 WHERE id = ?1",
                params![id.to_string(), ms(now)],
            )?;
            Ok(())
        })
    }

    /// Forgets a document's metadata (after the vault removed it).
    pub fn forget_document(&self, id: uuid::Uuid) -> Result<bool, StoreError> {
        self.write(|tx| self.forget_document_in(tx, id))
    }

    /// [`Store::forget_document`] inside a caller's transaction.
    pub fn forget_document_in(
        &self,
        tx: &Transaction<'_>,
        id: uuid::Uuid,
    ) -> Result<bool, StoreError> {
        Ok(tx.execute("DELETE FROM documents WHERE id = ?1", [id.to_string()])? > 0)
    }

    /// The checklist of a product's required documents for one application: what is captured
    /// and what is still missing (see [`crate::domain::documents::checklist`]).
    pub fn document_checklist(
        &self,
        application_id: &str,
        required: &[DocumentKind],
    ) -> Result<Vec<crate::domain::documents::ChecklistItem>, StoreError> {
        let captured: Vec<DocumentKind> = self
            .documents(Some(application_id))?
            .iter()
            .map(|d| d.kind)
            .collect();
        Ok(crate::domain::documents::checklist(required, &captured))
    }

    /// Document metadata, oldest first; only one application's when `application_id` is given.
    pub fn documents(&self, application_id: Option<&str>) -> Result<Vec<DocumentRow>, StoreError> {
        self.read(|conn| document_rows(conn, application_id))
    }

    /// [`Store::documents`] inside a caller's transaction.
    pub fn documents_in(
        &self,
        tx: &Transaction<'_>,
        application_id: Option<&str>,
    ) -> Result<Vec<DocumentRow>, StoreError> {
        document_rows(tx, application_id)
    }
}

fn document_rows(
    conn: &rusqlite::Connection,
    application_id: Option<&str>,
) -> Result<Vec<DocumentRow>, StoreError> {
    type Raw = (
        String,
        String,
        String,
        Option<String>,
        i64,
        String,
        i64,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Raw> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, kind, media, application_id, size_bytes, sha256, created_at, upload_id, uploaded_at FROM documents
             WHERE ?1 IS NULL OR application_id = ?1 ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([application_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    rows.into_iter()
        .map(
            |(id, kind, media, application_id, size, sha256, at, upload_id, uploaded)| {
                Ok(DocumentRow {
                    id: uuid::Uuid::parse_str(&id)
                        .map_err(|e| StoreError::Invalid(format!("document id {id}: {e}")))?,
                    kind: DocumentKind::from_code(&kind)
                        .ok_or_else(|| StoreError::Invalid(format!("document kind {kind}")))?,
                    media: media_from_code(&media)
                        .ok_or_else(|| StoreError::Invalid(format!("media {media}")))?,
                    application_id,
                    size_bytes: u64::try_from(size)
                        .map_err(|_| StoreError::Invalid("document size".into()))?,
                    sha256,
                    created_at: ts(at)?,
                    upload_id,
                    uploaded_at: uploaded.map(ts).transpose()?,
                })
            },
        )
        .collect()
}
