// The platform keystore over the iOS Keychain: a random AES-256 key kept in the Keychain
// (this device only, after first unlock) wraps the core's install key with AES-GCM (CryptoKit).
import CryptoKit
import Foundation
import Security

public final class KeychainKeystore: PlatformKeystore {
    private let service = "cn.huoshui.keystore"
    private let account = "install-key-wrapper"

    public init() {}

    private func loadKey(create: Bool) throws -> SymmetricKey {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let data = item as? Data { return SymmetricKey(data: data) }
        if status == errSecInteractionNotAllowed { throw KeystoreError.Failed(reason: "device locked") }
        guard create else { throw KeystoreError.KeyUnavailable(reason: "no wrapping key in the Keychain") }
        let key = SymmetricKey(size: .bits256)
        query.removeValue(forKey: kSecReturnData as String)
        query[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        query[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let added = SecItemAdd(query as CFDictionary, nil)
        guard added == errSecSuccess else { throw KeystoreError.Failed(reason: "Keychain error \(added)") }
        return key
    }

    public func wrapKey(plaintext: Data) throws -> Data {
        let sealed = try AES.GCM.seal(plaintext, using: loadKey(create: true))
        guard let combined = sealed.combined else { throw KeystoreError.Failed(reason: "seal failed") }
        return combined
    }

    public func unwrapKey(wrapped: Data) throws -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: loadKey(create: false))
        } catch let e as KeystoreError {
            throw e
        } catch {
            throw KeystoreError.KeyUnavailable(reason: "wrapped key does not open")
        }
    }
}
