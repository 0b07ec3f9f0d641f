//! Applications on the platform: storing events, folding them, running lifecycle commands,
//! routing new submissions, idempotent submission, visibility per role and the SLA sweep.
//! Every change goes through `huoshui_core::domain::lifecycle` (`Application::open`,
//! `Application::execute`), so a transition legal on the phone is legal here and nowhere else.
//!
//! Storage: `events` holds each event as JSON (the truth); `applications` is a projection of the
//! fold (state, manager, SLA instants) for queries, updated in the same transaction.
//! Must never write an event the lifecycle did not decide, never show an application to someone
//! it does not belong to (those get 404, the same as a missing one), and never fire an
//! escalation twice (the claim and the event commit together).
//!
//! Here: the events and the projection. `submit` (routing, rules), `command` (lifecycle
//! commands), `idempotency` (the kept answers), `views` (visibility, views, notices, detail,
//! list), `sla` (the sweep).

mod command;
mod idempotency;
mod sla;
mod submit;
mod views;

pub use command::{Do, command};
pub use idempotency::Stored;
pub use sla::sweep_sla;
pub use submit::{rule_refusal, submit};
pub use views::{announce, detail, list, view, visible_to};
pub(crate) use views::{collect, notice_for};

use crate::error::ApiError;
use crate::sql::{OptionalExtension, Tx, params};
use axum::http::StatusCode;
use huoshui_core::domain::lifecycle::{Application, ApplicationId, Event, LifecycleError, State};
use jiff::Timestamp;

/// The state's wire name (snake_case).
pub fn state_code(state: State) -> String {
    state.code().to_owned()
}

/// Maps a lifecycle refusal to HTTP.
pub fn lifecycle_error(err: LifecycleError) -> ApiError {
    let status = match &err {
        LifecycleError::RoleCannot { .. } | LifecycleError::NotYours { .. } => {
            StatusCode::FORBIDDEN
        }
        LifecycleError::IllegalTransition { .. }
        | LifecycleError::AlreadyEscalated
        | LifecycleError::EscalationNotDue => StatusCode::CONFLICT,
        LifecycleError::Invalid { .. } | LifecycleError::BadId { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => return ApiError::internal(&format!("stored history: {}", err.code())),
    };
    ApiError::new(status, err.code(), err.message_zh(), err.message_en())
}

/// Loads and folds an application; `None` when it does not exist.
pub fn load(conn: &Tx<'_>, id: &ApplicationId) -> Result<Option<Application>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM events WHERE application_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map(params![id.as_str()], |r| r.get::<_, String>(0))?;
    let mut events = Vec::new();
    for body in rows {
        let event: Event = serde_json::from_str(&body?)?;
        events.push(event);
    }
    if events.is_empty() {
        return Ok(None);
    }
    Application::fold(id.clone(), &events)
        .map(Some)
        .map_err(lifecycle_error)
}

pub(crate) fn insert_event(
    conn: &Tx<'_>,
    id: &ApplicationId,
    event: &Event,
) -> Result<(), ApiError> {
    let body = serde_json::to_string(event)?;
    conn.prepare_cached(
        "INSERT INTO events (application_id, seq, at, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        id.as_str(),
        i64::try_from(event.seq).unwrap_or(i64::MAX),
        event.at.as_millisecond(),
        body
    ])?;
    Ok(())
}

fn ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.as_millisecond())
}

/// Writes the projection row of `app` (insert or update) and keeps each manager's count of
/// open applications (`manager_load`, what routing orders by) in step.
pub(crate) fn save_projection(conn: &Tx<'_>, app: &Application) -> Result<(), ApiError> {
    let open = !app.state.is_final() && app.state != State::Disbursed;
    let before: Option<(Option<String>, bool)> = conn
        .prepare_cached("SELECT manager_id, open FROM applications WHERE id = ?1")?
        .query_row(params![app.id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let was = before.and_then(|(m, o)| if o { m } else { None });
    let now = if open { app.manager_id.clone() } else { None };
    if was != now {
        if let Some(m) = &was {
            conn.prepare_cached("UPDATE manager_load SET open = open - 1 WHERE manager_id = ?1")?
                .execute(params![m])?;
        }
        if let Some(m) = &now {
            conn.prepare_cached(
                "INSERT INTO manager_load (manager_id, open) VALUES (?1, 1)
                 ON CONFLICT (manager_id) DO UPDATE SET open = manager_load.open + 1",
            )?
            .execute(params![m])?;
        }
    }
    conn.prepare_cached(
        "INSERT INTO applications (id, villager_id, product_id, bank_id, town, manager_id, state, open,
             submitted_at, contacted_at, escalated_at, last_seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET manager_id = ?6, state = ?7, open = ?8, contacted_at = ?10,
             escalated_at = ?11, last_seq = ?12, updated_at = ?13",
    )?
    .execute(params![
        app.id.as_str(),
        app.villager_id,
        app.product_id,
        app.bank_id.clone().unwrap_or_default(),
        app.town,
        app.manager_id,
        state_code(app.state),
        open,
        ms(app.submitted_at).unwrap_or(app.created_at.as_millisecond()),
        ms(app.first_contact_at),
        ms(app.escalated_at),
        i64::try_from(app.last_seq).unwrap_or(i64::MAX),
        app.updated_at.as_millisecond(),
    ])?;
    Ok(())
}

/// Loads the projection's bank of an application (the product's bank, even while unassigned).
pub(super) fn bank_of(conn: &Tx<'_>, id: &ApplicationId) -> Result<Option<String>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT bank_id FROM applications WHERE id = ?1")?
        .query_row(params![id.as_str()], |r| r.get(0))
        .optional()?)
}
