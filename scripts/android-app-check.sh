#!/usr/bin/env bash
# Compiles the Android app's code that needs only the framework and androidx's lifecycle
# (android/app/pom.xml): Robolectric's android-all and the lifecycle/savedstate AARs, all from
# Maven Central. Maven copies the AARs (it cannot follow their dependencies nor unpack an AAR),
# the JDK's jar tool takes out each one's classes.jar, then Maven compiles against them.
# Needs the generated Kotlin bindings (scripts/build-bindings.sh).
set -euo pipefail
cd "$(dirname "$0")/../android/app"
mvn -B -ntp -q dependency:copy@androidx-aars
for aar in target/androidx/*.aar; do
  dir="${aar%.aar}"
  mkdir -p "$dir"
  (cd "$dir" && jar xf "../$(basename "$aar")" classes.jar)
done
mvn -B -ntp -q compile -Dkotlin.compiler.daemon=false
