//! The villager's phone number for the call: kept sealed under the server key in `users`, and
//! released as a [`VillagerContact`] only to the manager an application is assigned to and to
//! administrators. Owns that decision and the `phone_releases` table: every release is
//! recorded (application, villager, viewer, time) in the same transaction that reads it.
//! Must never release a number to a villager, to a manager the application is not assigned
//! to (another of the bank's, or another bank's), nor log one.
//!
//! The other way round, [`manager_for`]: the assigned manager's name and work phone go to the
//! villager who owns the application (staff contact data, for their call button), to no one
//! else, and never into a log or a push.

use crate::accounts::User;
use crate::error::ApiError;
use crate::keys::ServerKeys;
use crate::sql::{OptionalExtension, Tx, params};
use huoshui_core::domain::lifecycle::{Application, Role};
use huoshui_core::wire::{ManagerContact, VillagerContact};

/// Whether `viewer` may have the villager's number for `app`.
pub fn may_see_phone(viewer: &User, app: &Application) -> bool {
    match viewer.role {
        Role::Administrator => true,
        Role::Manager => app.manager_id.as_deref() == Some(viewer.id.as_str()),
        Role::Villager | Role::System => false,
    }
}

/// The villager of `app` with their full number, for `viewer`, recorded as a release at
/// `now_ms`; `None` when the viewer may not have it (or no number is on record).
pub fn release(
    conn: &Tx<'_>,
    keys: &ServerKeys,
    app: &Application,
    viewer: &User,
    now_ms: i64,
) -> Result<Option<VillagerContact>, ApiError> {
    if !may_see_phone(viewer, app) {
        return Ok(None);
    }
    let row: Option<(String, Option<Vec<u8>>)> = conn
        .prepare_cached("SELECT name, phone_sealed FROM users WHERE id = ?1")?
        .query_row(params![app.villager_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((name, Some(sealed))) = row else {
        return Ok(None);
    };
    let phone = keys.open_phone(&app.villager_id, &sealed)?;
    conn.prepare_cached(
        "INSERT INTO phone_releases (application_id, villager_id, viewer_id, at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![app.id.as_str(), app.villager_id, viewer.id, now_ms])?;
    Ok(Some(VillagerContact { name, phone }))
}

/// The manager `app` is assigned to, with their work phone, for `viewer` when `viewer` is the
/// villager who owns it; `None` for anyone else, while unassigned, or with no number on record.
pub fn manager_for(
    conn: &Tx<'_>,
    keys: &ServerKeys,
    app: &Application,
    viewer: &User,
) -> Result<Option<ManagerContact>, ApiError> {
    let owner = viewer.role == Role::Villager && viewer.id == app.villager_id;
    let Some(manager_id) = app.manager_id.as_deref().filter(|_| owner) else {
        return Ok(None);
    };
    let row: Option<(String, Option<Vec<u8>>)> = conn
        .prepare_cached("SELECT name, phone_sealed FROM users WHERE id = ?1")?
        .query_row(params![manager_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((name, Some(sealed))) = row else {
        return Ok(None);
    };
    let phone = keys.open_phone(manager_id, &sealed)?;
    Ok(Some(ManagerContact { name, phone }))
}
