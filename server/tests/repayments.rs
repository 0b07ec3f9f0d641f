//! Loans in progress on the platform (issue 14): the manager records repayments, the daily
//! sweep on the platform clock marks a loan 1, 30 and 90 days late and closes it when paid,
//! the villager's phone hears of each through the feed, and the SMS reminder goes out once,
//! three days before a due date. The real server on 127.0.0.1 with a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, User, http_client, start_time};
use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::repayment::plan_for_product;
use huoshui_server::auth::DevCodeProvider;
use huoshui_server::clock::ManualClock;
use huoshui_server::directory::Directory;
use huoshui_server::repayments::{SweepReport, sweep};
use huoshui_server::sms::{LogSms, SmsError, SmsFuture, SmsMessage, SmsSender};
use huoshui_server::{Config, start};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

const AMOUNT: i64 = 10_000_000; // 100,000 yuan

/// The platform with a manual clock (09:00 in the county on 28 November 2026) and an SMS
/// sender that counts what it was asked to send.
async fn platform(dir: &std::path::Path) -> (Platform, Arc<LogSms>) {
    let sms = Arc::new(LogSms::default());
    (platform_with(dir, sms.clone()).await, sms)
}

/// The platform with `sms` as its text-message sender.
async fn platform_with(dir: &std::path::Path, sms: Arc<dyn SmsSender>) -> Platform {
    let clock = Arc::new(ManualClock::new(start_time()));
    let codes = Arc::new(DevCodeProvider::new());
    let mut config = Config::new(dir.to_path_buf(), Directory::embedded().unwrap());
    config.clock = clock.clone();
    // Sign-in runs on real time: sessions must outlast the months the loan clock skips.
    config.codes = codes.clone();
    config.sms = sms;
    config.sla_poll = None;
    let push = Arc::new(common::RecordingPush::default());
    config.push = push.clone();
    config.database = common::test_database();
    let running = start(config).await.unwrap();
    let base = format!("http://{}", running.addr);
    Platform {
        push,
        running,
        clock,
        codes,
        base,
        http: http_client(),
        dir: dir.to_path_buf(),
    }
}

/// A text-message sender whose first `failures` sends fail (the vendor unreachable), then
/// counts what it sends.
struct FlakySms {
    failures: std::sync::atomic::AtomicUsize,
    sent: LogSms,
}

impl SmsSender for FlakySms {
    fn send<'a>(&'a self, phone: &'a str, message: &'a SmsMessage) -> SmsFuture<'a> {
        use std::sync::atomic::Ordering;
        let failed = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failed {
            return Box::pin(async { Err(SmsError::Retry("vendor unreachable".into())) });
        }
        self.sent.send(phone, message)
    }
}

/// Moves the platform clock to 10:00 in the county on `day` (`2027-02-25`).
fn set_day(p: &Platform, day: &str) {
    let target: jiff::Timestamp = format!("{day}T02:00:00Z").parse().unwrap();
    let now = huoshui_server::clock::Clock::now(p.clock.as_ref());
    p.clock.advance(now.duration_until(target));
}

/// A 酥梨贷 of 100,000 yuan for 60 months at 4.2 %, paid out on 28 November 2026: its first
/// row (1,050 yuan of interest) falls due on 28 February 2027, the second on 28 May.
async fn pear_loan(p: &Platform, villager: &User, manager: &User) -> String {
    let a = villager
        .submit(
            &uuid::Uuid::new_v4().to_string(),
            json!({"product_id": "runchang-suli", "amount_fen": AMOUNT, "months": 60,
                   "industry": "pear", "purpose": "orchard"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let id = a.body["id"].as_str().unwrap().to_owned();
    let steps: [(&User, &str, Value); 5] = [
        (manager, "contact", json!({"outcome": "reached"})),
        (manager, "start-review", json!({})),
        (
            manager,
            "approve",
            json!({"amount_fen": AMOUNT, "months": 60, "annual_rate_ppm": 42_000}),
        ),
        (villager, "accept", json!({})),
        (manager, "disburse", json!({"amount_fen": AMOUNT})),
    ];
    for (who, step, body) in steps {
        let a = who
            .post(&format!("/v1/applications/{id}/{step}"), body)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{step}: {}", a.text);
    }
    let _ = p;
    id
}

async fn repay(who: &User, id: &str, on: &str, amount: i64) -> common::Answer {
    who.post(
        &format!("/v1/applications/{id}/repayments"),
        json!({"on": on, "amount_fen": amount}),
    )
    .await
}

fn last_event(view: &Value) -> Value {
    view["events"].as_array().unwrap().last().unwrap()["kind"].clone()
}

async fn detail(who: &User, id: &str) -> Value {
    who.get(&format!("/v1/applications/{id}")).await.body
}

async fn feed_events(who: &User) -> Vec<String> {
    let page = who.get("/v1/feed?after=0").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"]["event"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn a_repayment_recorded_by_the_manager_reaches_the_villager_timeline_and_feed() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, _) = platform(tmp.path()).await;
    let villager = p.login("v001").await;
    let manager = p.login("m-runchang-1").await;
    let id = pear_loan(&p, &villager, &manager).await;
    set_day(&p, "2027-02-27");
    let a = repay(&manager, &id, "2027-02-27", 105_000).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        last_event(&a.body),
        json!({"type": "repayment_recorded", "on": "2027-02-27", "amount": 105_000})
    );
    let d = detail(&villager, &id).await;
    let last = d["timeline"]["entries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["title_zh"], "银行已登记您的还款");
    assert!(last["detail_zh"].as_str().unwrap().contains("¥1,050.00"));
    assert!(
        feed_events(&villager)
            .await
            .contains(&"repayment_recorded".to_owned())
    );
    p.stop().await;
}

#[tokio::test]
async fn only_the_assigned_manager_or_an_administrator_records_and_only_a_paid_out_loan() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, _) = platform(tmp.path()).await;
    let villager = p.login("v001").await;
    let manager = p.login("m-runchang-1").await;
    let colleague = p.login("m-runchang-2").await;
    let admin = p.login("admin").await;
    let id = pear_loan(&p, &villager, &manager).await;
    set_day(&p, "2027-01-05");
    let code = |a: &common::Answer| a.body["error"]["code"].as_str().unwrap_or("").to_owned();
    let a = repay(&villager, &id, "2027-01-05", 100).await;
    assert_eq!(
        (a.status, code(&a)),
        (StatusCode::FORBIDDEN, "role_cannot".into())
    );
    let a = repay(&colleague, &id, "2027-01-05", 100).await;
    assert_eq!(
        a.status,
        StatusCode::NOT_FOUND,
        "not theirs reads as missing"
    );
    for (on, amount) in [("2027-01-06", 100), ("2026-11-27", 100), ("2027-01-05", 0)] {
        let a = repay(&manager, &id, on, amount).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{on} {amount}: {}",
            a.text
        );
    }
    let a = repay(&manager, &id, "2027-02-30", 100).await;
    assert!(a.status.is_client_error(), "{}", a.text);
    let a = repay(&admin, &id, "2027-01-05", 100).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // A loan not paid out yet takes no repayment.
    let other = villager
        .submit(
            &uuid::Uuid::new_v4().to_string(),
            json!({"product_id": "runchang-suli", "amount_fen": AMOUNT, "months": 60,
                   "industry": "pear", "purpose": "orchard"}),
        )
        .await;
    let other = other.body["id"].as_str().unwrap().to_owned();
    let a = repay(&manager, &other, "2027-01-05", 100).await;
    assert_eq!(
        (a.status, code(&a)),
        (StatusCode::CONFLICT, "illegal_transition".into())
    );
    p.stop().await;
}

#[tokio::test]
async fn the_sweep_marks_a_loan_late_at_1_30_and_90_days_and_texts_once_three_days_before() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, sms) = platform(tmp.path()).await;
    let villager = p.login("v001").await;
    let manager = p.login("m-runchang-1").await;
    let id = pear_loan(&p, &villager, &manager).await;
    let state = &p.running.state;
    set_day(&p, "2027-02-24");
    assert_eq!(sweep(state).await.unwrap(), SweepReport::default());
    set_day(&p, "2027-02-25");
    let r = sweep(state).await.unwrap();
    assert_eq!((r.events, r.reminders), (0, 1));
    assert_eq!(sweep(state).await.unwrap().reminders, 0, "once per row");
    assert_eq!(sms.kinds(), ["repayment_due"]);
    set_day(&p, "2027-02-28");
    assert_eq!(
        sweep(state).await.unwrap().events,
        0,
        "due today is not late"
    );
    let stages = [
        ("2027-03-01", "late1", 1),
        ("2027-03-30", "late30", 30),
        ("2027-05-29", "late90", 90),
    ];
    for (day, stage, days) in stages {
        set_day(&p, day);
        assert_eq!(sweep(state).await.unwrap().events, 1, "{day}");
        assert_eq!(sweep(state).await.unwrap().events, 0, "{day}: once");
        let d = detail(&villager, &id).await;
        assert_eq!(
            last_event(&d),
            json!({"type": "overdue_changed", "on": day, "stage": stage, "days_late": days})
        );
    }
    // Both rows due by now paid: the answer already shows the stage left.
    let a = repay(&manager, &id, "2027-05-29", 210_000).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(last_event(&a.body)["type"], "overdue_changed");
    assert_eq!(last_event(&a.body)["stage"], Value::Null);
    let feed = feed_events(&villager).await;
    assert_eq!(
        feed.iter().filter(|e| *e == "overdue_changed").count(),
        4,
        "{feed:?}"
    );
    p.stop().await;
}

#[tokio::test]
async fn a_loan_paid_in_full_is_closed_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, _) = platform(tmp.path()).await;
    let villager = p.login("v001").await;
    let manager = p.login("m-runchang-1").await;
    let id = pear_loan(&p, &villager, &manager).await;
    let catalog = Catalog::embedded().unwrap();
    let product = catalog.product("runchang-suli").unwrap();
    let day = jiff::civil::date(2026, 11, 28);
    let total = plan_for_product(product, AMOUNT, 60, 42_000, day)
        .unwrap()
        .total_paid;
    set_day(&p, "2027-01-10");
    let a = repay(&manager, &id, "2027-01-10", total).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["state"], "closed");
    assert_eq!(last_event(&a.body)["type"], "repaid");
    let a = repay(&manager, &id, "2027-01-10", 1).await;
    assert_eq!(
        a.status,
        StatusCode::CONFLICT,
        "a closed loan takes no more repayments"
    );
    p.stop().await;
}

/// The reminder is decided once and put in the outbox: when the text does not go out (the
/// vendor unreachable), the outbox tries it again later (on any node), and it goes out once.
#[tokio::test]
async fn a_reminder_whose_text_did_not_go_out_is_sent_later_and_once() {
    let tmp = tempfile::tempdir().unwrap();
    let sms = Arc::new(FlakySms {
        failures: std::sync::atomic::AtomicUsize::new(1),
        sent: LogSms::default(),
    });
    let p = platform_with(tmp.path(), sms.clone()).await;
    let villager = p.login("v001").await;
    let manager = p.login("m-runchang-1").await;
    pear_loan(&p, &villager, &manager).await;
    let state = &p.running.state;
    set_day(&p, "2027-02-25");
    assert_eq!(sweep(state).await.unwrap().reminders, 1);
    assert!(sms.sent.kinds().is_empty(), "the first try failed");
    assert_eq!(sweep(state).await.unwrap().reminders, 0, "decided once");
    p.clock.advance(jiff::SignedDuration::from_mins(2));
    p.running.sweep_ladder().await.unwrap();
    assert_eq!(sms.sent.kinds(), ["repayment_due"], "tried again and sent");
    p.clock.advance(jiff::SignedDuration::from_mins(10));
    p.running.sweep_ladder().await.unwrap();
    assert_eq!(sms.sent.kinds(), ["repayment_due"], "and only once");
    p.stop().await;
}
