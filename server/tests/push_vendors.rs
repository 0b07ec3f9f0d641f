//! Each vendor's sender against a fake vendor on 127.0.0.1, checked against the request the
//! vendor documents: address, headers, the JWT's signature (verified with the public key), the
//! body's shape and the vendor's message category, for a manager's task alert and for a tickle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod push_fake;

use huoshui_core::wire::{DeviceApp, PushVendor};
use huoshui_server::push::config::{PushConfig, RetryConfig};
use huoshui_server::push::sender::{Outcome, Sender, deliver};
use huoshui_server::push::{Message, NEW_TASK_TEXT, Notice, dispatch};
use push_fake::{Fake, jwt_parts, ok, secret_file};
use ring::signature::{ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::json;
use std::sync::Arc;

fn task() -> Message {
    Message::for_notice(&Notice::NewTask {
        task_id: "task-42".into(),
    })
}

fn quick() -> RetryConfig {
    RetryConfig {
        attempts: 3,
        base_ms: 10,
        max_ms: 100,
    }
}

/// The one sender a `[push]` table configures.
fn sender_of(toml_text: &str) -> Arc<dyn Sender> {
    let table: toml::Table = toml::from_str(toml_text).unwrap();
    let config = PushConfig::from_table(table).unwrap();
    let mut senders = dispatch::senders_from_config(&config).unwrap();
    assert_eq!(senders.len(), 1);
    senders.remove(0)
}

#[tokio::test]
async fn apns_alert_is_http2_with_a_verified_es256_token_and_a_background_tickle_is_priority_5() {
    let fake = Fake::start(|_, _| (200, Vec::new(), String::new())).await;
    let dir = tempfile::tempdir().unwrap();
    let (p8, public) = push_fake::apns_key();
    let key = secret_file(dir.path(), "AuthKey.p8", &p8);
    let s = sender_of(&format!(
        "[apns]\nendpoint = \"{}\"\nkey_file = {:?}\nkey_id = \"KEY1234567\"\nteam_id = \"TEAM123456\"\ntopic = \"cn.huoshui.app\"\n",
        fake.url(),
        key
    ));
    let token = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    assert_eq!(
        deliver(s.as_ref(), token, DeviceApp::Manager, &task(), &quick()).await,
        Outcome::Sent
    );
    let tickle = Message::for_notice(&Notice::StatusTickle);
    assert_eq!(
        deliver(s.as_ref(), token, DeviceApp::Villager, &tickle, &quick()).await,
        Outcome::Sent
    );
    let seen = fake.to(&format!("/3/device/{token}"));
    assert_eq!(seen.len(), 2);
    let alert = &seen[0];
    assert_eq!(alert.method, "POST");
    assert_eq!(alert.version, axum::http::Version::HTTP_2);
    assert_eq!(alert.header("apns-push-type"), "alert");
    assert_eq!(alert.header("apns-priority"), "10");
    assert_eq!(alert.header("apns-topic"), "cn.huoshui.app");
    let auth = alert.header("authorization");
    let jwt = auth.strip_prefix("bearer ").unwrap();
    let (header, claims, input, sig) = jwt_parts(jwt);
    assert_eq!(header, json!({"alg": "ES256", "kid": "KEY1234567"}));
    assert_eq!(claims["iss"], "TEAM123456");
    assert!(claims["iat"].as_u64().unwrap() > 1_700_000_000);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public)
        .verify(input.as_bytes(), &sig)
        .expect("the provider token verifies with the team's public key");
    let body = alert.json();
    assert_eq!(body["aps"]["alert"]["body"], NEW_TASK_TEXT);
    assert_eq!(body["task_id"], "task-42");
    assert!(alert.body.len() <= 4096);
    let background = &seen[1];
    assert_eq!(background.header("apns-push-type"), "background");
    assert_eq!(background.header("apns-priority"), "5");
    assert_eq!(
        background.json(),
        json!({"aps": {"content-available": 1}, "t": "sync"})
    );
    assert_eq!(
        background.header("authorization"),
        auth,
        "one provider token is reused until its refresh time"
    );
}

#[tokio::test]
async fn apns_drops_an_unregistered_token_and_refuses_a_token_that_is_not_hex() {
    let fake = Fake::start(|_, _| (410, Vec::new(), r#"{"reason":"Unregistered"}"#.into())).await;
    let dir = tempfile::tempdir().unwrap();
    let (p8, _) = push_fake::apns_key();
    let key = secret_file(dir.path(), "AuthKey.p8", &p8);
    let s = sender_of(&format!(
        "[apns]\nendpoint = \"{}\"\nkey_file = {:?}\nkey_id = \"K\"\nteam_id = \"T\"\ntopic = \"cn.huoshui.app\"\n",
        fake.url(),
        key
    ));
    assert_eq!(
        deliver(s.as_ref(), "abcd", DeviceApp::Manager, &task(), &quick()).await,
        Outcome::InvalidToken
    );
    assert_eq!(
        deliver(s.as_ref(), "../x", DeviceApp::Manager, &task(), &quick()).await,
        Outcome::InvalidToken
    );
    assert_eq!(fake.seen().len(), 1, "a malformed token is never sent");
}

#[tokio::test]
async fn huawei_fetches_a_client_credentials_token_and_sends_a_work_category_notification() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/oauth2/v3/token" => ok(json!({"access_token": "AT-1", "expires_in": 3600})),
        _ => ok(json!({"code": "80000000", "msg": "Success", "requestId": "r"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "huawei.secret", "hw-secret\n");
    let s = sender_of(&format!(
        "[huawei]\nendpoint = \"{u}\"\ntoken_endpoint = \"{u}/oauth2/v3/token\"\napp_id = \"10086\"\nclient_secret_file = {secret:?}\n",
        u = fake.url()
    ));
    assert_eq!(
        deliver(
            s.as_ref(),
            "HW-TOKEN",
            DeviceApp::Manager,
            &task(),
            &quick()
        )
        .await,
        Outcome::Sent
    );
    let auth = &fake.to("/oauth2/v3/token")[0];
    assert_eq!(auth.field("grant_type"), "client_credentials");
    assert_eq!(auth.field("client_id"), "10086");
    assert_eq!(auth.field("client_secret"), "hw-secret");
    let send = &fake.to("/v1/10086/messages:send")[0];
    assert_eq!(send.header("authorization"), "Bearer AT-1");
    let b = send.json();
    assert_eq!(b["validate_only"], false);
    assert_eq!(b["message"]["token"], json!(["HW-TOKEN"]));
    assert_eq!(b["message"]["android"]["category"], "WORK");
    assert_eq!(
        b["message"]["android"]["notification"]["importance"],
        "NORMAL"
    );
    assert_eq!(
        b["message"]["android"]["notification"]["body"],
        NEW_TASK_TEXT
    );
    assert_eq!(
        b["message"]["android"]["notification"]["click_action"]["type"],
        3
    );
}

#[tokio::test]
async fn honor_sends_a_normal_importance_notification_with_a_timestamp_header() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/auth/token" => ok(json!({"access_token": "HT-1", "expires_in": 3600})),
        _ => ok(json!({"code": 200, "message": "success"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "honor.secret", "ho-secret");
    let s = sender_of(&format!(
        "[honor]\nendpoint = \"{u}\"\ntoken_endpoint = \"{u}/auth/token\"\napp_id = \"104\"\nclient_id = \"cid\"\nclient_secret_file = {secret:?}\n",
        u = fake.url()
    ));
    assert_eq!(
        deliver(
            s.as_ref(),
            "HO-TOKEN",
            DeviceApp::Manager,
            &task(),
            &quick()
        )
        .await,
        Outcome::Sent
    );
    let auth = &fake.to("/auth/token")[0];
    assert_eq!(
        (auth.field("grant_type"), auth.field("client_id")),
        ("client_credentials".into(), "cid".into())
    );
    let send = &fake.to("/api/v1/104/sendMessage")[0];
    assert_eq!(send.header("authorization"), "Bearer HT-1");
    assert!(send.header("timestamp").parse::<u64>().unwrap() > 1_700_000_000_000);
    let b = send.json();
    assert_eq!(b["token"], json!(["HO-TOKEN"]));
    assert_eq!(b["android"]["notification"]["importance"], "NORMAL");
    assert_eq!(b["android"]["notification"]["clickAction"]["type"], 3);
    assert_eq!(b["data"], r#"{"t":"task","task_id":"task-42"}"#);
}

#[tokio::test]
async fn xiaomi_authorises_with_the_app_secret_and_names_the_private_message_channel() {
    let fake =
        Fake::start(|_, _| ok(json!({"result": "ok", "code": 0, "data": {"id": "m"}}))).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "xiaomi.secret", "mi-secret");
    let s = sender_of(&format!(
        "[xiaomi]\nendpoint = \"{}\"\npackage = \"cn.huoshui.app\"\napp_secret_file = {secret:?}\nchannel_id = \"private-110\"\n",
        fake.url()
    ));
    assert_eq!(
        deliver(
            s.as_ref(),
            "MI-REGID",
            DeviceApp::Manager,
            &task(),
            &quick()
        )
        .await,
        Outcome::Sent
    );
    let send = &fake.to("/v3/message/regid")[0];
    assert_eq!(send.header("authorization"), "key=mi-secret");
    assert!(
        send.header("content-type")
            .starts_with("application/x-www-form-urlencoded")
    );
    assert_eq!(send.field("registration_id"), "MI-REGID");
    assert_eq!(send.field("restricted_package_name"), "cn.huoshui.app");
    assert_eq!(send.field("pass_through"), "0");
    assert_eq!(send.field("description"), NEW_TASK_TEXT);
    assert_eq!(send.field("extra.channel_id"), "private-110");
    assert_eq!(send.field("payload"), r#"{"t":"task","task_id":"task-42"}"#);
}

#[tokio::test]
async fn oppo_signs_its_auth_with_sha256_and_sends_a_private_channel_notification() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/server/v1/auth" => ok(json!({"code": 0, "data": {"auth_token": "OT-1"}})),
        _ => ok(json!({"code": 0, "message": "Success", "data": {"messageId": "m"}})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "oppo.secret", "master");
    let s = sender_of(&format!(
        "[oppo]\nendpoint = \"{}\"\napp_key = \"ak\"\nmaster_secret_file = {secret:?}\nchannel_id = \"task\"\n",
        fake.url()
    ));
    assert_eq!(
        deliver(
            s.as_ref(),
            "OP-REGID",
            DeviceApp::Manager,
            &task(),
            &quick()
        )
        .await,
        Outcome::Sent
    );
    let auth = &fake.to("/server/v1/auth")[0];
    let ts = auth.field("timestamp");
    let want = huoshui_server::keys::sha256_hex(format!("ak{ts}master").as_bytes());
    assert_eq!(auth.field("sign"), want);
    let send = &fake.to("/server/v1/message/notification/unicast")[0];
    assert_eq!(send.header("auth_token"), "OT-1");
    let m: serde_json::Value = serde_json::from_str(&send.field("message")).unwrap();
    assert_eq!(
        (m["target_type"].clone(), m["target_value"].clone()),
        (json!(2), json!("OP-REGID"))
    );
    assert_eq!(m["notification"]["channel_id"], "task");
    assert_eq!(m["notification"]["category"], "TODO");
    assert_eq!(m["notification"]["notify_level"], 2);
    assert_eq!(m["notification"]["content"], NEW_TASK_TEXT);
    let tickle = Message::for_notice(&Notice::StatusTickle);
    assert!(!s.carries_tickles(), "OPPO has no silent message");
    assert!(matches!(
        deliver(
            s.as_ref(),
            "OP-REGID",
            DeviceApp::Villager,
            &tickle,
            &quick()
        )
        .await,
        Outcome::GiveUp(_)
    ));
}

#[tokio::test]
async fn vivo_signs_its_auth_with_md5_and_classifies_the_task_as_a_system_message() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/message/auth" => ok(json!({"result": 0, "desc": "ok", "authToken": "VT-1"})),
        _ => ok(json!({"result": 0, "desc": "ok", "taskId": "t"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "vivo.secret", "vsecret");
    let s = sender_of(&format!(
        "[vivo]\nendpoint = \"{}\"\napp_id = \"1001\"\napp_key = \"vk\"\napp_secret_file = {secret:?}\n",
        fake.url()
    ));
    assert_eq!(
        deliver(
            s.as_ref(),
            "VV-REGID",
            DeviceApp::Manager,
            &task(),
            &quick()
        )
        .await,
        Outcome::Sent
    );
    let auth = fake.to("/message/auth")[0].json();
    let signed = format!("1001vk{}vsecret", auth["timestamp"]);
    use md5::{Digest, Md5};
    assert_eq!(
        auth["sign"],
        huoshui_server::keys::hex(&Md5::digest(signed.as_bytes()))
    );
    let send = &fake.to("/message/send")[0];
    assert_eq!(send.header("authtoken"), "VT-1");
    let b = send.json();
    assert_eq!(b["regId"], "VV-REGID");
    assert_eq!(
        (b["classification"].clone(), b["category"].clone()),
        (json!(1), json!("TODO"))
    );
    assert_eq!(b["content"], NEW_TASK_TEXT);
    assert_eq!(b["clientCustomMap"]["task_id"], "task-42");
    assert_eq!(b["requestId"].as_str().unwrap().len(), 36);
}

#[tokio::test]
async fn fcm_exchanges_a_verified_rs256_service_account_jwt_and_sends_v1_messages() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/token" => ok(json!({"access_token": "GT-1", "expires_in": 3599, "token_type": "Bearer"})),
        _ => ok(json!({"name": "projects/p/messages/1"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (key_pem, public) = push_fake::fcm_key();
    let account = json!({
        "type": "service_account", "project_id": "huoshui-test",
        "client_email": "push@huoshui-test.iam.gserviceaccount.com",
        "private_key": key_pem, "token_uri": format!("{}/token", fake.url()),
    });
    let file = secret_file(dir.path(), "sa.json", &account.to_string());
    let s = sender_of(&format!(
        "[fcm]\nendpoint = \"{}\"\nservice_account_file = {file:?}\n",
        fake.url()
    ));
    assert_eq!(
        deliver(
            s.as_ref(),
            "FCM-TOKEN",
            DeviceApp::Manager,
            &task(),
            &quick()
        )
        .await,
        Outcome::Sent
    );
    let tickle = Message::for_notice(&Notice::StatusTickle);
    assert_eq!(
        deliver(
            s.as_ref(),
            "FCM-TOKEN",
            DeviceApp::Villager,
            &tickle,
            &quick()
        )
        .await,
        Outcome::Sent
    );
    let exchange = &fake.to("/token")[0];
    assert_eq!(
        exchange.field("grant_type"),
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let (header, claims, input, sig) = jwt_parts(&exchange.field("assertion"));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["iss"], "push@huoshui-test.iam.gserviceaccount.com");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    assert_eq!(claims["aud"], format!("{}/token", fake.url()));
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public)
        .verify(input.as_bytes(), &sig)
        .expect("the assertion verifies with the service account's public key");
    let sends = fake.to("/v1/projects/huoshui-test/messages:send");
    assert_eq!(sends.len(), 2);
    assert_eq!(
        fake.to("/token").len(),
        1,
        "one access token serves both sends"
    );
    assert_eq!(sends[0].header("authorization"), "Bearer GT-1");
    let alert = sends[0].json();
    assert_eq!(alert["message"]["token"], "FCM-TOKEN");
    assert_eq!(alert["message"]["notification"]["body"], NEW_TASK_TEXT);
    assert_eq!(alert["message"]["android"]["priority"], "high");
    let quiet = sends[1].json();
    assert!(quiet["message"].get("notification").is_none());
    assert_eq!(quiet["message"]["data"], json!({"t": "sync"}));
    assert_eq!(s.vendor(), PushVendor::Fcm);
}

#[tokio::test]
async fn a_message_over_the_vendors_size_limit_is_refused_before_it_is_sent() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/token" | "/oauth2/v3/token" => ok(json!({"access_token": "AT", "expires_in": 3600})),
        _ => ok(json!({"code": "80000000", "result": "ok"})),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (p8, _) = push_fake::apns_key();
    let key = secret_file(dir.path(), "AuthKey.p8", &p8);
    let secret = secret_file(dir.path(), "s.secret", "s");
    let u = fake.url();
    let senders = [
        sender_of(&format!(
            "[apns]\nendpoint = \"{u}\"\nkey_file = {key:?}\nkey_id = \"K\"\nteam_id = \"T\"\ntopic = \"t\"\n"
        )),
        sender_of(&format!(
            "[huawei]\nendpoint = \"{u}\"\ntoken_endpoint = \"{u}/oauth2/v3/token\"\napp_id = \"1\"\nclient_secret_file = {secret:?}\n"
        )),
        sender_of(&format!(
            "[xiaomi]\nendpoint = \"{u}\"\npackage = \"p\"\napp_secret_file = {secret:?}\nchannel_id = \"c\"\n"
        )),
    ];
    // A task id long enough to push any payload over 4096 bytes (ids are UUIDs in practice).
    let huge = Message::for_notice(&Notice::NewTask {
        task_id: "x".repeat(5000),
    });
    for s in &senders {
        let out = deliver(s.as_ref(), "abcdef", DeviceApp::Manager, &huge, &quick()).await;
        assert!(
            matches!(&out, Outcome::GiveUp(why) if why.contains("4096")),
            "{:?}: {out:?}",
            s.vendor()
        );
    }
    let sends: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| !s.path.contains("token"))
        .collect();
    assert!(sends.is_empty(), "nothing over the limit reached a vendor");
}
