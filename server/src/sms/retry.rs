//! What the SMS providers share: the HTTPS client (rustls with the ring provider, timeouts)
//! and the retry loop. A try that fails for a reason worth retrying (the network, the
//! provider's 5xx or 429, a provider code meaning "busy") waits and tries again, doubling the
//! wait each time (and at least what a 429's `Retry-After` asks, up to a cap); one that will
//! not get better (bad number, template, signature or credentials) gives up at once.
//! Must never put a phone number or a code into an error or a log line.

use super::SmsError;
use serde::Deserialize;
use std::future::Future;
use std::time::Duration;

/// How often and how patiently a message is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Tries in all (at least 1).
    pub attempts: u32,
    /// The wait after the first failed try, in milliseconds; doubled after each.
    pub base_ms: u64,
    /// The longest single wait, in milliseconds (also caps a `Retry-After`).
    pub max_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_ms: 500,
            max_ms: 10_000,
        }
    }
}

impl RetryPolicy {
    /// The wait before try `n + 1` after try `n` (1-based) failed.
    pub fn backoff(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        let doubled = self
            .base_ms
            .saturating_mul(1u64 << n.saturating_sub(1).min(20));
        let wait = Duration::from_millis(doubled.min(self.max_ms));
        match retry_after {
            Some(asked) => wait.max(asked.min(Duration::from_millis(self.max_ms))),
            None => wait,
        }
    }
}

/// What one try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Worth another try (after at least `after`, if the provider said).
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Another try will not help.
    GiveUp(String),
}

/// Runs `once` until it sends, gives up, or the tries are used up.
pub async fn run<F, Fut>(policy: &RetryPolicy, provider: &str, mut once: F) -> Result<(), SmsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Outcome>,
{
    let attempts = policy.attempts.max(1);
    let mut last = String::new();
    for n in 1..=attempts {
        match once().await {
            Outcome::Sent => return Ok(()),
            Outcome::GiveUp(reason) => {
                tracing::warn!(provider, reason = %reason, "text message refused");
                return Err(SmsError::Refused(format!("{provider}: {reason}")));
            }
            Outcome::Retry { reason, after } => {
                tracing::warn!(provider, attempt = n, reason = %reason, "text message not sent yet");
                last = reason;
                if n < attempts {
                    tokio::time::sleep(policy.backoff(n, after)).await;
                }
            }
        }
    }
    Err(SmsError::Retry(format!("{provider}: {last}")))
}

/// The outcome of an HTTP answer that is not a success: 429 and 5xx are retried (with the
/// 429's `Retry-After` seconds), anything else is the provider's answer to read.
pub fn transient_status(response: &reqwest::Response) -> Option<Outcome> {
    let status = response.status();
    if status.as_u16() == 429 || status.is_server_error() {
        let after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Some(Outcome::Retry {
            reason: format!("HTTP {}", status.as_u16()),
            after,
        });
    }
    None
}

/// A network failure is worth another try; say what kind without the URL's query.
pub fn network(err: &reqwest::Error) -> Outcome {
    let what = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "cannot connect"
    } else {
        "network error"
    };
    Outcome::Retry {
        reason: what.to_owned(),
        after: None,
    }
}

/// The HTTPS client of the providers: rustls with ring, 5 s to connect, 15 s in all.
pub fn client() -> Result<reqwest::Client, SmsError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| SmsError::Refused(format!("cannot build the HTTPS client: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_honours_retry_after() {
        let p = RetryPolicy {
            attempts: 5,
            base_ms: 100,
            max_ms: 1000,
        };
        assert_eq!(p.backoff(1, None), Duration::from_millis(100));
        assert_eq!(p.backoff(2, None), Duration::from_millis(200));
        assert_eq!(p.backoff(3, None), Duration::from_millis(400));
        assert_eq!(p.backoff(5, None), Duration::from_millis(1000));
        assert_eq!(
            p.backoff(1, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(60))),
            Duration::from_millis(1000)
        );
    }
}
