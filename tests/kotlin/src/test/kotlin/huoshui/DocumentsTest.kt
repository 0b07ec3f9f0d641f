package huoshui

import cn.huoshui.core.HuoshuiFailure
import java.io.ByteArrayInputStream
import java.io.ByteArrayOutputStream
import java.nio.file.Files
import java.security.MessageDigest
import kotlin.random.Random
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.huoshui_core.DraftInput

/** A document in chunks through the Kotlin keystore into the vault, and back out intact. */
class DocumentsTest {
    private val f = Fixture()

    @AfterEach
    fun close() = f.close()

    private fun hex(bytes: ByteArray) = bytes.joinToString("") { "%02x".format(it) }

    @Test
    fun `a PDF captured in chunks is exported byte for byte with its SHA-256`() = runBlocking {
        val pdf = samplePdf(700_000)
        val draft = f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "jiazhen"))
        val doc = f.app.capture("land_contract", ByteArrayInputStream(pdf), draft.id, chunkBytes = 64 * 1024 + 7)
        assertEquals("pdf", doc.media)
        assertEquals(pdf.size.toULong(), doc.sizeBytes)
        assertEquals(hex(MessageDigest.getInstance("SHA-256").digest(pdf)), doc.sha256)
        assertTrue(f.keystore.wraps.get() == 1, "the install key was wrapped by the Kotlin keystore")

        val out = ByteArrayOutputStream()
        val exported = f.app.exportTo(doc.id, out)
        assertArrayEquals(pdf, out.toByteArray())
        assertEquals(doc.sha256, exported.sha256)

        val file = f.dir.resolve("export.pdf")
        f.app.exportToFile(doc.id, file.toString())
        assertArrayEquals(pdf, Files.readAllBytes(file))

        // the sealed file on disk does not hold the plaintext
        val sealed = Files.walk(f.dir.resolve("documents")).use { s -> s.filter { Files.isRegularFile(it) }.toList() }
        assertEquals(1, sealed.size)
        assertFalse(String(Files.readAllBytes(sealed.single()), Charsets.ISO_8859_1).contains("huoshui test page"))
    }

    @Test
    fun `the checklist and the list show what was captured for an application`() = runBlocking {
        val draft = f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "jiazhen"))
        val before = f.app.checklist(draft.id)
        assertEquals(listOf("id_card_front", "id_card_back", "household_register", "land_contract"), before.map { it.kind })
        assertTrue(before.all { it.missing })

        f.app.capture("id_card_front", sequenceOf(samplePdf(10_000)), draft.id)
        val after = f.app.checklist(draft.id)
        assertFalse(after.first { it.kind == "id_card_front" }.missing)
        assertEquals(1u, after.first { it.kind == "id_card_front" }.captured)
        assertTrue(after.first { it.kind == "land_contract" }.missing)
        assertEquals("身份证人像面", f.app.documents(draft.id).single().kindZh)
    }

    @Test
    fun `a file that is not a photo or PDF is refused and nothing is kept`() = runBlocking {
        val e = assertThrows<HuoshuiFailure.InvalidInput> {
            runBlocking { f.app.capture("other", ByteArrayInputStream(ByteArray(5000) { 0x41 })) }
        }
        assertTrue(e.messageZh.contains("不支持"), e.messageZh)
        assertTrue(f.app.documents().isEmpty())
    }

    companion object {
        /** A minimal PDF padded with random bytes in a stream object, [size] bytes long. */
        fun samplePdf(size: Int): ByteArray {
            val head = "%PDF-1.7\n% huoshui test page\n1 0 obj << /Length ${size} >>\nstream\n".toByteArray()
            val tail = "\nendstream\nendobj\ntrailer << >>\n%%EOF\n".toByteArray()
            val body = Random(42).nextBytes(maxOf(0, size - head.size - tail.size))
            return head + body + tail
        }
    }
}
