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
mod error;
mod ledger;
pub mod line;
mod plan;
pub mod prepay;
mod reminders;

pub use dates::{date_en, date_iso, date_zh, due_date, month_day_en, month_day_zh};
pub use error::RepaymentError;
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
