//! Who is looking at the supervision page: the browser session (an HttpOnly, SameSite=Strict
//! cookie whose SHA-256 is a row of `admin_sessions`, so any node sharing the database knows
//! it), its per-session CSRF token, the login form's own token, and the same-origin check on
//! every POST.
//!
//! Roles: an administrator sees the county and may act; a bank's manager sees their own bank,
//! read-only; a villager never gets a session, and a session that somehow belongs to one is
//! refused with the 403 page. Must never log or store a cookie value (only its hash), and never
//! accept a form without both a matching token and a same-origin `Origin` (or `Referer`).

use super::Settings;
use super::figures::Scope;
use super::pages;
use crate::accounts::{self, User};
use crate::error::ApiError;
use crate::keys::{hex, sha256_hex};
use crate::repo::BrowserSessions;
use crate::sql::Tx;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use huoshui_core::domain::lifecycle::Role;
use std::sync::Arc;

/// The session cookie.
pub const COOKIE: &str = "huoshui_admin";
/// The login form's token cookie (double submit: the form's hidden field must equal it).
pub const LOGIN_COOKIE: &str = "huoshui_admin_login";
/// How long a browser session lasts (a working day and a half; the wall display signs in again).
pub const SESSION_HOURS: i64 = 12;

/// A signed-in viewer of the page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf: String,
    pub token_hash: String,
}

impl Viewer {
    /// What this viewer may see.
    pub fn scope(&self) -> Scope {
        match (&self.user.role, &self.user.bank_id) {
            (Role::Manager, Some(bank)) => Scope::Bank(bank.clone()),
            _ => Scope::County,
        }
    }

    /// Only administrators act (acknowledge, reassign).
    pub fn may_act(&self) -> bool {
        self.user.role == Role::Administrator
    }
}

/// Whether a role may open the page at all.
pub fn may_open(user: &User) -> bool {
    match user.role {
        Role::Administrator => true,
        Role::Manager => user.bank_id.is_some(),
        Role::Villager | Role::System => false,
    }
}

/// Random hex of `bytes` bytes.
pub fn random_hex(state: &AppState, bytes: usize) -> Result<String, ApiError> {
    let mut raw = vec![0u8; bytes];
    state.keys.random(&mut raw)?;
    Ok(hex(&raw))
}

/// Opens a browser session for `user`; answers the cookie value (shown once) and the CSRF token.
/// Expired sessions are cleared on the way.
pub async fn open(state: &AppState, user: &User) -> Result<(String, String), ApiError> {
    let fresh = Fresh::new(state)?;
    let stored = fresh.clone();
    let user_id = user.id.clone();
    state
        .db
        .write(move |conn| stored.open_in(conn, &user_id))
        .await?;
    Ok((fresh.token, fresh.csrf))
}

/// A browser session about to be opened: its token and CSRF token (no `Debug`: it holds the
/// token), made before the write so that opening it can join another write's transaction.
#[derive(Clone)]
pub struct Fresh {
    pub token: String,
    pub csrf: String,
    now: i64,
}

impl Fresh {
    /// New random tokens, dated by the sign-in clock.
    pub fn new(state: &AppState) -> Result<Fresh, ApiError> {
        Ok(Fresh {
            token: random_hex(state, 32)?,
            csrf: random_hex(state, 32)?,
            now: state.auth_clock.now().as_millisecond(),
        })
    }

    /// Stores the session for `user_id` inside the caller's write (and drops expired ones).
    pub fn open_in(&self, conn: &Tx<'_>, user_id: &str) -> Result<(), ApiError> {
        let expires = self.now + SESSION_HOURS * 3_600_000;
        let token_hash = sha256_hex(self.token.as_bytes());
        BrowserSessions::open_browser_session(
            &mut { conn },
            &token_hash,
            user_id,
            &self.csrf,
            self.now,
            expires,
        )
    }
}

/// Ends a browser session.
pub async fn close(state: &AppState, token_hash: String) -> Result<(), ApiError> {
    state
        .db
        .write(move |conn| BrowserSessions::end_browser_session(&mut { conn }, &token_hash))
        .await
}

/// The value of cookie `name` in the request, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Whether the request reached us over https: the request's own scheme, or the proxy header
/// the operator said to trust.
pub fn is_https(parts_uri: &axum::http::Uri, headers: &HeaderMap, settings: &Settings) -> bool {
    if parts_uri.scheme_str() == Some("https") {
        return true;
    }
    settings.trusted_proto_header.as_ref().is_some_and(|h| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .next()
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
            })
    })
}

/// A `Set-Cookie` value for this page's cookies: HttpOnly, SameSite=Strict, Path=/admin,
/// Secure when the settings say so. `None` as value: delete it.
pub fn set_cookie(name: &str, value: Option<&str>, secure: bool, max_age_s: i64) -> String {
    let mut c = Cookie::build((name.to_owned(), value.unwrap_or("").to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/admin")
        .secure(secure)
        .build();
    let age = if value.is_some() { max_age_s } else { 0 };
    c.set_max_age(cookie::time::Duration::seconds(age));
    c.to_string()
}

/// Whether a POST comes from this site: `Origin` (or, without it, `Referer`) must name the
/// scheme and host the request was sent to. Browsers send `Origin` with every form POST.
pub fn same_origin(headers: &HeaderMap, https: bool) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let expected = format!("{}://{}", if https { "https" } else { "http" }, host);
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin
            .to_str()
            .is_ok_and(|o| o.eq_ignore_ascii_case(&expected));
    }
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|r| {
            r.len() > expected.len()
                && r.get(..expected.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(&expected))
                && r.as_bytes().get(expected.len()) == Some(&b'/')
        })
}

/// Compares two tokens without an early exit.
pub fn tokens_match(a: &str, b: &str) -> bool {
    let (a, b) = (sha256_hex(a.as_bytes()), sha256_hex(b.as_bytes()));
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
        && !a.is_empty()
}

/// Why a request for the page was not served: the page (or a redirect to the login) to send.
#[derive(Debug)]
pub enum Refusal {
    /// No session: a page goes to the login form, anything else gets 401.
    SignIn {
        redirect: bool,
    },
    /// Signed in, but this role may not see or do this.
    Forbidden,
    /// A form without its token or from another site.
    Forged,
    Fault(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Fault(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn { redirect: true } => Redirect::to("/admin/login").into_response(),
            Refusal::SignIn { redirect: false } => pages::message_page(
                StatusCode::UNAUTHORIZED,
                "请先登录",
                "Please sign in",
                "登录已失效或尚未登录，请重新登录监管看板。",
                "The session is missing or has expired; sign in to the supervision page again.",
            ),
            Refusal::Forbidden => pages::message_page(
                StatusCode::FORBIDDEN,
                "无权访问",
                "Access denied",
                "监管看板仅供县级管理员使用；银行客户经理只能只读查看本行数据；村民账号不能进入。",
                "The supervision page is for county administrators; a bank's managers may only view their own bank, read-only; villagers cannot open it.",
            ),
            Refusal::Forged => pages::message_page(
                StatusCode::FORBIDDEN,
                "请求无效",
                "Request refused",
                "表单已过期或来自其他网站，请刷新页面后重试。",
                "The form has expired or came from another site; reload the page and try again.",
            ),
            Refusal::Fault(e) => pages::message_page(
                e.status,
                "出错了",
                "Something went wrong",
                &e.message_zh,
                &e.message_en,
            ),
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The two pages send a browser to the login form; fragments, streams, exports and
        // forms get the 401 page.
        let wants_page =
            parts.method == Method::GET && matches!(parts.uri.path(), "/admin/" | "/admin/wall");
        let sign_in = Refusal::SignIn {
            redirect: wants_page,
        };
        let Some(token) = cookie_value(&parts.headers, COOKIE) else {
            return Err(sign_in);
        };
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(sign_in);
        }
        let token_hash = sha256_hex(token.as_bytes());
        let now = state.auth_clock.now().as_millisecond();
        let th = token_hash.clone();
        let found = state
            .db
            .read(
                move |conn| match BrowserSessions::browser_session(&mut { conn }, &th, now)? {
                    Some((user_id, csrf)) => Ok(accounts::load(conn, &user_id)?.map(|u| (u, csrf))),
                    None => Ok(None),
                },
            )
            .await?;
        let Some((user, csrf)) = found else {
            return Err(sign_in);
        };
        if !may_open(&user) {
            return Err(Refusal::Forbidden);
        }
        Ok(Viewer {
            user,
            csrf,
            token_hash,
        })
    }
}

/// The settings of the router (cookie security, trusted proxy header).
pub fn settings(parts: &Parts) -> Arc<Settings> {
    parts
        .extensions
        .get::<Arc<Settings>>()
        .cloned()
        .unwrap_or_default()
}

/// A form POST from a signed-in viewer: checks the origin and the session's token.
pub fn check_form(
    viewer: &Viewer,
    headers: &HeaderMap,
    https: bool,
    token: &str,
) -> Result<(), Refusal> {
    if !same_origin(headers, https) || !tokens_match(token, &viewer.csrf) {
        return Err(Refusal::Forged);
    }
    Ok(())
}
