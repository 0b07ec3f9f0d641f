//! The manager's side through the phone core against the real platform: a new task reaches the
//! manager's core over the live stream with the villager's number to call; the call recorded
//! on the manager's phone shows in the villager's timeline; a live stream cut off resumes with
//! `Last-Event-ID` and nothing is missed; another villager sees none of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::Topic;
use huoshui_core::app::views::{DraftInput, TaskView};
use huoshui_core::domain::lifecycle::{ContactOutcome, State, TaskKind};
use huoshui_e2e::{Phone, Platform, Relay};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// How long a test waits for something that should take milliseconds (a bound so that a
/// broken build fails instead of hanging; nothing is timed).
const PATIENCE: Duration = Duration::from_secs(20);

/// v010 lives in 贾镇 (jiazhen), which only the first manager of each bank serves.
const VILLAGER: &str = "v010";
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

/// Waits until the manager's tasks satisfy `done` (the core's task listener wakes the wait).
fn wait_for_tasks(
    phone: &Phone,
    woken: &mpsc::Receiver<()>,
    done: impl Fn(&[TaskView]) -> bool,
) -> Vec<TaskView> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let tasks = phone.core.manager_tasks().unwrap();
        if done(&tasks) {
            return tasks;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(!left.is_zero(), "waited too long; tasks now: {tasks:?}");
        let _ = woken.recv_timeout(left.min(Duration::from_millis(200)));
    }
}

fn task_listener(phone: &Phone) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    phone.core.notifier().subscribe(Arc::new(move |topic| {
        if topic == Topic::Tasks {
            let _ = tx.lock().map(|t| t.send(()));
        }
    }));
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_task_reaches_the_managers_core_over_the_live_stream_with_the_number_to_call() {
    let platform = Platform::start().await;
    let manager = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&manager, MANAGER).await;
    manager.core.sync_now().await.unwrap();
    let woken = task_listener(&manager);
    manager.core.connect_live().unwrap();
    assert!(manager.core.live_connected());

    let villager = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&villager, VILLAGER).await;
    let draft = villager.core.create_draft(&suli()).unwrap();
    villager.core.submit(&draft.id).unwrap();
    villager.core.sync_now().await.unwrap();

    // No sync on the manager's phone: the stream brings it.
    let tasks = wait_for_tasks(&manager, &woken, |t| {
        t.iter().any(|t| t.application_id == draft.id)
    });
    let task = tasks.iter().find(|t| t.application_id == draft.id).unwrap();
    assert_eq!(task.kind, TaskKind::Call);
    let number = platform.phone_of(VILLAGER);
    assert_eq!(task.villager_phone.as_deref(), Some(number.as_str()));
    assert_eq!(
        task.call_uri.as_deref(),
        Some(format!("tel:{number}").as_str())
    );
    assert!(task.villager_name.as_deref().is_some_and(|n| !n.is_empty()));
    assert!(task.seconds_left > 0 && !task.overdue, "{task:?}");

    // The call, recorded on the manager's phone, reaches the villager's timeline.
    manager
        .core
        .record_contact(
            &draft.id,
            ContactOutcome::Reached,
            Some("已电话沟通".into()),
        )
        .unwrap();
    let sent = manager.core.sync_now().await.unwrap();
    assert_eq!(sent.pending, 0, "{sent:?}");
    villager.core.sync_now().await.unwrap();
    let timeline = villager.core.timeline(&draft.id).unwrap();
    assert_eq!(timeline.application.state, State::Contacted);
    assert!(
        timeline
            .entries
            .iter()
            .any(|e| e.title_zh == "客户经理已与您联系"),
        "{:?}",
        timeline.entries
    );
    assert!(
        !timeline.entries.iter().any(|e| e
            .detail_zh
            .as_deref()
            .is_some_and(|d| d.contains("已电话沟通"))),
        "the bank's own note is not shown to the villager"
    );
    let tasks = wait_for_tasks(&manager, &woken, |t| {
        t.iter()
            .any(|t| t.application_id == draft.id && t.kind == TaskKind::Decide)
    });
    assert!(
        tasks
            .iter()
            .all(|t| t.application_id != draft.id || t.kind != TaskKind::Call)
    );

    // Another villager's phone sees none of it.
    let other = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&other, "v011").await;
    other.core.sync_now().await.unwrap();
    assert!(other.core.applications().unwrap().is_empty());
    manager.core.disconnect_live();
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_cut_off_resumes_from_its_last_event_and_misses_nothing() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let manager = Phone::new(&relay.base(), &platform.clock);
    platform.sign_in(&manager, MANAGER).await;
    manager.core.sync_now().await.unwrap();
    let woken = task_listener(&manager);
    manager.core.connect_live().unwrap();

    let villager = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&villager, VILLAGER).await;
    let first = villager.core.create_draft(&suli()).unwrap();
    villager.core.submit(&first.id).unwrap();
    villager.core.sync_now().await.unwrap();
    wait_for_tasks(&manager, &woken, |t| {
        t.iter().any(|t| t.application_id == first.id)
    });

    // The village loses signal: the stream is cut. Meanwhile a second application comes in
    // and the first is withdrawn.
    relay.set_online(false);
    let second = villager.core.create_draft(&suli()).unwrap();
    villager.core.submit(&second.id).unwrap();
    villager.core.withdraw(&first.id, None).unwrap();
    villager.core.sync_now().await.unwrap();
    relay.reset();
    relay.set_online(true);

    let tasks = wait_for_tasks(&manager, &woken, |t| {
        t.iter().any(|t| t.application_id == second.id)
            && t.iter().all(|t| t.application_id != first.id)
    });
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let resumed = relay
        .request_heads()
        .into_iter()
        .find(|h| h.starts_with("GET /v1/events"))
        .expect("the stream was opened again");
    assert!(
        resumed.contains("last-event-id: "),
        "it resumed from its last event: {resumed}"
    );
    manager.core.disconnect_live();
    assert!(!manager.core.live_connected());
    platform.stop().await;
}
