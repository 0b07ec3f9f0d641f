//! The accept loop: takes connections, refuses an address over its connection cap at once, and
//! serves each connection with hyper's HTTP/1.1 server under the header-read timeout (a request
//! head sent half-way and left is dropped after `header_read`; so is a kept-alive connection that
//! sends no next request). Stops gracefully: on the stop signal it accepts nothing more, tells
//! every connection to finish its request in flight, and returns when they have.
//!
//! [`serve`] is one function taking a listener, the router and the limits, so that TLS (another
//! part) can wrap each accepted stream before it is served. Must never block the loop on one
//! client (the refusal is written from its own task, under a short deadline).

use super::bucket::Counters;
use super::settings::Limits;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// What an address over its connection cap reads before the connection is closed.
fn over_cap_answer() -> String {
    let refusal = crate::error::ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "too_many_connections",
        "来自您地址的连接太多，请稍后再试",
        "too many connections from your address; retry later",
    );
    let body = serde_json::to_string(&refusal.body()).unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

async fn refuse(mut stream: TcpStream) {
    let answer = over_cap_answer();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Serves `app` on `listener` under `limits` until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: &Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    let per_address = Counters::<IpAddr>::new(limits.connections_per_address);
    let graceful = GracefulShutdown::new();
    let stopped = async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, never spin or stop.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopped => break,
        };
        let Some(slot) = per_address.enter(peer.ip()) else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _slot = slot;
            let _ = conn.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
