//! How the platform is exposed: plain HTTP on loopback, HTTPS with rustls when given a
//! certificate and key (PEM files), or plain HTTP elsewhere only when said explicitly
//! (`insecure_http`, for a TLS-terminating reverse proxy in front). Also the production
//! guard: a production start refuses the demo accounts and the development code provider.
//! Owns the serving task and its graceful stop; every connection carries its peer address
//! (for the login-code limits).
//! Must never serve plain HTTP on a non-loopback address by default, nor start production
//! with demo accounts or printed codes.

use crate::{Config, StartError};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A TLS certificate chain and its private key, both PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Refuses a configuration that must not start (checked before anything is opened).
pub fn check(config: &Config) -> Result<(), StartError> {
    if config.production && config.seed_demo {
        return Err(StartError::Production(
            "生产模式不能创建演示账号 / production never seeds demo accounts".into(),
        ));
    }
    if config.production && config.codes.is_development() {
        return Err(StartError::Production(
            "生产模式不能使用开发用验证码（打印到日志），请配置短信服务 [sms.aliyun] 或 [sms.tencent] / production never uses the development code provider (codes printed to the log); configure an SMS provider, [sms.aliyun] or [sms.tencent]".into(),
        ));
    }
    if !config.listen.ip().is_loopback() && config.tls.is_none() && !config.insecure_http {
        return Err(StartError::Insecure {
            addr: config.listen,
        });
    }
    Ok(())
}

type Served = tokio::task::JoinHandle<std::io::Result<()>>;

/// Serves `app` on `listener` until `until` turns true: HTTPS when `tls` is given.
pub async fn spawn(
    listener: tokio::net::TcpListener,
    app: Router,
    mut until: tokio::sync::watch::Receiver<bool>,
    tls: Option<TlsFiles>,
) -> Result<Served, StartError> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let Some(tls) = tls else {
        return Ok(tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = until.wait_for(|stopped| *stopped).await;
                })
                .await
        }));
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .map_err(|e| {
            StartError::Tls(format!(
                "{} / {}: {e}",
                tls.cert.display(),
                tls.key.display()
            ))
        })?;
    let listener = listener
        .into_std()
        .map_err(|e| StartError::Tls(e.to_string()))?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        let _ = until.wait_for(|stopped| *stopped).await;
        stopper.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    let server = axum_server::from_tcp_rustls(listener, rustls)
        .map_err(|e| StartError::Tls(e.to_string()))?;
    Ok(tokio::spawn(async move {
        server.handle(handle).serve(app).await
    }))
}
