//! How the platform is exposed: HTTPS with a certificate (a self-signed one made here with
//! rcgen, trusted by the client), plain HTTP on a non-loopback address only when said, and a
//! production start that refuses demo accounts and the development code provider.
//! Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use huoshui_server::directory::Directory;
use huoshui_server::serving::TlsFiles;
use huoshui_server::{Config, StartError};
use std::sync::Arc;

fn config(dir: &std::path::Path) -> Config {
    let mut c = Config::new(dir.to_path_buf(), Directory::embedded().unwrap());
    c.database = common::test_database_in(dir);
    c
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
    let users: i64 = running
        .state
        .db
        .read(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?))
        .await
        .unwrap();
    running.stop().await;
    assert_eq!(users, 0, "no demo account in the production database");
}

/// A platform on HTTPS (a self-signed certificate for `localhost`) with `edit`ed limits: the
/// running platform and the certificate (PEM).
async fn start_tls(
    dir: &std::path::Path,
    edit: impl FnOnce(&mut huoshui_server::limits::Limits),
) -> (huoshui_server::Running, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut c = config(&dir.join("data"));
    c.tls = Some(TlsFiles {
        cert: cert_path,
        key: key_path,
    });
    c.sla_poll = None;
    edit(&mut c.limits);
    (huoshui_server::start(c).await.unwrap(), cert.cert.pem())
}

/// Reads until the server closes the connection (or 10 s pass): how long that took.
fn closed_after(stream: &mut impl std::io::Read) -> std::time::Duration {
    let began = std::time::Instant::now();
    let mut buf = [0u8; 1024];
    while began.elapsed() < std::time::Duration::from_secs(10) {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    began.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_drops_a_silent_connection_and_a_half_sent_head_within_the_header_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let (running, pem) = start_tls(tmp.path(), |l| {
        l.header_read = std::time::Duration::from_millis(500);
    })
    .await;
    let addr = running.addr;
    let held = tokio::task::spawn_blocking(move || {
        use rustls::pki_types::pem::PemObject;
        use std::io::Write;
        let timeout = Some(std::time::Duration::from_secs(10));
        // Connected, but no handshake ever starts.
        let mut silent = std::net::TcpStream::connect(addr).unwrap();
        silent.set_read_timeout(timeout).unwrap();
        let silent_held = closed_after(&mut silent);

        // The handshake done, then half a request head and nothing more.
        let mut roots = rustls::RootCertStore::empty();
        let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        roots.add(der).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(client), name).unwrap();
        let tcp = std::net::TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(timeout).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        tls.write_all(b"GET /v1/health HTTP/1.1\r\nhost: localhost\r\n")
            .unwrap();
        tls.flush().unwrap();
        assert!(!tls.conn.is_handshaking(), "the handshake finished");
        let half_held = closed_after(&mut tls);
        (silent_held, half_held)
    })
    .await
    .unwrap();
    let (silent, half) = held;
    assert!(
        silent < std::time::Duration::from_secs(3),
        "silent: {silent:?}"
    );
    assert!(
        half < std::time::Duration::from_secs(3),
        "half a head: {half:?}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_refuses_an_address_over_its_connection_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let (running, pem) = start_tls(tmp.path(), |l| l.connections_per_address = 2).await;
    let addr = running.addr;
    let mut held: Vec<_> = (0..2)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let third = tokio::task::spawn_blocking(move || {
        let mut third = std::net::TcpStream::connect(addr).unwrap();
        third
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        closed_after(&mut third)
    })
    .await
    .unwrap();
    assert!(
        third < std::time::Duration::from_secs(2),
        "the third connection was closed at once: {third:?}"
    );

    drop(held.pop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    huoshui_core::sync::install_tls_provider();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/v1/health", addr.port());
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    drop(held);
    running.stop().await;
}
