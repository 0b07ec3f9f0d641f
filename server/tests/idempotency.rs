//! Submissions are idempotent by `Idempotency-Key`: the same key and body answer the first
//! answer again (one application, however many retries, also concurrent ones); the same key
//! with another body is refused with 422; no key is refused with 400.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_submission_answers_the_first_answer_and_creates_nothing_new() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let body = json!({"product_id": product.0, "amount_fen": product.1, "months": product.2});
    let first = v.submit("retry-key-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    p.clock.advance(minutes(1));
    let again = v.submit("retry-key-1", body.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        again.body, first.body,
        "byte-for-byte the first answer, even a minute later"
    );
    let list = v.get("/v1/applications").await;
    assert_eq!(list.body["applications"].as_array().unwrap().len(), 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_another_body_is_refused() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let first = v
        .submit(
            "k",
            json!({"product_id": product.0, "amount_fen": product.1, "months": product.2}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other = v
        .submit(
            "k",
            json!({"product_id": product.0, "amount_fen": product.1 + 100, "months": product.2}),
        )
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");
    assert!(
        other.body["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    let list = v.get("/v1/applications").await;
    assert_eq!(list.body["applications"].as_array().unwrap().len(), 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_without_a_key_is_refused_and_creates_nothing() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let r = v
        .http
        .post(format!("{}/v1/applications", v.base))
        .bearer_auth(&v.token)
        .json(&json!({"product_id": product.0, "amount_fen": product.1, "months": product.2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "idempotency_key_missing");
    for bad_key in ["", "   ", &"x".repeat(129)] {
        let a = v
            .submit(
                bad_key,
                json!({"product_id": product.0, "amount_fen": product.1, "months": product.2}),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "key {bad_key:?}");
    }
    let list = v.get("/v1/applications").await;
    assert!(list.body["applications"].as_array().unwrap().is_empty());
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_submission_make_one_application() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v003").await;
    let product = p.product_of_bank("abc").await;
    let body = json!({"product_id": product.0, "amount_fen": product.1, "months": product.2});
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let v = v.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(
            async move { v.submit("same-for-all", body).await },
        ));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(a.status, StatusCode::CREATED);
        ids.push(a.body["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "all sixteen answers name the same application"
    );
    let list = v.get("/v1/applications").await;
    assert_eq!(list.body["applications"].as_array().unwrap().len(), 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_their_villager() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let a = p.login("v001").await;
    let b = p.login("v004").await;
    let product = p.product_of_bank("runchang").await;
    let body = json!({"product_id": product.0, "amount_fen": product.1, "months": product.2});
    let first = a.submit("shared-key", body.clone()).await;
    let second = b.submit("shared-key", body).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_ne!(
        first.body["id"], second.body["id"],
        "another villager's key never replays their answer"
    );
    assert_eq!(second.body["villager_id"], "v004");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_command_with_a_key_answers_the_first_answer_instead_of_a_conflict() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;
    let withdraw = |key: Option<&'static str>, reason: &'static str| {
        let v = v.clone();
        let id = id.clone();
        async move {
            let mut req = v
                .http
                .post(format!("{}/v1/applications/{id}/withdraw", v.base))
                .bearer_auth(&v.token)
                .json(&json!({"reason": reason}));
            if let Some(k) = key {
                req = req.header("idempotency-key", k);
            }
            let r = req.send().await.unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (s1, first) = withdraw(Some("outbox-7"), "不需要了").await;
    assert_eq!(s1, StatusCode::OK);
    let (s2, again) = withdraw(Some("outbox-7"), "不需要了").await;
    assert_eq!(
        s2,
        StatusCode::OK,
        "the outbox's retry is answered, not refused"
    );
    assert_eq!(again, first);
    let (s3, other) = withdraw(Some("outbox-7"), "别的理由").await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other["error"]["code"], "idempotency_key_reused");
    let (s4, _) = withdraw(None, "不需要了").await;
    assert_eq!(
        s4,
        StatusCode::CONFLICT,
        "without a key a second withdrawal is an illegal transition"
    );
    let events = v.get(&format!("/v1/applications/{id}")).await.body["events"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        events,
        first["events"].as_array().unwrap().len(),
        "one withdrawal recorded"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_upload_start_with_the_same_key_answers_the_same_upload() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let x = v.apply(&p.product_of_bank("runchang").await).await;
    let doc = vec![7u8; 300_000];
    let body = json!({"kind": "land_contract", "size": doc.len(), "sha256": huoshui_server::keys::sha256_hex(&doc)});
    let start = |body: serde_json::Value, key: &'static str| {
        let http = p.http.clone();
        let url = format!("{}/v1/applications/{x}/documents", p.base);
        let token = v.token.clone();
        async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (s1, first) = start(body.clone(), "upload-key-1").await;
    assert_eq!(s1, StatusCode::CREATED, "{first}");
    let u = first["upload_id"].as_str().unwrap().to_owned();
    // The first chunk arrives, then the phone retries the start (its answer was lost).
    let put = p
        .http
        .put(format!("{}/v1/uploads/{u}/chunks/0", p.base))
        .bearer_auth(&v.token)
        .body(doc[..256 * 1024].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let (s2, again) = start(body.clone(), "upload-key-1").await;
    assert_eq!(s2, StatusCode::CREATED);
    assert_eq!(again["upload_id"], u.as_str(), "the same upload");
    assert_eq!(
        again["missing_chunks"],
        json!([1]),
        "with what it already has"
    );
    let list = v.get(&format!("/v1/applications/{x}/documents")).await;
    assert_eq!(
        list.body["documents"].as_array().unwrap().len(),
        1,
        "no second upload"
    );

    // The same key for another document is refused; a new key opens a new upload.
    let other = json!({"kind": "lease", "size": 10, "sha256": "ab".repeat(32)});
    let (s3, refused) = start(other.clone(), "upload-key-1").await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    let (s4, fresh) = start(other, "upload-key-2").await;
    assert_eq!(s4, StatusCode::CREATED);
    assert_ne!(fresh["upload_id"], u.as_str());
    p.stop().await;
}
