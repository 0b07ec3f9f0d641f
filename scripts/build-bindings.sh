#!/usr/bin/env bash
# Builds the Huoshui core as a shared library for this machine and generates the Kotlin and
# Swift bindings from it (UniFFI library mode):
#   Kotlin -> android/core/generated/uniffi/   (compiled by the Android library module and by tests/kotlin)
#   Swift  -> ios/Sources/Huoshui/Generated/*.swift (both crates' Swift, compiled as one Swift module)
#             ios/Generated/include/           (C headers + modulemaps, packed into the XCFramework)
# Generated files are not committed. Honours CARGO_TARGET_DIR; PROFILE=release-mobile builds the phone profile.
#
# Test hooks (listener counts, forced panics, a simulated full disk: cargo feature `test-hooks`)
# are in the debug library the JVM tests load, and left out of PROFILE=release-mobile, which is
# what the apps ship and what scripts/size-report.sh measures. HOOKS=1 or HOOKS=0 overrides
# (scripts/bench-kotlin.sh uses release-mobile with HOOKS=1, since its tests call a hook).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${PROFILE:-dev}"
case "$PROFILE" in
  dev) HOOKS="${HOOKS:-1}" ;;
  *) HOOKS="${HOOKS:-0}" ;;
esac
FEATURES=()
if [ "$HOOKS" = 1 ]; then FEATURES=(--features test-hooks); fi
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
case "$PROFILE" in
  dev) OUT_DIR="$TARGET_DIR/debug" ;;
  *) OUT_DIR="$TARGET_DIR/$PROFILE" ;;
esac
case "$(uname -s)" in
  Darwin) LIB="$OUT_DIR/libhuoshui_ffi.dylib" ;;
  *) LIB="$OUT_DIR/libhuoshui_ffi.so" ;;
esac

# 1. the generator (same UniFFI version as the library; pinned in the workspace Cargo.toml)
cargo build --locked -q -p huoshui-ffi --features cli --bin uniffi-bindgen
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"

# 2. the library itself (after the generator, so the cdylib left in place is this one); the phone
#    profile gets the phone's SQLite options (scripts/phone-env.sh)
if [ "$PROFILE" = release-mobile ]; then
  # shellcheck source=scripts/phone-env.sh
  source scripts/phone-env.sh
fi
if [ "$PROFILE" = dev ]; then
  cargo build --locked -q -p huoshui-ffi --lib --profile "$PROFILE" "${FEATURES[@]}"
else
  # only the phones' crate types: without the rlib, LTO drops what the FFI never reaches
  # (the reason is in scripts/size-report.sh)
  cargo rustc --locked -q -p huoshui-ffi --lib --crate-type cdylib,staticlib --profile "$PROFILE" "${FEATURES[@]}"
fi

# 3. the bindings
KOTLIN_OUT=android/core/generated/uniffi
SWIFT_OUT=ios/Generated/include
rm -rf "$KOTLIN_OUT" ios/Generated ios/Sources/Huoshui/Generated
mkdir -p "$KOTLIN_OUT" "$SWIFT_OUT" ios/Sources/Huoshui/Generated
# UniFFI reads its metadata from the symbol table, which the stripped phone library no longer
# has: for the phone profile it reads the static library built beside it (same code, same name).
META_LIB="$LIB"
if [ "$PROFILE" != dev ]; then META_LIB="$OUT_DIR/libhuoshui_ffi.a"; fi
"$BINDGEN" generate --library "$META_LIB" --language kotlin --out-dir "$KOTLIN_OUT" --no-format
"$BINDGEN" generate --library "$META_LIB" --language swift --out-dir "$SWIFT_OUT" --no-format
mv "$SWIFT_OUT/Huoshui.swift" ios/Sources/Huoshui/Generated/
# UniFFI's Swift for several crates is meant to be compiled into one module (its helpers are
# fileprivate; the FFI file uses the view models without an import).
mv "$SWIFT_OUT/HuoshuiModels.swift" ios/Sources/Huoshui/Generated/
# one modulemap for the XCFramework's Headers folder, naming both C modules
for m in "$SWIFT_OUT"/huoshui_*FFI.modulemap; do cat "$m"; echo; done > "$SWIFT_OUT/module.modulemap"

echo "library: $LIB (test hooks: $([ "$HOOKS" = 1 ] && echo on || echo off))"
echo "kotlin:  $KOTLIN_OUT ($(find "$KOTLIN_OUT" -name '*.kt' | wc -l) files)"
echo "swift:   ios/Sources/Huoshui/Generated ($(find ios/Sources/Huoshui/Generated -name '*.swift' | wc -l) files), headers in $SWIFT_OUT"
