//! An acknowledged submission survives SIGKILL of the real `huoshui serve` at any instant:
//! many rounds of starting the binary, streaming idempotent submissions from several clients
//! and killing it mid-stream; after each restart every acknowledged application is there, and
//! re-sending its key answers the same application.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{http_client, login, start};
use std::sync::{Arc, Mutex};

const ROUNDS: usize = 8;
const CLIENTS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_submission_is_lost_when_the_server_is_killed() {
    let tmp = tempfile::tempdir().unwrap();
    let http = http_client();
    let mut acked_all: Vec<(String, String)> = Vec::new();
    let body =
        serde_json::json!({"product_id": "psbc-jisu", "amount_fen": 1_000_000, "months": 12});
    for round in 0..=ROUNDS {
        let mut server = start(tmp.path(), "info");
        let token = login(&server, &http, "13800000001").await;
        // Everything acknowledged before every earlier kill is still there, and its key replays it.
        for (key, id) in &acked_all {
            let r = http
                .get(format!("{}/v1/applications/{id}", server.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "acknowledged application {id} lost");
            let r = http
                .post(format!("{}/v1/applications", server.base))
                .bearer_auth(&token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let replay: serde_json::Value = r.json().await.unwrap();
            assert_eq!(
                replay["id"],
                id.as_str(),
                "the key answers the same application after the crash"
            );
        }
        if round == ROUNDS {
            let _ = server.child.kill();
            let _ = server.child.wait();
            break;
        }
        let acked = Arc::new(Mutex::new(Vec::new()));
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let http = http.clone();
            let base = server.base.clone();
            let token = token.clone();
            let acked = acked.clone();
            let body = body.clone();
            clients.push(tokio::spawn(async move {
                loop {
                    let key = uuid::Uuid::new_v4().to_string();
                    let sent = http
                        .post(format!("{base}/v1/applications"))
                        .bearer_auth(&token)
                        .header("idempotency-key", &key)
                        .json(&body)
                        .send()
                        .await;
                    let Ok(resp) = sent else { break };
                    if resp.status() != 201 {
                        break;
                    }
                    let Ok(v) = resp.json::<serde_json::Value>().await else {
                        break;
                    };
                    acked
                        .lock()
                        .unwrap()
                        .push((key, v["id"].as_str().unwrap().to_owned()));
                }
            }));
        }
        // Kill after a different number of acknowledgements each round, while clients keep sending.
        let target = 10 + round * 9;
        loop {
            if acked.lock().unwrap().len() >= target {
                break;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        for c in clients {
            c.await.unwrap();
        }
        let got = acked.lock().unwrap().clone();
        assert!(got.len() >= target);
        acked_all.extend(got);
    }
    assert!(acked_all.len() >= ROUNDS * 10);
}
