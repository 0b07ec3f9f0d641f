#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Properties of loans in progress, over random terms, dates and repayments (proptest): the
//! dated plan sums to the cost engine's schedule; a due date never leaves the month it belongs
//! to; early repayment never costs more than carrying on; every repayment split sums to the
//! amount paid; reminders are never in the past; a revolving line never charges above its cap.

use huoshui_core::domain::cost::{
    self, Amortization, DayCount, Frequency, LoanTerms, MAX_RATE, Method,
};
use huoshui_core::domain::money::Rounding;
use huoshui_core::domain::repayment::{
    self, AllocationRule, CreditLine, LineEvent, LineEventKind, PrepayAmount, PrepayChoice,
    PrepayRequest, RecordedRepayment, RepaymentPlan, RowKind,
};
use jiff::civil::Date;
use proptest::prelude::*;

fn frequency() -> impl Strategy<Value = Frequency> {
    prop_oneof![
        Just(Frequency::Monthly),
        Just(Frequency::Quarterly),
        Just(Frequency::Yearly),
        Just(Frequency::AtMaturity)
    ]
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![
        Just(Rounding::HalfUp),
        Just(Rounding::Down),
        Just(Rounding::Up)
    ]
}

/// Valid non-revolving terms of any method, frequency, day count and rounding.
fn terms(max_months: u32) -> impl Strategy<Value = LoanTerms> {
    (
        prop_oneof![
            1i64..10_000,
            10_000i64..100_000_000,
            100_000_000i64..=10_000_000_000
        ],
        0..=MAX_RATE,
        1..=max_months,
        frequency(),
        0u32..6,
        0u32..400,
        (rounding(), any::<bool>()),
    )
        .prop_map(
            |(amount, rate, months, frequency, kind, pick, (rounding, act365))| {
                let interval = frequency.interval_months(months);
                let grace_periods = months.div_ceil(interval) - 1;
                let grace = (pick % (grace_periods + 1)) * interval;
                let method = match kind {
                    0 => Method::EqualInstallment,
                    1 => Method::EqualPrincipal,
                    2 => Method::InterestFirst,
                    3 => Method::Bullet,
                    4 if grace > 0 => Method::GraceThenAmortize {
                        grace_months: grace,
                        then: Amortization::EqualPrincipal,
                    },
                    _ if grace > 0 => Method::GraceThenAmortize {
                        grace_months: grace,
                        then: Amortization::EqualInstallment,
                    },
                    _ => Method::EqualInstallment,
                };
                let mut t = LoanTerms::new(amount, rate, months, method).with_frequency(frequency);
                t.rounding = rounding;
                t.day_count = if act365 {
                    DayCount::Act365
                } else {
                    DayCount::Act360
                };
                t
            },
        )
}

/// Any day from 2000 to 2060, month ends and 29 February included.
fn day() -> impl Strategy<Value = Date> {
    (2000i16..=2060, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
        let first = Date::new(y, m, 1).unwrap();
        Date::new(y, m, d.min(first.days_in_month())).unwrap()
    })
}

fn plus_days(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap()
}

fn days_between(a: Date, b: Date) -> i64 {
    i64::from((b - a).get_days())
}

/// An independent calendar: the length of a month with the Gregorian leap-year rule.
fn month_len(y: i32, m: i32) -> i32 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn dated(terms: &LoanTerms, on: Date) -> RepaymentPlan {
    repayment::plan(terms, on).unwrap_or_else(|e| panic!("plan refused: {e}"))
}

proptest! {
    #[test]
    fn the_dated_plan_sums_to_the_undated_schedule(t in terms(360), on in day()) {
        let plan = dated(&t, on);
        let schedule = cost::schedule(&t).unwrap();
        prop_assert_eq!(plan.rows.len(), schedule.periods.len());
        for (row, period) in plan.rows.iter().zip(&schedule.periods) {
            prop_assert_eq!(
                (row.principal, row.interest, row.payment, row.balance),
                (period.principal, period.interest, period.payment, period.balance)
            );
        }
        prop_assert_eq!(plan.total_principal, schedule.total_principal);
        prop_assert_eq!(plan.total_interest, schedule.total_interest);
        prop_assert_eq!(plan.total_paid, schedule.total_paid);
        prop_assert_eq!(plan.total_principal, t.amount);
    }

    #[test]
    fn a_due_date_never_leaves_the_month_it_belongs_to(t in terms(360), on in day()) {
        let plan = dated(&t, on);
        let start = i32::from(on.year()) * 12 + i32::from(on.month()) - 1;
        for (k, row) in (1u32..).zip(&plan.rows) {
            // Due k falls in the month k periods after the disbursement (the last maybe short).
            let months = (k * plan.interval_months).min(t.months);
            prop_assert_eq!(row.due_month, months);
            let idx = start + i32::try_from(months).unwrap();
            let (y, m) = (idx / 12, idx % 12 + 1);
            let expected_day = i32::from(on.day()).min(month_len(y, m));
            prop_assert_eq!(
                (i32::from(row.due_date.year()), i32::from(row.due_date.month()), i32::from(row.due_date.day())),
                (y, m, expected_day),
                "row {}", row.n
            );
        }
        prop_assert!(plan.rows.windows(2).all(|w| w[0].due_date < w[1].due_date));
    }

    #[test]
    fn repayment_splits_sum_to_the_amounts_paid(
        t in terms(60),
        on in day(),
        raw in prop::collection::vec((0.0f64..1.2, 0.0f64..2.0), 0..30),
    ) {
        let plan = dated(&t, on);
        let span = days_between(on, plan.maturity().unwrap()).max(1);
        let largest = plan.rows.iter().map(|r| r.payment).max().unwrap_or(1).max(1);
        let repayments: Vec<RecordedRepayment> = raw
            .iter()
            .map(|&(when, size)| RecordedRepayment {
                on: plus_days(on, (span as f64 * when) as i64),
                amount: ((largest as f64 * size) as i64).clamp(1, 10_000_000_000),
            })
            .collect();
        let splits = repayment::split_repayments(&plan, &repayments, AllocationRule::default()).unwrap();
        prop_assert_eq!(splits.len(), repayments.len());
        let mut per_row = vec![(0i64, 0i64); plan.rows.len()];
        for s in &splits {
            prop_assert_eq!(s.amount, repayments[s.index].amount);
            prop_assert_eq!(s.interest + s.principal + s.excess, s.amount);
            prop_assert!(s.interest >= 0 && s.principal >= 0 && s.excess >= 0);
            prop_assert_eq!(s.rows.iter().map(|r| r.interest).sum::<i64>(), s.interest);
            prop_assert_eq!(s.rows.iter().map(|r| r.principal).sum::<i64>(), s.principal);
            for a in &s.rows {
                let k = usize::try_from(a.n - 1).unwrap();
                per_row[k].0 += a.interest;
                per_row[k].1 += a.principal;
            }
        }
        for (row, (i, p)) in plan.rows.iter().zip(&per_row) {
            prop_assert!(*i <= row.interest && *p <= row.principal);
        }
        let end = plus_days(plan.maturity().unwrap(), 3 * span);
        let status = repayment::status_at(&plan, &repayments, end).unwrap();
        let total: i64 = repayments.iter().map(|r| r.amount).sum();
        prop_assert_eq!(status.paid + status.excess, total);
        prop_assert_eq!(status.principal_outstanding, t.amount - per_row.iter().map(|r| r.1).sum::<i64>());
        // Reminders: never before today, only for rows with something left to pay.
        let today = plus_days(on, span / 2);
        let state = repayment::status_at(&plan, &repayments, today).unwrap();
        for r in repayment::reminders(&plan, &repayments, today).unwrap() {
            prop_assert!(r.on >= today && r.on <= r.due_date);
            let row = &state.rows[usize::try_from(r.n - 1).unwrap()];
            prop_assert!(row.outstanding > 0);
            prop_assert_eq!(r.amount, row.outstanding);
        }
    }

    #[test]
    fn a_revolving_line_never_charges_above_its_cap(
        limit in 1i64..=10_000_000_000,
        rate in 0i64..=MAX_RATE,
        cap in 0i64..=MAX_RATE,
        pick in rounding(),
        act365 in any::<bool>(),
        opened in day(),
        raw in prop::collection::vec((0i64..400, any::<bool>(), 0.0f64..1.0), 0..25),
    ) {
        let mut line = CreditLine::new(limit, rate, opened, plus_days(opened, 365));
        line.cap = Some(cap);
        line.rounding = pick;
        line.day_count = if act365 { DayCount::Act365 } else { DayCount::Act360 };
        // Draws within what is available, repayments within what is owed (checked by replay).
        let mut events: Vec<LineEvent> = Vec::new();
        let mut sorted = raw.clone();
        sorted.sort_by_key(|e| e.0);
        for (offset, draw, share) in sorted {
            let on = plus_days(opened, offset.min(365));
            let owed = repayment::line_payoff(&line, &events, on).unwrap();
            let drawn = repayment::line_statement(&line, &events, opened, on).map(|s| s.closing_principal).unwrap();
            let (kind, room) = if draw { (LineEventKind::Draw, limit - drawn) } else { (LineEventKind::Repay, owed) };
            let amount = ((room as f64 * share) as i64).min(room);
            if amount >= 1 {
                events.push(LineEvent { on, kind, amount });
            }
        }
        let s = repayment::line_statement(&line, &events, opened, plus_days(opened, 400)).unwrap();
        let basis = i128::from(line.day_count.basis()) * 1_000_000;
        let mut allowed: i128 = 0;
        for span in &s.spans {
            // Each day: at most principal × cap / basis, rounded down, whatever the rounding.
            let day_cap = i128::from(span.principal) * i128::from(cap) / basis;
            prop_assert!(i128::from(span.daily_interest) <= day_cap);
            prop_assert_eq!(span.interest, span.daily_interest * i64::from(span.days));
            allowed += i128::from(span.principal) * i128::from(cap) * i128::from(span.days);
        }
        prop_assert!(i128::from(s.interest_accrued) * basis <= allowed);
        prop_assert_eq!(s.closing_principal, s.opening_principal + s.drawn - s.principal_repaid);
        prop_assert_eq!(s.closing_interest, s.opening_interest + s.interest_accrued - s.interest_repaid);
    }
}

proptest! {
    // More cases here: the rounding corners (tiny amounts, a zero rate) are rare in the space.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn early_repayment_never_costs_more_than_carrying_on(
        t in terms(120),
        on in day(),
        at in 0.0f64..1.0,
        share in prop_oneof![Just(1.0f64), 0.0f64..1.0],
        shorter in any::<bool>(),
    ) {
        let plan = dated(&t, on);
        let maturity = plan.maturity().unwrap();
        let span = days_between(on, maturity);
        let day = plus_days(on, ((span as f64) * at) as i64);
        prop_assume!(day < maturity);
        let kept = plan.rows.partition_point(|r| r.due_date <= day);
        let balance = if kept == 0 { t.amount } else { plan.rows[kept - 1].balance };
        // (An annuity rounded up can repay everything before its last date.)
        prop_assume!(balance > 0);
        let principal = ((balance as f64 * share).round() as i64).clamp(1, balance);
        let choices = repayment::prepay_choices(&plan);
        let choice = if shorter && choices.contains(&PrepayChoice::ShorterTerm) {
            PrepayChoice::ShorterTerm
        } else {
            PrepayChoice::LowerPayment
        };
        let request = PrepayRequest { on: day, amount: PrepayAmount::Principal { amount: principal }, choice };
        let x = repayment::prepay(&plan, &request).unwrap_or_else(|e| panic!("refused: {e}"));
        let carried_on: i64 = plan.rows[kept..].iter().map(|r| r.interest).sum();
        let after: i64 = x.plan.rows[kept..].iter().map(|r| r.interest).sum();
        prop_assert_eq!(x.interest_if_carried_on, carried_on);
        prop_assert_eq!(x.interest_after, after);
        prop_assert!(after <= carried_on, "after {} > carried on {}", after, carried_on);
        prop_assert!(x.interest_saved >= 0);
        // The same principal, so the total paid from that day on is never higher either.
        prop_assert_eq!(x.plan.total_principal, t.amount);
        prop_assert!(x.plan.total_paid <= plan.total_paid);
        // The new plan: the past unchanged, dates in order, balances falling to 0, and never
        // more owed on a due date than the old plan.
        prop_assert_eq!(&x.plan.rows[..kept], &plan.rows[..kept]);
        prop_assert!(x.plan.rows.windows(2).all(|w| w[0].due_date <= w[1].due_date));
        prop_assert!(x.plan.rows.windows(2).all(|w| w[1].balance <= w[0].balance));
        prop_assert_eq!(x.plan.rows.last().unwrap().balance, 0);
        for row in &x.plan.rows[kept + 1..] {
            let old = plan.rows.iter().find(|o| o.due_date == row.due_date).unwrap();
            prop_assert!(row.balance <= old.balance);
            prop_assert!(row.interest <= old.interest);
            prop_assert!(row.principal >= 0 && row.payment == row.principal + row.interest);
        }
        prop_assert_eq!(x.plan.rows[kept].kind, RowKind::Prepayment);
    }
}
