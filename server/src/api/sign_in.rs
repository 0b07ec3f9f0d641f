//! `/v1/auth/*` and `/v1/me`: the sign-in routes (the work is in [`crate::auth`]).
//! Must never log a phone number, a code or a token.

use super::ApiJson;
use crate::auth::{self, AuthUser};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use huoshui_core::wire::{
    CodeRequest, CodeSentResponse, ErrorBody, LoginRequest, SessionResponse, UserView,
};

/// Sends a one-time login code to a phone. Always 202, whether or not the phone has an account.
#[utoipa::path(post, path = "/v1/auth/code", tag = "sign-in", request_body = CodeRequest,
    responses(
        (status = 202, description = "If the phone has an account, a code is on its way", body = CodeSentResponse),
        (status = 422, description = "`invalid_phone`: not 11 digits starting with 1", body = ErrorBody),
    ))]
pub(super) async fn request_code(
    State(state): State<AppState>,
    client: crate::code_limits::ClientAddr,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<(StatusCode, Json<CodeSentResponse>), ApiError> {
    auth::request_code_from(&state, req.phone, client.0).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSentResponse {
            sent: true,
            expires_in_seconds: auth::CODE_TTL_SECONDS,
        }),
    ))
}

/// Signs in with the phone and its one-time code; answers the bearer token (shown once).
#[utoipa::path(post, path = "/v1/auth/login", tag = "sign-in", request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session", body = SessionResponse),
        (status = 401, description = "`invalid_code`: the code is wrong, expired, used or out of tries", body = ErrorBody),
        (status = 422, description = "`invalid_phone`: not 11 digits starting with 1", body = ErrorBody),
    ))]
pub(super) async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    Ok(Json(auth::login(&state, req.phone, req.code).await?))
}

/// Ends this session (the token stops working at once) and forgets the push devices it
/// registered.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "sign-in", security(("bearer" = [])),
    responses((status = 204, description = "Signed out")))]
pub(super) async fn logout(
    State(state): State<AppState>,
    who: AuthUser,
) -> Result<StatusCode, ApiError> {
    // One transaction: the push devices of the session go with the session itself.
    let session = who.token_hash;
    state
        .db
        .write(move |conn| {
            crate::push::devices::forget_session(conn, &session)?;
            auth::end_session(conn, &session)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user as the platform records them (a villager's points and grade included).
#[utoipa::path(get, path = "/v1/me", tag = "sign-in", security(("bearer" = [])),
    responses((status = 200, description = "Who is signed in", body = UserView)))]
pub(super) async fn me(State(state): State<AppState>, who: AuthUser) -> Json<UserView> {
    Json(who.user.view(&state.dir))
}
