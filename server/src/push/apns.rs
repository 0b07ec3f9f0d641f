//! Apple Push Notification service: HTTP/2 `POST /3/device/<token>` with a provider token (an
//! ES256 JWT from the team's .p8 key, `kid` = key id, `iss` = team id, `iat`), reused for
//! `token_refresh_minutes` (Apple accepts 20 to 60 minutes). A manager's task is an alert
//! (`apns-push-type: alert`, `apns-priority: 10`); a tickle is a background push
//! (`apns-push-type: background`, `apns-priority: 5`, `content-available`). Payload at most
//! 4096 bytes. Errors (Apple's `reason`): `BadDeviceToken`, `DeviceTokenNotForTopic`,
//! `Unregistered` (410) drop the token; `ExpiredProviderToken` re-signs and retries; 429 and
//! 5xx retry; anything else gives up.
//! Must never log the device token (it is in the path) or the signing key.

use super::Message;
use super::config::{ApnsConfig, PushConfigError, Secret, read_secret};
use super::jwt::{Es256, now_secs};
use super::sender::{self, Attempt, Outcome, Sender};
use super::token::TokenCache;
use huoshui_core::wire::{DeviceApp, PushVendor};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Apple's limit for a regular remote notification.
pub const PAYLOAD_LIMIT: usize = 4096;

pub struct Apns {
    http: reqwest::Client,
    endpoint: String,
    topic: String,
    manager_topic: String,
    key_id: String,
    team_id: String,
    signer: Es256,
    jwt: TokenCache,
    reuse: Duration,
}

impl Apns {
    pub fn new(c: &ApnsConfig, timeout: Duration) -> Result<Apns, PushConfigError> {
        let pem = read_secret(&c.key_file)?;
        let signer = Es256::from_pem(pem.expose(), &c.key_file.display().to_string())?;
        let minutes = c.token_refresh_minutes.clamp(20, 59);
        // Plain http:// is only for a fake server on loopback: HTTP/2 with prior knowledge
        // (h2c). The real endpoint is https:// and negotiates HTTP/2 by ALPN.
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10));
        if c.endpoint.starts_with("http://") {
            builder = builder.http2_prior_knowledge();
        }
        huoshui_core::sync::install_tls_provider();
        let http = builder
            .build()
            .map_err(|e| PushConfigError::Invalid(format!("apns client: {e}")))?;
        Ok(Apns {
            http,
            endpoint: c.endpoint.clone(),
            topic: c.topic.clone(),
            manager_topic: c.manager_topic.clone().unwrap_or_else(|| c.topic.clone()),
            key_id: c.key_id.clone(),
            team_id: c.team_id.clone(),
            signer,
            jwt: TokenCache::default(),
            reuse: Duration::from_secs(minutes * 60),
        })
    }

    /// How many provider tokens were signed.
    pub fn tokens_signed(&self) -> u64 {
        self.jwt.fetches()
    }

    async fn provider_token(&self) -> Result<Secret, Outcome> {
        self.jwt
            .get(|| async {
                let header = json!({"alg": "ES256", "kid": self.key_id});
                let claims = json!({"iss": self.team_id, "iat": now_secs()});
                match self.signer.sign(&header, &claims) {
                    Some(t) => Ok((Secret::new(t), self.reuse)),
                    None => Err(Outcome::GiveUp("apns signing failed".to_owned())),
                }
            })
            .await
    }

    async fn send(&self, token: &str, app: DeviceApp, msg: &Message) -> Outcome {
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Outcome::InvalidToken;
        }
        let body = payload(msg).to_string().into_bytes();
        if let Err(o) = sender::within(&body, PAYLOAD_LIMIT, PushVendor::Apns) {
            return o;
        }
        let jwt = match self.provider_token().await {
            Ok(j) => j,
            Err(o) => return o,
        };
        let topic = match app {
            DeviceApp::Manager => &self.manager_topic,
            DeviceApp::Villager => &self.topic,
        };
        let (push_type, priority) = if msg.is_alert() {
            ("alert", "10")
        } else {
            ("background", "5")
        };
        let url = sender::join(&self.endpoint, &format!("/3/device/{token}"));
        let mut req = self
            .http
            .post(url)
            .header("authorization", format!("bearer {}", jwt.expose()))
            .header("apns-topic", topic)
            .header("apns-push-type", push_type)
            .header("apns-priority", priority)
            .header("apns-expiration", (now_secs() + 3600).to_string());
        if !msg.is_alert() {
            req = req.header("apns-collapse-id", "huoshui_sync");
        }
        let resp = match req.body(body).send().await {
            Ok(r) => r,
            Err(e) => return sender::network(&e),
        };
        let status = resp.status();
        if status == StatusCode::OK {
            return Outcome::Sent;
        }
        let headers = resp.headers().clone();
        let reason = resp
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v["reason"].as_str().map(str::to_owned))
            .unwrap_or_default();
        self.classify(status, &reason, &headers, &jwt).await
    }

    async fn classify(
        &self,
        status: StatusCode,
        reason: &str,
        headers: &reqwest::header::HeaderMap,
        jwt: &Secret,
    ) -> Outcome {
        match (status.as_u16(), reason) {
            (410, _) | (400, "BadDeviceToken" | "DeviceTokenNotForTopic") => Outcome::InvalidToken,
            (403, "ExpiredProviderToken") => {
                self.jwt.invalidate(jwt).await;
                Outcome::Retry {
                    after: Some(Duration::ZERO),
                }
            }
            _ => sender::transient(status, headers).unwrap_or_else(|| {
                tracing::warn!(status = status.as_u16(), reason, "apns refused a push");
                Outcome::GiveUp(format!("apns {}: {reason}", status.as_u16()))
            }),
        }
    }
}

/// The JSON body: an alert with the fixed sentence and the task id, or a background tickle.
pub fn payload(msg: &Message) -> Value {
    let mut v = Value::Object(msg.data());
    match msg {
        Message::Alert { title, body, .. } => {
            v["aps"] = json!({"alert": {"title": title, "body": body}, "sound": "default"});
        }
        Message::Tickle => v["aps"] = json!({"content-available": 1}),
    }
    v
}

impl Sender for Apns {
    fn vendor(&self) -> PushVendor {
        PushVendor::Apns
    }

    fn attempt<'a>(&'a self, token: &'a str, app: DeviceApp, msg: &'a Message) -> Attempt<'a> {
        Box::pin(self.send(token, app, msg))
    }
}
