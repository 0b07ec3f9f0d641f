//! Fair shares for every route, checked before a handler runs: token buckets per client address
//! and per user, the cap on a user's simultaneous chunk uploads, load shedding when the database
//! writer's queue is deep, the body size of each route refused from its `Content-Length` before
//! a byte of the body is read, and the deadline of each handler.
//!
//! Managers and administrators have their own buckets (per user, larger), are exempt from the
//! per-address buckets (a bank office behind one address with villagers is not starved by them)
//! and their writes are never shed. Must never read a request body, never log a token, and never
//! refuse `/v1/health` (the load balancer's probe).

use super::bucket::lock;
use crate::error::ApiError;
use crate::keys::sha256_hex;
use crate::sql::OptionalExtension;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a session's user and role are remembered for choosing buckets.
const SESSION_TTL: Duration = Duration::from_secs(60);
const SESSION_CACHE_MAX: usize = 100_000;

/// Who a request's session belongs to, as far as limits care.
#[derive(Clone)]
pub struct Who {
    pub user: Arc<str>,
    pub staff: bool,
}

/// Session → user and role, remembered for a minute (the handler still checks the session).
#[derive(Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, (Who, Instant)>>,
}

/// An answer refusing for a while: the error body, and `Retry-After` in whole seconds (≥ 1).
pub fn refusal(err: ApiError, retry: Duration) -> Response {
    let secs = retry.as_secs() + u64::from(retry.subsec_nanos() > 0);
    let mut resp = err.into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, secs.max(1).into());
    resp
}

pub fn rate_limited(retry: Duration) -> Response {
    refusal(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "请求太频繁，请稍后再试",
            "too many requests; wait for Retry-After seconds and try again",
        ),
        retry,
    )
}

pub fn busy() -> Response {
    refusal(
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "平台正忙，请稍后重试（您的申请尚未提交）",
            "the platform is busy; retry after Retry-After seconds (nothing was saved)",
        ),
        Duration::from_secs(2),
    )
}

fn peer(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

fn is_chunk_upload(method: &Method, path: &str) -> bool {
    method == Method::PUT && path.starts_with("/v1/uploads/") && path.contains("/chunks/")
}

/// The largest body a route takes.
fn body_cap(method: &Method, path: &str) -> u64 {
    if is_chunk_upload(method, path) {
        u64::from(crate::documents::CHUNK_SIZE) + 1024
    } else {
        crate::api::MAX_JSON_BYTES as u64
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn bearer_hash(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?
        .trim();
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| sha256_hex(token.as_bytes()))
}

/// The session's user and whether they are staff; `None` without a valid session.
async fn who(state: &AppState, headers: &HeaderMap) -> Option<Who> {
    let hash = bearer_hash(headers)?;
    let cache = &state.limits.sessions;
    if let Some((w, at)) = lock(&cache.map).get(&hash)
        && at.elapsed() < SESSION_TTL
    {
        return Some(w.clone());
    }
    let now_ms = state.auth_clock.now().as_millisecond();
    let key = hash.clone();
    let found = state
        .db
        .read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT s.user_id, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                )?
                .query_row(crate::sql::params![key, now_ms], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?)
        })
        .await
        .ok()??;
    let w = Who {
        user: Arc::from(found.0),
        staff: found.1 == "manager" || found.1 == "administrator",
    };
    let mut map = lock(&cache.map);
    if map.len() >= SESSION_CACHE_MAX {
        map.clear();
    }
    map.insert(hash, (w.clone(), Instant::now()));
    Some(w)
}

/// Takes this request's tokens: `Err` is how long to wait.
fn take_tokens(state: &AppState, who: Option<&Who>, ip: IpAddr) -> Result<(), Duration> {
    let g = &state.limits;
    let now = Instant::now();
    match who {
        None => g.anonymous.take(&ip, now),
        Some(w) if w.staff => g.staff.take(&w.user, now),
        Some(w) => {
            g.villager.take(&w.user, now)?;
            g.villagers_by_address.take(&ip, now)
        }
    }
}

/// The fair-share guard in front of every route (see the module comment).
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if path == "/v1/health" {
        return next.run(req).await;
    }
    if declared_length(req.headers()).is_some_and(|n| n > body_cap(&method, &path)) {
        let mut resp = crate::error::too_large().into_response();
        resp.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return resp;
    }
    let ip = peer(&req);
    if path.starts_with("/admin") {
        return match state.limits.admin_pages.take(&ip, Instant::now()) {
            Ok(()) => next.run(req).await,
            Err(wait) => rate_limited(wait),
        };
    }
    let who = who(&state, req.headers()).await;
    if let Err(wait) = take_tokens(&state, who.as_ref(), ip) {
        return rate_limited(wait);
    }
    let staff = who.as_ref().is_some_and(|w| w.staff);
    let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if write && !staff && state.db.pending_writes() >= state.limits.settings.shed_write_queue {
        return busy();
    }
    let _upload = match (&who, is_chunk_upload(&method, &path)) {
        (Some(w), true) => match state.limits.uploads.enter(w.user.to_string()) {
            Some(held) => Some(held),
            None => return too_many_uploads(),
        },
        _ => None,
    };
    next.run(req).await
}

fn too_many_uploads() -> Response {
    refusal(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_uploads",
            "同时上传的分片太多，请等前面的完成后再传",
            "too many chunks uploading at once; send the next when one finishes",
        ),
        Duration::from_secs(1),
    )
}

/// Each handler's deadline, from the request head to the answer's head (a live stream's answer
/// head comes at once; its body is not under this deadline), and the body's per-chunk timeout:
/// a body that sends nothing for `body_chunk` fails (400 `bad_body`), however long it has run.
pub async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let chunk = state.limits.settings.body_chunk;
    let req =
        req.map(|body| axum::body::Body::new(tower_http::timeout::TimeoutBody::new(chunk, body)));
    match tokio::time::timeout(state.limits.settings.handler, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => refusal(
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "处理超时，请稍后重试（带同一个 Idempotency-Key 重试不会重复提交）",
                "the request took too long; retry later (a retry with the same Idempotency-Key is never applied twice)",
            ),
            Duration::from_secs(2),
        ),
    }
}
