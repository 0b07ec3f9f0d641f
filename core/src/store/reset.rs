//! The device store's side of the reset after a lost install key.
//!
//! Owns which rows survive a lost key and the record of what was lost (the `meta` row
//! [`LAST_RESET`], JSON). Every personal field of the store is sealed with the install key, so
//! with the key gone no sealed field can be opened again; what survives is what the store holds
//! in the clear and is still true: the records of documents the platform already holds, the
//! cached catalog, whose data this phone holds, drafts and unsent submissions whose every
//! event is clear and that lost no document (with their drafts' extras), and the clear unsent
//! commands (see [`super::clear`]) with their idempotency keys, sent after signing in. What
//! goes: documents not on the platform, sealed commands (free text) and uploads, local
//! applications with a sealed event or a lost document together with their commands, the local
//! copies of the platform's applications (they come back with the next sync), manager tasks,
//! the session's token and profile. It must never keep a row that can no longer be opened,
//! never record personal data in the loss record (only counts, document kinds and application
//! ids), and never run outside one transaction.

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
    /// Drafts removed (sealed under the lost key, or with a document that went with it).
    pub drafts_removed: u32,
    /// Drafts kept (clear, without a lost document).
    #[serde(default)]
    pub drafts_kept: u32,
    /// Unsent actions removed from the outbox (document uploads among them counted apart).
    pub commands_removed: u32,
    /// Of those, queued document uploads.
    pub uploads_removed: u32,
    /// Unsent actions kept (clear), sent with their idempotency keys after signing in.
    #[serde(default)]
    pub commands_kept: u32,
    /// Local applications the platform never confirmed that were removed: gone for good.
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

fn count_kept(tx: &Transaction<'_>, sql: &str, kept: &str) -> Result<u32, StoreError> {
    let n: i64 = tx.query_row(sql, [kept], |r| r.get(0))?;
    u32::try_from(n).map_err(|_| StoreError::Invalid(format!("count {n}")))
}

fn ids(tx: &Transaction<'_>, sql: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The documents not on the platform: (kind, application) of each.
fn lost_documents(tx: &Transaction<'_>) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let mut stmt = tx.prepare(
        "SELECT kind, application_id FROM documents WHERE uploaded_at IS NULL ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Applications only this phone knows (no event confirmed by the platform).
const LOCAL_APPLICATIONS: &str = "SELECT a.id FROM applications a WHERE NOT EXISTS
    (SELECT 1 FROM application_events e WHERE e.application_id = a.id AND e.local = 0) ORDER BY a.id";

/// Of those, the ones that survive: every event clear, no sealed summary, no document that
/// goes with the key, and either a draft or a submission whose clear `submit` command still
/// waits (so nothing kept is stranded without the command that sends it).
const KEPT_APPLICATIONS: &str = "SELECT a.id FROM applications a WHERE a.sealed_payload IS NULL
    AND (a.state = 'draft' OR EXISTS (SELECT 1 FROM outbox o WHERE o.state != 'done'
         AND o.kind = 'submit' AND json_extract(o.clear_payload, '$.id') = a.id))
    AND EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id)
    AND NOT EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id
                    AND (e.local = 0 OR e.clear_event IS NULL))
    AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.uploaded_at IS NULL)
    ORDER BY a.id";

/// The unsent commands that go: (row id, whether it is a document upload). Sealed ones cannot
/// be read; uploads lose their document; the others go with a local application that goes.
/// Clear commands for applications the platform holds stay, to be sent after signing in.
fn lost_commands(tx: &Transaction<'_>, dropped: &[String]) -> Result<Vec<(i64, bool)>, StoreError> {
    let mut stmt =
        tx.prepare("SELECT id, kind, clear_payload FROM outbox WHERE state != 'done' ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut lost = Vec::new();
    for row in rows {
        let (id, kind, clear) = row?;
        let upload = kind == "upload_document";
        let target = clear
            .as_deref()
            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
            .and_then(|v| {
                v.get("application_id")
                    .or_else(|| v.get("id"))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            });
        let goes_with_application = target.is_some_and(|t| dropped.contains(&t));
        if clear.is_none() || upload || goes_with_application {
            lost.push((id, upload));
        }
    }
    Ok(lost)
}

/// What the reset removes and keeps, counted before anything is removed.
struct Plan {
    record: LossRecord,
    /// The kept applications' ids, as a JSON array (for `json_each`).
    kept_json: String,
    lost_commands: Vec<i64>,
}

fn plan(tx: &Transaction<'_>, now: jiff::Timestamp) -> Result<Plan, StoreError> {
    let lost = lost_documents(tx)?;
    let mut applications: Vec<String> = lost.iter().filter_map(|(_, a)| a.clone()).collect();
    applications.sort();
    applications.dedup();
    // Sorted by code: documents made in the same millisecond have no order of their own.
    let mut kinds: Vec<String> = lost.iter().map(|(k, _)| k.clone()).collect();
    kinds.sort();
    let local = ids(tx, LOCAL_APPLICATIONS)?;
    let kept = ids(tx, KEPT_APPLICATIONS)?;
    let dropped: Vec<String> = local.into_iter().filter(|a| !kept.contains(a)).collect();
    let commands = lost_commands(tx, &dropped)?;
    let kept_json = serde_json::to_string(&kept)
        .map_err(|e| StoreError::Invalid(format!("kept applications: {e}")))?;
    let pending = count(tx, "SELECT COUNT(*) FROM outbox WHERE state != 'done'")?;
    let lost_n = u32::try_from(commands.len()).unwrap_or(u32::MAX);
    let drafts_sql = "SELECT COUNT(*) FROM drafts WHERE id IN (SELECT value FROM json_each(?1))";
    let drafts_kept = count_kept(tx, drafts_sql, &kept_json)?;
    let record = LossRecord {
        at_ms: ms(now),
        documents_removed: u32::try_from(lost.len()).unwrap_or(u32::MAX),
        kinds_removed: kinds,
        applications_affected: applications,
        documents_kept: count(
            tx,
            "SELECT COUNT(*) FROM documents WHERE uploaded_at IS NOT NULL",
        )?,
        drafts_removed: count(tx, "SELECT COUNT(*) FROM drafts")?.saturating_sub(drafts_kept),
        drafts_kept,
        commands_removed: lost_n,
        uploads_removed: u32::try_from(commands.iter().filter(|(_, u)| *u).count())
            .unwrap_or(u32::MAX),
        commands_kept: pending.saturating_sub(lost_n),
        applications_unsent: u32::try_from(dropped.len()).unwrap_or(u32::MAX),
    };
    Ok(Plan {
        record,
        kept_json,
        lost_commands: commands.into_iter().map(|(id, _)| id).collect(),
    })
}

/// Removes what the plan says goes, keeps the rest.
fn remove(tx: &Transaction<'_>, plan: &Plan) -> Result<(), StoreError> {
    let kept = plan.kept_json.as_str();
    tx.execute_batch(
        "DELETE FROM documents WHERE uploaded_at IS NULL;
         DELETE FROM manager_tasks; DELETE FROM outbox WHERE state = 'done';",
    )?;
    for sql in [
        "DELETE FROM application_events WHERE application_id NOT IN (SELECT value FROM json_each(?1))",
        "DELETE FROM applications WHERE id NOT IN (SELECT value FROM json_each(?1))",
        "DELETE FROM drafts WHERE id NOT IN (SELECT value FROM json_each(?1))",
    ] {
        tx.execute(sql, [kept])?;
    }
    for id in &plan.lost_commands {
        tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
    }
    // The local copies are gone: the next sync lists everything anew.
    for key in [meta::FEED_CURSOR, meta::LAST_EVENT_ID] {
        tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    }
    Ok(())
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
            let plan = plan(tx, now)?;
            remove(tx, &plan)?;
            let record = plan.record;
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
