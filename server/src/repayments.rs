//! Loans in progress on the platform: the repayments the bank records
//! (`POST /v1/applications/{id}/repayments`), the daily sweep on the platform clock that
//! records each change of overdue stage (1, 30, 90 days late) and closes a loan paid in full,
//! and the SMS reminder three days before a due date.
//!
//! Every decision is the domain's ([`huoshui_core::domain::lifecycle::loan`]): the phone folds
//! the same events with the same functions, so both show the same plan, the same late rows
//! and the same stage. Each system event commits with its projection and feed rows in one
//! transaction (like any lifecycle event), so the villager's phone learns of it through the
//! live stream and the status pull like every other event.
//! The reminder is decided in the sweep's transaction (a row recorded in `repayment_sms`, schema
//! v9) and put in the outbox of [`crate::claims`] in that same transaction, so whichever node
//! is up sends it (a node killed before sending leaves it to another after the lease).
//! Must never text a villager twice for one row (the outbox's key is the loan and the row),
//! never log a phone number or an amount, and never record an event the lifecycle did not
//! decide.

use crate::api::{ApiJson, PathResult, run};
use crate::apps::{
    self, collect, insert_event, lifecycle_error, load, notice_for, save_projection,
};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::feed;
use crate::sql::{Tx, params};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use huoshui_core::domain::lifecycle::loan::{
    china_date, due_system_command, loan_plan, recorded_repayments, sms_reminder_due,
};
use huoshui_core::domain::lifecycle::{Actor, Application, ApplicationId, Command};
use huoshui_core::wire::{ApplicationView, ErrorBody, RepaymentRequest};
use jiff::civil::Date;

/// The most loans one sweep looks at; the rest wait for the next day's (or the next tick's).
const SWEEP_BATCH: u32 = 5_000;

/// Schema v9 (`crate::db`): the reminders sent, one row per loan and plan row. `IF NOT EXISTS`
/// because builds before v9 created this table on first use.
pub const SCHEMA_V9: &str = "
    CREATE TABLE IF NOT EXISTS repayment_sms (
        application_id TEXT NOT NULL,
        row_n INTEGER NOT NULL,
        due_on TEXT NOT NULL,
        PRIMARY KEY (application_id, row_n)
    ) WITHOUT ROWID;
";

/// The assigned manager (or an administrator) records a repayment the bank received.
#[utoipa::path(post, path = "/v1/applications/{id}/repayments", tag = "manager", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application id (a UUID)"), crate::openapi::OptionalKey),
    request_body = RepaymentRequest,
    responses(
        (status = 200, description = "Recorded; the view after the platform settled the loan (a late stage left, or the loan closed)", body = ApplicationView),
        (status = 403, description = "`role_cannot`, `not_yours`: only the assigned manager or an administrator", body = ErrorBody),
        (status = 409, description = "`illegal_transition`: the loan is not paid out, or already closed", body = ErrorBody),
        (status = 422, description = "`invalid`: the day is before the payout or after today, or the amount is out of range", body = ErrorBody),
    ))]
pub async fn record(
    State(state): State<AppState>,
    who: AuthUser,
    id: PathResult,
    headers: HeaderMap,
    ApiJson(b): ApiJson<RepaymentRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let cmd = Command::RecordRepayment {
        on: b.on,
        amount: b.amount_fen,
    };
    let Json(view) = run(&state, &who, id, &headers, cmd).await?;
    let id = ApplicationId::parse(&view.id).map_err(lifecycle_error)?;
    let today = china_date(state.clock.now());
    if settle(&state, vec![id.clone()], today).await?.events == 0 {
        return Ok(Json(view));
    }
    Ok(Json(apps::detail(&state, &who.user, id).await?))
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// System events recorded (overdue changes, loans closed).
    pub events: usize,
    /// SMS reminders sent.
    pub reminders: usize,
}

/// Sweeps every loan in progress on the platform clock's China day: overdue stages, loans
/// closed, SMS reminders due. Idempotent within a day.
pub async fn sweep(state: &AppState) -> Result<SweepReport, ApiError> {
    let today = china_date(state.clock.now());
    let ids: Vec<String> = state
        .db
        .read(|conn| {
            collect(
                conn,
                "SELECT id FROM applications WHERE state = 'disbursed' ORDER BY id LIMIT ?1",
                params![SWEEP_BATCH],
            )
        })
        .await?;
    let ids = ids
        .iter()
        .filter_map(|id| ApplicationId::parse(id).ok())
        .collect();
    settle(state, ids, today).await
}

/// Runs the sweep once per China day of the platform clock (the background task's tick).
#[derive(Debug, Default)]
pub struct DailySweep {
    last: Option<Date>,
}

impl DailySweep {
    /// Sweeps when the platform clock's China day has changed since the last good sweep.
    pub async fn tick(&mut self, state: &AppState) {
        let today = china_date(state.clock.now());
        if self.last == Some(today) {
            return;
        }
        match sweep(state).await {
            Ok(report) => {
                self.last = Some(today);
                if report.events + report.reminders > 0 {
                    tracing::info!(
                        events = report.events,
                        reminders = report.reminders,
                        "loan sweep"
                    );
                }
            }
            Err(e) => tracing::error!(code = e.code, "loan sweep failed"),
        }
    }
}

/// Settles the loans `ids` on `today` in one transaction (the reminders due enqueued in it),
/// then announces the events and performs what is due in the outbox.
async fn settle(
    state: &AppState,
    ids: Vec<ApplicationId>,
    today: Date,
) -> Result<SweepReport, ApiError> {
    if ids.is_empty() {
        return Ok(SweepReport::default());
    }
    let catalog = state.dir.catalog.clone();
    let now = state.clock.now();
    let (events, published, reminders) = state
        .db
        .write(move |conn| {
            let mut published = Vec::new();
            let mut reminders = 0;
            let mut events = 0;
            for id in ids {
                let Some(mut app) = load(conn, &id)? else {
                    continue;
                };
                let Some(product) = catalog.product(&app.product_id) else {
                    continue;
                };
                let Ok(Some(plan)) = loan_plan(&app, product) else {
                    continue;
                };
                // At most three in a row: leave a stage, close (a fourth would be a bug).
                for _ in 0..3 {
                    let Ok(Some(cmd)) = due_system_command(&app, &plan, today) else {
                        break;
                    };
                    let event = app
                        .execute(&Actor::system(), cmd, now)
                        .map_err(lifecycle_error)?;
                    insert_event(conn, &id, &event)?;
                    save_projection(conn, &app)?;
                    published.push(feed::record(
                        conn,
                        &notice_for(&app, &event, &[]),
                        now.as_millisecond(),
                    )?);
                    events += 1;
                }
                if reminder_due(conn, &app, &plan, today, now.as_millisecond())? {
                    reminders += 1;
                }
            }
            Ok((events, published, reminders))
        })
        .await?;
    apps::announce(state, published);
    if reminders > 0 {
        crate::ladder::effects::run_due(state, now.as_millisecond()).await?;
    }
    Ok(SweepReport { events, reminders })
}

/// The reminder due for `app` today, if not decided before: recorded and put in the outbox in
/// this transaction (answers whether it was). Sent by whichever node performs the outbox.
fn reminder_due(
    conn: &Tx<'_>,
    app: &Application,
    plan: &huoshui_core::domain::repayment::RepaymentPlan,
    today: Date,
    now_ms: i64,
) -> Result<bool, ApiError> {
    if app.state != huoshui_core::domain::lifecycle::State::Disbursed {
        return Ok(false);
    }
    let Ok(Some(next)) = sms_reminder_due(plan, &recorded_repayments(app), today) else {
        return Ok(false);
    };
    let claimed = conn
        .prepare_cached(
            "INSERT INTO repayment_sms (application_id, row_n, due_on) VALUES (?1, ?2, ?3) \
             ON CONFLICT (application_id, row_n) DO NOTHING",
        )?
        .execute(params![app.id.as_str(), next.n, next.due_date.to_string()])?;
    if claimed != 1 {
        return Ok(false);
    }
    let effect = crate::ladder::effects::repayment_effect(next.n, next.due_date);
    crate::claims::enqueue(conn, app.id.as_str(), &effect, &app.villager_id, now_ms)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use crate::db::{VERSION, migrate_to};

    #[test]
    fn a_database_whose_reminders_table_was_made_on_first_use_migrates_keeping_its_rows() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        assert_eq!(migrate_to(&mut conn, 8).unwrap(), 0);
        // What builds before v9 did on their first sweep, and a reminder they sent.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS repayment_sms (
                 application_id TEXT NOT NULL,
                 row_n INTEGER NOT NULL,
                 due_on TEXT NOT NULL,
                 PRIMARY KEY (application_id, row_n)
             ) WITHOUT ROWID;
             INSERT INTO repayment_sms VALUES ('a', 1, '2027-02-28');",
        )
        .unwrap();
        assert_eq!(migrate_to(&mut conn, VERSION).unwrap(), 8);
        let kept: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM repayment_sms WHERE row_n = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, 1, "the reminder already sent is still on record");
    }

    #[test]
    fn a_fresh_database_has_the_reminders_table() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::db::migrate(&mut conn).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM repayment_sms", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
