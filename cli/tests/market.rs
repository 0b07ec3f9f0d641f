#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The market commands over the real binary, offline from the embedded catalog (no data
//! folder, no network).

use serde_json::Value;
use std::process::{Command, Output};

fn huoshui(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .args(args)
        // A data folder that does not exist: the market must not need one.
        .env("HUOSHUI_DATA_DIR", dir.path().join("missing"))
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = huoshui(&all);
    assert!(
        out.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_market_lists_one_offer_per_product_sorted_by_net_cost() {
    let v = json(&[
        "market",
        "--amount",
        "500000",
        "--months",
        "60",
        "--points",
        "1052",
        "--date",
        "2026-11-28",
    ]);
    assert_eq!(v["grade"], "AAA");
    let offers = v["offers"].as_array().unwrap();
    assert_eq!(offers.len(), v["matched"].as_u64().unwrap() as usize);
    assert!(offers.len() >= 24);
    let eligible = v["eligible"].as_u64().unwrap() as usize;
    assert!(eligible > 0);
    assert!(offers[..eligible].iter().all(|o| o["eligible"] == true));
    assert!(
        offers[eligible..]
            .iter()
            .all(|o| o["eligible"] == false && !o["reasons"].as_array().unwrap().is_empty())
    );
    let net: Vec<i64> = offers[..eligible]
        .iter()
        .map(|o| o["cost"]["net_cost"].as_i64().unwrap())
        .collect();
    assert!(net.windows(2).all(|w| w[0] <= w[1]), "{net:?}");
    for o in &offers[..eligible] {
        let c = &o["cost"];
        assert_eq!(
            c["contract_cost"].as_i64().unwrap(),
            c["total_interest"].as_i64().unwrap() + c["fees"].as_i64().unwrap()
        );
        assert!(o["name_zh"].as_str().is_some_and(|n| !n.is_empty()));
    }
}

#[test]
fn the_market_sorts_by_speed_and_filters_by_bank_and_badge() {
    let v = json(&[
        "market",
        "--amount",
        "100000",
        "--months",
        "12",
        "--sort",
        "speed",
        "--eligible-only",
    ]);
    let hours: Vec<u64> = v["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["approval_hours"].as_u64().unwrap())
        .collect();
    assert!(
        !hours.is_empty() && hours.windows(2).all(|w| w[0] <= w[1]),
        "{hours:?}"
    );
    let v = json(&[
        "market", "--amount", "100000", "--months", "12", "--bank", "润昌",
    ]);
    assert!(
        v["offers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["bank_id"] == "runchang")
    );
    let v = json(&[
        "market",
        "--amount",
        "100000",
        "--months",
        "12",
        "--badge",
        "随借随还",
    ]);
    let ids: Vec<&str> = v["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["product_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["runchang-guanzhilian"]);
}

#[test]
fn searching_suli_finds_the_pear_loan() {
    for q in ["suli", "sulidai"] {
        let v = json(&[
            "market", "--amount", "500000", "--months", "60", "--search", q,
        ]);
        assert_eq!(v["offers"][0]["name_zh"], "酥梨贷", "{q}");
    }
    let out = huoshui(&[
        "market", "--amount", "500000", "--months", "60", "--search", "sld",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("酥梨贷") && text.contains("可以申请"),
        "{text}"
    );
}

#[test]
fn compare_aligns_two_products_and_refuses_one() {
    let v = json(&[
        "compare",
        "runchang-meide",
        "abc-ludan-huinong",
        "--amount",
        "300000",
        "--months",
        "36",
        "--points",
        "1052",
    ]);
    let cols: Vec<&str> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["product_id"].as_str().unwrap())
        .collect();
    assert_eq!(cols, ["runchang-meide", "abc-ludan-huinong"]);
    for row in v["rows"].as_array().unwrap() {
        assert_eq!(row["cells"].as_array().unwrap().len(), 2, "{}", row["key"]);
    }
    let out = huoshui(&[
        "compare",
        "runchang-meide",
        "--amount",
        "300000",
        "--months",
        "36",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 到 4") && err.contains("2 to 4"), "{err}");
    let out = huoshui(&[
        "--json", "compare", "a", "b", "c", "d", "e", "--amount", "1000", "--months", "12",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "invalid_input");
}

#[test]
fn product_detail_shows_the_pear_loans_schedule() {
    let v = json(&[
        "product",
        "runchang-suli",
        "--amount",
        "500000",
        "--months",
        "60",
    ]);
    let periods = v["breakdown"]["schedule"]["periods"].as_array().unwrap();
    assert!(!periods.is_empty());
    for p in periods {
        let month = p["due_month"].as_u64().unwrap();
        let principal = p["principal"].as_i64().unwrap();
        if month <= 36 {
            assert_eq!(principal, 0, "month {month}");
        } else {
            assert!(principal > 0, "month {month}");
        }
    }
    let sum: i64 = periods
        .iter()
        .map(|p| p["principal"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 50_000_000);
    let out = huoshui(&[
        "product",
        "runchang-suli",
        "--amount",
        "500000",
        "--months",
        "60",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("还款计划") && text.contains("剩余本金"),
        "{text}"
    );
}

#[test]
fn grade_turns_1052_points_into_aaa() {
    let v = json(&["grade", "--points", "1052"]);
    assert_eq!(v["report"]["grade"]["code"], "AAA");
    let virtue = v["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product_id"] == "runchang-meide")
        .unwrap();
    assert_eq!(virtue["max_amount"], 100_000_000);
    let out = huoshui(&["grade", "--points", "1052"]);
    assert!(String::from_utf8(out.stdout).unwrap().contains("AAA"));
}

#[test]
fn bad_input_gets_a_clear_error_in_both_languages() {
    let out = huoshui(&["market", "--amount", "lots", "--months", "12"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("金额") && err.contains("amount"), "{err}");
    let out = huoshui(&[
        "market",
        "--amount",
        "1000",
        "--months",
        "12",
        "--town",
        "亚特兰蒂斯",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = huoshui(&[
        "market", "--amount", "1000", "--months", "12", "--sort", "random",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = huoshui(&["product", "no-such-loan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("no-such-loan")
    );
}
