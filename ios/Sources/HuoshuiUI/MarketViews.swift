// The villager's market screens: market, product, compare, calculator, grade, sign-in. Each
// draws the core's screen model for what the user typed and forwards taps.
import Huoshui
import SwiftUI

/// The market form shared by the market, product, compare and apply screens.
final class MarketFormStore: ObservableObject {
    static let shared = MarketFormStore()
    @Published var form = MarketForm(
        amountText: "10万", monthsText: "36", sort: .netCost, industry: nil, bank: nil, badge: nil, search: "")
}

struct SignInView: View {
    let app: AppCore
    let go: (Nav) -> Void
    @State private var phone = ""
    @State private var code = ""
    @State private var codeSent = false
    @State private var model: Loaded<SignInScreen> = .loading
    @State private var failure: String?
    @State private var busy = false

    var body: some View {
        Form {
            Shown(state: model) { m in
                Text(m.titleZh).font(.title.bold())
                Text(m.hintZh).font(.body).foregroundColor(.secondary)
                if m.stage != .signedIn {
                    TextField("手机号", text: $phone).keyboardType(.phonePad).font(.title3)
                    ProblemText(problem: m.phoneProblem)
                }
                if m.stage == .code {
                    TextField("验证码", text: $code).keyboardType(.numberPad).textContentType(.oneTimeCode).font(.title3)
                    ProblemText(problem: m.codeProblem)
                }
                if let failure { Text(failure).foregroundColor(.red) }
                BigButton(title: busy ? "请稍候…" : m.buttonZh, enabled: m.buttonEnabled && !busy) { primary(m) }
            }
        }
        .task(id: "\(phone)|\(code)|\(codeSent)") {
            model = await load { try app.core.signInScreen(phone: phone, code: code, codeSent: codeSent) }
            if case let .ready(m) = model, let next = m.next, m.stage == .signedIn { go(next) }
        }
    }

    func primary(_ m: SignInScreen) {
        busy = true
        failure = nil
        Task {
            defer { busy = false }
            do {
                switch m.stage {
                case .phone:
                    try await app.core.requestCode(phone: phone)
                    codeSent = true
                case .code:
                    _ = try await app.core.login(phone: phone, code: code)
                    model = await load { try app.core.signInScreen(phone: phone, code: code, codeSent: true) }
                    if case let .ready(s) = model, let next = s.next { go(next) }
                case .signedIn:
                    if let next = m.next { go(next) }
                }
            } catch {
                failure = chineseMessage(for: error)
            }
        }
    }
}

struct MarketView: View {
    let app: AppCore
    let go: (Nav) -> Void
    @ObservedObject private var store = MarketFormStore.shared
    @State private var model: Loaded<MarketScreen> = .loading
    @State private var picked: [String] = []

    var body: some View {
        List {
            Shown(state: model) { m in
                TextField("金额（元，可写“50万”）", text: $store.form.amountText).font(.title3)
                Text(m.amountEchoZh).foregroundColor(.secondary)
                ProblemText(problem: m.amountProblem)
                TextField("期限（月）", text: $store.form.monthsText).keyboardType(.numberPad).font(.title3)
                ProblemText(problem: m.monthsProblem)
                TextField("搜索（名称或拼音）", text: $store.form.search).font(.title3)
                ChipsView(title: "排序", options: m.sorts) { store.form.sort = sortKey($0.code) }
                ChipsView(title: "产业", options: m.industries) { store.form.industry = toggle(store.form.industry, $0.code) }
                ChipsView(title: "银行", options: m.banks) { store.form.bank = toggle(store.form.bank, $0.code) }
                ChipsView(title: "特色", options: m.badges) { store.form.badge = toggle(store.form.badge, $0.code) }
                Text(m.summaryZh).foregroundColor(.secondary)
                if picked.count >= 2 { BigButton(title: "对比已选的 \(picked.count) 款") { go(.compare(productIds: picked)) } }
                if let empty = m.emptyZh { Text(empty) }
                ForEach(m.cards, id: \.productId) { card in OfferCardView(card: card, picked: picked.contains(card.productId), go: go, pick: pick) }
            }
        }
        .navigationTitle("贷款超市")
        .task(id: store.form) { model = await load { try app.core.marketScreen(form: store.form) } }
    }

    func pick(_ id: String) {
        if let i = picked.firstIndex(of: id) { picked.remove(at: i) } else { picked = Array((picked + [id]).suffix(4)) }
    }

    func toggle(_ current: String?, _ code: String) -> String? { current == code ? nil : code }

    func sortKey(_ code: String) -> SortKey {
        switch code {
        case "payment": return .payment
        case "amount": return .amount
        case "speed": return .speed
        default: return .netCost
        }
    }
}

struct OfferCardView: View {
    let card: OfferCard
    let picked: Bool
    let go: (Nav) -> Void
    let pick: (String) -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(card.nameZh).font(.title2.bold())
            Text("\(card.bankZh) · \(card.amountZh)").foregroundColor(.secondary)
            if !card.paymentZh.isEmpty { Text("\(card.paymentLabelZh) \(card.paymentZh)") }
            Text(card.netCostZh)
            Text(card.aprZh).font(.headline)
            if !card.eligible { Text("暂不能申请：\(card.whyNotZh)").foregroundColor(.red) }
            HStack {
                Button("看详情") { go(card.open) }.frame(minHeight: 48)
                Button(picked ? "取消对比" : "加入对比") { pick(card.productId) }.frame(minHeight: 48)
            }
            .buttonStyle(.bordered)
        }
        .font(.body)
    }
}

struct ProductView: View {
    let app: AppCore
    let productId: String
    let go: (Nav) -> Void
    @State private var model: Loaded<ProductScreen> = .loading

    var body: some View {
        List {
            Shown(state: model) { m in
                Text(m.detail.offer.bankZh).foregroundColor(.secondary)
                Text(m.detail.summaryZh)
                if !m.whyNotZh.isEmpty { Text("暂不能申请：\(m.whyNotZh)").foregroundColor(.red) }
                FactsView(lines: m.facts)
                Section("需要准备的材料") { ForEach(m.detail.documents, id: \.nameZh) { Text($0.nameZh) } }
                BigButton(title: "申请这款贷款", enabled: m.detail.offer.eligible) { go(m.apply) }
                Section("还款计划") {
                    ForEach(m.detail.schedule, id: \.n) { row in
                        HStack { Text("第\(row.n)期"); Spacer(); Text(row.payment.short) }
                    }
                }
            }
        }
        .font(.body)
        .task { model = await load { try app.core.productScreen(form: MarketFormStore.shared.form, productId: productId) } }
    }
}

struct CompareView: View {
    let app: AppCore
    let productIds: [String]
    let go: (Nav) -> Void
    @State private var model: Loaded<CompareScreen> = .loading

    var body: some View {
        ScrollView([.horizontal, .vertical]) {
            Shown(state: model) { m in
                ProblemText(problem: m.problem)
                if let view = m.view {
                    Grid(alignment: .leading, horizontalSpacing: 16, verticalSpacing: 10) {
                        GridRow {
                            Text("")
                            ForEach(view.namesZh, id: \.self) { Text($0).font(.headline) }
                        }
                        ForEach(view.rows, id: \.key) { row in
                            GridRow {
                                Text(row.labelZh).foregroundColor(.secondary)
                                ForEach(Array(row.cellsZh.enumerated()), id: \.offset) { i, cell in
                                    Text(row.best.map { Int($0) == i } == true ? "\(cell) ★" : cell)
                                }
                            }
                        }
                    }
                    .font(.body)
                    .padding()
                }
            }
        }
        .navigationTitle("对比")
        .task { model = await load { try app.core.compareScreen(form: MarketFormStore.shared.form, productIds: productIds) } }
    }
}

struct CalculatorView: View {
    let app: AppCore
    @State private var form = CalculatorForm(method: "equal-installment", amountText: "10万", rateText: "4.35", monthsText: "12", graceText: "")
    @State private var model: Loaded<CalculatorScreen> = .loading

    var body: some View {
        List {
            Shown(state: model) { m in
                ChipsView(title: "还款方式", options: m.methods) { form.method = $0.code }
                TextField("金额（元）", text: $form.amountText)
                ProblemText(problem: m.amountProblem)
                TextField("年利率（%）", text: $form.rateText).keyboardType(.decimalPad)
                ProblemText(problem: m.rateProblem)
                TextField("期限（月）", text: $form.monthsText).keyboardType(.numberPad)
                ProblemText(problem: m.monthsProblem)
                FactsView(lines: m.facts)
            }
        }
        .font(.title3)
        .navigationTitle("贷款计算器")
        .task(id: form) { model = await load { try app.core.calculatorScreen(form: form) } }
    }
}

struct GradeView: View {
    let app: AppCore
    @State private var points = ""
    @State private var model: Loaded<GradeScreen> = .loading

    var body: some View {
        List {
            Shown(state: model) { m in
                Text(m.noteZh).foregroundColor(.secondary)
                TextField("试算积分", text: $points).keyboardType(.numberPad)
                if let view = m.view {
                    Text(view.headlineZh).font(.title2.bold())
                    ForEach(view.products, id: \.productId) { p in
                        Text(p.unlocked ? "\(p.nameZh)：已解锁，最高 \(p.maxAmount.short)" : "\(p.nameZh)：未解锁")
                    }
                }
            }
        }
        .font(.body)
        .navigationTitle("我的信用等级")
        .task(id: points) { model = await load { try app.core.gradeScreen(points: UInt32(points)) } }
    }
}
