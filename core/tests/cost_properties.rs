#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Properties of the cost engine, over random terms (proptest): the principal always sums
//! to the amount, balances never go negative, a fee-free APR is the contract rate up to fen
//! rounding, an upfront fee always raises the APR, the IRR solver round-trips, and no input
//! makes the engine panic or leak a NaN.

use huoshui_core::domain::cost::{
    self, Amortization, CashFlow, DayCount, Draw, DrawingPattern, FeeTerms, Frequency, LoanTerms,
    MAX_AMOUNT, MAX_MONTHS, MAX_RATE, Method, Schedule, SubsidyTerms,
};
use huoshui_core::domain::money::Rounding;
use proptest::prelude::*;

fn frequency() -> impl Strategy<Value = Frequency> {
    prop_oneof![
        Just(Frequency::Monthly),
        Just(Frequency::Quarterly),
        Just(Frequency::Yearly),
        Just(Frequency::AtMaturity)
    ]
}

fn amount() -> impl Strategy<Value = i64> {
    // Small, typical and huge amounts all get their share.
    prop_oneof![
        1i64..10_000,
        10_000i64..100_000_000,
        100_000_000i64..=MAX_AMOUNT
    ]
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![
        Just(Rounding::HalfUp),
        Just(Rounding::Down),
        Just(Rounding::Up)
    ]
}

/// Valid amortizing terms: any method (grace a whole number of intervals below the term).
fn amortizing_terms() -> impl Strategy<Value = LoanTerms> {
    (
        amount(),
        0..=MAX_RATE,
        1..=MAX_MONTHS,
        frequency(),
        0u32..8,
        0u32..400,
        rounding(),
    )
        .prop_map(
            |(amount, rate, months, frequency, kind, grace_pick, rounding)| {
                let interval = frequency.interval_months(months);
                let grace_periods = months.div_ceil(interval).saturating_sub(1);
                let grace = if grace_periods == 0 {
                    0
                } else {
                    (grace_pick % (grace_periods + 1)) * interval
                };
                let method = match kind {
                    0 => Method::EqualInstallment,
                    1 => Method::EqualPrincipal,
                    2 => Method::InterestFirst,
                    3 => Method::Bullet,
                    4 | 5 => Method::GraceThenAmortize {
                        grace_months: grace,
                        then: Amortization::EqualPrincipal,
                    },
                    _ => Method::GraceThenAmortize {
                        grace_months: grace,
                        then: Amortization::EqualInstallment,
                    },
                };
                let mut t = LoanTerms::new(amount, rate, months, method).with_frequency(frequency);
                t.rounding = rounding;
                t
            },
        )
}

/// Valid revolving terms with up to 6 draws that never exceed the limit together
/// (each draw at most a sixth of it).
fn revolving_terms() -> impl Strategy<Value = LoanTerms> {
    (
        amount().prop_map(|a| a.max(6)),
        0..=MAX_RATE,
        1u32..=60,
        frequency(),
        prop::collection::vec((1u32..=1_000_000, 0u32..=10_000, 1u32..=10_000), 1..6),
        any::<bool>(),
    )
        .prop_map(|(limit, rate, months, frequency, raw, act365)| {
            let term_days = months * 30;
            let draws = raw
                .into_iter()
                .map(|(share, start, days)| {
                    let start_day = start % term_days;
                    let days = 1 + days % (term_days - start_day);
                    Draw {
                        amount: (limit / 6 * i64::from(share) / 1_000_000).max(1),
                        start_day,
                        days,
                    }
                })
                .collect();
            let day_count = if act365 {
                DayCount::Act365
            } else {
                DayCount::Act360
            };
            LoanTerms::new(
                limit,
                rate,
                months,
                Method::Revolving {
                    drawing: DrawingPattern::Draws { draws },
                },
            )
            .with_frequency(frequency)
            .with_day_count(day_count)
        })
}

fn check_rows(s: &Schedule) -> Result<(), TestCaseError> {
    let mut last_due = 0;
    for p in &s.periods {
        prop_assert!(p.balance >= 0, "negative balance in period {}", p.n);
        prop_assert!(
            p.principal >= 0 && p.interest >= 0,
            "negative column in period {}",
            p.n
        );
        prop_assert_eq!(p.payment, p.principal + p.interest);
        prop_assert!(p.due_day >= last_due, "due days go backwards");
        last_due = p.due_day;
    }
    prop_assert_eq!(
        s.total_principal,
        s.periods.iter().map(|p| p.principal).sum::<i64>()
    );
    prop_assert_eq!(s.total_paid, s.total_principal + s.total_interest);
    prop_assert_eq!(s.periods.last().map(|p| p.balance), Some(0));
    Ok(())
}

/// The bound on |APR − rate| that fen rounding allows. The APR is the mean of each
/// period's own rate interest_k / (B_(k−1) · φ_k) (φ_k = the period's share of a full
/// interval), weighted by B_(k−1) · φ_k and the discount; each is off by at most
/// `fen_error` / (B_(k−1) · φ_k), so the mean is off by at most fen_error · m / Σ B_(k−1) · φ_k
/// per interval (m periods with a balance; balances only fall, so the discount weights
/// cannot make it worse). ×periods per year, in ppm, plus 1 ppm of display rounding.
fn rounding_tolerance_ppm(s: &Schedule, amount: i64, fen_error: f64) -> f64 {
    let interval_days = f64::from(s.interval_months * 30);
    let mut opening = amount;
    let mut last_day = 0;
    let mut weight = 0.0;
    let mut m = 0.0;
    for p in &s.periods {
        if opening > 0 {
            weight += opening as f64 * f64::from(p.due_day - last_day) / interval_days;
            m += 1.0;
        }
        opening = p.balance;
        last_day = p.due_day;
    }
    s.periods_per_year() * 1e6 * fen_error * m / weight.max(1e-9) + 1.0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn principal_always_sums_to_the_amount(terms in amortizing_terms()) {
        let s = cost::schedule(&terms).unwrap();
        prop_assert_eq!(s.total_principal, terms.amount);
        prop_assert_eq!(s.periods.len() as u32, if terms.method == Method::Bullet { 1 } else { terms.months.div_ceil(terms.frequency.interval_months(terms.months)) });
        prop_assert_eq!(s.periods.last().map(|p| p.due_month), Some(terms.months));
        check_rows(&s)?;
        if let Method::GraceThenAmortize { grace_months, .. } = terms.method {
            for p in s.periods.iter().filter(|p| p.due_month <= grace_months) {
                prop_assert_eq!(p.principal, 0, "principal paid in grace period {}", p.n);
            }
        }
    }

    #[test]
    fn revolving_lines_repay_every_draw_and_never_go_negative(terms in revolving_terms()) {
        let b = cost::cost(&terms, &FeeTerms::default(), &SubsidyTerms::default()).unwrap();
        let s = &b.schedule;
        let Method::Revolving { drawing: DrawingPattern::Draws { draws } } = &terms.method else { unreachable!() };
        prop_assert_eq!(s.total_principal, draws.iter().map(|d| d.amount).sum::<i64>());
        check_rows(s)?;
        // Total interest = Σ amount × days × rate / basis, rounded once.
        let basis = i128::from(terms.day_count.basis());
        let fen_days: i128 = draws.iter().map(|d| i128::from(d.amount) * i128::from(d.days)).sum();
        let exact = fen_days * i128::from(terms.annual_rate);
        let den = 1_000_000 * basis;
        let expected = (2 * exact + den) / (2 * den);
        prop_assert_eq!(i128::from(s.total_interest), expected);
        // Interest is paid at the settlement after it accrues, so the APR is at most the
        // rate, up to compounding inside a period (simple interest i over a period is worth
        // at most e^i − 1 compounded) and each settlement's rounding (≤ 1 fen each).
        let periodic = terms.annual_rate as f64 / 1e6 * f64::from(s.interval_months) / 12.0;
        let fen_periods = fen_days as f64 / (f64::from(s.interval_months) * 30.0);
        let rounding = s.periods_per_year() * 1e6 * s.periods.len() as f64 / fen_periods + 1.0;
        let ceiling = periodic.exp_m1() * s.periods_per_year() * 1e6 + rounding;
        // (The rounding term is a first-order bound: it holds while a fen is small against
        // a draw, so it is checked for draws of 1,000 yuan or more.)
        let sizeable = draws.iter().all(|d| d.amount >= 100_000);
        prop_assert!(!sizeable || (b.summary.apr.nominal_ppm as f64) <= ceiling, "APR {} above {ceiling}", b.summary.apr.nominal_ppm);
    }

    #[test]
    fn apr_without_fees_is_the_contract_rate(terms in amortizing_terms()) {
        let mut terms = terms;
        terms.rounding = Rounding::HalfUp;
        let b = cost::cost(&terms, &FeeTerms::default(), &SubsidyTerms::default()).unwrap();
        let tolerance = rounding_tolerance_ppm(&b.schedule, terms.amount, 0.5);
        let diff = (b.summary.apr.nominal_ppm - terms.annual_rate).abs() as f64;
        prop_assert!(diff <= tolerance, "APR {} vs rate {} (tolerance {tolerance} ppm)", b.summary.apr.nominal_ppm, terms.annual_rate);
    }

    #[test]
    fn a_line_drawn_whole_costs_its_rate_at_360_days_and_less_at_365(
        limit in 1_000_000i64..=MAX_AMOUNT, rate in 0..=MAX_RATE, months in 1u32..=120, f in frequency(), act365 in any::<bool>()
    ) {
        let day_count = if act365 { DayCount::Act365 } else { DayCount::Act360 };
        let terms = LoanTerms::new(limit, rate, months, Method::Revolving { drawing: DrawingPattern::WholeTerm })
            .with_frequency(f)
            .with_day_count(day_count);
        let b = cost::cost(&terms, &FeeTerms::default(), &SubsidyTerms::default()).unwrap();
        let tolerance = rounding_tolerance_ppm(&b.schedule, limit, 1.0);
        let apr = b.summary.apr.nominal_ppm;
        if act365 {
            prop_assert!(apr as f64 <= rate as f64 + tolerance, "APR {apr} above rate {rate}");
        } else {
            prop_assert!((apr - rate).abs() as f64 <= tolerance, "APR {apr} vs rate {rate}");
        }
    }

    #[test]
    fn an_upfront_fee_always_raises_the_apr(terms in amortizing_terms(), share in 1_000i64..=500_000) {
        // A fee of at least 0.1 % of the amount (smaller ones may vanish in the ppm rounding).
        prop_assume!(terms.amount >= 1_000);
        let fee = (i128::from(terms.amount) * i128::from(share) / 1_000_000) as i64;
        prop_assume!(fee * 1_000 >= terms.amount);
        let plain = cost::cost(&terms, &FeeTerms::default(), &SubsidyTerms::default()).unwrap();
        let fees = FeeTerms { upfront_fee: fee, ..FeeTerms::default() };
        let charged = cost::cost(&terms, &fees, &SubsidyTerms::default()).unwrap();
        prop_assert!(charged.summary.apr.nominal_ppm > plain.summary.apr.nominal_ppm);
        prop_assert!(charged.summary.apr.effective_ppm > plain.summary.apr.effective_ppm);
        prop_assert_eq!(charged.summary.contract_cost, plain.summary.contract_cost + fee);
    }

    #[test]
    fn the_irr_solver_round_trips(
        rate in 0.0f64..0.5,
        payments in prop::collection::vec(1.0f64..1_000_000.0, 1..120),
        stub in prop_oneof![Just(0.0f64), 0.01f64..0.99],
    ) {
        // Build flows whose IRR is `rate` by construction: the advance is the present value.
        let n = payments.len();
        let mut flows = Vec::with_capacity(n + 1);
        let mut present = 0.0;
        for (k, pay) in payments.iter().enumerate() {
            // The last one possibly a fraction of a period after the one before.
            let at = if k + 1 == n && stub > 0.0 { k as f64 + stub } else { k as f64 + 1.0 };
            present += pay / (1.0 + rate).powf(at);
            flows.push(CashFlow { at, amount: -pay });
        }
        flows.push(CashFlow { at: 0.0, amount: present });
        let found = cost::irr(&flows).unwrap();
        prop_assert!((found - rate).abs() <= 1e-9 * (1.0 + rate), "found {found}, built {rate}");
    }

    #[test]
    fn the_irr_solver_never_panics_or_returns_nan(
        flows in prop::collection::vec((0.0f64..400.0, -1e12f64..1e12), 0..50)
    ) {
        let flows: Vec<CashFlow> = flows.into_iter().map(|(at, amount)| CashFlow { at, amount }).collect();
        if let Ok(r) = cost::irr(&flows) {
            prop_assert!(r.is_finite());
        }
    }

    #[test]
    fn any_input_is_a_schedule_or_a_typed_error(
        amount in any::<i64>(), rate in any::<i64>(), months in any::<u32>(), grace in any::<u32>(),
        f in frequency(), days in any::<u32>(), fee in any::<i64>(), fee_ppm in any::<i64>()
    ) {
        let methods = [
            Method::EqualInstallment,
            Method::GraceThenAmortize { grace_months: grace, then: Amortization::EqualInstallment },
            Method::Revolving { drawing: DrawingPattern::WholeForDays { days } },
            Method::Revolving { drawing: DrawingPattern::Draws { draws: vec![Draw { amount, start_day: days, days }] } },
        ];
        for method in methods {
            let terms = LoanTerms::new(amount, rate, months, method).with_frequency(f);
            let fees = FeeTerms { upfront_fee: fee, upfront_fee_ppm: fee_ppm, guarantee_fee_ppm_per_year: 0 };
            match cost::cost(&terms, &fees, &SubsidyTerms::default()) {
                Ok(b) => {
                    prop_assert!(b.schedule.periods.iter().all(|p| p.balance >= 0));
                }
                Err(e) => {
                    prop_assert!(!e.message_zh().is_empty() && !e.message_en().is_empty() && e.message_zh() != e.message_en());
                }
            }
        }
    }
}
