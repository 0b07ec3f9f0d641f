//! After the loan is paid out: the dated repayment plan, the repayments recorded against it
//! and the overdue states they leave, the reminders the phone schedules, early repayment
//! (提前还款), and the revolving 冠之链 line's daily interest and statements.
//!
//! Owns the dates and the bookkeeping of a loan in progress. The amounts of every period come
//! from the cost engine ([`crate::domain::cost`]): this module dates them, never re-derives
//! them. Must never read a clock (the date of "today" always comes in as a value), do I/O,
//! panic, or let a repayment disappear (every fen paid is split into interest, principal or
//! an excess, and the split always sums to the amount).
//!
//! # Rules (each named where it is applied)
//! - **Month-end rule** ([`dates::due_date`]): the due date of a period is the disbursement
//!   date plus the period's months; a day the month lacks becomes that month's last day
//!   (disbursed 31 January → 28 or 29 February, then 31 March, 30 April). Each due date is
//!   computed from the disbursement date, never chained from the previous due date.
//! - **Allocation rule** ([`AllocationRule::InterestThenPrincipal`], after 民法典 art. 561:
//!   costs, then interest, then the principal debt): a repayment pays the interest of every
//!   period already due, oldest first, then the principal of those periods, oldest first;
//!   what is left is paid toward the coming periods in order (interest, then principal of
//!   each: an instalment paid ahead of its date, which saves no interest; to save interest
//!   the borrower asks for an early repayment); anything beyond the whole plan is an excess.
//! - **Overdue stages** ([`OverdueStage`]): a loan is late from the day after a due date that
//!   is not fully paid; its days late count from the oldest such date; stages begin at 1,
//!   30 and 90 days. Penalty interest (罚息) and compound interest on late amounts are NOT
//!   computed here: a late period owes what the plan says, no more.
//! - **Reminders** ([`reminders`]): 7 days before, 1 day before and on each due date that is
//!   not paid yet and not in the past.
//! - **Early repayment** ([`mod@prepay`]): the prepaid principal bears interest from the last due
//!   date (or the disbursement) to the day it is repaid, by the product's day count
//!   (actual days × rate / 360 or 365, rounded once), never more than the interest that
//!   period loses because of it; the rest of the loan is re-planned by the cost engine
//!   ("shorter term" or "lower payment"), and at no due date may the new plan leave more owed
//!   than carrying on would (the rule "never above carrying on"). Early repayment
//!   therefore never costs more than carrying on.
//! - **Revolving line** ([`mod@line`]): interest for each day on the principal drawn at the end
//!   of that day (算头不算尾: the day drawn counts, the day repaid does not), rounded to the
//!   fen by the line's rounding (down by default) and never above the cap; a repayment pays
//!   the interest accrued first (利随本清), then principal.

pub mod dates;
mod ledger;
pub mod line;
mod plan;
pub mod prepay;
mod reminders;

pub use dates::{date_en, date_iso, date_zh, due_date, month_day_en, month_day_zh};
pub use ledger::{
    AllocationRule, LoanStatus, MAX_REPAYMENT, NextDue, OverdueChange, OverdueStage,
    RecordedRepayment, RepaymentSplit, RowAllocation, RowState, RowStatus, overdue_history,
    split_repayments, status_at,
};
pub use line::{
    BalanceSpan, CreditLine, LineEvent, LineEventKind, LineStatement, StatementEntry, line_payoff,
    line_statement,
};
pub use plan::{PlanRow, RepaymentPlan, RowKind, plan, plan_for_product};
pub use prepay::{PrepayAmount, PrepayChoice, PrepayRequest, Prepayment, prepay, prepay_choices};
pub use reminders::{MAX_REMINDERS, REMINDER_DAYS_BEFORE, Reminder, ReminderKind, reminders};

use crate::domain::cost::CostError;
use crate::domain::money::Fen;
use jiff::civil::Date;

/// Why a plan, a repayment, an early repayment or a line cannot be worked out. Each says what
/// to change, in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepaymentError {
    /// The loan's terms were refused by the cost engine.
    #[error(transparent)]
    Cost(#[from] CostError),
    /// A revolving line has no fixed plan.
    #[error(
        "随借随还额度没有固定的还款计划，请查看额度账单 / a revolving line has no fixed repayment plan; see the line's statement instead"
    )]
    RevolvingHasNoPlan,
    /// A due date would fall outside the calendar (after the year 9999).
    #[error(
        "还款日期超出了日历范围，请检查放款日期和期限 / a due date falls outside the calendar; check the disbursement date and the term"
    )]
    DateOutOfRange,
    /// A recorded repayment is not a positive amount within range.
    #[error(
        "第 {index} 笔还款金额无效：须大于 0 且不超过 1000 亿元 / repayment {index} is invalid: its amount must be above 0 and at most 100,000,000,000 yuan"
    )]
    InvalidRepayment {
        /// The repayment's number, from 1.
        index: usize,
    },
    /// A recorded repayment is dated before the loan was paid out.
    #[error(
        "第 {index} 笔还款的日期（{on}）早于放款日（{disbursed_on}），请检查日期 / repayment {index} is dated {on}, before the disbursement on {disbursed_on}; check the date"
    )]
    RepaymentBeforeDisbursement {
        /// The repayment's number, from 1.
        index: usize,
        /// Its date.
        on: Date,
        /// The disbursement date.
        disbursed_on: Date,
    },
    /// An early repayment's date is not within the loan's life.
    #[error(
        "提前还款日（{on}）须在放款日（{from}）之后、最后一个还款日（{until}）之前，且不早于上一次提前还款 / the early repayment date ({on}) must be on or after {from} and before the last due date ({until}), and not before an earlier early repayment"
    )]
    PrepayDateOutsideLoan {
        /// The date asked for.
        on: Date,
        /// The first possible date.
        from: Date,
        /// The last due date (an early repayment must come before it).
        until: Date,
    },
    /// An early repayment's principal is not between 0.01 yuan and the balance.
    #[error(
        "提前还款本金须在 0.01 元到剩余本金 {balance} 分之间（收到 {amount} 分） / the principal repaid early must be between 0.01 yuan and the balance of {balance} fen (got {amount} fen)"
    )]
    PrepayAmountOutOfRange {
        /// What was asked, fen.
        amount: Fen,
        /// The balance that may be repaid, fen.
        balance: Fen,
    },
    /// The repayment method does not allow this choice after a partial early repayment.
    #[error(
        "这种还款方式不能选择“{choice_zh}”，请选择“减少每期还款” / this repayment method does not allow `{choice_en}`; choose `lower payment`"
    )]
    ChoiceNotAvailable {
        /// The choice, in Chinese.
        choice_zh: &'static str,
        /// The choice, in English.
        choice_en: &'static str,
    },
    /// A credit line's terms are out of range.
    #[error(
        "授信额度的条件无效（{field}），请检查额度、利率和期限 / the credit line's terms are invalid (`{field}`); check its limit, rate and term"
    )]
    InvalidLine {
        /// The field at fault.
        field: &'static str,
    },
    /// A line event is empty, too large, or outside the line's dates.
    #[error(
        "第 {index} 笔用款或还款无效：金额须大于 0，日期须在额度开立（{opened_on}）之后，用款须在到期日（{expires_on}）之前 / line event {index} is invalid: its amount must be above 0, its date on or after the opening ({opened_on}), and a draw on or before the expiry ({expires_on})"
    )]
    InvalidLineEvent {
        /// The event's number, from 1.
        index: usize,
        /// The line's opening date.
        opened_on: Date,
        /// The line's expiry date.
        expires_on: Date,
    },
    /// A draw would pass the credit limit.
    #[error(
        "{on} 的用款超过了可用额度（还可用 {available} 分），请少用一些 / the draw on {on} exceeds the credit available ({available} fen); draw less"
    )]
    DrawAboveLimit {
        /// The draw's date.
        on: Date,
        /// What was still available that day, fen.
        available: Fen,
    },
    /// A repayment of the line is more than is owed.
    #[error(
        "{on} 的还款超过了应还金额（{owed} 分），请少还一些 / the repayment on {on} is more than is owed ({owed} fen); repay less"
    )]
    LineRepaymentAboveOwed {
        /// The repayment's date.
        on: Date,
        /// What was owed that day (principal + interest accrued), fen.
        owed: Fen,
    },
    /// A statement period that does not make sense.
    #[error(
        "账单期间无效：开始日（{from}）不能晚于结束日（{to}），也不能早于额度开立日 / the statement period is invalid: its start ({from}) must not be after its end ({to}) nor before the line opened"
    )]
    InvalidPeriod {
        /// The period's first day.
        from: Date,
        /// The period's last day.
        to: Date,
    },
}

impl RepaymentError {
    /// The Chinese half of the message.
    pub fn zh(&self) -> String {
        let text = self.to_string();
        match text.split_once(" / ") {
            Some((zh, _)) => zh.to_string(),
            None => text,
        }
    }

    /// The English half of the message.
    pub fn en(&self) -> String {
        let text = self.to_string();
        match text.split_once(" / ") {
            Some((_, en)) => en.to_string(),
            None => text,
        }
    }
}
