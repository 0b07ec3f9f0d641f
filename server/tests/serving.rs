//! How the platform is exposed: HTTPS with a certificate (a self-signed one made here with
//! rcgen, trusted by the client), plain HTTP on a non-loopback address only when said, and a
//! production start that refuses demo accounts and the development code provider.
//! Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_server::directory::Directory;
use huoshui_server::serving::TlsFiles;
use huoshui_server::{Config, StartError};
use std::sync::Arc;

fn config(dir: &std::path::Path) -> Config {
    Config::new(dir.to_path_buf(), Directory::embedded().unwrap())
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_serves_a_client_that_trusts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = tmp.path().join("cert.pem");
    let key_path = tmp.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut c = config(&tmp.path().join("data"));
    c.tls = Some(TlsFiles {
        cert: cert_path,
        key: key_path,
    });
    c.sla_poll = None;
    let running = huoshui_server::start(c).await.unwrap();
    huoshui_core::sync::install_tls_provider();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap()])
        .resolve("localhost", running.addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/v1/health", running.addr.port());
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let plain = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{}/v1/health",
            running.addr.port()
        ))
        .send()
        .await;
    assert!(
        plain.map(|r| r.status() != 200).unwrap_or(true),
        "no plain HTTP on the TLS port"
    );
    running.stop().await;
}

#[tokio::test]
async fn plain_http_beyond_loopback_must_be_said() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = config(tmp.path());
    c.listen = "0.0.0.0:0".parse().unwrap();
    let err = huoshui_server::start(c).await.err().unwrap();
    assert!(matches!(err, StartError::Insecure { .. }), "{err}");
    assert!(err.to_string().contains("--insecure-http"));
    let mut c = config(tmp.path());
    c.listen = "0.0.0.0:0".parse().unwrap();
    c.insecure_http = true;
    c.sla_poll = None;
    huoshui_server::start(c).await.unwrap().stop().await;
}

#[tokio::test]
async fn production_refuses_demo_accounts_and_printed_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = config(tmp.path());
    c.production = true;
    c.seed_demo = false;
    let err = huoshui_server::start(c).await.err().unwrap();
    assert!(
        err.to_string().contains("development code provider"),
        "{err}"
    );

    let mut c = config(tmp.path());
    c.production = true;
    c.codes = Arc::new(huoshui_server::code_limits::SmsCodeProvider::new(Arc::new(
        huoshui_server::sms::LogSms::default(),
    )));
    let err = huoshui_server::start(c).await.err().unwrap();
    assert!(err.to_string().contains("demo accounts"), "{err}");

    let mut c = config(tmp.path());
    c.production = true;
    c.seed_demo = false;
    c.sla_poll = None;
    c.codes = Arc::new(huoshui_server::code_limits::SmsCodeProvider::new(Arc::new(
        huoshui_server::sms::LogSms::default(),
    )));
    let running = huoshui_server::start(c).await.unwrap();
    assert!(running.demo.is_empty());
    running.stop().await;
    let conn = rusqlite::Connection::open(tmp.path().join("platform.sqlite3")).unwrap();
    let users: i64 = conn
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 0, "no demo account in the production database");
}
