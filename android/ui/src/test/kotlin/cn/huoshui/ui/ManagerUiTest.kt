package cn.huoshui.ui

import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.performClick
import huoshui.Phone
import huoshui.SharedPlatform
import huoshui.suliDraft
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.FixMethodOrder
import org.junit.Test
import org.junit.runners.MethodSorters
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.State

/**
 * The account manager's screens against a real platform: a villager of 贾镇 (served by
 * m-runchang-1 alone) submits three pear-loan applications from their own phone; the manager's
 * inbox shows them with the countdown (also at font scale 1.5, and a late one in red), the task
 * detail calls the villager, records the call, and takes each review action through its form:
 * ask for documents, reject with a reason, approve with terms, and, once the villager accepted,
 * record the disbursement.
 */
@OptIn(ExperimentalTestApi::class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING) // the inbox is looked at before the task test works through it
class ManagerUiTest {
    companion object {
        private val platform = SharedPlatform.platform
        private val villager = Phone(platformUrl = platform.url)
        private val manager = Phone(platformUrl = platform.url)
        private val ids = ArrayList<String>()

        @JvmStatic
        @BeforeClass
        fun submit() = runBlocking {
            platform.signIn(villager.core, "v010")
            repeat(3) { i ->
                val draft = villager.core.createDraft(suliDraft(amountFen = 10_000_000L + i * 1_000_000L))
                villager.core.submit(draft.id)
                ids += draft.id
            }
            val sent = villager.core.syncNow()
            check(sent.pending == 0u && sent.wedged.isEmpty()) { sent.toString() }
            platform.signIn(manager.core, "m-runchang-1")
            syncUntil("the three call tasks on the manager's phone", manager.core) {
                manager.core.managerTasks().map { it.applicationId }.containsAll(ids)
            }
        }

        /** Syncs [core] until [done] (bounded: a broken build fails instead of hanging). */
        suspend fun syncUntil(what: String, core: uniffi.huoshui_ffi.HuoshuiCore, done: suspend () -> Boolean) {
            val deadline = System.nanoTime() + 60_000_000_000L
            while (true) {
                core.syncNow()
                if (done()) return
                check(System.nanoTime() < deadline) { "waited 60 s for $what" }
                kotlinx.coroutines.delay(300)
            }
        }

        @JvmStatic
        @AfterClass
        fun close() {
            villager.close()
            manager.close()
        }
    }

    private val core get() = manager.core

    @Test
    fun inbox_lists_the_tasks_most_urgent_first_with_a_ticking_countdown() = uiTest {
        showApp(core, start = Nav.Inbox)
        ids.forEach { awaitTag("task-$it") }
        awaitText("还剩 ")
        awaitText("项待办")
        shoot("inbox-pending")
        assertTouchTargets()
        // each fact once per card: the amount (in the title) is not repeated in the line under it
        listOf("10万元", "11万元", "12万元").forEach { amount ->
            assertEquals(amount, 1, onAllNodes(hasText(amount, substring = true)).fetchSemanticsNodes().size)
        }
        val model = core.inboxScreen()
        val left = model.rows.map { it.task.secondsLeft }
        assertEquals(left.sorted(), left)
        val before = onNode(hasTestTag("countdown-${model.rows.first().task.applicationId}")).fetchSemanticsNode()
            .config[androidx.compose.ui.semantics.SemanticsProperties.Text].joinToString()
        waitFor("the countdown to tick", 5) {
            onNode(hasTestTag("countdown-${model.rows.first().task.applicationId}")).fetchSemanticsNode()
                .config[androidx.compose.ui.semantics.SemanticsProperties.Text].joinToString() != before
        }
    }

    @Test
    fun inbox_at_font_scale_one_and_a_half() = uiTest {
        showApp(core, start = Nav.Inbox, fontScale = 1.5f)
        ids.forEach { awaitTag("task-$it") }
        shoot("inbox-font-1.5")
        assertTouchTargets()
    }

    @Test
    fun a_late_task_is_marked_overdue_in_the_cores_words() = uiTest {
        // the inbox as drawn 65 s after the first-contact deadline: the countdown the host ticks
        // is the core's own wording for a negative time left
        val model = core.inboxScreen()
        val late = core.countdown(-65)
        assertTrue(late.overdue)
        setContent { HuoshuiTheme { InboxPage(model, { late.textZh to late.overdue }, {}) } }
        awaitText("已超时 1分05秒")
        shoot("inbox-overdue")
    }

    @Test
    fun task_detail_calls_records_the_call_and_takes_every_review_action() = uiTest {
        val shell = TestShell()
        val (docs, reject, approve) = ids
        val navigator = showApp(core, shell, start = Nav.Task(docs))
        awaitText("村民")
        awaitText("¥100,000.00（10万元）")
        shoot("task-detail")
        tagged("call").performClick()
        assertEquals(listOf("tel:${platform.phoneOf("v010")}"), shell.calls.toList())
        tap("action-RECORD_CONTACT")
        awaitTag("form")
        tagged("outcome-REACHED").performClick()
        type("note", "已接通，约好明天去果园")
        shoot("task-record-contact")
        tap("confirm")
        awaitTag("action-START_REVIEW")
        tapAndAwait("action-START_REVIEW", "action-REQUEST_DOCUMENTS") { stateOf(docs) }
        tapAndAwait("action-REQUEST_DOCUMENTS", "请至少选择一项要补的材料") { stateOf(docs) }
        tagged("confirm").assertIsNotEnabled()
        tagged("kind-LAND_CONTRACT").performClick()
        type("note", "请补土地承包合同")
        shoot("task-request-documents")
        tap("confirm")
        waitFor("documents requested", 20) { runBlocking { core.timeline(docs).application.state } == State.DOCUMENTS_REQUESTED }
        shoot("task-documents-requested")

        review(navigator, reject)
        tapAndAwait("action-REJECT", "请写明不批准的原因") { stateOf(reject) }
        type("note", "经营规模暂不符合本产品要求")
        shoot("task-reject")
        tap("confirm")
        waitFor("rejected", 20) { runBlocking { core.timeline(reject).application.state } == State.REJECTED }

        review(navigator, approve)
        tapAndAwait("action-APPROVE", "rate") { stateOf(approve) }
        type("rate", "30")
        awaitText("最高 24%")
        type("rate", "4.35")
        shoot("task-approve")
        tap("confirm")
        waitFor("approved", 20) { runBlocking { core.timeline(approve).application.state } == State.APPROVED }
        runBlocking {
            syncUntil("the approval sent", core) { core.syncStatus().pending == 0u }
            syncUntil("the approval on the villager's phone", villager.core) {
                villager.core.timeline(approve).application.state == State.APPROVED
            }
            villager.core.acceptOffer(approve)
            syncUntil("the acceptance sent", villager.core) { villager.core.syncStatus().pending == 0u }
            syncUntil("the acceptance on the manager's phone", core) { core.timeline(approve).application.state == State.ACCEPTED }
        }
        go(navigator, Nav.Inbox)
        go(navigator, Nav.Task(approve))
        tapAndAwait("action-DISBURSE", "form") { stateOf(approve) }
        shoot("task-disburse")
        tap("confirm")
        waitFor("disbursed", 20) { runBlocking { core.timeline(approve).application.state } == State.DISBURSED }
    }

    /** What the core holds of [id] (state, sync), for a failure's message. */
    private fun stateOf(id: String): String = runBlocking {
        val t = core.timeline(id)
        "state ${t.application.state}, screen actions ${core.taskScreen(id).actions.map { it.action }}, sync ${core.syncStatus()}"
    }

    /** Opens the task of [id] and brings it to review (contact recorded, review started). */
    private fun androidx.compose.ui.test.ComposeUiTest.review(navigator: Navigator, id: String) {
        runBlocking {
            core.recordContact(id, uniffi.huoshui_core.ContactOutcome.REACHED, null)
            core.startReview(id)
        }
        go(navigator, Nav.Task(id))
        awaitTag("action-APPROVE")
    }
}
