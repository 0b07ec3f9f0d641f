//! OPPO push (OPUSH): an auth token from `POST api.push.oppomobile.com/server/v1/auth` (form
//! `app_key`, `timestamp` in milliseconds, `sign` = hex SHA-256 of app_key + timestamp +
//! master_secret; valid 24 hours; cached, one refresh in flight), then
//! `POST /server/v1/message/notification/unicast` with the header `auth_token` and the form
//! field `message` = `{"target_type": 2, "target_value": <registration id>, "notification":
//! {…}}`. The notification names the private-message `channel_id`, the `category` (default
//! `TODO`) and `notify_level` (default 2: bar and lock screen) so a task is a service message,
//! not marketing. OPPO's server API has no silent (pass-through) message: a tickle is not sent
//! on this channel (the phone's own sync and the live stream cover it).
//! Answers: `code` 0 success; 11 (invalid auth_token) refreshes and retries; -1/-2 (service
//! busy/unavailable), 5xx and 429 retry; 10000 (invalid registration id) drops the token.
//! Not confirmed from OPPO's own page in this workplace: the code 10000 for an invalid
//! registration id, the limits (taken as title ≤ 50, content ≤ 200 characters) and the
//! `category`/`notify_level` values (from OPPO's 2024 message-classification rules as
//! remembered).
//! Must never log a registration id, the master secret or the auth token.

use super::Message;
use super::config::{OppoConfig, PushConfigError, Secret, read_secret};
use super::sender::{self, Attempt, Outcome, Sender};
use super::token::{TokenCache, oauth_use_for};
use huoshui_core::wire::{DeviceApp, PushVendor};
use serde_json::{Value, json};
use std::time::Duration;

/// The body limit we hold the `message` field to.
pub const PAYLOAD_LIMIT: usize = 4096;

pub struct Oppo {
    http: reqwest::Client,
    c: OppoConfig,
    secret: Secret,
    access: TokenCache,
}

impl Oppo {
    pub fn new(c: &OppoConfig, timeout: Duration) -> Result<Oppo, PushConfigError> {
        Ok(Oppo {
            http: sender::client(timeout)
                .map_err(|e| PushConfigError::Invalid(format!("oppo client: {e}")))?,
            secret: read_secret(&c.master_secret_file)?,
            c: c.clone(),
            access: TokenCache::default(),
        })
    }

    async fn fetch(&self) -> Result<(Secret, Duration), Outcome> {
        let ts = sender::now_millis().to_string();
        let signed = format!("{}{ts}{}", self.c.app_key, self.secret.expose());
        let sign = crate::keys::sha256_hex(signed.as_bytes());
        let resp = self
            .http
            .post(sender::join(&self.c.endpoint, "/server/v1/auth"))
            .form(&[
                ("app_key", self.c.app_key.as_str()),
                ("sign", &sign),
                ("timestamp", &ts),
            ])
            .send()
            .await
            .map_err(|e| sender::network(&e))?;
        if let Some(o) = sender::transient(resp.status(), resp.headers()) {
            return Err(o);
        }
        let v: Value = resp.json().await.unwrap_or_default();
        match (v["code"].as_i64(), v["data"]["auth_token"].as_str()) {
            (Some(0), Some(t)) => Ok((Secret::new(t), oauth_use_for(24 * 3600))),
            (code, _) => Err(Outcome::GiveUp(format!(
                "oppo auth refused ({})",
                code.unwrap_or(-1)
            ))),
        }
    }

    /// The `message` form field for one device (a task alert only).
    pub fn message(&self, token: &str, msg: &Message) -> Value {
        let (title, body) = msg.text();
        json!({
            "target_type": 2,
            "target_value": token,
            "notification": {
                "title": title,
                "content": body,
                "click_action_type": 0,
                "action_parameters": msg.data_string(),
                "channel_id": self.c.channel_id,
                "category": self.c.category,
                "notify_level": self.c.notify_level,
                "off_line": true,
                "off_line_ttl": 3600,
            }
        })
    }

    async fn send(&self, token: &str, msg: &Message) -> Outcome {
        if !msg.is_alert() {
            return Outcome::GiveUp("oppo carries no silent push".to_owned());
        }
        let message = self.message(token, msg).to_string();
        if let Err(o) = sender::within(message.as_bytes(), PAYLOAD_LIMIT, PushVendor::Oppo) {
            return o;
        }
        let access = match self.access.get(|| self.fetch()).await {
            Ok(a) => a,
            Err(o) => return o,
        };
        let url = sender::join(&self.c.endpoint, "/server/v1/message/notification/unicast");
        let resp = match self
            .http
            .post(url)
            .header("auth_token", access.expose())
            .form(&[("message", message.as_str())])
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return sender::network(&e),
        };
        let status = resp.status();
        if let Some(o) = sender::transient(status, resp.headers()) {
            return o;
        }
        let v: Value = resp.json().await.unwrap_or_default();
        match v["code"].as_i64() {
            Some(0) => Outcome::Sent,
            Some(11) => {
                self.access.invalidate(&access).await;
                Outcome::Retry {
                    after: Some(Duration::ZERO),
                }
            }
            Some(-1 | -2) => Outcome::Retry { after: None },
            Some(10000) => Outcome::InvalidToken,
            code => {
                let code = code.unwrap_or(-100);
                tracing::warn!(status = status.as_u16(), code, "oppo refused a push");
                Outcome::GiveUp(format!("oppo {code}"))
            }
        }
    }
}

impl Sender for Oppo {
    fn vendor(&self) -> PushVendor {
        PushVendor::Oppo
    }

    fn carries_tickles(&self) -> bool {
        false
    }

    fn attempt<'a>(&'a self, token: &'a str, _app: DeviceApp, msg: &'a Message) -> Attempt<'a> {
        Box::pin(self.send(token, msg))
    }
}
