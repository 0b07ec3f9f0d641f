//! Early repayment (提前还款) of a loan in progress, in full or in part, on a given day: what
//! to pay that day, the interest saved, and the new plan. Owns the accrual rule, the
//! re-planning of the rest by the cost engine and the rule that keeps it no dearer than
//! carrying on; must never make an early repayment cost more than carrying on, nor read a
//! clock. Revolving lines repay at any time by their own rules (see [`super::line`]).
//!
//! # Rules
//! - **Accrual rule** (提前还款计息): the principal repaid early bears interest from the last
//!   due date before the day (or the disbursement) to the day itself, by the product's day
//!   count: principal × annual rate × actual days / 360 (or 365), rounded once by the loan's
//!   rounding; never more than the interest that period's row loses because of the early
//!   repayment (with 31-day months on a 360-day count, a month of days can exceed a month of
//!   interest: the cap keeps paying early from costing more than paying on the due date).
//!   The rest of the balance keeps its schedule, whose next row already charges its interest.
//! - **Re-planning**: the balance left is planned by the cost engine over the rest of the
//!   original calendar, from the last due date: "lower payment" (减少每期还款) keeps the
//!   number of periods; "shorter term" (缩短期限) takes the fewest periods whose regular
//!   payment (equal installments) or principal (equal principal) is not above the one the
//!   loan had. Interest-first and bullet loans pay their principal at maturity: only "lower
//!   payment" applies (the interest of every period falls). A grace period keeps its end.
//! - **Never above carrying on** (`never_above_carrying_on`): at no due date may the new
//!   plan leave more principal owed than the old plan would have; where the engine's fen
//!   rounding of a new level payment would (a few fen, at most), that row repays the
//!   difference and its interest follows its balance by the engine's interest rule.

use super::RepaymentError;
use super::dates::days_between;
use super::plan::{PlanRow, RepaymentPlan, RowKind, dated_rows};
use crate::domain::cost::{self, Amortization, LoanTerms, Method, Period};
use crate::domain::money::{Fen, interest_for_days, interest_for_months};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What to do with the rest of the loan after a partial early repayment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PrepayChoice {
    /// 缩短期限: about the same payment, fewer periods (saves the most interest).
    ShorterTerm,
    /// 减少每期还款: the same periods, a lower payment.
    LowerPayment,
}

impl PrepayChoice {
    /// `缩短期限` / `减少每期还款`.
    pub fn name_zh(self) -> &'static str {
        match self {
            PrepayChoice::ShorterTerm => "缩短期限",
            PrepayChoice::LowerPayment => "减少每期还款",
        }
    }

    /// `shorter term` / `lower payment`.
    pub fn name_en(self) -> &'static str {
        match self {
            PrepayChoice::ShorterTerm => "shorter term",
            PrepayChoice::LowerPayment => "lower payment",
        }
    }
}

/// How much is repaid early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PrepayAmount {
    /// Everything (全部提前还款, 结清).
    All,
    /// This much principal (部分提前还款); the accrued interest comes on top.
    Principal {
        /// Principal, fen: 1 ..= the balance (the balance itself is the same as `All`).
        amount: Fen,
    },
}

/// An early repayment asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrepayRequest {
    /// The day of the early repayment: on or after the disbursement and the last early
    /// repayment, before the last due date.
    pub on: Date,
    /// How much.
    pub amount: PrepayAmount,
    /// What to do with the rest (ignored when everything is repaid).
    pub choice: PrepayChoice,
}

/// The outcome of an early repayment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Prepayment {
    /// The day.
    pub on: Date,
    /// Principal repaid early, fen.
    pub principal: Fen,
    /// Interest accrued on it since the last due date, fen (the accrual rule).
    pub accrued_interest: Fen,
    /// Days of that accrual.
    pub accrued_days: u32,
    /// To pay that day: principal + accrued interest, fen (rows already due come on top if
    /// unpaid).
    pub payment: Fen,
    /// Interest of the rows after the day if the loan carried on, fen.
    pub interest_if_carried_on: Fen,
    /// Interest after the day with the early repayment: accrued + the new rows', fen.
    pub interest_after: Fen,
    /// `interest_if_carried_on − interest_after`, fen (never negative).
    pub interest_saved: Fen,
    /// The choice applied (`None` when everything is repaid).
    pub choice: Option<PrepayChoice>,
    /// The new plan: the rows due up to the day unchanged, a [`RowKind::Prepayment`] row on
    /// the day, then the rest re-planned. Its principal column still sums to the amount.
    pub plan: RepaymentPlan,
}

/// The choices a plan allows for a partial early repayment.
pub fn prepay_choices(plan: &RepaymentPlan) -> Vec<PrepayChoice> {
    match plan.terms.method {
        Method::EqualInstallment | Method::EqualPrincipal | Method::GraceThenAmortize { .. } => {
            vec![PrepayChoice::ShorterTerm, PrepayChoice::LowerPayment]
        }
        Method::InterestFirst | Method::Bullet => vec![PrepayChoice::LowerPayment],
        Method::Revolving { .. } => Vec::new(),
    }
}

/// Where the loan stands on the day of an early repayment.
struct Position {
    /// Rows due on or before the day (kept unchanged).
    kept: usize,
    /// Principal owed once those rows are paid.
    balance: Fen,
    /// The last due date of an instalment before the day (or the disbursement) and its months.
    last_due: Date,
    start_month: u32,
    /// Months from `start_month` to the last due date.
    months_left: u32,
}

fn position(plan: &RepaymentPlan, on: Date) -> Result<Position, RepaymentError> {
    let maturity = plan.maturity().unwrap_or(plan.disbursed_on);
    let kept = plan.rows.partition_point(|r| r.due_date <= on);
    let refused = RepaymentError::PrepayDateOutsideLoan {
        on,
        from: plan.disbursed_on,
        until: maturity,
    };
    let rest = &plan.rows[kept..];
    if on < plan.disbursed_on
        || rest.is_empty()
        || rest.iter().any(|r| r.kind == RowKind::Prepayment)
    {
        return Err(refused);
    }
    let balance = kept
        .checked_sub(1)
        .map_or(plan.terms.amount, |k| plan.rows[k].balance);
    let (last_due, start_month) = plan.rows[..kept]
        .iter()
        .rev()
        .find(|r| r.kind != RowKind::Prepayment)
        .map_or((plan.disbursed_on, 0), |r| (r.due_date, r.due_month));
    let end_month = rest.last().map_or(start_month, |r| r.due_month);
    Ok(Position {
        kept,
        balance,
        last_due,
        start_month,
        months_left: end_month.saturating_sub(start_month),
    })
}

/// Repays `request.amount` of `plan` early on `request.on`: the payment that day, the
/// interest saved and the new plan. Rows due up to that day stay as they are (and must be
/// paid as usual).
pub fn prepay(plan: &RepaymentPlan, request: &PrepayRequest) -> Result<Prepayment, RepaymentError> {
    let at = position(plan, request.on)?;
    let principal = match request.amount {
        PrepayAmount::All if at.balance > 0 => at.balance,
        PrepayAmount::All => {
            return Err(RepaymentError::PrepayAmountOutOfRange {
                amount: 0,
                balance: 0,
            });
        }
        PrepayAmount::Principal { amount } if amount >= 1 && amount <= at.balance => amount,
        PrepayAmount::Principal { amount } => {
            return Err(RepaymentError::PrepayAmountOutOfRange {
                amount,
                balance: at.balance,
            });
        }
    };
    let old = &plan.rows[at.kept..];
    let first_n = u32::try_from(at.kept).unwrap_or(u32::MAX - 1) + 1;
    let (choice, new_rows) = if principal == at.balance {
        (None, Vec::new())
    } else {
        if !prepay_choices(plan).contains(&request.choice) {
            return Err(RepaymentError::ChoiceNotAvailable {
                choice_zh: request.choice.name_zh(),
                choice_en: request.choice.name_en(),
            });
        }
        let rest = at.balance - principal;
        let (terms, periods) = replan(plan, &at, old, rest, request.choice)?;
        let rows = dated_rows(&terms, &periods, plan.disbursed_on, at.start_month, first_n)?;
        (
            Some(request.choice),
            never_above_carrying_on(rows, old, rest, at.start_month, &plan.terms),
        )
    };
    let accrued_days = u32::try_from(days_between(at.last_due, request.on)).unwrap_or(0);
    let t = &plan.terms;
    let accrued_raw = interest_for_days(
        principal,
        t.annual_rate,
        accrued_days,
        t.day_count.basis(),
        t.rounding,
    );
    // What the first remaining row loses because of the early repayment caps the accrual.
    let old_first = old.first().map_or(0, |r| r.interest);
    let new_first = new_rows
        .first()
        .filter(|r| old.first().is_some_and(|o| o.due_month == r.due_month))
        .map_or(0, |r| r.interest);
    let accrued_interest = accrued_raw.min((old_first - new_first).max(0));
    let interest_if_carried_on: Fen = old.iter().map(|r| r.interest).sum();
    let interest_after = accrued_interest + new_rows.iter().map(|r| r.interest).sum::<Fen>();
    let mut rows: Vec<PlanRow> = plan.rows[..at.kept].to_vec();
    rows.push(PlanRow {
        n: first_n,
        due_date: request.on,
        due_month: at.start_month,
        kind: RowKind::Prepayment,
        principal,
        interest: accrued_interest,
        payment: principal + accrued_interest,
        balance: at.balance - principal,
    });
    rows.extend(new_rows);
    Ok(Prepayment {
        on: request.on,
        principal,
        accrued_interest,
        accrued_days,
        payment: principal + accrued_interest,
        interest_if_carried_on,
        interest_after,
        interest_saved: interest_if_carried_on - interest_after,
        choice,
        plan: RepaymentPlan::from_rows(plan.terms.clone(), plan.disbursed_on, rows),
    })
}

/// The engine's terms for `balance` over `months` more months from the position: the same
/// rate, frequency, day count and rounding; the grace shortened by the months already past.
fn rest_terms(plan: &RepaymentPlan, at: &Position, balance: Fen, months: u32) -> LoanTerms {
    let method = match plan.terms.method {
        Method::GraceThenAmortize { grace_months, then } => {
            match grace_months.saturating_sub(at.start_month) {
                0 => amortizing_method(then),
                g => Method::GraceThenAmortize {
                    grace_months: g,
                    then,
                },
            }
        }
        ref m => m.clone(),
    };
    LoanTerms {
        amount: balance,
        months,
        method,
        ..plan.terms.clone()
    }
}

fn amortizing_method(a: Amortization) -> Method {
    match a {
        Amortization::EqualInstallment => Method::EqualInstallment,
        Amortization::EqualPrincipal => Method::EqualPrincipal,
    }
}

/// The amortization of a method, if it has one a shorter term can keep.
fn amortization_of(method: &Method) -> Option<Amortization> {
    match method {
        Method::EqualInstallment => Some(Amortization::EqualInstallment),
        Method::EqualPrincipal => Some(Amortization::EqualPrincipal),
        Method::GraceThenAmortize { then, .. } => Some(*then),
        _ => None,
    }
}

/// The engine's schedule of the balance left, for the choice.
fn replan(
    plan: &RepaymentPlan,
    at: &Position,
    old: &[PlanRow],
    rest: Fen,
    choice: PrepayChoice,
) -> Result<(LoanTerms, Vec<Period>), RepaymentError> {
    let full = rest_terms(plan, at, rest, at.months_left);
    let amortization = amortization_of(&plan.terms.method);
    let (PrepayChoice::ShorterTerm, Some(amortization)) = (choice, amortization) else {
        return Ok((full.clone(), cost::schedule(&full)?.periods));
    };
    let interval = full.interval_months().max(1);
    let grace = match full.method {
        Method::GraceThenAmortize { grace_months, .. } => grace_months,
        _ => 0,
    };
    let grace_periods = (grace / interval) as usize;
    let most = at.months_left.div_ceil(interval) - grace / interval;
    // The level the loan had: the first regular (not last) instalment left.
    let regular = old[..old.len().saturating_sub(1)]
        .iter()
        .find(|r| r.kind == RowKind::Installment);
    let Some(regular) = regular else {
        return Ok((full.clone(), cost::schedule(&full)?.periods));
    };
    let target = match amortization {
        Amortization::EqualInstallment => regular.payment,
        Amortization::EqualPrincipal => regular.principal,
    };
    let months_for = |m: u32| {
        if m >= most {
            at.months_left
        } else {
            grace + m * interval
        }
    };
    // The fewest amortizing periods whose level is not above the target (binary search:
    // the level falls as the periods grow).
    let (mut lo, mut hi) = (1u32, most);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let terms = rest_terms(plan, at, rest, months_for(mid));
        let schedule = cost::schedule(&terms)?;
        let level = schedule
            .periods
            .get(grace_periods)
            .map_or(Fen::MAX, |p| match amortization {
                Amortization::EqualInstallment => p.payment,
                Amortization::EqualPrincipal => p.principal,
            });
        if level <= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let terms = rest_terms(plan, at, rest, months_for(lo));
    let periods = cost::schedule(&terms)?.periods;
    Ok((terms, periods))
}

/// The rule "never above carrying on": each new row's balance is at most the old plan's
/// balance on the same due date; a row whose balance is lowered repays the difference, and
/// the interest of the row after it follows its opening balance (the engine's interest rule:
/// balance × annual rate × months / 12, rounded once). The new rows start from `opening`
/// principal, `start_month` months after the disbursement.
fn never_above_carrying_on(
    rows: Vec<PlanRow>,
    old: &[PlanRow],
    opening: Fen,
    start_month: u32,
    terms: &LoanTerms,
) -> Vec<PlanRow> {
    let mut out = Vec::with_capacity(rows.len());
    let (mut prev, mut prev_engine, mut prev_month) = (opening, opening, start_month);
    for row in rows {
        let old_balance = old
            .iter()
            .find(|o| o.due_month == row.due_month)
            .map_or(row.balance, |o| o.balance);
        let balance = row.balance.min(old_balance);
        let interest = if prev == prev_engine {
            row.interest
        } else {
            interest_for_months(
                prev,
                terms.annual_rate,
                row.due_month.saturating_sub(prev_month),
                terms.rounding,
            )
        };
        let principal = prev - balance;
        out.push(PlanRow {
            principal,
            interest,
            payment: principal + interest,
            balance,
            ..row
        });
        (prev, prev_engine, prev_month) = (balance, row.balance, row.due_month);
    }
    out
}
