//! What the buffered `meta` box says about the file: which byte ranges are pictures (kept)
//! and which are metadata (overwritten, and with what); the `idat` and the boxes that may hide
//! metadata are scrubbed in place. Must never move a byte or let metadata share bytes with a
//! picture.

use super::boxes::{Child, ItemKind, Location, Reader, children, parse_iinf, parse_iloc};
use super::{EMPTY_EXIF, EMPTY_XMP, invalid};
use crate::vault::error::VaultError;
use std::collections::BTreeMap;

/// What is written over a metadata item's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fill {
    Exif,
    Xmp,
    Zero,
}

impl Fill {
    /// Overwrites `dst`, whose first byte is byte `logical` of the item.
    pub(super) fn apply(self, logical: u64, dst: &mut [u8]) {
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
pub(super) struct Span {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) fill: Fill,
    /// Offset of `start` within the item.
    pub(super) logical: u64,
}

/// What the `meta` box says about the rest of the file.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Metadata ranges in the file, sorted, not overlapping.
    pub(super) scrub: Vec<Span>,
    /// The first span not yet wholly passed.
    pub(super) next: usize,
    /// Picture ranges in the file, sorted and merged (`end == u64::MAX`: to the end).
    pub(super) keep: Vec<(u64, u64)>,
}

impl Plan {
    pub(super) fn overlaps_keep(&self, start: u64, end: u64) -> bool {
        let i = self.keep.partition_point(|&(_, e)| e <= start);
        self.keep.get(i).is_some_and(|&(s, _)| s < end)
    }
}

/// Renames a box to `free` and zeroes its payload.
pub(super) fn neutralise(buf: &mut [u8], b: Child) {
    if let Some(kind) = buf.get_mut(b.start + 4..b.start + 8) {
        kind.copy_from_slice(b"free");
    }
    if let Some(payload) = buf.get_mut(b.payload..b.end) {
        payload.fill(0);
    }
}

/// Sorts ranges and checks that none overlaps another (`end == u64::MAX`: to the end).
pub(super) fn sorted_disjoint(spans: &mut [Span]) -> Result<(), VaultError> {
    spans.sort_unstable_by_key(|s| s.start);
    if spans.windows(2).any(|w| w[0].end > w[1].start) {
        return Err(invalid("two metadata items share bytes"));
    }
    Ok(())
}

/// Sorts and merges ranges.
pub(super) fn merged(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
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
pub(super) fn plan_meta(
    buf: &mut [u8],
    header_len: usize,
    meta_start: u64,
) -> Result<Plan, VaultError> {
    let meta_end = meta_start.saturating_add(buf.len() as u64);
    let body = header_len
        .checked_add(4)
        .filter(|&b| b <= buf.len())
        .ok_or_else(|| invalid("meta box cut short"))?;
    let boxes = children(buf, body, buf.len())?;
    let parts = MetaParts::find(&boxes)?;
    let hdlr = parts.hdlr.ok_or_else(|| invalid("no hdlr box"))?;
    let mut r = Reader::new(buf, hdlr.payload, hdlr.end);
    r.bytes(8)?; // version, flags, pre_defined
    if &r.four()? != b"pict" {
        return Err(invalid("not a picture (hdlr)"));
    }
    let items = parse_iinf(buf, parts.iinf.ok_or_else(|| invalid("no iinf box"))?)?;
    let locations = parse_iloc(buf, parts.iloc.ok_or_else(|| invalid("no iloc box"))?)?;
    let Extents {
        mut keep,
        mut scrub,
        idat_keep,
        idat_scrub,
    } = Extents::sort(&items, &locations)?;
    if !idat_keep.is_empty() || !idat_scrub.is_empty() {
        let idat = parts
            .idat
            .ok_or_else(|| invalid("items in idat but no idat box"))?;
        scrub_idat(buf, idat, idat_keep, idat_scrub)?;
    }
    neutralise_extra_boxes(buf, &boxes)?;

    // The file ranges: all after meta, metadata never sharing bytes with a picture.
    sorted_disjoint(&mut scrub)?;
    keep = merged(keep);
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

/// The `meta` children the plan reads, each at most once.
#[derive(Default)]
struct MetaParts {
    hdlr: Option<Child>,
    iinf: Option<Child>,
    iloc: Option<Child>,
    idat: Option<Child>,
}

impl MetaParts {
    fn find(boxes: &[Child]) -> Result<MetaParts, VaultError> {
        let mut parts = MetaParts::default();
        for b in boxes {
            let slot = match &b.kind {
                b"hdlr" => &mut parts.hdlr,
                b"iinf" => &mut parts.iinf,
                b"iloc" => &mut parts.iloc,
                b"idat" => &mut parts.idat,
                _ => continue,
            };
            if slot.replace(*b).is_some() {
                return Err(invalid("a meta box appears twice"));
            }
        }
        Ok(parts)
    }
}

/// Every extent sorted into picture / metadata, in the file / in the `idat`.
#[derive(Default)]
struct Extents {
    keep: Vec<(u64, u64)>,
    scrub: Vec<Span>,
    idat_keep: Vec<(u64, u64)>,
    idat_scrub: Vec<Span>,
}

impl Extents {
    fn sort(
        items: &BTreeMap<u32, ItemKind>,
        locations: &[Location],
    ) -> Result<Extents, VaultError> {
        let mut out = Extents::default();
        for loc in locations {
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
                let span = Span {
                    start,
                    end,
                    fill,
                    logical,
                };
                match (kind == ItemKind::Picture, loc.in_idat) {
                    (true, false) => out.keep.push((start, end)),
                    (true, true) => out.idat_keep.push((start, end)),
                    (false, false) => out.scrub.push(span),
                    (false, true) => out.idat_scrub.push(span),
                }
                logical = logical.saturating_add(len);
            }
        }
        Ok(out)
    }
}

/// Checks the items stored in the `idat` and overwrites its metadata now.
fn scrub_idat(
    buf: &mut [u8],
    idat: Child,
    idat_keep: Vec<(u64, u64)>,
    mut idat_scrub: Vec<Span>,
) -> Result<(), VaultError> {
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
    Ok(())
}

/// Neutralises the `meta` children that may hold metadata and that no picture needs, and the
/// `udes` properties in `ipco`.
fn neutralise_extra_boxes(buf: &mut [u8], boxes: &[Child]) -> Result<(), VaultError> {
    for b in boxes {
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
    Ok(())
}
