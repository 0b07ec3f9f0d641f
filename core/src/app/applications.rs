//! Drafts, applications, their timelines and the account manager's tasks, as view models.
//!
//! Owns persisting the lifecycle's events in the device store and folding them back. Every
//! transition is decided by [`crate::domain::lifecycle`]; this module never decides one itself
//! and never logs an application's contents.

use super::error::{AppError, ErrorAction};
use super::views::{
    ApplicationView, DraftInput, MoneyView, TaskView, TimelineEntryView, TimelineView,
};
use crate::domain::catalog::Catalog;
use crate::domain::lifecycle::{
    self, Actor, Application, ApplicationId, Command, Event, LifecycleError, NewApplication,
    SlaPolicy, State,
};
use crate::store::Store;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A lifecycle refusal as a caller action.
pub(crate) fn lifecycle_error(e: &LifecycleError) -> AppError {
    let action = match e {
        LifecycleError::Invalid { .. } | LifecycleError::BadId { .. } => ErrorAction::InvalidInput,
        LifecycleError::EventOutOfOrder { .. }
        | LifecycleError::EventNotApplicable { .. }
        | LifecycleError::MissingCreated => ErrorAction::Internal,
        _ => ErrorAction::Conflict,
    };
    AppError::new(action, e.message_zh(), e.message_en())
}

/// The stable code of a state (`draft`, `under_review` …), as the wire spells it.
pub(crate) fn state_code(state: State) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn internal_json(e: &serde_json::Error) -> AppError {
    AppError::internal(format!("stored event does not parse: {e}"))
}

/// Loads one application by folding its stored events.
pub(crate) fn load(store: &Store, id: &str) -> Result<Application, AppError> {
    let app_id = ApplicationId::parse(id).map_err(|e| lifecycle_error(&e))?;
    let rows = store
        .events(app_id.as_str())
        .map_err(|e| super::store_error(&e))?;
    if rows.is_empty() {
        return Err(AppError::not_found("申请", "application", id));
    }
    let events = rows
        .iter()
        .map(|r| serde_json::from_str::<Event>(&r.event_json).map_err(|e| internal_json(&e)))
        .collect::<Result<Vec<_>, _>>()?;
    Application::fold(app_id, &events).map_err(|e| lifecycle_error(&e))
}

/// Stores new events of `app` (those after `from_seq`) and its summary row.
pub(crate) fn persist(
    store: &Store,
    app: &Application,
    from_seq: u64,
    now: Timestamp,
) -> Result<(), AppError> {
    // The row first: the events table refers to it.
    store
        .upsert_application(
            app.id.as_str(),
            &app.product_id,
            &state_code(app.state),
            None,
            now,
        )
        .map_err(|e| super::store_error(&e))?;
    for event in app.events.iter().filter(|e| e.seq > from_seq) {
        let json = serde_json::to_string(event).map_err(AppError::internal)?;
        let seq =
            i64::try_from(event.seq).map_err(|_| AppError::internal("event number too large"))?;
        store
            .append_event(app.id.as_str(), seq, &json, event.at)
            .map_err(|e| super::store_error(&e))?;
    }
    Ok(())
}

/// Starts a draft for `villager`.
pub(crate) fn create_draft(
    store: &Store,
    catalog: &Catalog,
    villager: &Actor,
    input: &DraftInput,
    now: Timestamp,
) -> Result<Application, AppError> {
    if catalog.product(&input.product_id).is_none() {
        return Err(AppError::not_found(
            "贷款产品",
            "loan product",
            &input.product_id,
        ));
    }
    let town = catalog
        .find_town(&input.town)
        .map(|t| t.id.clone())
        .ok_or_else(|| {
            AppError::invalid(
                format!("没有这个乡镇：{}", input.town),
                format!("unknown town: {}", input.town),
            )
        })?;
    let request = NewApplication {
        product_id: input.product_id.clone(),
        amount: input.amount_fen,
        months: input.months,
        town,
    };
    let (app, _) = Application::open(
        ApplicationId::from_uuid(uuid::Uuid::now_v7()),
        villager,
        request,
        now,
    )
    .map_err(|e| lifecycle_error(&e))?;
    persist(store, &app, 0, now)?;
    Ok(app)
}

/// Runs one command as `actor` on a stored application.
pub(crate) fn execute(
    store: &Store,
    actor: &Actor,
    id: &str,
    command: Command,
    now: Timestamp,
) -> Result<Application, AppError> {
    let mut app = load(store, id)?;
    let before = app.last_seq;
    app.execute(actor, command, now)
        .map_err(|e| lifecycle_error(&e))?;
    persist(store, &app, before, now)?;
    Ok(app)
}

/// Takes in the events of application `id` as the platform sent them (a JSON array).
pub(crate) fn ingest_for(
    store: &Store,
    id: &str,
    events_json: &str,
    now: Timestamp,
) -> Result<Application, AppError> {
    let app_id = ApplicationId::parse(id).map_err(|e| lifecycle_error(&e))?;
    let events: Vec<Event> = serde_json::from_str(events_json).map_err(|e| {
        AppError::invalid(
            format!("平台发来的记录无法读取：{e}"),
            format!("the platform's events do not parse: {e}"),
        )
    })?;
    let app = Application::fold(app_id, &events).map_err(|e| {
        AppError::invalid(
            format!("平台发来的记录不完整：{}", e.message_zh()),
            format!("the platform's events do not fold: {}", e.message_en()),
        )
    })?;
    persist(store, &app, 0, now)?;
    Ok(app)
}

/// Every application stored on this phone, most recently changed first.
pub(crate) fn list(store: &Store) -> Result<Vec<Application>, AppError> {
    let rows = store.applications().map_err(|e| super::store_error(&e))?;
    rows.iter().map(|r| load(store, &r.id)).collect()
}

/// The list line of one application.
pub(crate) fn view(
    catalog: &Catalog,
    app: &Application,
    tz: &TimeZone,
    now: Timestamp,
) -> ApplicationView {
    ApplicationView {
        id: app.id.as_str().to_owned(),
        product_id: app.product_id.clone(),
        product_name_zh: catalog
            .product(&app.product_id)
            .map(|p| p.name_zh.clone())
            .unwrap_or_default(),
        amount: MoneyView::of(app.amount),
        months: app.months,
        state: state_code(app.state),
        state_zh: app.state.name_zh().to_owned(),
        state_en: app.state.name_en().to_owned(),
        updated_zh: lifecycle::format_when_zh(app.updated_at, tz, now),
    }
}

/// The timeline screen of one application.
pub(crate) fn timeline_view(
    catalog: &Catalog,
    app: &Application,
    policy: &SlaPolicy,
    tz: &TimeZone,
    now: Timestamp,
) -> TimelineView {
    let t = lifecycle::timeline(app, policy, tz, now);
    TimelineView {
        application: view(catalog, app, tz, now),
        next_zh: t.next_zh,
        next_en: t.next_en,
        entries: t
            .entries
            .into_iter()
            .map(|e| TimelineEntryView {
                seq: e.seq,
                when_zh: e.when_zh,
                when_en: e.when_en,
                title_zh: e.title_zh,
                title_en: e.title_en,
                detail_zh: e.detail_zh,
                detail_en: e.detail_en,
            })
            .collect(),
    }
}

/// A manager's inbox over the applications on this phone.
pub(crate) fn tasks(
    apps: &[Application],
    manager_id: &str,
    policy: &SlaPolicy,
    now: Timestamp,
) -> Vec<TaskView> {
    lifecycle::tasks_for(manager_id, apps, policy, now)
        .into_iter()
        .map(|t| TaskView {
            application_id: t.application_id.as_str().to_owned(),
            kind: serde_json::to_value(t.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            title_zh: t.title_zh,
            title_en: t.title_en,
            countdown_zh: t.countdown_zh,
            countdown_en: t.countdown_en,
            seconds_left: t.seconds_left,
            overdue: t.overdue,
            escalated: t.escalated,
            amount: MoneyView::of(t.amount),
        })
        .collect()
}
