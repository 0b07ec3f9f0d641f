//! The shapes of the loan screens: the repayment plan (what is due, paid and late), the local
//! reminders to schedule, early repayment and the revolving line's statement. Owns only the
//! shapes; the numbers come from [`crate::domain::repayment`] and are formatted by the
//! builders next to this file. With the `uniffi` feature these cross the FFI as they are.

use crate::app::views::MoneyView;
use crate::domain::repayment::{
    LineEventKind, OverdueStage, PrepayChoice, ReminderKind, RowKind, RowStatus,
};

/// A repayment the bank received, as the shells or the CLI give it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RepaymentInput {
    /// `2027-02-28`.
    pub on: String,
    pub amount_fen: i64,
}

/// A loan to plan without an application on this phone (the calculator's "after payout" and
/// the tests): a catalog product, the approved terms and the payout day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PlanInput {
    pub product_id: String,
    /// Paid out, fen.
    pub amount_fen: i64,
    pub months: u32,
    pub annual_rate_ppm: i64,
    /// The payout day (放款日), `2026-11-28`.
    pub disbursed_on: String,
    /// The repayments received so far.
    pub repayments: Vec<RepaymentInput>,
    /// The day the screen describes (`""`: today in China).
    pub today: String,
}

/// One row of the plan on the screen's day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PlanRowView {
    /// 期数, from 1.
    pub n: u32,
    /// `2027-02-28`.
    pub due_date: String,
    /// `2027年2月28日`.
    pub due_date_zh: String,
    /// `28 Feb 2027`.
    pub due_date_en: String,
    pub kind: RowKind,
    /// `只付利息` / `本息` / `提前还款`.
    pub kind_zh: String,
    pub kind_en: String,
    pub principal: MoneyView,
    pub interest: MoneyView,
    pub payment: MoneyView,
    /// Paid on it so far.
    pub paid: MoneyView,
    /// Left to pay on it.
    pub outstanding: MoneyView,
    /// Principal owed once it is paid.
    pub balance: MoneyView,
    pub status: RowStatus,
    /// `已还` / `待还` / `今日应还` / `逾期3天`.
    pub status_zh: String,
    pub status_en: String,
    pub days_late: u32,
}

/// A repayment received, split by the allocation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PaidView {
    pub on: String,
    pub on_zh: String,
    pub amount: MoneyView,
    pub interest: MoneyView,
    pub principal: MoneyView,
    /// Beyond everything the plan asks (the bank refunds or applies it).
    pub excess: MoneyView,
}

/// The next payment to make.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NextDueView {
    pub n: u32,
    pub due_date: String,
    pub due_date_zh: String,
    pub amount: MoneyView,
    /// Days from the screen's day to the due date (0: today).
    pub days_left: i64,
}

/// The plan screen (还款计划): what is due, what is paid, what is late.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PlanScreenView {
    /// The application on this phone (`None` for a plan made from a [`PlanInput`]).
    pub application_id: Option<String>,
    pub product_id: String,
    pub product_zh: String,
    pub product_en: String,
    /// The day described, `2027-03-01`.
    pub today: String,
    pub disbursed_on_zh: String,
    /// The last due date (到期日).
    pub maturity_zh: String,
    /// One line for the top of the screen: the next payment, or how late, or closed.
    pub summary_zh: String,
    pub summary_en: String,
    /// The interest-only years, said as such (`前3年只付利息…`); `None` when there are none.
    pub interest_only_zh: Option<String>,
    pub interest_only_en: Option<String>,
    pub next_due: Option<NextDueView>,
    /// To pay today to be up to date.
    pub due_now: MoneyView,
    /// Left unpaid of the rows already past their date (逾期金额).
    pub late: MoneyView,
    pub paid: MoneyView,
    pub excess: MoneyView,
    pub principal_outstanding: MoneyView,
    pub total_interest: MoneyView,
    pub total_payment: MoneyView,
    pub days_late: u32,
    pub stage: Option<OverdueStage>,
    /// `逾期30天以上`.
    pub stage_zh: Option<String>,
    pub stage_en: Option<String>,
    /// Every row paid (结清).
    pub closed: bool,
    pub rows: Vec<PlanRowView>,
    pub repayments: Vec<PaidView>,
}

/// A local notification for the shell to schedule (it fires offline).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReminderView {
    /// The loan's application (`""` for a plan made from a [`PlanInput`]).
    pub application_id: String,
    /// Stable across calls and unique across loans: replace what was scheduled under it.
    pub key: String,
    /// The day it fires, `2027-02-21`.
    pub fire_on: String,
    /// 09:00 in China on that day, milliseconds since the epoch.
    pub fire_at_ms: i64,
    pub due_date: String,
    pub n: u32,
    pub amount: MoneyView,
    pub kind: ReminderKind,
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
}

/// An early repayment asked for: on a day, all (`principal_fen` = `None`) or this much principal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PrepayInput {
    pub on: String,
    pub principal_fen: Option<i64>,
}

/// One way to repay early: what to pay that day, the interest saved and the new plan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PrepayOptionView {
    /// `None` when everything is repaid.
    pub choice: Option<PrepayChoice>,
    /// `全部结清` / `缩短期限` / `减少每期还款`.
    pub choice_zh: String,
    pub choice_en: String,
    /// Principal + interest accrued since the last due date.
    pub pay_on_the_day: MoneyView,
    pub principal: MoneyView,
    pub accrued_interest: MoneyView,
    pub accrued_days: u32,
    pub interest_saved: MoneyView,
    /// Rows after the day: before and after the early repayment.
    pub rows_left_before: u32,
    pub rows_left_after: u32,
    /// The next regular payment after the day: before and after (`None`: nothing left).
    pub next_payment_before: Option<MoneyView>,
    pub next_payment_after: Option<MoneyView>,
    /// The new last due date (`""` when everything is repaid).
    pub maturity_zh: String,
    pub summary_zh: String,
    pub summary_en: String,
    /// The new plan's rows after the day.
    pub rows: Vec<PlanRowView>,
}

/// The early repayment screen (提前还款): every choice the loan's method allows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PrepayScreenView {
    pub on: String,
    pub on_zh: String,
    pub options: Vec<PrepayOptionView>,
}

/// A draw or a repayment of a revolving line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LineEventInput {
    pub on: String,
    pub kind: LineEventKind,
    pub amount_fen: i64,
}

/// A revolving line (冠之链) and the period of its statement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LineInput {
    pub product_id: String,
    pub limit_fen: i64,
    pub annual_rate_ppm: i64,
    pub opened_on: String,
    pub months: u32,
    pub events: Vec<LineEventInput>,
    /// The statement's first and last day.
    pub from: String,
    pub to: String,
}

/// One draw or repayment on the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LineEntryView {
    pub on: String,
    pub on_zh: String,
    pub kind: LineEventKind,
    /// `用款` / `还款`.
    pub kind_zh: String,
    pub amount: MoneyView,
    pub interest_paid: MoneyView,
    pub principal_paid: MoneyView,
    pub principal_after: MoneyView,
}

/// The revolving line's statement (额度账单).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LineStatementView {
    pub from_zh: String,
    pub to_zh: String,
    /// The rate charged, `4.50%`.
    pub rate: String,
    /// Whether the cap lowered the contract rate (said in `rate_note_*`).
    pub capped: bool,
    pub rate_note_zh: String,
    pub rate_note_en: String,
    pub opening_principal: MoneyView,
    pub opening_interest: MoneyView,
    pub drawn: MoneyView,
    pub principal_repaid: MoneyView,
    pub interest_repaid: MoneyView,
    pub interest_accrued: MoneyView,
    pub closing_principal: MoneyView,
    pub closing_interest: MoneyView,
    /// Principal + unpaid interest at the end.
    pub closing_owed: MoneyView,
    /// Credit still available at the end.
    pub available: MoneyView,
    pub entries: Vec<LineEntryView>,
}
