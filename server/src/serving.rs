//! How the platform is exposed: plain HTTP on loopback, HTTPS with rustls when given a
//! certificate and key (PEM files), or plain HTTP elsewhere only when said explicitly
//! (`insecure_http`, for a TLS-terminating reverse proxy in front). Also the production
//! guard: a production start refuses the demo accounts and the development code provider.
//! Owns the serving task and its graceful stop; every connection carries its peer address
//! (for the login-code limits), and HTTPS gets the same header-read timeout and connection cap
//! per address as plain HTTP (one accept loop, [`crate::limits::serve`]).
//! Must never serve plain HTTP on a non-loopback address by default, nor start production
//! with demo accounts or printed codes.

use crate::limits::Limits;
use crate::{Config, StartError};
use axum::Router;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use std::path::PathBuf;

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

/// Serves `app` on `listener` until `until` turns true, through the accept loop of
/// [`crate::limits::serve`] (header-read timeout, connections per address): HTTPS when `tls` is
/// given (HTTP/1.1 only, the handshake also under the header-read timeout), else plain HTTP.
pub async fn spawn(
    listener: tokio::net::TcpListener,
    app: Router,
    until: tokio::sync::watch::Receiver<bool>,
    tls: Option<TlsFiles>,
    limits: Limits,
) -> Result<Served, StartError> {
    let acceptor = match tls {
        None => None,
        Some(tls) => Some(acceptor(&tls).await?),
    };
    Ok(tokio::spawn(async move {
        crate::limits::serve::serve(listener, app, &limits, until, acceptor).await
    }))
}

/// The rustls acceptor for the certificate and key files.
async fn acceptor(tls: &TlsFiles) -> Result<RustlsAcceptor, StartError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let files = RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .map_err(|e| {
            StartError::Tls(format!(
                "{} / {}: {e}",
                tls.cert.display(),
                tls.key.display()
            ))
        })?;
    // The accept loop speaks HTTP/1.1 only: offer nothing else in the handshake.
    let mut config = (*files.get_inner()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RustlsAcceptor::new(RustlsConfig::from_config(
        std::sync::Arc::new(config),
    )))
}
