//! The journey from the terminal: the real `huoshui` binary as a villager's and a manager's
//! phone (each its own data folder) against a real `huoshui serve` on 127.0.0.1, checked on the
//! platform through its HTTP API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod common;

use common::shell::{Device, Platform, dead_address, json, json_lines, pdf, sha256_hex};
use serde_json::Value;

/// v010 lives in 贾镇 (jiazhen), which only the `-1` manager of each bank serves, so every
/// application of hers to the postal bank goes to m-psbc-1.
const VILLAGER: &str = "13800000010";
/// 极速贷 (postal savings bank): no grade rule, from 10,000 yuan.
const PRODUCT: &str = "psbc-jisu";
const MANAGER: &str = "13900000301";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_villager_signs_in_sees_who_she_is_and_signs_out() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let phone = Device::new(tmp.path().join("villager"), platform.base());

    let before = phone.json(&["account", "show"]);
    assert_eq!(before["signed_in"], false);

    let session = phone.sign_in(&platform, VILLAGER);
    assert_eq!(session["signed_in"], true);
    assert_eq!(session["user_id"], "v010");
    assert_eq!(session["role"], "villager");
    assert_eq!(session["town_id"], "jiazhen");
    assert_eq!(session["town_zh"], "贾镇");
    assert_eq!(
        session["phone"], "138****0010",
        "the phone number is shown masked"
    );

    // Still signed in in a new process (the session is sealed in the data folder), offline too.
    let offline = Device::new(phone.data.clone(), &dead_address());
    let shown = offline.json(&["account", "show"]);
    assert_eq!(shown["user_id"], "v010");
    assert_eq!(shown["pending"], 0);
    let text = stdout(&offline.run(&["account", "show"]));
    assert!(
        text.contains("村民 villager") && text.contains("贾镇"),
        "{text}"
    );

    let out = phone.json(&["account", "logout"]);
    assert_eq!(out["signed_in"], false);
    assert_eq!(phone.json(&["account", "show"])["signed_in"], false);
    // Signed out, a sync only checks the catalog and says so.
    let synced = phone.run(&["sync"]);
    assert!(synced.status.success());
    assert!(
        stdout(&synced).contains("not signed in"),
        "{}",
        stdout(&synced)
    );
    // Signed out, the shell cannot apply and says why.
    let refused = phone.run(&["apply", PRODUCT, "--amount", "20000", "--months", "12"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("请先用手机号登录"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("sign in"), "{}", stderr(&refused));
}

#[test]
fn a_wrong_code_is_bad_input_and_an_unreachable_platform_is_exit_code_3() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let phone = Device::new(tmp.path().join("villager"), platform.base());
    phone.json(&["account", "code", "--phone", VILLAGER]);
    let wrong = phone.run(&[
        "--json", "account", "login", "--phone", VILLAGER, "--code", "000000",
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stdout(&wrong));
    let err = json(&wrong);
    assert!(!err["error"]["message_zh"].as_str().unwrap().is_empty());
    assert!(!err["error"]["message_en"].as_str().unwrap().is_empty());

    let away = Device::new(tmp.path().join("villager"), &dead_address());
    let out = away.run(&["--json", "account", "code", "--phone", VILLAGER]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert_eq!(json(&out)["error"]["code"], "offline");
    let out = away.run(&["account", "code", "--phone", VILLAGER]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("无法连接平台"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot reach the platform"),
        "{}",
        stderr(&out)
    );
}

/// The platform's documents of an application: (kind, sha256, complete, upload id).
fn platform_documents(
    platform: &Platform,
    token: &str,
    id: &str,
) -> Vec<(String, String, bool, String)> {
    let (status, body) = platform.get(&format!("/v1/applications/{id}/documents"), token);
    assert_eq!(status, 200, "{body}");
    body["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["sha256"].as_str().unwrap().to_owned(),
                d["complete"].as_bool().unwrap(),
                d["upload_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn an_application_made_offline_is_kept_on_the_machine_and_a_later_sync_delivers_exactly_one_with_its_documents()
 {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let data = tmp.path().join("villager");
    let online = Device::new(data.clone(), platform.base());
    online.sign_in(&platform, VILLAGER);
    let contract = pdf(600_000, 1);
    let register = pdf(70_000, 2);
    std::fs::write(tmp.path().join("contract.pdf"), &contract).unwrap();
    std::fs::write(tmp.path().join("register.pdf"), &register).unwrap();
    let doc_contract = format!(
        "land_contract={}",
        tmp.path().join("contract.pdf").display()
    );
    let doc_register = format!(
        "household_register={}",
        tmp.path().join("register.pdf").display()
    );

    // The village has no signal.
    let offline = Device::new(data.clone(), &dead_address());
    let out = offline.run(&[
        "--json",
        "apply",
        PRODUCT,
        "--amount",
        "20,000.50",
        "--months",
        "12",
        "--doc",
        &doc_contract,
        "--doc",
        &doc_register,
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "{}", stdout(&out));
    let id = lines[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(lines[0]["stage"], "queued");
    assert_eq!(lines[0]["amount_fen"], 2_000_050);
    assert_eq!(lines[0]["documents"].as_array().unwrap().len(), 2);
    assert_eq!(lines[1]["stage"], "queued");
    assert_eq!(lines[1]["id"], id.as_str());
    assert_eq!(lines[1]["sync_mark"], "waiting");
    assert!(
        lines[1]["message_zh"]
            .as_str()
            .unwrap()
            .contains("已保存在本机待发送")
    );
    assert!(
        lines[1]["message_en"]
            .as_str()
            .unwrap()
            .contains("run huoshui sync")
    );

    // Nothing on the platform yet.
    let token = platform.token(VILLAGER);
    let (_, mine) = platform.get("/v1/applications", &token);
    assert_eq!(mine["applications"].as_array().unwrap().len(), 0);

    // The tables never say "submitted" for what is only queued.
    let text = stdout(&offline.run(&["status"]));
    assert!(text.contains("已保存待发送 queued"), "{text}");
    assert!(
        !text.contains("已提交") && !text.contains("submitted"),
        "{text}"
    );
    let timeline = stdout(&offline.run(&["status", &id[id.len() - 12..]]));
    assert!(timeline.contains("已保存在本机待发送"), "{timeline}");

    // A sync while still offline keeps it and says so.
    let again = offline.run(&["sync"]);
    assert_eq!(again.status.code(), Some(3));
    assert!(
        stdout(&again).contains("kept on this machine"),
        "{}",
        stdout(&again)
    );

    // Back online: one sync delivers it, exactly once, with both documents complete.
    let report = online.json(&["sync"]);
    assert_eq!(
        report["sent"], 3,
        "the application and its two uploads: {report}"
    );
    assert_eq!(report["pending"], 0);
    assert_eq!(report["status"]["state"], "idle");
    assert_eq!(online.json(&["sync"])["sent"], 0, "nothing is sent twice");

    let (_, mine) = platform.get("/v1/applications", &token);
    let apps = mine["applications"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "{mine}");
    assert_eq!(
        apps[0]["id"],
        id.as_str(),
        "the platform keeps the phone's id"
    );
    assert_eq!(apps[0]["amount_fen"], 2_000_050);
    let docs = platform_documents(&platform, &token, &id);
    assert_eq!(docs.len(), 2, "{docs:?}");
    for (kind, sha, complete, upload) in &docs {
        let original = if kind == "land_contract" {
            &contract
        } else {
            &register
        };
        assert!(complete, "{kind} is complete");
        assert_eq!(sha, &sha256_hex(original));
        let (status, bytes) =
            platform.get_bytes(&format!("/v1/documents/{upload}/content"), &token);
        assert_eq!(status, 200);
        assert_eq!(
            sha256_hex(&bytes),
            sha256_hex(original),
            "{kind} arrived byte for byte"
        );
    }

    let listed = online.json(&["status"]);
    let app = &listed["applications"][0];
    assert_eq!(app["id"], id.as_str());
    assert_eq!(app["sync_mark"], "confirmed");
    assert_eq!(app["state"], "assigned");
}

#[test]
fn status_lists_my_applications_and_shows_one_timeline_in_both_languages() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let phone = Device::new(tmp.path().join("villager"), platform.base());
    phone.sign_in(&platform, VILLAGER);
    assert_eq!(
        phone.json(&["status"])["applications"],
        Value::Array(vec![])
    );

    let out = phone.run(&[
        "--json", "apply", PRODUCT, "--amount", "30000", "--months", "6",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let lines = json_lines(&out.stdout);
    let id = lines[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(lines[1]["stage"], "sent");
    assert_eq!(lines[1]["report"]["sent"], 1);
    assert_eq!(lines[1]["report"]["status"]["state"], "idle");

    let human = phone.run(&["apply", PRODUCT, "--amount", "10000", "--months", "6"]);
    assert!(human.status.success());
    let text = stdout(&human);
    assert!(text.starts_with("申请编号 application id: "), "{text}");
    assert!(text.contains("已提交，平台已收到"), "{text}");
    assert!(text.contains("submitted: the platform has"), "{text}");

    let listed = phone.json(&["status"]);
    let apps = listed["applications"].as_array().unwrap();
    assert_eq!(apps.len(), 2);
    for a in apps {
        for key in [
            "id",
            "product_id",
            "product_name_zh",
            "amount_fen",
            "amount",
            "months",
            "state",
            "state_zh",
            "state_en",
            "sync_mark",
        ] {
            assert!(!a[key].is_null(), "{key} in {a}");
        }
        assert_eq!(a["product_id"], PRODUCT);
        assert_eq!(a["product_name_zh"], "极速贷");
    }
    assert_eq!(listed["sync"]["state"], "idle");

    let t = phone.json(&["status", &id]);
    let timeline = &t["timeline"];
    assert_eq!(timeline["application"]["id"], id.as_str());
    assert_eq!(timeline["application"]["amount"], "¥30,000.00");
    let titles: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title_en"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(!timeline["next_zh"].as_str().unwrap().is_empty());
    assert!(!timeline["next_en"].as_str().unwrap().is_empty());

    // A unique part of the id is enough (ids begin with the time: the end tells them apart);
    // the table is in Chinese with English beside it.
    let text = stdout(&phone.run(&["status", &id[id.len() - 12..]]));
    assert!(
        text.contains("极速贷 · ¥30,000.00 · 6 个月 months"),
        "{text}"
    );
    assert!(text.contains("下一步 next"), "{text}");
}

#[test]
fn bad_input_exits_with_code_2_and_says_what_is_wrong_in_chinese_and_english() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let phone = Device::new(tmp.path().join("villager"), platform.base());
    phone.sign_in(&platform, VILLAGER);
    let cases: [&[&str]; 7] = [
        // more than two decimals of a yuan
        &["apply", PRODUCT, "--amount", "20000.001", "--months", "12"],
        // an unknown document kind
        &[
            "apply",
            PRODUCT,
            "--amount",
            "20000",
            "--months",
            "12",
            "--doc",
            "photo=x.pdf",
        ],
        // a file that is not there
        &[
            "apply",
            PRODUCT,
            "--amount",
            "20000",
            "--months",
            "12",
            "--doc",
            "other=/nonexistent.pdf",
        ],
        // below the product's least amount (the core's product rules)
        &["apply", PRODUCT, "--amount", "500", "--months", "12"],
        // an application this device does not have
        &["act", "0000000000", "contact"],
        // a flag that does not belong to the action
        &["act", "0000000000", "start-review", "--reason", "x"],
        // approve without its rate
        &[
            "act",
            "0000000000",
            "approve",
            "--amount",
            "1000",
            "--months",
            "12",
        ],
    ];
    for args in cases {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let out = phone.run(&with_json);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        let err = json(&out);
        assert_eq!(err["error"]["code"], "invalid_input", "{args:?}: {err}");
        let zh = err["error"]["message_zh"].as_str().unwrap();
        let en = err["error"]["message_en"].as_str().unwrap();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{args:?}: {zh}"
        );
        assert!(en.is_ascii() || en.contains('`'), "{args:?}: {en}");
        assert!(!en.is_empty());

        let out = phone.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let words = stderr(&out);
        assert!(
            words.contains("错误") && words.contains("error:"),
            "{args:?}: {words}"
        );
    }
    // Nothing was kept by any of them.
    assert_eq!(
        phone.json(&["status"])["applications"],
        Value::Array(vec![])
    );
    assert_eq!(
        phone.json(&["doc", "list"])["documents"],
        Value::Array(vec![])
    );
}

#[test]
fn without_a_platform_address_an_application_is_kept_and_the_output_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let data = tmp.path().join("villager");
    Device::new(data.clone(), platform.base()).sign_in(&platform, VILLAGER);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .env("HUOSHUI_DATA_DIR", &data)
        .env_remove("HUOSHUI_SERVER")
        .args(["apply", PRODUCT, "--amount", "20000", "--months", "12"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(text.contains("申请编号 application id: "), "{text}");
    assert!(text.contains("HUOSHUI_SERVER"), "{text}");
    assert!(text.contains("已保存在本机待发送"), "{text}");
    assert!(!text.contains("已提交"), "{text}");
}

#[test]
fn a_manager_sees_the_task_with_the_villagers_phone_and_the_call_reaches_the_villagers_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let villager = Device::new(tmp.path().join("villager"), platform.base());
    let manager = Device::new(tmp.path().join("manager"), platform.base());
    villager.sign_in(&platform, VILLAGER);
    let session = manager.sign_in(&platform, MANAGER);
    assert_eq!(session["role"], "manager");
    assert_eq!(session["bank_id"], "psbc");

    let out = villager.run(&[
        "--json", "apply", PRODUCT, "--amount", "20000", "--months", "12",
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    let id = json_lines(&out.stdout)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(manager.json(&["sync"])["status"]["state"], "idle");
    let inbox = manager.json(&["tasks"]);
    let tasks = inbox["tasks"].as_array().unwrap();
    let task = tasks
        .iter()
        .find(|t| t["application_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the new application is in the inbox: {inbox}"));
    assert_eq!(task["kind"], "call");
    assert_eq!(
        task["villager_phone"], VILLAGER,
        "the assigned manager gets the number"
    );
    assert_eq!(task["call_uri"], format!("tel:{VILLAGER}").as_str());
    assert!(!task["villager_name"].as_str().unwrap().is_empty());
    assert!(task["seconds_left"].as_i64().unwrap() > 0);
    assert!(!task["countdown_zh"].as_str().unwrap().is_empty());
    let table = stdout(&manager.run(&["tasks"]));
    assert!(
        table.contains(VILLAGER) && table.contains("电话联系"),
        "{table}"
    );

    let out = manager.run(&[
        "--json",
        "act",
        &id,
        "contact",
        "--outcome",
        "call-back",
        "--note",
        "晚上再打",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["stage"], "queued");
    assert_eq!(lines[0]["action"], "contact");
    assert_eq!(lines[1]["stage"], "sent", "{}", lines[1]);

    // Once, on the platform.
    let token = platform.token(MANAGER);
    let (_, detail) = platform.get(&format!("/v1/applications/{id}"), &token);
    let contacts = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "contacted")
        .count();
    assert_eq!(contacts, 1, "{detail}");

    // The villager sees it after her next sync.
    villager.json(&["sync"]);
    let t = villager.json(&["status", &id]);
    assert_eq!(t["timeline"]["application"]["state"], "contacted");
    let entries = t["timeline"]["entries"].as_array().unwrap();
    let call = entries
        .iter()
        .find(|e| e["title_en"] == "Your account manager contacted you")
        .unwrap_or_else(|| panic!("the call is in her timeline: {entries:?}"));
    assert_eq!(
        call["detail_zh"], "已约好再次通话的时间",
        "with how it went"
    );
    assert_eq!(call["detail_en"], "You agreed on a time to talk again");
    assert!(
        !serde_json::to_string(entries).unwrap().contains("晚上再打"),
        "the bank's note stays with the bank"
    );
}

#[test]
fn a_document_added_later_to_a_submitted_application_is_queued_and_uploaded_by_the_next_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let phone = Device::new(tmp.path().join("villager"), platform.base());
    phone.sign_in(&platform, VILLAGER);
    let out = phone.run(&[
        "--json", "apply", PRODUCT, "--amount", "20000", "--months", "12",
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
    let id = json_lines(&out.stdout)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let lease = pdf(300_000, 7);
    let file = tmp.path().join("lease.pdf");
    std::fs::write(&file, &lease).unwrap();
    let added = phone.run(&[
        "doc",
        "add",
        file.to_str().unwrap(),
        "--kind",
        "lease",
        "--application",
        &id,
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("run huoshui sync"),
        "{}",
        stdout(&added)
    );
    let listed = phone.json(&["doc", "list", "--application", &id]);
    assert_eq!(listed["documents"].as_array().unwrap().len(), 1);
    let queued = phone.json(&["status"]);
    assert_eq!(queued["applications"][0]["sync_mark"], "waiting");

    assert_eq!(phone.json(&["sync"])["sent"], 1);
    let token = platform.token(VILLAGER);
    let docs = platform_documents(&platform, &token, &id);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].0, "lease");
    assert!(docs[0].2, "complete");
    assert_eq!(docs[0].1, sha256_hex(&lease));
    assert_eq!(
        phone.json(&["status"])["applications"][0]["sync_mark"],
        "confirmed"
    );
}

/// Runs a staged command (`apply`, `act`) with `--json` and answers its last line, which must
/// say the platform has it.
fn sent(device: &Device, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = device.run(&all);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["stage"], "queued", "{args:?}");
    let last = lines.last().unwrap().clone();
    assert_eq!(last["stage"], "sent", "{args:?}: {last}");
    last
}

#[test]
fn a_whole_loan_runs_from_two_terminals_from_the_application_to_the_money_paid_out() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let villager = Device::new(tmp.path().join("villager"), platform.base());
    let manager = Device::new(tmp.path().join("manager"), platform.base());
    villager.sign_in(&platform, VILLAGER);
    manager.sign_in(&platform, MANAGER);

    let first = sent(
        &villager,
        &["apply", PRODUCT, "--amount", "50000", "--months", "12"],
    );
    let id = first["id"].as_str().unwrap().to_owned();
    let second = sent(
        &villager,
        &["apply", PRODUCT, "--amount", "30000", "--months", "6"],
    );
    let other = second["id"].as_str().unwrap().to_owned();
    let third = sent(
        &villager,
        &["apply", PRODUCT, "--amount", "10000", "--months", "6"],
    );
    let withdrawn = third["id"].as_str().unwrap().to_owned();
    manager.json(&["sync"]);

    for app in [&id, &other] {
        sent(&manager, &["act", app, "contact"]);
        sent(&manager, &["act", app, "start-review"]);
    }
    let asked = sent(
        &manager,
        &[
            "act",
            &id,
            "request-documents",
            "--kinds",
            "land_contract",
            "--note",
            "请补充土地承包合同",
        ],
    );
    assert_eq!(asked["state"], "documents_requested");
    sent(
        &manager,
        &["act", &other, "reject", "--reason", "收入证明不足"],
    );

    // The villager adds the document, says so, and withdraws the third application.
    villager.json(&["sync"]);
    let t = villager.json(&["status", &id]);
    assert_eq!(t["timeline"]["application"]["state"], "documents_requested");
    let file = tmp.path().join("contract.pdf");
    std::fs::write(&file, pdf(90_000, 3)).unwrap();
    villager.json(&[
        "doc",
        "add",
        file.to_str().unwrap(),
        "--kind",
        "land_contract",
        "--application",
        &id,
    ]);
    sent(&villager, &["act", &id, "provide-documents"]);
    sent(
        &villager,
        &["act", &withdrawn, "withdraw", "--reason", "不需要了"],
    );

    manager.json(&["sync"]);
    let approved = sent(
        &manager,
        &[
            "act", &id, "approve", "--amount", "45000", "--rate", "3.85", "--months", "12",
        ],
    );
    assert_eq!(approved["state"], "approved");
    villager.json(&["sync"]);
    sent(&villager, &["act", &id, "accept"]);
    manager.json(&["sync"]);
    let paid = sent(&manager, &["act", &id, "disburse", "--amount", "45,000.00"]);
    assert_eq!(paid["state"], "disbursed");

    // The platform agrees on every one of them.
    let token = platform.token(VILLAGER);
    let state = |app: &str| {
        let (_, d) = platform.get(&format!("/v1/applications/{app}"), &token);
        d["state"].as_str().unwrap().to_owned()
    };
    assert_eq!(state(&id), "disbursed");
    assert_eq!(state(&other), "rejected");
    assert_eq!(state(&withdrawn), "withdrawn");
    let (_, d) = platform.get(&format!("/v1/applications/{id}"), &token);
    assert_eq!(d["disbursed_amount_fen"], 4_500_000);
    assert_eq!(d["offer"]["annual_rate_ppm"], 38_500);
    let docs = platform_documents(&platform, &token, &id);
    assert_eq!(docs.len(), 1);
    assert!(
        docs[0].2,
        "the requested document is on the platform, complete"
    );

    // What she reads: the reason of the rejection, in her timeline.
    villager.json(&["sync"]);
    let t = villager.json(&["status", &other]);
    let all = serde_json::to_string(&t["timeline"]["entries"]).unwrap();
    assert!(all.contains("收入证明不足"), "{all}");
    // A manager's action is refused to a villager, with what to do.
    let out = villager.run(&["--json", "act", &id, "start-review"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "conflict");
}
