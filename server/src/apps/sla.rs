//! The SLA sweep: escalations claimed with the event that records them (never twice), and the
//! live feed pruned. Every node sweeps; the claim is exactly once across nodes because it is
//! made in a serialized write (one writer per SQLite file; on PostgreSQL every node's writer
//! takes the same advisory lock first) guarded by `escalated_at IS NULL`, so a second node
//! finds the escalation recorded and skips it. The effects outside the database that follow
//! (the administrators' pushes and texts) go through the outbox of `crate::claims` (see
//! `crate::ladder`).
//! Must never fire an escalation twice.

use super::{announce, collect, notice_for};
use super::{insert_event, lifecycle_error, load, save_projection};
use crate::accounts::{self};
use crate::error::ApiError;
use crate::feed;
use crate::sql::params;
use crate::state::AppState;
use huoshui_core::domain::lifecycle::{Actor, ApplicationId, Command, LifecycleError};
use jiff::Timestamp;

/// Deletes the feed rows older than [`feed::KEEP_DAYS`] (a read first, so an idle sweep writes
/// nothing).
async fn prune_feed(state: &AppState, now: Timestamp) -> Result<(), ApiError> {
    let before = now
        .as_millisecond()
        .saturating_sub(feed::KEEP_DAYS * 24 * 3_600_000);
    if state
        .db
        .read(move |conn| feed::has_older(conn, before))
        .await?
    {
        let pruned = state
            .db
            .write(move |conn| feed::prune(conn, before))
            .await?;
        tracing::info!(rows = pruned, "old live-feed rows pruned");
    }
    Ok(())
}

/// Records every escalation that is due at the clock's now. Each claim (the `Escalated` event
/// plus the projection's `escalated_at`) commits in one transaction, so a restart never fires
/// one twice, and one that was due while the server was down fires on the first sweep.
/// Returns how many fired.
pub async fn sweep_sla(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let policy = state.policy;
    let cutoff = now
        .as_millisecond()
        .saturating_sub(i64::from(policy.escalation_minutes) * 60_000);
    let due: Vec<String> = state
        .db
        .read(move |conn| {
            collect(
                conn,
                "SELECT id FROM applications WHERE open = 1 AND escalated_at IS NULL AND contacted_at IS NULL
                 AND state IN ('submitted', 'assigned') AND submitted_at <= ?1 LIMIT 1000",
                params![cutoff],
            )
        })
        .await?;
    prune_feed(state, now).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let (fired, notices) = state
        .db
        .write(move |conn| {
            let Some(admin) = accounts::first_administrator(conn)? else { return Ok((0, Vec::new())) };
            let admins = accounts::administrators(conn)?;
            let mut fired = 0usize;
            let mut notices = Vec::new();
            for id in due {
                let id = ApplicationId::parse(&id).map_err(lifecycle_error)?;
                let Some(mut app) = load(conn, &id)? else { continue };
                let cmd = Command::Escalate { to: admin.clone(), policy };
                let event = match app.execute(&Actor::system(), cmd, now) {
                    Ok(e) => e,
                    Err(LifecycleError::AlreadyEscalated | LifecycleError::EscalationNotDue) => continue,
                    Err(e) => return Err(lifecycle_error(e)),
                };
                let claimed = conn.execute(
                    "UPDATE applications SET escalated_at = ?2 WHERE id = ?1 AND escalated_at IS NULL",
                    params![id.as_str(), event.at.as_millisecond()],
                )?;
                if claimed != 1 {
                    continue;
                }
                insert_event(conn, &id, &event)?;
                save_projection(conn, &app)?;
                notices.push(feed::record(conn, &notice_for(&app, &event, &admins), now.as_millisecond())?);
                fired += 1;
            }
            Ok((fired, notices))
        })
        .await?;
    if fired > 0 {
        tracing::warn!(count = fired, "SLA escalations recorded");
    }
    announce(state, notices);
    Ok(fired)
}
