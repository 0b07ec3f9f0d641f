//! Device registration through the real HTTP API: register, replace, several devices, removal,
//! logout forgetting the session's devices, refusals, and the token never on disk in clear.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod push_fake;

use huoshui_core::wire::PushVendor;
use huoshui_server::push::{LogPushGateway, devices};
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;

async fn count(running: &huoshui_server::Running, user: &str) -> u32 {
    let user = user.to_owned();
    running
        .state
        .db
        .read(move |c| devices::count(c, &user))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_phone_registers_replaces_and_removes_its_push_token_and_logout_forgets_it() {
    let dir = tempfile::tempdir().unwrap();
    let (running, sign_in) =
        push_fake::platform(dir.path(), Arc::new(LogPushGateway::default())).await;
    let villager = sign_in.login("v001").await;
    let (status, body) = villager
        .register("huawei", "HW-TOKEN-ONE", "villager")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"vendor": "huawei", "app": "villager", "devices": 1})
    );
    let (_, again) = villager.register("huawei", "HW-TOKEN-ONE", "manager").await;
    assert_eq!(
        again["devices"], 1,
        "the same token replaces its registration"
    );
    let (_, second) = villager.register("apns", "abcdef0123", "villager").await;
    assert_eq!(second["devices"], 2, "a user may have several devices");

    // The same phone signed in by someone else: the token moves to them.
    let other = sign_in.login("v002").await;
    other.register("huawei", "HW-TOKEN-ONE", "villager").await;
    assert_eq!(
        (count(&running, "v001").await, count(&running, "v002").await),
        (1, 1)
    );

    let (status, _) = villager
        .call(
            Method::DELETE,
            "/v1/devices",
            Some(json!({"vendor": "apns", "token": "abcdef0123", "app": "villager"})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(count(&running, "v001").await, 0);

    // Two sessions of one user: logging out of one forgets only its devices.
    let phone_a = sign_in.login("v003").await;
    let phone_b = sign_in.login("v003").await;
    phone_a.register("xiaomi", "MI-A", "villager").await;
    phone_b.register("xiaomi", "MI-B", "villager").await;
    assert_eq!(count(&running, "v003").await, 2);
    let (status, _) = phone_a.call(Method::POST, "/v1/auth/logout", None).await;
    assert_eq!(status, 204);
    assert_eq!(count(&running, "v003").await, 1);
    let keys = running.state.keys.clone();
    let mac_b = devices::token_mac(&keys, PushVendor::Xiaomi, "MI-B");
    let left = running
        .state
        .db
        .read(move |c| devices::exists(c, &mac_b))
        .await
        .unwrap();
    assert!(left, "the other session's device stays");
    running.stop().await;
}

#[tokio::test]
async fn a_bad_registration_is_refused_and_no_token_is_readable_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (running, sign_in) =
        push_fake::platform(dir.path(), Arc::new(LogPushGateway::default())).await;
    let manager = sign_in.login("m-runchang-1").await;
    let (status, body) = manager.register("huawei", "has space", "manager").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_token"))
    );
    let (status, _) = manager.register("nokia", "TOKEN", "manager").await;
    assert!(
        (400..500).contains(&status),
        "an unknown vendor is refused ({status})"
    );
    let anonymous = reqwest::Client::new()
        .post(format!("{}/v1/devices", sign_in.base))
        .json(&json!({"vendor": "fcm", "token": "T", "app": "manager"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let secret_token = "FCM-TOKEN-THAT-MUST-NEVER-BE-ON-DISK-0123456789";
    let (status, _) = manager.register("fcm", secret_token, "manager").await;
    assert_eq!(status, 200);
    let keys = running.state.keys.clone();
    let user = manager.id.clone();
    let opened = running
        .state
        .db
        .read(move |c| devices::of_user(c, &keys, &user))
        .await
        .unwrap();
    assert_eq!(opened.len(), 1);
    assert_eq!(
        opened[0].token.expose(),
        secret_token,
        "the platform can open it to send"
    );
    running.stop().await;
    for file in push_fake::read_folder(dir.path()) {
        assert!(
            !file
                .windows(secret_token.len())
                .any(|w| w == secret_token.as_bytes()),
            "a push token was found in clear in the data folder"
        );
    }
}
