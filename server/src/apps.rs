//! Applications on the platform: storing events, folding them, running lifecycle commands,
//! routing new submissions, idempotent submission, visibility per role and the SLA sweep.
//! Every change goes through `huoshui_core::domain::lifecycle` (`Application::open`,
//! `Application::execute`), so a transition legal on the phone is legal here and nowhere else.
//!
//! Storage: `events` holds each event as JSON (the truth); `applications` is a projection of the
//! fold (state, manager, SLA instants) for queries, updated in the same transaction.
//! Must never write an event the lifecycle did not decide, never show an application to someone
//! it does not belong to (those get 404, the same as a missing one), and never fire an
//! escalation twice (the claim and the event commit together).

use crate::accounts::{self, User};
use crate::contacts;
use crate::error::ApiError;
use crate::feed;
use crate::hub::{Notice, Published};
use crate::repo::{IdempotencyKeys, KeptAnswer};
use crate::state::AppState;
use axum::http::StatusCode;
use huoshui_core::domain::lifecycle::{
    Actor, Application, ApplicationId, Command, Event, EventKind, LifecycleError, NewApplication,
    Role, SlaPolicy, State, sla_at,
};
use huoshui_core::domain::rules::{self, ApplicantRecord, RuleRefusal, Terms};
use huoshui_core::wire::{ApplicationView, StreamMessage, StreamTopic, SubmitRequest};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// The state's wire name (snake_case).
pub fn state_code(state: State) -> String {
    state.code().to_owned()
}

/// Maps a lifecycle refusal to HTTP.
pub fn lifecycle_error(err: LifecycleError) -> ApiError {
    let status = match &err {
        LifecycleError::RoleCannot { .. } | LifecycleError::NotYours { .. } => {
            StatusCode::FORBIDDEN
        }
        LifecycleError::IllegalTransition { .. }
        | LifecycleError::AlreadyEscalated
        | LifecycleError::EscalationNotDue => StatusCode::CONFLICT,
        LifecycleError::Invalid { .. } | LifecycleError::BadId { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => return ApiError::internal(&format!("stored history: {}", err.code())),
    };
    ApiError::new(status, err.code(), err.message_zh(), err.message_en())
}

/// Loads and folds an application; `None` when it does not exist.
pub fn load(conn: &Connection, id: &ApplicationId) -> Result<Option<Application>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM events WHERE application_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map(params![id.as_str()], |r| r.get::<_, String>(0))?;
    let mut events = Vec::new();
    for body in rows {
        let event: Event = serde_json::from_str(&body?)?;
        events.push(event);
    }
    if events.is_empty() {
        return Ok(None);
    }
    Application::fold(id.clone(), &events)
        .map(Some)
        .map_err(lifecycle_error)
}

pub(crate) fn insert_event(
    conn: &Connection,
    id: &ApplicationId,
    event: &Event,
) -> Result<(), ApiError> {
    let body = serde_json::to_string(event)?;
    conn.prepare_cached(
        "INSERT INTO events (application_id, seq, at, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        id.as_str(),
        i64::try_from(event.seq).unwrap_or(i64::MAX),
        event.at.as_millisecond(),
        body
    ])?;
    Ok(())
}

fn ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.as_millisecond())
}

/// Writes the projection row of `app` (insert or update) and keeps each manager's count of
/// open applications (`manager_load`, what routing orders by) in step.
pub(crate) fn save_projection(conn: &Connection, app: &Application) -> Result<(), ApiError> {
    let open = !app.state.is_final() && app.state != State::Disbursed;
    let before: Option<(Option<String>, bool)> = conn
        .prepare_cached("SELECT manager_id, open FROM applications WHERE id = ?1")?
        .query_row(params![app.id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let was = before.and_then(|(m, o)| if o { m } else { None });
    let now = if open { app.manager_id.clone() } else { None };
    if was != now {
        if let Some(m) = &was {
            conn.prepare_cached("UPDATE manager_load SET open = open - 1 WHERE manager_id = ?1")?
                .execute(params![m])?;
        }
        if let Some(m) = &now {
            conn.prepare_cached(
                "INSERT INTO manager_load (manager_id, open) VALUES (?1, 1)
                 ON CONFLICT (manager_id) DO UPDATE SET open = open + 1",
            )?
            .execute(params![m])?;
        }
    }
    conn.prepare_cached(
        "INSERT INTO applications (id, villager_id, product_id, bank_id, town, manager_id, state, open,
             submitted_at, contacted_at, escalated_at, last_seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET manager_id = ?6, state = ?7, open = ?8, contacted_at = ?10,
             escalated_at = ?11, last_seq = ?12, updated_at = ?13",
    )?
    .execute(params![
        app.id.as_str(),
        app.villager_id,
        app.product_id,
        app.bank_id.clone().unwrap_or_default(),
        app.town,
        app.manager_id,
        state_code(app.state),
        open,
        ms(app.submitted_at).unwrap_or(app.created_at.as_millisecond()),
        ms(app.first_contact_at),
        ms(app.escalated_at),
        i64::try_from(app.last_seq).unwrap_or(i64::MAX),
        app.updated_at.as_millisecond(),
    ])?;
    Ok(())
}

/// Who may see an application: the villager who owns it; a manager of its bank to whom it is
/// assigned, or (while unassigned) who serves its town; every administrator.
pub fn visible_to(user: &User, app: &Application, bank_id: &str) -> bool {
    match user.role {
        Role::Villager => app.villager_id == user.id,
        Role::Manager => {
            let same_bank = user.bank_id.as_deref() == Some(bank_id);
            match &app.manager_id {
                Some(m) => same_bank && *m == user.id,
                None => same_bank && user.towns.contains(&app.town),
            }
        }
        Role::Administrator => true,
        Role::System => false,
    }
}

/// What `viewer` sees of an application at `now` (with its events and timeline when
/// `with_events`). Never the villager's phone: [`crate::contacts`] adds that for those allowed.
pub fn view(
    app: &Application,
    viewer: Role,
    policy: &SlaPolicy,
    now: Timestamp,
    with_events: bool,
) -> ApplicationView {
    let events = with_events.then(|| {
        app.events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if viewer == Role::Villager
                    && let EventKind::Contacted { note, .. } = &mut e.kind
                {
                    *note = None;
                }
                e
            })
            .collect()
    });
    ApplicationView {
        id: app.id.as_str().to_owned(),
        state: app.state,
        state_zh: app.state.name_zh().to_owned(),
        state_en: app.state.name_en().to_owned(),
        villager_id: app.villager_id.clone(),
        product_id: app.product_id.clone(),
        bank_id: app.bank_id.clone(),
        amount_fen: app.amount,
        months: app.months,
        town: app.town.clone(),
        manager_id: app.manager_id.clone(),
        submitted_at: app.submitted_at,
        updated_at: app.updated_at,
        offer: app.offer,
        disbursed_amount_fen: app.disbursed_amount,
        rejection_reason: app.rejection_reason.clone(),
        requested_documents: app.requested_documents.clone(),
        escalated_at: app.escalated_at,
        sla: sla_at(app, policy, now),
        last_seq: app.last_seq,
        villager: None,
        manager: None,
        timeline: with_events.then(|| {
            let china = huoshui_core::domain::china::time_zone();
            huoshui_core::domain::lifecycle::timeline(app, policy, &china, now)
        }),
        events,
    }
}

pub(crate) fn notice_for(app: &Application, event: &Event, extra: &[String]) -> Notice {
    let mut recipients = vec![app.villager_id.clone()];
    if let Some(m) = &app.manager_id {
        recipients.push(m.clone());
    }
    if let EventKind::Reassigned { from, .. } = &event.kind {
        recipients.push(from.clone());
    }
    recipients.extend(extra.iter().cloned());
    let topic = match &event.kind {
        EventKind::Escalated { .. } => StreamTopic::Escalation,
        EventKind::Assigned { .. } | EventKind::Reassigned { .. } => StreamTopic::Task,
        _ => StreamTopic::Application,
    };
    Notice {
        recipients,
        message: StreamMessage {
            topic,
            application_id: app.id.as_str().to_owned(),
            event: event.kind.name().to_owned(),
            seq: event.seq,
            state: app.state,
        },
    }
}

/// After the commit: wakes the recipients' streams and tickles their phones.
pub fn announce(state: &AppState, published: Vec<Published>) {
    for p in published {
        for (user, _) in &p.entries {
            state.push.tickle(user);
        }
        state.hub.publish(p);
    }
}

/// The answer to a command: the status and the view, stored for idempotent replay.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: u16,
    pub body: ApplicationView,
}

/// A refusal by the product's rules: 422 with the code, the words and every reason.
pub fn rule_refusal(refusal: RuleRefusal) -> ApiError {
    let mut err =
        ApiError::unprocessable(refusal.code(), refusal.message_zh(), refusal.message_en());
    err.reasons = refusal.reasons().to_vec();
    err
}

/// The stored answer for (user, key), if any. The same key with another request is refused.
fn prior_answer(
    conn: &Connection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<Stored>, ApiError> {
    let Some(kept) = IdempotencyKeys::kept_answer(&mut { conn }, user_id, key)? else {
        return Ok(None);
    };
    if kept.request_hash != request_hash {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "同一个 Idempotency-Key 已用于另一个不同的请求，请换一个新的键",
            "this Idempotency-Key was already used with a different request; use a new key",
        ));
    }
    Ok(Some(Stored {
        status: kept.status,
        body: serde_json::from_str(&kept.response)?,
    }))
}

/// Stores the answer for (user, key) in the same transaction as the change it answers.
fn store_answer(
    conn: &Connection,
    user_id: &str,
    key: &str,
    request_hash: &str,
    stored: &Stored,
    now: Timestamp,
) -> Result<(), ApiError> {
    let kept = KeptAnswer {
        request_hash: request_hash.to_owned(),
        status: stored.status,
        response: serde_json::to_string(&stored.body)?,
    };
    IdempotencyKeys::keep_answer(&mut { conn }, user_id, key, &kept, now.as_millisecond())
}

/// Whether an application (anyone's) already has this id.
fn id_taken(conn: &Connection, id: &ApplicationId) -> Result<bool, ApiError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM applications WHERE id = ?1")?
        .query_row(params![id.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The least-loaded manager of `bank_id` who serves `town` (ties by id).
fn route(conn: &Connection, bank_id: &str, town: &str) -> Result<Option<String>, ApiError> {
    Ok(conn
        .prepare_cached(
            // From the few managers who serve the town to their users row (CROSS JOIN keeps
            // that order: starting from `users` would scan every villager of the county).
            "SELECT u.id FROM manager_towns t CROSS JOIN users u ON u.id = t.manager_id
             LEFT JOIN manager_load l ON l.manager_id = u.id
             WHERE u.role = 'manager' AND u.bank_id = ?1 AND t.town = ?2
             ORDER BY COALESCE(l.open, 0), u.id
             LIMIT 1",
        )?
        .query_row(params![bank_id, town], |r| r.get(0))
        .optional()?)
}

/// Submits an application idempotently: the first answer for (villager, key) is stored in the
/// same transaction as the application, and replayed for the same body; a different body
/// under the same key is refused with 422.
pub async fn submit(
    state: &AppState,
    user: &User,
    key: String,
    req: SubmitRequest,
) -> Result<Stored, ApiError> {
    if user.role != Role::Villager {
        return Err(lifecycle_error(LifecycleError::RoleCannot {
            state: State::Draft,
            action: huoshui_core::domain::lifecycle::Action::Create,
            role: user.role,
        }));
    }
    let chosen_id = match req.id.as_deref() {
        None => None,
        Some(text) => Some(ApplicationId::parse(text).map_err(|_| {
            ApiError::bad_request(
                "application_id_invalid",
                "申请编号应为 UUID（例如 0190a5c4-7b1e-7cc2-9d3f-2f4f0e6c1a55），请更新应用后重试",
                "the application id must be a UUID (e.g. 0190a5c4-7b1e-7cc2-9d3f-2f4f0e6c1a55); update the app and retry",
            )
        })?),
    };
    let request_hash = crate::keys::sha256_hex(&serde_json::to_vec(&req)?);
    let bank_id = state
        .dir
        .product(&req.product_id)
        .map(|p| p.bank_id.clone());
    // The product's rules, decided by the same function the phone runs, against the
    // villager's record (points and town as enrolled, never typed in).
    let verdict = rules::check_application(
        &state.dir.catalog,
        &Terms {
            product_id: &req.product_id,
            amount: req.amount_fen,
            months: req.months,
            industry: req.industry.as_deref(),
            purpose: req.purpose.as_deref(),
        },
        &ApplicantRecord {
            points: user.points,
            town: user.town.clone(),
            age: None,
        },
    )
    .map_err(rule_refusal);
    let town = user.town.clone().unwrap_or_default();
    let actor = user.actor();
    let user_id = user.id.clone();
    let now = state.clock.now();
    let policy = state.policy;
    let (stored, notices, new_task) = state
        .db
        .write(move |conn| {
            if let Some(stored) = prior_answer(conn, &user_id, &key, &request_hash)? {
                return Ok((stored, Vec::new(), None));
            }
            verdict?;
            let Some(bank_id) = bank_id else {
                return Err(rule_refusal(RuleRefusal::UnknownProduct { id: req.product_id }));
            };
            let id = match chosen_id {
                Some(id) => {
                    if id_taken(conn, &id)? {
                        return Err(ApiError::conflict(
                            "application_id_taken",
                            "这个申请编号已被占用，请重新创建申请草稿后再提交",
                            "this application id is already taken; create the draft again and submit it",
                        ));
                    }
                    id
                }
                None => ApplicationId::from_uuid(uuid::Uuid::now_v7()),
            };
            let request = NewApplication { product_id: req.product_id, amount: req.amount_fen, months: req.months, town };
            let (mut app, created) = Application::open(id.clone(), &actor, request, now).map_err(lifecycle_error)?;
            let mut events = vec![created];
            events.push(app.execute(&actor, Command::Submit, now).map_err(lifecycle_error)?);
            if let Some(manager_id) = route(conn, &bank_id, &app.town)? {
                let cmd = Command::Assign { manager_id, bank_id: bank_id.clone() };
                events.push(app.execute(&Actor::system(), cmd, now).map_err(lifecycle_error)?);
            }
            for e in &events {
                insert_event(conn, &id, e)?;
            }
            save_projection(conn, &app)?;
            if app.bank_id.is_none() {
                conn.execute("UPDATE applications SET bank_id = ?2 WHERE id = ?1", params![id.as_str(), bank_id])?;
            }
            let body = view(&app, Role::Villager, &policy, now, false);
            let stored = Stored { status: 201, body };
            store_answer(conn, &user_id, &key, &request_hash, &stored, now)?;
            let mut published = Vec::new();
            if let Some(e) = events.last() {
                published.push(feed::record(conn, &notice_for(&app, e, &[]), now.as_millisecond())?);
            }
            let new_task = crate::ladder::claim_new_task(conn, id.as_str(), app.manager_id.as_deref(), now.as_millisecond())?;
            Ok((stored, published, new_task))
        })
        .await?;
    announce(state, notices);
    crate::ladder::push_new_task(state, new_task);
    Ok(stored)
}

/// Loads the projection's bank of an application (the product's bank, even while unassigned).
fn bank_of(conn: &Connection, id: &ApplicationId) -> Result<Option<String>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT bank_id FROM applications WHERE id = ?1")?
        .query_row(params![id.as_str()], |r| r.get(0))
        .optional()?)
}

/// Reads one application for `user` (404 if missing or not theirs).
pub async fn detail(
    state: &AppState,
    user: &User,
    id: ApplicationId,
) -> Result<ApplicationView, ApiError> {
    let user = user.clone();
    let policy = state.policy;
    let now = state.clock.now();
    let keys = state.keys.clone();
    let writes = user_may_see_phones(&user);
    let read = move |conn: &Connection| {
        let app = load(conn, &id)?.ok_or_else(ApiError::not_found)?;
        let bank = bank_of(conn, &id)?.unwrap_or_default();
        if !visible_to(&user, &app, &bank) {
            return Err(ApiError::not_found());
        }
        let mut v = view(&app, user.role, &policy, now, true);
        // A release of the phone number is recorded, so that read is a write.
        if contacts::may_see_phone(&user, &app) {
            v.villager = contacts::release(conn, &keys, &app, &user, now.as_millisecond())?;
        }
        v.manager = contacts::manager_for(conn, &keys, &app, &user)?;
        Ok(v)
    };
    if writes {
        state.db.write(read).await
    } else {
        state.db.read(read).await
    }
}

/// Roles that can ever be given a villager's phone number.
fn user_may_see_phones(user: &User) -> bool {
    matches!(user.role, Role::Manager | Role::Administrator)
}

/// What to do to an application.
pub enum Do {
    /// A lifecycle command as it is.
    Command(Command),
    /// Assign (while unassigned) or reassign to this manager, who must be a manager of the
    /// application's bank.
    AssignTo(String),
}

/// Runs one lifecycle command for `user` on application `id` and answers the new view.
/// With an `Idempotency-Key` (optional here, as a phone's outbox sends it) a retry of the same
/// command answers the first answer again instead of a 409.
pub async fn command(
    state: &AppState,
    user: &User,
    id: ApplicationId,
    what: Do,
    key: Option<String>,
) -> Result<ApplicationView, ApiError> {
    let user = user.clone();
    let now = state.clock.now();
    let policy = state.policy;
    let request_hash = {
        let what_json = match &what {
            Do::Command(cmd) => serde_json::to_value(cmd)?,
            Do::AssignTo(target) => serde_json::json!({"assign_to": target}),
        };
        crate::keys::sha256_hex(
            serde_json::json!({"application": id.as_str(), "do": what_json})
                .to_string()
                .as_bytes(),
        )
    };
    let (view, notices) = state
        .db
        .write(move |conn| {
            if let Some(key) = &key
                && let Some(stored) = prior_answer(conn, &user.id, key, &request_hash)?
            {
                return Ok((stored.body, Vec::new()));
            }
            let mut app = load(conn, &id)?.ok_or_else(ApiError::not_found)?;
            let bank = bank_of(conn, &id)?.unwrap_or_default();
            if !visible_to(&user, &app, &bank) {
                return Err(ApiError::not_found());
            }
            let cmd = match what {
                Do::Command(cmd) => cmd,
                Do::AssignTo(target) => {
                    let manager =
                        accounts::load(conn, &target)?.filter(|m| m.role == Role::Manager);
                    let Some(manager) =
                        manager.filter(|m| m.bank_id.as_deref() == Some(bank.as_str()))
                    else {
                        return Err(ApiError::unprocessable(
                            "unknown_manager",
                            "只能指派给该产品所属银行的客户经理",
                            "assign only to a manager of the product's bank",
                        ));
                    };
                    if app.state == State::Submitted {
                        Command::Assign {
                            manager_id: manager.id,
                            bank_id: bank.clone(),
                        }
                    } else {
                        Command::Reassign {
                            to: manager.id,
                            bank_id: bank.clone(),
                        }
                    }
                }
            };
            let event = app
                .execute(&user.actor(), cmd, now)
                .map_err(lifecycle_error)?;
            insert_event(conn, &id, &event)?;
            save_projection(conn, &app)?;
            let published =
                feed::record(conn, &notice_for(&app, &event, &[]), now.as_millisecond())?;
            let body = view(&app, user.role, &policy, now, true);
            if let Some(key) = &key {
                store_answer(
                    conn,
                    &user.id,
                    key,
                    &request_hash,
                    &Stored {
                        status: 200,
                        body: body.clone(),
                    },
                    now,
                )?;
            }
            Ok((body, vec![published]))
        })
        .await?;
    announce(state, notices);
    Ok(view)
}

/// Lists applications: a villager's own; a manager's assigned (open) and unassigned ones of
/// their bank in their towns; every one for an administrator (newest first, at most `limit`).
pub async fn list(
    state: &AppState,
    user: &User,
    limit: u32,
) -> Result<Vec<ApplicationView>, ApiError> {
    let user = user.clone();
    let policy = state.policy;
    let now = state.clock.now();
    state
        .db
        .read(move |conn| {
            let ids: Vec<String> = match user.role {
                Role::Villager => collect(
                    conn,
                    "SELECT id FROM applications WHERE villager_id = ?1 ORDER BY submitted_at DESC LIMIT ?2",
                    params![user.id, limit],
                )?,
                Role::Manager => collect(
                    conn,
                    "SELECT a.id FROM applications a WHERE a.open = 1 AND (a.manager_id = ?1 OR (a.manager_id IS NULL
                       AND a.bank_id = ?2 AND a.town IN (SELECT town FROM manager_towns WHERE manager_id = ?1)))
                     ORDER BY a.submitted_at LIMIT ?3",
                    params![user.id, user.bank_id.clone().unwrap_or_default(), limit],
                )?,
                Role::Administrator => collect(
                    conn,
                    "SELECT id FROM applications ORDER BY submitted_at DESC LIMIT ?1",
                    params![limit],
                )?,
                Role::System => Vec::new(),
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let id = ApplicationId::parse(&id).map_err(lifecycle_error)?;
                if let Some(app) = load(conn, &id)? {
                    let bank = bank_of(conn, &id)?.unwrap_or_default();
                    if visible_to(&user, &app, &bank) {
                        out.push(view(&app, user.role, &policy, now, false));
                    }
                }
            }
            Ok(out)
        })
        .await
}

pub(crate) fn collect(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<String>, ApiError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}

/// Deletes the feed rows older than [`feed::KEEP_DAYS`] (a read first, so an idle sweep writes
/// nothing).
async fn prune_feed(state: &AppState, now: Timestamp) -> Result<(), ApiError> {
    let before = now
        .as_millisecond()
        .saturating_sub(feed::KEEP_DAYS * 24 * 3_600_000);
    if state
        .db
        .read(move |conn| feed::has_older(conn, before))
        .await?
    {
        let pruned = state
            .db
            .write(move |conn| feed::prune(conn, before))
            .await?;
        tracing::info!(rows = pruned, "old live-feed rows pruned");
    }
    Ok(())
}

/// Records every escalation that is due at the clock's now. Each claim (the `Escalated` event
/// plus the projection's `escalated_at`) commits in one transaction, so a restart never fires
/// one twice, and one that was due while the server was down fires on the first sweep.
/// Returns how many fired.
pub async fn sweep_sla(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let policy = state.policy;
    let cutoff = now
        .as_millisecond()
        .saturating_sub(i64::from(policy.escalation_minutes) * 60_000);
    let due: Vec<String> = state
        .db
        .read(move |conn| {
            collect(
                conn,
                "SELECT id FROM applications WHERE open = 1 AND escalated_at IS NULL AND contacted_at IS NULL
                 AND state IN ('submitted', 'assigned') AND submitted_at <= ?1 LIMIT 1000",
                params![cutoff],
            )
        })
        .await?;
    prune_feed(state, now).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let (fired, notices) = state
        .db
        .write(move |conn| {
            let Some(admin) = accounts::first_administrator(conn)? else { return Ok((0, Vec::new())) };
            let admins = accounts::administrators(conn)?;
            let mut fired = 0usize;
            let mut notices = Vec::new();
            for id in due {
                let id = ApplicationId::parse(&id).map_err(lifecycle_error)?;
                let Some(mut app) = load(conn, &id)? else { continue };
                let cmd = Command::Escalate { to: admin.clone(), policy };
                let event = match app.execute(&Actor::system(), cmd, now) {
                    Ok(e) => e,
                    Err(LifecycleError::AlreadyEscalated | LifecycleError::EscalationNotDue) => continue,
                    Err(e) => return Err(lifecycle_error(e)),
                };
                let claimed = conn.execute(
                    "UPDATE applications SET escalated_at = ?2 WHERE id = ?1 AND escalated_at IS NULL",
                    params![id.as_str(), event.at.as_millisecond()],
                )?;
                if claimed != 1 {
                    continue;
                }
                insert_event(conn, &id, &event)?;
                save_projection(conn, &app)?;
                notices.push(feed::record(conn, &notice_for(&app, &event, &admins), now.as_millisecond())?);
                fired += 1;
            }
            Ok((fired, notices))
        })
        .await?;
    if fired > 0 {
        tracing::warn!(count = fired, "SLA escalations recorded");
    }
    announce(state, notices);
    Ok(fired)
}
