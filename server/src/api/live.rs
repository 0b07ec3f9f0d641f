//! `/v1/feed` and `/v1/events`: the status cursor and the live stream (SSE) of one user.
//! Must never send a user another user's message, nor put personal data into a message.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::feed;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use huoshui_core::wire::{ErrorBody, FeedItem, FeedPage, StreamTopic};
use serde::Deserialize;
use std::convert::Infallible;

/// `?after=`: the feed position the client has handled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedQuery {
    after: Option<i64>,
}

/// What changed for this user since a position in their feed: the status cursor a phone pulls
/// by (an unchanged pull is one small answer). The same messages as the live stream.
#[utoipa::path(get, path = "/v1/feed", tag = "live", security(("bearer" = [])),
    params(("after" = Option<i64>, Query, description = "The last position handled; absent: answer where the feed stands now", minimum = 0)),
    responses(
        (status = 200, description = "The messages after `after`, oldest first, at most 256", body = FeedPage),
        (status = 400, description = "`bad_query`: `after` is not a whole number of 0 or more, or an unknown query parameter", body = ErrorBody),
    ))]
pub(super) async fn feed_page(
    State(state): State<AppState>,
    who: AuthUser,
    query: Result<Query<FeedQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<FeedPage>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "bad_query",
            "查询参数无效：after 应为 0 或更大的整数",
            "invalid query: after must be a whole number of 0 or more",
        )
    };
    let Query(q) = query.map_err(|_| bad())?;
    let user = who.user.id;
    let page = state
        .db
        .read(move |conn| {
            let newest = feed::newest(conn)?;
            let Some(after) = q.after else {
                return Ok(FeedPage {
                    messages: Vec::new(),
                    next: whole(newest),
                    more: false,
                    reset: false,
                });
            };
            if after < 0 {
                return Err(bad());
            }
            if feed::pruned_after(conn, after)? {
                return Ok(FeedPage {
                    messages: Vec::new(),
                    next: whole(newest),
                    more: false,
                    reset: true,
                });
            }
            let rows = feed::after(conn, &user, after)?;
            let more = rows.len() == feed::PAGE as usize;
            // A page that is not full has seen everything up to `newest` (ids grow with each
            // commit of the single writer; on PostgreSQL the nodes' writers take turns under
            // one advisory lock, see `crate::live_nodes`), so the cursor moves past other
            // users' rows too.
            let last_row = rows.last().map_or(after, |r| r.id);
            let next = if more {
                last_row
            } else {
                newest.max(last_row).max(after)
            };
            let messages = rows
                .into_iter()
                .map(|r| FeedItem {
                    id: whole(r.id),
                    message: r.message,
                })
                .collect();
            Ok(FeedPage {
                messages,
                next: whole(next),
                more,
                reset: false,
            })
        })
        .await?;
    Ok(Json(page))
}

fn whole(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

/// The live stream (Server-Sent Events): first `ready`, then every message addressed to this
/// user (`event:` the topic, `data:` a `StreamMessage`, `id:` its position in the user's feed).
/// With `Last-Event-ID` the messages after it come first (in order), then the live ones, without
/// gap or duplicate; `resync` means messages may be missing: pull everything. With several
/// nodes on PostgreSQL the stream hears the changes made on every node (`crate::live_nodes`).
#[utoipa::path(get, path = "/v1/events", tag = "live", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last message received: the messages after it are sent first")),
    responses((status = 200, description = "An endless `text/event-stream`; each `data:` is a `StreamMessage`", content_type = "text/event-stream", body = String)))]
pub(super) async fn events(
    State(state): State<AppState>,
    who: AuthUser,
    headers: HeaderMap,
) -> Result<Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    // Subscribe BEFORE reading where the feed stands: a message committed in between wakes
    // this stream and is read from the feed, so nothing falls in the gap.
    let user_id = who.user.id;
    let rx = state.hub.subscribe_user(&user_id);
    let asked = headers
        .get("last-event-id")
        .map(|v| v.to_str().ok().and_then(|t| t.trim().parse::<i64>().ok()));
    let (last, resync) = match asked {
        Some(Some(last)) if last >= 0 => {
            let pruned = state
                .db
                .read(move |conn| feed::pruned_after(conn, last))
                .await?;
            (last, pruned)
        }
        // An id that is not one of ours: start from now and tell the client to pull everything.
        Some(_) => (state.db.read(feed::newest).await?, true),
        None => (state.db.read(feed::newest).await?, false),
    };
    let mut pending = std::collections::VecDeque::new();
    pending.push_back(
        SseEvent::default()
            .event(StreamTopic::Ready.code())
            .data("{}"),
    );
    if resync {
        pending.push_back(resync_event());
    }
    let capped = state.limits.streams.clone();
    let stream = LiveFeed {
        state: state.clone(),
        rx,
        shutdown: state.shutdown.clone(),
        user_id: user_id.clone(),
        last,
        pending,
        catch_up: asked.is_some(),
    }
    .into_stream();
    let stream = capped.admit(&user_id, stream);
    let every = state.limits.settings.stream_keep_alive;
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(every)))
}

fn resync_event() -> SseEvent {
    SseEvent::default()
        .event(StreamTopic::Resync.code())
        .data("{}")
}

/// One user's open stream: where it stands in their feed and what is ready to send.
struct LiveFeed {
    state: AppState,
    /// The newest feed id addressed to this user (woken only by their own messages).
    rx: tokio::sync::watch::Receiver<i64>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    user_id: String,
    /// The last feed id sent (or the starting point); only later rows are sent.
    last: i64,
    pending: std::collections::VecDeque<SseEvent>,
    /// Read the feed before waiting (a resume with `Last-Event-ID`).
    catch_up: bool,
}

impl LiveFeed {
    /// Reads this user's rows after `last` into `pending` (one page).
    async fn read_feed(&mut self) -> Result<(), ApiError> {
        let user = self.user_id.clone();
        let last = self.last;
        let rows = self
            .state
            .db
            .read(move |conn| feed::after(conn, &user, last))
            .await?;
        self.catch_up = rows.len() == feed::PAGE as usize;
        for row in rows {
            self.last = row.id;
            let data = serde_json::to_string(&row.message)?;
            self.pending.push_back(
                SseEvent::default()
                    .id(row.id.to_string())
                    .event(row.message.topic.code())
                    .data(data),
            );
        }
        Ok(())
    }

    fn into_stream(self) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
        futures_util::stream::unfold(self, |mut f| async move {
            loop {
                if let Some(ev) = f.pending.pop_front() {
                    return Some((Ok(ev), f));
                }
                if *f.shutdown.borrow() {
                    return None;
                }
                if f.catch_up {
                    if f.read_feed().await.is_err() {
                        // The database could not be read: the client re-syncs and reconnects.
                        return Some((Ok(resync_event()), f));
                    }
                    continue;
                }
                tokio::select! {
                    changed = f.shutdown.changed() => {
                        if changed.is_err() || *f.shutdown.borrow() { return None; }
                    }
                    got = f.rx.changed() => {
                        if got.is_err() { return None; }
                        // The watch keeps only the newest id: nothing is missed, never lagged.
                        if *f.rx.borrow_and_update() > f.last {
                            f.catch_up = true;
                        }
                    }
                }
            }
        })
    }
}
