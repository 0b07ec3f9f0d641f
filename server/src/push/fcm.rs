//! Firebase Cloud Messaging, HTTP v1: a service-account JWT (RS256; `iss` = the account's
//! `client_email`, `scope` = firebase.messaging, `aud` = its `token_uri`, `iat`, `exp` one hour
//! later) exchanged at the `token_uri` (form `grant_type=urn:ietf:params:oauth:grant-type:
//! jwt-bearer`, `assertion`) for an OAuth2 access token (cached, one refresh in flight), then
//! `POST fcm.googleapis.com/v1/projects/<project>/messages:send` with `Authorization: Bearer …`
//! and `{"message": {"token": …, "data": {…}, "android": {"priority": …}, …}}`. A task carries
//! a `notification` (title and body) at high priority; a tickle is data only at normal
//! priority. Message at most 4096 bytes.
//! Answers: 200 success; 404 (`UNREGISTERED`) and 403 `SENDER_ID_MISMATCH` drop the token;
//! 401 refreshes the access token and retries; 429 (`QUOTA_EXCEEDED`) and 5xx retry; 400
//! (`INVALID_ARGUMENT`) gives up.
//! Must never log a device token, the service account's key or an access token.

use super::Message;
use super::config::{FcmConfig, PushConfigError, Secret, read_secret};
use super::jwt::{Rs256, now_secs};
use super::sender::{self, Attempt, Outcome, Sender};
use super::token::{TokenCache, oauth_form};
use huoshui_core::wire::{DeviceApp, PushVendor};
use serde_json::{Value, json};
use std::time::Duration;

/// FCM's limit on a message.
pub const PAYLOAD_LIMIT: usize = 4096;
/// The OAuth scope of sending.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

pub struct Fcm {
    http: reqwest::Client,
    endpoint: String,
    project: String,
    client_email: String,
    token_uri: String,
    signer: Rs256,
    access: TokenCache,
}

impl Fcm {
    pub fn new(c: &FcmConfig, timeout: Duration) -> Result<Fcm, PushConfigError> {
        let source = c.service_account_file.display().to_string();
        let raw = read_secret(&c.service_account_file)?;
        let account: Value =
            serde_json::from_str(raw.expose()).map_err(|_| PushConfigError::BadKey {
                path: source.clone(),
            })?;
        let field = |name: &str| account[name].as_str().map(str::to_owned);
        let key = Secret::new(field("private_key").unwrap_or_default());
        let signer = Rs256::from_pem(key.expose(), &source)?;
        let project = c
            .project_id
            .clone()
            .or_else(|| field("project_id"))
            .ok_or_else(|| PushConfigError::Invalid("fcm: no project_id".to_owned()))?;
        Ok(Fcm {
            http: sender::client(timeout)
                .map_err(|e| PushConfigError::Invalid(format!("fcm client: {e}")))?,
            endpoint: c.endpoint.clone(),
            project,
            client_email: field("client_email").ok_or_else(|| PushConfigError::BadKey {
                path: source.clone(),
            })?,
            token_uri: c
                .token_endpoint
                .clone()
                .or_else(|| field("token_uri"))
                .unwrap_or_else(|| "https://oauth2.googleapis.com/token".to_owned()),
            signer,
            access: TokenCache::default(),
        })
    }

    /// How many access tokens were fetched.
    pub fn tokens_fetched(&self) -> u64 {
        self.access.fetches()
    }

    async fn fetch(&self) -> Result<(Secret, Duration), Outcome> {
        let iat = now_secs();
        let header = json!({"alg": "RS256", "typ": "JWT"});
        let claims = json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": iat,
            "exp": iat + 3600,
        });
        let assertion = Secret::new(
            self.signer
                .sign(&header, &claims)
                .ok_or_else(|| Outcome::GiveUp("fcm signing failed".to_owned()))?,
        );
        oauth_form(
            &self.http,
            &self.token_uri,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.expose()),
            ],
            "fcm",
        )
        .await
    }

    /// The request body for one device.
    pub fn body(token: &str, msg: &Message) -> Value {
        let mut message = json!({"token": token, "data": msg.data()});
        match msg {
            Message::Alert { title, body, .. } => {
                message["notification"] = json!({"title": title, "body": body});
                message["android"] = json!({"priority": "high", "ttl": "3600s"});
            }
            Message::Tickle => {
                message["android"] =
                    json!({"priority": "normal", "collapse_key": "huoshui_sync", "ttl": "3600s"});
            }
        }
        json!({ "message": message })
    }

    async fn send(&self, token: &str, msg: &Message) -> Outcome {
        let body = Fcm::body(token, msg).to_string().into_bytes();
        if let Err(o) = sender::within(&body, PAYLOAD_LIMIT, PushVendor::Fcm) {
            return o;
        }
        let access = match self.access.get(|| self.fetch()).await {
            Ok(a) => a,
            Err(o) => return o,
        };
        let url = sender::join(
            &self.endpoint,
            &format!("/v1/projects/{}/messages:send", self.project),
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
        let detail = fcm_error_code(&answer);
        match (status.as_u16(), detail.as_str()) {
            (200, _) => Outcome::Sent,
            (404, _) | (_, "UNREGISTERED") | (403, "SENDER_ID_MISMATCH") => Outcome::InvalidToken,
            (401, _) => {
                self.access.invalidate(&access).await;
                Outcome::Retry {
                    after: Some(Duration::ZERO),
                }
            }
            _ => sender::transient(status, &headers).unwrap_or_else(|| {
                tracing::warn!(
                    status = status.as_u16(),
                    code = detail,
                    "fcm refused a push"
                );
                Outcome::GiveUp(format!("fcm {} {detail}", status.as_u16()))
            }),
        }
    }
}

/// The `FcmError.errorCode` of an error answer, else its `status`.
fn fcm_error_code(answer: &Value) -> String {
    let error = &answer["error"];
    error["details"]
        .as_array()
        .and_then(|d| d.iter().find_map(|x| x["errorCode"].as_str()))
        .or_else(|| error["status"].as_str())
        .unwrap_or_default()
        .to_owned()
}

impl Sender for Fcm {
    fn vendor(&self) -> PushVendor {
        PushVendor::Fcm
    }

    fn attempt<'a>(&'a self, token: &'a str, _app: DeviceApp, msg: &'a Message) -> Attempt<'a> {
        Box::pin(self.send(token, msg))
    }
}
