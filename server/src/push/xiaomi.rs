//! Xiaomi MiPush: `POST api.xmpush.xiaomi.com/v3/message/regid` with
//! `Authorization: key=<AppSecret>` and a form body: `registration_id`,
//! `restricted_package_name`, `pass_through` (0 notification, 1 pass-through), `title`,
//! `description`, `payload` (the app's data, at most 4 KB), `notify_type`, `time_to_live` and
//! `extra.channel_id` — the private-message (私信) channel granted to the app, so a task is not
//! counted against the public-message quota. No access token: the secret itself authorises.
//! Answers: `{"result": "ok", "code": 0}` success; `code` 20301 (invalid registration id)
//! drops the token; 5xx and 429 retry; the rest give up.
//! Not confirmed from Xiaomi's own page in this workplace: the number 20301 for an invalid
//! regid (taken from the server SDK's error list as remembered; other codes give up).
//! Must never log a registration id or the app secret.

use super::Message;
use super::config::{PushConfigError, Secret, XiaomiConfig, read_secret};
use super::sender::{self, Attempt, Outcome, Sender};
use huoshui_core::wire::{DeviceApp, PushVendor};
use serde_json::Value;
use std::time::Duration;

/// MiPush's limit on `payload`.
pub const PAYLOAD_LIMIT: usize = 4096;

pub struct Xiaomi {
    http: reqwest::Client,
    c: XiaomiConfig,
    secret: Secret,
}

impl Xiaomi {
    pub fn new(c: &XiaomiConfig, timeout: Duration) -> Result<Xiaomi, PushConfigError> {
        Ok(Xiaomi {
            http: sender::client(timeout)
                .map_err(|e| PushConfigError::Invalid(format!("xiaomi client: {e}")))?,
            secret: read_secret(&c.app_secret_file)?,
            c: c.clone(),
        })
    }

    /// The form fields for one device.
    pub fn form(&self, token: &str, msg: &Message) -> Vec<(&'static str, String)> {
        let (title, body) = msg.text();
        let mut f = vec![
            ("registration_id", token.to_owned()),
            ("restricted_package_name", self.c.package.clone()),
            ("payload", msg.data_string()),
            ("time_to_live", "3600000".to_owned()),
        ];
        if msg.is_alert() {
            f.push(("pass_through", "0".to_owned()));
            f.push(("title", title.to_owned()));
            f.push(("description", body.to_owned()));
            f.push(("notify_type", "-1".to_owned()));
            f.push(("extra.channel_id", self.c.channel_id.clone()));
        } else {
            f.push(("pass_through", "1".to_owned()));
        }
        f
    }

    async fn send(&self, token: &str, msg: &Message) -> Outcome {
        let form = self.form(token, msg);
        let payload = msg.data_string();
        if let Err(o) = sender::within(payload.as_bytes(), PAYLOAD_LIMIT, PushVendor::Xiaomi) {
            return o;
        }
        let resp = match self
            .http
            .post(sender::join(&self.c.endpoint, "/v3/message/regid"))
            .header("authorization", format!("key={}", self.secret.expose()))
            .form(&form)
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
        let answer: Value = resp.json().await.unwrap_or_default();
        match (answer["result"].as_str(), answer["code"].as_i64()) {
            (Some("ok"), _) | (_, Some(0)) if status.is_success() => Outcome::Sent,
            (_, Some(20301)) => Outcome::InvalidToken,
            (_, code) => {
                let code = code.unwrap_or(-1);
                tracing::warn!(status = status.as_u16(), code, "xiaomi refused a push");
                Outcome::GiveUp(format!("xiaomi {code}"))
            }
        }
    }
}

impl Sender for Xiaomi {
    fn vendor(&self) -> PushVendor {
        PushVendor::Xiaomi
    }

    fn attempt<'a>(&'a self, token: &'a str, _app: DeviceApp, msg: &'a Message) -> Attempt<'a> {
        Box::pin(self.send(token, msg))
    }
}
