//! The whole journey over real HTTP against the real server and its SQLite: login, catalog,
//! submission routed to a manager, live messages, contact, review, documents requested and
//! uploaded (chunked, resumable, checked, encrypted at rest), approval, acceptance,
//! disbursement, logout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_villager_goes_from_login_to_money_in_hand() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let villager = p.login("v001").await;
    let me = villager.get("/v1/me").await;
    assert_eq!(me.body["role"], "villager");
    assert_eq!(
        me.body["phone"], "138****0001",
        "only the masked phone is shown"
    );

    let product = p.product_of_bank("runchang").await;
    let m1 = p.login("m-runchang-1").await;
    let mut m1_stream = m1.stream().await;
    let mut v_stream = villager.stream().await;

    let id = villager.apply(&product).await;
    let detail = villager.get(&format!("/v1/applications/{id}")).await;
    assert_eq!(detail.body["state"], "assigned");
    assert_eq!(detail.body["bank_id"], "runchang");
    let manager = detail.body["manager_id"].as_str().unwrap().to_owned();
    assert_eq!(
        manager, "m-runchang-1",
        "the first manager serving the town, both idle, ties by id"
    );
    m1_stream.wait_for("assigned", &id).await;
    v_stream.wait_for("assigned", &id).await;

    let inbox = m1.get("/v1/manager/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert_eq!(inbox.body["tasks"][0]["kind"], "call");

    p.clock.advance(minutes(3));
    let a = m1
        .post(
            &format!("/v1/applications/{id}/contact"),
            json!({"note": "已电话联系，约好明天看果园"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["sla"]["status"], "met");
    v_stream.wait_for("contacted", &id).await;
    let seen = villager.get(&format!("/v1/applications/{id}")).await;
    assert!(
        !seen.text.contains("约好明天"),
        "the bank's contact note is not shown to the villager"
    );

    assert_eq!(
        m1.post(&format!("/v1/applications/{id}/start-review"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let a = m1
        .post(
            &format!("/v1/applications/{id}/request-documents"),
            json!({"kinds": ["land_contract"], "note": "请上传土地承包合同"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["state"], "documents_requested");

    // A 600 KB document in three chunks, the last one sent first and one sent twice.
    let doc: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let sha = sha256_hex(&doc);
    let up = villager
        .post(
            &format!("/v1/applications/{id}/documents"),
            json!({"kind": "land_contract", "size": doc.len(), "sha256": sha}),
        )
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    let upload = up.body["upload_id"].as_str().unwrap().to_owned();
    let chunk = up.body["chunk_size"].as_u64().unwrap() as usize;
    assert_eq!(up.body["chunk_count"], 3);
    for idx in [2usize, 0, 0] {
        let part = doc[idx * chunk..((idx + 1) * chunk).min(doc.len())].to_vec();
        let r = villager
            .http
            .put(format!(
                "{}/v1/uploads/{upload}/chunks/{idx}",
                villager.base
            ))
            .bearer_auth(&villager.token)
            .body(part)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let st = villager.get(&format!("/v1/uploads/{upload}")).await;
    assert_eq!(
        st.body["missing_chunks"],
        json!([1]),
        "resuming: the server says what is missing"
    );
    let early = villager
        .post(&format!("/v1/uploads/{upload}/complete"), json!({}))
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    let part = doc[chunk..2 * chunk].to_vec();
    let r = villager
        .http
        .put(format!("{}/v1/uploads/{upload}/chunks/1", villager.base))
        .bearer_auth(&villager.token)
        .body(part)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let done = villager
        .post(&format!("/v1/uploads/{upload}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["complete"], true);

    // At rest the document is not readable: no plaintext run of it in any file of the data folder.
    let needle = &doc[1000..1064];
    for bytes in read_data_folder(tmp.path()) {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "document plaintext found on disk"
        );
    }
    // The assigned manager reads it back whole.
    let got = m1
        .http
        .get(format!("{}/v1/documents/{upload}/content", m1.base))
        .bearer_auth(&m1.token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().as_ref(), doc.as_slice());

    assert_eq!(
        villager
            .post(
                &format!("/v1/applications/{id}/provide-documents"),
                json!({})
            )
            .await
            .status,
        StatusCode::OK
    );
    let amount = product.1;
    let a = m1
        .post(
            &format!("/v1/applications/{id}/approve"),
            json!({"amount_fen": amount, "months": product.2, "annual_rate_ppm": 43_500}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    v_stream.wait_for("approved", &id).await;
    assert_eq!(
        villager
            .post(&format!("/v1/applications/{id}/accept"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    m1_stream.wait_for("offer_accepted", &id).await;
    let a = m1
        .post(
            &format!("/v1/applications/{id}/disburse"),
            json!({"amount_fen": amount}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["state"], "disbursed");
    v_stream.wait_for("disbursed", &id).await;

    let detail = villager.get(&format!("/v1/applications/{id}")).await;
    let titles: Vec<&str> = detail.body["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title_zh"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles.len(),
        10,
        "the villager's timeline tells every step in words"
    );
    assert!(
        detail.body["timeline"]["entries"][0]["when_zh"]
            .as_str()
            .unwrap()
            .contains("11月28日"),
        "times in Chinese, China time"
    );
    let kinds: Vec<&str> = detail.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "submitted",
            "assigned",
            "contacted",
            "review_started",
            "documents_requested",
            "documents_provided",
            "approved",
            "offer_accepted",
            "disbursed"
        ]
    );

    let figures = p.login("admin").await.get("/v1/admin/figures").await;
    assert_eq!(figures.status, StatusCode::OK);
    let bank = figures.body["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bank_id"] == "runchang")
        .unwrap()
        .clone();
    assert_eq!(bank["contacted_in_time"], 1);
    assert_eq!(bank["sla_compliance_permille"], 1000);
    assert_eq!(bank["average_contact_seconds"], 180.0);

    assert_eq!(
        villager
            .call(Method::POST, "/v1/auth/logout", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        villager.get("/v1/me").await.status,
        StatusCode::UNAUTHORIZED,
        "a logged-out token is dead"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_picks_the_least_loaded_manager_serving_the_town() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    // v001 lives in the first town, served by both runchang managers.
    let villager = p.login("v001").await;
    let product = p.product_of_bank("runchang").await;
    let mut managers = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = villager.apply(&product).await;
        let d = villager.get(&format!("/v1/applications/{id}")).await;
        managers.push(d.body["manager_id"].as_str().unwrap().to_owned());
        ids.push(id);
    }
    assert_eq!(
        managers,
        [
            "m-runchang-1",
            "m-runchang-2",
            "m-runchang-1",
            "m-runchang-2"
        ]
    );
    // Two of m-runchang-2's files end: it is now the less loaded one, twice over.
    for id in [&ids[1], &ids[3]] {
        assert_eq!(
            villager
                .post(&format!("/v1/applications/{id}/withdraw"), json!({}))
                .await
                .status,
            StatusCode::OK
        );
    }
    let mut next = Vec::new();
    for _ in 0..3 {
        let id = villager.apply(&product).await;
        next.push(
            villager.get(&format!("/v1/applications/{id}")).await.body["manager_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(next, ["m-runchang-2", "m-runchang-2", "m-runchang-1"]);
    // A villager in a town only the first manager serves always goes to the first.
    let far = p.login("v010").await;
    let id = far.apply(&product).await;
    let d = far.get(&format!("/v1/applications/{id}")).await;
    assert_eq!(d.body["manager_id"], "m-runchang-1");
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_catalog_answers_304_and_travels_gzipped() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let r = p
        .http
        .get(format!("{}/v1/catalog", p.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let gz = r.bytes().await.unwrap();
    assert!(
        gz.len() > 10 && gz[0] == 0x1f && gz[1] == 0x8b,
        "gzip magic"
    );
    let again = p
        .http
        .get(format!("{}/v1/catalog", p.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = p
        .http
        .get(format!("{}/v1/catalog", p.base))
        .header("if-none-match", "\"old\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_checksum_is_refused_and_the_upload_starts_over() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let villager = p.login("v001").await;
    let id = villager.apply(&p.product_of_bank("runchang").await).await;
    let doc = b"not the bytes the phone hashed".to_vec();
    let up = villager
        .post(
            &format!("/v1/applications/{id}/documents"),
            json!({"kind": "id_card_front", "size": doc.len(), "sha256": "00".repeat(32)}),
        )
        .await;
    let upload = up.body["upload_id"].as_str().unwrap().to_owned();
    let r = villager
        .http
        .put(format!("{}/v1/uploads/{upload}/chunks/0", villager.base))
        .bearer_auth(&villager.token)
        .body(doc)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let done = villager
        .post(&format!("/v1/uploads/{upload}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(done.body["error"]["code"], "checksum_mismatch");
    let st = villager.get(&format!("/v1/uploads/{upload}")).await;
    assert_eq!(st.body["missing_chunks"], json!([0]));
    assert_eq!(st.body["complete"], false);
    p.stop().await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    huoshui_server::keys::sha256_hex(bytes)
}
