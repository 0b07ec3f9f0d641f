//! The routes of the escalation ladder, registered into `/v1` with their OpenAPI description
//! (utoipa-axum, like every other route): `POST /v1/applications/{id}/opened`, which the
//! assigned manager's app calls when it shows the task. Owns only that surface; the ladder's
//! logic is in [`super`].
//! Must never let anyone but the assigned manager mark a task opened.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::sql::{OptionalExtension, params};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use huoshui_core::domain::lifecycle::{ApplicationId, Role};
use huoshui_core::wire::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The ladder's operations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(opened))
}

/// The assigned manager has opened the task (their app shows it): the unopened-task text
/// message is then not sent. Idempotent; only the manager the application is assigned to.
#[utoipa::path(post, path = "/v1/applications/{id}/opened", tag = "manager",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (UUID)")),
    responses(
        (status = 204, description = "Recorded (again: nothing changes)"),
        (status = 403, description = "`forbidden`: only the manager the task is assigned to opens it", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application, or not yours to see", body = ErrorBody),
    ))]
async fn opened(
    State(state): State<AppState>,
    who: AuthUser,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(text) = id.map_err(|_| ApiError::not_found())?;
    let id = ApplicationId::parse(&text).map_err(|_| ApiError::not_found())?;
    let user = who.user;
    let now_ms = state.clock.now().as_millisecond();
    state
        .db
        .write(move |conn| {
            let row: Option<(Option<String>, String, String)> = conn
                .prepare_cached(
                    "SELECT manager_id, bank_id, villager_id FROM applications WHERE id = ?1",
                )?
                .query_row(params![id.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            let Some((manager, bank, villager)) = row else {
                return Err(ApiError::not_found());
            };
            if manager.as_deref() == Some(user.id.as_str()) {
                return super::record_open(conn, id.as_str(), &user.id, now_ms);
            }
            let sees = match user.role {
                Role::Administrator => true,
                Role::Villager => villager == user.id,
                Role::Manager => user.bank_id.as_deref() == Some(bank.as_str()),
                Role::System => false,
            };
            Err(if sees {
                ApiError::forbidden()
            } else {
                ApiError::not_found()
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
