//! Enrollment from the county's CSV files: imported villagers sign in with the virtue points
//! on their record (the grade and the eligibility check read them), a re-import updates in
//! place, and a file with bad rows imports nothing and says each line and why. The real
//! database of a real server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, User, tempdir};
use huoshui_server::directory::Directory;
use huoshui_server::enroll::{Kind, Report, import};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn run(p: &Platform, kind: Kind, text: &str, skip_bad: bool) -> Report {
    let state = &p.running.state;
    import(
        &state.db,
        state.keys.clone(),
        &Directory::embedded().unwrap(),
        kind,
        text,
        skip_bad,
    )
    .await
    .unwrap()
}

async fn sign_in(p: &Platform, phone: &str) -> Option<User> {
    let r = p
        .http
        .post(format!("{}/v1/auth/code", p.base))
        .json(&json!({"phone": phone}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let code = p.codes.latest(phone)?;
    let body: Value = p
        .http
        .post(format!("{}/v1/auth/login", p.base))
        .json(&json!({"phone": phone, "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Some(User {
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        token: body["token"].as_str().unwrap().to_owned(),
        base: p.base.clone(),
        http: p.http.clone(),
    })
}

const VILLAGERS: &str =
    "phone,name,town,points\n13600000001,孙丽,崇文街道,1052\n13600000002,周强,chongwen,\n";

#[tokio::test]
async fn imported_villagers_sign_in_with_their_points_and_a_reimport_updates_in_place() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let report = run(&p, Kind::Villagers, VILLAGERS, false).await;
    assert_eq!(
        (report.added, report.updated, report.imported),
        (2, 0, true),
        "{report:?}"
    );

    let sun = sign_in(&p, "13600000001").await.unwrap();
    let me = sun.get("/v1/me").await.body;
    assert_eq!(me["role"], "villager");
    assert_eq!(me["name"], "孙丽");
    assert_eq!(me["town"], "chongwen");
    assert_eq!(me["points"], 1052);
    assert_eq!(me["grade"], "AAA");

    // The county lowers her points: the same file shape again, updated in place.
    let lower =
        "phone,name,town,points\n13600000001,孙丽,崇文街道,120\n13600000002,周强,chongwen,\n";
    let again = run(&p, Kind::Villagers, lower, false).await;
    assert_eq!((again.added, again.updated), (0, 2));
    let me = sun.get("/v1/me").await.body;
    assert_eq!(
        (me["id"].clone(), me["points"].clone()),
        (json!(sun.id), json!(120))
    );
    assert_eq!(me["grade"], Value::Null, "120 points reach no grade");
    // The platform's eligibility check reads the imported points: 润昌美德贷 needs grade A.
    let r = sun
        .submit(
            "enroll-1",
            json!({"product_id": "runchang-meide", "amount_fen": 5_000_000, "months": 12}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "not_eligible");
    assert!(r.text.contains("grade"), "{}", r.text);
    p.stop().await;
}

#[tokio::test]
async fn a_file_with_bad_rows_imports_nothing_and_says_each_line_and_why() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let file = "phone,name,town,points\n\
                13600000011,好人,清泉街道,600\n\
                1360000001,短号,清泉街道,600\n\
                13600000013,远人,火星镇,600\n\
                13600000014,积分,清泉街道,很多\n\
                13600000011,重复,清泉街道,600\n\
                13600000016,少列\n";
    let report = run(&p, Kind::Villagers, file, false).await;
    assert!(!report.imported);
    assert_eq!((report.added, report.updated), (0, 0));
    let lines: Vec<u64> = report.refused.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7]);
    assert!(
        report.refused[1].zh.contains("火星镇") && report.refused[1].en.contains("no such town")
    );
    assert!(report.refused[2].en.contains("virtue points"));
    assert!(report.refused[3].en.contains("twice"));
    assert!(
        !format!("{report:?}").contains("1360000001,"),
        "no phone number in a refusal"
    );
    assert!(
        sign_in(&p, "13600000011").await.is_none(),
        "nothing was imported, not even the good row"
    );

    let skipped = run(&p, Kind::Villagers, file, true).await;
    assert!(skipped.imported);
    assert_eq!(
        (skipped.added, skipped.refused.len()),
        (1, 5),
        "--skip-bad imports the good row only"
    );
    p.clock.advance(common::minutes(1)); // one code a minute per phone
    assert!(sign_in(&p, "13600000011").await.is_some());

    let header = run(&p, Kind::Admins, "name,phone\n张三,13600000020\n", false).await;
    assert_eq!(header.refused[0].line, 1, "a wrong header refuses line 1");
    p.stop().await;
}

#[tokio::test]
async fn managers_get_their_bank_and_towns_and_a_phone_keeps_its_role() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    run(&p, Kind::Villagers, VILLAGERS, false).await;
    let file = "phone,name,bank,towns\n\
                13500000001,吴经理,润昌农商银行,崇文街道;qingquan\n\
                13500000002,郑经理,abc,*\n\
                13600000001,孙丽,runchang,chongwen\n\
                13500000004,王经理,火星银行,chongwen\n";
    let report = run(&p, Kind::Managers, file, false).await;
    let lines: Vec<(u64, bool)> = report
        .refused
        .iter()
        .map(|r| (r.line, r.en.contains("another role")))
        .collect();
    assert_eq!(lines, vec![(4, true), (5, false)]);
    let report = run(&p, Kind::Managers, file, true).await;
    assert_eq!(report.added, 2);
    let wu = sign_in(&p, "13500000001").await.unwrap();
    let me = wu.get("/v1/me").await.body;
    assert_eq!(me["bank_id"], "runchang");
    assert_eq!(me["towns"], json!(["chongwen", "qingquan"]));
    let zheng = sign_in(&p, "13500000002").await.unwrap();
    assert_eq!(
        zheng.get("/v1/me").await.body["towns"]
            .as_array()
            .unwrap()
            .len(),
        18
    );

    let admins = run(
        &p,
        Kind::Admins,
        "phone,name\n13700000009,县金融办\n",
        false,
    )
    .await;
    assert_eq!(admins.added, 1);
    let a = sign_in(&p, "13700000009").await.unwrap();
    assert_eq!(a.get("/v1/me").await.body["role"], "administrator");
    p.stop().await;
}
