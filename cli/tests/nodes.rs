//! Two stateless nodes on one PostgreSQL (issue 13): two real `huoshui serve` processes share
//! a fresh schema (and the data folder's server key); a villager signed in on node A submits
//! there, and node B answers the same application to the same session, and the same id to a
//! replay of the submission's idempotency key. Needs `scripts/pg.sh` (skipped without
//! `HUOSHUI_TEST_PG_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{http_client, login, start_with};
use huoshui_server::sql::pg;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_to_node_a_is_served_by_node_b() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let schema = pg::testing::fresh_schema(&url).unwrap();
    let database = format!("{url}?options=-c%20search_path%3D{schema}");
    let tmp = tempfile::tempdir().unwrap();
    let flags = ["--database-url", database.as_str()];
    // A first (it makes the server key), then B on the same folder.
    let mut a = start_with(tmp.path(), "info", &flags);
    let mut b = start_with(tmp.path(), "info", &flags);
    let http = http_client();
    let token = login(&a, &http, "13800000001").await;
    let body =
        serde_json::json!({"product_id": "psbc-jisu", "amount_fen": 1_000_000, "months": 12});
    let submitted = http
        .post(format!("{}/v1/applications", a.base))
        .bearer_auth(&token)
        .header("idempotency-key", "two-nodes-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        submitted.status(),
        201,
        "node A's log: {:?}",
        a.all_log.lock().unwrap()
    );
    let on_a: serde_json::Value = submitted.json().await.unwrap();
    let id = on_a["id"].as_str().unwrap();

    let seen = http
        .get(format!("{}/v1/applications/{id}", b.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.status(),
        200,
        "node B knows the session and the application"
    );
    let on_b: serde_json::Value = seen.json().await.unwrap();
    assert_eq!(on_b["id"], id);
    assert_eq!(on_b["state"], on_a["state"]);
    assert_eq!(on_b["manager_id"], on_a["manager_id"]);

    let replay = http
        .post(format!("{}/v1/applications", b.base))
        .bearer_auth(&token)
        .header("idempotency-key", "two-nodes-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(replayed["id"], id, "the key answers on every node");

    for node in [&mut a, &mut b] {
        let _ = node.child.kill();
        let _ = node.child.wait();
    }
    pg::testing::drop_schema(&url, &schema).unwrap();
}
