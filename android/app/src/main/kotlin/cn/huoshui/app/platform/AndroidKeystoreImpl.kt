package cn.huoshui.app.platform

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import uniffi.huoshui_ffi.KeystoreException
import uniffi.huoshui_ffi.PlatformKeystore

/**
 * The platform keystore over Android Keystore: an AES-256-GCM key that never leaves the secure
 * hardware wraps the core's install key. Wrapped form: 12-byte IV ‖ ciphertext ‖ tag.
 */
class AndroidKeystoreImpl(private val alias: String = "huoshui-install-key-wrapper") : PlatformKeystore {
    private val keyStore: KeyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }

    private fun key(create: Boolean): SecretKey {
        (keyStore.getKey(alias, null) as? SecretKey)?.let { return it }
        if (!create) throw KeystoreException.KeyUnavailable("no key under $alias")
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    override fun wrapKey(plaintext: ByteArray): ByteArray = try {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key(create = true))
        cipher.iv + cipher.doFinal(plaintext)
    } catch (e: KeystoreException) {
        throw e
    } catch (e: Exception) {
        throw KeystoreException.Failed(e.javaClass.simpleName)
    }

    override fun unwrapKey(wrapped: ByteArray): ByteArray = try {
        if (wrapped.size < 12 + 16) throw KeystoreException.KeyUnavailable("wrapped key too short")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, key(create = false), GCMParameterSpec(128, wrapped, 0, 12))
        cipher.doFinal(wrapped, 12, wrapped.size - 12)
    } catch (e: KeystoreException) {
        throw e
    } catch (e: KeyPermanentlyInvalidatedException) {
        throw KeystoreException.KeyUnavailable("key invalidated")
    } catch (e: AEADBadTagException) {
        throw KeystoreException.KeyUnavailable("wrapped key does not open")
    } catch (e: Exception) {
        throw KeystoreException.Failed(e.javaClass.simpleName)
    }
}
