package cn.huoshui.app

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import cn.huoshui.app.platform.HuoshuiApplication
import java.util.concurrent.TimeUnit
import uniffi.huoshui_ffi.HuoshuiException

/**
 * Background sync with WorkManager: every 15 minutes when there is a network, the core sends what
 * waits in its outbox and pulls what changed. Offline and "sign in again" are states of the
 * report, not failures; a failure of the core is retried with WorkManager's backoff.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result = try {
        (applicationContext as HuoshuiApplication).core.syncNow()
        Result.success()
    } catch (_: HuoshuiException) {
        Result.retry()
    }

    companion object {
        fun schedule(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES)
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .build()
            WorkManager.getInstance(context).enqueueUniquePeriodicWork("huoshui-sync", ExistingPeriodicWorkPolicy.KEEP, request)
        }
    }
}
