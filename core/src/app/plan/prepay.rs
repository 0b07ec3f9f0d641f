//! The early repayment screen (提前还款): for a day and an amount (all, or part of the
//! principal), every choice the loan's method allows, each with what to pay that day, the
//! interest saved and the new plan. Owns the words; the numbers are
//! [`crate::domain::repayment::prepay`]'s.

use super::views::{PrepayInput, PrepayOptionView, PrepayScreenView};
use super::{Loan, fen_or_none, parse_day, repayment_error, row_view};
use crate::app::AppError;
use crate::app::views::MoneyView;
use crate::domain::repayment::{
    PrepayAmount, PrepayChoice, PrepayRequest, Prepayment, RepaymentPlan, RowKind, date_zh, prepay,
    prepay_choices,
};
use jiff::civil::Date;

/// The screen for `input` on `loan`.
pub(crate) fn screen(loan: &Loan<'_>, input: &PrepayInput) -> Result<PrepayScreenView, AppError> {
    let on = parse_day(&input.on, "提前还款日", "the early repayment day")?;
    let options = match input.principal_fen {
        None => vec![option(
            loan,
            on,
            PrepayAmount::All,
            PrepayChoice::LowerPayment,
        )?],
        Some(amount) => {
            let mut out = Vec::new();
            for choice in prepay_choices(&loan.plan) {
                out.push(option(
                    loan,
                    on,
                    PrepayAmount::Principal { amount },
                    choice,
                )?);
            }
            out
        }
    };
    Ok(PrepayScreenView {
        on: on.to_string(),
        on_zh: date_zh(on),
        options,
    })
}

/// The rows of `plan` after `on` (an early repayment's own row left out).
fn after(plan: &RepaymentPlan, on: Date) -> Vec<crate::domain::repayment::PlanRow> {
    plan.rows
        .iter()
        .filter(|r| r.due_date > on && r.kind != RowKind::Prepayment)
        .copied()
        .collect()
}

fn option(
    loan: &Loan<'_>,
    on: Date,
    amount: PrepayAmount,
    choice: PrepayChoice,
) -> Result<PrepayOptionView, AppError> {
    let request = PrepayRequest { on, amount, choice };
    let p: Prepayment = prepay(&loan.plan, &request).map_err(|e| repayment_error(&e))?;
    let before = after(&loan.plan, on);
    let rows = after(&p.plan, on);
    let (next_before, next_after) = (fen_or_none(&before), fen_or_none(&rows));
    let saved = MoneyView::of(p.interest_saved).full;
    let maturity_zh = rows.last().map(|r| date_zh(r.due_date)).unwrap_or_default();
    let (choice_zh, choice_en, summary_zh, summary_en) = match p.choice {
        None => (
            "全部结清".to_owned(),
            "repay everything".to_owned(),
            format!("当天还清，节省利息 {saved}"),
            format!("Repaid in full that day, saving {saved} of interest"),
        ),
        Some(PrepayChoice::ShorterTerm) => (
            choice.name_zh().to_owned(),
            choice.name_en().to_owned(),
            format!(
                "还款期数从{}期减到{}期，最后一期在{maturity_zh}，节省利息 {saved}",
                before.len(),
                rows.len()
            ),
            format!(
                "{} payments left instead of {}, saving {saved} of interest",
                rows.len(),
                before.len()
            ),
        ),
        Some(PrepayChoice::LowerPayment) => {
            let (b, a) = (
                MoneyView::of(next_before.unwrap_or(0)).full,
                MoneyView::of(next_after.unwrap_or(0)).full,
            );
            (
                choice.name_zh().to_owned(),
                choice.name_en().to_owned(),
                format!("下一期从 {b} 降到 {a}，期数不变，节省利息 {saved}"),
                format!(
                    "The next payment falls from {b} to {a}, same dates, saving {saved} of interest"
                ),
            )
        }
    };
    Ok(PrepayOptionView {
        choice: p.choice,
        choice_zh,
        choice_en,
        pay_on_the_day: MoneyView::of(p.payment),
        principal: MoneyView::of(p.principal),
        accrued_interest: MoneyView::of(p.accrued_interest),
        accrued_days: p.accrued_days,
        interest_saved: MoneyView::of(p.interest_saved),
        rows_left_before: u32::try_from(before.len()).unwrap_or(u32::MAX),
        rows_left_after: u32::try_from(rows.len()).unwrap_or(u32::MAX),
        next_payment_before: next_before.map(MoneyView::of),
        next_payment_after: next_after.map(MoneyView::of),
        maturity_zh,
        summary_zh,
        summary_en,
        rows: rows.iter().map(|r| row_view(r, None)).collect(),
    })
}
