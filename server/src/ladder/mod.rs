//! The escalation ladder of a new task (issue 10): the assigned manager is pushed
//! `Notice::NewTask` at submission (and a manager the task is later assigned or reassigned to,
//! when they get it); if they have not opened the task within the county's
//! `unopened_sms_minutes` (catalog `sla`, 2 by default), a text message
//! (`SmsMessage::TaskWaiting`) goes to them (to a manager the task is reassigned to, counted
//! from the reassignment, if they still have it unopened and uncalled then); when the SLA sweep escalates the task (the
//! catalog's `escalation_minutes`, 10), every administrator gets `Notice::Escalation` by push
//! and `SmsMessage::Escalation` by text message.
//!
//! Each step is decided once, also across restarts and nodes: a step is claimed by inserting
//! its row (`ladder_steps`, unique on application and step) in the serialized write that
//! decides it is due, and that same write enqueues its text messages and pushes in the outbox
//! of [`crate::claims`] (unique on task, effect and recipient). Any node then claims and
//! performs them ([`effects`]): a node killed before sending loses nothing (another node takes
//! the effect when its lease expires); a kill after the send and before it is marked done
//! sends that one message again after the lease (at least once, never lost). The new-task push
//! is enqueued already claimed by the node whose write decided it: that node pushes right
//! after the commit and marks it done; if it dies first, another node pushes after the lease.
//! "Opened" is recorded by
//! `POST /v1/applications/{id}/opened` ([`api`]), which the manager's app calls when it
//! shows the task; it is kept in `task_opens`.
//! Must never put a name, phone number or amount into a push or a text message (only the
//! task's id, and its last 8 characters in a text), nor log a phone number.

pub mod api;
pub mod effects;

use crate::claims;
use crate::error::ApiError;
use crate::push::Notice;
use crate::sql::{OptionalExtension, Tx, params};
use crate::state::AppState;

/// The step names, as kept in `ladder_steps`.
pub const NEW_TASK_PUSH: &str = "new_task_push";
pub const TASK_WAITING_SMS: &str = "task_waiting_sms";
pub const ADMIN_ALERT: &str = "admin_alert";

/// Claims `step` for `application_id`; true if this call claimed it (first and only time).
pub fn claim(
    conn: &Tx<'_>,
    application_id: &str,
    step: &str,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let n = conn
        .prepare_cached(
            "INSERT INTO ladder_steps (application_id, step, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (application_id, step) DO NOTHING",
        )?
        .execute(params![application_id, step, now_ms])?;
    Ok(n == 1)
}

/// The short reference a text message carries: the id's last 8 characters (enough to find
/// the task in the app, nothing about the villager).
pub fn task_ref(application_id: &str) -> String {
    let start = application_id.len().saturating_sub(8);
    application_id
        .get(start..)
        .unwrap_or(application_id)
        .to_owned()
}

/// A new-task push claimed in a write, performed by [`push_new_task`] after its commit.
#[derive(Debug)]
pub struct NewTaskPush(claims::Claimed);

/// Claims `step` and enqueues its push to `manager`, claimed by this node.
fn claim_push(
    conn: &Tx<'_>,
    application_id: &str,
    step: &str,
    manager: &str,
    now_ms: i64,
) -> Result<Option<NewTaskPush>, ApiError> {
    if !claim(conn, application_id, step, now_ms)? {
        return Ok(None);
    }
    let stamp = claims::stamp();
    let claimed = claims::enqueue_claimed(conn, application_id, step, manager, now_ms, &stamp)?;
    Ok(claimed.map(NewTaskPush))
}

/// Inside the submission's write: claims the new-task push when a manager was assigned.
/// Answers what [`push_new_task`] sends after the commit.
pub fn claim_new_task(
    conn: &Tx<'_>,
    application_id: &str,
    manager_id: Option<&str>,
    now_ms: i64,
) -> Result<Option<NewTaskPush>, ApiError> {
    let Some(manager) = manager_id else {
        return Ok(None);
    };
    claim_push(conn, application_id, NEW_TASK_PUSH, manager, now_ms)
}

/// Inside the write that assigned or reassigned the task to `manager_id` (by an administrator):
/// claims the new-task push to that manager. A task never pushed before claims the
/// submission's step; otherwise the step is per manager (`new_task_push:<manager>`), so each
/// new assignee is pushed once, and texted once if they have not opened it `text_after_ms`
/// later. Answers what [`push_new_task`] sends after the commit.
pub fn claim_assigned(
    conn: &Tx<'_>,
    application_id: &str,
    manager_id: Option<&str>,
    now_ms: i64,
    text_after_ms: i64,
) -> Result<Option<NewTaskPush>, ApiError> {
    let Some(manager) = manager_id else {
        return Ok(None);
    };
    if let Some(first) = claim_push(conn, application_id, NEW_TASK_PUSH, manager, now_ms)? {
        return Ok(Some(first));
    }
    let step = format!("{NEW_TASK_PUSH}:{manager}");
    let pushed = claim_push(conn, application_id, &step, manager, now_ms)?;
    if pushed.is_some() {
        // The new manager's own unopened-task text, due `text_after_ms` after they got the
        // task (checked again when it is due: opened, contacted or moved on by then, it is not
        // sent); the submission's text step is closed, so it never also goes to them.
        claim(conn, application_id, TASK_WAITING_SMS, now_ms)?;
        if has_phone(conn, manager)? {
            let effect = effects::reassigned_waiting(manager);
            claims::enqueue(
                conn,
                application_id,
                &effect,
                manager,
                now_ms + text_after_ms,
            )?;
        }
    }
    Ok(pushed)
}

/// After the commit: hands the push claimed by [`claim_new_task`] or [`claim_assigned`] to the
/// gateway at once, then marks it done in the outbox in the background. Should this node die
/// before the mark, another node pushes it again once the claim's lease has expired.
pub fn push_new_task(state: &AppState, claimed: Option<NewTaskPush>) {
    let Some(NewTaskPush(c)) = claimed else {
        return;
    };
    let notice = Notice::NewTask {
        task_id: c.subject.clone(),
    };
    let sent = state.push.deliver(c.recipient.clone(), notice);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("new-task push outside the runtime; left to the outbox sweep");
        return;
    };
    let st = state.clone();
    runtime.spawn(async move {
        sent.await;
        let now_ms = st.clock.now().as_millisecond();
        let settled = st
            .db
            .claim_tx(move |tx| claims::settle(tx, &c, claims::Outcome::Done, now_ms))
            .await;
        if let Err(e) = settled {
            tracing::warn!(
                code = e.code,
                "new-task push not marked done; pushed again later"
            );
        }
    });
}

/// Whether `user_id` has a phone on record (a text message can reach them).
fn has_phone(conn: &Tx<'_>, user_id: &str) -> Result<bool, ApiError> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1 AND phone_sealed IS NOT NULL")?
        .query_row(params![user_id], |r| r.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// Tasks (id, manager) unopened since `cutoff_ms` and not yet texted about, at most `limit`.
fn waiting(conn: &Tx<'_>, cutoff_ms: i64, limit: i64) -> Result<Vec<(String, String)>, ApiError> {
    let rows = conn
        .prepare_cached(
            "SELECT a.id, a.manager_id FROM applications a
             WHERE a.open = 1 AND a.escalated_at IS NULL AND a.contacted_at IS NULL
               AND a.state IN ('submitted', 'assigned') AND a.manager_id IS NOT NULL
               AND a.submitted_at <= ?1
               AND NOT EXISTS (SELECT 1 FROM task_opens o
                               WHERE o.application_id = a.id AND o.manager_id = a.manager_id)
               AND NOT EXISTS (SELECT 1 FROM ladder_steps s
                               WHERE s.application_id = a.id AND s.step = 'task_waiting_sms')
             LIMIT ?2",
        )?
        .query_map(params![cutoff_ms, limit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Escalated tasks whose administrators were not alerted yet, at most `limit`.
fn unalerted(conn: &Tx<'_>, limit: i64) -> Result<Vec<String>, ApiError> {
    let rows = conn
        .prepare_cached(
            "SELECT a.id FROM applications a
             WHERE a.open = 1 AND a.escalated_at IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM ladder_steps s
                               WHERE s.application_id = a.id AND s.step = 'admin_alert')
             LIMIT ?1",
        )?
        .query_map(params![limit], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Inside a write: claims the unopened-task text message of every task due one now and
/// enqueues it in the outbox (when the manager has a phone). Answers how many were enqueued.
fn claim_waiting(conn: &Tx<'_>, cutoff_ms: i64, now_ms: i64) -> Result<usize, ApiError> {
    let due = waiting(conn, cutoff_ms, 500)?;
    let mut texts = 0;
    for (id, manager) in due {
        if claim(conn, &id, TASK_WAITING_SMS, now_ms)?
            && has_phone(conn, &manager)?
            && claims::enqueue(conn, &id, effects::TASK_WAITING_SMS, &manager, now_ms)?
        {
            texts += 1;
        }
    }
    Ok(texts)
}

/// Inside a write: claims the administrators' alert of every task escalated and not yet
/// alerted, and enqueues its push and text message to every administrator. Answers how many
/// tasks were alerted.
fn claim_alerts(conn: &Tx<'_>, now_ms: i64) -> Result<usize, ApiError> {
    let due = unalerted(conn, 500)?;
    let admins = crate::accounts::administrators(conn)?;
    let mut alerted = 0;
    for id in due {
        if !claim(conn, &id, ADMIN_ALERT, now_ms)? {
            continue;
        }
        for admin in &admins {
            claims::enqueue(conn, &id, effects::ADMIN_ALERT_PUSH, admin, now_ms)?;
            if has_phone(conn, admin)? {
                claims::enqueue(conn, &id, effects::ADMIN_ALERT_SMS, admin, now_ms)?;
            }
        }
        alerted += 1;
    }
    Ok(alerted)
}

/// What one sweep of the ladder did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Unopened-task text messages to managers.
    pub manager_texts: usize,
    /// Escalated tasks whose administrators were alerted.
    pub alerts: usize,
}

/// Runs the steps due at the SLA clock's now (after [`crate::apps::sweep_sla`], so an
/// escalation recorded in the same tick is alerted at once): the steps are claimed and their
/// effects enqueued in one write, then this node performs every effect due in the outbox
/// (also those a killed node claimed and never finished, once their lease has expired).
pub async fn sweep(state: &AppState) -> Result<Swept, ApiError> {
    let now_ms = state.clock.now().as_millisecond();
    let minutes = i64::from(state.dir.catalog.data().sla.unopened_sms_minutes);
    let cutoff = now_ms.saturating_sub(minutes * 60_000);
    // A read first: an idle tick takes no write (on PostgreSQL, not the nodes' write lock).
    let any_step = state
        .db
        .read(move |conn| {
            Ok(!waiting(conn, cutoff, 1)?.is_empty() || !unalerted(conn, 1)?.is_empty())
        })
        .await?;
    let (manager_texts, alerts) = if any_step {
        state
            .db
            .write(move |conn| {
                let waiting = claim_waiting(conn, cutoff, now_ms)?;
                let alerts = claim_alerts(conn, now_ms)?;
                Ok((waiting, alerts))
            })
            .await?
    } else {
        (0, 0)
    };
    let swept = Swept {
        manager_texts,
        alerts,
    };
    let ran = effects::run_due(state, now_ms).await?;
    let keep_ms = claims::KEEP_DAYS * 24 * 3_600_000;
    claims::prune(&state.db, now_ms.saturating_sub(keep_ms)).await?;
    if swept != Swept::default() || ran.claimed > 0 {
        tracing::info!(
            manager_texts = swept.manager_texts,
            alerts = swept.alerts,
            performed = ran.done,
            failed = ran.failed,
            "escalation ladder"
        );
    }
    Ok(swept)
}

/// Records that `manager_id` opened the task (idempotent).
pub fn record_open(
    conn: &Tx<'_>,
    application_id: &str,
    manager_id: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    conn.prepare_cached(
        "INSERT INTO task_opens (application_id, manager_id, at) VALUES (?1, ?2, ?3)
         ON CONFLICT (application_id, manager_id) DO NOTHING",
    )?
    .execute(params![application_id, manager_id, now_ms])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_text_names_the_task_by_its_last_eight_characters() {
        assert_eq!(task_ref("0190a5c4-7b1e-7cc2-9d3f-2f4f0e6c1a55"), "0e6c1a55");
        assert_eq!(task_ref("short"), "short");
    }
}
