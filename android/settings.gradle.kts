// Huoshui for Android: `:core` is the library over the Rust core (plain Kotlin + the generated
// UniFFI bindings + the .so files), `:app` the thin Compose app.
// Before building: `bash scripts/build-bindings.sh` (Kotlin bindings) and
// `cargo ndk -t arm64-v8a -t x86_64 -o android/core/src/main/jniLibs rustc -p huoshui-ffi --lib --crate-type cdylib --profile release-mobile`.
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
        // the phone makers' push SDKs: Huawei and Honor from their own repositories; Xiaomi, OPPO and
        // vivo from Umeng's packages on Maven Central (versions to check against the makers' pages)
        maven("https://developer.huawei.com/repo/")
        maven("https://developer.hihonor.com/repo/")
    }
}
rootProject.name = "huoshui-android"
include(":core", ":ui", ":app")
