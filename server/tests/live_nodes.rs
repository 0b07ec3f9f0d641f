//! Live streams across nodes (issue 13): two platform nodes on one PostgreSQL database. A
//! change made on node A reaches the streams held by node B (each node's feed listener hears
//! `NOTIFY huoshui_feed` and relays the committed rows to its hub), a stream on B resumes by
//! `Last-Event-ID` with exactly what it missed, and a listener whose connection is killed
//! connects again and catches up from the table. Skipped with a notice without PostgreSQL
//! (`eval "$(bash scripts/pg.sh start)"`); a failure when `HUOSHUI_REQUIRE_PG=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

/// Two nodes on one fresh schema, sharing one data folder (the server key: phones are kept
/// as a MAC under it, so every node of a county holds the same key).
async fn two_nodes(dir: &std::path::Path) -> Option<(Platform, Platform, String, String)> {
    let (url, schema, target) = shared_pg_database()?;
    let node = |target: huoshui_server::db::Target| {
        Platform::start_configured(dir, clock(), move |c| c.database = Some(target))
    };
    let a = node(target.clone()).await;
    let b = node(target).await;
    Some((a, b, url, schema))
}

/// The next message (event, application, feed id); fails when none comes within 30 s (a
/// stream's keep-alives alone never end the wait otherwise).
async fn next_event(stream: &mut EventStream) -> (String, String, i64) {
    let (_, id, data) =
        tokio::time::timeout(std::time::Duration::from_secs(30), stream.next_with_id())
            .await
            .expect("no message within 30 s")
            .expect("the stream ended before the next message");
    (
        data["event"].as_str().unwrap().to_owned(),
        data["application_id"].as_str().unwrap().to_owned(),
        id.unwrap().parse().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_on_node_a_reaches_the_managers_stream_on_node_b_once() {
    let tmp = tempdir();
    let Some((a, b, _, _)) = two_nodes(tmp.path()).await else {
        return;
    };
    let manager_on_b = b.login("m-runchang-1").await;
    let villager_on_a = a.login("v001").await;
    let mut task_stream = manager_on_b.stream().await;
    let mut own_stream = villager_on_a.stream().await;

    let x = villager_on_a
        .apply(&a.product_of_bank("runchang").await)
        .await;
    let (event, app, _) = next_event(&mut task_stream).await;
    assert_eq!((event.as_str(), app.as_str()), ("assigned", x.as_str()));

    // The manager answers on B: the villager's stream on A hears it, after exactly one
    // `assigned` (the writing node's hub is fed by its listener only, never twice).
    let a2 = manager_on_b
        .post(&format!("/v1/applications/{x}/contact"), json!({}))
        .await;
    assert_eq!(a2.status, StatusCode::OK, "{}", a2.text);
    let seen = [
        next_event(&mut own_stream).await.0,
        next_event(&mut own_stream).await.0,
    ];
    assert_eq!(seen, ["assigned", "contacted"]);
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_node_b_resumes_with_exactly_the_changes_made_on_node_a() {
    let tmp = tempdir();
    let Some((a, b, _, _)) = two_nodes(tmp.path()).await else {
        return;
    };
    let villager_on_b = b.login("v001").await;
    let manager_on_a = a.login("m-runchang-1").await;
    let mut live = villager_on_b.stream().await;
    let x = villager_on_b
        .apply(&b.product_of_bank("runchang").await)
        .await;
    let (event, _, last) = next_event(&mut live).await;
    assert_eq!(event, "assigned");
    drop(live);

    for action in ["contact", "start-review"] {
        let r = manager_on_a
            .post(&format!("/v1/applications/{x}/{action}"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    }
    let mut back = villager_on_b.stream_after(Some(&last.to_string())).await;
    let contacted = next_event(&mut back).await;
    let reviewed = next_event(&mut back).await;
    assert_eq!(
        (contacted.0.as_str(), reviewed.0.as_str()),
        ("contacted", "review_started")
    );
    assert!(last < contacted.2 && contacted.2 < reviewed.2, "in order");

    // Then live from node A, with nothing repeated.
    let r = manager_on_a
        .post(
            &format!("/v1/applications/{x}/request-documents"),
            json!({"kinds": ["lease"], "note": "请上传租赁合同"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (event, app, id) = next_event(&mut back).await;
    assert_eq!(
        (event.as_str(), app.as_str()),
        ("documents_requested", x.as_str())
    );
    assert!(id > reviewed.2);
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_whose_connection_is_killed_catches_up_from_the_feed() {
    let tmp = tempdir();
    let Some((a, b, url, schema)) = two_nodes(tmp.path()).await else {
        return;
    };
    // The villager submits on A; their own stream is held by B (it hears every application
    // of theirs, whichever manager it is routed to).
    let villager_on_a = a.login("v001").await;
    let villager_on_b = b.login("v001").await;
    let mut tasks = villager_on_b.stream().await;

    // Kill both nodes' listeners and submit while they are away (they pause before connecting
    // again): the notice of that commit reaches no one, only the catch-up from the table can
    // bring the task. A try whose commit came after a listener was back proves nothing: again.
    let listeners = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity \
         WHERE application_name = 'huoshui-feed {schema}'"
    );
    let kill = format!(
        "SELECT CAST(COUNT(pg_terminate_backend(pid)) AS BIGINT) FROM pg_stat_activity \
         WHERE application_name = 'huoshui-feed {schema}'"
    );
    let product = a.product_of_bank("runchang").await;
    let mut unheard = None;
    for _try in 0..5 {
        let mut listening = 0;
        for _ in 0..100 {
            listening = pg_number(&url, &listeners).await;
            if listening == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(listening, 2, "one listener per node, listening again");
        assert_eq!(pg_number(&url, &kill).await, 2);
        let x = villager_on_a.apply(&product).await;
        let away = pg_number(&url, &listeners).await == 0;
        let (event, app, _) = next_event(&mut tasks).await;
        assert_eq!((event.as_str(), app.as_str()), ("assigned", x.as_str()));
        if away {
            unheard = Some(x);
            break;
        }
    }
    let x = unheard.expect(
        "no submission committed while the listeners were away: the catch-up was not shown",
    );

    // And it goes on listening: the next change arrives live.
    let r = villager_on_a
        .post(&format!("/v1/applications/{x}/withdraw"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (event, _, _) = next_event(&mut tasks).await;
    assert_eq!(event, "withdrawn");
    b.stop().await;
    a.stop().await;
}

/// The supervision page's cookie after signing in through its form on `p` as `id`.
async fn page_cookie(p: &Platform, id: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie_of = |r: &reqwest::Response, name: &str| -> String {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .find_map(|v| {
                let v = v.to_str().unwrap();
                v.strip_prefix(&format!("{name}="))
                    .map(|rest| rest.split(';').next().unwrap().to_owned())
            })
            .unwrap()
    };
    let form = http
        .get(format!("{}/admin/login", p.base))
        .send()
        .await
        .unwrap();
    let login = cookie_of(&form, "huoshui_admin_login");
    let html = form.text().await.unwrap();
    let field = r#"name="csrf" value=""#;
    let rest = &html[html.find(field).unwrap() + field.len()..];
    let csrf = rest[..rest.find('"').unwrap()].to_owned();
    let phone = p.phone_of(id);
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        http.post(format!("{}{path}", p.base))
            .header("cookie", format!("huoshui_admin_login={login}"))
            .header("origin", &p.base)
            .form(&form)
            .send()
    };
    let r = post(
        "/admin/login/code",
        vec![("csrf", csrf.clone()), ("phone", phone.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let code = p.codes.latest(&phone).unwrap();
    let r = post(
        "/admin/login",
        vec![("csrf", csrf), ("phone", phone), ("code", code)],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cookie_of(&r, "huoshui_admin")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervision_wall_on_node_b_shows_a_submission_made_on_node_a() {
    let tmp = tempdir();
    let Some((a, b, _, _)) = two_nodes(tmp.path()).await else {
        return;
    };
    let cookie = page_cookie(&b, "admin").await;
    let mut wall = b
        .http
        .get(format!("{}/admin/live", b.base))
        .header("cookie", format!("huoshui_admin={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(wall.status(), StatusCode::OK);
    let x = a
        .login("v001")
        .await
        .apply(&a.product_of_bank("runchang").await)
        .await;
    // The ticker's line for the new application arrives on B's stream.
    let line = format!(r#"data-app="{x}""#);
    let mut seen = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(chunk) = wall.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&line) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "B's wall saw: {seen}");
    b.stop().await;
    a.stop().await;
}
