//! The key hierarchy: platform keystore → install key → document keys.
//!
//! Owns the [`Keystore`] trait (the platform shells implement it over Android Keystore and the
//! iOS Keychain), the [`SoftwareKeystore`] for the CLI and tests, and the [`InstallKey`] with its
//! canary. It must never write a raw key to disk (except the software keystore's own key file,
//! which is exactly why that keystore is for the CLI and tests only) and never log key bytes.
//!
//! Files, in `<data dir>/keys/`:
//! - `install-key.wrapped`: the 32-byte install key as the keystore wrapped it (opaque bytes).
//! - `canary`: a fixed plaintext sealed with the install key (AES-256-GCM). It is written
//!   before the wrapped key, so a wrapped key never exists without its canary.
//!
//! When the keystore gives back a key that does not open the canary, or cannot give back the
//! key at all, the result is [`VaultError::KeyLost`]: the documents cannot be read any more and
//! the app must ask the villager to capture them again. When the canary opens but a document
//! does not, the document file is damaged: [`VaultError::Corrupt`].
//!
//! Key material is zeroized on drop where this crate holds it (`Zeroizing` buffers); `ring`'s
//! expanded AES key schedules live inside `ring` types, which do not zeroize themselves.

use super::error::VaultError;
use super::fsutil::{read_optional, write_atomically};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Length of every symmetric key used here (AES-256).
pub const KEY_LEN: usize = 32;

const CANARY_PLAINTEXT: &[u8] = b"huoshui install key canary v1";
const CANARY_AAD: &[u8] = b"huoshui/canary/v1";
const SOFTWARE_AAD: &[u8] = b"huoshui/software-keystore/v1";
const TAG_LEN: usize = 16;

/// What the platform keystore can report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    /// The keystore no longer holds its key (app reinstalled, device restored, lock screen
    /// removed …) or the wrapped bytes cannot be opened with it.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    KeyUnavailable { reason: String },
    /// Any other failure of the keystore (busy, not unlocked yet …); trying again may help.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Failed { reason: String },
}

impl KeystoreError {
    /// What the keystore reported and what to do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            KeystoreError::KeyUnavailable { reason } => {
                format!("密钥库中的密钥已不可用：{reason}")
            }
            KeystoreError::Failed { reason } => format!("密钥库出错，请稍后重试：{reason}"),
        }
    }

    /// What the keystore reported and what to do, in English.
    pub fn message_en(&self) -> String {
        match self {
            KeystoreError::KeyUnavailable { reason } => {
                format!("the keystore key is no longer available: {reason}")
            }
            KeystoreError::Failed { reason } => {
                format!("the keystore failed, try again later: {reason}")
            }
        }
    }
}

/// The platform keystore that protects the install key.
///
/// Android implements it over Android Keystore (an AES key that never leaves the secure
/// hardware), iOS over the Keychain. Byte vectors in and out so that it crosses the FFI as a
/// foreign trait unchanged. Implementations must be able to unwrap what they wrapped for the
/// lifetime of the installation.
pub trait Keystore: Send + Sync {
    /// Wraps (encrypts and authenticates) a key; the result is stored as opaque bytes.
    fn wrap_key(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, KeystoreError>;
    /// Gives back the key that [`Keystore::wrap_key`] wrapped.
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeystoreError>;
}

/// A keystore in software: its own AES-256 key lies **in the clear** in a file.
///
/// For the CLI and tests ONLY. Whoever copies the data folder copies this file too, so it gives
/// no protection at rest on a phone; the apps use the platform keystores instead.
pub struct SoftwareKeystore {
    key: LessSafeKey,
    path: PathBuf,
}

impl fmt::Debug for SoftwareKeystore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareKeystore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SoftwareKeystore {
    /// The file name the CLI uses inside `<data dir>/keys/`.
    pub const FILE_NAME: &'static str = "software-keystore.key";

    /// Opens the key file at `path`, creating it with a fresh random key if it does not exist.
    pub fn open_or_create(path: &Path) -> Result<SoftwareKeystore, VaultError> {
        let bytes = match read_optional(path)? {
            Some(bytes) => Zeroizing::new(bytes),
            None => {
                let key = random_key()?;
                write_atomically(path, key.as_ref())?;
                Zeroizing::new(key.to_vec())
            }
        };
        if bytes.len() != KEY_LEN {
            return Err(VaultError::Corrupt {
                reason: format!(
                    "software keystore file {} has the wrong length",
                    path.display()
                ),
            });
        }
        Ok(SoftwareKeystore {
            key: aead_key(&bytes)?,
            path: path.to_path_buf(),
        })
    }
}

impl Keystore for SoftwareKeystore {
    fn wrap_key(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, KeystoreError> {
        let plaintext = Zeroizing::new(plaintext);
        seal_with(&self.key, SOFTWARE_AAD, &plaintext).map_err(|_| KeystoreError::Failed {
            reason: "random source or cipher failed".into(),
        })
    }

    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeystoreError> {
        open_with(&self.key, SOFTWARE_AAD, &wrapped)
            .map(|z| z.to_vec())
            .map_err(|_| KeystoreError::KeyUnavailable {
                reason: "wrapped key does not open with this keystore".into(),
            })
    }
}

/// The install key: one random AES-256 key per installation that wraps every document key and
/// seals personal fields in the device store.
pub struct InstallKey {
    key: LessSafeKey,
}

impl fmt::Debug for InstallKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InstallKey(..)")
    }
}

impl InstallKey {
    /// Where the wrapped install key lies.
    pub fn wrapped_path(data_dir: &Path) -> PathBuf {
        data_dir.join("keys").join("install-key.wrapped")
    }

    /// Where the canary lies.
    pub fn canary_path(data_dir: &Path) -> PathBuf {
        data_dir.join("keys").join("canary")
    }

    /// Opens the install key of the data folder, or creates one if the folder holds no data yet.
    ///
    /// `KeyLost` when the folder holds documents or a store but the key is missing, the keystore
    /// cannot unwrap it, or the unwrapped key does not open the canary.
    pub fn open_or_create(
        data_dir: &Path,
        keystore: &dyn Keystore,
    ) -> Result<InstallKey, VaultError> {
        let wrapped_path = Self::wrapped_path(data_dir);
        let canary_path = Self::canary_path(data_dir);
        let Some(wrapped) = read_optional(&wrapped_path)? else {
            if folder_holds_data(data_dir) {
                return Err(VaultError::KeyLost);
            }
            return Self::create(&wrapped_path, &canary_path, keystore);
        };
        let raw = match keystore.unwrap_key(wrapped) {
            Ok(raw) => Zeroizing::new(raw),
            Err(KeystoreError::KeyUnavailable { .. }) => return Err(VaultError::KeyLost),
            Err(err) => return Err(VaultError::Keystore(err)),
        };
        if raw.len() != KEY_LEN {
            return Err(VaultError::KeyLost);
        }
        let install = InstallKey {
            key: aead_key(&raw)?,
        };
        match read_optional(&canary_path)? {
            Some(canary) => {
                let opened = open_with(&install.key, CANARY_AAD, &canary)
                    .map_err(|_| VaultError::KeyLost)?;
                if opened.as_slice() != CANARY_PLAINTEXT {
                    return Err(VaultError::KeyLost);
                }
            }
            None => {
                // Someone removed the canary; the key itself unwrapped, so write a new one.
                tracing::warn!("vault canary missing, writing a new one");
                let canary = install.seal(CANARY_AAD, CANARY_PLAINTEXT)?;
                write_atomically(&canary_path, &canary)?;
            }
        }
        Ok(install)
    }

    fn create(
        wrapped_path: &Path,
        canary_path: &Path,
        keystore: &dyn Keystore,
    ) -> Result<InstallKey, VaultError> {
        let pending = PendingInstallKey::generate()?;
        pending.write(wrapped_path, canary_path, keystore)?;
        InstallKey::from_bytes(&pending.raw)
    }

    /// A key for tests and fuzzing that is not tied to any folder.
    pub fn from_bytes(raw: &[u8; KEY_LEN]) -> Result<InstallKey, VaultError> {
        Ok(InstallKey {
            key: aead_key(raw)?,
        })
    }

    /// Seals `plaintext` (AES-256-GCM, random nonce): `nonce ‖ ciphertext ‖ tag`.
    /// `aad` binds the sealed bytes to where they belong (e.g. table and row id).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        seal_with(&self.key, aad, plaintext).map_err(|_| VaultError::Crypto)
    }

    /// Opens what [`InstallKey::seal`] sealed with the same `aad`; `Corrupt` if it does not open.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        open_with(&self.key, aad, sealed).map_err(|_| VaultError::Corrupt {
            reason: "sealed field does not open".into(),
        })
    }
}

/// A fresh install key that is not written yet: the reset after a lost key seals with it
/// first and writes it last ([`PendingInstallKey::replace`]), so a reset killed halfway finds
/// the key still lost and simply runs again.
pub struct PendingInstallKey {
    raw: Zeroizing<[u8; KEY_LEN]>,
    install: Arc<InstallKey>,
}

impl fmt::Debug for PendingInstallKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingInstallKey(..)")
    }
}

impl PendingInstallKey {
    /// A new random install key, held in memory only.
    pub fn generate() -> Result<PendingInstallKey, VaultError> {
        let raw = random_key()?;
        let install = Arc::new(InstallKey::from_bytes(&raw)?);
        Ok(PendingInstallKey { raw, install })
    }

    /// The key, to seal with before it is written.
    pub fn key(&self) -> Arc<InstallKey> {
        Arc::clone(&self.install)
    }

    /// Writes the key as the folder's install key (the canary first, then the wrapped key,
    /// replacing a lost one) and gives it back for use.
    pub fn replace(
        self,
        data_dir: &Path,
        keystore: &dyn Keystore,
    ) -> Result<Arc<InstallKey>, VaultError> {
        self.write(
            &InstallKey::wrapped_path(data_dir),
            &InstallKey::canary_path(data_dir),
            keystore,
        )?;
        Ok(self.install)
    }

    fn write(
        &self,
        wrapped_path: &Path,
        canary_path: &Path,
        keystore: &dyn Keystore,
    ) -> Result<(), VaultError> {
        let wrapped = keystore
            .wrap_key(self.raw.to_vec())
            .map_err(VaultError::Keystore)?;
        let canary = self.install.seal(CANARY_AAD, CANARY_PLAINTEXT)?;
        write_atomically(canary_path, &canary)?;
        write_atomically(wrapped_path, &wrapped)
    }
}

/// Whether the folder already holds documents or a device store.
fn folder_holds_data(data_dir: &Path) -> bool {
    if data_dir.join("store.db").exists() {
        return true;
    }
    match std::fs::read_dir(data_dir.join("documents")) {
        Ok(entries) => entries.flatten().any(|e| {
            e.path()
                .extension()
                .is_some_and(|ext| ext == super::DOCUMENT_EXTENSION)
        }),
        Err(_) => false,
    }
}

pub(crate) fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    SystemRandom::new()
        .fill(key.as_mut())
        .map_err(|_| VaultError::Crypto)?;
    Ok(key)
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| VaultError::Crypto)?;
    Ok(out)
}

pub(crate) fn aead_key(raw: &[u8]) -> Result<LessSafeKey, VaultError> {
    let unbound = UnboundKey::new(&AES_256_GCM, raw).map_err(|_| VaultError::Crypto)?;
    Ok(LessSafeKey::new(unbound))
}

/// `nonce ‖ ciphertext ‖ tag` with a random nonce.
pub(crate) fn seal_with(
    key: &LessSafeKey,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, ring::error::Unspecified> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce)?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut body,
    )?;
    out.extend_from_slice(&body);
    Ok(out)
}

pub(crate) fn open_with(
    key: &LessSafeKey,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, ring::error::Unspecified> {
    let (nonce, body) = sealed
        .split_at_checked(NONCE_LEN)
        .ok_or(ring::error::Unspecified)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce)?;
    let mut body = Zeroizing::new(body.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(aad), body.as_mut_slice())?
        .len();
    body.truncate(len);
    Ok(body)
}
