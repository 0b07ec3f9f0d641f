//! The assigned manager's name and work phone go to the villager who owns the application, in
//! its detail, and to no one else: not another villager, not the application's list, not a
//! manager of the bank, not the answer to a command.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, tempdir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_villager_who_owns_the_application_gets_the_assigned_managers_name_and_work_phone() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let owner = p.login("v001").await;
    let x = owner.apply(&p.product_of_bank("runchang").await).await;
    let d = owner.get(&format!("/v1/applications/{x}")).await;
    let manager = d.body["manager_id"].as_str().unwrap().to_owned();
    let work_phone = p.phone_of(&manager);
    assert_eq!(
        d.body["manager"]["phone"],
        work_phone.as_str(),
        "{}",
        d.text
    );
    assert!(!d.body["manager"]["name"].as_str().unwrap().is_empty());
    assert!(
        !d.text.contains("\"villager\":{"),
        "the villager gets no contact of their own"
    );

    let mut others = Vec::new();
    for id in ["v002", &manager, "m-runchang-2", "m-abc-1", "admin"] {
        others.push(p.login(id).await);
    }
    for u in &others {
        for path in [
            format!("/v1/applications/{x}"),
            "/v1/applications".to_owned(),
        ] {
            let a = u.get(&path).await;
            assert!(
                !a.text.contains("\"manager\":{"),
                "{} {path}: {}",
                u.id,
                a.text
            );
        }
    }
    let listed = owner.get("/v1/applications").await;
    assert!(!listed.text.contains(&work_phone), "not in the list");
    let answer = owner
        .post(
            &format!("/v1/applications/{x}/withdraw"),
            serde_json::json!({}),
        )
        .await;
    assert!(answer.status.is_success(), "{}", answer.text);
    assert!(
        !answer.text.contains(&work_phone),
        "not in a command's answer"
    );
    p.stop().await;
}
