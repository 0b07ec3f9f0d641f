package cn.huoshui.app.platform

import android.app.Application
import cn.huoshui.core.open
import uniffi.huoshui_ffi.HuoshuiCore

/*
 * The Android-only parts in this folder use the Android framework (android.*) and nothing from
 * androidx or a vendor SDK, so they are compiled here against the framework jar from Maven
 * Central (android/app/pom.xml, Robolectric's android-all). The rest of the app module
 * (Activity, CameraX, WorkManager, vendor push services) needs Google's Maven and is compiled
 * by Gradle only.
 */

/** The county platform this build talks to (a build setting in a real release). */
const val PLATFORM_URL = "https://huoshui.example.cn"

/** The process-wide core: opened once, on first use, for the app's whole life. */
class HuoshuiApplication : Application() {
    val core: HuoshuiCore by lazy {
        HuoshuiCore.open(filesDir.resolve("huoshui").path, PLATFORM_URL, AndroidKeystoreImpl())
    }

    override fun onCreate() {
        super.onCreate()
        Notifications.createChannels(this)
    }
}
