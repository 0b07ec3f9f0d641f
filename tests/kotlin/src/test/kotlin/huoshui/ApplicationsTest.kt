package huoshui

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.huoshui_core.DraftInput

/** Drafts, the timeline and the manager's tasks, through the real library and store. */
class ApplicationsTest {
    private val f = Fixture(userId = "villager-7")

    @AfterEach
    fun close() = f.close()

    @Test
    fun `a draft is submitted and its timeline reads in Chinese with what happens next`() = runBlocking {
        val draft = f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "jiazhen"))
        assertEquals("draft", draft.state)
        assertEquals("酥梨贷", draft.productNameZh)
        assertEquals("50万元", draft.amount.short)

        val timeline = f.app.submit(draft.id)
        assertEquals("submitted", timeline.application.state)
        assertEquals(listOf(1uL, 2uL), timeline.entries.map { it.seq })
        // dates in Chinese: 11月28日 09:05
        assertTrue(timeline.entries.all { Regex("""\d{1,2}月\d{1,2}日 \d{2}:\d{2}""").containsMatchIn(it.whenZh) }, timeline.entries.toString())
        assertTrue(timeline.nextZh.contains("5"), timeline.nextZh)
        assertEquals(timeline, f.app.timeline(draft.id).copy(application = timeline.application))

        val list = f.app.applications()
        assertEquals(listOf(draft.id), list.map { it.id })
        assertEquals("submitted", list.single().state)
    }

    @Test
    fun `a manager's phone shows the call task with its countdown once the application is assigned`() = runBlocking {
        val draft = f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "jiazhen"))
        f.app.submit(draft.id)
        val events = f.app.eventsJson(draft.id)
        assertTrue(events.startsWith("[") && events.contains("\"submitted\""), events)

        // What the platform sends the manager's phone: the villager's events plus the assignment.
        val submittedAt = Regex(""""at":"([^"]+)"""").findAll(events).last().groupValues[1]
        val assigned = """{"seq":3,"at":"$submittedAt","actor":{"role":"system","id":"system"},""" +
            """"kind":{"type":"assigned","manager_id":"mgr-1","bank_id":"runchang"}}"""
        val platformEvents = events.dropLast(1) + "," + assigned + "]"

        Fixture(userId = "mgr-1").use { manager ->
            val copy = manager.app.ingestEvents(draft.id, platformEvents)
            assertEquals("assigned", copy.state)
            val tasks = manager.app.managerTasks("mgr-1")
            assertEquals(1, tasks.size)
            val call = tasks.single()
            assertEquals("call", call.kind)
            assertEquals(draft.id, call.applicationId)
            assertEquals("50万元", call.amount.short)
            assertTrue(call.countdownZh.startsWith("还剩") || call.countdownZh.startsWith("已超时"), call.countdownZh)
            assertTrue(manager.app.managerTasks("mgr-2").isEmpty(), "another manager sees nothing")
        }
    }
}
