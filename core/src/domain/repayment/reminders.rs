//! The local notifications a phone schedules for a loan (还款提醒), so that they fire offline.
//! Owns which reminders exist and their words; must never put anything personal in them but
//! the amount (no name, phone number, ID or product), and never read a clock.

use super::RepaymentError;
use super::dates::{add_days, month_day_en, month_day_zh};
use super::ledger::{RecordedRepayment, status_at};
use super::plan::RepaymentPlan;
use crate::domain::money::{Fen, format_yuan};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Days before a due date that a reminder fires: a week before, the day before, the day itself.
pub const REMINDER_DAYS_BEFORE: [u32; 3] = [7, 1, 0];

/// The most reminders returned at once, the soonest first: iOS keeps at most 64 pending local
/// notifications per app, and a 30-year plan has over a thousand. The shells ask again when
/// the app opens or syncs, so the list rolls forward.
pub const MAX_REMINDERS: usize = 60;

/// Which of the three reminders of a due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// 7 days before.
    WeekBefore,
    /// The day before.
    DayBefore,
    /// On the due date.
    DueDay,
}

impl ReminderKind {
    fn from_days_before(days: u32) -> ReminderKind {
        match days {
            0 => ReminderKind::DueDay,
            1 => ReminderKind::DayBefore,
            _ => ReminderKind::WeekBefore,
        }
    }

    fn code(self) -> &'static str {
        match self {
            ReminderKind::WeekBefore => "d7",
            ReminderKind::DayBefore => "d1",
            ReminderKind::DueDay => "d0",
        }
    }
}

/// A local notification to schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reminder {
    /// The day it fires (the shell picks the hour).
    pub on: Date,
    /// The due date it is about.
    pub due_date: Date,
    /// The plan row it is about.
    pub n: u32,
    /// What is left to pay on that row, fen.
    pub amount: Fen,
    /// Which reminder it is.
    pub kind: ReminderKind,
    /// A key stable across calls (`2027-03-31-n3-d7`), so a shell can replace what it
    /// scheduled before; unique within one loan.
    pub key: String,
    /// `还款提醒`.
    pub title_zh: String,
    /// `Repayment reminder`.
    pub title_en: String,
    /// `3月31日应还 ¥1,234.56，还有7天`.
    pub text_zh: String,
    /// `¥1,234.56 due on 31 Mar, in 7 days`.
    pub text_en: String,
}

/// The reminders to schedule on `today` for `plan` after `repayments`: for every row not
/// fully paid, due today or later, a reminder 7 days before, 1 day before and on the due
/// date, each left out when its day is already past. Ordered by day, then row; at most
/// [`MAX_REMINDERS`], the soonest. Replaces whatever was scheduled before (a row paid ahead
/// loses its reminders).
pub fn reminders(
    plan: &RepaymentPlan,
    repayments: &[RecordedRepayment],
    today: Date,
) -> Result<Vec<Reminder>, RepaymentError> {
    let status = status_at(plan, repayments, today)?;
    let mut out: Vec<Reminder> = Vec::new();
    let rows = status
        .rows
        .iter()
        .filter(|r| r.outstanding > 0 && r.due_date >= today);
    for row in rows {
        // Rows come in due-date order: once the list is full and this row's first reminder
        // falls after every one taken, no later row can bring a sooner one.
        let first =
            add_days(row.due_date, -i64::from(REMINDER_DAYS_BEFORE[0])).unwrap_or(row.due_date);
        if out.len() >= MAX_REMINDERS && out.iter().all(|r| r.on < first) {
            break;
        }
        for days in REMINDER_DAYS_BEFORE {
            let Some(on) = add_days(row.due_date, -i64::from(days)) else {
                continue;
            };
            if on < today {
                continue;
            }
            let kind = ReminderKind::from_days_before(days);
            let (text_zh, text_en) = words(kind, row.due_date, row.outstanding);
            out.push(Reminder {
                on,
                due_date: row.due_date,
                n: row.n,
                amount: row.outstanding,
                kind,
                key: format!("{}-n{}-{}", row.due_date, row.n, kind.code()),
                title_zh: "还款提醒".to_string(),
                title_en: "Repayment reminder".to_string(),
                text_zh,
                text_en,
            });
        }
    }
    out.sort_by_key(|r| (r.on, r.n));
    out.truncate(MAX_REMINDERS);
    Ok(out)
}

/// The reminder's text in Chinese and English.
fn words(kind: ReminderKind, due: Date, amount: Fen) -> (String, String) {
    let (zh_day, en_day, money) = (month_day_zh(due), month_day_en(due), format_yuan(amount));
    match kind {
        ReminderKind::WeekBefore => (
            format!("{zh_day}应还 {money}，还有7天"),
            format!("{money} due on {en_day}, in 7 days"),
        ),
        ReminderKind::DayBefore => (
            format!("明天（{zh_day}）应还 {money}"),
            format!("{money} due tomorrow, {en_day}"),
        ),
        ReminderKind::DueDay => (
            format!("今天（{zh_day}）应还 {money}"),
            format!("{money} due today, {en_day}"),
        ),
    }
}
