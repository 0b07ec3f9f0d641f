//! `/v1/admin/*` and `/v1/manager/inbox`: the administrator's and the manager's views
//! (the work is in [`crate::admin`]). Must never let another role through.

use super::{ApiJson, BodyResult, PathResult, app_id, optional_body, optional_key, path_text, run};
use crate::apps::{self, Do};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::{admin, openapi};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use huoshui_core::domain::lifecycle::{Command, Role};
use huoshui_core::wire::{
    AcknowledgeRequest, ApplicationView, ErrorBody, EscalationList, Figures, Inbox, ReassignRequest,
};

fn admin_only(who: &AuthUser) -> Result<(), ApiError> {
    if who.user.role == Role::Administrator {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// An administrator assigns (or reassigns) the application to a manager of the product's bank.
#[utoipa::path(post, path = "/v1/admin/applications/{id}/reassign", tag = "administrator", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body = ReassignRequest,
    responses(
        (status = 200, description = "Assigned to that manager", body = ApplicationView),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: the application has no manager to change", body = ErrorBody),
        (status = 422, description = "`unknown_manager`: not a manager of the product's bank; `invalid`", body = ErrorBody),
    ))]
pub(super) async fn reassign(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ReassignRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    admin_only(&who)?;
    let id = app_id(&path_text(id)?)?;
    let key = optional_key(&headers)?;
    Ok(Json(
        apps::command(&state, &who.user, id, Do::AssignTo(b.manager_id), key).await?,
    ))
}

/// An administrator takes an escalation in hand.
#[utoipa::path(post, path = "/v1/admin/applications/{id}/acknowledge", tag = "administrator", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), openapi::OptionalKey),
    request_body(content = Option<AcknowledgeRequest>, description = "Optional: an empty body acknowledges without a note"),
    responses(
        (status = 200, description = "Acknowledged", body = ApplicationView),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: no open escalation", body = ErrorBody),
        (status = 422, description = "`invalid`: the note is too long", body = ErrorBody),
    ))]
pub(super) async fn acknowledge(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    body: BodyResult,
) -> Result<Json<ApplicationView>, ApiError> {
    admin_only(&who)?;
    let b: AcknowledgeRequest = optional_body(body?).await?;
    run(
        &state,
        &who,
        id,
        &headers,
        Command::AcknowledgeEscalation { note: b.note },
    )
    .await
}

/// Open escalations no administrator has taken in hand yet.
#[utoipa::path(get, path = "/v1/admin/escalations", tag = "administrator", security(("bearer" = [])),
    responses(
        (status = 200, description = "Oldest first", body = EscalationList),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
    ))]
pub(super) async fn escalations(
    State(state): State<AppState>,
    who: AuthUser,
) -> Result<Json<EscalationList>, ApiError> {
    admin_only(&who)?;
    let escalations = admin::escalations(&state, &who.user).await?;
    Ok(Json(EscalationList { escalations }))
}

/// Applications by state, contact times and SLA compliance per bank.
#[utoipa::path(get, path = "/v1/admin/figures", tag = "administrator", security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures now", body = Figures),
        (status = 403, description = "`forbidden`: administrators only", body = ErrorBody),
    ))]
pub(super) async fn figures(
    State(state): State<AppState>,
    who: AuthUser,
) -> Result<Json<Figures>, ApiError> {
    admin_only(&who)?;
    Ok(Json(admin::figures(&state).await?))
}

/// A manager's tasks with countdowns, most urgent first, each with the villager to call, and
/// the applications of their bank in their towns that no one has yet.
#[utoipa::path(get, path = "/v1/manager/inbox", tag = "manager", security(("bearer" = [])),
    responses(
        (status = 200, description = "The inbox now", body = Inbox),
        (status = 403, description = "`forbidden`: account managers only", body = ErrorBody),
    ))]
pub(super) async fn inbox(
    State(state): State<AppState>,
    who: AuthUser,
) -> Result<Json<Inbox>, ApiError> {
    if who.user.role != Role::Manager {
        return Err(ApiError::forbidden());
    }
    Ok(Json(admin::inbox(&state, &who.user).await?))
}
