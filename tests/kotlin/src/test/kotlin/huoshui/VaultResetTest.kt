package huoshui

import cn.huoshui.core.capture
import cn.huoshui.core.open
import cn.huoshui.core.resetLostKey
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.State
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/**
 * A phone whose keystore lost its key (issue 15), through the real library: opening says so,
 * the reset keeps the document the platform already has and a draft without documents, and
 * says what was lost and what was kept.
 */
class VaultResetTest {
    private fun sealedFiles(phone: Phone): Int =
        Files.list(phone.dir.resolve("documents")).use { s -> s.filter { it.toString().endsWith(".hsd") }.count().toInt() }

    @Test
    fun `a lost key is reset through the FFI keeping the uploaded document and saying what was lost`() = runBlocking {
        val platform = SharedPlatform.platform
        Phone(platformUrl = platform.url).use { phone ->
            platform.signIn(phone.core, "v010")
            val draft = phone.core.createDraft(suliDraft())
            val front = phone.core.capture(DocumentKind.ID_CARD_FRONT, sequenceOf(samplePdf(20_000, seed = 1)), draft.id)
            phone.core.submit(draft.id)
            phone.core.syncNow()
            assertTrue(phone.core.documents(draft.id).single().uploaded, "the front reached the platform")
            // Offline from here: the back waits on the phone, never uploaded.
            phone.reopen(deadPlatformUrl())
            phone.core.capture(DocumentKind.ID_CARD_BACK, sequenceOf(samplePdf(20_000, seed = 2)), draft.id)
            val plain = phone.core.createDraft(suliDraft())
            assertEquals(2, sealedFiles(phone))
            phone.core.close()

            // The keystore lost its key: another keystore opens nothing.
            val fresh = JvmKeystore()
            val lost = assertThrows<HuoshuiException.KeyUnavailable> { HuoshuiCore.open(phone.dir.toString(), null, fresh) }
            assertTrue(lost.messageZh.contains("重置"), lost.messageZh)
            assertTrue(lost.messageZh.contains("草稿") && lost.messageZh.contains("保留"), lost.messageZh)
            assertTrue(lost.messageEn.contains("Reset"), lost.messageEn)

            val core = HuoshuiCore.resetLostKey(phone.dir.toString(), null, fresh)
            try {
                val kept = core.documents(null).single()
                assertEquals(front.id, kept.id)
                assertTrue(kept.uploaded)
                assertEquals(draft.id, kept.applicationId)
                assertEquals(0, sealedFiles(phone), "nothing unreadable is kept")
                assertNull(core.session(), "signed out: sign in again")
                val reset = core.lastReset()
                assertNotNull(reset)
                reset!!
                assertEquals(1u, reset.documentsRemoved)
                assertEquals(listOf(DocumentKind.ID_CARD_BACK), reset.kindsRemoved)
                assertEquals(listOf(draft.id), reset.applicationsAffected)
                assertEquals(1u, reset.documentsKept)
                assertEquals(0u, reset.applicationsUnsent, "the platform has the application")
                assertEquals(1u, reset.draftsKept, "the draft without documents survives")
                assertEquals(0u, reset.draftsRemoved)
                val keptDraft = core.applications().single()
                assertEquals(plain.id, keptDraft.id)
                assertEquals(State.DRAFT, keptDraft.state)
                assertTrue(reset.summaryZh.contains("身份证国徽面"), reset.summaryZh)
                assertTrue(reset.summaryEn.contains("Kept: 1"), reset.summaryEn)
                assertTrue(reset.summaryZh.contains("1 份草稿；"), reset.summaryZh)
                // The new key works.
                core.capture(DocumentKind.ID_CARD_BACK, sequenceOf(samplePdf(20_000, seed = 3)), null)
            } finally {
                core.close()
            }
            // A second reset finds nothing to reset and changes nothing.
            val again = assertThrows<HuoshuiException.Conflict> { HuoshuiCore.resetLostKey(phone.dir.toString(), null, fresh) }
            assertTrue(again.messageZh.contains("不需要重置"), again.messageZh)
            assertTrue(again.messageEn.contains("nothing to reset"), again.messageEn)
            HuoshuiCore.open(phone.dir.toString(), null, fresh).use { reopened ->
                assertEquals(2, reopened.documents(null).size)
            }
        }
    }
}
