#!/usr/bin/env bash
# Sourced by the scripts that build the library the phones ship (size-report.sh, the release-mobile
# builds of build-bindings.sh and build-xcframework.sh, bench-kotlin.sh): the workspace's SQLite
# options from .cargo/config.toml, plus -DSQLITE_OMIT_JSON (the phone never uses SQL JSON
# functions; only the platform's supervision counters do). An environment variable set here
# wins over the [env] table of .cargo/config.toml.
HUOSHUI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HUOSHUI_SQLITE_FLAGS=$(sed -n 's/^LIBSQLITE3_FLAGS = "\(.*\)"$/\1/p' "$HUOSHUI_ROOT/.cargo/config.toml")
if [ -z "$HUOSHUI_SQLITE_FLAGS" ]; then
  echo "scripts/phone-env.sh: LIBSQLITE3_FLAGS not found in .cargo/config.toml" >&2
  return 1 2>/dev/null || exit 1
fi
export LIBSQLITE3_FLAGS="$HUOSHUI_SQLITE_FLAGS -DSQLITE_OMIT_JSON"
