//! Test harness: the real server (real SQLite in a temp folder, real HTTP on 127.0.0.1) with a
//! manual clock and the development code provider, plus a small client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_server::auth::DevCodeProvider;
use huoshui_server::clock::ManualClock;
use huoshui_server::directory::Directory;
use huoshui_server::{Config, Running};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A push gateway that records whom it woke (FCM and APNs cannot run here).
#[derive(Default)]
pub struct RecordingPush {
    pub woken: std::sync::Mutex<Vec<String>>,
}

impl huoshui_server::push::PushGateway for RecordingPush {
    fn tickle(&self, user_id: &str) {
        self.woken.lock().unwrap().push(user_id.to_owned());
    }
}

impl RecordingPush {
    pub fn count(&self, user: &str) -> usize {
        self.woken
            .lock()
            .unwrap()
            .iter()
            .filter(|u| *u == user)
            .count()
    }
}

pub struct Platform {
    pub push: Arc<RecordingPush>,
    pub running: Running,
    pub clock: Arc<ManualClock>,
    pub codes: Arc<DevCodeProvider>,
    pub base: String,
    pub http: reqwest::Client,
    pub dir: PathBuf,
}

/// A manual clock at [`start_time`].
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(start_time()))
}

pub fn start_time() -> jiff::Timestamp {
    "2026-11-28T01:00:00Z".parse().unwrap()
}

impl Platform {
    pub async fn start(dir: &Path) -> Platform {
        Self::start_with(dir, Arc::new(ManualClock::new(start_time()))).await
    }

    pub async fn start_with(dir: &Path, clock: Arc<ManualClock>) -> Platform {
        Self::start_configured(dir, clock, |_| {}).await
    }

    /// Starts with the test defaults, then `edit` (e.g. small limits).
    pub async fn start_configured(
        dir: &Path,
        clock: Arc<ManualClock>,
        edit: impl FnOnce(&mut Config),
    ) -> Platform {
        let codes = Arc::new(DevCodeProvider::new());
        let mut config = Config::new(dir.to_path_buf(), Directory::embedded().unwrap());
        config.clock = clock.clone();
        config.auth_clock = clock.clone();
        config.codes = codes.clone();
        config.sla_poll = None;
        let push = Arc::new(RecordingPush::default());
        config.push = push.clone();
        // Tests sign one account in again within a minute: no login-code limits unless a test
        // sets them (server/tests/code_limits.rs does).
        config.sign_in.limits = huoshui_server::code_limits::CodeLimits {
            per_phone_interval_seconds: 0,
            per_phone_per_day: 100_000,
            per_client_per_hour: 100_000,
        };
        config.database = test_database_in(dir);
        edit(&mut config);
        let running = huoshui_server::start(config).await.unwrap();
        let base = format!("http://{}", running.addr);
        Platform {
            push,
            running,
            clock,
            codes,
            base,
            http: http_client(),
            dir: dir.to_path_buf(),
        }
    }

    pub async fn stop(self) -> Arc<ManualClock> {
        let clock = self.clock.clone();
        self.running.stop().await;
        clock
    }

    pub fn phone_of(&self, id: &str) -> String {
        self.running
            .demo
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.phone.clone())
            .unwrap()
    }

    /// Logs in as the demo account `id`.
    pub async fn login(&self, id: &str) -> User {
        let phone = self.phone_of(id);
        let r = self
            .http
            .post(format!("{}/v1/auth/code", self.base))
            .json(&json!({"phone": phone}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let code = self.codes.latest(&phone).unwrap();
        let r = self
            .http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&json!({"phone": phone, "code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        User {
            id: id.to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
            base: self.base.clone(),
            http: self.http.clone(),
        }
    }

    /// A product id of `bank` from the catalog.
    pub async fn product_of_bank(&self, bank: &str) -> (String, i64, u32) {
        let cat: Value = self
            .http
            .get(format!("{}/v1/catalog", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let p = cat["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["bank"] == bank)
            .unwrap();
        (
            p["id"].as_str().unwrap().to_owned(),
            p["amount_min_fen"].as_i64().unwrap(),
            p["months_min"].as_u64().unwrap() as u32,
        )
    }
}

#[derive(Clone)]
pub struct User {
    pub id: String,
    pub token: String,
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl User {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, body, text }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn submit(&self, key: &str, body: Value) -> Answer {
        let r = self
            .http
            .post(format!("{}/v1/applications", self.base))
            .bearer_auth(&self.token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// Submits an application for `product` and answers its id.
    pub async fn apply(&self, product: &(String, i64, u32)) -> String {
        let key = uuid::Uuid::new_v4().to_string();
        let a = self
            .submit(
                &key,
                json!({"product_id": product.0, "amount_fen": product.1, "months": product.2}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        a.body["id"].as_str().unwrap().to_owned()
    }

    /// Opens the live event stream; the first message (`ready`) has been read when this returns.
    pub async fn stream(&self) -> EventStream {
        self.stream_after(None).await
    }

    /// Opens the live event stream resuming after `last_event_id` (the `Last-Event-ID` header).
    pub async fn stream_after(&self, last_event_id: Option<&str>) -> EventStream {
        let mut req = self
            .http
            .get(format!("{}/v1/events", self.base))
            .bearer_auth(&self.token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let mut s = EventStream {
            resp: r,
            buf: String::new(),
        };
        let (name, _) = s.next().await.unwrap();
        assert_eq!(name, "ready");
        s
    }
}

pub struct EventStream {
    resp: reqwest::Response,
    buf: String,
}

impl EventStream {
    /// The next message (event name, data), skipping keep-alive comments.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        self.next_with_id()
            .await
            .map(|(name, _, data)| (name, data))
    }

    /// The next message with its SSE `id:` (event name, id, data).
    pub async fn next_with_id(&mut self) -> Option<(String, Option<String>, Value)> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                let mut id = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    }
                }
                if data.is_empty() && name == "message" {
                    continue;
                }
                return Some((name, id, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), self.resp.chunk())
                .await
                .ok()?
                .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads until a message with `event` for application `id` arrives.
    pub async fn wait_for(&mut self, event: &str, id: &str) -> Value {
        loop {
            let (_, data) = self
                .next()
                .await
                .expect("stream ended before the expected message");
            if data["event"] == event && data["application_id"] == id {
                return data;
            }
        }
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn minutes(m: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_mins(m)
}

/// A plain HTTP client for the tests (loopback only). The workspace builds reqwest with
/// rustls but without a built-in crypto provider (the phone uses ring), so install it first;
/// and with gzip decoding (the phone's sync client asks for it), which the tests turn off so
/// they see exactly what the server sent.
pub fn http_client() -> reqwest::Client {
    huoshui_core::sync::install_tls_provider();
    reqwest::Client::builder().no_gzip().build().unwrap()
}

/// A new schema in the test PostgreSQL (old ones left by stopped runs are swept).
fn fresh_schema(url: &str) -> String {
    huoshui_server::sql::pg::testing::fresh_schema(url).unwrap()
}

/// Everything the platform of `dir` keeps: every file of the data folder (see [`folder_files`])
/// and, on PostgreSQL, every value of every row of its schema (see [`schema_values`]).
pub fn read_data_folder(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut kept = folder_files(dir);
    if let Ok(schema) = std::fs::read_to_string(dir.join("postgres-schema")) {
        kept.extend(schema_values(&schema));
    }
    kept
}

/// Every value stored in `schema` of the test PostgreSQL, as its bytes (BYTEA as stored, the
/// rest as text), read on a thread of its own (the synchronous client must not run on the
/// test's runtime).
pub fn schema_values(schema: &str) -> Vec<Vec<u8>> {
    use huoshui_server::repo::pg::postgres;
    let url = huoshui_server::sql::pg::testing::url().unwrap().unwrap();
    let schema = schema.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let columns = client
            .query(
                "SELECT table_name::text, column_name::text, data_type::text
                 FROM information_schema.columns WHERE table_schema = $1",
                &[&schema],
            )
            .unwrap();
        let mut values = Vec::new();
        for c in columns {
            let (table, column, ty): (String, String, String) = (c.get(0), c.get(1), c.get(2));
            let value = if ty == "bytea" {
                format!("\"{column}\"")
            } else {
                format!("convert_to(\"{column}\"::text, 'UTF8')")
            };
            let sql = format!("SELECT {value} FROM \"{schema}\".\"{table}\"");
            for row in client.query(&sql, &[]).unwrap() {
                values.extend(row.get::<_, Option<Vec<u8>>>(0));
            }
        }
        values
    })
    .join()
    .unwrap()
}

/// Every file of a data folder (top level), read in one pass that saw every file it listed:
/// SQLite may still be closing, and a `-wal` or `-shm` file can vanish between listing and reading.
pub fn folder_files(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut files: Vec<Vec<u8>> = Vec::new();
    for _attempt in 0..50 {
        files.clear();
        let mut complete = true;
        for entry in std::fs::read_dir(dir).unwrap() {
            match std::fs::read(entry.unwrap().path()) {
                Ok(bytes) => files.push(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => complete = false,
                Err(e) => panic!("{e}"),
            }
        }
        if complete {
            return files;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the data folder kept changing while it was read");
}

/// Whether the tests run on PostgreSQL (`HUOSHUI_TEST_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("HUOSHUI_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// With `HUOSHUI_TEST_BACKEND=postgres`, a fresh schema of the PostgreSQL of `scripts/pg.sh`
/// (issue 13: the same suite on both engines); `None` (SQLite in the data folder) otherwise.
pub fn test_database() -> Option<huoshui_server::db::Target> {
    let url = test_pg_url()?;
    let schema = fresh_schema(&url);
    Some(pg_target(&url, &schema))
}

/// As [`test_database`], with the schema's name kept in the data folder `dir`, so a platform
/// restarted on the same folder finds its rows again.
pub fn test_database_in(dir: &Path) -> Option<huoshui_server::db::Target> {
    let url = test_pg_url()?;
    std::fs::create_dir_all(dir).unwrap();
    let kept = dir.join("postgres-schema");
    let schema = match std::fs::read_to_string(&kept) {
        Ok(name) => name,
        Err(_) => {
            let name = fresh_schema(&url);
            std::fs::write(&kept, &name).unwrap();
            name
        }
    };
    Some(pg_target(&url, &schema))
}

fn test_pg_url() -> Option<String> {
    if !on_postgres() {
        return None;
    }
    let url = huoshui_server::sql::pg::testing::url()
        .unwrap()
        .expect("HUOSHUI_TEST_BACKEND=postgres needs HUOSHUI_TEST_PG_URL");
    Some(url)
}

fn pg_target(url: &str, schema: &str) -> huoshui_server::db::Target {
    let target = huoshui_server::sql::pg::PgTarget::parse(url, Some(schema)).unwrap();
    huoshui_server::db::Target::Postgres(Arc::new(target))
}

/// Several nodes on one database (issue 13): a fresh schema of the PostgreSQL of
/// `scripts/pg.sh` that every node of a test is given. Answers the server URL, the schema and
/// the target; `None` (with a notice) without PostgreSQL; fails when `HUOSHUI_REQUIRE_PG=1`.
pub fn shared_pg_database() -> Option<(String, String, huoshui_server::db::Target)> {
    use huoshui_server::sql::pg;
    let url = pg::testing::url().unwrap()?;
    let schema = pg::testing::fresh_schema(&url).unwrap();
    let target = pg::PgTarget::parse(&url, Some(&schema)).unwrap();
    Some((
        url,
        schema,
        huoshui_server::db::Target::Postgres(Arc::new(target)),
    ))
}

/// Runs one statement answering one BIGINT on the PostgreSQL at `url` (off the async
/// workers: the synchronous client must not run on them).
pub async fn pg_number(url: &str, sql: &str) -> i64 {
    let target = huoshui_server::sql::pg::PgTarget::parse(url, None).unwrap();
    let sql = sql.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = target.connect().unwrap();
        let row = conn.client().query_one(sql.as_str(), &[]).unwrap();
        row.get::<_, i64>(0)
    })
    .await
    .unwrap()
}
