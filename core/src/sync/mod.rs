//! The sync client: the phone's side of the conversation with the county platform.
//!
//! Owns the HTTP calls (reqwest over rustls with the ring provider; connect timeout 10 s,
//! request timeout 30 s for weak village signal) and the three sync jobs over the device
//! [`Store`]:
//! - [`SyncClient::sync_catalog`]: `GET /v1/catalog` with `If-None-Match` = the cached ETag;
//!   304 changes nothing, 200 is validated with [`Catalog::from_json`] before it replaces the
//!   cache (an invalid catalog is refused and the cached one kept).
//! - [`SyncClient::drain_outbox`]: sends the outbox's due commands oldest first, each with the
//!   idempotency key the store saved before the first send; a success stores the platform's
//!   answer (application and events) and marks the command done; a network error, a timeout,
//!   408, 429 or 5xx schedules a retry with exponential backoff and jitter (time and jitter come
//!   in as values); any other refusal wedges the command with the platform's message
//!   ([`Refusal`], Chinese and English) so the app can say what to do.
//! - [`SyncClient::pull_status`]: lists my applications and, for each whose last event number
//!   is ahead of the local copy (the per-application cursor), fetches its events.
//!
//! It must never log or persist a token, phone number or code (the token lives in memory only;
//! keeping it wrapped is the app's job), never invent an idempotency key for a queued command,
//! never read the clock (every job takes `now`), and never drop a command the server did not
//! acknowledge or refuse.

mod command;
mod jitter;

pub use command::OutboxCommand;
pub use jitter::Jitter;

use crate::domain::catalog::Catalog;
use crate::domain::lifecycle::{ApplicationId, Event};
use crate::store::outbox::{Failure, OutboxItem, OutboxState, RetryPolicy};
use crate::store::{Store, StoreError};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use zeroize::Zeroizing;

/// How long to wait for a connection (weak signal: be patient, but not forever).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take in all.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many commands per drain.
const DRAIN_BATCH: u32 = 100;

/// What can go wrong while syncing.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The base address is not an http(s) URL, or the HTTP client could not be built.
    #[error(
        "平台地址或网络设置无效：{0}，请检查设置 / invalid platform address or network setup: {0}: check the settings"
    )]
    Config(String),
    /// The platform could not be reached (no signal, timeout, connection dropped).
    #[error(
        "无法连接平台，请检查网络后再试 / cannot reach the platform: check the network and try again"
    )]
    Offline,
    /// The session is missing or expired.
    #[error("登录已过期，请重新登录 / the session has expired: log in again")]
    Unauthorized,
    /// The platform refused the request.
    #[error("{}（{}）/ {} ({})", .0.message_zh, .0.code, .0.message_en, .0.code)]
    Refused(Refusal),
    /// The platform's catalog failed validation; the cached one is kept.
    #[error(
        "平台发来的贷款目录无效，继续使用本机已有目录：{0} / the platform's catalog is invalid, keeping the one on this phone: {0}"
    )]
    InvalidCatalog(String),
    /// The platform's answer could not be read.
    #[error(
        "平台的回复无法读取：{0}，请稍后再试 / the platform's answer cannot be read: {0}: try again later"
    )]
    BadAnswer(String),
    /// The device store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A refusal by the platform, as its error body says it (`{"error":{code,message_zh,message_en}}`).
/// Kept in a wedged command's `last_error` (as JSON) so the app can show what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The platform's stable error code (e.g. `unknown_product`).
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
        #[derive(Deserialize)]
        struct Outer {
            error: Inner,
        }
        #[derive(Deserialize)]
        struct Inner {
            code: String,
            message_zh: String,
            message_en: String,
        }
        match serde_json::from_slice::<Outer>(body) {
            Ok(o) => Refusal {
                status: status.as_u16(),
                code: o.error.code,
                message_zh: o.error.message_zh,
                message_en: o.error.message_en,
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
}

/// The outcome of a catalog sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSync {
    /// 304: the cached catalog is current.
    Unchanged,
    /// 200: a new catalog was validated and stored.
    Updated {
        /// The catalog's own version.
        version: String,
        etag: Option<String>,
    },
}

/// What a drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Commands the platform acknowledged (now done).
    pub sent: u32,
    /// Commands that failed for now and will be retried.
    pub retrying: u32,
    /// Commands wedged by this drain (refused, or out of attempts).
    pub wedged: u32,
    /// Pending commands left for a later drain (not due, behind an earlier pending command of
    /// the same application, the drain stopped on a transient failure, or a kind this client
    /// does not send).
    pub deferred: u32,
}

/// What a status pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Applications the platform listed.
    pub applications: u32,
    /// Applications whose local copy was brought up to date.
    pub updated: u32,
    /// Events that were new on this phone.
    pub new_events: u32,
}

/// A login session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub role: String,
    pub expires_at: Timestamp,
}

/// How an HTTP exchange ended.
enum Outcome {
    Ok(Vec<u8>),
    NotModified,
    /// Try again later (network, timeout, 408, 429, 5xx); a short code for `last_error`.
    Transient(String),
    /// 401 (with the platform's words: a wrong login code says so).
    Unauthorized(Refusal),
    Refused(Refusal),
}

/// The application as the platform shows it (the fields the phone keeps).
#[derive(Debug, Deserialize)]
struct WireApplication {
    id: String,
    product_id: String,
    state: String,
    updated_at: Timestamp,
    last_seq: u64,
    #[serde(default)]
    events: Option<Vec<Event>>,
}

/// The phone's client of the county platform.
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: Option<Zeroizing<String>>,
    policy: RetryPolicy,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base", &self.base)
            .field("logged_in", &self.token.is_some())
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

fn i64_seq(seq: u64) -> Result<i64, SyncError> {
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
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("huoshui-phone/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Config(e.to_string()))?;
        Ok(SyncClient {
            http,
            base: url.as_str().trim_end_matches('/').to_owned(),
            token: None,
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

    /// Uses a session token (e.g. unwrapped from the keystore at start-up).
    pub fn set_token(&mut self, token: &str) {
        self.token = Some(Zeroizing::new(token.to_owned()));
    }

    /// The session token, for the app to keep wrapped.
    pub fn token(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.as_str())
    }

    /// Asks the platform to send a one-time login code to `phone`.
    pub async fn request_code(&self, phone: &str) -> Result<(), SyncError> {
        let req = self
            .http
            .post(format!("{}/v1/auth/code", self.base))
            .json(&serde_json::json!({ "phone": phone }));
        match self.exchange(req).await {
            Outcome::Ok(_) | Outcome::NotModified => Ok(()),
            other => Err(other_error(other)),
        }
    }

    /// Logs in with the code; keeps the token for the next calls.
    pub async fn login(&mut self, phone: &str, code: &str) -> Result<Session, SyncError> {
        #[derive(Deserialize)]
        struct User {
            id: String,
            role: String,
        }
        #[derive(Deserialize)]
        struct Answer {
            token: String,
            expires_at: Timestamp,
            user: User,
        }
        let req = self
            .http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&serde_json::json!({ "phone": phone, "code": code }));
        let body = match self.exchange(req).await {
            Outcome::Ok(b) => b,
            // A wrong or expired code: show the platform's words, not "log in again".
            Outcome::Unauthorized(refusal) => return Err(SyncError::Refused(refusal)),
            other => return Err(other_error(other)),
        };
        let answer: Answer =
            serde_json::from_slice(&body).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        self.token = Some(Zeroizing::new(answer.token));
        Ok(Session {
            user_id: answer.user.id,
            role: answer.user.role,
            expires_at: answer.expires_at,
        })
    }

    fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t.as_str()),
            None => req,
        }
    }

    /// Sends one request and sorts the result.
    async fn exchange(&self, req: reqwest::RequestBuilder) -> Outcome {
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

    // ----- catalog -----

    /// Brings the cached catalog up to date (one request; 304 when it is current).
    pub async fn sync_catalog(
        &self,
        store: &Store,
        now: Timestamp,
    ) -> Result<CatalogSync, SyncError> {
        let cached = store.cached_catalog()?;
        let mut req = self.http.get(format!("{}/v1/catalog", self.base));
        if let Some(etag) = cached.as_ref().and_then(|c| c.etag.as_deref()) {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(_) => return Err(SyncError::Offline),
        };
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(CatalogSync::Unchanged);
        }
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.map_err(|_| SyncError::Offline)?;
        if !status.is_success() {
            return Err(if status_transient(status) {
                SyncError::Offline
            } else {
                SyncError::Refused(Refusal::from_body(status, &body))
            });
        }
        let text = std::str::from_utf8(&body)
            .map_err(|_| SyncError::InvalidCatalog("not UTF-8 text".into()))?;
        let catalog =
            Catalog::from_json(text).map_err(|e| SyncError::InvalidCatalog(e.to_string()))?;
        store.save_catalog(text, etag.as_deref(), now)?;
        Ok(CatalogSync::Updated {
            version: catalog.version().to_owned(),
            etag,
        })
    }

    // ----- outbox -----

    /// Sends the due commands, oldest first. `now` decides what is due and when a failed
    /// command is tried next; `jitter` spreads the retries.
    ///
    /// A command waits while an earlier command for the same application is not done, so the
    /// platform sees them in the order the villager issued them. The drain stops at the first
    /// transient failure (the network or the platform is in trouble: back off, save battery).
    pub async fn drain_outbox(
        &self,
        store: &Store,
        now: Timestamp,
        jitter: &mut Jitter,
    ) -> Result<DrainReport, SyncError> {
        let mut report = DrainReport::default();
        let mut blocked: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let items = store.outbox()?;
        let mut stopped = false;
        for item in items.into_iter().take(DRAIN_BATCH as usize) {
            let command = OutboxCommand::from_row(&item.kind, &item.payload_json);
            let app = command
                .as_ref()
                .and_then(|c| c.application_id().map(str::to_owned));
            // A wedged command waits for the villager; it does not hold up later ones (the
            // platform refused it, so nothing after it depends on it having happened).
            if item.state != OutboxState::Pending {
                continue;
            }
            let waiting = item.next_attempt_at > now
                || stopped
                || !OutboxCommand::is_kind(&item.kind)
                || app.as_ref().is_some_and(|a| blocked.contains(a));
            if waiting {
                report.deferred += 1;
                if let Some(a) = app {
                    blocked.insert(a);
                }
                continue;
            }
            let Some(request) = command.as_ref().and_then(OutboxCommand::request) else {
                let refusal = Refusal {
                    status: 0,
                    code: "unreadable_command".into(),
                    message_zh: "这条待发送的操作已损坏，请删除后重新操作".into(),
                    message_en: "this queued action is damaged: delete it and do it again".into(),
                };
                self.fail(
                    store,
                    &item,
                    Failure::Permanent,
                    &refusal_text(&refusal),
                    now,
                    jitter,
                )?;
                report.wedged += 1;
                if let Some(a) = app {
                    blocked.insert(a);
                }
                continue;
            };
            let mut req = self
                .authed(self.http.post(format!("{}{}", self.base, request.path)))
                .header("idempotency-key", item.idempotency_key.to_string());
            if let Some(body) = &request.body {
                req = req.json(body);
            }
            match self.exchange(req).await {
                Outcome::Ok(body) => {
                    self.acknowledged(store, &item, &body).await?;
                    report.sent += 1;
                }
                Outcome::NotModified => {
                    store.command_sent(item.id)?;
                    report.sent += 1;
                }
                Outcome::Transient(code) => {
                    match self.fail(store, &item, Failure::Transient, &code, now, jitter)? {
                        OutboxState::Wedged => report.wedged += 1,
                        _ => report.retrying += 1,
                    }
                    stopped = true;
                    if let Some(a) = app {
                        blocked.insert(a);
                    }
                }
                Outcome::Unauthorized(_) => return Err(SyncError::Unauthorized),
                Outcome::Refused(refusal) => {
                    tracing::info!(code = %refusal.code, status = refusal.status, kind = %item.kind, "platform refused a queued command");
                    self.fail(
                        store,
                        &item,
                        Failure::Permanent,
                        &refusal_text(&refusal),
                        now,
                        jitter,
                    )?;
                    report.wedged += 1;
                    if let Some(a) = app {
                        blocked.insert(a);
                    }
                }
            }
        }
        Ok(report)
    }

    fn fail(
        &self,
        store: &Store,
        item: &OutboxItem,
        failure: Failure,
        code: &str,
        now: Timestamp,
        jitter: &mut Jitter,
    ) -> Result<OutboxState, SyncError> {
        Ok(store.command_failed(
            item.id,
            failure,
            code,
            now,
            jitter.next_permille(),
            &self.policy,
        )?)
    }

    /// The platform acknowledged `item` with `body`: keep its answer, then mark the command done.
    /// (A crash between the two is harmless: the retry gets the same answer again.)
    async fn acknowledged(
        &self,
        store: &Store,
        item: &OutboxItem,
        body: &[u8],
    ) -> Result<(), SyncError> {
        let kept = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => keep_application(store, &value),
            Err(e) => Err(SyncError::BadAnswer(e.to_string())),
        };
        // The device store failed: leave the command pending; the retry replays the same answer.
        if let Err(SyncError::Store(e)) = kept {
            return Err(SyncError::Store(e));
        }
        store.command_sent(item.id)?;
        match kept {
            // A submission's answer has no events: fetch them now (a later pull would too).
            Ok((id, false)) => {
                if self.fetch_application(store, &id).await.is_err() {
                    tracing::debug!("events of a new application not fetched yet");
                }
            }
            Ok((_, true)) => {}
            Err(_) => {
                tracing::warn!(kind = %item.kind, "acknowledged command with an unreadable answer; the next pull catches up");
            }
        }
        Ok(())
    }

    // ----- status -----

    /// Fetches one application with its events and stores them; answers the number of new events.
    pub async fn fetch_application(&self, store: &Store, id: &str) -> Result<u32, SyncError> {
        let id = ApplicationId::parse(id).map_err(|e| SyncError::BadAnswer(e.code().to_owned()))?;
        let req = self.authed(self.http.get(format!(
            "{}/v1/applications/{}",
            self.base,
            id.as_str()
        )));
        let body = match self.exchange(req).await {
            Outcome::Ok(b) => b,
            other => return Err(other_error(other)),
        };
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        let before = local_last_seq(store, id.as_str())?;
        keep_application(store, &value)?;
        let after = local_last_seq(store, id.as_str())?;
        Ok(u32::try_from(after.saturating_sub(before)).unwrap_or(u32::MAX))
    }

    /// Lists my applications and catches up the timeline of each one that moved on.
    pub async fn pull_status(&self, store: &Store) -> Result<PullReport, SyncError> {
        #[derive(Deserialize)]
        struct List {
            applications: Vec<WireApplication>,
        }
        let req = self.authed(
            self.http
                .get(format!("{}/v1/applications?limit=500", self.base)),
        );
        let body = match self.exchange(req).await {
            Outcome::Ok(b) => b,
            other => return Err(other_error(other)),
        };
        let list: List =
            serde_json::from_slice(&body).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        let mut report = PullReport {
            applications: u32::try_from(list.applications.len()).unwrap_or(u32::MAX),
            ..PullReport::default()
        };
        for app in &list.applications {
            let local = local_last_seq(store, &app.id)?;
            if i64_seq(app.last_seq)? > local {
                let n = self.fetch_application(store, &app.id).await?;
                report.updated += 1;
                report.new_events = report.new_events.saturating_add(n);
            }
        }
        Ok(report)
    }
}

/// The JSON kept in a wedged command's `last_error`.
fn refusal_text(refusal: &Refusal) -> String {
    serde_json::to_string(refusal).unwrap_or_else(|_| refusal.code.clone())
}

fn other_error(outcome: Outcome) -> SyncError {
    match outcome {
        Outcome::Transient(_) => SyncError::Offline,
        Outcome::Unauthorized(_) => SyncError::Unauthorized,
        Outcome::Refused(r) => SyncError::Refused(r),
        Outcome::Ok(_) | Outcome::NotModified => SyncError::BadAnswer("unexpected answer".into()),
    }
}

/// The highest event number stored for an application (0 when none).
fn local_last_seq(store: &Store, id: &str) -> Result<i64, SyncError> {
    Ok(store.events(id)?.last().map(|e| e.seq).unwrap_or(0))
}

/// Stores the platform's view of an application (row, and events when the view has them).
/// Answers the id and whether events were included.
fn keep_application(store: &Store, value: &serde_json::Value) -> Result<(String, bool), SyncError> {
    let app: WireApplication =
        serde_json::from_value(value.clone()).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
    ApplicationId::parse(&app.id).map_err(|e| SyncError::BadAnswer(e.code().to_owned()))?;
    let mut summary = value.clone();
    if let Some(map) = summary.as_object_mut() {
        map.remove("events");
        map.remove("timeline");
    }
    let summary = Zeroizing::new(summary.to_string());
    store.upsert_application(
        &app.id,
        &app.product_id,
        &app.state,
        Some(&summary),
        app.updated_at,
    )?;
    let has_events = app.events.is_some();
    for event in app.events.unwrap_or_default() {
        let json = Zeroizing::new(
            serde_json::to_string(&event).map_err(|e| SyncError::BadAnswer(e.to_string()))?,
        );
        store.append_event(&app.id, i64_seq(event.seq)?, &json, event.at)?;
    }
    Ok((app.id, has_events))
}
