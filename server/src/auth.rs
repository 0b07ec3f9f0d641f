//! Login by phone number and one-time code, and the sessions that follow.
//! Owns the `CodeProvider` trait (the development provider prints the code to the log; an SMS
//! gateway plugs in behind the same trait), the `login_codes` and `sessions` tables, and the
//! `AuthUser` extractor that turns `Authorization: Bearer <token>` into a [`User`].
//!
//! Tokens are 32 random bytes (hex) handed to the client once; only their SHA-256 is stored.
//! Codes are six digits, live five minutes, allow five attempts, and are stored hashed.
//! Must never log a phone number (only the masked form, on the dev provider's one line), a
//! code (except that dev-only line) or a token, and must never say whether a phone has an account.

use crate::accounts::{self, User};
use crate::error::ApiError;
use crate::keys::{hex, mask_phone, sha256_hex};
use crate::repo::{LoginCodes, Sessions};
use crate::sql::Tx;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use huoshui_core::wire::SessionResponse;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a one-time code is valid, in seconds.
pub const CODE_TTL_SECONDS: i64 = 300;
/// Wrong codes allowed before the code is void.
pub const MAX_ATTEMPTS: i64 = 5;

/// A boxed future, so the trait stays object-safe.
pub type CodeFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ApiError>> + Send + 'a>>;

/// Sends a one-time code to a phone (the SMS provider in production:
/// [`crate::code_limits::SmsCodeProvider`]).
pub trait CodeProvider: Send + Sync + 'static {
    fn send<'a>(&'a self, phone: &'a str, code: &'a str) -> CodeFuture<'a>;

    /// True only for the development provider that prints the code (refused in production).
    fn is_development(&self) -> bool {
        false
    }
}

/// DEVELOPMENT ONLY: writes the code to the log (with a masked phone) and keeps the latest code
/// per phone in memory so a test or a demo can read it. Never use it in production.
#[derive(Debug, Default)]
pub struct DevCodeProvider {
    latest: Mutex<HashMap<String, String>>,
}

impl DevCodeProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// The last code sent to `phone`.
    pub fn latest(&self, phone: &str) -> Option<String> {
        match self.latest.lock() {
            Ok(g) => g.get(phone).cloned(),
            Err(p) => p.into_inner().get(phone).cloned(),
        }
    }
}

impl CodeProvider for DevCodeProvider {
    fn is_development(&self) -> bool {
        true
    }

    fn send<'a>(&'a self, phone: &'a str, code: &'a str) -> CodeFuture<'a> {
        tracing::warn!(
            target: "huoshui_dev_code",
            phone = %mask_phone(phone),
            code = %code,
            "DEV ONLY one-time code (development code provider; never enable in production)"
        );
        match self.latest.lock() {
            Ok(mut g) => g.insert(phone.to_owned(), code.to_owned()),
            Err(p) => p.into_inner().insert(phone.to_owned(), code.to_owned()),
        };
        Box::pin(async { Ok(()) })
    }
}

/// A mainland mobile number: 11 digits starting with 1.
pub fn check_phone(phone: &str) -> Result<(), ApiError> {
    let ok =
        phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "invalid_phone",
            "手机号应为 11 位数字，以 1 开头",
            "the phone number must be 11 digits starting with 1",
        ))
    }
}

fn code_hash(phone_mac: &str, code: &str) -> String {
    sha256_hex(format!("{phone_mac}:{code}").as_bytes())
}

/// Issues a code for `phone` if it has an account. Answers the same either way.
pub async fn request_code(state: &AppState, phone: String) -> Result<(), ApiError> {
    request_code_from(state, phone, None).await
}

/// As [`request_code`], counting the code against the client's address too (the limits of
/// [`crate::code_limits`]: 429 `too_many_codes` when one is reached, for any phone alike).
pub async fn request_code_from(
    state: &AppState,
    phone: String,
    client: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    check_phone(&phone)?;
    let mac = state.keys.phone_mac(&phone);
    let client = crate::code_limits::client_mac(state, client);
    let limits = state.sign_in.limits;
    let mut raw = [0u8; 4];
    state.keys.random(&mut raw)?;
    let code = format!("{:06}", u32::from_le_bytes(raw) % 1_000_000);
    let expires = state
        .auth_clock
        .now()
        .as_millisecond()
        .saturating_add(CODE_TTL_SECONDS * 1000);
    let hash = code_hash(&mac, &code);
    let now_ms = state.auth_clock.now().as_millisecond();
    let known = state
        .db
        .write(move |conn| {
            crate::code_limits::admit(&mut { conn }, &limits, &mac, client.as_deref(), now_ms)?;
            if accounts::find_by_phone_mac(conn, &mac)?.is_none() {
                return Ok(false);
            }
            LoginCodes::put_login_code(&mut { conn }, &mac, &hash, expires)?;
            Ok(true)
        })
        .await?;
    if known {
        state.codes.send(&phone, &code).await?;
    }
    Ok(())
}

fn invalid_code() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "invalid_code",
        "验证码错误或已过期，请重新获取",
        "the code is wrong or has expired; ask for a new one",
    )
}

/// The hash a code is stored under (for a sign-in that checks a code itself, like the
/// supervision page's form).
pub fn given_code_hash(state: &AppState, phone: &str, code: &str) -> Option<(String, String)> {
    if check_phone(phone).is_err() || code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mac = state.keys.phone_mac(phone);
    let hash = code_hash(&mac, code);
    Some((mac, hash))
}

/// Inside a write: checks a code against the stored one and uses it up. Answers whether it
/// matched; a wrong code counts a try, an expired or exhausted one is forgotten. Written once
/// over the storage seam ([`LoginCodes`]): the same on SQLite and on PostgreSQL.
pub fn use_code<S: LoginCodes + ?Sized>(
    store: &mut S,
    mac: &str,
    given: &str,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let Some(pending) = store.login_code(mac)? else {
        return Ok(false);
    };
    if pending.expires_ms < now_ms || pending.attempts >= MAX_ATTEMPTS {
        store.drop_login_code(mac)?;
        return Ok(false);
    }
    // Both sides are SHA-256 digests of secret material, so comparing them leaks nothing useful.
    if pending.code_hash != given {
        store.count_wrong_try(mac)?;
        return Ok(false);
    }
    store.drop_login_code(mac)?;
    Ok(true)
}

/// Inside a write: [`use_code`], then the user id of the phone when the code matched.
pub fn take_code(
    conn: &Tx<'_>,
    mac: &str,
    given: &str,
    now_ms: i64,
) -> Result<Option<String>, ApiError> {
    if !use_code(&mut { conn }, mac, given, now_ms)? {
        return Ok(None);
    }
    accounts::find_by_phone_mac(conn, mac)
}

/// Checks the code and opens a session.
pub async fn login(
    state: &AppState,
    phone: String,
    code: String,
) -> Result<SessionResponse, ApiError> {
    check_phone(&phone)?;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_code());
    }
    let mac = state.keys.phone_mac(&phone);
    let now = state.auth_clock.now();
    let mut raw = [0u8; 32];
    state.keys.random(&mut raw)?;
    let token = hex(&raw);
    let token_hash = sha256_hex(token.as_bytes());
    let expires_at = now.checked_add(state.token_ttl).unwrap_or(now);
    let now_ms = now.as_millisecond();
    let exp_ms = expires_at.as_millisecond();
    let given = code_hash(&mac, &code);
    let outcome = state
        .db
        .write(move |conn| {
            let Some(user_id) = take_code(conn, &mac, &given, now_ms)? else {
                return Ok(None);
            };
            Sessions::open_session(&mut { conn }, &token_hash, &user_id, exp_ms)?;
            accounts::load(conn, &user_id)
        })
        .await?;
    let user = outcome.ok_or_else(invalid_code)?;
    tracing::info!(user = %user.id, "login");
    Ok(SessionResponse {
        token,
        expires_at,
        user: user.view(&state.dir),
    })
}

/// Ends the session of `token_hash` (the token stops working at once), inside the caller's
/// write, so that what goes with the session (its push devices) goes in the same transaction.
pub fn end_session(conn: &Tx<'_>, token_hash: &str) -> Result<(), ApiError> {
    Sessions::end_session(&mut { conn }, token_hash)
}

/// The signed-in user of a request, and the hash of their token (for logout).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::unauthorized());
        }
        let token_hash = sha256_hex(token.as_bytes());
        let now_ms = state.auth_clock.now().as_millisecond();
        let th = token_hash.clone();
        let user = state
            .db
            .read(
                move |conn| match Sessions::session_user(&mut { conn }, &th, now_ms)? {
                    Some(id) => accounts::load(conn, &id),
                    None => Ok(None),
                },
            )
            .await?;
        let user = user.ok_or_else(ApiError::unauthorized)?;
        Ok(AuthUser { user, token_hash })
    }
}
