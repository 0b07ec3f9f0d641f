//! The device store's side of the reset after a lost install key.
//!
//! Owns which rows survive a lost key and the record of what was lost (the `meta` row
//! [`LAST_RESET`], JSON). Every personal field of the store is sealed with the install key, so
//! with the key gone no sealed field can be opened again; what survives is what the store holds
//! in the clear and is still true: the records of documents the platform already holds, the
//! cached catalog, and whose data this phone holds. Everything sealed under the lost key goes:
//! drafts, the local copies of applications with their events (the platform's copies come
//! back with the next sync after signing in), manager tasks, the outbox (its payloads), the
//! session's token and profile. It must never keep a row that can no longer be opened, never
//! record personal data in the loss record (only counts, document kinds and application ids),
//! and never run outside one transaction.

use super::records::{ms, ts};
use super::session::meta;
use super::{Store, StoreError};
use crate::domain::documents::DocumentKind;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

/// The `meta` key of the record of the last reset.
pub const LAST_RESET: &str = "vault.last_reset";

/// What a reset after a lost install key removed and kept. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossRecord {
    /// When the reset ran (ms since the Unix epoch).
    pub at_ms: i64,
    /// Documents kept on the phone and not uploaded yet: removed, to be taken again.
    pub documents_removed: u32,
    /// Their kinds (wire codes), one per removed document, sorted by code.
    pub kinds_removed: Vec<String>,
    /// The applications those documents belonged to.
    pub applications_affected: Vec<String>,
    /// Documents the platform already holds: their records stay, the checklist stays satisfied.
    pub documents_kept: u32,
    /// Drafts removed (sealed under the lost key).
    pub drafts_removed: u32,
    /// Unsent actions removed from the outbox (document uploads among them counted apart).
    pub commands_removed: u32,
    /// Of those, queued document uploads.
    pub uploads_removed: u32,
    /// Local applications the platform never confirmed: gone for good.
    pub applications_unsent: u32,
}

impl LossRecord {
    /// The kinds of the removed documents, typed (unknown codes skipped).
    pub fn kinds(&self) -> Vec<DocumentKind> {
        self.kinds_removed
            .iter()
            .filter_map(|k| DocumentKind::from_code(k))
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.documents_removed == 0
            && self.drafts_removed == 0
            && self.commands_removed == 0
            && self.applications_unsent == 0
    }
}

fn count(tx: &Transaction<'_>, sql: &str) -> Result<u32, StoreError> {
    let n: i64 = tx.query_row(sql, [], |r| r.get(0))?;
    u32::try_from(n).map_err(|_| StoreError::Invalid(format!("count {n}")))
}

/// The documents not on the platform: (kind, application) of each.
fn lost_documents(tx: &Transaction<'_>) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let mut stmt = tx.prepare(
        "SELECT kind, application_id FROM documents WHERE uploaded_at IS NULL ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl Store {
    /// Removes, in ONE transaction, every row sealed under a lost install key and every record
    /// of a document that was not uploaded, keeps the records of uploaded documents, signs the
    /// user out (the session keeps only whose data this is, its profile sealed anew with this
    /// store's key: the new one) and records what was lost.
    ///
    /// Run twice (a reset killed before its new key was written runs again), the second run
    /// finds nothing sealed to remove and keeps the first run's record.
    pub fn reset_after_key_loss(&self, now: jiff::Timestamp) -> Result<LossRecord, StoreError> {
        let owner: Option<(String, String)> = self.read(|conn| {
            Ok(conn
                .query_row("SELECT user_id, role FROM session WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?)
        })?;
        let profile = owner
            .map(|(user, role)| {
                let json = serde_json::json!({"id": user, "role": role, "name": "", "phone": ""});
                self.seal(
                    "session",
                    &format!("{user}/profile"),
                    json.to_string().as_bytes(),
                )
            })
            .transpose()?;
        self.write(|tx| {
            let lost = lost_documents(tx)?;
            let mut applications: Vec<String> =
                lost.iter().filter_map(|(_, a)| a.clone()).collect();
            applications.sort();
            applications.dedup();
            // Sorted by code: documents made in the same millisecond have no order of their own.
            let mut kinds: Vec<String> = lost.iter().map(|(k, _)| k.clone()).collect();
            kinds.sort();
            let record = LossRecord {
                at_ms: ms(now),
                documents_removed: u32::try_from(lost.len()).unwrap_or(u32::MAX),
                kinds_removed: kinds,
                applications_affected: applications,
                documents_kept: count(tx, "SELECT COUNT(*) FROM documents WHERE uploaded_at IS NOT NULL")?,
                drafts_removed: count(tx, "SELECT COUNT(*) FROM drafts")?,
                commands_removed: count(tx, "SELECT COUNT(*) FROM outbox WHERE state != 'done'")?,
                uploads_removed: count(
                    tx,
                    "SELECT COUNT(*) FROM outbox WHERE state != 'done' AND kind = 'upload_document'",
                )?,
                applications_unsent: count(
                    tx,
                    "SELECT COUNT(*) FROM applications a WHERE NOT EXISTS
                     (SELECT 1 FROM application_events e WHERE e.application_id = a.id AND e.local = 0)",
                )?,
            };
            tx.execute_batch(
                "DELETE FROM documents WHERE uploaded_at IS NULL;
                 DELETE FROM application_events; DELETE FROM applications;
                 DELETE FROM manager_tasks; DELETE FROM drafts; DELETE FROM outbox;",
            )?;
            // The local copies are gone: the next sync lists everything anew.
            for key in [meta::FEED_CURSOR, meta::LAST_EVENT_ID] {
                tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
            }
            match &profile {
                Some(sealed) => {
                    tx.execute(
                        "UPDATE session SET sealed_profile = ?1, sealed_token = NULL, expired = 0, updated_at = ?2 WHERE id = 1",
                        params![sealed, ms(now)],
                    )?;
                }
                None => {
                    tx.execute("DELETE FROM session", [])?;
                }
            }
            let previous = last_reset_in(tx)?;
            if let Some(previous) = previous.filter(|_| record.is_empty()) {
                return Ok(previous);
            }
            let json = serde_json::to_string(&record)
                .map_err(|e| StoreError::Invalid(format!("loss record: {e}")))?;
            self.set_meta_in(tx, LAST_RESET, &json)?;
            Ok(record)
        })
    }

    /// What the last reset after a lost key removed and kept, if there was one.
    pub fn last_reset(&self) -> Result<Option<LossRecord>, StoreError> {
        self.read(last_reset_in)
    }
}

fn last_reset_in(conn: &rusqlite::Connection) -> Result<Option<LossRecord>, StoreError> {
    let json: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [LAST_RESET], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(json) = json else {
        return Ok(None);
    };
    let record: LossRecord = serde_json::from_str(&json)
        .map_err(|e| StoreError::Invalid(format!("loss record: {e}")))?;
    ts(record.at_ms)?;
    Ok(Some(record))
}
