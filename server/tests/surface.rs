//! The API surface: the OpenAPI document lists every route the server answers and nothing it
//! does not; the database schema migrates from empty and refuses a newer one; login codes
//! expire and run out of attempts; tokens expire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
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
    assert_eq!(&doc, huoshui_server::openapi::document(), "served as built");
    let operations = huoshui_server::openapi::operations();
    assert_eq!(operations.len(), 36, "{operations:?}");
    let sample = "00000000-0000-7000-8000-000000000000";
    for (method, path) in &operations {
        let op = &doc["paths"][path][method];
        // Every `{name}` of the path is a declared path parameter.
        for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
            assert!(
                op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == name),
                "{method} {path} declares {name}"
            );
        }
        let url = path
            .replace("{id}", sample)
            .replace("{upload}", sample)
            .replace("{index}", "0");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let resp = p
            .http
            .request(m, format!("{}{}", p.base, url))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16().to_string();
        let body: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
        assert_ne!(
            body["error"]["code"], "route_not_found",
            "{method} {path} is served"
        );
        assert_ne!(
            body["error"]["code"], "method_not_allowed",
            "{method} {path} is served"
        );
        assert!(
            op["responses"][&status].is_object(),
            "{method} {path} answered {status}, which its description lists"
        );
    }
    // A route that is not in the document is not served; a method a path does not take is 405.
    let r = p
        .http
        .get(format!("{}/v1/secret-admin", p.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = p
        .http
        .delete(format!("{}/v1/applications", p.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        r.headers().get("allow").is_some(),
        "405 says what is allowed"
    );
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
async fn a_database_of_the_first_version_upgrades_and_keeps_its_accounts_and_applications() {
    if common::on_postgres() {
        eprintln!(
            "skipped on PostgreSQL: a version-1 SQLite file is upgraded here (PostgreSQL's own upgrades: tests/pg_schema.rs, tests/repo_contract.rs)"
        );
        return;
    }
    let tmp = tempdir();
    let path = tmp.path().join("platform.sqlite3");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        huoshui_server::db::migrate_to(&mut conn, 1).unwrap();
        conn.execute(
            "INSERT INTO users (id, role, phone_mac, phone_masked, name, town) VALUES ('v001', 'villager', 'old-mac', '138****0001', '老用户', 'chongwen')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO uploads (id, application_id, owner_id, kind, size, sha256, chunk_size, chunk_count, created_at)
             VALUES ('u1', 'a1', 'v001', 'lease', 1, 'ab', 262144, 1, 0)",
            [],
        )
        .unwrap();
    }
    // The platform starts on it: every step runs, the old rows stay, the demo seed fills in
    // what v1 lacked (points, the sealed phone) without touching the name.
    let p = Platform::start(tmp.path()).await;
    p.stop().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, huoshui_server::db::VERSION);
    let (name, points, sealed): (String, Option<i64>, Option<Vec<u8>>) = conn
        .query_row(
            "SELECT name, points, phone_sealed FROM users WHERE id = 'v001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(name, "老用户");
    assert_eq!(points, Some(1052));
    assert!(sealed.is_some_and(|s| s.len() > 16));
    let key: Option<String> = conn
        .query_row(
            "SELECT idempotency_key FROM uploads WHERE id = 'u1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(key, None);
    for table in ["phone_releases", "feed"] {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table} exists");
    }
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

    p.clock.advance(minutes(1)); // one code a minute per phone
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
    let expired = v.get("/v1/me").await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.body["error"]["code"], "unauthorized",
        "the phone turns this code into 'sign in again'"
    );
    // Every operation that needs a session says the same.
    let a = v.get("/v1/applications").await;
    assert_eq!(a.body["error"]["code"], "unauthorized");
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
