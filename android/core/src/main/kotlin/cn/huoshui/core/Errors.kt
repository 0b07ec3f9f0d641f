package cn.huoshui.core

import uniffi.huoshui_ffi.HuoshuiException

/*
 * Errors: every failure of the core arrives as the generated sealed class HuoshuiException,
 * one subclass per action the app can take (InvalidInput, NotFound, KeyUnavailable,
 * StorageFull, Retry, Conflict, SignIn, Offline, Internal; a panic inside the core arrives as
 * Internal). It is used as it is: a second hand-written hierarchy would only mirror it and drift
 * (the previous one had no SignIn or Offline). What the generated base class lacks is its
 * message without a `when`: these two properties give it.
 */

/** The message to show the user, in Chinese (every variant carries one). */
val HuoshuiException.messageZh: String
    get() = when (this) {
        is HuoshuiException.InvalidInput -> this.messageZh
        is HuoshuiException.NotFound -> this.messageZh
        is HuoshuiException.KeyUnavailable -> this.messageZh
        is HuoshuiException.StorageFull -> this.messageZh
        is HuoshuiException.Retry -> this.messageZh
        is HuoshuiException.Conflict -> this.messageZh
        is HuoshuiException.SignIn -> this.messageZh
        is HuoshuiException.Offline -> this.messageZh
        is HuoshuiException.Internal -> this.messageZh
    }

/** The same message in English (beside the Chinese, or for logs). */
val HuoshuiException.messageEn: String
    get() = when (this) {
        is HuoshuiException.InvalidInput -> this.messageEn
        is HuoshuiException.NotFound -> this.messageEn
        is HuoshuiException.KeyUnavailable -> this.messageEn
        is HuoshuiException.StorageFull -> this.messageEn
        is HuoshuiException.Retry -> this.messageEn
        is HuoshuiException.Conflict -> this.messageEn
        is HuoshuiException.SignIn -> this.messageEn
        is HuoshuiException.Offline -> this.messageEn
        is HuoshuiException.Internal -> this.messageEn
    }

/** What a screen shows when an action failed: the core's words, Chinese first. */
data class ErrorText(val zh: String, val en: String) {
    companion object {
        fun of(e: HuoshuiException) = ErrorText(e.messageZh, e.messageEn)
    }
}
