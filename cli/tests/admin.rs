//! `huoshui admin`: enrollment from a CSV file (a bad row imports nothing and is named with
//! its line; a good file imports, twice without duplicates), then a backup of the data folder
//! restored into another one, refused when the target already has a database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn huoshui(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huoshui"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn import_refuses_a_file_with_a_bad_row_then_imports_and_a_backup_restores() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("county");
    let bad = tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        "phone,name,town,points\n13600000001,孙丽,崇文街道,1052\n13600000002,周强,火星镇,\n",
    )
    .unwrap();
    let out = huoshui(
        &data,
        &[
            "--json",
            "admin",
            "import",
            "villagers",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["imported"], false);
    assert_eq!(report["refused"][0]["line"], 3);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("13600000002"),
        "no phone number in the report"
    );

    let good = tmp.path().join("good.csv");
    std::fs::write(
        &good,
        "phone,name,town,points\n13600000001,孙丽,崇文街道,1052\n13600000002,周强,chongwen,\n",
    )
    .unwrap();
    let first = json(&huoshui(
        &data,
        &[
            "--json",
            "admin",
            "import",
            "villagers",
            good.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        (first["added"].as_u64(), first["updated"].as_u64()),
        (Some(2), Some(0))
    );
    let again = json(&huoshui(
        &data,
        &[
            "--json",
            "admin",
            "import",
            "villagers",
            good.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        (again["added"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(2))
    );

    let backup = tmp.path().join("backup");
    let out = huoshui(&data, &["admin", "backup", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = tmp.path().join("restored");
    let out = huoshui(&restored, &["admin", "restore", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = file_len(&restored.join("server/platform.sqlite3"));
    assert!(size > 0);
    let out = huoshui(&restored, &["admin", "restore", backup.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "a restore never overwrites a database"
    );
    // Re-importing into the restored platform finds the same people.
    let restored_again = json(&huoshui(
        &restored,
        &[
            "--json",
            "admin",
            "import",
            "villagers",
            good.to_str().unwrap(),
        ],
    ));
    assert_eq!(restored_again["updated"].as_u64(), Some(2));
}

/// The size of a file (the restored database is there and not empty).
fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}
