//! The live stream resumes: each message's SSE `id:` is its row in the user's feed, written in
//! the change's own transaction. A client that drops and reconnects with `Last-Event-ID` gets
//! exactly the messages it missed, in order, then the live ones, without gap or duplicate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_resumes_with_exactly_the_missed_messages_then_live_ones() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let m = p.login("m-runchang-1").await;
    let mut live = v.stream().await;
    let x = v.apply(&p.product_of_bank("runchang").await).await;
    let (name, id, data) = live.next_with_id().await.unwrap();
    assert_eq!(
        (name.as_str(), data["event"].as_str()),
        ("task", Some("assigned"))
    );
    let last = id.expect("every feed message has an id");
    drop(live);

    // While the villager is away: three changes.
    for (action, body) in [
        ("contact", json!({})),
        ("start-review", json!({})),
        (
            "request-documents",
            json!({"kinds": ["lease"], "note": "请上传租赁合同"}),
        ),
    ] {
        let a = m
            .post(&format!("/v1/applications/{x}/{action}"), body)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{action}: {}", a.text);
    }

    let mut back = v.stream_after(Some(&last)).await;
    let mut ids = vec![last.parse::<i64>().unwrap()];
    let mut events = Vec::new();
    for _ in 0..3 {
        let (_, id, data) = back.next_with_id().await.unwrap();
        assert_eq!(data["application_id"], x.as_str());
        ids.push(id.unwrap().parse().unwrap());
        events.push(data["event"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        events,
        ["contacted", "review_started", "documents_requested"]
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");

    // Then live, with nothing repeated.
    let a = v
        .post(&format!("/v1/applications/{x}/withdraw"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let (_, id, data) = back.next_with_id().await.unwrap();
    assert_eq!(data["event"], "withdrawn");
    assert!(id.unwrap().parse::<i64>().unwrap() > *ids.last().unwrap());

    // A second resume from the same point sees the same history, and the live one too.
    let mut again = v.stream_after(Some(&last)).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(
            again.next_with_id().await.unwrap().2["event"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        seen,
        [
            "contacted",
            "review_started",
            "documents_requested",
            "withdrawn"
        ]
    );
    // The manager's own feed holds only what was addressed to them.
    let mut mine = m.stream_after(Some("0")).await;
    let (_, _, first) = mine.next_with_id().await.unwrap();
    assert_eq!(first["event"], "assigned");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_from_before_the_kept_week_is_told_to_resync() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let mut live = v.stream().await;
    let x = v.apply(&p.product_of_bank("runchang").await).await;
    let (_, id, _) = live.next_with_id().await.unwrap();
    let first = id.unwrap();
    drop(live);
    let a = v
        .post(&format!("/v1/applications/{x}/withdraw"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::OK);

    // Eight days on, the sweep prunes the week-old rows.
    p.clock.advance(minutes(8 * 24 * 60));
    p.running.sweep_sla().await.unwrap();
    let mut back = v.stream_after(Some(&first)).await;
    let (name, _, _) = back.next_with_id().await.unwrap();
    assert_eq!(
        name, "resync",
        "the missed messages are gone: pull everything"
    );

    // A Last-Event-ID that is not ours: resync too.
    let mut odd = v.stream_after(Some("not-a-number")).await;
    assert_eq!(odd.next_with_id().await.unwrap().0, "resync");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_page_is_the_status_cursor_only_the_users_own_messages_in_order() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let other = p.login("v002").await;
    let m = p.login("m-runchang-1").await;
    // Without `after`: where the feed stands, no messages.
    let start = v.get("/v1/feed").await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    assert_eq!(start.body["messages"], json!([]));
    let cursor = start.body["next"].as_u64().unwrap();

    let x = v.apply(&p.product_of_bank("runchang").await).await;
    other.apply(&p.product_of_bank("runchang").await).await;
    let manager = v.get(&format!("/v1/applications/{x}")).await.body["manager_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = if manager == "m-runchang-1" {
        m
    } else {
        p.login(&manager).await
    };
    assert_eq!(
        m.post(&format!("/v1/applications/{x}/contact"), json!({}))
            .await
            .status,
        StatusCode::OK
    );

    let page = v.get(&format!("/v1/feed?after={cursor}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let messages = page.body["messages"].as_array().unwrap();
    let events: Vec<&str> = messages
        .iter()
        .map(|m| m["message"]["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["assigned", "contacted"],
        "only v001's own, in order"
    );
    assert!(
        messages
            .iter()
            .all(|m| m["message"]["application_id"] == x.as_str())
    );
    let next = page.body["next"].as_u64().unwrap();
    assert!(next >= messages.last().unwrap()["id"].as_u64().unwrap());
    assert_eq!(page.body["more"], false);
    assert_eq!(page.body["reset"], false);

    // Nothing new: an empty page, the cursor stays.
    let again = v.get(&format!("/v1/feed?after={next}")).await;
    assert_eq!(again.body["messages"], json!([]));
    assert_eq!(again.body["next"].as_u64(), Some(next));

    // Out of range and malformed cursors are answered, never a fault.
    let far = v.get(&format!("/v1/feed?after={}", i64::MAX)).await;
    assert_eq!(far.status, StatusCode::OK, "{}", far.text);
    assert_eq!(far.body["messages"], json!([]));
    for bad in ["-1", "x", "1.5", "99999999999999999999"] {
        let a = v.get(&format!("/v1/feed?after={bad}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}: {}", a.text);
        assert_eq!(a.body["error"]["code"], "bad_query");
    }
    p.stop().await;
}
