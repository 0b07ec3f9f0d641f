//! `huoshui admin migrate` and `huoshui admin copy` (issue 13), through the real binary: the
//! schema is brought up to date on either engine with the versions said; a county enrolled
//! on the embedded SQLite moves to an empty PostgreSQL schema with every table the same, a
//! second copy into it is refused, and no output ever shows the URL's password.
//! The PostgreSQL half needs `scripts/pg.sh` (skipped without `HUOSHUI_TEST_PG_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_server::sql::pg;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn huoshui(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("HUOSHUI_DATABASE_URL")
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn admin_migrate_says_from_which_version_to_which() {
    let tmp = tempfile::tempdir().unwrap();
    let first = json(&huoshui(tmp.path(), &["--json", "admin", "migrate"]));
    assert_eq!(first["engine"], "SQLite");
    assert_eq!(first["from_version"], 0);
    let now = first["to_version"].as_u64().unwrap();
    assert!(now >= 8);
    let again = json(&huoshui(tmp.path(), &["--json", "admin", "migrate"]));
    assert_eq!(again["from_version"], now);
    assert_eq!(again["to_version"], now);
    assert!(tmp.path().join("server").join("platform.sqlite3").exists());
}

#[test]
fn admin_copy_moves_an_enrolled_county_to_postgres_once_and_never_shows_the_password() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("villagers.csv");
    std::fs::write(
        &csv,
        "phone,name,town,points\n13600000001,孙丽,崇文街道,1052\n13600000002,周强,崇文街道,\n",
    )
    .unwrap();
    let data = tmp.path().join("county");
    let imported = huoshui(
        &data,
        &[
            "--json",
            "admin",
            "import",
            "villagers",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(imported.status.code(), Some(0), "{imported:?}");

    let schema = pg::testing::fresh_schema(&url).unwrap();
    // The test server trusts loopback: any password is accepted, and none may be shown.
    let scheme_less = url.trim_start_matches("postgres://");
    let to = format!(
        "postgres://{}?options=-c%20search_path%3D{schema}",
        scheme_less.replacen('@', ":hunter2@", 1)
    );
    let copied = huoshui(&data, &["--json", "admin", "copy", "--to", &to]);
    assert_eq!(copied.status.code(), Some(0), "{copied:?}");
    let report = json(&copied);
    let tables = report["tables"].as_array().unwrap();
    assert!(tables.len() >= 20, "every table: {report}");
    for t in tables {
        assert_eq!(t["source_rows"], t["target_rows"], "{t}");
        assert_eq!(t["source_hash"], t["target_hash"], "{t}");
    }
    let users = tables.iter().find(|t| t["table"] == "users").unwrap();
    assert_eq!(users["target_rows"], 2);

    let twice = huoshui(&data, &["admin", "copy", "--to", &to]);
    assert_eq!(twice.status.code(), Some(1));
    let said = String::from_utf8_lossy(&twice.stderr);
    assert!(said.contains("already holds rows"), "{said}");

    let migrated = huoshui(&data, &["admin", "migrate", "--database-url", &to]);
    let shown = String::from_utf8_lossy(&migrated.stdout);
    assert!(
        shown.contains("PostgreSQL") && shown.contains(":***@"),
        "{shown}"
    );
    for out in [&copied, &twice, &migrated] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("hunter2"), "the password was shown: {all}");
    }
    pg::testing::drop_schema(&url, &schema).unwrap();
}

/// With `HUOSHUI_DATABASE_CA`, the commands reach PostgreSQL over TLS only and check its
/// certificate; a certificate of another authority is refused with words that say so.
#[test]
fn admin_migrate_speaks_tls_to_postgres_with_the_countys_certificate_authority() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let Some(ca) = pg::testing::tls_ca().unwrap() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let schema = pg::testing::fresh_schema(&url).unwrap();
    let target = format!("{url}?options=-c%20search_path%3D{schema}");
    let run = |ca: &Path| {
        Command::new(env!("CARGO_BIN_EXE_huoshui"))
            .arg("--data-dir")
            .arg(tmp.path())
            .args(["--json", "admin", "migrate", "--database-url", &target])
            .env_remove("HUOSHUI_DATABASE_URL")
            .env("HUOSHUI_DATABASE_CA", ca)
            .output()
            .unwrap()
    };
    let migrated = json(&run(&ca));
    assert_eq!(migrated["engine"], "PostgreSQL");
    assert_eq!(migrated["from_version"], 0);

    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let other_ca = tmp.path().join("other-ca.pem");
    std::fs::write(&other_ca, other.cert.pem()).unwrap();
    let refused = run(&other_ca);
    assert_ne!(refused.status.code(), Some(0));
    let said = String::from_utf8_lossy(&refused.stderr).into_owned()
        + &String::from_utf8_lossy(&refused.stdout);
    assert!(said.contains("PostgreSQL"), "{said}");
    pg::testing::drop_schema(&url, &schema).unwrap();
}
