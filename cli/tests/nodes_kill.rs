//! Two `huoshui serve` processes on one PostgreSQL (issue 13), each with its own data folder
//! holding a copy of the first node's `server.key` (all a second node needs besides the
//! database URL): a task submitted on node A reaches the manager's live stream on node B; and
//! with both nodes on one accelerated timeline (`--clock-speed` with a shared `--clock-epoch`),
//! node B is SIGKILLed and restarted again and again at random moments while applications
//! come in on both nodes and nobody calls: afterwards every application has exactly one
//! escalation (its timeline through the API, and the `events` and `feed` tables), and the
//! ladder's effects in the `outbox` are each there once and done.
//! Skipped with a notice without PostgreSQL (`eval "$(bash scripts/pg.sh start)"`); a failure
//! when `HUOSHUI_REQUIRE_PG=1`. The seed is printed (`HUOSHUI_KILL_SEED` replays its choices).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Server, http_client, login, start_with};
use huoshui_server::sql::pg;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// 300×: the county's 10-minute escalation passes in 2 s, its 2-minute text in 0.4 s.
const SPEED: u32 = 300;
/// How long node B is killed and restarted over.
const KILL_WINDOW: Duration = Duration::from_secs(16);
/// The county's escalation (the catalog's 10 minutes), and how late on the accelerated clock a
/// sweep may record it (8 minutes: 1.6 s of real time at 300×, for a loaded machine; a node
/// restarted 3 s after the epoch without it would lag 15 minutes).
const ESCALATION_MS: i64 = 10 * 60_000;
const LAG_MS: i64 = 8 * 60_000;
/// The demo villagers v001…v012 (one application each).
const VILLAGERS: usize = 12;
/// v010 lives in 贾镇, served only by the postal bank's first manager (m-psbc-1).
const VILLAGER_IN_JIAZHEN: &str = "13800000010";
const MANAGER_PSBC_1: &str = "13900000301";

/// A node that is SIGKILLed when dropped (also when the test fails).
struct Node(Server);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

/// One fresh schema and the nodes' flags on it; the schema is dropped at the end.
struct Cluster {
    url: String,
    schema: String,
    flags: Vec<String>,
    tmp: tempfile::TempDir,
}

impl Cluster {
    fn new(url: String, more: &[String]) -> Cluster {
        let schema = pg::testing::fresh_schema(&url).unwrap();
        let database = format!("{url}?options=-c%20search_path%3D{schema}");
        let mut flags = vec!["--database-url".to_owned(), database];
        flags.extend_from_slice(more);
        Cluster {
            url,
            schema,
            flags,
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn dir(&self, node: &str) -> PathBuf {
        self.tmp.path().join(node)
    }

    fn start(&self, node: &str) -> Node {
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        Node(start_with(&self.dir(node), "info", &flags))
    }

    /// Starts node A (it makes the server key), then gives node B its own data folder with
    /// a copy of the key: phones are found by a MAC under it and documents sealed with it.
    fn start_two(&self) -> (Node, Node) {
        let a = self.start("a");
        let key = |node: &str| self.dir(node).join("server").join("server.key");
        std::fs::create_dir_all(self.dir("b").join("server")).unwrap();
        std::fs::copy(key("a"), key("b")).unwrap();
        let b = self.start("b");
        (a, b)
    }

    /// Runs `sql` on the cluster's schema (on a thread of its own: the client blocks).
    fn query(&self, sql: &'static str) -> Vec<Vec<Option<String>>> {
        let target = pg::PgTarget::parse(&self.url, Some(&self.schema)).unwrap();
        std::thread::spawn(move || {
            let mut conn = target.connect().unwrap();
            let rows = conn.client().query(sql, &[]).unwrap();
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.get::<_, Option<String>>(i))
                        .collect()
                })
                .collect()
        })
        .join()
        .unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg::testing::drop_schema(&self.url, &self.schema);
    }
}

/// The next live message (event name, data) within 20 s, skipping keep-alive comments.
async fn next_message(resp: &mut reqwest::Response, buf: &mut String) -> (String, Value) {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut name = String::from("message");
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if data.is_empty() {
                continue;
            }
            return (name, serde_json::from_str(&data).unwrap_or(Value::Null));
        }
        let chunk = tokio::time::timeout(Duration::from_secs(20), resp.chunk())
            .await
            .expect("no live message within 20 s")
            .unwrap()
            .expect("the stream ended");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_submitted_on_node_a_reaches_the_managers_live_stream_on_node_b() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let cluster = Cluster::new(url, &[]);
    let (a, b) = cluster.start_two();
    let http = http_client();
    let manager = login(&b.0, &http, MANAGER_PSBC_1).await;
    let mut stream = http
        .get(format!("{}/v1/events", b.0.base))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buf = String::new();
    assert_eq!(next_message(&mut stream, &mut buf).await.0, "ready");

    let villager = login(&a.0, &http, VILLAGER_IN_JIAZHEN).await;
    let submitted = http
        .post(format!("{}/v1/applications", a.0.base))
        .bearer_auth(&villager)
        .header("idempotency-key", "jiazhen-1")
        .json(&json!({"product_id": "psbc-jisu", "amount_fen": 1_000_000, "months": 12}))
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 201);
    let id = submitted.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    loop {
        let (_, data) = next_message(&mut stream, &mut buf).await;
        if data["application_id"] == id.as_str() {
            assert_eq!(data["event"], "assigned", "the task comes first: {data}");
            break;
        }
    }
}

/// Node B's life: restarted at once after each SIGKILL, killed after a random 0.3–1.5 s up,
/// until `stop`; answers the node left running and how many kills there were.
fn kill_b_again_and_again(
    cluster: &Cluster,
    first: Node,
    b_base: &Mutex<Option<String>>,
    stop: &AtomicBool,
    seed: u64,
    logs: &Mutex<Vec<Arc<Mutex<Vec<String>>>>>,
) -> (Node, usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut b = first;
    let mut kills = 0;
    loop {
        *b_base.lock().unwrap() = Some(b.0.base.clone());
        logs.lock().unwrap().push(b.0.all_log.clone());
        let up_until = Instant::now() + Duration::from_millis(rng.u64(300..1500));
        while Instant::now() < up_until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if stop.load(Ordering::SeqCst) {
            return (b, kills);
        }
        *b_base.lock().unwrap() = None;
        drop(b); // SIGKILL
        kills += 1;
        b = cluster.start("b");
    }
}

/// Submits with `key` to node B when it is up (by the coin), else to node A; a request B was
/// killed under is sent again with the same key to A. Answers the application's id.
async fn submit(
    http: &reqwest::Client,
    token: &str,
    key: &str,
    a_base: &str,
    b_base: Option<String>,
) -> String {
    let body = json!({"product_id": "psbc-jisu", "amount_fen": 1_000_000, "months": 12});
    for base in b_base.iter().map(String::as_str).chain([a_base, a_base]) {
        let sent = http
            .post(format!("{base}/v1/applications"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await;
        let Ok(resp) = sent else { continue };
        if !resp.status().is_success() {
            continue;
        }
        if let Ok(v) = resp.json::<Value>().await {
            return v["id"].as_str().unwrap().to_owned();
        }
    }
    panic!("submission {key} answered by neither node");
}

/// Waits (at most 20 s) until every application is escalated and its ladder's effects in the
/// outbox are done.
fn wait_until_settled(cluster: &Cluster, ids: &BTreeSet<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let escalated: BTreeSet<String> = cluster
            .query("SELECT id FROM applications WHERE escalated_at IS NOT NULL")
            .into_iter()
            .filter_map(|r| r[0].clone())
            .collect();
        let pending = cluster.query(
            "SELECT subject FROM outbox WHERE done_at IS NULL
             UNION ALL SELECT a.id FROM applications a WHERE NOT EXISTS
             (SELECT 1 FROM outbox o WHERE o.subject = a.id AND o.effect = 'admin_alert_sms')",
        );
        if ids.is_subset(&escalated) && pending.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not settled within 20 s: escalated {escalated:?}, pending {pending:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How many `escalated` events the application's timeline shows through the API.
async fn escalations_shown(http: &reqwest::Client, base: &str, token: &str, id: &str) -> usize {
    let d: Value = http
        .get(format!("{base}/v1/applications/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    d["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "escalated")
        .count()
}

/// Counts of the rows whose JSON (the second column) has `field` = `value`, by the first
/// column and the JSON's `application_id` (when it has one).
fn count_json(
    cluster: &Cluster,
    sql: &'static str,
    field: &str,
    value: &str,
) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for row in cluster.query(sql) {
        let v: Value = serde_json::from_str(row[1].as_deref().unwrap()).unwrap();
        if v.pointer(field).and_then(Value::as_str) == Some(value) {
            let app = v["application_id"].as_str().unwrap_or_default().to_owned();
            *out.entry((row[0].clone().unwrap(), app)).or_insert(0) += 1;
        }
    }
    out
}

/// Applications come in over the kill window (the last one escalates before it ends), each
/// sent first to node B when the coin says so and B is up; nobody opens or calls. Answers
/// their ids and how many went to B first.
async fn submit_over_the_window(
    http: &reqwest::Client,
    villagers: &[String],
    a_base: &str,
    b_base: &Mutex<Option<String>>,
    seed: u64,
) -> (BTreeSet<String>, usize) {
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed ^ 1);
    let to_b = AtomicUsize::new(0);
    let mut ids = BTreeSet::new();
    for (n, token) in villagers.iter().enumerate() {
        let at = KILL_WINDOW.mul_f64(0.8) * u32::try_from(n).unwrap() / VILLAGERS as u32;
        tokio::time::sleep_until((started + at + Duration::from_millis(rng.u64(0..400))).into())
            .await;
        let b_now = if rng.bool() {
            b_base.lock().unwrap().clone()
        } else {
            None
        };
        if b_now.is_some() {
            to_b.fetch_add(1, Ordering::SeqCst);
        }
        ids.insert(submit(http, token, &format!("silent-{n}"), a_base, b_now).await);
    }
    (ids, to_b.load(Ordering::SeqCst))
}

/// In the tables: one escalation event per application, one live notice of it per recipient,
/// and the ladder's effects once per application (rows unique by key), each done. Answers how
/// many effects were attempted more than once (a killed node's claim taken over after its
/// lease).
fn assert_once_in_the_tables(cluster: &Cluster, ids: &BTreeSet<String>) -> usize {
    let (events, feed, outbox) = (
        count_json(
            cluster,
            "SELECT application_id, body FROM events",
            "/kind/type",
            "escalated",
        ),
        count_json(
            cluster,
            "SELECT user_id, message FROM feed",
            "/event",
            "escalated",
        ),
        cluster.query(
            "SELECT subject, effect, recipient, outcome, CAST(attempts AS TEXT) FROM outbox",
        ),
    );
    let escalated: BTreeSet<&String> = events.keys().map(|(app, _)| app).collect();
    assert_eq!(escalated, ids.iter().collect(), "escalated applications");
    for ((app, _), n) in &events {
        assert_eq!(*n, 1, "application {app} has {n} escalation events");
    }
    let noticed: BTreeSet<&String> = feed.keys().map(|(_, app)| app).collect();
    assert_eq!(noticed, ids.iter().collect(), "escalation notices");
    for ((user, app), n) in &feed {
        assert_eq!(
            *n, 1,
            "{user} was told {n} times of the escalation of {app}"
        );
    }
    let mut done: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut retried = 0;
    for row in &outbox {
        let [subject, effect, recipient, outcome, attempts] = &row[..] else {
            panic!("{row:?}");
        };
        assert_eq!(outcome.as_deref(), Some("done"), "{row:?}");
        if attempts.as_deref() != Some("1") {
            retried += 1;
        }
        let key = (
            subject.clone().unwrap(),
            effect.clone().unwrap(),
            recipient.clone().unwrap(),
        );
        *done.entry(key).or_insert(0) += 1;
    }
    assert!(done.values().all(|n| *n == 1), "{done:?}");
    // Per application: the manager's new-task push and the administrator's alert by push and
    // by text (the manager's text at 2 minutes too, unless the escalation came first).
    for id in ids {
        let effects: BTreeSet<&str> = done
            .keys()
            .filter(|(subject, _, _)| subject == id)
            .map(|(_, effect, _)| effect.as_str())
            .collect();
        for must in ["new_task_push", "admin_alert_push", "admin_alert_sms"] {
            assert!(effects.contains(must), "{id} lacks {must}: {effects:?}");
        }
    }
    assert_escalated_on_one_timeline(cluster);
    retried
}

/// On the nodes' shared accelerated timeline each escalation is stamped 10 minutes (plus the
/// sweeps' lag) after its submission, whichever node stamped which. (Without a shared
/// `--clock-epoch`, a node restarted later lags the others by its start gap × the speed.)
fn assert_escalated_on_one_timeline(cluster: &Cluster) {
    let mut first: BTreeMap<String, i64> = BTreeMap::new();
    let mut escalated: BTreeMap<String, i64> = BTreeMap::new();
    for row in cluster.query("SELECT application_id, CAST(at AS TEXT), body FROM events") {
        let (app, at) = (row[0].clone().unwrap(), row[1].as_deref().unwrap());
        let at: i64 = at.parse().unwrap();
        let body: Value = serde_json::from_str(row[2].as_deref().unwrap()).unwrap();
        if body["kind"]["type"] == "escalated" {
            escalated.insert(app.clone(), at);
        }
        let seen = first.entry(app).or_insert(at);
        *seen = (*seen).min(at);
    }
    for (app, at) in &escalated {
        let after_ms = at - first[app];
        assert!(
            (ESCALATION_MS..ESCALATION_MS + LAG_MS).contains(&after_ms),
            "application {app} escalated {after_ms} ms (accelerated) after its submission"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_escalation_fires_once_while_node_b_is_killed_and_restarted_again_and_again() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let seed = std::env::var("HUOSHUI_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("HUOSHUI_KILL_SEED={seed}");
    let epoch = jiff::Timestamp::now().as_millisecond().to_string();
    let clock = ["--clock-speed".to_owned(), SPEED.to_string()];
    let cluster = Arc::new(Cluster::new(
        url,
        &[&clock[..], &["--clock-epoch".to_owned(), epoch]].concat(),
    ));
    let (a, b) = cluster.start_two();
    let http = http_client();
    let mut villagers = Vec::new();
    for n in 1..=VILLAGERS {
        villagers.push(login(&a.0, &http, &format!("138{n:08}")).await);
    }

    let b_base = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let b_logs = Arc::new(Mutex::new(Vec::new()));
    let killer = {
        let (cluster, b_base, stop, b_logs) = (
            cluster.clone(),
            b_base.clone(),
            stop.clone(),
            b_logs.clone(),
        );
        std::thread::spawn(move || {
            kill_b_again_and_again(&cluster, b, &b_base, &stop, seed, &b_logs)
        })
    };
    // Stops the killer (and so node B) also when an assertion below fails.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let stopper = StopOnDrop(stop.clone());

    let started = Instant::now();
    let (ids, to_b) = submit_over_the_window(&http, &villagers, &a.0.base, &b_base, seed).await;
    assert_eq!(ids.len(), VILLAGERS);
    tokio::time::sleep_until((started + KILL_WINDOW).into()).await;
    stop.store(true, Ordering::SeqCst);
    let (b, kills) = killer.join().unwrap();
    drop(stopper);
    eprintln!("{kills} SIGKILLs of node B; {to_b} of {VILLAGERS} submissions sent to B first");
    // About 16 on an idle machine (a restart takes a fraction of a second); fewer when loaded.
    assert!(kills >= 5, "node B was killed {kills} times only");

    let check = cluster.clone();
    let ids_now = ids.clone();
    tokio::task::spawn_blocking(move || wait_until_settled(&check, &ids_now))
        .await
        .unwrap();
    // A little longer: both nodes sweep hundreds of times more, and nothing fires again.
    tokio::time::sleep(Duration::from_millis(800)).await;

    // Through the API, on both nodes: one escalation in each application's timeline.
    for (n, (id, token)) in ids.iter().zip(&villagers).enumerate() {
        let base = if n % 2 == 0 { &a.0.base } else { &b.0.base };
        let shown = escalations_shown(&http, base, token, id).await;
        assert_eq!(shown, 1, "application {id} shows {shown} escalations");
    }
    let check = cluster.clone();
    let retried = tokio::task::spawn_blocking(move || assert_once_in_the_tables(&check, &ids))
        .await
        .unwrap();
    let fired_by_b = b_logs
        .lock()
        .unwrap()
        .iter()
        .flat_map(|log| log.lock().unwrap().clone())
        .filter(|l| l.contains("SLA escalations recorded"))
        .count();
    eprintln!(
        "every effect done ({retried} after a takeover); sweeps that escalated on node B: {fired_by_b}"
    );
    drop((a, b));
}

#[test]
fn a_clock_epoch_ahead_of_the_wall_clock_is_refused_with_words_that_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let ahead = (jiff::Timestamp::now().as_millisecond() + 3_600_000).to_string();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--clock-speed", "60"])
        .args(["--clock-epoch", &ahead])
        .env_remove("HUOSHUI_DATABASE_URL")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--clock-epoch") && said.contains("date +%s%3N"),
        "{said}"
    );
}
