//! Repayments recorded against a plan: how each is split into interest and principal, what
//! is due, paid and late on a given day, and when the loan entered or left an overdue stage.
//! Owns the allocation rule and the overdue arithmetic; must never lose a fen (each split
//! sums to the amount paid) nor read a clock (the day is always a parameter).
//!
//! Penalty interest (罚息) and compound interest on late amounts are not computed: a late
//! row owes what the plan says.

use super::RepaymentError;
use super::dates::days_between;
use super::plan::{RepaymentPlan, RowKind};
use crate::domain::money::Fen;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The largest single repayment accepted: 1,000 亿元 in fen, far above any plan's total
/// (1 亿元 of principal plus its interest), low enough that no sum of repayments overflows.
pub const MAX_REPAYMENT: Fen = 10_000_000_000_000;

/// A repayment as the bank records it: the day the money came in and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordedRepayment {
    /// The day it was paid.
    pub on: Date,
    /// Amount, fen (> 0).
    pub amount: Fen,
}

/// How a repayment is split between interest and principal (还款冲抵顺序). A product may
/// later name another; this is the only one today and the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AllocationRule {
    /// 先息后本 (民法典 art. 561: interest before the principal debt): first the interest of
    /// every row already due on the day paid, oldest first; then the principal of those rows,
    /// oldest first; then the coming rows in order, each its interest then its principal (an
    /// instalment paid ahead of its date: it saves no interest); what is left is an excess.
    #[default]
    InterestThenPrincipal,
}

/// What one repayment paid toward one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowAllocation {
    /// The row's number.
    pub n: u32,
    /// Interest paid on it, fen.
    pub interest: Fen,
    /// Principal paid on it, fen.
    pub principal: Fen,
}

/// One repayment, split. `interest + principal + excess == amount`, always.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RepaymentSplit {
    /// Its position in the list given (from 0).
    pub index: usize,
    /// The day paid.
    pub on: Date,
    /// The amount paid, fen.
    pub amount: Fen,
    /// The part that paid interest, fen.
    pub interest: Fen,
    /// The part that paid principal, fen.
    pub principal: Fen,
    /// The part beyond everything the plan asks for, fen (to be refunded or applied by the bank).
    pub excess: Fen,
    /// The rows it paid, in the order paid.
    pub rows: Vec<RowAllocation>,
}

/// Where a row stands on a day (after that day's repayments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Fully paid (已还).
    Paid,
    /// Due later (待还); it may be partly paid ahead.
    Upcoming,
    /// Due today, not fully paid (今日应还).
    DueToday,
    /// Due before today and not fully paid (逾期).
    Late,
}

/// One row of the plan on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowState {
    /// The row's number.
    pub n: u32,
    /// Its due date.
    pub due_date: Date,
    /// What the row is.
    pub kind: RowKind,
    /// What it asks for (principal + interest), fen.
    pub payment: Fen,
    /// Interest paid on it so far, fen.
    pub paid_interest: Fen,
    /// Principal paid on it so far, fen.
    pub paid_principal: Fen,
    /// What is left to pay on it, fen.
    pub outstanding: Fen,
    /// Where it stands.
    pub status: RowStatus,
    /// Days past its due date while unpaid (0 unless late).
    pub days_late: u32,
    /// The day it was fully paid.
    pub paid_on: Option<Date>,
}

/// The overdue stages (逾期阶段): from the 1st, the 30th and the 90th day late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum OverdueStage {
    /// 1 to 29 days late.
    Late1,
    /// 30 to 89 days late.
    Late30,
    /// 90 days late or more.
    Late90,
}

impl OverdueStage {
    /// The stage of a loan `days` days late (`None` when not late).
    pub fn from_days(days: u32) -> Option<OverdueStage> {
        match days {
            0 => None,
            1..=29 => Some(OverdueStage::Late1),
            30..=89 => Some(OverdueStage::Late30),
            _ => Some(OverdueStage::Late90),
        }
    }

    /// The first day late of the stage: 1, 30 or 90.
    pub fn first_day(self) -> u32 {
        match self {
            OverdueStage::Late1 => 1,
            OverdueStage::Late30 => 30,
            OverdueStage::Late90 => 90,
        }
    }

    /// `逾期`, `逾期30天以上`, `逾期90天以上`.
    pub fn name_zh(self) -> &'static str {
        match self {
            OverdueStage::Late1 => "逾期",
            OverdueStage::Late30 => "逾期30天以上",
            OverdueStage::Late90 => "逾期90天以上",
        }
    }

    /// `late`, `30+ days late`, `90+ days late`.
    pub fn name_en(self) -> &'static str {
        match self {
            OverdueStage::Late1 => "late",
            OverdueStage::Late30 => "30+ days late",
            OverdueStage::Late90 => "90+ days late",
        }
    }
}

/// The next payment to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NextDue {
    /// The row's number.
    pub n: u32,
    /// Its due date.
    pub due_date: Date,
    /// What is left to pay on it, fen.
    pub amount: Fen,
}

/// A loan on a given day, after that day's repayments: what is due, paid and late.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LoanStatus {
    /// The day described.
    pub on: Date,
    /// Every row of the plan.
    pub rows: Vec<RowState>,
    /// Paid toward the plan so far (excess not counted), fen.
    pub paid: Fen,
    /// Paid beyond the whole plan, fen.
    pub excess: Fen,
    /// To pay today to be up to date: what is left of the rows due on or before today, fen.
    pub due_now: Fen,
    /// What is left of the rows due before today, fen (逾期金额).
    pub late: Fen,
    /// Principal not yet repaid, fen.
    pub principal_outstanding: Fen,
    /// Days since the oldest due date left unpaid (0 when not late).
    pub days_late: u32,
    /// The overdue stage (`None` when not late).
    pub stage: Option<OverdueStage>,
    /// The first row not fully paid that is due today or later.
    pub next_due: Option<NextDue>,
    /// Every row fully paid (结清).
    pub closed: bool,
}

/// A change of the loan's overdue stage, for the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OverdueChange {
    /// The day it happened.
    pub on: Date,
    /// The stage entered (`None`: no longer late).
    pub stage: Option<OverdueStage>,
    /// Days late at that moment.
    pub days_late: u32,
    /// The oldest row left unpaid at that moment.
    pub oldest_late_row: Option<u32>,
}

/// What has been paid on one row, and when it was completed.
#[derive(Debug, Clone, Copy, Default)]
struct Paid {
    interest: Fen,
    principal: Fen,
    completed_on: Option<Date>,
}

/// Checks the repayments and returns their indices in the order they are applied (by date,
/// then as given), leaving out those after `until`.
fn ordered(
    plan: &RepaymentPlan,
    repayments: &[RecordedRepayment],
    until: Option<Date>,
) -> Result<Vec<usize>, RepaymentError> {
    for (i, r) in repayments.iter().enumerate() {
        if r.amount < 1 || r.amount > MAX_REPAYMENT {
            return Err(RepaymentError::InvalidRepayment { index: i + 1 });
        }
        if r.on < plan.disbursed_on {
            return Err(RepaymentError::RepaymentBeforeDisbursement {
                index: i + 1,
                on: r.on,
                disbursed_on: plan.disbursed_on,
            });
        }
    }
    let mut order: Vec<usize> = (0..repayments.len())
        .filter(|&i| until.is_none_or(|u| repayments[i].on <= u))
        .collect();
    order.sort_by_key(|&i| (repayments[i].on, i));
    Ok(order)
}

/// Applies the repayments (those on or before `until`) by `rule`: the splits in the order
/// applied, and what each row has received.
fn allocate(
    plan: &RepaymentPlan,
    repayments: &[RecordedRepayment],
    rule: AllocationRule,
    until: Option<Date>,
) -> Result<(Vec<RepaymentSplit>, Vec<Paid>), RepaymentError> {
    let AllocationRule::InterestThenPrincipal = rule;
    let rows = &plan.rows;
    // A row asking for nothing (a grace row at a zero rate) is settled on its own date.
    let mut paid: Vec<Paid> = rows
        .iter()
        .map(|r| Paid {
            completed_on: (r.payment == 0).then_some(r.due_date),
            ..Paid::default()
        })
        .collect();
    let mut splits = Vec::new();
    let mut open = 0;
    for index in ordered(plan, repayments, until)? {
        let RecordedRepayment { on, amount } = repayments[index];
        let due = rows.partition_point(|r| r.due_date <= on);
        let mut split = RepaymentSplit {
            index,
            on,
            amount,
            interest: 0,
            principal: 0,
            excess: 0,
            rows: Vec::new(),
        };
        let mut left = amount;
        let mut pay = |k: usize, interest: bool, left: &mut Fen, split: &mut RepaymentSplit| {
            let (owed, got) = if interest {
                (rows[k].interest, &mut paid[k].interest)
            } else {
                (rows[k].principal, &mut paid[k].principal)
            };
            let take = (*left).min(owed - *got).max(0);
            if take == 0 {
                return;
            }
            *got += take;
            *left -= take;
            let (i, p) = if interest { (take, 0) } else { (0, take) };
            credit(split, rows[k].n, i, p);
            if paid[k].interest >= rows[k].interest && paid[k].principal >= rows[k].principal {
                paid[k].completed_on.get_or_insert(on);
            }
        };
        // Rows before `open` are fully paid: every pass starts there and stops when the
        // money runs out.
        for k in open..due {
            pay(k, true, &mut left, &mut split);
        }
        for k in open..due {
            pay(k, false, &mut left, &mut split);
        }
        for k in due.max(open)..rows.len() {
            if left == 0 {
                break;
            }
            pay(k, true, &mut left, &mut split);
            pay(k, false, &mut left, &mut split);
        }
        split.excess = left;
        splits.push(split);
        while open < rows.len() && paid[open].completed_on.is_some() {
            open += 1;
        }
    }
    Ok((splits, paid))
}

/// Adds what a repayment paid to row `n` to its split.
fn credit(split: &mut RepaymentSplit, n: u32, interest: Fen, principal: Fen) {
    split.interest += interest;
    split.principal += principal;
    match split.rows.iter_mut().find(|r| r.n == n) {
        Some(r) => {
            r.interest += interest;
            r.principal += principal;
        }
        None => split.rows.push(RowAllocation {
            n,
            interest,
            principal,
        }),
    }
}

/// Each repayment split into interest and principal by `rule`, in the order applied (by
/// date, then as given). Refuses a repayment of 0 or less, above 1 亿元, or dated before the
/// disbursement.
pub fn split_repayments(
    plan: &RepaymentPlan,
    repayments: &[RecordedRepayment],
    rule: AllocationRule,
) -> Result<Vec<RepaymentSplit>, RepaymentError> {
    allocate(plan, repayments, rule, None).map(|(splits, _)| splits)
}

/// The loan on `on`, after the repayments made on or before that day (later ones are left
/// out), split by the default [`AllocationRule`].
pub fn status_at(
    plan: &RepaymentPlan,
    repayments: &[RecordedRepayment],
    on: Date,
) -> Result<LoanStatus, RepaymentError> {
    let (splits, paid) = allocate(plan, repayments, AllocationRule::default(), Some(on))?;
    let mut status = LoanStatus {
        on,
        rows: Vec::with_capacity(plan.rows.len()),
        paid: 0,
        excess: splits.iter().map(|s| s.excess).sum(),
        due_now: 0,
        late: 0,
        principal_outstanding: plan.total_principal,
        days_late: 0,
        stage: None,
        next_due: None,
        closed: true,
    };
    for (row, got) in plan.rows.iter().zip(&paid) {
        let outstanding = row.payment - got.interest - got.principal;
        let late_days = u32::try_from(days_between(row.due_date, on)).unwrap_or(0);
        let row_status = match (outstanding > 0, row.due_date.cmp(&on)) {
            (false, _) => RowStatus::Paid,
            (true, std::cmp::Ordering::Less) => RowStatus::Late,
            (true, std::cmp::Ordering::Equal) => RowStatus::DueToday,
            (true, std::cmp::Ordering::Greater) => RowStatus::Upcoming,
        };
        status.paid += got.interest + got.principal;
        status.principal_outstanding -= got.principal;
        status.closed &= outstanding <= 0;
        if row.due_date <= on {
            status.due_now += outstanding;
        }
        let days_late = if row_status == RowStatus::Late {
            status.late += outstanding;
            status.days_late = status.days_late.max(late_days);
            late_days
        } else {
            0
        };
        if outstanding > 0 && row.due_date >= on && status.next_due.is_none() {
            status.next_due = Some(NextDue {
                n: row.n,
                due_date: row.due_date,
                amount: outstanding,
            });
        }
        status.rows.push(RowState {
            n: row.n,
            due_date: row.due_date,
            kind: row.kind,
            payment: row.payment,
            paid_interest: got.interest,
            paid_principal: got.principal,
            outstanding,
            status: row_status,
            days_late,
            paid_on: got.completed_on,
        });
    }
    status.stage = OverdueStage::from_days(status.days_late);
    Ok(status)
}

/// Every change of the loan's overdue stage up to `until`, in order: entering a stage (seen
/// at the start of the day: a row due on the 31st and unpaid is 1 day late on the 1st) and
/// leaving it (at the end of the day of the repayment that clears or lowers it). A loan is as
/// late as its oldest unpaid due date.
pub fn overdue_history(
    plan: &RepaymentPlan,
    repayments: &[RecordedRepayment],
    until: Date,
) -> Result<Vec<OverdueChange>, RepaymentError> {
    let (splits, paid) = allocate(plan, repayments, AllocationRule::default(), Some(until))?;
    // (day, false = start of day / true = end of day): the moments the stage may change.
    let mut moments: Vec<(Date, bool)> = splits.iter().map(|s| (s.on, true)).collect();
    for row in &plan.rows {
        for stage in [
            OverdueStage::Late1,
            OverdueStage::Late30,
            OverdueStage::Late90,
        ] {
            if let Some(day) = super::dates::add_days(row.due_date, i64::from(stage.first_day())) {
                moments.push((day, false));
            }
        }
    }
    moments.retain(|&(day, _)| day <= until);
    moments.sort_unstable();
    moments.dedup();
    let mut changes: Vec<OverdueChange> = Vec::new();
    let mut current: Option<OverdueStage> = None;
    // The first row not settled at a moment only moves forward (a settled row stays settled),
    // and it is the oldest late row when its due date is past.
    let mut first_open = 0;
    for (day, end_of_day) in moments {
        let settled = |k: usize| {
            paid[k]
                .completed_on
                .is_some_and(|c| if end_of_day { c <= day } else { c < day })
        };
        while first_open < plan.rows.len() && settled(first_open) {
            first_open += 1;
        }
        let oldest = plan.rows.get(first_open).filter(|row| row.due_date < day);
        let days_late = oldest.map_or(0, |row| {
            u32::try_from(days_between(row.due_date, day)).unwrap_or(0)
        });
        let stage = OverdueStage::from_days(days_late);
        if stage != current {
            changes.push(OverdueChange {
                on: day,
                stage,
                days_late,
                oldest_late_row: oldest.map(|row| row.n),
            });
            current = stage;
        }
    }
    Ok(changes)
}
