//! vivo push: an auth token from `POST api-push.vivo.com.cn/message/auth` (JSON `appId`,
//! `appKey`, `timestamp` in milliseconds, `sign` = lower-case hex MD5 of appId + appKey +
//! timestamp + appSecret; valid 24 hours; cached, one refresh in flight), then
//! `POST /message/send` with the header `authToken` and JSON `regId`, `notifyType`, `title`,
//! `content`, `timeToLive`, `skipType` (1: open the app), `networkType` (-1: any),
//! `classification` (1: system message, as granted) and `category` (default `TODO`) so a task
//! is not throttled as an operational message, `requestId` (unique per send) and
//! `clientCustomMap` (the app's data). vivo's server API sends notifications only: a tickle is
//! not sent on this channel.
//! Answers: `result` 0 success; 10302 (invalid regId) drops the token; 10000/10001 (auth
//! token invalid/expired) refresh and retry; 5xx and 429 retry; the rest give up.
//! Not confirmed from vivo's own page in this workplace: the numbers 10302 and 10000/10001,
//! and the limits (taken as title ≤ 40, content ≤ 100 characters).
//! Must never log a regId, the app secret or the auth token.

use super::Message;
use super::config::{PushConfigError, Secret, VivoConfig, read_secret};
use super::sender::{self, Attempt, Outcome, Sender};
use super::token::{TokenCache, oauth_use_for};
use huoshui_core::wire::{DeviceApp, PushVendor};
use md5::{Digest, Md5};
use serde_json::{Value, json};
use std::time::Duration;

/// The body limit we hold a send to.
pub const PAYLOAD_LIMIT: usize = 4096;

pub struct Vivo {
    http: reqwest::Client,
    c: VivoConfig,
    secret: Secret,
    access: TokenCache,
}

impl Vivo {
    pub fn new(c: &VivoConfig, timeout: Duration) -> Result<Vivo, PushConfigError> {
        Ok(Vivo {
            http: sender::client(timeout)
                .map_err(|e| PushConfigError::Invalid(format!("vivo client: {e}")))?,
            secret: read_secret(&c.app_secret_file)?,
            c: c.clone(),
            access: TokenCache::default(),
        })
    }

    async fn fetch(&self) -> Result<(Secret, Duration), Outcome> {
        let ts = sender::now_millis();
        let signed = format!(
            "{}{}{ts}{}",
            self.c.app_id,
            self.c.app_key,
            self.secret.expose()
        );
        let sign = crate::keys::hex(&Md5::digest(signed.as_bytes()));
        let body = json!({"appId": self.c.app_id, "appKey": self.c.app_key, "timestamp": ts, "sign": sign});
        let resp = self
            .http
            .post(sender::join(&self.c.endpoint, "/message/auth"))
            .json(&body)
            .send()
            .await
            .map_err(|e| sender::network(&e))?;
        if let Some(o) = sender::transient(resp.status(), resp.headers()) {
            return Err(o);
        }
        let v: Value = resp.json().await.unwrap_or_default();
        match (v["result"].as_i64(), v["authToken"].as_str()) {
            (Some(0), Some(t)) => Ok((Secret::new(t), oauth_use_for(24 * 3600))),
            (code, _) => Err(Outcome::GiveUp(format!(
                "vivo auth refused ({})",
                code.unwrap_or(-1)
            ))),
        }
    }

    /// The JSON body for one device (a task alert only).
    pub fn body(&self, token: &str, msg: &Message) -> Value {
        let (title, body) = msg.text();
        json!({
            "regId": token,
            "notifyType": 4,
            "title": title,
            "content": body,
            "timeToLive": 3600,
            "skipType": 1,
            "networkType": -1,
            "classification": self.c.classification,
            "category": self.c.category,
            "requestId": uuid::Uuid::new_v4().to_string(),
            "clientCustomMap": msg.data(),
        })
    }

    async fn send(&self, token: &str, msg: &Message) -> Outcome {
        if !msg.is_alert() {
            return Outcome::GiveUp("vivo carries no silent push".to_owned());
        }
        let body = self.body(token, msg).to_string().into_bytes();
        if let Err(o) = sender::within(&body, PAYLOAD_LIMIT, PushVendor::Vivo) {
            return o;
        }
        let access = match self.access.get(|| self.fetch()).await {
            Ok(a) => a,
            Err(o) => return o,
        };
        let resp = match self
            .http
            .post(sender::join(&self.c.endpoint, "/message/send"))
            .header("authToken", access.expose())
            .header("content-type", "application/json")
            .body(body)
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
        match v["result"].as_i64() {
            Some(0) => Outcome::Sent,
            Some(10302) => Outcome::InvalidToken,
            Some(10000 | 10001) => {
                self.access.invalidate(&access).await;
                Outcome::Retry {
                    after: Some(Duration::ZERO),
                }
            }
            code => {
                let code = code.unwrap_or(-1);
                tracing::warn!(status = status.as_u16(), code, "vivo refused a push");
                Outcome::GiveUp(format!("vivo {code}"))
            }
        }
    }
}

impl Sender for Vivo {
    fn vendor(&self) -> PushVendor {
        PushVendor::Vivo
    }

    fn carries_tickles(&self) -> bool {
        false
    }

    fn attempt<'a>(&'a self, token: &'a str, _app: DeviceApp, msg: &'a Message) -> Attempt<'a> {
        Box::pin(self.send(token, msg))
    }
}
