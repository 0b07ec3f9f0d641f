package cn.huoshui.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onStart
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.huoshui_core.ContactOutcome
import uniffi.huoshui_core.CountdownView
import uniffi.huoshui_core.TaskView
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/** One line of the inbox: the task and its countdown now. */
data class InboxRow(val task: TaskView, val countdown: CountdownView) {
    /** `tel:…` for the call button (`null` until the platform released the number to this manager). */
    val callUri: String? get() = task.callUri
}

/** The contact form of one application (after the call). */
data class ContactForm(
    val applicationId: String,
    val outcome: ContactOutcome = ContactOutcome.REACHED,
    val note: String = "",
    val busy: Boolean = false,
    val error: ErrorText? = null,
)

/**
 * An account manager's inbox: the tasks from the core's listener (the live stream and syncs
 * update them), each with a countdown that ticks every second without reloading the tasks
 * (seconds left at delivery minus the time since, worded by the core), the call button's
 * `tel:` URI, and the contact form ("how did the call go", a note) that records the contact
 * through the outbox. Saves the open contact form.
 *
 * [nowMillis] and [ticks] are the clock and the ticker (tests pass their own).
 */
class ManagerInboxState(
    private val core: HuoshuiCore,
    private val scope: CoroutineScope,
    restored: Map<String, String> = emptyMap(),
    private val nowMillis: () -> Long = { System.nanoTime() / 1_000_000 },
    ticks: Flow<Unit> = everySecond(),
) : SavesState {
    private data class Delivery(val tasks: List<TaskView>, val atMillis: Long)

    val rows: StateFlow<List<InboxRow>> = combine(
        core.tasksFlow().map { Delivery(it, nowMillis()) },
        ticks.onStart { emit(Unit) },
    ) { delivery, _ ->
        val elapsed = (nowMillis() - delivery.atMillis) / 1000
        delivery.tasks.map { InboxRow(it, core.countdown(it.secondsLeft - elapsed)) }
    }.stateIn(scope, SharingStarted.WhileSubscribed(5_000), emptyList())

    private val _form = MutableStateFlow(
        restored[KEY_FORM_APP]?.let { id ->
            ContactForm(
                applicationId = id,
                outcome = restored[KEY_FORM_OUTCOME]?.let { o -> ContactOutcome.entries.firstOrNull { it.name == o } }
                    ?: ContactOutcome.REACHED,
                note = restored[KEY_FORM_NOTE].orEmpty(),
            )
        },
    )

    /** The open contact form, if any. */
    val form: StateFlow<ContactForm?> = _form.asStateFlow()

    /** The call button's URI for [applicationId] (`null`: no number on this phone yet). */
    fun callUri(applicationId: String): String? = rows.value.firstOrNull { it.task.applicationId == applicationId }?.callUri

    /** Opens the contact form for [applicationId] (after the call). */
    fun openContact(applicationId: String) {
        _form.value = ContactForm(applicationId)
    }

    fun outcomeChanged(outcome: ContactOutcome) = _form.update { it?.copy(outcome = outcome, error = null) }

    fun noteChanged(note: String) = _form.update { it?.copy(note = note, error = null) }

    fun cancelContact() {
        _form.value = null
    }

    /**
     * Records the contact through the outbox (works offline; sent with the next sync). The
     * form closes when the core accepted it and stays open with the core's words otherwise.
     */
    fun recordContact(): Job {
        val f = _form.value ?: return Job().apply { complete() }
        _form.value = f.copy(busy = true, error = null)
        return scope.launch {
            try {
                core.recordContact(f.applicationId, f.outcome, f.note.trim().ifEmpty { null })
                _form.value = null
            } catch (e: HuoshuiException) {
                _form.value = f.copy(busy = false, error = ErrorText.of(e))
            }
        }
    }

    override fun saveState(): Map<String, String> {
        val f = _form.value ?: return emptyMap()
        return mapOf(KEY_FORM_APP to f.applicationId, KEY_FORM_OUTCOME to f.outcome.name, KEY_FORM_NOTE to f.note)
    }

    companion object {
        private const val KEY_FORM_APP = "inbox.contact.application"
        private const val KEY_FORM_OUTCOME = "inbox.contact.outcome"
        private const val KEY_FORM_NOTE = "inbox.contact.note"

        /** A tick every second, for the countdowns. */
        fun everySecond(): Flow<Unit> = flow {
            while (true) {
                delay(1_000)
                emit(Unit)
            }
        }
    }
}
