// Shared pieces of the SwiftUI screens: the model loader, error text, big buttons. The screens
// draw the core's screen models (the same ones the Android app draws) and forward taps; what to
// show and what is valid is decided in the Rust core, never here.
import Huoshui
import SwiftUI

/// A screen model being read: loading, ready, or the core's Chinese words for why not.
enum Loaded<T> {
    case loading
    case ready(T)
    case failed(String)
}

/// Reads a screen model off the main thread (the core's screen calls are quick, blocking reads).
func load<T>(_ read: @escaping () throws -> T) async -> Loaded<T> {
    await Task.detached(priority: .userInitiated) {
        do { return .ready(try read()) } catch { return .failed(chineseMessage(for: error)) }
    }.value
}

/// Draws `content` once the model is there.
struct Shown<T, Content: View>: View {
    let state: Loaded<T>
    @ViewBuilder let content: (T) -> Content

    var body: some View {
        switch state {
        case .loading: ProgressView("正在加载…").font(.body)
        case let .failed(zh): Text(zh).font(.body).foregroundColor(.red)
        case let .ready(value): content(value)
        }
    }
}

/// The main action of a screen: full width, at least 48 pt high, big text.
struct BigButton: View {
    let title: String
    var enabled = true
    let action: () -> Void

    var body: some View {
        Button(action: action) {
            Text(title).font(.title3.bold()).frame(maxWidth: .infinity, minHeight: 52)
        }
        .buttonStyle(.borderedProminent)
        .tint(Color(red: 0.106, green: 0.369, blue: 0.125))
        .disabled(!enabled)
    }
}

/// A problem under a field, in red.
struct ProblemText: View {
    let problem: Problem?
    var body: some View {
        if let problem { Text(problem.zh).font(.body).foregroundColor(.red) }
    }
}

/// Label and value lines.
struct FactsView: View {
    let lines: [LineView]
    var body: some View {
        ForEach(lines, id: \.labelZh) { line in
            HStack(alignment: .top) {
                Text(line.labelZh).foregroundColor(.secondary)
                Spacer()
                Text(line.value).multilineTextAlignment(.trailing)
            }
            .font(.body)
        }
    }
}

/// A row of choices (sort, filters, purposes); tapping the chosen one again clears it.
struct ChipsView: View {
    let title: String
    let options: [OptionView]
    let pick: (OptionView) -> Void

    var body: some View {
        VStack(alignment: .leading) {
            Text(title).font(.headline)
            ScrollView(.horizontal, showsIndicators: false) {
                HStack {
                    ForEach(options, id: \.code) { option in
                        Button(option.labelZh) { pick(option) }
                            .font(.body)
                            .frame(minHeight: 48)
                            .buttonStyle(.bordered)
                            .tint(option.selected ? .green : .gray)
                    }
                }
            }
        }
    }
}

/// Opens the dialer for a `tel:` URI from the core.
func call(_ uri: String) {
    if let url = URL(string: uri) { UIApplication.shared.open(url) }
}
