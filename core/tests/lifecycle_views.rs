//! What people see: the villager's timeline in plain Chinese, and the manager's task list with
//! deadlines and countdowns, most urgent first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::*;
use jiff::tz::{self, TimeZone};
use jiff::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    // 09:05 on 28 November 2026 in the county.
    "2026-11-28T01:05:00Z".parse().unwrap()
}

fn at(seconds: i64) -> Timestamp {
    t0().checked_add(SignedDuration::from_secs(seconds))
        .unwrap()
}

fn county() -> TimeZone {
    TimeZone::fixed(tz::offset(8))
}

fn villager() -> Actor {
    Actor::villager("v-zhang")
}

fn app_n(n: u8, submitted: Timestamp, manager: &str) -> Application {
    let id = ApplicationId::parse(&format!("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f{n:02x}")).unwrap();
    let request = NewApplication {
        product_id: "suli".into(),
        amount: 50_000_000,
        months: 36,
        town: "t".into(),
    };
    let (mut app, _) = Application::open(id, &villager(), request, submitted).unwrap();
    app.execute(&villager(), Command::Submit, submitted)
        .unwrap();
    app.execute(
        &Actor::system(),
        Command::Assign {
            manager_id: manager.into(),
            bank_id: "b".into(),
        },
        submitted,
    )
    .unwrap();
    app
}

#[test]
fn the_timeline_reads_in_chinese_with_county_time() {
    let app = app_n(1, t0(), "m-li");
    let line = timeline(&app, &SlaPolicy::default(), &county(), t0());
    assert_eq!(line.state_zh, "已分配客户经理");
    assert_eq!(line.entries.len(), 3);
    assert_eq!(line.entries[0].when_zh, "11月28日 09:05");
    assert_eq!(line.entries[0].when_en, "Nov 28 09:05");
    assert_eq!(line.entries[0].title_zh, "填写了贷款申请");
    assert_eq!(
        line.entries[0].detail_zh.as_deref(),
        Some("申请金额 ¥500,000.00，期限 36 个月")
    );
    assert_eq!(line.entries[1].title_zh, "提交了申请");
    assert_eq!(line.entries[2].title_zh, "已为您安排客户经理");
    assert_eq!(line.next_zh, "客户经理将在 5 分钟内联系您，请保持电话畅通");
    assert!(line.next_en.contains("within 5 minutes"));
}

#[test]
fn the_promise_counts_down_and_changes_once_late() {
    let app = app_n(1, t0(), "m-li");
    let policy = SlaPolicy::default();
    assert!(
        next_step(&app, &policy, at(3 * 60 + 10))
            .0
            .contains("2 分钟内")
    );
    assert_eq!(
        next_step(&app, &policy, at(6 * 60)).0,
        "客户经理马上联系您，请保持电话畅通"
    );
}

#[test]
fn the_years_show_only_when_they_differ_and_the_time_zone_is_the_callers() {
    let tz = county();
    let new_year_eve = "2025-12-31T15:30:00Z".parse::<Timestamp>().unwrap(); // 23:30 in the county
    assert_eq!(
        format_when_zh(new_year_eve, &tz, t0()),
        "2025年12月31日 23:30"
    );
    assert_eq!(format_when_en(new_year_eve, &tz, t0()), "Dec 31 2025 23:30");
    assert_eq!(
        format_when_zh(new_year_eve, &TimeZone::UTC, new_year_eve),
        "12月31日 15:30"
    );
}

#[test]
fn the_villager_reads_what_to_photograph_and_the_offer_but_never_the_banks_call_note() {
    let mut app = app_n(1, t0(), "m-li");
    let m = Actor::manager("m-li");
    app.execute(
        &m,
        Command::LogContact {
            note: Some("户主电话 13800000000 已接通".into()),
            outcome: Default::default(),
        },
        at(120),
    )
    .unwrap();
    app.execute(&m, Command::StartReview, at(180)).unwrap();
    app.execute(
        &m,
        Command::RequestDocuments {
            kinds: vec![DocumentKind::LandContract, DocumentKind::HouseholdRegister],
            note: "请在白天拍".into(),
        },
        at(240),
    )
    .unwrap();
    let line = timeline(&app, &SlaPolicy::default(), &county(), at(300));
    assert_eq!(
        line.next_zh,
        "请拍照补充：土地承包合同或土地经营权证、户口簿"
    );
    let all = serde_json::to_string(&line).unwrap();
    assert!(!all.contains("13800000000"), "the call note leaked: {all}");
    let asked = line.entries.last().unwrap();
    assert_eq!(asked.title_zh, "银行请您补充材料");
    assert_eq!(
        asked.detail_zh.as_deref(),
        Some("需要：土地承包合同或土地经营权证、户口簿。说明：请在白天拍")
    );

    app.execute(&villager(), Command::ProvideDocuments, at(400))
        .unwrap();
    let offer = ApprovedOffer {
        amount: 30_000_000,
        months: 36,
        annual_rate_ppm: 39_500,
    };
    app.execute(&m, Command::Approve { offer }, at(500))
        .unwrap();
    let line = timeline(&app, &SlaPolicy::default(), &county(), at(600));
    assert_eq!(
        line.next_zh,
        "请确认贷款方案：¥300,000.00，36 个月，年利率 3.95%"
    );
    assert_eq!(
        line.entries.last().unwrap().detail_zh.as_deref(),
        Some("金额 ¥300,000.00，期限 36 个月，年利率 3.95%")
    );
}

#[test]
fn an_escalation_shows_in_the_timeline_as_the_county_stepping_in() {
    let mut app = app_n(1, t0(), "m-li");
    let policy = SlaPolicy::default();
    app.execute(
        &Actor::system(),
        Command::Escalate {
            to: "a-county".into(),
            policy,
        },
        at(600),
    )
    .unwrap();
    let line = timeline(&app, &policy, &county(), at(660));
    assert_eq!(
        line.entries.last().unwrap().title_zh,
        "客户经理未按时联系，已转县管理员督办"
    );
    assert_eq!(line.entries.last().unwrap().when_zh, "11月28日 09:15");
    assert_eq!(line.next_zh, "县管理员正在督办，客户经理马上联系您");
}

#[test]
fn a_managers_calls_are_due_five_minutes_after_submission_and_the_most_urgent_comes_first() {
    let policy = SlaPolicy::default();
    let early = app_n(1, t0(), "m-li");
    let later = app_n(2, at(120), "m-li");
    let someone_elses = app_n(3, t0(), "m-wang");
    let now = at(200);
    let tasks = tasks_for(
        "m-li",
        &[later.clone(), someone_elses, early.clone()],
        &policy,
        now,
    );
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].application_id, early.id);
    assert_eq!(tasks[0].kind, TaskKind::Call);
    assert_eq!(tasks[0].deadline, at(300));
    assert_eq!(tasks[0].seconds_left, 100);
    assert_eq!(tasks[0].countdown_zh, "还剩 1分40秒");
    assert_eq!(tasks[0].title_zh, "电话联系 · 50万元 · 36个月");
    assert_eq!(tasks[1].application_id, later.id);
    assert_eq!(tasks[1].deadline, at(420));

    let late = tasks_for("m-li", &[early], &policy, at(425));
    assert_eq!(late[0].seconds_left, -125);
    assert!(late[0].overdue);
    assert_eq!(late[0].countdown_zh, "已超时 2分05秒");
    assert_eq!(late[0].countdown_en, "2m 05s late");
}

#[test]
fn the_inbox_follows_the_application_from_call_to_payout() {
    let policy = SlaPolicy::default();
    let m = Actor::manager("m-li");
    let mut app = app_n(1, t0(), "m-li");
    let kinds = |app: &Application, now| {
        tasks_for("m-li", std::slice::from_ref(app), &policy, now)
            .iter()
            .map(|t| t.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&app, at(10)), vec![TaskKind::Call]);
    app.execute(
        &m,
        Command::LogContact {
            note: None,
            outcome: Default::default(),
        },
        at(60),
    )
    .unwrap();
    assert_eq!(kinds(&app, at(70)), vec![TaskKind::Decide]);
    app.execute(&m, Command::StartReview, at(80)).unwrap();
    let decide_task = &tasks_for("m-li", std::slice::from_ref(&app), &policy, at(80))[0];
    assert_eq!(decide_task.deadline, at(80 + 2 * 24 * 3600));
    assert_eq!(decide_task.countdown_zh, "还剩 2天0小时");
    app.execute(
        &m,
        Command::RequestDocuments {
            kinds: vec![DocumentKind::Lease],
            note: String::new(),
        },
        at(90),
    )
    .unwrap();
    assert!(
        kinds(&app, at(100)).is_empty(),
        "waiting for the villager is not the manager's task"
    );
    app.execute(&villager(), Command::ProvideDocuments, at(3_600))
        .unwrap();
    assert_eq!(kinds(&app, at(3_700)), vec![TaskKind::ReviewDocuments]);
    let offer = ApprovedOffer {
        amount: 50_000_000,
        months: 36,
        annual_rate_ppm: 40_000,
    };
    app.execute(&m, Command::Approve { offer }, at(4_000))
        .unwrap();
    assert!(kinds(&app, at(4_100)).is_empty());
    app.execute(&villager(), Command::AcceptOffer, at(5_000))
        .unwrap();
    let payout = &tasks_for("m-li", std::slice::from_ref(&app), &policy, at(5_000))[0];
    assert_eq!(payout.kind, TaskKind::Disburse);
    assert_eq!(payout.deadline, at(5_000 + 24 * 3600));
    app.execute(&m, Command::Disburse { amount: 50_000_000 }, at(6_000))
        .unwrap();
    assert!(kinds(&app, at(6_100)).is_empty());
}

#[test]
fn a_reassigned_file_moves_to_the_new_managers_inbox() {
    let policy = SlaPolicy::default();
    let mut app = app_n(1, t0(), "m-li");
    app.execute(
        &Actor::administrator("a"),
        Command::Reassign {
            to: "m-wang".into(),
            bank_id: "b".into(),
        },
        at(30),
    )
    .unwrap();
    assert!(tasks_for("m-li", std::slice::from_ref(&app), &policy, at(40)).is_empty());
    let moved = tasks_for("m-wang", std::slice::from_ref(&app), &policy, at(40));
    assert_eq!(moved.len(), 1);
    assert_eq!(
        moved[0].deadline,
        at(300),
        "the call deadline still counts from submission"
    );
}
