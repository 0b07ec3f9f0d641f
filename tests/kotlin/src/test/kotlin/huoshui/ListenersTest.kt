package huoshui

import cn.huoshui.core.applicationsFlow
import cn.huoshui.core.capture
import cn.huoshui.core.documentsFlow
import cn.huoshui.core.sessionFlow
import cn.huoshui.core.syncStatusFlow
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.DocumentView
import uniffi.huoshui_core.Role
import uniffi.huoshui_core.SyncMark
import uniffi.huoshui_core.SyncState
import uniffi.huoshui_ffi.DocumentsListener

/** Listeners and the Flows over them: the current value at once, then every change, nothing after close. */
class ListenersTest {
    private val phones = mutableListOf<Phone>()

    private fun phone(url: String? = null) = Phone(platformUrl = url).also { phones += it }

    @AfterEach
    fun close() = phones.forEach { it.close() }

    private class Recorder : DocumentsListener {
        val updates = LinkedBlockingQueue<List<DocumentView>>()
        override fun onUpdate(documents: List<DocumentView>) {
            updates.put(documents)
        }
        // Bounded waits only so a broken build fails instead of hanging; they measure nothing.
        fun next(): List<DocumentView>? = updates.poll(30, TimeUnit.SECONDS)
    }

    @Test
    fun `a listener gets the current value, then each change, and nothing after close`() = runBlocking {
        val f = phone()
        f.core.capture(DocumentKind.OTHER, sequenceOf(samplePdf(2_000, seed = 1)))
        val recorder = Recorder()
        val handle = f.core.subscribeDocuments(recorder)
        assertEquals(1, recorder.next()?.size, "current value at once")

        val second = f.core.capture(DocumentKind.LEASE, sequenceOf(samplePdf(2_000, seed = 2)))
        val afterChange = recorder.next() ?: emptyList()
        assertEquals(2, afterChange.size)
        assertTrue(afterChange.any { it.id == second.id })
        assertEquals(1u, f.core.listenerCount())

        handle.close()
        assertEquals(0u, f.core.listenerCount(), "closing the handle unsubscribes")
        f.core.capture(DocumentKind.OTHER, sequenceOf(samplePdf(2_000, seed = 3)))
        // a fresh subscriber sees the third document, so the change has gone through the core …
        val probe = Recorder()
        f.core.subscribeDocuments(probe).use { assertEquals(3, probe.next()?.size) }
        // … and the closed listener got nothing more.
        assertNull(recorder.updates.poll())
    }

    @Test
    fun `a flow emits the current list and the next change, and closes its handle when cancelled`() = runBlocking {
        val f = phone()
        val flow = f.core.documentsFlow()
        val firstTwo = coroutineScope {
            val collected = async(Dispatchers.Default) { flow.take(2).toList() }
            // wait until the subscription exists, then change the data
            while (f.core.listenerCount() == 0u) yield()
            f.core.capture(DocumentKind.OTHER, sequenceOf(samplePdf(2_000)))
            collected.await()
        }
        assertEquals(listOf(0, 1), firstTwo.map { it.size })
        assertEquals(0u, f.core.listenerCount(), "cancelling the flow closed the handle")
        assertEquals(1, f.core.documentsFlow().first().size)
    }

    @Test
    fun `the session and applications flows follow sign-in, a draft and sign-out`() = runBlocking {
        val platform = SharedPlatform.platform
        val f = phone(platform.url)
        assertNull(f.core.sessionFlow().first(), "nobody signed in yet")
        assertEquals(emptyList<Any>(), f.core.applicationsFlow().first())

        platform.signIn(f.core, "v006")
        val session = f.core.sessionFlow().awaitFirst(what = "the session") { it != null }!!
        assertEquals("v006", session.userId)
        assertEquals(Role.VILLAGER, session.role)
        assertTrue(session.phone.contains("****"), "the phone is masked: ${session.phone}")

        val draft = f.core.createDraft(suliDraft())
        val apps = f.core.applicationsFlow().awaitFirst(what = "the draft") { list -> list.any { it.id == draft.id } }
        assertEquals(SyncMark.DRAFT, apps.single { it.id == draft.id }.syncMark, "a draft is kept on the phone only")

        f.core.logout()
        assertNull(f.core.sessionFlow().awaitFirst(what = "sign-out") { it == null })
    }

    @Test
    fun `the sync status flow says offline with what waits when the platform cannot be reached`() = runBlocking {
        val platform = SharedPlatform.platform
        val f = phone(platform.url)
        platform.signIn(f.core, "v009")
        // the phone loses its signal: the same data folder, an address where nothing answers
        f.reopen(platformUrl = deadPlatformUrl())
        val draft = f.core.createDraft(suliDraft())
        f.core.submit(draft.id)
        f.core.syncNow()
        val status = f.core.syncStatusFlow().awaitFirst(what = "offline") { it.state == SyncState.OFFLINE }
        assertTrue(status.pending > 0u, status.toString())
        assertTrue(status.messageZh.isNotBlank(), status.toString())
        assertEquals(SyncMark.WAITING, f.core.applications().single { it.id == draft.id }.syncMark)
    }
}
