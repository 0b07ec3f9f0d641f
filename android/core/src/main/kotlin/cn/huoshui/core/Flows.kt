package cn.huoshui.core

import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.conflate
import uniffi.huoshui_core.ApplicationView
import uniffi.huoshui_core.DocumentView
import uniffi.huoshui_core.SessionView
import uniffi.huoshui_core.SyncStatusView
import uniffi.huoshui_core.TaskView
import uniffi.huoshui_ffi.ApplicationsListener
import uniffi.huoshui_ffi.DocumentsListener
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.SessionListener
import uniffi.huoshui_ffi.SyncStatusListener
import uniffi.huoshui_ffi.TaskHandle
import uniffi.huoshui_ffi.TasksListener

/*
 * Flows over the core's listeners: each emits the current value at once, then the value after
 * every change. The core may fold rapid changes into one delivery, and so does the Flow
 * (conflated: a slow collector gets the latest value, never a stale queue). Cancelling the
 * collection closes the listener's TaskHandle; a subscription refused by the core fails the
 * Flow with its HuoshuiException.
 */

/** One generic bridge from a `subscribe…(listener) -> TaskHandle` call to a Flow. */
private fun <T> listenerFlow(subscribe: (deliver: (T) -> Unit) -> TaskHandle): Flow<T> = callbackFlow {
    val handle = subscribe { value -> trySend(value) }
    awaitClose {
        handle.cancel()
        handle.close()
    }
}.conflate()

/** The applications on this phone (a villager's own; a manager's assigned ones). */
fun HuoshuiCore.applicationsFlow(): Flow<List<ApplicationView>> = listenerFlow { deliver ->
    subscribeApplications(object : ApplicationsListener {
        override fun onUpdate(applications: List<ApplicationView>) = deliver(applications)
    })
}

/** The documents on this phone. */
fun HuoshuiCore.documentsFlow(): Flow<List<DocumentView>> = listenerFlow { deliver ->
    subscribeDocuments(object : DocumentsListener {
        override fun onUpdate(documents: List<DocumentView>) = deliver(documents)
    })
}

/** The signed-in manager's inbox, most urgent first (nothing is delivered for anyone else). */
fun HuoshuiCore.tasksFlow(): Flow<List<TaskView>> = listenerFlow { deliver ->
    subscribeTasks(object : TasksListener {
        override fun onUpdate(tasks: List<TaskView>) = deliver(tasks)
    })
}

/** Where syncing stands (the banner). */
fun HuoshuiCore.syncStatusFlow(): Flow<SyncStatusView> = listenerFlow { deliver ->
    subscribeSyncStatus(object : SyncStatusListener {
        override fun onUpdate(status: SyncStatusView) = deliver(status)
    })
}

/** Who is signed in; `null` after sign-out. */
fun HuoshuiCore.sessionFlow(): Flow<SessionView?> = listenerFlow { deliver ->
    subscribeSession(object : SessionListener {
        override fun onUpdate(session: SessionView?) = deliver(session)
    })
}
