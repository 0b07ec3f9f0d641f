//! The `/admin` routes: sign-in and sign-out, the dashboard (desk and wall), the fragments htmx
//! refreshes, the live stream, CSV export, and the administrator's two actions on an
//! escalation (acknowledge; reassign to a manager of the same bank who serves the villager's
//! town), which go through `apps::command` exactly like `POST /v1/admin/applications/{id}/…`.
//!
//! Every route but the login form and the static files needs a session ([`Viewer`]); every
//! POST needs a same-origin `Origin`/`Referer` and the session's (or the login form's) token.
//! Must never act for a manager (their view is read-only) or a villager (no view at all).

use super::Settings;
use super::assets;
use super::export;
use super::figures::{self, Scope};
use super::live::{self, PageStream};
use super::pages::{self, EscalationItem, Layout};
use super::session::{self, LOGIN_COOKIE, Refusal, Viewer};
use crate::accounts;
use crate::apps::{self, Do};
use crate::auth;
use crate::error::ApiError;
use crate::sql::{Tx, params};
use crate::state::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Router};
use huoshui_core::domain::lifecycle::{ApplicationId, Command};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

/// Most escalations listed on the page (the oldest first; the tile counts them all).
pub const ESCALATIONS_SHOWN: u32 = 50;
/// Lines of the ticker on the first paint.
pub const ACTIVITY_SHOWN: usize = 20;

/// Every route of the page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/") }))
        .route("/admin/", get(desk))
        .route("/admin/wall", get(wall))
        .route("/admin/login", get(login_form).post(login))
        .route("/admin/login/code", post(request_code))
        .route("/admin/logout", post(logout))
        .route("/admin/figures", get(figures_fragment))
        .route("/admin/escalations", get(escalations_fragment))
        .route("/admin/live", get(live_stream))
        .route("/admin/export/{file}", get(export_csv))
        .route("/admin/escalations/{id}/acknowledge", post(acknowledge))
        .route("/admin/escalations/{id}/reassign", post(reassign))
        .route("/admin/assets/{name}", get(assets::serve))
        .route("/admin/{*rest}", any(not_found))
}

async fn not_found() -> Response {
    pages::message_page(
        StatusCode::NOT_FOUND,
        "找不到该页面",
        "Not found",
        "监管看板没有这个页面。",
        "The supervision page has no such page.",
    )
}

fn fault(e: ApiError) -> Refusal {
    Refusal::Fault(e)
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

fn with_cookies(mut resp: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn secure_for(uri: &Uri, headers: &HeaderMap, settings: &Settings) -> (bool, bool) {
    let https = session::is_https(uri, headers, settings);
    (https, settings.secure(https))
}

/// `GET /admin/login`: the form, with a fresh login token in a cookie and in the form.
async fn login_form(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<Settings>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let token = session::random_hex(&state, 16).map_err(fault)?;
    let (_, secure) = secure_for(&uri, &headers, &settings);
    let page = pages::page_response(StatusCode::OK, pages::login_page(&token, "", None, None));
    Ok(with_cookies(
        page,
        &[session::set_cookie(
            LOGIN_COOKIE,
            Some(&token),
            secure,
            1800,
        )],
    ))
}

/// The login form's checks: same origin, and the hidden token equal to the login cookie.
fn check_login_form(headers: &HeaderMap, https: bool, form: &LoginForm) -> Result<(), Refusal> {
    let cookie = session::cookie_value(headers, LOGIN_COOKIE).unwrap_or_default();
    if !session::same_origin(headers, https)
        || cookie.is_empty()
        || !session::tokens_match(&form.csrf, &cookie)
    {
        return Err(Refusal::Forged);
    }
    Ok(())
}

/// `POST /admin/login/code`: sends a one-time code (if the phone has an account) and shows
/// the form again with the phone filled in. Counted like the app's codes: per phone and per
/// client address (a refusal is the form again, 429, with the wait in words).
async fn request_code(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<Settings>>,
    uri: Uri,
    headers: HeaderMap,
    client: crate::code_limits::ClientAddr,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let Form(form) = form.map_err(|_| Refusal::Forged)?;
    let (https, _) = secure_for(&uri, &headers, &settings);
    check_login_form(&headers, https, &form)?;
    let phone = form.phone.trim().to_owned();
    match auth::request_code_from(&state, phone.clone(), client.0).await {
        Ok(()) => Ok(pages::page_response(
            StatusCode::OK,
            pages::login_page(
                &form.csrf,
                &phone,
                Some((
                    "如该手机号已登记，验证码已发送（5 分钟内有效）。",
                    "If this phone has an account, a code is on its way (valid 5 minutes).",
                )),
                None,
            ),
        )),
        Err(e) if e.status.is_client_error() => {
            let mut page = pages::page_response(
                e.status,
                pages::login_page(
                    &form.csrf,
                    &phone,
                    None,
                    Some((&e.message_zh, &e.message_en)),
                ),
            );
            if let Some(wait) = e.retry_after {
                page.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, wait.into());
            }
            Ok(page)
        }
        Err(e) => Err(fault(e)),
    }
}

/// `POST /admin/login`: checks the code; an administrator or a bank's manager gets a session
/// cookie and the dashboard, a villager the 403 page (and no session).
async fn login(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<Settings>>,
    uri: Uri,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let Form(form) = form.map_err(|_| Refusal::Forged)?;
    let (https, secure) = secure_for(&uri, &headers, &settings);
    check_login_form(&headers, https, &form)?;
    let phone = form.phone.trim().to_owned();
    let wrong = |phone: &str| {
        pages::page_response(
            StatusCode::UNAUTHORIZED,
            pages::login_page(
                &form.csrf,
                phone,
                None,
                Some((
                    "验证码错误或已过期，请重新获取",
                    "The code is wrong or has expired; ask for a new one.",
                )),
            ),
        )
    };
    let Some((mac, given)) = auth::given_code_hash(&state, &phone, form.code.trim()) else {
        return Ok(wrong(&phone));
    };
    let now = state.auth_clock.now().as_millisecond();
    let fresh = session::Fresh::new(&state).map_err(fault)?;
    let stored = fresh.clone();
    // One transaction: the code is used and the session opened together.
    let user = state
        .db
        .write(move |conn| {
            let Some(id) = auth::take_code(conn, &mac, &given, now)? else {
                return Ok(None);
            };
            let user = accounts::load(conn, &id)?;
            if let Some(u) = user.as_ref().filter(|u| session::may_open(u)) {
                stored.open_in(conn, &u.id)?;
            }
            Ok(user)
        })
        .await
        .map_err(fault)?;
    let Some(user) = user else {
        return Ok(wrong(&phone));
    };
    if !session::may_open(&user) {
        tracing::info!(user = %user.id, "supervision page refused to this role");
        return Err(Refusal::Forbidden);
    }
    let token = fresh.token;
    tracing::info!(user = %user.id, "supervision page sign-in");
    let resp = Redirect::to("/admin/").into_response();
    Ok(with_cookies(
        resp,
        &[
            session::set_cookie(
                session::COOKIE,
                Some(&token),
                secure,
                session::SESSION_HOURS * 3600,
            ),
            session::set_cookie(LOGIN_COOKIE, None, secure, 0),
        ],
    ))
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/logout`: ends the session.
async fn logout(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<Settings>>,
    viewer: Viewer,
    uri: Uri,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let Form(form) = form.map_err(|_| Refusal::Forged)?;
    let (https, secure) = secure_for(&uri, &headers, &settings);
    session::check_form(&viewer, &headers, https, &form.csrf)?;
    session::close(&state, viewer.token_hash.clone())
        .await
        .map_err(fault)?;
    Ok(with_cookies(
        Redirect::to("/admin/login").into_response(),
        &[session::set_cookie(session::COOKIE, None, secure, 0)],
    ))
}

// ---------------------------------------------------------------------------------------------
// The dashboard and its fragments

#[derive(Debug, Default, Deserialize)]
struct LayoutQuery {
    layout: Option<String>,
    part: Option<String>,
}

impl LayoutQuery {
    fn layout(&self) -> Layout {
        match self.layout.as_deref() {
            Some("wall") => Layout::Wall,
            _ => Layout::Desk,
        }
    }
}

fn name_of_town(state: &AppState, town: &str) -> String {
    state
        .dir
        .towns
        .iter()
        .find(|t| t.id == town)
        .map(|t| t.name_zh.clone())
        .unwrap_or_else(|| town.to_owned())
}

/// Managers of `bank` who serve `town` (id, name).
fn managers_serving(
    conn: &Tx<'_>,
    bank: &str,
    town: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut stmt = conn.prepare_cached(
        // From the small `manager_towns` to `users` by primary key (SQLite's CROSS JOIN keeps
        // that order): never a scan of the users, who are mostly villagers. The join's
        // condition is in WHERE: PostgreSQL takes no ON after CROSS JOIN.
        "SELECT u.id, u.name FROM manager_towns t CROSS JOIN users u
         WHERE u.id = t.manager_id AND t.town = ?2 AND u.role = 'manager' AND u.bank_id = ?1 ORDER BY u.id",
    )?;
    let rows = stmt.query_map(params![bank, town], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}

/// The open escalations of the scope, as the page lists them.
fn escalation_items(
    state: &AppState,
    conn: &Tx<'_>,
    scope: &Scope,
) -> Result<Vec<EscalationItem>, ApiError> {
    let ids = figures::open_escalation_ids(conn, scope, ESCALATIONS_SHOWN)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Ok(app_id) = ApplicationId::parse(&id) else {
            continue;
        };
        let Some(app) = apps::load(conn, &app_id)? else {
            continue;
        };
        let product = state.dir.product(&app.product_id);
        let bank = app
            .bank_id
            .clone()
            .or_else(|| product.map(|p| p.bank_id.clone()))
            .unwrap_or_default();
        let manager_zh = match &app.manager_id {
            Some(m) => accounts::load(conn, m)?.map(|u| u.name),
            None => None,
        };
        let candidates = managers_serving(conn, &bank, &app.town)?
            .into_iter()
            .filter(|(m, _)| app.manager_id.as_deref() != Some(m.as_str()))
            .collect();
        out.push(EscalationItem {
            application_id: id,
            bank_zh: state
                .dir
                .bank(&bank)
                .map(|b| b.name_zh.clone())
                .unwrap_or(bank),
            product_zh: product
                .map(|p| p.name_zh.clone())
                .unwrap_or_else(|| app.product_id.clone()),
            town_zh: name_of_town(state, &app.town),
            state_zh: app.state.name_zh().to_owned(),
            submitted_at: app.submitted_at,
            escalated_at: app.escalated_at,
            manager_id: app.manager_id.clone(),
            manager_zh,
            candidates,
        });
    }
    Ok(out)
}

async fn read_figures(state: &AppState, scope: Scope) -> Result<figures::Figures, ApiError> {
    let dir = state.dir.clone();
    let now = state.clock.now();
    let minutes = state.policy.first_contact_minutes;
    state
        .db
        .read(move |conn| figures::compute(conn, &dir, &scope, now, minutes))
        .await
}

async fn dashboard(state: AppState, viewer: Viewer, layout: Layout) -> Result<Response, Refusal> {
    let scope = viewer.scope();
    let dir = state.dir.clone();
    let now = state.clock.now();
    let minutes = state.policy.first_contact_minutes;
    let st = state.clone();
    let (figs, escalations, activity) = state
        .db
        .read(move |conn| {
            let f = figures::compute(conn, &dir, &scope, now, minutes)?;
            let e = escalation_items(&st, conn, &scope)?;
            let a = live::recent(conn, &dir, &scope, ACTIVITY_SHOWN)?;
            Ok((f, e, a))
        })
        .await
        .map_err(fault)?;
    let bank_zh = viewer
        .user
        .bank_id
        .as_deref()
        .and_then(|b| state.dir.bank(b))
        .map(|b| b.name_zh.clone());
    Ok(pages::page_response(
        StatusCode::OK,
        pages::dashboard(
            &viewer,
            layout,
            &figs,
            &escalations,
            &activity,
            bank_zh.as_deref(),
        ),
    ))
}

/// `GET /admin/`: the desk layout.
async fn desk(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Refusal> {
    dashboard(state, viewer, Layout::Desk).await
}

/// `GET /admin/wall`: the big-screen layout.
async fn wall(State(state): State<AppState>, viewer: Viewer) -> Result<Response, Refusal> {
    dashboard(state, viewer, Layout::Wall).await
}

/// `GET /admin/figures[?part=charts]`: the headline tiles, or the charts with their tables
/// (htmx swaps them in when the stream says the figures changed).
async fn figures_fragment(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LayoutQuery>,
) -> Result<Response, Refusal> {
    let f = read_figures(&state, viewer.scope()).await.map_err(fault)?;
    let html = match q.part.as_deref() {
        Some("charts") => pages::charts(&f, q.layout()),
        _ => pages::figures_fragment(&f, q.layout()),
    };
    Ok(pages::page_response(StatusCode::OK, html))
}

/// `GET /admin/escalations`: the open escalations (swapped in on the stream's `escalation`).
async fn escalations_fragment(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LayoutQuery>,
) -> Result<Response, Refusal> {
    let scope = viewer.scope();
    let st = state.clone();
    let items = state
        .db
        .read(move |conn| escalation_items(&st, conn, &scope))
        .await
        .map_err(fault)?;
    Ok(pages::page_response(
        StatusCode::OK,
        pages::escalations_fragment(&viewer, &items, q.layout()),
    ))
}

/// `GET /admin/live`: the page's event stream (see [`super::live`]).
async fn live_stream(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>>, Refusal> {
    // Subscribe before reading where the feed stands, so nothing falls in between.
    let rx = state.hub.subscribe();
    let newest = state.db.read(live::newest).await.map_err(fault)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.trim().parse::<i64>().ok())
        .filter(|id| (0..=newest).contains(id));
    let mut pending = VecDeque::new();
    pending.push_back(SseEvent::default().event("ready").data(""));
    let stream = PageStream {
        state: state.clone(),
        scope: viewer.scope(),
        rx,
        shutdown: state.shutdown.clone(),
        last: resume.unwrap_or(newest),
        pending,
        catch_up: resume.is_some(),
    }
    .into_stream();
    // Capped like the app's streams (one too many closes the oldest), counted apart from them
    // so that a manager's open page never closes the phone's stream.
    let page_user = format!("admin-page:{}", viewer.user.id);
    let stream = state.limits.streams.admit(&page_user, stream);
    let every = state.limits.settings.stream_keep_alive;
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(every)))
}

/// `GET /admin/export/{table}.csv`.
async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(file): Path<String>,
) -> Result<Response, Refusal> {
    let Some(table) = file
        .strip_suffix(".csv")
        .filter(|t| export::TABLES.contains(t))
    else {
        return Ok(not_found().await);
    };
    let f = read_figures(&state, viewer.scope()).await.map_err(fault)?;
    let Some(body) = export::table(&f, table).map_err(fault)? else {
        return Ok(not_found().await);
    };
    let disposition = format!("attachment; filename=\"huoshui-{table}-{}.csv\"", f.today);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// The administrator's actions

#[derive(Debug, Default, Deserialize)]
struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Default, Deserialize)]
struct ReassignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    manager_id: String,
}

fn back_to(back: &str) -> Response {
    let layout = if back == "wall" {
        Layout::Wall
    } else {
        Layout::Desk
    };
    Redirect::to(layout.path()).into_response()
}

/// The checks of an action: an administrator, a form from this site with the session's token,
/// and an application id.
fn check_action(
    viewer: &Viewer,
    settings: &Settings,
    uri: &Uri,
    headers: &HeaderMap,
    token: &str,
    id: &str,
) -> Result<ApplicationId, Refusal> {
    if !viewer.may_act() {
        return Err(Refusal::Forbidden);
    }
    let https = session::is_https(uri, headers, settings);
    session::check_form(viewer, headers, https, token)?;
    ApplicationId::parse(id).map_err(|_| fault(ApiError::not_found()))
}

fn command_refused(e: ApiError) -> Refusal {
    if e.status.is_server_error() {
        return fault(e);
    }
    Refusal::Fault(ApiError {
        message_zh: format!("操作未完成：{}", e.message_zh),
        message_en: format!("Not done: {}", e.message_en),
        ..e
    })
}

/// `POST /admin/escalations/{id}/acknowledge`: the administrator takes the escalation in hand.
async fn acknowledge(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<Settings>>,
    viewer: Viewer,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    form: Result<Form<AckForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let Form(form) = form.map_err(|_| Refusal::Forged)?;
    let id = check_action(&viewer, &settings, &uri, &headers, &form.csrf, &id)?;
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    apps::command(
        &state,
        &viewer.user,
        id,
        Do::Command(Command::AcknowledgeEscalation { note }),
        None,
    )
    .await
    .map_err(command_refused)?;
    Ok(back_to(&form.back))
}

/// `POST /admin/escalations/{id}/reassign`: to another manager of the same bank who serves the
/// villager's town.
async fn reassign(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<Settings>>,
    viewer: Viewer,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    form: Result<Form<ReassignForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let Form(form) = form.map_err(|_| Refusal::Forged)?;
    let id = check_action(&viewer, &settings, &uri, &headers, &form.csrf, &id)?;
    let target = form.manager_id.trim().to_owned();
    let app = id.clone();
    let t = target.clone();
    let serves = state
        .db
        .read(move |conn| {
            let row: Option<(String, String)> = crate::sql::OptionalExtension::optional(
                conn.prepare_cached("SELECT bank_id, town FROM applications WHERE id = ?1")?
                    .query_row(params![app.as_str()], |r| Ok((r.get(0)?, r.get(1)?))),
            )?;
            let Some((bank, town)) = row else {
                return Err(ApiError::not_found());
            };
            Ok(managers_serving(conn, &bank, &town)?
                .iter()
                .any(|(m, _)| *m == t))
        })
        .await
        .map_err(fault)?;
    if !serves {
        return Err(fault(ApiError::unprocessable(
            "unknown_manager",
            "只能改派给同一家银行、服务该村民所在乡镇的客户经理",
            "reassign only to a manager of the same bank who serves the villager's town",
        )));
    }
    apps::command(&state, &viewer.user, id, Do::AssignTo(target), None)
        .await
        .map_err(command_refused)?;
    Ok(back_to(&form.back))
}
