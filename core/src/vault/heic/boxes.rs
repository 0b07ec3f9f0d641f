//! The narrow subset of the ISO base media file format this stripper reads: box headers, the
//! `iinf` item list and the `iloc` item locations. Must never read past a box's end.

use super::{COUNT_LIMIT, PICTURE_TYPES, invalid};
use crate::vault::error::VaultError;
use std::collections::BTreeMap;

/// A box inside a buffer: where it starts, where its payload starts, where it ends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Child {
    pub(super) kind: [u8; 4],
    pub(super) start: usize,
    pub(super) payload: usize,
    pub(super) end: usize,
}

/// The boxes in `buf[from..to]`, one after the other.
pub(super) fn children(buf: &[u8], from: usize, to: usize) -> Result<Vec<Child>, VaultError> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        if out.len() >= COUNT_LIMIT {
            return Err(invalid("too many boxes in meta"));
        }
        let mut r = Reader::new(buf, at, to);
        let size32 = r.u32()?;
        let kind = r.four()?;
        let size = match size32 {
            0 => (to - at) as u64,
            1 => r.u64()?,
            n => u64::from(n),
        };
        let payload = r.at;
        let end = usize::try_from(size)
            .ok()
            .and_then(|s| at.checked_add(s))
            .ok_or_else(|| invalid("box size in meta"))?;
        if end > to || end < payload {
            return Err(invalid("box size in meta"));
        }
        out.push(Child {
            kind,
            start: at,
            payload,
            end,
        });
        at = end;
    }
    Ok(out)
}

/// Reads big-endian fields from `buf[at..end]`; running past `end` is an error.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) at: usize,
    pub(super) end: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8], at: usize, end: usize) -> Reader<'a> {
        Reader { buf, at, end }
    }

    pub(super) fn bytes(&mut self, n: usize) -> Result<&'a [u8], VaultError> {
        let to = self
            .at
            .checked_add(n)
            .filter(|&t| t <= self.end)
            .ok_or_else(|| invalid("a box in meta is cut short"))?;
        let b = self
            .buf
            .get(self.at..to)
            .ok_or_else(|| invalid("a box in meta is cut short"))?;
        self.at = to;
        Ok(b)
    }

    pub(super) fn u8(&mut self) -> Result<u8, VaultError> {
        Ok(self.bytes(1)?.first().copied().unwrap_or(0))
    }

    pub(super) fn four(&mut self) -> Result<[u8; 4], VaultError> {
        let b = self.bytes(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }

    pub(super) fn u16(&mut self) -> Result<u16, VaultError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self) -> Result<u32, VaultError> {
        Ok(u32::from_be_bytes(self.four()?))
    }

    pub(super) fn u64(&mut self) -> Result<u64, VaultError> {
        let b = self.bytes(8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// An unsigned field of 0, 4 or 8 bytes (`iloc`).
    pub(super) fn sized(&mut self, size: u8) -> Result<u64, VaultError> {
        match size {
            0 => Ok(0),
            4 => Ok(u64::from(self.u32()?)),
            8 => self.u64(),
            _ => Err(invalid("iloc field size not 0, 4 or 8")),
        }
    }

    /// A NUL-terminated string; one that runs to the end of the box ends there.
    pub(super) fn cstr(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.at..self.end).unwrap_or(&[]);
        match rest.iter().position(|&b| b == 0) {
            Some(n) => {
                self.at += n + 1;
                rest.get(..n).unwrap_or(&[])
            }
            None => {
                self.at = self.end;
                rest
            }
        }
    }
}

/// What an item is, from its `infe` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemKind {
    Picture,
    Exif,
    /// XMP without content encoding.
    Xmp,
    Other,
}

pub(super) fn parse_iinf(buf: &[u8], b: Child) -> Result<BTreeMap<u32, ItemKind>, VaultError> {
    let mut r = Reader::new(buf, b.payload, b.end);
    let version = r.u8()?;
    r.bytes(3)?;
    if version == 0 {
        r.u16()?;
    } else {
        r.u32()?;
    }
    let mut items = BTreeMap::new();
    for infe in children(buf, r.at, b.end)? {
        if &infe.kind != b"infe" {
            continue;
        }
        let mut r = Reader::new(buf, infe.payload, infe.end);
        let version = r.u8()?;
        r.bytes(3)?;
        let (id, kind) = match version {
            0 | 1 => (u32::from(r.u16()?), ItemKind::Other),
            2 | 3 => {
                let id = if version == 2 {
                    u32::from(r.u16()?)
                } else {
                    r.u32()?
                };
                r.u16()?; // protection index
                let item_type = r.four()?;
                r.cstr(); // item name
                let kind = if PICTURE_TYPES.iter().any(|t| **t == item_type) {
                    ItemKind::Picture
                } else if &item_type == b"jpeg" {
                    return Err(invalid("JPEG-coded items are not supported"));
                } else if &item_type == b"Exif" {
                    ItemKind::Exif
                } else if &item_type == b"mime" {
                    let content_type = r.cstr();
                    let encoding = r.cstr();
                    if content_type.eq_ignore_ascii_case(b"application/rdf+xml")
                        && encoding.is_empty()
                    {
                        ItemKind::Xmp
                    } else {
                        ItemKind::Other
                    }
                } else {
                    ItemKind::Other
                };
                (id, kind)
            }
            _ => return Err(invalid("unknown infe version")),
        };
        if items.len() >= COUNT_LIMIT {
            return Err(invalid("too many items"));
        }
        if items.insert(id, kind).is_some() {
            return Err(invalid("two items with the same id"));
        }
    }
    Ok(items)
}

/// One `iloc` entry: where an item's bytes are.
#[derive(Debug)]
pub(super) struct Location {
    pub(super) id: u32,
    pub(super) in_idat: bool,
    /// (offset, length) relative to the file or to the `idat` payload; length 0: to the end.
    pub(super) extents: Vec<(u64, u64)>,
}

pub(super) fn parse_iloc(buf: &[u8], b: Child) -> Result<Vec<Location>, VaultError> {
    let mut r = Reader::new(buf, b.payload, b.end);
    let version = r.u8()?;
    r.bytes(3)?;
    if version > 2 {
        return Err(invalid("unknown iloc version"));
    }
    let sizes = r.u8()?;
    let (offset_size, length_size) = (sizes >> 4, sizes & 0x0F);
    let sizes = r.u8()?;
    let base_size = sizes >> 4;
    let index_size = if version >= 1 { sizes & 0x0F } else { 0 };
    let count = if version < 2 {
        u32::from(r.u16()?)
    } else {
        r.u32()?
    };
    let mut out = Vec::new();
    let mut extents_total = 0usize;
    for _ in 0..count {
        let id = if version < 2 {
            u32::from(r.u16()?)
        } else {
            r.u32()?
        };
        let method = if version >= 1 { r.u16()? & 0x0F } else { 0 };
        if method > 1 {
            return Err(invalid("iloc construction method 2 is not supported"));
        }
        if r.u16()? != 0 {
            return Err(invalid("item data in another file"));
        }
        let base = r.sized(base_size)?;
        let n = r.u16()?;
        extents_total = extents_total.saturating_add(usize::from(n));
        if extents_total > COUNT_LIMIT {
            return Err(invalid("too many extents"));
        }
        let mut extents = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            r.sized(index_size)?;
            let offset = r.sized(offset_size)?;
            let length = r.sized(length_size)?;
            let start = base
                .checked_add(offset)
                .ok_or_else(|| invalid("iloc offset"))?;
            extents.push((start, length));
        }
        out.push(Location {
            id,
            in_idat: method == 1,
            extents,
        });
    }
    let mut ids: Vec<u32> = out.iter().map(|l| l.id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("two iloc entries for the same item"));
    }
    Ok(out)
}
