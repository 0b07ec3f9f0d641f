#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Credit grades as product facts: virtue points become a grade through the county table, a
//! grade unlocks products, caps amounts and discounts the rate, and eligibility always says
//! why not, in Chinese and English.

use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::credit::{CreditInput, ReasonCode, resolve};
use huoshui_core::domain::market::{MarketRequest, grade_view, offer_for};
use jiff::civil::date;

const YUAN: i64 = 100;

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn request(amount_yuan: i64, months: u32, credit: CreditInput) -> MarketRequest {
    let mut r = MarketRequest::new(amount_yuan * YUAN, months, date(2026, 11, 28));
    r.credit = credit;
    r
}

fn codes(o: &huoshui_core::domain::market::Offer) -> Vec<ReasonCode> {
    o.reasons.iter().map(|r| r.code).collect()
}

#[test]
fn a_cherry_grower_with_1052_points_is_rated_aaa() {
    let c = catalog();
    let table = &c.data().grade_table;
    let s = resolve(table, &CreditInput::Points(1052)).unwrap();
    assert_eq!(s.grade.as_deref(), Some("AAA"));
    // The table is data: the threshold of AAA decides, not a constant in code.
    let aaa = table.find("AAA").unwrap().min_points;
    assert!(1052 >= aaa);
    assert_eq!(
        resolve(table, &CreditInput::Points(aaa - 1))
            .unwrap()
            .grade
            .as_deref(),
        Some("AA")
    );
}

#[test]
fn aaa_with_1052_points_reaches_one_million_yuan_on_the_virtue_loan_while_a_does_not() {
    let c = catalog();
    let virtue = c
        .products()
        .iter()
        .find(|p| p.name_zh == "美德积分贷")
        .unwrap();
    let aaa = offer_for(
        &c,
        &request(1_000_000, 36, CreditInput::Points(1052)),
        &virtue.id,
    )
    .unwrap();
    assert!(aaa.eligible, "{:?}", aaa.reasons);
    assert_eq!(aaa.max_amount, 1_000_000 * YUAN);
    assert!(aaa.cost.is_some());

    let a_points = c.data().grade_table.find("A").unwrap().min_points;
    let a = offer_for(
        &c,
        &request(1_000_000, 36, CreditInput::Points(a_points)),
        &virtue.id,
    )
    .unwrap();
    assert!(!a.eligible);
    assert_eq!(codes(&a), [ReasonCode::AmountAboveGradeCap]);
    assert!(a.max_amount < 1_000_000 * YUAN);
    assert!(
        a.reasons[0].zh.contains("A 级最高可贷"),
        "{}",
        a.reasons[0].zh
    );
    assert!(
        a.reasons[0].en.contains("grade A can borrow at most"),
        "{}",
        a.reasons[0].en
    );

    // Within its cap, grade A can have the loan.
    let within = offer_for(
        &c,
        &request(a.max_amount / YUAN, 36, CreditInput::Grade("A".into())),
        &virtue.id,
    )
    .unwrap();
    assert!(within.eligible, "{:?}", within.reasons);
}

#[test]
fn the_virtue_loan_needs_a_grade_and_says_so() {
    let c = catalog();
    let none = offer_for(
        &c,
        &request(100_000, 24, CreditInput::Unknown),
        "runchang-meide",
    )
    .unwrap();
    assert_eq!(codes(&none), [ReasonCode::GradeRequired]);
    let low = offer_for(
        &c,
        &request(100_000, 24, CreditInput::Grade("B".into())),
        "runchang-meide",
    )
    .unwrap();
    assert_eq!(codes(&low), [ReasonCode::GradeTooLow]);
    assert!(low.reasons[0].zh.contains("需要 A 级及以上"));
    let ungraded = offer_for(
        &c,
        &request(100_000, 24, CreditInput::Points(10)),
        "runchang-meide",
    )
    .unwrap();
    assert_eq!(codes(&ungraded), [ReasonCode::GradeRequired]);
    assert!(ungraded.reasons[0].zh.contains("10 分"));
}

#[test]
fn a_better_grade_gets_the_discount_written_in_the_data() {
    let c = catalog();
    let virtue = c.product("runchang-meide").unwrap();
    let base = c.base_rate(virtue, date(2026, 11, 28)).unwrap();
    let cap = |g: &str| {
        virtue
            .grade_caps
            .iter()
            .find(|x| x.grade == g)
            .unwrap()
            .rate_discount_bp
    };
    let aaa = offer_for(
        &c,
        &request(100_000, 24, CreditInput::Grade("AAA".into())),
        "runchang-meide",
    )
    .unwrap();
    let a = offer_for(
        &c,
        &request(100_000, 24, CreditInput::Grade("a".into())),
        "runchang-meide",
    )
    .unwrap();
    assert_eq!(
        aaa.annual_rate_ppm,
        Some(base - i64::from(cap("AAA")) * 100)
    );
    assert_eq!(a.annual_rate_ppm, Some(base - i64::from(cap("A")) * 100));
    assert!(aaa.annual_rate_ppm < a.annual_rate_ppm);
    assert!(aaa.cost.unwrap().total_interest < a.cost.unwrap().total_interest);
}

#[test]
fn every_ineligible_offer_says_why_in_chinese_and_english() {
    let c = catalog();
    let mut req = request(5_000_000, 120, CreditInput::Points(300));
    req.town = Some("chongwen".into());
    req.age = Some(64);
    req.industry = Some("pear".into());
    for p in c.products() {
        let o = offer_for(&c, &req, &p.id).unwrap();
        assert!(
            !o.eligible,
            "{} should not be eligible for 5,000,000 yuan over 10 years",
            p.id
        );
        assert!(!o.reasons.is_empty());
        for r in &o.reasons {
            assert!(
                !r.zh.trim().is_empty() && !r.en.trim().is_empty(),
                "{}: {r:?}",
                p.id
            );
            assert!(
                r.zh.chars()
                    .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                "{}: {}",
                p.id,
                r.zh
            );
            assert!(r.en.is_ascii(), "{}: {}", p.id, r.en);
        }
    }
}

#[test]
fn age_at_maturity_and_town_rules_say_why_not() {
    let c = catalog();
    let mut req = request(100_000, 36, CreditInput::Unknown);
    req.age = Some(68);
    let o = offer_for(&c, &req, "runchang-lingzhi").unwrap();
    assert!(codes(&o).contains(&ReasonCode::AgeTooHigh));
    assert!(codes(&o).contains(&ReasonCode::AgeAtMaturityTooHigh));
    req.age = Some(40);
    assert!(offer_for(&c, &req, "runchang-lingzhi").unwrap().eligible);

    let pilot = c.product("cunzhen-zhenxing").unwrap();
    assert!(!pilot.eligibility.towns.is_empty());
    let mut req = request(100_000, 24, CreditInput::Unknown);
    req.town = Some("chongwen".into());
    assert!(!pilot.eligibility.towns.contains(&"chongwen".to_string()));
    let o = offer_for(&c, &req, &pilot.id).unwrap();
    assert_eq!(codes(&o), [ReasonCode::TownNotServed]);
    assert!(o.reasons[0].zh.contains("贾镇"));
    req.town = Some(pilot.eligibility.towns[0].clone());
    assert!(offer_for(&c, &req, &pilot.id).unwrap().eligible);
}

#[test]
fn an_unknown_grade_is_an_error_that_lists_the_known_ones() {
    let c = catalog();
    let err = resolve(&c.data().grade_table, &CreditInput::Grade("S".into())).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("AAA") && text.contains("没有") && text.contains("no credit grade"),
        "{text}"
    );
}

#[test]
fn the_grade_view_shows_what_points_unlock_and_how_far_the_next_grade_is() {
    let c = catalog();
    let v = grade_view(&c, 1052);
    assert_eq!(
        v.report.grade.as_ref().map(|g| g.code.as_str()),
        Some("AAA")
    );
    assert!(v.report.next.is_none());
    let virtue = v
        .products
        .iter()
        .find(|p| p.product_id == "runchang-meide")
        .unwrap();
    assert!(virtue.unlocked);
    assert_eq!(virtue.max_amount, 1_000_000 * YUAN);

    let low = grade_view(&c, 650);
    assert_eq!(
        low.report.grade.as_ref().map(|g| g.code.as_str()),
        Some("A")
    );
    let (next, missing) = low.report.next.clone().unwrap();
    assert_eq!(next.code, "AA");
    assert_eq!(missing, next.min_points - 650);
    let virtue = low
        .products
        .iter()
        .find(|p| p.product_id == "runchang-meide")
        .unwrap();
    assert!(virtue.unlocked && virtue.max_amount < 1_000_000 * YUAN);
    let none = grade_view(&c, 0);
    assert!(none.report.grade.is_none());
    assert!(
        !none
            .products
            .iter()
            .find(|p| p.product_id == "runchang-meide")
            .unwrap()
            .unlocked
    );
}
