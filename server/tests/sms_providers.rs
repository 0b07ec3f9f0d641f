//! The SMS providers against fake vendor servers on 127.0.0.1 (the `endpoint` override): each
//! fake recomputes the signature from what it received, following the vendor's documentation
//! with its own code (not the sender's), and checks the headers and the body's shape; then
//! retries with backoff on 5xx and 429, and giving up at once on a code that cannot pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use huoshui_server::settings::secret::Secret;
use huoshui_server::sms::aliyun::{AliyunSettings, AliyunSms};
use huoshui_server::sms::retry::RetryPolicy;
use huoshui_server::sms::tencent::{TencentSettings, TencentSms};
use huoshui_server::sms::{SmsError, SmsMessage, SmsSender, Templates};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

struct Recorded {
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// A fake vendor: answers the scripted (status, body) in order (the last one again when the
/// script runs out) and records every request.
#[derive(Clone)]
struct Fake {
    seen: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
    url: String,
}

impl Fake {
    async fn start(script: Vec<(u16, Value)>) -> Fake {
        let fake = Fake {
            seen: Arc::default(),
            script: Arc::new(Mutex::new(
                script
                    .into_iter()
                    .map(|(s, b)| (s, b.to_string()))
                    .collect(),
            )),
            url: String::new(),
        };
        let f = fake.clone();
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let f = f.clone();
                async move {
                    f.seen.lock().unwrap().push(Recorded {
                        headers,
                        body,
                        at: Instant::now(),
                    });
                    let mut script = f.script.lock().unwrap();
                    let (status, body) = if script.len() > 1 {
                        script.pop_front().unwrap()
                    } else {
                        script.front().cloned().unwrap()
                    };
                    (
                        StatusCode::from_u16(status).unwrap(),
                        [("content-type", "application/json")],
                        body,
                    )
                        .into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fake {
            url: format!("http://{addr}/"),
            ..fake
        }
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn templates() -> Templates {
    Templates {
        login_code: "SMS_LOGIN".into(),
        task_waiting: "SMS_WAITING".into(),
        escalation: "SMS_ESCALATION".into(),
        repayment_due: String::new(),
    }
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_ms: 40,
        max_ms: 200,
    }
}

const PHONE: &str = "13800000001";

// ---------- Aliyun: RPC signature v1, HMAC-SHA1 -------------------------------------------

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// RFC 3986 as Aliyun's documentation states it, written here byte by byte.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn aliyun_params(body: &[u8]) -> BTreeMap<String, String> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(!text.contains('+'), "spaces are %20, never +: {text}");
    text.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect()
}

/// Checks one Aliyun request exactly as documented; answers its parameters.
fn check_aliyun(r: &Recorded, secret: &str) -> BTreeMap<String, String> {
    assert_eq!(
        r.headers["content-type"], "application/x-www-form-urlencoded",
        "a form body"
    );
    let mut p = aliyun_params(&r.body);
    let given = p.remove("Signature").expect("a Signature parameter");
    let query: Vec<String> = p
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let to_sign = format!("POST&{}&{}", encode("/"), encode(&query.join("&")));
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        format!("{secret}&").as_bytes(),
    );
    let expected = base64::engine::general_purpose::STANDARD
        .encode(ring::hmac::sign(&key, to_sign.as_bytes()));
    assert_eq!(given, expected, "the signature recomputed from the request");
    for (k, v) in [
        ("Action", "SendSms"),
        ("Version", "2017-05-25"),
        ("Format", "JSON"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("RegionId", "cn-hangzhou"),
        ("AccessKeyId", "LTAI-test-id"),
        ("SignName", "冠县金融服务中心"),
        ("PhoneNumbers", PHONE),
    ] {
        assert_eq!(p.get(k).map(String::as_str), Some(v), "{k}");
    }
    let ts = &p["Timestamp"];
    assert!(
        ts.len() == 20 && ts.ends_with('Z') && ts.parse::<jiff::Timestamp>().is_ok(),
        "ISO 8601 UTC: {ts}"
    );
    assert!(uuid::Uuid::parse_str(&p["SignatureNonce"]).is_ok());
    p
}

fn aliyun(fake: &Fake) -> AliyunSms {
    let settings = AliyunSettings {
        endpoint: fake.url.clone(),
        region: "cn-hangzhou".into(),
        access_key_id_file: "unused".into(),
        access_key_secret_file: "unused".into(),
        sign_name: "冠县金融服务中心".into(),
        templates: templates(),
    };
    AliyunSms::new(
        &settings,
        Secret::new("LTAI-test-id"),
        Secret::new("aliyun secret/+="),
        quick_retries(),
    )
    .unwrap()
}

#[tokio::test]
async fn aliyun_login_code_is_signed_as_documented_with_its_template() {
    let fake = Fake::start(vec![(
        200,
        json!({"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"}),
    )])
    .await;
    let sms = aliyun(&fake);
    sms.send(
        PHONE,
        &SmsMessage::LoginCode {
            code: "042517".into(),
        },
    )
    .await
    .unwrap();
    sms.send(
        PHONE,
        &SmsMessage::Escalation {
            task_ref: "0e6c1a55".into(),
        },
    )
    .await
    .unwrap();
    let seen = fake.seen.lock().unwrap();
    let first = check_aliyun(&seen[0], "aliyun secret/+=");
    assert_eq!(first["TemplateCode"], "SMS_LOGIN");
    assert_eq!(
        serde_json::from_str::<Value>(&first["TemplateParam"]).unwrap(),
        json!({"code": "042517"})
    );
    let second = check_aliyun(&seen[1], "aliyun secret/+=");
    assert_eq!(second["TemplateCode"], "SMS_ESCALATION");
    assert_eq!(
        serde_json::from_str::<Value>(&second["TemplateParam"]).unwrap(),
        json!({"task": "0e6c1a55"})
    );
    assert_ne!(
        first["SignatureNonce"], second["SignatureNonce"],
        "a fresh nonce each time"
    );
}

#[tokio::test]
async fn aliyun_retries_5xx_and_429_with_growing_waits_then_sends() {
    let fake = Fake::start(vec![
        (503, json!({"Code": "ServiceUnavailable"})),
        (429, json!({"Code": "Throttling.User"})),
        (200, json!({"Code": "OK"})),
    ])
    .await;
    aliyun(&fake)
        .send(
            PHONE,
            &SmsMessage::TaskWaiting {
                task_ref: "abcd1234".into(),
            },
        )
        .await
        .unwrap();
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    let nonces: std::collections::HashSet<String> = seen
        .iter()
        .map(|r| check_aliyun(r, "aliyun secret/+=")["SignatureNonce"].clone())
        .collect();
    assert_eq!(nonces.len(), 3, "each try is signed afresh");
    assert!(seen[1].at - seen[0].at >= std::time::Duration::from_millis(40));
    assert!(
        seen[2].at - seen[1].at >= std::time::Duration::from_millis(80),
        "the wait doubles"
    );
}

#[tokio::test]
async fn aliyun_gives_up_at_once_on_a_bad_number_and_after_three_tries_on_faults() {
    let fake = Fake::start(vec![(200, json!({"Code": "isv.MOBILE_NUMBER_ILLEGAL"}))]).await;
    let err = aliyun(&fake)
        .send(PHONE, &SmsMessage::LoginCode { code: "1".into() })
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::Refused(_)), "{err:?}");
    assert!(
        !err.to_string().contains(PHONE),
        "no phone number in the error"
    );
    assert_eq!(fake.requests(), 1);

    let fake = Fake::start(vec![(200, json!({"Code": "isp.SYSTEM_ERROR"}))]).await;
    let err = aliyun(&fake)
        .send(PHONE, &SmsMessage::LoginCode { code: "1".into() })
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::Retry(_)), "{err:?}");
    assert_eq!(fake.requests(), 3);
}

// ---------- Tencent Cloud: TC3-HMAC-SHA256 ------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac256(key: &[u8], msg: &str) -> Vec<u8> {
    ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key),
        msg.as_bytes(),
    )
    .as_ref()
    .to_vec()
}

/// Checks one Tencent request exactly as documented; answers its JSON body.
fn check_tencent(r: &Recorded, host: &str, id: &str, secret: &str) -> Value {
    let h = |name: &str| r.headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(h("content-type"), "application/json; charset=utf-8");
    assert_eq!(h("host"), host);
    assert_eq!(h("x-tc-action"), "SendSms");
    assert_eq!(h("x-tc-version"), "2021-01-11");
    assert_eq!(h("x-tc-region"), "ap-guangzhou");
    let ts: i64 = h("x-tc-timestamp").parse().unwrap();
    let date = jiff::Timestamp::from_second(ts)
        .unwrap()
        .strftime("%Y-%m-%d")
        .to_string();
    let payload = hex(ring::digest::digest(&ring::digest::SHA256, &r.body).as_ref());
    let canonical = format!(
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\nx-tc-action:sendsms\n\ncontent-type;host;x-tc-action\n{payload}"
    );
    let scope = format!("{date}/sms/tc3_request");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{ts}\n{scope}\n{}",
        hex(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let k = hmac256(
        &hmac256(&hmac256(format!("TC3{secret}").as_bytes(), &date), "sms"),
        "tc3_request",
    );
    let expected = format!(
        "TC3-HMAC-SHA256 Credential={id}/{scope}, SignedHeaders=content-type;host;x-tc-action, Signature={}",
        hex(&hmac256(&k, &to_sign))
    );
    assert_eq!(
        h("authorization"),
        expected,
        "the signature recomputed from the request"
    );
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["PhoneNumberSet"], json!([format!("+86{PHONE}")]));
    assert_eq!(body["SmsSdkAppId"], "1400006666");
    assert_eq!(body["SignName"], "冠县金融服务中心");
    body
}

fn tencent(fake: &Fake) -> TencentSms {
    let settings = TencentSettings {
        endpoint: fake.url.clone(),
        region: "ap-guangzhou".into(),
        secret_id_file: "unused".into(),
        secret_key_file: "unused".into(),
        sdk_app_id: "1400006666".into(),
        sign_name: "冠县金融服务中心".into(),
        templates: templates(),
    };
    TencentSms::new(
        &settings,
        Secret::new("AKID-test"),
        Secret::new("tencent-key"),
        quick_retries(),
    )
    .unwrap()
}

fn tencent_ok() -> Value {
    json!({"Response": {"SendStatusSet": [{"SerialNo": "1", "PhoneNumber": "+8613800000001", "Fee": 1, "Code": "Ok", "Message": "send success"}], "RequestId": "r"}})
}

#[tokio::test]
async fn tencent_task_waiting_is_signed_as_documented_with_its_template() {
    let fake = Fake::start(vec![(200, tencent_ok())]).await;
    tencent(&fake)
        .send(
            PHONE,
            &SmsMessage::TaskWaiting {
                task_ref: "0e6c1a55".into(),
            },
        )
        .await
        .unwrap();
    let seen = fake.seen.lock().unwrap();
    let host = fake.url.trim_start_matches("http://").trim_end_matches('/');
    let body = check_tencent(&seen[0], host, "AKID-test", "tencent-key");
    assert_eq!(body["TemplateId"], "SMS_WAITING");
    assert_eq!(body["TemplateParamSet"], json!(["0e6c1a55"]));
}

#[tokio::test]
async fn tencent_retries_internal_errors_and_429_and_gives_up_on_a_signature_failure() {
    let fake = Fake::start(vec![
        (200, json!({"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "x"}, "RequestId": "r"}})),
        (429, json!({})),
        (200, tencent_ok()),
    ])
    .await;
    tencent(&fake)
        .send(
            PHONE,
            &SmsMessage::LoginCode {
                code: "042517".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(fake.requests(), 3);
    let host = fake
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    for r in fake.seen.lock().unwrap().iter() {
        assert_eq!(
            check_tencent(r, &host, "AKID-test", "tencent-key")["TemplateParamSet"],
            json!(["042517"])
        );
    }

    let fake = Fake::start(vec![(
        200,
        json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"}, "RequestId": "r"}}),
    )])
    .await;
    let err = tencent(&fake)
        .send(PHONE, &SmsMessage::LoginCode { code: "1".into() })
        .await
        .unwrap_err();
    assert!(matches!(err, SmsError::Refused(_)), "{err:?}");
    assert_eq!(fake.requests(), 1);
}
