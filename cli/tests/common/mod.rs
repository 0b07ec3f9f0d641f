//! Starting the real `huoshui serve` binary for the CLI's server tests, and logging in with
//! the development code provider (the code is read from the server's log).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod shell;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};

pub struct Server {
    pub child: Child,
    pub base: String,
    /// The server's log lines (stderr) as they come.
    pub log: mpsc::Receiver<String>,
    /// Every log line so far, for scanning.
    pub all_log: Arc<Mutex<Vec<String>>>,
}

/// Starts `huoshui serve` on a free loopback port with `dir` as its data folder.
pub fn start(dir: &Path, log_level: &str) -> Server {
    start_with(dir, log_level, &[])
}

/// [`start`] with more flags for `serve` (e.g. `--database-url`).
pub fn start_with(dir: &Path, log_level: &str, more: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", log_level])
        .args(more)
        .env_remove("HUOSHUI_DATABASE_URL")
        // The tests sign one demo account in again within a minute: no login-code limits here
        // (the limits are tested in server/tests/code_limits.rs).
        .env("HUOSHUI_SERVER__CODES__PER_PHONE_INTERVAL_SECONDS", "0")
        .env("HUOSHUI_SERVER__CODES__PER_PHONE_PER_DAY", "100000")
        .env("HUOSHUI_SERVER__CODES__PER_CLIENT_PER_HOUR", "100000")
        // One villager here sends and replays hundreds of submissions a second, as many phones
        // would: the per-villager bucket (issue 16; tested in server/tests/abuse.rs) is off.
        .env("HUOSHUI_RATE_PER_VILLAGER", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut base = None;
    let mut lines = stdout.lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("listening: ") {
            base = Some(url.trim().to_owned());
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let (tx, log) = mpsc::channel();
    let all_log = Arc::new(Mutex::new(Vec::new()));
    let keep = all_log.clone();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines() {
            let Ok(line) = line else { break };
            keep.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    Server {
        child,
        base: base.expect("the server printed its address"),
        log,
        all_log,
    }
}

/// A loopback HTTP client (the workspace's reqwest needs the ring TLS provider installed).
pub fn http_client() -> reqwest::Client {
    huoshui_core::sync::install_tls_provider();
    reqwest::Client::builder().no_gzip().build().unwrap()
}

/// Logs in with the one-time code the development provider writes to the log.
pub async fn login(server: &Server, http: &reqwest::Client, phone: &str) -> String {
    let r = http
        .post(format!("{}/v1/auth/code", server.base))
        .json(&serde_json::json!({"phone": phone}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let code = loop {
        let line = server.log.recv().unwrap();
        assert!(
            !line.contains(phone),
            "the log never holds a full phone number"
        );
        if line.contains("DEV ONLY") {
            let at = line.find("code=").unwrap() + 5;
            break line[at..at + 6].to_owned();
        }
    };
    let r = http
        .post(format!("{}/v1/auth/login", server.base))
        .json(&serde_json::json!({"phone": phone, "code": code}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}
