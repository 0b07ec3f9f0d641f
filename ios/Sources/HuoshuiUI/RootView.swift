// The app's navigation: a NavigationStack over the core's navigation targets (`Nav`), the sync
// banner on top, and the tabs of the signed-in role.
import Huoshui
import SwiftUI

/// What only the app target can do (camera, dialer are in this package; push and background
/// sync live in the app target).
public struct RootView: View {
    let app: AppCore
    @State private var path: [Nav] = []
    @State private var home: Nav = .signIn
    @State private var banner: SyncBanner?

    public init(app: AppCore) { self.app = app }

    public var body: some View {
        VStack(spacing: 0) {
            if let banner, banner.visible { SyncBannerView(app: app, banner: banner) { go(.signIn) } }
            NavigationStack(path: $path) {
                screen(home)
                    .navigationDestination(for: Nav.self) { screen($0) }
            }
            TabsView(app: app, go: go)
        }
        .task {
            for await status in app.syncStatus() { banner = app.core.syncBannerFor(status: status) }
        }
    }

    /// Follows an action's target: back, a tab (resets the stack), or a screen pushed.
    func go(_ to: Nav) {
        switch to {
        case .back: if !path.isEmpty { path.removeLast() }
        case .signIn, .market, .loans, .inbox, .settings, .calculator, .grade:
            path = []
            home = to
        default: path.append(to)
        }
    }

    @ViewBuilder func screen(_ nav: Nav) -> some View {
        switch nav {
        case .signIn: SignInView(app: app, go: go)
        case .market: MarketView(app: app, go: go)
        case let .product(productId): ProductView(app: app, productId: productId, go: go)
        case let .compare(productIds): CompareView(app: app, productIds: productIds, go: go)
        case .calculator: CalculatorView(app: app)
        case .grade: GradeView(app: app)
        case let .apply(productId): ApplyView(app: app, productId: productId, go: go)
        case let .checklist(applicationId): ChecklistView(app: app, applicationId: applicationId, go: go)
        case .loans: LoansView(app: app, go: go)
        case let .timeline(applicationId): TimelineView(app: app, applicationId: applicationId, go: go)
        case .inbox: InboxView(app: app, go: go)
        case let .task(applicationId): TaskView(app: app, applicationId: applicationId, go: go)
        case .settings: SettingsView(app: app, go: go)
        case .back: EmptyView()
        }
    }
}

/// The tabs of the signed-in role (none before sign-in).
struct TabsView: View {
    let app: AppCore
    let go: (Nav) -> Void
    @State private var role: Role?

    var body: some View {
        HStack {
            ForEach(tabs, id: \.0) { label, target in
                Button(label) { go(target) }.font(.body).frame(maxWidth: .infinity, minHeight: 52)
            }
        }
        .task { role = (try? await app.core.session())?.role }
    }

    var tabs: [(String, Nav)] {
        switch role {
        case .none: return []
        case .some(.manager): return [("待办", .inbox), ("设置", .settings)]
        default: return [("贷款超市", .market), ("我的贷款", .loans), ("计算器", .calculator), ("信用", .grade), ("设置", .settings)]
        }
    }
}

/// The sync banner: the core's words, retry and sign-in buttons when the core says so.
struct SyncBannerView: View {
    let app: AppCore
    let banner: SyncBanner
    let signIn: () -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text(banner.textZh).font(.body)
            if banner.canRetry {
                Button("重试") {
                    Task {
                        _ = try? await app.core.retryFailed()
                        _ = try? await app.core.syncNow()
                    }
                }
                .frame(minHeight: 48)
            }
            if banner.signInAgain { Button("重新登录", action: signIn).frame(minHeight: 48) }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding(12)
        .background(banner.urgent ? Color.red.opacity(0.12) : Color.yellow.opacity(0.25))
    }
}
