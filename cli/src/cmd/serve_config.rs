//! `huoshui serve`'s operations settings: the configuration file (`--config`, with the
//! `HUOSHUI_<SECTION>__<KEY>` environment over it, read by `huoshui_server::settings`), the
//! production mode, TLS and the insecure-HTTP switch, turned into the server's `Config`.
//! Production needs an SMS provider, texts the login codes through it and seeds no demo
//! account; without `--production` the demo runs as before (demo accounts, codes in the log)
//! and says so at start, loudly. Must never print or log a secret, a phone number or a code.

use crate::error::CliError;
use huoshui_server::Config;
use huoshui_server::code_limits::SmsCodeProvider;
use huoshui_server::serving::TlsFiles;
use huoshui_server::settings::Settings;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// What the banner printed at start needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Banner {
    pub production: bool,
    pub https: bool,
}

/// The start-up notice of the demo.
pub const DEMO_NOTICE: &str = "【演示模式 DEMO】演示账号，验证码打印在日志中，切勿用于真实用户；真实运行请用 --production 并配置短信服务 / DEMO MODE: demo accounts, login codes printed to the log; not for real people. For real use: --production with an SMS provider configured.";

/// The flags this module reads.
#[derive(Debug, Clone)]
pub struct OpsArgs {
    pub listen: Option<SocketAddr>,
    pub config: Option<PathBuf>,
    pub production: bool,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub insecure_http: bool,
}

fn config_error(e: impl std::fmt::Display) -> CliError {
    let text = e.to_string();
    CliError::input(text.clone(), text)
}

/// Reads the settings and applies them (flags win over the file and the environment).
pub fn apply(config: &mut Config, args: &OpsArgs) -> Result<Banner, CliError> {
    let settings = Settings::load(args.config.as_deref()).map_err(config_error)?;
    let server = &settings.server;
    config.listen = args
        .listen
        .or(server.listen)
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
    config.production = args.production || server.production;
    config.insecure_http = args.insecure_http || server.insecure_http;
    let cert = args.tls_cert.clone().or(server.tls_cert.clone());
    let key = args.tls_key.clone().or(server.tls_key.clone());
    config.tls = match (cert, key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => {
            return Err(CliError::input(
                "TLS 需要证书和私钥两个文件（--tls-cert 和 --tls-key）",
                "TLS needs both the certificate and the key (--tls-cert and --tls-key)",
            ));
        }
    };
    config.sign_in.limits = server.codes;
    if let Some(name) = &server.trusted_client_ip_header {
        let name = axum_header(name)?;
        config.sign_in.client_header = Some(name);
    }
    let sms = settings.sms_sender().map_err(config_error)?;
    if let Some(sms) = &sms {
        config.sms = sms.clone();
    }
    // The `[push.*]` sections: the vendors' senders (none configured: pushes are only counted).
    let push = huoshui_server::push::PushConfig::from_table(settings.push.clone())
        .map_err(config_error)?;
    config.push = huoshui_server::push::gateway_from_config(&push).map_err(config_error)?;
    if config.production {
        let Some(sms) = sms else {
            return Err(CliError::input(
                "生产模式需要短信服务：请在配置文件中写 [sms.aliyun] 或 [sms.tencent]（--config）",
                "production needs an SMS provider: configure [sms.aliyun] or [sms.tencent] in the file given with --config",
            ));
        };
        config.codes = Arc::new(SmsCodeProvider::new(sms));
        config.seed_demo = false;
    } else {
        tracing::warn!(
            "DEMO MODE: demo accounts seeded and login codes printed to this log; start with --production for real people"
        );
    }
    Ok(Banner {
        production: config.production,
        https: config.tls.is_some(),
    })
}

fn axum_header(name: &str) -> Result<huoshui_server::HeaderName, CliError> {
    huoshui_server::HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()).map_err(
        |_| {
            CliError::input(
                format!("trusted_client_ip_header 不是有效的请求头名：{name}"),
                format!("trusted_client_ip_header is not a valid header name: {name}"),
            )
        },
    )
}
