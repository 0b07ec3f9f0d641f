// The Huoshui core for Swift: opens the generated `HuoshuiCore` once per process and turns its
// listeners into AsyncStreams. Hand-written and deliberately small: it cannot be compiled on the
// Linux machines that build and test the rest (the logic it calls is the Rust core).
import Foundation

/// Opens the core once per process, in Application Support, protected by the Keychain.
public final class AppCore: @unchecked Sendable {
    public let core: HuoshuiCore

    /// - Parameter platformURL: the county platform (the app's Info.plist `HuoshuiPlatformURL`).
    public init(platformURL: String?, keystore: PlatformKeystore = KeychainKeystore()) throws {
        let support = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        let dir = support.appendingPathComponent("huoshui", isDirectory: true)
        core = try HuoshuiCore.open(
            config: CoreConfig(dataDir: dir.path, platformUrl: platformURL), keystore: keystore)
    }

    /// The sync status now and after every change (the banner).
    public func syncStatus() -> AsyncStream<SyncStatusView> {
        AsyncStream { continuation in
            final class Forward: SyncStatusListener {
                let continuation: AsyncStream<SyncStatusView>.Continuation
                init(_ c: AsyncStream<SyncStatusView>.Continuation) { continuation = c }
                func onUpdate(status: SyncStatusView) { continuation.yield(status) }
            }
            do {
                let handle = try core.subscribeSyncStatus(listener: Forward(continuation))
                continuation.onTermination = { _ in handle.cancel() }
            } catch {
                continuation.finish()
            }
        }
    }

    /// The villager's applications now and after every change.
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

    /// The manager's tasks now and after every change.
    public func tasks() -> AsyncStream<[TaskView]> {
        AsyncStream { continuation in
            final class Forward: TasksListener {
                let continuation: AsyncStream<[TaskView]>.Continuation
                init(_ c: AsyncStream<[TaskView]>.Continuation) { continuation = c }
                func onUpdate(tasks: [TaskView]) { continuation.yield(tasks) }
            }
            do {
                let handle = try core.subscribeTasks(listener: Forward(continuation))
                continuation.onTermination = { _ in handle.cancel() }
            } catch {
                continuation.finish()
            }
        }
    }
}
