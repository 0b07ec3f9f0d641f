//! The cost engine: repayment schedules, fees, subsidies and the annualized rate (年化利率).
//!
//! Owns: turning a loan's terms (amount, rate, term, repayment method and frequency, day
//! count, rounding) into a schedule in integer fen; the fees and subsidies that sit beside
//! the contract cost; and the APR as the IRR of the borrower's own cash flows.
//! Must never: do I/O, read a clock, panic or overflow on any input (every input is
//! validated first and every failure is a [`CostError`]), or mix subsidies into the
//! contract cost (contract cost and net cost after subsidy are always kept apart).
//!
//! # Rules (the spec of `huoshui calc`)
//! - Integer fen throughout. Interest of a period = opening balance × annual rate × period
//!   months / 12 (月利率 = 年利率 / 12), rounded once by [`LoanTerms::rounding`]
//!   (half-up by default), see [`interest_for_months`](crate::domain::money::interest_for_months).
//! - Equal installments: the annuity of the amortizing periods (computed once in `f64`, then
//!   rounded to the fen); equal principal: amount / periods, rounded. A principal is never
//!   above the balance left, and the LAST period absorbs the residue, so the principal
//!   column sums exactly to the amount.
//! - Grace months pay interest only, then the chosen [`Amortization`] runs over the rest.
//! - Interest-first pays interest each period and the principal with the last.
//! - The bullet pays simple interest for the whole term (amount × rate × months / 12) in
//!   one payment at maturity, whatever the frequency says.
//! - [`Frequency`] sets the payment interval; when the term is not a multiple of it, the
//!   last period is shorter and its rate is annual × its months / 12.
//! - Revolving lines (随借随还) charge daily interest on the amount drawn with the
//!   [`DayCount`]; a month is [`DAYS_PER_MONTH`] = 30 days (the PBoC convention
//!   日利率 = 年利率 / 360, 月 = 30 天). Interest is settled at the end of every payment
//!   interval (结息) on the days drawn in it; to keep the total exact, each period's interest
//!   is the rounded cumulative accrual minus the rounded accrual before it, so the total is
//!   the whole accrual rounded once. A draw's principal is booked in the period its last
//!   day falls in (the APR counts it on that very day); the line's schedule ends with the
//!   last repayment.
//! - Fees (see [`FeeTerms`]) are paid at disbursement (t = 0): the fixed upfront fee, the
//!   upfront fee in ppm of the amount, and the guarantee fee for the whole term
//!   (amount × guarantee ppm per year × months / 12, paid upfront).
//! - Subsidies (see [`SubsidyTerms`]) are refunds after the fact, "if repaid on time": they
//!   never enter the schedule or the APR, only [`CostSummary::net_cost`].
//! - APR = IRR of the borrower's flows (+amount − fees at t = 0, then −each payment),
//!   measured in payment intervals: nominal = periodic IRR × periods per year, effective =
//!   (1 + periodic)^(periods per year) − 1. A short last period (a fraction φ of an
//!   interval) is discounted by simple interest over φ, (1 + r)^(−k) / (1 + φ·r) (the
//!   odd-period rule of the US Regulation Z actuarial method), matching how its interest
//!   is charged (annual × its months / 12). A revolving line's explicit draws and
//!   repayments count on their own days, at (1 + r)^(−t) with t in (fractional) intervals.
//!   A fee-free loan's nominal APR equals its contract rate up to fen rounding.

mod error;
mod irr;
mod revolving;
mod schedule;

use crate::domain::money::{Fen, PPM_ONE, RatePpm, Rounding};
use serde::{Deserialize, Serialize};

pub use error::CostError;
pub use irr::irr;

/// Days in a month for daily interest (the PBoC convention: 月 = 30 天, 年 = 360 天).
pub const DAYS_PER_MONTH: u32 = 30;
/// The largest amount the engine accepts: 100,000,000 yuan (1 亿元) in fen.
pub const MAX_AMOUNT: Fen = 10_000_000_000;
/// The longest term: 360 months (30 years).
pub const MAX_MONTHS: u32 = 360;
/// The highest annual rate accepted: 36 % (the legal ceiling for private lending).
pub const MAX_RATE: RatePpm = 360_000;

/// How the amortizing part of a grace-then-amortize loan repays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amortization {
    /// 等额本息: the same payment every period.
    EqualInstallment,
    /// 等额本金: the same principal every period, interest on the balance.
    EqualPrincipal,
}

/// The repayment method (还款方式).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Method {
    /// 等额本息: equal installments (annuity).
    EqualInstallment,
    /// 等额本金: equal principal.
    EqualPrincipal,
    /// 先息后本: interest every period, the principal with the last.
    InterestFirst,
    /// 到期一次还本付息: simple interest for the whole term, one payment at maturity.
    Bullet,
    /// Interest only for `grace_months` (a whole number of payment intervals), then `then`
    /// over the remaining periods (the pear loan: 36 months, then equal principal).
    GraceThenAmortize {
        /// Months of interest only; less than the term, a multiple of the payment interval.
        grace_months: u32,
        /// How the rest is repaid.
        then: Amortization,
    },
    /// 随借随还: a revolving line with daily interest on the amount drawn, costed for a
    /// stated drawing pattern. The loan amount is the credit limit.
    Revolving {
        /// What is drawn, when, and for how long.
        drawing: DrawingPattern,
    },
}

/// How a revolving line is used, for costing it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DrawingPattern {
    /// The whole limit drawn on day 0 and held for the whole term (months × 30 days).
    /// The market's default.
    WholeTerm,
    /// The whole limit drawn on day 0 and repaid after `days` days (within the term).
    WholeForDays {
        /// Days held, 1 ..= months × 30.
        days: u32,
    },
    /// Explicit draws; at no time may the amount outstanding exceed the limit.
    Draws {
        /// The draws, in any order.
        draws: Vec<Draw>,
    },
}

/// One draw on a revolving line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Draw {
    /// Amount drawn, fen (> 0).
    pub amount: Fen,
    /// Day it is drawn, counted from day 0 = the line's start.
    pub start_day: u32,
    /// Days it is held before repayment (> 0); it must be repaid within the term.
    pub days: u32,
}

/// How often a payment falls due (还款频率).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every month (按月).
    #[default]
    Monthly,
    /// Every 3 months (按季).
    Quarterly,
    /// Every 12 months (按年).
    Yearly,
    /// Once, at maturity (到期).
    AtMaturity,
}

impl Frequency {
    /// Months between payments for a loan of `term_months` (the whole term for `AtMaturity`,
    /// never more than the term).
    pub fn interval_months(self, term_months: u32) -> u32 {
        let m = match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Yearly => 12,
            Frequency::AtMaturity => term_months,
        };
        m.min(term_months).max(1)
    }
}

/// The day count of daily interest (计息基准).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Daily rate = annual / 360 (the PBoC convention).
    #[default]
    Act360,
    /// Daily rate = annual / 365.
    Act365,
}

impl DayCount {
    /// Days in the year of this count: 360 or 365.
    pub fn basis(self) -> u32 {
        match self {
            DayCount::Act360 => 360,
            DayCount::Act365 => 365,
        }
    }
}

/// Everything that fixes a loan's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LoanTerms {
    /// The amount lent (the credit limit for a revolving line), fen: 1 ..= [`MAX_AMOUNT`].
    pub amount: Fen,
    /// The annual contract rate, ppm: 0 ..= [`MAX_RATE`].
    pub annual_rate: RatePpm,
    /// The term in months: 1 ..= [`MAX_MONTHS`].
    pub months: u32,
    /// The repayment method.
    pub method: Method,
    /// How often a payment falls due.
    pub frequency: Frequency,
    /// The day count for daily interest (used by revolving lines).
    pub day_count: DayCount,
    /// How every amount is rounded to the fen.
    pub rounding: Rounding,
}

impl LoanTerms {
    /// Terms with monthly payments, the 360-day count and half-up rounding.
    pub fn new(amount: Fen, annual_rate: RatePpm, months: u32, method: Method) -> Self {
        LoanTerms {
            amount,
            annual_rate,
            months,
            method,
            frequency: Frequency::Monthly,
            day_count: DayCount::Act360,
            rounding: Rounding::HalfUp,
        }
    }

    /// The same terms with another payment frequency.
    pub fn with_frequency(mut self, frequency: Frequency) -> Self {
        self.frequency = frequency;
        self
    }

    /// The same terms with another day count.
    pub fn with_day_count(mut self, day_count: DayCount) -> Self {
        self.day_count = day_count;
        self
    }

    /// The payment interval in months that the schedule uses (the whole term for a bullet).
    pub fn interval_months(&self) -> u32 {
        match self.method {
            Method::Bullet => self.months.max(1),
            _ => self.frequency.interval_months(self.months),
        }
    }
}

/// One row of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Period {
    /// 期数, from 1.
    pub n: u32,
    /// 还款月: the month the payment falls due, counted from the start (1 = one month in).
    pub due_month: u32,
    /// The day the payment falls due, counted from day 0 at 30 days a month
    /// (`due_month × 30`, or the last repayment day of a revolving line).
    pub due_day: u32,
    /// Principal repaid, fen.
    pub principal: Fen,
    /// Interest paid, fen.
    pub interest: Fen,
    /// principal + interest, fen.
    pub payment: Fen,
    /// Principal outstanding after this payment, fen (never negative).
    pub balance: Fen,
}

/// Money handed to the borrower: the loan at day 0, or a revolving line's draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Advance {
    /// Day it is paid out, counted from day 0.
    pub day: u32,
    /// Amount, fen.
    pub amount: Fen,
}

/// A repayment schedule with its totals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Schedule {
    /// The rows, in order.
    pub periods: Vec<Period>,
    /// The money paid out to the borrower (one advance at day 0 unless revolving).
    pub advances: Vec<Advance>,
    /// A revolving line's principal repayments on the days they happen (each draw's last
    /// day), for the APR; empty for the other methods, whose principal is paid on the due
    /// days. The principal column still books each repayment in its settlement period.
    pub repayments: Vec<Advance>,
    /// The payment interval in months (the unit of the APR).
    pub interval_months: u32,
    /// Sum of the principal column (= the amount, or the total drawn on a revolving line).
    pub total_principal: Fen,
    /// Sum of the interest column.
    pub total_interest: Fen,
    /// Sum of the payment column.
    pub total_paid: Fen,
}

impl Schedule {
    /// The first payment (0 for an empty schedule).
    pub fn first_payment(&self) -> Fen {
        self.periods.first().map_or(0, |p| p.payment)
    }

    /// The largest payment (0 for an empty schedule).
    pub fn largest_payment(&self) -> Fen {
        self.periods.iter().map(|p| p.payment).max().unwrap_or(0)
    }

    /// Payment intervals per year (12 / interval months).
    pub fn periods_per_year(&self) -> f64 {
        12.0 / f64::from(self.interval_months.max(1))
    }
}

/// Fees paid beside the interest. All are paid at disbursement (t = 0) and enter the APR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct FeeTerms {
    /// A fixed upfront fee, fen (手续费).
    pub upfront_fee: Fen,
    /// An upfront fee in ppm of the amount (e.g. 5_000 = 0.5 %), rounded once.
    pub upfront_fee_ppm: RatePpm,
    /// The guarantee fee (担保费) in ppm of the amount per year, charged for the whole term
    /// (amount × ppm × months / 12, rounded once) and paid upfront.
    pub guarantee_fee_ppm_per_year: RatePpm,
}

/// Government subsidies, refunded after the fact if the loan is repaid on time. They reduce
/// the net cost only, never the contract cost, the schedule or the APR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct SubsidyTerms {
    /// 贴息: an annual rate in ppm refunded on the interest, capped at the contract rate
    /// (so never more than the interest actually paid): the interest of the periods inside
    /// the subsidy window (a period straddling its end counted pro rata by days) ×
    /// min(subsidy, rate) / rate, rounded once for the whole loan.
    pub interest_subsidy_ppm_per_year: RatePpm,
    /// The subsidy window from the start, months; `None` = the whole term.
    pub interest_subsidy_max_months: Option<u32>,
    /// The share of the guarantee fee refunded, ppm (500_000 = half, 1_000_000 = all).
    pub guarantee_fee_subsidy_ppm: RatePpm,
}

/// The annualized rate (年化利率) as the IRR of the borrower's cash flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Apr {
    /// Periodic IRR × periods per year, ppm (rounded half-up). The figure lenders display.
    pub nominal_ppm: RatePpm,
    /// (1 + periodic IRR)^(periods per year) − 1, ppm (rounded half-up).
    pub effective_ppm: RatePpm,
}

impl Apr {
    /// The nominal APR in percent (4.35 for 4.35 %).
    pub fn nominal_percent(&self) -> f64 {
        ppm_to_percent(self.nominal_ppm)
    }

    /// The effective annual rate in percent.
    pub fn effective_percent(&self) -> f64 {
        ppm_to_percent(self.effective_ppm)
    }
}

#[allow(clippy::cast_precision_loss)]
fn ppm_to_percent(ppm: RatePpm) -> f64 {
    ppm as f64 / 10_000.0
}

/// The numbers of an offer's cost, without the schedule (cheap to copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct CostSummary {
    /// Total interest of the schedule, fen.
    pub total_interest: Fen,
    /// Upfront fees (fixed + ppm of the amount), fen.
    pub upfront_fee: Fen,
    /// Guarantee fee for the whole term, fen.
    pub guarantee_fee: Fen,
    /// All fees: upfront + guarantee, fen.
    pub fees: Fen,
    /// Contract cost = interest + fees, fen (合同成本).
    pub contract_cost: Fen,
    /// Interest subsidy (贴息) if repaid on time, fen.
    pub interest_subsidy: Fen,
    /// Guarantee-fee subsidy, fen.
    pub fee_subsidy: Fen,
    /// Net cost = contract cost − subsidies, "if repaid on time", fen (贴息后净成本).
    pub net_cost: Fen,
    /// The first payment, fen.
    pub first_payment: Fen,
    /// The largest payment, fen.
    pub largest_payment: Fen,
    /// Everything repaid by the schedule (principal + interest), fen.
    pub total_paid: Fen,
    /// The annualized rate including the fees.
    pub apr: Apr,
}

/// A schedule with its cost.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct CostBreakdown {
    /// The repayment schedule.
    pub schedule: Schedule,
    /// Its cost, fees, subsidies and APR.
    pub summary: CostSummary,
}

/// A cash flow for [`irr`]: `amount` (positive = to the borrower) at time `at`, in periods.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct CashFlow {
    /// Time in periods from the start (may be fractional).
    pub at: f64,
    /// Amount, any unit (positive in, negative out).
    pub amount: f64,
}

/// The repayment schedule of `terms`.
pub fn schedule(terms: &LoanTerms) -> Result<Schedule, CostError> {
    let mut out = Schedule::default();
    schedule_into(terms, &mut out)?;
    Ok(out)
}

/// The repayment schedule of `terms`, written into `out` (its buffers are reused; a caller
/// costing many products keeps one `Schedule` and avoids allocating).
pub fn schedule_into(terms: &LoanTerms, out: &mut Schedule) -> Result<(), CostError> {
    validate_terms(terms)?;
    out.periods.clear();
    out.advances.clear();
    out.repayments.clear();
    out.interval_months = terms.interval_months();
    match &terms.method {
        Method::Revolving { drawing } => revolving::build(terms, drawing, out)?,
        _ => schedule::build(terms, out),
    }
    let (mut principal, mut interest) = (0, 0);
    for p in &out.periods {
        principal += p.principal;
        interest += p.interest;
    }
    out.total_principal = principal;
    out.total_interest = interest;
    out.total_paid = principal + interest;
    Ok(())
}

/// The full cost of a loan: schedule, fees, subsidies, net cost and APR.
pub fn cost(
    terms: &LoanTerms,
    fees: &FeeTerms,
    subsidies: &SubsidyTerms,
) -> Result<CostBreakdown, CostError> {
    let mut schedule = Schedule::default();
    let summary = cost_into(terms, fees, subsidies, &mut schedule)?;
    Ok(CostBreakdown { schedule, summary })
}

/// [`cost`] writing the schedule into a reused buffer and returning only the numbers.
pub fn cost_into(
    terms: &LoanTerms,
    fees: &FeeTerms,
    subsidies: &SubsidyTerms,
    schedule: &mut Schedule,
) -> Result<CostSummary, CostError> {
    validate_fees(fees, subsidies)?;
    schedule_into(terms, schedule)?;
    let r = terms.rounding;
    let upfront_share = mul_div(terms.amount, fees.upfront_fee_ppm, 1, PPM_ONE, r);
    let upfront = fees.upfront_fee.saturating_add(upfront_share);
    let guarantee = mul_div(
        terms.amount,
        fees.guarantee_fee_ppm_per_year,
        i64::from(terms.months),
        PPM_ONE * 12,
        r,
    );
    let all_fees = upfront.saturating_add(guarantee);
    let contract_cost = schedule.total_interest.saturating_add(all_fees);
    let interest_subsidy = interest_subsidy(terms, schedule, subsidies);
    let fee_subsidy = mul_div(
        guarantee,
        subsidies.guarantee_fee_subsidy_ppm,
        1,
        PPM_ONE,
        r,
    );
    let apr = apr(schedule, all_fees, terms.annual_rate)?;
    Ok(CostSummary {
        total_interest: schedule.total_interest,
        upfront_fee: upfront,
        guarantee_fee: guarantee,
        fees: all_fees,
        contract_cost,
        interest_subsidy,
        fee_subsidy,
        net_cost: contract_cost
            .saturating_sub(interest_subsidy)
            .saturating_sub(fee_subsidy),
        first_payment: schedule.first_payment(),
        largest_payment: schedule.largest_payment(),
        total_paid: schedule.total_paid,
        apr,
    })
}

/// The APR of a schedule when `fees_at_start` fen are paid at disbursement.
/// `rate_hint` (the contract rate, ppm) only speeds up the search.
pub fn apr(schedule: &Schedule, fees_at_start: Fen, rate_hint: RatePpm) -> Result<Apr, CostError> {
    let periodic = irr::schedule_irr(schedule, fees_at_start, rate_hint)?;
    let ppy = schedule.periods_per_year();
    let nominal = periodic * ppy;
    // Monthly, quarterly and yearly intervals give whole periods per year: the integer power
    // is several times faster than `powf` and the market computes this for every offer.
    let growth = if 12 % schedule.interval_months.max(1) == 0 {
        (1.0 + periodic).powi((12 / schedule.interval_months.max(1)).cast_signed())
    } else {
        (1.0 + periodic).powf(ppy)
    };
    let effective = growth - 1.0;
    Ok(Apr {
        nominal_ppm: f64_to_ppm(nominal)?,
        effective_ppm: f64_to_ppm(effective)?,
    })
}

#[allow(clippy::cast_possible_truncation)]
fn f64_to_ppm(x: f64) -> Result<RatePpm, CostError> {
    let ppm = (x * 1_000_000.0).round();
    if !ppm.is_finite() || ppm.abs() > 1e15 {
        return Err(CostError::AprUndefined);
    }
    Ok(ppm as RatePpm)
}

/// a × b × c / d rounded by `rounding`, for factors ≥ 0 and d > 0: in `u64` when the
/// product fits (always, for validated amounts and ppm; the i128 division costs more than
/// the rest of a short loan), else by the `i128` money helper. 0 when d is not positive.
pub(super) fn mul_div(a: i64, b: i64, c: i64, d: i64, rounding: Rounding) -> Fen {
    let factors = (
        u64::try_from(a),
        u64::try_from(b),
        u64::try_from(c),
        u64::try_from(d),
    );
    if let (Ok(a), Ok(b), Ok(c), Ok(d)) = factors
        && let Some(n) = a.checked_mul(b).and_then(|ab| ab.checked_mul(c))
    {
        if d == 0 {
            return 0;
        }
        let (q, rem) = (n / d, n % d);
        let up = match rounding {
            Rounding::Down => false,
            Rounding::Up => rem != 0,
            Rounding::HalfUp => rem >= d - rem,
        };
        return Fen::try_from(q + u64::from(up)).unwrap_or(Fen::MAX);
    }
    let n = i128::from(a) * i128::from(b) * i128::from(c);
    clamp(rounding.div(n, i128::from(d)))
}

fn clamp(v: i128) -> Fen {
    crate::domain::money::clamp_i64(v)
}

fn validate_terms(terms: &LoanTerms) -> Result<(), CostError> {
    if terms.amount < 1 || terms.amount > MAX_AMOUNT {
        return Err(CostError::AmountOutOfRange {
            amount: terms.amount,
        });
    }
    if terms.months < 1 || terms.months > MAX_MONTHS {
        return Err(CostError::TermOutOfRange {
            months: terms.months,
        });
    }
    if terms.annual_rate < 0 || terms.annual_rate > MAX_RATE {
        return Err(CostError::RateOutOfRange {
            rate_ppm: terms.annual_rate,
        });
    }
    if let Method::GraceThenAmortize { grace_months, .. } = terms.method {
        if grace_months >= terms.months {
            return Err(CostError::GraceTooLong {
                grace_months,
                months: terms.months,
            });
        }
        let interval = terms.interval_months();
        if grace_months % interval != 0 {
            return Err(CostError::GraceNotWholePeriods {
                grace_months,
                interval_months: interval,
            });
        }
    }
    Ok(())
}

fn validate_fees(fees: &FeeTerms, subsidies: &SubsidyTerms) -> Result<(), CostError> {
    let checks: [(&'static str, i64, i64); 5] = [
        ("upfront_fee", fees.upfront_fee, MAX_AMOUNT),
        ("upfront_fee_ppm", fees.upfront_fee_ppm, PPM_ONE),
        (
            "guarantee_fee_ppm_per_year",
            fees.guarantee_fee_ppm_per_year,
            PPM_ONE,
        ),
        (
            "interest_subsidy_ppm_per_year",
            subsidies.interest_subsidy_ppm_per_year,
            PPM_ONE,
        ),
        (
            "guarantee_fee_subsidy_ppm",
            subsidies.guarantee_fee_subsidy_ppm,
            PPM_ONE,
        ),
    ];
    for (field, value, max) in checks {
        if value < 0 || value > max {
            return Err(CostError::FeeOutOfRange { field });
        }
    }
    Ok(())
}

/// 贴息 of a schedule: the interest of the periods inside the subsidy window (a straddling
/// period counted pro rata by days) × min(subsidy, rate) / rate, rounded once; never above
/// the interest paid.
fn interest_subsidy(terms: &LoanTerms, schedule: &Schedule, subsidies: &SubsidyTerms) -> Fen {
    let sub = subsidies
        .interest_subsidy_ppm_per_year
        .min(terms.annual_rate);
    if sub <= 0 || terms.annual_rate <= 0 {
        return 0;
    }
    let window_days = subsidies
        .interest_subsidy_max_months
        .map_or(u32::MAX, |m| m.saturating_mul(DAYS_PER_MONTH));
    // Interest fully inside the window, plus one straddling period as (interest × inside, len).
    let mut inside_interest: i128 = 0;
    let mut straddle: (i128, i128) = (0, 1);
    let mut start_day = 0u32;
    for p in &schedule.periods {
        let end_day = p.due_day.max(start_day);
        if end_day <= window_days {
            inside_interest += i128::from(p.interest);
        } else if start_day < window_days {
            let inside = i128::from(window_days - start_day);
            straddle = (
                i128::from(p.interest) * inside,
                i128::from(end_day - start_day),
            );
        }
        start_day = end_day;
    }
    let (part, len) = straddle;
    let numerator = (inside_interest * len + part) * i128::from(sub);
    let subsidy = clamp(
        terms
            .rounding
            .div(numerator, i128::from(terms.annual_rate) * len),
    );
    subsidy.clamp(0, schedule.total_interest.max(0))
}
