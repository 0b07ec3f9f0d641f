// The villager's own screens: apply (with the 征信授权 consent), the document checklist with the
// VisionKit document camera, my loans and a loan's timeline.
import Huoshui
import SwiftUI
import VisionKit

struct ApplyView: View {
    let app: AppCore
    let productId: String
    let go: (Nav) -> Void
    @State private var form: ApplyForm
    @State private var model: Loaded<ApplyScreen> = .loading
    @State private var failure: String?
    @State private var busy = false

    init(app: AppCore, productId: String, go: @escaping (Nav) -> Void) {
        self.app = app
        self.productId = productId
        self.go = go
        let market = MarketFormStore.shared.form
        _form = State(initialValue: ApplyForm(
            productId: productId, amountText: market.amountText, monthsText: market.monthsText, purpose: nil, consent: false))
    }

    var body: some View {
        Form {
            Shown(state: model) { m in
                Text(m.bankZh).foregroundColor(.secondary)
                Text(m.rangeZh).foregroundColor(.secondary)
                TextField("金额（元，可写“10万”）", text: $form.amountText)
                ProblemText(problem: m.amountProblem)
                TextField("期限（月）", text: $form.monthsText).keyboardType(.numberPad)
                ProblemText(problem: m.monthsProblem)
                ChipsView(title: "贷款用途", options: m.purposes) { form.purpose = $0.code }
                ProblemText(problem: m.purposeProblem)
                Text(m.previewZh)
                if !m.whyNotZh.isEmpty { Text("暂不能申请：\(m.whyNotZh)").foregroundColor(.red) }
                Section(m.consentTitleZh) {
                    Text(m.consentTextZh)
                    Toggle("我已阅读并同意上述授权", isOn: $form.consent).frame(minHeight: 48)
                    ProblemText(problem: m.consentProblem)
                }
                if m.signInFirst { Text("请先登录再申请").foregroundColor(.red) }
                if let failure { Text(failure).foregroundColor(.red) }
                BigButton(title: busy ? "请稍候…" : "下一步：拍材料", enabled: m.canSubmit && !busy) { submit() }
            }
        }
        .font(.body)
        .navigationTitle(model.title)
        .task(id: form) { model = await load { try app.core.applyScreen(form: form) } }
    }

    func submit() {
        busy = true
        Task {
            defer { busy = false }
            do { go(try await app.core.apply(form: form).next) } catch { failure = chineseMessage(for: error) }
        }
    }
}

private extension Loaded where T == ApplyScreen {
    var title: String { if case let .ready(m) = self { return "申请 \(m.productNameZh)" } else { return "申请" } }
}

struct ChecklistView: View {
    let app: AppCore
    let applicationId: String
    let go: (Nav) -> Void
    @State private var model: Loaded<ChecklistScreen> = .loading
    @State private var capturing: ChecklistLine?
    @State private var failure: String?
    @State private var version = 0

    var body: some View {
        List {
            Shown(state: model) { m in
                Text(m.progressZh).font(.headline)
                ProgressView(value: Double(m.done), total: Double(max(m.total, 1)))
                ForEach(m.lines, id: \.nameZh) { line in
                    HStack {
                        Text(line.nameZh)
                        Spacer()
                        Text(line.statusZh).foregroundColor(line.done ? .green : .red)
                    }
                    if m.editable {
                        Button(line.actionZh) { capturing = line }.frame(minHeight: 48)
                    }
                }
                ProblemText(problem: m.submitProblem)
                if let failure { Text(failure).foregroundColor(.red) }
                BigButton(title: m.submitZh, enabled: m.canSubmit) {
                    Task {
                        do { go(try await app.core.checklistSubmit(applicationId: applicationId)) } catch { failure = chineseMessage(for: error) }
                    }
                }
            }
        }
        .font(.body)
        .navigationTitle("材料清单")
        .task(id: version) { model = await load { try app.core.checklistScreen(applicationId: applicationId) } }
        .sheet(item: $capturing) { line in
            DocumentCamera { jpegs in
                capturing = nil
                Task { await store(line: line, pages: jpegs) }
            }
        }
    }

    /// A retake replaces the earlier photos of that kind; each page is sealed in the vault.
    func store(line: ChecklistLine, pages: [Data]) async {
        do {
            for id in line.documentIds { try await app.core.deleteDocument(documentId: id) }
            for page in pages {
                let capture = try app.core.startCapture(kind: line.kind, applicationId: applicationId)
                try capture.writeChunk(data: page)
                _ = try capture.finish()
            }
            version += 1
        } catch {
            failure = chineseMessage(for: error)
        }
    }
}

extension ChecklistLine: Identifiable {
    public var id: String { nameZh }
}

/// VisionKit's document camera: edge detection, perspective correction, several pages.
struct DocumentCamera: UIViewControllerRepresentable {
    let done: ([Data]) -> Void

    func makeUIViewController(context: Context) -> VNDocumentCameraViewController {
        let camera = VNDocumentCameraViewController()
        camera.delegate = context.coordinator
        return camera
    }

    func updateUIViewController(_ controller: VNDocumentCameraViewController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(done: done) }

    final class Coordinator: NSObject, VNDocumentCameraViewControllerDelegate {
        let done: ([Data]) -> Void
        init(done: @escaping ([Data]) -> Void) { self.done = done }

        func documentCameraViewController(_ controller: VNDocumentCameraViewController, didFinishWith scan: VNDocumentCameraScan) {
            done((0..<scan.pageCount).compactMap { scan.imageOfPage(at: $0).jpegData(compressionQuality: 0.85) })
        }

        func documentCameraViewControllerDidCancel(_ controller: VNDocumentCameraViewController) { done([]) }

        func documentCameraViewController(_ controller: VNDocumentCameraViewController, didFailWithError error: Error) { done([]) }
    }
}

struct LoansView: View {
    let app: AppCore
    let go: (Nav) -> Void
    @State private var model: Loaded<LoansScreen> = .loading

    var body: some View {
        List {
            Shown(state: model) { m in
                if let empty = m.emptyZh { Text(empty) }
                ForEach(m.rows, id: \.application.id) { row in
                    Button { go(row.open) } label: {
                        VStack(alignment: .leading) {
                            Text(row.application.productNameZh).font(.title3.bold())
                            Text(row.amountZh)
                            Text("\(row.application.stateZh) · \(row.application.updatedZh)").foregroundColor(.secondary)
                            if !row.application.syncZh.isEmpty { Text(row.application.syncZh) }
                            if let attention = row.application.attentionZh { Text(attention).foregroundColor(.red) }
                        }
                        .frame(minHeight: 48)
                    }
                }
            }
        }
        .font(.body)
        .navigationTitle("我的贷款")
        .task {
            for await _ in app.applications() { model = await load { try app.core.loansScreen() } }
        }
    }
}

struct TimelineView: View {
    let app: AppCore
    let applicationId: String
    let go: (Nav) -> Void
    @State private var model: Loaded<TimelineScreen> = .loading
    @State private var failure: String?

    var body: some View {
        List {
            Shown(state: model) { m in
                Section("下一步") { Text(m.view.nextZh) }
                Text(m.managerZh)
                if !m.callNoteZh.isEmpty { Text(m.callNoteZh).foregroundColor(.secondary) }
                if let uri = m.callUri { BigButton(title: "打电话给客户经理") { call(uri) } }
                if let failure { Text(failure).foregroundColor(.red) }
                ForEach(m.actions, id: \.labelZh) { a in Button(a.labelZh) { act(a) }.frame(minHeight: 48) }
                Section("办理记录") {
                    ForEach(m.view.entries.reversed(), id: \.seq) { e in
                        VStack(alignment: .leading) {
                            Text(e.titleZh).font(.headline)
                            Text(e.whenZh + (e.confirmed ? "" : " · 待发送")).foregroundColor(.secondary)
                            if let detail = e.detailZh { Text(detail) }
                        }
                    }
                }
            }
        }
        .font(.body)
        .navigationTitle("进度")
        .task {
            for await _ in app.applications() { model = await load { try app.core.timelineScreen(applicationId: applicationId) } }
        }
    }

    func act(_ a: ActionButton) {
        Task {
            do {
                switch a.action {
                case .acceptOffer: _ = try await app.core.acceptOffer(applicationId: applicationId)
                case .withdraw: _ = try await app.core.withdraw(applicationId: applicationId, reason: nil)
                case .discardDraft: try await app.core.discardDraft(applicationId: applicationId)
                default: break
                }
                go(a.next)
            } catch {
                failure = chineseMessage(for: error)
            }
        }
    }
}
