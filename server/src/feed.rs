//! Each user's live feed: every stream message addressed to them, one row per recipient in the
//! `feed` table, written INSIDE the transaction of the change it announces (so a message exists
//! exactly when its change does). The row's id is the SSE `id:`; a client that reconnects with
//! `Last-Event-ID` is sent the rows after it, then the live ones, in id order, without gap or
//! duplicate. Rows older than [`KEEP_DAYS`] days are pruned by the SLA sweep.
//!
//! Owns the table and its reads. Ids are global and grow with every commit of the single writer,
//! so once a row is visible every row with a smaller id is too: a reader that asks for "after
//! my last id" never skips a row that commits later. Must never hold personal data (ids and
//! states only, like the messages themselves).

use crate::error::ApiError;
use crate::hub::{Notice, Published};
use crate::sql::{Backend, OptionalExtension, Tx, params};
use huoshui_core::wire::StreamMessage;

/// How long a message can be replayed.
pub const KEEP_DAYS: i64 = 7;

/// Most rows sent in one read of the backlog (the stream reads again until it has caught up).
pub const PAGE: u32 = 256;

/// One row of a user's feed.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub message: StreamMessage,
}

/// Writes `notice` once for each of its recipients (duplicates dropped); answers who got which id.
pub fn record(conn: &Tx<'_>, notice: &Notice, at_ms: i64) -> Result<Published, ApiError> {
    let message = serde_json::to_string(&notice.message)?;
    let mut entries: Vec<(String, i64)> = Vec::with_capacity(notice.recipients.len());
    for user in &notice.recipients {
        if entries.iter().any(|(u, _)| u == user) {
            continue;
        }
        let id: i64 = conn.query_row(
            "INSERT INTO feed (user_id, topic, message, at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
            params![user, notice.message.topic.code(), message, at_ms],
            |r| r.get(0),
        )?;
        entries.push((user.clone(), id));
    }
    // Several nodes (PostgreSQL): every node's feed listener hears of the rows at the commit.
    if let Some(newest) = entries.iter().map(|(_, id)| *id).max()
        && conn.backend() == crate::sql::Backend::Postgres
    {
        crate::live_nodes::announce(conn, newest)?;
    }
    Ok(Published { entries })
}

/// The rows of `user_id` after `last`, oldest first, at most [`PAGE`].
pub fn after(conn: &Tx<'_>, user_id: &str, last: i64) -> Result<Vec<Row>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, message FROM feed WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![user_id, last, PAGE], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (id, text) = r?;
        out.push(Row {
            id,
            message: serde_json::from_str(&text)?,
        });
    }
    Ok(out)
}

/// The newest id of the whole feed (0 when empty): a stream without `Last-Event-ID` starts
/// after it.
pub fn newest(conn: &Tx<'_>) -> Result<i64, ApiError> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM feed")?
        .query_row([], |r| r.get(0))?)
}

/// Whether rows after `last` may have been pruned already (the client must pull everything).
pub fn pruned_after(conn: &Tx<'_>, last: i64) -> Result<bool, ApiError> {
    let oldest: Option<i64> = conn
        .prepare_cached("SELECT MIN(id) FROM feed")?
        .query_row([], |r| r.get(0))?;
    // The last id ever issued lives in each engine's own catalogue (no common form).
    let last_issued = match conn.backend() {
        Backend::Sqlite => "SELECT seq FROM sqlite_sequence WHERE name = 'feed'",
        Backend::Postgres => {
            "SELECT last_value FROM pg_sequences
             WHERE schemaname = current_schema() AND sequencename = 'feed_id_seq'"
        }
    };
    let issued: i64 = conn
        .prepare_cached(last_issued)?
        .query_row([], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .unwrap_or(0);
    Ok(match oldest {
        Some(oldest) => last.saturating_add(1) < oldest,
        None => last < issued,
    })
}

/// Whether any row is older than `before_ms` (a cheap read before a prune).
pub fn has_older(conn: &Tx<'_>, before_ms: i64) -> Result<bool, ApiError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM feed WHERE at < ?1 LIMIT 1")?
        .query_row(params![before_ms], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Deletes the rows older than `before_ms`; answers how many.
pub fn prune(conn: &Tx<'_>, before_ms: i64) -> Result<usize, ApiError> {
    Ok(conn
        .prepare_cached("DELETE FROM feed WHERE at < ?1")?
        .execute(params![before_ms])?)
}
