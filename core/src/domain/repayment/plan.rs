//! The dated repayment plan (还款计划): the cost engine's schedule with a due date on every
//! row. Owns the dating and the row kinds; must never compute an amount the engine computes
//! (principal, interest and balances are copied from [`crate::domain::cost::schedule`]).

use super::RepaymentError;
use super::dates::{date_iso, date_zh, due_date};
use crate::domain::catalog::Product;
use crate::domain::cost::{self, LoanTerms, Method, Period};
use crate::domain::market::loan_terms;
use crate::domain::money::{Fen, RatePpm};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What a row of the plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// Interest only, no principal by design (先息后本 before the last period, the grace
    /// periods of the 酥梨贷).
    InterestOnly,
    /// A regular instalment (principal and interest).
    Installment,
    /// An early repayment (提前还款) on the day it was asked for: the principal repaid early
    /// and the interest accrued on it since the last due date.
    Prepayment,
}

/// One row of a dated plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlanRow {
    /// Row number from 1 (期数; an early repayment takes a row of its own).
    pub n: u32,
    /// The day it falls due.
    pub due_date: Date,
    /// Months from the disbursement to the due date: `due_date` is the month-end rule applied
    /// to the disbursement date and this. For an early repayment row, the months of the last
    /// due date before it (its own `due_date` is the day it was asked for).
    pub due_month: u32,
    /// What the row is.
    pub kind: RowKind,
    /// Principal due, fen.
    pub principal: Fen,
    /// Interest due, fen.
    pub interest: Fen,
    /// principal + interest, fen.
    pub payment: Fen,
    /// Principal still owed once this row is paid, fen.
    pub balance: Fen,
}

impl PlanRow {
    /// Whether the row pays interest only (the 酥梨贷's first three years).
    pub fn interest_only(&self) -> bool {
        self.kind == RowKind::InterestOnly
    }

    /// `2027年2月28日`.
    pub fn due_date_zh(&self) -> String {
        date_zh(self.due_date)
    }

    /// `2027-02-28`.
    pub fn due_date_iso(&self) -> String {
        date_iso(self.due_date)
    }
}

/// A loan's dated repayment plan, with the terms it was made from (so that an early
/// repayment can re-plan the rest) and its totals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RepaymentPlan {
    /// The approved terms (amount, rate, term, method, frequency, day count, rounding), as
    /// approved: an early repayment changes the rows, never the terms.
    pub terms: LoanTerms,
    /// The day the loan was paid out (放款日).
    pub disbursed_on: Date,
    /// Months between due dates (the whole term for a bullet).
    pub interval_months: u32,
    /// The rows, in order of due date.
    pub rows: Vec<PlanRow>,
    /// Sum of the principal column (= the amount).
    pub total_principal: Fen,
    /// Sum of the interest column.
    pub total_interest: Fen,
    /// Sum of the payment column.
    pub total_paid: Fen,
}

impl RepaymentPlan {
    /// The last due date (到期日).
    pub fn maturity(&self) -> Option<Date> {
        self.rows.last().map(|r| r.due_date)
    }

    /// The row numbered `n`.
    pub fn row(&self, n: u32) -> Option<&PlanRow> {
        self.rows.iter().find(|r| r.n == n)
    }

    /// Builds a plan from rows and sums its columns.
    pub(super) fn from_rows(terms: LoanTerms, disbursed_on: Date, rows: Vec<PlanRow>) -> Self {
        let (mut principal, mut interest) = (0, 0);
        for r in &rows {
            principal += r.principal;
            interest += r.interest;
        }
        RepaymentPlan {
            interval_months: terms.interval_months(),
            terms,
            disbursed_on,
            rows,
            total_principal: principal,
            total_interest: interest,
            total_paid: principal + interest,
        }
    }
}

/// The dated plan of `terms` for a loan paid out on `disbursed_on`: the cost engine's schedule
/// with each period due on the month-end rule's date. A revolving line has no plan (see
/// [`super::line`]).
pub fn plan(terms: &LoanTerms, disbursed_on: Date) -> Result<RepaymentPlan, RepaymentError> {
    if matches!(terms.method, Method::Revolving { .. }) {
        return Err(RepaymentError::RevolvingHasNoPlan);
    }
    let schedule = cost::schedule(terms)?;
    let rows = dated_rows(terms, &schedule.periods, disbursed_on, 0, 0)?;
    Ok(RepaymentPlan::from_rows(terms.clone(), disbursed_on, rows))
}

/// The dated plan of a catalog product's loan, from the approved amount, term and rate.
pub fn plan_for_product(
    product: &Product,
    amount: Fen,
    months: u32,
    annual_rate: RatePpm,
    disbursed_on: Date,
) -> Result<RepaymentPlan, RepaymentError> {
    plan(
        &loan_terms(product, amount, months, annual_rate, None),
        disbursed_on,
    )
}

/// Dates the engine's `periods` of `terms`, which start `month_offset` months after the
/// disbursement, numbering the rows from `first_n + 1`.
pub(super) fn dated_rows(
    terms: &LoanTerms,
    periods: &[Period],
    disbursed_on: Date,
    month_offset: u32,
    first_n: u32,
) -> Result<Vec<PlanRow>, RepaymentError> {
    let interest_only = interest_only_periods(terms, periods.len());
    periods
        .iter()
        .zip(0u32..)
        .map(|(p, i)| {
            let due_month = month_offset + p.due_month;
            Ok(PlanRow {
                n: first_n + i + 1,
                due_date: due_date(disbursed_on, due_month)?,
                due_month,
                kind: if (i as usize) < interest_only {
                    RowKind::InterestOnly
                } else {
                    RowKind::Installment
                },
                principal: p.principal,
                interest: p.interest,
                payment: p.payment,
                balance: p.balance,
            })
        })
        .collect()
}

/// How many leading periods of a schedule of `periods` rows pay interest only by design.
fn interest_only_periods(terms: &LoanTerms, periods: usize) -> usize {
    let last = periods.saturating_sub(1);
    match terms.method {
        Method::InterestFirst => last,
        Method::GraceThenAmortize { grace_months, .. } => {
            let interval = terms.interval_months().max(1);
            usize::try_from(grace_months / interval).map_or(last, |g| g.min(last))
        }
        _ => 0,
    }
}
