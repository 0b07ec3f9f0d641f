package huoshui

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.huoshui_core.State
import uniffi.huoshui_core.SyncMark
import uniffi.huoshui_core.SyncState
import uniffi.huoshui_core.TaskKind

/**
 * Drafts, submission through the outbox, the timeline and the manager's call task, through the
 * real library and the real platform (the shared `huoshui serve`).
 */
class ApplicationsTest {
    private val platform = SharedPlatform.platform
    private val phones = mutableListOf<Phone>()

    private fun phone() = Phone(platformUrl = platform.url).also { phones += it }

    @AfterEach
    fun close() = phones.forEach { it.close() }

    @Test
    fun `a submitted draft reaches the platform under the phone's id and its timeline says what happens next in Chinese`() = runBlocking {
        val villager = phone()
        platform.signIn(villager.core, "v003")
        val draft = villager.core.createDraft(suliDraft())
        assertEquals(State.DRAFT, draft.state)
        assertEquals("酥梨贷", draft.productNameZh)
        assertEquals("10万元", draft.amount.short)

        assertEquals(State.SUBMITTED, villager.core.submit(draft.id).application.state)
        val report = villager.core.syncNow()
        assertEquals(SyncState.IDLE, report.status.state, report.toString())
        assertEquals(0u, report.pending)

        val timeline = villager.core.timeline(draft.id)
        assertEquals(State.ASSIGNED, timeline.application.state)
        assertEquals(SyncMark.CONFIRMED, timeline.application.syncMark)
        // dates in Chinese: 11月28日 09:05
        assertTrue(timeline.entries.all { Regex("""\d{1,2}月\d{1,2}日 \d{2}:\d{2}""").containsMatchIn(it.whenZh) }, timeline.entries.toString())
        assertTrue(timeline.nextZh.contains("5"), timeline.nextZh)
        assertEquals(State.ASSIGNED, villager.core.applications().single { it.id == draft.id }.state)

        // the platform has it under the phone's own id
        val (status, detail) = platform.get("/v1/applications/${draft.id}", platform.tokenFor("v003"))
        assertEquals(200, status)
        assertEquals("assigned", detail!!["state"].asText())
    }

    @Test
    fun `the assigned manager's phone gets the call task with the villager's number and a tel link`() = runBlocking {
        val villager = phone()
        platform.signIn(villager.core, "v011")
        val draft = villager.core.createDraft(suliDraft(amountFen = 20_000_000L))
        villager.core.submit(draft.id)
        villager.core.syncNow()

        val (_, detail) = platform.get("/v1/applications/${draft.id}", platform.tokenFor("v011"))
        val managerId = detail!!["manager_id"].asText()
        assertTrue(managerId.startsWith("m-runchang-"), managerId)

        val manager = phone()
        platform.signIn(manager.core, managerId)
        manager.core.syncNow()
        val call = manager.core.managerTasks().single { it.applicationId == draft.id }
        assertEquals(TaskKind.CALL, call.kind)
        assertEquals("20万元", call.amount.short)
        assertTrue(call.countdownZh.startsWith("还剩"), call.countdownZh)
        assertEquals(platform.phoneOf("v011"), call.villagerPhone)
        assertEquals("tel:${platform.phoneOf("v011")}", call.callUri)
        assertNotNull(call.villagerName)

        // the bank's other manager is not assigned: no task for it on their phone
        val other = phone()
        platform.signIn(other.core, if (managerId == "m-runchang-1") "m-runchang-2" else "m-runchang-1")
        other.core.syncNow()
        assertTrue(other.core.managerTasks().none { it.applicationId == draft.id })
    }
}
