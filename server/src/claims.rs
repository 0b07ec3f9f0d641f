//! Effects outside the database (a text message, a push), performed once across nodes
//! (issue 13). Owns the `outbox` table and the claim/lease protocol over it; what an effect
//! does is its owner's business ([`crate::ladder`] performs the ladder's).
//!
//! An effect is decided in the write that makes it due: that write inserts its row, unique on
//! `(subject, effect, recipient)`, so deciding twice enqueues once. Any node then claims due
//! rows in a short transaction of its own: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`
//! outside the nodes' global write lock ([`crate::db::Db::claim_tx`]), so two nodes claiming
//! at once take disjoint rows and never wait for each other; on SQLite the single writer
//! serializes the claim. A claim stamps `claimed_by` and `lease_until`; the node performs the
//! effect and marks the row done. A node killed after its claim loses nothing: once the lease
//! has expired, another node claims the row again. The one window left is a kill after the
//! effect and before the mark: then the effect is performed a second time after the lease
//! (at least once, never lost).
//!
//! Must never store a phone number or any personal data in the outbox (only ids: the
//! performer opens what it needs at the time of sending), and never perform an effect it has
//! not claimed.

use crate::error::ApiError;
use crate::sql::{Backend, Tx, params};

/// SQLite schema (v10): the due effects (`IF NOT EXISTS`: a database rewound to an older
/// `user_version` migrates again cleanly).
pub const SCHEMA_SQLITE: &str = "
    CREATE TABLE IF NOT EXISTS outbox (
        subject TEXT NOT NULL,
        effect TEXT NOT NULL,
        recipient TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        claimed_by TEXT,
        lease_until INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        done_at INTEGER,
        outcome TEXT,
        PRIMARY KEY (subject, effect, recipient)
    );
    CREATE INDEX IF NOT EXISTS outbox_due ON outbox (due_at) WHERE done_at IS NULL;
    CREATE INDEX IF NOT EXISTS outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;
";

/// PostgreSQL schema (v7): the same table.
pub const SCHEMA_PG: &str = "
    CREATE TABLE IF NOT EXISTS outbox (
        subject TEXT NOT NULL,
        effect TEXT NOT NULL,
        recipient TEXT NOT NULL,
        due_at BIGINT NOT NULL,
        claimed_by TEXT,
        lease_until BIGINT,
        attempts BIGINT NOT NULL DEFAULT 0,
        done_at BIGINT,
        outcome TEXT,
        PRIMARY KEY (subject, effect, recipient)
    );
    CREATE INDEX IF NOT EXISTS outbox_due ON outbox (due_at) WHERE done_at IS NULL;
    CREATE INDEX IF NOT EXISTS outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;
";

/// How long a claim is held before another node may take the effect again: longer than any
/// send with its retries (a vendor's timeout is at most two minutes).
pub const LEASE_MS: i64 = 5 * 60_000;

/// How long after a failed attempt the effect is tried again (by any node).
pub const RETRY_MS: i64 = 60_000;

/// Attempts before an effect is given up (recorded as `gave_up`).
pub const MAX_ATTEMPTS: i64 = 5;

/// Most effects one claim takes.
pub const BATCH: i64 = 100;

/// One effect a node has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub subject: String,
    pub effect: String,
    pub recipient: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// Who claimed it (this claim's own stamp).
    pub claimed_by: String,
}

/// What performing an effect came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (sent, or handed to the vendor).
    Done,
    /// Nothing to do (e.g. no phone on record); never tried again.
    Skipped,
    /// Failed this time; tried again after [`RETRY_MS`], up to [`MAX_ATTEMPTS`].
    Failed,
}

/// Inside the write that decides it: makes the effect due at `due_at`. True if this call
/// enqueued it (an effect already enqueued, done or not, is left as it is).
pub fn enqueue(
    tx: &Tx<'_>,
    subject: &str,
    effect: &str,
    recipient: &str,
    due_at: i64,
) -> Result<bool, ApiError> {
    let n = tx
        .prepare_cached(
            "INSERT INTO outbox (subject, effect, recipient, due_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (subject, effect, recipient) DO NOTHING",
        )?
        .execute(params![subject, effect, recipient, due_at])?;
    Ok(n == 1)
}

/// Inside the write that decides it: enqueues the effect already claimed by `claimed_by` (the
/// node that will perform it right after the commit), leased until `now_ms + LEASE_MS`.
/// Answers the claim, or `None` if the effect was enqueued before.
pub fn enqueue_claimed(
    tx: &Tx<'_>,
    subject: &str,
    effect: &str,
    recipient: &str,
    now_ms: i64,
    claimed_by: &str,
) -> Result<Option<Claimed>, ApiError> {
    let n = tx
        .prepare_cached(
            "INSERT INTO outbox (subject, effect, recipient, due_at, claimed_by, lease_until,
                 attempts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
             ON CONFLICT (subject, effect, recipient) DO NOTHING",
        )?
        .execute(params![
            subject,
            effect,
            recipient,
            now_ms,
            claimed_by,
            now_ms.saturating_add(LEASE_MS)
        ])?;
    Ok((n == 1).then(|| Claimed {
        subject: subject.to_owned(),
        effect: effect.to_owned(),
        recipient: recipient.to_owned(),
        attempts: 1,
        claimed_by: claimed_by.to_owned(),
    }))
}

/// Whether any effect is due and unclaimed at `now_ms` (a read, so an idle sweep writes
/// nothing).
pub fn any_due(tx: &Tx<'_>, now_ms: i64) -> Result<bool, ApiError> {
    let found: Vec<i64> = tx
        .prepare_cached(
            "SELECT 1 FROM outbox WHERE done_at IS NULL AND due_at <= ?1
               AND (lease_until IS NULL OR lease_until <= ?1) LIMIT 1",
        )?
        .query_map(params![now_ms], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(!found.is_empty())
}

/// Claims up to `limit` effects due at `now_ms` whose lease (if any) has expired, for
/// `claimed_by`, until `now_ms + LEASE_MS`. Run it in [`crate::db::Db::claim_tx`].
pub fn claim_due(
    tx: &Tx<'_>,
    claimed_by: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>, ApiError> {
    // The row locks are PostgreSQL's alone (SQLite has no FOR UPDATE: its single writer
    // already serializes the claim); SKIP LOCKED lets a second node take other rows at once.
    let sql = match tx.backend() {
        Backend::Sqlite => CLAIM_SELECT.to_owned(),
        Backend::Postgres => format!("{CLAIM_SELECT} FOR UPDATE SKIP LOCKED"),
    };
    let due: Vec<(String, String, String, i64)> = tx
        .prepare_cached(&sql)?
        .query_map(params![now_ms, limit], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let lease = now_ms.saturating_add(LEASE_MS);
    let mut out = Vec::with_capacity(due.len());
    for (subject, effect, recipient, attempts) in due {
        tx.prepare_cached(
            "UPDATE outbox SET claimed_by = ?4, lease_until = ?5, attempts = attempts + 1
             WHERE subject = ?1 AND effect = ?2 AND recipient = ?3",
        )?
        .execute(params![subject, effect, recipient, claimed_by, lease])?;
        out.push(Claimed {
            subject,
            effect,
            recipient,
            attempts: attempts + 1,
            claimed_by: claimed_by.to_owned(),
        });
    }
    Ok(out)
}

const CLAIM_SELECT: &str = "SELECT subject, effect, recipient, attempts FROM outbox
    WHERE done_at IS NULL AND due_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
    ORDER BY due_at, subject, effect, recipient LIMIT ?2";

/// Records what performing `c` came to at `now_ms`: done or skipped for good; a failure
/// waits [`RETRY_MS`] (or is given up after [`MAX_ATTEMPTS`]). A failure only releases a
/// claim that is still this one's.
pub fn settle(tx: &Tx<'_>, c: &Claimed, outcome: Outcome, now_ms: i64) -> Result<(), ApiError> {
    let done = match outcome {
        Outcome::Done => Some("done"),
        Outcome::Skipped => Some("skipped"),
        Outcome::Failed if c.attempts >= MAX_ATTEMPTS => Some("gave_up"),
        Outcome::Failed => None,
    };
    if let Some(word) = done {
        tx.prepare_cached(
            "UPDATE outbox SET done_at = ?4, outcome = ?5
             WHERE subject = ?1 AND effect = ?2 AND recipient = ?3 AND done_at IS NULL",
        )?
        .execute(params![c.subject, c.effect, c.recipient, now_ms, word])?;
        return Ok(());
    }
    tx.prepare_cached(
        "UPDATE outbox SET claimed_by = NULL, lease_until = ?5
         WHERE subject = ?1 AND effect = ?2 AND recipient = ?3 AND claimed_by = ?4
           AND done_at IS NULL",
    )?
    .execute(params![
        c.subject,
        c.effect,
        c.recipient,
        c.claimed_by,
        now_ms.saturating_add(RETRY_MS)
    ])?;
    Ok(())
}

/// How long a finished effect is kept (its key still stops a second enqueue meanwhile; the
/// ladder's own steps in `ladder_steps` stop it for good).
pub const KEEP_DAYS: i64 = 30;

/// Deletes the effects finished before `before_ms` (a read first, so an idle sweep writes
/// nothing). Answers how many were deleted.
pub async fn prune(db: &crate::db::Db, before_ms: i64) -> Result<usize, ApiError> {
    let old: Vec<i64> = db
        .read(move |tx| {
            Ok(tx
                .prepare_cached("SELECT 1 FROM outbox WHERE done_at < ?1 LIMIT 1")?
                .query_map(params![before_ms], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
        })
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    db.claim_tx(move |tx| {
        Ok(tx
            .prepare_cached("DELETE FROM outbox WHERE done_at < ?1")?
            .execute(params![before_ms])?)
    })
    .await
}

/// A fresh claim stamp: the process and a random part, so two nodes (or two runs on one
/// node) never share one.
pub fn stamp() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("p{}-{}", std::process::id(), id.get(..12).unwrap_or(&id))
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    pub claimed: usize,
    pub done: usize,
    pub failed: usize,
}

/// Claims the effects due at `now_ms` on `db` and performs each with `perform` (side by side),
/// then records the outcomes; repeats while full batches come back. An idle run only reads.
pub async fn run<F, Fut>(db: &crate::db::Db, now_ms: i64, perform: F) -> Result<Ran, ApiError>
where
    F: Fn(Claimed) -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let mut ran = Ran::default();
    loop {
        if !db.read(move |tx| any_due(tx, now_ms)).await? {
            return Ok(ran);
        }
        let me = stamp();
        let claimed = db
            .claim_tx(move |tx| claim_due(tx, &me, now_ms, BATCH))
            .await?;
        let n = claimed.len();
        ran.claimed += n;
        let outcomes = futures_util::future::join_all(claimed.iter().cloned().map(&perform)).await;
        let settled: Vec<(Claimed, Outcome)> = claimed.into_iter().zip(outcomes).collect();
        ran.done += settled
            .iter()
            .filter(|(_, o)| *o != Outcome::Failed)
            .count();
        ran.failed += settled
            .iter()
            .filter(|(_, o)| *o == Outcome::Failed)
            .count();
        if !settled.is_empty() {
            db.claim_tx(move |tx| {
                for (c, o) in &settled {
                    settle(tx, c, *o, now_ms)?;
                }
                Ok(())
            })
            .await?;
        }
        if i64::try_from(n).unwrap_or(0) < BATCH {
            return Ok(ran);
        }
    }
}
