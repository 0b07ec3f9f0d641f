//! Benchmark helper for `scripts/bench-vault.sh` (release build): seals a file into a vault and
//! prints one JSON line with the throughput.
//!
//! - `vault_seal seal FILE DATA_DIR ROUNDS`: reads FILE into memory once, then seals it ROUNDS
//!   times in 64 KiB pieces (as a shell hands a photo over) and reports the best round in MB/s
//!   (10^6 bytes per second of process CPU time, as `openssl speed` counts): `mb_per_s` for the
//!   vault's sealing code (`SealingStream`: type check, SHA-256, AES-256-GCM, header) into a
//!   sink that drops the ciphertext, `mb_per_s_with_file` for the whole `Vault` capture into
//!   DATA_DIR (temp file, write, fsync, rename).
//! - `vault_seal stream FILE DATA_DIR`: seals FILE reading it in 64 KiB pieces (bounded
//!   memory: the peak RSS of this run is compared with `baseline`).
//! - `vault_seal baseline DATA_DIR`: opens the keys and the vault and seals nothing.
//! - `vault_seal fuzz-seed OUT`: writes a valid container for the `vault_container` fuzz target.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::vault::{InstallKey, Limits, SealingStream, SoftwareKeystore, Vault};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// CPU time of this process (user + system), in seconds. `openssl speed` measures CPU time
/// too, so both sides of the ratio are immune to other processes on a shared machine.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// A seekable sink that keeps only the length (the benchmark's stand-in for a file).
#[derive(Default)]
struct NullSink {
    pos: u64,
    len: u64,
}

impl std::io::Write for NullSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::hint::black_box(buf);
        self.pos += buf.len() as u64;
        self.len = self.len.max(self.pos);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for NullSink {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = match to {
            std::io::SeekFrom::Start(p) => p,
            std::io::SeekFrom::End(d) => self.len.checked_add_signed(d).unwrap(),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d).unwrap(),
        };
        Ok(self.pos)
    }
}

fn vault(dir: &Path) -> Vault {
    let keystore =
        SoftwareKeystore::open_or_create(&dir.join("keys").join(SoftwareKeystore::FILE_NAME))
            .unwrap();
    let key = Arc::new(InstallKey::open_or_create(dir, &keystore).unwrap());
    let no_limit = Limits {
        jpeg: u64::MAX,
        png: u64::MAX,
        heic: u64::MAX,
        pdf: u64::MAX,
    };
    Vault::open(dir, key).unwrap().with_limits(no_limit)
}

/// `seal FILE DATA_DIR ROUNDS`: the best round of sealing in memory and through the vault.
fn seal(args: &[String]) {
    let bytes = std::fs::read(&args[2]).unwrap();
    let v = vault(Path::new(&args[3]));
    let rounds: u32 = args[4].parse().unwrap();
    let key = Arc::new(InstallKey::from_bytes(&[3; 32]).unwrap());
    let no_limit = Limits {
        jpeg: u64::MAX,
        png: u64::MAX,
        heic: u64::MAX,
        pdf: u64::MAX,
    };
    let (mut best_mem, mut best_file) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        // The sealing itself (the vault's code: type check, SHA-256, AES-256-GCM, header)
        // into a sink that drops the ciphertext.
        let start = cpu_seconds();
        let mut s = SealingStream::new(
            NullSink::default(),
            key.clone(),
            DocumentKind::Other,
            no_limit,
        )
        .unwrap();
        for piece in bytes.chunks(64 * 1024) {
            s.write_chunk(piece).unwrap();
        }
        let (_, sink) = s.finish().unwrap();
        best_mem = best_mem.min(cpu_seconds() - start);
        assert!(sink.len > bytes.len() as u64);
        // The same through the vault folder: temp file, fsync, rename.
        let start = cpu_seconds();
        let mut w = v.create_document(DocumentKind::Other).unwrap();
        for piece in bytes.chunks(64 * 1024) {
            w.write_chunk(piece).unwrap();
        }
        let info = w.finish().unwrap();
        best_file = best_file.min(cpu_seconds() - start);
        v.delete(info.id).unwrap();
    }
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{{\"bytes\":{},\"mb_per_s\":{:.1},\"mb_per_s_with_file\":{:.1}}}",
        bytes.len(),
        mb / best_mem,
        mb / best_file
    );
}

/// `stream FILE DATA_DIR`: seals a file read in 64 KiB pieces (bounded memory).
fn stream(args: &[String]) {
    let v = vault(Path::new(&args[3]));
    let mut file = std::fs::File::open(&args[2]).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = v.create_document(DocumentKind::Other).unwrap();
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        w.write_chunk(&buf[..n]).unwrap();
    }
    let info = w.finish().unwrap();
    println!("{{\"sealed_bytes\":{}}}", info.size_bytes);
}

/// `parts`: where the time goes: ring's AES-256-GCM and SHA-256 alone, and the pipeline.
fn parts() {
    // Where the time goes: ring's AES-256-GCM and SHA-256 alone on 64 KiB buffers.
    let mut buf = vec![7u8; 64 * 1024];
    let n = 2000;
    let key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &[1; 32]).unwrap(),
    );
    let start = cpu_seconds();
    for i in 0..n {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&(i as u32).to_be_bytes());
        let tag = key.seal_in_place_separate_tag(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::empty(),
            &mut buf,
        );
        let _ = std::hint::black_box(tag);
    }
    let aes = (n * buf.len()) as f64 / (cpu_seconds() - start) / 1e6;
    let start = cpu_seconds();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for _ in 0..n {
        ctx.update(&buf);
    }
    let _ = ctx.finish();
    let sha = (n * buf.len()) as f64 / (cpu_seconds() - start) / 1e6;
    // The sealing pipeline without the file: copy in, hash, encrypt, discard.
    let input = vec![9u8; 64 * 1024];
    let start = cpu_seconds();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut sink = Vec::with_capacity(64 * 1024 + 16);
    for i in 0..n {
        sink.clear();
        sink.extend_from_slice(&input);
        ctx.update(&sink);
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&(i as u32).to_be_bytes());
        let tag = key
            .seal_in_place_separate_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::empty(),
                &mut sink,
            )
            .unwrap();
        let _ = std::hint::black_box(tag);
    }
    let _ = ctx.finish();
    let pipeline = (n * input.len()) as f64 / (cpu_seconds() - start) / 1e6;
    println!(
        "{{\"ring_aes_gcm_mb_per_s\":{aes:.1},\"ring_sha256_mb_per_s\":{sha:.1},\"pipeline_without_file_mb_per_s\":{pipeline:.1}}}"
    );
}

/// `fuzz-seed OUT`: a valid container for the `vault_container` fuzz target.
fn fuzz_seed(args: &[String]) {
    // A valid container sealed with the fuzz target's fixed key, as a seed for
    // `cargo fuzz run vault_container`.
    let key = Arc::new(InstallKey::from_bytes(&[0x42; 32]).unwrap());
    let mut doc = b"%PDF-1.4\n".to_vec();
    doc.extend((0..70_000u32).map(|i| (i % 251) as u8));
    let mut s = SealingStream::new(
        std::io::Cursor::new(Vec::new()),
        key,
        DocumentKind::Other,
        Limits::default(),
    )
    .unwrap();
    s.write_chunk(&doc).unwrap();
    let (_, sink) = s.finish().unwrap();
    std::fs::write(&args[2], sink.into_inner()).unwrap();
}

/// `baseline DATA_DIR`: opens the keys and the vault and seals nothing.
fn baseline(args: &[String]) {
    let v = vault(Path::new(&args[2]));
    println!("{{\"documents\":{}}}", v.list().unwrap().len());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("seal") => seal(&args),
        Some("stream") => stream(&args),
        Some("parts") => parts(),
        Some("fuzz-seed") => fuzz_seed(&args),
        Some("baseline") => baseline(&args),
        _ => {
            eprintln!(
                "usage: vault_seal seal FILE DATA_DIR ROUNDS | stream FILE DATA_DIR | baseline DATA_DIR"
            );
            std::process::exit(2);
        }
    }
}
