//! The one trait every vendor's sender implements, what one attempt can end in, the bounded
//! retry with exponential backoff around it, and the HTTP helpers the senders share (the
//! client over rustls, `Retry-After`, the payload size check).
//! Must never log a device token, an access token or a vendor's raw answer (some echo tokens).

use super::Message;
use super::config::RetryConfig;
use huoshui_core::wire::{DeviceApp, PushVendor};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The vendor accepted the message.
    Sent,
    /// The vendor says the device token is no longer valid: drop it.
    InvalidToken,
    /// Try again (after the vendor's `Retry-After`, or the backoff).
    Retry { after: Option<Duration> },
    /// Not worth retrying (bad credentials, a refused payload); the reason is a code, never
    /// a token.
    GiveUp(String),
}

/// A boxed future of one attempt.
pub type Attempt<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// One vendor's channel.
pub trait Sender: Send + Sync {
    fn vendor(&self) -> PushVendor;

    /// Whether the channel has a silent message for a tickle (OPPO's and vivo's have none).
    fn carries_tickles(&self) -> bool {
        true
    }

    /// One attempt to deliver `msg` to the device `token` (registered by `app`).
    fn attempt<'a>(&'a self, token: &'a str, app: DeviceApp, msg: &'a Message) -> Attempt<'a>;
}

/// Sends with retries: a `Retry` outcome waits (exponential backoff from `base_ms`, or the
/// vendor's `Retry-After`, never more than `max_ms`) and tries again, `attempts` times in all.
pub async fn deliver(
    sender: &dyn Sender,
    token: &str,
    app: DeviceApp,
    msg: &Message,
    retry: &RetryConfig,
) -> Outcome {
    let attempts = retry.attempts.clamp(1, 8);
    let mut tried = 0;
    loop {
        tried += 1;
        let outcome = sender.attempt(token, app, msg).await;
        match outcome {
            Outcome::Retry { after } if tried < attempts => {
                let backoff = Duration::from_millis(retry.base_ms.saturating_mul(1 << (tried - 1)));
                let wait = after
                    .unwrap_or(backoff)
                    .min(Duration::from_millis(retry.max_ms));
                tokio::time::sleep(wait).await;
            }
            Outcome::Retry { .. } => return Outcome::GiveUp("retries exhausted".to_owned()),
            other => return other,
        }
    }
}

/// The HTTP client of the senders: rustls (ring), HTTP/2 where the server offers it.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    huoshui_core::sync::install_tls_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .build()
}

/// `Retry-After` in seconds, if the vendor sent one.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The outcome every vendor shares for a status: 429 and 5xx are retried.
pub fn transient(status: StatusCode, headers: &HeaderMap) -> Option<Outcome> {
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Some(Outcome::Retry {
            after: retry_after(headers),
        })
    } else {
        None
    }
}

/// A network failure: retried (the request may not have arrived).
pub fn network(e: &reqwest::Error) -> Outcome {
    tracing::debug!(
        timeout = e.is_timeout(),
        connect = e.is_connect(),
        "push call failed"
    );
    Outcome::Retry { after: None }
}

/// Refuses a body over the vendor's limit (checked before sending).
pub fn within(body: &[u8], limit: usize, vendor: PushVendor) -> Result<(), Outcome> {
    if body.len() > limit {
        Err(Outcome::GiveUp(format!(
            "{} payload of {} bytes is over its {limit}-byte limit",
            vendor.code(),
            body.len()
        )))
    } else {
        Ok(())
    }
}

/// `endpoint` without a trailing slash, then `path`.
pub fn join(endpoint: &str, path: &str) -> String {
    format!("{}{path}", endpoint.trim_end_matches('/'))
}

/// Milliseconds since the Unix epoch (vendors that sign a timestamp).
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
