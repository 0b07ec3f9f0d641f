//! A paid-out loan on the application's timeline: the repayments the bank records and the
//! overdue stages the platform's sweep records, decided here for the phone and the platform
//! alike. Owns the link between an application's events and its dated plan
//! ([`crate::domain::repayment`]): the disbursement day (the China day of the `disbursed`
//! event), the repayments recorded, and which system event is due on a given day.
//! Must never read a clock (`now` and `today` are values), never store a split that the plan
//! already determines, and never record an overdue stage that the plan does not show.
//!
//! Rules chosen here:
//! - **China day** ([`china_date`]): every date of a loan is a day in China (UTC+8), the
//!   county's calendar, whatever the phone's or the server's time zone.
//! - **Repayment** ([`Command::RecordRepayment`]): by the assigned manager or an
//!   administrator, on a disbursed loan, dated between the disbursement day and today; the
//!   event keeps the day and the amount, and its split into interest and principal is always
//!   recomputed from the plan by the allocation rule, so two records can never disagree.
//! - **Sweep** ([`due_system_command`]): on a given day, the system first records a change of
//!   overdue stage (entering 1, 30 or 90 days late, or leaving it), then, once every row is
//!   paid, closes the loan (`repaid`). One command at a time; the caller repeats until none.
//! - **SMS reminder** ([`sms_reminder_due`]): the platform texts the villager once for a row
//!   not fully paid whose due date is at most [`SMS_REMINDER_DAYS_BEFORE`] days away.

use jiff::Timestamp;
use jiff::civil::Date;

use super::command::{Action, Command, invalid};
use super::error::LifecycleError;
use super::model::{Application, EventKind, State};
use crate::domain::catalog::Product;
use crate::domain::repayment::{
    MAX_REPAYMENT, NextDue, OverdueStage, RecordedRepayment, RepaymentError, RepaymentPlan,
    plan_for_product, status_at,
};

/// Days before a due date that the platform's SMS reminder goes out.
pub const SMS_REMINDER_DAYS_BEFORE: i64 = 3;

/// The day in China (UTC+8) at `at`.
pub fn china_date(at: Timestamp) -> Date {
    crate::domain::china::date(at)
}

/// The day the loan was paid out (the China day of its `disbursed` event).
pub fn disbursed_on(app: &Application) -> Option<Date> {
    app.events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Disbursed { .. }))
        .map(|e| china_date(e.at))
}

/// The repayments recorded on the application, in the order recorded.
pub fn recorded_repayments(app: &Application) -> Vec<RecordedRepayment> {
    app.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::RepaymentRecorded { on, amount } => Some(RecordedRepayment { on, amount }),
            _ => None,
        })
        .collect()
}

/// The dated plan of a paid-out loan: the amount paid out, the approved term and rate, the
/// product's method, from the disbursement day. `None` before the money is paid out and for a
/// revolving line (which has a statement, not a plan).
pub fn loan_plan(
    app: &Application,
    product: &Product,
) -> Result<Option<RepaymentPlan>, RepaymentError> {
    let (Some(on), Some(amount), Some(offer)) =
        (disbursed_on(app), app.disbursed_amount, app.offer)
    else {
        return Ok(None);
    };
    match plan_for_product(product, amount, offer.months, offer.annual_rate_ppm, on) {
        Ok(plan) => Ok(Some(plan)),
        Err(RepaymentError::RevolvingHasNoPlan) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The event a loan command records, or why not (`Err(None)`: not legal in this state).
pub(super) fn decide_loan(
    app: &Application,
    command: Command,
    now: Timestamp,
) -> Result<EventKind, Option<LifecycleError>> {
    if app.state != State::Disbursed {
        return Err(None);
    }
    match command {
        Command::RecordRepayment { on, amount } => {
            let action = Action::RecordRepayment;
            if !(1..=MAX_REPAYMENT).contains(&amount) {
                return Err(Some(invalid(
                    action,
                    "amount",
                    "还款金额须大于零且不超过 1000 亿元",
                    "must be more than zero and at most 100,000,000,000 yuan",
                )));
            }
            if disbursed_on(app).is_some_and(|d| on < d) {
                return Err(Some(invalid(
                    action,
                    "on",
                    "还款日期不能早于放款日",
                    "must not be before the day the loan was paid out",
                )));
            }
            if on > china_date(now) {
                return Err(Some(invalid(
                    action,
                    "on",
                    "还款日期不能晚于今天",
                    "must not be after today",
                )));
            }
            Ok(EventKind::RepaymentRecorded { on, amount })
        }
        Command::MarkOverdue {
            on,
            stage,
            days_late,
        } => {
            if stage == app.overdue {
                return Err(None);
            }
            if OverdueStage::from_days(days_late) != stage {
                return Err(Some(invalid(
                    Action::MarkOverdue,
                    "days_late",
                    "逾期天数与逾期阶段不符",
                    "does not match the overdue stage",
                )));
            }
            Ok(EventKind::OverdueChanged {
                on,
                stage,
                days_late,
            })
        }
        _ => Err(None),
    }
}

/// The system command due for a disbursed loan on `today`, if any: a change of overdue stage
/// first, then closing the loan once every row is paid. Repeat until `None` (at most three
/// times in a row: leave a stage, then close).
pub fn due_system_command(
    app: &Application,
    plan: &RepaymentPlan,
    today: Date,
) -> Result<Option<Command>, RepaymentError> {
    if app.state != State::Disbursed {
        return Ok(None);
    }
    let status = status_at(plan, &recorded_repayments(app), today)?;
    let (stage, days_late) = if status.closed {
        (None, 0)
    } else {
        (status.stage, status.days_late)
    };
    if stage != app.overdue {
        return Ok(Some(Command::MarkOverdue {
            on: today,
            stage,
            days_late,
        }));
    }
    Ok(status.closed.then_some(Command::MarkRepaid))
}

/// The row the platform should text the villager about on `today`: the next one not fully
/// paid, when its due date is today or at most [`SMS_REMINDER_DAYS_BEFORE`] days away.
pub fn sms_reminder_due(
    plan: &RepaymentPlan,
    repayments: &[RecordedRepayment],
    today: Date,
) -> Result<Option<NextDue>, RepaymentError> {
    let status = status_at(plan, repayments, today)?;
    Ok(status.next_due.filter(|next| {
        let days = crate::domain::repayment::dates::days_between(today, next.due_date);
        (0..=SMS_REMINDER_DAYS_BEFORE).contains(&days)
    }))
}
