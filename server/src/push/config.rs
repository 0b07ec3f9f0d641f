//! The `[push]` configuration: one optional section per vendor, each with an `endpoint` that
//! defaults to the vendor's real address (tests point it at loopback), and secrets read from the
//! files the section names. Owns [`Secret`], the wrapper every secret lives in.
//! Must never print a secret: `Debug` shows file paths and `Secret(..)`, never the bytes.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// A secret string (a key, an app secret, an access token): redacted in `Debug`, zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why the push configuration cannot be used; says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PushConfigError {
    #[error("推送配置无效：{0} / the push configuration is invalid: {0}")]
    Invalid(String),
    #[error(
        "无法读取推送密钥文件 {path}：{source} / cannot read the push secret file {path}: {source}"
    )]
    SecretFile {
        path: String,
        source: std::io::Error,
    },
    #[error("推送密钥文件 {path} 不是可用的密钥 / the push secret file {path} holds no usable key")]
    BadKey { path: String },
}

/// Reads a secret file (trailing whitespace trimmed).
pub fn read_secret(path: &Path) -> Result<Secret, PushConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| PushConfigError::SecretFile {
        path: path.display().to_string(),
        source,
    })?;
    let text = Zeroizing::new(text);
    Ok(Secret::new(text.trim_end()))
}

/// Retries of one send: attempts in all, and the exponential backoff between them.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts in all (1 = no retry); at most 8.
    pub attempts: u32,
    /// The first wait; each next one doubles.
    pub base_ms: u64,
    /// No wait is longer (a vendor's Retry-After included).
    pub max_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            attempts: 4,
            base_ms: 500,
            max_ms: 30_000,
        }
    }
}

/// `[push]`: the vendors this platform sends through (an absent section is not used).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    pub apns: Option<ApnsConfig>,
    pub huawei: Option<HuaweiConfig>,
    pub honor: Option<HonorConfig>,
    pub xiaomi: Option<XiaomiConfig>,
    pub oppo: Option<OppoConfig>,
    pub vivo: Option<VivoConfig>,
    pub fcm: Option<FcmConfig>,
    pub retry: RetryConfig,
    /// Seconds one HTTP call may take.
    pub timeout_seconds: Option<u64>,
}

impl PushConfig {
    /// Reads the raw `[push]` table of the configuration file.
    pub fn from_table(table: toml::Table) -> Result<PushConfig, PushConfigError> {
        let config: PushConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| PushConfigError::Invalid(e.message().to_owned()))?;
        if config.retry.attempts == 0 || config.retry.attempts > 8 {
            return Err(PushConfigError::Invalid(
                "retry.attempts must be 1 to 8".to_owned(),
            ));
        }
        Ok(config)
    }

    /// True when no vendor is configured.
    pub fn is_empty(&self) -> bool {
        self.apns.is_none()
            && self.huawei.is_none()
            && self.honor.is_none()
            && self.xiaomi.is_none()
            && self.oppo.is_none()
            && self.vivo.is_none()
            && self.fcm.is_none()
    }
}

fn apns_endpoint() -> String {
    "https://api.push.apple.com".to_owned()
}
fn apns_refresh() -> u64 {
    40
}
fn huawei_endpoint() -> String {
    "https://push-api.cloud.huawei.com".to_owned()
}
fn huawei_token_endpoint() -> String {
    "https://oauth-login.cloud.huawei.com/oauth2/v3/token".to_owned()
}
fn work() -> String {
    "WORK".to_owned()
}
fn honor_endpoint() -> String {
    "https://push-api.cloud.honor.com".to_owned()
}
fn honor_token_endpoint() -> String {
    "https://iam.developer.honor.com/auth/token".to_owned()
}
fn normal() -> String {
    "NORMAL".to_owned()
}
fn xiaomi_endpoint() -> String {
    "https://api.xmpush.xiaomi.com".to_owned()
}
fn oppo_endpoint() -> String {
    "https://api.push.oppomobile.com".to_owned()
}
fn todo() -> String {
    "TODO".to_owned()
}
fn two() -> u8 {
    2
}
fn one() -> u8 {
    1
}
fn vivo_endpoint() -> String {
    "https://api-push.vivo.com.cn".to_owned()
}
fn fcm_endpoint() -> String {
    "https://fcm.googleapis.com".to_owned()
}

/// `[push.apns]`: token-based (.p8) authentication.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApnsConfig {
    #[serde(default = "apns_endpoint")]
    pub endpoint: String,
    /// The .p8 signing key downloaded from Apple (PKCS#8 PEM).
    pub key_file: PathBuf,
    /// The key's 10-character id (`kid`).
    pub key_id: String,
    /// The team id (`iss`).
    pub team_id: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// The manager app's bundle id, if it is a separate app (default: `topic`).
    pub manager_topic: Option<String>,
    /// Minutes a signed token is reused: Apple wants 20 to 60.
    #[serde(default = "apns_refresh")]
    pub token_refresh_minutes: u64,
}

/// `[push.huawei]`: Push Kit, OAuth2 client credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiConfig {
    #[serde(default = "huawei_endpoint")]
    pub endpoint: String,
    #[serde(default = "huawei_token_endpoint")]
    pub token_endpoint: String,
    pub app_id: String,
    /// The OAuth client id (default: `app_id`).
    pub client_id: Option<String>,
    pub client_secret_file: PathBuf,
    /// The self-classification category (`WORK`, `FINANCE`, …; granted by Huawei).
    #[serde(default = "work")]
    pub category: String,
}

/// `[push.honor]`: Honor Push, OAuth2 client credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HonorConfig {
    #[serde(default = "honor_endpoint")]
    pub endpoint: String,
    #[serde(default = "honor_token_endpoint")]
    pub token_endpoint: String,
    pub app_id: String,
    pub client_id: String,
    pub client_secret_file: PathBuf,
    /// `NORMAL` (service and communication) or `LOW` (marketing).
    #[serde(default = "normal")]
    pub importance: String,
}

/// `[push.xiaomi]`: MiPush, `Authorization: key=<AppSecret>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XiaomiConfig {
    #[serde(default = "xiaomi_endpoint")]
    pub endpoint: String,
    /// The app's package name (`restricted_package_name`).
    pub package: String,
    pub app_secret_file: PathBuf,
    /// The private-message (私信) channel id granted by Xiaomi.
    pub channel_id: String,
}

/// `[push.oppo]`: OPUSH, auth token from the app key and master secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OppoConfig {
    #[serde(default = "oppo_endpoint")]
    pub endpoint: String,
    pub app_key: String,
    pub master_secret_file: PathBuf,
    /// The private-message channel id created in the app.
    pub channel_id: String,
    /// The message category (`TODO`, `ACCOUNT`, …).
    #[serde(default = "todo")]
    pub category: String,
    /// How the notice shows: 1 bar, 2 bar + lock screen, 16 + banner, sound, vibration.
    #[serde(default = "two")]
    pub notify_level: u8,
}

/// `[push.vivo]`: vivo Push, auth token from app id, key and secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VivoConfig {
    #[serde(default = "vivo_endpoint")]
    pub endpoint: String,
    pub app_id: String,
    pub app_key: String,
    pub app_secret_file: PathBuf,
    /// 0 operational, 1 system message (as granted by vivo).
    #[serde(default = "one")]
    pub classification: u8,
    /// The category (`TODO`, `ACCOUNT`, …).
    #[serde(default = "todo")]
    pub category: String,
}

/// `[push.fcm]`: FCM HTTP v1 with a service account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcmConfig {
    #[serde(default = "fcm_endpoint")]
    pub endpoint: String,
    /// The service account's JSON key file from the Firebase console.
    pub service_account_file: PathBuf,
    /// The project (default: the service account's `project_id`).
    pub project_id: Option<String>,
    /// The OAuth token address (default: the service account's `token_uri`).
    pub token_endpoint: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_section_without_endpoint_points_at_the_vendor_and_debug_shows_no_secret() {
        let table: toml::Table = toml::from_str(
            r#"
            [xiaomi]
            package = "cn.huoshui.app"
            app_secret_file = "/etc/huoshui/xiaomi.secret"
            channel_id = "110"
            "#,
        )
        .unwrap();
        let c = PushConfig::from_table(table).unwrap();
        let x = c.xiaomi.unwrap();
        assert_eq!(x.endpoint, "https://api.xmpush.xiaomi.com");
        assert!(c.apns.is_none());
        assert_eq!(format!("{:?}", Secret::new("s3cret")), "Secret(..)");
        let bad: toml::Table = toml::from_str("[xiaomi]\npackage = 1\n").unwrap();
        assert!(PushConfig::from_table(bad).is_err());
    }
}
