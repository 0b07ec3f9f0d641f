//! Delivery behaviour against fake vendors on 127.0.0.1: one access-token refresh under
//! concurrent sends, a refused (expired) token refreshed once, retries with backoff on 5xx and
//! 429 (bounded), an invalid token dropped from the devices table through the real platform,
//! and no personal data in the bytes a vendor receives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod push_fake;

use huoshui_core::wire::{DeviceApp, PushVendor};
use huoshui_server::push::config::{PushConfig, RetryConfig};
use huoshui_server::push::dispatch::{self, DispatchGateway};
use huoshui_server::push::sender::{Outcome, Sender, deliver};
use huoshui_server::push::{Message, NEW_TASK_TEXT, Notice, devices};
use push_fake::{Fake, ok, secret_file};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn huawei_config(fake: &Fake, dir: &std::path::Path, retry: &str) -> PushConfig {
    let secret = secret_file(dir, "hw.secret", "s");
    let text = format!(
        "[huawei]\nendpoint = \"{u}\"\ntoken_endpoint = \"{u}/token\"\napp_id = \"1\"\nclient_secret_file = {secret:?}\n{retry}",
        u = fake.url()
    );
    PushConfig::from_table(toml::from_str(&text).unwrap()).unwrap()
}

fn task() -> Message {
    Message::for_notice(&Notice::NewTask {
        task_id: "task-7".into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expiring_access_token_is_refreshed_once_even_under_concurrent_sends() {
    let fake = Fake::start(|seen, n| match seen.path.as_str() {
        "/token" => {
            std::thread::sleep(Duration::from_millis(50));
            ok(json!({"access_token": format!("AT-{n}"), "expires_in": 1}))
        }
        _ => ok(json!({"code": "80000000"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = huawei_config(&fake, dir.path(), "");
    let sender: Arc<dyn Sender> = dispatch::senders_from_config(&config).unwrap().remove(0);
    let burst = |sender: Arc<dyn Sender>| async move {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let s = sender.clone();
            tasks.push(tokio::spawn(async move {
                let token = format!("T{i}");
                deliver(
                    s.as_ref(),
                    &token,
                    DeviceApp::Manager,
                    &task(),
                    &RetryConfig::default(),
                )
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Outcome::Sent);
        }
    };
    burst(sender.clone()).await;
    assert_eq!(fake.to("/token").len(), 1, "eight sends, one token");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    burst(sender.clone()).await;
    assert_eq!(
        fake.to("/token").len(),
        2,
        "expired: exactly one refresh for the next burst"
    );
    let sends = fake.to("/v1/1/messages:send");
    assert!(
        sends[..8]
            .iter()
            .all(|s| s.header("authorization") == "Bearer AT-0")
    );
    assert!(
        sends[8..]
            .iter()
            .all(|s| s.header("authorization") == "Bearer AT-1")
    );
}

#[tokio::test]
async fn a_token_the_vendor_calls_expired_is_refreshed_and_the_send_retried() {
    let fake = Fake::start(|seen, n| match seen.path.as_str() {
        "/token" => ok(json!({"access_token": format!("AT-{n}"), "expires_in": 3600})),
        _ if seen.header("authorization") == "Bearer AT-0" => ok(json!({"code": "80200003"})),
        _ => ok(json!({"code": "80000000"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = huawei_config(&fake, dir.path(), "");
    let sender = dispatch::senders_from_config(&config).unwrap().remove(0);
    let out = deliver(
        sender.as_ref(),
        "T",
        DeviceApp::Manager,
        &task(),
        &RetryConfig::default(),
    )
    .await;
    assert_eq!(out, Outcome::Sent);
    assert_eq!(
        (
            fake.to("/token").len(),
            fake.to("/v1/1/messages:send").len()
        ),
        (2, 2)
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_growing_waits_and_then_given_up() {
    // Two 503s, then success: three requests, the second wait twice the first.
    let fake = Fake::start(|seen, n| match seen.path.as_str() {
        "/token" => ok(json!({"access_token": "AT", "expires_in": 3600})),
        _ if n < 2 => (503, Vec::new(), "{}".into()),
        _ => ok(json!({"code": "80000000"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = huawei_config(
        &fake,
        dir.path(),
        "[retry]\nattempts = 4\nbase_ms = 100\nmax_ms = 1000\n",
    );
    let sender = dispatch::senders_from_config(&config).unwrap().remove(0);
    let out = deliver(
        sender.as_ref(),
        "T",
        DeviceApp::Manager,
        &task(),
        &config.retry,
    )
    .await;
    assert_eq!(out, Outcome::Sent);
    let sends = fake.to("/v1/1/messages:send");
    assert_eq!(sends.len(), 3);
    assert!(sends[1].at - sends[0].at >= Duration::from_millis(100));
    assert!(sends[2].at - sends[1].at >= Duration::from_millis(200));

    // Always failing: exactly `attempts` requests, then give up.
    let down = Fake::start(|seen, _| match seen.path.as_str() {
        "/token" => ok(json!({"access_token": "AT", "expires_in": 3600})),
        _ => (500, Vec::new(), "{}".into()),
    })
    .await;
    let config = huawei_config(
        &down,
        dir.path(),
        "[retry]\nattempts = 3\nbase_ms = 10\nmax_ms = 50\n",
    );
    let sender = dispatch::senders_from_config(&config).unwrap().remove(0);
    let out = deliver(
        sender.as_ref(),
        "T",
        DeviceApp::Manager,
        &task(),
        &config.retry,
    )
    .await;
    assert!(matches!(out, Outcome::GiveUp(_)));
    assert_eq!(down.to("/v1/1/messages:send").len(), 3);
}

#[tokio::test]
async fn too_many_requests_waits_for_the_vendors_retry_after() {
    let fake = Fake::start(|_, n| match n {
        0 => (429, vec![("retry-after", "1".to_owned())], "{}".into()),
        _ => ok(json!({"result": "ok", "code": 0})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "mi.secret", "k");
    let text = format!(
        "[xiaomi]\nendpoint = \"{}\"\npackage = \"p\"\napp_secret_file = {secret:?}\nchannel_id = \"c\"\n[retry]\nbase_ms = 10\nmax_ms = 5000\n",
        fake.url()
    );
    let config = PushConfig::from_table(toml::from_str(&text).unwrap()).unwrap();
    let sender = dispatch::senders_from_config(&config).unwrap().remove(0);
    let out = deliver(
        sender.as_ref(),
        "R",
        DeviceApp::Manager,
        &task(),
        &config.retry,
    )
    .await;
    assert_eq!(out, Outcome::Sent);
    let sends = fake.to("/v3/message/regid");
    assert_eq!(sends.len(), 2);
    assert!(
        sends[1].at - sends[0].at >= Duration::from_millis(1000),
        "Retry-After: 1 s"
    );
}

async fn wait_until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..1000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn a_token_the_vendor_reports_invalid_is_dropped_from_the_devices_table() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/token" => ok(json!({"access_token": "AT", "expires_in": 3600})),
        _ if seen.json()["message"]["token"][0] == "HW-GONE" => ok(json!({"code": "80300007"})),
        _ => ok(json!({"code": "80000000"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = huawei_config(&fake, dir.path(), "");
    let gateway = DispatchGateway::new(
        dispatch::senders_from_config(&config).unwrap(),
        config.retry,
    );
    let (running, sign_in) =
        push_fake::platform(&dir.path().join("data"), Arc::new(gateway.clone())).await;
    let manager = sign_in.login("m-runchang-1").await;
    manager.register("huawei", "HW-GONE", "manager").await;
    manager.register("huawei", "HW-LIVE", "manager").await;
    running.state.push.notify(
        &manager.id,
        &Notice::NewTask {
            task_id: "t".into(),
        },
    );
    wait_until("one sent and one dropped", || {
        gateway.sent() == 1 && gateway.dropped() == 1
    })
    .await;
    let keys = running.state.keys.clone();
    let user = manager.id.clone();
    let left = running
        .state
        .db
        .read(move |c| devices::of_user(c, &keys, &user))
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].vendor, left[0].token.expose()),
        (PushVendor::Huawei, "HW-LIVE")
    );
    running.stop().await;
}

#[tokio::test]
async fn what_a_vendor_receives_carries_no_name_phone_amount_or_state() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/token" => ok(json!({"access_token": "AT", "expires_in": 3600})),
        _ => ok(json!({"code": "80000000"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = huawei_config(&fake, dir.path(), "");
    let gateway = DispatchGateway::new(
        dispatch::senders_from_config(&config).unwrap(),
        config.retry,
    );
    let (running, sign_in) =
        push_fake::platform(&dir.path().join("data"), Arc::new(gateway.clone())).await;
    let villager = sign_in.login("v001").await;
    let manager = sign_in.login("m-runchang-1").await;
    villager.register("huawei", "HW-VILLAGER", "villager").await;
    manager.register("huawei", "HW-MANAGER", "manager").await;
    let r = villager
        .http
        .post(format!("{}/v1/applications", villager.base))
        .bearer_auth(&villager.token)
        .header("idempotency-key", "push-pii-1")
        .json(&json!({"product_id": "runchang-suli", "amount_fen": 50_000_000, "months": 60, "industry": "pear"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let app: serde_json::Value = r.json().await.unwrap();
    let app_id = app["id"].as_str().unwrap().to_owned();
    running.state.push.notify(
        &manager.id,
        &Notice::NewTask {
            task_id: app_id.clone(),
        },
    );
    running.state.push.tickle(&villager.id);
    wait_until("the alert", || {
        fake.to("/v1/1/messages:send").iter().any(|s| {
            s.json()["message"]["token"][0] == "HW-MANAGER"
                && s.json()["message"]["android"]["notification"].is_object()
        })
    })
    .await;
    wait_until("the villager's tickle", || {
        fake.to("/v1/1/messages:send")
            .iter()
            .any(|s| s.json()["message"]["token"][0] == "HW-VILLAGER")
    })
    .await;
    let demo = &running.demo;
    let name = &demo.iter().find(|a| a.id == "v001").unwrap().name;
    let state = app["state"].as_str().unwrap().to_owned();
    let forbidden = [
        name.as_str(),
        villager.phone.as_str(),
        manager.phone.as_str(),
        "50000000",
        "500000",
        "runchang-suli",
        state.as_str(),
    ];
    for seen in fake.to("/v1/1/messages:send") {
        let text = String::from_utf8(seen.body.to_vec()).unwrap();
        for word in forbidden {
            assert!(!text.contains(word), "a push carried {word:?}: {text}");
        }
    }
    let alert = fake
        .to("/v1/1/messages:send")
        .into_iter()
        .find(|s| {
            s.json()["message"]["token"][0] == "HW-MANAGER"
                && s.json()["message"]["android"]["notification"].is_object()
        })
        .unwrap()
        .json();
    assert_eq!(
        alert["message"]["android"]["notification"]["body"],
        NEW_TASK_TEXT
    );
    assert_eq!(
        alert["message"]["data"],
        json!({"t": "task", "task_id": app_id}).to_string()
    );
    running.stop().await;
}
