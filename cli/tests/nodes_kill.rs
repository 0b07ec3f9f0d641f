//! Two `huoshui serve` processes on one PostgreSQL (issue 13), each with its own data folder
//! holding a copy of the first node's `server.key` (all a second node needs besides the
//! database URL): a task submitted on node A reaches the manager's live stream on node B; and
//! with both nodes on one accelerated timeline (`--clock-speed` with a shared `--clock-epoch`),
//! the nodes are SIGKILLed in turn (one at a time, at random moments) and restarted again and
//! again while applications come in on both nodes and nobody calls: afterwards every application has exactly one
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
use std::sync::atomic::{AtomicBool, Ordering};
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

/// The nodes' data folders; index 0 is node A, 1 node B.
const NAMES: [&str; 2] = ["a", "b"];

/// Each node's address while it is up (`None` from its kill to its restart).
type Bases = Mutex<[Option<String>; 2]>;

/// Every log of every node's every life, with the node's index.
type Logs = Mutex<Vec<(usize, Arc<Mutex<Vec<String>>>)>>;

/// The nodes' lives: one node at a time is SIGKILLed (B, A, B, …) after a random 0.3–1.5 s
/// and restarted at once (the other stays up meanwhile), until `stop`; answers the nodes left
/// running and how many kills each had.
fn kill_in_turn(
    cluster: &Cluster,
    first: [Node; 2],
    bases: &Bases,
    stop: &AtomicBool,
    seed: u64,
    logs: &Logs,
) -> ([Node; 2], [usize; 2]) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut nodes = first.map(Some);
    let mut kills = [0, 0];
    for (i, node) in nodes.iter().enumerate() {
        let log = node.as_ref().unwrap().0.all_log.clone();
        logs.lock().unwrap().push((i, log));
    }
    loop {
        *bases.lock().unwrap() = [0, 1].map(|i| nodes[i].as_ref().map(|n| n.0.base.clone()));
        let up_until = Instant::now() + Duration::from_millis(rng.u64(300..1500));
        while Instant::now() < up_until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if stop.load(Ordering::SeqCst) {
            return (nodes.map(Option::unwrap), kills);
        }
        let victim = 1 - (kills[0] + kills[1]) % 2;
        bases.lock().unwrap()[victim] = None;
        drop(nodes[victim].take()); // SIGKILL
        kills[victim] += 1;
        let restarted = cluster.start(NAMES[victim]);
        logs.lock()
            .unwrap()
            .push((victim, restarted.0.all_log.clone()));
        nodes[victim] = Some(restarted);
    }
}

/// Submits with `key` to node `first` if it is up, else to the other; a request a node was
/// killed under is sent again with the same key (to whichever is up) until one answers.
/// Answers the application's id and the node that answered.
async fn submit(
    http: &reqwest::Client,
    token: &str,
    key: &str,
    bases: &Bases,
    first: usize,
) -> (String, usize) {
    let body = json!({"product_id": "psbc-jisu", "amount_fen": 1_000_000, "months": 12});
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let up = bases.lock().unwrap().clone();
        for i in [first, 1 - first] {
            let Some(base) = &up[i] else { continue };
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
                return (v["id"].as_str().unwrap().to_owned(), i);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("submission {key} answered by neither node within 10 s");
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
/// sent first to the node the coin says; nobody opens or calls. Answers their ids with the
/// wall-clock window (ms) in which each was sent and answered, and how many each node answered.
async fn submit_over_the_window(
    http: &reqwest::Client,
    villagers: &[String],
    bases: &Bases,
    seed: u64,
) -> (BTreeMap<String, (i64, i64)>, [usize; 2]) {
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed ^ 1);
    let mut answered = [0, 0];
    let mut ids = BTreeMap::new();
    for (n, token) in villagers.iter().enumerate() {
        let at = KILL_WINDOW.mul_f64(0.8) * u32::try_from(n).unwrap() / VILLAGERS as u32;
        tokio::time::sleep_until((started + at + Duration::from_millis(rng.u64(0..400))).into())
            .await;
        let key = format!("silent-{n}");
        let sent = jiff::Timestamp::now().as_millisecond();
        let (id, by) = submit(http, token, &key, bases, rng.usize(0..2)).await;
        answered[by] += 1;
        ids.insert(id, (sent, jiff::Timestamp::now().as_millisecond()));
    }
    (ids, answered)
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
    retried
}

/// The nodes share one accelerated timeline, whichever node stamped which event: each
/// submission is stamped within its request's wall-clock window mapped onto the timeline
/// (epoch + (real − epoch) × speed), and each escalation 10 minutes (plus the sweeps' lag)
/// after it. Without a shared `--clock-epoch`, a node restarted later lags the others by its
/// start gap × the speed, and its stamps fall out of the window.
fn assert_on_one_timeline(
    cluster: &Cluster,
    epoch_ms: i64,
    windows: &BTreeMap<String, (i64, i64)>,
) {
    let on_timeline = |real_ms: i64| epoch_ms + (real_ms - epoch_ms) * i64::from(SPEED);
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
    for (app, (sent, answered)) in windows {
        // A millisecond's rounding on either side, times the speed.
        let slack = i64::from(SPEED);
        let window = on_timeline(*sent) - slack..=on_timeline(*answered) + slack;
        assert!(
            window.contains(&first[app]),
            "application {app} stamped {} ms off its request's window on the shared timeline",
            if first[app] < *window.start() {
                first[app] - window.start()
            } else {
                first[app] - window.end()
            }
        );
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
async fn each_escalation_fires_once_while_the_nodes_are_killed_in_turn_and_restarted() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let seed = std::env::var("HUOSHUI_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("HUOSHUI_KILL_SEED={seed}");
    let epoch_ms = jiff::Timestamp::now().as_millisecond();
    let epoch = epoch_ms.to_string();
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

    let bases = Arc::new(Mutex::new([None, None]));
    let stop = Arc::new(AtomicBool::new(false));
    let logs = Arc::new(Mutex::new(Vec::new()));
    let killer = {
        let (cluster, bases, stop, logs) =
            (cluster.clone(), bases.clone(), stop.clone(), logs.clone());
        std::thread::spawn(move || kill_in_turn(&cluster, [a, b], &bases, &stop, seed, &logs))
    };
    // Stops the killer (which then drops, so kills, the nodes) also when an assertion fails.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let stopper = StopOnDrop(stop.clone());
    while bases.lock().unwrap()[1].is_none() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let started = Instant::now();
    let (windows, answered) = submit_over_the_window(&http, &villagers, &bases, seed).await;
    assert_eq!(windows.len(), VILLAGERS);
    let ids: BTreeSet<String> = windows.keys().cloned().collect();
    tokio::time::sleep_until((started + KILL_WINDOW).into()).await;
    stop.store(true, Ordering::SeqCst);
    let (nodes, kills) = killer.join().unwrap();
    drop(stopper);
    eprintln!(
        "SIGKILLs: node A {}, node B {}; submissions answered: A {}, B {}",
        kills[0], kills[1], answered[0], answered[1]
    );
    // About 8 each on an idle machine (a restart takes a fraction of a second); fewer loaded.
    assert!(kills.iter().all(|k| *k >= 3), "too few kills: {kills:?}");

    let check = cluster.clone();
    let ids_now = ids.clone();
    tokio::task::spawn_blocking(move || wait_until_settled(&check, &ids_now))
        .await
        .unwrap();
    // A little longer: both nodes sweep hundreds of times more, and nothing fires again.
    tokio::time::sleep(Duration::from_millis(800)).await;

    // Through the API, on both nodes: one escalation in each application's timeline.
    for (n, (id, token)) in ids.iter().zip(&villagers).enumerate() {
        let shown = escalations_shown(&http, &nodes[n % 2].0.base, token, id).await;
        assert_eq!(shown, 1, "application {id} shows {shown} escalations");
    }
    let check = cluster.clone();
    let retried = tokio::task::spawn_blocking(move || {
        assert_on_one_timeline(&check, epoch_ms, &windows);
        assert_once_in_the_tables(&check, &ids)
    })
    .await
    .unwrap();
    let mut sweeps = [0, 0];
    for (node, log) in logs.lock().unwrap().iter() {
        let log = log.lock().unwrap();
        sweeps[*node] += log
            .iter()
            .filter(|l| l.contains("SLA escalations recorded"))
            .count();
    }
    eprintln!(
        "every effect done ({retried} after a takeover); sweeps that escalated: A {}, B {}",
        sweeps[0], sweeps[1]
    );
    drop(nodes);
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
