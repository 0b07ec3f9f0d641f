//! The load generator of `scripts/bench-abuse.sh` (issue 16): loopback only, bounded in time.
//! One process per part, so each stays under the machine's open-file limit:
//!
//! ```text
//! abuse streams ADDR COUNT SECONDS TOKENS_FILE   # COUNT idle live streams from 127.0.1.x
//! abuse slow    ADDR COUNT SECONDS               # COUNT half-sent request heads from 127.0.2.x
//! abuse load    ADDR SECONDS TOKEN PRODUCT OUT   # 1,000 submissions/s (127.0.3.x), a login-code
//!                                                # flood (127.0.4.1), health probes (127.0.5.1)
//! ```
//!
//! Each prints `key=value` lines for the script. Must never reach beyond 127.0.0.0/8.

use std::error::Error;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Connections per source address (under the server's per-address cap and the port range).
const PER_SOURCE: usize = 500;

fn source(block: u8, n: usize) -> IpAddr {
    let host = u8::try_from(1 + n / PER_SOURCE).unwrap_or(u8::MAX);
    IpAddr::V4(Ipv4Addr::new(127, 0, block, host))
}

async fn connect_from(src: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(src, 0))?;
    socket.connect(to).await
}

fn arg(args: &[String], i: usize) -> Res<&str> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| format!("missing argument {i}; see the comment at the top").into())
}

#[tokio::main]
async fn main() -> Res<()> {
    huoshui_core::sync::install_tls_provider();
    let args: Vec<String> = std::env::args().collect();
    let addr: SocketAddr = arg(&args, 2)?.parse()?;
    if !addr.ip().is_loopback() {
        return Err("loopback only".into());
    }
    match arg(&args, 1)? {
        "streams" => {
            let tokens: Vec<String> = std::fs::read_to_string(arg(&args, 5)?)?
                .lines()
                .map(str::to_owned)
                .collect();
            streams(addr, arg(&args, 3)?.parse()?, secs(arg(&args, 4)?)?, tokens).await
        }
        "slow" => slow(addr, arg(&args, 3)?.parse()?, secs(arg(&args, 4)?)?).await,
        "load" => {
            let run = Load {
                addr,
                seconds: secs(arg(&args, 3)?)?,
                token: arg(&args, 4)?.to_owned(),
                product: arg(&args, 5)?.to_owned(),
                out: arg(&args, 6)?.into(),
            };
            load(run).await
        }
        other => Err(format!("unknown part {other}").into()),
    }
}

fn secs(text: &str) -> Res<Duration> {
    Ok(Duration::from_secs(text.parse()?))
}

#[derive(Default)]
struct StreamCounts {
    open: AtomicU64,
    alive: AtomicU64,
    failed: AtomicU64,
    events: AtomicU64,
}

/// Opens one stream, waits for `ready`, then reads (and counts events) until it ends.
/// `opening` is given back once the stream is ready (or has failed).
async fn one_stream(
    addr: SocketAddr,
    src: IpAddr,
    token: String,
    c: Arc<StreamCounts>,
    opening: tokio::sync::OwnedSemaphorePermit,
) {
    let mut opening = Some(opening);
    let Ok(mut s) = connect_from(src, addr).await else {
        c.failed.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let head = format!(
        "GET /v1/events HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\
         authorization: Bearer {token}\r\n\r\n"
    );
    drop(token);
    if s.write_all(head.as_bytes()).await.is_err() {
        c.failed.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut buf = [0u8; 512];
    let mut ready = false;
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let text = String::from_utf8_lossy(&buf[..n]);
        if !ready && text.contains("event: ready") {
            ready = true;
            c.open.fetch_add(1, Ordering::Relaxed);
            c.alive.fetch_add(1, Ordering::Relaxed);
            drop(opening.take());
        }
        let events = text.matches("\nid: ").count() as u64;
        c.events.fetch_add(events, Ordering::Relaxed);
        if text.contains("\r\n0\r\n\r\n") {
            break; // the server ended this stream (the connection itself may stay open)
        }
    }
    if ready {
        c.alive.fetch_sub(1, Ordering::Relaxed);
    } else {
        c.failed.fetch_add(1, Ordering::Relaxed);
    }
}

async fn streams(addr: SocketAddr, count: usize, hold: Duration, tokens: Vec<String>) -> Res<()> {
    if tokens.is_empty() {
        return Err("no tokens".into());
    }
    let c = Arc::new(StreamCounts::default());
    let opening = Arc::new(Semaphore::new(256));
    let began = Instant::now();
    for n in 0..count {
        let permit = opening.clone().acquire_owned().await?;
        let token = tokens[n % tokens.len()].clone();
        tokio::spawn(one_stream(addr, source(1, n), token, c.clone(), permit));
    }
    while c.open.load(Ordering::Relaxed) + c.failed.load(Ordering::Relaxed) < count as u64 {
        if began.elapsed() > Duration::from_secs(300) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("streams_open={}", c.open.load(Ordering::Relaxed));
    println!("streams_failed={}", c.failed.load(Ordering::Relaxed));
    println!("streams_open_seconds={:.1}", began.elapsed().as_secs_f64());
    tokio::time::sleep(hold).await;
    println!("streams_alive_at_end={}", c.alive.load(Ordering::Relaxed));
    println!(
        "stream_events_received={}",
        c.events.load(Ordering::Relaxed)
    );
    Ok(())
}

/// Keeps `count` request heads half-sent (one more header line a second, never the end) and
/// records how long the server let each one hang before dropping it.
async fn slow(addr: SocketAddr, count: usize, seconds: Duration) -> Res<()> {
    let until = Instant::now() + seconds;
    let dropped = Arc::new(AtomicU64::new(0));
    let held_ms = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let mut tasks = Vec::new();
    for n in 0..count {
        let (dropped, held_ms) = (dropped.clone(), held_ms.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let began = Instant::now();
                let Ok(mut s) = connect_from(source(2, n), addr).await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                if trickle(&mut s, until).await {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    let ms = began.elapsed().as_millis() as u64;
                    if let Ok(mut v) = held_ms.lock() {
                        v.push(ms);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut v = held_ms.lock().map(|v| v.clone()).unwrap_or_default();
    v.sort_unstable();
    println!("slow_dropped_by_server={}", dropped.load(Ordering::Relaxed));
    println!("slow_held_ms_p50={}", pct(&v, 0.50));
    println!("slow_held_ms_max={}", v.last().copied().unwrap_or(0));
    Ok(())
}

/// Sends a head a line a second; `true` when the server closed it before `until`.
async fn trickle(s: &mut TcpStream, until: Instant) -> bool {
    if s.write_all(b"GET /v1/catalog HTTP/1.1\r\nhost: x\r\n")
        .await
        .is_err()
    {
        return true;
    }
    let mut buf = [0u8; 256];
    while Instant::now() < until {
        tokio::select! {
            r = s.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { return true; },
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                if s.write_all(b"x-slow: a\r\n").await.is_err() { return true; }
            }
        }
    }
    false
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Load {
    addr: SocketAddr,
    seconds: Duration,
    token: String,
    product: String,
    out: std::path::PathBuf,
}

async fn load(run: Load) -> Res<()> {
    let base = format!("http://{}", run.addr);
    let until = Instant::now() + run.seconds;
    let flood = tokio::spawn(login_flood(base.clone(), until));
    let health = tokio::spawn(health_probe(base.clone(), until));
    let subs = submissions(&base, &run, until).await?;
    let (flood, health) = (flood.await??, health.await??);
    std::fs::write(&run.out, subs.ids)?;
    println!("submissions_sent={}", subs.sent);
    println!("submissions_acknowledged={}", subs.acked);
    println!("submissions_shed_503={}", subs.shed);
    println!("submissions_other={}", subs.other);
    println!("login_flood_sent={}", flood[0]);
    println!("login_flood_accepted_202={}", flood[1]);
    println!("login_flood_refused_429_address_bucket={}", flood[2]);
    println!("login_flood_refused_429_code_limits={}", flood[3]);
    println!("login_flood_other={}", flood[4]);
    let mut lat = health.0;
    lat.sort_unstable();
    println!("health_probes={} health_failed={}", lat.len(), health.1);
    println!(
        "health_ms_p50={:.1} health_ms_p99={:.1} health_ms_max={:.1}",
        pct(&lat, 0.50) as f64 / 1000.0,
        pct(&lat, 0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    Ok(())
}

fn client_from(src: IpAddr) -> Res<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(src)
        .timeout(Duration::from_secs(30))
        .build()?)
}

#[derive(Default)]
struct Subs {
    sent: u64,
    acked: u64,
    shed: u64,
    other: u64,
    /// `ack <id>` / `shed <id>` / `other <status> <id>` lines.
    ids: String,
}

/// Submissions in flight at most (the script reserves open files for them on the server).
const IN_FLIGHT: usize = 1_000;

/// 1,000 submissions a second, each with its own application id and Idempotency-Key.
async fn submissions(base: &str, run: &Load, until: Instant) -> Res<Subs> {
    let clients: Vec<reqwest::Client> = (1..=4)
        .map(|h| client_from(IpAddr::V4(Ipv4Addr::new(127, 0, 3, h))))
        .collect::<Res<_>>()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u16, String, String)>();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    // At most this many submissions in flight (each may hold a connection): the server's open
    // files are counted by the script, and a slower server is sent fewer, not more sockets.
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut sent = 0u64;
    while Instant::now() < until {
        tick.tick().await;
        let permit = in_flight.clone().acquire_owned().await?;
        sent += 1;
        let client = clients[(sent % 4) as usize].clone();
        let id = uuid::Uuid::new_v4().to_string();
        let body = serde_json::json!({"id": id, "product_id": run.product,
            "amount_fen": 1_000_000, "months": 12});
        let req = client
            .post(format!("{base}/v1/applications"))
            .bearer_auth(&run.token)
            .header("idempotency-key", format!("abuse-{id}"))
            .json(&body);
        let tx = tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let (status, code) = match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    let code = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    (status, code)
                }
                Err(_) => (0, "no_answer".to_owned()),
            };
            let _ = tx.send((status, code, id));
        });
    }
    drop(tx);
    let mut s = Subs {
        sent,
        ..Subs::default()
    };
    while let Some((status, code, id)) = rx.recv().await {
        match (status, code.as_str()) {
            (201, _) => {
                s.acked += 1;
                s.ids.push_str(&format!("ack {id}\n"));
            }
            (503, "busy") => {
                s.shed += 1;
                s.ids.push_str(&format!("shed {id}\n"));
            }
            _ => {
                s.other += 1;
                s.ids.push_str(&format!("other {status}:{code} {id}\n"));
            }
        }
    }
    Ok(s)
}

/// Login-code requests from one address for ever new phones, as fast as 32 connections go:
/// (sent, 202, 429 from the address's bucket, 429 from the login-code limits, other).
async fn login_flood(base: String, until: Instant) -> Res<[u64; 5]> {
    let client = client_from(IpAddr::V4(Ipv4Addr::new(127, 0, 4, 1)))?;
    let counts: Arc<[AtomicU64; 5]> = Arc::new(Default::default());
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, base, counts) = (client.clone(), base.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let n = counts[0].fetch_add(1, Ordering::Relaxed);
                let r = client
                    .post(format!("{base}/v1/auth/code"))
                    .json(&serde_json::json!({"phone": format!("139{:08}", n)}))
                    .send()
                    .await;
                let slot = match r {
                    Ok(r) if r.status().as_u16() == 202 => 1,
                    Ok(r) if r.status().as_u16() == 429 => {
                        let text = r.text().await.unwrap_or_default();
                        if text.contains("too_many_codes") {
                            3
                        } else {
                            2
                        }
                    }
                    _ => 4,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Ok(std::array::from_fn(|i| counts[i].load(Ordering::Relaxed)))
}

/// A health probe every 20 ms: latencies in µs and failures.
async fn health_probe(base: String, until: Instant) -> Res<(Vec<u64>, u64)> {
    let client = client_from(IpAddr::V4(Ipv4Addr::new(127, 0, 5, 1)))?;
    let mut lat = Vec::new();
    let mut failed = 0;
    while Instant::now() < until {
        let t = Instant::now();
        match client.get(format!("{base}/v1/health")).send().await {
            Ok(r) if r.status().is_success() => lat.push(t.elapsed().as_micros() as u64),
            _ => failed += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((lat, failed))
}
