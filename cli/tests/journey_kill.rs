//! The kill test of issue 8: the phone side, running as the real `huoshui` binary (the app core
//! behind the facade), is SIGKILLed at random instants while the platform (`huoshui serve`)
//! stays up. A villager's device runs `apply … --doc …` and `sync`, a manager's device
//! `act … contact` and `sync`, side by side; each command is killed after a random delay drawn
//! over its whole run (from 0 to a little past the longest run seen so far), at least 200
//! kills in all, both sides. Afterwards one un-killed `sync` on each device, then the platform
//! is checked through its HTTP API:
//! - every application id a villager was told (printed before the kill) is on the platform,
//!   once; the platform holds exactly the applications the phone queued, none other;
//! - every document the platform counts as complete hashes (SHA-256 of the downloaded bytes)
//!   like the original file; incomplete uploads are not served; every queued application has
//!   each of its documents complete exactly once;
//! - every contact the manager was told was queued is on the platform exactly once; no
//!   application has two.
//!
//! The seed is printed (set `HUOSHUI_KILL_SEED` to replay its choices; the instants depend on
//! the machine too).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod common;

use common::shell::{Device, Platform, json_lines, pdf, sha256_hex};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// v010 lives in 贾镇, served only by the `-1` manager of each bank: all her postal-bank
/// applications go to m-psbc-1.
const VILLAGER: &str = "13800000010";
const MANAGER: &str = "13900000301";
const ADMIN: &str = "13700000001";
const PRODUCT: &str = "psbc-jisu";
const VILLAGER_KILLS: usize = 110;
const MANAGER_KILLS: usize = 100;

/// One command run that may be killed: how it ended and what it printed.
struct Run {
    killed: bool,
    code: Option<i32>,
    took: Duration,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Starts the command, waits `delay`, SIGKILLs it if it is still running (`None`: lets it finish).
fn run_and_kill(device: &Device, args: &[&str], delay: Option<Duration>) -> Run {
    let started = Instant::now();
    let mut child = device
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    // Drain both pipes while it runs, so a full pipe never holds it up.
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = started + delay.unwrap_or(Duration::from_secs(120));
    let mut status = None;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(2).min(deadline - Instant::now()));
    }
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.kill(); // SIGKILL
            child.wait().unwrap()
        }
    };
    let took = started.elapsed();
    Run {
        killed: status.signal() == Some(libc::SIGKILL),
        code: status.code(),
        took,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Draws delays over a command's whole run: from 0 to 10 % past the usual length of an
/// un-killed run of the command (the 75th percentile of those measured, so one slow outlier
/// does not let most runs finish). The first two runs of each command and every eighth after
/// are left to finish, so the length is measured while the data grows and the machine is busy.
#[derive(Default)]
struct Spread {
    runs: u32,
    measured: Vec<Duration>,
}

impl Spread {
    /// The delay before the kill; `None`: let this run finish (a measuring run).
    fn delay(&mut self, rng: &mut fastrand::Rng) -> Option<Duration> {
        self.runs += 1;
        if self.runs <= 2 || self.runs.is_multiple_of(8) {
            return None;
        }
        let top = (self.usual().as_millis() as u64) * 11 / 10;
        Some(Duration::from_millis(rng.u64(0..=top.max(20))))
    }

    fn saw(&mut self, took: Duration) {
        self.measured.push(took);
    }

    fn usual(&self) -> Duration {
        let mut m = self.measured.clone();
        m.sort();
        m.get(m.len() * 3 / 4)
            .copied()
            .unwrap_or(Duration::from_millis(300))
    }
}

#[derive(Default)]
struct Tally {
    kills: BTreeMap<&'static str, usize>,
    finished: BTreeMap<&'static str, usize>,
    /// Kills that came after the command had said "queued" (during its sync).
    after_queued: usize,
    /// The usual un-killed run of each command, ms (the kills are spread up to 1.1× this).
    usual_ms: BTreeMap<&'static str, u128>,
}

impl Tally {
    fn total(&self) -> usize {
        self.kills.values().sum()
    }
}

fn ended_well(run: &Run, what: &str) {
    assert_eq!(
        run.code,
        Some(0),
        "an un-killed `{what}` must succeed: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// The villager: apply (with two documents) and sync, killed at random.
fn villager_side(
    phone: &Device,
    docs: &[String; 2],
    seed: u64,
    told: &Mutex<BTreeSet<String>>,
) -> Tally {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let mut apply_spread = Spread::default();
    let mut sync_spread = Spread::default();
    let mut n = 0u32;
    while tally.total() < VILLAGER_KILLS {
        n += 1;
        let amount = (20_000 + n).to_string();
        let (what, args, spread): (&'static str, Vec<&str>, &mut Spread) = if rng.u8(0..10) < 7 {
            (
                "apply",
                vec![
                    "--json", "apply", PRODUCT, "--amount", &amount, "--months", "12", "--doc",
                    &docs[0], "--doc", &docs[1],
                ],
                &mut apply_spread,
            )
        } else {
            ("sync", vec!["--json", "sync"], &mut sync_spread)
        };
        let run = run_and_kill(phone, &args, spread.delay(&mut rng));
        let mut said_queued = false;
        for line in json_lines(&run.stdout) {
            if line["stage"] == "queued"
                && let Some(id) = line["id"].as_str()
            {
                told.lock().unwrap().insert(id.to_owned());
                said_queued = true;
            }
        }
        if run.killed && said_queued {
            tally.after_queued += 1;
        }
        if run.killed {
            *tally.kills.entry(what).or_default() += 1;
        } else {
            ended_well(&run, what);
            spread.saw(run.took);
            *tally.finished.entry(what).or_default() += 1;
            tally.usual_ms.insert(what, spread.usual().as_millis());
        }
    }
    tally
}

/// The manager: record the call on an application in the inbox, or sync, killed at random.
fn manager_side(
    phone: &Device,
    seed: u64,
    told: &Mutex<BTreeSet<String>>,
    villager_done: &Mutex<bool>,
) -> Tally {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5EED);
    let mut tally = Tally::default();
    let mut act_spread = Spread::default();
    let mut sync_spread = Spread::default();
    while tally.total() < MANAGER_KILLS || !*villager_done.lock().unwrap() {
        // The inbox on the phone (read only, never killed).
        let inbox = phone.json(&["tasks"]);
        let calls: Vec<String> = inbox["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "call")
            .map(|t| t["application_id"].as_str().unwrap().to_owned())
            .collect();
        let id;
        let (what, args, spread): (&'static str, Vec<&str>, &mut Spread) =
            if !calls.is_empty() && rng.u8(0..10) < 7 {
                id = calls[rng.usize(0..calls.len())].clone();
                (
                    "act",
                    vec!["--json", "act", &id, "contact", "--outcome", "reached"],
                    &mut act_spread,
                )
            } else {
                ("sync", vec!["--json", "sync"], &mut sync_spread)
            };
        let run = run_and_kill(phone, &args, spread.delay(&mut rng));
        let mut said_queued = false;
        for line in json_lines(&run.stdout) {
            if line["stage"] == "queued"
                && line["action"] == "contact"
                && let Some(id) = line["id"].as_str()
            {
                told.lock().unwrap().insert(id.to_owned());
                said_queued = true;
            }
        }
        if run.killed && said_queued {
            tally.after_queued += 1;
        }
        if run.killed {
            *tally.kills.entry(what).or_default() += 1;
        } else {
            ended_well(&run, what);
            spread.saw(run.took);
            *tally.finished.entry(what).or_default() += 1;
            tally.usual_ms.insert(what, spread.usual().as_millis());
        }
        if tally.total() >= MANAGER_KILLS * 2 {
            break;
        }
    }
    tally
}

fn write_file(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn every_action_the_phone_accepted_has_exactly_one_effect_however_often_it_is_killed() {
    let seed = std::env::var("HUOSHUI_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("kill test seed: {seed} (HUOSHUI_KILL_SEED={seed} to replay the choices)");
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let platform = Platform::start(tmp.path());
    let villager = Device::new(tmp.path().join("villager"), platform.base());
    let manager = Device::new(tmp.path().join("manager"), platform.base());
    villager.sign_in(&platform, VILLAGER);
    manager.sign_in(&platform, MANAGER);

    // Two documents: one of two upload chunks (256 KiB each) and a small one.
    let contract = pdf(400_000, seed);
    let register = pdf(30_000, seed.wrapping_add(1));
    let originals: BTreeMap<&str, String> = [
        ("land_contract", sha256_hex(&contract)),
        ("household_register", sha256_hex(&register)),
    ]
    .into();
    let docs = [
        format!(
            "land_contract={}",
            write_file(&tmp.path().join("contract.pdf"), &contract)
        ),
        format!(
            "household_register={}",
            write_file(&tmp.path().join("register.pdf"), &register)
        ),
    ];

    let told_applications = Arc::new(Mutex::new(BTreeSet::new()));
    let told_contacts = Arc::new(Mutex::new(BTreeSet::new()));
    let villager_done = Arc::new(Mutex::new(false));
    let (villager_tally, manager_tally) = std::thread::scope(|s| {
        let v = s.spawn(|| {
            let t = villager_side(&villager, &docs, seed, &told_applications);
            *villager_done.lock().unwrap() = true;
            t
        });
        let m = s.spawn(|| manager_side(&manager, seed, &told_contacts, &villager_done));
        (v.join().unwrap(), m.join().unwrap())
    });
    let kills = villager_tally.total() + manager_tally.total();
    println!(
        "kills: villager {:?} (finished {:?}, usual ms {:?}), manager {:?} (finished {:?}, usual ms {:?}); {kills} in all",
        villager_tally.kills,
        villager_tally.finished,
        villager_tally.usual_ms,
        manager_tally.kills,
        manager_tally.finished,
        manager_tally.usual_ms
    );
    assert!(villager_tally.total() >= VILLAGER_KILLS);
    assert!(manager_tally.total() >= MANAGER_KILLS);
    assert!(kills >= 200);
    // The kills landed all over the runs: also after "queued", while the command was sending.
    println!(
        "killed after saying queued: villager {}, manager {}",
        villager_tally.after_queued, manager_tally.after_queued
    );
    assert!(villager_tally.after_queued >= 3 && manager_tally.after_queued >= 3);

    // One un-killed sync on each device delivers whatever waits.
    for device in [&villager, &manager, &villager] {
        let report = device.json(&["sync"]);
        assert_eq!(report["pending"], 0, "{report}");
        assert_eq!(report["attention"], serde_json::json!([]), "{report}");
    }

    // What the villager's phone queued: every application past the draft.
    let on_phone = villager.json(&["status"]);
    let queued: BTreeSet<String> = on_phone["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] != "draft")
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    let told_applications = told_applications.lock().unwrap().clone();
    let told_contacts = told_contacts.lock().unwrap().clone();
    assert!(
        told_applications.len() >= 10,
        "enough applications got through: {}",
        told_applications.len()
    );
    assert!(
        told_contacts.len() >= 5,
        "enough contacts got through: {}",
        told_contacts.len()
    );

    // The platform: exactly the applications the phone queued, each once; all it was told.
    let token = platform.token(VILLAGER);
    let (status, mine) = platform.get("/v1/applications?limit=500", &token);
    assert_eq!(status, 200);
    let on_platform: Vec<String> = mine["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    let platform_set: BTreeSet<String> = on_platform.iter().cloned().collect();
    assert_eq!(on_platform.len(), platform_set.len(), "no id twice");
    assert!(
        told_applications.is_subset(&platform_set),
        "told but missing: {:?}",
        told_applications
            .difference(&platform_set)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        platform_set, queued,
        "the platform holds exactly what the phone queued"
    );
    let admin = platform.token(ADMIN);
    let (_, figures) = platform.get("/v1/admin/figures", &admin);
    assert_eq!(
        figures["total"].as_u64().unwrap() as usize,
        platform_set.len(),
        "no application on the platform that no phone queued"
    );

    // Documents: complete ones are byte-exact; incomplete ones are not served; one complete
    // copy of each document per application.
    let mut complete_docs = 0;
    let mut incomplete_docs = 0;
    for id in &platform_set {
        let (status, list) = platform.get(&format!("/v1/applications/{id}/documents"), &token);
        assert_eq!(status, 200, "{list}");
        let mut complete_kinds: BTreeMap<String, usize> = BTreeMap::new();
        for d in list["documents"].as_array().unwrap() {
            let kind = d["kind"].as_str().unwrap();
            let upload = d["upload_id"].as_str().unwrap();
            let (status, bytes) =
                platform.get_bytes(&format!("/v1/documents/{upload}/content"), &token);
            if d["complete"] == true {
                complete_docs += 1;
                *complete_kinds.entry(kind.to_owned()).or_default() += 1;
                assert_eq!(status, 200);
                assert_eq!(&sha256_hex(&bytes), &originals[kind], "{kind} of {id}");
                assert_eq!(d["sha256"].as_str().unwrap(), &originals[kind]);
            } else {
                incomplete_docs += 1;
                assert_eq!(status, 404, "an incomplete upload is not served");
            }
        }
        for kind in originals.keys() {
            assert_eq!(
                complete_kinds.get(*kind).copied().unwrap_or(0),
                1,
                "{kind} of {id}: exactly one complete copy ({complete_kinds:?})"
            );
        }
    }

    // Contacts: each told one on the platform exactly once; never two on any application;
    // and every contact the manager's phone holds is on the platform.
    let manager_token = platform.token(MANAGER);
    let mut contacted = BTreeSet::new();
    for id in &platform_set {
        let (status, detail) = platform.get(&format!("/v1/applications/{id}"), &manager_token);
        assert_eq!(status, 200, "{detail}");
        let n = detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"]["type"] == "contacted")
            .count();
        assert!(n <= 1, "{id} has {n} contacts");
        if n == 1 {
            contacted.insert(id.clone());
        }
    }
    assert!(
        told_contacts.is_subset(&contacted),
        "told but not on the platform: {:?}",
        told_contacts.difference(&contacted).collect::<Vec<_>>()
    );
    let manager_phone = manager.json(&["status"]);
    let contacted_on_phone: BTreeSet<String> = manager_phone["applications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "contacted")
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        contacted_on_phone, contacted,
        "the manager's phone and the platform agree"
    );

    println!(
        "seed {seed}: {kills} kills; {} applications told, {} on the platform ({} documents complete, {} incomplete uploads left); {} contacts told, {} on the platform; {:.1} s",
        told_applications.len(),
        platform_set.len(),
        complete_docs,
        incomplete_docs,
        told_contacts.len(),
        contacted.len(),
        started.elapsed().as_secs_f64()
    );
}
