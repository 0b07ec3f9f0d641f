package huoshui

import cn.huoshui.core.InboxRow
import cn.huoshui.core.ManagerInboxState
import cn.huoshui.core.MarketScreenState
import cn.huoshui.core.MarketUiState
import cn.huoshui.core.MyLoansState
import cn.huoshui.core.OpenedLoan
import cn.huoshui.core.SignInState
import cn.huoshui.core.SignInStep
import cn.huoshui.core.SyncBannerState
import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.huoshui_core.ContactOutcome
import uniffi.huoshui_core.CreditGrade
import uniffi.huoshui_core.SortKey
import uniffi.huoshui_core.State
import uniffi.huoshui_core.SyncState

/**
 * The screen state holders the Android ViewModels wrap, over the real core (and the real
 * platform where someone must be signed in). "Process death" is a new holder made from what
 * the old one saved, on a new scope.
 */
class StateHoldersTest {
    private val phones = mutableListOf<Phone>()
    private val scopes = mutableListOf<CoroutineScope>()

    private fun phone(url: String? = null) = Phone(platformUrl = url).also { phones += it }

    private fun scope() = CoroutineScope(SupervisorJob() + Dispatchers.Default).also { scopes += it }

    /** Collects [flow]'s values in [scope] (what a screen observing it does). */
    private fun <T> observe(scope: CoroutineScope, flow: kotlinx.coroutines.flow.Flow<T>) = scope.launch { flow.collect {} }

    @AfterEach
    fun close() {
        scopes.forEach { it.cancel() }
        phones.forEach { it.close() }
    }

    @Test
    fun `the market screen goes from loading to the page, shows a failure in Chinese, and asks again for the saved form`() = runBlocking {
        val f = phone()
        val market = MarketScreenState(f.core, scope())
        assertEquals(MarketUiState.Idle, market.state.value)
        val form = marketInput(50_000_000L, 36u, grade = CreditGrade.AA, limit = 20u).copy(sort = SortKey.PAYMENT)
        market.request(form).join()
        val ready = market.state.value
        assertTrue(ready is MarketUiState.Ready, ready.toString())
        assertEquals(20, (ready as MarketUiState.Ready).page.offers.size)
        val saved = market.saveState()

        // process death: a new holder from the saved map asks for the same page again
        val restored = MarketScreenState(f.core, scope(), saved)
        restored.restoring!!.join()
        val again = restored.state.value as MarketUiState.Ready
        assertEquals(form, again.input)
        assertEquals(ready.page.offers.map { it.productId }, again.page.offers.map { it.productId })

        market.request(marketInput(0L, 36u)).join()
        val failed = market.state.value
        assertTrue(failed is MarketUiState.Failed, failed.toString())
        assertTrue((failed as MarketUiState.Failed).error.zh.contains("金额"), failed.error.zh)
        assertNull(MarketScreenState(f.core, scope(), emptyMap()).restoring, "nothing saved, nothing asked")
    }

    @Test
    fun `sign-in goes phone, code, signed in, a wrong code shows the platform's words and the code step survives process death`() = runBlocking {
        val platform = SharedPlatform.platform
        val f = phone(platform.url)
        val phoneNumber = platform.phoneOf("v008")
        val signIn = SignInState(f.core, scope())
        assertEquals(SignInStep.PHONE, signIn.state.value.step)

        signIn.requestCode("12345").join()
        assertEquals(SignInStep.PHONE, signIn.state.value.step)
        assertTrue(signIn.state.value.error!!.zh.contains("手机号"), signIn.state.value.error.toString())

        val mark = platform.logMark()
        signIn.phoneChanged(phoneNumber)
        signIn.requestCode().join()
        assertEquals(SignInStep.CODE, signIn.state.value.step, signIn.state.value.toString())
        val code = platform.awaitCode(phoneNumber, mark)

        // process death at the code step: the new holder asks for the code of the same phone
        val saved = signIn.saveState()
        assertFalse(saved.values.any { it == code }, "the code is never saved")
        val restored = SignInState(f.core, scope(), saved)
        assertEquals(SignInStep.CODE, restored.state.value.step)
        assertEquals(phoneNumber, restored.state.value.phone)

        val wrong = if (code == "000000") "111111" else "000000"
        restored.signIn(wrong).join()
        assertEquals(SignInStep.CODE, restored.state.value.step)
        assertTrue(restored.state.value.error!!.zh.contains("验证码错误"), restored.state.value.error.toString())

        restored.signIn(code).join()
        val ui = restored.state.awaitFirst(what = "signed in") { it.step == SignInStep.SIGNED_IN }
        assertEquals("v008", ui.session!!.userId)
        assertNull(ui.error)

        restored.signOut().join()
        assertEquals(SignInStep.PHONE, restored.state.awaitFirst(what = "signed out") { it.step == SignInStep.PHONE }.step)
        assertNull(f.core.session())
    }

    @Test
    fun `my loans follows the applications and the opened timeline, which survives process death`() = runBlocking {
        val platform = SharedPlatform.platform
        val f = phone(platform.url)
        platform.signIn(f.core, "v007")
        val scope = scope()
        val loans = MyLoansState(f.core, scope)
        observe(scope, loans.applications)
        val draft = f.core.createDraft(suliDraft())
        val seen = loans.applications.awaitFirst(what = "the draft") { list -> list.any { it.id == draft.id } }
        assertEquals(State.DRAFT, seen.single { it.id == draft.id }.state)

        loans.open(draft.id)
        observe(scope, loans.opened)
        val shown = loans.opened.awaitFirst(what = "the timeline") { it is OpenedLoan.Shown } as OpenedLoan.Shown
        assertEquals(State.DRAFT, shown.timeline.application.state)

        val restoredScope = scope()
        val restored = MyLoansState(f.core, restoredScope, loans.saveState())
        observe(restoredScope, restored.opened)
        f.core.submit(draft.id)
        val after = restored.opened.awaitFirst(what = "the submitted timeline") {
            it is OpenedLoan.Shown && it.timeline.application.state != State.DRAFT
        } as OpenedLoan.Shown
        assertEquals(draft.id, after.timeline.application.id)

        restored.closeTimeline()
        assertNull(restored.opened.awaitFirst(what = "the list") { it == null })
        assertEquals(emptyMap<String, String>(), restored.saveState())
    }

    @Test
    fun `the sync banner shows offline with what waits, stays closed when dismissed, also after process death`() = runBlocking {
        val platform = SharedPlatform.platform
        val f = phone(platform.url)
        platform.signIn(f.core, "v002")
        f.reopen(platformUrl = deadPlatformUrl())
        val draft = f.core.createDraft(suliDraft())
        f.core.submit(draft.id)

        val scope = scope()
        val banner = SyncBannerState(f.core, scope)
        observe(scope, banner.banner)
        banner.syncNow().join()
        val offline = banner.banner.awaitFirst(what = "offline") { it?.state == SyncState.OFFLINE }!!
        assertTrue(offline.visible)
        assertTrue(offline.pending > 0u)
        assertTrue(offline.messageZh.isNotBlank())
        assertNull(offline.error, "offline is a state, not an error")

        banner.dismiss()
        assertFalse(banner.banner.awaitFirst(what = "dismissed") { it?.visible == false }!!.visible)

        val restoredScope = scope()
        val restored = SyncBannerState(f.core, restoredScope, banner.saveState())
        observe(restoredScope, restored.banner)
        val again = restored.banner.awaitFirst(what = "the restored banner") { it != null }!!
        assertEquals(SyncState.OFFLINE, again.state)
        assertFalse(again.visible, "still closed after process death")
    }

    @Test
    fun `the manager inbox ticks each task's countdown, offers the call and records the contact`() = runBlocking {
        val platform = SharedPlatform.platform
        val villager = phone(platform.url)
        platform.signIn(villager.core, "v012")
        val draft = villager.core.createDraft(suliDraft(amountFen = 30_000_000L))
        villager.core.submit(draft.id)
        villager.core.syncNow()
        val (_, detail) = platform.get("/v1/applications/${draft.id}", platform.tokenFor("v012"))
        val manager = phone(platform.url)
        platform.signIn(manager.core, detail!!["manager_id"].asText())
        manager.core.syncNow()

        val clock = AtomicLong(1_000_000L)
        val ticks = MutableSharedFlow<Unit>(extraBufferCapacity = 8)
        val scope = scope()
        val inbox = ManagerInboxState(manager.core, scope, nowMillis = { clock.get() }, ticks = ticks)
        observe(scope, inbox.rows)
        val row = inbox.rows.awaitFirst(what = "the call task") { rows -> rows.any { it.task.applicationId == draft.id } }
            .single { it.task.applicationId == draft.id }
        val start = row.countdown.secondsLeft
        assertTrue(row.countdown.textZh.startsWith("还剩"), row.countdown.textZh)
        assertEquals("tel:${platform.phoneOf("v012")}", inbox.callUri(draft.id))

        // The clock moves on and the ticker ticks: the countdown follows without reloading the
        // tasks. (The core may deliver the tasks again meanwhile, which restarts the count
        // from the fresh seconds left: so the clock is moved on again until a tick shows.)
        suspend fun tickUntil(stepMillis: () -> Long, what: String, predicate: (InboxRow) -> Boolean): InboxRow {
            repeat(10) {
                clock.addAndGet(stepMillis())
                ticks.emit(Unit)
                val rows = withTimeoutOrNull(2_000) {
                    inbox.rows.first { rows -> rows.any { it.task.applicationId == draft.id && predicate(it) } }
                }
                if (rows != null) return rows.single { it.task.applicationId == draft.id }
            }
            throw AssertionError("no tick showed $what")
        }
        val later = tickUntil({ 90_000 }, "90 s less") { it.countdown.secondsLeft < it.task.secondsLeft }
        val elapsed = later.task.secondsLeft - later.countdown.secondsLeft
        assertTrue(elapsed > 0 && elapsed % 90 == 0L, "moved by whole ticks of 90 s: $elapsed")
        assertEquals(manager.core.countdown(later.countdown.secondsLeft), later.countdown)
        assertTrue(later.countdown.textZh.startsWith("还剩"), later.countdown.textZh)
        // and past the deadline
        val late = tickUntil({ (start + 30) * 1000 }, "overdue") { it.countdown.overdue }
        assertTrue(late.countdown.textZh.startsWith("已超时"), late.countdown.textZh)

        inbox.openContact(draft.id)
        inbox.outcomeChanged(ContactOutcome.CALL_BACK)
        inbox.noteChanged("约好明天上午去果园看看")
        // process death with the form open
        val restoredScope = scope()
        val restored = ManagerInboxState(manager.core, restoredScope, inbox.saveState(), ticks = ticks)
        val form = restored.form.value!!
        assertEquals(draft.id to ContactOutcome.CALL_BACK, form.applicationId to form.outcome)
        assertEquals("约好明天上午去果园看看", form.note)

        restored.recordContact().join()
        assertNull(restored.form.value, restored.form.value?.error.toString())
        assertEquals(State.CONTACTED, manager.core.timeline(draft.id).application.state)
        val report = manager.core.syncNow()
        assertTrue(report.wedged.isEmpty(), "the platform took the contact: ${report.wedged}")
    }
}
