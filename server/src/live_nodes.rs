//! Live streams across nodes on PostgreSQL (issue 13). A change's feed rows are written in the
//! change's own transaction ([`crate::feed::record`]), which also announces them with
//! `pg_notify('huoshui_feed', <newest id>)`: PostgreSQL delivers the notice at the commit, to
//! every node, and drops it with a rolled-back savepoint. Each node runs ONE listener — its own
//! thread and connection, `LISTEN huoshui_feed` — that reads the feed rows after the last id it
//! has relayed and hands them to the node's [`Hub`], which wakes the recipients' streams on
//! that node (the streams then read their own rows from the table, as on SQLite).
//!
//! On PostgreSQL the hub is fed ONLY by this listener, the writing node's included, so a
//! message wakes a stream once whichever node wrote it. A lost connection is made again after
//! a pause and the listener first catches up from the table: a notice missed while it was away
//! costs nothing, the rows are the truth.
//!
//! Why "the rows after my last id" never skips one: every write transaction of every node
//! first takes the one advisory lock of [`crate::sql::pg`]'s writer and holds it to its commit,
//! so feed ids are drawn in commit order across all nodes; when a row is visible, every row
//! with a smaller id has committed (or was rolled back and never will be).
//!
//! Owns the channel name, the announcement and the listener thread. Must never run on an async
//! worker (the client blocks), never carry more than a feed id in a notice (no personal data),
//! and must end when the node stops.

use crate::hub::{Hub, Published};
use crate::sql::pg::{PgConn, PgTarget};
use crate::sql::{SqlError, Tx, params};
use r2d2_postgres::postgres::Notification;
use r2d2_postgres::postgres::fallible_iterator::FallibleIterator;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The channel every node listens on.
pub const CHANNEL: &str = "huoshui_feed";

/// How long the listener waits for a notice before looking at the stop signal again.
const POLL: Duration = Duration::from_millis(250);

/// The pause before connecting again after the connection was lost.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// Most feed rows relayed per read (the listener reads again until it has caught up).
const PAGE: u32 = 1024;

/// Inside a write on PostgreSQL: announces that the feed holds rows up to `newest` (sent to
/// every node at the commit, dropped if the job's savepoint is rolled back).
pub fn announce(conn: &Tx<'_>, newest: i64) -> Result<(), SqlError> {
    conn.query_row(
        "SELECT 1 FROM (SELECT pg_notify(?1, CAST(?2 AS TEXT))) AS sent",
        params![CHANNEL, newest.to_string()],
        |_| Ok(()),
    )
}

/// The hub of a node: on SQLite the writer's node publishes after each commit; on PostgreSQL
/// the hub is fed by this node's listener, started here (answers once it listens, so no
/// commit after the node's start is missed).
pub fn hub_for(db: &crate::db::Db, stop: watch::Receiver<bool>) -> Result<Hub, String> {
    match db.target() {
        crate::db::Target::Sqlite(_) => Ok(Hub::new()),
        crate::db::Target::Postgres(target) => {
            let hub = Hub::relayed();
            start(target.clone(), hub.clone(), stop)?;
            Ok(hub)
        }
    }
}

/// Starts the listener thread; answers once it listens (or why it could not).
pub fn start(target: Arc<PgTarget>, hub: Hub, stop: watch::Receiver<bool>) -> Result<(), String> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("huoshui-feed-listener".into())
        .spawn(move || listen(&target, &hub, &stop, &ready_tx))
        .map_err(|e| {
            format!("无法启动动态监听线程：{e} / cannot start the feed listener thread: {e}")
        })?;
    ready_rx
        .recv()
        .map_err(|_| "the feed listener thread stopped".to_owned())?
}

fn stopped(stop: &watch::Receiver<bool>) -> bool {
    // A dropped sender means the node is gone as well.
    *stop.borrow() || stop.has_changed().is_err()
}

/// Connects, names the connection after its schema (an operator, or a test, can find it in
/// `pg_stat_activity`) and listens.
fn connect(target: &PgTarget) -> Result<PgConn, String> {
    let mut conn = target.connect()?;
    conn.batch(&format!(
        "SELECT set_config('application_name', 'huoshui-feed ' || current_schema(), false); \
         LISTEN {CHANNEL}"
    ))
    .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The listener's life: connect and listen, catch up, relay on each notice; on a lost
/// connection pause, connect again and catch up.
fn listen(
    target: &PgTarget,
    hub: &Hub,
    stop: &watch::Receiver<bool>,
    ready: &std::sync::mpsc::Sender<Result<(), String>>,
) {
    // The first connection decides the starting point: the rows committed before it are no
    // stream's news (a stream with `Last-Event-ID` reads its backlog from the table itself).
    let first = connect(target).and_then(|mut conn| {
        let newest = crate::feed::newest(&Tx::postgres(&mut conn)).map_err(|e| e.message_en)?;
        Ok((conn, newest))
    });
    let (mut conn, mut last) = match first {
        Ok(found) => {
            let _ = ready.send(Ok(()));
            found
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    loop {
        if let Err(e) = follow(&mut conn, hub, stop, &mut last) {
            tracing::warn!(error = %e, "feed listener lost its connection; connecting again");
        }
        loop {
            if stopped(stop) {
                return;
            }
            std::thread::sleep(RECONNECT_PAUSE);
            match connect(target) {
                Ok(c) => {
                    conn = c;
                    break;
                }
                Err(e) => tracing::warn!(error = %e, "feed listener cannot connect yet"),
            }
        }
    }
}

/// Catches up, then relays on every notice until the node stops (`Ok`) or the connection is
/// lost (`Err`).
fn follow(
    conn: &mut PgConn,
    hub: &Hub,
    stop: &watch::Receiver<bool>,
    last: &mut i64,
) -> Result<(), String> {
    relay(conn, hub, last)?;
    while !stopped(stop) {
        let mut newest: Option<i64> = None;
        {
            let mut notices = conn.client().notifications();
            let mut heard = |n: Notification| {
                // An unreadable payload still means "something new": read the table.
                let id = n.payload().parse::<i64>().unwrap_or(i64::MAX);
                newest = Some(newest.map_or(id, |m| m.max(id)));
            };
            let lost = |e: r2d2_postgres::postgres::Error| e.to_string();
            let first = notices.timeout_iter(POLL).next().map_err(lost)?;
            if let Some(n) = first {
                heard(n);
                // Take every notice already waiting: one read of the table serves them all.
                let mut waiting = notices.iter();
                while let Some(n) = waiting.next().map_err(lost)? {
                    heard(n);
                }
            }
        }
        if conn.is_closed() {
            return Err("the connection was closed".into());
        }
        if newest.is_some_and(|id| id > *last) {
            relay(conn, hub, last)?;
        }
    }
    Ok(())
}

/// Hands the hub every feed row after `last`, in id order, and moves `last` on.
fn relay(conn: &mut PgConn, hub: &Hub, last: &mut i64) -> Result<(), String> {
    loop {
        let rows: Vec<(i64, String)> = Tx::postgres(conn)
            .query_map(
                "SELECT id, user_id FROM feed WHERE id > ?1 ORDER BY id LIMIT ?2",
                params![*last, PAGE],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| e.to_string())?;
        let Some((newest, _)) = rows.last() else {
            return Ok(());
        };
        *last = *newest;
        let full = rows.len() >= PAGE as usize;
        hub.deliver(Published {
            entries: rows.into_iter().map(|(id, user)| (user, id)).collect(),
        });
        if !full {
            return Ok(());
        }
    }
}
