//! The internal rate of return: a bracketed, safeguarded Newton search on the discount
//! factor v = 1 / (1 + r). Owns only arithmetic; must never panic, loop without end or
//! return a NaN (every failure is [`CostError::AprUndefined`]).
//!
//! Time is counted in periods and discounted by (1 + r)^(−t), fractional t included, with
//! one exception: the short last period of a schedule (a fraction φ of an interval after
//! k whole ones) is discounted by (1 + r)^(−k) / (1 + φ·r), simple interest over the
//! fraction, the way the actuarial method of US Regulation Z (Appendix J) treats an odd
//! period. Its interest is charged as annual × its months / 12, so this discounts it at
//! exactly the contract rate and a fee-free loan's APR is its contract rate up to fen
//! rounding. (A revolving line's explicit draws fall on any day; they use the plain power,
//! which always has a root and never overstates within-period simple interest by more
//! than e^i − 1 against i.)

use super::{CashFlow, CostError, DAYS_PER_MONTH, Schedule};
use crate::domain::money::{Fen, RatePpm};

const MAX_ITERATIONS: u32 = 200;

/// The periodic rate r at which the flows' present value is zero: Σ amount × (1 + r)^(−at) = 0.
/// Times are in periods (fractional allowed, not negative); the flows must change sign.
pub fn irr(flows: &[CashFlow]) -> Result<f64, CostError> {
    if flows
        .iter()
        .any(|f| !f.at.is_finite() || f.at < 0.0 || !f.amount.is_finite())
    {
        return Err(CostError::AprUndefined);
    }
    let eval = |v: f64| {
        let mut f = 0.0;
        let mut d = 0.0;
        for c in flows {
            let (p, dp) = power(v, c.at);
            f += c.amount * p;
            d += c.amount * dp;
        }
        (f, d)
    };
    solve(eval, 1.0)
        .map(|v| 1.0 / v - 1.0)
        .ok_or(CostError::AprUndefined)
}

/// The periodic IRR of a schedule (in payment intervals) when `fees` are paid at day 0.
pub(super) fn schedule_irr(
    schedule: &Schedule,
    fees: Fen,
    rate_hint: RatePpm,
) -> Result<f64, CostError> {
    let advanced: Fen = schedule.advances.iter().map(|a| a.amount).sum();
    if fees >= advanced {
        return Err(CostError::FeesExceedAmount);
    }
    let interval_days = f64::from(schedule.interval_months.max(1) * DAYS_PER_MONTH);
    let guess = 1.0 / (1.0 + to_f64(rate_hint) / 1e6 * f64::from(schedule.interval_months) / 12.0);
    let periods = &schedule.periods;
    let Some((last, regular)) = periods.split_last() else {
        return Err(CostError::AprUndefined);
    };
    let one_advance =
        matches!(schedule.advances.as_slice(), [a] if a.day == 0) && schedule.repayments.is_empty();
    let interval = schedule.interval_months.max(1);
    let on_grid = regular
        .iter()
        .zip(1u32..)
        .all(|(p, k)| p.due_day == k * interval * DAYS_PER_MONTH);
    let v = if one_advance && on_grid {
        // Fast path: payments at t = 1, 2, …, n−1 and the last at t_last (maybe fractional).
        let c0 = to_f64(advanced - fees);
        let t_last = f64::from(last.due_day) / interval_days;
        let a_last = -to_f64(last.payment);
        let eval = |v: f64| {
            // Σ_{k=1}^{n−1} a_k v^k and its derivative, in two interleaved chains (odd and
            // even k, each stepping by v²) so the additions do not wait on each other.
            let v2 = v * v;
            let (mut x_odd, mut x_even) = (v, v2);
            let (mut f_odd, mut f_even, mut d_odd, mut d_even) = (0.0, 0.0, 0.0, 0.0);
            let mut k = 1.0;
            let mut pairs = regular.chunks_exact(2);
            for pair in &mut pairs {
                if let [a, b] = pair {
                    let (a, b) = (to_f64(a.payment) * x_odd, to_f64(b.payment) * x_even);
                    f_odd -= a;
                    f_even -= b;
                    d_odd -= a * k;
                    d_even -= b * (k + 1.0);
                }
                x_odd *= v2;
                x_even *= v2;
                k += 2.0;
            }
            if let [a] = pairs.remainder() {
                let a = to_f64(a.payment) * x_odd;
                f_odd -= a;
                d_odd -= a * k;
            }
            let (vl, dvl) = stub_discount(v, t_last);
            let f = c0 + f_odd + f_even + a_last * vl;
            let d = (d_odd + d_even) / v + a_last * dvl;
            (f, d)
        };
        // Money in at t = 0, payments (never negative) after: f falls and is concave in v, so
        // Newton from any start converges without a bracket; the bracketed search is the fallback.
        newton(&eval, guess).or_else(|| solve(eval, guess))
    } else {
        let eval = |v: f64| {
            let mut f = -to_f64(fees);
            let mut d = 0.0;
            for a in &schedule.advances {
                let (p, dp) = power(v, f64::from(a.day) / interval_days);
                f += to_f64(a.amount) * p;
                d += to_f64(a.amount) * dp;
            }
            // Interest on the due days; principal on the repayment days when they are known.
            let by_day = !schedule.repayments.is_empty();
            for p in periods {
                let paid = if by_day { p.interest } else { p.payment };
                let (x, dx) = power(v, f64::from(p.due_day) / interval_days);
                f -= to_f64(paid) * x;
                d -= to_f64(paid) * dx;
            }
            for r in &schedule.repayments {
                let (x, dx) = power(v, f64::from(r.day) / interval_days);
                f -= to_f64(r.amount) * x;
                d -= to_f64(r.amount) * dx;
            }
            (f, d)
        };
        solve(eval, guess)
    };
    v.map(|v| 1.0 / v - 1.0).ok_or(CostError::AprUndefined)
}

/// v^t and its derivative in v (a whole t uses the faster integer power).
#[allow(clippy::cast_possible_truncation)]
fn power(v: f64, t: f64) -> (f64, f64) {
    let p = if t.fract() == 0.0 && t.abs() < f64::from(i32::MAX) {
        v.powi(t as i32)
    } else {
        v.powf(t)
    };
    let d = if t == 0.0 { 0.0 } else { t * p / v };
    (p, d)
}

/// The discount factor of the last payment at time `t` (periods) at v = 1 / (1 + r), and
/// its derivative in v: v^k for whole t = k; for a short last period t = k + φ,
/// v^(k+1) / (φ + (1 − φ)·v) = v^k / (1 + φ·r).
#[allow(clippy::cast_possible_truncation)]
fn stub_discount(v: f64, t: f64) -> (f64, f64) {
    let whole = t.floor();
    let phi = t - whole;
    let k = if whole >= f64::from(i32::MAX) {
        i32::MAX
    } else {
        whole as i32
    };
    if phi == 0.0 {
        let vk = v.powi(k);
        let d = if k == 0 { 0.0 } else { f64::from(k) * vk / v };
        return (vk, d);
    }
    let vk1 = v.powi(k.saturating_add(1));
    let den = phi + (1.0 - phi) * v;
    let value = vk1 / den;
    // d/dv [v^(k+1) / den] = ((k+1)·v^k·den − v^(k+1)·(1 − φ)) / den²
    let d = (f64::from(k.saturating_add(1)) * vk1 / v * den - vk1 * (1.0 - phi)) / (den * den);
    (value, d)
}

#[allow(clippy::cast_precision_loss)]
fn to_f64(x: i64) -> f64 {
    x as f64
}

/// Plain Newton steps from `start`; `None` if they leave v > 0, stop being finite or do not
/// settle within 50 steps.
fn newton(eval: &impl Fn(f64) -> (f64, f64), start: f64) -> Option<f64> {
    let mut x = start;
    for _ in 0..50 {
        let (f, d) = eval(x);
        if f == 0.0 {
            return Some(x);
        }
        let next = x - f / d;
        if !next.is_finite() || next <= 0.0 {
            return None;
        }
        // Newton converges quadratically here (a simple root, f'' / f' of the order of the
        // term): after a step of 10⁻⁷ the error is near 10⁻¹⁴ × the term in periods, far
        // below the 1 ppm the APR is shown in.
        if (next - x).abs() <= 1e-7 * next {
            return Some(next);
        }
        x = next;
    }
    None
}

/// Finds v > 0 with f(v) = 0, given `eval(v) = (f, f')`: brackets a sign change around 1
/// (then outward by halving / doubling), then Newton steps kept inside the bracket, falling
/// back to bisection. `None` when no sign change is found or the values are not finite.
fn solve(eval: impl Fn(f64) -> (f64, f64), guess: f64) -> Option<f64> {
    let f_one = eval(1.0).0;
    if !f_one.is_finite() {
        return None;
    }
    if f_one == 0.0 {
        return Some(1.0);
    }
    let guess = if guess.is_finite() && guess > 0.0 {
        guess
    } else {
        1.0
    };
    // Bracket [lo, hi] with f(lo) and f(hi) of opposite signs.
    let (mut lo, mut hi, f_lo) = bracket(&eval, f_one, guess)?;
    if f_lo == 0.0 {
        return Some(lo);
    }
    let lo_positive = f_lo > 0.0;
    let mut x = if guess > lo && guess < hi {
        guess
    } else {
        0.5 * (lo + hi)
    };
    for _ in 0..MAX_ITERATIONS {
        let (f, d) = eval(x);
        if !f.is_finite() {
            return None;
        }
        if f == 0.0 {
            return Some(x);
        }
        if (f > 0.0) == lo_positive {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - f / d;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 1e-15 * x.abs().max(1e-300) || hi - lo <= 1e-16 * hi {
            return Some(next);
        }
        x = next;
    }
    Some(0.5 * (lo + hi))
}

/// A sign change of f: first between the guess and 1, then walking away from 1 in the
/// direction f points to, then the other way.
fn bracket(eval: &impl Fn(f64) -> (f64, f64), f_one: f64, guess: f64) -> Option<(f64, f64, f64)> {
    if guess != 1.0 {
        let f_guess = eval(guess).0;
        if f_guess.is_finite() && (f_guess > 0.0) != (f_one > 0.0) {
            return Some(if guess < 1.0 {
                (guess, 1.0, f_guess)
            } else {
                (1.0, guess, f_one)
            });
        }
    }
    // For a loan (money in first, out later) f falls with v: f(1) < 0 means v < 1.
    let downward_first = f_one < 0.0;
    for downward in [downward_first, !downward_first] {
        let mut inner = 1.0;
        let mut f_inner = f_one;
        for _ in 0..64 {
            let outer = if downward { inner * 0.5 } else { inner * 2.0 };
            let f_outer = eval(outer).0;
            if !f_outer.is_finite() {
                break;
            }
            if f_outer == 0.0 {
                return Some((outer, outer, 0.0));
            }
            if (f_outer > 0.0) != (f_inner > 0.0) {
                return Some(if downward {
                    (outer, inner, f_outer)
                } else {
                    (inner, outer, f_inner)
                });
            }
            inner = outer;
            f_inner = f_outer;
        }
    }
    None
}
