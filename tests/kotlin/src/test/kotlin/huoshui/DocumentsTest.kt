package huoshui

import cn.huoshui.core.capture
import cn.huoshui.core.exportTo
import cn.huoshui.core.messageZh
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
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_ffi.HuoshuiException

/** A document in chunks through the Kotlin keystore into the vault, and back out intact. */
class DocumentsTest {
    private val f = Phone()

    @AfterEach
    fun close() = f.close()

    @Test
    fun `a PDF captured in chunks is exported byte for byte with its SHA-256`() = runBlocking {
        val pdf = samplePdf(700_000)
        val doc = f.core.capture(DocumentKind.LAND_CONTRACT, ByteArrayInputStream(pdf), chunkBytes = 64 * 1024 + 7)
        assertEquals(DocumentKind.LAND_CONTRACT, doc.kind)
        assertEquals("pdf", doc.media)
        assertEquals(pdf.size.toULong(), doc.sizeBytes)
        assertEquals(sha256Hex(pdf), doc.sha256)
        assertTrue(f.keystore.wraps.get() == 1, "the install key was wrapped by the Kotlin keystore")

        val out = ByteArrayOutputStream()
        val exported = f.core.exportTo(doc.id, out)
        assertArrayEquals(pdf, out.toByteArray())
        assertEquals(doc.sha256, exported.sha256)

        val file = f.dir.resolve("export.pdf")
        f.core.exportToFile(doc.id, file.toString())
        assertArrayEquals(pdf, Files.readAllBytes(file))

        // the sealed file on disk does not hold the plaintext
        val sealed = Files.walk(f.dir.resolve("documents")).use { s -> s.filter { Files.isRegularFile(it) }.toList() }
        assertEquals(1, sealed.size)
        assertFalse(String(Files.readAllBytes(sealed.single()), Charsets.ISO_8859_1).contains("huoshui test page"))
    }

    @Test
    fun `the checklist and the list show what was captured for an application`() = runBlocking {
        Phone(platformUrl = SharedPlatform.platform.url).use { villager ->
            SharedPlatform.platform.signIn(villager.core, "v004")
            val draft = villager.core.createDraft(suliDraft())
            val before = villager.core.checklist(draft.id)
            assertEquals(
                listOf(DocumentKind.ID_CARD_FRONT, DocumentKind.ID_CARD_BACK, DocumentKind.HOUSEHOLD_REGISTER, DocumentKind.LAND_CONTRACT),
                before.map { it.kind },
            )
            assertTrue(before.all { it.missing })

            villager.core.capture(DocumentKind.ID_CARD_FRONT, sequenceOf(samplePdf(10_000)), draft.id)
            val after = villager.core.checklist(draft.id)
            assertFalse(after.first { it.kind == DocumentKind.ID_CARD_FRONT }.missing)
            assertEquals(1u, after.first { it.kind == DocumentKind.ID_CARD_FRONT }.captured)
            assertTrue(after.first { it.kind == DocumentKind.LAND_CONTRACT }.missing)
            val listed = villager.core.documents(draft.id).single()
            assertEquals(DocumentKind.ID_CARD_FRONT, listed.kind)
            assertEquals("身份证人像面", listed.kindZh)
        }
    }

    @Test
    fun `a checklist for kinds named by the screen marks what is still missing`() = runBlocking {
        val list = f.core.checklistForCodes(
            listOf(DocumentKind.BUSINESS_LICENSE, DocumentKind.LEASE),
            listOf(DocumentKind.LEASE, DocumentKind.OTHER),
        )
        assertEquals(listOf(DocumentKind.BUSINESS_LICENSE to true, DocumentKind.LEASE to false), list.map { it.kind to it.missing })
    }

    @Test
    fun `a file that is not a photo or PDF is refused and nothing is kept`() = runBlocking {
        val e = assertThrows<HuoshuiException.InvalidInput> {
            runBlocking { f.core.capture(DocumentKind.OTHER, ByteArrayInputStream(ByteArray(5000) { 0x41 })) }
        }
        assertTrue(e.messageZh.contains("不支持"), e.messageZh)
        assertTrue(f.core.documents(null).isEmpty())
        val folder = f.dir.resolve("documents")
        assertFalse(Files.exists(folder) && Files.list(folder).use { s -> s.anyMatch { Files.isRegularFile(it) } })
    }
}

fun sha256Hex(bytes: ByteArray): String = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

/** A minimal PDF padded with random bytes in a stream object, [size] bytes long. */
fun samplePdf(size: Int, seed: Int = 42): ByteArray {
    val head = "%PDF-1.7\n% huoshui test page\n1 0 obj << /Length ${size} >>\nstream\n".toByteArray()
    val tail = "\nendstream\nendobj\ntrailer << >>\n%%EOF\n".toByteArray()
    val body = Random(seed).nextBytes(maxOf(0, size - head.size - tail.size))
    return head + body + tail
}
