//! The Huoshui county platform server (DESIGN §6, issue 5): an HTTP/JSON API under `/v1` on
//! axum, an embedded SQLite database in the data folder, the contact SLA clock, a live event
//! stream per user and a push gateway.
//!
//! Owns the platform side of the product: accounts and login, applications and their routing
//! to account managers, documents at rest, supervision. Shares the domain with the phones:
//! every change to an application is decided by `huoshui_core::domain::lifecycle`, and the
//! catalog is `huoshui_core::domain::catalog`, so a transition legal on the phone is legal here.
//!
//! Design in brief (each module's first comment has the details):
//! - [`db`]: SQLite in WAL mode with `synchronous=FULL`; one writer thread with group commit
//!   (many requests, one transaction, one fsync), answering only after the commit; a reader
//!   pool; schema version in `user_version`, one migration per version.
//! - [`auth`]: phone + one-time code (a `CodeProvider` trait; the development provider logs the
//!   code with a masked phone), opaque tokens stored as SHA-256, expiry, logout.
//! - [`apps`]: submissions (idempotent by `Idempotency-Key`, the stored answer commits with the
//!   application), routing to the least-loaded manager of the product's bank serving the
//!   villager's town, lifecycle commands, visibility per role, and the SLA sweep.
//! - [`documents`]: resumable chunked uploads, SHA-256 checked, AES-256-GCM at rest.
//! - [`admin`]: escalations, figures, the manager's inbox. [`hub`]: SSE fan-out.
//!   [`push`]: the `PushGateway` trait, the devices and the vendors' senders (APNs, Huawei,
//!   Honor, Xiaomi, OPPO, vivo, FCM) behind one dispatching gateway.
//! - [`clock`]: the injectable clock (system, manual, accelerated).
//!
//! Must never: answer 5xx for client input, log personal data (phones, ID numbers, codes —
//! except the dev provider's one line — tokens, document bytes), store a phone, token or
//! document unencrypted, or acknowledge a write before it is durable.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod apps;
pub mod auth;
pub mod backup;
pub mod claims;
pub mod clock;
pub mod code_limits;
pub mod contacts;
pub mod copy;
pub mod db;
pub mod directory;
pub mod documents;
pub mod enroll;
pub mod error;
pub mod feed;
pub mod hub;
pub mod keys;
pub mod ladder;
pub mod limits;
pub mod live_nodes;
pub mod openapi;
pub mod ops_schema;
pub mod push;
pub mod repayments;
pub mod repo;
pub mod serving;
pub mod settings;
pub mod sms;
pub mod sql;
pub mod state;
pub mod supervision;

/// The header type of [`code_limits::SignIn::client_header`], for callers without axum.
pub use axum::http::HeaderName;

use crate::accounts::DemoAccount;
use crate::auth::CodeProvider;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::push::PushGateway;
use crate::state::{AppState, Inner};
use huoshui_core::domain::lifecycle::SlaPolicy;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything the server is started with.
pub struct Config {
    /// The data folder (database, server key). Created if missing.
    pub data_dir: PathBuf,
    /// Where to listen; port 0 picks a free port (see [`Running::addr`]).
    pub listen: SocketAddr,
    /// The contact SLA.
    pub policy: SlaPolicy,
    /// The SLA and event clock.
    pub clock: Arc<dyn Clock>,
    /// The clock of login codes and sessions (real time by default).
    pub auth_clock: Arc<dyn Clock>,
    pub codes: Arc<dyn CodeProvider>,
    /// The login-code limits and the trusted client-address header.
    pub sign_in: code_limits::SignIn,
    pub push: Arc<dyn PushGateway>,
    /// Text messages (the development sender sends nothing).
    pub sms: Arc<dyn sms::SmsSender>,
    /// The county catalog.
    pub directory: Directory,
    /// How often the SLA sweep runs (real time). `None`: no background sweep (tests call
    /// [`Running::sweep_sla`] themselves).
    pub sla_poll: Option<Duration>,
    /// How long a session lasts.
    pub token_ttl: jiff::SignedDuration,
    /// Seed the demo accounts.
    pub seed_demo: bool,
    /// The supervision page's cookie and proxy settings (`/admin/`).
    pub supervision: supervision::Settings,
    /// Timeouts, caps, fair shares and load shedding (issue 16; `HUOSHUI_…` variables).
    pub limits: limits::Limits,
    /// Production: refuse demo accounts and the development code provider ([`serving::check`]).
    pub production: bool,
    /// Serve HTTPS with this certificate and key.
    pub tls: Option<serving::TlsFiles>,
    /// Allow plain HTTP on an address other than loopback (behind a TLS-terminating proxy).
    pub insecure_http: bool,
    /// Where the data lives: `None` is the embedded SQLite file `platform.sqlite3` in the data
    /// folder; PostgreSQL for several nodes (issue 13, `serve --database-url`). The server key
    /// stays in the data folder either way.
    pub database: Option<db::Target>,
}

impl Config {
    /// The defaults for a data folder: any free port on loopback, county SLA from the catalog,
    /// system clock, development code provider, no push credentials, sweep every second.
    pub fn new(data_dir: PathBuf, directory: Directory) -> Config {
        let (first, esc) = directory.sla_minutes;
        Config {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            policy: SlaPolicy::new(first, esc),
            clock: Arc::new(clock::SystemClock),
            auth_clock: Arc::new(clock::SystemClock),
            codes: Arc::new(auth::DevCodeProvider::new()),
            sign_in: code_limits::SignIn::default(),
            push: Arc::new(push::LogPushGateway::default()),
            sms: Arc::new(sms::LogSms::default()),
            directory,
            sla_poll: Some(Duration::from_secs(1)),
            token_ttl: jiff::SignedDuration::from_hours(24 * 30),
            seed_demo: true,
            supervision: supervision::Settings::from_env(),
            limits: limits::Limits::from_env(),
            production: false,
            tls: None,
            insecure_http: false,
            database: None,
        }
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("无法创建数据目录 {path}：{source} / cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error(
        "无法监听 {addr}：{source}。端口可能已被占用，请换一个 --listen / cannot listen on {addr}: {source}; the port may be taken, try another --listen"
    )]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("初始化失败：{0} / start-up failed: {0}")]
    Seed(String),
    #[error("生产模式无法启动：{0} / production cannot start: {0}")]
    Production(String),
    #[error(
        "{addr} 不是本机地址：请用 --tls-cert 和 --tls-key 启用 HTTPS，或在 TLS 反向代理之后明确加上 --insecure-http / {addr} is not a loopback address: give --tls-cert and --tls-key for HTTPS, or say --insecure-http explicitly behind a TLS-terminating reverse proxy"
    )]
    Insecure { addr: SocketAddr },
    #[error("无法启用 TLS：{0} / cannot set up TLS: {0}")]
    Tls(String),
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    pub demo: Vec<DemoAccount>,
    stop: tokio::sync::watch::Sender<bool>,
    serve: tokio::task::JoinHandle<std::io::Result<()>>,
    sweeper: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Records every escalation due now; answers how many fired.
    pub async fn sweep_sla(&self) -> Result<usize, error::ApiError> {
        apps::sweep_sla(&self.state).await
    }

    /// Runs the escalation ladder's steps due now (unopened-task texts, administrators'
    /// alerts); see [`ladder`].
    pub async fn sweep_ladder(&self) -> Result<ladder::Swept, error::ApiError> {
        ladder::sweep(&self.state).await
    }

    /// Stops accepting, lets requests in flight finish, ends live streams, and returns when done.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Some(s) = self.sweeper {
            s.abort();
        }
        match self.serve.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "server ended with an error"),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        tracing::info!("server stopped");
    }
}

/// Opens the data folder, migrates the database, seeds the demo accounts, binds and serves.
pub async fn start(config: Config) -> Result<Running, StartError> {
    serving::check(&config)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let keys = Arc::new(keys::ServerKeys::load_or_create(&config.data_dir)?);
    let db = match &config.database {
        Some(target) => db::Db::open_target(target)?,
        None => db::Db::open(&config.data_dir.join("platform.sqlite3"))?,
    };
    let demo = if config.seed_demo {
        accounts::demo_accounts(&config.directory)
    } else {
        Vec::new()
    };
    accounts::seed(&db, keys.clone(), demo.clone())
        .await
        .map_err(|e| StartError::Seed(e.message_en))?;
    config.push.attach(&db, &keys);
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    // On PostgreSQL the node's streams are woken by its feed listener (all nodes' changes).
    let hub = live_nodes::hub_for(&db, shutdown.clone()).map_err(db::DbError::Postgres)?;
    let state = AppState {
        inner: Arc::new(Inner {
            db,
            keys,
            dir: config.directory,
            clock: config.clock,
            auth_clock: config.auth_clock,
            codes: config.codes,
            sign_in: config.sign_in,
            push: config.push,
            sms: config.sms,
            hub,
            policy: config.policy,
            token_ttl: config.token_ttl,
            shutdown: shutdown.clone(),
            limits: limits::Guards::new(config.limits.clone()),
        }),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let app =
        api::router(state.clone()).merge(supervision::router(state.clone(), config.supervision));
    let app = limits::protect(app, &state);
    // Plain HTTP and HTTPS both go through the accept loop of `limits` (header-read timeout,
    // connections per address; the TLS handshake under the same timeout).
    let serve = serving::spawn(
        listener,
        app,
        shutdown.clone(),
        config.tls,
        config.limits.clone(),
    )
    .await?;
    let sweeper = config.sla_poll.map(|every| {
        let state = state.clone();
        let mut stopped = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut loans = repayments::DailySweep::default();
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = apps::sweep_sla(&state).await {
                            tracing::error!(code = e.code, "SLA sweep failed");
                        }
                        if let Err(e) = ladder::sweep(&state).await {
                            tracing::error!(code = e.code, "escalation ladder sweep failed");
                        }
                        loans.tick(&state).await;
                    }
                    _ = stopped.changed() => break,
                }
            }
        })
    });
    tracing::info!(%addr, products = state.dir.product_count(), "huoshui platform listening");
    Ok(Running {
        addr,
        state,
        demo,
        stop,
        serve,
        sweeper,
    })
}
