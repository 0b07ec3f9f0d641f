package cn.huoshui.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.stateIn
import uniffi.huoshui_core.ApplicationView
import uniffi.huoshui_core.DocumentView

/**
 * The villager's "my applications" and "my documents" screens: StateFlows fed by the core's
 * listeners while someone observes them (the listener closes 5 s after the last observer goes,
 * so a screen rotation does not resubscribe).
 */
class MyLoansState(app: Huoshui, scope: CoroutineScope) {
    val applications: StateFlow<List<ApplicationView>> =
        app.applicationsFlow().stateIn(scope, SharingStarted.WhileSubscribed(5_000), emptyList())

    val documents: StateFlow<List<DocumentView>> =
        app.documentsFlow().stateIn(scope, SharingStarted.WhileSubscribed(5_000), emptyList())
}
