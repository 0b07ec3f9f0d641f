//! `huoshui serve` stops gracefully: on SIGTERM it finishes a request already in flight (a
//! document chunk whose body is still arriving) before it exits, and what that request stored
//! is there after a restart. Its log, even at debug level, never holds the phone number, the
//! session token or the document's bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod common;

use common::{http_client, login, start};
use std::time::{Duration, Instant};

const PHONE: &str = "13800000001";

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_and_the_log_holds_no_personal_data() {
    let tmp = tempfile::tempdir().unwrap();
    let http = http_client();
    let mut server = start(tmp.path(), "debug");
    let token = login(&server, &http, PHONE).await;

    let r = http
        .post(format!("{}/v1/applications", server.base))
        .bearer_auth(&token)
        .header("idempotency-key", "stop-test-1")
        .json(
            &serde_json::json!({"product_id": "psbc-jisu", "amount_fen": 1_000_000, "months": 12}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let app: serde_json::Value = r.json().await.unwrap();
    let id = app["id"].as_str().unwrap().to_owned();

    // A document with a recognisable pattern, small enough for one chunk.
    let marker = b"HUOSHUI-SECRET-PAGE-";
    let doc: Vec<u8> = marker.iter().copied().cycle().take(120_000).collect();
    let r = http
        .post(format!("{}/v1/applications/{id}/documents", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"kind": "id_card_front", "size": doc.len(), "sha256": sha256_hex(&doc)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let up: serde_json::Value = r.json().await.unwrap();
    let upload = up["upload_id"].as_str().unwrap().to_owned();
    assert_eq!(up["chunk_count"], 1);

    // The chunk's body arrives in two halves; SIGTERM lands between them.
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, std::io::Error>(bytes), rx))
    });
    let put = {
        let http = http.clone();
        let url = format!("{}/v1/uploads/{upload}/chunks/0", server.base);
        let token = token.clone();
        let len = doc.len();
        tokio::spawn(async move {
            http.put(url)
                .bearer_auth(token)
                .header("content-length", len)
                .body(reqwest::Body::wrap_stream(body))
                .send()
                .await
        })
    };
    tx.send(doc[..60_000].to_vec()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = i32::try_from(server.child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server waits for the request in flight"
    );
    tx.send(doc[60_000..].to_vec()).await.unwrap();
    drop(tx);
    let answer = put
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(answer.status(), 200, "the chunk in flight is accepted");

    // Then it exits by itself, successfully.
    let began = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            began.elapsed() < Duration::from_secs(20),
            "the server stops after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        status.success(),
        "a graceful stop exits with success: {status:?}"
    );
    std::thread::sleep(Duration::from_millis(100));
    let log = server.all_log.lock().unwrap().join("\n");

    // After a restart the chunk is there and the document completes with its checksum.
    let mut again = start(tmp.path(), "debug");
    let token2 = login(&again, &http, PHONE).await;
    let st: serde_json::Value = http
        .get(format!("{}/v1/uploads/{upload}", again.base))
        .bearer_auth(&token2)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["missing_chunks"], serde_json::json!([]), "{st}");
    let done = http
        .post(format!("{}/v1/uploads/{upload}/complete", again.base))
        .bearer_auth(&token2)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert!(done.status().is_success(), "{}", done.text().await.unwrap());
    let _ = again.child.kill();
    let _ = again.child.wait();
    let log2 = again.all_log.lock().unwrap().join("\n");

    for text in [&log, &log2] {
        assert!(
            text.contains("stopping") || text.contains("listening"),
            "the log was captured"
        );
        assert!(!text.contains(PHONE), "no phone number in the log");
        assert!(
            !text.contains(&token) && !text.contains(&token2),
            "no session token in the log"
        );
        assert!(
            !text.contains("HUOSHUI-SECRET-PAGE"),
            "no document bytes in the log"
        );
    }
    assert!(log.contains("stopping"), "the stop is logged");
}
