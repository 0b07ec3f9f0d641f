package cn.huoshui.app.platform

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.os.Build

/**
 * The app's notification channels and its one notification. A notification never carries a
 * name, a phone number or an amount (push payloads do not either): it says there is something to
 * look at, and the app shows the rest after it synced.
 */
object Notifications {
    /** New tasks and overdue warnings for account managers: sound and heads-up. */
    const val TASKS = "tasks"

    /** Progress of a villager's application. */
    const val STATUS = "status"

    fun createChannels(context: Context) {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.O) return
        val manager = context.getSystemService(NotificationManager::class.java) ?: return
        manager.createNotificationChannel(
            NotificationChannel(TASKS, "新任务和超时提醒", NotificationManager.IMPORTANCE_HIGH).apply {
                description = "有新的贷款申请需要您在 5 分钟内联系村民"
            },
        )
        manager.createNotificationChannel(
            NotificationChannel(STATUS, "申请进度", NotificationManager.IMPORTANCE_DEFAULT).apply {
                description = "您的贷款申请有了新进展"
            },
        )
    }

    /** Tells the user to open the app (the launcher activity), on [channel]. */
    fun show(context: Context, channel: String, title: String, text: String) {
        val manager = context.getSystemService(NotificationManager::class.java) ?: return
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.N && !manager.areNotificationsEnabled()) return
        val launch = context.packageManager.getLaunchIntentForPackage(context.packageName) ?: Intent()
        val open = PendingIntent.getActivity(context, 0, launch, PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT)
        val builder = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) Notification.Builder(context, channel) else legacyBuilder(context)
        val notification = builder
            .setSmallIcon(android.R.drawable.stat_notify_chat)
            .setContentTitle(title)
            .setContentText(text)
            .setContentIntent(open)
            .setAutoCancel(true)
            .build()
        manager.notify(channel.hashCode(), notification)
    }

    @Suppress("DEPRECATION")
    private fun legacyBuilder(context: Context) = Notification.Builder(context)
}
