//! Opening a document: the container parser and the chunk-by-chunk decryption.
//!
//! Owns the read path. Never returns a chunk that did not authenticate; the caller learns that
//! the whole document is intact only when [`DocumentReader::next_chunk`] returns `Ok(None)`
//! (after the last chunk, the exact end of file and the SHA-256 have been checked), so callers
//! that write the plaintext somewhere must publish it only then (see [`super::Vault::export`]).

use super::error::VaultError;
use super::format::{CHUNK_LEN, HEADER_LEN, Header, KEY_AAD_LEN, STATIC_LEN, TAG_LEN, chunk_nonce};
use super::keys::{InstallKey, aead_key};
use super::writer::DocumentInfo;
use ring::aead::{Aad, LessSafeKey, Nonce};
use ring::digest;
use std::io::{ErrorKind, Read};
use zeroize::Zeroizing;

/// Decrypts a document chunk by chunk, in bounded memory (one 64 KiB buffer).
pub struct DocumentReader<R: Read> {
    source: R,
    header: Header,
    header_bytes: [u8; HEADER_LEN],
    key: LessSafeKey,
    chunk_count: u64,
    last_ct_len: usize,
    next_index: u64,
    buf: Zeroizing<Vec<u8>>,
    digest: digest::Context,
    done: bool,
}

impl<R: Read> std::fmt::Debug for DocumentReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentReader")
            .field("id", &self.header.id)
            .finish_non_exhaustive()
    }
}

fn read_full<R: Read>(source: &mut R, buf: &mut [u8]) -> Result<(), VaultError> {
    source.read_exact(buf).map_err(|e| {
        if e.kind() == ErrorKind::UnexpectedEof {
            VaultError::corrupt("file is cut short")
        } else {
            VaultError::Io {
                op: "read",
                source: e,
            }
        }
    })
}

impl<R: Read> DocumentReader<R> {
    /// Reads and checks the header and unwraps the document key. `Corrupt` if the key does not
    /// unwrap (the install key is known good once the canary opened).
    pub fn new(install: &InstallKey, mut source: R) -> Result<DocumentReader<R>, VaultError> {
        let mut header_bytes = [0u8; HEADER_LEN];
        read_full(&mut source, &mut header_bytes)?;
        let header = Header::parse(&header_bytes)?;
        let key_aad = header_bytes
            .get(..KEY_AAD_LEN)
            .ok_or_else(|| VaultError::corrupt("header"))?;
        let mut wrapped = Vec::with_capacity(header.wrap_nonce.len() + header.wrapped_key.len());
        wrapped.extend_from_slice(&header.wrap_nonce);
        wrapped.extend_from_slice(&header.wrapped_key);
        let raw = install
            .open(key_aad, &wrapped)
            .map_err(|_| VaultError::corrupt("document key does not unwrap"))?;
        let key = aead_key(&raw)?;
        drop(raw);
        let (chunk_count, last_ct_len) = header.chunk_layout();
        if chunk_count > u64::from(u32::MAX) {
            return Err(VaultError::corrupt("too many chunks"));
        }
        Ok(DocumentReader {
            source,
            header,
            header_bytes,
            key,
            chunk_count,
            last_ct_len,
            next_index: 0,
            buf: Zeroizing::new(vec![0u8; CHUNK_LEN + TAG_LEN]),
            digest: digest::Context::new(&digest::SHA256),
            done: false,
        })
    }

    /// What the header says about the document (trustworthy only once reading has finished).
    pub fn info(&self) -> DocumentInfo {
        DocumentInfo::from_header(&self.header)
    }

    /// The next piece of plaintext, `Ok(None)` once the whole document has been verified.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, VaultError> {
        if self.done {
            return Ok(None);
        }
        if self.next_index == self.chunk_count {
            let mut probe = [0u8; 1];
            let extra = loop {
                match self.source.read(&mut probe) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(VaultError::Io {
                            op: "read",
                            source: e,
                        });
                    }
                }
            };
            if extra != 0 {
                return Err(VaultError::corrupt("bytes after the last chunk"));
            }
            let sha = self.digest.clone().finish();
            if sha.as_ref() != self.header.sha256 {
                return Err(VaultError::corrupt("SHA-256 does not match"));
            }
            self.done = true;
            return Ok(None);
        }
        let last = self.next_index + 1 == self.chunk_count;
        let ct_len = if last {
            self.last_ct_len
        } else {
            CHUNK_LEN + TAG_LEN
        };
        let buf = self
            .buf
            .get_mut(..ct_len)
            .ok_or_else(|| VaultError::corrupt("chunk size"))?;
        read_full(&mut self.source, buf)?;
        let index =
            u32::try_from(self.next_index).map_err(|_| VaultError::corrupt("too many chunks"))?;
        let aad: &[u8] = if last {
            &self.header_bytes
        } else {
            self.header_bytes.get(..STATIC_LEN).unwrap_or(&[])
        };
        let nonce =
            Nonce::assume_unique_for_key(chunk_nonce(&self.header.nonce_prefix, index, last));
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), buf)
            .map_err(|_| VaultError::corrupt(format!("chunk {index} does not authenticate")))?;
        self.digest.update(&*plain);
        self.next_index += 1;
        Ok(Some(plain))
    }

    /// Reads the whole document into memory (small documents and tests only).
    pub fn read_to_vec(mut self) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let mut out = Zeroizing::new(Vec::new());
        while let Some(chunk) = self.next_chunk()? {
            out.extend_from_slice(chunk);
        }
        Ok(out)
    }
}

/// Parses and fully decrypts a container from memory; the fuzz target's entry point.
pub fn open_container(
    install: &InstallKey,
    bytes: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    DocumentReader::new(install, bytes)?.read_to_vec()
}
