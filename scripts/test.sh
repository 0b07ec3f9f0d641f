#!/usr/bin/env bash
# Runs every test of Huoshui: the Rust workspace (core, CLI, server, bindings), the API fuzzer
# against a real platform, then the Kotlin tests on the JVM against the real library built by cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: cargo test --workspace"
cargo test --workspace --locked --no-fail-fast

echo "== Rust: clippy (unwrap/expect/panic denied outside tests)"
cargo clippy --workspace --all-targets --locked -q -- -D warnings

echo "== Platform API: schema-driven fuzzer against /v1/openapi.json"
bash scripts/api-fuzz.sh

if [ -f tests/kotlin/pom.xml ]; then
  echo "== Kotlin on the JVM: bindings + mvn test"
  bash scripts/build-bindings.sh
  (cd tests/kotlin && mvn -B -ntp test)
fi
