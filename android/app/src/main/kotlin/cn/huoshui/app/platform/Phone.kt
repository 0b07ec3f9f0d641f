package cn.huoshui.app.platform

import android.Manifest
import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.net.Uri
import android.os.Build

/** The phone's own abilities the screens use: the dialer and the runtime permissions. */
object Phone {
    /**
     * Opens the dialer with the core's `tel:` URI (ACTION_DIAL: the user presses call, so no
     * CALL_PHONE permission is needed). Returns false when the device has no dialer.
     */
    fun dial(context: Context, telUri: String): Boolean {
        if (!telUri.startsWith("tel:")) return false
        val intent = Intent(Intent.ACTION_DIAL, Uri.parse(telUri)).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
        return try {
            context.startActivity(intent)
            true
        } catch (_: ActivityNotFoundException) {
            false
        }
    }

    /** The runtime permissions the app asks for: the camera (documents), notifications (13+). */
    fun wanted(): List<String> = buildList {
        add(Manifest.permission.CAMERA)
        if (Build.VERSION.SDK_INT >= 33) add(Manifest.permission.POST_NOTIFICATIONS)
    }

    /** Those of [wanted] not granted yet. */
    fun missing(context: Context): List<String> =
        wanted().filter { context.checkSelfPermission(it) != PackageManager.PERMISSION_GRANTED }

    /** Why the app asks, in the words shown before the system dialog. */
    fun rationaleZh(permission: String): String = when (permission) {
        Manifest.permission.CAMERA -> "拍摄贷款需要的证件和材料；照片加密保存在本机，只发给办理的银行。"
        "android.permission.POST_NOTIFICATIONS" -> "有新任务或申请有进展时提醒您。"
        else -> ""
    }

    /** Asks for what is missing (the result arrives in the activity's onRequestPermissionsResult). */
    fun requestMissing(activity: Activity, requestCode: Int) {
        val missing = missing(activity)
        if (missing.isNotEmpty()) activity.requestPermissions(missing.toTypedArray(), requestCode)
    }
}
