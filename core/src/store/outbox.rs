//! The outbox: commands the user issued (submit, withdraw, upload …) waiting to reach the server.
//!
//! Owns the durable queue and the retry decision. It must never send anything itself (the sync
//! client does), never read the clock (time and jitter come in as values), and never change a
//! command's idempotency key: it is created and saved in the same transaction that enqueues the
//! command, before the first send, and every retry reuses it, so the server applies the command
//! once however often it arrives.
//!
//! States: `pending` (due at `next_attempt_at`), `wedged` (gave up after
//! [`RetryPolicy::max_attempts`] or a permanent refusal; waits for the user to retry or drop
//! it), `done` (acknowledged by the server; kept until [`Store::purge_done`]).

use super::records::{ms, ts};
use super::{Store, StoreError};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Where a command is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Pending,
    Wedged,
    Done,
}

impl OutboxState {
    fn code(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Wedged => "wedged",
            OutboxState::Done => "done",
        }
    }

    fn from_code(code: &str) -> Result<OutboxState, StoreError> {
        match code {
            "pending" => Ok(OutboxState::Pending),
            "wedged" => Ok(OutboxState::Wedged),
            "done" => Ok(OutboxState::Done),
            other => Err(StoreError::Invalid(format!("outbox state {other}"))),
        }
    }
}

/// One command in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub idempotency_key: uuid::Uuid,
    pub kind: String,
    pub payload_json: Zeroizing<String>,
    pub attempts: u32,
    pub next_attempt_at: jiff::Timestamp,
    pub state: OutboxState,
    /// A short error code from the last failure (never personal data).
    pub last_error: Option<String>,
    pub created_at: jiff::Timestamp,
}

/// How a send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Network down, timeout, server busy: try again later.
    Transient,
    /// The server refused the command for good: wedge it at once.
    Permanent,
}

/// When to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base_ms: i64,
    /// Longest delay.
    pub max_ms: i64,
    /// After this many failed attempts the command is wedged.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base_ms: 2_000,
            max_ms: 3_600_000,
            max_attempts: 12,
        }
    }
}

impl RetryPolicy {
    /// The next attempt after `attempts` failures: `base · 2^(attempts-1)`, capped at `max`,
    /// then shortened by up to half at random (`jitter_permille` in 0..=1000, from the caller's
    /// random source) so that many phones coming back online do not retry in step.
    pub fn next_attempt_at(
        &self,
        attempts: u32,
        now: jiff::Timestamp,
        jitter_permille: u16,
    ) -> jiff::Timestamp {
        let shift = attempts.saturating_sub(1).min(30);
        let delay = self
            .base_ms
            .saturating_mul(1_i64 << shift)
            .min(self.max_ms)
            .max(0);
        let jitter = i64::from(jitter_permille.min(1000));
        let delay = delay - delay / 2 * jitter / 1000;
        let millis = now.as_millisecond().saturating_add(delay);
        jiff::Timestamp::from_millisecond(millis).unwrap_or(now)
    }
}

type RawItem = (
    i64,
    String,
    String,
    Payload,
    i64,
    i64,
    String,
    Option<String>,
    i64,
);

/// The outbox at a glance (the sync banner's numbers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting to be sent.
    pub pending: u32,
    /// Of those, the ones that failed at least once (no answer, or a temporary refusal).
    pub retrying: u32,
    /// Refused or given up: waiting for the user.
    pub wedged: u32,
}

const SELECT: &str = "SELECT id, idempotency_key, kind, sealed_payload, attempts, next_attempt_at, state, last_error, created_at, clear_payload FROM outbox";

/// A row's payload as stored: clear text (see [`super::clear`]) or sealed bytes.
pub(crate) enum Payload {
    Clear(String),
    Sealed(Vec<u8>),
}

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawItem> {
    let clear: Option<String> = r.get(9)?;
    let payload = match clear {
        Some(text) => Payload::Clear(text),
        None => Payload::Sealed(r.get(3)?),
    };
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        payload,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

impl Store {
    fn item(&self, raw: RawItem) -> Result<OutboxItem, StoreError> {
        let (id, key, kind, payload, attempts, next, state, last_error, created) = raw;
        let payload_json = match payload {
            Payload::Clear(text) => Zeroizing::new(text),
            Payload::Sealed(sealed) => self.open_text("outbox", &key, &sealed)?,
        };
        Ok(OutboxItem {
            id,
            idempotency_key: uuid::Uuid::parse_str(&key)
                .map_err(|e| StoreError::Invalid(format!("idempotency key: {e}")))?,
            payload_json,
            kind,
            attempts: u32::try_from(attempts)
                .map_err(|_| StoreError::Invalid("attempts".into()))?,
            next_attempt_at: ts(next)?,
            state: OutboxState::from_code(&state)?,
            last_error,
            created_at: ts(created)?,
        })
    }

    /// Enqueues a command inside a caller's transaction (so that, e.g., a local state change and
    /// its command commit together). The idempotency key is created here and saved now. The
    /// payload is kept clear when [`super::clear::command_keeping`] says the kind holds no free
    /// text and no personal data (it then survives a lost install key), sealed otherwise.
    pub fn enqueue_in(
        &self,
        tx: &Transaction<'_>,
        kind: &str,
        payload_json: &str,
        now: jiff::Timestamp,
    ) -> Result<(i64, uuid::Uuid), StoreError> {
        let key = uuid::Uuid::new_v4();
        let (sealed, clear) = if super::clear::command_is_clear(kind, payload_json) {
            (Vec::new(), Some(payload_json))
        } else {
            let sealed = self.seal("outbox", &key.to_string(), payload_json.as_bytes())?;
            (sealed, None)
        };
        tx.execute(
            "INSERT INTO outbox (idempotency_key, kind, sealed_payload, clear_payload, attempts, next_attempt_at, state, created_at)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, 'pending', ?5)",
            params![key.to_string(), kind, sealed, clear, ms(now)],
        )?;
        Ok((tx.last_insert_rowid(), key))
    }

    /// Enqueues a command in its own transaction; due at once.
    pub fn enqueue_command(
        &self,
        kind: &str,
        payload_json: &str,
        now: jiff::Timestamp,
    ) -> Result<(i64, uuid::Uuid), StoreError> {
        self.write(|tx| self.enqueue_in(tx, kind, payload_json, now))
    }

    /// Pending commands due at `now`, oldest first.
    pub fn due_commands(
        &self,
        now: jiff::Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<RawItem> = self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "{SELECT} WHERE state = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![ms(now), limit], raw)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        rows.into_iter().map(|r| self.item(r)).collect()
    }

    /// Every command not yet done (pending and wedged), in the order they were issued.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<RawItem> = self.read(|conn| {
            let mut stmt = conn.prepare(&format!("{SELECT} WHERE state != 'done' ORDER BY id"))?;
            let rows = stmt.query_map([], raw)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        rows.into_iter().map(|r| self.item(r)).collect()
    }

    /// Every command not yet done, read inside a caller's transaction (so that nothing
    /// enqueued meanwhile is missed).
    pub fn outbox_in(&self, tx: &Transaction<'_>) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<RawItem> = {
            let mut stmt = tx.prepare(&format!("{SELECT} WHERE state != 'done' ORDER BY id"))?;
            let rows = stmt.query_map([], raw)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        rows.into_iter().map(|r| self.item(r)).collect()
    }

    /// How many commands wait to be sent, how many of those failed at least once and are being
    /// retried, and how many wait for the user; one read.
    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        self.read(|conn| {
            let (pending, retrying, wedged): (i64, i64, i64) = conn.query_row(
                "SELECT COALESCE(SUM(state = 'pending'), 0),
                        COALESCE(SUM(state = 'pending' AND attempts > 0), 0),
                        COALESCE(SUM(state = 'wedged'), 0)
                 FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
            Ok(OutboxCounts {
                pending: count(pending),
                retrying: count(retrying),
                wedged: count(wedged),
            })
        })
    }

    /// The id of the newest command ever queued (0 when none).
    pub fn outbox_last_id(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            Ok(conn.query_row("SELECT COALESCE(MAX(id), 0) FROM outbox", [], |r| r.get(0))?)
        })
    }

    /// Whether a command queued at or before `id` is still pending.
    pub fn pending_upto(&self, id: i64) -> Result<bool, StoreError> {
        self.read(|conn| {
            Ok(conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND id <= ?1)",
                [id],
                |r| r.get(0),
            )?)
        })
    }

    /// [`Store::command_sent`] inside a caller's transaction.
    pub fn command_sent_in(&self, tx: &Transaction<'_>, id: i64) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE outbox SET state = 'done', last_error = NULL WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// One command by id, whatever its state.
    pub fn command(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        let row = self.read(|conn| {
            Ok(conn
                .query_row(&format!("{SELECT} WHERE id = ?1"), [id], raw)
                .optional()?)
        })?;
        row.map(|r| self.item(r)).transpose()
    }

    /// The server acknowledged the command.
    pub fn command_sent(&self, id: i64) -> Result<(), StoreError> {
        self.write(|tx| self.command_sent_in(tx, id))
    }

    /// A send failed: count the attempt and schedule the next one, or wedge the command.
    pub fn command_failed(
        &self,
        id: i64,
        failure: Failure,
        error_code: &str,
        now: jiff::Timestamp,
        jitter_permille: u16,
        policy: &RetryPolicy,
    ) -> Result<OutboxState, StoreError> {
        self.write(|tx| {
            let attempts: i64 = tx.query_row("SELECT attempts FROM outbox WHERE id = ?1", [id], |r| r.get(0))?;
            let attempts = u32::try_from(attempts).unwrap_or(u32::MAX).saturating_add(1);
            let state = if failure == Failure::Permanent || attempts >= policy.max_attempts {
                OutboxState::Wedged
            } else {
                OutboxState::Pending
            };
            let next = policy.next_attempt_at(attempts, now, jitter_permille);
            tx.execute(
                "UPDATE outbox SET attempts = ?2, next_attempt_at = ?3, state = ?4, last_error = ?5 WHERE id = ?1",
                params![id, attempts, ms(next), state.code(), error_code],
            )?;
            Ok(state)
        })
    }

    /// The user asked to try a wedged command again: due at once, attempts start over.
    pub fn retry_wedged(&self, id: i64, now: jiff::Timestamp) -> Result<bool, StoreError> {
        self.write(|tx| self.retry_wedged_in(tx, id, now))
    }

    /// [`Store::retry_wedged`] inside the caller's transaction.
    pub fn retry_wedged_in(
        &self,
        tx: &Transaction<'_>,
        id: i64,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let n = tx.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2 WHERE id = ?1 AND state = 'wedged'",
            params![id, ms(now)],
        )?;
        Ok(n > 0)
    }

    /// The user asked to sync: every pending command waiting for a retry is due now (the
    /// attempts already counted stay counted).
    pub fn make_due(&self, now: jiff::Timestamp) -> Result<usize, StoreError> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE outbox SET next_attempt_at = ?1 WHERE state = 'pending' AND next_attempt_at > ?1",
                [ms(now)],
            )?)
        })
    }

    /// Removes done commands acknowledged before `before` (by their creation time).
    pub fn purge_done(&self, before: jiff::Timestamp) -> Result<usize, StoreError> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM outbox WHERE state = 'done' AND created_at < ?1",
                [ms(before)],
            )?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_doubling_up_to_the_cap_and_jitter_only_shortens() {
        let p = RetryPolicy {
            base_ms: 1_000,
            max_ms: 10_000,
            max_attempts: 5,
        };
        let now =
            jiff::Timestamp::from_second(1_800_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let delay = |attempts, jitter| {
            p.next_attempt_at(attempts, now, jitter).as_millisecond() - now.as_millisecond()
        };
        assert_eq!(delay(1, 0), 1_000);
        assert_eq!(delay(2, 0), 2_000);
        assert_eq!(delay(4, 0), 8_000);
        assert_eq!(delay(5, 0), 10_000);
        assert_eq!(delay(60, 0), 10_000);
        assert_eq!(delay(5, 1000), 5_000);
        assert!(delay(3, 500) < delay(3, 0));
    }
}
