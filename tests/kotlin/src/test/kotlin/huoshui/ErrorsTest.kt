package huoshui

import cn.huoshui.core.ErrorText
import cn.huoshui.core.messageEn
import cn.huoshui.core.messageZh
import cn.huoshui.core.open
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import uniffi.huoshui_core.CalculatorInput
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/**
 * Every error variant arrives as its generated Kotlin exception (the sealed HuoshuiException),
 * with its message in Chinese and English.
 */
class ErrorsTest {
    @Test
    fun `bad input arrives as InvalidInput naming the field`() = Phone().use { f ->
        val e = assertThrows<HuoshuiException.InvalidInput> {
            runBlocking { f.core.calculate(CalculatorInput("equal-installment", "500000", "abc", 12u)) }
        }
        assertTrue(e.messageZh.contains("年利率"), e.messageZh)
        assertTrue(e.messageEn.contains("rate"), e.messageEn)
    }

    @Test
    fun `an unknown application arrives as NotFound`() = Phone().use { f ->
        val e = assertThrows<HuoshuiException.NotFound> {
            runBlocking { f.core.timeline("0192f0c4-5e6a-7000-8000-000000000000") }
        }
        assertTrue(e.messageZh.contains("找不到"), e.messageZh)
        assertTrue(e.messageEn.contains("not found"), e.messageEn)
    }

    @Test
    fun `withdrawing twice arrives as Conflict naming state, action and role`() {
        Phone(platformUrl = SharedPlatform.platform.url).use { f ->
            runBlocking {
                SharedPlatform.platform.signIn(f.core, "v005")
                val draft = f.core.createDraft(suliDraft())
                f.core.submit(draft.id)
                f.core.withdraw(draft.id, "不需要了")
                val e = assertThrows<HuoshuiException.Conflict> { runBlocking { f.core.withdraw(draft.id, null) } }
                assertTrue(e.messageZh.contains("撤回"), e.messageZh)
                assertTrue(e.messageEn.contains("withdraw"), e.messageEn)
            }
        }
    }

    @Test
    fun `an action before signing in arrives as SignIn`() = Phone(platformUrl = deadPlatformUrl()).use { f ->
        val e = assertThrows<HuoshuiException.SignIn> { runBlocking { f.core.createDraft(suliDraft()) } }
        assertTrue(e.messageZh.contains("登录"), e.messageZh)
        assertTrue(e.messageEn.contains("sign in"), e.messageEn)
    }

    @Test
    fun `asking for a code without a connection arrives as Offline`() = Phone(platformUrl = deadPlatformUrl()).use { f ->
        val e = assertThrows<HuoshuiException.Offline> { runBlocking { f.core.requestCode("13800000001") } }
        assertTrue(e.messageZh.isNotBlank() && e.messageEn.isNotBlank(), e.toString())
        // the base type gives the same words without a `when`
        val base: HuoshuiException = e
        assertEquals(ErrorText(e.messageZh, e.messageEn), ErrorText(base.messageZh, base.messageEn))
    }

    @Test
    fun `a keystore that lost its key arrives as KeyUnavailable`() {
        val dir = tempDataDir()
        try {
            HuoshuiCore.open(dir.toString(), null, JvmKeystore()).close()
            val e = assertThrows<HuoshuiException.KeyUnavailable> { HuoshuiCore.open(dir.toString(), null, JvmKeystore()) }
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
            val e = assertThrows<HuoshuiException.Retry> { HuoshuiCore.open(dir.toString(), null, LockedKeystore()) }
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
            val e = assertThrows<HuoshuiException.Retry> { HuoshuiCore.open(dir.toString(), null, broken) }
            assertTrue(e.messageEn.contains("unexpected error from the platform keystore"), e.messageEn)
            // the folder is still usable with a working keystore
            HuoshuiCore.open(dir.toString(), null, JvmKeystore()).use { assertEquals("50万元", it.money(50_000_000L).short) }
        } finally {
            deleteTree(dir)
        }
    }

    @Test
    fun `a full disk arrives as StorageFull`() = Phone().use { f ->
        val e = assertThrows<HuoshuiException.StorageFull> { f.core.debugStorageFull() }
        assertTrue(e.messageZh.contains("存储空间"), e.messageZh)
        assertTrue(e.messageEn.contains("storage"), e.messageEn)
    }

    @Test
    fun `a panic inside the core arrives as Internal and the core keeps working`() = Phone().use { f ->
        val e = assertThrows<HuoshuiException.Internal> { f.core.debugForcePanic() }
        assertTrue(e.messageZh.contains("程序内部出错"), e.messageZh)
        assertTrue(e.messageEn.contains("deliberate panic"), e.messageEn)
        assertEquals("¥500,000.00", f.core.money(50_000_000L).full)
    }

    @Test
    fun `a panic inside an async call arrives as Internal`() = Phone().use { f ->
        val e = assertThrows<HuoshuiException.Internal> { runBlocking { f.core.debugForcePanicAsync() } }
        assertTrue(e.messageEn.contains("deliberate panic"), e.messageEn)
        assertEquals("50万元", f.core.money(50_000_000L).short)
    }
}
