package huoshui

import cn.huoshui.core.capture
import cn.huoshui.core.messageZh
import cn.huoshui.core.tasksFlow
import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.huoshui_core.ContactOutcome
import uniffi.huoshui_core.CreditGrade
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.MarketInput
import uniffi.huoshui_core.Role
import uniffi.huoshui_core.State
import uniffi.huoshui_core.SyncMark
import uniffi.huoshui_core.SyncState
import uniffi.huoshui_core.TaskKind
import uniffi.huoshui_ffi.HuoshuiException

/**
 * The whole journey through the phone core on the JVM (issue 8, "Shown by"), against a real
 * `huoshui serve` process this test starts, stops and starts again on the same free loopback
 * port with its own data folder. A villager's core, a manager's core and a second villager's
 * core each have their own data folder. The process is stopped whatever happens (Platform.use).
 */
class JourneyTest {
    @Test
    fun `a villager applies offline, the platform gets it once with both documents verified, the manager calls, nobody else sees it`() =
        Platform.start().use { platform ->
            Phone(platformUrl = platform.url).use { villager ->
                Phone(platformUrl = platform.url).use { manager ->
                    Phone(platformUrl = platform.url).use { neighbour ->
                        runBlocking { journey(platform, villager, manager, neighbour) }
                    }
                }
            }
        }

    private suspend fun journey(platform: Platform, villager: Phone, manager: Phone, neighbour: Phone) {
        // 1. the villager signs in; the points and grade are the county's record
        val session = platform.signIn(villager.core, "v001")
        assertEquals(Role.VILLAGER, session.role)
        assertEquals("v001", session.userId)
        assertEquals(1052u, session.points, session.toString())
        assertEquals(CreditGrade.AAA, session.grade)
        // … and stays signed in when the app is opened again
        villager.reopen()
        assertEquals("v001", villager.core.session()?.userId)
        assertEquals(CreditGrade.AAA, villager.core.marketPage(MarketInput(100_000_000L, 24u, points = 10u)).grade, "typed points are ignored when signed in")

        // 2. compares, drafts, captures a PDF and a photo
        val cmp = villager.core.compare(MarketInput(50_000_000L, 60u), listOf("runchang-suli", "runchang-yingtao"))
        assertEquals(listOf("runchang-suli", "runchang-yingtao"), cmp.productIds)
        assertTrue(cmp.rows.isNotEmpty())
        val draft = villager.core.createDraft(suliDraft(amountFen = 50_000_000L, months = 60u))
        val pdf = villager.core.capture(DocumentKind.LAND_CONTRACT, ByteArrayInputStream(samplePdf(600_000)), draft.id, chunkBytes = 100_000)
        val photo = villager.core.capture(DocumentKind.ID_CARD_FRONT, ByteArrayInputStream(smallJpeg()), draft.id)
        assertEquals("jpeg", photo.media)

        // the manager of the bank serving the town signs in before the platform goes away
        platform.signIn(manager.core, "m-runchang-1")

        // 3. submits while the platform is stopped: saved on the phone, waiting to be sent
        platform.stop()
        val waiting = villager.core.submit(draft.id)
        assertEquals(State.SUBMITTED, waiting.application.state)
        assertEquals(SyncMark.WAITING, waiting.application.syncMark)
        assertTrue(waiting.nextZh.contains("本机"), waiting.nextZh)
        val offline = villager.core.syncNow()
        assertEquals(SyncState.OFFLINE, offline.status.state, offline.toString())
        assertTrue(offline.pending > 0u, offline.toString())
        val status = villager.core.syncStatus()
        assertEquals(SyncState.OFFLINE, status.state)
        assertTrue(status.pending > 0u)

        // 4. the platform comes back; the manager's phone is in the foreground (live stream)
        platform.start()
        manager.core.connectLive()
        val task = kotlinx.coroutines.coroutineScope {
            val arriving = async(Dispatchers.Default) {
                manager.core.tasksFlow().awaitFirst(seconds = 60, what = "the call task over the live stream") { tasks ->
                    tasks.any { it.applicationId == draft.id }
                }.single { it.applicationId == draft.id }
            }
            val sent = villager.core.syncNow()
            assertEquals(SyncState.IDLE, sent.status.state, sent.toString())
            assertEquals(0u, sent.pending, sent.toString())
            assertTrue(sent.wedged.isEmpty(), sent.toString())
            arriving.await()
        }

        // 5. exactly one application under the phone's id, both documents complete and equal
        val villagerToken = platform.tokenFor("v001")
        val (listStatus, list) = platform.get("/v1/applications", villagerToken)
        assertEquals(200, listStatus)
        assertEquals(listOf(draft.id), list!!["applications"].map { it["id"].asText() })
        val (detailStatus, detail) = platform.get("/v1/applications/${draft.id}", villagerToken)
        assertEquals(200, detailStatus)
        assertEquals("m-runchang-1", detail!!["manager_id"].asText(), "the least-loaded manager serving the town (ties by id)")
        val (docsStatus, docs) = platform.get("/v1/applications/${draft.id}/documents", villagerToken)
        assertEquals(200, docsStatus)
        val onPlatform = docs!!["documents"].associate { it["kind"].asText() to it }
        assertEquals(setOf("land_contract", "id_card_front"), onPlatform.keys)
        for ((kind, local) in listOf("land_contract" to pdf, "id_card_front" to photo)) {
            val remote = onPlatform.getValue(kind)
            assertTrue(remote["complete"].asBoolean(), remote.toString())
            assertEquals(local.sha256, remote["sha256"].asText(), kind)
            assertEquals(local.sizeBytes.toLong(), remote["size"].asLong(), kind)
        }

        // 6. the manager's task has the villager's number for the call button; the call is recorded
        assertEquals(TaskKind.CALL, task.kind)
        assertEquals(platform.phoneOf("v001"), task.villagerPhone)
        assertEquals("tel:${platform.phoneOf("v001")}", task.callUri)
        manager.core.recordContact(draft.id, ContactOutcome.REACHED, "已电话联系，约好下周去果园看看")
        val managerSync = manager.core.syncNow()
        assertTrue(managerSync.wedged.isEmpty(), managerSync.toString())
        assertEquals(0u, managerSync.pending, managerSync.toString())
        manager.core.disconnectLive()

        // 7. the villager's timeline shows the call after its next sync
        villager.core.syncNow()
        val timeline = villager.core.timeline(draft.id)
        assertEquals(State.CONTACTED, timeline.application.state)
        assertTrue(timeline.entries.any { it.titleZh.contains("客户经理已与您联系") }, timeline.entries.toString())

        // 8. a second villager sees none of it
        platform.signIn(neighbour.core, "v002")
        neighbour.core.syncNow()
        assertTrue(neighbour.core.applications().isEmpty())
        val neighbourToken = platform.tokenFor("v002")
        assertEquals(404, platform.get("/v1/applications/${draft.id}", neighbourToken).first)
        assertEquals(404, platform.get("/v1/applications/${draft.id}/documents", neighbourToken).first)
        assertEquals(0, platform.get("/v1/applications", neighbourToken).second!!["applications"].size())

        // 9. sign-out wipes the token: nobody is signed in, also after a restart
        villager.core.logout()
        assertNull(villager.core.session())
        villager.reopen()
        assertNull(villager.core.session())
        assertThrows<HuoshuiException.SignIn> { runBlocking { villager.core.createDraft(suliDraft()) } }

        // 10. a wrong code shows the platform's own words
        val phone = platform.phoneOf("v001")
        val mark = platform.logMark()
        villager.core.requestCode(phone)
        val code = platform.awaitCode(phone, mark)
        val wrong = assertThrows<HuoshuiException> {
            runBlocking { villager.core.login(phone, if (code == "000000") "111111" else "000000") }
        }
        assertTrue(wrong.messageZh.contains("验证码错误或已过期"), wrong.toString())
    }

    /** A small real JPEG photo (a gradient), made with the JDK's image writer. */
    private fun smallJpeg(): ByteArray {
        val img = BufferedImage(160, 120, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 120) for (x in 0 until 160) img.setRGB(x, y, Color(x, y * 2, 90).rgb)
        return ByteArrayOutputStream().also { ImageIO.write(img, "jpeg", it) }.toByteArray()
    }
}
