//! Schedules of the amortizing methods (everything but the revolving line).
//! Owns the period arithmetic in integer fen; must never allocate beyond the output rows.

use super::{Advance, Amortization, DAYS_PER_MONTH, LoanTerms, Method, Period, Schedule};
use crate::domain::money::{Fen, PPM_ONE, Rounding};

/// Fills `out` for a validated, non-revolving `terms` (`out.interval_months` already set).
pub(super) fn build(terms: &LoanTerms, out: &mut Schedule) {
    let interval = out.interval_months.max(1);
    let months = terms.months;
    let n = months.div_ceil(interval);
    let last_months = months - (n - 1) * interval;
    out.advances.push(Advance {
        day: 0,
        amount: terms.amount,
    });

    // Interest-only periods first, then the amortization over the rest.
    let (grace_periods, amortization) = match terms.method {
        Method::EqualInstallment => (0, Amortization::EqualInstallment),
        Method::EqualPrincipal => (0, Amortization::EqualPrincipal),
        Method::GraceThenAmortize { grace_months, then } => {
            ((grace_months / interval).min(n - 1), then)
        }
        // Interest every period, the principal with the last: one amortizing period.
        Method::InterestFirst | Method::Bullet | Method::Revolving { .. } => {
            (n - 1, Amortization::EqualPrincipal)
        }
    };
    let amortizing = n - grace_periods;
    let level = match amortization {
        Amortization::EqualPrincipal => {
            super::mul_div(terms.amount, 1, 1, i64::from(amortizing), terms.rounding)
        }
        Amortization::EqualInstallment => annuity(
            terms.amount,
            terms.annual_rate,
            interval,
            last_months,
            amortizing,
            terms.rounding,
        ),
    };

    // Annual ppm × months of a full period and of the last one (≤ 360,000 × 360: fits).
    let rate_full = terms.annual_rate * i64::from(interval);
    let rate_last = terms.annual_rate * i64::from(last_months);
    out.periods.clear();
    let offset = rounding_offset(terms.rounding);
    let mut balance = terms.amount;
    let row = |k: u32, principal: Fen, interest: Fen, balance: Fen| {
        let due_month = if k == n { months } else { k * interval };
        Period {
            n: k,
            due_month,
            due_day: due_month * DAYS_PER_MONTH,
            principal,
            interest,
            payment: principal + interest,
            balance,
        }
    };
    // Interest only; then the amortization (the rounding's offset makes the division one
    // uniform formula, so the loops carry no branches); then the last period takes the rest.
    let grace_rows =
        (1..=grace_periods).map(|k| row(k, 0, interest_for(balance, rate_full, offset), balance));
    out.periods.extend(grace_rows);
    let amortizing_rows = grace_periods + 1..n;
    match amortization {
        Amortization::EqualPrincipal => out.periods.extend(amortizing_rows.map(|k| {
            let interest = interest_for(balance, rate_full, offset);
            let principal = level.min(balance);
            balance -= principal;
            row(k, principal, interest, balance)
        })),
        Amortization::EqualInstallment => out.periods.extend(amortizing_rows.map(|k| {
            let interest = interest_for(balance, rate_full, offset);
            let principal = (level - interest).clamp(0, balance);
            balance -= principal;
            row(k, principal, interest, balance)
        })),
    }
    let interest = interest_for(balance, rate_last, offset);
    out.periods.push(row(n, balance, interest, 0));
}

/// The level payment that repays `amount` over `periods` periods of `interval` months at
/// `annual_ppm`, the last period lasting `last_months`; computed in `f64` once and rounded
/// to the fen by `rounding`. Zero rate: amount / periods.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn annuity(
    amount: Fen,
    annual_ppm: i64,
    interval: u32,
    last_months: u32,
    periods: u32,
    rounding: Rounding,
) -> Fen {
    if annual_ppm == 0 || periods <= 1 {
        return crate::domain::money::clamp_i64(
            rounding.div(i128::from(amount), i128::from(periods.max(1))),
        );
    }
    let i = annual_ppm as f64 * f64::from(interval) / 12_000_000.0;
    let i_last = annual_ppm as f64 * f64::from(last_months) / 12_000_000.0;
    let v = 1.0 / (1.0 + i);
    let v_before_last = v.powi(periods as i32 - 1);
    // Present value of 1 paid at the end of each period.
    let factor = (1.0 - v_before_last) / i + v_before_last / (1.0 + i_last);
    let a = amount as f64 / factor;
    let rounded = match rounding {
        Rounding::HalfUp => a.round(),
        Rounding::Down => a.floor(),
        Rounding::Up => a.ceil(),
    };
    if rounded.is_finite() && rounded >= 0.0 && rounded <= amount as f64 * 2.0 + 1.0 {
        rounded as Fen
    } else {
        amount
    }
}

const DIVISOR: u64 = 12 * PPM_ONE as u64;

/// What to add before dividing by 12,000,000 so that the quotient is rounded by `rounding`
/// (for a non-negative numerator): 0 rounds down, half the divisor half-up, the divisor less
/// one up.
fn rounding_offset(rounding: Rounding) -> u64 {
    match rounding {
        Rounding::Down => 0,
        Rounding::HalfUp => DIVISOR / 2,
        Rounding::Up => DIVISOR - 1,
    }
}

/// `amount × rate_months / 12,000,000` where `rate_months` = annual ppm × months, rounded
/// by the offset of [`rounding_offset`]: the interest of a period, the same rule and
/// rounding as [`crate::domain::money::interest_for_months`], in `u64` with a constant
/// divisor (the hot loop of the market's ranking). Validated terms (amount ≤ 10¹⁰ fen,
/// rate ≤ 360,000 ppm, months ≤ 360) keep the product below 1.3 × 10¹⁸ < 2⁶³; a product
/// beyond that (never reached after validation) saturates instead of wrapping.
#[inline]
fn interest_for(amount: Fen, rate_months: i64, offset: u64) -> Fen {
    let a = u64::try_from(amount).unwrap_or(0);
    let r = u64::try_from(rate_months).unwrap_or(0);
    let n = a.saturating_mul(r).min(u64::MAX / 2);
    // ≤ 2⁶³ / 12·10⁶: always fits.
    Fen::try_from((n + offset) / DIVISOR).unwrap_or(Fen::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_interest_agrees_with_the_money_helper(
            amount in 0i64..=10_000_000_000, rate in 0i64..=360_000, months in 0u32..=360, pick in 0u8..3
        ) {
            let rounding = [Rounding::HalfUp, Rounding::Down, Rounding::Up][usize::from(pick)];
            prop_assert_eq!(
                interest_for(amount, rate * i64::from(months), rounding_offset(rounding)),
                crate::domain::money::interest_for_months(amount, rate, months, rounding)
            );
        }
    }
}
