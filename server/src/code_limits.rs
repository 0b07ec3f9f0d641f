//! How often a one-time login code may be asked for, and the provider that texts it.
//! Owns the `code_requests` table (one row per code issued: the phone's keyed MAC, the
//! client address's keyed MAC, the time; pruned after a day) and the decision, in the same
//! transaction that stores the code: at most one code per phone per 60 s, 10 per phone per
//! rolling 24 hours and 100 per client address per hour ([`CodeLimits`], from `[server.codes]`).
//! A refusal is 429 `too_many_codes` with `Retry-After` and the wait in words, Chinese and
//! English. Because the rows are in the database, a restart does not reset the limits; every
//! phone is counted alike, so the answer never says whether a phone has an account.
//! Also owns [`SmsCodeProvider`] (the code by SMS) and the [`ClientAddr`] extractor.
//! Must never store or log a phone number, a code or a client address in the clear.

use crate::auth::{CodeFuture, CodeProvider};
use crate::error::ApiError;
use crate::repo::{CodeKey, CodeRequests};
use crate::sms::{SmsError, SmsMessage, SmsSender};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The limits (`[server.codes]`); the defaults are the county's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CodeLimits {
    /// Seconds between two codes for one phone.
    pub per_phone_interval_seconds: u32,
    /// Codes for one phone in any 24 hours.
    pub per_phone_per_day: u32,
    /// Codes for one client address in any hour.
    pub per_client_per_hour: u32,
}

impl Default for CodeLimits {
    fn default() -> Self {
        CodeLimits {
            per_phone_interval_seconds: 60,
            per_phone_per_day: 10,
            per_client_per_hour: 100,
        }
    }
}

/// The sign-in settings the handlers read from the state.
#[derive(Debug, Clone, Default)]
pub struct SignIn {
    pub limits: CodeLimits,
    /// A header a trusted proxy sets with the client's address (lower case); none: the peer.
    pub client_header: Option<axum::http::HeaderName>,
}

/// The `at` of the `n`-th newest request counted by `by = key` since `since` (`n = 0`: no
/// code at all is allowed, so the limit is reached now).
fn nth_newest<S: CodeRequests + ?Sized>(
    store: &mut S,
    by: CodeKey,
    key: &str,
    since: i64,
    n: u32,
) -> Result<Option<i64>, ApiError> {
    if n == 0 {
        return Ok(Some(since));
    }
    store.nth_newest_code_request(by, key, since, n)
}

/// Inside the write that issues a code: refuses with 429 if a limit is reached, else counts
/// this code. `client` is the keyed MAC of the client's address, when known. Written once over
/// the storage seam ([`CodeRequests`]): the same decision on SQLite and on PostgreSQL.
pub fn admit<S: CodeRequests + ?Sized>(
    store: &mut S,
    limits: &CodeLimits,
    phone_mac: &str,
    client: Option<&str>,
    now_ms: i64,
) -> Result<(), ApiError> {
    store.hold_code_limits(phone_mac, client)?;
    store.prune_code_requests(now_ms - DAY_MS)?;
    let interval = i64::from(limits.per_phone_interval_seconds) * 1000;
    let mut free_at: Option<i64> = None;
    let mut later = |at: i64| free_at = Some(free_at.map_or(at, |f: i64| f.max(at)));
    if interval > 0
        && let Some(last) = nth_newest(store, CodeKey::Phone, phone_mac, now_ms - interval, 1)?
    {
        later(last + interval);
    }
    let per_day = limits.per_phone_per_day;
    if let Some(at) = nth_newest(store, CodeKey::Phone, phone_mac, now_ms - DAY_MS, per_day)? {
        later(at + DAY_MS);
    }
    if let Some(client) = client {
        let n = limits.per_client_per_hour;
        if let Some(at) = nth_newest(store, CodeKey::Client, client, now_ms - HOUR_MS, n)? {
            later(at + HOUR_MS);
        }
    }
    if let Some(at) = free_at {
        return Err(too_many(at.saturating_sub(now_ms)));
    }
    store.insert_code_request(phone_mac, client, now_ms)
}

/// A wait in words: seconds under a minute, else minutes (rounded up), with hours over an hour.
pub fn wait_words(wait_ms: i64) -> (String, String) {
    let seconds = (wait_ms.max(0) + 999) / 1000;
    if seconds < 60 {
        let s = seconds.max(1);
        let en = if s == 1 {
            "1 second".to_owned()
        } else {
            format!("{s} seconds")
        };
        return (format!("{s} 秒"), en);
    }
    let minutes = (seconds + 59) / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    let plural = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    match (h, m) {
        (0, m) => (format!("{m} 分钟"), plural(m, "minute")),
        (h, 0) => (format!("{h} 小时"), plural(h, "hour")),
        (h, m) => (
            format!("{h} 小时 {m} 分钟"),
            format!("{} {}", plural(h, "hour"), plural(m, "minute")),
        ),
    }
}

fn too_many(wait_ms: i64) -> ApiError {
    let (zh, en) = wait_words(wait_ms);
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_codes",
        format!("获取验证码太频繁，请 {zh}后再试"),
        format!("too many codes asked for; try again in {en}"),
    );
    e.retry_after = Some(
        u64::try_from((wait_ms.max(0) + 999) / 1000)
            .unwrap_or(1)
            .max(1),
    );
    e
}

/// The keyed MAC a client address is counted under (never the address itself).
pub fn client_mac(state: &AppState, client: Option<IpAddr>) -> Option<String> {
    client.map(|ip| state.keys.phone_mac(&format!("client-ip:{ip}")))
}

/// The client's address: the trusted proxy's header when configured and present, else the
/// connection's peer; `None` when neither is known.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        if let Some(name) = &state.sign_in.client_header {
            let first = parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if first.is_some() {
                return Ok(ClientAddr(first));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        Ok(ClientAddr(peer))
    }
}

/// Texts the login code through the configured SMS provider (the template for
/// [`SmsMessage::LoginCode`]). A provider that cannot send now is 503 `sms_unavailable`.
pub struct SmsCodeProvider {
    sms: Arc<dyn SmsSender>,
}

impl SmsCodeProvider {
    pub fn new(sms: Arc<dyn SmsSender>) -> SmsCodeProvider {
        SmsCodeProvider { sms }
    }
}

impl CodeProvider for SmsCodeProvider {
    fn send<'a>(&'a self, phone: &'a str, code: &'a str) -> CodeFuture<'a> {
        Box::pin(async move {
            let message = SmsMessage::LoginCode {
                code: code.to_owned(),
            };
            self.sms.send(phone, &message).await.map_err(|e| {
                let retry = matches!(e, SmsError::Retry(_));
                tracing::warn!(retry, "login code not sent");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "sms_unavailable",
                    "短信暂时发不出去，请稍后再获取验证码",
                    "the text message could not be sent; ask for a code again later",
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn waits_are_said_in_words() {
        assert_eq!(wait_words(45_000), ("45 秒".into(), "45 seconds".into()));
        assert_eq!(wait_words(1), ("1 秒".into(), "1 second".into()));
        assert_eq!(wait_words(61_000), ("2 分钟".into(), "2 minutes".into()));
        assert_eq!(wait_words(3_600_000), ("1 小时".into(), "1 hour".into()));
        assert_eq!(
            wait_words(3 * 3_600_000 + 12 * 60_000),
            ("3 小时 12 分钟".into(), "3 hours 12 minutes".into())
        );
    }
}
