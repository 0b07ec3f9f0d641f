//! Capturing a document: a stream of chunks in, one sealed document file out.
//!
//! Owns the write path: type check, size limit, stripping, encryption and the atomic publish.
//! Never writes a plaintext byte to disk, never publishes a document that was not finished
//! (temp file + fsync + rename), and leaves nothing behind when it refuses or is dropped.

use super::error::VaultError;
use super::format::{
    CHUNK_LEN, HEADER_LEN, Header, KEY_AAD_LEN, Limits, Media, PREFIX_LEN, SNIFF_LEN, STATIC_LEN,
    TAG_LEN, WRAPPED_KEY_LEN, chunk_nonce, sniff,
};
use super::fsutil::sync_dir;
use super::heic::HeicStripper;
use super::keys::{InstallKey, aead_key, random_bytes, random_key};
use super::strip::{JpegStripper, PngStripper, Stripper};
use crate::domain::documents::DocumentKind;
use ring::aead::{Aad, LessSafeKey, Nonce};
use ring::digest;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// What the vault knows about a stored document (nothing here is personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub id: uuid::Uuid,
    pub kind: DocumentKind,
    pub media: Media,
    /// Plaintext bytes after metadata stripping (what an upload sends).
    pub size_bytes: u64,
    /// SHA-256 of that plaintext, lowercase hex; travels with the upload.
    pub sha256: String,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

impl DocumentInfo {
    pub(crate) fn from_header(h: &Header) -> DocumentInfo {
        DocumentInfo {
            id: h.id,
            kind: h.kind,
            media: h.media,
            size_bytes: h.plaintext_len,
            sha256: hex(&h.sha256),
        }
    }
}

enum Stage {
    /// Collecting the first bytes to learn the type.
    Sniffing(Vec<u8>),
    Open {
        media: Media,
        stripper: Option<Stripper>,
    },
}

/// Encrypts plaintext into 64 KiB chunks as it arrives.
struct Sealer {
    key: LessSafeKey,
    prefix: [u8; PREFIX_LEN],
    counter: u32,
    buf: Zeroizing<Vec<u8>>,
    digest: digest::Context,
    total: u64,
    static_header: [u8; STATIC_LEN],
}

impl Sealer {
    fn push<W: Write>(&mut self, mut data: &[u8], sink: &mut W) -> Result<(), VaultError> {
        while !data.is_empty() {
            if self.buf.len() == CHUNK_LEN {
                self.seal_chunk(false, None, sink)?;
            }
            let n = (CHUNK_LEN - self.buf.len()).min(data.len());
            let (part, rest) = data.split_at(n);
            self.buf.extend_from_slice(part);
            data = rest;
        }
        Ok(())
    }

    fn seal_chunk<W: Write>(
        &mut self,
        last: bool,
        full_header: Option<&[u8]>,
        sink: &mut W,
    ) -> Result<(), VaultError> {
        if !last {
            self.digest.update(&self.buf);
        }
        let aad = full_header.unwrap_or(&self.static_header);
        let nonce = Nonce::assume_unique_for_key(chunk_nonce(&self.prefix, self.counter, last));
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), self.buf.as_mut_slice())
            .map_err(|_| VaultError::Crypto)?;
        // One write per chunk: ciphertext and tag together.
        self.buf.extend_from_slice(tag.as_ref());
        sink.write_all(&self.buf).map_err(VaultError::io("write"))?;
        self.buf.clear();
        self.counter = self.counter.checked_add(1).ok_or(VaultError::TooLarge {
            media: "any",
            limit_bytes: u64::MAX,
        })?;
        Ok(())
    }
}

/// The sealing itself, into any seekable sink: type check, size limit, stripping, chunked
/// AES-256-GCM and SHA-256, header. [`DocumentWriter`] wraps it around a temp file; the
/// benchmark and the fuzz targets use it in memory. The sink only ever receives ciphertext.
pub struct SealingStream<W: Write + Seek> {
    kind: DocumentKind,
    id: uuid::Uuid,
    limits: Limits,
    sink: W,
    install: Arc<InstallKey>,
    /// Held until the type is known (the wrapped key is bound to the media byte), then dropped.
    doc_key_raw: Option<Zeroizing<[u8; 32]>>,
    header: Header,
    stage: Stage,
    sealer: Sealer,
    input_len: u64,
    scratch: Vec<u8>,
}

impl<W: Write + Seek> std::fmt::Debug for SealingStream<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingStream")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek> SealingStream<W> {
    /// Starts sealing a new document of `kind` into `sink` (written from its current start).
    pub fn new(
        mut sink: W,
        install: Arc<InstallKey>,
        kind: DocumentKind,
        limits: Limits,
    ) -> Result<Self, VaultError> {
        let id = uuid::Uuid::new_v4();
        let doc_key = random_key()?;
        let prefix: [u8; PREFIX_LEN] = random_bytes()?;
        // Room for the header, written for real by `finish`.
        sink.write_all(&[0u8; HEADER_LEN])
            .map_err(VaultError::io("write"))?;
        let key = aead_key(doc_key.as_ref())?;
        Ok(SealingStream {
            kind,
            id,
            limits,
            sink,
            install,
            doc_key_raw: Some(doc_key),
            header: Header {
                kind,
                media: Media::Pdf,
                id,
                nonce_prefix: prefix,
                wrap_nonce: [0; 12],
                wrapped_key: [0; WRAPPED_KEY_LEN],
                plaintext_len: 0,
                sha256: [0; 32],
            },
            stage: Stage::Sniffing(Vec::with_capacity(SNIFF_LEN)),
            sealer: Sealer {
                key,
                prefix,
                counter: 0,
                buf: Zeroizing::new(Vec::with_capacity(CHUNK_LEN + TAG_LEN)),
                digest: digest::Context::new(&digest::SHA256),
                total: 0,
                static_header: [0; STATIC_LEN],
            },
            input_len: 0,
            scratch: Vec::new(),
        })
    }

    /// The id the document will have.
    pub fn id(&self) -> uuid::Uuid {
        self.id
    }

    /// Takes the next piece of the file (any size).
    pub fn write_chunk(&mut self, data: &[u8]) -> Result<(), VaultError> {
        self.input_len = self.input_len.saturating_add(data.len() as u64);
        match &mut self.stage {
            Stage::Sniffing(head) => {
                let n = (SNIFF_LEN - head.len()).min(data.len());
                let (first, rest) = data.split_at(n);
                head.extend_from_slice(first);
                if head.len() < SNIFF_LEN {
                    return Ok(());
                }
                let head = std::mem::take(head);
                self.begin(&head)?;
                self.process(&head)?;
                self.process(rest)
            }
            Stage::Open { media, .. } => {
                let media = *media;
                self.check_limit(media)?;
                self.process(data)
            }
        }
    }

    fn check_limit(&self, media: Media) -> Result<(), VaultError> {
        let limit = self.limits.for_media(media);
        if self.input_len > limit {
            return Err(VaultError::TooLarge {
                media: media.code(),
                limit_bytes: limit,
            });
        }
        Ok(())
    }

    /// The type is known: bind the document key to the header and set up stripping.
    fn begin(&mut self, head: &[u8]) -> Result<(), VaultError> {
        let media = sniff(head).ok_or(VaultError::UnsupportedType)?;
        self.check_limit(media)?;
        self.header.media = media;
        let partial = self.header.to_bytes();
        let key_aad = partial.get(..KEY_AAD_LEN).ok_or(VaultError::Crypto)?;
        let raw = self.doc_key_raw.take().ok_or(VaultError::Crypto)?;
        let wrapped = self.install.seal(key_aad, raw.as_ref())?;
        drop(raw);
        let (nonce, key) = wrapped.split_at_checked(12).ok_or(VaultError::Crypto)?;
        self.header.wrap_nonce = nonce.try_into().map_err(|_| VaultError::Crypto)?;
        self.header.wrapped_key = key.try_into().map_err(|_| VaultError::Crypto)?;
        let full = self.header.to_bytes();
        self.sealer.static_header = full
            .get(..STATIC_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(VaultError::Crypto)?;
        let stripper = match media {
            Media::Jpeg => Some(Stripper::Jpeg(JpegStripper::new())),
            Media::Png => Some(Stripper::Png(PngStripper::new())),
            Media::Heic => Some(Stripper::Heic(HeicStripper::new())),
            Media::Pdf => None,
        };
        self.stage = Stage::Open { media, stripper };
        Ok(())
    }

    fn process(&mut self, data: &[u8]) -> Result<(), VaultError> {
        let Stage::Open { stripper, .. } = &mut self.stage else {
            return Ok(());
        };
        match stripper {
            Some(s) => {
                self.scratch.clear();
                s.feed(data, &mut self.scratch)?;
                self.sealer.total = self.sealer.total.saturating_add(self.scratch.len() as u64);
                self.sealer.push(&self.scratch, &mut self.sink)?;
                // Stripped image bytes are plaintext too: do not leave them in a spare buffer.
                zeroize::Zeroize::zeroize(&mut self.scratch);
            }
            None => {
                self.sealer.total = self.sealer.total.saturating_add(data.len() as u64);
                self.sealer.push(data, &mut self.sink)?;
            }
        }
        Ok(())
    }

    /// Seals the last chunk and writes the header at the start; gives the sink back.
    pub fn finish(mut self) -> Result<(DocumentInfo, W), VaultError> {
        if let Stage::Sniffing(head) = &mut self.stage {
            if head.is_empty() {
                return Err(VaultError::Empty);
            }
            let head = std::mem::take(head);
            self.begin(&head)?;
            self.process(&head)?;
        }
        if let Stage::Open {
            stripper: Some(s), ..
        } = &mut self.stage
        {
            self.scratch.clear();
            s.finish(&mut self.scratch)?;
            self.sealer.total = self.sealer.total.saturating_add(self.scratch.len() as u64);
            self.sealer.push(&self.scratch, &mut self.sink)?;
            zeroize::Zeroize::zeroize(&mut self.scratch);
        }
        if self.sealer.total == 0 {
            return Err(VaultError::Empty);
        }
        self.sealer.digest.update(&self.sealer.buf);
        let sha = self.sealer.digest.clone().finish();
        self.header.plaintext_len = self.sealer.total;
        self.header.sha256 = sha.as_ref().try_into().map_err(|_| VaultError::Crypto)?;
        let header = self.header.to_bytes();
        // The digest already covers the last chunk: seal it without hashing again.
        self.sealer
            .seal_chunk(true, Some(&header), &mut self.sink)?;
        let end = self
            .sink
            .stream_position()
            .map_err(VaultError::io("seek"))?;
        let start = end
            .checked_sub(self.written_len())
            .ok_or_else(|| VaultError::corrupt("sink position"))?;
        self.sink
            .seek(SeekFrom::Start(start))
            .map_err(VaultError::io("seek"))?;
        self.sink
            .write_all(&header)
            .map_err(VaultError::io("write"))?;
        self.sink
            .seek(SeekFrom::Start(end))
            .map_err(VaultError::io("seek"))?;
        Ok((DocumentInfo::from_header(&self.header), self.sink))
    }

    /// Bytes written so far: header, then one tag per chunk on top of the plaintext.
    fn written_len(&self) -> u64 {
        (HEADER_LEN as u64)
            .saturating_add(self.sealer.total)
            .saturating_add(u64::from(self.sealer.counter).saturating_mul(TAG_LEN as u64))
    }
}

/// A document being captured into the vault folder. Feed it with
/// [`DocumentWriter::write_chunk`], then call [`DocumentWriter::finish`]. Dropping it
/// unfinished (or any error) removes its temp file.
pub struct DocumentWriter {
    dir: PathBuf,
    tmp_path: PathBuf,
    /// `None` once finished or failed.
    inner: Option<SealingStream<File>>,
    id: uuid::Uuid,
}

impl std::fmt::Debug for DocumentWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentWriter")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl DocumentWriter {
    pub(crate) fn create(
        dir: PathBuf,
        install: Arc<InstallKey>,
        kind: DocumentKind,
        limits: Limits,
    ) -> Result<DocumentWriter, VaultError> {
        let tmp_path = dir.join(format!(
            "{}{}",
            super::TEMP_PREFIX,
            uuid::Uuid::new_v4().simple()
        ));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&tmp_path).map_err(VaultError::io("create"))?;
        match SealingStream::new(file, install, kind, limits) {
            Ok(inner) => Ok(DocumentWriter {
                dir,
                tmp_path,
                id: inner.id(),
                inner: Some(inner),
            }),
            Err(e) => {
                let _ = fs::remove_file(&tmp_path);
                Err(e)
            }
        }
    }

    /// The id the document will have.
    pub fn id(&self) -> uuid::Uuid {
        self.id
    }

    /// Hands over the next piece of the file (any size, e.g. 64 KiB from the camera stream).
    /// On error the capture is over: the temp file is gone and every later call fails.
    pub fn write_chunk(&mut self, data: &[u8]) -> Result<(), VaultError> {
        let inner = self.inner.as_mut().ok_or_else(closed)?;
        let result = inner.write_chunk(data);
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Seals the last chunk, writes the header and publishes the document atomically
    /// (fsync, rename to `<id>.hsd`, fsync the folder).
    pub fn finish(mut self) -> Result<DocumentInfo, VaultError> {
        let inner = self.inner.take().ok_or_else(closed)?;
        let result = (|| {
            let (info, file) = inner.finish()?;
            file.sync_all().map_err(VaultError::io("sync"))?;
            drop(file);
            let final_path = self
                .dir
                .join(format!("{}.{}", info.id, super::DOCUMENT_EXTENSION));
            fs::rename(&self.tmp_path, &final_path).map_err(VaultError::io("rename"))?;
            sync_dir(&self.dir)?;
            Ok(info)
        })();
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Ends the capture and removes the temp file.
    fn abandon(&mut self) {
        self.inner = None;
        let _ = fs::remove_file(&self.tmp_path);
    }
}

fn closed() -> VaultError {
    VaultError::Io {
        op: "write",
        source: std::io::Error::other("this document capture has already ended"),
    }
}

impl Drop for DocumentWriter {
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.abandon();
        }
    }
}
