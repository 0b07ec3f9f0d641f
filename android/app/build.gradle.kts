// The thin Compose app: draws what the core's view models say, forwards taps. No business
// logic here (that is the Rust core), no state logic either (that is :core's state holders).
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

android {
    namespace = "cn.huoshui.app"
    compileSdk = 35
    defaultConfig {
        applicationId = "cn.huoshui.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
    }
    buildFeatures { compose = true }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    implementation(project(":core"))
    implementation(project(":ui"))
    implementation(platform("androidx.compose:compose-bom:2024.12.01"))
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.ui:ui")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-viewmodel-savedstate:2.8.7")
    // document capture, background sync
    implementation("androidx.camera:camera-camera2:1.4.1")
    implementation("androidx.camera:camera-lifecycle:1.4.1")
    implementation("androidx.camera:camera-view:1.4.1")
    implementation("androidx.work:work-runtime-ktx:2.10.0")
    // push: each maker's SDK from its own repository (declared in settings.gradle.kts)
    implementation("com.huawei.hms:push:6.12.0.300")
    implementation("com.hihonor.mcs:push:7.0.61.303")
    implementation("com.umeng.umsdk:xiaomi-push:6.0.1")
    implementation("com.umeng.umsdk:oppo-push:3.5.2")
    implementation("com.umeng.umsdk:vivo-push:4.0.4.0")
    implementation("com.google.firebase:firebase-messaging:24.1.0")
}
