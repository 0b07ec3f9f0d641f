package cn.huoshui.core

import uniffi.huoshui_ffi.HuoshuiException

/**
 * What went wrong in the core, as the action the app can take. Every failure of the core
 * arrives as one of these (a panic inside the core arrives as [Internal]); [messageZh] is shown
 * to the villager, [messageEn] beside it or in logs.
 */
sealed class HuoshuiFailure(
    val messageZh: String,
    val messageEn: String,
    cause: Throwable?,
) : Exception("$messageZh / $messageEn", cause) {
    /** Wrong input: show the message next to the field. */
    class InvalidInput(zh: String, en: String, cause: Throwable? = null) : HuoshuiFailure(zh, en, cause)
    /** Not there (any more): go back to the list. */
    class NotFound(zh: String, en: String, cause: Throwable? = null) : HuoshuiFailure(zh, en, cause)
    /** The keystore lost its key: capture the documents again. */
    class KeyUnavailable(zh: String, en: String, cause: Throwable? = null) : HuoshuiFailure(zh, en, cause)
    /** Out of storage: free space, then try again. */
    class StorageFull(zh: String, en: String, cause: Throwable? = null) : HuoshuiFailure(zh, en, cause)
    /** Passing failure: try again later. */
    class Retry(zh: String, en: String, cause: Throwable? = null) : HuoshuiFailure(zh, en, cause)
    /** Does not fit the current state: refresh the screen. */
    class Conflict(zh: String, en: String, cause: Throwable? = null) : HuoshuiFailure(zh, en, cause)
    /** A bug in the core: report it; the app keeps running. */
    class Internal(zh: String, en: String, cause: Throwable? = null) : HuoshuiFailure(zh, en, cause)

    companion object {
        /** The failure for an exception thrown by the generated bindings. */
        fun from(e: HuoshuiException): HuoshuiFailure = when (e) {
            is HuoshuiException.InvalidInput -> InvalidInput(e.messageZh, e.messageEn, e)
            is HuoshuiException.NotFound -> NotFound(e.messageZh, e.messageEn, e)
            is HuoshuiException.KeyUnavailable -> KeyUnavailable(e.messageZh, e.messageEn, e)
            is HuoshuiException.StorageFull -> StorageFull(e.messageZh, e.messageEn, e)
            is HuoshuiException.Retry -> Retry(e.messageZh, e.messageEn, e)
            is HuoshuiException.Conflict -> Conflict(e.messageZh, e.messageEn, e)
            is HuoshuiException.Internal -> Internal(e.messageZh, e.messageEn, e)
        }
    }
}

/** Runs [block], turning the bindings' exceptions into [HuoshuiFailure]. */
internal inline fun <T> translated(block: () -> T): T =
    try {
        block()
    } catch (e: HuoshuiException) {
        throw HuoshuiFailure.from(e)
    }
