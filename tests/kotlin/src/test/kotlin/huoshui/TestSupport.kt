package huoshui

import cn.huoshui.core.Huoshui
import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import uniffi.huoshui_core.MarketInput
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

/** One opened core in its own temp folder. */
class Fixture(val keystore: JvmKeystore = JvmKeystore(), val userId: String = "villager-1") : AutoCloseable {
    val dir: Path = tempDataDir()
    val app: Huoshui = Huoshui.open(dir.toString(), userId, keystore)

    override fun close() {
        app.close()
        deleteTree(dir)
    }
}

/** A market form with only amount, term and date filled in. */
fun marketInput(
    amountFen: Long,
    months: UInt,
    points: UInt? = null,
    grade: String? = null,
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
    town = null,
    age = null,
    sort = null,
    search = search,
    bank = null,
    eligibleOnly = eligibleOnly,
    limit = limit,
    asOf = "2026-11-28",
)
