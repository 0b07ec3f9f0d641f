#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

//! The county catalog as data: what it must contain, and how a bad file is refused.

use huoshui_core::domain::catalog::{Catalog, CatalogError, Collateral, RepaymentMethod, TownKind};
use jiff::civil::date;
use serde_json::{Value, json};

fn embedded() -> Catalog {
    Catalog::embedded().expect("the embedded catalog is valid")
}

fn embedded_value() -> Value {
    serde_json::from_str(huoshui_core::domain::catalog::EMBEDDED_JSON)
        .expect("embedded catalog is JSON")
}

fn product_mut<'a>(v: &'a mut Value, id: &str) -> &'a mut Value {
    v["products"]
        .as_array_mut()
        .expect("products array")
        .iter_mut()
        .find(|p| p["id"] == id)
        .expect("product present")
}

#[test]
fn catalog_has_at_least_24_products_from_at_least_4_banks() {
    let c = embedded();
    assert!(c.products().len() >= 24, "{} products", c.products().len());
    let mut banks: Vec<&str> = c.products().iter().map(|p| p.bank.as_str()).collect();
    banks.sort_unstable();
    banks.dedup();
    assert!(banks.len() >= 4, "{banks:?}");
    assert!(c.find_bank("润昌农商银行").is_some());
}

#[test]
fn every_product_named_in_the_design_is_in_the_catalog() {
    let c = embedded();
    for name in [
        "酥梨贷",
        "灵芝贷",
        "樱桃贷",
        "蓝天环保贷",
        "美德积分贷",
        "乡村文明贷",
    ] {
        assert!(
            c.products().iter().any(|p| p.name_zh == name),
            "missing {name}"
        );
    }
    let chain = c
        .products()
        .iter()
        .find(|p| p.name_zh.contains("冠之链"))
        .expect("冠之链 line");
    assert_eq!(chain.repayment.method, RepaymentMethod::Revolving);
    assert_eq!(chain.collateral, Collateral::Pledge);
    assert_eq!(chain.apr_cap_ppm, Some(45_000));
    assert!(c.products().iter().any(|p| p.government_guarantee
        && p.fees.guarantee_fee_ppm_per_year > 0
        && p.subsidies.guarantee_fee_subsidy_ppm > 0));
    assert!(
        c.products()
            .iter()
            .any(|p| p.subsidies.interest_subsidy_ppm_per_year > 0)
    );
}

#[test]
fn the_pear_loan_is_interest_only_for_36_months_then_amortizes() {
    let c = embedded();
    let pear = c
        .products()
        .iter()
        .find(|p| p.name_zh == "酥梨贷")
        .expect("pear loan");
    assert_eq!(pear.repayment.method, RepaymentMethod::GraceThenAmortize);
    assert_eq!(pear.repayment.grace_months, 36);
    assert!(pear.months_min > 36);
}

#[test]
fn the_county_has_18_towns_and_streets_and_the_design_sla() {
    let c = embedded();
    assert_eq!(c.data().towns.len(), 18);
    assert!(c.data().towns.iter().any(|t| t.kind == TownKind::Street));
    assert_eq!(c.data().sla.first_contact_minutes, 5);
    assert_eq!(c.data().sla.escalation_minutes, 10);
    assert_eq!(
        c.data().sla.unopened_sms_minutes,
        2,
        "the ladder's text to an unopened task"
    );
    assert!(c.find_town("贾镇").is_some());
    assert!(c.find_town("崇文").is_some());
}

#[test]
fn lpr_is_looked_up_by_date() {
    let c = embedded();
    let now = c.lpr_on(date(2026, 11, 28)).expect("LPR in force");
    assert_eq!((now.one_year_ppm, now.five_year_ppm), (30_000, 35_000));
    assert!(
        !now.illustrative,
        "the 2025-05-20 LPR is a fact from the issue"
    );
    let day_of_change = c.lpr_on(date(2025, 5, 20)).expect("LPR in force");
    assert_eq!(day_of_change.since, date(2025, 5, 20));
    let day_before = c.lpr_on(date(2025, 5, 19)).expect("an earlier LPR");
    assert!(day_before.since < date(2025, 5, 20));
    assert!(c.lpr_on(date(1990, 1, 1)).is_none());
}

#[test]
fn values_not_from_the_design_are_marked_illustrative() {
    let c = embedded();
    assert!(c.data().grade_table.illustrative);
    assert!(c.products().iter().all(|p| p.illustrative));
    let v = embedded_value();
    assert!(
        v["note"]
            .as_str()
            .is_some_and(|n| n.contains("illustrative"))
    );
}

#[test]
fn a_bad_amount_range_names_the_product_and_the_field() {
    let mut v = embedded_value();
    let p = product_mut(&mut v, "runchang-suli");
    p["amount_max_fen"] = json!(100);
    let err = Catalog::from_json(&v.to_string()).expect_err("must be refused");
    assert_eq!(err.product_id(), Some("runchang-suli"));
    assert_eq!(err.field(), "amount_max_fen");
    let text = err.to_string();
    assert!(
        text.contains("产品 runchang-suli 的字段 amount_max_fen 无效"),
        "{text}"
    );
    assert!(
        text.contains("product runchang-suli field amount_max_fen"),
        "{text}"
    );
}

#[test]
fn a_field_of_the_wrong_type_names_the_product_and_the_field() {
    let mut v = embedded_value();
    product_mut(&mut v, "runchang-lingzhi")["months_min"] = json!("twelve");
    let err = Catalog::from_json(&v.to_string()).expect_err("must be refused");
    assert_eq!(err.product_id(), Some("runchang-lingzhi"));
    assert_eq!(err.field(), "months_min");

    let mut v = embedded_value();
    product_mut(&mut v, "runchang-yingtao")["repayment"]["frequency"] = json!("fortnightly");
    let err = Catalog::from_json(&v.to_string()).expect_err("must be refused");
    assert_eq!(err.product_id(), Some("runchang-yingtao"));
    assert_eq!(err.field(), "repayment.frequency");
}

#[test]
fn unknown_references_are_refused() {
    let cases: [(&str, &str, Value, &str); 5] = [
        ("runchang-suli", "bank", json!("no-such-bank"), "bank"),
        (
            "runchang-suli",
            "industries",
            json!(["moon_farming"]),
            "industries[0]",
        ),
        (
            "runchang-meide",
            "grade_caps",
            json!([{"grade": "AAAA", "max_amount_fen": 1_000_000}]),
            "grade_caps[0].grade",
        ),
        (
            "cunzhen-zhenxing",
            "eligibility",
            json!({"towns": ["atlantis"]}),
            "eligibility.towns[0]",
        ),
        (
            "runchang-lingzhi",
            "documents",
            json!(["passport"]),
            "documents[0]",
        ),
    ];
    for (id, key, value, field) in cases {
        let mut v = embedded_value();
        product_mut(&mut v, id)[key] = value;
        let err = Catalog::from_json(&v.to_string()).expect_err("must be refused");
        assert_eq!(err.product_id(), Some(id), "{err}");
        assert_eq!(err.field(), field, "{err}");
    }
    let mut v = embedded_value();
    product_mut(&mut v, "runchang-meide")["eligibility"]["min_grade"] = json!("Z");
    let err = Catalog::from_json(&v.to_string()).expect_err("unknown grade");
    assert_eq!(err.field(), "eligibility.min_grade");
}

#[test]
fn a_revolving_line_above_its_promised_cap_is_refused() {
    let mut v = embedded_value();
    product_mut(&mut v, "runchang-guanzhilian")["rate"] =
        json!({"kind": "fixed", "annual_ppm": 48_000});
    let err = Catalog::from_json(&v.to_string()).expect_err("must be refused");
    assert_eq!(err.field(), "apr_cap_ppm");
}

#[test]
fn duplicate_ids_and_broken_json_are_refused() {
    let mut v = embedded_value();
    let first = v["products"][0].clone();
    v["products"].as_array_mut().expect("array").push(first);
    assert!(matches!(
        Catalog::from_json(&v.to_string()),
        Err(CatalogError::Invalid { .. })
    ));
    assert!(matches!(
        Catalog::from_json("{\"format\": 1,"),
        Err(CatalogError::Syntax { .. })
    ));
    assert!(matches!(
        Catalog::from_json(""),
        Err(CatalogError::Syntax { .. })
    ));
}

#[test]
fn content_hash_ignores_formatting_and_follows_every_value() {
    let c = embedded();
    let hash = c.content_hash().to_owned();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|ch| ch.is_ascii_hexdigit()));
    let v = embedded_value();
    let compact = Catalog::from_json(&v.to_string()).expect("valid");
    assert_eq!(compact.content_hash(), hash);
    let round_trip = Catalog::from_json(&c.to_json().expect("serializes")).expect("valid");
    assert_eq!(round_trip.content_hash(), hash);
    let mut changed = v.clone();
    product_mut(&mut changed, "runchang-lingzhi")["approval_hours"] = json!(47);
    assert_ne!(
        Catalog::from_json(&changed.to_string())
            .expect("valid")
            .content_hash(),
        hash
    );
}

#[test]
fn pinyin_and_initials_find_the_pear_loan() {
    let c = embedded();
    let index = c
        .products()
        .iter()
        .position(|p| p.name_zh == "酥梨贷")
        .expect("pear loan");
    for q in [
        "suli",
        "sulidai",
        "SuLi",
        "su li",
        "sld",
        "酥梨",
        "酥梨贷",
        "crisp pear",
    ] {
        assert!(c.matches_search(index, q), "{q} should find 酥梨贷");
    }
    let hits: Vec<&str> = (0..c.products().len())
        .filter(|i| c.matches_search(*i, "sulidai"))
        .map(|i| c.products()[i].name_zh.as_str())
        .collect();
    assert_eq!(hits, ["酥梨贷"]);
    assert!((0..c.products().len()).all(|i| !c.matches_search(i, "zzzqqq")));
    let meide = c
        .products()
        .iter()
        .position(|p| p.name_zh == "美德积分贷")
        .expect("virtue loan");
    assert!(c.matches_search(meide, "meide") && c.matches_search(meide, "mdjfd"));
}

#[test]
fn every_rule_about_a_products_numbers_names_its_own_field() {
    // (product, JSON pointer inside the product, bad value, the field the error must name)
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "runchang-lingzhi",
            "/amount_min_fen",
            json!(0),
            "amount_min_fen",
        ),
        (
            "runchang-lingzhi",
            "/amount_max_fen",
            json!(20_000_000_000_i64),
            "amount_max_fen",
        ),
        (
            "runchang-lingzhi",
            "/amount_max_fen",
            json!(500),
            "amount_max_fen",
        ),
        ("runchang-lingzhi", "/months_min", json!(0), "months_min"),
        ("runchang-lingzhi", "/months_max", json!(480), "months_max"),
        ("runchang-lingzhi", "/months_max", json!(1), "months_max"),
        (
            "runchang-guanzhilian",
            "/rate/annual_ppm",
            json!(400_000),
            "rate.annual_ppm",
        ),
        (
            "runchang-lingzhi",
            "/rate/spread_bp",
            json!(5000),
            "rate.spread_bp",
        ),
        (
            "runchang-suli",
            "/repayment/grace_months",
            json!(0),
            "repayment.grace_months",
        ),
        (
            "runchang-suli",
            "/repayment/then",
            Value::Null,
            "repayment.then",
        ),
        (
            "runchang-suli",
            "/repayment/grace_months",
            json!(35),
            "repayment.grace_months",
        ),
        (
            "runchang-suli",
            "/repayment/frequency",
            json!("at_maturity"),
            "repayment.frequency",
        ),
        ("runchang-suli", "/months_min", json!(36), "months_min"),
        (
            "runchang-lingzhi",
            "/repayment/grace_months",
            json!(6),
            "repayment.grace_months",
        ),
        (
            "runchang-liangshi",
            "/repayment/frequency",
            json!("monthly"),
            "repayment.frequency",
        ),
        (
            "runchang-lingzhi",
            "/fees",
            json!({"upfront_fee_ppm": 200_000}),
            "fees.upfront_fee_ppm",
        ),
        (
            "runchang-lingzhi",
            "/fees",
            json!({"guarantee_fee_ppm_per_year": -1}),
            "fees.guarantee_fee_ppm_per_year",
        ),
        (
            "runchang-lingzhi",
            "/subsidies",
            json!({"interest_subsidy_ppm_per_year": 100_001}),
            "subsidies.interest_subsidy_ppm_per_year",
        ),
        (
            "runchang-lingzhi",
            "/fees",
            json!({"upfront_fee_fen": 2_000_000}),
            "fees.upfront_fee_fen",
        ),
        (
            "abc-ludan-huinong",
            "/subsidies",
            json!({"guarantee_fee_subsidy_ppm": 1_000_001}),
            "subsidies.guarantee_fee_subsidy_ppm",
        ),
        (
            "runchang-lingzhi",
            "/subsidies",
            json!({"guarantee_fee_subsidy_ppm": 500_000}),
            "subsidies.guarantee_fee_subsidy_ppm",
        ),
        (
            "runchang-lingzhi",
            "/eligibility",
            json!({"age_min": 40, "age_max": 30}),
            "eligibility.age_max",
        ),
        ("runchang-lingzhi", "/documents", json!([]), "documents"),
        (
            "runchang-lingzhi",
            "/approval_hours",
            json!(0),
            "approval_hours",
        ),
    ];
    for (id, pointer, value, field) in cases {
        let mut v = embedded_value();
        let product = product_mut(&mut v, id);
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        let target = if parent.is_empty() {
            product
        } else {
            product.pointer_mut(parent).expect("the parent exists")
        };
        if value.is_null() {
            target.as_object_mut().expect("an object").remove(key);
        } else {
            target[key] = value;
        }
        let err = Catalog::from_json(&v.to_string()).expect_err("must be refused");
        assert_eq!(err.product_id(), Some(id), "{pointer}: {err}");
        assert_eq!(err.field(), field, "{pointer}: {err}");
    }
}

#[test]
fn a_catalog_error_carries_its_chinese_and_english_as_data() {
    let mut v = embedded_value();
    product_mut(&mut v, "runchang-lingzhi")["months_min"] = json!(0);
    let err = Catalog::from_json(&v.to_string()).expect_err("must be refused");
    let (zh, en) = (err.message_zh(), err.message_en());
    assert_eq!(
        zh,
        "产品 runchang-lingzhi 的字段 months_min 无效：须至少 1 个月"
    );
    assert_eq!(
        en,
        "product runchang-lingzhi field months_min: must be at least 1 month"
    );
    assert_eq!(
        err.to_string(),
        format!("{zh} / {en}"),
        "Display is for logs"
    );
    let err = Catalog::from_json("{ not json").expect_err("not JSON");
    assert!(err.message_zh().contains("目录文件无法读取"), "{err}");
    assert!(
        err.message_en().contains("catalog file cannot be read"),
        "{err}"
    );
    assert!(!err.message_zh().contains(" / ") && !err.message_en().contains(" / "));
}
