//! What a phone does at launch: open the device store (with the install key from the keystore),
//! load and validate the cached catalog, and show the first market page of 20 offers
//! (DESIGN §7 budget: ≤ 20 ms).
//!
//! The data folder is prepared once before timing, the way a phone's folder looks after a
//! catalog sync: a software keystore, the wrapped install key with its canary, and the device
//! store holding the county catalog JSON with its ETag (saved by `Store::save_catalog`, as the
//! sync client saves it). Every timed iteration then goes through the app facade exactly as the
//! phone does (`AppCore::open_with_clock` + `AppCore::market_page`), and everything it opened is
//! dropped, outside the timer, before the next iteration opens the folder again.
//!
//! Run: `cargo bench -p huoshui-core --bench cold_start`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use huoshui_core::app::views::{MarketInput, MarketPageView};
use huoshui_core::app::{AppCore, Clock};
use huoshui_core::domain::catalog::{Catalog, EMBEDDED_JSON};
use huoshui_core::store::Store;
use huoshui_core::vault::{InstallKey, Keystore, SoftwareKeystore};
use jiff::Timestamp;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The version written into the cached copy, so that a page can only show it if the core
/// really loaded the cached catalog (and did not fall back to the embedded one).
fn cached_version() -> String {
    format!("{}-synced", Catalog::embedded().unwrap().version())
}

/// The keystore the CLI and tests use; a phone passes its platform keystore instead.
fn keystore(dir: &Path) -> Arc<dyn Keystore> {
    let path = dir.join("keys").join(SoftwareKeystore::FILE_NAME);
    Arc::new(SoftwareKeystore::open_or_create(&path).unwrap())
}

/// A data folder as a phone has it after its first catalog sync.
fn prepare(dir: &Path, now: Timestamp) {
    let embedded_version = Catalog::embedded().unwrap().version().to_owned();
    let json = EMBEDDED_JSON.replacen(
        &format!("\"version\": \"{embedded_version}\""),
        &format!("\"version\": \"{}\"", cached_version()),
        1,
    );
    let cached = Catalog::from_json(&json).unwrap();
    assert_eq!(cached.version(), cached_version(), "the marker is in place");
    let ks = keystore(dir);
    let install = Arc::new(InstallKey::open_or_create(dir, ks.as_ref()).unwrap());
    let store = Store::open(dir, install, now).unwrap().store;
    // The server's ETag is the quoted catalog version.
    let etag = format!("\"{}\"", cached.version());
    store.save_catalog(&json, Some(&etag), now).unwrap();
    let saved = store.cached_catalog().unwrap().unwrap();
    assert_eq!(saved.etag.as_deref(), Some(etag.as_str()));
}

/// The first market page for a typical request: 500,000 yuan over 60 months, 20 offers.
fn first_page_input() -> MarketInput {
    MarketInput {
        amount_fen: 50_000_000,
        months: 60,
        limit: Some(20),
        ..MarketInput::default()
    }
}

/// One launch: keystore, install key, vault, store, cached catalog, first page.
fn launch(dir: &Path, clock: &Clock, input: &MarketInput) -> (Arc<AppCore>, MarketPageView) {
    let core = AppCore::open_with_clock(dir, None, keystore(dir), Arc::clone(clock)).unwrap();
    let page = core.market_page(input).unwrap();
    (core, page)
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("huoshui");
    let now: Timestamp = "2026-11-28T02:00:00Z".parse().unwrap();
    let clock: Clock = Arc::new(move || now);
    prepare(&dir, now);
    let input = first_page_input();

    // The page is what the phone must show: from the cached catalog, 20 offers, costed.
    let (core, page) = launch(&dir, &clock, &input);
    assert!(core.moved_aside().is_none(), "the store opened cleanly");
    assert_eq!(
        page.catalog_version,
        cached_version(),
        "cached catalog used"
    );
    let products = Catalog::embedded().unwrap().products().len();
    assert_eq!(page.matched as usize, products, "no filter: every product");
    assert_eq!(page.offers.len(), products.min(20));
    assert!(page.offers.iter().any(|o| o.costed && o.eligible));
    assert!(
        page.offers
            .iter()
            .all(|o| o.amount.fen == 50_000_000 || !o.costed),
        "costed offers are for the amount asked"
    );
    drop(core);

    let mut group = c.benchmark_group("cold_start");
    group.sample_size(50);
    // Each iteration reopens from disk; the drop (closing SQLite) is outside the timer.
    group.bench_function("open_store_load_cached_catalog_first_page_of_20", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let opened = launch(black_box(&dir), &clock, black_box(&input));
                total += start.elapsed();
                drop(black_box(opened));
            }
            total
        });
    });
    // The same open without the page: how much of the launch is disk, keys and parsing.
    group.bench_function("open_store_load_cached_catalog", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let core = AppCore::open_with_clock(
                    black_box(&dir),
                    None,
                    keystore(&dir),
                    Arc::clone(&clock),
                )
                .unwrap();
                total += start.elapsed();
                drop(black_box(core));
            }
            total
        });
    });
    // The page alone on a core already open.
    let core = AppCore::open_with_clock(&dir, None, keystore(&dir), Arc::clone(&clock)).unwrap();
    group.bench_function("first_page_of_20_on_open_core", |b| {
        b.iter(|| core.market_page(black_box(&input)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
