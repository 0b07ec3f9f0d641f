#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The cost engine stated as product facts of the county's loans (DESIGN §1, §4).

use huoshui_core::domain::cost::{
    self, Amortization, CostError, DayCount, Draw, DrawingPattern, FeeTerms, Frequency, LoanTerms,
    Method, Schedule, SubsidyTerms,
};

fn pear_loan(amount: i64, rate: i64) -> LoanTerms {
    LoanTerms::new(
        amount,
        rate,
        60,
        Method::GraceThenAmortize {
            grace_months: 36,
            then: Amortization::EqualPrincipal,
        },
    )
}

#[test]
fn pear_loan_pays_no_principal_for_three_years() {
    // 酥梨贷: the village head's 500,000 yuan, interest only for 36 months, then equal principal.
    let s = cost::schedule(&pear_loan(50_000_000, 43_500)).unwrap();
    assert_eq!(s.periods.len(), 60);
    let monthly_interest = (500_000.0_f64 * 0.0435 / 12.0 * 100.0).round() as i64;
    for p in &s.periods[..36] {
        assert_eq!(p.principal, 0, "month {}", p.due_month);
        assert_eq!(p.interest, monthly_interest, "month {}", p.due_month);
        assert_eq!(p.balance, 50_000_000);
    }
    let share = (50_000_000.0_f64 / 24.0).round() as i64;
    for p in &s.periods[36..59] {
        assert_eq!(p.principal, share, "month {}", p.due_month);
    }
    assert_eq!(s.total_principal, 50_000_000);
}

#[test]
fn pear_loan_paid_quarterly_still_waits_three_years() {
    let terms = pear_loan(50_000_000, 43_500).with_frequency(Frequency::Quarterly);
    let s = cost::schedule(&terms).unwrap();
    assert_eq!(s.periods.len(), 20);
    assert!(
        s.periods
            .iter()
            .filter(|p| p.due_month <= 36)
            .all(|p| p.principal == 0)
    );
    assert!(
        s.periods
            .iter()
            .filter(|p| p.due_month > 36)
            .all(|p| p.principal > 0)
    );
}

#[test]
fn revolving_line_charges_exactly_ninety_days_of_daily_interest() {
    // 冠之链: 1,000,000 yuan drawn for 90 days at 4.5%.
    let drawing = DrawingPattern::WholeForDays { days: 90 };
    let at_360 = LoanTerms::new(
        100_000_000,
        45_000,
        12,
        Method::Revolving {
            drawing: drawing.clone(),
        },
    );
    let s = cost::schedule(&at_360).unwrap();
    // 100,000,000 fen × 4.5% × 90 / 360 = 1,125,000 fen, no rounding at all.
    assert_eq!(
        s.total_interest,
        100_000_000 * 45_000 * 90 / (1_000_000 * 360)
    );
    assert_eq!(
        s.periods.len(),
        3,
        "the line is settled when the draw is repaid"
    );
    let at_365 = at_360.clone().with_day_count(DayCount::Act365);
    let s = cost::schedule(&at_365).unwrap();
    // 1,109,589.04… fen, rounded half-up once.
    assert_eq!(
        s.total_interest,
        (100_000_000.0_f64 * 0.045 * 90.0 / 365.0).round() as i64
    );
}

#[test]
fn revolving_line_never_costs_more_than_4_5_percent_a_year() {
    for day_count in [DayCount::Act360, DayCount::Act365] {
        for drawing in [
            DrawingPattern::WholeTerm,
            DrawingPattern::WholeForDays { days: 90 },
            DrawingPattern::WholeForDays { days: 45 },
        ] {
            for frequency in [
                Frequency::Monthly,
                Frequency::Quarterly,
                Frequency::AtMaturity,
            ] {
                let terms = LoanTerms::new(
                    100_000_000,
                    45_000,
                    12,
                    Method::Revolving {
                        drawing: drawing.clone(),
                    },
                )
                .with_frequency(frequency)
                .with_day_count(day_count);
                let b = cost::cost(&terms, &FeeTerms::default(), &SubsidyTerms::default()).unwrap();
                assert!(
                    b.summary.apr.nominal_ppm <= 45_000,
                    "{day_count:?} {drawing:?} {frequency:?}: APR {}",
                    b.summary.apr.nominal_ppm
                );
            }
        }
    }
}

#[test]
fn revolving_line_charges_only_for_what_is_drawn_and_when() {
    // 300,000 yuan for 30 days from day 10, then 500,000 yuan for 60 days from day 40: the
    // limit of 500,000 is never exceeded because the first draw is repaid on day 40.
    let draws = vec![
        Draw {
            amount: 30_000_000,
            start_day: 10,
            days: 30,
        },
        Draw {
            amount: 50_000_000,
            start_day: 40,
            days: 60,
        },
    ];
    let terms = LoanTerms::new(
        50_000_000,
        36_000,
        6,
        Method::Revolving {
            drawing: DrawingPattern::Draws { draws },
        },
    );
    let s = cost::schedule(&terms).unwrap();
    let fen_days = 30_000_000i64 * 30 + 50_000_000 * 60;
    assert_eq!(s.total_interest, fen_days * 36_000 / (1_000_000 * 360));
    assert_eq!(s.total_principal, 80_000_000);
    assert_eq!(s.periods.last().unwrap().due_day, 100);
    assert_eq!(s.advances.len(), 2);
}

#[test]
fn revolving_draws_above_the_limit_are_refused() {
    let draws = vec![
        Draw {
            amount: 30_000_000,
            start_day: 0,
            days: 60,
        },
        Draw {
            amount: 30_000_000,
            start_day: 30,
            days: 30,
        },
    ];
    let terms = LoanTerms::new(
        50_000_000,
        36_000,
        6,
        Method::Revolving {
            drawing: DrawingPattern::Draws { draws },
        },
    );
    assert_eq!(
        cost::schedule(&terms),
        Err(CostError::DrawsAboveLimit { day: 30 })
    );
}

#[test]
fn bullet_loan_pays_once() {
    for frequency in [
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Yearly,
        Frequency::AtMaturity,
    ] {
        let terms =
            LoanTerms::new(20_000_000, 50_000, 24, Method::Bullet).with_frequency(frequency);
        let b = cost::cost(&terms, &FeeTerms::default(), &SubsidyTerms::default()).unwrap();
        assert_eq!(b.schedule.periods.len(), 1);
        // 200,000 × 5% × 2 years, simple interest.
        assert_eq!(b.summary.total_interest, 2_000_000);
        assert_eq!(b.summary.first_payment, 22_000_000);
        // One payment after two years: nominal = periodic IRR × ½ = 5 %.
        assert_eq!(b.summary.apr.nominal_ppm, 50_000);
    }
}

#[test]
fn interest_subsidy_never_pays_more_than_the_interest() {
    // A 贴息 above the contract rate refunds the interest, not a cent more.
    let terms = LoanTerms::new(30_000_000, 30_000, 24, Method::EqualInstallment);
    let subsidies = SubsidyTerms {
        interest_subsidy_ppm_per_year: 50_000,
        ..SubsidyTerms::default()
    };
    let b = cost::cost(&terms, &FeeTerms::default(), &subsidies).unwrap();
    assert_eq!(b.summary.interest_subsidy, b.summary.total_interest);
    assert_eq!(b.summary.net_cost, 0);
    assert_eq!(b.summary.contract_cost, b.summary.total_interest);
}

#[test]
fn government_guaranteed_loan_shows_contract_and_net_cost_apart() {
    // 500,000 yuan, 12 months, 3.45%, guarantee fee 0.5% a year fully refunded by the county fund.
    let terms = LoanTerms::new(50_000_000, 34_500, 12, Method::InterestFirst);
    let fees = FeeTerms {
        guarantee_fee_ppm_per_year: 5_000,
        ..FeeTerms::default()
    };
    let subsidies = SubsidyTerms {
        guarantee_fee_subsidy_ppm: 1_000_000,
        ..SubsidyTerms::default()
    };
    let b = cost::cost(&terms, &fees, &subsidies).unwrap();
    assert_eq!(b.summary.guarantee_fee, 250_000);
    assert_eq!(b.summary.contract_cost, b.summary.total_interest + 250_000);
    assert_eq!(b.summary.net_cost, b.summary.total_interest);
    // The fee is paid upfront, so the APR shows it even though it is refunded later.
    assert!(b.summary.apr.nominal_ppm > 34_500);
}

#[test]
fn a_free_loan_costs_nothing_and_its_apr_is_zero() {
    for method in [
        Method::EqualInstallment,
        Method::EqualPrincipal,
        Method::InterestFirst,
        Method::Bullet,
    ] {
        let b = cost::cost(
            &LoanTerms::new(1_000_000, 0, 12, method),
            &FeeTerms::default(),
            &SubsidyTerms::default(),
        )
        .unwrap();
        assert_eq!(b.summary.total_interest, 0);
        assert_eq!(b.summary.apr.nominal_ppm, 0);
        assert_eq!(b.summary.apr.effective_ppm, 0);
    }
}

#[test]
fn a_reused_schedule_buffer_gives_the_same_answer() {
    let mut buffer = Schedule::default();
    let a = LoanTerms::new(100_000_000, 49_000, 360, Method::EqualInstallment);
    let b = pear_loan(50_000_000, 43_500);
    let none = (FeeTerms::default(), SubsidyTerms::default());
    cost::cost_into(&a, &none.0, &none.1, &mut buffer).unwrap();
    let summary = cost::cost_into(&b, &none.0, &none.1, &mut buffer).unwrap();
    let fresh = cost::cost(&b, &none.0, &none.1).unwrap();
    assert_eq!(buffer, fresh.schedule);
    assert_eq!(summary, fresh.summary);
}

#[test]
fn bad_terms_are_refused_with_a_reason_in_chinese_and_english() {
    let grace = |g| Method::GraceThenAmortize {
        grace_months: g,
        then: Amortization::EqualPrincipal,
    };
    let cases = [
        (
            LoanTerms::new(0, 40_000, 12, Method::EqualInstallment),
            CostError::AmountOutOfRange { amount: 0 },
        ),
        (
            LoanTerms::new(100, 400_000, 12, Method::EqualInstallment),
            CostError::RateOutOfRange { rate_ppm: 400_000 },
        ),
        (
            LoanTerms::new(100, 40_000, 0, Method::EqualInstallment),
            CostError::TermOutOfRange { months: 0 },
        ),
        (
            LoanTerms::new(100, 40_000, 36, grace(36)),
            CostError::GraceTooLong {
                grace_months: 36,
                months: 36,
            },
        ),
        (
            LoanTerms::new(100, 40_000, 36, grace(4)).with_frequency(Frequency::Quarterly),
            CostError::GraceNotWholePeriods {
                grace_months: 4,
                interval_months: 3,
            },
        ),
        (
            LoanTerms::new(
                100,
                40_000,
                3,
                Method::Revolving {
                    drawing: DrawingPattern::WholeForDays { days: 91 },
                },
            ),
            CostError::InvalidDraw {
                index: 1,
                term_days: 90,
            },
        ),
    ];
    for (terms, expected) in cases {
        let err = cost::schedule(&terms).unwrap_err();
        assert_eq!(err, expected);
        assert!(
            err.message_zh()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{err}"
        );
        assert!(err.message_en().is_ascii(), "{err}");
    }
    let fees = FeeTerms {
        upfront_fee: 100,
        ..FeeTerms::default()
    };
    let terms = LoanTerms::new(100, 40_000, 12, Method::EqualInstallment);
    assert_eq!(
        cost::cost(&terms, &fees, &SubsidyTerms::default()).unwrap_err(),
        CostError::FeesExceedAmount
    );
}
