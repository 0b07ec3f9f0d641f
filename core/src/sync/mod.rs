//! The sync client: the phone's side of the conversation with the county platform.
//!
//! Owns the HTTP calls (reqwest over rustls with the ring provider; connect timeout 10 s,
//! request timeout 30 s for weak village signal; gzip) and the sync jobs over the device
//! [`Store`], each in its own file:
//! - [`session`](SyncClient::login): one-time code, login, logout, the platform's profile.
//! - [`catalog`](SyncClient::sync_catalog): `GET /v1/catalog` with `If-None-Match` = the cached
//!   ETag; 304 changes nothing, 200 is validated with `Catalog::from_json` before it replaces
//!   the cache (an invalid catalog is refused and the cached one kept).
//! - [`outbox`](SyncClient::drain_outbox): sends the outbox's due commands oldest first, each
//!   with the idempotency key the store saved before the first send; a success stores the
//!   platform's answer and marks the command done in one transaction; a network error, a
//!   timeout, 408, 429 or 5xx schedules a retry with exponential backoff and jitter (time and
//!   jitter come in as values); any other refusal wedges the command with the platform's
//!   message ([`Refusal`], Chinese and English) so the app can say what to do.
//! - [`upload`]: a document straight from the vault (one verified chunk decrypted at a time,
//!   never a plaintext file), resumed with the chunks the platform still misses.
//! - [`status`](SyncClient::pull_status): what changed on the platform is fetched and merged:
//!   the platform's events are the truth, and the phone's own pending commands are laid on top
//!   again (decided by the same lifecycle rules) until the platform confirms them.
//! - [`live`](SyncClient::live): the platform's event stream (SSE) with `Last-Event-ID`.
//!
//! It must never log or persist a token, phone number or code in the clear (the app keeps the
//! token sealed in the store), never invent an idempotency key for a queued command, never read
//! the clock (every job takes `now`), and never drop a command the server did not acknowledge
//! or refuse.

mod catalog;
mod command;
mod jitter;
pub mod live;
mod outbox;
mod session;
mod status;
mod upload;

pub use catalog::CatalogSync;
pub use command::OutboxCommand;
pub use jitter::Jitter;
pub use live::{LiveMessage, LiveStream};
pub use outbox::DrainReport;
pub use status::PullReport;

use crate::domain::lifecycle::Actor;
use crate::store::outbox::RetryPolicy;
use crate::store::{Store, StoreError};
use crate::vault::Vault;
use crate::wire;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;
use zeroize::Zeroizing;

/// How long to wait for a connection (weak signal: be patient, but not forever).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take in all.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What can go wrong while syncing.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The base address is not an http(s) URL, or the HTTP client could not be built.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Config(String),
    /// The platform could not be reached (no signal, timeout, connection dropped).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Offline,
    /// The session is missing or expired.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Unauthorized,
    /// The platform refused the request.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Refused(Refusal),
    /// The platform's catalog failed validation; the cached one is kept.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    InvalidCatalog(String),
    /// The platform's answer could not be read.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    BadAnswer(String),
    /// The document vault failed while reading a document for upload.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    /// The device store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// What went wrong and what to do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            SyncError::Config(e) => format!("平台地址或网络设置无效：{e}，请检查设置"),
            SyncError::Offline => "无法连接平台，请检查网络后再试".to_owned(),
            SyncError::Unauthorized => "登录已过期，请重新登录".to_owned(),
            SyncError::Refused(r) => format!("{}（{}）", r.message_zh, r.code),
            SyncError::InvalidCatalog(e) => {
                format!("平台发来的贷款目录无效，继续使用本机已有目录：{e}")
            }
            SyncError::BadAnswer(e) => format!("平台的回复无法读取：{e}，请稍后再试"),
            SyncError::Vault(_) => "读取证件文件失败，请重启应用后再试".to_owned(),
            SyncError::Store(e) => e.message_zh(),
        }
    }

    /// What went wrong and what to do, in English.
    pub fn message_en(&self) -> String {
        match self {
            SyncError::Config(e) => {
                format!("invalid platform address or network setup: {e}: check the settings")
            }
            SyncError::Offline => {
                "cannot reach the platform: check the network and try again".to_owned()
            }
            SyncError::Unauthorized => "the session has expired: log in again".to_owned(),
            SyncError::Refused(r) => format!("{} ({})", r.message_en, r.code),
            SyncError::InvalidCatalog(e) => {
                format!("the platform's catalog is invalid, keeping the one on this phone: {e}")
            }
            SyncError::BadAnswer(e) => {
                format!("the platform's answer cannot be read: {e}: try again later")
            }
            SyncError::Vault(_) => {
                "reading a document file failed: restart the app and try again".to_owned()
            }
            SyncError::Store(e) => e.message_en(),
        }
    }
}

/// A refusal by the platform, as its error body says it (`{"error":{code,message_zh,message_en}}`).
/// Kept in a wedged command's `last_error` (as JSON) so the app can show what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The platform's stable error code (e.g. `not_eligible`).
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

impl Refusal {
    /// Reads the refusal back from a wedged command's `last_error`; `None` for a short code
    /// (a transient failure) or anything else.
    pub fn from_last_error(last_error: &str) -> Option<Refusal> {
        serde_json::from_str(last_error).ok()
    }

    fn from_body(status: StatusCode, body: &[u8]) -> Refusal {
        match serde_json::from_slice::<wire::ErrorBody>(body) {
            Ok(b) => Refusal {
                status: status.as_u16(),
                code: b.error.code,
                message_zh: b.error.message_zh,
                message_en: b.error.message_en,
            },
            Err(_) => Refusal {
                status: status.as_u16(),
                code: format!("http_{}", status.as_u16()),
                message_zh: format!("平台拒绝了这个请求（{}），请联系客服", status.as_u16()),
                message_en: format!(
                    "the platform refused the request ({}): contact support",
                    status.as_u16()
                ),
            },
        }
    }

    /// The JSON kept in a wedged command's `last_error`.
    pub(crate) fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.code.clone())
    }
}

/// What a sync job works on: the device store, the vault (uploads read from it), who is signed
/// in (the phone's pending commands are decided again as this actor) and the phone's now.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub vault: &'a Vault,
    pub actor: &'a Actor,
    pub now: Timestamp,
}

/// How an HTTP exchange ended.
pub(crate) enum Outcome {
    Ok(Vec<u8>),
    NotModified,
    /// Try again later (network, timeout, 408, 429, 5xx); a short code for `last_error`.
    Transient(String),
    /// 401 (with the platform's words: a wrong login code says so).
    Unauthorized(Refusal),
    Refused(Refusal),
}

impl Outcome {
    /// The body of a success, or the error the other outcomes stand for.
    pub(crate) fn body(self) -> Result<Vec<u8>, SyncError> {
        match self {
            Outcome::Ok(b) => Ok(b),
            Outcome::Transient(_) => Err(SyncError::Offline),
            Outcome::Unauthorized(_) => Err(SyncError::Unauthorized),
            Outcome::Refused(r) => Err(SyncError::Refused(r)),
            Outcome::NotModified => Err(SyncError::BadAnswer("unexpected answer".into())),
        }
    }
}

/// Parses a JSON answer into a wire type.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, SyncError> {
    serde_json::from_slice(body).map_err(|e| SyncError::BadAnswer(e.to_string()))
}

/// The phone's client of the county platform. Cheap to share: every call takes `&self`.
pub struct SyncClient {
    http: reqwest::Client,
    /// For the live stream: no overall timeout, but a read timeout longer than the platform's
    /// keep-alive interval, so a dead connection is noticed.
    stream_http: reqwest::Client,
    base: String,
    token: RwLock<Option<Zeroizing<String>>>,
    policy: RetryPolicy,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base", &self.base)
            .field("signed_in", &self.has_token())
            .finish_non_exhaustive()
    }
}

/// Makes ring the process's rustls crypto provider (reqwest's `rustls-no-provider` build takes
/// the process default). If another provider was installed first, that one stays.
///
/// Any other `reqwest::Client` in a process that links the core (tests, tools) must call this
/// before building its client: the core's reqwest features are unified across the workspace.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn status_transient(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

pub(crate) fn i64_seq(seq: u64) -> Result<i64, SyncError> {
    i64::try_from(seq).map_err(|_| SyncError::BadAnswer(format!("event number {seq}")))
}

impl SyncClient {
    /// A client of the platform at `base_url` (`https://…`; `http://` for a local platform).
    pub fn new(base_url: &str) -> Result<SyncClient, SyncError> {
        let url = reqwest::Url::parse(base_url.trim())
            .map_err(|e| SyncError::Config(format!("{base_url}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SyncError::Config(format!(
                "{base_url}: not an http(s) address"
            )));
        }
        install_tls_provider();
        let agent = concat!("huoshui-phone/", env!("CARGO_PKG_VERSION"));
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(agent)
            .build()
            .map_err(|e| SyncError::Config(e.to_string()))?;
        let stream_http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(live::READ_TIMEOUT)
            .user_agent(agent)
            .build()
            .map_err(|e| SyncError::Config(e.to_string()))?;
        Ok(SyncClient {
            http,
            stream_http,
            base: url.as_str().trim_end_matches('/').to_owned(),
            token: RwLock::new(None),
            policy: RetryPolicy::default(),
        })
    }

    /// The retry policy used when a command fails.
    pub fn with_policy(mut self, policy: RetryPolicy) -> SyncClient {
        self.policy = policy;
        self
    }

    /// The retry policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The platform's base address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Uses a session token (e.g. unsealed from the store at start-up); `None` forgets it.
    pub fn set_token(&self, token: Option<&str>) {
        let mut slot = self.token.write().unwrap_or_else(PoisonError::into_inner);
        *slot = token.map(|t| Zeroizing::new(t.to_owned()));
    }

    /// The session token in use, if any.
    pub fn token(&self) -> Option<Zeroizing<String>> {
        self.token
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether a token is in use.
    pub fn has_token(&self) -> bool {
        self.token
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.token() {
            Some(t) => req.bearer_auth(t.as_str()),
            None => req,
        }
    }

    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.authed(self.http.get(self.url(path)))
    }

    pub(crate) fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.authed(self.http.post(self.url(path)))
    }

    pub(crate) fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.authed(self.http.put(self.url(path)))
    }

    /// Sends one request and sorts the result.
    pub(crate) async fn exchange(&self, req: reqwest::RequestBuilder) -> Outcome {
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(
                    timeout = e.is_timeout(),
                    connect = e.is_connect(),
                    "sync request failed"
                );
                return Outcome::Transient(
                    if e.is_timeout() { "timeout" } else { "network" }.into(),
                );
            }
        };
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Outcome::NotModified;
        }
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                tracing::debug!(timeout = e.is_timeout(), "sync answer cut off");
                return Outcome::Transient(
                    if e.is_timeout() { "timeout" } else { "network" }.into(),
                );
            }
        };
        if status.is_success() {
            Outcome::Ok(body)
        } else if status_transient(status) {
            Outcome::Transient(format!("http_{}", status.as_u16()))
        } else if status == StatusCode::UNAUTHORIZED {
            Outcome::Unauthorized(Refusal::from_body(status, &body))
        } else {
            Outcome::Refused(Refusal::from_body(status, &body))
        }
    }
}
