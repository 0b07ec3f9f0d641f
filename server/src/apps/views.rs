//! What an application looks like to whom: visibility per role, the view with the phones
//! released only to those who may see them, the live notices, detail and list.
//! Must never show an application to someone it does not belong to (404, as for a missing one).

use super::{bank_of, lifecycle_error, load};
use crate::accounts::User;
use crate::contacts;
use crate::error::ApiError;
use crate::hub::{Notice, Published};
use crate::sql::{Tx, params};
use crate::state::AppState;
use huoshui_core::domain::lifecycle::{
    Application, ApplicationId, Event, EventKind, Role, SlaPolicy, sla_at,
};
use huoshui_core::wire::{ApplicationView, StreamMessage, StreamTopic};
use jiff::Timestamp;

/// Who may see an application: the villager who owns it; a manager of its bank to whom it is
/// assigned, or (while unassigned) who serves its town; every administrator.
pub fn visible_to(user: &User, app: &Application, bank_id: &str) -> bool {
    match user.role {
        Role::Villager => app.villager_id == user.id,
        Role::Manager => {
            let same_bank = user.bank_id.as_deref() == Some(bank_id);
            match &app.manager_id {
                Some(m) => same_bank && *m == user.id,
                None => same_bank && user.towns.contains(&app.town),
            }
        }
        Role::Administrator => true,
        Role::System => false,
    }
}

/// What `viewer` sees of an application at `now` (with its events and timeline when
/// `with_events`). Never the villager's phone: [`crate::contacts`] adds that for those allowed.
pub fn view(
    app: &Application,
    viewer: Role,
    policy: &SlaPolicy,
    now: Timestamp,
    with_events: bool,
) -> ApplicationView {
    let events = with_events.then(|| {
        app.events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if viewer == Role::Villager
                    && let EventKind::Contacted { note, .. } = &mut e.kind
                {
                    *note = None;
                }
                e
            })
            .collect()
    });
    ApplicationView {
        id: app.id.as_str().to_owned(),
        state: app.state,
        state_zh: app.state.name_zh().to_owned(),
        state_en: app.state.name_en().to_owned(),
        villager_id: app.villager_id.clone(),
        product_id: app.product_id.clone(),
        bank_id: app.bank_id.clone(),
        amount_fen: app.amount,
        months: app.months,
        town: app.town.clone(),
        manager_id: app.manager_id.clone(),
        submitted_at: app.submitted_at,
        updated_at: app.updated_at,
        offer: app.offer,
        disbursed_amount_fen: app.disbursed_amount,
        rejection_reason: app.rejection_reason.clone(),
        requested_documents: app.requested_documents.clone(),
        escalated_at: app.escalated_at,
        sla: sla_at(app, policy, now),
        last_seq: app.last_seq,
        villager: None,
        manager: None,
        timeline: with_events.then(|| {
            let china = huoshui_core::domain::china::time_zone();
            huoshui_core::domain::lifecycle::timeline(app, policy, &china, now)
        }),
        events,
    }
}

pub(crate) fn notice_for(app: &Application, event: &Event, extra: &[String]) -> Notice {
    let mut recipients = vec![app.villager_id.clone()];
    if let Some(m) = &app.manager_id {
        recipients.push(m.clone());
    }
    if let EventKind::Reassigned { from, .. } = &event.kind {
        recipients.push(from.clone());
    }
    recipients.extend(extra.iter().cloned());
    let topic = match &event.kind {
        EventKind::Escalated { .. } => StreamTopic::Escalation,
        EventKind::Assigned { .. } | EventKind::Reassigned { .. } => StreamTopic::Task,
        _ => StreamTopic::Application,
    };
    Notice {
        recipients,
        message: StreamMessage {
            topic,
            application_id: app.id.as_str().to_owned(),
            event: event.kind.name().to_owned(),
            seq: event.seq,
            state: app.state,
        },
    }
}

/// After the commit: wakes the recipients' streams and tickles their phones.
pub fn announce(state: &AppState, published: Vec<Published>) {
    for p in published {
        for (user, _) in &p.entries {
            state.push.tickle(user);
        }
        state.hub.publish(p);
    }
}

/// Reads one application for `user` (404 if missing or not theirs).
pub async fn detail(
    state: &AppState,
    user: &User,
    id: ApplicationId,
) -> Result<ApplicationView, ApiError> {
    let user = user.clone();
    let policy = state.policy;
    let now = state.clock.now();
    let keys = state.keys.clone();
    let writes = user_may_see_phones(&user);
    let read = move |conn: &Tx<'_>| {
        let app = load(conn, &id)?.ok_or_else(ApiError::not_found)?;
        let bank = bank_of(conn, &id)?.unwrap_or_default();
        if !visible_to(&user, &app, &bank) {
            return Err(ApiError::not_found());
        }
        let mut v = view(&app, user.role, &policy, now, true);
        // A release of the phone number is recorded, so that read is a write.
        if contacts::may_see_phone(&user, &app) {
            v.villager = contacts::release(conn, &keys, &app, &user, now.as_millisecond())?;
        }
        v.manager = contacts::manager_for(conn, &keys, &app, &user)?;
        Ok(v)
    };
    if writes {
        state.db.write(read).await
    } else {
        state.db.read(read).await
    }
}

/// Roles that can ever be given a villager's phone number.
fn user_may_see_phones(user: &User) -> bool {
    matches!(user.role, Role::Manager | Role::Administrator)
}

/// Lists applications: a villager's own; a manager's assigned (open) and unassigned ones of
/// their bank in their towns; every one for an administrator (newest first, at most `limit`).
pub async fn list(
    state: &AppState,
    user: &User,
    limit: u32,
) -> Result<Vec<ApplicationView>, ApiError> {
    let user = user.clone();
    let policy = state.policy;
    let now = state.clock.now();
    state
        .db
        .read(move |conn| {
            let ids: Vec<String> = match user.role {
                Role::Villager => collect(
                    conn,
                    "SELECT id FROM applications WHERE villager_id = ?1 ORDER BY submitted_at DESC LIMIT ?2",
                    params![user.id, limit],
                )?,
                Role::Manager => collect(
                    conn,
                    "SELECT a.id FROM applications a WHERE a.open = 1 AND (a.manager_id = ?1 OR (a.manager_id IS NULL
                       AND a.bank_id = ?2 AND a.town IN (SELECT town FROM manager_towns WHERE manager_id = ?1)))
                     ORDER BY a.submitted_at LIMIT ?3",
                    params![user.id, user.bank_id.clone().unwrap_or_default(), limit],
                )?,
                Role::Administrator => collect(
                    conn,
                    "SELECT id FROM applications ORDER BY submitted_at DESC LIMIT ?1",
                    params![limit],
                )?,
                Role::System => Vec::new(),
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let id = ApplicationId::parse(&id).map_err(lifecycle_error)?;
                if let Some(app) = load(conn, &id)? {
                    let bank = bank_of(conn, &id)?.unwrap_or_default();
                    if visible_to(&user, &app, &bank) {
                        out.push(view(&app, user.role, &policy, now, false));
                    }
                }
            }
            Ok(out)
        })
        .await
}

pub(crate) fn collect(
    conn: &Tx<'_>,
    sql: &str,
    p: impl crate::sql::Params,
) -> Result<Vec<String>, ApiError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}
