//! `huoshui serve --production` refuses to start without an SMS provider, and a configuration
//! naming a secret file that is not there is refused with that path; nothing is served.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn serve(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env_remove("HUOSHUI_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn production_without_an_sms_provider_does_not_start() {
    let tmp = tempfile::tempdir().unwrap();
    let out = serve(tmp.path(), &["--production"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("production needs an SMS provider"), "{err}");
    assert!(err.contains("短信服务"), "{err}");
    assert!(
        !tmp.path().join("server/platform.sqlite3").exists(),
        "nothing was created"
    );
}

#[test]
fn a_missing_secret_file_is_named_and_nothing_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("huoshui.toml");
    std::fs::write(
        &config,
        "[sms.tencent]\nsecret_id_file = \"/nonexistent/id\"\nsecret_key_file = \"/nonexistent/key\"\nsdk_app_id = \"1400006666\"\nsign_name = \"冠县\"\ntemplates = { login_code = \"1\", task_waiting = \"2\", escalation = \"3\" }\n",
    )
    .unwrap();
    let out = serve(
        tmp.path(),
        &["--production", "--config", config.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/id"), "{err}");
}

#[test]
fn plain_http_beyond_loopback_needs_to_be_said() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--insecure-http"), "{err}");
}
