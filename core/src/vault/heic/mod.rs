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

//!
//! Rooms: [`boxes`] (reading the few boxes parsed), [`plan`] (what the `meta` box says to
//! overwrite, and the overwriting); the streaming state machine lives here.

mod boxes;
mod plan;
#[cfg(test)]
mod tests;

use super::error::VaultError;
use plan::{Plan, plan_meta};
use zeroize::Zeroizing;

/// The largest `meta` box accepted (buffered whole). A phone's is a few KiB.
pub(crate) const META_LIMIT: u64 = 1024 * 1024;
/// The largest `ftyp` box accepted (a list of brands).
const FTYP_LIMIT: u64 = 4096;
/// At most this many items, extents and boxes inside `meta` (bounds the memory of the plan).
pub(super) const COUNT_LIMIT: usize = 20_000;

/// What an `Exif` item becomes: offset 0 to the TIFF header, "MM", 42, IFD0 at 8, no entries,
/// no next IFD.
pub(super) const EMPTY_EXIF: [u8; 18] = [
    0, 0, 0, 0, b'M', b'M', 0, 0x2A, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0,
];
/// What an XMP item becomes (padded with spaces, as XMP packets are).
pub(super) const EMPTY_XMP: &[u8] = b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";

/// Item types that are pictures (coded or derived) and are kept byte for byte.
pub(super) const PICTURE_TYPES: [&[u8; 4]; 14] = [
    b"hvc1", b"hev1", b"av01", b"avc1", b"vvc1", b"evc1", b"j2k1", b"unci", b"grid", b"iden",
    b"iovl", b"tmap", b"hvt1", b"lhv1",
];

pub(super) fn invalid(reason: &str) -> VaultError {
    VaultError::InvalidImage {
        reason: format!("HEIC: {reason}"),
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
