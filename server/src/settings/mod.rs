//! The platform's configuration file (`huoshui serve --config FILE`, TOML) with the
//! environment layered over it: every key can also come from a variable named
//! `HUOSHUI_` + its path in upper case with `__` between the parts, e.g.
//! `HUOSHUI_SMS__ALIYUN__ACCESS_KEY_ID_FILE` for `[sms.aliyun] access_key_id_file` or
//! `HUOSHUI_SERVER__PRODUCTION=true`. The layers are merged before the typed reading, so a
//! variable can fill in a key the file lacks; variables without `__` (`HUOSHUI_LISTEN`,
//! `HUOSHUI_DATA_DIR`, …) are the command line's and are not read here. Unknown keys are
//! refused, so a misspelt key is said, not ignored.
//!
//! Owns the shape of the file: `[server]` (production, TLS, the trusted client-address
//! header, the login-code limits), `[sms]` with `[sms.aliyun]`, `[sms.tencent]` and
//! `[sms.retry]`, and `[push]`, kept as a raw table for the push senders to read. Secrets are
//! never in the file: it names the files that hold them ([`secret`]), read once at start.
//! Must never log a secret (their type prints `[redacted]`) or invent a provider.

pub mod secret;

use crate::code_limits::CodeLimits;
use crate::sms::SmsSender;
use crate::sms::aliyun::{AliyunSettings, AliyunSms};
use crate::sms::retry::RetryPolicy;
use crate::sms::tencent::{TencentSettings, TencentSms};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub sms: SmsSettings,
    /// `[push.*]` as written: the push senders read their own sections from it.
    #[serde(default)]
    pub push: toml::Table,
}

/// `[server]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Where to listen (the `--listen` flag wins).
    pub listen: Option<SocketAddr>,
    /// Refuse to start without an SMS provider; no demo accounts, no development codes.
    #[serde(default)]
    pub production: bool,
    /// The TLS certificate chain (PEM) and its private key (PEM).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on an address other than loopback (behind a TLS-terminating proxy).
    #[serde(default)]
    pub insecure_http: bool,
    /// A header set by a trusted reverse proxy with the client's address (e.g.
    /// `x-forwarded-for`, its first entry counts); without one, the connection's address.
    pub trusted_client_ip_header: Option<String>,
    /// The login-code limits.
    #[serde(default)]
    pub codes: CodeLimits,
}

/// `[sms]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// `aliyun` or `tencent`; needed only when both sections are present.
    pub provider: Option<String>,
    pub aliyun: Option<AliyunSettings>,
    pub tencent: Option<TencentSettings>,
    #[serde(default)]
    pub retry: RetryPolicy,
}

/// A configuration that cannot be used, said so the operator can fix it.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("找不到配置文件 {0} / the configuration file {0} does not exist")]
    Missing(PathBuf),
    #[error("配置有误：{0} / the configuration is wrong: {0}")]
    Invalid(String),
    #[error(
        "配置了两家短信服务商，请在 [sms] provider 中选一家（aliyun 或 tencent）/ both SMS providers are configured; choose one with [sms] provider = \"aliyun\" or \"tencent\""
    )]
    ChooseProvider,
    #[error(
        "[sms] provider = \"{0}\"，但没有这一节的配置 / [sms] provider = \"{0}\" but its section is missing"
    )]
    ProviderMissing(String),
    #[error("短信服务无法启用：{0} / the SMS provider cannot be set up: {0}")]
    Sms(String),
}

impl Settings {
    /// Reads `file` (if any) with the `HUOSHUI_…__…` environment layered over it.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        Settings::load_with(file, Env::prefixed("HUOSHUI_"))
    }

    /// As [`Settings::load`], with the environment given (tests).
    pub fn load_with(file: Option<&Path>, env: Env) -> Result<Settings, SettingsError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(SettingsError::Missing(path.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = env.filter(|k| k.as_str().contains("__")).split("__");
        figment
            .merge(env)
            .extract()
            .map_err(|e| SettingsError::Invalid(e.to_string()))
    }

    /// Whether an SMS provider is configured.
    pub fn has_sms(&self) -> bool {
        self.sms.aliyun.is_some() || self.sms.tencent.is_some()
    }

    /// The configured SMS provider, its secrets read from their files; `None` without one.
    pub fn sms_sender(&self) -> Result<Option<Arc<dyn SmsSender>>, SettingsError> {
        let sms = &self.sms;
        let choice = match (sms.provider.as_deref(), &sms.aliyun, &sms.tencent) {
            (Some("aliyun"), Some(_), _) | (None, Some(_), None) => "aliyun",
            (Some("tencent"), _, Some(_)) | (None, None, Some(_)) => "tencent",
            (None, None, None) => return Ok(None),
            (None, Some(_), Some(_)) => return Err(SettingsError::ChooseProvider),
            (Some(other), _, _) => return Err(SettingsError::ProviderMissing(other.to_owned())),
        };
        let sender: Arc<dyn SmsSender> = match (choice, &sms.aliyun, &sms.tencent) {
            ("aliyun", Some(a), _) => Arc::new(
                AliyunSms::from_settings(a, sms.retry)
                    .map_err(|e| SettingsError::Sms(e.to_string()))?,
            ),
            (_, _, Some(t)) => Arc::new(
                TencentSms::from_settings(t, sms.retry)
                    .map_err(|e| SettingsError::Sms(e.to_string()))?,
            ),
            _ => return Ok(None),
        };
        Ok(Some(sender))
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::result_large_err
    )]
    use super::*;

    const FILE: &str = r#"
[server]
production = true

[sms.aliyun]
access_key_id_file = "/run/secrets/aliyun-id"
access_key_secret_file = "/run/secrets/aliyun-secret"
sign_name = "冠县金融服务中心"
templates = { login_code = "SMS_1", task_waiting = "SMS_2", escalation = "SMS_3" }

[push.xiaomi]
app_secret_file = "/run/secrets/mi"
package = "cn.huoshui.manager"
"#;

    #[test]
    fn the_file_reads_with_vendor_defaults_and_keeps_push_raw() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("huoshui.toml", FILE)?;
            let s = Settings::load(Some(Path::new("huoshui.toml"))).unwrap();
            assert!(s.server.production);
            let a = s.sms.aliyun.clone().unwrap();
            assert_eq!(a.endpoint, crate::sms::aliyun::DEFAULT_ENDPOINT);
            assert_eq!(a.templates.task_waiting, "SMS_2");
            assert_eq!(
                s.push["xiaomi"]["package"].as_str(),
                Some("cn.huoshui.manager")
            );
            assert_eq!(s.server.codes, CodeLimits::default());
            Ok(())
        });
    }

    #[test]
    fn the_environment_is_layered_over_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("huoshui.toml", FILE)?;
            jail.set_env("HUOSHUI_SMS__ALIYUN__ACCESS_KEY_ID_FILE", "/elsewhere/id");
            jail.set_env("HUOSHUI_SMS__ALIYUN__ENDPOINT", "http://127.0.0.1:9/");
            jail.set_env("HUOSHUI_SERVER__CODES__PER_PHONE_PER_DAY", "3");
            jail.set_env("HUOSHUI_LISTEN", "not a key of the file");
            let s = Settings::load(Some(Path::new("huoshui.toml"))).unwrap();
            let a = s.sms.aliyun.unwrap();
            assert_eq!(a.access_key_id_file, PathBuf::from("/elsewhere/id"));
            assert_eq!(a.endpoint, "http://127.0.0.1:9/");
            assert_eq!(s.server.codes.per_phone_per_day, 3);
            Ok(())
        });
    }

    #[test]
    fn a_misspelt_key_and_a_missing_file_are_said() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[sms.aliyun]\nacess_key_id_file = \"x\"\n")?;
            let err = Settings::load(Some(Path::new("bad.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("acess_key_id_file"), "{err}");
            let err = Settings::load(Some(Path::new("nope.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("nope.toml"), "{err}");
            Ok(())
        });
    }
}
