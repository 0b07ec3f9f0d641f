#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Early repayment (提前还款) for every repayment method, in full and in part, "shorter term"
//! and "lower payment": the accrued interest, the interest saved and the new plan, checked
//! against figures worked out here (by hand in the comments, or by the closed-form annuity).

use huoshui_core::domain::cost::{Amortization, DayCount, Frequency, LoanTerms, Method};
use huoshui_core::domain::repayment::{
    self, PrepayAmount, PrepayChoice, PrepayRequest, Prepayment, RecordedRepayment, RepaymentError,
    RepaymentPlan, RowKind,
};
use jiff::civil::{Date, date};

fn plan(terms: &LoanTerms, on: Date) -> RepaymentPlan {
    repayment::plan(terms, on).unwrap()
}

fn prepay(p: &RepaymentPlan, on: Date, amount: PrepayAmount, choice: PrepayChoice) -> Prepayment {
    repayment::prepay(p, &PrepayRequest { on, amount, choice })
        .unwrap_or_else(|e| panic!("prepay refused: {e}"))
}

fn part(yuan: i64) -> PrepayAmount {
    PrepayAmount::Principal { amount: yuan * 100 }
}

/// Closed-form annuity of `amount` fen over `n` periods at periodic rate `i`, rounded half-up.
fn annuity(amount: i64, i: f64, n: i32) -> i64 {
    (amount as f64 * i / (1.0 - (1.0 + i).powi(-n))).round() as i64
}

/// 12,000 yuan, 12 %, 12 months, equal principal, from 31 January 2027 (1,000 yuan a month
/// of principal; interest 120, 110, 100 … 10 yuan).
fn equal_principal() -> RepaymentPlan {
    plan(
        &LoanTerms::new(1_200_000, 120_000, 12, Method::EqualPrincipal),
        date(2027, 1, 31),
    )
}

#[test]
fn paying_off_everything_charges_interest_only_for_the_days_since_the_last_due_date() {
    let p = equal_principal();
    // Rows of 28 Feb and 31 Mar are kept; 10,000 yuan left; 15 days from 31 March to 15 April:
    // 10,000 × 12 % × 15 / 360 = 50 yuan. Carrying on would cost 100 + 90 + … + 10 = 550 yuan.
    let x = prepay(
        &p,
        date(2027, 4, 15),
        PrepayAmount::All,
        PrepayChoice::ShorterTerm,
    );
    assert_eq!((x.principal, x.accrued_days), (1_000_000, 15));
    assert_eq!(x.accrued_interest, 5_000);
    assert_eq!(x.payment, 1_005_000);
    assert_eq!(x.interest_if_carried_on, 55_000);
    assert_eq!(x.interest_saved, 50_000);
    assert_eq!(x.choice, None);
    let kinds: Vec<RowKind> = x.plan.rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            RowKind::Installment,
            RowKind::Installment,
            RowKind::Prepayment
        ]
    );
    assert_eq!(x.plan.total_principal, 1_200_000);
    assert_eq!(x.plan.maturity(), Some(date(2027, 4, 15)));
    // Paying the kept rows and the early repayment closes the loan.
    let repayments: Vec<RecordedRepayment> = x
        .plan
        .rows
        .iter()
        .map(|r| RecordedRepayment {
            on: r.due_date,
            amount: r.payment,
        })
        .collect();
    let s = repayment::status_at(&x.plan, &repayments, date(2027, 4, 15)).unwrap();
    assert!(s.closed);
}

#[test]
fn a_365_day_product_accrues_on_365_days() {
    let terms = LoanTerms::new(1_200_000, 120_000, 12, Method::EqualPrincipal)
        .with_day_count(DayCount::Act365);
    let p = plan(&terms, date(2027, 1, 31));
    // 10,000 × 12 % × 15 / 365 = 49.315… → 49.32 yuan.
    let x = prepay(
        &p,
        date(2027, 4, 15),
        PrepayAmount::All,
        PrepayChoice::ShorterTerm,
    );
    assert_eq!(x.accrued_interest, 4_932);
}

#[test]
fn equal_principal_shorter_term_keeps_1000_yuan_a_month_and_ends_three_months_sooner() {
    let p = equal_principal();
    // On the 31 March due date: 10,000 left, 3,000 repaid early, 7,000 at 1,000 a month.
    let x = prepay(
        &p,
        date(2027, 3, 31),
        part(3_000),
        PrepayChoice::ShorterTerm,
    );
    assert_eq!(x.accrued_interest, 0);
    let rest: Vec<_> = x.plan.rows.iter().skip(3).collect();
    assert_eq!(rest.len(), 7);
    assert!(rest.iter().all(|r| r.principal == 100_000));
    assert_eq!(rest.last().unwrap().due_date, date(2027, 10, 31));
    // Interest 70, 60, … 10 yuan = 280 instead of 550.
    assert_eq!(x.interest_saved, 55_000 - 28_000);
    let numbers: Vec<u32> = x.plan.rows.iter().map(|r| r.n).collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<_>>());
}

#[test]
fn equal_principal_lower_payment_keeps_the_dates_and_spreads_700_yuan_a_month() {
    let p = equal_principal();
    let x = prepay(
        &p,
        date(2027, 3, 31),
        part(3_000),
        PrepayChoice::LowerPayment,
    );
    let rest: Vec<_> = x.plan.rows.iter().skip(3).collect();
    assert_eq!(rest.len(), 10);
    assert!(rest.iter().all(|r| r.principal == 70_000));
    let old_dates: Vec<Date> = p.rows[2..].iter().map(|r| r.due_date).collect();
    let new_dates: Vec<Date> = rest.iter().map(|r| r.due_date).collect();
    assert_eq!(new_dates, old_dates);
    // Interest on 7,000, 6,300 … 700 yuan at 1 % a month: 1 % × 700 × (10 + 9 + … + 1) = 385.
    assert_eq!(x.interest_saved, 55_000 - 38_500);
}

/// 100,000 yuan, 4.35 %, 12 months, equal installments, from 31 January 2027.
fn equal_installment() -> RepaymentPlan {
    plan(
        &LoanTerms::new(10_000_000, 43_500, 12, Method::EqualInstallment),
        date(2027, 1, 31),
    )
}

#[test]
fn equal_installment_lower_payment_re_amortizes_over_the_same_dates() {
    let p = equal_installment();
    let i = 0.0435 / 12.0;
    let x = prepay(
        &p,
        date(2027, 4, 30),
        part(30_000),
        PrepayChoice::LowerPayment,
    );
    let left = p.rows[2].balance - 3_000_000;
    let a = annuity(left, i, 9);
    let rest = &x.plan.rows[4..];
    assert_eq!(rest.len(), 9);
    assert!(rest[..8].iter().all(|r| r.payment == a), "{rest:?}");
    assert!(a < p.rows[0].payment);
    assert_eq!(rest[8].due_date, date(2028, 1, 31));
    assert!(x.interest_saved > 0);
}

#[test]
fn equal_installment_shorter_term_takes_the_fewest_periods_at_no_higher_payment() {
    let p = equal_installment();
    let i = 0.0435 / 12.0;
    let old = p.rows[0].payment;
    let x = prepay(
        &p,
        date(2027, 4, 30),
        part(30_000),
        PrepayChoice::ShorterTerm,
    );
    let left = p.rows[2].balance - 3_000_000;
    let m = (1..=9).find(|&m| annuity(left, i, m) <= old).unwrap();
    let rest = &x.plan.rows[4..];
    assert_eq!(rest.len(), m as usize);
    assert!(
        rest[..rest.len() - 1]
            .iter()
            .all(|r| r.payment == annuity(left, i, m))
    );
    let lower = prepay(
        &p,
        date(2027, 4, 30),
        part(30_000),
        PrepayChoice::LowerPayment,
    );
    assert!(x.interest_saved > lower.interest_saved);
}

#[test]
fn interest_first_can_only_lower_the_payment() {
    let terms = LoanTerms::new(30_000_000, 48_000, 12, Method::InterestFirst)
        .with_frequency(Frequency::Quarterly);
    let p = plan(&terms, date(2026, 11, 30));
    assert_eq!(repayment::prepay_choices(&p), [PrepayChoice::LowerPayment]);
    let asked = PrepayRequest {
        on: date(2027, 3, 15),
        amount: part(100_000),
        choice: PrepayChoice::ShorterTerm,
    };
    let err = repayment::prepay(&p, &asked).unwrap_err();
    assert!(matches!(err, RepaymentError::ChoiceNotAvailable { .. }));
    assert!(err.message_zh().contains("减少每期还款"));
    // 100,000 of 300,000 repaid on 15 March (15 days after 28 Feb): accrued
    // 100,000 × 4.8 % × 15 / 360 = 200 yuan; each later quarter: 200,000 × 4.8 % / 4 = 2,400.
    let x = prepay(
        &p,
        date(2027, 3, 15),
        part(100_000),
        PrepayChoice::LowerPayment,
    );
    assert_eq!(x.accrued_interest, 20_000);
    let rest = &x.plan.rows[2..];
    assert_eq!(rest.len(), 3);
    assert!(rest.iter().all(|r| r.interest == 240_000));
    assert_eq!(rest[2].principal, 20_000_000);
    assert!(rest[..2].iter().all(|r| r.kind == RowKind::InterestOnly));
    // Carrying on: 3 × 3,600 = 10,800; now 200 + 3 × 2,400 = 7,400.
    assert_eq!(x.interest_saved, 1_080_000 - 740_000);
}

#[test]
fn a_bullet_repaid_in_part_pays_interest_on_that_part_from_the_disbursement() {
    let terms = LoanTerms::new(20_000_000, 50_000, 12, Method::Bullet);
    let p = plan(&terms, date(2028, 2, 29));
    // 50,000 repaid on 29 August 2028, 182 days in: 50,000 × 5 % × 182 / 360 = 1,263.89 yuan.
    let x = prepay(
        &p,
        date(2028, 8, 29),
        part(50_000),
        PrepayChoice::LowerPayment,
    );
    assert_eq!((x.accrued_days, x.accrued_interest), (182, 126_389));
    let last = x.plan.rows.last().unwrap();
    assert_eq!(last.due_date, date(2029, 2, 28));
    assert_eq!((last.principal, last.interest), (15_000_000, 750_000));
    assert_eq!(x.interest_saved, 1_000_000 - 126_389 - 750_000);
}

#[test]
fn pear_loan_prepaid_in_its_grace_years_still_pays_no_principal_until_year_four() {
    let method = Method::GraceThenAmortize {
        grace_months: 36,
        then: Amortization::EqualPrincipal,
    };
    let terms = LoanTerms::new(50_000_000, 42_000, 60, method).with_frequency(Frequency::Quarterly);
    let p = plan(&terms, date(2026, 3, 31));
    // 100,000 of 500,000 repaid on the 4th due date (31 March 2027).
    let lower = prepay(
        &p,
        date(2027, 3, 31),
        part(100_000),
        PrepayChoice::LowerPayment,
    );
    let rest = &lower.plan.rows[5..];
    // Quarters 5–12 interest only on 400,000: 400,000 × 4.2 % / 4 = 4,200 yuan.
    assert!(
        rest[..8]
            .iter()
            .all(|r| r.interest_only() && r.interest == 420_000)
    );
    assert_eq!(rest.len(), 16);
    assert!(rest[8..].iter().all(|r| r.principal == 5_000_000));
    // Shorter term keeps 62,500 a quarter: 400,000 / 7 = 57,142.86 ≤ 62,500 < 400,000 / 6.
    let shorter = prepay(
        &p,
        date(2027, 3, 31),
        part(100_000),
        PrepayChoice::ShorterTerm,
    );
    let rest = &shorter.plan.rows[5..];
    assert_eq!(rest.len(), 8 + 7);
    assert_eq!(rest[8].principal, 5_714_286);
    assert_eq!(rest.last().unwrap().due_date, date(2030, 12, 31));
    assert!(shorter.interest_saved > lower.interest_saved);
}

#[test]
fn repaying_a_day_before_a_long_period_ends_never_costs_more_than_waiting_for_it() {
    // Yearly interest, 360-day count: 364 days of interest (6,066.67) would pass the year's
    // 6,000; the accrual stops at what the period loses.
    let terms = LoanTerms::new(10_000_000, 60_000, 24, Method::InterestFirst)
        .with_frequency(Frequency::Yearly);
    let p = plan(&terms, date(2027, 1, 1));
    let x = prepay(
        &p,
        date(2027, 12, 31),
        PrepayAmount::All,
        PrepayChoice::LowerPayment,
    );
    assert_eq!(x.accrued_days, 364);
    assert_eq!(x.accrued_interest, 600_000);
    assert_eq!(x.interest_saved, 600_000);
}

#[test]
fn a_second_early_repayment_builds_on_the_first() {
    let p = equal_principal();
    let first = prepay(
        &p,
        date(2027, 3, 10),
        part(2_000),
        PrepayChoice::ShorterTerm,
    );
    let second = prepay(
        &first.plan,
        date(2027, 6, 10),
        part(1_000),
        PrepayChoice::LowerPayment,
    );
    assert_eq!(second.plan.total_principal, 1_200_000);
    let prepayments = second
        .plan
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Prepayment)
        .count();
    assert_eq!(prepayments, 2);
    assert!(
        second
            .plan
            .rows
            .windows(2)
            .all(|w| w[0].due_date <= w[1].due_date)
    );
    // The second accrues from the last instalment (31 May), not from the first early repayment.
    assert_eq!(second.accrued_days, 10);
    // Before the first one: refused.
    let back = PrepayRequest {
        on: date(2027, 3, 5),
        amount: part(100),
        choice: PrepayChoice::LowerPayment,
    };
    assert!(matches!(
        repayment::prepay(&first.plan, &back),
        Err(RepaymentError::PrepayDateOutsideLoan { .. })
    ));
}

#[test]
fn an_early_repayment_outside_the_loan_or_above_the_balance_is_refused() {
    let p = equal_principal();
    let ask = |on: Date, amount: PrepayAmount| {
        repayment::prepay(
            &p,
            &PrepayRequest {
                on,
                amount,
                choice: PrepayChoice::LowerPayment,
            },
        )
    };
    assert!(matches!(
        ask(date(2027, 1, 30), PrepayAmount::All),
        Err(RepaymentError::PrepayDateOutsideLoan { .. })
    ));
    assert!(matches!(
        ask(date(2028, 1, 31), PrepayAmount::All),
        Err(RepaymentError::PrepayDateOutsideLoan { .. })
    ));
    assert_eq!(
        ask(date(2027, 2, 1), part(12_001)),
        Err(RepaymentError::PrepayAmountOutOfRange {
            amount: 1_200_100,
            balance: 1_200_000
        })
    );
    assert!(ask(date(2027, 2, 1), part(0)).is_err());
    // The whole balance asked as a part is the same as everything.
    let all = ask(date(2027, 2, 1), part(12_000)).unwrap();
    assert_eq!(all.choice, None);
}

#[test]
fn a_rounded_level_payment_never_leaves_more_owed_than_carrying_on() {
    // 6.53 yuan at 0 % over 44 months: 15 fen a month (the last row 8 fen). Repaying 16 fen on
    // day 0 would re-spread 637 fen at 14 fen a month, leaving more owed than the old plan
    // at every early due date; those rows repay the difference instead.
    let p = plan(
        &LoanTerms::new(653, 0, 44, Method::EqualInstallment),
        date(2000, 1, 1),
    );
    let x = prepay(
        &p,
        date(2000, 1, 1),
        PrepayAmount::Principal { amount: 16 },
        PrepayChoice::LowerPayment,
    );
    for row in &x.plan.rows[1..] {
        let old = p.rows.iter().find(|o| o.due_date == row.due_date).unwrap();
        assert!(row.balance <= old.balance, "{row:?} vs {old:?}");
    }
    assert_eq!(x.plan.total_principal, 653);
    assert_eq!(x.interest_saved, 0);
}
