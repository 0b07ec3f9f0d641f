// The Android library over the Huoshui core. Its logic is plain Kotlin in src/main/kotlin (no
// android.* imports), compiled on the JVM by tests/kotlin too; generated/uniffi holds the
// bindings written by scripts/build-bindings.sh (not committed); src/main/jniLibs the .so
// files built with cargo-ndk and the release-mobile profile (not committed).
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "cn.huoshui.core"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDirs("src/main/kotlin", "generated/uniffi")
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    packaging {
        // keep the 16 KB-aligned .so files uncompressed so they load straight from the APK
        jniLibs.useLegacyPackaging = false
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    implementation("net.java.dev.jna:jna:5.19.1@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
}
