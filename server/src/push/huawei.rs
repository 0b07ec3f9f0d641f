//! Huawei Push Kit (HMS, v1 API): an OAuth2 access token by client credentials
//! (`POST oauth-login.cloud.huawei.com/oauth2/v3/token`, form `grant_type=client_credentials`,
//! `client_id`, `client_secret`; cached, one refresh in flight), then
//! `POST push-api.cloud.huawei.com/v1/<app_id>/messages:send` with `Authorization: Bearer …`
//! and `{"validate_only": false, "message": {…, "token": [<token>]}}`. The message body may not
//! exceed 4096 bytes, tokens excluded. A task is a notification message with
//! `android.notification.importance = NORMAL` (service and communication, not marketing) and
//! the self-classification `android.category` (default `WORK`, as granted to the app);
//! a tickle is a data message.
//! Answers: `code` "80000000" success; "80100000" (some tokens invalid) and "80300007" (all
//! tokens invalid) drop the token; "80200003" (OAuth token expired) and "80200001" (OAuth
//! authentication error) or HTTP 401 refresh the token and retry; "81000001" (internal error),
//! HTTP 503 (flow control) and other 5xx retry; the rest give up.
//! Not confirmed from Huawei's own page in this workplace: that `android.category` (rather than
//! a field of `android.notification`) carries the self-classification on the v1 API for
//! Android; the values WORK/FINANCE are Huawei's published category names.
//! Must never log a device token, the client secret or Huawei's `msg` (it can list tokens).

use super::Message;
use super::config::{HuaweiConfig, PushConfigError, Secret, read_secret};
use super::sender::{self, Attempt, Outcome, Sender};
use super::token::{TokenCache, oauth_form};
use huoshui_core::wire::{DeviceApp, PushVendor};
use serde_json::{Value, json};
use std::time::Duration;

/// Huawei's limit on the message body, tokens excluded.
pub const PAYLOAD_LIMIT: usize = 4096;

pub struct Huawei {
    http: reqwest::Client,
    c: HuaweiConfig,
    secret: Secret,
    access: TokenCache,
}

impl Huawei {
    pub fn new(c: &HuaweiConfig, timeout: Duration) -> Result<Huawei, PushConfigError> {
        Ok(Huawei {
            http: sender::client(timeout)
                .map_err(|e| PushConfigError::Invalid(format!("huawei client: {e}")))?,
            secret: read_secret(&c.client_secret_file)?,
            c: c.clone(),
            access: TokenCache::default(),
        })
    }

    /// How many access tokens were fetched.
    pub fn tokens_fetched(&self) -> u64 {
        self.access.fetches()
    }

    async fn access_token(&self) -> Result<Secret, Outcome> {
        let client_id = self.c.client_id.as_deref().unwrap_or(&self.c.app_id);
        self.access
            .get(|| async {
                oauth_form(
                    &self.http,
                    &self.c.token_endpoint,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("client_secret", self.secret.expose()),
                    ],
                    "huawei",
                )
                .await
            })
            .await
    }

    async fn send(&self, token: &str, msg: &Message) -> Outcome {
        let body = self.body(token, msg).to_string().into_bytes();
        let counted = body.len().saturating_sub(token.len());
        if counted > PAYLOAD_LIMIT {
            return Outcome::GiveUp(format!("huawei payload of {counted} bytes is over 4096"));
        }
        let access = match self.access_token().await {
            Ok(a) => a,
            Err(o) => return o,
        };
        let url = sender::join(
            &self.c.endpoint,
            &format!("/v1/{}/messages:send", self.c.app_id),
        );
        let resp = match self
            .http
            .post(url)
            .bearer_auth(access.expose())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return sender::network(&e),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let answer: Value = resp.json().await.unwrap_or_default();
        let code = answer["code"].as_str().unwrap_or_default().to_owned();
        match answer_of(&code, &["80000000"], status) {
            Answer::Sent => Outcome::Sent,
            Answer::InvalidToken => Outcome::InvalidToken,
            Answer::StaleAccess => self.refresh(&access).await,
            Answer::Busy => Outcome::Retry { after: None },
            Answer::Other => sender::transient(status, &headers).unwrap_or_else(|| {
                tracing::warn!(status = status.as_u16(), code, "huawei refused a push");
                Outcome::GiveUp(format!("huawei {code}"))
            }),
        }
    }

    async fn refresh(&self, stale: &Secret) -> Outcome {
        self.access.invalidate(stale).await;
        Outcome::Retry {
            after: Some(Duration::ZERO),
        }
    }

    /// The request body for one device.
    pub fn body(&self, token: &str, msg: &Message) -> Value {
        let android = match msg {
            Message::Alert { title, body, .. } => json!({
                "category": self.c.category,
                "urgency": "HIGH",
                "ttl": "3600s",
                "notification": {
                    "title": title,
                    "body": body,
                    "importance": "NORMAL",
                    "click_action": {"type": 3},
                },
            }),
            Message::Tickle => json!({"urgency": "NORMAL", "ttl": "3600s"}),
        };
        json!({
            "validate_only": false,
            "message": {
                "data": msg.data_string(),
                "android": android,
                "token": [token],
            }
        })
    }
}

impl Sender for Huawei {
    fn vendor(&self) -> PushVendor {
        PushVendor::Huawei
    }

    fn attempt<'a>(&'a self, token: &'a str, _app: DeviceApp, msg: &'a Message) -> Attempt<'a> {
        Box::pin(self.send(token, msg))
    }
}

/// What a Push Kit answer means (Honor's push service answers with the same codes).
pub(crate) enum Answer {
    Sent,
    /// The device token is unknown or expired: drop it.
    InvalidToken,
    /// The OAuth access token was refused: refresh it once and retry.
    StaleAccess,
    /// The service is busy: retry later.
    Busy,
    /// Anything else: transient by its HTTP status, otherwise give up.
    Other,
}

/// Reads an answer `code` (`sent` lists the codes meaning success for this vendor).
pub(crate) fn answer_of(code: &str, sent: &[&str], status: reqwest::StatusCode) -> Answer {
    match code {
        c if sent.contains(&c) => Answer::Sent,
        "80100000" | "80300007" => Answer::InvalidToken,
        "80200003" | "80200001" => Answer::StaleAccess,
        "81000001" => Answer::Busy,
        _ if status.as_u16() == 401 => Answer::StaleAccess,
        _ => Answer::Other,
    }
}
