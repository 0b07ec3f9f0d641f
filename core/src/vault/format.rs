//! The container format of a vault document, and the file types the vault accepts.
//!
//! Owns the byte layout and its parser; must never hand out plaintext that did not
//! authenticate. A document file (`<id>.hsd`) is:
//!
//! ```text
//! offset size  field
//!      0    8  magic "HUOSHUID"
//!      8    1  format version (1)
//!      9    1  document kind (index in DocumentKind::ALL)
//!     10    1  media type (1 JPEG, 2 PNG, 3 HEIC, 4 PDF)
//!     11    1  reserved, 0
//!     12    4  chunk size, u32 little-endian (65536)
//!     16   16  document id (UUID bytes)
//!     32    7  nonce prefix (random per document)
//!     39   12  nonce of the wrapped document key
//!     51   48  document key wrapped by the install key (AES-256-GCM, AAD = bytes 0..39)
//!     99    8  plaintext length, u64 little-endian (after metadata stripping)
//!    107   32  SHA-256 of the plaintext
//!    139       chunks: AES-256-GCM ciphertext of 64 KiB of plaintext (the last one shorter) + 16-byte tag
//! ```
//!
//! Chunk `i` uses nonce `prefix(7) ‖ i (u32 big-endian) ‖ last flag (0 or 1)`. Every chunk but
//! the last has the *static header* (bytes 0..99) as AAD; the last chunk has the *whole header*
//! (bytes 0..139), so the length and the digest are authenticated too. A flipped byte, a cut
//! file, chunks in another order or taken from another document, and bytes appended after the
//! last chunk all fail to open.

use super::error::VaultError;
use crate::domain::documents::DocumentKind;
use serde::{Deserialize, Serialize};

pub(crate) const MAGIC: &[u8; 8] = b"HUOSHUID";
pub(crate) const VERSION: u8 = 1;
/// Plaintext bytes per encrypted chunk.
pub const CHUNK_LEN: usize = 64 * 1024;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const PREFIX_LEN: usize = 7;
pub(crate) const WRAP_NONCE_LEN: usize = 12;
pub(crate) const WRAPPED_KEY_LEN: usize = 32 + TAG_LEN;
/// Bytes 0..STATIC_LEN: the part of the header known before the first chunk.
pub(crate) const STATIC_LEN: usize = 99;
/// Bytes 0..KEY_AAD_LEN are the AAD of the wrapped document key.
pub(crate) const KEY_AAD_LEN: usize = 39;
/// The whole header.
pub const HEADER_LEN: usize = 139;

/// The type of file, known from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Media {
    Jpeg,
    Png,
    Heic,
    Pdf,
}

impl Media {
    /// A stable short code (`jpeg`, `png`, `heic`, `pdf`).
    pub fn code(self) -> &'static str {
        match self {
            Media::Jpeg => "jpeg",
            Media::Png => "png",
            Media::Heic => "heic",
            Media::Pdf => "pdf",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Media::Jpeg => "jpg",
            Media::Png => "png",
            Media::Heic => "heic",
            Media::Pdf => "pdf",
        }
    }

    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Media::Jpeg => 1,
            Media::Png => 2,
            Media::Heic => 3,
            Media::Pdf => 4,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Media> {
        match b {
            1 => Some(Media::Jpeg),
            2 => Some(Media::Png),
            3 => Some(Media::Heic),
            4 => Some(Media::Pdf),
            _ => None,
        }
    }
}

/// How many leading bytes [`sniff`] needs to decide.
pub const SNIFF_LEN: usize = 12;

/// What the first bytes say about the file: `Some(media)`, or `None` when it is none of the
/// accepted types. Give it at least [`SNIFF_LEN`] bytes unless the file is shorter.
pub fn sniff(head: &[u8]) -> Option<Media> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    const HEIF_BRANDS: [&[u8; 4]; 8] = [
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
    ];
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Media::Jpeg);
    }
    if head.starts_with(PNG_SIGNATURE) {
        return Some(Media::Png);
    }
    if head.starts_with(b"%PDF-") {
        return Some(Media::Pdf);
    }
    match (head.get(4..8), head.get(8..12)) {
        (Some(b"ftyp"), Some(brand)) if HEIF_BRANDS.iter().any(|b| b.as_slice() == brand) => {
            Some(Media::Heic)
        }
        _ => None,
    }
}

/// The largest input the vault accepts, per file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub jpeg: u64,
    pub png: u64,
    pub heic: u64,
    pub pdf: u64,
}

impl Default for Limits {
    /// 30 MiB for a photo (a 50-megapixel phone JPEG is ~20 MiB), 100 MiB for a PDF scan.
    fn default() -> Limits {
        const MIB: u64 = 1024 * 1024;
        Limits {
            jpeg: 30 * MIB,
            png: 30 * MIB,
            heic: 30 * MIB,
            pdf: 100 * MIB,
        }
    }
}

impl Limits {
    /// The limit for one file type.
    pub fn for_media(&self, media: Media) -> u64 {
        match media {
            Media::Jpeg => self.jpeg,
            Media::Png => self.png,
            Media::Heic => self.heic,
            Media::Pdf => self.pdf,
        }
    }
}

/// A parsed header (all fields, nothing verified cryptographically yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub kind: DocumentKind,
    pub media: Media,
    pub id: uuid::Uuid,
    pub(crate) nonce_prefix: [u8; PREFIX_LEN],
    pub(crate) wrap_nonce: [u8; WRAP_NONCE_LEN],
    pub(crate) wrapped_key: [u8; WRAPPED_KEY_LEN],
    pub plaintext_len: u64,
    pub sha256: [u8; 32],
}

fn kind_to_byte(kind: DocumentKind) -> u8 {
    let pos = DocumentKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0);
    u8::try_from(pos).unwrap_or(0)
}

impl Header {
    /// Serializes the header (exactly [`HEADER_LEN`] bytes).
    pub(crate) fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let mut w = Cursor {
            buf: &mut out,
            pos: 0,
        };
        w.put(MAGIC);
        w.put(&[VERSION, kind_to_byte(self.kind), self.media.to_byte(), 0]);
        w.put(&u32::try_from(CHUNK_LEN).unwrap_or(u32::MAX).to_le_bytes());
        w.put(self.id.as_bytes());
        w.put(&self.nonce_prefix);
        w.put(&self.wrap_nonce);
        w.put(&self.wrapped_key);
        w.put(&self.plaintext_len.to_le_bytes());
        w.put(&self.sha256);
        out
    }

    /// Parses a header. Any byte that is not as written is `Corrupt`; nothing is decrypted here.
    pub fn parse(bytes: &[u8]) -> Result<Header, VaultError> {
        let bytes: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| VaultError::corrupt("file shorter than its header"))?;
        let mut r = Reader { buf: bytes, pos: 0 };
        if r.take::<8>() != *MAGIC {
            return Err(VaultError::corrupt("not a vault document"));
        }
        let [version, kind, media, reserved] = r.take::<4>();
        if version != VERSION {
            return Err(VaultError::corrupt(format!(
                "unknown format version {version}"
            )));
        }
        let kind = *DocumentKind::ALL
            .get(usize::from(kind))
            .ok_or_else(|| VaultError::corrupt("unknown document kind"))?;
        let media =
            Media::from_byte(media).ok_or_else(|| VaultError::corrupt("unknown media type"))?;
        if reserved != 0 {
            return Err(VaultError::corrupt("reserved byte set"));
        }
        if u32::from_le_bytes(r.take::<4>()) != u32::try_from(CHUNK_LEN).unwrap_or(u32::MAX) {
            return Err(VaultError::corrupt("unexpected chunk size"));
        }
        let id = uuid::Uuid::from_bytes(r.take::<16>());
        let nonce_prefix = r.take::<PREFIX_LEN>();
        let wrap_nonce = r.take::<WRAP_NONCE_LEN>();
        let wrapped_key = r.take::<WRAPPED_KEY_LEN>();
        let plaintext_len = u64::from_le_bytes(r.take::<8>());
        let sha256 = r.take::<32>();
        if plaintext_len == 0 {
            return Err(VaultError::corrupt("empty document"));
        }
        Ok(Header {
            kind,
            media,
            id,
            nonce_prefix,
            wrap_nonce,
            wrapped_key,
            plaintext_len,
            sha256,
        })
    }

    /// How many chunks the body has, and the ciphertext length of the last one.
    pub(crate) fn chunk_layout(&self) -> (u64, usize) {
        let chunk = CHUNK_LEN as u64;
        let count = self.plaintext_len.div_ceil(chunk);
        let last_plain = self.plaintext_len - (count.saturating_sub(1)) * chunk;
        (
            count,
            usize::try_from(last_plain).unwrap_or(CHUNK_LEN) + TAG_LEN,
        )
    }
}

/// The nonce of chunk `index`.
pub(crate) fn chunk_nonce(prefix: &[u8; PREFIX_LEN], index: u32, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    let mut w = Cursor {
        buf: &mut nonce,
        pos: 0,
    };
    w.put(prefix);
    w.put(&index.to_be_bytes());
    w.put(&[u8::from(last)]);
    nonce
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }
}

struct Reader<'a> {
    buf: &'a [u8; HEADER_LEN],
    pos: usize,
}

impl Reader<'_> {
    /// Fixed-size reads within the fixed-size header; the layout above guarantees they fit.
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let end = self.pos.saturating_add(N);
        if let Some(src) = self.buf.get(self.pos..end) {
            out.copy_from_slice(src);
        }
        self.pos = end;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_constants_add_up() {
        assert_eq!(8 + 4 + 4 + 16, 32);
        assert_eq!(32 + PREFIX_LEN, KEY_AAD_LEN);
        assert_eq!(KEY_AAD_LEN + WRAP_NONCE_LEN + WRAPPED_KEY_LEN, STATIC_LEN);
        assert_eq!(STATIC_LEN + 8 + 32, HEADER_LEN);
    }

    #[test]
    fn headers_round_trip() {
        let h = Header {
            kind: DocumentKind::Lease,
            media: Media::Png,
            id: uuid::Uuid::from_bytes([7; 16]),
            nonce_prefix: [1; PREFIX_LEN],
            wrap_nonce: [2; WRAP_NONCE_LEN],
            wrapped_key: [3; WRAPPED_KEY_LEN],
            plaintext_len: 65_537,
            sha256: [4; 32],
        };
        let parsed = Header::parse(&h.to_bytes()).map_err(|e| e.to_string());
        assert_eq!(parsed, Ok(h.clone()));
        assert_eq!(h.chunk_layout(), (2, 1 + TAG_LEN));
    }

    #[test]
    fn magic_bytes_decide_the_type() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Media::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Media::Png));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Media::Pdf));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Some(Media::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0"), Some(Media::Heic));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0"),
            None,
            "an MP4 video is refused"
        );
        assert_eq!(sniff(b"GIF89a......"), None);
        assert_eq!(sniff(b"PK\x03\x04"), None);
    }
}
