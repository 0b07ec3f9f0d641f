//! `admin copy` (issue 13): a county that ran on the embedded SQLite file moves to PostgreSQL
//! with nothing lost. The source is made by running the real platform (sign-ins, submissions,
//! a contact, a requested and uploaded document); the copy is checked table by table; then a
//! platform on PostgreSQL, with the same data folder (the same server key), serves the same
//! applications and document to the same signed-in people and keeps counting from there.
//! Needs the PostgreSQL of `scripts/pg.sh` (skipped without `HUOSHUI_TEST_PG_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, User, clock, minutes, tempdir};
use huoshui_server::copy::{self, CopyError};
use huoshui_server::db::Target;
use huoshui_server::keys::sha256_hex;
use huoshui_server::sql::{Tx, pg};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

/// Runs a county on SQLite: two villagers' applications, a contact, an uploaded document.
/// Answers the villager, the manager and the uploaded document's id and bytes.
async fn run_county(p: &Platform) -> (User, User, String, Vec<u8>) {
    let villager = p.login("v001").await;
    let product = p.product_of_bank("runchang").await;
    let id = villager.apply(&product).await;
    villager.apply(&product).await;
    p.login("v002").await.apply(&product).await;
    let detail = villager.get(&format!("/v1/applications/{id}")).await;
    let manager = p.login(detail.body["manager_id"].as_str().unwrap()).await;
    p.clock.advance(minutes(3));
    let contacted = manager
        .post(
            &format!("/v1/applications/{id}/contact"),
            json!({"note": "已联系"}),
        )
        .await;
    assert_eq!(contacted.status, StatusCode::OK, "{}", contacted.text);
    for step in ["start-review", "request-documents"] {
        let r = manager
            .post(
                &format!("/v1/applications/{id}/{step}"),
                json!({"kinds": ["land_contract"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.text);
    }
    let doc: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let up = villager
        .post(
            &format!("/v1/applications/{id}/documents"),
            json!({"kind": "land_contract", "size": doc.len(), "sha256": sha256_hex(&doc)}),
        )
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    let upload = up.body["upload_id"].as_str().unwrap().to_owned();
    let put = villager
        .http
        .put(format!("{}/v1/uploads/{upload}/chunks/0", villager.base))
        .bearer_auth(&villager.token)
        .body(doc.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let done = villager
        .post(&format!("/v1/uploads/{upload}/complete"), json!({}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    (villager, manager, upload, doc)
}

async fn document(user: &User, upload: &str) -> Vec<u8> {
    let got = user
        .http
        .get(format!("{}/v1/documents/{upload}/content", user.base))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    got.bytes().await.unwrap().to_vec()
}

fn on(p: &Platform, user: &User) -> User {
    User {
        base: p.base.clone(),
        ..user.clone()
    }
}

async fn copy_blocking(from: &Target, to: &Target) -> Result<copy::CopyReport, CopyError> {
    let (from, to) = (from.clone(), to.clone());
    // Pages of 7 rows: most tables cross page boundaries, on one- and two-column keys.
    tokio::task::spawn_blocking(move || copy::copy_in_pages(&from, &to, 7))
        .await
        .unwrap()
}

/// One figure read straight from the PostgreSQL schema.
async fn figure(target: &Target, sql: &'static str) -> i64 {
    let Target::Postgres(pg) = target.clone() else {
        panic!("a PostgreSQL target")
    };
    tokio::task::spawn_blocking(move || {
        let mut conn = pg.connect().unwrap();
        Tx::postgres(&mut conn)
            .query_row(sql, (), |r| r.get::<_, i64>(0))
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_county_copied_to_postgres_serves_the_same_applications_to_the_same_villager() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let tmp = tempdir();
    let p = Platform::start_configured(tmp.path(), clock(), |c| c.database = None).await;
    let (villager, manager, upload, doc) = run_county(&p).await;
    let listed = villager.get("/v1/applications").await;
    assert_eq!(listed.status, StatusCode::OK);
    let clock = p.stop().await;
    // The newest feed row is pruned (as after 7 days): its id must never be handed out again.
    let pruned: i64 = {
        let conn = rusqlite::Connection::open(tmp.path().join("platform.sqlite3")).unwrap();
        let last = conn
            .query_row("SELECT MAX(id) FROM feed", [], |r| r.get(0))
            .unwrap();
        conn.execute("DELETE FROM feed WHERE id = ?1", [last])
            .unwrap();
        last
    };

    let schema = pg::testing::fresh_schema(&url).unwrap();
    let target = Target::Postgres(Arc::new(pg::PgTarget::parse(&url, Some(&schema)).unwrap()));
    let source = Target::Sqlite(tmp.path().join("platform.sqlite3"));
    let report = copy_blocking(&source, &target).await.unwrap();
    assert!(report.all_same(), "{report:?}");
    let rows = |name: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == name)
            .map(|t| t.target_rows)
            .unwrap_or_else(|| panic!("table {name} not copied"))
    };
    assert_eq!(rows("applications"), 3);
    assert!(rows("events") >= 8, "every application's history");
    assert!(rows("sessions") >= 3, "the signed-in people stay signed in");
    assert_eq!(rows("upload_chunks"), 1);
    assert!(rows("feed") > 0 && rows("supervision_totals") > 0);

    let again = copy_blocking(&source, &target).await;
    assert!(
        matches!(again, Err(CopyError::TargetNotEmpty(_))),
        "a second copy is refused: {again:?}"
    );

    let p =
        Platform::start_configured(tmp.path(), clock, |c| c.database = Some(target.clone())).await;
    let (villager, manager) = (on(&p, &villager), on(&p, &manager));
    let served = villager.get("/v1/applications").await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.text);
    assert_eq!(served.body, listed.body, "the same applications, as before");
    assert_eq!(
        document(&manager, &upload).await,
        doc,
        "the document, whole"
    );

    // The counters were copied, not counted again by the triggers, which are back on.
    let applied = "SELECT CAST(SUM(applied_n) AS BIGINT) FROM supervision_totals";
    assert_eq!(figure(&target, applied).await, 3);
    let off = "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'";
    assert_eq!(figure(&target, off).await, 0, "every trigger enabled again");
    // The next feed id is past every id SQLite handed out, the pruned last one too.
    let next = "SELECT nextval(pg_get_serial_sequence('feed', 'id'))";
    assert_eq!(figure(&target, next).await, pruned + 1);
    p.stop().await;
    pg::testing::drop_schema(&url, &schema).unwrap();
}
