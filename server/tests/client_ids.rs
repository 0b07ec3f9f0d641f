//! A phone may choose the id of its application (`"id"`, a UUID) so that its draft and the
//! platform's application carry the same name: a new id is used as it is, a retry with the same
//! key and body answers the first answer, an id already taken under another key is refused with
//! 409 without saying whose it is, and a malformed id is refused with 400.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn body_with_id(product: &(String, i64, u32), id: &str) -> Value {
    json!({"product_id": product.0, "amount_fen": product.1, "months": product.2, "id": id})
}

fn count_of(list: &Answer) -> usize {
    list.body["applications"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_submitted_with_the_phones_id_keeps_that_id() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let chosen = uuid::Uuid::new_v4().to_string();
    let a = v
        .submit("phone-key-1", body_with_id(&product, &chosen))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.body["id"], chosen.as_str());
    let detail = v.get(&format!("/v1/applications/{chosen}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    assert_eq!(detail.body["id"], chosen.as_str());
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upper_case_id_is_stored_in_the_usual_lower_case_form() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let chosen = uuid::Uuid::new_v4().to_string();
    let a = v
        .submit(
            "phone-key-upper",
            body_with_id(&product, &chosen.to_uppercase()),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.body["id"], chosen.as_str());
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_the_same_key_and_id_answers_the_first_answer_and_creates_one_application() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let chosen = uuid::Uuid::new_v4().to_string();
    let first = v
        .submit("phone-key-2", body_with_id(&product, &chosen))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    p.clock.advance(minutes(1));
    let again = v
        .submit("phone-key-2", body_with_id(&product, &chosen))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(count_of(&v.get("/v1/applications").await), 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_villager_reusing_an_id_under_another_key_is_refused_with_409() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let chosen = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        v.submit("key-a", body_with_id(&product, &chosen))
            .await
            .status,
        StatusCode::CREATED
    );
    let clash = v.submit("key-b", body_with_id(&product, &chosen)).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.text);
    assert_eq!(clash.body["error"]["code"], "application_id_taken");
    assert!(
        !clash.body["error"]["message_zh"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert!(
        !clash.body["error"]["message_en"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(count_of(&v.get("/v1/applications").await), 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_villagers_id_is_refused_without_saying_whose_it_is() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let owner = p.login("v001").await;
    let other = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    let chosen = uuid::Uuid::new_v4().to_string();
    let first = owner
        .submit("owner-key", body_with_id(&product, &chosen))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    // Even the very same key and body: keys belong to one villager, the id to the first one.
    let clash = other
        .submit("owner-key", body_with_id(&product, &chosen))
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.text);
    assert_eq!(clash.body["error"]["code"], "application_id_taken");
    let error = clash.body["error"].as_object().unwrap();
    assert_eq!(
        error.len(),
        3,
        "only code and the two messages: {}",
        clash.text
    );
    assert!(!clash.text.contains("v001"), "{}", clash.text);
    assert!(!clash.text.contains(&p.phone_of("v001")), "{}", clash.text);
    assert_eq!(count_of(&other.get("/v1/applications").await), 0);
    assert_eq!(count_of(&owner.get("/v1/applications").await), 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_id_is_refused_with_400_and_creates_nothing() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let product = p.product_of_bank("runchang").await;
    for bad in [
        "not-a-uuid",
        "",
        "../../etc/passwd",
        "0190a5c4-7b1e-7cc2-9d3f-2f4f0e6c1a5",
    ] {
        let a = v
            .submit(&format!("bad-{}", bad.len()), body_with_id(&product, bad))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", a.text);
        assert_eq!(a.body["error"]["code"], "application_id_invalid");
    }
    assert_eq!(count_of(&v.get("/v1/applications").await), 0);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_lists_the_optional_id() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v002").await;
    let doc = v.get("/v1/openapi.json").await;
    let submit = &doc.body["components"]["schemas"]["SubmitRequest"];
    assert_eq!(submit["properties"]["id"]["format"], "uuid", "{submit}");
    assert!(
        submit["properties"]["id"]["description"]
            .as_str()
            .unwrap()
            .contains("the phone chose for its draft")
    );
    assert!(
        !submit["required"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("id")),
        "the id is optional"
    );
    p.stop().await;
}
