//! A backup taken while villagers keep submitting restores into a new data folder with every
//! application the platform had acknowledged before the backup began (and the documents and
//! phone numbers readable, the key being in the backup). The real server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Platform, tempdir};
use reqwest::StatusCode;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_with_every_acknowledged_application() {
    if common::on_postgres() {
        eprintln!(
            "skipped on PostgreSQL: this backup copies the embedded SQLite file (PostgreSQL has its own, pg_dump)"
        );
        return;
    }
    let tmp = tempdir();
    let live = tmp.path().join("live");
    let p = Platform::start(&live).await;
    let product = p.product_of_bank("runchang").await;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for n in 1..=6 {
        let v = p.login(&format!("v{n:03}")).await;
        let (acked, stop, product) = (acked.clone(), stop.clone(), product.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let id = v.apply(&product).await; // answers after the commit
                acked.lock().unwrap().push(id);
            }
        }));
    }
    while acked.lock().unwrap().len() < 30 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let out = tmp.path().join("backup");
    let from = live.clone();
    let dest = out.clone();
    tokio::task::spawn_blocking(move || huoshui_server::backup::backup(&from, &dest))
        .await
        .unwrap()
        .unwrap();
    let during = acked.lock().unwrap().len();
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    assert!(
        during > before.len(),
        "submissions went on while the backup ran"
    );
    let clock = p.stop().await;

    let restored = tmp.path().join("restored");
    huoshui_server::backup::restore(&out, &restored).unwrap();
    let again = huoshui_server::backup::restore(&out, &restored).unwrap_err();
    assert!(again.to_string().contains("not overwritten"), "{again}");

    let q = Platform::start_with(&restored, clock).await;
    let admin = q.login("admin").await;
    let mut missing = Vec::new();
    for id in &before {
        let r = admin.get(&format!("/v1/applications/{id}")).await;
        if r.status != StatusCode::OK {
            missing.push(id.clone());
        }
        // The sealed phone number opens with the restored key.
        assert!(
            r.body["villager"]["phone"]
                .as_str()
                .is_some_and(|ph| ph.len() == 11)
        );
    }
    assert!(missing.is_empty(), "lost in the backup: {missing:?}");
    q.stop().await;
}
