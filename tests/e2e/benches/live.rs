//! Benchmark: a submission reaching the assigned manager's core over the live stream, on
//! loopback (DESIGN §7: p99 ≤ 1 s). The real platform, two real phone cores (the facade the
//! apps call): the manager's core has its live stream open; the villager's core submits and
//! syncs. Measured from the moment the villager's sync starts (so it includes the villager's own
//! catalog check and the submission itself) to the moment the manager's core has the new task
//! with the villager's number, as its task listener reports it.
//!
//! Run: `cargo bench -p huoshui-e2e --bench live` (prints p50, p90, p99 and max).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::Topic;
use huoshui_core::app::views::DraftInput;
use huoshui_e2e::{Phone, Platform};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const WARM_UP: usize = 20;
const SAMPLES: usize = 300;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut latencies = rt.block_on(run());
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "live task delivery over {} submissions: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(at(1.0)),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run() -> Vec<Duration> {
    let platform = Platform::start().await;
    let manager = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&manager, "m-runchang-1").await;
    manager.core.sync_now().await.unwrap();
    let (tx, rx) = mpsc::channel::<Instant>();
    let tx = Mutex::new(tx);
    manager.core.notifier().subscribe(Arc::new(move |topic| {
        if topic == Topic::Tasks {
            let _ = tx.lock().map(|t| t.send(Instant::now()));
        }
    }));
    manager.core.connect_live().unwrap();
    // v010 lives in a town only the first manager of each bank serves.
    let villager = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&villager, "v010").await;
    villager.core.sync_now().await.unwrap();

    let mut out = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        let draft = villager
            .core
            .create_draft(&DraftInput {
                product_id: "runchang-suli".into(),
                amount_fen: 10_000_000,
                months: 48,
                town: String::new(),
                industry: None,
                purpose: None,
            })
            .unwrap();
        villager.core.submit(&draft.id).unwrap();
        while rx.try_recv().is_ok() {}
        let started = Instant::now();
        villager.core.sync_now().await.unwrap();
        let arrived = loop {
            let woke = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("the task never arrived");
            let core = Arc::clone(&manager.core);
            let id = draft.id.clone();
            let have = tokio::task::spawn_blocking(move || {
                core.manager_tasks()
                    .unwrap()
                    .iter()
                    .any(|t| t.application_id == id && t.villager_phone.is_some())
            })
            .await
            .unwrap();
            if have {
                break woke;
            }
        };
        if i >= WARM_UP {
            out.push(arrived.saturating_duration_since(started));
        }
    }
    manager.core.disconnect_live();
    platform.stop().await;
    out
}
