#!/usr/bin/env bash
# Builds the Huoshui shared library with the phone profile (release-mobile: opt-level "z",
# full LTO, one codegen unit, stripped) for this machine and reports its size against the
# budget (≤ 6 MB). The Android .so files are built the same way for the android targets
# (16 KB page alignment comes from .cargo/config.toml); this host build is the figure CI can make.
# Honours CARGO_TARGET_DIR. Exit status 1 when over budget or when the test hooks are exported.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# 6 MB read the strict way: 6,000,000 bytes.
BUDGET_BYTES=6000000

# shellcheck source=scripts/phone-env.sh
source scripts/phone-env.sh
# Built with the crate types the phones take (cdylib for Android, staticlib for iOS) and not the
# `lib` (rlib) of Cargo.toml: with an rlib among its outputs, rustc keeps every public Rust item
# of the crate graph exported, so full LTO cannot drop the unused ones (about 1.1 MB more).
cargo rustc --locked -q -p huoshui-ffi --lib --crate-type cdylib,staticlib --profile release-mobile
case "$(uname -s)" in
  Darwin) LIB="$TARGET_DIR/release-mobile/libhuoshui_ffi.dylib" ;;
  *) LIB="$TARGET_DIR/release-mobile/libhuoshui_ffi.so" ;;
esac
STATIC="$TARGET_DIR/release-mobile/libhuoshui_ffi.a"

size_of() { wc -c <"$1" | tr -d ' '; }
LIB_BYTES=$(size_of "$LIB")
awk -v lib="$LIB" -v b="$LIB_BYTES" -v budget="$BUDGET_BYTES" 'BEGIN {
  printf "shared library (stripped, release-mobile): %s  %d bytes (%.2f MiB), budget %d bytes (6 MB)\n", lib, b, b / 1048576, budget }'
if [ -f "$STATIC" ]; then
  printf 'static library (iOS links this; not stripped of its object symbols): %d bytes\n' "$(size_of "$STATIC")"
fi
if command -v readelf >/dev/null 2>&1 && [ "$(uname -s)" != Darwin ]; then
  echo "LOAD segment alignment of this host build (android targets get 0x4000 from .cargo/config.toml):"
  readelf -lW "$LIB" | awk '/LOAD/ {print "  " $NF}' | sort -u
fi
# The test hooks (cargo feature test-hooks) must not be in what the apps ship.
if command -v nm >/dev/null 2>&1; then
  EXPORTS=$(nm -D --defined-only "$LIB" 2>/dev/null || nm -gU "$LIB")
  if grep -qE 'debug_force_panic|listener_count|debug_storage_full' <<<"$EXPORTS"; then
    echo "the release-mobile library exports test hooks (built with --features test-hooks?)" >&2
    exit 1
  fi
  echo "test hooks: not exported (checked with nm)"
fi
if [ "$LIB_BYTES" -gt "$BUDGET_BYTES" ]; then
  echo "OVER BUDGET" >&2
  exit 1
fi
echo "within budget"
