//! Fake push vendors on 127.0.0.1: one axum server that records every request exactly as it
//! arrived (method, path, HTTP version, headers, body) and answers from a script the test
//! gives. HTTP/1.1 and HTTP/2 with prior knowledge (h2c) both work, so the APNs sender is seen
//! speaking HTTP/2. Plus the keys and configurations the push tests share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One request as the fake vendor received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
    pub fn field(&self, name: &str) -> String {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }
}

/// The answer for a request: status, headers, body. Gets the request and how many requests to
/// the same path came before it.
pub type Script = dyn Fn(&Seen, usize) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync;

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Script>,
}

pub struct Fake {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    pub async fn start(
        script: impl Fn(&Seen, usize) -> (u16, Vec<(&'static str, String)>, String)
        + Send
        + Sync
        + 'static,
    ) -> Fake {
        let shared = Shared {
            seen: Arc::new(Mutex::new(Vec::new())),
            script: Arc::new(script),
        };
        let seen = shared.seen.clone();
        let app = axum::Router::new().fallback(answer).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Fake { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests to `path`.
    pub fn to(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// Waits (at most 10 s) until `n` requests reached `path`.
    pub async fn wait_for(&self, path: &str, n: usize) -> Vec<Seen> {
        for _ in 0..1000 {
            let got = self.to(path);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{path}: {} requests, {n} expected", self.to(path).len());
    }
}

async fn answer(State(s): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        version: parts.version,
        headers: parts.headers,
        body,
        at: std::time::Instant::now(),
    };
    let before = {
        let mut all = s.seen.lock().unwrap();
        let n = all.iter().filter(|x| x.path == seen.path).count();
        all.push(seen.clone());
        n
    };
    let (status, headers, body) = (s.script)(&seen, before);
    let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
    for (k, v) in headers {
        resp.headers_mut().insert(k, v.parse().unwrap());
    }
    resp.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    resp
}

/// A JSON answer.
pub fn ok(body: Value) -> (u16, Vec<(&'static str, String)>, String) {
    (200, Vec::new(), body.to_string())
}

/// The parts of a compact JWS: header, claims, signed input, signature.
pub fn jwt_parts(jwt: &str) -> (Value, Value, String, Vec<u8>) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let dec = |p: &str| URL_SAFE_NO_PAD.decode(p).unwrap();
    (
        serde_json::from_slice(&dec(parts[0])).unwrap(),
        serde_json::from_slice(&dec(parts[1])).unwrap(),
        format!("{}.{}", parts[0], parts[1]),
        dec(parts[2]),
    )
}

/// A PEM block around DER bytes.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Writes a secret file and answers its path.
pub fn secret_file(dir: &Path, name: &str, content: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// A fresh P-256 key as Apple's .p8 (PKCS#8 PEM), and its public key (uncompressed point).
pub fn apns_key() -> (String, Vec<u8>) {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).unwrap();
    (
        pem("PRIVATE KEY", doc.as_ref()),
        pair.public_key().as_ref().to_vec(),
    )
}

/// The test RSA key (PKCS#8 PEM) and its public key (PKCS#1 DER) for FCM.
pub fn fcm_key() -> (String, Vec<u8>) {
    use ring::signature::{KeyPair, RsaKeyPair};
    let pem_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fcm_test_key.pem"
    ))
    .unwrap();
    let der = huoshui_server::push::jwt::pem_der(&pem_text, "test").unwrap();
    let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
    (pem_text, pair.public_key().as_ref().to_vec())
}

/// The platform (real SQLite in `dir`, real HTTP on 127.0.0.1) with this push gateway and the
/// development code provider; answers it and a way to sign in.
pub async fn platform(
    dir: &Path,
    push: Arc<dyn huoshui_server::push::PushGateway>,
) -> (huoshui_server::Running, SignIn) {
    let codes = Arc::new(huoshui_server::auth::DevCodeProvider::new());
    let mut config = huoshui_server::Config::new(
        dir.to_path_buf(),
        huoshui_server::directory::Directory::embedded().unwrap(),
    );
    // A manual clock: a second sign-in of one phone is moved past any per-phone code limit.
    let clock = Arc::new(huoshui_server::clock::ManualClock::new(
        jiff::Timestamp::now(),
    ));
    config.clock = clock.clone();
    config.auth_clock = clock.clone();
    config.codes = codes.clone();
    config.sla_poll = None;
    config.push = push;
    let running = huoshui_server::start(config).await.unwrap();
    let sign_in = SignIn {
        base: format!("http://{}", running.addr),
        codes,
        clock,
        demo: running.demo.clone(),
    };
    (running, sign_in)
}

pub struct SignIn {
    pub base: String,
    codes: Arc<huoshui_server::auth::DevCodeProvider>,
    clock: Arc<huoshui_server::clock::ManualClock>,
    demo: Vec<huoshui_server::accounts::DemoAccount>,
}

/// A signed-in demo account.
pub struct Session {
    pub id: String,
    pub phone: String,
    pub token: String,
    pub base: String,
    pub http: reqwest::Client,
}

impl SignIn {
    pub async fn login(&self, id: &str) -> Session {
        self.clock.advance(jiff::SignedDuration::from_mins(2));
        huoshui_core::sync::install_tls_provider();
        let http = reqwest::Client::new();
        let phone = self.demo.iter().find(|a| a.id == id).unwrap().phone.clone();
        let url = |p: &str| format!("{}{p}", self.base);
        let r = http
            .post(url("/v1/auth/code"))
            .json(&serde_json::json!({"phone": phone}));
        assert_eq!(r.send().await.unwrap().status(), 202);
        let code = self.codes.latest(&phone).unwrap();
        let body: Value = http
            .post(url("/v1/auth/login"))
            .json(&serde_json::json!({"phone": phone, "code": code}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Session {
            id: id.to_owned(),
            phone,
            token: body["token"].as_str().unwrap().to_owned(),
            base: self.base.clone(),
            http,
        }
    }
}

impl Session {
    /// `method path` with a JSON body; answers the status and the body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn register(&self, vendor: &str, token: &str, app: &str) -> (u16, Value) {
        let body = serde_json::json!({"vendor": vendor, "token": token, "app": app});
        self.call(reqwest::Method::POST, "/v1/devices", Some(body))
            .await
    }
}

/// Every file of a folder (top level), after the platform stopped.
pub fn read_folder(dir: &Path) -> Vec<Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| std::fs::read(e.unwrap().path()).ok())
        .collect()
}
