#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The revolving 冠之链 line: draws and repayments on any day, daily interest to the fen,
//! never above the cap, and statements. Expected figures are worked out in the comments.

use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::cost::DayCount;
use huoshui_core::domain::money::Rounding;
use huoshui_core::domain::repayment::{self, CreditLine, LineEvent, LineEventKind, RepaymentError};
use jiff::civil::{Date, date};

fn draw(on: Date, yuan: i64) -> LineEvent {
    LineEvent {
        on,
        kind: LineEventKind::Draw,
        amount: yuan * 100,
    }
}

fn repay(on: Date, fen: i64) -> LineEvent {
    LineEvent {
        on,
        kind: LineEventKind::Repay,
        amount: fen,
    }
}

/// The 冠之链 line from the county catalog: 1,000,000 yuan at 4.2 %, opened 1 May 2026 for 12 months.
fn guanzhilian() -> CreditLine {
    let catalog = Catalog::embedded().unwrap();
    let product = catalog.product("runchang-guanzhilian").unwrap();
    CreditLine::for_product(product, 100_000_000, 42_000, date(2026, 5, 1), 12).unwrap()
}

#[test]
fn guanzhilian_charges_ninety_days_of_daily_interest_for_a_draw_held_ninety_days() {
    let line = guanzhilian();
    assert_eq!(line.cap, Some(45_000));
    assert_eq!(line.expires_on, date(2027, 5, 1));
    // Daily: 1,000,000 × 4.2 % / 360 = 116.666… yuan, rounded down to 116.66 yuan.
    // Drawn 1 May, repaid 30 July: 90 days (31 − 1 + 30 + 30), 90 × 11,666 fen = 10,499.40 yuan.
    let drawn = [draw(date(2026, 5, 1), 1_000_000)];
    let owed = repayment::line_payoff(&line, &drawn, date(2026, 7, 30)).unwrap();
    assert_eq!(owed, 100_000_000 + 1_049_940);
    let events = [drawn[0], repay(date(2026, 7, 30), owed)];
    let s = repayment::line_statement(&line, &events, date(2026, 5, 1), date(2026, 7, 31)).unwrap();
    assert_eq!(s.interest_accrued, 1_049_940);
    assert_eq!(
        (s.interest_repaid, s.principal_repaid),
        (1_049_940, 100_000_000)
    );
    assert_eq!(s.closing_owed(), 0);
    assert_eq!(s.spans.len(), 1);
    assert_eq!(
        (s.spans[0].from, s.spans[0].to, s.spans[0].days),
        (date(2026, 5, 1), date(2026, 7, 29), 90)
    );
    assert_eq!(s.spans[0].daily_interest, 11_666);
    assert!(!s.capped);
}

#[test]
fn the_day_drawn_counts_and_the_day_repaid_does_not() {
    let line = CreditLine::new(10_000_000, 36_000, date(2027, 3, 1), date(2028, 3, 1));
    // 100,000 yuan at 3.6 % / 360 = 10 yuan a day; 1 to 11 March: 10 days, 100 yuan.
    let events = [draw(date(2027, 3, 1), 100_000)];
    assert_eq!(
        repayment::line_payoff(&line, &events, date(2027, 3, 11)).unwrap(),
        10_000_000 + 10_000
    );
    // Drawn and repaid the same day: no interest at all.
    assert_eq!(
        repayment::line_payoff(&line, &events, date(2027, 3, 1)).unwrap(),
        10_000_000
    );
}

#[test]
fn a_contract_rate_above_the_cap_is_charged_at_the_cap() {
    let mut line = CreditLine::new(100_000_000, 60_000, date(2027, 1, 1), date(2027, 12, 31));
    line.cap = Some(45_000);
    assert_eq!(line.charged_rate(), 45_000);
    // 1,000,000 × 4.5 % / 360 = 125 yuan a day.
    assert_eq!(line.daily_interest(100_000_000), 12_500);
    let events = [draw(date(2027, 1, 1), 1_000_000)];
    let s = repayment::line_statement(&line, &events, date(2027, 1, 1), date(2027, 1, 10)).unwrap();
    assert!(s.capped);
    assert_eq!(s.interest_accrued, 10 * 12_500);
}

#[test]
fn rounding_half_up_never_lifts_a_small_balance_above_the_cap() {
    let mut line = CreditLine::new(100_000_000, 45_000, date(2027, 1, 1), date(2027, 12, 31));
    line.cap = Some(45_000);
    line.rounding = Rounding::HalfUp;
    // 40 yuan at 4.5 % / 360 = 0.5 fen a day: half-up would charge 1 fen (9 % a year); the cap
    // allows 0.
    assert_eq!(line.daily_interest(4_000), 0);
    // 1,000,000 yuan: 12,500 fen either way.
    assert_eq!(line.daily_interest(100_000_000), 12_500);
    line.day_count = DayCount::Act365;
    // 1,000,000 × 4.5 % / 365 = 123.287… yuan: half-up 12,329 fen passes the cap's 12,328.
    assert_eq!(line.daily_interest(100_000_000), 12_328);
}

#[test]
fn a_repayment_pays_the_interest_accrued_before_any_principal() {
    let line = guanzhilian();
    // 100,000 yuan drawn 1 June; 50,000 yuan repaid 1 July (30 days): 30 × 1,166 fen of
    // interest (100,000 × 4.2 % / 360 = 11.666… yuan a day) first, the rest to principal.
    let events = [
        draw(date(2026, 6, 1), 100_000),
        repay(date(2026, 7, 1), 5_000_000),
    ];
    let s = repayment::line_statement(&line, &events, date(2026, 6, 1), date(2026, 7, 1)).unwrap();
    let r = s.entries[1];
    assert_eq!(
        (r.interest_paid, r.principal_paid),
        (34_980, 5_000_000 - 34_980)
    );
    assert_eq!(r.principal_after, 10_000_000 - (5_000_000 - 34_980));
    // The 1 July day is charged on what is left.
    assert_eq!(s.closing_interest, line.daily_interest(r.principal_after));
}

#[test]
fn a_statement_opens_with_what_was_owed_and_closes_with_what_is_owed() {
    let line = guanzhilian();
    let events = [
        draw(date(2026, 5, 10), 300_000),
        draw(date(2026, 6, 15), 200_000),
        repay(date(2026, 6, 20), 10_000_000),
        draw(date(2026, 7, 5), 100_000),
    ];
    let june =
        repayment::line_statement(&line, &events, date(2026, 6, 1), date(2026, 6, 30)).unwrap();
    // 300,000 yuan from 10 to 31 May: 22 days × 3,500 fen (300,000 × 4.2 % / 360 = 35 yuan).
    assert_eq!(june.opening_principal, 30_000_000);
    assert_eq!(june.opening_interest, 22 * 3_500);
    assert_eq!(june.entries.len(), 2);
    assert_eq!(
        june.closing_principal,
        june.opening_principal + june.drawn - june.principal_repaid
    );
    assert_eq!(
        june.closing_interest,
        june.opening_interest + june.interest_accrued - june.interest_repaid
    );
    let days: u32 = june.spans.iter().map(|s| s.days).sum();
    assert_eq!(days, 30);
    let july =
        repayment::line_statement(&line, &events, date(2026, 7, 1), date(2026, 7, 31)).unwrap();
    assert_eq!(july.opening_principal, june.closing_principal);
    assert_eq!(july.opening_interest, june.closing_interest);
}

#[test]
fn draws_above_the_limit_or_after_expiry_and_repayments_above_what_is_owed_are_refused() {
    let line = guanzhilian();
    let over = [
        draw(date(2026, 5, 1), 600_000),
        draw(date(2026, 5, 2), 500_000),
    ];
    let err = repayment::line_payoff(&line, &over, date(2026, 5, 3)).unwrap_err();
    assert_eq!(
        err,
        RepaymentError::DrawAboveLimit {
            on: date(2026, 5, 2),
            available: 40_000_000
        }
    );
    assert!(err.message_zh().contains("可用额度") && err.message_en().contains("available"));
    let late = [draw(date(2027, 5, 2), 1)];
    assert!(matches!(
        repayment::line_payoff(&line, &late, date(2027, 5, 3)),
        Err(RepaymentError::InvalidLineEvent { index: 1, .. })
    ));
    let too_much = [
        draw(date(2026, 5, 1), 1_000),
        repay(date(2026, 5, 2), 100_001 * 100),
    ];
    assert!(matches!(
        repayment::line_payoff(&line, &too_much, date(2026, 5, 3)),
        Err(RepaymentError::LineRepaymentAboveOwed { .. })
    ));
    assert!(matches!(
        repayment::line_statement(&line, &[], date(2026, 6, 2), date(2026, 6, 1)),
        Err(RepaymentError::InvalidPeriod { .. })
    ));
}

#[test]
fn only_a_revolving_product_opens_a_line() {
    let catalog = Catalog::embedded().unwrap();
    let pear = catalog.product("runchang-suli").unwrap();
    assert_eq!(
        CreditLine::for_product(pear, 100_000, 42_000, date(2026, 5, 1), 12),
        Err(RepaymentError::InvalidLine { field: "method" })
    );
}
