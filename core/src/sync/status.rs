//! The status pull and the merge of the platform's answers into the device store.
//!
//! The pull goes by a cursor: the platform's feed of what changed for this user (the same
//! messages as the live stream), so a pull with nothing new is one small request.
//!
//! The platform's events are the truth. The phone's own commands that the platform has not
//! confirmed yet are laid on top again after every merge, decided by the same lifecycle rules
//! as the actor who issued them (marked `local` in the store), so the screens show what the
//! user did at once and never lose it, and the platform's version wins as soon as it arrives.
//! Must never go backwards (an older answer never replaces a newer history) and never keep an
//! application the platform no longer shows this user.

use super::{Ctx, OutboxCommand, Outcome, SyncClient, SyncError, i64_seq, parse};
use crate::domain::lifecycle::{Application, ApplicationId, Event, State};
use crate::store::StoreError;
use crate::store::outbox::OutboxState;
use crate::store::session::meta;
use crate::wire::{self, path};
use rusqlite::Transaction;
use std::collections::BTreeSet;
use zeroize::Zeroizing;

/// What a status pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Applications the platform listed.
    pub applications: u32,
    /// Applications whose local copy was brought up to date.
    pub updated: u32,
    /// Events that were new on this phone.
    pub new_events: u32,
    /// Local copies removed because the platform no longer shows them to this user.
    pub removed: u32,
}

fn state_code(state: State) -> String {
    state.code().to_owned()
}

fn invalid(what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(what.to_string())
}

/// The highest event number the platform confirmed for an application (0 when none).
pub(crate) fn confirmed_seq(ctx: &Ctx<'_>, id: &str) -> Result<i64, StoreError> {
    Ok(ctx
        .store
        .events(id)?
        .iter()
        .filter(|e| !e.local)
        .map(|e| e.seq)
        .max()
        .unwrap_or(0))
}

/// Merges the platform's view of an application inside `tx`: the summary (sealed: it may
/// hold the villager's contact), and when the view carries events and is not older than the
/// phone's copy, the confirmed history followed by the phone's still-pending commands.
pub(crate) fn keep_in(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    view: &wire::ApplicationView,
) -> Result<(), StoreError> {
    let id = ApplicationId::parse(&view.id).map_err(|e| invalid(e.code()))?;
    let mut summary = view.clone();
    summary.events = None;
    summary.timeline = None;
    carry_contacts(ctx, id.as_str(), &mut summary)?;
    let summary = Zeroizing::new(serde_json::to_string(&summary).map_err(invalid)?);
    let Some(events) = &view.events else {
        // No history in this answer: keep the summary, leave the state to the events.
        let state = ctx
            .store
            .application(id.as_str())?
            .map(|r| r.state)
            .unwrap_or_else(|| state_code(view.state));
        return ctx.store.upsert_application_in(
            tx,
            id.as_str(),
            &view.product_id,
            &state,
            Some(&summary),
            view.updated_at,
        );
    };
    let confirmed = confirmed_seq(ctx, id.as_str())?;
    if i64::try_from(view.last_seq).unwrap_or(i64::MAX) < confirmed {
        return Ok(());
    }
    let mut app = Application::fold(id.clone(), events).map_err(|e| invalid(e.code()))?;
    ctx.store.upsert_application_in(
        tx,
        id.as_str(),
        &view.product_id,
        &state_code(app.state),
        Some(&summary),
        view.updated_at,
    )?;
    ctx.store.clear_events_in(tx, id.as_str())?;
    for event in events {
        write_event(ctx, tx, &id, event, false)?;
    }
    for item in ctx.store.outbox_in(tx)? {
        if item.state != OutboxState::Pending {
            continue;
        }
        let Some(cmd) = OutboxCommand::from_row(&item.kind, &item.payload_json) else {
            continue;
        };
        if cmd.application_id() != Some(id.as_str()) {
            continue;
        }
        let Some(lifecycle) = cmd.lifecycle() else {
            continue;
        };
        // Refused by the rules now (the platform moved on): the command will be refused too,
        // and the phone shows the platform's state meanwhile.
        if let Ok(event) = app.execute(ctx.actor, lifecycle, item.created_at) {
            write_event(ctx, tx, &id, &event, true)?;
        }
    }
    ctx.store.upsert_application_in(
        tx,
        id.as_str(),
        &view.product_id,
        &state_code(app.state),
        None,
        view.updated_at,
    )
}

/// A list entry or a command's answer carries no contacts (only the detail does): keep the
/// ones already on the phone while the application stays with the same manager.
fn carry_contacts(
    ctx: &Ctx<'_>,
    id: &str,
    summary: &mut wire::ApplicationView,
) -> Result<(), StoreError> {
    if summary.villager.is_some() && summary.manager.is_some() {
        return Ok(());
    }
    let Some(old) = ctx
        .store
        .application(id)?
        .and_then(|r| r.payload_json)
        .and_then(|p| serde_json::from_str::<wire::ApplicationView>(&p).ok())
    else {
        return Ok(());
    };
    if old.manager_id == summary.manager_id {
        summary.villager = summary.villager.take().or(old.villager);
        summary.manager = summary.manager.take().or(old.manager);
    }
    Ok(())
}

fn write_event(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &ApplicationId,
    event: &Event,
    local: bool,
) -> Result<(), StoreError> {
    let json = Zeroizing::new(serde_json::to_string(event).map_err(invalid)?);
    let seq = i64::try_from(event.seq).map_err(|_| invalid("event number too large"))?;
    ctx.store
        .append_event_in(tx, id.as_str(), seq, &json, event.at, local)?;
    Ok(())
}

impl SyncClient {
    /// Fetches one application with its events and merges it; answers the number of events
    /// that are new on this phone. An application the platform no longer shows this user
    /// (reassigned to another manager) is removed here: answers `Ok(0)` then.
    pub async fn fetch_application(&self, ctx: &Ctx<'_>, id: &str) -> Result<u32, SyncError> {
        let id = ApplicationId::parse(id).map_err(|e| SyncError::BadAnswer(e.code().to_owned()))?;
        let body = match self
            .exchange(self.get(&path::application(id.as_str())))
            .await
        {
            Outcome::Refused(r) if r.status == 404 => {
                ctx.store
                    .write(|tx| ctx.store.delete_application_in(tx, id.as_str()))?;
                return Ok(0);
            }
            other => other.body()?,
        };
        let view: wire::ApplicationView = parse(&body)?;
        if view.id != id.as_str() {
            return Err(SyncError::BadAnswer("another application".into()));
        }
        let before = confirmed_seq(ctx, id.as_str())?;
        ctx.store.write(|tx| keep_in(ctx, tx, &view))?;
        let after = confirmed_seq(ctx, id.as_str())?;
        Ok(u32::try_from(after.saturating_sub(before)).unwrap_or(u32::MAX))
    }

    /// Brings the local copies up to date by the status cursor: the platform's feed of what
    /// changed for this user since the last pull, then one fetch per changed application. An
    /// unchanged pull is one small request. The first pull (or one after the platform dropped
    /// a week-old history) lists everything instead.
    pub async fn pull_status(&self, ctx: &Ctx<'_>) -> Result<PullReport, SyncError> {
        let cursor = ctx
            .store
            .meta(meta::FEED_CURSOR)?
            .and_then(|c| c.parse::<u64>().ok());
        let Some(mut after) = cursor else {
            // Where the feed stands before the list: nothing changed after it is missed.
            let page = match self.feed(None).await? {
                Some(page) => page,
                None => return self.list_pull(ctx).await,
            };
            let report = self.list_pull(ctx).await?;
            ctx.store
                .set_meta(meta::FEED_CURSOR, &page.next.to_string())?;
            return Ok(report);
        };
        let mut report = PullReport::default();
        loop {
            let Some(page) = self.feed(Some(after)).await? else {
                return self.list_pull(ctx).await;
            };
            if page.reset {
                let listed = self.list_pull(ctx).await?;
                ctx.store
                    .set_meta(meta::FEED_CURSOR, &page.next.to_string())?;
                return Ok(listed);
            }
            let mut changed: Vec<&str> = Vec::new();
            for item in &page.messages {
                let id = item.message.application_id.as_str();
                if changed.contains(&id) {
                    continue;
                }
                // The phone's own confirmed copy may already be as new (its own actions).
                if i64_seq(item.message.seq)? > confirmed_seq(ctx, id)? {
                    changed.push(id);
                }
            }
            for id in changed {
                let n = self.fetch_application(ctx, id).await?;
                report.applications += 1;
                report.updated += 1;
                report.new_events = report.new_events.saturating_add(n);
            }
            ctx.store
                .set_meta(meta::FEED_CURSOR, &page.next.to_string())?;
            if !page.more {
                return Ok(report);
            }
            after = page.next;
        }
    }

    /// One page of this user's feed; `None` when the platform has no feed (an older platform).
    async fn feed(&self, after: Option<u64>) -> Result<Option<wire::FeedPage>, SyncError> {
        let path = match after {
            Some(a) => format!("{}?after={a}", path::FEED),
            None => path::FEED.to_owned(),
        };
        match self.exchange(self.get(&path)).await {
            Outcome::Refused(r) if r.status == 404 && r.code == "route_not_found" => Ok(None),
            other => Ok(Some(parse(&other.body()?)?)),
        }
    }

    /// Lists the applications the platform shows this user and catches up each one whose
    /// confirmed history is behind; local copies the platform no longer lists (and that have
    /// no pending command) are checked one by one and removed when they are gone.
    async fn list_pull(&self, ctx: &Ctx<'_>) -> Result<PullReport, SyncError> {
        let list: wire::ApplicationList = parse(
            &self
                .exchange(self.get(&format!("{}?limit=500", path::APPLICATIONS)))
                .await
                .body()?,
        )?;
        let mut report = PullReport {
            applications: u32::try_from(list.applications.len()).unwrap_or(u32::MAX),
            ..PullReport::default()
        };
        let listed: BTreeSet<&str> = list.applications.iter().map(|a| a.id.as_str()).collect();
        for app in &list.applications {
            if i64_seq(app.last_seq)? > confirmed_seq(ctx, &app.id)? {
                let n = self.fetch_application(ctx, &app.id).await?;
                report.updated += 1;
                report.new_events = report.new_events.saturating_add(n);
            }
        }
        // A manager's list holds only open applications of theirs: one that left it (closed,
        // or reassigned to someone else) is looked at once more.
        let pending: BTreeSet<String> = ctx
            .store
            .outbox()?
            .iter()
            .filter_map(|i| OutboxCommand::from_row(&i.kind, &i.payload_json))
            .filter_map(|c| c.application_id().map(str::to_owned))
            .collect();
        for row in ctx.store.applications()? {
            let unlisted = !listed.contains(row.id.as_str()) && !pending.contains(&row.id);
            let open = State::from_code(&row.state)
                .is_none_or(|s| !(s == State::Draft || s == State::Disbursed || s.is_final()));
            if unlisted && open && confirmed_seq(ctx, &row.id)? > 0 {
                self.fetch_application(ctx, &row.id).await?;
                if ctx.store.application(&row.id)?.is_none() {
                    report.removed += 1;
                }
            }
        }
        Ok(report)
    }
}
