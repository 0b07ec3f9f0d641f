#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Repayments recorded against a plan: the split into interest and principal, what is due,
//! paid and late on a day, the overdue stages (1, 30, 90 days), and the reminders the phone
//! schedules. Expected figures are worked out by hand in the comments (12,000 yuan at 12 %
//! equal principal: 1,000 yuan of principal a month, interest 120, 110, 100 … yuan).

use huoshui_core::domain::cost::{LoanTerms, Method};
use huoshui_core::domain::repayment::{
    self, AllocationRule, OverdueChange, OverdueStage, RecordedRepayment, ReminderKind,
    RepaymentError, RepaymentPlan, RowAllocation, RowStatus,
};
use jiff::civil::{Date, date};

/// 12,000 yuan, 12 %, 12 months, equal principal, disbursed 31 January 2027: rows due
/// 28 Feb (1,120 yuan), 31 Mar (1,110), 30 Apr (1,100), …
fn loan() -> RepaymentPlan {
    let terms = LoanTerms::new(1_200_000, 120_000, 12, Method::EqualPrincipal);
    repayment::plan(&terms, date(2027, 1, 31)).unwrap()
}

fn paid(on: Date, yuan: i64) -> RecordedRepayment {
    RecordedRepayment {
        on,
        amount: yuan * 100,
    }
}

#[test]
fn the_hand_worked_plan_is_the_one_under_test() {
    let p = loan();
    let payments: Vec<i64> = p.rows.iter().take(3).map(|r| r.payment).collect();
    assert_eq!(payments, [112_000, 111_000, 110_000]);
}

#[test]
fn paying_every_row_on_its_date_closes_the_loan_without_ever_being_late() {
    let p = loan();
    let repayments: Vec<RecordedRepayment> = p
        .rows
        .iter()
        .map(|r| RecordedRepayment {
            on: r.due_date,
            amount: r.payment,
        })
        .collect();
    let end = date(2028, 1, 31);
    let status = repayment::status_at(&p, &repayments, end).unwrap();
    assert!(status.closed);
    assert_eq!((status.late, status.due_now, status.days_late), (0, 0, 0));
    assert_eq!(status.principal_outstanding, 0);
    assert_eq!(status.paid, p.total_paid);
    assert!(status.rows.iter().all(|r| r.status == RowStatus::Paid));
    assert_eq!(status.rows[0].paid_on, Some(date(2027, 2, 28)));
    assert!(
        repayment::overdue_history(&p, &repayments, end)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_missed_payment_is_late_from_the_next_day_and_reaches_30_and_90_days() {
    let p = loan();
    // First due 28 Feb 2027: 1 day late on 1 March, 30 days on 30 March, 90 on 29 May.
    let history = repayment::overdue_history(&p, &[], date(2027, 6, 30)).unwrap();
    let stages: Vec<(Date, Option<OverdueStage>, u32)> = history
        .iter()
        .map(|c| (c.on, c.stage, c.days_late))
        .collect();
    assert_eq!(
        stages,
        [
            (date(2027, 3, 1), Some(OverdueStage::Late1), 1),
            (date(2027, 3, 30), Some(OverdueStage::Late30), 30),
            (date(2027, 5, 29), Some(OverdueStage::Late90), 90),
        ]
    );
    assert!(history.iter().all(|c| c.oldest_late_row == Some(1)));

    // On 30 June: 122 days late (31 + 30 + 31 + 30), four rows late, the fifth due today.
    let s = repayment::status_at(&p, &[], date(2027, 6, 30)).unwrap();
    assert_eq!(s.days_late, 122);
    assert_eq!(s.stage, Some(OverdueStage::Late90));
    assert_eq!(s.late, (1_120 + 1_110 + 1_100 + 1_090) * 100);
    assert_eq!(s.due_now, s.late + 1_080 * 100);
    let statuses: Vec<RowStatus> = s.rows.iter().take(6).map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            RowStatus::Late,
            RowStatus::Late,
            RowStatus::Late,
            RowStatus::Late,
            RowStatus::DueToday,
            RowStatus::Upcoming
        ]
    );
    assert_eq!(s.next_due.map(|n| n.n), Some(5));
}

#[test]
fn a_late_payment_ends_the_overdue_stage_on_the_day_it_is_paid() {
    let p = loan();
    let repayments = [paid(date(2027, 3, 5), 1_120)];
    let history = repayment::overdue_history(&p, &repayments, date(2027, 3, 20)).unwrap();
    assert_eq!(
        history,
        [
            OverdueChange {
                on: date(2027, 3, 1),
                stage: Some(OverdueStage::Late1),
                days_late: 1,
                oldest_late_row: Some(1),
            },
            OverdueChange {
                on: date(2027, 3, 5),
                stage: None,
                days_late: 0,
                oldest_late_row: None,
            },
        ]
    );
    let s = repayment::status_at(&p, &repayments, date(2027, 3, 5)).unwrap();
    assert_eq!(s.rows[0].status, RowStatus::Paid);
    assert_eq!(s.rows[0].paid_on, Some(date(2027, 3, 5)));
    assert_eq!(s.stage, None);
}

#[test]
fn paid_the_day_after_the_due_date_counts_as_one_day_late() {
    let p = loan();
    let repayments = [paid(date(2027, 3, 1), 1_120)];
    let history = repayment::overdue_history(&p, &repayments, date(2027, 3, 2)).unwrap();
    let stages: Vec<(Date, Option<OverdueStage>)> =
        history.iter().map(|c| (c.on, c.stage)).collect();
    assert_eq!(
        stages,
        [
            (date(2027, 3, 1), Some(OverdueStage::Late1)),
            (date(2027, 3, 1), None)
        ]
    );
}

#[test]
fn a_short_payment_pays_the_interest_of_every_due_row_before_any_principal() {
    let p = loan();
    // Nothing paid until 1 April; then 300 yuan: interest 120 + 110 first, 70 of principal to row 1.
    let splits = repayment::split_repayments(
        &p,
        &[paid(date(2027, 4, 1), 300)],
        AllocationRule::InterestThenPrincipal,
    )
    .unwrap();
    let s = &splits[0];
    assert_eq!(
        (s.interest, s.principal, s.excess),
        (23_000, 7_000, 0),
        "{s:?}"
    );
    assert_eq!(
        s.rows,
        [
            RowAllocation {
                n: 1,
                interest: 12_000,
                principal: 7_000
            },
            RowAllocation {
                n: 2,
                interest: 11_000,
                principal: 0
            },
        ]
    );
    // Still late: row 1 lacks 930 yuan of principal and row 2 its 1,000.
    let st = repayment::status_at(&p, &[paid(date(2027, 4, 1), 300)], date(2027, 4, 1)).unwrap();
    assert_eq!(st.late, 93_000 + 100_000);
    assert_eq!(st.days_late, 32);
}

#[test]
fn money_paid_ahead_of_a_due_date_goes_to_the_coming_instalment() {
    let p = loan();
    let early = [paid(date(2027, 2, 28), 1_620)];
    let split = &repayment::split_repayments(&p, &early, AllocationRule::default()).unwrap()[0];
    // 1,120 for row 1; the other 500 to row 2: its 110 of interest, then 390 of principal.
    assert_eq!(split.rows[1].n, 2);
    assert_eq!(
        (split.rows[1].interest, split.rows[1].principal),
        (11_000, 39_000)
    );
    let st = repayment::status_at(&p, &early, date(2027, 3, 1)).unwrap();
    assert_eq!(st.rows[1].status, RowStatus::Upcoming);
    assert_eq!(st.rows[1].outstanding, 61_000);
    assert_eq!(st.next_due.map(|n| (n.n, n.amount)), Some((2, 61_000)));
}

#[test]
fn paying_more_than_the_whole_plan_leaves_an_excess() {
    let p = loan();
    let total = p.total_paid;
    let r = [RecordedRepayment {
        on: date(2027, 2, 1),
        amount: total + 1_234,
    }];
    let split = &repayment::split_repayments(&p, &r, AllocationRule::default()).unwrap()[0];
    assert_eq!(split.excess, 1_234);
    assert_eq!(split.interest + split.principal, total);
    let st = repayment::status_at(&p, &r, date(2027, 2, 1)).unwrap();
    assert!(st.closed);
    assert_eq!(st.excess, 1_234);
}

#[test]
fn repayments_on_one_day_apply_in_the_order_given_and_later_ones_wait() {
    let p = loan();
    let r = [
        paid(date(2027, 5, 1), 50),
        paid(date(2027, 3, 1), 1_120),
        paid(date(2027, 3, 1), 10),
    ];
    let splits = repayment::split_repayments(&p, &r, AllocationRule::default()).unwrap();
    let order: Vec<usize> = splits.iter().map(|s| s.index).collect();
    assert_eq!(order, [1, 2, 0]);
    // Before 1 May, only the March repayments count.
    let st = repayment::status_at(&p, &r, date(2027, 4, 1)).unwrap();
    assert_eq!(st.paid, 113_000);
}

#[test]
fn a_repayment_of_nothing_or_before_the_loan_is_refused() {
    let p = loan();
    let zero = [paid(date(2027, 3, 1), 10), paid(date(2027, 3, 1), 0)];
    assert_eq!(
        repayment::status_at(&p, &zero, date(2027, 3, 1)),
        Err(RepaymentError::InvalidRepayment { index: 2 })
    );
    let before = [paid(date(2027, 1, 30), 10)];
    let err = repayment::split_repayments(&p, &before, AllocationRule::default()).unwrap_err();
    assert!(matches!(
        err,
        RepaymentError::RepaymentBeforeDisbursement { index: 1, .. }
    ));
    assert!(err.message_zh().contains("放款日") && err.message_en().contains("disbursement"));
}

#[test]
fn reminders_come_a_week_before_the_day_before_and_on_the_day_but_never_in_the_past() {
    let p = loan();
    // Today 22 Feb: row 1 (28 Feb) has lost its 21 Feb reminder; row 2 (31 Mar) has all three.
    let list = repayment::reminders(&p, &[], date(2027, 2, 22)).unwrap();
    let first: Vec<(Date, u32, ReminderKind)> =
        list.iter().take(5).map(|r| (r.on, r.n, r.kind)).collect();
    assert_eq!(
        first,
        [
            (date(2027, 2, 27), 1, ReminderKind::DayBefore),
            (date(2027, 2, 28), 1, ReminderKind::DueDay),
            (date(2027, 3, 24), 2, ReminderKind::WeekBefore),
            (date(2027, 3, 30), 2, ReminderKind::DayBefore),
            (date(2027, 3, 31), 2, ReminderKind::DueDay),
        ]
    );
    assert_eq!(list.len(), 2 + 11 * 3);
    let week = &list[2];
    assert_eq!(week.text_zh, "3月31日应还 ¥1,110.00，还有7天");
    assert_eq!(week.text_en, "¥1,110.00 due on 31 Mar, in 7 days");
    assert_eq!(list[1].text_zh, "今天（2月28日）应还 ¥1,120.00");
    assert_eq!(list[0].text_zh, "明天（2月28日）应还 ¥1,120.00");
    assert_eq!(week.amount, 111_000);
    // Keys are unique, so a shell can replace what it scheduled before.
    let mut keys: Vec<&str> = list.iter().map(|r| r.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), list.len());
}

#[test]
fn a_row_paid_ahead_loses_its_reminders_and_a_part_paid_row_shows_what_is_left() {
    let p = loan();
    let r = [paid(date(2027, 2, 20), 1_120 + 610)];
    let list = repayment::reminders(&p, &r, date(2027, 2, 22)).unwrap();
    assert!(list.iter().all(|x| x.n != 1));
    let row2: Vec<i64> = list.iter().filter(|x| x.n == 2).map(|x| x.amount).collect();
    assert_eq!(row2, [50_000, 50_000, 50_000]);
}

#[test]
fn pear_loan_status_shows_its_interest_only_rows() {
    let method = Method::GraceThenAmortize {
        grace_months: 36,
        then: huoshui_core::domain::cost::Amortization::EqualPrincipal,
    };
    let terms = LoanTerms::new(50_000_000, 42_000, 60, method)
        .with_frequency(huoshui_core::domain::cost::Frequency::Quarterly);
    let p = repayment::plan(&terms, date(2026, 3, 31)).unwrap();
    let s = repayment::status_at(&p, &[], date(2026, 4, 1)).unwrap();
    let interest_only = s
        .rows
        .iter()
        .filter(|r| r.kind == repayment::RowKind::InterestOnly)
        .count();
    assert_eq!(interest_only, 12);
    // A quarter's interest on 500,000 yuan at 4.2 %: 5,250 yuan.
    assert_eq!(s.next_due.map(|n| n.amount), Some(525_000));
}

#[test]
fn a_thirty_year_loan_gives_the_phone_only_its_sixty_soonest_reminders() {
    // iOS keeps at most 64 pending local notifications: 20 due dates × 3 reminders.
    let terms = LoanTerms::new(100_000_000, 49_000, 360, Method::EqualInstallment);
    let p = repayment::plan(&terms, date(2027, 1, 31)).unwrap();
    let list = repayment::reminders(&p, &[], date(2027, 1, 31)).unwrap();
    assert_eq!(list.len(), repayment::MAX_REMINDERS);
    assert_eq!(list.len(), 60);
    let rows: Vec<u32> = list.iter().map(|r| r.n).collect();
    let expected: Vec<u32> = (1..=20).flat_map(|n| [n, n, n]).collect();
    assert_eq!(rows, expected);
    // A year later, the list has rolled forward.
    let later = repayment::reminders(&p, &[], date(2028, 2, 1)).unwrap();
    assert_eq!(later.first().map(|r| r.n), Some(13));
}
