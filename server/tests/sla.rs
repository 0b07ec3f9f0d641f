//! The contact SLA over the real server: first contact due at +5 minutes, one escalation at
//! +10 without contact — exactly once, also across a restart — and never for an application
//! contacted in time or withdrawn. The manual clock moves time; the accelerated clock runs the
//! background sweep with minutes in milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use huoshui_server::clock::AcceleratedClock;
use huoshui_server::directory::Directory;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

async fn escalated_events(user: &User, id: &str) -> usize {
    let d = user.get(&format!("/v1/applications/{id}")).await;
    d.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "escalated")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_in_time_means_no_escalation() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;
    let manager = p.login("m-runchang-1").await;
    p.clock.advance(minutes(4));
    assert_eq!(
        manager
            .post(&format!("/v1/applications/{id}/contact"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    p.clock.advance(minutes(30));
    assert_eq!(p.running.sweep_sla().await.unwrap(), 0);
    assert_eq!(escalated_events(&v, &id).await, 0);
    let admin = p.login("admin").await;
    assert!(
        admin.get("/v1/admin/escalations").await.body["escalations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_escalates_exactly_once_also_across_a_restart() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let admin = p.login("admin").await;
    let mut admin_stream = admin.stream().await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;

    p.clock.advance(minutes(9));
    assert_eq!(
        p.running.sweep_sla().await.unwrap(),
        0,
        "not yet at +9 minutes"
    );
    let d = v.get(&format!("/v1/applications/{id}")).await;
    assert_eq!(d.body["sla"]["status"], "contact_due");

    assert_eq!(p.push.count("admin"), 0);
    p.clock.advance(minutes(1));
    assert_eq!(
        p.running.sweep_sla().await.unwrap(),
        1,
        "fires at +10 minutes"
    );
    assert_eq!(
        p.push.count("admin"),
        1,
        "the administrator's phone is woken once"
    );
    let msg = admin_stream.wait_for("escalated", &id).await;
    assert_eq!(msg["topic"], "escalation");
    assert_eq!(p.running.sweep_sla().await.unwrap(), 0);
    let (a, b) = tokio::join!(p.running.sweep_sla(), p.running.sweep_sla());
    assert_eq!(
        a.unwrap() + b.unwrap(),
        0,
        "concurrent sweeps fire nothing more"
    );
    assert_eq!(escalated_events(&v, &id).await, 1);
    let open = admin.get("/v1/admin/escalations").await;
    assert_eq!(open.body["escalations"][0]["id"], id.as_str());

    let clock = p.stop().await;
    clock.advance(minutes(60));
    let p = Platform::start_with(tmp.path(), clock).await;
    assert_eq!(
        p.running.sweep_sla().await.unwrap(),
        0,
        "a restart does not fire it again"
    );
    let v = p.login("v001").await;
    assert_eq!(escalated_events(&v, &id).await, 1);

    let admin = p.login("admin").await;
    let ack = admin
        .post(
            &format!("/v1/admin/applications/{id}/acknowledge"),
            json!({"note": "已致电银行"}),
        )
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text);
    assert!(
        admin.get("/v1/admin/escalations").await.body["escalations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let figures = admin.get("/v1/admin/figures").await;
    let bank = figures.body["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bank_id"] == "runchang")
        .unwrap()
        .clone();
    assert_eq!(bank["escalations"], 1);
    assert_eq!(bank["sla_compliance_permille"], 0);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_due_while_the_server_was_down_fires_once_on_start() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v004").await;
    let id = v.apply(&p.product_of_bank("abc").await).await;
    let clock = p.stop().await;
    clock.advance(minutes(25));
    let p = Platform::start_with(tmp.path(), clock).await;
    assert_eq!(p.running.sweep_sla().await.unwrap(), 1);
    assert_eq!(p.running.sweep_sla().await.unwrap(), 0);
    let v = p.login("v004").await;
    assert_eq!(escalated_events(&v, &id).await, 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_application_never_escalates() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;
    p.clock.advance(minutes(2));
    let w = v
        .post(
            &format!("/v1/applications/{id}/withdraw"),
            json!({"reason": "家里凑够了钱"}),
        )
        .await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    p.clock.advance(minutes(20));
    assert_eq!(p.running.sweep_sla().await.unwrap(), 0);
    assert_eq!(escalated_events(&v, &id).await, 0);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_accelerated_clock_the_background_sweep_escalates_silence_once() {
    let tmp = tempdir();
    // 60,000× : a minute passes in a millisecond; the sweep polls every 2 ms of real time.
    let mut config =
        huoshui_server::Config::new(tmp.path().to_path_buf(), Directory::embedded().unwrap());
    let codes = Arc::new(huoshui_server::auth::DevCodeProvider::new());
    config.clock = Arc::new(AcceleratedClock::new(60_000));
    config.codes = codes.clone();
    config.sla_poll = Some(std::time::Duration::from_millis(2));
    let running = huoshui_server::start(config).await.unwrap();
    let base = format!("http://{}", running.addr);
    let http = common::http_client();
    let login = |id: &'static str| {
        let phone = running
            .demo
            .iter()
            .find(|a| a.id == id)
            .unwrap()
            .phone
            .clone();
        let http = http.clone();
        let base = base.clone();
        let codes = codes.clone();
        async move {
            http.post(format!("{base}/v1/auth/code"))
                .json(&json!({"phone": phone}))
                .send()
                .await
                .unwrap();
            let code = codes.latest(&phone).unwrap();
            let s: serde_json::Value = http
                .post(format!("{base}/v1/auth/login"))
                .json(&json!({"phone": phone, "code": code}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            User {
                id: id.to_owned(),
                token: s["token"].as_str().unwrap().to_owned(),
                base,
                http,
            }
        }
    };
    let admin = login("admin").await;
    let mut stream = admin.stream().await;
    let v = login("v001").await;
    let cat: serde_json::Value = http
        .get(format!("{base}/v1/catalog"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let p = cat["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["bank"] == "runchang")
        .unwrap();
    let product = (
        p["id"].as_str().unwrap().to_owned(),
        p["amount_min_fen"].as_i64().unwrap(),
        p["months_min"].as_u64().unwrap() as u32,
    );
    let id = v.apply(&product).await;
    stream.wait_for("escalated", &id).await;
    // More sweeps, in the background and by hand: still one.
    for _ in 0..20 {
        assert_eq!(running.sweep_sla().await.unwrap(), 0);
    }
    assert_eq!(escalated_events(&v, &id).await, 1);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sweeping_at_the_same_moment_escalate_each_silent_task_once() {
    let tmp = tempdir();
    let clock = common::clock();
    let a = Platform::start_with(tmp.path(), clock.clone()).await;
    let b = Platform::start_with(tmp.path(), clock.clone()).await;
    let mut ids = Vec::new();
    for (villager, bank) in [("v001", "runchang"), ("v002", "abc"), ("v004", "abc")] {
        let v = a.login(villager).await;
        ids.push((v.apply(&a.product_of_bank(bank).await).await, v));
    }
    clock.advance(minutes(11));
    let mut fired = 0;
    for _ in 0..3 {
        let (fa, fb) = tokio::join!(a.running.sweep_sla(), b.running.sweep_sla());
        fired += fa.unwrap() + fb.unwrap();
    }
    assert_eq!(fired, ids.len(), "each task escalated by one node only");
    for (id, v) in &ids {
        assert_eq!(escalated_events(v, id).await, 1);
    }
    a.stop().await;
    b.stop().await;
}
