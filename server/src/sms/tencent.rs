//! Tencent Cloud SMS (腾讯云短信): `SendSms`, API version 2021-01-11, on
//! `sms.tencentcloudapi.com`, a JSON POST signed with TC3-HMAC-SHA256 (signature v3):
//! 1. canonical request = `POST\n/\n\n` + canonical headers (`content-type:application/json;
//!    charset=utf-8\nhost:<host>\nx-tc-action:sendsms\n`, names and the action in lower case)
//!    + `\n` + signed headers (`content-type;host;x-tc-action`) + `\n` + hex SHA-256 of the body;
//! 2. string to sign = `TC3-HMAC-SHA256\n<timestamp>\n<UTC date>/sms/tc3_request\n` + hex
//!    SHA-256 of the canonical request;
//! 3. key = HMAC-SHA256 chain: `"TC3" + SecretKey` → date → `sms` → `tc3_request`; the
//!    signature is the hex HMAC-SHA256 of the string to sign under that key;
//! 4. `Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/tc3_request,
//!    SignedHeaders=content-type;host;x-tc-action, Signature=<hex>`, with `X-TC-Action`,
//!    `X-TC-Version`, `X-TC-Timestamp` and `X-TC-Region` beside it.
//!
//! The body: `PhoneNumberSet` (E.164, `+86…`), `SmsSdkAppId`, `SignName`, `TemplateId`,
//! `TemplateParamSet` (the one parameter). The answer's `Response.Error.Code` or the first
//! `SendStatusSet` entry's `Code` (`Ok` on success) is mapped to retry or give up ([`verdict`]).
//! Must never log or return the phone number, the code or the secret.

use super::aliyun::SmsSetupError;
use super::retry::{self, Outcome, RetryPolicy};
use super::{SmsError, SmsFuture, SmsMessage, SmsSender, Templates};
use crate::keys::{hex, sha256_hex};
use crate::settings::secret::Secret;
use serde::Deserialize;
use std::path::PathBuf;

/// The vendor's address.
pub const DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com/";
/// The content type sent and signed.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// `[sms.tencent]` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TencentSettings {
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// A file holding the SecretId.
    pub secret_id_file: PathBuf,
    /// A file holding the SecretKey.
    pub secret_key_file: PathBuf,
    /// The SMS application's SdkAppId (e.g. 1400006666).
    pub sdk_app_id: String,
    /// The approved signature (签名内容).
    pub sign_name: String,
    pub templates: Templates,
}

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_owned()
}

fn default_region() -> String {
    "ap-guangzhou".to_owned()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, data.as_bytes()).as_ref().to_vec()
}

/// The `Authorization` header of a body sent to `host` at `timestamp` (Unix seconds).
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    host: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let date = jiff::Timestamp::from_second(timestamp)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let signed = "content-type;host;x-tc-action";
    let canonical = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:sendsms\n\n{signed}\n{}",
        sha256_hex(body)
    );
    let scope = format!("{date}/sms/tc3_request");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), &date);
    let k_service = hmac(&k_date, "sms");
    let k_signing = hmac(&k_service, "tc3_request");
    let signature = hex(&hmac(&k_signing, &to_sign));
    format!(
        "TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
}

/// What a code in Tencent's answer means for this message.
pub fn verdict(code: &str) -> Outcome {
    match code {
        "Ok" => Outcome::Sent,
        c if c.starts_with("InternalError") || c.starts_with("RequestLimitExceeded") => {
            Outcome::Retry {
                reason: c.to_owned(),
                after: None,
            }
        }
        // AuthFailure.*, FailedOperation.*, InvalidParameterValue.IncorrectPhoneNumber,
        // LimitExceeded.PhoneNumber* (the per-number limits), UnauthorizedOperation.*, …
        other => Outcome::GiveUp(other.to_owned()),
    }
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Body,
}

#[derive(Debug, Deserialize)]
struct Body {
    #[serde(rename = "Error")]
    error: Option<Coded>,
    #[serde(rename = "SendStatusSet", default)]
    statuses: Vec<Coded>,
}

#[derive(Debug, Deserialize)]
struct Coded {
    #[serde(rename = "Code")]
    code: String,
}

/// The Tencent Cloud sender.
#[derive(Debug, Clone)]
pub struct TencentSms {
    client: reqwest::Client,
    endpoint: String,
    host: String,
    region: String,
    secret_id: Secret,
    secret_key: Secret,
    sdk_app_id: String,
    sign_name: String,
    templates: Templates,
    retry: RetryPolicy,
}

impl TencentSms {
    /// A sender with credentials in hand.
    pub fn new(
        settings: &TencentSettings,
        secret_id: Secret,
        secret_key: Secret,
        retry: RetryPolicy,
    ) -> Result<TencentSms, SmsError> {
        let url = reqwest::Url::parse(&settings.endpoint)
            .map_err(|e| SmsError::Refused(format!("tencent endpoint: {e}")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => return Err(SmsError::Refused("tencent endpoint has no host".into())),
        };
        Ok(TencentSms {
            client: retry::client()?,
            endpoint: settings.endpoint.clone(),
            host,
            region: settings.region.clone(),
            secret_id,
            secret_key,
            sdk_app_id: settings.sdk_app_id.clone(),
            sign_name: settings.sign_name.clone(),
            templates: settings.templates.clone(),
            retry,
        })
    }

    /// A sender reading its credentials from the files the settings name.
    pub fn from_settings(
        settings: &TencentSettings,
        retry: RetryPolicy,
    ) -> Result<TencentSms, SmsSetupError> {
        let id = Secret::from_file(&settings.secret_id_file)?;
        let key = Secret::from_file(&settings.secret_key_file)?;
        Ok(TencentSms::new(settings, id, key, retry)?)
    }

    async fn once(&self, phone: &str, message: &SmsMessage) -> Outcome {
        let body = serde_json::json!({
            "PhoneNumberSet": [format!("+86{phone}")],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": self.templates.for_message(message),
            "TemplateParamSet": [message.parameter().1],
        })
        .to_string();
        let timestamp = jiff::Timestamp::now().as_second();
        let auth = authorization(
            self.secret_id.expose(),
            self.secret_key.expose(),
            &self.host,
            timestamp,
            body.as_bytes(),
        );
        let sent = self
            .client
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(reqwest::header::HOST, &self.host)
            .header(reqwest::header::AUTHORIZATION, auth)
            .header("X-TC-Action", "SendSms")
            .header("X-TC-Version", "2021-01-11")
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.region)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return retry::network(&e),
        };
        if let Some(outcome) = retry::transient_status(&response) {
            return outcome;
        }
        let status = response.status().as_u16();
        match response.json::<Envelope>().await {
            Ok(Envelope {
                response: Body { error: Some(e), .. },
            }) => verdict(&e.code),
            Ok(Envelope { response: b }) => match b.statuses.first() {
                Some(s) => verdict(&s.code),
                None => Outcome::GiveUp("no send status in the answer".to_owned()),
            },
            Err(_) => Outcome::GiveUp(format!("HTTP {status}: an answer that is not Tencent's")),
        }
    }
}

impl SmsSender for TencentSms {
    fn send<'a>(&'a self, phone: &'a str, message: &'a SmsMessage) -> SmsFuture<'a> {
        Box::pin(async move {
            self.templates.check(message)?;
            retry::run(&self.retry, "tencent", || self.once(phone, message)).await
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn busy_codes_are_retried_and_the_rest_given_up() {
        assert_eq!(verdict("Ok"), Outcome::Sent);
        assert!(matches!(
            verdict("InternalError.Timeout"),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            verdict("RequestLimitExceeded"),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            verdict("AuthFailure.SignatureFailure"),
            Outcome::GiveUp(_)
        ));
        assert!(matches!(
            verdict("LimitExceeded.PhoneNumberDailyLimit"),
            Outcome::GiveUp(_)
        ));
    }
}
