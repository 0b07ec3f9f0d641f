//! Effects performed once across nodes (issue 13): two `Db` handles on one database stand for
//! two nodes claiming the outbox at the same time; a node that claims and dies is replaced by
//! another once its lease expires (the clock is a value here, so no test waits for it).
//! SQLite by default; PostgreSQL with `HUOSHUI_TEST_BACKEND=postgres` (and
//! `HUOSHUI_TEST_PG_URL`), each test in a fresh schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_server::claims::{self, Claimed, LEASE_MS, MAX_ATTEMPTS, Outcome, RETRY_MS};
use huoshui_server::db::{Db, Target};
use huoshui_server::sql::{params, pg};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T0: i64 = 1_800_000_000_000;

/// Two nodes on one fresh database (the temp folder or schema lives as long as the guard).
struct Nodes {
    a: Db,
    b: Db,
    _dir: tempfile::TempDir,
}

fn two_nodes() -> Nodes {
    let dir = tempfile::tempdir().unwrap();
    let target = if std::env::var("HUOSHUI_TEST_BACKEND").as_deref() == Ok("postgres") {
        let url = pg::testing::url().unwrap().expect("HUOSHUI_TEST_PG_URL");
        let schema = pg::testing::fresh_schema(&url).unwrap();
        Target::Postgres(Arc::new(pg::PgTarget::parse(&url, Some(&schema)).unwrap()))
    } else {
        Target::Sqlite(dir.path().join("platform.sqlite3"))
    };
    let a = Db::open_target(&target).unwrap();
    let b = Db::open_target(&target).unwrap();
    Nodes { a, b, _dir: dir }
}

async fn enqueue(db: &Db, n: usize, due_at: i64) {
    db.write(move |tx| {
        for i in 0..n {
            claims::enqueue(tx, &format!("task-{i:04}"), "test_effect", "u-1", due_at)?;
        }
        Ok(())
    })
    .await
    .unwrap();
}

type Log = Arc<Mutex<Vec<(&'static str, String)>>>;

/// Runs the outbox on `db` as node `name`, recording every effect it performs; each effect
/// takes a few milliseconds, so the other node claims while this one sends.
async fn run_as(db: Db, name: &'static str, now: i64, log: Log) -> claims::Ran {
    claims::run(&db, now, |c: Claimed| {
        let log = log.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            log.lock().unwrap().push((name, c.subject));
            Outcome::Done
        }
    })
    .await
    .unwrap()
}

async fn rows(db: &Db) -> Vec<(String, Option<i64>, i64)> {
    db.read(|tx| {
        let mut stmt =
            tx.prepare("SELECT subject, done_at, attempts FROM outbox ORDER BY subject")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_claiming_the_same_due_effects_at_once_perform_each_exactly_once() {
    let nodes = two_nodes();
    enqueue(&nodes.a, 600, T0).await;
    let log: Log = Arc::default();
    let (ran_a, ran_b) = tokio::join!(
        tokio::spawn(run_as(nodes.a.clone(), "a", T0, log.clone())),
        tokio::spawn(run_as(nodes.b.clone(), "b", T0, log.clone())),
    );
    let (ran_a, ran_b) = (ran_a.unwrap(), ran_b.unwrap());
    let log = log.lock().unwrap().clone();
    let mut times: HashMap<&str, usize> = HashMap::new();
    for (_, subject) in &log {
        *times.entry(subject.as_str()).or_default() += 1;
    }
    assert_eq!(times.len(), 600, "every effect performed");
    assert!(times.values().all(|&n| n == 1), "no effect performed twice");
    assert_eq!(ran_a.claimed + ran_b.claimed, 600);
    assert!(
        ran_a.claimed > 0 && ran_b.claimed > 0,
        "both nodes took a share: a {} b {}",
        ran_a.claimed,
        ran_b.claimed
    );
    let stored = rows(&nodes.b).await;
    assert!(
        stored
            .iter()
            .all(|(_, done, attempts)| done.is_some() && *attempts == 1)
    );
    // A later run on either node finds nothing left to do.
    let again: Log = Arc::default();
    assert_eq!(
        run_as(nodes.a.clone(), "a", T0 + 1, again.clone())
            .await
            .claimed,
        0
    );
    assert!(again.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deciding_an_effect_twice_enqueues_it_once() {
    let nodes = two_nodes();
    let first = nodes
        .a
        .write(|tx| claims::enqueue(tx, "task-1", "test_effect", "u-1", T0))
        .await
        .unwrap();
    let second = nodes
        .b
        .write(|tx| claims::enqueue(tx, "task-1", "test_effect", "u-1", T0 + 5))
        .await
        .unwrap();
    assert!(first && !second);
    assert_eq!(rows(&nodes.a).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_whose_node_died_is_taken_by_another_node_once_its_lease_expires() {
    let nodes = two_nodes();
    enqueue(&nodes.a, 3, T0).await;
    // Node a claims everything due and dies before performing anything.
    let taken = nodes
        .a
        .claim_tx(|tx| claims::claim_due(tx, "node-a", T0, 10))
        .await
        .unwrap();
    assert_eq!(taken.len(), 3);
    drop(nodes.a);
    let log: Log = Arc::default();
    let early = run_as(nodes.b.clone(), "b", T0 + LEASE_MS - 1, log.clone()).await;
    assert_eq!(early.claimed, 0, "a live lease is respected");
    assert!(log.lock().unwrap().is_empty());
    let late = run_as(nodes.b.clone(), "b", T0 + LEASE_MS, log.clone()).await;
    assert_eq!(late.claimed, 3, "an expired lease is taken over");
    assert_eq!(log.lock().unwrap().len(), 3);
    let stored = rows(&nodes.b).await;
    assert!(
        stored
            .iter()
            .all(|(_, done, attempts)| done.is_some() && *attempts == 2)
    );
    let after = run_as(nodes.b.clone(), "b", T0 + 2 * LEASE_MS, log.clone()).await;
    assert_eq!(after.claimed, 0, "done is done");
    assert_eq!(log.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_effect_is_tried_again_after_the_retry_delay_until_its_last_attempt() {
    let nodes = two_nodes();
    enqueue(&nodes.a, 1, T0).await;
    let tries = Arc::new(Mutex::new(0));
    let mut now = T0;
    for _ in 0..MAX_ATTEMPTS + 2 {
        let t = tries.clone();
        claims::run(&nodes.a, now, |_c| {
            let t = t.clone();
            async move {
                *t.lock().unwrap() += 1;
                Outcome::Failed
            }
        })
        .await
        .unwrap();
        let soon = claims::run(&nodes.b, now + RETRY_MS - 1, |_c| async { Outcome::Done })
            .await
            .unwrap();
        assert_eq!(soon.claimed, 0, "not before the retry delay");
        now += RETRY_MS;
    }
    assert_eq!(*tries.lock().unwrap(), MAX_ATTEMPTS);
    let outcome: String = nodes
        .a
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT outcome FROM outbox WHERE subject = ?1",
                params!["task-0000"],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(outcome, "gave_up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn finished_effects_are_pruned_after_the_keeping_time_and_pending_ones_never() {
    let nodes = two_nodes();
    enqueue(&nodes.a, 2, T0).await;
    let log: Log = Arc::default();
    claims::run(&nodes.a, T0, |c: Claimed| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(("a", c.subject.clone()));
            if c.subject == "task-0000" {
                Outcome::Done
            } else {
                Outcome::Failed
            }
        }
    })
    .await
    .unwrap();
    // The sweep prunes what finished before `now - KEEP_DAYS`; both were settled at T0.
    let keep = claims::KEEP_DAYS * 24 * 3_600_000;
    let cutoff = |now: i64| now - keep;
    assert_eq!(
        claims::prune(&nodes.b, cutoff(T0 + keep)).await.unwrap(),
        0,
        "not yet"
    );
    assert_eq!(
        claims::prune(&nodes.b, cutoff(T0 + keep + 1))
            .await
            .unwrap(),
        1
    );
    let left = rows(&nodes.a).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, "task-0001", "the unfinished effect stays");
}
