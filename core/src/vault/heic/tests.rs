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
            .all(|&i| (exif..exif + GPS.len()).contains(&i) || (xmp..xmp + XMP.len()).contains(&i)),
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
