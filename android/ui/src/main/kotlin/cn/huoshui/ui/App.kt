package cn.huoshui.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.State
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.key
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import cn.huoshui.core.syncStatusFlow
import cn.huoshui.core.messageZh
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.Role
import uniffi.huoshui_core.SyncBanner
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/** What only the platform can do: the shells (Android, the JVM tests) implement it. */
interface Shell {
    /** Opens the dialer with a `tel:` URI. */
    fun call(telUri: String)

    /** Takes a photo or scan of a document (camera, document scanner or a picked photo); `null`: cancelled. */
    suspend fun takeDocument(kind: DocumentKind): ByteArray?
}

/** A screen model being read: loading, ready, or the core's words for why not. */
sealed interface Loaded<out T> {
    data object Loading : Loaded<Nothing>
    data class Ready<T>(val value: T) : Loaded<T>
    data class Failed(val zh: String) : Loaded<Nothing>
}

/** Reads a screen model off the main thread again whenever one of [keys] changes. */
@Composable
fun <T> load(vararg keys: Any?, compute: suspend () -> T): State<Loaded<T>> =
    produceState<Loaded<T>>(Loaded.Loading, *keys) {
        value = try {
            Loaded.Ready(withContext(Dispatchers.IO) { compute() })
        } catch (e: HuoshuiException) {
            Loaded.Failed(e.messageZh)
        }
    }

/** Draws [content] when [state] is ready, else a loading line or the failure. */
@Composable
fun <T> Shown(state: Loaded<T>, content: @Composable (T) -> Unit) {
    when (state) {
        is Loaded.Ready -> content(state.value)
        is Loaded.Failed -> Column(Modifier.padding(16.dp)) { ErrorCard(state.zh) }
        Loaded.Loading -> Body("正在加载…", HuoshuiColors.Muted, tag = "loading")
    }
}

/** The back stack of screens. */
class Navigator(start: Nav) {
    val stack = mutableStateListOf(start)
    val current: Nav get() = stack.last()

    fun go(to: Nav) {
        when {
            to is Nav.Back -> if (stack.size > 1) stack.removeAt(stack.lastIndex)
            isTab(to) -> {
                stack.clear()
                stack.add(to)
            }
            else -> stack.add(to)
        }
    }

    private fun isTab(n: Nav) = n is Nav.Market || n is Nav.Loans || n is Nav.Inbox || n is Nav.Settings || n is Nav.SignIn
}

/** The whole app over one core: the sync banner, the current screen, the tabs of the role. */
@Composable
fun HuoshuiApp(core: HuoshuiCore, shell: Shell, navigator: Navigator = remember { Navigator(Nav.SignIn) }) {
    val scope = rememberCoroutineScope()
    val status = remember(core) { core.syncStatusFlow() }.collectAsState(initial = null)
    val nav = navigator::go
    HuoshuiTheme {
        AppFrame(
            status.value?.let { core.syncBannerFor(it) },
            onRetry = {
                scope.launch {
                    try {
                        core.retryFailed()
                        core.syncNow()
                    } catch (_: HuoshuiException) {
                        // the banner shows the state the core reports next
                    }
                }
            },
            onSignIn = { nav(Nav.SignIn) },
            tabs = { Tabs(core, navigator.current, nav) },
        ) {
            // each destination keeps its own typed state: a new one starts fresh
            key(navigator.current) { Screen(core, shell, navigator.current, nav) }
        }
    }
}

/**
 * The frame of every screen: the sync banner on top (when the core says it shows), the page,
 * the tabs. The banner pushes the page down, so the core shows it only for states that last
 * (offline, sign in again, needs attention), never for the sync after each action.
 */
@Composable
fun AppFrame(
    banner: SyncBanner?,
    onRetry: () -> Unit,
    onSignIn: () -> Unit,
    tabs: @Composable () -> Unit = {},
    page: @Composable () -> Unit,
) {
    Column(Modifier.fillMaxSize().background(HuoshuiColors.Paper)) {
        SyncBannerBar(banner, onRetry, onSignIn)
        Box(Modifier.weight(1f)) { page() }
        tabs()
    }
}

@Composable
private fun Screen(core: HuoshuiCore, shell: Shell, at: Nav, nav: (Nav) -> Unit) {
    when (at) {
        Nav.SignIn -> SignInRoute(core, nav)
        Nav.Market -> MarketRoute(core, nav)
        is Nav.Product -> ProductRoute(core, at.productId, nav)
        is Nav.Compare -> CompareRoute(core, at.productIds, nav)
        Nav.Calculator -> CalculatorRoute(core)
        Nav.Grade -> GradeRoute(core)
        is Nav.Apply -> ApplyRoute(core, at.productId, nav)
        is Nav.Checklist -> ChecklistRoute(core, shell, at.applicationId, nav)
        Nav.Loans -> LoansRoute(core, nav)
        is Nav.Timeline -> TimelineRoute(core, shell, at.applicationId, nav)
        Nav.Inbox -> InboxRoute(core, nav)
        is Nav.Task -> TaskRoute(core, shell, at.applicationId, nav)
        Nav.Settings -> SettingsRoute(core, nav)
        Nav.Back -> {}
    }
}

/** The tabs of the signed-in role (none before sign-in). */
@Composable
private fun Tabs(core: HuoshuiCore, at: Nav, nav: (Nav) -> Unit) {
    val session = load(at) { core.session() }.value
    val role = (session as? Loaded.Ready)?.value?.role ?: return
    val tabs = if (role == Role.MANAGER) {
        listOf("待办" to Nav.Inbox, "设置" to Nav.Settings)
    } else {
        listOf("贷款超市" to Nav.Market, "我的贷款" to Nav.Loans, "计算器" to Nav.Calculator, "信用" to Nav.Grade, "设置" to Nav.Settings)
    }
    Row(Modifier.fillMaxWidth().background(HuoshuiColors.Card), horizontalArrangement = Arrangement.SpaceEvenly) {
        tabs.forEach { (label, target) ->
            TextButton(onClick = { nav(target) }, modifier = Modifier.heightIn(min = 56.dp).testTag("tab-$label")) {
                Text(label, style = MaterialTheme.typography.bodyMedium, color = if (at == target) HuoshuiColors.Green else HuoshuiColors.Muted)
            }
        }
    }
}

/** Runs an action of a screen: busy while it runs, the core's words when it fails. */
class Act(private val scope: kotlinx.coroutines.CoroutineScope) {
    val busy = androidx.compose.runtime.mutableStateOf(false)
    val error = androidx.compose.runtime.mutableStateOf<String?>(null)

    fun run(block: suspend () -> Unit) {
        busy.value = true
        error.value = null
        scope.launch {
            try {
                block()
            } catch (e: HuoshuiException) {
                error.value = e.messageZh
            } finally {
                busy.value = false
            }
        }
    }
}

@Composable
fun rememberAct(): Act {
    val scope = rememberCoroutineScope()
    return remember { Act(scope) }
}
