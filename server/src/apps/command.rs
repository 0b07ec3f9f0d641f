//! Lifecycle commands on an application (contact, review, approve, reject, disburse, withdraw,
//! assign): the domain decides, the events and the projection commit together.
//! Must never write an event the lifecycle did not decide.

use super::idempotency::{Stored, prior_answer, store_answer};
use super::{announce, notice_for, view, visible_to};
use super::{bank_of, insert_event, lifecycle_error, load, save_projection};
use crate::accounts::{self, User};
use crate::error::ApiError;
use crate::feed;
use crate::state::AppState;
use huoshui_core::domain::lifecycle::{ApplicationId, Command, Role, State};
use huoshui_core::wire::ApplicationView;

/// What to do to an application.
pub enum Do {
    /// A lifecycle command as it is.
    Command(Command),
    /// Assign (while unassigned) or reassign to this manager, who must be a manager of the
    /// application's bank.
    AssignTo(String),
}

/// Runs one lifecycle command for `user` on application `id` and answers the new view.
/// With an `Idempotency-Key` (optional here, as a phone's outbox sends it) a retry of the same
/// command answers the first answer again instead of a 409.
pub async fn command(
    state: &AppState,
    user: &User,
    id: ApplicationId,
    what: Do,
    key: Option<String>,
) -> Result<ApplicationView, ApiError> {
    let user = user.clone();
    let now = state.clock.now();
    let policy = state.policy;
    let text_after_ms = i64::from(state.dir.catalog.data().sla.unopened_sms_minutes) * 60_000;
    let request_hash = {
        let what_json = match &what {
            Do::Command(cmd) => serde_json::to_value(cmd)?,
            Do::AssignTo(target) => serde_json::json!({"assign_to": target}),
        };
        crate::keys::sha256_hex(
            serde_json::json!({"application": id.as_str(), "do": what_json})
                .to_string()
                .as_bytes(),
        )
    };
    let (view, notices, new_task) = state
        .db
        .write(move |conn| {
            if let Some(key) = &key
                && let Some(stored) = prior_answer(conn, &user.id, key, &request_hash)?
            {
                return Ok((stored.body, Vec::new(), None));
            }
            let mut app = load(conn, &id)?.ok_or_else(ApiError::not_found)?;
            let bank = bank_of(conn, &id)?.unwrap_or_default();
            if !visible_to(&user, &app, &bank) {
                return Err(ApiError::not_found());
            }
            // A manager the task is (re)assigned to is pushed the new task (the ladder's step).
            let assigning = matches!(what, Do::AssignTo(_));
            let manager_before = app.manager_id.clone();
            let cmd = match what {
                Do::Command(cmd) => cmd,
                Do::AssignTo(target) => {
                    let manager =
                        accounts::load(conn, &target)?.filter(|m| m.role == Role::Manager);
                    let Some(manager) =
                        manager.filter(|m| m.bank_id.as_deref() == Some(bank.as_str()))
                    else {
                        return Err(ApiError::unprocessable(
                            "unknown_manager",
                            "只能指派给该产品所属银行的客户经理",
                            "assign only to a manager of the product's bank",
                        ));
                    };
                    if app.state == State::Submitted {
                        Command::Assign {
                            manager_id: manager.id,
                            bank_id: bank.clone(),
                        }
                    } else {
                        Command::Reassign {
                            to: manager.id,
                            bank_id: bank.clone(),
                        }
                    }
                }
            };
            let event = app
                .execute(&user.actor(), cmd, now)
                .map_err(lifecycle_error)?;
            insert_event(conn, &id, &event)?;
            save_projection(conn, &app)?;
            let published =
                feed::record(conn, &notice_for(&app, &event, &[]), now.as_millisecond())?;
            let body = view(&app, user.role, &policy, now, true);
            if let Some(key) = &key {
                store_answer(
                    conn,
                    &user.id,
                    key,
                    &request_hash,
                    &Stored {
                        status: 200,
                        body: body.clone(),
                    },
                    now,
                )?;
            }
            let ms = now.as_millisecond();
            let new_task = (assigning && app.manager_id != manager_before)
                .then(|| {
                    let manager = app.manager_id.as_deref();
                    crate::ladder::claim_assigned(conn, id.as_str(), manager, ms, text_after_ms)
                })
                .transpose()?
                .flatten();
            Ok((body, vec![published], new_task))
        })
        .await?;
    announce(state, notices);
    crate::ladder::push_new_task(state, new_task);
    Ok(view)
}
