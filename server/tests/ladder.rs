//! The escalation ladder on the injected clock, with a restart in the middle: the manager is
//! pushed the new task at submission; unopened at 2 minutes, a text message goes to them; at
//! 10 minutes every administrator is pushed and texted — each step once, also across restarts.
//! The real server on 127.0.0.1 with recording push and SMS senders (vendors cannot run here).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, minutes, tempdir};
use huoshui_server::clock::ManualClock;
use huoshui_server::push::{Notice, PushGateway};
use huoshui_server::sms::{SmsFuture, SmsMessage, SmsSender};
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Pushed(Mutex<Vec<(String, Notice)>>);

impl PushGateway for Pushed {
    fn tickle(&self, user_id: &str) {
        self.0
            .lock()
            .unwrap()
            .push((user_id.to_owned(), Notice::StatusTickle));
    }
    fn notify(&self, user_id: &str, notice: &Notice) {
        self.0
            .lock()
            .unwrap()
            .push((user_id.to_owned(), notice.clone()));
    }
}

impl Pushed {
    fn alerts(&self) -> Vec<(String, Notice)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, n)| *n != Notice::StatusTickle)
            .cloned()
            .collect()
    }
}

#[derive(Default)]
struct Texts(Mutex<Vec<(String, SmsMessage)>>);

impl SmsSender for Texts {
    fn send<'a>(&'a self, phone: &'a str, message: &'a SmsMessage) -> SmsFuture<'a> {
        self.0
            .lock()
            .unwrap()
            .push((phone.to_owned(), message.clone()));
        Box::pin(async { Ok(()) })
    }
}

impl Texts {
    fn all(&self) -> Vec<(String, SmsMessage)> {
        self.0.lock().unwrap().clone()
    }
}

async fn start(dir: &Path, clock: Arc<ManualClock>) -> (Platform, Arc<Pushed>, Arc<Texts>) {
    let push = Arc::new(Pushed::default());
    let sms = Arc::new(Texts::default());
    let (p2, s2) = (push.clone(), sms.clone());
    let p = Platform::start_configured(dir, clock, move |c| {
        c.push = p2;
        c.sms = s2;
    })
    .await;
    (p, push, sms)
}

fn tail(id: &str) -> String {
    id[id.len() - 8..].to_owned()
}

#[tokio::test]
async fn push_then_sms_then_administrators_each_once_across_a_restart() {
    let tmp = tempdir();
    let (p, push, sms) = start(tmp.path(), Arc::new(ManualClock::new(common::start_time()))).await;
    let v = p.login("v001").await;
    let product = p.product_of_bank("runchang").await;
    let id = v.apply(&product).await;
    let manager = v.get(&format!("/v1/applications/{id}")).await.body["manager_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        push.alerts(),
        vec![(
            manager.clone(),
            Notice::NewTask {
                task_id: id.clone()
            }
        )],
        "pushed at submission"
    );

    p.clock.advance(minutes(1));
    assert_eq!(
        p.running.sweep_ladder().await.unwrap().manager_texts,
        0,
        "not yet at one minute"
    );
    p.clock.advance(minutes(1));
    assert_eq!(p.running.sweep_ladder().await.unwrap().manager_texts, 1);
    assert_eq!(
        sms.all(),
        vec![(
            p.phone_of(&manager),
            SmsMessage::TaskWaiting {
                task_ref: tail(&id)
            }
        )]
    );
    assert_eq!(
        p.running.sweep_ladder().await.unwrap().manager_texts,
        0,
        "once"
    );

    // A restart between the steps: nothing is sent again, the next step still comes.
    let admin_phone = p.phone_of("admin");
    let clock = p.stop().await;
    let (p, push, sms) = start(tmp.path(), clock).await;
    p.clock.advance(minutes(5));
    let swept = p.running.sweep_ladder().await.unwrap();
    assert_eq!((swept.manager_texts, swept.alerts), (0, 0));
    p.clock.advance(minutes(3));
    assert_eq!(
        p.running.sweep_sla().await.unwrap(),
        1,
        "escalated at ten minutes"
    );
    assert_eq!(p.running.sweep_ladder().await.unwrap().alerts, 1);
    assert_eq!(
        push.alerts(),
        vec![(
            "admin".to_owned(),
            Notice::Escalation {
                task_id: id.clone()
            }
        )]
    );
    assert_eq!(
        sms.all(),
        vec![(
            admin_phone,
            SmsMessage::Escalation {
                task_ref: tail(&id)
            }
        )]
    );

    let clock = p.stop().await;
    let (p, push, sms) = start(tmp.path(), clock).await;
    p.clock.advance(minutes(30));
    p.running.sweep_sla().await.unwrap();
    let swept = p.running.sweep_ladder().await.unwrap();
    assert_eq!((swept.manager_texts, swept.alerts), (0, 0));
    assert!(
        push.alerts().is_empty() && sms.all().is_empty(),
        "nothing twice after a restart"
    );
    p.stop().await;
}

#[tokio::test]
async fn an_opened_task_gets_no_text_but_still_escalates_and_only_its_manager_opens_it() {
    let tmp = tempdir();
    let (p, push, sms) = start(tmp.path(), Arc::new(ManualClock::new(common::start_time()))).await;
    let v = p.login("v002").await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;
    let manager_id = v.get(&format!("/v1/applications/{id}")).await.body["manager_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let opened = format!("/v1/applications/{id}/opened");
    assert_eq!(
        v.post(&opened, json!({})).await.status,
        StatusCode::FORBIDDEN,
        "the villager does not open a task"
    );
    let other_bank = p.login("m-abc-1").await;
    assert_eq!(
        other_bank.post(&opened, json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let m = p.login(&manager_id).await;
    assert_eq!(
        m.post(&opened, json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        m.post(&opened, json!({})).await.status,
        StatusCode::NO_CONTENT,
        "idempotent"
    );
    let missing = format!("/v1/applications/{}/opened", uuid::Uuid::now_v7());
    assert_eq!(
        m.post(&missing, json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    p.clock.advance(minutes(3));
    assert_eq!(p.running.sweep_ladder().await.unwrap().manager_texts, 0);
    assert!(sms.all().is_empty(), "an opened task is not texted");
    p.clock.advance(minutes(7));
    assert_eq!(p.running.sweep_sla().await.unwrap(), 1);
    assert_eq!(
        p.running.sweep_ladder().await.unwrap().alerts,
        1,
        "opened but not called: still escalated"
    );
    assert_eq!(sms.all().len(), 1);
    assert_eq!(
        push.alerts().len(),
        2,
        "the new task, then the administrator's alert"
    );
    p.stop().await;
}

#[tokio::test]
async fn a_task_called_back_in_time_gets_neither_text_nor_alert() {
    let tmp = tempdir();
    let (p, push, sms) = start(tmp.path(), Arc::new(ManualClock::new(common::start_time()))).await;
    let v = p.login("v003").await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;
    let manager_id = v.get(&format!("/v1/applications/{id}")).await.body["manager_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = p.login(&manager_id).await;
    let r = m
        .post(
            &format!("/v1/applications/{id}/contact"),
            json!({"outcome": "reached"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    p.clock.advance(minutes(20));
    p.running.sweep_sla().await.unwrap();
    let swept = p.running.sweep_ladder().await.unwrap();
    assert_eq!((swept.manager_texts, swept.alerts), (0, 0));
    assert!(sms.all().is_empty());
    assert_eq!(push.alerts().len(), 1, "only the new task");
    p.stop().await;
}

#[tokio::test]
async fn a_task_reassigned_to_another_manager_is_pushed_to_that_manager_once() {
    let tmp = tempdir();
    let (p, push, _sms) = start(tmp.path(), Arc::new(ManualClock::new(common::start_time()))).await;
    let v = p.login("v001").await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;
    let first = v.get(&format!("/v1/applications/{id}")).await.body["manager_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = ["m-runchang-1", "m-runchang-2"]
        .into_iter()
        .find(|m| *m != first)
        .unwrap();
    let admin = p.login("admin").await;
    let reassign = format!("/v1/admin/applications/{id}/reassign");
    let moved = admin.post(&reassign, json!({"manager_id": other})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["manager_id"], other);
    let new_task = |m: &str| {
        (
            m.to_owned(),
            Notice::NewTask {
                task_id: id.clone(),
            },
        )
    };
    assert_eq!(
        push.alerts(),
        vec![new_task(&first), new_task(other)],
        "the new manager is pushed the task"
    );
    // Reassigning to the manager who has it already pushes nothing more.
    let again = admin.post(&reassign, json!({"manager_id": other})).await;
    assert!(!again.status.is_server_error(), "{}", again.text);
    assert_eq!(push.alerts().len(), 2);
    p.stop().await;
}

/// A task reassigned before its first text: the manager who has it now is texted once, two
/// minutes after they got it (not after the submission), the first manager never; a manager
/// who opens the task in time gets no text.
#[tokio::test]
async fn the_manager_a_task_is_reassigned_to_is_texted_once_if_they_do_not_open_it() {
    let tmp = tempdir();
    let (p, _push, sms) = start(tmp.path(), Arc::new(ManualClock::new(common::start_time()))).await;
    let v = p.login("v001").await;
    let product = p.product_of_bank("runchang").await;
    let admin = p.login("admin").await;
    let managers = ["m-runchang-1", "m-runchang-2"];
    let ids = [v.apply(&product).await, v.apply(&product).await];
    p.clock.advance(minutes(1));
    let mut moved = Vec::new();
    for id in ids {
        let first = v.get(&format!("/v1/applications/{id}")).await.body["manager_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let other = managers.into_iter().find(|m| *m != first).unwrap();
        let reassign = format!("/v1/admin/applications/{id}/reassign");
        let answer = admin.post(&reassign, json!({"manager_id": other})).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        moved.push((id, other));
    }
    // The second task's new manager opens it at once.
    let (opened, opener) = moved[1].clone();
    let m = p.login(opener).await;
    let seen = m
        .post(&format!("/v1/applications/{opened}/opened"), json!({}))
        .await;
    assert!(seen.status.is_success(), "{}", seen.text);

    p.clock.advance(minutes(1));
    p.running.sweep_ladder().await.unwrap();
    assert!(
        sms.all().is_empty(),
        "two minutes after the submission is not two minutes after the reassignment: {:?}",
        sms.all()
    );
    p.clock.advance(minutes(1));
    p.running.sweep_ladder().await.unwrap();
    let (id, manager) = &moved[0];
    let expected = vec![(
        p.phone_of(manager),
        SmsMessage::TaskWaiting { task_ref: tail(id) },
    )];
    assert_eq!(
        sms.all(),
        expected,
        "only the new manager who did not open it"
    );
    p.clock.advance(minutes(10));
    p.running.sweep_ladder().await.unwrap();
    p.running.sweep_ladder().await.unwrap();
    assert_eq!(sms.all(), expected, "once");
    p.stop().await;
}

/// Sends nothing and never answers: a node stuck in a send, killed there.
struct Stuck;

impl SmsSender for Stuck {
    fn send<'a>(&'a self, _phone: &'a str, _message: &'a SmsMessage) -> SmsFuture<'a> {
        Box::pin(std::future::pending())
    }
}

fn texts_of(all: &[&Arc<Texts>]) -> Vec<(String, SmsMessage)> {
    all.iter().flat_map(|t| t.all()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_send_each_step_once_and_a_node_killed_mid_send_loses_nothing() {
    let tmp = tempdir();
    let clock = Arc::new(ManualClock::new(common::start_time()));
    let (a, push_a, sms_a) = start(tmp.path(), clock.clone()).await;
    let (b, push_b, sms_b) = start(tmp.path(), clock.clone()).await;
    let v = a.login("v001").await;
    let id = v.apply(&a.product_of_bank("runchang").await).await;
    assert_eq!(push_a.alerts().len() + push_b.alerts().len(), 1);

    // Both nodes sweep at the same moment: one text to the manager in all.
    clock.advance(minutes(2));
    let (sa, sb) = tokio::join!(a.running.sweep_ladder(), b.running.sweep_ladder());
    assert_eq!(sa.unwrap().manager_texts + sb.unwrap().manager_texts, 1);
    let texts = texts_of(&[&sms_a, &sms_b]);
    assert_eq!(texts.len(), 1, "{texts:?}");

    // Escalated once across both nodes; then a third node decides the administrator's alert,
    // claims its effects and is killed while sending.
    clock.advance(minutes(8));
    let (ea, eb) = tokio::join!(a.running.sweep_sla(), b.running.sweep_sla());
    assert_eq!(ea.unwrap() + eb.unwrap(), 1);
    let c = Platform::start_configured(tmp.path(), clock.clone(), |cfg| {
        cfg.sms = Arc::new(Stuck);
    })
    .await;
    let killed = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        c.running.sweep_ladder(),
    )
    .await;
    assert!(killed.is_err(), "the third node is stuck in its send");
    c.stop().await;

    // Its claim holds for the lease; after it, another node sends the alert, once.
    let (sa, sb) = tokio::join!(a.running.sweep_ladder(), b.running.sweep_ladder());
    assert_eq!(
        sa.unwrap().alerts + sb.unwrap().alerts,
        0,
        "decided already"
    );
    assert_eq!(
        texts_of(&[&sms_a, &sms_b]).len(),
        1,
        "not while the lease holds"
    );
    clock.advance(minutes(5));
    let (sa, sb) = tokio::join!(a.running.sweep_ladder(), b.running.sweep_ladder());
    sa.unwrap();
    sb.unwrap();
    let texts = texts_of(&[&sms_a, &sms_b]);
    let escalations: Vec<_> = texts
        .iter()
        .filter(|(_, m)| {
            *m == SmsMessage::Escalation {
                task_ref: tail(&id),
            }
        })
        .collect();
    assert_eq!(escalations.len(), 1, "{texts:?}");
    assert_eq!(escalations[0].0, a.phone_of("admin"));
    clock.advance(minutes(30));
    let (sa, sb) = tokio::join!(a.running.sweep_ladder(), b.running.sweep_ladder());
    sa.unwrap();
    sb.unwrap();
    assert_eq!(texts_of(&[&sms_a, &sms_b]).len(), 2, "nothing more");
    a.stop().await;
    b.stop().await;
}
