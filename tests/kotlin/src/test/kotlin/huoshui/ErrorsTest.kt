package huoshui

import cn.huoshui.core.Huoshui
import cn.huoshui.core.HuoshuiFailure
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.huoshui_core.CalculatorInput
import uniffi.huoshui_core.DraftInput

/** Every error variant arrives as its Kotlin exception, with its message in Chinese and English. */
class ErrorsTest {
    @Test
    fun `bad input arrives as InvalidInput naming the field`() = Fixture().use { f ->
        val e = assertThrows<HuoshuiFailure.InvalidInput> {
            runBlocking { f.app.calculate(CalculatorInput("equal-installment", "500000", "abc", 12u, 0u, null)) }
        }
        assertTrue(e.messageZh.contains("年利率"), e.messageZh)
        assertTrue(e.messageEn.contains("rate"), e.messageEn)
    }

    @Test
    fun `an unknown application arrives as NotFound`() = Fixture().use { f ->
        val e = assertThrows<HuoshuiFailure.NotFound> {
            runBlocking { f.app.timeline("0192f0c4-5e6a-7000-8000-000000000000") }
        }
        assertTrue(e.messageZh.contains("找不到"), e.messageZh)
        assertTrue(e.messageEn.contains("not found"), e.messageEn)
    }

    @Test
    fun `withdrawing twice arrives as Conflict naming state, action and role`() = Fixture().use { f ->
        runBlocking {
            val draft = f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "贾镇"))
            f.app.withdraw(draft.id)
            val e = assertThrows<HuoshuiFailure.Conflict> { runBlocking { f.app.withdraw(draft.id) } }
            assertTrue(e.messageZh.contains("撤回"), e.messageZh)
            assertTrue(e.messageEn.contains("withdraw"), e.messageEn)
        }
    }

    @Test
    fun `a keystore that lost its key arrives as KeyUnavailable`() {
        val dir = tempDataDir()
        try {
            Huoshui.open(dir.toString(), "v1", JvmKeystore()).close()
            val e = assertThrows<HuoshuiFailure.KeyUnavailable> { Huoshui.open(dir.toString(), "v1", JvmKeystore()) }
            assertTrue(e.messageZh.contains("密钥"), e.messageZh)
            assertTrue(e.messageEn.contains("key"), e.messageEn)
        } finally {
            deleteTree(dir)
        }
    }

    @Test
    fun `a keystore not unlocked yet arrives as Retry`() {
        val dir = tempDataDir()
        try {
            val e = assertThrows<HuoshuiFailure.Retry> { Huoshui.open(dir.toString(), "v1", LockedKeystore()) }
            assertTrue(e.messageZh.contains("稍后重试"), e.messageZh)
            assertTrue(e.messageEn.contains("device not unlocked yet"), e.messageEn)
        } finally {
            deleteTree(dir)
        }
    }

    @Test
    fun `a keystore that throws an undeclared exception is converted, never a crash`() {
        val dir = tempDataDir()
        val broken = object : uniffi.huoshui_ffi.PlatformKeystore {
            override fun wrapKey(plaintext: ByteArray): ByteArray = throw IllegalStateException("hardware keystore crashed")
            override fun unwrapKey(wrapped: ByteArray): ByteArray = throw IllegalStateException("hardware keystore crashed")
        }
        try {
            val e = assertThrows<HuoshuiFailure.Retry> { Huoshui.open(dir.toString(), "v1", broken) }
            assertTrue(e.messageEn.contains("unexpected error from the platform keystore"), e.messageEn)
            // the folder is still usable with a working keystore
            Huoshui.open(dir.toString(), "v1", JvmKeystore()).use { assertEquals("50万元", it.money(50_000_000L).short) }
        } finally {
            deleteTree(dir)
        }
    }

    @Test
    fun `a full disk arrives as StorageFull`() = Fixture().use { f ->
        val e = assertThrows<HuoshuiFailure.StorageFull> { f.app.debugStorageFull() }
        assertTrue(e.messageZh.contains("存储空间"), e.messageZh)
        assertTrue(e.messageEn.contains("storage"), e.messageEn)
    }

    @Test
    fun `a panic inside the core arrives as Internal and the core keeps working`() = Fixture().use { f ->
        val e = assertThrows<HuoshuiFailure.Internal> { f.app.debugForcePanic() }
        assertTrue(e.messageZh.contains("程序内部出错"), e.messageZh)
        assertTrue(e.messageEn.contains("deliberate panic"), e.messageEn)
        assertEquals("¥500,000.00", f.app.money(50_000_000L).full)
    }

    @Test
    fun `a panic inside an async call arrives as Internal`() = Fixture().use { f ->
        val e = assertThrows<HuoshuiFailure.Internal> { runBlocking { f.app.debugForcePanicAsync() } }
        assertTrue(e.messageEn.contains("deliberate panic"), e.messageEn)
        assertEquals("50万元", f.app.money(50_000_000L).short)
    }
}
