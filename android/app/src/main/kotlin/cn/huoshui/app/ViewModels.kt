package cn.huoshui.app

import android.app.Application
import cn.huoshui.app.platform.HuoshuiApplication
import android.os.Bundle
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.viewModelScope
import cn.huoshui.core.ManagerInboxState
import cn.huoshui.core.MarketScreenState
import cn.huoshui.core.MyLoansState
import cn.huoshui.core.SavesState
import cn.huoshui.core.SignInState
import cn.huoshui.core.SyncBannerState
import uniffi.huoshui_ffi.HuoshuiCore

/*
 * The ViewModels: each one holds a plain-Kotlin state holder of :core (tested on the JVM in
 * tests/kotlin) in its viewModelScope, and keeps the holder's saved state in its
 * SavedStateHandle, so the screen survives rotation (the ViewModel lives on) and process death
 * (the holder is made again from the saved map). Nothing else lives here.
 * Not compiled on the project's machines (no Android SDK there).
 */

private val Application.core: HuoshuiCore get() = (this as HuoshuiApplication).core

/** The holder's saved map under [key] (empty the first time). */
private fun SavedStateHandle.restored(key: String): Map<String, String> {
    val bundle = get<Bundle>(key) ?: return emptyMap()
    return bundle.keySet().mapNotNull { k -> bundle.getString(k)?.let { k to it } }.toMap()
}

/** Asks [holder] for its state whenever the system saves the handle. */
private fun <H : SavesState> SavedStateHandle.keep(key: String, holder: H): H {
    setSavedStateProvider(key) {
        Bundle().apply { holder.saveState().forEach { (k, v) -> putString(k, v) } }
    }
    return holder
}

class SignInViewModel(app: Application, handle: SavedStateHandle) : AndroidViewModel(app) {
    val state = handle.keep("signIn", SignInState(app.core, viewModelScope, handle.restored("signIn")))
}

class MarketViewModel(app: Application, handle: SavedStateHandle) : AndroidViewModel(app) {
    val state = handle.keep("market", MarketScreenState(app.core, viewModelScope, handle.restored("market")))
}

class MyLoansViewModel(app: Application, handle: SavedStateHandle) : AndroidViewModel(app) {
    val state = handle.keep("myLoans", MyLoansState(app.core, viewModelScope, handle.restored("myLoans")))
}

class SyncBannerViewModel(app: Application, handle: SavedStateHandle) : AndroidViewModel(app) {
    val state = handle.keep("syncBanner", SyncBannerState(app.core, viewModelScope, handle.restored("syncBanner")))
}

class ManagerInboxViewModel(app: Application, handle: SavedStateHandle) : AndroidViewModel(app) {
    val state = handle.keep("inbox", ManagerInboxState(app.core, viewModelScope, handle.restored("inbox")))
}
