//! Idempotent submission: the answer kept per (user, key), given again for a retry.
//! Must never answer a retry with anything but the first answer.

use crate::error::ApiError;
use crate::repo::{IdempotencyKeys, KeptAnswer};
use crate::sql::Tx;
use huoshui_core::wire::ApplicationView;
use jiff::Timestamp;

/// The stored answer for (user, key), if any. The same key with another request is refused.
pub(super) fn prior_answer(
    conn: &Tx<'_>,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<Stored>, ApiError> {
    let Some(kept) = IdempotencyKeys::kept_answer(&mut { conn }, user_id, key)? else {
        return Ok(None);
    };
    if kept.request_hash != request_hash {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "同一个 Idempotency-Key 已用于另一个不同的请求，请换一个新的键",
            "this Idempotency-Key was already used with a different request; use a new key",
        ));
    }
    Ok(Some(Stored {
        status: kept.status,
        body: serde_json::from_str(&kept.response)?,
    }))
}

/// Stores the answer for (user, key) in the same transaction as the change it answers.
pub(super) fn store_answer(
    conn: &Tx<'_>,
    user_id: &str,
    key: &str,
    request_hash: &str,
    stored: &Stored,
    now: Timestamp,
) -> Result<(), ApiError> {
    let kept = KeptAnswer {
        request_hash: request_hash.to_owned(),
        status: stored.status,
        response: serde_json::to_string(&stored.body)?,
    };
    IdempotencyKeys::keep_answer(&mut { conn }, user_id, key, &kept, now.as_millisecond())
}

/// The answer to a command: the status and the view, stored for idempotent replay.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub body: ApplicationView,
}
