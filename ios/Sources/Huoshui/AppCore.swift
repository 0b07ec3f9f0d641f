// The Huoshui core for Swift: a thin wrapper over the generated `HuoshuiCore` (hand-written,
// deliberately small: it cannot be compiled on the Linux machines that build the rest).
import Foundation

/// Opens the core once per process, in Application Support, protected by the Keychain.
public final class AppCore {
    public let core: HuoshuiCore

    public init(userId: String, keystore: PlatformKeystore = KeychainKeystore()) throws {
        let support = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        let dir = support.appendingPathComponent("huoshui", isDirectory: true)
        core = try HuoshuiCore.open(dataDir: dir.path, userId: userId, keystore: keystore)
    }

    /// One market page, formatted for display.
    public func marketPage(_ input: MarketInput) async throws -> MarketPageView {
        try await core.marketPage(input: input)
    }

    /// The villager's applications now and after every change, as an AsyncStream; the
    /// subscription is cancelled when the stream ends.
    public func applications() -> AsyncStream<[ApplicationView]> {
        AsyncStream { continuation in
            final class Forward: ApplicationsListener {
                let continuation: AsyncStream<[ApplicationView]>.Continuation
                init(_ c: AsyncStream<[ApplicationView]>.Continuation) { continuation = c }
                func onUpdate(applications: [ApplicationView]) { continuation.yield(applications) }
            }
            do {
                let handle = try core.subscribeApplications(listener: Forward(continuation))
                continuation.onTermination = { _ in handle.cancel() }
            } catch {
                continuation.finish()
            }
        }
    }
}
