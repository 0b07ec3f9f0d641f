//! Documents in the app facade: capture as a stream of chunks, the list, the checklist of an
//! application, and export for upload (a stream of plaintext chunks, or a file the user asked for).
//!
//! Owns linking the vault's documents to applications in the device store. The bytes are the
//! vault's: this module never keeps a plaintext copy, never writes one except where the caller
//! asked for an export file, and never logs document bytes.

use super::error::{AppError, ErrorAction};
use super::views::DocumentView;
use crate::store::records::DocumentRow;
use crate::vault::{DocumentReader, DocumentWriter, KeystoreError, VaultError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::fs::File;
use std::io::BufReader;

/// A vault error as a caller action.
pub fn vault_error(e: &VaultError) -> AppError {
    let action = match e {
        VaultError::UnsupportedType
        | VaultError::TooLarge { .. }
        | VaultError::Empty
        | VaultError::InvalidImage { .. } => ErrorAction::InvalidInput,
        VaultError::KeyLost | VaultError::Keystore(KeystoreError::KeyUnavailable { .. }) => {
            ErrorAction::KeyUnavailable
        }
        VaultError::Keystore(KeystoreError::Failed { .. }) => ErrorAction::Retry,
        VaultError::NotFound { .. } => ErrorAction::NotFound,
        VaultError::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull => {
            ErrorAction::StorageFull
        }
        VaultError::Io { .. } => ErrorAction::Retry,
        VaultError::Corrupt { .. } | VaultError::Crypto => ErrorAction::Internal,
    };
    AppError::from_bilingual(action, &e.to_string())
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
    }
}
