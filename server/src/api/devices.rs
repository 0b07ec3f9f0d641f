//! `/v1/devices`: a phone registers (or removes) its push token (the work is in
//! [`crate::push::devices`]). Must never log or answer a token.

use super::ApiJson;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::push::devices;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use huoshui_core::wire::{DeviceRequest, DeviceView, ErrorBody};

/// A token: 1 to 4096 visible ASCII characters.
fn check_token(req: &DeviceRequest) -> Result<(), ApiError> {
    let t = &req.token;
    if t.is_empty() || t.len() > 4096 || !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::unprocessable(
            "invalid_token",
            "推送令牌应为 1 到 4096 个可见 ASCII 字符",
            "the push token must be 1 to 4096 visible ASCII characters",
        ));
    }
    Ok(())
}

/// Registers this phone's push token for the signed-in user. The same token again replaces the
/// earlier registration (also one made by another user on the same phone); a user may have
/// several devices. Signing out removes the devices this session registered.
#[utoipa::path(post, path = "/v1/devices", tag = "devices", security(("bearer" = [])),
    request_body = DeviceRequest,
    responses(
        (status = 200, description = "Registered (the token is kept encrypted)", body = DeviceView),
        (status = 422, description = "`invalid_token`: not 1 to 4096 visible ASCII characters", body = ErrorBody),
    ))]
pub(super) async fn register(
    State(state): State<AppState>,
    who: AuthUser,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> Result<Json<DeviceView>, ApiError> {
    check_token(&req)?;
    let keys = state.keys.clone();
    let user = who.user.id.clone();
    let session = who.token_hash.clone();
    let at = state.auth_clock.now().as_second();
    let (vendor, app) = (req.vendor, req.app);
    let count = state
        .db
        .write(move |conn| devices::register(conn, &keys, &user, &session, &req, at))
        .await?;
    Ok(Json(DeviceView {
        vendor,
        app,
        devices: count,
    }))
}

/// Removes one of the signed-in user's devices (no push reaches it any more).
#[utoipa::path(delete, path = "/v1/devices", tag = "devices", security(("bearer" = [])),
    request_body = DeviceRequest,
    responses(
        (status = 204, description = "Removed (or it was not registered)"),
        (status = 422, description = "`invalid_token`: not 1 to 4096 visible ASCII characters", body = ErrorBody),
    ))]
pub(super) async fn unregister(
    State(state): State<AppState>,
    who: AuthUser,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> Result<StatusCode, ApiError> {
    check_token(&req)?;
    let keys = state.keys.clone();
    let user = who.user.id.clone();
    state
        .db
        .write(move |conn| devices::remove(conn, &keys, &user, req.vendor, &req.token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
