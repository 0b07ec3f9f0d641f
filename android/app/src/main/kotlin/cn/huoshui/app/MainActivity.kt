package cn.huoshui.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import cn.huoshui.app.platform.HuoshuiApplication
import cn.huoshui.app.platform.Phone
import cn.huoshui.ui.HuoshuiApp
import cn.huoshui.ui.Navigator
import cn.huoshui.ui.Shell
import kotlinx.coroutines.CompletableDeferred
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.Nav

/**
 * The one Activity: draws the shared Compose app (android/ui, tested on the JVM) and supplies
 * what only Android can do: the dialer, the camera (CameraX, full screen over the app) or a picked
 * photo, the runtime permissions, and the live connection while in the foreground. Background
 * sync is WorkManager's ([SyncWorker]); pushes arrive through push/VendorPush.kt.
 */
class MainActivity : ComponentActivity(), Shell {
    private val core get() = (application as HuoshuiApplication).core
    private val navigator = Navigator(Nav.SignIn)
    private var capturing by mutableStateOf<CompletableDeferred<ByteArray?>?>(null)
    private var picking: CompletableDeferred<ByteArray?>? = null

    private val pickPhoto = registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        val bytes = uri?.let { contentResolver.openInputStream(it)?.use { s -> s.readBytes() } }
        picking?.complete(bytes)
        picking = null
    }

    private val askPermissions = registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        SyncWorker.schedule(this)
        Phone.missing(this).takeIf { it.isNotEmpty() }?.let { askPermissions.launch(it.toTypedArray()) }
        setContent {
            val waiting = capturing
            if (waiting != null) {
                CameraCapture(
                    onTaken = { bytes -> waiting.complete(bytes); capturing = null },
                    onPickInstead = {
                        capturing = null
                        picking = waiting
                        pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                    },
                    onCancel = { waiting.complete(null); capturing = null },
                )
            } else {
                HuoshuiApp(core, this, navigator)
            }
        }
    }

    override fun onStart() {
        super.onStart()
        // live updates while the app is in the foreground
        runCatching { core.connectLive() }
    }

    override fun onStop() {
        core.disconnectLive()
        super.onStop()
    }

    override fun call(telUri: String) {
        Phone.dial(this, telUri)
    }

    override suspend fun takeDocument(kind: DocumentKind): ByteArray? {
        val result = CompletableDeferred<ByteArray?>()
        capturing = result
        return result.await()
    }
}
