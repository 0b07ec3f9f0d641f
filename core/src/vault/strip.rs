//! Streaming metadata strippers for JPEG and PNG, and the dispatch to the HEIC one.
//!
//! Owns the removal of location and other metadata before a photo is encrypted; never buffers
//! more than a few bytes of state (the input is passed through as it arrives), never decodes
//! pixels.
//!
//! - JPEG: removes APP1–APP13 and APP15 (EXIF with GPS, XMP, ICC, Photoshop IRB, MPF …) and COM
//!   segments before the first scan. Keeps APP0 (JFIF) and APP14 (Adobe, which tells a decoder
//!   the colour transform). Everything from the first SOS marker on (entropy-coded data, later
//!   scans, EOI) is passed through unchanged: metadata segments do not occur there in practice.
//! - PNG: removes `tEXt`, `zTXt`, `iTXt`, `eXIf` and `tIME` chunks; every other chunk is kept
//!   byte for byte (CRC included).
//! - HEIC/HEIF: Exif, XMP and other non-picture items are overwritten in place; see
//!   [`super::heic`] (it holds the `meta` box, at most 1 MiB, and nothing else).
//! - PDF is stored as it is (see the module doc of [`crate::vault`]).

use super::error::VaultError;
use super::heic::HeicStripper;

fn invalid(reason: &str) -> VaultError {
    VaultError::InvalidImage {
        reason: reason.to_owned(),
    }
}

/// A streaming stripper: `feed` input, get the kept bytes appended to `out`.
#[derive(Debug)]
pub(crate) enum Stripper {
    Jpeg(JpegStripper),
    Png(PngStripper),
    Heic(HeicStripper),
}

impl Stripper {
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), VaultError> {
        match self {
            Stripper::Jpeg(s) => s.feed(input, out),
            Stripper::Png(s) => s.feed(input, out),
            Stripper::Heic(s) => s.feed(input, out),
        }
    }

    /// The input is complete: checks that the file ended where it may, and appends what was
    /// still held back (only HEIC holds anything: a `meta` box that runs to the end).
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), VaultError> {
        match self {
            Stripper::Jpeg(s) => s.finish(),
            Stripper::Png(s) => s.finish(),
            Stripper::Heic(s) => s.finish(out),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JpegState {
    /// Bytes of the SOI marker seen so far.
    Soi(u8),
    /// Expecting the 0xFF that starts a marker.
    Marker,
    /// Seen 0xFF, expecting the marker code (more 0xFF are fill bytes).
    Code,
    LenHi {
        code: u8,
    },
    LenLo {
        code: u8,
        hi: u8,
    },
    Body {
        remaining: usize,
        keep: bool,
        then_scan: bool,
    },
    /// From the first SOS on: pass everything through.
    Scan,
}

/// Removes APPn (except APP0/APP14) and COM segments from a JPEG stream.
#[derive(Debug)]
pub(crate) struct JpegStripper {
    state: JpegState,
}

impl JpegStripper {
    pub(crate) fn new() -> JpegStripper {
        JpegStripper {
            state: JpegState::Soi(0),
        }
    }

    fn keeps(code: u8) -> bool {
        !matches!(code, 0xE1..=0xED | 0xEF | 0xFE)
    }

    pub(crate) fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), VaultError> {
        while let Some((&b, rest)) = input.split_first() {
            match self.state {
                JpegState::Scan => {
                    out.extend_from_slice(input);
                    return Ok(());
                }
                JpegState::Body {
                    remaining,
                    keep,
                    then_scan,
                } => {
                    let n = remaining.min(input.len());
                    let (body, rest) = input.split_at(n);
                    if keep {
                        out.extend_from_slice(body);
                    }
                    input = rest;
                    let remaining = remaining - n;
                    self.state = if remaining > 0 {
                        JpegState::Body {
                            remaining,
                            keep,
                            then_scan,
                        }
                    } else if then_scan {
                        JpegState::Scan
                    } else {
                        JpegState::Marker
                    };
                    continue;
                }
                JpegState::Soi(seen) => {
                    let expected = if seen == 0 { 0xFF } else { 0xD8 };
                    if b != expected {
                        return Err(invalid("JPEG does not start with SOI"));
                    }
                    out.push(b);
                    self.state = if seen == 0 {
                        JpegState::Soi(1)
                    } else {
                        JpegState::Marker
                    };
                }
                JpegState::Marker => {
                    if b != 0xFF {
                        return Err(invalid("JPEG segment does not start with a marker"));
                    }
                    self.state = JpegState::Code;
                }
                JpegState::Code => match b {
                    0xFF => {}
                    0x00 | 0xD8 => return Err(invalid("unexpected JPEG marker")),
                    0x01 | 0xD0..=0xD7 => {
                        out.extend_from_slice(&[0xFF, b]);
                        self.state = JpegState::Marker;
                    }
                    0xD9 => {
                        out.extend_from_slice(&[0xFF, b]);
                        self.state = JpegState::Scan;
                    }
                    code => self.state = JpegState::LenHi { code },
                },
                JpegState::LenHi { code } => self.state = JpegState::LenLo { code, hi: b },
                JpegState::LenLo { code, hi } => {
                    let len = usize::from(u16::from_be_bytes([hi, b]));
                    if len < 2 {
                        return Err(invalid("JPEG segment length below 2"));
                    }
                    let keep = Self::keeps(code);
                    if keep {
                        out.extend_from_slice(&[0xFF, code, hi, b]);
                    }
                    let then_scan = code == 0xDA;
                    let remaining = len - 2;
                    self.state = if remaining > 0 {
                        JpegState::Body {
                            remaining,
                            keep,
                            then_scan,
                        }
                    } else if then_scan {
                        JpegState::Scan
                    } else {
                        JpegState::Marker
                    };
                }
            }
            input = rest;
        }
        Ok(())
    }

    pub(crate) fn finish(&self) -> Result<(), VaultError> {
        if self.state == JpegState::Scan {
            Ok(())
        } else {
            Err(invalid("JPEG ends before its image data"))
        }
    }
}

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const PNG_DROPPED: [&[u8; 4]; 5] = [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PngState {
    Signature(usize),
    /// Collecting the 8-byte chunk header (length + type).
    Header {
        buf: [u8; 8],
        have: usize,
    },
    /// Data + CRC of the current chunk.
    Body {
        remaining: u64,
        keep: bool,
    },
    /// After IEND: anything more is passed through (decoders ignore it).
    Trailer,
}

/// Removes text, eXIf and tIME chunks from a PNG stream.
#[derive(Debug)]
pub(crate) struct PngStripper {
    state: PngState,
    after_iend: bool,
}

impl PngStripper {
    pub(crate) fn new() -> PngStripper {
        PngStripper {
            state: PngState::Signature(0),
            after_iend: false,
        }
    }

    pub(crate) fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), VaultError> {
        while !input.is_empty() {
            match self.state {
                PngState::Trailer => {
                    out.extend_from_slice(input);
                    return Ok(());
                }
                PngState::Signature(have) => {
                    let Some((&b, rest)) = input.split_first() else {
                        break;
                    };
                    if PNG_SIGNATURE.get(have) != Some(&b) {
                        return Err(invalid("PNG signature"));
                    }
                    out.push(b);
                    input = rest;
                    let have = have + 1;
                    self.state = if have == PNG_SIGNATURE.len() {
                        PngState::Header {
                            buf: [0; 8],
                            have: 0,
                        }
                    } else {
                        PngState::Signature(have)
                    };
                }
                PngState::Header { mut buf, have } => {
                    let n = (8 - have).min(input.len());
                    let (part, rest) = input.split_at(n);
                    if let Some(dst) = buf.get_mut(have..have + n) {
                        dst.copy_from_slice(part);
                    }
                    input = rest;
                    let have = have + n;
                    if have < 8 {
                        self.state = PngState::Header { buf, have };
                        continue;
                    }
                    let [l0, l1, l2, l3, t0, t1, t2, t3] = buf;
                    let len = u32::from_be_bytes([l0, l1, l2, l3]);
                    if len > 0x7FFF_FFFF {
                        return Err(invalid("PNG chunk length out of range"));
                    }
                    let kind = [t0, t1, t2, t3];
                    let keep = !PNG_DROPPED.iter().any(|d| **d == kind);
                    if keep {
                        out.extend_from_slice(&buf);
                    }
                    if &kind == b"IEND" {
                        self.after_iend = true;
                    }
                    self.state = PngState::Body {
                        remaining: u64::from(len) + 4,
                        keep,
                    };
                }
                PngState::Body { remaining, keep } => {
                    let n = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    let (body, rest) = input.split_at(n);
                    if keep {
                        out.extend_from_slice(body);
                    }
                    input = rest;
                    let remaining = remaining - n as u64;
                    self.state = if remaining > 0 {
                        PngState::Body { remaining, keep }
                    } else if self.after_iend {
                        PngState::Trailer
                    } else {
                        PngState::Header {
                            buf: [0; 8],
                            have: 0,
                        }
                    };
                }
            }
        }
        Ok(())
    }

    pub(crate) fn finish(&self) -> Result<(), VaultError> {
        if self.state == PngState::Trailer {
            Ok(())
        } else {
            Err(invalid("PNG ends before its IEND chunk"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip_in_pieces(mut s: Stripper, input: &[u8], piece: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        for part in input.chunks(piece) {
            s.feed(part, &mut out).map_err(|e| e.to_string())?;
        }
        s.finish(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn jpeg_comment_and_exif_go_whatever_the_piece_size() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x04, b'J', b'F']);
        jpeg.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x06, b'G', b'P', b'S', b'!']);
        jpeg.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x05, b'h', b'i', b'!']);
        jpeg.extend_from_slice(&[0xFF, 0xFF, 0xDA, 0x00, 0x03, 0x01, 0x12, 0x34, 0xFF, 0xD9]);
        let expected: Vec<u8> = [
            &[0xFF, 0xD8][..],
            &[0xFF, 0xE0, 0x00, 0x04, b'J', b'F'],
            &[0xFF, 0xDA, 0x00, 0x03, 0x01, 0x12, 0x34, 0xFF, 0xD9],
        ]
        .concat();
        for piece in [1, 2, 3, 7, 1000] {
            assert_eq!(
                strip_in_pieces(Stripper::Jpeg(JpegStripper::new()), &jpeg, piece),
                Ok(expected.clone())
            );
        }
    }

    #[test]
    fn a_jpeg_cut_before_its_image_data_is_refused() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 1, 2];
        assert!(strip_in_pieces(Stripper::Jpeg(JpegStripper::new()), &jpeg, 3).is_err());
    }
}
