//! The ladder's effects outside the database, performed through the outbox of
//! [`crate::claims`]: the unopened-task text message to a manager, the escalation push and
//! text message to every administrator, and the repayment reminder of `crate::repayments`.
//! Owns the effect names and how each is performed.
//! Must never keep or log a phone number (it is opened from its sealed form at the moment of
//! sending and dropped after), nor put anything but the task's id (or its short reference)
//! into a message.

use super::task_ref;
use crate::claims::{self, Claimed, Outcome, Ran};
use crate::error::ApiError;
use crate::push::Notice;
use crate::sms::SmsMessage;
use crate::sql::{OptionalExtension, Tx, params};
use crate::state::AppState;

/// The outbox's effect names (subject: the task's id; recipient: a user id).
pub const TASK_WAITING_SMS: &str = "task_waiting_sms";
pub const ADMIN_ALERT_PUSH: &str = "admin_alert_push";
pub const ADMIN_ALERT_SMS: &str = "admin_alert_sms";
/// `task_waiting_sms:<manager>`: the unopened-task text to a manager the task was reassigned to.
const REASSIGNED_WAITING: &str = "task_waiting_sms:";

/// The outbox effect of the unopened-task text to `manager` after a reassignment.
pub fn reassigned_waiting(manager: &str) -> String {
    format!("{REASSIGNED_WAITING}{manager}")
}

/// Whether `manager` still has the task, open, not contacted, and has not opened it.
fn still_waiting(conn: &Tx<'_>, application_id: &str, manager: &str) -> Result<bool, ApiError> {
    let found: Option<i64> = conn
        .prepare_cached(
            "SELECT 1 FROM applications a
             WHERE a.id = ?1 AND a.manager_id = ?2 AND a.open = 1 AND a.contacted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM task_opens o
                               WHERE o.application_id = a.id AND o.manager_id = ?2)",
        )?
        .query_row(params![application_id, manager], |r| r.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// `repayment_due_sms:<row>:<due date>` (subject: the loan's id; recipient: its villager).
pub const REPAYMENT_DUE_SMS: &str = "repayment_due_sms";

/// The outbox effect of the reminder of plan row `n`, due on `due_on`.
pub fn repayment_effect(n: u32, due_on: jiff::civil::Date) -> String {
    format!("{REPAYMENT_DUE_SMS}:{n}:{due_on}")
}

/// The phone number of `user_id`, opened from its sealed form (`None` if none on record).
fn phone_of(conn: &Tx<'_>, state: &AppState, user_id: &str) -> Result<Option<String>, ApiError> {
    let sealed: Option<Option<Vec<u8>>> = conn
        .prepare_cached("SELECT phone_sealed FROM users WHERE id = ?1")?
        .query_row(params![user_id], |r| r.get(0))
        .optional()?;
    match sealed.flatten() {
        Some(bytes) => Ok(Some(state.keys.open_phone(user_id, &bytes)?)),
        None => Ok(None),
    }
}

/// Sends `message` to the phone of `user_id`.
async fn text(state: &AppState, user_id: &str, message: SmsMessage) -> Outcome {
    let (st, user) = (state.clone(), user_id.to_owned());
    let phone = match state.db.read(move |conn| phone_of(conn, &st, &user)).await {
        Ok(Some(phone)) => phone,
        Ok(None) => return Outcome::Skipped,
        Err(e) => {
            tracing::warn!(
                code = e.code,
                "ladder: phone not readable; tried again later"
            );
            return Outcome::Failed;
        }
    };
    match state.sms.send(&phone, &message).await {
        Ok(_) => Outcome::Done,
        Err(e) => {
            tracing::warn!(user = %user_id, kind = message.kind(), error = %e, "ladder text message not sent; tried again later");
            Outcome::Failed
        }
    }
}

/// Performs one claimed effect.
pub async fn perform(state: &AppState, c: &Claimed) -> Outcome {
    match c.effect.as_str() {
        TASK_WAITING_SMS => {
            let task_ref = task_ref(&c.subject);
            text(state, &c.recipient, SmsMessage::TaskWaiting { task_ref }).await
        }
        ADMIN_ALERT_SMS => {
            let task_ref = task_ref(&c.subject);
            text(state, &c.recipient, SmsMessage::Escalation { task_ref }).await
        }
        ADMIN_ALERT_PUSH => {
            let notice = Notice::Escalation {
                task_id: c.subject.clone(),
            };
            state.push.deliver(c.recipient.clone(), notice).await;
            Outcome::Done
        }
        step if step.starts_with(REASSIGNED_WAITING) => {
            let (id, manager) = (c.subject.clone(), c.recipient.clone());
            match state
                .db
                .read(move |conn| still_waiting(conn, &id, &manager))
                .await
            {
                Ok(true) => {
                    let task_ref = task_ref(&c.subject);
                    text(state, &c.recipient, SmsMessage::TaskWaiting { task_ref }).await
                }
                Ok(false) => Outcome::Skipped,
                Err(_) => Outcome::Failed,
            }
        }
        step if step.starts_with(REPAYMENT_DUE_SMS) => match step.rsplit(':').next() {
            Some(due_on) if due_on.parse::<jiff::civil::Date>().is_ok() => {
                let due_on = due_on.to_owned();
                text(state, &c.recipient, SmsMessage::RepaymentDue { due_on }).await
            }
            _ => Outcome::Skipped,
        },
        step if step.starts_with(super::NEW_TASK_PUSH) => {
            let notice = Notice::NewTask {
                task_id: c.subject.clone(),
            };
            state.push.deliver(c.recipient.clone(), notice).await;
            Outcome::Done
        }
        other => {
            tracing::warn!(
                effect = other,
                "outbox effect unknown to this build; skipped"
            );
            Outcome::Skipped
        }
    }
}

/// Claims and performs every effect due at `now_ms` (see [`claims::run`]).
pub async fn run_due(state: &AppState, now_ms: i64) -> Result<Ran, ApiError> {
    claims::run(
        &state.db,
        now_ms,
        |c| async move { perform(state, &c).await },
    )
    .await
}
