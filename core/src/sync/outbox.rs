//! Draining the outbox: every command the user issued, oldest first, each with the
//! idempotency key saved before its first send. Must never drop a command the platform did
//! not acknowledge or refuse, and never let a later command of an application overtake an
//! earlier pending one.

use super::upload::Uploaded;
use super::{Ctx, OutboxCommand, Outcome, Refusal, SyncClient, SyncError, parse, status};
use crate::store::outbox::{Failure, OutboxItem, OutboxState};
use crate::wire::{self, IDEMPOTENCY_KEY};
use std::collections::BTreeSet;

/// At most this many commands per drain.
const DRAIN_BATCH: usize = 100;

/// What a drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Commands the platform acknowledged (now done).
    pub sent: u32,
    /// Commands that failed for now and will be retried.
    pub retrying: u32,
    /// Commands wedged by this drain (refused, or out of attempts).
    pub wedged: u32,
    /// Pending commands left for a later drain (not due, behind an earlier pending command of
    /// the same application, the drain stopped on a transient failure, or a kind this client
    /// does not send).
    pub deferred: u32,
}

/// How one command's send ended.
enum Sent {
    Done,
    Transient(String),
    Refused(Refusal),
}

impl SyncClient {
    /// Sends the due commands, oldest first. `ctx.now` decides what is due and when a failed
    /// command is tried next; `jitter` spreads the retries.
    ///
    /// A command waits while an earlier command for the same application is not done, so the
    /// platform sees them in the order the user issued them. The drain stops at the first
    /// transient failure (the network or the platform is in trouble: back off, save battery).
    /// An expired session stops it with [`SyncError::Unauthorized`] without counting an attempt.
    pub async fn drain_outbox(
        &self,
        ctx: &Ctx<'_>,
        jitter: &mut super::Jitter,
    ) -> Result<DrainReport, SyncError> {
        let mut report = DrainReport::default();
        let mut blocked: BTreeSet<String> = BTreeSet::new();
        let mut stopped = false;
        for item in ctx.store.outbox()?.into_iter().take(DRAIN_BATCH) {
            let command = OutboxCommand::from_row(&item.kind, &item.payload_json);
            let app = command
                .as_ref()
                .and_then(|c| c.application_id().map(str::to_owned));
            // A wedged command waits for the user; it does not hold up later ones (the
            // platform refused it, so nothing after it depends on it having happened).
            if item.state != OutboxState::Pending {
                continue;
            }
            let waiting = item.next_attempt_at > ctx.now
                || stopped
                || !OutboxCommand::is_kind(&item.kind)
                || app.as_ref().is_some_and(|a| blocked.contains(a));
            if waiting {
                report.deferred += 1;
                if let Some(a) = app {
                    blocked.insert(a);
                }
                continue;
            }
            let Some(command) = command else {
                let refusal = Refusal {
                    status: 0,
                    code: "unreadable_command".into(),
                    message_zh: "这条待发送的操作已损坏，请删除后重新操作".into(),
                    message_en: "this queued action is damaged: delete it and do it again".into(),
                };
                self.fail(ctx, &item, Failure::Permanent, &refusal.to_text(), jitter)?;
                report.wedged += 1;
                continue;
            };
            match self.send(ctx, &item, &command).await? {
                Sent::Done => report.sent += 1,
                Sent::Transient(code) => {
                    match self.fail(ctx, &item, Failure::Transient, &code, jitter)? {
                        OutboxState::Wedged => report.wedged += 1,
                        _ => report.retrying += 1,
                    }
                    stopped = true;
                    if let Some(a) = app {
                        blocked.insert(a);
                    }
                }
                Sent::Refused(refusal) if matches!(command, OutboxCommand::OpenTask { .. }) => {
                    // Only a hint to the platform's ladder (e.g. the task went to another
                    // manager meanwhile): nothing for the user to do, so it is not kept.
                    tracing::info!(code = %refusal.code, status = refusal.status, "platform did not take a task's opening; dropped");
                    ctx.store.command_sent(item.id)?;
                    report.sent += 1;
                }
                Sent::Refused(refusal) => {
                    tracing::info!(code = %refusal.code, status = refusal.status, kind = %item.kind, "platform refused a queued command");
                    self.fail(ctx, &item, Failure::Permanent, &refusal.to_text(), jitter)?;
                    report.wedged += 1;
                    if let Some(a) = app {
                        blocked.insert(a);
                    }
                }
            }
        }
        Ok(report)
    }

    /// Sends one command (an upload is a conversation of several requests).
    async fn send(
        &self,
        ctx: &Ctx<'_>,
        item: &OutboxItem,
        command: &OutboxCommand,
    ) -> Result<Sent, SyncError> {
        if let OutboxCommand::UploadDocument {
            application_id,
            document_id,
        } = command
        {
            return Ok(
                match self
                    .upload_document(ctx, item, application_id, document_id)
                    .await?
                {
                    Uploaded::Complete => {
                        ctx.store.command_sent(item.id)?;
                        Sent::Done
                    }
                    Uploaded::Transient(code) => Sent::Transient(code),
                    Uploaded::Refused(r) => Sent::Refused(r),
                },
            );
        }
        let Some(request) = command.request() else {
            return Ok(Sent::Refused(Refusal {
                status: 0,
                code: "unreadable_command".into(),
                message_zh: "这条待发送的操作已损坏，请删除后重新操作".into(),
                message_en: "this queued action is damaged: delete it and do it again".into(),
            }));
        };
        let mut req = self
            .post(&request.path)
            .header(IDEMPOTENCY_KEY, item.idempotency_key.to_string());
        if let Some(body) = &request.body {
            req = req.json(body);
        }
        match self.exchange(req).await {
            Outcome::Ok(body) => {
                self.acknowledged(ctx, item, &body).await?;
                Ok(Sent::Done)
            }
            Outcome::NotModified => {
                ctx.store.command_sent(item.id)?;
                Ok(Sent::Done)
            }
            Outcome::Transient(code) => Ok(Sent::Transient(code)),
            Outcome::Unauthorized(_) => Err(SyncError::Unauthorized),
            Outcome::Refused(r) => Ok(Sent::Refused(r)),
        }
    }

    fn fail(
        &self,
        ctx: &Ctx<'_>,
        item: &OutboxItem,
        failure: Failure,
        code: &str,
        jitter: &mut super::Jitter,
    ) -> Result<OutboxState, SyncError> {
        Ok(ctx.store.command_failed(
            item.id,
            failure,
            code,
            ctx.now,
            jitter.next_permille(),
            &self.policy,
        )?)
    }

    /// The platform acknowledged `item` with `body` (the application as it now stands): keep
    /// the answer and mark the command done in one transaction. A submission's answer has no
    /// events, so they are fetched at once (a later pull would too).
    async fn acknowledged(
        &self,
        ctx: &Ctx<'_>,
        item: &OutboxItem,
        body: &[u8],
    ) -> Result<(), SyncError> {
        if body.is_empty() {
            // `204 No Content` (an opened task): nothing to keep.
            ctx.store.command_sent(item.id)?;
            return Ok(());
        }
        let view: Result<wire::ApplicationView, SyncError> = parse(body);
        let Ok(view) = view else {
            tracing::warn!(kind = %item.kind, "acknowledged command with an unreadable answer; the next pull catches up");
            ctx.store.command_sent(item.id)?;
            return Ok(());
        };
        let has_events = view.events.is_some();
        ctx.store.write(|tx| {
            ctx.store.command_sent_in(tx, item.id)?;
            status::keep_in(ctx, tx, &view)
        })?;
        if !has_events && self.fetch_application(ctx, &view.id).await.is_err() {
            tracing::debug!("events of an acknowledged application not fetched yet");
        }
        Ok(())
    }
}
