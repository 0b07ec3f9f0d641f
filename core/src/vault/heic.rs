//! Streaming metadata stripper for HEIC/HEIF (ISO base media file format) photos.
//!
//! Owns the removal of Exif (GPS, camera, dates), XMP and other non-picture items from a HEIF
//! file before the vault seals it; never changes a byte of picture data, never moves a byte
//! (the output is exactly as long as the input, every offset in the file stays valid), never
//! holds more than the `meta` box (at most [`META_LIMIT`]) and a small list of byte ranges,
//! and never passes through what it cannot parse: such a file is refused as damaged.
//!
//! How a HEIF file is laid out: top-level boxes `ftyp`, `meta`, `mdat` …; the `meta` box lists
//! the items (`iinf`: id and type of each), where their bytes are (`iloc`: extents in the file,
//! construction method 0, or in the `meta` box's own `idat`, method 1), their properties
//! (`iprp`) and how they relate (`iref`). Pictures are items of a coded type (`hvc1`, `av01` …)
//! or a derived type (`grid`, `iden`, `iovl`, `tmap`); Exif is an item of type `Exif`, XMP a
//! `mime` item with content type `application/rdf+xml`, both usually in `mdat`.
//!
//! Why in place: dropping items would change the size of `meta`, so every file offset in `iloc`
//! would have to be rewritten, and a slip there breaks the picture. Overwriting the metadata
//! items' bytes where they are keeps the layout, so what cannot move cannot break:
//! - an `Exif` item becomes an empty Exif block (offset 0, a big-endian TIFF header, IFD0 with
//!   no entries) followed by zeros: readers see valid, empty Exif;
//! - an XMP item (no content encoding) becomes an empty `x:xmpmeta` element padded with spaces;
//! - every other non-picture item (other `mime` types, compressed XMP, `uri ` items, unknown
//!   types, version 0/1 `infe` entries) is zeroed.
//!
//! Exif orientation is not lost by this: HEIF readers take rotation and mirroring from the
//! `irot`/`imir` properties, which are kept.
//!
//! Besides the items, boxes that could hold metadata and that a picture never needs are
//! neutralised in place, type renamed to `free` and payload zeroed (so readers skip them):
//! top-level boxes other than `ftyp`, `meta` and `mdat` (`uuid` XMP, `moov` of an image
//! sequence …; `free`/`skip` keep their type but are zeroed too, editors leave old metadata
//! there), `meta` children other than `hdlr`, `pitm`, `iloc`, `iinf`, `iprp`, `iref`, `idat`,
//! `dinf`, `grpl` (e.g. `xml `, `bxml`), and `udes` (user description) properties in `ipco`.
//!
//! Streaming: `ftyp` passes through, `meta` is buffered whole (it must come before the data it
//! describes, as every phone writes it; a `mdat` before `meta` is refused), parsed and emitted
//! with its `idat` scrubbed; after that, bytes pass through as they arrive and the metadata
//! ranges are overwritten on the way. 32-bit, 64-bit and "to end of file" box sizes, `iloc`
//! versions 0–2 with 0/4/8-byte fields, and items split over several extents are handled.
//!
//! Refused (as [`VaultError::InvalidImage`]): a file cut short, a box size that does not add
//! up, a `meta` box over [`META_LIMIT`], missing `hdlr`/`iinf`/`iloc`, a handler other than
//! `pict`, duplicate item ids, data in another file (`data_reference_index` ≠ 0), construction
//! method 2, items whose bytes lie before the end of `meta` or outside `mdat`, metadata that
//! shares bytes with a picture, and `jpeg`-coded items (a JPEG codestream can carry its own
//! Exif, which this stripper does not parse).
//!
//! Hand-written rather than taken from an MP4/HEIF crate: the crates parse whole files into
//! owned structures; stripping while streaming needs the byte positions of a few boxes, and
//! only that narrow subset is parsed here.

use super::error::VaultError;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The largest `meta` box accepted (buffered whole). A phone's is a few KiB.
pub(crate) const META_LIMIT: u64 = 1024 * 1024;
/// The largest `ftyp` box accepted (a list of brands).
const FTYP_LIMIT: u64 = 4096;
/// At most this many items, extents and boxes inside `meta` (bounds the memory of the plan).
const COUNT_LIMIT: usize = 20_000;

/// What an `Exif` item becomes: offset 0 to the TIFF header, "MM", 42, IFD0 at 8, no entries,
/// no next IFD.
const EMPTY_EXIF: [u8; 18] = [
    0, 0, 0, 0, b'M', b'M', 0, 0x2A, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0,
];
/// What an XMP item becomes (padded with spaces, as XMP packets are).
const EMPTY_XMP: &[u8] = b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";

/// Item types that are pictures (coded or derived) and are kept byte for byte.
const PICTURE_TYPES: [&[u8; 4]; 14] = [
    b"hvc1", b"hev1", b"av01", b"avc1", b"vvc1", b"evc1", b"j2k1", b"unci", b"grid", b"iden",
    b"iovl", b"tmap", b"hvt1", b"lhv1",
];

fn invalid(reason: &str) -> VaultError {
    VaultError::InvalidImage {
        reason: format!("HEIC: {reason}"),
    }
}

/// What is written over a metadata item's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    Exif,
    Xmp,
    Zero,
}

impl Fill {
    /// Overwrites `dst`, whose first byte is byte `logical` of the item.
    fn apply(self, logical: u64, dst: &mut [u8]) {
        let template: &[u8] = match self {
            Fill::Exif => &EMPTY_EXIF,
            Fill::Xmp => EMPTY_XMP,
            Fill::Zero => &[],
        };
        let pad = if self == Fill::Xmp { b' ' } else { 0 };
        for (i, b) in dst.iter_mut().enumerate() {
            let at = usize::try_from(logical.saturating_add(i as u64)).unwrap_or(usize::MAX);
            *b = template.get(at).copied().unwrap_or(pad);
        }
    }
}

/// A byte range of a metadata item and what to write over it. `end == u64::MAX`: to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
    fill: Fill,
    /// Offset of `start` within the item.
    logical: u64,
}

/// What the `meta` box says about the rest of the file.
#[derive(Debug, Default)]
struct Plan {
    /// Metadata ranges in the file, sorted, not overlapping.
    scrub: Vec<Span>,
    /// The first span not yet wholly passed.
    next: usize,
    /// Picture ranges in the file, sorted and merged (`end == u64::MAX`: to the end).
    keep: Vec<(u64, u64)>,
}

impl Plan {
    fn overlaps_keep(&self, start: u64, end: u64) -> bool {
        let i = self.keep.partition_point(|&(_, e)| e <= start);
        self.keep.get(i).is_some_and(|&(s, _)| s < end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    /// Passed through (`ftyp`).
    Keep,
    /// Zeroed (`free`, `skip`, and boxes renamed to `free`).
    Zero,
    /// `mdat`: passed through with the metadata spans overwritten.
    Mdat,
}

#[derive(Debug)]
enum State {
    /// Collecting a top-level box header (8 bytes, 16 with a 64-bit size).
    Header { buf: [u8; 16], have: usize },
    /// The payload of a top-level box; `end == None`: to the end of the file.
    Body { end: Option<u64>, how: Payload },
    /// Buffering the `meta` box (header included); `end == None`: to the end of the file.
    Meta {
        buf: Zeroizing<Vec<u8>>,
        end: Option<u64>,
        header_len: usize,
    },
    /// A refusal happened; nothing more is accepted.
    Failed,
}

/// Strips metadata items from a HEIF stream (see the module doc).
#[derive(Debug)]
pub(crate) struct HeicStripper {
    /// File offset of the next input byte.
    pos: u64,
    boxes: u64,
    state: State,
    plan: Option<Plan>,
}

impl HeicStripper {
    pub(crate) fn new() -> HeicStripper {
        HeicStripper {
            pos: 0,
            boxes: 0,
            state: State::Header {
                buf: [0; 16],
                have: 0,
            },
            plan: None,
        }
    }

    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), VaultError> {
        let result = self.feed_inner(input, out);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn feed_inner(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), VaultError> {
        while !input.is_empty() {
            match &mut self.state {
                State::Failed => return Err(invalid("capture already refused")),
                State::Header { buf, have } => {
                    let need = if *have >= 4 && buf[..4] == [0, 0, 0, 1] {
                        16
                    } else {
                        8
                    };
                    let n = (need - *have).min(input.len());
                    let (part, rest) = input.split_at(n);
                    if let Some(dst) = buf.get_mut(*have..*have + n) {
                        dst.copy_from_slice(part);
                    }
                    *have += n;
                    input = rest;
                    let now_need = if *have >= 4 && buf[..4] == [0, 0, 0, 1] {
                        16
                    } else {
                        8
                    };
                    if *have == now_need {
                        let (buf, have) = (*buf, *have);
                        self.begin_box(buf, have, out)?;
                    }
                }
                State::Body { end, how } => {
                    let (end, how) = (*end, *how);
                    let left = end.map_or(u64::MAX, |e| e - self.pos);
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    let (part, rest) = input.split_at(n);
                    let from = out.len();
                    match how {
                        Payload::Keep => out.extend_from_slice(part),
                        Payload::Zero => out.resize(from + n, 0),
                        Payload::Mdat => {
                            out.extend_from_slice(part);
                            if let (Some(plan), Some(dst)) =
                                (self.plan.as_mut(), out.get_mut(from..))
                            {
                                scrub_passing(plan, self.pos, dst);
                            }
                        }
                    }
                    self.pos += n as u64;
                    input = rest;
                    if Some(self.pos) == end {
                        self.state = State::Header {
                            buf: [0; 16],
                            have: 0,
                        };
                    }
                }
                State::Meta { buf, end, .. } => {
                    let end = *end;
                    let left = end.map_or(u64::MAX, |e| e - self.pos);
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    let (part, rest) = input.split_at(n);
                    if buf.len().saturating_add(n) as u64 > META_LIMIT {
                        return Err(invalid("meta box larger than 1 MiB"));
                    }
                    buf.extend_from_slice(part);
                    self.pos += n as u64;
                    input = rest;
                    if Some(self.pos) == end {
                        self.end_meta(out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A top-level box header is complete: decide what happens to the box.
    fn begin_box(
        &mut self,
        buf: [u8; 16],
        have: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), VaultError> {
        let start = self.pos;
        let header_len = have as u64;
        let size32 = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let kind = [buf[4], buf[5], buf[6], buf[7]];
        let size = match size32 {
            0 => None,
            1 => Some(u64::from_be_bytes([
                buf[8], buf[9], buf[10], buf[11], buf[12], buf[13], buf[14], buf[15],
            ])),
            n => Some(u64::from(n)),
        };
        if size.is_some_and(|s| s < header_len) {
            return Err(invalid("box size smaller than its header"));
        }
        let end = match size {
            Some(s) => Some(start.checked_add(s).ok_or_else(|| invalid("box size"))?),
            None => None,
        };
        let first = self.boxes == 0;
        self.boxes += 1;
        let header = buf.get(..have).unwrap_or(&[]);
        self.pos += header_len;
        if first {
            if &kind != b"ftyp" {
                return Err(invalid("the file does not start with ftyp"));
            }
            if size.is_none_or(|s| s > FTYP_LIMIT) {
                return Err(invalid("ftyp box too large"));
            }
            out.extend_from_slice(header);
            return self.enter_body(end, Payload::Keep);
        }
        if &kind == b"meta" && self.plan.is_none() {
            if size.is_some_and(|s| s > META_LIMIT) {
                return Err(invalid("meta box larger than 1 MiB"));
            }
            let capacity = size.unwrap_or(META_LIMIT);
            let mut data =
                Zeroizing::new(Vec::with_capacity(usize::try_from(capacity).unwrap_or(0)));
            data.extend_from_slice(header);
            self.state = State::Meta {
                buf: data,
                end,
                header_len: have,
            };
            if Some(self.pos) == end {
                self.end_meta(out)?;
            }
            return Ok(());
        }
        if &kind == b"mdat" {
            let Some(plan) = self.plan.as_ref() else {
                return Err(invalid(
                    "picture data (mdat) before the meta box is not supported",
                ));
            };
            let payload_end = end.unwrap_or(u64::MAX);
            // Every metadata span starting in this mdat must end in it; none may have started
            // before it (it would cover a box header or a box that is not mdat).
            for span in plan.scrub.get(plan.next..).unwrap_or(&[]) {
                if span.start >= payload_end {
                    break;
                }
                if span.start < self.pos || span.end > payload_end {
                    return Err(invalid("a metadata item lies across a box boundary"));
                }
            }
            out.extend_from_slice(header);
            return self.enter_body(end, Payload::Mdat);
        }
        // Anything else: zeroed; renamed `free` unless it already is padding.
        let mut renamed = [0u8; 16];
        if let Some(dst) = renamed.get_mut(..have) {
            dst.copy_from_slice(header);
        }
        if &kind != b"free" && &kind != b"skip" {
            renamed[4..8].copy_from_slice(b"free");
        }
        if let Some(plan) = self.plan.as_ref() {
            let payload_end = end.unwrap_or(u64::MAX);
            if plan.overlaps_keep(self.pos, payload_end) {
                return Err(invalid("picture data outside mdat"));
            }
            if plan
                .scrub
                .get(plan.next)
                .is_some_and(|s| s.start < payload_end)
            {
                return Err(invalid("a metadata item lies outside mdat"));
            }
        }
        out.extend_from_slice(renamed.get(..have).unwrap_or(&[]));
        self.enter_body(end, Payload::Zero)
    }

    fn enter_body(&mut self, end: Option<u64>, how: Payload) -> Result<(), VaultError> {
        self.state = if Some(self.pos) == end {
            State::Header {
                buf: [0; 16],
                have: 0,
            }
        } else {
            State::Body { end, how }
        };
        Ok(())
    }

    /// The whole `meta` box is buffered: plan, scrub its `idat`, emit it.
    fn end_meta(&mut self, out: &mut Vec<u8>) -> Result<(), VaultError> {
        let state = std::mem::replace(
            &mut self.state,
            State::Header {
                buf: [0; 16],
                have: 0,
            },
        );
        let State::Meta {
            mut buf,
            header_len,
            ..
        } = state
        else {
            return Err(invalid("internal state"));
        };
        let meta_start = self.pos - buf.len() as u64;
        let plan = plan_meta(&mut buf, header_len, meta_start)?;
        out.extend_from_slice(&buf);
        self.plan = Some(plan);
        Ok(())
    }

    /// The input is complete: anything still open must end here. A `meta` box that runs to
    /// the end of the file is emitted now.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), VaultError> {
        match &self.state {
            State::Failed => return Err(invalid("capture already refused")),
            State::Header { have: 0, .. } => {}
            State::Header { .. } => return Err(invalid("the file ends inside a box header")),
            State::Body { end: None, .. } => {}
            State::Body { end: Some(_), .. } => {
                return Err(invalid("the file ends inside a box"));
            }
            State::Meta { end: None, .. } => self.end_meta(out)?,
            State::Meta { end: Some(_), .. } => {
                return Err(invalid("the file ends inside the meta box"));
            }
        }
        let Some(plan) = self.plan.as_ref() else {
            return Err(invalid("no meta box"));
        };
        let eof = self.pos;
        for span in plan.scrub.get(plan.next..).unwrap_or(&[]) {
            // Only a span "to the end of the file" that has begun may remain.
            if !(span.end == u64::MAX && span.start <= eof) {
                return Err(invalid("a metadata item lies beyond the end of the file"));
            }
        }
        if plan
            .keep
            .iter()
            .any(|&(s, e)| s > eof || (e != u64::MAX && e > eof))
        {
            return Err(invalid("the file ends before its picture data"));
        }
        Ok(())
    }
}

/// Overwrites the metadata spans within `dst`, which holds the file bytes from offset `pos`.
fn scrub_passing(plan: &mut Plan, pos: u64, dst: &mut [u8]) {
    let end = pos.saturating_add(dst.len() as u64);
    while let Some(span) = plan.scrub.get(plan.next).copied() {
        if span.start >= end {
            break;
        }
        let from = span.start.max(pos);
        let to = span.end.min(end);
        if from < to {
            let a = usize::try_from(from - pos).unwrap_or(usize::MAX);
            let b = usize::try_from(to - pos).unwrap_or(usize::MAX);
            if let Some(part) = dst.get_mut(a..b) {
                span.fill
                    .apply(span.logical.saturating_add(from - span.start), part);
            }
        }
        if span.end <= end {
            plan.next += 1;
        } else {
            break;
        }
    }
}

/// A box inside a buffer: where it starts, where its payload starts, where it ends.
#[derive(Debug, Clone, Copy)]
struct Child {
    kind: [u8; 4],
    start: usize,
    payload: usize,
    end: usize,
}

/// The boxes in `buf[from..to]`, one after the other.
fn children(buf: &[u8], from: usize, to: usize) -> Result<Vec<Child>, VaultError> {
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
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], at: usize, end: usize) -> Reader<'a> {
        Reader { buf, at, end }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], VaultError> {
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

    fn u8(&mut self) -> Result<u8, VaultError> {
        Ok(self.bytes(1)?.first().copied().unwrap_or(0))
    }

    fn four(&mut self) -> Result<[u8; 4], VaultError> {
        let b = self.bytes(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }

    fn u16(&mut self) -> Result<u16, VaultError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, VaultError> {
        Ok(u32::from_be_bytes(self.four()?))
    }

    fn u64(&mut self) -> Result<u64, VaultError> {
        let b = self.bytes(8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    /// An unsigned field of 0, 4 or 8 bytes (`iloc`).
    fn sized(&mut self, size: u8) -> Result<u64, VaultError> {
        match size {
            0 => Ok(0),
            4 => Ok(u64::from(self.u32()?)),
            8 => self.u64(),
            _ => Err(invalid("iloc field size not 0, 4 or 8")),
        }
    }

    /// A NUL-terminated string; one that runs to the end of the box ends there.
    fn cstr(&mut self) -> &'a [u8] {
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
enum ItemKind {
    Picture,
    Exif,
    /// XMP without content encoding.
    Xmp,
    Other,
}

fn parse_iinf(buf: &[u8], b: Child) -> Result<BTreeMap<u32, ItemKind>, VaultError> {
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
struct Location {
    id: u32,
    in_idat: bool,
    /// (offset, length) relative to the file or to the `idat` payload; length 0: to the end.
    extents: Vec<(u64, u64)>,
}

fn parse_iloc(buf: &[u8], b: Child) -> Result<Vec<Location>, VaultError> {
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

/// Renames a box to `free` and zeroes its payload.
fn neutralise(buf: &mut [u8], b: Child) {
    if let Some(kind) = buf.get_mut(b.start + 4..b.start + 8) {
        kind.copy_from_slice(b"free");
    }
    if let Some(payload) = buf.get_mut(b.payload..b.end) {
        payload.fill(0);
    }
}

/// Sorts ranges and checks that none overlaps another (`end == u64::MAX`: to the end).
fn sorted_disjoint(spans: &mut [Span]) -> Result<(), VaultError> {
    spans.sort_unstable_by_key(|s| s.start);
    if spans.windows(2).any(|w| w[0].end > w[1].start) {
        return Err(invalid("two metadata items share bytes"));
    }
    Ok(())
}

/// Sorts and merges ranges.
fn merged(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Parses the buffered `meta` box (`buf`, header included, at file offset `meta_start`),
/// neutralises what it must in place, scrubs its `idat`, and returns what to scrub later.
fn plan_meta(buf: &mut [u8], header_len: usize, meta_start: u64) -> Result<Plan, VaultError> {
    let meta_end = meta_start.saturating_add(buf.len() as u64);
    let body = header_len
        .checked_add(4)
        .filter(|&b| b <= buf.len())
        .ok_or_else(|| invalid("meta box cut short"))?;
    let boxes = children(buf, body, buf.len())?;
    let (mut hdlr, mut iinf, mut iloc, mut idat) = (None, None, None, None);
    for b in &boxes {
        let slot = match &b.kind {
            b"hdlr" => &mut hdlr,
            b"iinf" => &mut iinf,
            b"iloc" => &mut iloc,
            b"idat" => &mut idat,
            _ => continue,
        };
        if slot.replace(*b).is_some() {
            return Err(invalid("a meta box appears twice"));
        }
    }
    let hdlr = hdlr.ok_or_else(|| invalid("no hdlr box"))?;
    let mut r = Reader::new(buf, hdlr.payload, hdlr.end);
    r.bytes(8)?; // version, flags, pre_defined
    if &r.four()? != b"pict" {
        return Err(invalid("not a picture (hdlr)"));
    }
    let items = parse_iinf(buf, iinf.ok_or_else(|| invalid("no iinf box"))?)?;
    let locations = parse_iloc(buf, iloc.ok_or_else(|| invalid("no iloc box"))?)?;

    // Sort every extent into picture / metadata, file / idat.
    let (mut keep, mut scrub, mut idat_keep, mut idat_scrub) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for loc in &locations {
        let kind = items.get(&loc.id).copied().unwrap_or(ItemKind::Other);
        let total = loc.extents.iter().try_fold(0u64, |sum, &(_, len)| {
            (len > 0).then(|| sum.checked_add(len)).flatten()
        });
        let fill = match (kind, total) {
            (ItemKind::Exif, Some(t)) if t >= EMPTY_EXIF.len() as u64 => Fill::Exif,
            (ItemKind::Xmp, Some(t)) if t >= EMPTY_XMP.len() as u64 => Fill::Xmp,
            _ => Fill::Zero,
        };
        let mut logical = 0u64;
        for &(start, len) in &loc.extents {
            let end = if len == 0 {
                u64::MAX
            } else {
                start
                    .checked_add(len)
                    .ok_or_else(|| invalid("iloc extent"))?
            };
            match (kind == ItemKind::Picture, loc.in_idat) {
                (true, false) => keep.push((start, end)),
                (true, true) => idat_keep.push((start, end)),
                (false, false) => scrub.push(Span {
                    start,
                    end,
                    fill,
                    logical,
                }),
                (false, true) => idat_scrub.push(Span {
                    start,
                    end,
                    fill,
                    logical,
                }),
            }
            logical = logical.saturating_add(len);
        }
    }

    // The idat: check and scrub now.
    if !idat_keep.is_empty() || !idat_scrub.is_empty() {
        let idat = idat.ok_or_else(|| invalid("items in idat but no idat box"))?;
        let idat_len = (idat.end - idat.payload) as u64;
        sorted_disjoint(&mut idat_scrub)?;
        let idat_keep = merged(idat_keep);
        for &(s, e) in &idat_keep {
            if s > idat_len || (e != u64::MAX && e > idat_len) {
                return Err(invalid("an item lies beyond the idat box"));
            }
        }
        for span in &idat_scrub {
            let end = span.end.min(idat_len);
            if span.start > idat_len || (span.end != u64::MAX && span.end > idat_len) {
                return Err(invalid("an item lies beyond the idat box"));
            }
            let i = idat_keep.partition_point(|&(_, e)| e <= span.start);
            if idat_keep.get(i).is_some_and(|&(s, _)| s < end) {
                return Err(invalid("metadata shares bytes with a picture"));
            }
            let a = idat.payload + usize::try_from(span.start).unwrap_or(usize::MAX);
            let b = idat.payload + usize::try_from(end).unwrap_or(usize::MAX);
            if let Some(part) = buf.get_mut(a..b) {
                span.fill.apply(span.logical, part);
            }
        }
    }

    // Boxes that may hold metadata and that no picture needs.
    for b in &boxes {
        match &b.kind {
            b"hdlr" | b"pitm" | b"iloc" | b"iinf" | b"iref" | b"idat" | b"dinf" | b"grpl" => {}
            b"iprp" => {
                for ipco in children(buf, b.payload, b.end)? {
                    if &ipco.kind == b"ipco" {
                        for prop in children(buf, ipco.payload, ipco.end)? {
                            if &prop.kind == b"udes" {
                                neutralise(buf, prop);
                            }
                        }
                    }
                }
            }
            _ => neutralise(buf, *b),
        }
    }

    // The file ranges: all after meta, metadata never sharing bytes with a picture.
    sorted_disjoint(&mut scrub)?;
    let keep = merged(keep);
    if scrub.first().is_some_and(|s| s.start < meta_end)
        || keep.first().is_some_and(|k| k.0 < meta_end)
    {
        return Err(invalid("item data before the end of the meta box"));
    }
    let plan = Plan {
        scrub,
        next: 0,
        keep,
    };
    for span in &plan.scrub {
        if plan.overlaps_keep(span.start, span.end) {
            return Err(invalid("metadata shares bytes with a picture"));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(payload.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(payload);
        v
    }

    fn full(kind: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![version, 0, 0, 0];
        p.extend_from_slice(payload);
        bx(kind, &p)
    }

    fn infe(id: u16, item_type: &[u8; 4], extra: &[u8]) -> Vec<u8> {
        let mut p = id.to_be_bytes().to_vec();
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(item_type);
        p.push(0); // empty name
        p.extend_from_slice(extra);
        full(b"infe", 2, &p)
    }

    fn put(v: &mut Vec<u8>, size: u8, x: u64) {
        match size {
            0 => assert_eq!(x, 0, "a 0-byte field can only hold 0"),
            4 => v.extend_from_slice(&u32::try_from(x).unwrap().to_be_bytes()),
            8 => v.extend_from_slice(&x.to_be_bytes()),
            _ => unreachable!(),
        }
    }

    /// An item of the synthetic file.
    struct Item {
        id: u16,
        infe: Vec<u8>,
        data: Vec<u8>,
        in_idat: bool,
        /// Stored as two extents (split after 5 bytes).
        split: bool,
    }

    #[derive(Clone, Copy)]
    struct Layout {
        iloc_version: u8,
        offset_size: u8,
        length_size: u8,
        base_size: u8,
        /// 64-bit size field on mdat.
        large_mdat: bool,
        /// mdat size 0 (to the end of the file).
        mdat_to_end: bool,
    }

    const PLAIN: Layout = Layout {
        iloc_version: 1,
        offset_size: 4,
        length_size: 4,
        base_size: 0,
        large_mdat: false,
        mdat_to_end: false,
    };

    const GPS: &[u8] = b"Exif\0\0MM\0*GPSLatitude 30.123456N GPSLongitude 103.654321E Make Apple";
    const XMP: &[u8] =
        b"<x:xmpmeta><rdf:RDF><exif:GPSLatitude>30,7.4N</exif:GPSLatitude></rdf:RDF></x:xmpmeta>";
    const PICTURE: &[u8] = b"\x00\x00\x00\x10HEVC-CODED-PICTURE-BYTES-0123456789";

    fn items(xmp_in_idat: bool, split_exif: bool) -> Vec<Item> {
        vec![
            Item {
                id: 1,
                infe: infe(1, b"hvc1", b""),
                data: PICTURE.to_vec(),
                in_idat: false,
                split: true,
            },
            Item {
                id: 2,
                infe: infe(2, b"Exif", b""),
                data: GPS.to_vec(),
                in_idat: false,
                split: split_exif,
            },
            Item {
                id: 3,
                infe: infe(3, b"mime", b"application/rdf+xml\0"),
                data: XMP.to_vec(),
                in_idat: xmp_in_idat,
                split: false,
            },
        ]
    }

    fn meta(items: &[Item], l: Layout, mdat_payload: u64, extra: &[Vec<u8>]) -> Vec<u8> {
        let mut iinf = 0u16.to_be_bytes().to_vec();
        iinf[1] = u8::try_from(items.len()).unwrap();
        for it in items {
            iinf.extend_from_slice(&it.infe);
        }
        let mut iloc = vec![(l.offset_size << 4) | l.length_size, l.base_size << 4];
        if l.iloc_version < 2 {
            iloc.extend_from_slice(&u16::try_from(items.len()).unwrap().to_be_bytes());
        } else {
            iloc.extend_from_slice(&u32::try_from(items.len()).unwrap().to_be_bytes());
        }
        let (mut at_file, mut at_idat, mut idat) = (mdat_payload, 0u64, Vec::new());
        for it in items {
            if l.iloc_version < 2 {
                iloc.extend_from_slice(&it.id.to_be_bytes());
            } else {
                iloc.extend_from_slice(&u32::from(it.id).to_be_bytes());
            }
            if l.iloc_version >= 1 {
                iloc.extend_from_slice(&[0, u8::from(it.in_idat)]);
            }
            iloc.extend_from_slice(&[0, 0]); // data_reference_index
            let at = if it.in_idat {
                &mut at_idat
            } else {
                &mut at_file
            };
            let len = it.data.len() as u64;
            let extents: Vec<(u64, u64)> = if it.split {
                vec![(*at, 5), (*at + 5, len - 5)]
            } else {
                vec![(*at, len)]
            };
            // With a base offset, extents are relative to the item's start.
            let base = if l.base_size > 0 { *at } else { 0 };
            put(&mut iloc, l.base_size, base);
            iloc.extend_from_slice(&u16::try_from(extents.len()).unwrap().to_be_bytes());
            for (off, len) in extents {
                put(&mut iloc, l.offset_size, off - base);
                put(&mut iloc, l.length_size, len);
            }
            *at += len;
            if it.in_idat {
                idat.extend_from_slice(&it.data);
            }
        }
        let mut body = full(b"hdlr", 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0");
        body.extend(full(b"pitm", 0, &[0, 1]));
        body.extend(full(b"iinf", 0, &iinf));
        body.extend(full(b"iloc", l.iloc_version, &iloc));
        if !idat.is_empty() {
            body.extend(bx(b"idat", &idat));
        }
        for e in extra {
            body.extend_from_slice(e);
        }
        full(b"meta", 0, &body)
    }

    fn file(items: &[Item], l: Layout, extra_meta: &[Vec<u8>]) -> Vec<u8> {
        let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        let mdat_header = if l.large_mdat { 16 } else { 8 };
        let draft = meta(items, l, 0, extra_meta);
        let payload_at = (ftyp.len() + draft.len() + mdat_header) as u64;
        let meta = meta(items, l, payload_at, extra_meta);
        assert_eq!(meta.len(), draft.len());
        let data: Vec<u8> = items
            .iter()
            .filter(|i| !i.in_idat)
            .flat_map(|i| i.data.clone())
            .collect();
        let mut out = [ftyp, meta].concat();
        if l.mdat_to_end {
            out.extend_from_slice(&[0, 0, 0, 0]);
            out.extend_from_slice(b"mdat");
        } else if l.large_mdat {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(b"mdat");
            out.extend_from_slice(&(data.len() as u64 + 16).to_be_bytes());
        } else {
            out.extend_from_slice(&u32::try_from(data.len() + 8).unwrap().to_be_bytes());
            out.extend_from_slice(b"mdat");
        }
        out.extend_from_slice(&data);
        out
    }

    fn strip(input: &[u8], piece: usize) -> Result<Vec<u8>, String> {
        let mut s = HeicStripper::new();
        let mut out = Vec::new();
        for part in input.chunks(piece) {
            s.feed(part, &mut out).map_err(|e| e.to_string())?;
        }
        s.finish(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn find(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    }

    /// What a stripped file must look like: same length, picture in place, metadata gone, and
    /// the Exif and XMP items replaced by their empty forms.
    fn assert_stripped(original: &[u8], stripped: &[u8]) {
        assert_eq!(stripped.len(), original.len(), "nothing moves");
        assert!(!contains(stripped, b"GPS"), "no GPS left");
        assert!(!contains(stripped, b"Apple"));
        let pic = find(original, PICTURE);
        assert_eq!(&stripped[pic..pic + PICTURE.len()], PICTURE);
        let exif = find(original, GPS);
        let mut expected_exif = EMPTY_EXIF.to_vec();
        expected_exif.resize(GPS.len(), 0);
        assert_eq!(&stripped[exif..exif + GPS.len()], expected_exif.as_slice());
        let xmp = find(original, XMP);
        let mut expected_xmp = EMPTY_XMP.to_vec();
        expected_xmp.resize(XMP.len(), b' ');
        assert_eq!(&stripped[xmp..xmp + XMP.len()], expected_xmp.as_slice());
        // Every other byte is as it was.
        let changed: Vec<usize> = (0..original.len())
            .filter(|&i| original[i] != stripped[i])
            .collect();
        assert!(
            changed
                .iter()
                .all(|&i| (exif..exif + GPS.len()).contains(&i)
                    || (xmp..xmp + XMP.len()).contains(&i)),
            "only the metadata items changed"
        );
    }

    #[test]
    fn exif_and_xmp_items_are_emptied_in_place_whatever_the_piece_size() {
        let original = file(&items(false, false), PLAIN, &[]);
        for piece in [1, 2, 3, 7, 16, 64, original.len()] {
            assert_stripped(&original, &strip(&original, piece).unwrap());
        }
    }

    #[test]
    fn every_iloc_version_and_field_size_is_understood() {
        for (iloc_version, offset_size, length_size, base_size) in [
            (0, 4, 4, 0),
            (0, 8, 8, 8),
            (1, 4, 4, 4),
            (1, 8, 4, 0),
            (2, 4, 8, 8),
            (2, 8, 8, 0),
        ] {
            let l = Layout {
                iloc_version,
                offset_size,
                length_size,
                base_size,
                ..PLAIN
            };
            // Version 0 has no construction method: everything in mdat.
            let original = file(&items(false, iloc_version > 0), l, &[]);
            assert_stripped(&original, &strip(&original, 5).unwrap());
        }
        // offset_size 0: the base offset alone says where each (single-extent) item is.
        let mut its = items(false, false);
        its[0].split = false;
        let l = Layout {
            offset_size: 0,
            base_size: 8,
            ..PLAIN
        };
        let original = file(&its, l, &[]);
        assert_stripped(&original, &strip(&original, 9).unwrap());
    }

    #[test]
    fn a_split_exif_item_and_an_xmp_item_in_idat_are_emptied_too() {
        let original = file(&items(true, true), PLAIN, &[]);
        assert_stripped(&original, &strip(&original, 4).unwrap());
    }

    #[test]
    fn a_64_bit_or_to_the_end_mdat_is_followed() {
        for l in [
            Layout {
                large_mdat: true,
                ..PLAIN
            },
            Layout {
                mdat_to_end: true,
                ..PLAIN
            },
        ] {
            let original = file(&items(false, true), l, &[]);
            assert_stripped(&original, &strip(&original, 3).unwrap());
        }
    }

    #[test]
    fn boxes_that_may_hide_metadata_are_turned_into_zeroed_free_boxes() {
        let xml = full(b"xml ", 0, b"<where>the village well</where>");
        let udes = full(b"udes", 0, b"en\0village well\0\0\0");
        let iprp = bx(b"iprp", &bx(b"ipco", &udes));
        let original = {
            let mut f = file(&items(false, false), PLAIN, &[xml, iprp]);
            f.extend(bx(
                b"uuid",
                b"XMP-UUID-16BYTES<x:xmpmeta>village well</x:xmpmeta>",
            ));
            f.extend(bx(b"free", b"old village well"));
            f
        };
        assert!(contains(&original, b"village well"));
        let stripped = strip(&original, 11).unwrap();
        assert_eq!(stripped.len(), original.len());
        assert!(!contains(&stripped, b"village well"));
        assert!(!contains(&stripped, b"xml "));
        assert!(!contains(&stripped, b"udes"));
        assert!(!contains(&stripped, b"uuid"));
        assert!(contains(&stripped, PICTURE));
    }

    #[test]
    fn a_meta_box_that_runs_to_the_end_is_stripped_at_the_end() {
        // Everything in idat, meta with size 0.
        let its: Vec<Item> = items(true, false)
            .into_iter()
            .map(|mut i| {
                i.in_idat = true;
                i
            })
            .collect();
        let mut original = file(&its, PLAIN, &[]);
        // Drop the (empty) mdat and mark meta as running to the end.
        original.truncate(original.len() - 8);
        let meta_at = find(&original, b"meta") - 4;
        original[meta_at..meta_at + 4].copy_from_slice(&[0, 0, 0, 0]);
        assert_stripped(&original, &strip(&original, 6).unwrap());
    }

    #[test]
    fn what_cannot_be_stripped_safely_is_refused() {
        let good = file(&items(false, false), PLAIN, &[]);
        let refused = |bytes: &[u8], why: &str| {
            let err = strip(bytes, 7).unwrap_err();
            assert!(err.contains(why), "{why}: got {err}");
        };
        // Cut anywhere after the meta box: the picture or the mdat is incomplete.
        for cut in [good.len() - 1, good.len() - PICTURE.len(), 30] {
            refused(&good[..cut], "HEIC");
        }
        // mdat before meta.
        let meta_at = find(&good, b"meta") - 4;
        let mdat_at = find(&good, b"mdat") - 4;
        let mut swapped = good[..meta_at].to_vec();
        swapped.extend_from_slice(&good[mdat_at..]);
        swapped.extend_from_slice(&good[meta_at..mdat_at]);
        refused(&swapped, "before the meta box");
        // No meta at all.
        let mut no_meta = good[..meta_at].to_vec();
        no_meta.extend(bx(b"free", b"padding"));
        refused(&no_meta, "no meta box");
        // A meta box over 1 MiB.
        let big = file(
            &items(false, false),
            PLAIN,
            &[bx(b"free", &vec![0; 1024 * 1024])],
        );
        refused(&big, "larger than 1 MiB");
        // Construction method 2, and data in another file.
        let iloc_at = find(&good, b"iloc") + 4;
        // version 1, 2 bytes sizes, 2 bytes count, item 1: id(2), method(2), dref(2).
        let method = iloc_at + 4 + 2 + 2 + 2 + 1;
        let mut m2 = good.clone();
        m2[method] = 2;
        refused(&m2, "construction method 2");
        let mut dref = good.clone();
        dref[method + 2] = 1;
        refused(&dref, "another file");
        // Exif pointing into the picture.
        let mut its = items(false, false);
        its[1].data = PICTURE.to_vec();
        let mut shared = file(&its, PLAIN, &[]);
        let second_item = iloc_at + 4 + 4 + 8 + 2 * 8 + 6 + 2;
        let pic_at = u32::try_from(find(&shared, PICTURE)).unwrap().to_be_bytes();
        shared[second_item..second_item + 4].copy_from_slice(&pic_at);
        refused(&shared, "shares bytes");
        // A JPEG-coded item.
        let mut its = items(false, false);
        its[0].infe = infe(1, b"jpeg", b"");
        refused(&file(&its, PLAIN, &[]), "JPEG-coded");
        // A box size smaller than its header.
        let mut tiny = good.clone();
        tiny[mdat_at..mdat_at + 4].copy_from_slice(&[0, 0, 0, 4]);
        refused(&tiny, "smaller than its header");
        // Not a picture handler.
        let mut vide = good.clone();
        let pict = find(&vide, b"pict");
        vide[pict..pict + 4].copy_from_slice(b"vide");
        refused(&vide, "not a picture");
    }

    #[test]
    fn a_refused_stream_stays_refused() {
        let good = file(&items(false, false), PLAIN, &[]);
        let mut s = HeicStripper::new();
        let mut out = Vec::new();
        assert!(s.feed(b"\0\0\0\x08moov", &mut out).is_err());
        assert!(s.feed(&good, &mut out).is_err());
        assert!(s.finish(&mut out).is_err());
    }
}
