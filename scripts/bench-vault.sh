#!/usr/bin/env bash
# Vault sealing benchmark, in one run (DESIGN.md §7):
#  1. throughput of sealing (type check + SHA-256 + AES-256-GCM, the vault's SealingStream) a
#     10 MB file in 64 KiB pieces, release build, in CPU seconds like `openssl speed`, against
#     the limit `openssl speed` gives on this machine for AES-256-GCM and SHA-256 one after the other: 1 / (1/aes + 1/sha) at 16 KiB blocks. Budget: ratio >= 0.8.
#  2. peak memory (max RSS) of sealing a 100 MB file, streamed in 64 KiB pieces, minus a
#     baseline run of the same binary that only opens the vault. Budget: <= 4 MB (4096 KiB).
#  3. the same for a 100 MB HEIC with Exif GPS + XMP (heif-enc + exiftool, then a 100 MB mdat
#     appended), whose metadata is stripped while streaming; and for the worst case the HEIC
#     stripper accepts, the same file with its meta box padded to just under 1 MiB (buffered
#     whole). Needs libheif-examples and libimage-exiftool-perl.
# Usage: scripts/bench-vault.sh            (CARGO_TARGET_DIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --release -p huoshui-core --example vault_seal
bin="$target/release/examples/vault_seal"

# tmpfs when there is one, so that the figure is the vault's CPU cost, not the disk's.
work="$(mktemp -d /dev/shm/huoshui-bench.XXXXXX 2>/dev/null || mktemp -d)"
trap 'rm -rf "$work"' EXIT

make_pdf() { # size_in_bytes path
  { printf '%%PDF-1.7\n'; head -c "$(( $1 - 9 ))" /dev/urandom; } > "$2"
}
make_pdf 10000000 "$work/in-10MB.pdf"

openssl_rate() { # algorithm → bytes/s at 16 KiB blocks
  openssl speed -mr -evp "$1" -bytes 16384 -seconds 3 2>/dev/null | awk -F: '/^\+F:/ { print $NF }' | tail -n 1
}
aes=$(openssl_rate aes-256-gcm)
sha=$(openssl_rate sha256)
seal_json=$("$bin" seal "$work/in-10MB.pdf" "$work/data" 15)
seal=$(sed -E 's/.*"mb_per_s":([0-9.]+).*/\1/' <<<"$seal_json")
seal_file=$(sed -E 's/.*"mb_per_s_with_file":([0-9.]+).*/\1/' <<<"$seal_json")

rm -f "$work/in-10MB.pdf"
make_pdf 100000000 "$work/in-100MB.pdf"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }'; }
base_kib=$(rss "$bin" baseline "$work/data2")
seal_kib=$(rss "$bin" stream "$work/in-100MB.pdf" "$work/data2")
rm -f "$work/in-100MB.pdf"

# A 100 MB HEIC: a real photo with GPS, then a 100 MB mdat appended (valid: an unreferenced mdat).
for tool in heif-enc exiftool; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install libheif-examples libimage-exiftool-perl" >&2; exit 1; }
done
python3 - "$work/photo.y4m" <<'PY'
import sys
w, h = 640, 480
y = bytes((x * 3 + r * 2) % 256 for r in range(h) for x in range(w))
with open(sys.argv[1], "wb") as f:
    f.write(b"YUV4MPEG2 W%d H%d F25:1 Ip A1:1 C420jpeg\nFRAME\n" % (w, h) + y + bytes([128]) * (w * h // 2))
PY
heif-enc -q 50 -t 96 -o "$work/photo.heic" "$work/photo.y4m" >/dev/null
exiftool -q -overwrite_original -GPSLatitude=30.123456 -GPSLatitudeRef=N -GPSLongitude=103.654321 \
  -GPSLongitudeRef=E -Make=Apple -Model='iPhone 15' -DateTimeOriginal='2026:03:07 12:00:00' \
  -XMP-dc:Description='near the village well' "$work/photo.heic"
# The same photo with a free box of ~1 MiB inside meta (every file offset in iloc shifted).
python3 - "$work/photo.heic" "$work/photo-bigmeta.heic" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
def boxes(b, at, end):
    while at < end:
        size, kind = struct.unpack(">I4s", b[at:at + 8])
        yield kind, at, size
        at += size
meta_at, meta_size = next((a, s) for k, a, s in boxes(d, 0, len(d)) if k == b"meta")
pad = 1024 * 1024 - meta_size - 64
iloc_at = next(a for k, a, s in boxes(d, meta_at + 12, meta_at + meta_size) if k == b"iloc")
v = d[iloc_at + 8]; p = iloc_at + 12
off_size, len_size, base_size = d[p] >> 4, d[p] & 15, d[p + 1] >> 4
idx_size = d[p + 1] & 15 if v else 0
p += 2
count = struct.unpack(">H", d[p:p + 2])[0] if v < 2 else struct.unpack(">I", d[p:p + 4])[0]
p += 2 if v < 2 else 4
fmt = {4: ">I", 8: ">Q"}
def shift(pos, size):  # adds pad to a file offset field
    if size:
        struct.pack_into(fmt[size], d, pos, struct.unpack_from(fmt[size], d, pos)[0] + pad)
for _ in range(count):
    p += 2 if v < 2 else 4
    method = d[p + 1] & 15 if v else 0
    p += 2 if v else 0
    p += 2
    if method == 0 and base_size:
        shift(p, base_size)
    base_at = p; p += base_size
    n = struct.unpack(">H", d[p:p + 2])[0]; p += 2
    for _ in range(n):
        p += idx_size
        if method == 0 and not base_size:
            shift(p, off_size)
        p += off_size + len_size
end = meta_at + meta_size
struct.pack_into(">I", d, meta_at, meta_size + pad)
d[end:end] = struct.pack(">I4s", pad, b"free") + bytes(pad - 8)
open(sys.argv[2], "wb").write(d)
PY
for f in photo photo-bigmeta; do
  { cat "$work/$f.heic"; printf '\x05\xf5\xe1\x08mdat'; head -c 100000000 /dev/urandom; } > "$work/$f-100MB.heic"
done
heic_kib=$(rss "$bin" stream "$work/photo-100MB.heic" "$work/data3")
heic_meta_kib=$(rss "$bin" stream "$work/photo-bigmeta-100MB.heic" "$work/data4")
heic_bytes=$(stat -c %s "$work/photo-100MB.heic")

python3 - "$aes" "$sha" "$seal" "$base_kib" "$seal_kib" "$seal_file" "$heic_kib" "$heic_meta_kib" "$heic_bytes" <<'PY'
import sys
aes, sha, seal_mb, base, peak, seal_file = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
heic, heic_meta, heic_bytes = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
limit_mb = 1 / (1 / aes + 1 / sha) / 1e6
ratio = seal_mb / limit_mb
delta = peak - base
print(f"openssl aes-256-gcm (16 KiB)   {aes / 1e6:10.1f} MB/s")
print(f"openssl sha256      (16 KiB)   {sha / 1e6:10.1f} MB/s")
print(f"limit 1/(1/aes+1/sha)          {limit_mb:10.1f} MB/s")
print(f"vault seal, 10 MB file         {seal_mb:10.1f} MB/s")
print(f"ratio                          {ratio:10.2f}   (budget >= 0.80: {'PASS' if ratio >= 0.8 else 'FAIL'})")
print(f"  (for information: whole capture into a tmpfs vault folder, temp file + write + fsync + rename: {seal_file:.1f} MB/s, {seal_file / limit_mb:.2f} of the limit)")
print(f"max RSS baseline               {base:10d} KiB")
print(f"max RSS sealing 100 MB         {peak:10d} KiB")
print(f"above baseline                 {delta:10d} KiB (budget <= 4096 KiB: {'PASS' if delta <= 4096 else 'FAIL'})")
heic_delta, meta_delta = heic - base, heic_meta - base
print(f"max RSS sealing a {heic_bytes / 1e6:.0f} MB HEIC   {heic:10d} KiB, {heic_delta} KiB above baseline (budget <= 4096 KiB: {'PASS' if heic_delta <= 4096 else 'FAIL'})")
print(f"  the same, meta box ~1 MiB    {heic_meta:10d} KiB, {meta_delta} KiB above baseline (budget <= 4096 KiB: {'PASS' if meta_delta <= 4096 else 'FAIL'})")
sys.exit(0 if ratio >= 0.8 and max(delta, heic_delta, meta_delta) <= 4096 else 1)
PY
