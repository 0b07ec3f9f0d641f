#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! `huoshui calc` run as the real binary: the `--json` shape and sums, and clear errors.

use serde_json::Value;
use std::process::{Command, Output};

/// Runs the real binary. `calc` reads and writes no data folder, so none is set up.
fn huoshui(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .args(args)
        .output()
        .expect("the huoshui binary runs")
}

/// Runs with `--json` and parses standard output as exactly one JSON object.
fn calc_json(args: &[&str]) -> Value {
    let mut all = vec!["calc", "--json"];
    all.extend_from_slice(args);
    let out = huoshui(&all);
    assert!(
        out.status.success(),
        "calc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // `from_str` refuses trailing content, so this also proves there is only one object.
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not one JSON object ({e}): {text}"));
    assert!(v.is_object());
    v
}

fn int(v: &Value, key: &str) -> i64 {
    v[key]
        .as_i64()
        .unwrap_or_else(|| panic!("`{key}` is not an integer in {v}"))
}

/// Checks the documented keys and that the columns add up; returns the periods.
fn check_shape_and_sums(v: &Value, amount_fen: i64) -> Vec<Value> {
    let periods = v["periods"]
        .as_array()
        .expect("periods is an array")
        .clone();
    let mut principal = 0;
    let mut interest = 0;
    let mut paid = 0;
    for (i, p) in periods.iter().enumerate() {
        for key in [
            "n",
            "due_month",
            "principal_fen",
            "interest_fen",
            "payment_fen",
            "balance_fen",
        ] {
            assert!(
                p[key].is_i64() || p[key].is_u64(),
                "period {i} lacks integer `{key}`: {p}"
            );
        }
        assert_eq!(int(p, "n"), i as i64 + 1);
        assert_eq!(
            int(p, "payment_fen"),
            int(p, "principal_fen") + int(p, "interest_fen")
        );
        assert!(int(p, "balance_fen") >= 0);
        principal += int(p, "principal_fen");
        interest += int(p, "interest_fen");
        paid += int(p, "payment_fen");
    }
    assert_eq!(principal, amount_fen, "principal sums to the amount");
    assert_eq!(int(v, "total_interest_fen"), interest);
    assert_eq!(int(v, "total_paid_fen"), paid);
    assert!(
        v["apr_percent"].is_f64() || v["apr_percent"].is_i64(),
        "apr_percent is a number"
    );
    assert_eq!(periods.last().map(|p| int(p, "balance_fen")), Some(0));
    periods
}

#[test]
fn equal_installments_print_one_object_whose_columns_add_up() {
    let v = calc_json(&[
        "--method",
        "equal-installment",
        "--amount",
        "100000",
        "--rate",
        "4.35",
        "--months",
        "12",
    ]);
    let periods = check_shape_and_sums(&v, 10_000_000);
    assert_eq!(periods.len(), 12);
    // The closed-form annuity: P·i / (1 − (1+i)^−n), i = 4.35% / 12.
    let i: f64 = 0.0435 / 12.0;
    let annuity = (10_000_000.0 * i / (1.0 - (1.0 + i).powi(-12))).round() as i64;
    for p in &periods[..11] {
        assert_eq!(int(p, "payment_fen"), annuity);
    }
    let apr = v["apr_percent"].as_f64().unwrap();
    assert!(
        (apr - 4.35).abs() < 0.0005,
        "fee-free APR {apr} is the contract rate"
    );
}

#[test]
fn quarterly_equal_principal_after_grace_pays_no_principal_in_the_grace() {
    let v = calc_json(&[
        "--method",
        "equal-principal",
        "--amount",
        "500,000",
        "--rate",
        "4",
        "--months",
        "36",
        "--grace-months",
        "12",
        "--every",
        "quarter",
    ]);
    let periods = check_shape_and_sums(&v, 50_000_000);
    let due: Vec<i64> = periods.iter().map(|p| int(p, "due_month")).collect();
    assert_eq!(due, (1..=12).map(|q| q * 3).collect::<Vec<_>>());
    for p in &periods {
        let expected_zero = int(p, "due_month") <= 12;
        assert_eq!(
            int(p, "principal_fen") == 0,
            expected_zero,
            "quarter ending month {}",
            int(p, "due_month")
        );
    }
}

#[test]
fn bullet_with_an_upfront_fee_pays_once_and_costs_more_than_its_rate() {
    let v = calc_json(&[
        "--method",
        "bullet",
        "--amount",
        "200000",
        "--rate",
        "5",
        "--months",
        "24",
        "--upfront-fee",
        "2000",
    ]);
    let periods = check_shape_and_sums(&v, 20_000_000);
    assert_eq!(periods.len(), 1);
    // Simple interest: 200,000 × 5% × 2 = 20,000 yuan.
    assert_eq!(int(&v, "total_interest_fen"), 2_000_000);
    // IRR over one 2-year period: 220,000 / 198,000 − 1, per year ÷ 2.
    let expected = (220_000.0 / 198_000.0 - 1.0) / 2.0 * 100.0;
    let apr = v["apr_percent"].as_f64().unwrap();
    assert!((apr - expected).abs() < 0.0001, "APR {apr} vs {expected}");
}

#[test]
fn a_rate_that_is_not_a_number_is_refused_clearly() {
    let out = huoshui(&[
        "calc",
        "--method",
        "equal-principal",
        "--amount",
        "500000",
        "--rate",
        "abc",
        "--months",
        "12",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("abc") && err.contains("年利率") && err.contains("rate"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let out = huoshui(&[
        "--json", "calc", "--method", "bullet", "--amount", "500000", "--rate", "abc", "--months",
        "12",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "invalid_input");
    let zh = v["error"]["message_zh"].as_str().unwrap();
    let en = v["error"]["message_en"].as_str().unwrap();
    assert!(!zh.is_ascii() && en.contains("abc"), "{v}");
}

#[test]
fn a_grace_as_long_as_the_term_is_refused_with_what_to_change() {
    let out = huoshui(&[
        "calc",
        "--method",
        "equal-installment",
        "--amount",
        "1000",
        "--rate",
        "4",
        "--months",
        "12",
        "--grace-months",
        "12",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("宽限期") && err.contains("grace"), "{err}");
}

#[test]
fn the_table_is_in_chinese_with_totals_and_the_annualized_rate() {
    let out = huoshui(&[
        "calc",
        "--method",
        "interest-first",
        "--amount",
        "10000",
        "--rate",
        "3.6",
        "--months",
        "3",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "期数",
        "还款月",
        "本金",
        "利息",
        "月供",
        "剩余本金",
        "合计",
        "年化利率",
    ] {
        assert!(text.contains(word), "missing {word}: {text}");
    }
    // 10,000 × 3.6% / 12 = 30 yuan a month, three months.
    assert!(text.contains("¥90.00"), "{text}");
}

#[test]
fn a_start_date_gives_every_period_its_due_date_and_changes_nothing_else() {
    let args = [
        "--method",
        "equal-installment",
        "--amount",
        "100000",
        "--rate",
        "4.35",
        "--months",
        "12",
    ];
    let plain = calc_json(&args);
    let mut dated_args = args.to_vec();
    dated_args.extend(["--start-date", "2027-01-31"]);
    let mut dated = calc_json(&dated_args);
    check_shape_and_sums(&dated, 10_000_000);
    let due: Vec<String> = dated["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["due_date"]
                .as_str()
                .expect("due_date on every period")
                .to_string()
        })
        .collect();
    // Disbursed on 31 January: the month's last day where the 31st is missing.
    assert_eq!(
        due,
        [
            "2027-02-28",
            "2027-03-31",
            "2027-04-30",
            "2027-05-31",
            "2027-06-30",
            "2027-07-31",
            "2027-08-31",
            "2027-09-30",
            "2027-10-31",
            "2027-11-30",
            "2027-12-31",
            "2028-01-31"
        ]
    );
    for p in dated["periods"].as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("due_date");
    }
    assert_eq!(dated, plain);
    assert!(plain["periods"][0].get("due_date").is_none());
}

#[test]
fn a_quarterly_plan_from_30_november_falls_on_29_february_in_a_leap_year() {
    let v = calc_json(&[
        "--method",
        "equal-principal",
        "--amount",
        "40000",
        "--rate",
        "4",
        "--months",
        "12",
        "--every",
        "quarter",
        "--start-date",
        "2027-11-30",
    ]);
    let periods = check_shape_and_sums(&v, 4_000_000);
    let due: Vec<&str> = periods
        .iter()
        .map(|p| p["due_date"].as_str().unwrap())
        .collect();
    assert_eq!(
        due,
        ["2028-02-29", "2028-05-30", "2028-08-30", "2028-11-30"]
    );
}

#[test]
fn the_table_shows_the_due_date_in_chinese_and_a_bad_start_date_is_refused() {
    let out = huoshui(&[
        "calc",
        "--method",
        "bullet",
        "--amount",
        "1000",
        "--rate",
        "5",
        "--months",
        "1",
        "--start-date",
        "2027-01-31",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("还款日") && text.contains("2027年2月28日"),
        "{text}"
    );

    let out = huoshui(&[
        "calc",
        "--method",
        "bullet",
        "--amount",
        "1000",
        "--rate",
        "5",
        "--months",
        "1",
        "--start-date",
        "2027-02-31",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("放款日") && err.contains("2027-02-31") && err.contains("start date"),
        "{err}"
    );
}

#[test]
fn a_mistyped_command_line_is_refused_with_the_same_error_body_in_json() {
    let out = huoshui(&["--json", "calc", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "invalid_input");
    assert!(
        v["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("huoshui help")
    );
    assert!(
        v["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("--no-such-flag"),
        "{v}"
    );
}
