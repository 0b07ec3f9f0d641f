//! Supervision for the county administrator and the manager's inbox: open escalations, the
//! platform figures (applications by state, contact times, SLA compliance per bank) and the
//! task list derived by `huoshui_core::domain::lifecycle::tasks_for`.
//! Read-only: must never change an application (reassigning goes through `apps::command`).

use crate::accounts::User;
use crate::error::ApiError;
use crate::sql::params;
use crate::state::AppState;
use crate::{apps, contacts};
use huoshui_core::domain::lifecycle::{Application, ApplicationId, Task, tasks_for};
use huoshui_core::wire::{
    ApplicationView, BankFigures, Figures, Inbox, InboxTask, StateCount, VillagerContact,
};

/// Escalated applications not yet taken in hand and still open.
pub async fn escalations(state: &AppState, user: &User) -> Result<Vec<ApplicationView>, ApiError> {
    let user = user.clone();
    let policy = state.policy;
    let now = state.clock.now();
    state
        .db
        .read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM applications WHERE escalated_at IS NOT NULL AND open = 1 ORDER BY escalated_at",
            )?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for id in ids {
                let id = ApplicationId::parse(&id?).map_err(apps::lifecycle_error)?;
                if let Some(app) = apps::load(conn, &id)?
                    && app.escalation_acknowledged_at.is_none()
                {
                    out.push(apps::view(&app, user.role, &policy, now, false));
                }
            }
            Ok(out)
        })
        .await
}

/// The platform figures.
pub async fn figures(state: &AppState) -> Result<Figures, ApiError> {
    let policy = state.policy;
    let now = state.clock.now();
    let dir = state.dir.clone();
    state
        .db
        .read(move |conn| {
            let mut by_state = Vec::new();
            let mut total = 0;
            let mut stmt = conn.prepare_cached("SELECT state, COUNT(*) FROM applications GROUP BY state ORDER BY state")?;
            let rows = stmt.query_map([], |r| Ok(StateCount { state: r.get(0)?, count: r.get(1)? }))?;
            for r in rows {
                let r = r?;
                total += r.count;
                by_state.push(r);
            }
            let due_ms = i64::from(policy.first_contact_minutes) * 60_000;
            let mut stmt = conn.prepare_cached(
                "SELECT bank_id, COUNT(*),
                        SUM(CASE WHEN contacted_at IS NOT NULL THEN 1 ELSE 0 END),
                        CAST(AVG(CASE WHEN contacted_at IS NOT NULL THEN contacted_at - submitted_at END) AS DOUBLE PRECISION),
                        MAX(CASE WHEN contacted_at IS NOT NULL THEN contacted_at - submitted_at END),
                        SUM(CASE WHEN contacted_at IS NOT NULL OR (submitted_at + ?1 <= ?2 AND state != 'withdrawn') THEN 1 ELSE 0 END),
                        SUM(CASE WHEN contacted_at IS NOT NULL AND contacted_at - submitted_at <= ?1 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN escalated_at IS NOT NULL THEN 1 ELSE 0 END)
                 FROM applications GROUP BY bank_id ORDER BY bank_id",
            )?;
            let rows = stmt.query_map(params![due_ms, now.as_millisecond()], |r| {
                let bank_id: String = r.get(0)?;
                let avg: Option<f64> = r.get(3)?;
                let max: Option<i64> = r.get(4)?;
                let due: i64 = r.get(5)?;
                let in_time: i64 = r.get(6)?;
                Ok(BankFigures {
                    bank_name_zh: String::new(),
                    bank_id,
                    submitted: r.get(1)?,
                    contacted: r.get(2)?,
                    average_contact_seconds: avg.map(|ms| ms / 1000.0),
                    slowest_contact_seconds: max.map(|ms| ms / 1000),
                    contact_due: due,
                    contacted_in_time: in_time,
                    sla_compliance_permille: (due > 0).then(|| in_time.saturating_mul(1000) / due),
                    escalations: r.get(7)?,
                })
            })?;
            let mut banks = Vec::new();
            for r in rows {
                let mut b = r?;
                b.bank_name_zh = dir.bank(&b.bank_id).map(|x| x.name_zh.clone()).unwrap_or_default();
                banks.push(b);
            }
            Ok(Figures {
                at: now,
                first_contact_minutes: policy.first_contact_minutes,
                escalation_minutes: policy.escalation_minutes,
                total,
                by_state,
                banks,
            })
        })
        .await
}

/// A manager's inbox: tasks on the applications assigned to them, most urgent first, and the
/// applications of their bank in their towns that no one has yet.
pub async fn inbox(state: &AppState, user: &User) -> Result<Inbox, ApiError> {
    let views = apps::list(state, user, 500).await?;
    let user = user.clone();
    let policy = state.policy;
    let now = state.clock.now();
    let assigned: Vec<String> = views
        .iter()
        .filter(|v| v.manager_id.as_deref() == Some(user.id.as_str()))
        .map(|v| v.id.clone())
        .collect();
    let unassigned: Vec<ApplicationView> = views
        .into_iter()
        .filter(|v| v.manager_id.is_none())
        .collect();
    let manager_id = user.id.clone();
    let keys = state.keys.clone();
    let now_ms = now.as_millisecond();
    // Each task carries the villager's number, and every release is recorded: a write.
    let tasks = state
        .db
        .write(move |conn| {
            let mut apps_list = Vec::new();
            for id in assigned {
                let id = ApplicationId::parse(&id).map_err(apps::lifecycle_error)?;
                if let Some(app) = apps::load(conn, &id)? {
                    apps_list.push(app);
                }
            }
            let tasks = tasks_for(&manager_id, &apps_list, &policy, now);
            let mut out = Vec::with_capacity(tasks.len());
            for t in tasks {
                let app = apps_list.iter().find(|a| a.id == t.application_id);
                let villager = match app {
                    Some(a) => contacts::release(conn, &keys, a, &user, now_ms)?,
                    None => None,
                };
                out.push(inbox_task(t, app, villager));
            }
            Ok(out)
        })
        .await?;
    Ok(Inbox { tasks, unassigned })
}

/// One task as the wire shows it.
fn inbox_task(t: Task, app: Option<&Application>, villager: Option<VillagerContact>) -> InboxTask {
    InboxTask {
        application_id: t.application_id.as_str().to_owned(),
        kind: t.kind,
        deadline: t.deadline,
        seconds_left: t.seconds_left,
        overdue: t.overdue,
        countdown_zh: t.countdown_zh,
        countdown_en: t.countdown_en,
        title_zh: t.title_zh,
        title_en: t.title_en,
        product_id: t.product_id,
        town: t.town,
        amount_fen: t.amount,
        months: t.months,
        escalated: t.escalated,
        last_seq: app.map_or(0, |a| a.last_seq),
        villager,
    }
}
