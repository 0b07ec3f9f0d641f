package cn.huoshui.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import uniffi.huoshui_core.CreditGrade
import uniffi.huoshui_core.MarketInput
import uniffi.huoshui_core.MarketPageView
import uniffi.huoshui_core.SortKey
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/** What the market screen shows. */
sealed interface MarketUiState {
    /** Nothing asked yet. */
    data object Idle : MarketUiState
    /** Asked; [previous] stays on screen meanwhile. */
    data class Loading(val input: MarketInput, val previous: MarketPageView?) : MarketUiState
    data class Ready(val input: MarketInput, val page: MarketPageView) : MarketUiState
    data class Failed(val input: MarketInput, val error: ErrorText) : MarketUiState
}

/**
 * The market screen's state holder: the Compose screen observes [state] and forwards the
 * villager's form as [request]. A new request cancels the one still running, so the screen
 * only ever shows the answer to the latest form. Saves the form; made again from it, it asks
 * for the same page again.
 */
class MarketScreenState(
    private val core: HuoshuiCore,
    private val scope: CoroutineScope,
    restored: Map<String, String> = emptyMap(),
) : SavesState {
    private val _state = MutableStateFlow<MarketUiState>(MarketUiState.Idle)
    val state: StateFlow<MarketUiState> = _state.asStateFlow()
    private var running: Job? = null
    private var lastInput: MarketInput? = null

    /** The job asking again for the restored form's page, if a form was restored (tests join it). */
    val restoring: Job? = MarketForm.read(restored)?.let { request(it) }

    /** Asks for the market page of [input]; returns the job (tests join it). */
    fun request(input: MarketInput): Job {
        running?.cancel()
        lastInput = input
        val previous = (state.value as? MarketUiState.Ready)?.page
        _state.value = MarketUiState.Loading(input, previous)
        val job = scope.launch {
            _state.value = try {
                MarketUiState.Ready(input, core.marketPage(input))
            } catch (e: HuoshuiException) {
                MarketUiState.Failed(input, ErrorText.of(e))
            }
        }
        running = job
        return job
    }

    override fun saveState(): Map<String, String> = lastInput?.let(MarketForm::write) ?: emptyMap()
}

/** The market form as strings, for saved state. */
internal object MarketForm {
    private const val P = "market."

    fun write(i: MarketInput): Map<String, String> = buildMap {
        put(P + "amountFen", i.amountFen.toString())
        put(P + "months", i.months.toString())
        i.industry?.let { put(P + "industry", it) }
        i.points?.let { put(P + "points", it.toString()) }
        i.grade?.let { put(P + "grade", it.name) }
        i.town?.let { put(P + "town", it) }
        i.age?.let { put(P + "age", it.toString()) }
        i.sort?.let { put(P + "sort", it.name) }
        i.search?.let { put(P + "search", it) }
        i.bank?.let { put(P + "bank", it) }
        put(P + "eligibleOnly", i.eligibleOnly.toString())
        i.limit?.let { put(P + "limit", it.toString()) }
        i.asOf?.let { put(P + "asOf", it) }
    }

    /** The saved form, or `null` when none was saved (or it does not read back). */
    fun read(m: Map<String, String>): MarketInput? {
        val amount = m[P + "amountFen"]?.toLongOrNull() ?: return null
        val months = m[P + "months"]?.toUIntOrNull() ?: return null
        return MarketInput(
            amountFen = amount,
            months = months,
            industry = m[P + "industry"],
            points = m[P + "points"]?.toUIntOrNull(),
            grade = m[P + "grade"]?.let { g -> CreditGrade.entries.firstOrNull { it.name == g } },
            town = m[P + "town"],
            age = m[P + "age"]?.toUIntOrNull(),
            sort = m[P + "sort"]?.let { s -> SortKey.entries.firstOrNull { it.name == s } },
            search = m[P + "search"],
            bank = m[P + "bank"],
            eligibleOnly = m[P + "eligibleOnly"].toBoolean(),
            limit = m[P + "limit"]?.toUIntOrNull(),
            asOf = m[P + "asOf"],
        )
    }
}
