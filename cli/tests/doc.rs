#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! `huoshui doc` run as the real binary over its own temp data folder (through the app facade).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn huoshui(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .env("HUOSHUI_DATA_DIR", data)
        .args(args)
        .output()
        .expect("the huoshui binary runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.extend((0..200_000u32).map(|i| (i % 253) as u8));
    v
}

#[test]
fn a_document_added_from_the_terminal_is_listed_and_exports_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let input = tmp.path().join("contract.pdf");
    std::fs::write(&input, pdf()).unwrap();

    let out = huoshui(
        &data,
        &[
            "doc",
            "add",
            input.to_str().unwrap(),
            "--kind",
            "land_contract",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added = json(&out);
    assert_eq!(added["kind"], "land_contract");
    assert_eq!(added["media"], "pdf");
    assert_eq!(added["application_id"], Value::Null);
    assert!(!added["captured_zh"].as_str().unwrap().is_empty());
    assert_eq!(added["size_bytes"], 200_009);
    let id = added["id"].as_str().unwrap().to_owned();

    let listed = json(&huoshui(&data, &["--json", "doc", "list"]));
    let docs = listed["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], id.as_str());
    assert_eq!(docs[0]["sha256"], added["sha256"]);
    assert_eq!(
        json(&huoshui(
            &data,
            &["--json", "doc", "list", "--application", "other-app"]
        ))["documents"],
        Value::Array(vec![])
    );

    let target = tmp.path().join("exported.pdf");
    let out = huoshui(&data, &["doc", "export", &id, target.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&target).unwrap(), pdf());

    // The data folder holds no copy of the plaintext.
    let needle = &pdf()[1000..1064];
    for entry in walk(&data) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "plaintext in {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()))
        } else {
            out.push(e.path())
        }
    }
    out
}

#[test]
fn a_file_that_is_not_a_photo_or_pdf_is_refused_with_a_clear_error_and_nothing_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let input = tmp.path().join("clip.gif");
    std::fs::write(&input, b"GIF89a\x01\x00\x01\x00").unwrap();
    let out = huoshui(
        &data,
        &[
            "--json",
            "doc",
            "add",
            input.to_str().unwrap(),
            "--kind",
            "other",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a file of the wrong type is bad input"
    );
    let err = json(&out);
    assert_eq!(err["error"]["code"], "invalid_input");
    assert!(
        err["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("不支持的文件类型")
    );
    assert!(
        err["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("unsupported file type")
    );
    assert_eq!(
        json(&huoshui(&data, &["--json", "doc", "list"]))["documents"],
        Value::Array(vec![])
    );
    assert_eq!(
        std::fs::read_dir(data.join("documents")).unwrap().count(),
        0
    );
}

#[test]
fn a_document_for_an_application_this_device_does_not_have_is_refused_and_nothing_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let input = tmp.path().join("contract.pdf");
    std::fs::write(&input, pdf()).unwrap();
    let out = huoshui(
        &data,
        &[
            "--json",
            "doc",
            "add",
            input.to_str().unwrap(),
            "--kind",
            "land_contract",
            "--application",
            "01a228c7-5083-77b8-b1da-649e992ebe5e",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = json(&out);
    assert_eq!(err["error"]["code"], "invalid_input");
    assert!(
        err["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("这台设备上没有申请")
    );
    assert!(
        err["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("no application")
    );
    assert_eq!(
        json(&huoshui(&data, &["--json", "doc", "list"]))["documents"],
        Value::Array(vec![])
    );
}

#[test]
fn exporting_an_unknown_document_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = huoshui(
        tmp.path(),
        &[
            "--json",
            "doc",
            "export",
            "00000000-0000-4000-8000-000000000000",
            "x.pdf",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an id that is not there is bad input"
    );
    assert_eq!(json(&out)["error"]["code"], "not_found");
}

#[test]
fn a_lost_key_is_reset_from_the_terminal_saying_in_chinese_first_what_was_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let input = tmp.path().join("lease.pdf");
    std::fs::write(&input, pdf()).unwrap();
    for kind in ["lease", "other"] {
        let out = huoshui(
            &data,
            &["doc", "add", input.to_str().unwrap(), "--kind", kind],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = huoshui(&data, &["doc", "reset"]);
    assert!(!out.status.success(), "a working key is not reset");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("不需要重置"), "{said}");

    // The software keystore's key file is gone: another key opens nothing.
    std::fs::remove_file(data.join("keys").join("software-keystore.key")).unwrap();
    let out = huoshui(&data, &["doc", "list"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("密钥") && said.contains("huoshui doc reset"),
        "{said}"
    );

    let out = huoshui(&data, &["doc", "reset"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let removed = text.find("已删除").expect("says what was removed");
    assert!(
        text[removed..].starts_with("已删除 removed: 2 份"),
        "{text}"
    );
    assert!(text.contains("租赁合同") || text.contains("其他"), "{text}");
    assert!(text.contains("kept: 0 份"), "{text}");
    assert!(
        !text.contains("保存"),
        "nothing is said to be saved: {text}"
    );

    let listed = json(&huoshui(&data, &["--json", "doc", "list"]));
    assert_eq!(listed["documents"], Value::Array(vec![]));
    let out = huoshui(&data, &["--json", "doc", "reset"]);
    assert!(
        !out.status.success(),
        "the second reset finds nothing to reset"
    );
    let out = huoshui(
        &data,
        &["doc", "add", input.to_str().unwrap(), "--kind", "lease"],
    );
    assert!(
        out.status.success(),
        "the new key works: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
