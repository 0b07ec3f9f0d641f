//! The platform under abuse (issue 16): every timeout and cap, shown on the real server over
//! loopback with small limits set in the test's config (no long waits).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, start_time, tempdir};
use huoshui_server::clock::ManualClock;
use huoshui_server::limits::{Limits, Rate};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start_limited(dir: &std::path::Path, edit: impl FnOnce(&mut Limits)) -> Platform {
    let clock = Arc::new(ManualClock::new(start_time()));
    Platform::start_configured(dir, clock, |config| edit(&mut config.limits)).await
}

/// Everything the server sends until it closes (or `within` passes), and how long that took.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, Duration) {
    let began = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while began.elapsed() < within {
        match tokio::time::timeout(within - began.elapsed(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), began.elapsed())
}

fn submission_body(product: &(String, i64, u32)) -> String {
    json!({"product_id": product.0, "amount_fen": product.1, "months": product.2}).to_string()
}

/// A writer job that holds the database writer until `release` is sent (or 10 s pass).
fn hold_the_writer(p: &Platform) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
    let (release, held) = std::sync::mpsc::channel::<()>();
    let db = p.running.state.db.clone();
    let task = tokio::spawn(async move {
        db.write(move |_| {
            let _ = held.recv_timeout(Duration::from_secs(10));
            Ok(())
        })
        .await
        .unwrap();
    });
    (release, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_dropped_within_the_header_timeout() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| l.header_read = Duration::from_millis(300)).await;
    let mut slow = TcpStream::connect(p.running.addr).await.unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\nx-half: ")
        .await
        .unwrap();
    let (_, took) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "closed after {took:?}");

    // A whole request on a new connection is answered, and the kept-alive connection that sends
    // nothing more is closed after the same timeout.
    let mut ok = TcpStream::connect(p.running.addr).await.unwrap();
    ok.write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, took) = read_until_closed(&mut ok, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        took < Duration::from_secs(2),
        "idle keep-alive closed after {took:?}"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_that_keeps_sending_is_served_and_a_stalled_one_is_dropped() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| l.body_chunk = Duration::from_millis(400)).await;
    let v = p.login("v001").await;
    let body = submission_body(&p.product_of_bank("runchang").await);
    let head = |len: usize| {
        format!(
            "POST /v1/applications HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\
             authorization: Bearer {}\r\nidempotency-key: slow-1\r\n\
             content-type: application/json\r\ncontent-length: {len}\r\n\r\n",
            v.token
        )
    };
    // Four pieces 250 ms apart: 750 ms in all, longer than the per-chunk timeout of 400 ms.
    let mut slow = TcpStream::connect(p.running.addr).await.unwrap();
    slow.write_all(head(body.len()).as_bytes()).await.unwrap();
    for piece in body.as_bytes().chunks(body.len().div_ceil(4)) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        slow.write_all(piece).await.unwrap();
    }
    let (answer, _) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    let mut stalled = TcpStream::connect(p.running.addr).await.unwrap();
    stalled
        .write_all(head(body.len()).as_bytes())
        .await
        .unwrap();
    stalled.write_all(&body.as_bytes()[..10]).await.unwrap();
    let (answer, took) = read_until_closed(&mut stalled, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("bad_body"), "{answer}");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    assert_eq!(
        v.get("/v1/applications").await.body["applications"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only the slow but complete submission is stored"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_past_its_deadline_answers_503_and_its_retry_stores_one_application() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| l.handler = Duration::from_millis(300)).await;
    let v = p.login("v001").await;
    let product = p.product_of_bank("runchang").await;
    let body: serde_json::Value = serde_json::from_str(&submission_body(&product)).unwrap();
    let (release, held) = hold_the_writer(&p);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let began = Instant::now();
    let r = v
        .http
        .post(format!("{}/v1/applications", p.base))
        .bearer_auth(&v.token)
        .header("idempotency-key", "deadline-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(began.elapsed() < Duration::from_secs(2));
    assert!(r.headers().contains_key("retry-after"));
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "timeout");
    assert!(!err["error"]["message_zh"].as_str().unwrap().is_empty());
    release.send(()).unwrap();
    held.await.unwrap();

    let again = v.submit("deadline-1", body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    let mine = v.get("/v1/applications").await;
    assert_eq!(mine.body["applications"].as_array().unwrap().len(), 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_live_stream_beyond_the_cap_closes_the_users_oldest() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| l.streams_per_user = 2).await;
    let v = p.login("v001").await;
    let mut oldest = v.stream().await;
    let mut second = v.stream().await;
    let mut newest = v.stream().await;
    let began = Instant::now();
    assert!(oldest.next().await.is_none(), "the oldest stream ended");
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(p.running.state.limits.streams.open_of("v001"), 2);

    let id = v.apply(&p.product_of_bank("runchang").await).await;
    second.wait_for("assigned", &id).await;
    newest.wait_for("assigned", &id).await;
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    for (line, length) in [
        ("POST /v1/applications", 10_000_000),
        ("PUT /v1/uploads/any/chunks/0", 300_000),
        ("POST /v1/auth/code", 70_000),
    ] {
        let mut s = TcpStream::connect(p.running.addr).await.unwrap();
        let head = format!(
            "{line} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
             content-length: {length}\r\n\r\n"
        );
        // Not one byte of the body is sent: the answer comes from the declared length alone.
        s.write_all(head.as_bytes()).await.unwrap();
        let (answer, took) = read_until_closed(&mut s, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{line}: {answer}");
        assert!(answer.contains("too_large"), "{answer}");
        assert!(took < Duration::from_secs(2), "{line}: {took:?}");
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_over_its_connection_cap_is_refused_with_503_and_retry_after() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| l.connections_per_address = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(p.running.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = TcpStream::connect(p.running.addr).await.unwrap();
    let (answer, _) = read_until_closed(&mut fourth, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 5"), "{answer}");
    assert!(answer.contains("too_many_connections"), "{answer}");

    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(p.running.addr).await.unwrap();
    again
        .write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut again, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_gets_429_with_retry_after_and_health_still_answers() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| {
        l.anonymous_per_address = Rate::new(1.0, 3.0);
    })
    .await;
    let get = |path: &str| p.http.get(format!("{}{path}", p.base)).send();
    for _ in 0..3 {
        assert_eq!(get("/v1/catalog").await.unwrap().status(), StatusCode::OK);
    }
    let refused = get("/v1/catalog").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let err: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(err["error"]["code"], "rate_limited");
    assert!(!err["error"]["message_zh"].as_str().unwrap().is_empty());
    assert!(!err["error"]["message_en"].as_str().unwrap().is_empty());
    assert_eq!(get("/v1/health").await.unwrap().status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get("/v1/catalog").await.unwrap().status(), StatusCode::OK);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn villagers_reads_from_one_address_never_starve_the_manager() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| {
        l.per_villager = Rate::new(0.1, 2.0);
        l.villagers_per_address = Rate::new(0.1, 3.0);
    })
    .await;
    let v1 = p.login("v001").await;
    let v2 = p.login("v002").await;
    let m1 = p.login("m-runchang-1").await;
    assert_eq!(v1.get("/v1/me").await.status, StatusCode::OK);
    assert_eq!(v1.get("/v1/me").await.status, StatusCode::OK);
    assert_eq!(v1.get("/v1/me").await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v2.get("/v1/me").await.status, StatusCode::OK);
    let starved = v2.get("/v1/me").await;
    assert_eq!(
        starved.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is spent"
    );
    for _ in 0..20 {
        assert_eq!(m1.get("/v1/manager/inbox").await.status, StatusCode::OK);
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_writer_queue_sheds_submissions_quickly_but_not_the_managers_command() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| l.shed_write_queue = 1).await;
    let v = p.login("v001").await;
    let m1 = p.login("m-runchang-1").await;
    let product = p.product_of_bank("runchang").await;
    let first = v.apply(&product).await;
    let body: serde_json::Value = serde_json::from_str(&submission_body(&product)).unwrap();

    let (release, held) = hold_the_writer(&p);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let began = Instant::now();
    let shed = v.submit("shed-1", body.clone()).await;
    assert_eq!(
        shed.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        shed.text
    );
    assert_eq!(shed.body["error"]["code"], "busy");
    assert!(began.elapsed() < Duration::from_millis(500));
    let contact = {
        let m1 = m1.clone();
        let path = format!("/v1/applications/{first}/contact");
        tokio::spawn(async move { m1.post(&path, json!({"outcome": "reached"})).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    release.send(()).unwrap();
    held.await.unwrap();
    let contact = contact.await.unwrap();
    assert_eq!(contact.status, StatusCode::OK, "{}", contact.text);

    let later = v.submit("shed-1", body).await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.text);
    let mine = v.get("/v1/applications").await;
    assert_eq!(mine.body["applications"].as_array().unwrap().len(), 2);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_uploads_beyond_the_cap_at_once_get_429() {
    let tmp = tempdir();
    let p = start_limited(tmp.path(), |l| l.uploads_per_user = 1).await;
    let v = p.login("v001").await;
    let mut first = TcpStream::connect(p.running.addr).await.unwrap();
    let head = format!(
        "PUT /v1/uploads/u1/chunks/0 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/octet-stream\r\ncontent-length: 1000\r\n\r\n",
        v.token
    );
    first.write_all(head.as_bytes()).await.unwrap();
    first.write_all(&[0u8; 10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let put = || {
        v.http
            .put(format!("{}/v1/uploads/u1/chunks/1", p.base))
            .bearer_auth(&v.token)
            .header("content-type", "application/octet-stream")
            .body(vec![0u8; 10])
            .send()
    };
    let second = put().await.unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().contains_key("retry-after"));
    let err: serde_json::Value = second.json().await.unwrap();
    assert_eq!(err["error"]["code"], "too_many_uploads");

    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        put().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "no such upload"
    );
    p.stop().await;
}
