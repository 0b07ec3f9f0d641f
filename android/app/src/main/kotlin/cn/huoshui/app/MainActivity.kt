package cn.huoshui.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.snapshotFlow
import androidx.lifecycle.lifecycleScope
import cn.huoshui.app.platform.HuoshuiApplication
import cn.huoshui.app.platform.Phone
import cn.huoshui.app.state.ScreenViewModel
import cn.huoshui.ui.HuoshuiApp
import cn.huoshui.ui.MarketFormHolder
import cn.huoshui.ui.decodeMarketForm
import cn.huoshui.ui.encode
import cn.huoshui.ui.Shell
import cn.huoshui.ui.restoreNavigator
import cn.huoshui.ui.save
import kotlinx.coroutines.launch
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.Nav

/**
 * The one Activity: draws the shared Compose app (android/ui, tested on the JVM) and supplies
 * what only Android can do: the dialer, the camera (CameraX, full screen over the app) or a picked
 * photo, the runtime permissions, and the live connection while in the foreground. Background
 * sync is WorkManager's ([SyncWorker]); pushes arrive through push/VendorPush.kt.
 * Screen state is not kept here: the back stack, the market form and the capture in flight are
 * the [ScreenViewModel]'s (the first two in its SavedStateHandle, so they outlive process death).
 */
class MainActivity : ComponentActivity(), Shell {
    private val core get() = (application as HuoshuiApplication).core
    private val screens: ScreenViewModel by viewModels()

    private val pickPhoto = registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        screens.picked(uri?.let { contentResolver.openInputStream(it)?.use { s -> s.readBytes() } })
    }

    private val askPermissions = registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        SyncWorker.schedule(this)
        Phone.missing(this).takeIf { it.isNotEmpty() }?.let { askPermissions.launch(it.toTypedArray()) }
        val navigator = restoreNavigator(screens.route, Nav.SignIn)
        lifecycleScope.launch { snapshotFlow { navigator.save() }.collect { screens.route = it } }
        decodeMarketForm(screens.marketForm)?.let { MarketFormHolder.form = it }
        lifecycleScope.launch { snapshotFlow { MarketFormHolder.form.encode() }.collect { screens.marketForm = it } }
        setContent {
            val waiting by screens.capturing.collectAsState()
            if (waiting != null) {
                CameraCapture(
                    onTaken = screens::taken,
                    onPickInstead = {
                        screens.pickInstead()
                        pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                    },
                    onCancel = { screens.taken(null) },
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

    override suspend fun takeDocument(kind: DocumentKind): ByteArray? = screens.capture()
}
