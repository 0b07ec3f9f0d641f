#!/usr/bin/env bash
# Runs every test of Huoshui: the Rust workspace (core, CLI, server, bindings), the API fuzzer
# against a real platform, then the Kotlin tests on the JVM against the real library built by cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

# The HEIC tests (core/tests/vault_heic.rs) make real photos with libheif's heif-enc and read them
# back with exiftool and heif-info/heif-dec. Install them when missing (Debian, as root); under CI
# the tests fail instead of skipping if they are still missing.
heic_tools_present() {
  command -v heif-enc >/dev/null 2>&1 && command -v heif-info >/dev/null 2>&1 &&
    { command -v heif-dec >/dev/null 2>&1 || command -v heif-convert >/dev/null 2>&1; } &&
    command -v exiftool >/dev/null 2>&1
}
if ! heic_tools_present; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing libheif-examples and libimage-exiftool-perl (HEIC tests)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libheif-examples libimage-exiftool-perl >/dev/null
  else
    echo "warning: heif-enc/heif-info/heif-dec/exiftool missing; install libheif-examples and libimage-exiftool-perl, or the HEIC tests skip" >&2
  fi
fi
# The supervision page's browser tests (server/tests/admin_browser.rs) drive Debian's headless
# Chromium through its chromedriver, with CJK fonts so the Chinese page renders in screenshots.
browser_present() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"
}
if ! browser_present; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing chromium, chromium-driver and fonts-noto-cjk (supervision page browser tests)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver fonts-noto-cjk fontconfig >/dev/null
  else
    echo "warning: chromium/chromium-driver/fonts-noto-cjk missing; install them, or the browser tests skip" >&2
  fi
fi
# PostgreSQL for the storage seam's contract tests (issue 13, server/tests/repo_contract.rs):
# Debian's, on 127.0.0.1 with its own data folder under target/pg (scripts/pg.sh installs it
# when missing, as root), stopped when this script ends.
if pg_env="$(bash scripts/pg.sh start)"; then
  eval "$pg_env"
  trap 'bash scripts/pg.sh stop' EXIT
  export HUOSHUI_REQUIRE_PG=1
elif [ "${CI:-}" = true ]; then
  echo "error: PostgreSQL could not be started (scripts/pg.sh); see target/pg/server.log" >&2
  exit 1
else
  echo "warning: PostgreSQL could not be started; the PostgreSQL contract tests skip" >&2
fi
if [ "${CI:-}" = true ]; then
  export HUOSHUI_REQUIRE_HEIC_TOOLS=1
  export HUOSHUI_REQUIRE_BROWSER=1
fi

echo "== Rust: formatting (cargo fmt --check) and file length (800 lines outside tests)"
cargo fmt --all --check
bash scripts/check-file-length.sh

echo "== Rust: cargo test --workspace"
cargo test --workspace --locked --no-fail-fast

# Issue 13: the platform's own integration tests once more, every platform on a fresh schema of
# that PostgreSQL instead of its SQLite file (tests/common: HUOSHUI_TEST_BACKEND), and the CLI's
# two-node and copy tests, which run on PostgreSQL in either pass.
if [ -n "${HUOSHUI_TEST_PG_URL:-}" ]; then
  echo "== Rust: the platform's tests again on PostgreSQL (HUOSHUI_TEST_BACKEND=postgres)"
  HUOSHUI_TEST_BACKEND=postgres cargo test --locked --no-fail-fast -p huoshui-server --tests
fi

echo "== Rust: clippy (unwrap/expect/panic denied outside tests)"
cargo clippy --workspace --all-targets --locked -q -- -D warnings

echo "== Rust: unused dependencies (cargo machete)"
if ! command -v cargo-machete >/dev/null 2>&1; then
  cargo install --locked -q cargo-machete
fi
cargo machete

# The phone library's budget (DESIGN.md §7: stripped ≤ 6 MB, read as 6,000,000 bytes). Its own
# release-mobile build: about 4.5 CPU-minutes from clean (3–4 min on 2 cores), 1–2 min after a
# change in the core.
echo "== Phone library size (scripts/size-report.sh, release-mobile)"
bash scripts/size-report.sh

echo "== Platform API: schema-driven fuzzer against /v1/openapi.json"
bash scripts/api-fuzz.sh

if [ -f tests/kotlin/pom.xml ]; then
  echo "== Kotlin on the JVM: bindings (debug, with test hooks), the huoshui binary, mvn test"
  bash scripts/build-bindings.sh
  # the journey test starts the platform from target/debug/huoshui
  cargo build --locked -q -p huoshui --bin huoshui
  (cd tests/kotlin && mvn -B -ntp test)
fi

if [ -f android/ui/pom.xml ]; then
  # The screens of both apps (Compose for desktop, headless) against the library built above and
  # a real platform; screenshots of every tested state in target/screens/ (Noto CJK installed
  # above). Then the Android-only code that needs only the framework, against android-all.
  echo "== Compose screens on the JVM: android/ui (mvn test), android/app platform code (mvn compile)"
  (cd android/ui && mvn -B -ntp test -Dkotlin.compiler.daemon=false -Djava.awt.headless=true)
  bash scripts/android-app-check.sh
fi
