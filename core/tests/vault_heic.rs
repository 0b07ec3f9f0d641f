//! HEIC photos through the vault, with real files: made here by libheif's `heif-enc`, given
//! GPS, camera and date metadata by `exiftool`, captured, exported, then read back by those
//! independent tools: `exiftool` must find no location, camera, dates or XMP, and `heif-info`
//! and `heif-convert` must see the same images and decode the same pixels.
//!
//! Needs Debian's `libheif-examples` and `libimage-exiftool-perl` (scripts/test.sh installs
//! them). Without them the tests say so and pass, unless `HUOSHUI_REQUIRE_HEIC_TOOLS` is set
//! (scripts/test.sh and CI set it), in which case they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::vault::{InstallKey, Media, SoftwareKeystore, Vault};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn open_vault(dir: &Path) -> Vault {
    let keystore =
        SoftwareKeystore::open_or_create(&dir.join("keys").join(SoftwareKeystore::FILE_NAME))
            .unwrap();
    let key = Arc::new(InstallKey::open_or_create(dir, &keystore).unwrap());
    Vault::open(dir, key).unwrap()
}

/// Whether the HEIC tools are here; false (after saying so) when they are not and not required.
fn tools_present() -> bool {
    let mut missing: Vec<&str> = ["heif-enc", "heif-info", "exiftool"]
        .into_iter()
        .filter(|tool| !on_path(tool))
        .collect();
    if !on_path("heif-dec") && !on_path("heif-convert") {
        missing.push("heif-dec");
    }
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "HEIC tools missing ({}): apt-get install libheif-examples libimage-exiftool-perl",
        missing.join(", ")
    );
    if std::env::var_os("HUOSHUI_REQUIRE_HEIC_TOOLS").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    false
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// libheif's decoder: `heif-dec` (libheif ≥ 1.17), `heif-convert` before.
fn heif_dec() -> Command {
    Command::new(if on_path("heif-dec") {
        "heif-dec"
    } else {
        "heif-convert"
    })
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A PNG test picture: gradients with some texture, different for each seed.
fn write_png(path: &Path, w: u32, h: u32, seed: u32) {
    let px: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            [
                (x * 3 + seed) as u8,
                (y * 2 + (x ^ y) % 17) as u8,
                ((x * y + seed * 31) % 251) as u8,
            ]
        })
        .collect();
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().unwrap();
    writer.write_image_data(&px).unwrap();
    writer.finish().unwrap();
}

/// Adds what an iPhone records: GPS position, camera, date, and XMP with a location too.
fn add_personal_metadata(path: &Path) {
    run(Command::new("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-GPSLatitude=30.123456",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=103.654321",
            "-GPSLongitudeRef=E",
            "-GPSAltitude=512",
            "-Make=Apple",
            "-Model=iPhone 15",
            "-DateTimeOriginal=2026:03:07 12:00:00",
            "-CreateDate=2026:03:07 12:00:00",
            "-XMP-dc:Description=farmhouse by the village well",
            "-XMP-photoshop:City=Guanxian",
            "-XMP-exif:GPSLatitude=30.123456 N",
            "-XMP-exif:GPSLongitude=103.654321 E",
        ])
        .arg(path));
}

/// Makes a HEIC from `inputs` (several: one file with several images) with `heif-enc` options.
fn heif_enc(dir: &Path, name: &str, inputs: &[(u32, u32)], options: &[&str]) -> PathBuf {
    let mut cmd = Command::new("heif-enc");
    cmd.args(options).arg("-q").arg("60");
    for (i, &(w, h)) in inputs.iter().enumerate() {
        let png = dir.join(format!("{name}-in{i}.png"));
        write_png(&png, w, h, i as u32 * 40 + 3);
        cmd.arg(png);
    }
    let out = dir.join(format!("{name}.heic"));
    run(cmd.arg("-o").arg(&out));
    out
}

/// `exiftool -j -G -a` of a file: "group:tag" → value.
fn exif_tags(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let json = run(Command::new("exiftool").args(["-j", "-G", "-a"]).arg(path));
    let mut list: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&json).unwrap();
    list.pop().unwrap()
}

/// What two independent readers find in a HEIC: `exiftool` on the file ("exiftool …" keys),
/// and `exiftool` on the Exif and XMP blocks that libheif extracts ("libheif …" keys; libheif
/// also reads items stored in idat, which this exiftool version does not).
fn tags_seen(heic: &Path, work: &Path) -> BTreeMap<String, serde_json::Value> {
    let mut seen: BTreeMap<String, serde_json::Value> = exif_tags(heic)
        .into_iter()
        .map(|(k, v)| (format!("exiftool {k}"), v))
        .collect();
    let dir = work.join(format!(
        "{}-metadata",
        heic.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    run(heif_dec()
        .args(["--quiet", "--with-exif", "--with-xmp", "--skip-exif-offset"])
        .arg(heic)
        .arg(dir.join("img.png")));
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "exif" || e == "xmp") {
            for (k, v) in exif_tags(&path) {
                seen.insert(format!("libheif {k}"), v);
            }
        }
    }
    seen
}

/// The tags a bank must not receive: any GPS tag, camera make/model, dates, any XMP.
fn personal_tags(tags: &BTreeMap<String, serde_json::Value>) -> Vec<String> {
    tags.keys()
        .filter(|k| {
            let name = k.split_once(' ').map_or(k.as_str(), |(_, n)| n);
            let (group, tag) = name.split_once(':').unwrap_or(("", name));
            group != "File"
                && (tag.contains("GPS")
                    || tag == "Make"
                    || tag == "Model"
                    || tag.contains("Date")
                    || group.starts_with("XMP"))
        })
        .cloned()
        .collect()
}

/// Reader warnings (a stripped file must not read worse than its original).
fn warnings(tags: &BTreeMap<String, serde_json::Value>) -> Vec<(String, serde_json::Value)> {
    tags.iter()
        .filter(|(k, _)| k.ends_with(":Warning"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Decodes every top-level image of a HEIC with libheif (`heif-dec`/`heif-convert`): (width, height, RGB(A) bytes).
fn decode_all(heic: &Path, out_dir: &Path) -> Vec<(u32, u32, Vec<u8>)> {
    std::fs::create_dir_all(out_dir).unwrap();
    run(heif_dec()
        .arg("--quiet")
        .arg(heic)
        .arg(out_dir.join("img.png")));
    let mut files: Vec<PathBuf> = std::fs::read_dir(out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let mut r = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()))
                .read_info()
                .unwrap();
            let mut buf = vec![0; r.output_buffer_size().unwrap()];
            let info = r.next_frame(&mut buf).unwrap();
            buf.truncate(info.buffer_size());
            (info.width, info.height, buf)
        })
        .collect()
}

/// Captures `original` through the vault in `piece`-byte chunks and exports it again.
fn capture_and_export(vault: &Vault, original: &Path, piece: usize, out: &Path) -> Vec<u8> {
    let bytes = std::fs::read(original).unwrap();
    let mut w = vault.create_document(DocumentKind::IdCardFront).unwrap();
    for part in bytes.chunks(piece) {
        w.write_chunk(part).unwrap();
    }
    let info = w.finish().unwrap();
    assert_eq!(info.media, Media::Heic);
    vault.export(info.id, out).unwrap();
    let exported = std::fs::read(out).unwrap();
    assert_eq!(info.size_bytes, exported.len() as u64);
    assert_eq!(
        exported.len(),
        bytes.len(),
        "stripping in place moves nothing"
    );
    exported
}

/// The checks every stripped photo must pass, against its original.
fn assert_clean_and_same_picture(original: &Path, exported: &Path, work: &Path) {
    let before = tags_seen(original, work);
    let names: Vec<&str> = before
        .keys()
        .filter_map(|k| k.rsplit_once(':').map(|(_, t)| t))
        .collect();
    for tag in [
        "GPSLatitude",
        "GPSLongitude",
        "Make",
        "Model",
        "DateTimeOriginal",
        "Description",
        "City",
    ] {
        assert!(names.contains(&tag), "the original has {tag}: {before:?}");
    }
    let after = tags_seen(exported, work);
    assert_eq!(
        personal_tags(&after),
        Vec::<String>::new(),
        "a reader still finds personal metadata: {after:?}"
    );
    assert_eq!(
        warnings(&after),
        warnings(&before),
        "no new reader warnings"
    );
    assert_eq!(
        after.get("exiftool File:FileType"),
        before.get("exiftool File:FileType")
    );
    // libheif sees the same images, thumbnails, sizes and items, and decodes the same pixels.
    let info = |p: &Path| run(Command::new("heif-info").arg(p));
    assert_eq!(info(exported), info(original));
    let a = decode_all(original, &work.join("decoded-original"));
    let b = decode_all(exported, &work.join("decoded-exported"));
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!(x == y, "decoded pixels differ ({}x{})", x.0, x.1);
    }
}

#[test]
fn a_heic_photo_loses_its_gps_camera_dates_and_xmp_but_decodes_to_the_same_pixels() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(&dir.path().join("data"));
    let original = heif_enc(dir.path(), "gps", &[(320, 240)], &[]);
    add_personal_metadata(&original);
    let raw = std::fs::read(&original).unwrap();
    assert!(raw.windows(9).any(|w| w == b"iPhone 15"));

    let out = dir.path().join("exported.heic");
    let exported = capture_and_export(&vault, &original, 4_096, &out);
    assert!(!exported.windows(9).any(|w| w == b"iPhone 15"));
    assert!(!exported.windows(8).any(|w| w == b"Guanxian"));
    assert_clean_and_same_picture(&original, &out, dir.path());
}

#[test]
fn a_heic_with_a_thumbnail_keeps_its_thumbnail_and_loses_its_metadata() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(&dir.path().join("data"));
    let original = heif_enc(dir.path(), "thumb", &[(256, 192)], &["-t", "64"]);
    add_personal_metadata(&original);
    let info = run(Command::new("heif-info").arg(&original));
    assert!(info.contains("thumbnail: 64x48"), "{info}");

    let out = dir.path().join("exported.heic");
    capture_and_export(&vault, &original, 1_000, &out);
    // heif-info of both is compared whole, so the thumbnail line is there after stripping too.
    assert_clean_and_same_picture(&original, &out, dir.path());
}

#[test]
fn a_heic_with_several_images_keeps_every_image() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(&dir.path().join("data"));
    let original = heif_enc(dir.path(), "multi", &[(200, 150), (120, 90), (64, 64)], &[]);
    add_personal_metadata(&original);
    let out = dir.path().join("exported.heic");
    capture_and_export(&vault, &original, 65_536, &out);
    assert_clean_and_same_picture(&original, &out, dir.path());
    assert_eq!(
        decode_all(&out, &dir.path().join("count")).len(),
        3,
        "three images"
    );
}

#[test]
fn a_heic_without_metadata_is_stored_byte_for_byte() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(&dir.path().join("data"));
    let original = heif_enc(dir.path(), "plain", &[(160, 120)], &["-t", "32"]);
    let tags = tags_seen(&original, dir.path());
    assert_eq!(personal_tags(&tags), Vec::<String>::new(), "{tags:?}");
    let out = dir.path().join("exported.heic");
    let exported = capture_and_export(&vault, &original, 333, &out);
    assert_eq!(exported, std::fs::read(&original).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Other layouts of the same real photo: iloc version 2 with 8-byte fields, a 64-bit mdat size,
// and the Exif item moved into the meta box's idat. Built here from a heif-enc + exiftool file
// (re-serialised: same items, same bytes, other places), checked to decode and to carry its
// metadata before it is captured.

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn read_sized(b: &[u8], at: &mut usize, size: u8) -> u64 {
    let v = match size {
        0 => 0,
        4 => u64::from(be_u32(b, *at)),
        8 => u64::from_be_bytes(b[*at..*at + 8].try_into().unwrap()),
        _ => panic!("size {size}"),
    };
    *at += usize::from(size);
    v
}

/// Top-level or child boxes of `b[from..to]`: (type, start, payload start, end). 32-bit sizes.
fn boxes(b: &[u8], from: usize, to: usize) -> Vec<([u8; 4], usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let size = be_u32(b, at) as usize;
        assert!(size >= 8, "the fixture uses 32-bit sizes");
        out.push((b[at + 4..at + 8].try_into().unwrap(), at, at + 8, at + size));
        at += size;
    }
    out
}

fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = u32::try_from(payload.len() + 8)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

/// Re-lays out a single-meta HEIC: iloc v2 with 8-byte offset/length/base, Exif items in
/// idat, every other item in one mdat with a 64-bit size.
fn relayout(original: &[u8]) -> Vec<u8> {
    let top = boxes(original, 0, original.len());
    let ftyp = &top.iter().find(|b| &b.0 == b"ftyp").unwrap();
    let meta = &top.iter().find(|b| &b.0 == b"meta").unwrap();
    let children = boxes(original, meta.2 + 4, meta.3);
    let child = |k: &[u8; 4]| children.iter().find(|b| &b.0 == k).copied();
    let idat_payload = child(b"idat").map(|b| (b.2, b.3));

    // Item types, from iinf (infe version 2: id u16).
    let iinf = child(b"iinf").unwrap();
    let version = original[iinf.2];
    let first = iinf.2 + 4 + if version == 0 { 2 } else { 4 };
    let mut types = BTreeMap::new();
    for infe in boxes(original, first, iinf.3) {
        let v = original[infe.2];
        assert!(v == 2, "fixture infe version {v}");
        let id = u32::from(u16::from_be_bytes([
            original[infe.2 + 4],
            original[infe.2 + 5],
        ]));
        types.insert(id, original[infe.2 + 8..infe.2 + 12].to_vec());
    }

    // Each item's bytes, from iloc.
    let iloc = child(b"iloc").unwrap();
    let b = original;
    let v = b[iloc.2];
    let mut at = iloc.2 + 4;
    let (off_size, len_size) = (b[at] >> 4, b[at] & 15);
    let (base_size, index_size) = (b[at + 1] >> 4, if v >= 1 { b[at + 1] & 15 } else { 0 });
    at += 2;
    let count = if v < 2 {
        at += 2;
        u32::from(u16::from_be_bytes([b[at - 2], b[at - 1]]))
    } else {
        at += 4;
        be_u32(b, at - 4)
    };
    let mut items: Vec<(u32, Vec<u8>)> = Vec::new();
    for _ in 0..count {
        let id = if v < 2 {
            at += 2;
            u32::from(u16::from_be_bytes([b[at - 2], b[at - 1]]))
        } else {
            at += 4;
            be_u32(b, at - 4)
        };
        let method = if v >= 1 {
            at += 2;
            b[at - 1] & 15
        } else {
            0
        };
        at += 2; // data reference index
        let base = read_sized(b, &mut at, base_size);
        let n = u16::from_be_bytes([b[at], b[at + 1]]);
        at += 2;
        let mut data = Vec::new();
        for _ in 0..n {
            read_sized(b, &mut at, index_size);
            let off = (base + read_sized(b, &mut at, off_size)) as usize;
            let len = read_sized(b, &mut at, len_size) as usize;
            let from = if method == 1 {
                idat_payload.unwrap().0 + off
            } else {
                off
            };
            data.extend_from_slice(&b[from..from + len]);
        }
        items.push((id, data));
    }

    // New places: Exif and what was in idat go to idat, the rest to mdat.
    let goes_to_idat = |id: u32| types.get(&id).is_some_and(|t| t == b"Exif" || t == b"grid");
    let build = |mdat_payload: u64| -> Vec<u8> {
        let mut iloc = vec![2, 0, 0, 0, 0x88, 0x80];
        iloc.extend_from_slice(&u32::try_from(items.len()).unwrap().to_be_bytes());
        let (mut at_idat, mut at_mdat, mut idat) = (0u64, mdat_payload, Vec::new());
        for (id, data) in &items {
            let in_idat = goes_to_idat(*id);
            iloc.extend_from_slice(&id.to_be_bytes());
            iloc.extend_from_slice(&[0, u8::from(in_idat), 0, 0]);
            let at = if in_idat { &mut at_idat } else { &mut at_mdat };
            iloc.extend_from_slice(&at.to_be_bytes()); // base offset
            iloc.extend_from_slice(&1u16.to_be_bytes());
            iloc.extend_from_slice(&0u64.to_be_bytes());
            iloc.extend_from_slice(&(data.len() as u64).to_be_bytes());
            *at += data.len() as u64;
            if in_idat {
                idat.extend_from_slice(data);
            }
        }
        let mut body = original[meta.2..meta.2 + 4].to_vec();
        for c in &children {
            match &c.0 {
                b"iloc" | b"idat" => {}
                _ => body.extend_from_slice(&original[c.1..c.3]),
            }
        }
        body.extend(boxed(b"iloc", &iloc));
        body.extend(boxed(b"idat", &idat));
        let mut out = original[ftyp.1..ftyp.3].to_vec();
        out.extend(boxed(b"meta", &body));
        out
    };
    let head_len = build(0).len() as u64;
    let mut out = build(head_len + 16);
    assert_eq!(out.len() as u64, head_len);
    let mdat: Vec<u8> = items
        .iter()
        .filter(|(id, _)| !goes_to_idat(*id))
        .flat_map(|(_, d)| d.clone())
        .collect();
    out.extend_from_slice(&[0, 0, 0, 1]);
    out.extend_from_slice(b"mdat");
    out.extend_from_slice(&(mdat.len() as u64 + 16).to_be_bytes());
    out.extend_from_slice(&mdat);
    out
}

#[test]
fn exif_in_idat_with_iloc_version_2_and_a_64_bit_mdat_is_stripped_too() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(&dir.path().join("data"));
    let made = heif_enc(dir.path(), "layout", &[(240, 180)], &["-t", "48"]);
    add_personal_metadata(&made);
    let original = dir.path().join("relaid.heic");
    std::fs::write(&original, relayout(&std::fs::read(&made).unwrap())).unwrap();
    // The re-laid file is a valid HEIC with the same pictures and the same metadata.
    assert_eq!(
        decode_all(&original, &dir.path().join("relaid-decoded")),
        decode_all(&made, &dir.path().join("made-decoded"))
    );
    let tags = tags_seen(&original, dir.path());
    assert_eq!(
        tags.get("libheif EXIF:Model"),
        Some(&"iPhone 15".into()),
        "{tags:?}"
    );

    let out = dir.path().join("exported.heic");
    capture_and_export(&vault, &original, 777, &out);
    assert_clean_and_same_picture(&original, &out, dir.path());
}
