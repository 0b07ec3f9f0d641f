//! Documents in the app facade: capture as a stream of chunks, the list, the checklist of an
//! application, and export for upload (a stream of plaintext chunks, or a file the user asked for).
//!
//! Owns linking the vault's documents to applications in the device store. The bytes are the
//! vault's: this module never keeps a plaintext copy, never writes one except where the caller
//! asked for an export file, and never logs document bytes.

use super::error::{AppError, ErrorAction};
use super::views::DocumentView;
use crate::store::Store;
use crate::store::records::DocumentRow;
use crate::vault::{DocumentReader, DocumentWriter, KeystoreError, Vault, VaultError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::fs::File;
use std::io::BufReader;

/// A vault error as a caller action, with words that say what to do (retake the photo, free
/// space, unlock the phone, start over with the documents) and no operating-system text in
/// the Chinese half.
pub fn vault_error(e: &VaultError) -> AppError {
    let action = match e {
        VaultError::UnsupportedType
        | VaultError::TooLarge { .. }
        | VaultError::Empty
        | VaultError::InvalidImage { .. } => ErrorAction::InvalidInput,
        VaultError::KeyLost | VaultError::Keystore(KeystoreError::KeyUnavailable { .. }) => {
            return key_lost();
        }
        VaultError::Keystore(KeystoreError::Failed { reason }) => {
            return AppError::new(
                ErrorAction::Retry,
                "手机的密钥库暂时打不开，请解锁手机后稍后重试",
                format!(
                    "the phone's keystore is not available now ({reason}): unlock the phone and try again"
                ),
            );
        }
        VaultError::NotFound { id } => {
            return AppError::new(
                ErrorAction::NotFound,
                format!("找不到证件 {id}，请返回证件列表刷新"),
                format!("no document {id}: go back to the documents and refresh"),
            );
        }
        VaultError::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull => {
            return AppError::new(
                ErrorAction::StorageFull,
                "手机存储空间不足，请删除一些照片或不用的应用后重试",
                "the phone is out of storage: delete some photos or unused apps and try again",
            );
        }
        VaultError::Io { op, source } => {
            return AppError::new(
                ErrorAction::Retry,
                "读写证件文件失败，请检查存储空间，重启应用后再试",
                format!(
                    "reading or writing a document file failed ({op}: {source}): check free storage, restart the app and try again"
                ),
            );
        }
        VaultError::Corrupt { .. } | VaultError::Crypto => ErrorAction::Internal,
    };
    AppError::new(action, e.message_zh(), e.message_en())
}

/// A vault error while reading a document back: a document the platform holds whose copy
/// on this phone went with a lost key is said to be there, not to be taken again.
pub(crate) fn export_error(e: &VaultError, view: &DocumentView) -> AppError {
    match e {
        VaultError::NotFound { .. } if view.uploaded => AppError::new(
            ErrorAction::NotFound,
            "这份证件已上传到平台，不用重新拍摄；手机上的副本在重置加密密钥时已删除",
            "this document is on the platform and need not be taken again; its copy on this phone was removed when the encryption key was reset",
        ),
        _ => vault_error(e),
    }
}

/// The install key is gone: said plainly, with the way out.
pub(crate) fn key_lost() -> AppError {
    AppError::new(
        ErrorAction::KeyUnavailable,
        "这台手机的加密密钥已丢失（可能取消了锁屏密码、恢复了备份或换了手机），保存在手机上、还没上传的证件照片和写有文字说明的操作已无法打开。请重置加密密钥：这些内容会被删除，证件需要重新拍摄；已上传到平台的证件不用重拍，没有附证件的草稿会保留，没有附证件的申请和不带文字说明的操作也会保留，重新登录后发送。如仍有问题，请联系您的客户经理",
        "this phone's encryption key is lost (the lock screen was removed, a backup was restored or the phone changed), so the document photos not yet uploaded and the unsent actions with a written note or reason cannot be opened any more. Reset the encryption key: they are removed and the documents must be taken again; documents already on the platform need not be taken again; drafts without documents are kept, and so are unsent applications without documents and actions without a written note, which are sent after you sign in again. If anything still fails, contact your account manager",
    )
}

/// Removes the sealed files that have no record in the store: a capture killed after its file
/// got its name and before its record committed. Runs in a store write transaction, so it never
/// sees a capture in between (that capture holds the write lock from naming to commit).
pub(crate) fn sweep_unrecorded(store: &Store, vault: &Vault) -> Result<usize, AppError> {
    store.write_with(|tx| -> Result<usize, AppError> {
        let recorded: std::collections::HashSet<uuid::Uuid> = store
            .documents_in(tx, None)?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let mut removed = 0;
        for id in vault.sealed_ids().map_err(|e| vault_error(&e))? {
            if !recorded.contains(&id) {
                vault.delete(id).map_err(|e| vault_error(&e))?;
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(
                removed,
                "removed sealed files of captures killed before their record"
            );
        }
        Ok(removed)
    })
}

/// A document being captured: feed it chunks, then hand it to [`super::AppCore::finish_capture`].
pub struct Capture {
    pub(crate) writer: DocumentWriter,
    pub(crate) application_id: Option<String>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("id", &self.writer.id())
            .finish_non_exhaustive()
    }
}

impl Capture {
    /// Encrypts the next chunk of the document as it arrives.
    pub fn write_chunk(&mut self, data: &[u8]) -> Result<(), AppError> {
        self.writer.write_chunk(data).map_err(|e| vault_error(&e))
    }
}

/// A document being read back for upload, chunk by chunk (each chunk verified before it is given out).
pub struct Export {
    pub(crate) reader: DocumentReader<BufReader<File>>,
    pub(crate) view: DocumentView,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("id", &self.view.id)
            .finish_non_exhaustive()
    }
}

impl Export {
    /// What is being exported (size and SHA-256 travel with the upload).
    pub fn document(&self) -> &DocumentView {
        &self.view
    }

    /// The next verified plaintext chunk, `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, AppError> {
        self.reader
            .next_chunk()
            .map(|c| c.map(<[u8]>::to_vec))
            .map_err(|e| vault_error(&e))
    }
}

/// The view of a stored document.
pub(crate) fn view(row: &DocumentRow, tz: &TimeZone, now: Timestamp) -> DocumentView {
    DocumentView {
        id: row.id.to_string(),
        kind: row.kind,
        kind_zh: row.kind.name_zh().to_owned(),
        kind_en: row.kind.name_en().to_owned(),
        media: row.media.code().to_owned(),
        size_bytes: row.size_bytes,
        sha256: row.sha256.clone(),
        application_id: row.application_id.clone(),
        captured_zh: crate::domain::lifecycle::format_when_zh(row.created_at, tz, now),
        uploaded: row.uploaded_at.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_errors_become_the_action_the_villager_can_take() {
        let full = VaultError::Io {
            op: "write",
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert_eq!(vault_error(&full).action, ErrorAction::StorageFull);
        assert_eq!(
            vault_error(&VaultError::KeyLost).action,
            ErrorAction::KeyUnavailable
        );
        assert_eq!(
            vault_error(&VaultError::UnsupportedType).action,
            ErrorAction::InvalidInput
        );
        let locked = VaultError::Keystore(KeystoreError::Failed {
            reason: "locked".into(),
        });
        let e = vault_error(&locked);
        assert_eq!(e.action, ErrorAction::Retry);
        assert!(e.message_en.contains("locked"), "{}", e.message_en);
        assert!(e.message_zh.contains("解锁"), "{}", e.message_zh);
    }

    #[test]
    fn every_vault_error_says_what_to_do_in_chinese_and_english_without_system_text() {
        let errors = [
            VaultError::UnsupportedType,
            VaultError::TooLarge {
                media: "jpeg",
                limit_bytes: 1,
            },
            VaultError::Empty,
            VaultError::InvalidImage {
                reason: "bad marker".into(),
            },
            VaultError::KeyLost,
            VaultError::Keystore(KeystoreError::KeyUnavailable {
                reason: "gone".into(),
            }),
            VaultError::Keystore(KeystoreError::Failed {
                reason: "busy".into(),
            }),
            VaultError::corrupt("tag mismatch"),
            VaultError::NotFound { id: "d1".into() },
            VaultError::Crypto,
            VaultError::Io {
                op: "write",
                source: std::io::Error::from(std::io::ErrorKind::StorageFull),
            },
            VaultError::Io {
                op: "read",
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            },
        ];
        for e in &errors {
            let a = vault_error(e);
            let what = ["请", "重新"];
            assert!(
                what.iter().any(|w| a.message_zh.contains(w)),
                "{e:?}: {}",
                a.message_zh
            );
            assert!(
                !a.message_en.is_empty() && a.message_en.is_ascii(),
                "{e:?}: {}",
                a.message_en
            );
            assert!(
                !a.message_zh.contains("os error"),
                "{e:?}: {}",
                a.message_zh
            );
        }
        let lost = vault_error(&VaultError::KeyLost);
        // The reset exists (issue 15): the words offer it and say what it removes.
        assert!(lost.message_zh.contains("重新拍摄") && lost.message_en.contains("taken again"));
        assert!(lost.message_zh.contains("重置") && lost.message_en.contains("Reset"));
        assert!(lost.message_zh.contains("草稿") && lost.message_en.contains("drafts"));
        let full = vault_error(&errors[10]);
        assert!(
            full.message_zh.contains("存储空间不足"),
            "{}",
            full.message_zh
        );
    }
}
