//! A paid-out loan on the application's timeline, stated as product rules: who records a
//! repayment and when, how the platform's sweep marks a loan late (1, 30, 90 days) and closes
//! it, and when the SMS reminder is due. The same functions run on the phone and the platform.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::lifecycle::loan::{
    china_date, disbursed_on, due_system_command, loan_plan, recorded_repayments, sms_reminder_due,
};
use huoshui_core::domain::lifecycle::*;
use huoshui_core::domain::repayment::{OverdueStage, RepaymentPlan};
use jiff::Timestamp;
use jiff::civil::{Date, date};

/// 09:05 in the county on 28 November 2026: the day the pear loan is paid out.
fn t0() -> Timestamp {
    "2026-11-28T01:05:00Z".parse().unwrap()
}

/// 10:00 in the county on `day`.
fn at(day: Date) -> Timestamp {
    format!("{day}T02:00:00Z").parse().unwrap()
}

fn manager() -> Actor {
    Actor::manager("m-runchang-1")
}

/// A 酥梨贷 of 100,000 yuan for 60 months at 4.2 %: quarterly, three years interest only.
/// Each of the first twelve rows asks 1,050 yuan of interest.
fn accepted() -> Application {
    let villager = Actor::villager("v001");
    let request = NewApplication {
        product_id: "runchang-suli".into(),
        amount: 10_000_000,
        months: 60,
        town: "chongwen".into(),
    };
    let id = ApplicationId::parse("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f01").unwrap();
    let (mut app, _) = Application::open(id, &villager, request, t0()).unwrap();
    let steps = [
        (villager.clone(), Command::Submit),
        (
            Actor::system(),
            Command::Assign {
                manager_id: "m-runchang-1".into(),
                bank_id: "runchang".into(),
            },
        ),
        (
            manager(),
            Command::LogContact {
                note: None,
                outcome: ContactOutcome::Reached,
            },
        ),
        (manager(), Command::StartReview),
        (
            manager(),
            Command::Approve {
                offer: ApprovedOffer {
                    amount: 10_000_000,
                    months: 60,
                    annual_rate_ppm: 42_000,
                },
            },
        ),
        (villager, Command::AcceptOffer),
    ];
    for (actor, cmd) in steps {
        app.execute(&actor, cmd, t0()).unwrap();
    }
    app
}

fn disbursed() -> Application {
    let mut app = accepted();
    app.execute(&manager(), Command::Disburse { amount: 10_000_000 }, t0())
        .unwrap();
    app
}

fn plan(app: &Application) -> RepaymentPlan {
    let catalog = Catalog::embedded().unwrap();
    let product = catalog.product("runchang-suli").unwrap();
    loan_plan(app, product).unwrap().unwrap()
}

fn repay(app: &mut Application, on: Date, amount: i64) -> Result<Event, LifecycleError> {
    app.execute(&manager(), Command::RecordRepayment { on, amount }, at(on))
}

/// Runs the system's commands due on `today` until none is left; the events recorded.
fn sweep(app: &mut Application, today: Date) -> Vec<EventKind> {
    let mut out = Vec::new();
    while let Some(cmd) = due_system_command(app, &plan(app), today).unwrap() {
        out.push(app.execute(&Actor::system(), cmd, at(today)).unwrap().kind);
    }
    out
}

#[test]
fn the_plan_starts_on_the_china_day_of_the_payout_with_three_interest_only_years() {
    let app = disbursed();
    assert_eq!(china_date(t0()), date(2026, 11, 28));
    assert_eq!(disbursed_on(&app), Some(date(2026, 11, 28)));
    let p = plan(&app);
    assert_eq!(p.rows[0].due_date, date(2027, 2, 28));
    assert_eq!(p.rows[0].interest, 105_000);
    assert_eq!(p.rows.iter().filter(|r| r.interest_only()).count(), 12);
    let catalog = Catalog::embedded().unwrap();
    let product = catalog.product("runchang-suli").unwrap();
    assert!(loan_plan(&accepted(), product).unwrap().is_none());
}

#[test]
fn a_manager_records_a_repayment_and_the_villager_reads_it_on_the_timeline() {
    let mut app = disbursed();
    let event = repay(&mut app, date(2027, 2, 28), 105_000).unwrap();
    assert_eq!(event.kind.name(), "repayment_recorded");
    assert_eq!(app.state, State::Disbursed);
    assert_eq!(recorded_repayments(&app).len(), 1);
    let china = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    let t = timeline(&app, &SlaPolicy::new(5, 10), &china, at(date(2027, 2, 28)));
    let last = t.entries.last().unwrap();
    assert_eq!(last.title_zh, "银行已登记您的还款");
    let detail = last.detail_zh.as_deref().unwrap();
    assert!(
        detail.contains("2027年2月28日") && detail.contains("¥1,050.00"),
        "{detail}"
    );
    assert_eq!(last.by, Role::Manager);
    // The event travels as JSON with an ISO day.
    let json = serde_json::to_string(&event.kind).unwrap();
    assert!(json.contains(r#""on":"2027-02-28""#), "{json}");
}

#[test]
fn only_the_assigned_manager_or_an_administrator_records_a_repayment_after_the_payout() {
    let on = date(2027, 1, 5);
    let cmd = |amount| Command::RecordRepayment { on, amount };
    let mut app = disbursed();
    let villager = Actor::villager("v001");
    let code = |r: Result<Event, LifecycleError>| r.unwrap_err().code();
    assert_eq!(
        code(decide(&app, &villager, cmd(100), at(on))),
        "role_cannot"
    );
    let colleague = Actor::manager("m-runchang-2");
    assert_eq!(
        code(decide(&app, &colleague, cmd(100), at(on))),
        "not_yours"
    );
    assert_eq!(
        code(decide(&accepted(), &manager(), cmd(100), at(on))),
        "illegal_transition"
    );
    assert_eq!(code(decide(&app, &manager(), cmd(0), at(on))), "invalid");
    // Not before the payout, not after today.
    let early = Command::RecordRepayment {
        on: date(2026, 11, 27),
        amount: 100,
    };
    assert_eq!(code(decide(&app, &manager(), early, at(on))), "invalid");
    let ahead = Command::RecordRepayment {
        on: date(2027, 1, 6),
        amount: 100,
    };
    assert_eq!(code(decide(&app, &manager(), ahead, at(on))), "invalid");
    // The administrator may; the system may not (it only marks overdue).
    app.execute(&Actor::administrator("admin"), cmd(100), at(on))
        .unwrap();
    assert_eq!(
        code(decide(&app, &Actor::system(), cmd(100), at(on))),
        "role_cannot"
    );
}

#[test]
fn the_sweep_marks_a_missed_date_late_the_next_day_then_30_and_90_days_and_clears_when_paid() {
    let mut app = disbursed();
    assert!(
        sweep(&mut app, date(2027, 2, 28)).is_empty(),
        "due today is not late"
    );
    let late = sweep(&mut app, date(2027, 3, 1));
    assert!(
        matches!(
            late.as_slice(),
            [EventKind::OverdueChanged {
                stage: Some(OverdueStage::Late1),
                days_late: 1,
                ..
            }]
        ),
        "{late:?}"
    );
    assert_eq!(app.overdue, Some(OverdueStage::Late1));
    assert!(
        sweep(&mut app, date(2027, 3, 2)).is_empty(),
        "one event per stage"
    );
    let stages = |kinds: Vec<EventKind>| -> Vec<(Option<OverdueStage>, u32)> {
        kinds
            .into_iter()
            .filter_map(|k| match k {
                EventKind::OverdueChanged {
                    stage, days_late, ..
                } => Some((stage, days_late)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        stages(sweep(&mut app, date(2027, 3, 30))),
        [(Some(OverdueStage::Late30), 30)]
    );
    assert_eq!(
        stages(sweep(&mut app, date(2027, 5, 29))),
        [(Some(OverdueStage::Late90), 90)]
    );
    // Both rows due by then (28 Feb and 28 May) paid on 29 May: no longer late.
    repay(&mut app, date(2027, 5, 29), 210_000).unwrap();
    assert_eq!(stages(sweep(&mut app, date(2027, 5, 29))), [(None, 0)]);
    assert_eq!(app.overdue, None);
    assert_eq!(app.state, State::Disbursed);
    let china = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    let t = timeline(&app, &SlaPolicy::new(5, 10), &china, at(date(2027, 5, 29)));
    let titles: Vec<&str> = t.entries.iter().map(|e| e.title_zh.as_str()).collect();
    assert_eq!(
        titles[titles.len() - 5..],
        [
            "还款已逾期",
            "还款已逾期",
            "还款已逾期",
            "银行已登记您的还款",
            "逾期已还清"
        ]
    );
}

#[test]
fn a_late_loan_tells_the_villager_to_repay() {
    let mut app = disbursed();
    sweep(&mut app, date(2027, 3, 1));
    let (zh, en) = next_step(&app, &SlaPolicy::new(5, 10), at(date(2027, 3, 1)));
    assert!(zh.contains("逾期") && en.contains("late"), "{zh} / {en}");
}

#[test]
fn paying_every_row_closes_the_loan_and_nothing_follows() {
    let mut app = disbursed();
    let total = plan(&app).total_paid;
    repay(&mut app, date(2027, 1, 10), total).unwrap();
    let kinds = sweep(&mut app, date(2027, 1, 10));
    assert_eq!(kinds, [EventKind::Repaid]);
    assert_eq!(app.state, State::Closed);
    assert!(repay(&mut app, date(2027, 1, 11), 1).is_err());
    assert!(sweep(&mut app, date(2030, 1, 1)).is_empty());
}

#[test]
fn a_loan_paid_off_while_late_leaves_the_stage_before_it_closes() {
    let mut app = disbursed();
    sweep(&mut app, date(2027, 3, 10));
    assert_eq!(app.overdue, Some(OverdueStage::Late1));
    let total = plan(&app).total_paid;
    repay(&mut app, date(2027, 3, 10), total).unwrap();
    let kinds = sweep(&mut app, date(2027, 3, 10));
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(matches!(
        kinds[0],
        EventKind::OverdueChanged { stage: None, .. }
    ));
    assert_eq!(kinds[1], EventKind::Repaid);
}

#[test]
fn an_overdue_stage_that_the_days_do_not_show_is_refused() {
    let app = disbursed();
    let cmd = Command::MarkOverdue {
        on: date(2027, 3, 1),
        stage: Some(OverdueStage::Late30),
        days_late: 1,
    };
    let err = decide(&app, &Actor::system(), cmd, at(date(2027, 3, 1))).unwrap_err();
    assert_eq!(err.code(), "invalid");
}

#[test]
fn the_platform_texts_three_days_before_a_due_date_until_it_is_paid() {
    let mut app = disbursed();
    let p = plan(&app);
    let due =
        |app: &Application, day| sms_reminder_due(&p, &recorded_repayments(app), day).unwrap();
    assert_eq!(due(&app, date(2027, 2, 24)), None);
    let next = due(&app, date(2027, 2, 25)).unwrap();
    assert_eq!(
        (next.n, next.due_date, next.amount),
        (1, date(2027, 2, 28), 105_000)
    );
    assert!(due(&app, date(2027, 2, 28)).is_some());
    repay(&mut app, date(2027, 2, 26), 105_000).unwrap();
    assert_eq!(due(&app, date(2027, 2, 27)), None);
}
