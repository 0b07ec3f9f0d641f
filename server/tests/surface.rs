//! The API surface: the OpenAPI document lists every route the server answers and nothing it
//! does not; the database schema migrates from empty and refuses a newer one; login codes
//! expire and run out of attempts; tokens expire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use huoshui_server::openapi::ROUTES;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_is_served_and_every_served_route_is_documented() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let doc: serde_json::Value = p
        .http
        .get(format!("{}/v1/openapi.json", p.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths
        .values()
        .map(|ops| ops.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, ROUTES.len());
    let sample = "00000000-0000-7000-8000-000000000000";
    for r in ROUTES {
        assert!(
            paths[r.path][r.method].is_object(),
            "{} {} documented",
            r.method,
            r.path
        );
        let path = r
            .path
            .replace("{id}", sample)
            .replace("{upload}", sample)
            .replace("{index}", "0");
        let method = Method::from_bytes(r.method.to_uppercase().as_bytes()).unwrap();
        let resp = p
            .http
            .request(method, format!("{}{}", p.base, path))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
        assert_ne!(
            body["error"]["code"], "route_not_found",
            "{} {} is served",
            r.method, r.path
        );
        assert_ne!(
            body["error"]["code"], "method_not_allowed",
            "{} {} is served",
            r.method, r.path
        );
    }
    // A route that is not in the table is not served.
    let r = p
        .http
        .get(format!("{}/v1/secret-admin", p.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    p.stop().await;
}

#[test]
fn the_schema_migrates_from_empty_and_refuses_a_newer_database() {
    let tmp = tempdir();
    let path = tmp.path().join("db.sqlite3");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(
        huoshui_server::db::migrate(&mut conn).unwrap(),
        0,
        "started from version 0"
    );
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, huoshui_server::db::VERSION);
    assert_eq!(
        huoshui_server::db::migrate(&mut conn).unwrap(),
        huoshui_server::db::VERSION,
        "a second run changes nothing"
    );
    conn.pragma_update(None, "user_version", huoshui_server::db::VERSION + 1)
        .unwrap();
    let err = huoshui_server::db::migrate(&mut conn).unwrap_err();
    assert!(err.to_string().contains("upgrade huoshui"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_code_expires_after_five_minutes_and_dies_after_five_wrong_tries() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let phone = p.phone_of("v001");
    let login = |code: String| {
        let http = p.http.clone();
        let url = format!("{}/v1/auth/login", p.base);
        let phone = phone.clone();
        async move {
            http.post(url)
                .json(&json!({"phone": phone, "code": code}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let ask = || {
        let http = p.http.clone();
        let url = format!("{}/v1/auth/code", p.base);
        let phone = phone.clone();
        async move {
            http.post(url)
                .json(&json!({"phone": phone}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(ask().await, StatusCode::ACCEPTED);
    let code = p.codes.latest(&phone).unwrap();
    p.clock.advance(minutes(6));
    assert_eq!(login(code).await, StatusCode::UNAUTHORIZED, "expired");

    assert_eq!(ask().await, StatusCode::ACCEPTED);
    let code = p.codes.latest(&phone).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(login(wrong.to_owned()).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login(code).await,
        StatusCode::UNAUTHORIZED,
        "the right code after five wrong tries is void"
    );

    assert_eq!(ask().await, StatusCode::ACCEPTED);
    let code = p.codes.latest(&phone).unwrap();
    assert_eq!(login(code.clone()).await, StatusCode::OK);
    assert_eq!(
        login(code).await,
        StatusCode::UNAUTHORIZED,
        "a code works once"
    );

    // Unknown phones get the same answer and no code.
    let stranger = "13312345678";
    let r = p
        .http
        .post(format!("{}/v1/auth/code", p.base))
        .json(&json!({"phone": stranger}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(p.codes.latest(stranger).is_none());
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_expires() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    assert_eq!(v.get("/v1/me").await.status, StatusCode::OK);
    p.clock.advance(minutes(31 * 24 * 60));
    assert_eq!(v.get("/v1/me").await.status, StatusCode::UNAUTHORIZED);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_and_tokens_are_not_stored_in_plain_text() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let phone = p.phone_of("v001");
    let _ = v.get("/v1/me").await;
    p.stop().await;
    let files = read_data_folder(tmp.path());
    assert!(!files.is_empty(), "the data folder was read");
    for bytes in &files {
        let hay = String::from_utf8_lossy(bytes);
        assert!(!hay.contains(&phone), "a phone number on disk");
        assert!(!hay.contains(&v.token), "a token on disk");
    }
}
