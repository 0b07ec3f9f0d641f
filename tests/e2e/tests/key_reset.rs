//! A lost install key on a phone with a draft and a submission made offline (issue 15): the
//! reset keeps both, the submission's outbox row keeps its idempotency key, and after signing
//! in again the real platform on loopback holds the submission exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::views::{DraftInput, SyncState};
use huoshui_core::app::{AppCore, ErrorAction};
use huoshui_core::domain::lifecycle::State;
use huoshui_core::store::Store;
use huoshui_core::vault::{InstallKey, Keystore, SoftwareKeystore};
use huoshui_core::wire;
use huoshui_e2e::{Phone, Platform, Relay};
use std::path::Path;
use std::sync::Arc;

fn keystore(dir: &Path) -> Arc<dyn Keystore> {
    Arc::new(SoftwareKeystore::open_or_create(&dir.join("keys").join("software.key")).unwrap())
}

/// The outbox as the phone's store holds it: (kind, idempotency key) of each unsent command.
fn outbox(dir: &Path) -> Vec<(String, uuid::Uuid)> {
    let key = InstallKey::open_or_create(dir, keystore(dir).as_ref()).unwrap();
    let store = Store::open(dir, Arc::new(key), huoshui_e2e::start_time())
        .unwrap()
        .store;
    store
        .outbox()
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.idempotency_key))
        .collect()
}

/// The applications the platform holds for the demo villager `id`.
async fn on_platform(platform: &Platform, id: &str) -> Vec<wire::ApplicationView> {
    let token = platform.token_of(id).await;
    let list: wire::ApplicationList = reqwest::Client::new()
        .get(format!("{}/v1/applications", platform.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.applications
}

/// A draft with the product's codes for the signed-in villager.
fn draft_input(phone: &Phone) -> DraftInput {
    let catalog = phone.core.catalog();
    let product = catalog.product("runchang-suli").unwrap();
    let purpose = catalog
        .data()
        .purposes
        .iter()
        .find(|p| product.purposes.is_empty() || product.purposes.contains(&p.id))
        .unwrap()
        .id
        .clone();
    DraftInput {
        product_id: product.id.clone(),
        amount_fen: 10_000_000,
        months: 48,
        town: String::new(),
        industry: Some(catalog.data().industries[0].id.clone()),
        purpose: Some(purpose),
    }
}

/// The keystore's key is gone (a backup restored elsewhere): opening says so, the reset runs.
fn lose_key_and_reset(phone: Phone, platform: &Platform, relay: &Relay) -> Phone {
    let Phone { core, dir } = phone;
    core.disconnect_live();
    drop(core);
    std::fs::remove_file(dir.path().join("keys").join("software.key")).unwrap();
    let clock = Arc::clone(&platform.clock);
    let clock: huoshui_core::app::Clock =
        Arc::new(move || huoshui_server::clock::Clock::now(clock.as_ref()));
    let err = AppCore::open_with_clock(
        dir.path(),
        Some(&relay.base()),
        keystore(dir.path()),
        clock.clone(),
    )
    .unwrap_err();
    assert_eq!(err.action, ErrorAction::KeyUnavailable);
    let core = AppCore::reset_lost_key_with_clock(
        dir.path(),
        Some(&relay.base()),
        keystore(dir.path()),
        clock,
    )
    .unwrap();
    Phone { core, dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_and_an_unsent_submission_survive_a_lost_key_and_reach_the_platform_once() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let phone = Phone::new(&relay.base(), &platform.clock);
    platform.sign_in(&phone, "v001").await;
    phone.core.sync_now().await.unwrap();
    let input = draft_input(&phone);
    let draft = phone.core.create_draft(&input).unwrap().id;
    let sent = phone.core.create_draft(&input).unwrap().id;
    relay.set_online(false);
    phone.core.submit(&sent).unwrap();
    let offline = phone.core.sync_now().await.unwrap();
    assert_eq!(offline.status.state, SyncState::Offline);
    let before = outbox(phone.dir.path());
    assert_eq!(before.len(), 1, "the submission waits: {before:?}");
    assert_eq!(before[0].0, "submit");

    let Phone { core, dir } = lose_key_and_reset(phone, &platform, &relay);
    let lost = core.last_reset().unwrap().unwrap();
    assert_eq!(
        (
            lost.drafts_removed,
            lost.commands_removed,
            lost.applications_unsent
        ),
        (0, 0, 0),
        "nothing without documents or free text was removed: {lost:?}"
    );
    assert_eq!((lost.drafts_kept, lost.commands_kept), (1, 1));
    assert!(
        lost.summary_zh
            .contains("1 份草稿；1 项还没发送的操作，重新登录后发送"),
        "{}",
        lost.summary_zh
    );
    let mut states: Vec<(String, State)> = core
        .applications()
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.state))
        .collect();
    states.sort();
    let mut expected = vec![
        (draft.clone(), State::Draft),
        (sent.clone(), State::Submitted),
    ];
    expected.sort();
    assert_eq!(states, expected, "both are still on the phone");
    assert_eq!(
        outbox(dir.path()),
        before,
        "the submission keeps its idempotency key"
    );
    assert!(core.session().unwrap().is_none(), "the user signs in again");

    // Back online, signed in again: the submission reaches the platform once.
    relay.set_online(true);
    let phone = Phone { core, dir };
    platform.sign_in(&phone, "v001").await;
    phone.core.sync_now().await.unwrap();
    phone.core.sync_now().await.unwrap();
    let there: Vec<String> = on_platform(&platform, "v001")
        .await
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(
        there,
        vec![sent.clone()],
        "exactly one submission, under the phone's id"
    );
    assert_eq!(phone.core.sync_status().unwrap().pending, 0);

    // The kept draft (with its industry and purpose codes) can still be submitted.
    let timeline = phone.core.submit(&draft).unwrap();
    assert_eq!(timeline.application.state, State::Submitted);
    phone.core.sync_now().await.unwrap();
    let mut there: Vec<String> = on_platform(&platform, "v001")
        .await
        .into_iter()
        .map(|a| a.id)
        .collect();
    there.sort();
    let mut both = vec![draft, sent];
    both.sort();
    assert_eq!(there, both);
    platform.stop().await;
}
