//! The FFI surface called from Rust, as Kotlin and Swift call it: the market page through the
//! exported object equals the domain's own ranking for the same request, errors arrive as
//! their caller actions, a panic becomes `Internal`, listeners stop when their handle goes,
//! and document kinds, sort orders and grades cross as typed enums.

use huoshui_core::app::views::{CreditGrade, DocumentView, MarketInput};
use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::credit::CreditInput;
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::market::{self, MarketQuery, MarketRequest, SortKey};
use huoshui_ffi::{
    CoreConfig, DocumentsListener, HuoshuiCore, HuoshuiError, KeystoreError, PlatformKeystore,
};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A keystore that "wraps" by xor with a fixed byte: enough to exercise the foreign trait.
struct XorKeystore(u8);

impl PlatformKeystore for XorKeystore {
    fn wrap_key(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, KeystoreError> {
        Ok(plaintext.iter().map(|b| b ^ self.0).collect())
    }
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeystoreError> {
        Ok(wrapped.iter().map(|b| b ^ self.0).collect())
    }
}

fn config(dir: &tempfile::TempDir) -> CoreConfig {
    CoreConfig {
        data_dir: dir.path().display().to_string(),
        platform_url: None,
    }
}

fn open(dir: &tempfile::TempDir) -> Arc<HuoshuiCore> {
    match HuoshuiCore::open(config(dir), Arc::new(XorKeystore(0x5a))) {
        Ok(core) => core,
        Err(e) => unreachable!("open failed: {e}"),
    }
}

fn input(amount_fen: i64, months: u32, points: Option<u32>) -> MarketInput {
    MarketInput {
        amount_fen,
        months,
        points,
        as_of: Some("2026-11-28".into()),
        ..MarketInput::default()
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| rt.block_on(f))
        .unwrap_or_else(|e| unreachable!("{e}"))
}

#[test]
fn the_market_page_through_the_ffi_equals_the_domain_ranking() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let core = open(&dir);
    let page = block_on(core.market_page(input(50_000_000, 36, Some(1052))))
        .unwrap_or_else(|e| unreachable!("{e}"));

    let catalog = Catalog::embedded().unwrap_or_else(|e| unreachable!("{e}"));
    let date = "2026-11-28".parse().unwrap_or_else(|e| unreachable!("{e}"));
    let mut req = MarketRequest::new(50_000_000, 36, date);
    req.credit = CreditInput::Points(1052);
    let domain = market::rank(&catalog, &req, &MarketQuery::default())
        .unwrap_or_else(|e| unreachable!("{e}"));

    assert_eq!(page.offers.len(), domain.offers.len());
    for (view, offer) in page.offers.iter().zip(&domain.offers) {
        assert_eq!(view.product_id, offer.product_id);
        assert_eq!(view.eligible, offer.eligible);
        let cost = offer.cost.unwrap_or_default();
        assert_eq!(view.net_cost.fen, cost.net_cost);
        assert_eq!(view.apr_ppm, cost.apr.nominal_ppm);
        assert_eq!(
            view.largest_payment.full,
            huoshui_core::domain::money::format_yuan(cost.largest_payment)
        );
    }
}

#[test]
fn errors_arrive_as_caller_actions_and_a_panic_as_internal() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let core = open(&dir);
    assert!(matches!(
        block_on(core.market_page(input(0, 36, None))),
        Err(HuoshuiError::InvalidInput { .. })
    ));
    assert!(matches!(
        block_on(core.timeline("0192f0c4-5e6a-7000-8000-000000000000".into())),
        Err(HuoshuiError::NotFound { .. })
    ));
    assert!(matches!(
        core.debug_force_panic(),
        Err(HuoshuiError::Internal { .. })
    ));
    assert!(matches!(
        block_on(core.debug_force_panic_async()),
        Err(HuoshuiError::Internal { .. })
    ));
    assert_eq!(core.money(50_000_000).short, "50万元");
    drop(core);
    // the same folder with another keystore: the install key does not open
    let other = HuoshuiCore::open(config(&dir), Arc::new(XorKeystore(0x33)));
    assert!(matches!(other, Err(HuoshuiError::KeyUnavailable { .. })));
}

struct Channel(Mutex<mpsc::Sender<Vec<DocumentView>>>);

impl DocumentsListener for Channel {
    fn on_update(&self, documents: Vec<DocumentView>) {
        let _ = self.0.lock().map(|tx| tx.send(documents));
    }
}

fn capture_pdf(core: &HuoshuiCore) {
    let capture = core
        .start_capture(DocumentKind::Other, None)
        .unwrap_or_else(|e| unreachable!("{e}"));
    capture
        .write_chunk(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n".to_vec())
        .unwrap_or_else(|e| unreachable!("{e}"));
    capture.finish().unwrap_or_else(|e| unreachable!("{e}"));
}

#[test]
fn a_listener_gets_the_current_value_then_changes_and_stops_when_its_handle_is_dropped() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let core = open(&dir);
    let (tx, rx) = mpsc::channel();
    let handle = core
        .subscribe_documents(Arc::new(Channel(Mutex::new(tx))))
        .unwrap_or_else(|e| unreachable!("{e}"));
    // bounded waits so a broken build fails instead of hanging; nothing is timed
    let wait = Duration::from_secs(30);
    assert_eq!(rx.recv_timeout(wait).map(|v| v.len()), Ok(0));
    capture_pdf(&core);
    assert_eq!(rx.recv_timeout(wait).map(|v| v.len()), Ok(1));
    assert_eq!(core.listener_count(), 1);
    drop(handle);
    assert_eq!(core.listener_count(), 0);
    capture_pdf(&core);
    assert_eq!(block_on(core.documents(None)).map(|a| a.len()), Ok(2));
    assert!(
        rx.try_recv().is_err(),
        "no delivery after the handle was dropped"
    );
}

#[test]
fn grades_sort_orders_states_and_document_kinds_cross_as_typed_enums() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let core = open(&dir);

    // a grade typed in reaches the same offers as the points that make it
    let by_points = block_on(core.market_page(input(100_000_000, 24, Some(1052))))
        .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(by_points.grade, Some(CreditGrade::Aaa));
    let by_grade = block_on(core.market_page(MarketInput {
        grade: Some(CreditGrade::Aaa),
        ..input(100_000_000, 24, None)
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(by_grade.grade, Some(CreditGrade::Aaa));
    let eligible = |p: &huoshui_core::app::views::MarketPageView| -> Vec<String> {
        p.offers
            .iter()
            .filter(|o| o.eligible)
            .map(|o| o.product_id.clone())
            .collect()
    };
    assert_eq!(eligible(&by_points), eligible(&by_grade));
    let grade_a = block_on(core.market_page(MarketInput {
        grade: Some(CreditGrade::A),
        ..input(100_000_000, 24, None)
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert!(eligible(&grade_a).len() < eligible(&by_grade).len());

    // the sort order is the enum the domain ranks by
    let by_payment = block_on(core.market_page(MarketInput {
        sort: Some(SortKey::Payment),
        ..input(50_000_000, 36, None)
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
    let payments: Vec<i64> = by_payment
        .offers
        .iter()
        .filter(|o| o.eligible && o.costed)
        .map(|o| o.largest_payment.fen)
        .collect();
    let mut sorted = payments.clone();
    sorted.sort_unstable();
    assert_eq!(payments, sorted);

    // the grade screen names the next grade
    let grade = block_on(core.grade(900)).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        (grade.grade, grade.next_grade, grade.points_to_next),
        (Some(CreditGrade::Aa), Some(CreditGrade::Aaa), Some(100))
    );

    // a document's kind (drafts need a signed-in villager: the Kotlin journey test covers them)
    let capture = core
        .start_capture(DocumentKind::LandContract, None)
        .unwrap_or_else(|e| unreachable!("{e}"));
    capture
        .write_chunk(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n".to_vec())
        .unwrap_or_else(|e| unreachable!("{e}"));
    let doc = capture.finish().unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(doc.kind, DocumentKind::LandContract);
    let listed = block_on(core.documents(None)).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        listed.iter().map(|d| d.kind).collect::<Vec<_>>(),
        vec![DocumentKind::LandContract]
    );
    let custom = block_on(core.checklist_for_codes(
        vec![DocumentKind::IdCardFront, DocumentKind::Lease],
        vec![DocumentKind::Lease],
    ))
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(
        custom
            .iter()
            .map(|i| (i.kind, i.missing))
            .collect::<Vec<_>>(),
        vec![
            (DocumentKind::IdCardFront, true),
            (DocumentKind::Lease, false)
        ]
    );
}

#[test]
fn a_countdown_is_worded_like_the_tasks_and_turns_overdue_past_zero() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let core = open(&dir);
    let left = core.countdown(299);
    assert_eq!(
        (left.overdue, left.text_zh.as_str(), left.text_en.as_str()),
        (false, "还剩 4分59秒", "4m 59s left")
    );
    let late = core.countdown(-60);
    assert_eq!(
        (late.overdue, late.text_zh.as_str(), late.text_en.as_str()),
        (true, "已超时 1分00秒", "1m 00s late")
    );
}
