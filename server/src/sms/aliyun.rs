//! Aliyun SMS (阿里云短信服务): the RPC operation `SendSms` (API version 2017-05-25) on
//! `dysmsapi.aliyuncs.com`, signed with signature version 1.0, HMAC-SHA1:
//! 1. every parameter but `Signature` (the common ones: `AccessKeyId`, `Action`, `Format`,
//!    `RegionId`, `SignatureMethod`, `SignatureNonce`, `SignatureVersion`, `Timestamp`,
//!    `Version`; then `PhoneNumbers`, `SignName`, `TemplateCode`, `TemplateParam`) is
//!    percent-encoded as RFC 3986 says (unreserved `A-Z a-z 0-9 - _ . ~` kept, everything else
//!    `%XX` in upper case, so a space is `%20`, `*` is `%2A`, `~` stays), sorted by name and
//!    joined as `k=v&k=v`;
//! 2. the string to sign is `POST&%2F&` + the percent-encoding of that query;
//! 3. `Signature` = Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)), sent as one more
//!    form parameter in the `application/x-www-form-urlencoded` body.
//!
//! The answer is JSON `{"Code":"OK",…}` on success; other codes are mapped to "retry" (the
//! platform's `isp.*` faults, throttling) or "give up" (number, template, signature,
//! credentials, balance, the per-number limits) in [`verdict`].
//! Must never log or return the phone number, the code or the secret.

use super::retry::{self, Outcome, RetryPolicy};
use super::{SmsError, SmsFuture, SmsMessage, SmsSender, Templates};
use crate::settings::secret::{Secret, SecretError};
use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The vendor's address.
pub const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";

/// `[sms.aliyun]` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliyunSettings {
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// A file holding the AccessKey ID.
    pub access_key_id_file: PathBuf,
    /// A file holding the AccessKey secret.
    pub access_key_secret_file: PathBuf,
    /// The approved signature (签名), e.g. 冠县金融服务中心.
    pub sign_name: String,
    pub templates: Templates,
}

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_owned()
}

fn default_region() -> String {
    "cn-hangzhou".to_owned()
}

/// RFC 3986's reserved characters: all but the unreserved `A-Z a-z 0-9 - _ . ~`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes as the signature wants (UTF-8, upper-case hex, `%20` for a space).
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// The canonical query: every parameter encoded, sorted by name, joined with `&`.
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature of `params` for `method` (HMAC-SHA1 v1, Base64).
pub fn signature(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let to_sign = format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    );
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        format!("{secret}&").as_bytes(),
    );
    let tag = ring::hmac::sign(&key, to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Aliyun's answer.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(rename = "Code")]
    code: Option<String>,
}

/// What an answer's `Code` means for this message.
pub fn verdict(code: &str) -> Outcome {
    match code {
        "OK" => Outcome::Sent,
        c if c.starts_with("isp.") || c.starts_with("Throttling") => Outcome::Retry {
            reason: c.to_owned(),
            after: None,
        },
        "ServiceUnavailable" | "InternalError" | "SDK.ServerUnreachable" => Outcome::Retry {
            reason: code.to_owned(),
            after: None,
        },
        // isv.MOBILE_NUMBER_ILLEGAL, isv.BUSINESS_LIMIT_CONTROL (the per-number limits),
        // isv.SMS_TEMPLATE_ILLEGAL, isv.SMS_SIGNATURE_ILLEGAL, isv.AMOUNT_NOT_ENOUGH,
        // SignatureDoesNotMatch, InvalidAccessKeyId.NotFound, …: trying again will not help.
        other => Outcome::GiveUp(other.to_owned()),
    }
}

/// The Aliyun sender.
#[derive(Debug, Clone)]
pub struct AliyunSms {
    client: reqwest::Client,
    endpoint: String,
    region: String,
    key_id: Secret,
    key_secret: Secret,
    sign_name: String,
    templates: Templates,
    retry: RetryPolicy,
}

impl AliyunSms {
    /// A sender with credentials in hand.
    pub fn new(
        settings: &AliyunSettings,
        key_id: Secret,
        key_secret: Secret,
        retry: RetryPolicy,
    ) -> Result<AliyunSms, SmsError> {
        Ok(AliyunSms {
            client: retry::client()?,
            endpoint: settings.endpoint.clone(),
            region: settings.region.clone(),
            key_id,
            key_secret,
            sign_name: settings.sign_name.clone(),
            templates: settings.templates.clone(),
            retry,
        })
    }

    /// A sender reading its credentials from the files the settings name.
    pub fn from_settings(
        settings: &AliyunSettings,
        retry: RetryPolicy,
    ) -> Result<AliyunSms, SmsSetupError> {
        let id = Secret::from_file(&settings.access_key_id_file)?;
        let secret = Secret::from_file(&settings.access_key_secret_file)?;
        Ok(AliyunSms::new(settings, id, secret, retry)?)
    }

    /// The signed form parameters for one try (a fresh nonce and timestamp each time).
    fn form(&self, phone: &str, message: &SmsMessage) -> Result<String, SmsError> {
        let (name, value) = message.parameter();
        let param = serde_json::json!({ name: value }).to_string();
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let mut p = BTreeMap::new();
        for (k, v) in [
            ("AccessKeyId", self.key_id.expose()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("RegionId", &self.region),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", &now),
            ("Version", "2017-05-25"),
            ("PhoneNumbers", phone),
            ("SignName", &self.sign_name),
            ("TemplateCode", self.templates.for_message(message)),
            ("TemplateParam", &param),
        ] {
            p.insert(k.to_owned(), v.to_owned());
        }
        p.insert(
            "SignatureNonce".to_owned(),
            uuid::Uuid::new_v4().to_string(),
        );
        let sig = signature("POST", &p, self.key_secret.expose());
        Ok(format!(
            "Signature={}&{}",
            percent_encode(&sig),
            canonical_query(&p)
        ))
    }

    async fn once(&self, phone: &str, message: &SmsMessage) -> Outcome {
        let body = match self.form(phone, message) {
            Ok(b) => b,
            Err(e) => return Outcome::GiveUp(e.to_string()),
        };
        let sent = self
            .client
            .post(&self.endpoint)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
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
        match response.json::<Answer>().await {
            Ok(Answer { code: Some(code) }) => verdict(&code),
            _ => Outcome::GiveUp(format!("HTTP {status} without a code")),
        }
    }
}

impl SmsSender for AliyunSms {
    fn send<'a>(&'a self, phone: &'a str, message: &'a SmsMessage) -> SmsFuture<'a> {
        Box::pin(async move {
            self.templates.check(message)?;
            retry::run(&self.retry, "aliyun", || self.once(phone, message)).await
        })
    }
}

/// A provider that cannot be set up from its settings.
#[derive(Debug, thiserror::Error)]
pub enum SmsSetupError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Client(#[from] SmsError),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn percent_encoding_follows_rfc_3986_as_the_signature_wants() {
        assert_eq!(percent_encode("a b*c~d"), "a%20b%2Ac~d");
        assert_eq!(
            percent_encode("2017-07-12T02:42:19Z"),
            "2017-07-12T02%3A42%3A19Z"
        );
        assert_eq!(percent_encode("冠"), "%E5%86%A0");
        assert_eq!(
            percent_encode("{\"code\":\"1\"}"),
            "%7B%22code%22%3A%221%22%7D"
        );
    }

    #[test]
    fn codes_that_can_pass_are_retried_and_the_rest_given_up() {
        assert_eq!(verdict("OK"), Outcome::Sent);
        assert!(matches!(verdict("isp.SYSTEM_ERROR"), Outcome::Retry { .. }));
        assert!(matches!(verdict("Throttling.User"), Outcome::Retry { .. }));
        assert!(matches!(
            verdict("isv.MOBILE_NUMBER_ILLEGAL"),
            Outcome::GiveUp(_)
        ));
        assert!(matches!(
            verdict("SignatureDoesNotMatch"),
            Outcome::GiveUp(_)
        ));
        assert!(matches!(
            verdict("isv.BUSINESS_LIMIT_CONTROL"),
            Outcome::GiveUp(_)
        ));
    }
}
