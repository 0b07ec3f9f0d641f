// The account manager's screens (inbox with a ticking countdown, task detail with the review
// actions' forms) and the settings both apps share.
import Huoshui
import SwiftUI

struct InboxView: View {
    let app: AppCore
    let go: (Nav) -> Void
    @State private var model: Loaded<InboxScreen> = .loading
    @State private var delivered = Date()
    @State private var now = Date()
    private let tick = Timer.publish(every: 1, on: .main, in: .common).autoconnect()

    var body: some View {
        List {
            Shown(state: model) { m in
                Text(m.summaryZh).font(.headline)
                if let empty = m.emptyZh { Text(empty) }
                ForEach(m.rows, id: \.task.applicationId) { row in
                    let countdown = app.core.countdown(secondsLeft: row.task.secondsLeft - Int64(now.timeIntervalSince(delivered)))
                    Button { go(row.open) } label: {
                        VStack(alignment: .leading) {
                            HStack {
                                Text(row.task.titleZh).font(.headline)
                                Spacer()
                                Text(countdown.textZh).foregroundColor(countdown.overdue ? .red : .green)
                            }
                            Text(row.lineZh)
                        }
                        .frame(minHeight: 48)
                    }
                    .listRowBackground(countdown.overdue ? Color.red.opacity(0.1) : nil)
                }
            }
        }
        .font(.body)
        .navigationTitle("待办任务")
        .onReceive(tick) { now = $0 }
        .task {
            for await _ in app.tasks() {
                model = await load { try app.core.inboxScreen() }
                delivered = Date()
            }
        }
    }
}

struct TaskView: View {
    let app: AppCore
    let applicationId: String
    let go: (Nav) -> Void
    @State private var model: Loaded<TaskScreen> = .loading
    @State private var form: ReviewForm?
    @State private var failure: String?
    @State private var version = 0

    var body: some View {
        List {
            Shown(state: model) { m in
                if let task = m.task { Text(task.countdownZh).foregroundColor(task.overdue ? .red : .green) }
                FactsView(lines: m.facts)
                Section("材料") { ForEach(m.documents, id: \.nameZh) { Text($0.nameZh + ($0.missing ? "（本机未存）" : "")) } }
                if let failure { Text(failure).foregroundColor(.red) }
                ForEach(m.actions, id: \.labelZh) { a in
                    if a.action == .call, let uri = m.callUri {
                        BigButton(title: "打电话") { call(uri) }
                    } else if a.action != .call {
                        Button(a.labelZh) { open(a, m) }.frame(minHeight: 48)
                    }
                }
                if let binding = Binding($form) { ReviewFormView(app: app, model: m, form: binding) { submit() } }
            }
        }
        .font(.body)
        .navigationTitle("任务详情")
        .task(id: version) { model = await load { try app.core.taskScreen(applicationId: applicationId) } }
    }

    func open(_ a: ActionButton, _ m: TaskScreen) {
        let blank = ReviewForm(
            applicationId: applicationId, action: a.action, outcome: nil, note: "",
            amountText: m.approveAmountText, monthsText: m.approveMonthsText, rateText: "", kinds: [])
        if a.action == .startReview { form = blank; submit() } else { form = blank }
    }

    func submit() {
        guard let f = form else { return }
        Task {
            do {
                _ = try await app.core.review(form: f)
                form = nil
                version += 1
            } catch {
                failure = chineseMessage(for: error)
            }
        }
    }
}

struct ReviewFormView: View {
    let app: AppCore
    let model: TaskScreen
    @Binding var form: ReviewForm
    let submit: () -> Void

    var body: some View {
        Section {
            switch form.action {
            case .recordContact:
                Picker("通话结果", selection: $form.outcome) {
                    ForEach(model.outcomes, id: \.outcome) { Text($0.nameZh).tag(Optional($0.outcome)) }
                }
                TextField("备注（银行内部）", text: $form.note)
            case .requestDocuments:
                ForEach(model.documentKinds, id: \.kind) { k in
                    Toggle(k.nameZh, isOn: Binding(
                        get: { form.kinds.contains(k.kind) },
                        set: { on in form.kinds = on ? form.kinds + [k.kind] : form.kinds.filter { $0 != k.kind } }))
                }
                TextField("给村民的说明", text: $form.note)
            case .approve:
                TextField("批准金额（元）", text: $form.amountText)
                TextField("期限（月）", text: $form.monthsText)
                TextField("年利率（%）", text: $form.rateText)
            case .reject:
                TextField("不批准的原因（村民会看到）", text: $form.note)
            case .disburse:
                TextField("放款金额（元）", text: $form.amountText)
            default:
                EmptyView()
            }
            let problem = app.core.reviewProblem(form: form)
            ProblemText(problem: problem)
            BigButton(title: "确定", enabled: problem == nil, action: submit)
        }
    }
}

struct SettingsView: View {
    let app: AppCore
    let go: (Nav) -> Void
    @State private var model: Loaded<SettingsScreen> = .loading

    var body: some View {
        List {
            Shown(state: model) { m in
                Text(m.whoZh).font(.title2.bold())
                FactsView(lines: m.me)
                if let damaged = m.damagedStoreZh { Text(damaged).foregroundColor(.red) }
                Section("关于") { FactsView(lines: m.about) }
                if m.signedIn {
                    BigButton(title: "退出登录") {
                        Task {
                            try? await app.core.logout()
                            go(.signIn)
                        }
                    }
                } else {
                    BigButton(title: "登录") { go(m.signIn) }
                }
            }
        }
        .font(.body)
        .navigationTitle("设置")
        .task { model = await load { try app.core.settingsScreen() } }
    }
}
