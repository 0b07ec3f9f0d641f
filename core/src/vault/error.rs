//! The vault's one error type. Every message says what to do, in Chinese first, English beside.

use super::keys::KeystoreError;

/// What can go wrong when capturing, listing or opening a document.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The bytes are not a JPEG, PNG, HEIC or PDF file.
    #[error(
        "不支持的文件类型，请拍照（JPEG/PNG/HEIC）或选择 PDF 文件 / unsupported file type: take a photo (JPEG, PNG, HEIC) or choose a PDF"
    )]
    UnsupportedType,
    /// The file is larger than the limit for its type.
    #[error(
        "文件太大（{media} 最大 {limit_bytes} 字节），请压缩后重试 / file too large ({media} at most {limit_bytes} bytes): compress it and try again"
    )]
    TooLarge {
        media: &'static str,
        limit_bytes: u64,
    },
    /// No bytes at all were handed over.
    #[error("文件是空的，请重新选择 / the file is empty: choose it again")]
    Empty,
    /// A JPEG, PNG or HEIC whose structure is broken (or, for HEIC, not understood), so its
    /// metadata cannot be stripped safely: it is refused rather than stored with its metadata.
    #[error(
        "照片文件已损坏，请重新拍摄：{reason} / the photo file is damaged; take it again: {reason}"
    )]
    InvalidImage { reason: String },
    /// The install key is gone (keystore reset, app data restored elsewhere): documents must be captured again.
    #[error(
        "加密密钥已丢失，已保存的证件无法再打开，请重置密钥后重新拍摄 / the encryption key is lost: saved documents cannot be opened any more; reset the key and capture them again"
    )]
    KeyLost,
    /// The key is right but the file is damaged or was altered.
    #[error(
        "证件文件已损坏，请重新拍摄：{reason} / the document file is damaged, capture it again: {reason}"
    )]
    Corrupt { reason: String },
    /// No document with this id.
    #[error("找不到证件 {id} / no document {id}")]
    NotFound { id: String },
    /// The platform keystore failed.
    #[error(transparent)]
    Keystore(KeystoreError),
    /// The random source or the cipher failed (should not happen on a working device).
    #[error("加密模块出错，请重启应用 / the crypto module failed: restart the app")]
    Crypto,
    /// Disk trouble (full, read-only, permissions).
    #[error(
        "读写文件失败（{op}）：{source}，请检查存储空间 / file {op} failed: {source}: check free storage"
    )]
    Io {
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl VaultError {
    pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> VaultError {
        move |source| VaultError::Io { op, source }
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> VaultError {
        VaultError::Corrupt {
            reason: reason.into(),
        }
    }
}
