//! Login codes are limited: one per phone a minute, ten per phone a day and a hundred per
//! client address an hour, answered 429 with `Retry-After` and the wait in Chinese and
//! English; the limits live in the database, so a restart does not reset them. The real
//! server on 127.0.0.1 with the manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, minutes, tempdir};
use huoshui_server::code_limits::{CodeLimits, SmsCodeProvider};
use huoshui_server::sms::{SmsError, SmsFuture, SmsMessage, SmsSender};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

struct Asked {
    status: StatusCode,
    retry_after: Option<u64>,
    body: Value,
}

async fn ask(p: &Platform, phone: &str, forwarded: Option<&str>) -> Asked {
    let mut req = p
        .http
        .post(format!("{}/v1/auth/code", p.base))
        .json(&json!({"phone": phone}));
    if let Some(ip) = forwarded {
        req = req.header("x-forwarded-for", ip);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let body = r.json().await.unwrap_or(Value::Null);
    Asked {
        status,
        retry_after,
        body,
    }
}

/// The platform with the county's limits (the harness turns them off for other tests).
async fn start(dir: &std::path::Path, clock: Arc<huoshui_server::clock::ManualClock>) -> Platform {
    Platform::start_configured(dir, clock, |c| c.sign_in.limits = CodeLimits::default()).await
}

fn seconds(s: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_secs(s)
}

#[tokio::test]
async fn a_second_code_within_a_minute_waits_and_says_how_long() {
    let tmp = tempdir();
    let p = start(tmp.path(), common::clock()).await;
    let phone = p.phone_of("v001");
    assert_eq!(ask(&p, &phone, None).await.status, StatusCode::ACCEPTED);
    let first = p.codes.latest(&phone).unwrap();

    let again = ask(&p, &phone, None).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.retry_after, Some(60));
    assert_eq!(again.body["error"]["code"], "too_many_codes");
    assert!(
        again.body["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("1 分钟")
    );
    assert!(
        again.body["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("1 minute")
    );
    assert_eq!(
        p.codes.latest(&phone).unwrap(),
        first,
        "no new code was sent"
    );

    p.clock.advance(seconds(45));
    let later = ask(&p, &phone, None).await;
    assert_eq!(later.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(later.retry_after, Some(15));

    p.clock.advance(seconds(15));
    assert_eq!(ask(&p, &phone, None).await.status, StatusCode::ACCEPTED);
    p.stop().await;
}

#[tokio::test]
async fn ten_codes_a_day_per_phone_and_a_restart_does_not_reset_the_count() {
    let tmp = tempdir();
    let p = start(tmp.path(), common::clock()).await;
    let phone = p.phone_of("v002");
    for _ in 0..10 {
        assert_eq!(ask(&p, &phone, None).await.status, StatusCode::ACCEPTED);
        p.clock.advance(seconds(61));
    }
    let eleventh = ask(&p, &phone, None).await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS);
    // The first of the ten was 610 s ago: it leaves the day in 24 h − 610 s.
    assert_eq!(eleventh.retry_after, Some(24 * 3600 - 610));
    let en = eleventh.body["error"]["message_en"].as_str().unwrap();
    assert!(en.contains("23 hours 50 minutes"), "{en}");
    let zh = eleventh.body["error"]["message_zh"].as_str().unwrap();
    assert!(zh.contains("23 小时 50 分钟"), "{zh}");

    let clock = p.stop().await;
    let p = start(tmp.path(), clock).await;
    assert_eq!(
        ask(&p, &phone, None).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "kept across a restart"
    );
    p.clock.advance(seconds(24 * 3600 - 610));
    assert_eq!(ask(&p, &phone, None).await.status, StatusCode::ACCEPTED);
    p.stop().await;
}

#[tokio::test]
async fn a_client_address_gets_a_hundred_codes_an_hour_whatever_the_phones() {
    let tmp = tempdir();
    let p = Platform::start_configured(
        tmp.path(),
        Arc::new(huoshui_server::clock::ManualClock::new(common::start_time())),
        |c| {
            c.sign_in.limits = CodeLimits::default();
            c.sign_in.client_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
        },
    )
    .await;
    // Phones without an account count alike, so the answer says nothing about accounts.
    for n in 0..100 {
        let phone = format!("1330000{n:04}");
        assert_eq!(
            ask(&p, &phone, Some("203.0.113.7")).await.status,
            StatusCode::ACCEPTED
        );
    }
    let over = ask(&p, "13312340000", Some("203.0.113.7, 10.0.0.1")).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(over.retry_after, Some(3600));
    assert!(
        over.body["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("1 hour")
    );
    assert_eq!(
        ask(&p, "13312340000", Some("198.51.100.2")).await.status,
        StatusCode::ACCEPTED,
        "another address has its own count"
    );
    p.clock.advance(minutes(60));
    assert_eq!(
        ask(&p, "13312340001", Some("203.0.113.7")).await.status,
        StatusCode::ACCEPTED
    );
    p.stop().await;
}

/// An SMS provider that keeps what it was asked to send (or fails, when told to).
#[derive(Default)]
struct Texts {
    sent: Mutex<Vec<(String, SmsMessage)>>,
    fail: bool,
}

impl SmsSender for Texts {
    fn send<'a>(&'a self, phone: &'a str, message: &'a SmsMessage) -> SmsFuture<'a> {
        self.sent
            .lock()
            .unwrap()
            .push((phone.to_owned(), message.clone()));
        let fail = self.fail;
        Box::pin(async move {
            if fail {
                Err(SmsError::Retry("HTTP 503".into()))
            } else {
                Ok(())
            }
        })
    }
}

#[tokio::test]
async fn the_sms_provider_texts_a_code_that_signs_in_and_a_failed_text_is_503() {
    let tmp = tempdir();
    let texts = Arc::new(Texts::default());
    let sms = texts.clone();
    let p = Platform::start_configured(
        tmp.path(),
        Arc::new(huoshui_server::clock::ManualClock::new(common::start_time())),
        |c| {
            c.codes = Arc::new(SmsCodeProvider::new(sms));
        },
    )
    .await;
    let phone = p.phone_of("v003");
    assert_eq!(ask(&p, &phone, None).await.status, StatusCode::ACCEPTED);
    let (to, message) = texts.sent.lock().unwrap()[0].clone();
    assert_eq!(to, phone);
    let SmsMessage::LoginCode { code } = message else {
        panic!("a login code")
    };
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    let r = p
        .http
        .post(format!("{}/v1/auth/login", p.base))
        .json(&json!({"phone": phone, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    p.stop().await;

    let tmp = tempdir();
    let failing = Arc::new(Texts {
        fail: true,
        ..Texts::default()
    });
    let p = Platform::start_configured(
        tmp.path(),
        Arc::new(huoshui_server::clock::ManualClock::new(common::start_time())),
        |c| {
            c.codes = Arc::new(SmsCodeProvider::new(failing));
        },
    )
    .await;
    let r = ask(&p, &p.phone_of("v003"), None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["error"]["code"], "sms_unavailable");
    p.stop().await;
}

/// Asks for a code through the supervision page's form (`/admin/login/code`), as a browser
/// behind `forwarded` would: (status, Retry-After).
async fn ask_on_the_page(p: &Platform, phone: &str, forwarded: &str) -> (StatusCode, Option<u64>) {
    let form = p
        .http
        .get(format!("{}/admin/login", p.base))
        .send()
        .await
        .unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            let v = v.to_str().unwrap();
            v.strip_prefix("huoshui_admin_login=")
                .map(|rest| rest.split(';').next().unwrap().to_owned())
        })
        .unwrap();
    let html = form.text().await.unwrap();
    let marker = r#"name="csrf" value=""#;
    let rest = &html[html.find(marker).unwrap() + marker.len()..];
    let csrf = &rest[..rest.find('"').unwrap()];
    let r = p
        .http
        .post(format!("{}/admin/login/code", p.base))
        .header("cookie", format!("huoshui_admin_login={cookie}"))
        .header("origin", &p.base)
        .header("x-forwarded-for", forwarded)
        .form(&[("csrf", csrf), ("phone", phone)])
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status(), retry)
}

#[tokio::test]
async fn the_supervision_pages_codes_count_against_the_client_address_like_the_apps() {
    let tmp = tempdir();
    let p = Platform::start_configured(
        tmp.path(),
        Arc::new(huoshui_server::clock::ManualClock::new(common::start_time())),
        |c| {
            c.sign_in.limits = CodeLimits {
                per_client_per_hour: 3,
                ..CodeLimits::default()
            };
            c.sign_in.client_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
        },
    )
    .await;
    // Two codes asked in the app and one on the page, each for another phone, from one address.
    assert_eq!(
        ask(&p, "13300000001", Some("203.0.113.9")).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        ask(&p, "13300000002", Some("203.0.113.9")).await.status,
        StatusCode::ACCEPTED
    );
    let admin = p.phone_of("admin");
    assert_eq!(
        ask_on_the_page(&p, &admin, "203.0.113.9").await.0,
        StatusCode::OK
    );
    // The page's fourth code from that address is refused, though the phone asked for none.
    let manager = p.phone_of("m-runchang-1");
    let (status, retry) = ask_on_the_page(&p, &manager, "203.0.113.9").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry, Some(3600));
    assert!(p.codes.latest(&manager).is_none(), "no code was sent");
    assert_eq!(
        ask_on_the_page(&p, &manager, "198.51.100.4").await.0,
        StatusCode::OK,
        "another address has its own count"
    );
    assert!(p.codes.latest(&manager).is_some());
    p.stop().await;
}
