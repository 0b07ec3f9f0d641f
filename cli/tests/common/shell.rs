//! The terminal shell as a phone in tests: the real `huoshui` binary over its own data folder,
//! talking to a real `huoshui serve` on 127.0.0.1 (stopped when the test ends), and the
//! platform checked through its HTTP API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{Server, start};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A platform started for one test; killed when dropped, so a failing test stops it too.
pub struct Platform {
    pub server: Server,
    pub dir: PathBuf,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A PDF-looking file of `len` bytes whose content depends on `seed` (the vault keeps PDFs
/// byte for byte, so the platform's copy must hash like the file).
pub fn pdf(len: usize, seed: u64) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push((x & 0xff) as u8);
    }
    v
}

/// `138****0001`, as the platform's log masks a phone number.
pub fn masked(phone: &str) -> String {
    format!("{}****{}", &phone[..3], &phone[phone.len() - 4..])
}

/// A loopback address where nothing listens (the platform "cannot be reached").
pub fn dead_address() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

impl Platform {
    /// Starts `huoshui serve` in `dir/platform` on a free loopback port.
    pub fn start(dir: &Path) -> Platform {
        let dir = dir.join("platform");
        let server = start(&dir, "info");
        Platform {
            server,
            dir,
            http: super::http_client(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    pub fn base(&self) -> &str {
        &self.server.base
    }

    /// The newest development code for `phone` that appeared after `seen` such lines.
    pub fn code_after(&self, phone: &str, seen: usize) -> String {
        let mask = masked(phone);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            {
                let log = self.server.all_log.lock().unwrap();
                let lines: Vec<&String> = log
                    .iter()
                    .filter(|l| l.contains("DEV ONLY") && l.contains(&mask))
                    .collect();
                if lines.len() > seen {
                    let line = lines[lines.len() - 1];
                    assert!(
                        !line.contains(phone),
                        "the log never holds a full phone number"
                    );
                    let at = line.find("code=").unwrap() + 5;
                    return line[at..at + 6].to_owned();
                }
            }
            assert!(Instant::now() < deadline, "no code for {mask} in the log");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many development codes for `phone` the log holds so far.
    pub fn codes_seen(&self, phone: &str) -> usize {
        let mask = masked(phone);
        self.server
            .all_log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("DEV ONLY") && l.contains(&mask))
            .count()
    }

    /// Signs in over HTTP (for checking the platform directly); answers the token.
    pub fn token(&self, phone: &str) -> String {
        let seen = self.codes_seen(phone);
        let r = self.post(
            "/v1/auth/code",
            None,
            &serde_json::json!({ "phone": phone }),
        );
        assert_eq!(r.0, 202, "{}", r.1);
        let code = self.code_after(phone, seen);
        let (status, body) = self.post(
            "/v1/auth/login",
            None,
            &serde_json::json!({ "phone": phone, "code": code }),
        );
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.rt.block_on(async {
            let mut req = self
                .http
                .post(format!("{}{path}", self.server.base))
                .json(body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let bytes = r.bytes().await.unwrap();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        })
    }

    /// `GET path` as JSON.
    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let (status, bytes) = self.get_bytes(path, token);
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// `GET path` as bytes.
    pub fn get_bytes(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
        self.rt.block_on(async {
            let r = self
                .http
                .get(format!("{}{path}", self.server.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.bytes().await.unwrap().to_vec())
        })
    }
}

/// One device: a data folder the `huoshui` binary runs over.
pub struct Device {
    pub data: PathBuf,
    pub server: String,
}

impl Device {
    pub fn new(data: PathBuf, server: &str) -> Device {
        Device {
            data,
            server: server.to_owned(),
        }
    }

    /// The command, ready to run (the platform address from `HUOSHUI_SERVER`).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_huoshui"));
        c.env("HUOSHUI_DATA_DIR", &self.data)
            .env("HUOSHUI_SERVER", &self.server)
            .env_remove("RUST_LOG")
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .expect("the huoshui binary runs")
    }

    /// Runs with `--json` and expects success; answers the JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(
            out.status.success(),
            "huoshui {args:?} failed ({:?}): {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)
    }

    /// Signs in through the shell with the code from the platform's log.
    pub fn sign_in(&self, platform: &Platform, phone: &str) -> Value {
        let seen = platform.codes_seen(phone);
        self.json(&["account", "code", "--phone", phone]);
        let code = platform.code_after(phone, seen);
        self.json(&["account", "login", "--phone", phone, "--code", &code])
    }
}

/// The one JSON document of an output.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The JSON lines of a staged output (`apply`, `act`): one object a line.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
