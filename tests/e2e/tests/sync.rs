//! The phone's sync client against the real platform: catalog by ETag, the outbox drained
//! exactly once through a dead network and a lost answer, refusals wedged with the platform's
//! words, backoff with jitter, and the status pull.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::catalog::Catalog;
use huoshui_core::store::outbox::{OutboxState, RetryPolicy};
use huoshui_core::sync::{CatalogSync, Jitter, OutboxCommand, Refusal, SyncClient, SyncError};
use huoshui_e2e::{Device, Platform, Relay, start_time};
use huoshui_server::directory::Directory;

fn later(t: jiff::Timestamp, ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(t.as_millisecond() + ms).unwrap()
}

/// A logged-in villager's phone talking to the platform through a relay.
async fn villager_phone(platform: &Platform) -> (Device, SyncClient, Relay) {
    let relay = Relay::to(platform.running.addr).await;
    let client = SyncClient::new(&relay.base()).unwrap();
    platform.login(&client, "v001").await;
    let device = Device::new();
    client
        .sync_catalog(&device.store, start_time())
        .await
        .unwrap();
    relay.reset();
    (device, client, relay)
}

/// A submission of the smallest loan of the first product in the cached catalog.
fn first_product_submission(device: &Device) -> OutboxCommand {
    let catalog = device.catalog();
    let p = &catalog.products()[0];
    OutboxCommand::Submit {
        id: None,
        industry: None,
        purpose: None,
        product_id: p.id.clone(),
        amount_fen: p.amount_min_fen,
        months: p.months_min,
    }
}

/// How many applications the platform holds for villager v001 (asked by a second phone).
async fn applications_on_platform(platform: &Platform) -> u32 {
    let observer = SyncClient::new(&platform.base).unwrap();
    platform.login(&observer, "v001").await;
    let other = Device::new();
    observer
        .pull_status(&other.ctx(start_time()))
        .await
        .unwrap()
        .applications
}

#[tokio::test]
async fn an_unchanged_catalog_costs_one_small_request_and_changes_nothing() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let client = SyncClient::new(&relay.base()).unwrap();
    let device = Device::new();

    let first = client
        .sync_catalog(&device.store, start_time())
        .await
        .unwrap();
    let CatalogSync::Updated { etag, version } = first else {
        panic!("first sync must fetch: {first:?}")
    };
    assert!(etag.is_some(), "the platform sends an ETag");
    let cached = device.store.cached_catalog().unwrap().unwrap();
    assert_eq!(cached.etag, etag);
    assert_eq!(Catalog::from_json(&cached.json).unwrap().version(), version);
    let full_download = relay.bytes_down();
    assert_eq!(relay.requests(), 1);

    relay.reset();
    let second = client
        .sync_catalog(&device.store, later(start_time(), 60_000))
        .await
        .unwrap();
    assert_eq!(second, CatalogSync::Unchanged);
    assert_eq!(relay.requests(), 1, "one conditional request");
    assert!(
        relay.bytes_down() < 512,
        "a 304 is small: {} bytes",
        relay.bytes_down()
    );
    assert!(
        relay.bytes_down() * 20 < full_download,
        "304 {} vs full {full_download}",
        relay.bytes_down()
    );
    assert!(
        relay.bytes_up() < 512,
        "the request is small: {} bytes",
        relay.bytes_up()
    );
    assert_eq!(
        device.store.cached_catalog().unwrap().unwrap(),
        cached,
        "nothing changed, not even the fetch time"
    );
    platform.stop().await;
}

#[tokio::test]
async fn an_invalid_catalog_from_the_network_is_refused_and_the_cached_one_kept() {
    let good = Platform::start().await;
    let device = Device::new();
    SyncClient::new(&good.base)
        .unwrap()
        .sync_catalog(&device.store, start_time())
        .await
        .unwrap();
    let cached = device.store.cached_catalog().unwrap().unwrap();

    let mut broken = Directory::embedded().unwrap();
    broken.catalog_json =
        std::sync::Arc::new(br#"{"version":"2026.99","products":"none"}"#.to_vec());
    broken.version = "broken-1".into();
    let bad = Platform::start_with(broken).await;
    let answer = SyncClient::new(&bad.base)
        .unwrap()
        .sync_catalog(&device.store, later(start_time(), 1000))
        .await;
    assert!(
        matches!(answer, Err(SyncError::InvalidCatalog(_))),
        "{answer:?}"
    );
    assert_eq!(device.store.cached_catalog().unwrap().unwrap(), cached);
    good.stop().await;
    bad.stop().await;
}

#[tokio::test]
async fn a_submission_made_offline_is_kept_with_its_key_and_sent_once_when_back_online() {
    let platform = Platform::start().await;
    let (device, client, relay) = villager_phone(&platform).await;
    let mut jitter = Jitter::from_seed(1);
    let now = start_time();

    relay.set_online(false);
    let (id, key) = first_product_submission(&device)
        .enqueue(&device.store, now)
        .unwrap();
    let report = client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    assert_eq!((report.sent, report.retrying, report.wedged), (0, 1, 0));
    let row = device.store.command(id).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Pending, "nothing is lost offline");
    assert_eq!(row.idempotency_key, key);
    assert_eq!(row.attempts, 1);
    assert!(row.next_attempt_at > now);
    assert_eq!(row.last_error.as_deref(), Some("network"));
    assert_eq!(applications_on_platform(&platform).await, 0);

    relay.set_online(true);
    relay.reset();
    let early = client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    assert_eq!((early.sent, early.deferred), (0, 1), "not due yet");
    assert_eq!(relay.requests(), 0);

    let report = client
        .drain_outbox(&device.ctx(row.next_attempt_at), &mut jitter)
        .await
        .unwrap();
    assert_eq!((report.sent, report.retrying, report.wedged), (1, 0, 0));
    let row = device.store.command(id).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Done);
    assert_eq!(row.idempotency_key, key);
    assert!(device.store.outbox().unwrap().is_empty());

    let apps = device.store.applications().unwrap();
    assert_eq!(apps.len(), 1);
    let events = device.store.events(&apps[0].id).unwrap();
    assert!(
        events.len() >= 2,
        "created and submitted at least: {}",
        events.len()
    );
    assert_eq!(applications_on_platform(&platform).await, 1);

    relay.reset();
    let again = client
        .drain_outbox(
            &device.ctx(later(row.next_attempt_at, 3_600_000)),
            &mut jitter,
        )
        .await
        .unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(relay.requests(), 0, "a done command is never sent again");
    platform.stop().await;
}

#[tokio::test]
async fn a_lost_answer_does_not_submit_twice() {
    let platform = Platform::start().await;
    let (device, client, relay) = villager_phone(&platform).await;
    let mut jitter = Jitter::from_seed(2);
    let now = start_time();
    let (id, key) = first_product_submission(&device)
        .enqueue(&device.store, now)
        .unwrap();

    relay.lose_next_answer();
    let first = client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    assert_eq!(
        (first.sent, first.retrying),
        (0, 1),
        "the phone never heard back"
    );
    assert_eq!(relay.requests(), 1);
    assert_eq!(
        applications_on_platform(&platform).await,
        1,
        "but the platform did take it"
    );
    assert!(device.store.applications().unwrap().is_empty());

    let row = device.store.command(id).unwrap().unwrap();
    assert_eq!(row.idempotency_key, key);
    let second = client
        .drain_outbox(&device.ctx(row.next_attempt_at), &mut jitter)
        .await
        .unwrap();
    assert_eq!(second.sent, 1);
    assert_eq!(
        device.store.command(id).unwrap().unwrap().state,
        OutboxState::Done
    );
    assert_eq!(
        applications_on_platform(&platform).await,
        1,
        "the same key was applied once"
    );

    let observer = SyncClient::new(&platform.base).unwrap();
    platform.login(&observer, "v001").await;
    let other = Device::new();
    observer
        .pull_status(&other.ctx(start_time()))
        .await
        .unwrap();
    let on_platform: Vec<String> = other
        .store
        .applications()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    let on_phone: Vec<String> = device
        .store
        .applications()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(
        on_phone, on_platform,
        "the phone keeps the platform's one application"
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_refused_command_is_wedged_with_the_platforms_words_and_not_resent() {
    let platform = Platform::start().await;
    let (device, client, relay) = villager_phone(&platform).await;
    let mut jitter = Jitter::from_seed(3);
    let now = start_time();
    let bad = OutboxCommand::Submit {
        id: None,
        industry: None,
        purpose: None,
        product_id: "no-such-loan".into(),
        amount_fen: 1_000_000,
        months: 12,
    };
    let (bad_id, _) = bad.enqueue(&device.store, now).unwrap();
    let (good_id, _) = first_product_submission(&device)
        .enqueue(&device.store, now)
        .unwrap();

    let report = client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.wedged, report.retrying),
        (1, 1, 0),
        "a refusal does not hold up the others"
    );
    let row = device.store.command(bad_id).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Wedged);
    let refusal = Refusal::from_last_error(row.last_error.as_deref().unwrap()).unwrap();
    assert_eq!(refusal.status, 422);
    assert_eq!(refusal.code, "unknown_product");
    assert!(!refusal.message_zh.is_empty() && !refusal.message_en.is_empty());
    assert_eq!(
        device.store.command(good_id).unwrap().unwrap().state,
        OutboxState::Done
    );

    relay.reset();
    let later_drain = client
        .drain_outbox(&device.ctx(later(now, 86_400_000)), &mut jitter)
        .await
        .unwrap();
    assert_eq!(later_drain, Default::default());
    assert_eq!(
        relay.requests(),
        0,
        "a wedged command waits for the villager"
    );
    platform.stop().await;
}

#[tokio::test]
async fn retries_back_off_doubling_with_jitter_within_bounds_until_wedged() {
    let platform = Platform::start().await;
    let (device, client, relay) = villager_phone(&platform).await;
    let policy = RetryPolicy {
        base_ms: 1_000,
        max_ms: 20_000,
        max_attempts: 8,
    };
    let client = client.with_policy(policy);
    relay.set_online(false);

    let mut schedules = Vec::new();
    for seed in [11_u64, 12] {
        let mut jitter = Jitter::from_seed(seed);
        let (id, key) = first_product_submission(&device)
            .enqueue(&device.store, start_time())
            .unwrap();
        let mut now = start_time();
        let mut delays = Vec::new();
        for attempt in 1..=policy.max_attempts {
            client
                .drain_outbox(&device.ctx(now), &mut jitter)
                .await
                .unwrap();
            let row = device.store.command(id).unwrap().unwrap();
            assert_eq!(row.attempts, attempt);
            assert_eq!(row.idempotency_key, key, "every retry reuses the key");
            if attempt == policy.max_attempts {
                assert_eq!(row.state, OutboxState::Wedged, "out of attempts");
                break;
            }
            assert_eq!(row.state, OutboxState::Pending);
            let delay = row.next_attempt_at.as_millisecond() - now.as_millisecond();
            let full = (policy.base_ms << (attempt - 1)).min(policy.max_ms);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay} ms not in [{}, {full}]",
                full / 2
            );
            delays.push(delay);
            now = row.next_attempt_at;
        }
        assert!(
            delays
                .windows(2)
                .all(|w| w[1] >= w[0] || w[1] * 2 >= policy.max_ms),
            "{delays:?} should grow"
        );
        assert!(
            delays.last().unwrap() > &(delays[0] * 4),
            "{delays:?} should grow"
        );
        let exact: Vec<i64> = (1..=delays.len() as u32)
            .map(|a| (policy.base_ms << (a - 1)).min(policy.max_ms))
            .collect();
        assert_ne!(delays, exact, "jitter shortens some delays");
        schedules.push(delays);
    }
    assert_ne!(
        schedules[0], schedules[1],
        "phones with different seeds do not retry in step"
    );
    platform.stop().await;
}

#[tokio::test]
async fn the_status_pull_catches_up_the_timeline_and_then_costs_one_request() {
    let platform = Platform::start().await;
    let (device, client, relay) = villager_phone(&platform).await;
    let mut jitter = Jitter::from_seed(4);
    let now = start_time();
    first_product_submission(&device)
        .enqueue(&device.store, now)
        .unwrap();
    client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    let app = device.store.applications().unwrap().remove(0);
    let before = device.store.events(&app.id).unwrap().len();
    // The first pull lists everything and sets the status cursor.
    let first = client.pull_status(&device.ctx(start_time())).await.unwrap();
    assert_eq!((first.applications, first.new_events), (1, 0));

    // The account manager the platform chose calls the villager.
    let manager_client = SyncClient::new(&platform.base).unwrap();
    let detail: serde_json::Value =
        serde_json::from_str(app.payload_json.as_deref().unwrap()).unwrap();
    let manager = detail["manager_id"]
        .as_str()
        .expect("the platform assigned a manager")
        .to_owned();
    platform.login(&manager_client, &manager).await;
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/applications/{}/contact",
            platform.base, app.id
        ))
        .bearer_auth(manager_client.token().unwrap().as_str())
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    relay.reset();
    let report = client.pull_status(&device.ctx(start_time())).await.unwrap();
    assert_eq!(
        (report.applications, report.updated, report.new_events),
        (1, 1, 1)
    );
    assert_eq!(
        relay.requests(),
        2,
        "the feed since the cursor and one detail"
    );
    assert_eq!(device.store.events(&app.id).unwrap().len(), before + 1);
    assert_eq!(device.store.applications().unwrap()[0].state, "contacted");

    relay.reset();
    let report = client.pull_status(&device.ctx(start_time())).await.unwrap();
    assert_eq!((report.updated, report.new_events), (0, 0));
    assert_eq!(relay.requests(), 1, "nothing new: only the feed");
    platform.stop().await;
}

#[tokio::test]
async fn a_withdrawal_from_the_outbox_lands_in_the_local_timeline() {
    let platform = Platform::start().await;
    let (device, client, _relay) = villager_phone(&platform).await;
    let mut jitter = Jitter::from_seed(5);
    let now = start_time();
    first_product_submission(&device)
        .enqueue(&device.store, now)
        .unwrap();
    client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    let app = device.store.applications().unwrap().remove(0);

    let withdraw = OutboxCommand::Withdraw {
        application_id: app.id.clone(),
        reason: Some("不需要了".into()),
    };
    let (id, _) = withdraw.enqueue(&device.store, now).unwrap();
    let report = client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(
        device.store.command(id).unwrap().unwrap().state,
        OutboxState::Done
    );
    assert_eq!(device.store.applications().unwrap()[0].state, "withdrawn");
    let last = device.store.events(&app.id).unwrap().pop().unwrap();
    assert!(
        last.event_json.contains("withdraw"),
        "{}",
        &*last.event_json
    );
    platform.stop().await;
}

#[tokio::test]
async fn without_a_session_the_drain_stops_and_keeps_the_command() {
    let platform = Platform::start().await;
    let device = Device::new();
    let client = SyncClient::new(&platform.base).unwrap();
    let cmd = OutboxCommand::Submit {
        id: None,
        industry: None,
        purpose: None,
        product_id: "x".into(),
        amount_fen: 1,
        months: 1,
    };
    let (id, key) = cmd.enqueue(&device.store, start_time()).unwrap();
    let answer = client
        .drain_outbox(&device.ctx(start_time()), &mut Jitter::from_seed(6))
        .await;
    assert!(matches!(answer, Err(SyncError::Unauthorized)), "{answer:?}");
    let row = device.store.command(id).unwrap().unwrap();
    assert_eq!(
        (row.state, row.attempts, row.idempotency_key),
        (OutboxState::Pending, 0, key)
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_later_command_waits_for_an_earlier_one_of_the_same_application() {
    let platform = Platform::start().await;
    let (device, client, relay) = villager_phone(&platform).await;
    let mut jitter = Jitter::from_seed(7);
    let now = start_time();
    first_product_submission(&device)
        .enqueue(&device.store, now)
        .unwrap();
    client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    let app = device.store.applications().unwrap().remove(0);

    relay.set_online(false);
    let withdraw = OutboxCommand::Withdraw {
        application_id: app.id.clone(),
        reason: None,
    };
    let (withdraw_id, _) = withdraw.enqueue(&device.store, now).unwrap();
    let accept = OutboxCommand::AcceptOffer {
        application_id: app.id.clone(),
    };
    let (accept_id, _) = accept.enqueue(&device.store, now).unwrap();
    let offline = client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    assert_eq!(
        (offline.retrying, offline.deferred),
        (1, 1),
        "the drain stops at the dead network"
    );

    relay.set_online(true);
    relay.reset();
    let early = client
        .drain_outbox(&device.ctx(now), &mut jitter)
        .await
        .unwrap();
    assert_eq!((early.sent, early.deferred), (0, 2));
    assert_eq!(
        relay.requests(),
        0,
        "the accept does not overtake the withdrawal"
    );

    let due = device
        .store
        .command(withdraw_id)
        .unwrap()
        .unwrap()
        .next_attempt_at;
    let report = client
        .drain_outbox(&device.ctx(due), &mut jitter)
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.wedged),
        (1, 1),
        "withdrawn first, so accepting is refused"
    );
    assert_eq!(device.store.applications().unwrap()[0].state, "withdrawn");
    let refusal = Refusal::from_last_error(
        device
            .store
            .command(accept_id)
            .unwrap()
            .unwrap()
            .last_error
            .as_deref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(refusal.status, 409);
    platform.stop().await;
}

#[tokio::test]
async fn a_command_of_a_kind_this_client_does_not_send_is_left_alone() {
    let platform = Platform::start().await;
    let (device, client, relay) = villager_phone(&platform).await;
    let (id, key) = device
        .store
        .enqueue_command("upload_chunk", "{}", start_time())
        .unwrap();
    let report = client
        .drain_outbox(&device.ctx(start_time()), &mut Jitter::from_seed(8))
        .await
        .unwrap();
    assert_eq!((report.sent, report.wedged, report.deferred), (0, 0, 1));
    assert_eq!(relay.requests(), 0);
    let row = device.store.command(id).unwrap().unwrap();
    assert_eq!(
        (row.state, row.attempts, row.idempotency_key),
        (OutboxState::Pending, 0, key)
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_wrong_login_code_is_refused_in_the_platforms_words_and_keeps_no_session() {
    let platform = Platform::start().await;
    let client = SyncClient::new(&platform.base).unwrap();
    let phone = platform.phone_of("v001");
    client.request_code(&phone).await.unwrap();
    let real = platform.codes.latest(&phone).unwrap();
    let wrong = if real == "000000" { "111111" } else { "000000" };
    let answer = client.login(&phone, wrong).await;
    let Err(SyncError::Refused(refusal)) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(refusal.status, 401);
    assert!(!refusal.message_zh.is_empty());
    assert!(client.token().is_none());
    platform.stop().await;
}
