// A minimal SwiftUI market list: draws the core's view model, nothing computed here.
import Huoshui
import SwiftUI

public struct MarketListView: View {
    let app: AppCore
    @State private var page: MarketPageView?
    @State private var failure: String?

    public init(app: AppCore) { self.app = app }

    public var body: some View {
        List(page?.offers ?? [], id: \.productId) { offer in
            VStack(alignment: .leading, spacing: 4) {
                Text(offer.nameZh).font(.title2)
                Text(offer.bankZh).font(.body)
                Text("年化 \(offer.aprText) · 最高 \(offer.maxAmount.short)").font(.headline)
                Text("贴息后净成本 \(offer.netCost.full)")
                ForEach(offer.reasonsZh, id: \.self) { Text($0).foregroundColor(.red) }
            }
        }
        .overlay { if let failure { Text(failure).font(.title3) } }
        .task {
            let input = MarketInput(
                amountFen: 50_000_000, months: 36, industry: nil, points: nil, grade: nil, town: nil,
                age: nil, sort: nil, search: nil, bank: nil, eligibleOnly: false, limit: 20, asOf: nil)
            do { page = try await app.marketPage(input) } catch let e as HuoshuiError {
                failure = "\(e)"
            } catch { failure = "\(error)" }
        }
    }
}
