//! The journey through the phone core — the same facade the apps call — against the real
//! platform on loopback: a submission made offline reaches the platform exactly once under the
//! phone's own id with its documents verified; an expired sign-in asks to sign in again and
//! loses nothing; a command the platform refuses waits with the platform's words; an upload
//! cut off mid-way resumes with the missing chunks only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::views::{DraftInput, SyncMark, SyncState};
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::State;
use huoshui_core::wire;
use huoshui_e2e::{Phone, Platform, Relay};
use std::sync::Arc;

/// The platform's API as one demo user sees it (for checking what arrived).
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn as_user(platform: &Platform, id: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: platform.base.clone(),
            token: platform.token_of(id).await,
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> (u16, Option<T>) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.ok())
    }

    async fn applications(&self) -> Vec<wire::ApplicationView> {
        self.get::<wire::ApplicationList>("/v1/applications")
            .await
            .1
            .unwrap()
            .applications
    }

    async fn documents(&self, id: &str) -> Vec<wire::UploadStatus> {
        self.get::<wire::DocumentList>(&format!("/v1/applications/{id}/documents"))
            .await
            .1
            .unwrap()
            .documents
    }

    async fn content(&self, upload: &str) -> Vec<u8> {
        self.http
            .get(format!("{}/v1/documents/{upload}/content", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }
}

/// A small real PNG (the vault checks it is one, and strips its text chunks).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        let data: Vec<u8> = (0..width * height * 3)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        w.write_image_data(&data).unwrap();
    }
    out
}

/// A PDF of about `len` bytes (the vault checks the magic bytes).
fn pdf(len: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 12345;
    while out.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        out.push((x >> 16) as u8);
    }
    out.extend_from_slice(b"\n%%EOF\n");
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A draft of the 酥梨贷 (no grade rule) for the signed-in villager, in their own town.
fn suli_draft() -> DraftInput {
    DraftInput {
        product_id: "runchang-suli".into(),
        amount_fen: 10_000_000,
        months: 48,
        town: String::new(),
        industry: None,
        purpose: None,
    }
}

fn capture(phone: &Phone, kind: DocumentKind, application_id: &str, bytes: &[u8]) -> String {
    let mut capture = phone
        .core
        .start_capture(kind, Some(application_id.to_owned()))
        .unwrap();
    for chunk in bytes.chunks(100_000) {
        capture.write_chunk(chunk).unwrap();
    }
    phone.core.finish_capture(capture).unwrap().sha256
}

async fn signed_in_villager(platform: &Platform, relay: &Relay) -> Phone {
    let phone = Phone::new(&relay.base(), &platform.clock);
    platform.sign_in(&phone, "v001").await;
    phone.core.sync_now().await.unwrap();
    phone
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_made_offline_reaches_the_platform_once_under_the_phones_id_with_its_documents()
 {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let phone = signed_in_villager(&platform, &relay).await;
    let draft = phone.core.create_draft(&suli_draft()).unwrap();
    assert_eq!(
        draft.sync_mark,
        SyncMark::Draft,
        "a draft is on the phone only"
    );
    // Offline before the captures: each capture starts a background sync, and one started
    // online could still be running (having reached the platform) when the submission's sync
    // below joins it.
    relay.set_online(false);
    let photo = png(64, 48);
    let paper = pdf(40_000);
    let photo_sha = capture(&phone, DocumentKind::IdCardFront, &draft.id, &photo);
    let paper_sha = capture(&phone, DocumentKind::LandContract, &draft.id, &paper);

    let timeline = phone.core.submit(&draft.id).unwrap();
    assert_eq!(timeline.application.sync_mark, SyncMark::Waiting);
    assert!(
        timeline.next_zh.contains("联网后"),
        "the phone says it is waiting, not that the platform has it: {}",
        timeline.next_zh
    );
    assert!(
        timeline.entries.last().is_some_and(|e| !e.confirmed),
        "the submission is shown as not yet confirmed: {:?}",
        timeline.entries
    );
    let offline = phone.core.sync_now().await.unwrap();
    assert!(!offline.reached_platform);
    assert!(
        phone
            .core
            .documents(Some(&draft.id))
            .unwrap()
            .iter()
            .all(|d| !d.uploaded)
    );
    assert_eq!(offline.status.state, SyncState::Offline);
    assert_eq!(
        offline.pending, 3,
        "the submission and two uploads wait in the outbox"
    );
    assert_eq!(offline.sent, 0);

    relay.set_online(true);
    let online = phone.core.sync_now().await.unwrap();
    assert!(online.reached_platform);
    assert_eq!(online.status.state, SyncState::Idle, "{:?}", online.status);
    assert!(
        phone
            .core
            .documents(Some(&draft.id))
            .unwrap()
            .iter()
            .all(|d| d.uploaded)
    );
    assert_eq!(online.pending, 0);
    assert!(
        online.sent >= 3,
        "submission and both uploads went: {online:?}"
    );

    let api = Api::as_user(&platform, "v001").await;
    let apps = api.applications().await;
    assert_eq!(apps.len(), 1, "exactly one application");
    assert_eq!(apps[0].id, draft.id, "under the phone's own id");
    assert!(apps[0].manager_id.is_some(), "routed to a manager");
    let docs = api.documents(&draft.id).await;
    assert_eq!(docs.len(), 2);
    for d in &docs {
        assert!(d.complete, "{d:?}");
        let content = api.content(&d.upload_id).await;
        assert_eq!(
            sha256_hex(&content),
            d.sha256,
            "the platform's copy is whole"
        );
    }
    let mut platform_shas: Vec<&str> = docs.iter().map(|d| d.sha256.as_str()).collect();
    platform_shas.sort_unstable();
    let mut phone_shas = vec![photo_sha.as_str(), paper_sha.as_str()];
    phone_shas.sort_unstable();
    assert_eq!(platform_shas, phone_shas);

    let confirmed = phone.core.timeline(&draft.id).unwrap();
    assert_eq!(confirmed.application.sync_mark, SyncMark::Confirmed);
    assert!(confirmed.entries.iter().all(|e| e.confirmed));
    assert_eq!(confirmed.application.state, State::Assigned);

    // Syncing again sends nothing and changes nothing.
    let again = phone.core.sync_now().await.unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(api.applications().await.len(), 1);
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_sign_in_asks_to_sign_in_again_and_the_outbox_drains_after_the_next_login() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let phone = signed_in_villager(&platform, &relay).await;
    let draft = phone.core.create_draft(&suli_draft()).unwrap();
    relay.set_online(false);
    phone.core.submit(&draft.id).unwrap();
    assert_eq!(
        phone.core.sync_now().await.unwrap().status.state,
        SyncState::Offline
    );
    relay.set_online(true);

    // The platform's sessions last 30 days.
    platform
        .auth_clock
        .advance(jiff::SignedDuration::from_hours(31 * 24));
    let report = phone.core.sync_now().await.unwrap();
    assert_eq!(report.status.state, SyncState::SignInAgain);
    assert_eq!(report.pending, 1, "nothing in the outbox is lost");
    assert!(report.status.message_zh.contains("重新登录"));
    let session = phone.core.session().unwrap().unwrap();
    assert!(session.needs_sign_in);
    let api = Api::as_user(&platform, "v001").await;
    assert!(api.applications().await.is_empty());

    // A restart keeps both the queued submission and the need to sign in.
    let phone = phone.restart(&relay.base(), &platform.clock);
    assert_eq!(
        phone.core.sync_status().unwrap().state,
        SyncState::SignInAgain
    );
    platform.sign_in(&phone, "v001").await;
    let report = phone.core.sync_now().await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(report.status.state, SyncState::Idle);
    let apps = api.applications().await;
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].id, draft.id);
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_the_platform_refuses_waits_with_the_platforms_words_and_is_not_resent() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let first = signed_in_villager(&platform, &relay).await;
    let draft = first.core.create_draft(&suli_draft()).unwrap();
    first.core.submit(&draft.id).unwrap();
    assert_eq!(first.core.sync_now().await.unwrap().pending, 0);

    // The same villager's second phone learns of it, then goes offline.
    let second = signed_in_villager(&platform, &relay).await;
    assert_eq!(second.core.applications().unwrap().len(), 1);
    first
        .core
        .withdraw(&draft.id, Some("不需要了".into()))
        .unwrap();
    assert_eq!(first.core.sync_now().await.unwrap().pending, 0);

    // The second phone still shows it open and withdraws it too: the platform refuses.
    second.core.withdraw(&draft.id, None).unwrap();
    let report = second.core.sync_now().await.unwrap();
    assert_eq!(report.status.state, SyncState::NeedsAttention);
    assert_eq!(report.wedged.len(), 1, "{report:?}");
    let refused = &report.wedged[0];
    assert_eq!(refused.application_id.as_deref(), Some(draft.id.as_str()));
    assert_eq!(refused.action_zh, "撤回申请");
    assert!(
        !refused.message_zh.is_empty() && refused.message_zh != refused.message_en,
        "the platform's own words in both languages: {refused:?}"
    );
    let view = second.core.timeline(&draft.id).unwrap();
    assert_eq!(view.application.sync_mark, SyncMark::NeedsAttention);
    assert_eq!(
        view.application.state,
        State::Withdrawn,
        "the platform's state wins"
    );
    assert!(view.next_zh.starts_with("平台没有接受"), "{}", view.next_zh);

    // Not sent again by later syncs.
    relay.reset();
    let again = second.core.sync_now().await.unwrap();
    assert_eq!(again.sent, 0);
    assert!(
        !relay
            .request_lines()
            .iter()
            .any(|l| l.starts_with("POST") && l.contains("/withdraw")),
        "{:?}",
        relay.request_lines()
    );
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_midway_resumes_with_the_missing_chunks_only() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let phone = signed_in_villager(&platform, &relay).await;
    let draft = phone.core.create_draft(&suli_draft()).unwrap();
    // Four chunks of 256 KiB on the platform.
    let paper = pdf(4 * 256 * 1024 - 100);
    let sha = capture(&phone, DocumentKind::LandContract, &draft.id, &paper);

    relay.set_online(false);
    phone.core.submit(&draft.id).unwrap();
    assert_eq!(phone.core.sync_now().await.unwrap().pending, 2);
    relay.set_online(true);
    // The second chunk arrives, but its answer is lost and the connection cut.
    relay.lose_answer_of("/chunks/1");
    let first = phone.core.sync_now().await.unwrap();
    assert_eq!(first.pending, 1, "the upload waits: {first:?}");
    let api = Api::as_user(&platform, "v001").await;
    let docs = api.documents(&draft.id).await;
    assert_eq!(docs.len(), 1);
    assert!(!docs[0].complete);
    assert_eq!(docs[0].missing_chunks, vec![2, 3], "chunks 0 and 1 arrived");

    relay.reset();
    let second = phone.core.sync_now().await.unwrap();
    assert_eq!(second.pending, 0, "{second:?}");
    let puts: Vec<String> = relay
        .request_lines()
        .into_iter()
        .filter(|l| l.starts_with("PUT "))
        .collect();
    assert_eq!(puts.len(), 2, "only the missing chunks: {puts:?}");
    assert!(puts[0].ends_with("/chunks/2") && puts[1].ends_with("/chunks/3"));
    let docs = api.documents(&draft.id).await;
    assert!(docs[0].complete);
    assert_eq!(docs[0].sha256, sha);
    assert_eq!(sha256_hex(&api.content(&docs[0].upload_id).await), sha);
    assert_eq!(sha256_hex(&paper), sha, "a PDF is stored as it is");
    let _ = Arc::clone(&phone.core);
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_with_nothing_new_costs_at_most_two_small_requests() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let phone = signed_in_villager(&platform, &relay).await;
    let draft = phone.core.create_draft(&suli_draft()).unwrap();
    phone.core.submit(&draft.id).unwrap();
    phone.core.sync_now().await.unwrap();
    phone.core.sync_now().await.unwrap();

    relay.reset();
    let report = phone.core.sync_now().await.unwrap();
    assert_eq!((report.sent, report.received), (0, 0));
    let bytes = relay.bytes_up() + relay.bytes_down();
    println!(
        "unchanged sync: {} requests, {} bytes up, {} bytes down: {:?}",
        relay.requests(),
        relay.bytes_up(),
        relay.bytes_down(),
        relay.request_lines()
    );
    assert!(relay.requests() <= 2, "{:?}", relay.request_lines());
    assert!(bytes <= 1536, "{bytes} bytes on the wire");
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_asked_at_once_make_one_round_trip_and_give_the_same_report() {
    let platform = Platform::start().await;
    let relay = Relay::to(platform.running.addr).await;
    let phone = signed_in_villager(&platform, &relay).await;
    phone.core.sync_now().await.unwrap();
    relay.reset();
    let (a, b) = tokio::join!(phone.core.sync_now(), phone.core.sync_now());
    assert_eq!(a.unwrap(), b.unwrap(), "the second joined the first");
    assert_eq!(
        relay.requests(),
        2,
        "one catalog check and one feed page: {:?}",
        relay.request_lines()
    );
    platform.stop().await;
}
