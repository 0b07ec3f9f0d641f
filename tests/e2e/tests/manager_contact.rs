//! The villager's timeline names the assigned manager and offers a call to their work phone:
//! the platform gives the name and number to the application's villager, the phone keeps them
//! sealed (never in the clear on disk) and still has them after later syncs that carry no
//! contact (lists, command answers).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::views::DraftInput;
use huoshui_core::domain::lifecycle::ContactOutcome;
use huoshui_e2e::{Phone, Platform};

/// v010 lives in 贾镇 (jiazhen), which only the first manager of each bank serves.
const VILLAGER: &str = "v010";
const MANAGER: &str = "m-runchang-1";

/// Every byte of every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(std::fs::read(&path).unwrap());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_villagers_timeline_names_the_manager_with_a_call_to_their_work_phone() {
    let platform = Platform::start().await;
    let villager = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&villager, VILLAGER).await;
    let draft = villager
        .core
        .create_draft(&DraftInput {
            product_id: "runchang-suli".into(),
            amount_fen: 20_000_000,
            months: 48,
            town: String::new(),
            industry: None,
            purpose: None,
        })
        .unwrap();
    let before = villager.core.timeline_screen(&draft.id).unwrap();
    assert_eq!(before.call_uri, None, "a draft has no manager yet");
    villager.core.submit(&draft.id).unwrap();
    villager.core.sync_now().await.unwrap();

    let work_phone = platform.phone_of(MANAGER);
    let name = platform
        .running
        .demo
        .iter()
        .find(|a| a.id == MANAGER)
        .map(|a| a.name.clone())
        .unwrap();
    let screen = villager.core.timeline_screen(&draft.id).unwrap();
    assert_eq!(screen.manager_zh, format!("客户经理 {name}"));
    assert_eq!(screen.call_uri, Some(format!("tel:{work_phone}")));

    // The manager calls; the villager's next syncs carry no contact, and the phone keeps it.
    let manager = Phone::new(&platform.base, &platform.clock);
    platform.sign_in(&manager, MANAGER).await;
    manager.core.sync_now().await.unwrap();
    manager
        .core
        .record_contact(&draft.id, ContactOutcome::Reached, None)
        .unwrap();
    manager.core.sync_now().await.unwrap();
    villager.core.sync_now().await.unwrap();
    villager.core.sync_now().await.unwrap();
    let later = villager.core.timeline_screen(&draft.id).unwrap();
    assert_eq!(later.manager_zh, format!("客户经理 {name}"));
    assert_eq!(later.call_uri, Some(format!("tel:{work_phone}")));

    // Sealed on the phone: the number is in no file of its data folder in the clear.
    let digits = work_phone.as_bytes();
    for bytes in files_under(villager.dir.path()) {
        assert!(
            !bytes.windows(digits.len()).any(|w| w == digits),
            "the manager's number is on disk in the clear"
        );
    }
    platform.stop().await;
}
