#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Golden schedules, each checked against an independent formula (closed-form annuity in
//! f64, sums of arithmetic series, simple interest), never against numbers taken from the
//! engine's own output. Published figures are cited where a bank calculator shows them.

use huoshui_core::domain::cost::{
    self, Amortization, DayCount, DrawingPattern, FeeTerms, Frequency, LoanTerms, Method, Schedule,
    SubsidyTerms,
};

fn schedule(terms: &LoanTerms) -> Schedule {
    match cost::schedule(terms) {
        Ok(s) => s,
        Err(e) => panic!("schedule refused: {e}"),
    }
}

/// Closed-form annuity payment in yuan-cents as f64: P·i·(1+i)^n / ((1+i)^n − 1).
fn annuity(principal_fen: f64, periodic: f64, n: i32) -> f64 {
    let g = (1.0 + periodic).powi(n);
    principal_fen * periodic * g / (g - 1.0)
}

/// Closed-form balance after k annuity payments of `a`.
fn annuity_balance(principal_fen: f64, periodic: f64, a: f64, k: i32) -> f64 {
    let g = (1.0 + periodic).powi(k);
    principal_fen * g - a * (g - 1.0) / periodic
}

#[test]
fn a_million_over_thirty_years_at_4_9_percent_costs_5307_27_a_month() {
    // The figure every Chinese mortgage calculator shows for 100万, 30年, 4.9%, 等额本息.
    let terms = LoanTerms::new(100_000_000, 49_000, 360, Method::EqualInstallment);
    let s = schedule(&terms);
    let i: f64 = 0.049 / 12.0;
    let a = annuity(100_000_000.0, i, 360);
    assert_eq!(a.round() as i64, 530_727);
    assert_eq!(s.periods.len(), 360);
    for p in &s.periods[..359] {
        assert_eq!(p.payment, 530_727, "period {}", p.n);
        let closed = annuity_balance(100_000_000.0, i, a, p.n as i32);
        // Each period's rounding moves the balance by well under a fen per period.
        assert!(
            (p.balance as f64 - closed).abs() <= f64::from(p.n),
            "period {} balance {} vs {closed}",
            p.n,
            p.balance
        );
    }
    let total_interest_closed = a * 360.0 - 100_000_000.0;
    assert!((s.total_interest as f64 - total_interest_closed).abs() <= 360.0);
    assert_eq!(s.total_principal, 100_000_000);
}

#[test]
fn equal_principal_over_thirty_years_starts_at_6861_11_and_falls_by_11_34() {
    // 100万, 30年, 4.9%, 等额本金: first month 6,861.11 yuan, each month 11.34 yuan less,
    // total interest P·i·(n+1)/2 = 737,041.67 yuan (sum of an arithmetic series).
    let terms = LoanTerms::new(100_000_000, 49_000, 360, Method::EqualPrincipal);
    let s = schedule(&terms);
    let per = 100_000_000.0 / 360.0;
    let i: f64 = 0.049 / 12.0;
    assert_eq!(
        s.periods[0].payment,
        (per + 100_000_000.0 * i).round() as i64
    );
    assert_eq!(s.periods[0].payment, 686_111);
    let drop = (s.periods[0].payment - s.periods[1].payment) as f64;
    assert!((drop - per * i).abs() <= 1.0, "monthly drop {drop}");
    let closed_interest = 100_000_000.0 * i * 361.0 / 2.0;
    assert!(
        (s.total_interest as f64 - closed_interest).abs() <= 360.0,
        "{} vs {closed_interest}",
        s.total_interest
    );
    for p in &s.periods {
        let closed_balance = 100_000_000.0 - per * f64::from(p.n);
        assert!(
            (p.balance as f64 - closed_balance).abs() <= f64::from(p.n),
            "period {}",
            p.n
        );
    }
    assert_eq!(s.periods[359].balance, 0);
}

#[test]
fn bullet_pays_simple_interest_for_the_whole_term_in_one_payment() {
    // 500,000 yuan at 4.35% for 18 months: 500,000 × 4.35% × 1.5 = 32,625 yuan.
    let terms =
        LoanTerms::new(50_000_000, 43_500, 18, Method::Bullet).with_frequency(Frequency::Monthly);
    let s = schedule(&terms);
    assert_eq!(s.periods.len(), 1);
    assert_eq!(s.periods[0].due_month, 18);
    assert_eq!(
        s.periods[0].interest,
        (500_000.0_f64 * 0.0435 * 1.5 * 100.0).round() as i64
    );
    assert_eq!(s.periods[0].principal, 50_000_000);
}

#[test]
fn quarterly_interest_first_with_a_short_last_quarter_charges_its_own_months() {
    // 1,000,000 yuan at 6% for 10 months, paid quarterly: 3 quarters of 15,000 yuan and a
    // last 1-month period of 5,000 yuan, the principal with it.
    let terms = LoanTerms::new(100_000_000, 60_000, 10, Method::InterestFirst)
        .with_frequency(Frequency::Quarterly);
    let s = schedule(&terms);
    let due: Vec<u32> = s.periods.iter().map(|p| p.due_month).collect();
    assert_eq!(due, vec![3, 6, 9, 10]);
    let quarter = (1_000_000.0 * 0.06 / 4.0 * 100.0) as i64;
    let month = (1_000_000.0 * 0.06 / 12.0 * 100.0) as i64;
    let interest: Vec<i64> = s.periods.iter().map(|p| p.interest).collect();
    assert_eq!(interest, vec![quarter, quarter, quarter, month]);
    assert_eq!(s.periods[3].principal, 100_000_000);
}

#[test]
fn yearly_equal_installments_follow_the_annual_annuity() {
    // 300,000 yuan at 5% over 5 years, paid yearly: the annual annuity.
    let terms = LoanTerms::new(30_000_000, 50_000, 60, Method::EqualInstallment)
        .with_frequency(Frequency::Yearly);
    let s = schedule(&terms);
    let a = annuity(30_000_000.0, 0.05, 5);
    assert_eq!(s.periods.len(), 5);
    for p in &s.periods[..4] {
        assert_eq!(p.payment, a.round() as i64);
    }
    assert!((s.periods[4].payment as f64 - a).abs() <= 5.0);
}

#[test]
fn grace_then_equal_installments_amortize_over_the_rest() {
    // 200,000 yuan at 4.2%, 12 months interest only, then 24 equal installments.
    let method = Method::GraceThenAmortize {
        grace_months: 12,
        then: Amortization::EqualInstallment,
    };
    let s = schedule(&LoanTerms::new(20_000_000, 42_000, 36, method));
    let i: f64 = 0.042 / 12.0;
    let grace_interest = (20_000_000.0 * i).round() as i64;
    for p in &s.periods[..12] {
        assert_eq!((p.principal, p.interest), (0, grace_interest));
    }
    let a = annuity(20_000_000.0, i, 24).round() as i64;
    for p in &s.periods[12..35] {
        assert_eq!(p.payment, a);
    }
    assert_eq!(s.total_principal, 20_000_000);
}

#[test]
fn revolving_line_drawn_whole_for_a_year_pays_a_twelfth_of_the_rate_each_month() {
    // 冠之链-style line: 1,000,000 yuan drawn for the whole year at 4.5%, 360-day count,
    // 30-day months: 1,000,000 × 4.5% × 30 / 360 = 3,750 yuan a month.
    let drawing = DrawingPattern::WholeTerm;
    let terms = LoanTerms::new(100_000_000, 45_000, 12, Method::Revolving { drawing });
    let s = schedule(&terms);
    assert_eq!(s.periods.len(), 12);
    for p in &s.periods {
        assert_eq!(
            p.interest,
            (1_000_000.0_f64 * 0.045 * 30.0 / 360.0 * 100.0).round() as i64
        );
    }
    assert_eq!(s.periods[11].principal, 100_000_000);
}

#[test]
fn fees_and_subsidies_follow_their_stated_rules() {
    // 500,000 yuan, 3 years, 4%, interest-first; guarantee fee 1% a year on the amount paid
    // upfront (15,000 yuan), half refunded; upfront fee 0.2% (1,000 yuan); 贴息 2 points for
    // the first 24 months = half the interest of 24 months.
    let terms = LoanTerms::new(50_000_000, 40_000, 36, Method::InterestFirst);
    let fees = FeeTerms {
        upfront_fee: 0,
        upfront_fee_ppm: 2_000,
        guarantee_fee_ppm_per_year: 10_000,
    };
    let subsidies = SubsidyTerms {
        interest_subsidy_ppm_per_year: 20_000,
        interest_subsidy_max_months: Some(24),
        guarantee_fee_subsidy_ppm: 500_000,
    };
    let b = match cost::cost(&terms, &fees, &subsidies) {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    };
    let s = &b.summary;
    assert_eq!(
        s.guarantee_fee,
        (500_000.0_f64 * 0.01 * 3.0 * 100.0).round() as i64
    );
    assert_eq!(s.upfront_fee, 1_000 * 100);
    assert_eq!(s.fees, s.guarantee_fee + s.upfront_fee);
    // Each month's interest is rounded to the fen: 1,666.666… → 1,666.67 yuan.
    let monthly = (500_000.0_f64 * 0.04 / 12.0 * 100.0).round() as i64;
    assert_eq!(monthly, 166_667);
    assert_eq!(s.total_interest, 36 * monthly);
    assert_eq!(s.contract_cost, s.total_interest + s.fees);
    // 2 of 4 points refunded on the 24 months' interest, rounded once.
    assert_eq!(
        s.interest_subsidy,
        (24.0 * monthly as f64 * 0.5).round() as i64
    );
    assert_eq!(s.fee_subsidy, s.guarantee_fee / 2);
    assert_eq!(
        s.net_cost,
        s.contract_cost - s.interest_subsidy - s.fee_subsidy
    );
    // Subsidies never touch the schedule or the APR: the APR sees only the fees.
    assert!(s.apr.nominal_ppm > 40_000);
}

#[test]
fn quarterly_revolving_at_365_days_matches_daily_interest() {
    // 600,000 yuan drawn for 100 days at 3.65% on a 365-day count, interest settled quarterly:
    // total = 600,000 × 3.65% × 100 / 365 = 6,000 yuan exactly.
    let drawing = DrawingPattern::WholeForDays { days: 100 };
    let terms = LoanTerms::new(60_000_000, 36_500, 6, Method::Revolving { drawing })
        .with_frequency(Frequency::Quarterly)
        .with_day_count(DayCount::Act365);
    let s = schedule(&terms);
    assert_eq!(s.periods.len(), 2);
    assert_eq!(s.periods[1].due_day, 100);
    assert_eq!(
        s.total_interest,
        (600_000.0_f64 * 0.0365 * 100.0 / 365.0 * 100.0).round() as i64
    );
}
