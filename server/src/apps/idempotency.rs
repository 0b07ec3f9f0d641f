//! Idempotent submission: the answer kept per (user, key), given again for a retry.
//! Must never answer a retry with anything but the first answer.

use crate::error::ApiError;
use huoshui_core::wire::ApplicationView;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// The stored answer for (user, key), if any. The same key with another request is refused.
pub(super) fn prior_answer(
    conn: &Connection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<Stored>, ApiError> {
    let prior: Option<(String, i64, String)> = conn
        .prepare_cached("SELECT request_hash, status, response FROM idempotency WHERE user_id = ?1 AND key = ?2")?
        .query_row(params![user_id, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((hash, status, body)) = prior else {
        return Ok(None);
    };
    if hash != request_hash {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "同一个 Idempotency-Key 已用于另一个不同的请求，请换一个新的键",
            "this Idempotency-Key was already used with a different request; use a new key",
        ));
    }
    Ok(Some(Stored {
        status: u16::try_from(status).unwrap_or(200),
        body: serde_json::from_str(&body)?,
    }))
}

/// Stores the answer for (user, key) in the same transaction as the change it answers.
pub(super) fn store_answer(
    conn: &Connection,
    user_id: &str,
    key: &str,
    request_hash: &str,
    stored: &Stored,
    now: Timestamp,
) -> Result<(), ApiError> {
    conn.prepare_cached(
        "INSERT INTO idempotency (user_id, key, request_hash, status, response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![user_id, key, request_hash, stored.status, serde_json::to_string(&stored.body)?, now.as_millisecond()])?;
    Ok(())
}

/// The answer to a command: the status and the view, stored for idempotent replay.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub body: ApplicationView,
}
