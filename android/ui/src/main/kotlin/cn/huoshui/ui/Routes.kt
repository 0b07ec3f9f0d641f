package cn.huoshui.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import cn.huoshui.core.ManagerInboxState
import cn.huoshui.core.SignInState
import cn.huoshui.core.SignInStep
import cn.huoshui.core.applicationsFlow
import cn.huoshui.core.capture
import uniffi.huoshui_core.ActionButton
import uniffi.huoshui_core.ApplyForm
import uniffi.huoshui_core.CalculatorForm
import uniffi.huoshui_core.MarketForm
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.ReviewForm
import uniffi.huoshui_core.ScreenAction
import uniffi.huoshui_core.SortKey
import uniffi.huoshui_ffi.HuoshuiCore

/*
 * Routes: each keeps what the user typed, reads its screen model from the core (again after
 * every change of the form or of the core's data) and draws the page. The logic of what to show
 * and what is valid is the core's; a route only forwards events.
 */

/** The market form the app starts with: 10万元 over 36 months, cheapest first. */
val DefaultMarketForm = MarketForm(amountText = "10万", monthsText = "36", sort = SortKey.NET_COST)

/** The market form shared by the market, product, compare and apply screens of one app. */
object MarketFormHolder {
    var form by mutableStateOf(DefaultMarketForm)
}

@Composable
fun SignInRoute(core: HuoshuiCore, nav: (Nav) -> Unit) {
    val scope = rememberCoroutineScope()
    val holder = remember(core) { SignInState(core, scope) }
    val ui by holder.state.collectAsState()
    var code by remember { mutableStateOf("") }
    val model = load(ui.phone, code, ui.step) { core.signInScreen(ui.phone, code, ui.step == SignInStep.CODE) }.value
    Shown(model) { m ->
        SignInPage(
            model = m,
            phone = ui.phone,
            code = code,
            busy = ui.busy,
            errorZh = ui.error?.zh,
            onPhone = holder::phoneChanged,
            onCode = { code = it.trim() },
            onPrimary = {
                when (ui.step) {
                    SignInStep.PHONE -> holder.requestCode()
                    SignInStep.CODE -> holder.signIn(code)
                    SignInStep.SIGNED_IN -> m.next?.let(nav)
                }
            },
            onChangePhone = holder::changePhone,
        )
    }
    // once signed in, go to the role's home screen
    LaunchedEffect(ui.step, model) {
        val m = (model as? Loaded.Ready)?.value
        if (ui.step == SignInStep.SIGNED_IN && m?.next != null) nav(m.next!!)
    }
}

@Composable
fun MarketRoute(core: HuoshuiCore, nav: (Nav) -> Unit) {
    val form = MarketFormHolder.form
    var picked by rememberSaveable { mutableStateOf(listOf<String>()) }
    Shown(load(form) { core.marketScreen(form) }.value) { m ->
        MarketPage(m, form, { MarketFormHolder.form = it }, nav, picked) { id ->
            picked = if (id in picked) picked - id else (picked + id).takeLast(4)
        }
    }
}

@Composable
fun ProductRoute(core: HuoshuiCore, productId: String, nav: (Nav) -> Unit) {
    val form = MarketFormHolder.form
    Shown(load(form, productId) { core.productScreen(form, productId) }.value) { ProductPage(it, nav) }
}

@Composable
fun CompareRoute(core: HuoshuiCore, ids: List<String>, nav: (Nav) -> Unit) {
    val form = MarketFormHolder.form
    Shown(load(form, ids) { core.compareScreen(form, ids) }.value) { ComparePage(it, nav) }
}

@Composable
fun CalculatorRoute(core: HuoshuiCore) {
    var form by rememberSaveable(stateSaver = CalculatorFormSaver) { mutableStateOf(CalculatorForm("equal-installment", "10万", "4.35", "12", "")) }
    Shown(load(form) { core.calculatorScreen(form) }.value) { CalculatorPage(it, form) { f -> form = f } }
}

@Composable
fun GradeRoute(core: HuoshuiCore) {
    var points by rememberSaveable { mutableStateOf("") }
    Shown(load(points) { core.gradeScreen(points.trim().toUIntOrNull()) }.value) { GradePage(it, points) { p -> points = p } }
}

@Composable
fun ApplyRoute(core: HuoshuiCore, productId: String, nav: (Nav) -> Unit) {
    val market = MarketFormHolder.form
    var form by rememberSaveable(productId, stateSaver = ApplyFormSaver) { mutableStateOf(ApplyForm(productId, market.amountText, market.monthsText, null, false)) }
    val act = rememberAct()
    Shown(load(form) { core.applyScreen(form) }.value) { m ->
        ApplyPage(m, form, { form = it }, { act.run { nav(core.apply(form).next) } }, act.busy.value, act.error.value)
    }
}

@Composable
fun ChecklistRoute(core: HuoshuiCore, shell: Shell, applicationId: String, nav: (Nav) -> Unit) {
    var version by remember { mutableIntStateOf(0) }
    val act = rememberAct()
    Shown(load(applicationId, version) { core.checklistScreen(applicationId) }.value) { m ->
        ChecklistPage(
            model = m,
            onCapture = { line ->
                act.run {
                    val bytes = shell.takeDocument(line.kind) ?: return@run
                    line.documentIds.forEach { core.deleteDocument(it) } // a retake replaces the earlier photo
                    core.capture(line.kind, sequenceOf(bytes), applicationId)
                    version++
                }
            },
            onSubmit = { act.run { nav(core.checklistSubmit(applicationId)) } },
            busy = act.busy.value,
            errorZh = act.error.value,
        )
    }
}

@Composable
fun LoansRoute(core: HuoshuiCore, nav: (Nav) -> Unit) {
    val changes by remember(core) { core.applicationsFlow() }.collectAsState(initial = null)
    Shown(load(changes) { core.loansScreen() }.value) { LoansPage(it, nav) }
}

@Composable
fun TimelineRoute(core: HuoshuiCore, shell: Shell, applicationId: String, nav: (Nav) -> Unit) {
    val changes by remember(core) { core.applicationsFlow() }.collectAsState(initial = null)
    val act = rememberAct()
    Shown(load(changes, applicationId) { core.timelineScreen(applicationId) }.value) { m ->
        TimelinePage(
            model = m,
            onAction = { a: ActionButton ->
                act.run {
                    when (a.action) {
                        ScreenAction.ACCEPT_OFFER -> core.acceptOffer(applicationId)
                        ScreenAction.WITHDRAW -> core.withdraw(applicationId, null)
                        ScreenAction.DISCARD_DRAFT -> core.discardDraft(applicationId)
                        else -> {}
                    }
                    nav(a.next)
                }
            },
            onCall = shell::call,
            busy = act.busy.value,
            errorZh = act.error.value,
        )
    }
}

@Composable
fun InboxRoute(core: HuoshuiCore, nav: (Nav) -> Unit) {
    val scope = rememberCoroutineScope()
    val holder = remember(core) { ManagerInboxState(core, scope) }
    val rows by holder.rows.collectAsState()
    Shown(load(rows.map { it.task }) { core.inboxScreen() }.value) { m ->
        InboxPage(
            m,
            countdownZh = { id ->
                val ticking = rows.firstOrNull { it.task.applicationId == id }?.countdown
                val fallback = m.rows.first { it.task.applicationId == id }.task
                if (ticking != null) ticking.textZh to ticking.overdue else fallback.countdownZh to fallback.overdue
            },
            onNav = nav,
        )
    }
}

@Composable
fun TaskRoute(core: HuoshuiCore, shell: Shell, applicationId: String, nav: (Nav) -> Unit) {
    // Keyed by the task: a form opened on one task never shows (or is sent) on another.
    var version by remember(applicationId) { mutableIntStateOf(0) }
    var form by rememberSaveable(applicationId, stateSaver = ReviewFormSaver) { mutableStateOf<ReviewForm?>(null) }
    // Redrawn when the application changes (a sync confirms or corrects it, the villager acts).
    val changes by remember(core) { core.applicationsFlow() }.collectAsState(initial = null)
    val act = rememberAct()
    Shown(load(applicationId, version, changes) { core.taskScreen(applicationId) }.value) { m ->
        val problem = form?.let { core.reviewProblem(it) }
        TaskPage(
            model = m,
            form = form,
            problem = problem,
            onAction = { a ->
                val blank = ReviewForm(applicationId, a.action, null, "", m.approveAmountText, m.approveMonthsText, "", emptyList())
                if (a.action == ScreenAction.START_REVIEW) {
                    act.run {
                        core.review(blank)
                        version++
                    }
                } else {
                    form = blank
                }
            },
            onForm = { form = it },
            onSubmit = {
                val f = form ?: return@TaskPage
                act.run {
                    core.review(f)
                    form = null
                    version++
                }
            },
            onCall = shell::call,
            busy = act.busy.value,
            errorZh = act.error.value,
        )
    }
}

@Composable
fun SettingsRoute(core: HuoshuiCore, nav: (Nav) -> Unit) {
    var version by remember { mutableIntStateOf(0) }
    val act = rememberAct()
    Shown(load(version) { core.settingsScreen() }.value) { m ->
        SettingsPage(m, onSignOut = {
            act.run {
                core.logout()
                version++
                nav(Nav.SignIn)
            }
        }, onNav = nav)
    }
}

