//! The storage seam's contract (issue 13): the same statements about the login-code limits and
//! the idempotency keys, the login codes, both kinds of sessions and the users, run on the embedded SQLite database and on PostgreSQL. Two handles on
//! one database stand for two nodes: what one counts or keeps, the other sees.
//!
//! Each node is a `Db` (the handle every request of a server uses): on SQLite two handles on one
//! file, on PostgreSQL two handles on one schema, each with its own writer.
//! PostgreSQL comes from `scripts/pg.sh` (`HUOSHUI_TEST_PG_URL`); each test makes its own schema
//! `t_<random>` and drops it at the end. Without the URL these tests skip with a message, or
//! fail when `HUOSHUI_REQUIRE_PG=1` (the test command sets it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::lifecycle::Role;
use huoshui_server::auth::{MAX_ATTEMPTS, use_code};
use huoshui_server::code_limits::{CodeLimits, admit};
use huoshui_server::db::{Db, Target};
use huoshui_server::error::ApiError;
use huoshui_server::repo::pg::postgres;
use huoshui_server::repo::pg_schema;
use huoshui_server::repo::{KeptAnswer, Repository, UserRow};
use huoshui_server::sql::pg::{self, PgTarget};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const T0: i64 = 1_790_000_000_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// Asks for a code for `phone` from `client` at `now_ms`, through the seam.
async fn ask<R: Repository>(
    node: &R,
    limits: CodeLimits,
    phone: &str,
    client: Option<&str>,
    now_ms: i64,
) -> Result<(), ApiError> {
    let (phone, client) = (phone.to_owned(), client.map(str::to_owned));
    node.transact(move |s| admit(s, &limits, &phone, client.as_deref(), now_ms))
        .await
}

/// Runs a command once per (user, key): the kept answer if there is one, else `response`
/// (counting the run) kept in the same transaction.
async fn answer_once<R: Repository>(
    node: &R,
    runs: &Arc<AtomicUsize>,
    user: &str,
    key: &str,
    response: &str,
) -> Result<KeptAnswer, ApiError> {
    let (user, key, runs) = (user.to_owned(), key.to_owned(), runs.clone());
    let answer = KeptAnswer {
        request_hash: "hash-of-the-request".into(),
        status: 201,
        response: response.to_owned(),
    };
    node.transact(move |s| {
        if let Some(kept) = s.kept_answer(&user, &key)? {
            return Ok(kept);
        }
        runs.fetch_add(1, Ordering::SeqCst);
        s.keep_answer(&user, &key, &answer, T0)?;
        Ok(answer)
    })
    .await
}

async fn a_second_code_within_a_minute_waits_for_the_rest_of_it<R: Repository>(nodes: &[R]) {
    let limits = CodeLimits::default();
    ask(&nodes[0], limits, "phone-a", None, T0).await.unwrap();
    let refused = ask(&nodes[0], limits, "phone-a", None, T0 + 20_000)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "too_many_codes");
    assert_eq!(refused.retry_after, Some(40));
    ask(&nodes[0], limits, "phone-b", None, T0 + 20_000)
        .await
        .unwrap();
    ask(&nodes[0], limits, "phone-a", None, T0 + MINUTE + 1)
        .await
        .unwrap();
}

async fn the_eleventh_code_in_a_day_waits_until_the_first_is_a_day_old<R: Repository>(nodes: &[R]) {
    let limits = CodeLimits::default();
    for i in 0..10 {
        let node = &nodes[i % nodes.len()];
        ask(node, limits, "phone-a", None, T0 + i as i64 * 2 * MINUTE)
            .await
            .unwrap();
    }
    let at = T0 + 20 * MINUTE;
    let refused = ask(&nodes[0], limits, "phone-a", None, at)
        .await
        .unwrap_err();
    assert_eq!(
        refused.retry_after,
        Some(u64::try_from((DAY - 20 * MINUTE) / 1000).unwrap())
    );
    ask(&nodes[0], limits, "phone-a", None, T0 + DAY + 1)
        .await
        .unwrap();
}

async fn a_code_counted_on_one_node_is_seen_by_the_other<R: Repository>(nodes: &[R]) {
    let (a, b) = (&nodes[0], &nodes[1]);
    let limits = CodeLimits {
        per_client_per_hour: 2,
        ..CodeLimits::default()
    };
    ask(a, limits, "phone-a", Some("client-x"), T0)
        .await
        .unwrap();
    let refused = ask(b, limits, "phone-a", Some("client-y"), T0 + 1_000)
        .await
        .unwrap_err();
    assert_eq!(refused.retry_after, Some(59));
    ask(b, limits, "phone-b", Some("client-x"), T0 + 2_000)
        .await
        .unwrap();
    let refused = ask(a, limits, "phone-c", Some("client-x"), T0 + 3_000)
        .await
        .unwrap_err();
    assert_eq!(
        refused.code, "too_many_codes",
        "the client's third code in the hour"
    );
}

async fn codes_asked_for_one_phone_on_two_nodes_at_once_issue_one<R: Repository>(nodes: &[R]) {
    let limits = CodeLimits::default();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let node = nodes[i % nodes.len()].clone();
        tasks.push(tokio::spawn(async move {
            ask(&node, limits, "phone-a", None, T0 + i as i64).await
        }));
    }
    let mut issued = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => issued += 1,
            Err(e) => assert_eq!(e.code, "too_many_codes"),
        }
    }
    assert_eq!(issued, 1);
}

async fn an_answer_kept_on_one_node_is_replayed_by_the_other<R: Repository>(nodes: &[R]) {
    let runs = Arc::new(AtomicUsize::new(0));
    let first = answer_once(&nodes[0], &runs, "villager-1", "key-1", "first")
        .await
        .unwrap();
    let again = answer_once(&nodes[1], &runs, "villager-1", "key-1", "second")
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(again.response, "first");
    assert_eq!(again.status, 201);
    let other = answer_once(&nodes[1], &runs, "villager-2", "key-1", "theirs")
        .await
        .unwrap();
    assert_eq!(other.response, "theirs", "a key is the user's own");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

async fn one_key_sent_to_two_nodes_at_once_runs_the_command_once<R: Repository>(nodes: &[R]) {
    let runs = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (node, runs) = (nodes[i % nodes.len()].clone(), runs.clone());
        tasks.push(tokio::spawn(async move {
            answer_once(&node, &runs, "villager-1", "key-1", &format!("from {i}")).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap().unwrap());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
}

async fn an_answer_is_kept_only_when_its_change_commits<R: Repository>(nodes: &[R]) {
    let failed = nodes[0]
        .transact(|s| {
            let answer = KeptAnswer {
                request_hash: "h".into(),
                status: 201,
                response: "lost".into(),
            };
            s.keep_answer("villager-1", "key-1", &answer, T0)?;
            Err::<(), _>(ApiError::bad_request("refused", "拒绝", "refused"))
        })
        .await;
    assert!(failed.is_err());
    let kept = nodes[1]
        .transact(|s| s.kept_answer("villager-1", "key-1"))
        .await
        .unwrap();
    assert_eq!(kept, None);
}

async fn a_code_kept_on_one_node_is_used_once_on_the_other<R: Repository>(nodes: &[R]) {
    let (a, b) = (&nodes[0], &nodes[1]);
    a.transact(|s| s.put_login_code("phone-a", "hash-of-123456", T0 + 5 * MINUTE))
        .await
        .unwrap();
    let wrong = b
        .transact(|s| use_code(s, "phone-a", "hash-of-000000", T0))
        .await
        .unwrap();
    assert!(!wrong);
    let tries = a.transact(|s| s.login_code("phone-a")).await.unwrap();
    assert_eq!(
        tries.unwrap().attempts,
        1,
        "the wrong try counted on the other node"
    );
    let mut tasks = Vec::new();
    for i in 0..16 {
        let node = nodes[i % nodes.len()].clone();
        tasks.push(tokio::spawn(async move {
            node.transact(|s| use_code(s, "phone-a", "hash-of-123456", T0 + 1))
                .await
        }));
    }
    let mut used = 0;
    for t in tasks {
        used += usize::from(t.await.unwrap().unwrap());
    }
    assert_eq!(used, 1, "a code typed on two nodes at once signs in once");
}

async fn an_expired_or_exhausted_code_is_forgotten<R: Repository>(nodes: &[R]) {
    let node = &nodes[0];
    node.transact(|s| s.put_login_code("phone-a", "right", T0 + MINUTE))
        .await
        .unwrap();
    let late = node
        .transact(|s| use_code(s, "phone-a", "right", T0 + MINUTE + 1))
        .await
        .unwrap();
    assert!(!late);
    assert_eq!(
        node.transact(|s| s.login_code("phone-a")).await.unwrap(),
        None
    );
    node.transact(|s| s.put_login_code("phone-b", "right", T0 + MINUTE))
        .await
        .unwrap();
    for _ in 0..MAX_ATTEMPTS {
        let tried = node.transact(|s| use_code(s, "phone-b", "wrong", T0)).await;
        assert!(!tried.unwrap());
    }
    let exhausted = node
        .transact(|s| use_code(s, "phone-b", "right", T0))
        .await
        .unwrap();
    assert!(
        !exhausted,
        "the right code after five wrong tries does not sign in"
    );
}

async fn a_session_opened_on_one_node_works_and_ends_on_the_other<R: Repository>(nodes: &[R]) {
    let (a, b) = (&nodes[0], &nodes[1]);
    a.transact(|s| s.open_session("token-hash-1", "villager-1", T0 + DAY))
        .await
        .unwrap();
    let seen = b
        .transact(|s| s.session_user("token-hash-1", T0))
        .await
        .unwrap();
    assert_eq!(seen.as_deref(), Some("villager-1"));
    let after_its_end = b
        .transact(|s| s.session_user("token-hash-1", T0 + DAY))
        .await
        .unwrap();
    assert_eq!(after_its_end, None);
    b.transact(|s| s.end_session("token-hash-1")).await.unwrap();
    let ended = a
        .transact(|s| s.session_user("token-hash-1", T0))
        .await
        .unwrap();
    assert_eq!(
        ended, None,
        "logged out on one node, the token stops on the other"
    );
}

async fn a_browser_session_keeps_its_csrf_across_nodes_and_ends_on_both<R: Repository>(
    nodes: &[R],
) {
    let (a, b) = (&nodes[0], &nodes[1]);
    a.transact(|s| s.open_browser_session("cookie-hash-1", "admin-1", "csrf-1", T0, T0 + DAY))
        .await
        .unwrap();
    let seen = b
        .transact(|s| s.browser_session("cookie-hash-1", T0 + 1))
        .await
        .unwrap();
    assert_eq!(seen, Some(("admin-1".to_owned(), "csrf-1".to_owned())));
    let later = T0 + DAY;
    assert_eq!(
        b.transact(move |s| s.browser_session("cookie-hash-1", later))
            .await
            .unwrap(),
        None,
        "a session has ended at its end"
    );
    b.transact(move |s| {
        s.open_browser_session("cookie-hash-2", "admin-1", "csrf-2", later, later + DAY)
    })
    .await
    .unwrap();
    a.transact(|s| s.end_browser_session("cookie-hash-2"))
        .await
        .unwrap();
    let ended = b
        .transact(move |s| s.browser_session("cookie-hash-2", later))
        .await
        .unwrap();
    assert_eq!(ended, None);
}

fn manager_row() -> UserRow {
    UserRow {
        id: "m-1".into(),
        role: Role::Manager,
        phone_mac: "mac-of-the-managers-phone".into(),
        phone_masked: "138****0001".into(),
        name: "客户经理".into(),
        town: None,
        bank_id: Some("bank-1".into()),
        points: None,
        phone_sealed: vec![7; 40],
        towns: vec!["town-b".into(), "town-a".into()],
    }
}

async fn a_user_seeded_on_one_node_is_found_on_the_other_once<R: Repository>(nodes: &[R]) {
    let mut tasks = Vec::new();
    for i in 0..4 {
        let node = nodes[i % nodes.len()].clone();
        tasks.push(tokio::spawn(async move {
            node.transact(|s| s.seed_user(&manager_row())).await
        }));
    }
    let mut added = 0;
    for t in tasks {
        added += usize::from(t.await.unwrap().unwrap());
    }
    assert_eq!(added, 1, "seeding on two nodes at once adds the user once");
    let user = nodes[1].transact(|s| s.user("m-1")).await.unwrap().unwrap();
    assert_eq!(user.role, Role::Manager);
    assert_eq!(
        (user.name.as_str(), user.phone.as_str()),
        ("客户经理", "138****0001")
    );
    assert_eq!(user.bank_id.as_deref(), Some("bank-1"));
    assert_eq!(user.towns, ["town-a", "town-b"]);
    let by_phone = nodes[0]
        .transact(|s| s.user_by_phone_mac("mac-of-the-managers-phone"))
        .await
        .unwrap();
    assert_eq!(by_phone.as_deref(), Some("m-1"));
    assert!(
        nodes[0]
            .transact(|s| s.user("m-2"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_villager_asks_for_a_code_on_one_node_and_signs_in_on_the_other<R: Repository>(
    nodes: &[R],
) {
    let (a, b) = (&nodes[0], &nodes[1]);
    let villager = UserRow {
        id: "v-1".into(),
        role: Role::Villager,
        phone_mac: "mac-v".into(),
        town: Some("town-a".into()),
        bank_id: None,
        points: Some(120),
        towns: Vec::new(),
        ..manager_row()
    };
    a.transact(move |s| s.seed_user(&villager)).await.unwrap();
    a.transact(|s| {
        admit(s, &CodeLimits::default(), "mac-v", None, T0)?;
        s.put_login_code("mac-v", "hash-of-code", T0 + 5 * MINUTE)
    })
    .await
    .unwrap();
    let signed_in = b
        .transact(|s| {
            if !use_code(s, "mac-v", "hash-of-code", T0 + MINUTE)? {
                return Ok(None);
            }
            let Some(id) = s.user_by_phone_mac("mac-v")? else {
                return Ok(None);
            };
            s.open_session("token-hash-v", &id, T0 + DAY)?;
            Ok(Some(id))
        })
        .await
        .unwrap();
    assert_eq!(signed_in.as_deref(), Some("v-1"));
    let who = a
        .transact(|s| match s.session_user("token-hash-v", T0 + 2 * MINUTE)? {
            Some(id) => s.user(&id),
            None => Ok(None),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((who.id.as_str(), who.points), ("v-1", Some(120)));
}

/// Two SQLite handles on one file (two writers: the file's lock orders them).
fn sqlite_nodes() -> (Vec<Db>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platform.sqlite3");
    let nodes = (0..2).map(|_| Db::open(&path).unwrap()).collect();
    (nodes, dir)
}

/// A node on PostgreSQL: a [`Db`] on `schema` (opened off the async workers: it connects and
/// migrates before it answers).
async fn pg_node(url: &str, schema: &str) -> Result<Db, String> {
    let target = PgTarget::parse(url, Some(schema))?;
    let target = Target::Postgres(Arc::new(target));
    tokio::task::spawn_blocking(move || Db::open_target(&target).map_err(|e| e.to_string()))
        .await
        .unwrap()
}

/// Two PostgreSQL handles on a fresh schema of the test server, or `None` (skip).
struct PgNodes {
    url: String,
    schema: String,
    nodes: Vec<Db>,
}

async fn pg_admin(url: String, sql: String) {
    tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client.batch_execute(&sql).unwrap();
    })
    .await
    .unwrap();
}

async fn pg_nodes() -> Option<PgNodes> {
    let url = pg::testing::url().unwrap()?;
    let made = url.clone();
    let schema = tokio::task::spawn_blocking(move || pg::testing::fresh_schema(&made))
        .await
        .unwrap()
        .unwrap();
    let (a, b) = tokio::join!(pg_node(&url, &schema), pg_node(&url, &schema));
    Some(PgNodes {
        url,
        schema,
        nodes: vec![a.unwrap(), b.unwrap()],
    })
}

impl PgNodes {
    async fn drop_schema(self) {
        let PgNodes { url, schema, nodes } = self;
        drop(nodes);
        pg_admin(url, format!("DROP SCHEMA {schema} CASCADE")).await;
    }
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (nodes, _dir) = super::sqlite_nodes();
                    super::$name(&nodes).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(pg) = super::pg_nodes().await else { return };
                    super::$name(&pg.nodes).await;
                    pg.drop_schema().await;
                }
            )*
        }
    };
}

contract!(
    a_second_code_within_a_minute_waits_for_the_rest_of_it,
    the_eleventh_code_in_a_day_waits_until_the_first_is_a_day_old,
    a_code_counted_on_one_node_is_seen_by_the_other,
    codes_asked_for_one_phone_on_two_nodes_at_once_issue_one,
    an_answer_kept_on_one_node_is_replayed_by_the_other,
    one_key_sent_to_two_nodes_at_once_runs_the_command_once,
    an_answer_is_kept_only_when_its_change_commits,
    a_code_kept_on_one_node_is_used_once_on_the_other,
    an_expired_or_exhausted_code_is_forgotten,
    a_session_opened_on_one_node_works_and_ends_on_the_other,
    a_browser_session_keeps_its_csrf_across_nodes_and_ends_on_both,
    a_user_seeded_on_one_node_is_found_on_the_other_once,
    a_villager_asks_for_a_code_on_one_node_and_signs_in_on_the_other,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_schema_newer_than_this_build_is_refused_in_words() {
    let Some(pg) = pg_nodes().await else { return };
    pg_admin(
        pg.url.clone(),
        format!(
            "INSERT INTO {}.huoshui_schema (version) VALUES (99)",
            pg.schema
        ),
    )
    .await;
    let said = pg_node(&pg.url, &pg.schema).await.err().unwrap();
    assert!(
        said.contains("升级 huoshui") && said.contains("upgrade huoshui"),
        "{said}"
    );
    pg.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_schema_of_an_older_build_is_upgraded_with_its_rows() {
    let Some(pg) = pg_nodes().await else { return };
    let schema = format!("{}_old", pg.schema);
    pg_admin(pg.url.clone(), format!("CREATE SCHEMA {schema}")).await;
    let (url, name) = (pg.url.clone(), schema.clone());
    tokio::task::spawn_blocking(move || {
        let mut config: postgres::Config = url.parse().unwrap();
        config.options(&format!("-c search_path={name}"));
        let mut client = config.connect(postgres::NoTls).unwrap();
        assert_eq!(pg_schema::migrate_to(&mut client, 1).unwrap(), 0);
        client
            .execute(
                "INSERT INTO code_requests (phone_mac, client_mac, at) VALUES ('phone-a', NULL, $1)",
                &[&T0],
            )
            .unwrap();
    })
    .await
    .unwrap();
    let upgraded = pg_node(&pg.url, &schema).await.unwrap();
    let refused = ask(
        &upgraded,
        CodeLimits::default(),
        "phone-a",
        None,
        T0 + 1_000,
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused.retry_after,
        Some(59),
        "the v1 row counts after the upgrade"
    );
    upgraded
        .transact(|s| {
            s.open_session("token-hash-1", "villager-1", T0 + DAY)?;
            s.open_browser_session("cookie-hash-1", "admin-1", "csrf-1", T0, T0 + DAY)
        })
        .await
        .unwrap();
    drop(upgraded);
    pg_admin(pg.url.clone(), format!("DROP SCHEMA {schema} CASCADE")).await;
    pg.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_schema_name_that_is_not_plain_is_refused_before_connecting() {
    let url = "postgres://huoshui@127.0.0.1:1/huoshui";
    let said = pg_node(url, "t_x; DROP").await.err().unwrap();
    assert!(
        said.contains("模式名") && said.contains("schema name"),
        "{said}"
    );
}
