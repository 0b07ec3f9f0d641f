//! Every endpoint × every role × someone else's resource: a villager sees and changes only their
//! own, a manager only their bank's and only what is assigned (or open) to them, the
//! administrator supervises but cannot approve. A refusal leaks nothing and changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    raw: Option<Vec<u8>>,
    /// Who may do it (demo ids); everyone else must be refused.
    allowed: &'static [&'static str],
}

fn case(
    method: Method,
    path: String,
    body: Option<Value>,
    allowed: &'static [&'static str],
) -> Case {
    Case {
        method,
        path,
        body,
        raw: None,
        allowed,
    }
}

const EVERYONE: [&str; 6] = [
    "v001",
    "v004",
    "m-runchang-1",
    "m-runchang-2",
    "m-abc-1",
    "admin",
];

async fn send(user: Option<&User>, p: &Platform, c: &Case) -> (StatusCode, String) {
    let mut req = p
        .http
        .request(c.method.clone(), format!("{}{}", p.base, c.path));
    if let Some(u) = user {
        req = req.bearer_auth(&u.token);
    }
    if let Some(b) = &c.body {
        req = req.json(b);
    }
    if let Some(raw) = &c.raw {
        req = req.body(raw.clone());
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_touches_what_is_not_theirs() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let mut users = Vec::new();
    for id in EVERYONE {
        users.push(p.login(id).await);
    }
    let owner = &users[0];
    let product = p.product_of_bank("runchang").await;
    let x = owner.apply(&product).await;
    let doc = b"land contract scan".to_vec();
    let sha = huoshui_server::keys::sha256_hex(&doc);
    let up = owner
        .post(
            &format!("/v1/applications/{x}/documents"),
            json!({"kind": "land_contract", "size": doc.len(), "sha256": sha}),
        )
        .await;
    let u = up.body["upload_id"].as_str().unwrap().to_owned();
    let put = p
        .http
        .put(format!("{}/v1/uploads/{u}/chunks/0", p.base))
        .bearer_auth(&owner.token)
        .body(doc.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(
        owner
            .post(&format!("/v1/uploads/{u}/complete"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let before = owner.get(&format!("/v1/applications/{x}")).await.body;
    let secret_amount = before["amount_fen"].to_string();

    let mut cases = vec![
        case(
            Method::GET,
            format!("/v1/applications/{x}"),
            None,
            &["v001", "m-runchang-1", "admin"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/withdraw"),
            Some(json!({})),
            &["v001"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/accept"),
            None,
            &["v001"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/provide-documents"),
            None,
            &["v001"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/contact"),
            Some(json!({"note": "n"})),
            &["m-runchang-1"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/request-documents"),
            Some(json!({"kinds": ["lease"]})),
            &["m-runchang-1"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/start-review"),
            None,
            &["m-runchang-1"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/approve"),
            Some(json!({"amount_fen": product.1, "months": product.2, "annual_rate_ppm": 40_000})),
            &["m-runchang-1"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/reject"),
            Some(json!({"reason": "r"})),
            &["m-runchang-1"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/disburse"),
            Some(json!({"amount_fen": 1})),
            &["m-runchang-1"],
        ),
        case(
            Method::POST,
            format!("/v1/applications/{x}/documents"),
            Some(json!({"kind": "lease", "size": 3, "sha256": "ab".repeat(32)})),
            &["v001"],
        ),
        case(
            Method::GET,
            format!("/v1/applications/{x}/documents"),
            None,
            &["v001", "m-runchang-1", "admin"],
        ),
        case(Method::GET, format!("/v1/uploads/{u}"), None, &["v001"]),
        case(
            Method::POST,
            format!("/v1/uploads/{u}/complete"),
            None,
            &["v001"],
        ),
        case(
            Method::GET,
            format!("/v1/documents/{u}/content"),
            None,
            &["v001", "m-runchang-1", "admin"],
        ),
        case(
            Method::GET,
            "/v1/manager/inbox".to_owned(),
            None,
            &["m-runchang-1", "m-runchang-2", "m-abc-1"],
        ),
        case(
            Method::GET,
            "/v1/admin/escalations".to_owned(),
            None,
            &["admin"],
        ),
        case(
            Method::GET,
            "/v1/admin/figures".to_owned(),
            None,
            &["admin"],
        ),
        case(
            Method::POST,
            format!("/v1/admin/applications/{x}/reassign"),
            Some(json!({"manager_id": "m-runchang-2"})),
            &["admin"],
        ),
        case(
            Method::POST,
            format!("/v1/admin/applications/{x}/acknowledge"),
            Some(json!({})),
            &["admin"],
        ),
        case(Method::GET, "/v1/me".to_owned(), None, &EVERYONE),
        case(Method::GET, "/v1/applications".to_owned(), None, &EVERYONE),
    ];
    cases.push(Case {
        method: Method::PUT,
        path: format!("/v1/uploads/{u}/chunks/0"),
        body: None,
        raw: Some(b"overwrite".to_vec()),
        allowed: &["v001"],
    });
    // The administrator may never approve, reject or disburse, even though they may see the file.
    let admin_cannot = [
        "approve",
        "reject",
        "disburse",
        "contact",
        "start-review",
        "request-documents",
    ];

    for c in &cases {
        let (status, text) = send(None, &p, c).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous {} {}",
            c.method,
            c.path
        );
        assert!(
            !text.contains("amount_fen") && !text.contains("v001"),
            "anonymous leak: {text}"
        );
        for u in &users {
            if c.allowed.contains(&u.id.as_str()) {
                continue;
            }
            let (status, text) = send(Some(u), &p, c).await;
            assert!(
                matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{} {} {} answered {status}: {text}",
                u.id,
                c.method,
                c.path
            );
            assert!(
                !text.contains("amount_fen")
                    && !text.contains(&secret_amount)
                    && !text.contains("v001"),
                "leak to {}: {text}",
                u.id
            );
            assert!(
                !text.contains(&sha),
                "leak of the document hash to {}",
                u.id
            );
        }
    }
    for action in admin_cannot {
        let c = cases
            .iter()
            .find(|c| c.path.ends_with(&format!("/{action}")))
            .unwrap();
        let (status, _) = send(Some(&users[5]), &p, c).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "admin {action}");
    }

    // Nothing changed.
    let after = owner.get(&format!("/v1/applications/{x}")).await.body;
    assert_eq!(after["last_seq"], before["last_seq"]);
    assert_eq!(after["state"], before["state"]);
    let content = p
        .http
        .get(format!("{}/v1/documents/{u}/content", p.base))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        content.bytes().await.unwrap().as_ref(),
        doc.as_slice(),
        "the document is intact"
    );

    // Lists show only what is theirs.
    for u in &users {
        let list = u.get("/v1/applications").await;
        let has = list.body["applications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == x.as_str());
        let should = ["v001", "m-runchang-1", "admin"].contains(&u.id.as_str());
        assert_eq!(has, should, "list of {}", u.id);
        if u.id.starts_with("m-") {
            let inbox = u.get("/v1/manager/inbox").await;
            assert_eq!(
                inbox.text.contains(&x),
                u.id == "m-runchang-1",
                "inbox of {}",
                u.id
            );
        }
    }

    // The allowed readers do read.
    for id in ["v001", "m-runchang-1", "admin"] {
        let u = users.iter().find(|u| u.id == id).unwrap();
        assert_eq!(
            u.get(&format!("/v1/applications/{x}")).await.status,
            StatusCode::OK,
            "{id}"
        );
        assert_eq!(
            u.get(&format!("/v1/applications/{x}/documents"))
                .await
                .status,
            StatusCode::OK,
            "{id}"
        );
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reassignment_stays_within_the_bank_and_moves_the_file() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let v = p.login("v001").await;
    let admin = p.login("admin").await;
    let m1 = p.login("m-runchang-1").await;
    let m2 = p.login("m-runchang-2").await;
    let stranger = p.login("v004").await;
    let other_bank = p.login("m-abc-1").await;
    let mut stranger_stream = stranger.stream().await;
    let mut other_bank_stream = other_bank.stream().await;
    let x = v.apply(&p.product_of_bank("runchang").await).await;
    let other_bank = admin
        .post(
            &format!("/v1/admin/applications/{x}/reassign"),
            json!({"manager_id": "m-abc-1"}),
        )
        .await;
    assert_eq!(other_bank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = admin
        .post(
            &format!("/v1/admin/applications/{x}/reassign"),
            json!({"manager_id": "m-runchang-2"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["manager_id"], "m-runchang-2");
    assert_eq!(
        m1.get(&format!("/v1/applications/{x}")).await.status,
        StatusCode::NOT_FOUND,
        "the old manager lets go"
    );
    assert_eq!(
        m1.post(&format!("/v1/applications/{x}/contact"), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        m2.post(&format!("/v1/applications/{x}/contact"), json!({}))
            .await
            .status,
        StatusCode::OK
    );

    // Nobody else's live stream heard of x: each sees only its own sentinel.
    let own = stranger.apply(&p.product_of_bank("abc").await).await;
    for stream in [&mut stranger_stream, &mut other_bank_stream] {
        loop {
            let (_, data) = stream.next().await.unwrap();
            assert_ne!(
                data["application_id"],
                x.as_str(),
                "a stream leaked another's application"
            );
            if data["application_id"] == own.as_str() {
                break;
            }
        }
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_villagers_number_goes_only_to_the_assigned_manager_and_administrators_and_each_release_is_recorded()
 {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let owner = p.login("v001").await;
    let phone = p.phone_of("v001");
    let x = owner.apply(&p.product_of_bank("runchang").await).await;
    let assigned = p.login("m-runchang-1").await;
    let admin = p.login("admin").await;

    // The assigned manager: in the detail and in the inbox task.
    let d = assigned.get(&format!("/v1/applications/{x}")).await;
    assert_eq!(d.body["villager"]["phone"], phone.as_str(), "{}", d.text);
    assert!(!d.body["villager"]["name"].as_str().unwrap().is_empty());
    let inbox = assigned.get("/v1/manager/inbox").await;
    let task = inbox.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["application_id"] == x.as_str())
        .unwrap();
    assert_eq!(task["villager"]["phone"], phone.as_str());
    // An administrator: in the detail.
    let d = admin.get(&format!("/v1/applications/{x}")).await;
    assert_eq!(d.body["villager"]["phone"], phone.as_str());

    // Nobody else: the villager themself, another manager of the bank who serves the town (and
    // so sees the application while it is unassigned, never after), another bank's manager,
    // another villager; not in a detail, a list, an inbox or a command's answer.
    let mut others = Vec::new();
    for id in ["v001", "v002", "m-runchang-2", "m-abc-1"] {
        others.push(p.login(id).await);
    }
    for u in &others {
        for path in [
            format!("/v1/applications/{x}"),
            "/v1/applications".to_owned(),
            "/v1/manager/inbox".to_owned(),
        ] {
            let a = u.get(&path).await;
            assert!(!a.text.contains(&phone), "{} {path}: {}", u.id, a.text);
            assert!(!a.text.contains("\"villager\":{"), "{} {path}", u.id);
        }
    }
    let a = assigned
        .post(
            &format!("/v1/applications/{x}/contact"),
            json!({"outcome": "no_answer"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        !a.text.contains(&phone),
        "a command's answer carries no number"
    );
    assert_eq!(a.body["events"][3]["kind"]["outcome"], "no_answer");

    // Every release is on record: viewer and application, three so far.
    let rows: Vec<(String, String, String)> = p
        .running
        .state
        .db
        .read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT application_id, villager_id, viewer_id FROM phone_releases ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap();
    p.stop().await;
    let viewers: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(viewers, ["m-runchang-1", "m-runchang-1", "admin"]);
    assert!(rows.iter().all(|r| r.0 == x && r.1 == "v001"));
}
