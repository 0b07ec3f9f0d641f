// Huoshui for Android: `:core` is the library over the Rust core (plain Kotlin + the generated
// UniFFI bindings + the .so files), `:app` the thin Compose app.
// Before building: `bash scripts/build-bindings.sh` (Kotlin bindings) and
// `cargo ndk -t arm64-v8a -t x86_64 -o android/core/src/main/jniLibs build -p huoshui-ffi --profile release-mobile`.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "huoshui-android"
include(":core", ":app")
