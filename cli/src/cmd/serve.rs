//! `huoshui serve`: runs the county platform (crate `huoshui-server`) in the foreground.
//! Owns the flags and environment of the server, the log set-up, printing the demo accounts
//! and the graceful stop on SIGINT/SIGTERM. Must never log a phone number, a code (except the
//! development code provider's one masked line) or a token.

use super::Context;
use crate::error::CliError;
use huoshui_server::{Config, clock, directory::Directory};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on (default 127.0.0.1:8080, or `[server] listen`).
    #[arg(long, env = "HUOSHUI_LISTEN")]
    listen: Option<SocketAddr>,
    /// The configuration file (TOML; every key can also come from `HUOSHUI_<SECTION>__<KEY>`).
    #[arg(long, env = "HUOSHUI_CONFIG")]
    config: Option<PathBuf>,
    /// For real people: needs an SMS provider; no demo accounts, no printed codes.
    #[arg(long)]
    production: bool,
    /// HTTPS: the certificate chain (PEM); with --tls-key.
    #[arg(long, env = "HUOSHUI_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// HTTPS: the private key (PEM); with --tls-cert.
    #[arg(long, env = "HUOSHUI_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Plain HTTP on an address other than loopback (only behind a TLS-terminating proxy).
    #[arg(long)]
    insecure_http: bool,
    /// Minutes after submission by which a manager must first call (default: the catalog's, 5).
    #[arg(long, env = "HUOSHUI_FIRST_CONTACT_MINUTES")]
    first_contact_minutes: Option<u32>,
    /// Minutes after submission without contact before the administrator is alerted
    /// (default: the catalog's, 10).
    #[arg(long, env = "HUOSHUI_ESCALATION_MINUTES")]
    escalation_minutes: Option<u32>,
    /// Log level (error, warn, info, debug, trace) or a tracing filter.
    #[arg(long, env = "HUOSHUI_LOG_LEVEL", default_value = "info")]
    log_level: String,
    /// The database: `sqlite://<path>` (default: `platform.sqlite3` in the data folder) or
    /// `postgres://user:password@host:port/db` for several nodes on one PostgreSQL.
    #[arg(long, env = "HUOSHUI_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// PostgreSQL over TLS only: the PEM file of the certificate authority that signed the
    /// database server's certificate (checked with its host name).
    #[arg(long, env = "HUOSHUI_DATABASE_CA")]
    database_ca: Option<std::path::PathBuf>,
    /// Demo only: run the SLA clock this many times faster than real time (60 = a minute a second).
    #[arg(long, env = "HUOSHUI_CLOCK_SPEED", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    clock_speed: u32,
    /// Demo and tests only, with --clock-speed above 1: the accelerated clock's anchor in milliseconds
    /// since 1970 (e.g. `date +%s%3N`); now = epoch + (wall clock − epoch) × speed, so several
    /// nodes, and a node restarted, read the same time. Without it each process starts its
    /// accelerated time at its own start.
    #[arg(long, env = "HUOSHUI_CLOCK_EPOCH")]
    clock_epoch: Option<i64>,
}

fn data_dir(ctx: &Context) -> Result<PathBuf, CliError> {
    match &ctx.data_dir {
        Some(d) => Ok(d.join("server")),
        None => dirs::data_dir()
            .map(|d| d.join("huoshui").join("server"))
            .ok_or_else(|| {
                CliError::input(
                    "找不到用户数据目录，请用 --data-dir 指定",
                    "no user data folder found; give one with --data-dir",
                )
            }),
    }
}

pub fn run(ctx: &Context, args: ServeArgs) -> Result<(), CliError> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level).map_err(|_| {
        CliError::input(
            format!("日志级别无效：{}", args.log_level),
            format!("invalid log level: {}", args.log_level),
        )
    })?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();

    let epoch = args.clock_epoch.map(clock_epoch).transpose()?;
    let dir = data_dir(ctx)?;
    let directory = Directory::embedded()
        .map_err(|e| CliError::failed("catalog", e.to_string(), e.to_string()))?;
    let mut config = Config::new(dir.clone(), directory);
    let mut database = super::database::target(args.database_url.as_deref(), &dir)?;
    if let Some(ca) = &args.database_ca {
        database = database
            .with_ca_file(ca)
            .map_err(|e| crate::error::CliError::input(e.to_string(), e.to_string()))?;
    }
    let shown = super::database::describe(args.database_url.as_deref(), &database);
    config.database = Some(database);
    let banner = super::serve_config::apply(&mut config, &args.ops())?;
    if let Some(m) = args.first_contact_minutes {
        config.policy.first_contact_minutes = m;
    }
    if let Some(m) = args.escalation_minutes {
        config.policy.escalation_minutes = m;
    }
    if config.policy.escalation_minutes < config.policy.first_contact_minutes {
        return Err(CliError::input(
            "升级时间不能早于首次联系时间",
            "--escalation-minutes must not be less than --first-contact-minutes",
        ));
    }
    if args.clock_speed > 1 {
        config.clock = Arc::new(match epoch {
            Some(epoch) => clock::AcceleratedClock::anchored(args.clock_speed, epoch),
            None => clock::AcceleratedClock::new(args.clock_speed),
        });
        let poll_ms = (1000 / u64::from(args.clock_speed)).max(5);
        config.sla_poll = Some(Duration::from_millis(poll_ms));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::failed(
                "runtime",
                format!("无法启动运行时：{e}"),
                format!("cannot start the runtime: {e}"),
            )
        })?;
    runtime.block_on(async move {
        let running = huoshui_server::start(config)
            .await
            .map_err(|e| CliError::failed("start", e.to_string(), e.to_string()))?;
        print_banner(ctx, &running, &dir, &banner, &shown);
        wait_for_signal().await;
        tracing::info!("stopping: finishing requests in flight");
        running.stop().await;
        Ok(())
    })
}

/// The `--clock-epoch` as a timestamp: a real moment not ahead of the wall clock.
fn clock_epoch(ms: i64) -> Result<jiff::Timestamp, CliError> {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(epoch) if epoch <= jiff::Timestamp::now() => Ok(epoch),
        _ => Err(CliError::input(
            format!("--clock-epoch 无效：{ms}（应为不晚于现在的 Unix 毫秒数，如 `date +%s%3N`）"),
            format!(
                "invalid --clock-epoch {ms}: give milliseconds since 1970 not after now (e.g. `date +%s%3N`)"
            ),
        )),
    }
}

fn print_banner(
    ctx: &Context,
    running: &huoshui_server::Running,
    dir: &std::path::Path,
    banner: &super::serve_config::Banner,
    (engine, place): &(&str, String),
) {
    let scheme = if banner.https { "https" } else { "http" };
    let url = format!("{scheme}://{}", running.addr);
    let mode = if banner.production {
        "production"
    } else {
        "demo"
    };
    if ctx.json {
        let value = serde_json::json!({"listening": url, "data_dir": dir, "mode": mode, "demo_accounts": running.demo,
            "database": {"engine": engine, "at": place}});
        println!("{value}");
    } else {
        println!("活水县域平台已启动 / Huoshui county platform is running");
        println!("listening: {url}");
        println!("数据目录 / data folder: {}", dir.display());
        println!("数据库 / database: {engine} {place}");
        println!("接口文档 / API document: {url}/v1/openapi.json");
        println!();
        if banner.production {
            println!(
                "生产模式：短信验证码，无演示账号 / production: codes by SMS, no demo accounts"
            );
            let _ = std::io::stdout().flush();
            return;
        }
        println!("{}", super::serve_config::DEMO_NOTICE);
        println!("演示账号（仅供演示）/ demo accounts (demo data only):");
        let mut table = crate::output::table();
        table.set_header(vec![
            "角色 role",
            "账号 id",
            "姓名 name",
            "手机号 phone",
            "乡镇/银行 town/bank",
        ]);
        for a in &running.demo {
            let role = format!("{} {}", a.role.name_zh(), a.role.name_en());
            let place = match (&a.town, &a.bank_id) {
                (Some(t), _) => t.clone(),
                (None, Some(b)) => format!("{b} ({} towns)", a.towns.len()),
                _ => "冠县 county".to_owned(),
            };
            table.add_row(vec![
                role,
                a.id.clone(),
                a.name.clone(),
                a.phone.clone(),
                place,
            ]);
        }
        println!("{table}");
        println!();
        println!("登录 / log in:");
        println!(
            "  curl -X POST {url}/v1/auth/code -H 'content-type: application/json' -d '{{\"phone\":\"13800000001\"}}'"
        );
        println!(
            "  # 开发模式下验证码打印在日志中 / in development the code is printed to the log (stderr)"
        );
        println!(
            "  curl -X POST {url}/v1/auth/login -H 'content-type: application/json' -d '{{\"phone\":\"13800000001\",\"code\":\"123456\"}}'"
        );
    }
    let _ = std::io::stdout().flush();
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

impl ServeArgs {
    fn ops(&self) -> super::serve_config::OpsArgs {
        super::serve_config::OpsArgs {
            listen: self.listen,
            config: self.config.clone(),
            production: self.production,
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            insecure_http: self.insecure_http,
        }
    }
}
