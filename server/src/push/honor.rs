//! Honor Push: an OAuth2 access token by client credentials
//! (`POST iam.developer.honor.com/auth/token`, form `grant_type=client_credentials`,
//! `client_id`, `client_secret`; cached, one refresh in flight), then
//! `POST push-api.cloud.honor.com/api/v1/<app_id>/sendMessage` with `Authorization: Bearer …`,
//! a `timestamp` header (milliseconds) and `{"data": "…", "android": {…}, "token": [<token>]}`.
//! A task is a notification with `importance = NORMAL` (service and communication; `LOW` is
//! marketing) and `clickAction.type = 3` (open the app); a tickle is a data message.
//! Answers: `code` 200 success; the token-invalid, token-expired, too-large and internal codes
//! follow Huawei's numbering (80300007/80100000 drop the token, 80200003 and HTTP 401 refresh
//! and retry, 81000001 and 5xx/429 retry).
//! Not confirmed from Honor's own page in this workplace: the error-code numbers (taken to be
//! Huawei's, which Honor's API mirrors) and the 4096-byte limit (assumed equal to Huawei's).
//! Must never log a device token or the client secret.

use super::Message;
use super::config::{HonorConfig, PushConfigError, Secret, read_secret};
use super::huawei::Answer;
use super::sender::{self, Attempt, Outcome, Sender};
use super::token::{TokenCache, oauth_form};
use huoshui_core::wire::{DeviceApp, PushVendor};
use serde_json::{Value, json};
use std::time::Duration;

/// The body limit (assumed, see the module comment).
pub const PAYLOAD_LIMIT: usize = 4096;

pub struct Honor {
    http: reqwest::Client,
    c: HonorConfig,
    secret: Secret,
    access: TokenCache,
}

impl Honor {
    pub fn new(c: &HonorConfig, timeout: Duration) -> Result<Honor, PushConfigError> {
        Ok(Honor {
            http: sender::client(timeout)
                .map_err(|e| PushConfigError::Invalid(format!("honor client: {e}")))?,
            secret: read_secret(&c.client_secret_file)?,
            c: c.clone(),
            access: TokenCache::default(),
        })
    }

    async fn access_token(&self) -> Result<Secret, Outcome> {
        self.access
            .get(|| async {
                oauth_form(
                    &self.http,
                    &self.c.token_endpoint,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", &self.c.client_id),
                        ("client_secret", self.secret.expose()),
                    ],
                    "honor",
                )
                .await
            })
            .await
    }

    async fn send(&self, token: &str, msg: &Message) -> Outcome {
        let body = self.body(token, msg).to_string().into_bytes();
        if let Err(o) = sender::within(&body, PAYLOAD_LIMIT + token.len(), PushVendor::Honor) {
            return o;
        }
        let access = match self.access_token().await {
            Ok(a) => a,
            Err(o) => return o,
        };
        let url = sender::join(
            &self.c.endpoint,
            &format!("/api/v1/{}/sendMessage", self.c.app_id),
        );
        let resp = match self
            .http
            .post(url)
            .bearer_auth(access.expose())
            .header("content-type", "application/json")
            .header("timestamp", sender::now_millis().to_string())
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
        let code = match &answer["code"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        // Honor's push service answers with Push Kit's codes (see the module comment).
        match super::huawei::answer_of(&code, &["200", "80000000"], status) {
            Answer::Sent => Outcome::Sent,
            Answer::InvalidToken => Outcome::InvalidToken,
            Answer::StaleAccess => self.refresh(&access).await,
            Answer::Busy => Outcome::Retry { after: None },
            Answer::Other => sender::transient(status, &headers).unwrap_or_else(|| {
                tracing::warn!(status = status.as_u16(), code, "honor refused a push");
                Outcome::GiveUp(format!("honor {code}"))
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
                "ttl": "3600s",
                "notification": {
                    "title": title,
                    "body": body,
                    "importance": self.c.importance,
                    "clickAction": {"type": 3},
                },
            }),
            Message::Tickle => json!({"ttl": "3600s"}),
        };
        json!({"data": msg.data_string(), "android": android, "token": [token]})
    }
}

impl Sender for Honor {
    fn vendor(&self) -> PushVendor {
        PushVendor::Honor
    }

    fn attempt<'a>(&'a self, token: &'a str, _app: DeviceApp, msg: &'a Message) -> Attempt<'a> {
        Box::pin(self.send(token, msg))
    }
}
