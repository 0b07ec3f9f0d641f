package huoshui

import cn.huoshui.core.open
import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeout
import uniffi.huoshui_core.CreditGrade
import uniffi.huoshui_core.DraftInput
import uniffi.huoshui_core.MarketInput
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.KeystoreException
import uniffi.huoshui_ffi.PlatformKeystore

/** A fresh temporary data folder for one test, deleted by [deleteTree]. */
fun tempDataDir(): Path = Files.createTempDirectory("huoshui-kotlin-test")

/** Removes a test's temporary folder and everything in it. */
fun deleteTree(path: Path) {
    if (!Files.exists(path)) return
    Files.walk(path).use { stream -> stream.sorted(Comparator.reverseOrder()).forEach { Files.deleteIfExists(it) } }
}

/**
 * A platform keystore written in Kotlin, as the Android one is, but over javax.crypto with its
 * AES-256 key in memory (Android keeps it in the secure hardware instead): AES-GCM with a
 * random 12-byte IV in front of the ciphertext.
 */
class JvmKeystore(private val key: ByteArray = ByteArray(32).also { SecureRandom().nextBytes(it) }) : PlatformKeystore {
    val wraps = AtomicInteger()
    val unwraps = AtomicInteger()

    override fun wrapKey(plaintext: ByteArray): ByteArray {
        wraps.incrementAndGet()
        val iv = ByteArray(12).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, SecretKeySpec(key, "AES"), GCMParameterSpec(128, iv))
        return iv + cipher.doFinal(plaintext)
    }

    override fun unwrapKey(wrapped: ByteArray): ByteArray {
        unwraps.incrementAndGet()
        if (wrapped.size < 12 + 16) throw KeystoreException.KeyUnavailable("wrapped key too short")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, SecretKeySpec(key, "AES"), GCMParameterSpec(128, wrapped, 0, 12))
        return try {
            cipher.doFinal(wrapped, 12, wrapped.size - 12)
        } catch (e: AEADBadTagException) {
            throw KeystoreException.KeyUnavailable("this keystore's key does not open the wrapped key")
        }
    }
}

/** A keystore that is not unlocked yet: every call fails with a passing failure. */
class LockedKeystore : PlatformKeystore {
    override fun wrapKey(plaintext: ByteArray): ByteArray = throw KeystoreException.Failed("device not unlocked yet")
    override fun unwrapKey(wrapped: ByteArray): ByteArray = throw KeystoreException.Failed("device not unlocked yet")
}

/**
 * One phone: a core opened in its own temp folder as a client of [platformUrl] (`null`: no
 * platform: the market, the calculator and documents work). [reopen] closes and opens the
 * same folder again (an app restart), optionally as a client of another address.
 */
class Phone(val keystore: JvmKeystore = JvmKeystore(), platformUrl: String? = null) : AutoCloseable {
    val dir: Path = tempDataDir()
    var platformUrl: String? = platformUrl
        private set
    var core: HuoshuiCore = HuoshuiCore.open(dir.toString(), platformUrl, keystore)
        private set

    fun reopen(platformUrl: String? = this.platformUrl) {
        core.close()
        this.platformUrl = platformUrl
        core = HuoshuiCore.open(dir.toString(), platformUrl, keystore)
    }

    override fun close() {
        core.close()
        deleteTree(dir)
    }
}

/** An address on loopback where nothing listens: a phone without signal. */
fun deadPlatformUrl(): String = "http://127.0.0.1:${freeLoopbackPort()}"

/** A market form with only amount, term and date filled in (and what a test names). */
fun marketInput(
    amountFen: Long,
    months: UInt,
    points: UInt? = null,
    grade: CreditGrade? = null,
    industry: String? = null,
    search: String? = null,
    limit: UInt? = null,
    eligibleOnly: Boolean = false,
) = MarketInput(
    amountFen = amountFen,
    months = months,
    industry = industry,
    points = points,
    grade = grade,
    search = search,
    eligibleOnly = eligibleOnly,
    limit = limit,
    asOf = "2026-11-28",
)

/** A 酥梨贷 draft (no grade rule) in the signed-in villager's own town. */
fun suliDraft(amountFen: Long = 10_000_000L, months: UInt = 48u) =
    DraftInput(productId = "runchang-suli", amountFen = amountFen, months = months, town = "")

/**
 * The first value of [flow] that satisfies [predicate], waiting at most [seconds] (a bound so
 * that a broken build fails instead of hanging; nothing is timed).
 */
suspend fun <T> Flow<T>.awaitFirst(seconds: Long = 30, what: String, predicate: (T) -> Boolean): T =
    try {
        withTimeout(seconds * 1000) { first(predicate) }
    } catch (e: kotlinx.coroutines.TimeoutCancellationException) {
        throw AssertionError("waited $seconds s for $what", e)
    }
