package cn.huoshui.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import uniffi.huoshui_core.MarketInput
import uniffi.huoshui_core.MarketPageView

/** What the market screen shows. */
sealed interface MarketUiState {
    /** Nothing asked yet. */
    data object Idle : MarketUiState
    /** Asked; [previous] stays on screen meanwhile. */
    data class Loading(val input: MarketInput, val previous: MarketPageView?) : MarketUiState
    data class Ready(val input: MarketInput, val page: MarketPageView) : MarketUiState
    data class Failed(val input: MarketInput, val failure: HuoshuiFailure) : MarketUiState
}

/**
 * The market screen's state holder: the Compose screen observes [state] and forwards the
 * villager's form as [request]. A new request cancels the one still running, so the screen
 * only ever shows the answer to the latest form.
 */
class MarketScreenState(private val app: Huoshui, private val scope: CoroutineScope) {
    private val _state = MutableStateFlow<MarketUiState>(MarketUiState.Idle)
    val state: StateFlow<MarketUiState> = _state.asStateFlow()
    private var running: Job? = null

    /** Asks for the market page of [input]; returns the job (tests join it). */
    fun request(input: MarketInput): Job {
        running?.cancel()
        val previous = (state.value as? MarketUiState.Ready)?.page
        _state.value = MarketUiState.Loading(input, previous)
        val job = scope.launch {
            _state.value = try {
                MarketUiState.Ready(input, app.marketPage(input))
            } catch (f: HuoshuiFailure) {
                MarketUiState.Failed(input, f)
            }
        }
        running = job
        return job
    }
}
