//! The server's secret key, kept in the data folder (`server.key`, 64 random bytes, owner-only
//! permissions). Owns the two keys derived from it: AES-256-GCM for documents at rest and an
//! HMAC-SHA256 key that turns phone numbers into lookup MACs, the sealing of each user's full
//! phone number (AES-256-GCM bound to the user id), plus the hashing of tokens.
//! Must never log or return key bytes, and never store a phone number or token in plain text.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::digest;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// What can go wrong with the key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "无法读写密钥文件 {path}：{source}。请检查数据目录权限 / cannot read or write the key file {path}: {source}; check the data folder's permissions"
    )]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "密钥文件 {path} 已损坏（长度应为 64 字节）。如无备份，已加密的材料将无法读取 / the key file {path} is damaged (it must be 64 bytes); without a backup, stored documents cannot be read"
    )]
    Damaged { path: String },
    #[error("系统随机数不可用 / the system random source failed")]
    Random,
}

/// The keys derived from `server.key`.
pub struct ServerKeys {
    aead: LessSafeKey,
    mac: hmac::Key,
    rng: SystemRandom,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKeys(..)")
    }
}

impl ServerKeys {
    /// Loads `dir/server.key`, creating it on first start.
    pub fn load_or_create(dir: &Path) -> Result<ServerKeys, KeyError> {
        let path = dir.join("server.key");
        let shown = path.display().to_string();
        let io = |source| KeyError::Io {
            path: shown.clone(),
            source,
        };
        let rng = SystemRandom::new();
        let bytes: Zeroizing<Vec<u8>> = if path.exists() {
            Zeroizing::new(std::fs::read(&path).map_err(io)?)
        } else {
            let mut fresh = Zeroizing::new(vec![0u8; 64]);
            rng.fill(&mut fresh).map_err(|_| KeyError::Random)?;
            let tmp = dir.join("server.key.tmp");
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut file = opts.open(&tmp).map_err(io)?;
            file.write_all(&fresh).map_err(io)?;
            file.sync_all().map_err(io)?;
            std::fs::rename(&tmp, &path).map_err(io)?;
            fresh
        };
        let (enc, mac) = match (bytes.get(..32), bytes.get(32..64)) {
            (Some(e), Some(m)) if bytes.len() == 64 => (e, m),
            _ => return Err(KeyError::Damaged { path: shown }),
        };
        let unbound = UnboundKey::new(&AES_256_GCM, enc).map_err(|_| KeyError::Damaged {
            path: shown.clone(),
        })?;
        Ok(ServerKeys {
            aead: LessSafeKey::new(unbound),
            mac: hmac::Key::new(hmac::HMAC_SHA256, mac),
            rng,
        })
    }

    /// The lookup MAC of a phone number (hex).
    pub fn phone_mac(&self, phone: &str) -> String {
        hex(hmac::sign(&self.mac, phone.as_bytes()).as_ref())
    }

    /// Fresh random bytes.
    pub fn random(&self, out: &mut [u8]) -> Result<(), crate::error::ApiError> {
        self.rng
            .fill(out)
            .map_err(|_| crate::error::ApiError::internal("random source failed"))
    }

    /// Encrypts one document chunk; the nonce is fresh and random, and the associated data binds
    /// the ciphertext to its upload and position so chunks cannot be swapped.
    pub fn seal(
        &self,
        aad: &[u8],
        plain: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), crate::error::ApiError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random(&mut nonce)?;
        let mut buf = plain.to_vec();
        self.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| crate::error::ApiError::internal("seal failed"))?;
        Ok((nonce.to_vec(), buf))
    }

    /// Seals a user's full phone number, bound to their id (so a sealed number cannot be moved
    /// to another user's row): `nonce || ciphertext`.
    pub fn seal_phone(
        &self,
        user_id: &str,
        phone: &str,
    ) -> Result<Vec<u8>, crate::error::ApiError> {
        let (mut nonce, sealed) = self.seal(&phone_aad(user_id), phone.as_bytes())?;
        nonce.extend_from_slice(&sealed);
        Ok(nonce)
    }

    /// Opens what [`ServerKeys::seal_phone`] sealed for `user_id`.
    pub fn open_phone(
        &self,
        user_id: &str,
        stored: &[u8],
    ) -> Result<String, crate::error::ApiError> {
        let (nonce, sealed) = stored.split_at(NONCE_LEN.min(stored.len()));
        let plain = self.open(&phone_aad(user_id), nonce, sealed)?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| crate::error::ApiError::internal("stored phone is not text"))
    }

    /// Decrypts one chunk sealed by [`ServerKeys::seal`] with the same associated data.
    pub fn open(
        &self,
        aad: &[u8],
        nonce: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, crate::error::ApiError> {
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| crate::error::ApiError::internal("stored nonce damaged"))?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let len = self
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| {
                crate::error::ApiError::internal("stored document chunk fails authentication")
            })?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

fn phone_aad(user_id: &str) -> Vec<u8> {
    format!("huoshui-phone:{user_id}").into_bytes()
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, bytes).as_ref())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    huoshui_core::hex::encode(bytes)
}

/// `138****0001`: what may be shown of a phone number.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "****".to_owned();
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}****{tail}")
}
