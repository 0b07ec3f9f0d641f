//! The vault's one error type. Every message says what to do, in Chinese and in English, as
//! data (`message_zh`, `message_en`); `Display` joins them for logs.

use super::keys::KeystoreError;

/// What can go wrong when capturing, listing or opening a document.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The bytes are not a JPEG, PNG, HEIC or PDF file.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    UnsupportedType,
    /// The file is larger than the limit for its type.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    TooLarge {
        media: &'static str,
        limit_bytes: u64,
    },
    /// No bytes at all were handed over.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Empty,
    /// A JPEG, PNG or HEIC whose structure is broken (or, for HEIC, not understood), so its
    /// metadata cannot be stripped safely: it is refused rather than stored with its metadata.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    InvalidImage { reason: String },
    /// The install key is gone (keystore reset, app data restored elsewhere): documents must be captured again.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    KeyLost,
    /// The key is right but the file is damaged or was altered.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Corrupt { reason: String },
    /// No document with this id.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    NotFound { id: String },
    /// The platform keystore failed.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Keystore(KeystoreError),
    /// The random source or the cipher failed (should not happen on a working device).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Crypto,
    /// Disk trouble (full, read-only, permissions).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Io {
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl VaultError {
    /// What went wrong and what to do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            VaultError::UnsupportedType => {
                "不支持的文件类型，请拍照（JPEG/PNG/HEIC）或选择 PDF 文件".to_owned()
            }
            VaultError::TooLarge { media, limit_bytes } => {
                format!("文件太大（{media} 最大 {limit_bytes} 字节），请压缩后重试")
            }
            VaultError::Empty => "文件是空的，请重新选择".to_owned(),
            VaultError::InvalidImage { reason } => format!("照片文件已损坏，请重新拍摄：{reason}"),
            VaultError::KeyLost => {
                "加密密钥已丢失，已保存的证件无法再打开，请重置密钥后重新拍摄".to_owned()
            }
            VaultError::Corrupt { reason } => format!("证件文件已损坏，请重新拍摄：{reason}"),
            VaultError::NotFound { id } => format!("找不到证件 {id}"),
            VaultError::Keystore(e) => e.message_zh(),
            VaultError::Crypto => "加密模块出错，请重启应用".to_owned(),
            VaultError::Io { op, source } => {
                format!("读写文件失败（{op}）：{source}，请检查存储空间")
            }
        }
    }

    /// What went wrong and what to do, in English.
    pub fn message_en(&self) -> String {
        match self {
            VaultError::UnsupportedType => {
                "unsupported file type: take a photo (JPEG, PNG, HEIC) or choose a PDF".to_owned()
            }
            VaultError::TooLarge { media, limit_bytes } => format!(
                "file too large ({media} at most {limit_bytes} bytes): compress it and try again"
            ),
            VaultError::Empty => "the file is empty: choose it again".to_owned(),
            VaultError::InvalidImage { reason } => {
                format!("the photo file is damaged; take it again: {reason}")
            }
            VaultError::KeyLost => "the encryption key is lost: saved documents cannot be opened any more; reset the key and capture them again".to_owned(),
            VaultError::Corrupt { reason } => {
                format!("the document file is damaged, capture it again: {reason}")
            }
            VaultError::NotFound { id } => format!("no document {id}"),
            VaultError::Keystore(e) => e.message_en(),
            VaultError::Crypto => "the crypto module failed: restart the app".to_owned(),
            VaultError::Io { op, source } => {
                format!("file {op} failed: {source}: check free storage")
            }
        }
    }

    pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> VaultError {
        move |source| VaultError::Io { op, source }
    }

    pub(crate) fn corrupt(reason: impl Into<String>) -> VaultError {
        VaultError::Corrupt {
            reason: reason.into(),
        }
    }
}
