//! The revolving line (随借随还): daily interest on the amount drawn, settled every payment
//! interval. Owns the draw validation and the day arithmetic; must never round more than
//! once per settlement (each period's interest is a difference of rounded cumulative sums).

use super::{
    Advance, CostError, DAYS_PER_MONTH, Draw, DrawingPattern, LoanTerms, Period, Schedule,
};
use crate::domain::money::{Fen, PPM_ONE, clamp_i64};

/// Fills `out` for validated `terms` with a revolving method (`out.interval_months` set).
pub(super) fn build(
    terms: &LoanTerms,
    drawing: &DrawingPattern,
    out: &mut Schedule,
) -> Result<(), CostError> {
    let term_days = terms.months * DAYS_PER_MONTH;
    let whole = |days: u32| Draw {
        amount: terms.amount,
        start_day: 0,
        days,
    };
    let single;
    let draws: &[Draw] = match drawing {
        DrawingPattern::WholeTerm => {
            single = [whole(term_days)];
            &single
        }
        DrawingPattern::WholeForDays { days } => {
            single = [whole(*days)];
            &single
        }
        DrawingPattern::Draws { draws } => draws,
    };
    if draws.is_empty() {
        return Err(CostError::NoDraws);
    }
    let mut last_day = 0u32;
    for (i, d) in draws.iter().enumerate() {
        let end = d.start_day.checked_add(d.days);
        match end {
            Some(end)
                if d.amount > 0 && d.amount <= terms.amount && d.days > 0 && end <= term_days =>
            {
                last_day = last_day.max(end);
            }
            _ => {
                return Err(CostError::InvalidDraw {
                    index: i + 1,
                    term_days,
                });
            }
        }
    }
    check_limit(draws, terms.amount)?;

    let period_days = out.interval_months.max(1) * DAYS_PER_MONTH;
    let n = last_day.div_ceil(period_days);
    let denominator = PPM_ONE * i64::from(terms.day_count.basis());
    let mut charged_before: Fen = 0;
    out.periods.reserve(n as usize);
    for d in draws {
        out.advances.push(Advance {
            day: d.start_day,
            amount: d.amount,
        });
    }
    out.advances.sort_by_key(|a| a.day);
    if matches!(drawing, DrawingPattern::Draws { .. }) {
        // Explicit draws may be repaid between settlement days: the APR needs those days.
        // (A whole-limit draw is repaid on the last due day, where the row already says so.)
        for d in draws {
            out.repayments.push(Advance {
                day: d.start_day + d.days,
                amount: d.amount,
            });
        }
        out.repayments.sort_by_key(|a| a.day);
    }
    let mut start = 0u32;
    for k in 1..=n {
        let end = (k * period_days).min(last_day);
        // Fen·days drawn up to `end`, the principal repaid in (start, end], and the balance at `end`.
        let mut fen_days: i128 = 0;
        let mut principal: Fen = 0;
        let mut balance: Fen = 0;
        for d in draws {
            let d_end = d.start_day + d.days;
            let held = d_end.min(end).saturating_sub(d.start_day);
            fen_days += i128::from(d.amount) * i128::from(held);
            if d_end > start && d_end <= end {
                principal += d.amount;
            }
            if d.start_day <= end && d_end > end {
                balance += d.amount;
            }
        }
        // Fen·days ≤ limit × term days ≤ 1.1 × 10¹⁴: fits i64.
        let charged = super::mul_div(
            clamp_i64(fen_days),
            terms.annual_rate,
            1,
            denominator,
            terms.rounding,
        );
        let interest = charged - charged_before;
        charged_before = charged;
        out.periods.push(Period {
            n: k,
            due_month: end.div_ceil(DAYS_PER_MONTH),
            due_day: end,
            principal,
            interest,
            payment: principal + interest,
            balance,
        });
        start = end;
    }
    Ok(())
}

/// Refuses draws whose outstanding total exceeds `limit` on any day. A draw repaid on a day
/// frees the limit for a draw made that same day.
fn check_limit(draws: &[Draw], limit: Fen) -> Result<(), CostError> {
    if draws.len() == 1 {
        return Ok(());
    }
    // (day, is_start, amount): repayments sort before draws on the same day.
    let mut events: Vec<(u32, bool, Fen)> = Vec::with_capacity(draws.len() * 2);
    for d in draws {
        events.push((d.start_day, true, d.amount));
        events.push((d.start_day.saturating_add(d.days), false, d.amount));
    }
    events.sort_unstable();
    let mut outstanding: Fen = 0;
    for (day, is_start, amount) in events {
        if is_start {
            outstanding = outstanding.saturating_add(amount);
            if outstanding > limit {
                return Err(CostError::DrawsAboveLimit { day });
            }
        } else {
            outstanding -= amount;
        }
    }
    Ok(())
}
