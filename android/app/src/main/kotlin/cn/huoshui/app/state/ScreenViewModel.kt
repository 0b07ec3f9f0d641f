package cn.huoshui.app.state

import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.ViewModel
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow

/**
 * The Activity's screen state, kept out of the Activity: the back stack of screens and the
 * market form as typed (in the SavedStateHandle, so they survive rotation and process death;
 * the strings are cn.huoshui.ui's, see NavState.kt) and the document capture in flight (the camera screen shown
 * over the app, or the system photo picker; it survives rotation, and after process death the
 * capture simply did not happen and the checklist still shows the document as missing).
 * Holds no core and no personal data.
 */
class ScreenViewModel(private val handle: SavedStateHandle) : ViewModel() {
    /** The back stack as saved, oldest first; `null` the first time. */
    var route: List<String>?
        get() = handle.get<ArrayList<String>>(KEY_ROUTE)
        set(value) {
            handle[KEY_ROUTE] = value?.let { ArrayList(it) }
        }

    /** The market form as typed (cn.huoshui.ui's MarketForm.encode); `null` the first time. */
    var marketForm: Map<String, String>?
        get() = handle.get<HashMap<String, String>>(KEY_MARKET_FORM)
        set(value) {
            handle[KEY_MARKET_FORM] = value?.let { HashMap(it) }
        }

    private val _capturing = MutableStateFlow<CompletableDeferred<ByteArray?>?>(null)

    /** The capture the camera screen answers, while it is shown. */
    val capturing: StateFlow<CompletableDeferred<ByteArray?>?> = _capturing

    /** The capture the photo picker answers, while it is open. */
    var picking: CompletableDeferred<ByteArray?>? = null
        private set

    /** Starts a capture and waits for the photo (`null`: cancelled). */
    suspend fun capture(): ByteArray? {
        val result = CompletableDeferred<ByteArray?>()
        _capturing.value?.complete(null)
        _capturing.value = result
        return result.await()
    }

    /** The camera screen's answer. */
    fun taken(bytes: ByteArray?) {
        _capturing.value?.complete(bytes)
        _capturing.value = null
    }

    /** The user chose to pick a photo instead: the picker answers the same capture. */
    fun pickInstead() {
        picking = _capturing.value
        _capturing.value = null
    }

    /** The photo picker's answer. */
    fun picked(bytes: ByteArray?) {
        picking?.complete(bytes)
        picking = null
    }

    override fun onCleared() {
        taken(null)
        picked(null)
    }

    private companion object {
        const val KEY_ROUTE = "route"
        const val KEY_MARKET_FORM = "market_form"
    }
}
