//! The accept loop: takes connections, refuses an address over its connection cap at once, and
//! serves each connection with hyper's HTTP/1.1 server under the header-read timeout (a request
//! head sent half-way and left is dropped after `header_read`; so is a kept-alive connection that
//! sends no next request). Stops gracefully: on the stop signal it accepts nothing more, tells
//! every connection to finish its request in flight, and returns when they have.
//!
//! [`serve`] is one loop for plain HTTP and HTTPS: with a TLS acceptor, each accepted connection
//! is counted against its address first, then its handshake must finish within the header-read
//! timeout, then it is served exactly like a plain one (HTTP/1.1). Must never block the loop on
//! one client (the refusal and the handshake run in the connection's own task, under deadlines).

use super::bucket::Counters;
use super::settings::Limits;
use axum::extract::ConnectInfo;
use axum_server::accept::Accept;
use axum_server::tls_rustls::RustlsAcceptor;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::server::graceful::Watcher;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
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

/// Serves `app` on `listener` under `limits` until `stop` turns true; HTTPS when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: &Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    tls: Option<RustlsAcceptor>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    let tls = tls.map(|t| t.handshake_timeout(limits.header_read));
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
            // Over the cap: a plain answer on a plain port; on a TLS port just the close.
            if tls.is_none() {
                tokio::spawn(refuse(stream));
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let one = One {
            http: http.clone(),
            app: app.clone(),
            peer,
            watcher: graceful.watcher(),
        };
        match &tls {
            None => {
                tokio::spawn(async move {
                    let _slot = slot;
                    one.serve(stream).await;
                });
            }
            Some(tls) => {
                let handshake = tls.accept(stream, ());
                tokio::spawn(async move {
                    let _slot = slot;
                    // A failed or too slow handshake (header-read timeout) just closes.
                    if let Ok((stream, _)) = handshake.await {
                        one.serve(stream).await;
                    }
                });
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// One accepted connection, ready to be served.
struct One {
    http: hyper::server::conn::http1::Builder,
    app: axum::Router,
    peer: SocketAddr,
    watcher: Watcher,
}

impl One {
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let One {
            http,
            app,
            peer,
            watcher,
        } = self;
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let _ = watcher
            .watch(http.serve_connection(TokioIo::new(io), service))
            .await;
    }
}
