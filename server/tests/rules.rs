//! The product rules on the platform: a submission is checked by the same domain function the
//! phone runs (`rules::check_application`) against the villager's record — virtue points and
//! town as enrolled, never typed in — and refused with 422, its code, its words and every
//! reason. The platform refuses exactly what the phone refuses, for the same reasons.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod common;

use common::*;
use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::credit::ReasonCode;
use huoshui_core::domain::rules::{ApplicantRecord, Terms, check_application};
use huoshui_core::wire::{ApplicationView, ErrorBody, SessionResponse, UserView};
use reqwest::StatusCode;
use serde_json::json;

struct Case {
    villager: &'static str,
    product: &'static str,
    amount_fen: i64,
    months: u32,
    industry: Option<&'static str>,
    /// What the platform must answer: `Ok` or the refusal's code and its first reason.
    expect: Result<(), (&'static str, Option<ReasonCode>)>,
}

fn cases() -> Vec<Case> {
    let c = |villager, product, amount_fen, months, industry, expect| Case {
        villager,
        product,
        amount_fen,
        months,
        industry,
        expect,
    };
    use ReasonCode::*;
    vec![
        // The pear loan: 10,000 to 1,000,000 yuan over 48 to 96 months, pear growers.
        c(
            "v001",
            "runchang-suli",
            50_000_000,
            60,
            Some("pear"),
            Ok(()),
        ),
        c(
            "v001",
            "runchang-suli",
            100_000_001,
            60,
            None,
            Err(("not_eligible", Some(AmountAboveMaximum))),
        ),
        c(
            "v001",
            "runchang-suli",
            999_999,
            60,
            None,
            Err(("not_eligible", Some(AmountBelowMinimum))),
        ),
        c(
            "v001",
            "runchang-suli",
            50_000_000,
            24,
            None,
            Err(("not_eligible", Some(TermTooShort))),
        ),
        c(
            "v001",
            "runchang-suli",
            50_000_000,
            120,
            None,
            Err(("not_eligible", Some(TermTooLong))),
        ),
        c(
            "v001",
            "runchang-suli",
            50_000_000,
            60,
            Some("cherry"),
            Err(("not_eligible", Some(IndustryNotServed))),
        ),
        c(
            "v001",
            "runchang-suli",
            50_000_000,
            60,
            Some("spaceships"),
            Err(("unknown_value", None)),
        ),
        c(
            "v001",
            "no-such-loan",
            50_000_000,
            60,
            None,
            Err(("unknown_product", None)),
        ),
        // The virtue-points loan needs grade A; AAA (v001, 1,052 points) reaches 1,000,000 yuan,
        // AA (v002, 860) only 500,000; B (v004, 420) is too low; v007 has no points on record.
        c("v001", "runchang-meide", 100_000_000, 36, None, Ok(())),
        c(
            "v002",
            "runchang-meide",
            100_000_000,
            36,
            None,
            Err(("not_eligible", Some(AmountAboveGradeCap))),
        ),
        c(
            "v004",
            "runchang-meide",
            5_000_000,
            36,
            None,
            Err(("not_eligible", Some(GradeTooLow))),
        ),
        c(
            "v007",
            "runchang-meide",
            5_000_000,
            36,
            None,
            Err(("not_eligible", Some(GradeRequired))),
        ),
        // Only for five towns: v001 lives in 崇文街道, v010 in 贾镇.
        c(
            "v001",
            "cunzhen-zhenxing",
            5_000_000,
            12,
            None,
            Err(("not_eligible", Some(TownNotServed))),
        ),
        c("v010", "cunzhen-zhenxing", 5_000_000, 12, None, Ok(())),
        // Several rules at once: every reason is listed.
        c(
            "v004",
            "runchang-meide",
            500_000_000,
            6,
            None,
            Err(("not_eligible", Some(GradeTooLow))),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_refuses_exactly_what_the_phone_refuses_for_the_same_reasons() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let catalog = Catalog::embedded().unwrap();
    let mut refused = 0;
    for (n, case) in cases().into_iter().enumerate() {
        let account = p
            .running
            .demo
            .iter()
            .find(|a| a.id == case.villager)
            .unwrap();
        let record = ApplicantRecord {
            points: account.points,
            town: account.town.clone(),
            age: None,
        };
        let phone_side = check_application(
            &catalog,
            &Terms {
                product_id: case.product,
                amount: case.amount_fen,
                months: case.months,
                industry: case.industry,
                purpose: None,
            },
            &record,
        );
        let v = p.login(case.villager).await;
        let mut body = json!({"product_id": case.product, "amount_fen": case.amount_fen, "months": case.months});
        if let Some(i) = case.industry {
            body["industry"] = json!(i);
        }
        let a = v.submit(&format!("rules-{n}"), body).await;
        match (&case.expect, &phone_side) {
            (Ok(()), Ok(())) => {
                assert_eq!(a.status, StatusCode::CREATED, "case {n}: {}", a.text);
                let view: ApplicationView = serde_json::from_value(a.body).unwrap();
                assert_eq!(view.product_id, case.product);
            }
            (Err((code, first)), Err(refusal)) => {
                refused += 1;
                assert_eq!(
                    a.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "case {n}: {}",
                    a.text
                );
                let err: ErrorBody = serde_json::from_value(a.body).unwrap();
                assert_eq!(err.error.code, *code, "case {n}");
                assert_eq!(
                    err.error.code,
                    refusal.code(),
                    "case {n}: same code as the phone"
                );
                assert_eq!(
                    err.error.reasons,
                    refusal.reasons(),
                    "case {n}: same reasons"
                );
                assert_eq!(err.error.message_zh, refusal.message_zh(), "case {n}");
                assert_eq!(err.error.message_en, refusal.message_en(), "case {n}");
                if let Some(first) = first {
                    assert_eq!(err.error.reasons[0].code, *first, "case {n}");
                }
            }
            (expect, phone) => panic!("case {n}: expected {expect:?}, the phone decided {phone:?}"),
        }
    }
    assert_eq!(refused, 12);
    // The last case fails three rules at once, and says so.
    let v = p.login("v004").await;
    let a = v
        .submit(
            "rules-many",
            json!({"product_id": "runchang-meide", "amount_fen": 500_000_000, "months": 6}),
        )
        .await;
    let err: ErrorBody = serde_json::from_value(a.body).unwrap();
    let codes: Vec<ReasonCode> = err.error.reasons.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        [
            ReasonCode::GradeTooLow,
            ReasonCode::AmountAboveMaximum,
            ReasonCode::TermTooShort
        ]
    );
    // A refused submission leaves nothing behind.
    let mine = v.get("/v1/applications").await;
    assert_eq!(mine.body["applications"], json!([]));
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_villagers_points_and_grade_are_the_platforms_record() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    // Login answers the record too.
    let phone = p.phone_of("v001");
    p.http
        .post(format!("{}/v1/auth/code", p.base))
        .json(&json!({"phone": phone}))
        .send()
        .await
        .unwrap();
    let code = p.codes.latest(&phone).unwrap();
    let session: SessionResponse = p
        .http
        .post(format!("{}/v1/auth/login", p.base))
        .json(&json!({"phone": phone, "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session.user.points, Some(1052));
    assert_eq!(session.user.grade.as_deref(), Some("AAA"));

    let expect = [
        ("v001", Some(1052), Some("AAA")),
        ("v002", Some(860), Some("AA")),
        ("v003", Some(650), Some("A")),
        ("v004", Some(420), Some("B")),
        ("v005", Some(230), Some("C")),
        ("v006", Some(120), None),
        ("v007", None, None),
        ("m-runchang-1", None, None),
    ];
    for (id, points, grade) in expect {
        let me: UserView =
            serde_json::from_value(p.login(id).await.get("/v1/me").await.body).unwrap();
        assert_eq!(me.points, points, "{id}");
        assert_eq!(me.grade.as_deref(), grade, "{id}");
    }
    p.stop().await;
}
