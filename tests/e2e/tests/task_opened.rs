//! The manager's phone tells the platform that a task was opened, so the escalation ladder
//! does not text the manager at 2 minutes: the task screen queues `POST …/opened` once (also
//! when opened again, and while offline it waits in the outbox), and the platform's ladder
//! then texts only about the task nobody opened. The real core and the real platform on
//! loopback, through a relay that counts the requests and plays a dead network.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::views::DraftInput;
use huoshui_e2e::{Phone, Platform, Relay};

/// v010 and v011 live in 贾镇 (jiazhen), which only the first manager of each bank serves.
const MANAGER: &str = "m-runchang-1";

fn suli() -> DraftInput {
    DraftInput {
        product_id: "runchang-suli".into(),
        amount_fen: 20_000_000,
        months: 48,
        town: String::new(),
        industry: None,
        purpose: None,
    }
}

/// A villager's submitted application, on the platform; answers its id.
async fn submitted_by(platform: &Platform, villager: &str) -> String {
    let phone = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&phone, villager).await;
    let draft = phone.core.create_draft(&suli()).unwrap();
    phone.core.submit(&draft.id).unwrap();
    let report = phone.core.sync_now().await.unwrap();
    assert_eq!(report.pending, 0, "{report:?}");
    draft.id
}

fn opened_requests(relay: &Relay, id: &str) -> usize {
    let line = format!("POST /v1/applications/{id}/opened");
    relay.request_lines().iter().filter(|l| **l == line).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_the_manager_opened_offline_is_reported_once_and_gets_no_two_minute_text() {
    let platform = Platform::start().await;
    let opened = submitted_by(&platform, "v010").await;
    let unopened = submitted_by(&platform, "v011").await;

    let relay = Relay::to(platform.running.addr).await;
    let manager = Phone::new(&relay.base(), &platform.clock);
    platform.sign_in(&manager, MANAGER).await;
    manager.core.sync_now().await.unwrap();
    let tasks = manager.core.manager_tasks().unwrap();
    assert!(
        tasks.iter().any(|t| t.application_id == opened),
        "{tasks:?}"
    );
    assert!(tasks.iter().any(|t| t.application_id == unopened));

    // Opened twice with no network: one command waits in the outbox.
    relay.set_online(false);
    let screen = manager.core.task_screen(&opened).unwrap();
    assert_eq!(screen.application.id, opened);
    manager.core.task_screen(&opened).unwrap();
    let offline = manager.core.sync_now().await.unwrap();
    assert!(!offline.reached_platform);
    assert_eq!(offline.pending, 1, "the opening waits: {offline:?}");

    relay.set_online(true);
    relay.reset();
    let online = manager.core.sync_now().await.unwrap();
    assert_eq!(online.pending, 0, "{online:?}");
    assert!(online.wedged.is_empty(), "{online:?}");
    assert_eq!(
        opened_requests(&relay, &opened),
        1,
        "{:?}",
        relay.request_lines()
    );
    assert_eq!(opened_requests(&relay, &unopened), 0);

    // Opening it again later sends nothing more.
    manager.core.task_screen(&opened).unwrap();
    manager.core.sync_now().await.unwrap();
    assert_eq!(
        opened_requests(&relay, &opened),
        1,
        "{:?}",
        relay.request_lines()
    );

    // At 2 minutes the ladder texts the manager about the unopened task only.
    platform.clock.advance(jiff::SignedDuration::from_secs(121));
    let swept = platform.running.sweep_ladder().await.unwrap();
    assert_eq!(
        swept.manager_texts, 1,
        "one text, for the task nobody opened: {swept:?}"
    );
    manager.core.task_screen(&unopened).unwrap();
    manager.core.sync_now().await.unwrap();
    assert_eq!(opened_requests(&relay, &unopened), 1);
    assert_eq!(
        platform.running.sweep_ladder().await.unwrap().manager_texts,
        0
    );
    platform.stop().await;
}
