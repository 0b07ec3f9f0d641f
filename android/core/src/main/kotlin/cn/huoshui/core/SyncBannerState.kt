package cn.huoshui.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch
import uniffi.huoshui_core.SyncState
import uniffi.huoshui_core.SyncStatusView
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/** What the sync banner draws. */
data class SyncBanner(
    val state: SyncState,
    /** Commands waiting to be sent. */
    val pending: UInt,
    /** Commands the platform refused, waiting for the user. */
    val wedged: UInt,
    /** The core's words for the state (`未联网，3 项待发送` …). */
    val messageZh: String,
    val messageEn: String,
    val lastSyncedZh: String?,
    /** Whether to show the banner at all (not when all is sent, nor when the user closed it). */
    val visible: Boolean,
    /** Show a "retry" button (something gave up or was refused). */
    val canRetry: Boolean,
    /** Show a "sign in" button. */
    val signInAgain: Boolean,
    /** The last "sync now" or "retry" failed (not offline: that is a state). */
    val error: ErrorText?,
)

/**
 * The sync banner over every screen: follows the core's sync status; "sync now" and "retry"
 * run on the core. The user may close the banner; it stays closed while the state is the same
 * (also across rotation: the closed state is saved) and comes back when the state changes.
 */
class SyncBannerState(
    private val core: HuoshuiCore,
    private val scope: CoroutineScope,
    restored: Map<String, String> = emptyMap(),
) : SavesState {
    private val dismissedFor = MutableStateFlow(restored[KEY_DISMISSED]?.let { s -> SyncState.entries.firstOrNull { it.name == s } })
    private val error = MutableStateFlow<ErrorText?>(null)
    private val latest = MutableStateFlow<SyncStatusView?>(null)

    val banner: StateFlow<SyncBanner?> = combine(core.syncStatusFlow(), dismissedFor, error) { status, dismissed, err ->
        latest.value = status
        if (dismissed != null && dismissed != status.state) dismissedFor.value = null
        // when to show and which buttons: the core's banner model (the same on iOS)
        val model = core.syncBannerFor(status)
        SyncBanner(
            state = status.state,
            pending = status.pending,
            wedged = status.wedged,
            messageZh = status.messageZh,
            messageEn = status.messageEn,
            lastSyncedZh = status.lastSyncedZh,
            visible = dismissed != status.state && (model.visible || err != null),
            canRetry = model.canRetry,
            signInAgain = model.signInAgain,
            error = err,
        )
    }.stateIn(scope, SharingStarted.WhileSubscribed(5_000), null)

    /** Syncs now (offline or "sign in again" come back as the banner's state, not as errors). */
    fun syncNow(): Job = scope.launch { attempt { core.syncNow() } }

    /** Tries again what gave up, then syncs. */
    fun retry(): Job = scope.launch {
        attempt {
            core.retryFailed()
            core.syncNow()
        }
    }

    /** Closes the banner until the state changes. */
    fun dismiss() {
        dismissedFor.value = latest.value?.state
    }

    private suspend fun attempt(block: suspend () -> Unit) {
        error.value = null
        try {
            block()
        } catch (e: HuoshuiException) {
            error.value = ErrorText.of(e)
        }
    }

    override fun saveState(): Map<String, String> = dismissedFor.value?.let { mapOf(KEY_DISMISSED to it.name) } ?: emptyMap()

    private companion object {
        const val KEY_DISMISSED = "syncBanner.dismissed"
    }
}
