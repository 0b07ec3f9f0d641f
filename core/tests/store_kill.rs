//! An app killed (SIGKILL) at any instant while capturing a document or committing to the
//! outbox leaves no partial document and loses no committed row.
//!
//! The test re-runs its own binary as a child (`kill_child_worker`, ignored in normal runs),
//! which captures documents and enqueues commands in a loop and prints a line after each one
//! is durable. The parent kills it at a pseudo-random moment, 40 times over the same data
//! folder, and after each kill checks that everything the child reported is there and intact,
//! and that nothing half-written is visible.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::store::Store;
use huoshui_core::vault::{InstallKey, SoftwareKeystore, Vault};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

const DIR_ENV: &str = "HUOSHUI_KILL_TEST_DIR";
const RUN_ENV: &str = "HUOSHUI_KILL_TEST_RUN";

fn now() -> jiff::Timestamp {
    "2026-03-07T08:00:00Z".parse().unwrap()
}

/// The document with seed `seed`: a PDF whose second line names the seed.
fn document(seed: u64) -> Vec<u8> {
    let mut v = format!("%PDF-1.4\n% seed {seed:012}\n").into_bytes();
    let len = 70_000 + (seed % 7) as usize * 20_000;
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

fn seed_of(doc: &[u8]) -> u64 {
    std::str::from_utf8(&doc[16..28]).unwrap().parse().unwrap()
}

fn open_all(dir: &Path) -> (Vault, Store) {
    let keystore =
        SoftwareKeystore::open_or_create(&dir.join("keys").join(SoftwareKeystore::FILE_NAME))
            .unwrap();
    let key = Arc::new(InstallKey::open_or_create(dir, &keystore).unwrap());
    let vault = Vault::open(dir, key.clone()).unwrap();
    let store = Store::open(dir, key, now()).unwrap().store;
    (vault, store)
}

#[test]
#[ignore = "child process of a_killed_app_loses_nothing_committed_and_shows_nothing_half_written"]
fn kill_child_worker() {
    let Ok(dir) = std::env::var(DIR_ENV) else {
        return;
    };
    let run: u64 = std::env::var(RUN_ENV).unwrap().parse().unwrap();
    let (vault, store) = open_all(Path::new(&dir));
    let out = std::io::stdout();
    for i in 0..10_000u64 {
        let seed = run * 100_000 + i;
        let doc = document(seed);
        let mut w = vault.create_document(DocumentKind::Other).unwrap();
        for piece in doc.chunks(4096) {
            w.write_chunk(piece).unwrap();
        }
        let info = w.finish().unwrap();
        writeln!(out.lock(), "@doc {} {seed}", info.id).unwrap();
        let (_, key) = store
            .enqueue_command("submit", &format!("{{\"seed\":{seed}}}"), now())
            .unwrap();
        writeln!(out.lock(), "@cmd {key} {seed}").unwrap();
    }
}

#[test]
fn a_killed_app_loses_nothing_committed_and_shows_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng: u64 = 0x2545_F491_4F6C_DD1D;
    let mut expected_docs: BTreeMap<uuid::Uuid, u64> = BTreeMap::new();
    let mut expected_cmds: BTreeMap<uuid::Uuid, u64> = BTreeMap::new();
    let mut partial_seen = 0;
    let mut verified = std::collections::BTreeSet::new();
    for run in 1..=40u64 {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "kill_child_worker",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_ENV, dir.path())
            .env(RUN_ENV, run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(std::time::Duration::from_millis(30 + rng % 300));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let mut output = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut output)
            .unwrap();
        for line in output.lines() {
            // libtest may print its own text before ours on the same line.
            let Some(start) = line.find('@') else {
                continue;
            };
            let parts: Vec<&str> = line[start..].split_whitespace().collect();
            match parts.as_slice() {
                ["@doc", id, seed] => {
                    expected_docs.insert(id.parse().unwrap(), seed.parse().unwrap());
                }
                ["@cmd", key, seed] => {
                    expected_cmds.insert(key.parse().unwrap(), seed.parse().unwrap());
                }
                _ => {}
            }
        }

        // Before the app reopens: only whole documents carry a document's name.
        for entry in std::fs::read_dir(dir.path().join("documents"))
            .unwrap()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".partial-") {
                partial_seen += 1;
            } else {
                assert!(name.ends_with(".hsd"), "unexpected file {name}");
            }
        }

        let (vault, store) = open_all(dir.path());
        let leftovers: Vec<_> = std::fs::read_dir(vault.dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".partial-"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "opening the vault cleans half-written files"
        );

        // Every listed document opens whole (checked once: a finished file is never rewritten);
        // every reported one is listed.
        let listed = vault.list().unwrap();
        for info in listed.iter().filter(|d| verified.insert(d.id)) {
            let plain = vault.read_all(info.id).unwrap();
            assert_eq!(
                plain.as_slice(),
                document(seed_of(&plain)).as_slice(),
                "document {} is whole",
                info.id
            );
            if let Some(seed) = expected_docs.get(&info.id) {
                assert_eq!(seed_of(&plain), *seed);
            }
        }
        for id in expected_docs.keys() {
            assert!(
                listed.iter().any(|d| d.id == *id),
                "reported document {id} is there (run {run})"
            );
        }
        // Every reported command is in the outbox with its key and payload.
        let outbox = store.outbox().unwrap();
        for (key, seed) in &expected_cmds {
            let item = outbox
                .iter()
                .find(|c| c.idempotency_key == *key)
                .unwrap_or_else(|| panic!("command {key} lost (run {run})"));
            assert_eq!(item.payload_json.as_str(), format!("{{\"seed\":{seed}}}"));
        }
    }
    eprintln!(
        "40 kills: {} documents and {} commands reported durable, {} half-written files cleaned",
        expected_docs.len(),
        expected_cmds.len(),
        partial_seen
    );
    assert!(
        !expected_docs.is_empty() && !expected_cmds.is_empty(),
        "the child got far enough to commit something"
    );
}

// ----- a document and its link to the application, killed during `finish_capture` -----

const APP_DIR_ENV: &str = "HUOSHUI_CAPTURE_KILL_DIR";

fn app_clock() -> huoshui_core::app::Clock {
    Arc::new(now)
}

fn software_keystore(dir: &Path) -> Arc<dyn huoshui_core::vault::Keystore> {
    Arc::new(
        SoftwareKeystore::open_or_create(&dir.join("keys").join(SoftwareKeystore::FILE_NAME))
            .unwrap(),
    )
}

/// v001 signed in, as the platform's sign-in would have left the store.
fn sign_in_villager(dir: &Path) {
    let (_, store) = open_all(dir);
    let profile = huoshui_core::wire::UserView {
        id: "v001".into(),
        role: huoshui_core::domain::lifecycle::Role::Villager,
        name: "测试".into(),
        phone: "138****0001".into(),
        town: Some("chongwen".into()),
        bank_id: None,
        towns: Vec::new(),
        points: Some(1_052),
        grade: Some("AAA".into()),
    };
    store
        .save_session(
            "v001",
            "villager",
            &serde_json::to_string(&profile).unwrap(),
            &"t".repeat(64),
            "2026-04-07T08:00:00Z".parse().unwrap(),
            now(),
        )
        .unwrap();
}

#[test]
#[ignore = "child process of a_document_killed_during_finish_capture_is_listed_with_its_application_or_not_at_all"]
fn capture_kill_child_worker() {
    use huoshui_core::app::AppCore;
    let Ok(dir) = std::env::var(APP_DIR_ENV) else {
        return;
    };
    let run: u64 = std::env::var(RUN_ENV).unwrap().parse().unwrap();
    let dir = Path::new(&dir);
    let core = AppCore::open_with_clock(dir, None, software_keystore(dir), app_clock()).unwrap();
    let app = core
        .create_draft(&huoshui_core::app::views::DraftInput {
            product_id: "runchang-suli".into(),
            amount_fen: 10_000_000,
            months: 48,
            town: String::new(),
            industry: None,
            purpose: None,
        })
        .unwrap()
        .id;
    let out = std::io::stdout();
    for i in 0..10_000u64 {
        let seed = run * 100_000 + i;
        let doc = document(seed);
        let mut c = core
            .start_capture(DocumentKind::Other, Some(app.clone()))
            .unwrap();
        for piece in doc.chunks(16 * 1024) {
            c.write_chunk(piece).unwrap();
        }
        let v = core.finish_capture(c).unwrap();
        writeln!(out.lock(), "@doc {} {app}", v.id).unwrap();
    }
}

#[test]
fn a_document_killed_during_finish_capture_is_listed_with_its_application_or_not_at_all() {
    use huoshui_core::app::AppCore;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    sign_in_villager(dir);
    let exe = std::env::current_exe().unwrap();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut reported: BTreeMap<String, String> = BTreeMap::new();
    let mut verified = std::collections::BTreeSet::new();
    let mut unrecorded_files = 0;
    for run in 1..=25u64 {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "capture_kill_child_worker",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(APP_DIR_ENV, dir)
            .env(RUN_ENV, run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(std::time::Duration::from_millis(60 + rng % 400));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let mut output = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut output)
            .unwrap();
        for line in output.lines() {
            let Some(start) = line.find('@') else {
                continue;
            };
            if let ["@doc", id, app] = line[start..]
                .split_whitespace()
                .collect::<Vec<_>>()
                .as_slice()
            {
                reported.insert((*id).to_owned(), (*app).to_owned());
            }
        }
        // Before the app reopens: sealed files the store has no record of (a kill between
        // naming the file and committing its record).
        let recorded: Vec<String> = {
            let (_, store) = open_all(dir);
            store
                .documents(None)
                .unwrap()
                .iter()
                .map(|d| d.id.to_string())
                .collect()
        };
        let files = sealed_file_ids(dir);
        unrecorded_files += files.iter().filter(|f| !recorded.contains(f)).count();

        let core =
            AppCore::open_with_clock(dir, None, software_keystore(dir), app_clock()).unwrap();
        let apps: Vec<String> = core
            .applications()
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        let docs = core.documents(None).unwrap();
        let listed: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        assert_eq!(
            sealed_file_ids(dir),
            listed.iter().cloned().collect(),
            "every sealed file is a listed document and back (run {run})"
        );
        for d in &docs {
            let app = d
                .application_id
                .as_deref()
                .unwrap_or_else(|| panic!("document {} without its application", d.id));
            assert!(
                apps.iter().any(|a| a == app),
                "document {} links to a missing application {app}",
                d.id
            );
            if verified.insert(d.id.clone()) {
                let mut export = core.open_export(&d.id).unwrap();
                let mut plain = Vec::new();
                while let Some(chunk) = export.next_chunk().unwrap() {
                    plain.extend_from_slice(&chunk);
                }
                assert_eq!(
                    plain,
                    document(seed_of(&plain)),
                    "document {} is whole",
                    d.id
                );
            }
        }
        for (id, app) in &reported {
            let d = docs
                .iter()
                .find(|d| &d.id == id)
                .unwrap_or_else(|| panic!("reported document {id} lost (run {run})"));
            assert_eq!(d.application_id.as_deref(), Some(app.as_str()));
        }
    }
    eprintln!(
        "25 kills during capture: {} documents reported, {} listed with their application, {} sealed files without a record removed on reopen",
        reported.len(),
        verified.len(),
        unrecorded_files
    );
    assert!(
        !reported.is_empty(),
        "the child got far enough to capture something"
    );
}

fn sealed_file_ids(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir.join("documents"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".hsd")
                .map(str::to_owned)
        })
        .collect()
}
