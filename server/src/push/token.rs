//! One cached access token per vendor with at most one refresh in flight (single-flight): the
//! first caller that finds the token stale refreshes it while the others wait on the same lock
//! and then reuse the fresh one. Owns only the cache; each sender says how to fetch a token.
//! Must never log a token.

use super::config::Secret;
use super::sender::Outcome;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Cached {
    token: Secret,
    fresh_until: Instant,
}

/// A vendor's access token, refreshed when stale.
#[derive(Default)]
pub struct TokenCache {
    slot: tokio::sync::Mutex<Option<Cached>>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache(..)")
    }
}

impl TokenCache {
    /// The cached token, or a fresh one from `fetch` (which answers the token and how long to
    /// use it). Concurrent callers share one fetch.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Secret, Outcome>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Secret, Duration), Outcome>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(c) = slot.as_ref()
            && Instant::now() < c.fresh_until
        {
            return Ok(c.token.clone());
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let (token, use_for) = fetch().await?;
        *slot = Some(Cached {
            token: token.clone(),
            fresh_until: Instant::now() + use_for,
        });
        Ok(token)
    }

    /// Forgets `stale` (the vendor refused it) unless another caller already replaced it.
    pub async fn invalidate(&self, stale: &Secret) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| &c.token == stale) {
            *slot = None;
        }
    }

    /// How many times a token was fetched (for tests and figures).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

/// How long to use an OAuth token that lives `expires_in` seconds: refreshed a tenth of its
/// life (at most five minutes) before it ends.
pub fn oauth_use_for(expires_in: u64) -> Duration {
    let life = Duration::from_secs(expires_in);
    life.saturating_sub((life / 10).min(Duration::from_secs(300)))
}

/// Posts an OAuth2 token request (a form) and reads `access_token` and `expires_in`: the
/// client-credentials grant of Huawei and Honor, the JWT-bearer grant of Google. A 5xx or 429
/// is retried; any other refusal gives up (the credentials are wrong: nothing to retry).
pub async fn oauth_form(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    vendor: &str,
) -> Result<(Secret, Duration), Outcome> {
    let resp = http
        .post(url)
        .form(form)
        .send()
        .await
        .map_err(|e| super::sender::network(&e))?;
    let status = resp.status();
    if let Some(o) = super::sender::transient(status, resp.headers()) {
        return Err(o);
    }
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    match (body["access_token"].as_str(), status.is_success()) {
        (Some(token), true) => {
            let expires_in = body["expires_in"].as_u64().unwrap_or(3600);
            Ok((Secret::new(token), oauth_use_for(expires_in)))
        }
        _ => {
            tracing::warn!(
                vendor,
                status = status.as_u16(),
                "push access token refused"
            );
            Err(Outcome::GiveUp(format!(
                "{vendor} token request refused ({})",
                status.as_u16()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn concurrent_callers_of_a_stale_token_share_one_refresh() {
        let cache = Arc::new(TokenCache::default());
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let cache = cache.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok((Secret::new("a"), Duration::from_secs(60)))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().expose(), "a");
        }
        assert_eq!(cache.fetches(), 1);
        cache.invalidate(&Secret::new("other")).await;
        let again = cache
            .get(|| async { Ok((Secret::new("b"), Duration::from_secs(60))) })
            .await
            .unwrap();
        assert_eq!(
            again.expose(),
            "a",
            "a stale invalidation keeps the fresh token"
        );
        cache.invalidate(&Secret::new("a")).await;
        let fresh = cache
            .get(|| async { Ok((Secret::new("b"), Duration::from_secs(60))) })
            .await
            .unwrap();
        assert_eq!((fresh.expose(), cache.fetches()), ("b", 2));
        assert_eq!(oauth_use_for(3600), Duration::from_secs(3300));
        assert_eq!(oauth_use_for(10), Duration::from_secs(9));
    }
}
