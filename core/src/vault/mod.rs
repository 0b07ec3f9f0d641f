//! The secure document vault: photos and scans of the papers a bank needs, encrypted at rest.
//!
//! Owns the files under `<data dir>/documents/` and the key files under `<data dir>/keys/`.
//! It must never write a plaintext byte of a document to disk, never show a half-written file
//! as a document, never hold more than a few 64 KiB buffers whatever the file size (a HEIC's
//! `meta` box, at most 1 MiB, aside), and never log document bytes or keys.
//!
//! - Input: a stream of chunks ([`Vault::create_document`] → [`DocumentWriter::write_chunk`] …
//!   [`DocumentWriter::finish`]) or one buffer ([`Vault::add_bytes`]).
//! - The type is decided by magic bytes ([`format::sniff`]): JPEG, PNG, HEIC (`ftyp` brands
//!   heic/heix/heim/heis/hevc/hevx/mif1/msf1) and PDF; anything else is refused, as is anything
//!   over the [`Limits`] for its type. A refusal removes the temp file: nothing is left behind.
//! - Photo metadata is stripped while streaming ([`strip`]): JPEG and PNG lose EXIF with GPS,
//!   XMP, comments and text chunks; HEIC/HEIF keeps its layout byte for byte but its Exif, XMP
//!   and other non-picture items are overwritten in place ([`heic`]; only its `meta` box, at
//!   most 1 MiB, is held in memory). PDF is stored as handed over.
//! - Encryption: AES-256-GCM (`ring`) in 64 KiB chunks with a fresh key per document; the layout
//!   and nonce scheme are in [`format`]. The SHA-256 of the stripped plaintext is in the header.
//! - Durability: the document is written to `documents/.partial-<id>` (mode 0600), fsynced and
//!   renamed to `documents/<id>.hsd`, then the folder is fsynced. [`Vault::open`] removes any
//!   `.partial-` leftovers of a killed app.
//! - Keys: see [`keys`] (install key wrapped by the platform [`Keystore`], canary → `KeyLost`).

pub mod error;
pub mod format;
mod fsutil;
mod heic;
pub mod keys;
pub mod reader;
mod strip;
pub mod writer;

pub use error::VaultError;
pub use format::{Limits, Media};
pub use keys::{InstallKey, Keystore, KeystoreError, PendingInstallKey, SoftwareKeystore};
pub use reader::{DocumentReader, open_container};
pub use writer::{DocumentInfo, DocumentWriter, SealingStream};

use crate::domain::documents::DocumentKind;
use std::fs::{self, File};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File extension of a sealed document.
pub const DOCUMENT_EXTENSION: &str = "hsd";
/// Prefix of a document still being written.
pub(crate) const TEMP_PREFIX: &str = ".partial-";

/// The vault of one data folder.
#[derive(Debug, Clone)]
pub struct Vault {
    dir: PathBuf,
    install: Arc<InstallKey>,
    limits: Limits,
}

impl Vault {
    /// Opens `<data_dir>/documents`, creating it if needed, and removes what a killed capture
    /// left behind. The install key comes from [`InstallKey::open_or_create`].
    pub fn open(data_dir: &Path, install: Arc<InstallKey>) -> Result<Vault, VaultError> {
        let dir = data_dir.join("documents");
        fs::create_dir_all(&dir).map_err(VaultError::io("create folder"))?;
        for entry in fs::read_dir(&dir)
            .map_err(VaultError::io("list folder"))?
            .flatten()
        {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                fs::remove_file(entry.path()).map_err(VaultError::io("remove leftover"))?;
            }
        }
        Ok(Vault {
            dir,
            install,
            limits: Limits::default(),
        })
    }

    /// The same vault with other size limits.
    pub fn with_limits(mut self, limits: Limits) -> Vault {
        self.limits = limits;
        self
    }

    /// The folder that holds the sealed documents.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts capturing a document of `kind`; feed it chunk by chunk.
    pub fn create_document(&self, kind: DocumentKind) -> Result<DocumentWriter, VaultError> {
        DocumentWriter::create(
            self.dir.clone(),
            Arc::clone(&self.install),
            kind,
            self.limits,
        )
    }

    /// Captures a document handed over as one buffer.
    pub fn add_bytes(&self, kind: DocumentKind, bytes: &[u8]) -> Result<DocumentInfo, VaultError> {
        let mut writer = self.create_document(kind)?;
        writer.write_chunk(bytes)?;
        writer.finish()
    }

    /// The path of a document's sealed file.
    pub fn path_of(&self, id: uuid::Uuid) -> PathBuf {
        self.dir.join(format!("{id}.{DOCUMENT_EXTENSION}"))
    }

    /// Opens a document for reading chunk by chunk.
    pub fn open_document(
        &self,
        id: uuid::Uuid,
    ) -> Result<DocumentReader<BufReader<File>>, VaultError> {
        let file = File::open(self.path_of(id)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                VaultError::NotFound { id: id.to_string() }
            } else {
                VaultError::Io {
                    op: "open",
                    source: e,
                }
            }
        })?;
        let reader = DocumentReader::new(
            &self.install,
            BufReader::with_capacity(format::CHUNK_LEN, file),
        )?;
        if reader.info().id != id {
            return Err(VaultError::corrupt("the file holds another document"));
        }
        Ok(reader)
    }

    /// Reads a whole document into memory (small documents, tests).
    pub fn read_all(&self, id: uuid::Uuid) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
        self.open_document(id)?.read_to_vec()
    }

    /// Decrypts a document to `out` (the user asked for a plaintext copy, e.g. to upload it by
    /// hand). Written to `out.partial` and renamed only after the whole document verified, so a
    /// damaged document never leaves a partial plaintext file.
    pub fn export(&self, id: uuid::Uuid, out: &Path) -> Result<DocumentInfo, VaultError> {
        let mut reader = self.open_document(id)?;
        let mut tmp_name = out
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        tmp_name.push(".partial");
        let tmp = out.with_file_name(tmp_name);
        let result = (|| {
            let mut file = File::create(&tmp).map_err(VaultError::io("create"))?;
            while let Some(chunk) = reader.next_chunk()? {
                file.write_all(chunk).map_err(VaultError::io("write"))?;
            }
            file.sync_all().map_err(VaultError::io("sync"))?;
            fs::rename(&tmp, out).map_err(VaultError::io("rename"))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| reader.info())
    }

    /// Every sealed document, from the headers (not decrypted; ordered by id).
    /// Files whose header does not parse are skipped here and reported when opened.
    pub fn list(&self) -> Result<Vec<DocumentInfo>, VaultError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)
            .map_err(VaultError::io("list folder"))?
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != DOCUMENT_EXTENSION) {
                continue;
            }
            let mut header = [0u8; format::HEADER_LEN];
            let Ok(mut file) = File::open(&path) else {
                continue;
            };
            if std::io::Read::read_exact(&mut file, &mut header).is_err() {
                continue;
            }
            if let Ok(h) = format::Header::parse(&header) {
                out.push(DocumentInfo::from_header(&h));
            }
        }
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    /// The ids of every sealed document file, by file name (headers not read).
    pub fn sealed_ids(&self) -> Result<Vec<uuid::Uuid>, VaultError> {
        let mut out: Vec<uuid::Uuid> = fs::read_dir(&self.dir)
            .map_err(VaultError::io("list folder"))?
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let stem = name.strip_suffix(&format!(".{DOCUMENT_EXTENSION}"))?;
                uuid::Uuid::parse_str(stem).ok()
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Removes every document file of a data folder whose install key is lost (sealed and
    /// half-written alike: none of them can be opened any more). Gives back how many sealed
    /// documents were removed.
    pub fn remove_unreadable(data_dir: &Path) -> Result<usize, VaultError> {
        let dir = data_dir.join("documents");
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => {
                return Err(VaultError::Io {
                    op: "list folder",
                    source: e,
                });
            }
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let sealed = name.ends_with(&format!(".{DOCUMENT_EXTENSION}"));
            if sealed || name.starts_with(TEMP_PREFIX) {
                fs::remove_file(entry.path()).map_err(VaultError::io("remove"))?;
                removed += usize::from(sealed);
            }
        }
        fsutil::sync_dir(&dir)?;
        Ok(removed)
    }

    /// Removes a document.
    pub fn delete(&self, id: uuid::Uuid) -> Result<(), VaultError> {
        match fs::remove_file(self.path_of(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(VaultError::NotFound { id: id.to_string() })
            }
            Err(e) => Err(VaultError::Io {
                op: "remove",
                source: e,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The shells share these across threads (the FFI wraps them in `Arc`).
    #[test]
    fn vault_store_and_writers_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<super::Vault>();
        send_sync::<crate::store::Store>();
        send_sync::<super::InstallKey>();
        send_sync::<Box<dyn super::Keystore>>();
        send::<super::DocumentWriter>();
        send::<super::DocumentReader<std::io::BufReader<std::fs::File>>>();
    }
}
