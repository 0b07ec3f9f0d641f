package huoshui

import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.yield
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.huoshui_core.ApplicationView
import uniffi.huoshui_core.DraftInput
import uniffi.huoshui_ffi.ApplicationsListener

/** Listeners: the current value at once, then every change, nothing after close(). */
class ListenersTest {
    private val f = Fixture()

    @AfterEach
    fun close() = f.close()

    private class Recorder : ApplicationsListener {
        val updates = LinkedBlockingQueue<List<ApplicationView>>()
        override fun onUpdate(applications: List<ApplicationView>) {
            updates.put(applications)
        }
        // Bounded waits only so a broken build fails instead of hanging; they measure nothing.
        fun next(): List<ApplicationView>? = updates.poll(30, TimeUnit.SECONDS)
    }

    @Test
    fun `a listener gets the current value, then each change, and nothing after close`() = runBlocking {
        f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "jiazhen"))
        val recorder = Recorder()
        val handle = f.app.core.subscribeApplications(recorder)
        assertEquals(1, recorder.next()?.size, "current value at once")

        val second = f.app.createDraft(DraftInput("runchang-yingtao", 20_000_000L, 24u, "jiazhen"))
        val afterChange = recorder.next() ?: emptyList()
        assertEquals(2, afterChange.size)
        assertTrue(afterChange.any { it.id == second.id })
        assertEquals(1u, f.app.listenerCount)

        handle.close()
        assertEquals(0u, f.app.listenerCount, "closing the handle unsubscribes")
        f.app.createDraft(DraftInput("runchang-lingzhi", 10_000_000L, 12u, "jiazhen"))
        // a fresh subscriber sees the third draft, so the change has gone through the core …
        val probe = Recorder()
        f.app.core.subscribeApplications(probe).use { assertEquals(3, probe.next()?.size) }
        // … and the closed listener got nothing more.
        assertNull(recorder.updates.poll())
    }

    @Test
    fun `a flow over the listener emits the current list and the next change, and closes its handle when cancelled`() = runBlocking {
        val flow = f.app.applicationsFlow()
        val firstTwo = coroutineScope {
            val collected = async { flow.take(2).toList() }
            // wait until the subscription exists, then change the data
            while (f.app.listenerCount == 0u) yield()
            f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "jiazhen"))
            collected.await()
        }
        assertEquals(2, firstTwo.size)
        assertTrue(firstTwo.last().size == 1)
        assertEquals(0u, f.app.listenerCount, "cancelling the flow closed the handle")
        assertEquals(1, f.app.applicationsFlow().first().size)
    }
}
