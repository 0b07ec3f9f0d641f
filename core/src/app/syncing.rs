//! The facade's sync: one object owns syncing with the platform (as matrix-rust-sdk's sync
//! service does). `sync_now` runs catalog, outbox (with document uploads) and status pull in
//! that order and answers what it did; a second call while one runs joins it; the state is an
//! observable (idle, syncing, offline, sign in again, needs attention) for the banner; an
//! expired sign-in is a state, not a failure; a push only asks for a sync.
//!
//! Must never lose or resend a command (the outbox and its keys do that work), never block a
//! user's action on the network, and never put personal data into the status texts.

use super::error::AppError;
use super::session::sync_error;
use super::views::{AttentionView, SyncReportView, SyncState, SyncStatusView};
use super::{AppCore, Topic};
use crate::store::outbox::OutboxState;
use crate::sync::{CatalogSync, Ctx, Jitter, OutboxCommand, Refusal, SyncError};
use jiff::Timestamp;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// How the last sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum LastOutcome {
    #[default]
    Never,
    Done,
    Offline,
}

#[derive(Debug, Default)]
struct State {
    running: bool,
    last: LastOutcome,
    last_synced: Option<Timestamp>,
}

/// The single-flight gate and the state of syncing.
#[derive(Debug, Default)]
pub(crate) struct Coordinator {
    gate: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    last_report: Mutex<Option<SyncReportView>>,
    state: Mutex<State>,
}

impl Coordinator {
    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl AppCore {
    /// Syncs now: the catalog (by ETag), every queued command (uploads straight from the
    /// vault), then what changed on the platform. Commands waiting for a retry are tried at
    /// once (the user asked). Answers what happened; being offline or signed out is reported
    /// in the answer's status, not as a failure. Safe to call from a background job and twice
    /// at once: the second call waits for the first and answers its report.
    pub async fn sync_now(&self) -> Result<SyncReportView, AppError> {
        self.sync_with(true).await
    }

    /// A push message arrived (its data, as the shell got it): the platform says something
    /// changed, so the core syncs. The data carries no personal data and is not trusted.
    pub async fn handle_push(&self, data: &str) -> Result<SyncReportView, AppError> {
        if data.len() > 4096 {
            return Err(AppError::invalid(
                "推送内容太长，已忽略",
                "the push message is too long and was ignored",
            ));
        }
        tracing::debug!("push received: syncing");
        self.sync_with(true).await
    }

    /// Where syncing stands now (the banner).
    pub fn sync_status(&self) -> Result<SyncStatusView, AppError> {
        let crate::store::outbox::OutboxCounts {
            pending,
            retrying,
            wedged,
        } = self.store.outbox_counts()?;
        let session = self.store.session()?;
        let expired = session.as_ref().is_some_and(|s| s.expired);
        let signed_out = session.as_ref().is_none_or(|s| s.token.is_none());
        let (running, last, last_synced) =
            self.sync.with_state(|s| (s.running, s.last, s.last_synced));
        // While offline, a retry that is running stays "offline" until it gets through: the
        // banner must not blink away and back (and move the page) with every attempt.
        let state = if running && last != LastOutcome::Offline {
            SyncState::Syncing
        } else if expired || (signed_out && pending > 0) {
            SyncState::SignInAgain
        } else if wedged > 0 {
            SyncState::NeedsAttention
        } else if last == LastOutcome::Offline {
            SyncState::Offline
        } else {
            SyncState::Idle
        };
        let (message_zh, message_en) = match state {
            SyncState::Syncing => (
                "正在与平台同步…".to_owned(),
                "syncing with the platform…".to_owned(),
            ),
            SyncState::SignInAgain => (
                format!("登录已过期，请重新登录。待发送的 {pending} 项已保存在手机上，不会丢失"),
                format!(
                    "the sign-in has expired: sign in again. The {pending} waiting item(s) are kept on the phone"
                ),
            ),
            SyncState::NeedsAttention => match self.attention()?.first() {
                Some(a) => (
                    format!("{}没有成功：{}", a.action_zh, a.message_zh),
                    format!("{} did not go through: {}", a.action_en, a.message_en),
                ),
                None => (
                    "有操作需要您处理".to_owned(),
                    "something needs your attention".to_owned(),
                ),
            },
            SyncState::Offline if pending > 0 => (
                format!("没有网络。{pending} 项已保存在手机上，联网后自动发送"),
                format!("offline: {pending} item(s) are kept on the phone and sent when online"),
            ),
            SyncState::Offline => (
                "没有网络，显示的是上次同步的内容".to_owned(),
                "offline: showing what was last synced".to_owned(),
            ),
            SyncState::Idle if retrying > 0 => (
                format!("{retrying} 项暂时没有发送成功，已保存在手机上，正在自动重试"),
                format!(
                    "{retrying} item(s) did not get through yet: they are kept on the phone and retried"
                ),
            ),
            SyncState::Idle if pending > 0 => (
                format!("{pending} 项等待发送"),
                format!("{pending} item(s) waiting to be sent"),
            ),
            SyncState::Idle => ("已是最新".to_owned(), "up to date".to_owned()),
        };
        Ok(SyncStatusView {
            state,
            pending,
            retrying,
            wedged,
            message_zh,
            message_en,
            last_synced_zh: last_synced
                .map(|t| crate::domain::lifecycle::format_when_zh(t, &self.tz, self.now())),
        })
    }

    /// Everything the platform refused, in its words (what the user must look at).
    pub fn attention(&self) -> Result<Vec<AttentionView>, AppError> {
        let mut out = Vec::new();
        for item in self.store.outbox()? {
            if item.state != OutboxState::Wedged {
                continue;
            }
            let cmd = OutboxCommand::from_row(&item.kind, &item.payload_json);
            let (action_zh, action_en) = cmd
                .as_ref()
                .map(OutboxCommand::action_words)
                .unwrap_or(("操作", "an action"));
            let refusal = item
                .last_error
                .as_deref()
                .and_then(Refusal::from_last_error)
                .unwrap_or_else(|| Refusal {
                    status: 0,
                    code: "gave_up".into(),
                    message_zh: "多次发送都没有成功，请检查网络后重试".into(),
                    message_en: "sending failed many times: check the network and retry".into(),
                });
            out.push(AttentionView {
                application_id: cmd
                    .as_ref()
                    .and_then(|c| c.application_id().map(str::to_owned)),
                action_zh: action_zh.to_owned(),
                action_en: action_en.to_owned(),
                code: refusal.code,
                message_zh: refusal.message_zh,
                message_en: refusal.message_en,
            });
        }
        Ok(out)
    }

    /// The user asked to try again what gave up (refused commands stay refused until the
    /// user changes something; those that ran out of attempts are sent again).
    pub fn retry_failed(&self) -> Result<u32, AppError> {
        let now = self.now();
        let wedged: Vec<i64> = self
            .store
            .outbox()?
            .iter()
            .filter(|item| item.state == OutboxState::Wedged)
            .map(|item| item.id)
            .collect();
        // One user action, one transaction: every wedged command is retried, or none is.
        let n = self.store.write(|tx| {
            let mut n = 0;
            for id in wedged {
                if self.store.retry_wedged_in(tx, id, now)? {
                    n += 1;
                }
            }
            Ok(n)
        })?;
        self.refresh_status();
        self.kick_sync();
        Ok(n)
    }

    /// Tells the listeners that the sync status may have changed.
    pub(crate) fn refresh_status(&self) {
        self.notifier.notify(Topic::Sync);
    }

    /// Starts a sync in the background when the core runs inside a tokio runtime (the apps
    /// and the terminal do), so a user's action goes out at once when the phone is online.
    pub(crate) fn kick_sync(&self) {
        let Some(core) = self.me.upgrade() else {
            return;
        };
        if self.platform.is_none() {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = core.sync_with(false).await {
                    tracing::debug!(error = %e, "background sync failed");
                }
            });
        }
    }

    pub(crate) async fn sync_with(&self, user_asked: bool) -> Result<SyncReportView, AppError> {
        let seen = self.sync.generation.load(Ordering::SeqCst);
        // What this caller has queued so far must be tried by the sync it gets the report of.
        let queued = self.store.outbox_last_id()?;
        let _gate = self.sync.gate.lock().await;
        if self.sync.generation.load(Ordering::SeqCst) != seen {
            // Another sync ran while this call waited: join it, unless it started before this
            // caller's last action and left it unsent while the platform could be reached.
            let joined = self
                .sync
                .last_report
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(report) = joined {
                let could_send = report.status.state != SyncState::Offline
                    && report.status.state != SyncState::SignInAgain;
                if !(could_send && self.store.pending_upto(queued)?) {
                    return Ok(report);
                }
            }
        }
        self.sync.with_state(|s| s.running = true);
        self.refresh_status();
        let result = self.run_sync(user_asked).await;
        let outcome = match &result {
            Ok((_, offline)) if *offline => LastOutcome::Offline,
            Ok(_) => LastOutcome::Done,
            Err(_) => LastOutcome::Done,
        };
        let now = self.now();
        self.sync.with_state(|s| {
            s.running = false;
            s.last = outcome;
            if outcome == LastOutcome::Done {
                s.last_synced = Some(now);
            }
        });
        self.sync.generation.fetch_add(1, Ordering::SeqCst);
        self.refresh_status();
        let (mut report, _) = result?;
        report.status = self.sync_status()?;
        report.wedged = self.attention()?;
        report.pending = report.status.pending;
        *self
            .sync
            .last_report
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(report.clone());
        Ok(report)
    }

    /// One sync; answers the report and whether the platform could not be reached.
    async fn run_sync(&self, user_asked: bool) -> Result<(SyncReportView, bool), AppError> {
        let platform = self.platform()?;
        let now = self.now();
        let mut report = SyncReportView {
            sent: 0,
            received: 0,
            pending: 0,
            wedged: Vec::new(),
            catalog_updated: false,
            reached_platform: false,
            status: self.sync_status()?,
        };
        match platform.sync_catalog(&self.store, now).await {
            Ok(CatalogSync::Updated { .. }) => {
                self.reload_catalog()?;
                report.catalog_updated = true;
            }
            Ok(CatalogSync::Unchanged) => {}
            Err(SyncError::Offline) => return Ok((report, true)),
            Err(SyncError::InvalidCatalog(why)) => {
                tracing::warn!(%why, "the platform's catalog was refused; keeping the cached one");
            }
            Err(e) => return Err(sync_error(&e)),
        }
        report.reached_platform = true;
        let session = self.store.session()?;
        let Some(token) = session.as_ref().and_then(|s| s.token.clone()) else {
            return Ok((report, false));
        };
        platform.set_token(Some(&token));
        let signed = self.signed()?;
        if user_asked {
            self.store.make_due(now)?;
        }
        let ctx = Ctx {
            store: &self.store,
            vault: &self.vault,
            actor: &signed.actor,
            now,
        };
        let mut jitter = Jitter::from_os();
        match platform.drain_outbox(&ctx, &mut jitter).await {
            Ok(d) => report.sent = d.sent,
            Err(e) => return self.stopped(e, report),
        }
        match platform.pull_status(&ctx).await {
            Ok(p) => report.received = p.new_events,
            Err(e) => return self.stopped(e, report),
        }
        self.notifier.notify(Topic::Applications);
        self.notifier.notify(Topic::Tasks);
        self.notifier.notify(Topic::Documents);
        Ok((report, false))
    }

    /// A sync stopped by `e`: offline and an expired sign-in are states, the rest failures.
    fn stopped(
        &self,
        e: SyncError,
        report: SyncReportView,
    ) -> Result<(SyncReportView, bool), AppError> {
        self.notifier.notify(Topic::Applications);
        self.notifier.notify(Topic::Tasks);
        match e {
            SyncError::Offline => Ok((report, true)),
            SyncError::Unauthorized => {
                self.store.mark_session_expired(self.now())?;
                if let Some(p) = &self.platform {
                    p.set_token(None);
                }
                self.stop_live();
                self.notifier.notify(Topic::Session);
                Ok((report, false))
            }
            other => Err(sync_error(&other)),
        }
    }
}
