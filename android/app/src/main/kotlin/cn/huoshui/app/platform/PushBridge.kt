package cn.huoshui.app.platform

import android.content.Context
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import uniffi.huoshui_ffi.HuoshuiException

/**
 * What every vendor's push receiver does (Huawei, Honor, Xiaomi, OPPO, vivo, FCM; see
 * push/VendorPush.kt): hand the message's data to the core, which syncs. The data is a tickle
 * without personal data; after the sync, a notification says there is something new.
 */
object PushBridge {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    /** Hands [data] (the payload as the vendor delivered it, JSON) to the core; [done] after. */
    fun handle(context: Context, data: String, done: () -> Unit = {}) {
        val app = context.applicationContext as? HuoshuiApplication ?: return done()
        scope.launch {
            try {
                val report = app.core.handlePush(data)
                if (report.received > 0u) {
                    val manager = app.core.session()?.role == uniffi.huoshui_core.Role.MANAGER
                    if (manager) {
                        Notifications.show(app, Notifications.TASKS, "有新的待办任务", "请打开活水查看并尽快联系村民")
                    } else {
                        Notifications.show(app, Notifications.STATUS, "贷款申请有新进展", "请打开活水查看")
                    }
                }
            } catch (_: HuoshuiException) {
                // offline or signed out: the next sync (WorkManager or the app) catches up
            } finally {
                done()
            }
        }
    }

    /** A vendor's new push token: kept for the next sync to register with the platform. */
    fun newToken(context: Context, vendor: String, token: String) {
        context.getSharedPreferences("push", Context.MODE_PRIVATE).edit().putString(vendor, token).apply()
    }
}
