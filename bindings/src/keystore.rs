//! The platform keystore as a foreign trait: Android implements it over Android Keystore, iOS
//! over the Keychain, the JVM tests with javax.crypto. Owns the conversion of the foreign
//! failures (declared or not) into the core's `KeystoreError`; never a panic.

use huoshui_core::vault::{Keystore, KeystoreError as CoreKeystoreError};
use std::sync::Arc;

/// What the platform keystore reports. In Kotlin: `KeystoreException.KeyUnavailable` / `.Failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum KeystoreError {
    /// The keystore no longer holds its key (app reinstalled, lock screen removed …).
    #[error("key unavailable: {reason}")]
    KeyUnavailable { reason: String },
    /// Any other failure (busy, not unlocked yet …); trying again may help.
    #[error("keystore failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeystoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> KeystoreError {
        KeystoreError::Failed {
            reason: format!("unexpected error from the platform keystore: {}", e.reason),
        }
    }
}

/// The platform keystore that wraps the install key. Implementations must unwrap what they
/// wrapped for the lifetime of the installation, and must not call back into the core.
#[uniffi::export(with_foreign)]
pub trait PlatformKeystore: Send + Sync {
    /// Wraps (encrypts and authenticates) a 32-byte key; the result is stored as opaque bytes.
    fn wrap_key(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, KeystoreError>;
    /// Gives back the key that `wrap_key` wrapped.
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeystoreError>;
}

/// The foreign keystore seen as the core's [`Keystore`].
pub(crate) struct ForeignKeystore(pub(crate) Arc<dyn PlatformKeystore>);

fn convert(e: KeystoreError) -> CoreKeystoreError {
    match e {
        KeystoreError::KeyUnavailable { reason } => CoreKeystoreError::KeyUnavailable { reason },
        KeystoreError::Failed { reason } => CoreKeystoreError::Failed { reason },
    }
}

impl Keystore for ForeignKeystore {
    fn wrap_key(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, CoreKeystoreError> {
        self.0.wrap_key(plaintext).map_err(convert)
    }

    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, CoreKeystoreError> {
        self.0.unwrap_key(wrapped).map_err(convert)
    }
}
