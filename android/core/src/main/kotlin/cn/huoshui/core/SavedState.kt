package cn.huoshui.core

/**
 * A screen state holder whose state survives rotation and process death. Each holder takes
 * what [saveState] gave (or an empty map) when it is made again; on Android the ViewModel keeps
 * that map in its SavedStateHandle (a Bundle of strings the system holds in memory for a killed
 * process). Only what the user typed or chose is saved: what the core knows (the session, the
 * applications, the tasks) comes back from the core itself. Never a code, a token or a document.
 */
interface SavesState {
    /** The state to give the holder when it is made again. */
    fun saveState(): Map<String, String>
}
