//! Applications, their timelines and the account manager's tasks, as view models.
//!
//! Owns folding the stored events back into applications (inside a transaction when an action
//! needs to decide on the latest state), persisting new events, and the marks that say whether
//! the platform has what the phone did (from the outbox). Every transition is decided by
//! [`crate::domain::lifecycle`]; this module never decides one itself and never logs an
//! application's contents.

use super::error::{AppError, ErrorAction};
use super::views::{
    ApplicationView, MoneyView, SyncMark, TaskView, TimelineEntryView, TimelineView,
};
use crate::domain::catalog::Catalog;
use crate::domain::lifecycle::{
    self, Application, ApplicationId, Event, LifecycleError, SlaPolicy, State,
};
use crate::store::outbox::OutboxState;
use crate::store::records::EventRow;
use crate::store::{Store, StoreError};
use crate::sync::{OutboxCommand, Refusal};
use crate::wire;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::Transaction;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

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
    state.code().to_owned()
}

fn fold(id: &str, rows: &[EventRow]) -> Result<Application, AppError> {
    let app_id = ApplicationId::parse(id).map_err(|e| lifecycle_error(&e))?;
    if rows.is_empty() {
        return Err(AppError::not_found("申请", "application", id));
    }
    let events = rows
        .iter()
        .map(|r| {
            serde_json::from_str::<Event>(&r.event_json)
                .map_err(|e| AppError::internal(format!("stored event does not parse: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Application::fold(app_id, &events).map_err(|e| lifecycle_error(&e))
}

/// Loads one application by folding its stored events.
pub(crate) fn load(store: &Store, id: &str) -> Result<Application, AppError> {
    let app_id = ApplicationId::parse(id).map_err(|e| lifecycle_error(&e))?;
    fold(app_id.as_str(), &store.events(app_id.as_str())?)
}

/// [`load`] inside a transaction (the state an action decides on is the one it commits on).
pub(crate) fn load_in(
    store: &Store,
    tx: &Transaction<'_>,
    id: &str,
) -> Result<Application, AppError> {
    let app_id = ApplicationId::parse(id).map_err(|e| lifecycle_error(&e))?;
    fold(app_id.as_str(), &store.events_in(tx, app_id.as_str())?)
}

/// Stores the events of `app` after `from_seq` and its summary row, inside `tx`. `local`
/// marks events the phone decided that the platform has not confirmed yet.
pub(crate) fn persist_in(
    store: &Store,
    tx: &Transaction<'_>,
    app: &Application,
    from_seq: u64,
    now: Timestamp,
    local: bool,
) -> Result<(), StoreError> {
    // The row first: the events table refers to it.
    store.upsert_application_in(
        tx,
        app.id.as_str(),
        &app.product_id,
        &state_code(app.state),
        None,
        now,
    )?;
    for event in app.events.iter().filter(|e| e.seq > from_seq) {
        let json = Zeroizing::new(
            serde_json::to_string(event).map_err(|e| StoreError::Invalid(e.to_string()))?,
        );
        let seq = i64::try_from(event.seq)
            .map_err(|_| StoreError::Invalid("event number too large".into()))?;
        store.append_event_in(tx, app.id.as_str(), seq, &json, event.at, local)?;
    }
    Ok(())
}

/// Every application stored on this phone, most recently changed first.
pub(crate) fn list(store: &Store) -> Result<Vec<Application>, AppError> {
    let rows = store.applications()?;
    rows.iter().map(|r| load(store, &r.id)).collect()
}

/// The platform's last summary of an application (it holds the villager's contact for the
/// assigned manager).
pub(crate) fn summary(store: &Store, id: &str) -> Result<Option<wire::ApplicationView>, AppError> {
    let Some(row) = store.application(id)? else {
        return Ok(None);
    };
    Ok(row
        .payload_json
        .and_then(|p| serde_json::from_str::<wire::ApplicationView>(&p).ok()))
}

/// What the outbox says about each application: something waits, or the platform refused
/// something (its words).
#[derive(Debug, Default)]
pub(crate) struct Marks {
    by_app: BTreeMap<String, (bool, Option<Refusal>)>,
}

impl Marks {
    /// Reads the marks from the outbox.
    pub(crate) fn read(store: &Store) -> Result<Marks, AppError> {
        let mut marks = Marks::default();
        for item in store.outbox()? {
            let Some(cmd) = OutboxCommand::from_row(&item.kind, &item.payload_json) else {
                continue;
            };
            // A task's opening is no change the user waits to see confirmed.
            if matches!(cmd, OutboxCommand::OpenTask { .. }) {
                continue;
            }
            let Some(app) = cmd.application_id() else {
                continue;
            };
            let entry = marks.by_app.entry(app.to_owned()).or_default();
            match item.state {
                OutboxState::Pending => entry.0 = true,
                OutboxState::Wedged => {
                    if entry.1.is_none() {
                        entry.1 = Some(
                            item.last_error
                                .as_deref()
                                .and_then(Refusal::from_last_error)
                                .unwrap_or_else(|| Refusal {
                                    status: 0,
                                    code: "gave_up".into(),
                                    message_zh: "多次发送都没有成功，请检查网络后点“重试”".into(),
                                    message_en:
                                        "sending failed many times: check the network and tap retry"
                                            .into(),
                                }),
                        );
                    }
                }
                OutboxState::Done => {}
            }
        }
        Ok(marks)
    }

    fn of(&self, app: &Application) -> (SyncMark, String, String, Option<&Refusal>) {
        let id = app.id.as_str();
        match self.by_app.get(id) {
            Some((_, Some(r))) => (
                SyncMark::NeedsAttention,
                "需要您处理".into(),
                "needs your attention".into(),
                Some(r),
            ),
            Some((true, None)) => (
                SyncMark::Waiting,
                "待发送，联网后自动发送".into(),
                "waiting to be sent when online".into(),
                None,
            ),
            _ if app.state == State::Draft => (
                SyncMark::Draft,
                "草稿，仅保存在本机".into(),
                "a draft, kept on this phone only".into(),
                None,
            ),
            _ => (SyncMark::Confirmed, String::new(), String::new(), None),
        }
    }

    /// Whether something of this application waits in the outbox.
    pub(crate) fn waiting(&self, id: &str) -> bool {
        self.by_app.get(id).is_some_and(|(p, _)| *p)
    }
}

/// The list line of one application.
pub(crate) fn view(
    catalog: &Catalog,
    app: &Application,
    tz: &TimeZone,
    now: Timestamp,
    marks: &Marks,
) -> ApplicationView {
    let (sync_mark, sync_zh, sync_en, refusal) = marks.of(app);
    ApplicationView {
        id: app.id.as_str().to_owned(),
        product_id: app.product_id.clone(),
        product_name_zh: catalog
            .product(&app.product_id)
            .map(|p| p.name_zh.clone())
            .unwrap_or_default(),
        amount: MoneyView::of(app.amount),
        months: app.months,
        state: app.state,
        state_zh: app.state.name_zh().to_owned(),
        state_en: app.state.name_en().to_owned(),
        updated_zh: lifecycle::format_when_zh(app.updated_at, tz, now),
        sync_mark,
        sync_zh,
        sync_en,
        attention_zh: refusal.map(|r| r.message_zh.clone()),
        attention_en: refusal.map(|r| r.message_en.clone()),
    }
}

/// The numbers of the events the phone decided that the platform has not confirmed yet.
pub(crate) fn unconfirmed(store: &Store, id: &str) -> Result<Vec<u64>, AppError> {
    Ok(store
        .events(id)?
        .iter()
        .filter(|e| e.local)
        .filter_map(|e| u64::try_from(e.seq).ok())
        .collect())
}

/// The timeline screen of one application. While something the villager did still waits in
/// the outbox, "what happens next" says so instead of promising what the platform will do, and
/// each entry says whether the platform has confirmed it.
pub(crate) fn timeline_view(
    catalog: &Catalog,
    app: &Application,
    policy: &SlaPolicy,
    tz: &TimeZone,
    now: Timestamp,
    marks: &Marks,
    unconfirmed: &[u64],
) -> TimelineView {
    let t = lifecycle::timeline(app, policy, tz, now);
    let application = view(catalog, app, tz, now, marks);
    let (next_zh, next_en) = match application.sync_mark {
        SyncMark::Waiting => (
            "已保存在本机，联网后自动发送给平台；发送成功后这里会显示".to_owned(),
            "Saved on this phone; it is sent to the platform when you are online, and shown here once it arrives".to_owned(),
        ),
        SyncMark::NeedsAttention => (
            format!(
                "平台没有接受：{}",
                application.attention_zh.clone().unwrap_or_default()
            ),
            format!(
                "The platform did not accept it: {}",
                application.attention_en.clone().unwrap_or_default()
            ),
        ),
        SyncMark::Confirmed | SyncMark::Draft => (t.next_zh, t.next_en),
    };
    TimelineView {
        application,
        next_zh,
        next_en,
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
                confirmed: !unconfirmed.contains(&e.seq),
            })
            .collect(),
    }
}

/// A manager's inbox over the applications on this phone, with the villager to call.
pub(crate) fn tasks(
    store: &Store,
    catalog: &Catalog,
    apps: &[Application],
    manager_id: &str,
    policy: &SlaPolicy,
    now: Timestamp,
) -> Result<Vec<TaskView>, AppError> {
    let mut out = Vec::new();
    for t in lifecycle::tasks_for(manager_id, apps, policy, now) {
        let contact = summary(store, t.application_id.as_str())?.and_then(|s| s.villager);
        out.push(TaskView {
            application_id: t.application_id.as_str().to_owned(),
            kind: t.kind,
            title_zh: t.title_zh,
            title_en: t.title_en,
            countdown_zh: t.countdown_zh,
            countdown_en: t.countdown_en,
            seconds_left: t.seconds_left,
            overdue: t.overdue,
            escalated: t.escalated,
            amount: MoneyView::of(t.amount),
            months: t.months,
            product_name_zh: catalog
                .product(&t.product_id)
                .map(|p| p.name_zh.clone())
                .unwrap_or_default(),
            call_uri: contact.as_ref().map(|c| format!("tel:{}", c.phone)),
            villager_name: contact.as_ref().map(|c| c.name.clone()),
            villager_phone: contact.map(|c| c.phone),
        });
    }
    Ok(out)
}
