// The Huoshui iPhone app: opens the core once, draws RootView, registers for push (APNs) and for
// background sync (BGTaskScheduler), and keeps the live connection while in the foreground.
// Push payloads carry no personal data: they only tell the core to sync (`handlePush`).
import BackgroundTasks
import Huoshui
import HuoshuiUI
import SwiftUI
import UIKit
import UserNotifications

/// The background sync task's identifier (also in Info.plist's BGTaskSchedulerPermittedIdentifiers).
let syncTaskId = "cn.huoshui.app.sync"

final class AppDelegate: NSObject, UIApplicationDelegate, UNUserNotificationCenterDelegate {
    static var core: AppCore?

    func application(_ application: UIApplication, didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil) -> Bool {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: syncTaskId, using: nil) { task in
            // swiftlint:disable:next force_cast
            Self.sync(task as! BGAppRefreshTask)
        }
        UNUserNotificationCenter.current().delegate = self
        UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge]) { granted, _ in
            if granted { DispatchQueue.main.async { application.registerForRemoteNotifications() } }
        }
        return true
    }

    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        // The device token goes to the platform with the next sync (registration is the
        // platform's push gateway's part); nothing personal is in it.
        UserDefaults.standard.set(deviceToken.map { String(format: "%02x", $0) }.joined(), forKey: "apnsToken")
    }

    func application(
        _ application: UIApplication,
        didReceiveRemoteNotification userInfo: [AnyHashable: Any],
        fetchCompletionHandler completionHandler: @escaping (UIBackgroundFetchResult) -> Void
    ) {
        guard let core = Self.core?.core,
              let data = try? JSONSerialization.data(withJSONObject: userInfo),
              let text = String(data: data, encoding: .utf8)
        else { return completionHandler(.noData) }
        Task {
            let report = try? await core.handlePush(data: text)
            completionHandler((report?.received ?? 0) > 0 ? .newData : .noData)
        }
    }

    /// Asks for the next background sync in 15 minutes or later.
    static func scheduleSync() {
        let request = BGAppRefreshTaskRequest(identifier: syncTaskId)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    static func sync(_ task: BGAppRefreshTask) {
        scheduleSync()
        let work = Task {
            _ = try? await core?.core.syncNow()
            task.setTaskCompleted(success: !Task.isCancelled)
        }
        task.expirationHandler = { work.cancel() }
    }
}

@main
struct HuoshuiApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate
    @Environment(\.scenePhase) private var phase
    private let opened: Result<AppCore, Error>

    init() {
        let url = Bundle.main.object(forInfoDictionaryKey: "HuoshuiPlatformURL") as? String
        opened = Result { try AppCore(platformURL: url) }
        AppDelegate.core = try? opened.get()
    }

    var body: some Scene {
        WindowGroup {
            switch opened {
            case let .success(app):
                RootView(app: app)
            case let .failure(error):
                Text(chineseMessage(for: error)).font(.title3).padding()
            }
        }
        .onChange(of: phase) { newPhase in
            guard let core = try? opened.get().core else { return }
            switch newPhase {
            case .active: try? core.connectLive()
            case .background:
                core.disconnectLive()
                AppDelegate.scheduleSync()
            default: break
            }
        }
    }
}
