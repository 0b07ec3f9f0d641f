//! The page's live stream (`GET /admin/live`, Server-Sent Events for htmx's SSE extension).
//! It follows the platform's feed as a whole: every change to an application writes feed rows
//! in its own transaction and wakes the hub after the commit ([`crate::hub`]; with several nodes
//! on PostgreSQL, every node's hub is woken by its feed listener, [`crate::live_nodes`], so the
//! page follows the changes made on all nodes); on each wake-up
//! this stream reads the rows after the last one it saw, keeps one per (application, event),
//! keeps those in the viewer's scope (a manager's own bank), and sends:
//! - `activity`: one line of the ticker (HTML; ids, catalog names and states only);
//! - `escalation`: the open escalations changed (the page fetches them again);
//! - `figures`: the figures changed (the page fetches them again, at most once a second).
//!
//! A stream that fell behind the hub says `figures` and `escalation` and catches up from the
//! feed. Owns no table. Must never send personal data, and must end when the server stops.

use super::figures::Scope;
use super::pages::{self, ActivityItem, ActivityKind};
use crate::directory::Directory;
use crate::error::ApiError;
use crate::sql::{OptionalExtension, Tx, params};
use crate::state::AppState;
use axum::response::sse::Event as SseEvent;
use huoshui_core::domain::lifecycle::State;
use huoshui_core::wire::StreamMessage;
use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;

/// Most feed rows read at once.
const PAGE: i64 = 512;

/// The newest feed row id (0 when empty).
pub fn newest(conn: &Tx<'_>) -> Result<i64, ApiError> {
    crate::feed::newest(conn)
}

/// Where an application belongs, for the ticker and the scope: (bank, product, town).
fn placement(conn: &Tx<'_>, id: &str) -> Result<Option<(String, String, String)>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT bank_id, product_id, town FROM applications WHERE id = ?1")?
        .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// The label of an event on the ticker, and its kind.
fn label(message: &StreamMessage) -> (ActivityKind, String) {
    match message.event.as_str() {
        // The submission's message is its last event: `submitted`, or `assigned` when routed.
        "submitted" => (ActivityKind::NewApplication, "新申请".to_owned()),
        "assigned" if message.seq <= 3 => (ActivityKind::NewApplication, "新申请".to_owned()),
        "assigned" => (ActivityKind::Other, "已分派".to_owned()),
        "contacted" => (ActivityKind::FirstContact, "首次联系".to_owned()),
        "escalated" => (ActivityKind::Escalation, "超时督办".to_owned()),
        "escalation_acknowledged" => (ActivityKind::Other, "督办已确认".to_owned()),
        "reassigned" => (ActivityKind::Other, "已改派".to_owned()),
        _ => (ActivityKind::Other, message.state.name_zh().to_owned()),
    }
}

/// Whether an event changes the list of open escalations.
fn touches_escalations(message: &StreamMessage) -> bool {
    matches!(
        message.event.as_str(),
        "escalated" | "escalation_acknowledged" | "reassigned" | "contacted" | "withdrawn"
    ) || message.state.is_final()
        || message.state == State::Disbursed
}

/// The ticker lines of the feed rows after `after` (oldest first), at most one per
/// (application, event), within `scope`; and the last row id read.
pub fn read_after(
    conn: &Tx<'_>,
    dir: &Directory,
    scope: &Scope,
    after: i64,
    limit: i64,
) -> Result<(Vec<(ActivityItem, bool)>, i64), ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, message, at FROM feed WHERE id > ?1 ORDER BY id LIMIT ?2")?;
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut last = after;
    let mut seen: HashSet<(String, u64)> = HashSet::new();
    let mut out = Vec::new();
    for row in rows {
        let (id, text, at) = row?;
        last = id;
        let message: StreamMessage = serde_json::from_str(&text)?;
        if !seen.insert((message.application_id.clone(), message.seq)) {
            continue;
        }
        let Some((bank, product, town)) = placement(conn, &message.application_id)? else {
            continue;
        };
        if !scope.covers(&bank) {
            continue;
        }
        let (kind, label_zh) = label(&message);
        let item = ActivityItem {
            feed_id: id,
            at: crate::clock::from_millis(at),
            kind,
            label_zh,
            application_id: message.application_id.clone(),
            bank_zh: dir.bank(&bank).map(|b| b.name_zh.clone()).unwrap_or(bank),
            product_zh: dir
                .product(&product)
                .map(|p| p.name_zh.clone())
                .unwrap_or(product),
            town_zh: dir
                .towns
                .iter()
                .find(|t| t.id == town)
                .map(|t| t.name_zh.clone())
                .unwrap_or(town),
            state_zh: message.state.name_zh().to_owned(),
        };
        out.push((item, touches_escalations(&message)));
    }
    Ok((out, last))
}

/// The latest `n` ticker lines (newest first), for the first paint of the page.
pub fn recent(
    conn: &Tx<'_>,
    dir: &Directory,
    scope: &Scope,
    n: usize,
) -> Result<Vec<ActivityItem>, ApiError> {
    let newest = newest(conn)?;
    // Read back in pages until enough lines are in scope (or 4 pages were read).
    let mut lines: Vec<ActivityItem> = Vec::new();
    let mut upto = newest;
    for _ in 0..4 {
        if upto <= 0 || lines.len() >= n {
            break;
        }
        let from = (upto - PAGE).max(0);
        let (items, _) = read_after(conn, dir, scope, from, upto - from)?;
        let mut batch: Vec<ActivityItem> = items.into_iter().map(|(i, _)| i).collect();
        batch.reverse();
        lines.extend(batch);
        upto = from;
    }
    // Across page edges the same (application, event) may appear twice: keep the newest.
    let mut seen = HashSet::new();
    lines.retain(|l| seen.insert((l.application_id.clone(), l.label_zh.clone(), l.at)));
    lines.truncate(n);
    Ok(lines)
}

/// One viewer's open stream.
pub struct PageStream {
    pub state: AppState,
    pub scope: Scope,
    pub rx: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::hub::Published>>,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    pub last: i64,
    pub pending: VecDeque<SseEvent>,
    pub catch_up: bool,
}

fn named(name: &str) -> SseEvent {
    SseEvent::default().event(name).data("1")
}

impl PageStream {
    async fn read(&mut self) -> Result<(), ApiError> {
        let dir = self.state.dir.clone();
        let scope = self.scope.clone();
        let after = self.last;
        let (items, last) = self
            .state
            .db
            .read(move |conn| read_after(conn, &dir, &scope, after, PAGE))
            .await?;
        self.catch_up = last - after >= PAGE;
        self.last = last;
        let mut escalations = false;
        let any = !items.is_empty();
        for (item, esc) in items {
            escalations |= esc;
            let html = pages::fragment_string(pages::activity_line(&item));
            self.pending.push_back(
                SseEvent::default()
                    .id(item.feed_id.to_string())
                    .event("activity")
                    .data(html),
            );
        }
        if escalations {
            self.pending.push_back(named("escalation"));
        }
        if any {
            self.pending.push_back(named("figures"));
        }
        Ok(())
    }

    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
        futures_util::stream::unfold(self, |mut s| async move {
            loop {
                if let Some(ev) = s.pending.pop_front() {
                    return Some((Ok(ev), s));
                }
                if *s.shutdown.borrow() {
                    return None;
                }
                if s.catch_up {
                    if s.read().await.is_err() {
                        // The database could not be read: the page refreshes what it shows.
                        s.catch_up = false;
                        s.pending.push_back(named("figures"));
                        s.pending.push_back(named("escalation"));
                    }
                    continue;
                }
                tokio::select! {
                    changed = s.shutdown.changed() => {
                        if changed.is_err() || *s.shutdown.borrow() { return None; }
                    }
                    got = s.rx.recv() => match got {
                        Ok(p) => {
                            if p.entries.iter().any(|(_, id)| *id > s.last) {
                                s.catch_up = true;
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            s.pending.push_back(named("figures"));
                            s.pending.push_back(named("escalation"));
                            s.catch_up = true;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        })
    }
}
