//! Test harness for the end-to-end tests in `tests/`: the real platform server (real SQLite in a
//! temp folder, real HTTP on 127.0.0.1, the development code provider), a real device store in
//! another temp folder, and between them a [`Relay`]: a TCP relay on loopback that counts the
//! requests and bytes on the wire and can play a dead network or lose an answer on its way back.
//!
//! Owns only test plumbing; it must never reach beyond loopback or outlive its test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::AppCore;
use huoshui_core::app::views::SessionView;
use huoshui_core::domain::catalog::Catalog;
use huoshui_core::domain::lifecycle::Actor;
use huoshui_core::store::Store;
use huoshui_core::sync::{Ctx, SyncClient};
use huoshui_core::vault::{InstallKey, SoftwareKeystore, Vault};
use huoshui_server::auth::DevCodeProvider;
use huoshui_server::clock::ManualClock;
use huoshui_server::directory::Directory;
use huoshui_server::{Config, Running};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The platform's (manual) start time.
pub fn start_time() -> jiff::Timestamp {
    "2026-11-28T01:00:00Z".parse().unwrap()
}

/// The real platform server on 127.0.0.1:0.
pub struct Platform {
    pub running: Running,
    pub codes: Arc<DevCodeProvider>,
    /// The SLA and event clock.
    pub clock: Arc<ManualClock>,
    /// The clock of login codes and sessions.
    pub auth_clock: Arc<ManualClock>,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Platform {
    /// Starts the platform with the embedded county catalog.
    pub async fn start() -> Platform {
        Platform::start_with(Directory::embedded().unwrap()).await
    }

    /// Starts the platform serving `directory`.
    pub async fn start_with(directory: Directory) -> Platform {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(start_time()));
        let auth_clock = Arc::new(ManualClock::new(start_time()));
        let codes = Arc::new(DevCodeProvider::new());
        let mut config = Config::new(dir.path().to_path_buf(), directory);
        config.clock = clock.clone();
        config.auth_clock = auth_clock.clone();
        config.codes = codes.clone();
        config.sla_poll = None;
        // Phones sign the same account in again within a minute: no login-code limits here.
        config.sign_in.limits = huoshui_server::code_limits::CodeLimits {
            per_phone_interval_seconds: 0,
            per_phone_per_day: 100_000,
            per_client_per_hour: 100_000,
        };
        let running = huoshui_server::start(config).await.unwrap();
        let base = format!("http://{}", running.addr);
        Platform {
            running,
            codes,
            clock,
            auth_clock,
            base,
            _dir: dir,
        }
    }

    /// The phone number of a demo account.
    pub fn phone_of(&self, id: &str) -> String {
        self.running
            .demo
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.phone.clone())
            .unwrap()
    }

    /// Logs `client` in as the demo account `id` (the code comes from the dev provider).
    pub async fn login(&self, client: &SyncClient, id: &str) {
        let phone = self.phone_of(id);
        client.request_code(&phone).await.unwrap();
        let code = self.codes.latest(&phone).unwrap();
        let session = client.login(&phone, &code).await.unwrap();
        assert_eq!(session.user.id, id);
    }

    /// Signs `phone` in as the demo account `id` (the code comes from the dev provider).
    pub async fn sign_in(&self, phone: &Phone, id: &str) -> SessionView {
        let number = self.phone_of(id);
        phone.core.request_code(&number).await.unwrap();
        let code = self.codes.latest(&number).unwrap();
        let session = phone.core.login(&number, &code).await.unwrap();
        assert_eq!(session.user_id, id);
        session
    }

    /// A session token of the demo account `id`, signed in over plain HTTP (for tests that
    /// look at the platform as a second, independent client).
    pub async fn token_of(&self, id: &str) -> String {
        huoshui_core::sync::install_tls_provider();
        let http = reqwest::Client::new();
        let phone = self.phone_of(id);
        http.post(format!("{}/v1/auth/code", self.base))
            .json(&huoshui_core::wire::CodeRequest {
                phone: phone.clone(),
            })
            .send()
            .await
            .unwrap();
        let code = self.codes.latest(&phone).unwrap();
        let session: huoshui_core::wire::SessionResponse = http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&huoshui_core::wire::LoginRequest { phone, code })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        session.token
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// A phone: the real app core (the facade the apps call) in its own temp data folder, talking
/// to `base`, its clock reading the platform's manual clock.
pub struct Phone {
    pub core: Arc<AppCore>,
    pub dir: tempfile::TempDir,
}

impl Phone {
    /// A phone on `base` whose clock is `clock`.
    pub fn new(base: &str, clock: &Arc<ManualClock>) -> Phone {
        let dir = tempfile::tempdir().unwrap();
        Phone::open_in(dir, base, clock)
    }

    /// Opens the core again on the same data folder (an app restart).
    pub fn restart(self, base: &str, clock: &Arc<ManualClock>) -> Phone {
        let Phone { core, dir } = self;
        core.disconnect_live();
        drop(core);
        Phone::open_in(dir, base, clock)
    }

    fn open_in(dir: tempfile::TempDir, base: &str, clock: &Arc<ManualClock>) -> Phone {
        let keystore = Arc::new(
            SoftwareKeystore::open_or_create(&dir.path().join("keys").join("software.key"))
                .unwrap(),
        );
        let clock = Arc::clone(clock);
        let core = AppCore::open_with_clock(
            dir.path(),
            Some(base),
            keystore,
            Arc::new(move || huoshui_server::clock::Clock::now(clock.as_ref())),
        )
        .unwrap();
        Phone { core, dir }
    }
}

/// A device store and vault in their own temp folder, used as the demo villager `v001`.
pub struct Device {
    pub store: Store,
    pub vault: Vault,
    pub actor: Actor,
    _dir: tempfile::TempDir,
}

impl Device {
    pub fn new() -> Device {
        Device::of(Actor::villager("v001"))
    }

    /// A device used by `actor`.
    pub fn of(actor: Actor) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let key = Arc::new(InstallKey::from_bytes(&[7; 32]).unwrap());
        let store = Store::open(dir.path(), Arc::clone(&key), start_time())
            .unwrap()
            .store;
        let vault = Vault::open(dir.path(), key).unwrap();
        Device {
            store,
            vault,
            actor,
            _dir: dir,
        }
    }

    /// What a sync job works on, at `now`.
    pub fn ctx(&self, now: jiff::Timestamp) -> Ctx<'_> {
        Ctx {
            store: &self.store,
            vault: &self.vault,
            actor: &self.actor,
            now,
        }
    }

    /// The cached catalog, parsed.
    pub fn catalog(&self) -> Catalog {
        Catalog::from_json(&self.store.cached_catalog().unwrap().unwrap().json).unwrap()
    }
}

impl Default for Device {
    fn default() -> Device {
        Device::new()
    }
}

#[derive(Default)]
struct RelayState {
    online: AtomicBool,
    lose_next_answer: AtomicBool,
    /// The answer to the request this many requests from now is lost (0: disarmed).
    lose_at_request: AtomicU64,
    requests: AtomicU64,
    /// `METHOD /path` of every request seen since the last reset.
    lines: std::sync::Mutex<Vec<String>>,
    /// The answer to the next request whose line ends with this is lost.
    lose_pattern: std::sync::Mutex<Option<String>>,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    connections: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
}

/// A TCP relay between the phone and the platform on loopback.
pub struct Relay {
    pub addr: SocketAddr,
    state: Arc<RelayState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Finds HTTP/1.1 request lines in a stream of bytes cut into chunks.
struct RequestCounter {
    tail: Vec<u8>,
}

const MARK: &[u8] = b" HTTP/1.1\r\n";
const METHODS: [&[u8]; 5] = [b"GET /", b"PUT /", b"POST /", b"DELETE /", b"HEAD /"];

impl RequestCounter {
    /// The request lines (`METHOD /path`) completed by `chunk`.
    fn feed(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut buf = std::mem::take(&mut self.tail);
        buf.extend_from_slice(chunk);
        let mut lines = Vec::new();
        let mut from = 0;
        while let Some(pos) = buf[from..].windows(MARK.len()).position(|w| w == MARK) {
            let end = from + pos;
            // The request line starts at its method (a body without a final newline may
            // come right before it on a kept-alive connection).
            let window = &buf[end.saturating_sub(2048).max(from)..end];
            let start = METHODS
                .iter()
                .filter_map(|m| window.windows(m.len()).rposition(|w| w == *m))
                .max()
                .unwrap_or(0);
            let line = String::from_utf8_lossy(&window[start..]).into_owned();
            // The headers that follow, as far as this buffer holds them (lower-cased).
            let after = &buf[end + MARK.len()..];
            let head_end = after
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or(after.len().min(4096));
            let headers = String::from_utf8_lossy(&after[..head_end]).to_ascii_lowercase();
            lines.push(format!("{line}\n{headers}"));
            from = end + MARK.len();
        }
        // Keep the unfinished line (bounded: a request line is short).
        let rest = &buf[from..];
        let keep_from = rest.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let rest = &rest[keep_from..];
        self.tail = rest[rest.len().saturating_sub(4096)..].to_vec();
        lines
    }
}

impl Relay {
    /// A relay to `upstream`, online.
    pub async fn to(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(RelayState::default());
        state.online.store(true, Ordering::SeqCst);
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((phone, _)) = listener.accept().await {
                if !st.online.load(Ordering::SeqCst) {
                    drop(phone); // no signal: the connection dies at once
                    continue;
                }
                let conn_state = st.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        relay(phone, server, conn_state).await;
                    }
                });
                st.connections.lock().unwrap().push(handle.abort_handle());
            }
        });
        Relay { addr, state, task }
    }

    /// The base URL through the relay.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether the phone reaches the platform; going offline also cuts open connections.
    pub fn set_online(&self, online: bool) {
        self.state.online.store(online, Ordering::SeqCst);
        if !online {
            for c in self.state.connections.lock().unwrap().drain(..) {
                c.abort();
            }
        }
    }

    /// The next answer the platform sends is dropped on the way back and its connection cut
    /// (the request did reach the platform).
    pub fn lose_next_answer(&self) {
        self.state.lose_next_answer.store(true, Ordering::SeqCst);
    }

    /// Requests seen since the last reset.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The request lines (`PUT /v1/uploads/…`) seen since the last reset.
    pub fn request_lines(&self) -> Vec<String> {
        self.state
            .lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| l.lines().next().unwrap_or_default().to_owned())
            .collect()
    }

    /// The request lines with their headers (lower-cased), one request per entry.
    pub fn request_heads(&self) -> Vec<String> {
        self.state.lines.lock().unwrap().clone()
    }

    /// The answer to the next request whose line (`PUT /v1/uploads/…/chunks/1`) ends with
    /// `pattern` is lost on its way back and its connection cut; the request reaches the platform.
    pub fn lose_answer_of(&self, pattern: &str) {
        *self.state.lose_pattern.lock().unwrap() = Some(pattern.to_owned());
    }

    /// The answer to the `n`-th request from now (1 = the next one) is lost on its way back
    /// and its connection cut; the request itself reaches the platform.
    pub fn lose_answer_of_request(&self, n: u64) {
        self.state.lose_at_request.store(n, Ordering::SeqCst);
    }

    /// Bytes phone → platform since the last reset.
    pub fn bytes_up(&self) -> u64 {
        self.state.bytes_up.load(Ordering::SeqCst)
    }

    /// Bytes platform → phone since the last reset.
    pub fn bytes_down(&self) -> u64 {
        self.state.bytes_down.load(Ordering::SeqCst)
    }

    /// Sets the counters to zero.
    pub fn reset(&self) {
        self.state.requests.store(0, Ordering::SeqCst);
        self.state.lines.lock().unwrap().clear();
        self.state.bytes_up.store(0, Ordering::SeqCst);
        self.state.bytes_down.store(0, Ordering::SeqCst);
    }
}

async fn relay(phone: TcpStream, server: TcpStream, st: Arc<RelayState>) {
    let (mut phone_rd, mut phone_wr) = phone.into_split();
    let (mut server_rd, mut server_wr) = server.into_split();
    let up = async {
        let mut counter = RequestCounter { tail: Vec::new() };
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match phone_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let lines = counter.feed(&buf[..n]);
            st.requests.fetch_add(lines.len() as u64, Ordering::SeqCst);
            for line in &lines {
                {
                    let mut pattern = st.lose_pattern.lock().unwrap();
                    let request_line = line.lines().next().unwrap_or_default();
                    if pattern
                        .as_deref()
                        .is_some_and(|p| request_line.ends_with(p))
                    {
                        *pattern = None;
                        st.lose_next_answer.store(true, Ordering::SeqCst);
                    }
                }
                let armed = st.lose_at_request.load(Ordering::SeqCst);
                if armed == 1 {
                    st.lose_next_answer.store(true, Ordering::SeqCst);
                }
                if armed > 0 {
                    st.lose_at_request.store(armed - 1, Ordering::SeqCst);
                }
            }
            st.lines.lock().unwrap().extend(lines);
            st.bytes_up.fetch_add(n as u64, Ordering::SeqCst);
            if server_wr.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_wr.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if st
                .lose_next_answer
                .compare_exchange(true, false, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                // The answer is lost: cut the phone's connection without a byte of it.
                break;
            }
            st.bytes_down.fetch_add(n as u64, Ordering::SeqCst);
            if phone_wr.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = phone_wr.shutdown().await;
    };
    tokio::pin!(up);
    tokio::pin!(down);
    tokio::select! {
        _ = &mut down => {}
        _ = &mut up => { down.await; }
    }
}
