#!/usr/bin/env bash
# Vault sealing benchmark, in one run (DESIGN.md §7):
#  1. throughput of sealing (type check + SHA-256 + AES-256-GCM, the vault's SealingStream) a
#     10 MB file in 64 KiB pieces, release build, in CPU seconds like `openssl speed`, against
#     the limit `openssl speed` gives on this machine for AES-256-GCM and SHA-256 one after the other: 1 / (1/aes + 1/sha) at 16 KiB blocks. Budget: ratio >= 0.8.
#  2. peak memory (max RSS) of sealing a 100 MB file, streamed in 64 KiB pieces, minus a
#     baseline run of the same binary that only opens the vault. Budget: <= 4 MB (4096 KiB).
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

python3 - "$aes" "$sha" "$seal" "$base_kib" "$seal_kib" "$seal_file" <<'PY'
import sys
aes, sha, seal_mb, base, peak, seal_file = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
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
sys.exit(0 if ratio >= 0.8 and delta <= 4096 else 1)
PY
