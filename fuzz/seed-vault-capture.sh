#!/usr/bin/env bash
# Seeds for `cargo +nightly fuzz run vault_capture`: small real HEIC files made by libheif's
# heif-enc (plain, with a thumbnail, with two images) and the same with Exif GPS + XMP written by
# exiftool. Each seed is one byte (the piece size the target cuts the input into) + the file.
# Needs libheif-examples and libimage-exiftool-perl. Usage: fuzz/seed-vault-capture.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-corpus/vault_capture}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

y4m() { # width height seed path: a 4:2:0 frame with a gradient
  local w=$1 h=$2 s=$3
  {
    printf 'YUV4MPEG2 W%d H%d F25:1 Ip A1:1 C420jpeg\nFRAME\n' "$w" "$h"
    python3 -c "import sys; w,h,s=$w,$h,$s; sys.stdout.buffer.write(bytes((x*5+y*3+s)%256 for y in range(h) for x in range(w)) + bytes(128 for _ in range(w*h//2)))"
  } > "$4"
}
y4m 32 24 1 "$work/a.y4m"
y4m 16 16 90 "$work/b.y4m"
heif-enc -q 30 -o "$work/plain.heic" "$work/a.y4m" >/dev/null
heif-enc -q 30 -t 8 -o "$work/thumb.heic" "$work/a.y4m" >/dev/null
heif-enc -q 30 -o "$work/multi.heic" "$work/a.y4m" "$work/b.y4m" >/dev/null
for f in plain thumb multi; do
  cp "$work/$f.heic" "$work/$f-gps.heic"
  exiftool -q -overwrite_original -GPSLatitude=30.1 -GPSLatitudeRef=N -GPSLongitude=103.6 \
    -GPSLongitudeRef=E -Make=Apple -Model=iPhone -DateTimeOriginal='2026:03:07 12:00:00' \
    -XMP-dc:Description=well "$work/$f-gps.heic"
done
for f in "$work"/*.heic; do
  for piece in '\x07' '\x40'; do
    { printf "$piece"; cat "$f"; } > "$out/$(basename "$f" .heic)-$([ "$piece" = '\x07' ] && echo 7 || echo 64)"
  done
done
ls -la "$out"
