package cn.huoshui.app.push

import android.content.Context
import cn.huoshui.app.platform.PushBridge
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import com.heytap.msp.push.mode.DataMessage
import com.heytap.msp.push.service.DataMessageCallbackService
import com.hihonor.push.sdk.HonorMessageService
import com.hihonor.push.sdk.HonorPushDataMsg
import com.huawei.hms.push.HmsMessageService
import com.huawei.hms.push.RemoteMessage as HmsRemoteMessage
import com.vivo.push.model.UPSNotificationMessage
import com.vivo.push.sdk.OpenClientPushMessageReceiver
import com.xiaomi.mipush.sdk.MiPushMessage
import com.xiaomi.mipush.sdk.PushMessageReceiver

/*
 * One thin receiver per phone maker's push channel (phones sold in China have no Google services;
 * each maker runs its own): each hands the message's data to the core through PushBridge and
 * keeps its token. No logic here. The vendor SDKs come from the makers' own Maven repositories
 * (see app/build.gradle.kts); not compiled on the project's machines.
 */

class HuaweiPushService : HmsMessageService() {
    override fun onMessageReceived(message: HmsRemoteMessage) = PushBridge.handle(this, message.data ?: "{}")
    override fun onNewToken(token: String) = PushBridge.newToken(this, "huawei", token)
}

class HonorPushService : HonorMessageService() {
    override fun onMessageReceived(message: HonorPushDataMsg) = PushBridge.handle(this, message.data ?: "{}")
    override fun onNewToken(token: String) = PushBridge.newToken(this, "honor", token)
}

class XiaomiPushReceiver : PushMessageReceiver() {
    override fun onReceivePassThroughMessage(context: Context, message: MiPushMessage) = PushBridge.handle(context, message.content ?: "{}")
    override fun onReceiveRegisterResult(context: Context, message: com.xiaomi.mipush.sdk.MiPushCommandMessage) {
        message.commandArguments?.firstOrNull()?.let { PushBridge.newToken(context, "xiaomi", it) }
    }
}

class OppoPushService : DataMessageCallbackService() {
    override fun processMessage(context: Context, message: DataMessage) = PushBridge.handle(context, message.content ?: "{}")
}

class VivoPushReceiver : OpenClientPushMessageReceiver() {
    override fun onNotificationMessageClicked(context: Context, message: UPSNotificationMessage) = PushBridge.handle(context, "{}")
    override fun onReceiveRegId(context: Context, regId: String) = PushBridge.newToken(context, "vivo", regId)
}

class FcmPushService : FirebaseMessagingService() {
    override fun onMessageReceived(message: RemoteMessage) =
        PushBridge.handle(this, org.json.JSONObject(message.data as Map<*, *>).toString())
    override fun onNewToken(token: String) = PushBridge.newToken(this, "fcm", token)
}
