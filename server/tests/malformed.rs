//! A battery of malformed, oversized and hostile requests: every one gets a 4xx with a clear
//! JSON error (or, for what never reaches the router, hyper's own 4xx), never a 5xx, and
//! nothing changes.
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
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Probe {
    method: Method,
    path: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Option<Vec<u8>>,
    token: Option<String>,
    /// Our router answers it, so the body must be our JSON error.
    json_error: bool,
}

fn probe(method: Method, path: &str, body: &[u8], token: &str) -> Probe {
    Probe {
        method,
        path: path.to_owned(),
        headers: vec![("content-type", b"application/json".to_vec())],
        body: Some(body.to_vec()),
        token: Some(token.to_owned()),
        json_error: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_a_clear_4xx_and_changes_nothing() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let m = p.login("m-runchang-1").await;
    let product = p.product_of_bank("runchang").await;
    let x = v.apply(&product).await;
    let up = v
        .post(
            &format!("/v1/applications/{x}/documents"),
            json!({"kind": "lease", "size": 10, "sha256": "ab".repeat(32)}),
        )
        .await;
    let u = up.body["upload_id"].as_str().unwrap().to_owned();
    let before = v.get(&format!("/v1/applications/{x}")).await.body;

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let big_string = format!("{{\"reason\":\"{}\"}}", "长".repeat(30_000));
    let long_text = format!("{{\"reason\":\"{}\"}}", "x".repeat(2_500));
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{".to_vec(),
        b"{}".to_vec(),
        b"{\"unexpected\":1}".to_vec(),
        b"\"just a string\"".to_vec(),
        b"{\"product_id\":1,\"amount_fen\":\"lots\",\"months\":-1}".to_vec(),
        b"{\"product_id\":\"x\",\"amount_fen\":1e30,\"months\":4294967296}".to_vec(),
        b"{\"product_id\":\"x\",\"amount_fen\":-5,\"months\":0}".to_vec(),
        b"{\"product_id\":\"\\u0000\",\"amount_fen\":9223372036854775807,\"months\":601}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        deep.into_bytes(),
        big_string.into_bytes(),
        vec![b' '; 70_000],
    ];
    let mut probes = Vec::new();
    for body in &bodies {
        for (i, key) in ["bad-1", "bad-2"].iter().enumerate() {
            let mut pr = probe(Method::POST, "/v1/applications", body, &v.token);
            pr.headers.push((
                "idempotency-key",
                format!("{key}-{}", body.len() + i).into_bytes(),
            ));
            probes.push(pr);
        }
        probes.push(probe(Method::POST, "/v1/auth/code", body, &v.token));
        probes.push(probe(Method::POST, "/v1/auth/login", body, &v.token));
        probes.push(probe(
            Method::POST,
            &format!("/v1/applications/{x}/approve"),
            body,
            &m.token,
        ));
        probes.push(probe(
            Method::POST,
            &format!("/v1/applications/{x}/reject"),
            body,
            &m.token,
        ));
        probes.push(probe(
            Method::POST,
            &format!("/v1/applications/{x}/disburse"),
            body,
            &m.token,
        ));
        probes.push(probe(
            Method::POST,
            &format!("/v1/applications/{x}/request-documents"),
            body,
            &m.token,
        ));
        probes.push(probe(
            Method::POST,
            &format!("/v1/applications/{x}/documents"),
            body,
            &v.token,
        ));
        probes.push(probe(
            Method::POST,
            &format!("/v1/applications/{x}/withdraw"),
            body,
            &m.token,
        ));
    }
    // Valid JSON with values the domain refuses.
    for body in [
        json!({"product_id": product.0, "amount_fen": 0, "months": product.2}),
        json!({"product_id": product.0, "amount_fen": product.1, "months": 0}),
        json!({"product_id": "no-such-product", "amount_fen": product.1, "months": product.2}),
        json!({"product_id": "长".repeat(500), "amount_fen": product.1, "months": product.2}),
    ] {
        let mut pr = probe(
            Method::POST,
            "/v1/applications",
            body.to_string().as_bytes(),
            &v.token,
        );
        pr.headers.push((
            "idempotency-key",
            uuid::Uuid::new_v4().to_string().into_bytes(),
        ));
        probes.push(pr);
    }
    probes.push(probe(
        Method::POST,
        &format!("/v1/applications/{x}/withdraw"),
        long_text.as_bytes(),
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        &format!("/v1/applications/{x}/approve"),
        br#"{"amount_fen":1,"months":12,"annual_rate_ppm":2000000}"#,
        &m.token,
    ));
    probes.push(probe(
        Method::POST,
        "/v1/auth/code",
        br#"{"phone":"12345"}"#,
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        "/v1/auth/code",
        r#"{"phone":"1380000000１"}"#.as_bytes(),
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        "/v1/auth/login",
        br#"{"phone":"13800000001","code":"000000"}"#,
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        "/v1/auth/login",
        br#"{"phone":"13800000001","code":"../../"}"#,
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        &format!("/v1/applications/{x}/documents"),
        br#"{"kind":"passport","size":10,"sha256":"00"}"#,
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        &format!("/v1/applications/{x}/documents"),
        format!(
            r#"{{"kind":"lease","size":99999999999,"sha256":"{}"}}"#,
            "ab".repeat(32)
        )
        .as_bytes(),
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        &format!("/v1/applications/{x}/documents"),
        br#"{"kind":"lease","size":184467440737095516150,"sha256":"x"}"#,
        &v.token,
    ));
    // Wrong content types.
    let mut pr = probe(
        Method::POST,
        "/v1/auth/code",
        br#"{"phone":"13800000001"}"#,
        &v.token,
    );
    pr.headers = vec![("content-type", b"text/plain".to_vec())];
    probes.push(pr);
    let mut pr = probe(
        Method::POST,
        "/v1/auth/code",
        br#"{"phone":"13800000001"}"#,
        &v.token,
    );
    pr.headers.clear();
    probes.push(pr);
    // Hostile headers.
    for auth in [
        &b"Bearer"[..],
        b"Bearer ",
        b"Basic dXNlcjpwYXNz",
        &[b'B', b'e', b'a', b'r', b'e', b'r', b' ', 0xff, 0xfe][..],
    ] {
        let mut pr = probe(Method::GET, "/v1/me", b"", "");
        pr.token = None;
        pr.headers.push(("authorization", auth.to_vec()));
        probes.push(pr);
    }
    let mut pr = probe(Method::GET, "/v1/me", b"", &"g".repeat(64));
    pr.body = None;
    probes.push(pr);
    let mut pr = probe(Method::GET, "/v1/me", b"", &"a".repeat(5000));
    pr.body = None;
    probes.push(pr);
    for key in [vec![0xe9u8, 0x95, 0xbf], vec![b'k'; 200], b"a b".to_vec()] {
        let mut pr = probe(
            Method::POST,
            "/v1/applications",
            json!({"product_id": product.0, "amount_fen": product.1, "months": product.2})
                .to_string()
                .as_bytes(),
            &v.token,
        );
        pr.headers.push(("idempotency-key", key));
        probes.push(pr);
    }
    let mut pr = probe(Method::GET, "/v1/catalog", b"", &v.token);
    pr.headers.push(("x-padding", vec![b'p'; 1_000_000]));
    pr.json_error = false;
    probes.push(pr);
    // Paths and queries.
    for path in [
        "/v1/applications/not-a-uuid".to_owned(),
        "/v1/applications/%FF%FE".to_owned(),
        "/v1/applications/00000000-0000-0000-0000-000000000000".to_owned(),
        format!("/v1/applications/{x}/fly"),
        "/v1/applications?limit=abc".to_owned(),
        "/v1/applications?limit=-1".to_owned(),
        format!("/v1/uploads/{u}/chunks/-1"),
        format!("/v1/uploads/{u}/chunks/99999999999999999999"),
        format!("/v1/uploads/{u}/chunks/7"),
        "/v1/uploads/..%2F..%2Fetc%2Fpasswd".to_owned(),
        "/v2/anything".to_owned(),
        "/".to_owned(),
    ] {
        let method = if path.contains("/chunks/") {
            Method::PUT
        } else {
            Method::GET
        };
        let mut pr = probe(method, &path, b"0123456789", &v.token);
        if !path.contains("/chunks/") {
            pr.body = None;
        }
        probes.push(pr);
    }
    probes.push(probe(Method::DELETE, "/v1/applications", b"", &v.token));
    probes.push(probe(
        Method::PATCH,
        &format!("/v1/applications/{x}"),
        b"{}",
        &v.token,
    ));
    // Chunks of the wrong size and too large for any chunk.
    probes.push(probe(
        Method::PUT,
        &format!("/v1/uploads/{u}/chunks/0"),
        b"short",
        &v.token,
    ));
    probes.push(probe(
        Method::PUT,
        &format!("/v1/uploads/{u}/chunks/0"),
        &vec![0u8; 300 * 1024],
        &v.token,
    ));
    probes.push(probe(
        Method::POST,
        &format!("/v1/uploads/{u}/complete"),
        b"",
        &v.token,
    ));

    let count = probes.len();
    for pr in probes {
        let mut req = p
            .http
            .request(pr.method.clone(), format!("{}{}", p.base, pr.path));
        if let Some(t) = &pr.token {
            req = req.bearer_auth(t);
        }
        for (name, value) in &pr.headers {
            req = req.header(
                *name,
                reqwest::header::HeaderValue::from_bytes(value).unwrap(),
            );
        }
        if let Some(b) = &pr.body {
            req = req.body(b.clone());
        }
        let r = match req.send().await {
            Ok(r) => r,
            // An oversized body may be refused before the client has finished writing it: the
            // server answers 413 and closes, and the client sees a broken pipe instead of the
            // answer. That is a refusal too; the server must still be healthy afterwards.
            Err(e) if pr.body.as_ref().is_some_and(|b| b.len() > 64 * 1024) && e.is_request() => {
                let health = p
                    .http
                    .get(format!("{}/v1/health", p.base))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    health.status(),
                    StatusCode::OK,
                    "the server is healthy after refusing {} {}",
                    pr.method,
                    pr.path
                );
                continue;
            }
            Err(e) => panic!("{} {}: {e}", pr.method, pr.path),
        };
        let status = r.status();
        let text = r.text().await.unwrap();
        let short: String = text.chars().take(300).collect();
        assert!(
            status.is_client_error(),
            "{} {} answered {status}: {short}",
            pr.method,
            pr.path
        );
        if pr.json_error {
            let body: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{} {}: not JSON: {text}", pr.method, pr.path));
            let e = &body["error"];
            assert!(
                e["code"].is_string() && e["message_zh"].is_string() && e["message_en"].is_string(),
                "{text}"
            );
        }
    }
    assert!(count > 150, "the battery is broad ({count} probes)");

    // Raw garbage over TCP.
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ] {
        let mut s = tokio::net::TcpStream::connect(p.running.addr)
            .await
            .unwrap();
        s.write_all(garbage).await.unwrap();
        let mut out = Vec::new();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut out)).await;
        let head = String::from_utf8_lossy(&out);
        assert!(!head.contains(" 50"), "raw garbage answered {head}");
    }

    // Nothing changed, and the server still serves.
    assert_eq!(
        p.http
            .get(format!("{}/v1/health", p.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let after = v.get(&format!("/v1/applications/{x}")).await.body;
    assert_eq!(after["last_seq"], before["last_seq"]);
    assert_eq!(after["state"], before["state"]);
    let list = v.get("/v1/applications").await;
    assert_eq!(
        list.body["applications"].as_array().unwrap().len(),
        1,
        "no stray application was created"
    );
    let st = v.get(&format!("/v1/uploads/{u}")).await;
    assert_eq!(st.body["missing_chunks"], json!([0]));
    p.stop().await;
}
