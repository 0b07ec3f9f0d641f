//! A paid-out loan from the terminal (issue 14): `huoshui plan ID` shows the dated plan with
//! what the bank recorded as paid (synced from a real `huoshui serve` on 127.0.0.1), and
//! `huoshui prepay ID --date --amount` the early repayment choices, both in JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::shell::{Device, Platform, json, json_lines};
use serde_json::{Value, json};

/// v010 (贾镇) applies to the postal bank's 极速贷 (monthly, equal installments): m-psbc-1 serves her.
const VILLAGER: &str = "13800000010";
const PRODUCT: &str = "psbc-jisu";
const MANAGER: &str = "13900000301";

/// Runs a staged command with `--json`; its last line must say the platform has it.
fn sent(device: &Device, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = device.run(&all);
    assert!(out.status.success(), "{args:?}: {:?}", out);
    json_lines(&out.stdout).last().unwrap().clone()
}

/// Today in the county (the platform and the phones count loan days in China).
fn china_today() -> String {
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    tz.to_datetime(jiff::Timestamp::now()).date().to_string()
}

#[test]
fn the_plan_of_a_paid_out_loan_shows_its_dates_and_what_the_bank_recorded_and_prepay_offers_both_choices()
 {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let villager = Device::new(tmp.path().join("villager"), platform.base());
    let manager = Device::new(tmp.path().join("manager"), platform.base());
    villager.sign_in(&platform, VILLAGER);
    manager.sign_in(&platform, MANAGER);
    let applied = sent(
        &villager,
        &["apply", PRODUCT, "--amount", "12000", "--months", "12"],
    );
    let id = applied["id"].as_str().unwrap().to_owned();
    // Not paid out yet: no plan, and the words say why.
    let out = villager.run(&["--json", "plan", &id]);
    assert!(!out.status.success());
    assert!(
        json(&out)["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("放款")
    );

    manager.json(&["sync"]);
    sent(&manager, &["act", &id, "contact"]);
    sent(&manager, &["act", &id, "start-review"]);
    sent(
        &manager,
        &[
            "act", &id, "approve", "--amount", "12000", "--rate", "3.6", "--months", "12",
        ],
    );
    villager.json(&["sync"]);
    sent(&villager, &["act", &id, "accept"]);
    manager.json(&["sync"]);
    sent(&manager, &["act", &id, "disburse", "--amount", "12000"]);

    // The bank records a first repayment on the platform; the villager's phone syncs it.
    let today = china_today();
    let token = platform.token(MANAGER);
    let (status, _) = platform.post(
        &format!("/v1/applications/{id}/repayments"),
        Some(&token),
        &json!({"on": today, "amount_fen": 50_000}),
    );
    assert_eq!(status, 200);
    villager.json(&["sync"]);
    let plan = villager.json(&["plan", &id]);
    let rows = plan["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    let first_due: jiff::civil::Date = rows[0]["due_date"].as_str().unwrap().parse().unwrap();
    let paid_out: jiff::civil::Date = today.parse().unwrap();
    assert_eq!(
        first_due,
        huoshui_core::domain::repayment::due_date(paid_out, 1).unwrap()
    );
    assert!(rows.iter().all(|r| r["kind"] == "installment"));
    let principal: i64 = rows
        .iter()
        .map(|r| r["principal_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(
        principal, 1_200_000,
        "the principal column sums to the amount"
    );
    assert_eq!(plan["paid_fen"], 50_000);
    assert_eq!(
        rows[0]["paid_fen"], 50_000,
        "paid ahead toward the first row"
    );
    assert_eq!(rows[0]["status"], "upcoming");
    assert_eq!(plan["stage"], Value::Null);
    assert_eq!(plan["repayments"][0]["amount_fen"], 50_000);
    assert!(plan["summary_zh"].as_str().unwrap().starts_with("下次还款"));

    // Repaying 6,000 yuan early today: both choices, each saving interest.
    let offer = villager.json(&["prepay", &id, "--date", &today, "--amount", "6000"]);
    let options = offer["options"].as_array().unwrap();
    let choices: Vec<&str> = options
        .iter()
        .map(|o| o["choice"].as_str().unwrap())
        .collect();
    assert_eq!(choices, ["shorter_term", "lower_payment"]);
    for o in options {
        assert!(o["interest_saved_fen"].as_i64().unwrap() > 0, "{o}");
        assert_eq!(o["principal_fen"], 600_000);
    }
    assert!(options[0]["rows_left_after"].as_u64() < options[0]["rows_left_before"].as_u64());
    let all = villager.json(&["prepay", &id, "--date", &today]);
    assert_eq!(all["options"][0]["choice"], Value::Null);
    assert_eq!(all["options"][0]["rows_left_after"], 0);
    // A day that is not a date is bad input, said in both languages.
    let out = villager.run(&["--json", "prepay", &id, "--date", "2027-02-30"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        json(&out)["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("2027-02-28")
    );
}
