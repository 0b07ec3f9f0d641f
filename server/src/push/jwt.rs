//! The signed JSON Web Tokens two vendors want: ES256 (APNs, from the team's .p8 key) and RS256
//! (FCM, from the service account's key), signed with ring. Owns PEM reading and the compact
//! JWS encoding. Must never log or return key bytes.

use super::config::PushConfigError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};
use serde_json::Value;
use zeroize::Zeroizing;

/// The DER bytes inside a `-----BEGIN PRIVATE KEY-----` PEM block (PKCS#8).
pub fn pem_der(pem: &str, source: &str) -> Result<Zeroizing<Vec<u8>>, PushConfigError> {
    let bad = || PushConfigError::BadKey {
        path: source.to_owned(),
    };
    let begin = pem.find("-----BEGIN PRIVATE KEY-----").ok_or_else(bad)?;
    let rest = pem
        .get(begin + "-----BEGIN PRIVATE KEY-----".len()..)
        .ok_or_else(bad)?;
    let end = rest.find("-----END PRIVATE KEY-----").ok_or_else(bad)?;
    let body: Zeroizing<String> = Zeroizing::new(
        rest.get(..end)
            .ok_or_else(bad)?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    );
    STANDARD
        .decode(body.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| bad())
}

/// `base64url(json)` without padding.
fn part(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
}

/// An ES256 signer (ECDSA P-256, SHA-256, the fixed 64-byte signature JWS wants).
pub struct Es256 {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Es256 {
    pub fn from_pem(pem: &str, source: &str) -> Result<Es256, PushConfigError> {
        let der = pem_der(pem, source)?;
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
            .map_err(|_| PushConfigError::BadKey {
                path: source.to_owned(),
            })?;
        Ok(Es256 { key, rng })
    }

    /// `header.claims.signature`; `None` if the signer failed.
    pub fn sign(&self, header: &Value, claims: &Value) -> Option<String> {
        let input = format!("{}.{}", part(header), part(claims));
        let sig = self.key.sign(&self.rng, input.as_bytes()).ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
    }
}

/// An RS256 signer (RSASSA-PKCS1-v1_5 with SHA-256).
pub struct Rs256 {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl Rs256 {
    pub fn from_pem(pem: &str, source: &str) -> Result<Rs256, PushConfigError> {
        let der = pem_der(pem, source)?;
        let key = RsaKeyPair::from_pkcs8(&der).map_err(|_| PushConfigError::BadKey {
            path: source.to_owned(),
        })?;
        Ok(Rs256 {
            key,
            rng: SystemRandom::new(),
        })
    }

    /// `header.claims.signature`; `None` if the signer failed.
    pub fn sign(&self, header: &Value, claims: &Value) -> Option<String> {
        let input = format!("{}.{}", part(header), part(claims));
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                input.as_bytes(),
                &mut sig,
            )
            .ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig)))
    }
}

/// Seconds since the Unix epoch (`iat`).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
