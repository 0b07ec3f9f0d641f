//! The revolving line's statement screen (冠之链 额度账单): the period's draws and repayments,
//! the interest by the day, what is owed and what is still available. Owns the words; the
//! numbers are [`crate::domain::repayment::line`]'s.

use super::parse_day;
use super::repayment_error;
use super::views::{LineEntryView, LineInput, LineStatementView};
use crate::app::AppError;
use crate::app::views::MoneyView;
use crate::domain::catalog::Product;
use crate::domain::money::format_percent;
use crate::domain::repayment::{CreditLine, LineEvent, LineEventKind, date_zh, line_statement};

/// The statement of the line `input` describes, for a revolving `product`.
pub(crate) fn statement(
    product: &Product,
    input: &LineInput,
) -> Result<LineStatementView, AppError> {
    let opened = parse_day(&input.opened_on, "额度开立日", "the opening day")?;
    let line = CreditLine::for_product(
        product,
        input.limit_fen,
        input.annual_rate_ppm,
        opened,
        input.months,
    )
    .map_err(|e| repayment_error(&e))?;
    let mut events = Vec::with_capacity(input.events.len());
    for e in &input.events {
        events.push(LineEvent {
            on: parse_day(&e.on, "用款或还款日期", "a draw or repayment day")?,
            kind: e.kind,
            amount: e.amount_fen,
        });
    }
    let from = parse_day(&input.from, "账单开始日", "the statement's first day")?;
    let to = parse_day(&input.to, "账单结束日", "the statement's last day")?;
    let s = line_statement(&line, &events, from, to).map_err(|e| repayment_error(&e))?;
    let rate = format_percent(s.charged_rate);
    let (rate_note_zh, rate_note_en) = if s.capped {
        (
            format!("合同利率高于上限，按上限 {rate} 按日计息"),
            format!("The contract rate is above the cap: charged {rate} a year, by the day"),
        )
    } else {
        (
            format!("年利率 {rate}，按日计息，随借随还"),
            format!("{rate} a year, charged by the day; borrow and repay any time"),
        )
    };
    let money = MoneyView::of;
    Ok(LineStatementView {
        from_zh: date_zh(s.from),
        to_zh: date_zh(s.to),
        rate,
        capped: s.capped,
        rate_note_zh,
        rate_note_en,
        opening_principal: money(s.opening_principal),
        opening_interest: money(s.opening_interest),
        drawn: money(s.drawn),
        principal_repaid: money(s.principal_repaid),
        interest_repaid: money(s.interest_repaid),
        interest_accrued: money(s.interest_accrued),
        closing_principal: money(s.closing_principal),
        closing_interest: money(s.closing_interest),
        closing_owed: money(s.closing_owed()),
        available: money((line.limit - s.closing_principal).max(0)),
        entries: s
            .entries
            .iter()
            .map(|e| LineEntryView {
                on: e.on.to_string(),
                on_zh: date_zh(e.on),
                kind: e.kind,
                kind_zh: match e.kind {
                    LineEventKind::Draw => "用款".to_owned(),
                    LineEventKind::Repay => "还款".to_owned(),
                },
                amount: money(e.amount),
                interest_paid: money(e.interest_paid),
                principal_paid: money(e.principal_paid),
                principal_after: money(e.principal_after),
            })
            .collect(),
    })
}
