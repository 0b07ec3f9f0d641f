#!/usr/bin/env bash
# The FFI benchmark from Kotlin on the JVM, in one run: calls/s of a trivial call, one market
# page of 20 offers (budget ≤ 1 ms), a 5 MB photo handed to the vault. Uses the phone profile
# (release-mobile) library; the figures are printed and left in tests/kotlin/target/bench-ffi.txt.
# The benchmarked library carries the test hooks (one of them is the smallest call measured;
# the Kotlin tests compiled alongside call the others): a few more exported functions, the same
# code for everything measured. scripts/size-report.sh rebuilds and measures it without them.
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

PROFILE=release-mobile HOOKS=1 bash scripts/build-bindings.sh >/dev/null

cd tests/kotlin
mvn -B -q test \
  -Dhuoshui.lib.dir="$TARGET_DIR/release-mobile" \
  -Dhuoshui.groups=bench -Dhuoshui.excluded=none \
  -Dsurefire.failIfNoSpecifiedTests=false
echo "== figures (tests/kotlin/target/bench-ffi.txt)"
cat target/bench-ffi.txt
