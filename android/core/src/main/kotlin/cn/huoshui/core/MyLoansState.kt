package cn.huoshui.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.flatMapLatest
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.stateIn
import uniffi.huoshui_core.ApplicationView
import uniffi.huoshui_core.DocumentView
import uniffi.huoshui_core.TimelineView
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/** The timeline the villager opened, or why it cannot be shown. */
sealed interface OpenedLoan {
    data class Shown(val timeline: TimelineView) : OpenedLoan
    data class Failed(val applicationId: String, val error: ErrorText) : OpenedLoan
}

/**
 * The villager's "my loans" screen: the applications and documents on this phone, fed by the
 * core's listeners while someone observes them (the listener closes 5 s after the last
 * observer goes, so a rotation does not resubscribe), and the timeline of the one opened, read
 * again after every change of the applications (a sync that brings the manager's call shows at
 * once). Saves which application is open.
 */
@OptIn(ExperimentalCoroutinesApi::class)
class MyLoansState(
    private val core: HuoshuiCore,
    scope: CoroutineScope,
    restored: Map<String, String> = emptyMap(),
) : SavesState {
    val applications: StateFlow<List<ApplicationView>> =
        core.applicationsFlow().stateIn(scope, SharingStarted.WhileSubscribed(5_000), emptyList())

    val documents: StateFlow<List<DocumentView>> =
        core.documentsFlow().stateIn(scope, SharingStarted.WhileSubscribed(5_000), emptyList())

    private val openedId = MutableStateFlow(restored[KEY_OPEN])

    /** The opened application's timeline (`null`: the list is shown). */
    val opened: StateFlow<OpenedLoan?> = openedId
        .flatMapLatest { id ->
            if (id == null) {
                flowOf(null)
            } else {
                // every delivery of the applications is a change that may touch this timeline
                core.applicationsFlow().map { timelineOf(id) }
            }
        }
        .stateIn(scope, SharingStarted.WhileSubscribed(5_000), null)

    private suspend fun timelineOf(id: String): OpenedLoan = try {
        OpenedLoan.Shown(core.timeline(id))
    } catch (e: HuoshuiException) {
        OpenedLoan.Failed(id, ErrorText.of(e))
    }

    /** Opens one application's timeline. */
    fun open(applicationId: String) {
        openedId.value = applicationId
    }

    /** Back to the list. */
    fun closeTimeline() {
        openedId.value = null
    }

    override fun saveState(): Map<String, String> = openedId.value?.let { mapOf(KEY_OPEN to it) } ?: emptyMap()

    private companion object {
        const val KEY_OPEN = "myLoans.open"
    }
}
