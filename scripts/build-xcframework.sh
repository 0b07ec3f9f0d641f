#!/usr/bin/env bash
# On a Mac with Xcode: builds the Huoshui static library for iPhone and the simulators with the
# phone profile (release-mobile) and packs it, with the C headers and modulemap UniFFI
# generates, into ios/HuoshuiFFI.xcframework for the Swift package in ios/ (binaryTarget).
# Then `cd ios && swift build` / open in Xcode. Not runnable on Linux (needs xcodebuild, lipo).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }

TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
PROFILE=release-mobile
rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios

# Swift bindings + headers (ios/Sources/*/Generated, ios/Generated/include)
bash scripts/build-bindings.sh

# shellcheck source=scripts/phone-env.sh
source scripts/phone-env.sh
for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  # the staticlib alone (no rlib), as scripts/size-report.sh measures it
  cargo rustc --locked -p huoshui-ffi --lib --crate-type staticlib --profile "$PROFILE" --target "$t"
done

WORK="$TARGET_DIR/xcframework"
rm -rf "$WORK" ios/HuoshuiFFI.xcframework
mkdir -p "$WORK/headers" "$WORK/sim"
cp ios/Generated/include/*.h "$WORK/headers/"
cp ios/Generated/include/module.modulemap "$WORK/headers/module.modulemap"
lipo -create \
  "$TARGET_DIR/aarch64-apple-ios-sim/$PROFILE/libhuoshui_ffi.a" \
  "$TARGET_DIR/x86_64-apple-ios/$PROFILE/libhuoshui_ffi.a" \
  -output "$WORK/sim/libhuoshui_ffi.a"

xcodebuild -create-xcframework \
  -library "$TARGET_DIR/aarch64-apple-ios/$PROFILE/libhuoshui_ffi.a" -headers "$WORK/headers" \
  -library "$WORK/sim/libhuoshui_ffi.a" -headers "$WORK/headers" \
  -output ios/HuoshuiFFI.xcframework
echo "ios/HuoshuiFFI.xcframework ready"
