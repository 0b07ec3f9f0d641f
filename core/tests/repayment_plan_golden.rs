#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Golden dated plans, each checked against a computation written here independently of the
//! code under test: a calendar with its own leap-year rule for the due dates, and a plain
//! loop (closed-form annuity in f64, integer half-up interest) for the amounts. Month ends
//! and leap years included.

use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::cost::{Amortization, Frequency, LoanTerms, Method};
use huoshui_core::domain::repayment::{self, RepaymentError, RepaymentPlan, RowKind};
use jiff::civil::{Date, date};

// ---- an independent calendar ----

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_len(y: i32, m: i32) -> i32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// (year, month, day) `k` months after (y, m, d), a missing day becoming the month's last.
fn months_after((y, m, d): (i32, i32, i32), k: i32) -> (i32, i32, i32) {
    let idx = y * 12 + (m - 1) + k;
    let (ny, nm) = (idx / 12, idx % 12 + 1);
    (ny, nm, d.min(month_len(ny, nm)))
}

fn ymd(d: Date) -> (i32, i32, i32) {
    (
        i32::from(d.year()),
        i32::from(d.month()),
        i32::from(d.day()),
    )
}

// ---- an independent schedule: (principal, interest) per period ----

/// Half-up integer interest of `balance` fen for `months` months at `ppm` a year.
fn interest(balance: i64, ppm: i64, months: i64) -> i64 {
    let n = i128::from(balance) * i128::from(ppm) * i128::from(months);
    let d: i128 = 12_000_000;
    ((n + d / 2) / d) as i64
}

/// Level schedule over `n` periods of `interval` months after `grace` interest-only periods
/// (term a whole number of intervals); `installment` picks the annuity, else equal principal.
fn reference(
    amount: i64,
    ppm: i64,
    interval: i64,
    grace: usize,
    n: usize,
    installment: bool,
) -> Vec<(i64, i64)> {
    let amortizing = n - grace;
    let i = ppm as f64 / 1e6 * interval as f64 / 12.0;
    let level = if installment {
        (amount as f64 * i / (1.0 - (1.0 + i).powi(-(amortizing as i32)))).round() as i64
    } else {
        (amount as f64 / amortizing as f64).round() as i64
    };
    let mut out = Vec::new();
    let mut balance = amount;
    for k in 0..n {
        let int = interest(balance, ppm, interval);
        let principal = if k < grace {
            0
        } else if k == n - 1 {
            balance
        } else if installment {
            (level - int).min(balance)
        } else {
            level.min(balance)
        };
        balance -= principal;
        out.push((principal, int));
    }
    out
}

fn plan(terms: &LoanTerms, on: Date) -> RepaymentPlan {
    repayment::plan(terms, on).unwrap_or_else(|e| panic!("plan refused: {e}"))
}

fn check_amounts(p: &RepaymentPlan, expected: &[(i64, i64)]) {
    let got: Vec<(i64, i64)> = p.rows.iter().map(|r| (r.principal, r.interest)).collect();
    assert_eq!(got, expected);
    let mut balance = p.terms.amount;
    for r in &p.rows {
        balance -= r.principal;
        assert_eq!(r.balance, balance, "row {}", r.n);
        assert_eq!(r.payment, r.principal + r.interest);
    }
    assert_eq!(balance, 0);
}

fn check_dates(p: &RepaymentPlan, from: (i32, i32, i32), interval: i32) {
    for (k, r) in (1..).zip(&p.rows) {
        assert_eq!(
            ymd(r.due_date),
            months_after(from, k * interval),
            "row {}",
            r.n
        );
    }
}

#[test]
fn equal_installments_disbursed_on_31_january_fall_on_each_month_end() {
    // 100,000 yuan, 4.35 %, 12 months, disbursed 31 January 2027 (not a leap year).
    let terms = LoanTerms::new(10_000_000, 43_500, 12, Method::EqualInstallment);
    let p = plan(&terms, date(2027, 1, 31));
    let dates: Vec<String> = p.rows.iter().map(|r| r.due_date_iso()).collect();
    assert_eq!(
        dates,
        [
            "2027-02-28",
            "2027-03-31",
            "2027-04-30",
            "2027-05-31",
            "2027-06-30",
            "2027-07-31",
            "2027-08-31",
            "2027-09-30",
            "2027-10-31",
            "2027-11-30",
            "2027-12-31",
            "2028-01-31"
        ]
    );
    assert_eq!(p.rows[0].due_date_zh(), "2027年2月28日");
    check_amounts(&p, &reference(10_000_000, 43_500, 1, 0, 12, true));
    assert!(p.rows.iter().all(|r| r.kind == RowKind::Installment));
}

#[test]
fn equal_principal_disbursed_on_31_january_of_a_leap_year_first_falls_on_29_february() {
    let terms = LoanTerms::new(24_000_000, 41_000, 24, Method::EqualPrincipal);
    let p = plan(&terms, date(2028, 1, 31));
    assert_eq!(p.rows[0].due_date, date(2028, 2, 29));
    assert_eq!(p.rows[12].due_date, date(2029, 2, 28));
    assert_eq!(p.rows[13].due_date, date(2029, 3, 31));
    check_dates(&p, (2028, 1, 31), 1);
    check_amounts(&p, &reference(24_000_000, 41_000, 1, 0, 24, false));
}

#[test]
fn quarterly_interest_first_from_30_november_falls_on_28_or_29_february() {
    // 先息后本, quarterly, 12 months: interest each quarter, the principal with the last.
    let terms = LoanTerms::new(30_000_000, 48_000, 12, Method::InterestFirst)
        .with_frequency(Frequency::Quarterly);
    let leap = plan(&terms, date(2027, 11, 30));
    assert_eq!(leap.rows[0].due_date, date(2028, 2, 29));
    check_dates(&leap, (2027, 11, 30), 3);
    let common = plan(&terms, date(2026, 11, 30));
    assert_eq!(common.rows[0].due_date, date(2027, 2, 28));
    assert_eq!(common.rows[1].due_date, date(2027, 5, 30));
    check_dates(&common, (2026, 11, 30), 3);
    let q = interest(30_000_000, 48_000, 3);
    check_amounts(&common, &[(0, q), (0, q), (0, q), (30_000_000, q)]);
    let kinds: Vec<RowKind> = common.rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            RowKind::InterestOnly,
            RowKind::InterestOnly,
            RowKind::InterestOnly,
            RowKind::Installment
        ]
    );
}

#[test]
fn a_bullet_disbursed_on_29_february_is_due_on_28_february_a_year_later() {
    let terms = LoanTerms::new(20_000_000, 50_000, 12, Method::Bullet);
    let p = plan(&terms, date(2028, 2, 29));
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].due_date, date(2029, 2, 28));
    // Simple interest for the whole year: 200,000 × 5 % = 10,000 yuan.
    check_amounts(&p, &[(20_000_000, 1_000_000)]);
    assert!(!p.rows[0].interest_only());
}

#[test]
fn yearly_equal_principal_from_29_february_returns_to_29_february_in_the_next_leap_year() {
    // 家庭农场贷-style: yearly, equal principal, 4 years.
    let terms = LoanTerms::new(40_000_000, 45_000, 48, Method::EqualPrincipal)
        .with_frequency(Frequency::Yearly);
    let p = plan(&terms, date(2028, 2, 29));
    let dates: Vec<Date> = p.rows.iter().map(|r| r.due_date).collect();
    assert_eq!(
        dates,
        [
            date(2029, 2, 28),
            date(2030, 2, 28),
            date(2031, 2, 28),
            date(2032, 2, 29)
        ]
    );
    check_amounts(&p, &reference(40_000_000, 45_000, 12, 0, 4, false));
}

#[test]
fn pear_loan_shows_three_interest_only_years_then_equal_principal() {
    // 酥梨贷 from the county catalog: quarterly, 36 months interest only, then equal principal.
    // 500,000 yuan for 60 months at an approved 4.2 %, disbursed 31 March 2026.
    let catalog = Catalog::embedded().unwrap();
    let product = catalog.product("runchang-suli").unwrap();
    let p =
        repayment::plan_for_product(product, 50_000_000, 60, 42_000, date(2026, 3, 31)).unwrap();
    assert_eq!(p.rows.len(), 20);
    let interest_only: Vec<bool> = p.rows.iter().map(|r| r.interest_only()).collect();
    assert_eq!(interest_only, [[true; 12].as_slice(), &[false; 8]].concat());
    assert_eq!(p.rows[11].due_date, date(2029, 3, 31));
    assert_eq!(p.rows[0].due_date, date(2026, 6, 30));
    assert_eq!(p.rows[2].due_date, date(2026, 12, 31));
    check_dates(&p, (2026, 3, 31), 3);
    check_amounts(&p, &reference(50_000_000, 42_000, 3, 12, 20, false));
}

#[test]
fn grace_then_equal_installments_amortize_after_six_interest_only_months() {
    // 轴承贷-style: monthly, 6 months interest only, then equal installments, 24 months.
    let method = Method::GraceThenAmortize {
        grace_months: 6,
        then: Amortization::EqualInstallment,
    };
    let terms = LoanTerms::new(80_000_000, 46_000, 24, method);
    let p = plan(&terms, date(2027, 8, 31));
    assert_eq!(p.rows[0].due_date, date(2027, 9, 30));
    assert_eq!(p.rows[5].due_date, date(2028, 2, 29));
    check_dates(&p, (2027, 8, 31), 1);
    assert_eq!(p.rows.iter().filter(|r| r.interest_only()).count(), 6);
    check_amounts(&p, &reference(80_000_000, 46_000, 1, 6, 24, true));
}

#[test]
fn a_revolving_line_has_no_dated_plan() {
    let catalog = Catalog::embedded().unwrap();
    let product = catalog.product("runchang-guanzhilian").unwrap();
    let err =
        repayment::plan_for_product(product, 10_000_000, 12, 42_000, date(2026, 5, 1)).unwrap_err();
    assert_eq!(err, RepaymentError::RevolvingHasNoPlan);
    assert!(err.message_zh().contains("额度账单") && err.message_en().contains("statement"));
}
