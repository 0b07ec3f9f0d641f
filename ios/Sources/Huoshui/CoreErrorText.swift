// What the user reads when the core refuses something: every error of the core carries its
// Chinese and English words as data, and these are shown, never `"\(error)"` (which would print
// a Swift enum dump).
import Foundation

extension HuoshuiError {
    /// The message to show, in Chinese.
    public var messageZh: String {
        switch self {
        case let .InvalidInput(zh, _): return zh
        case let .NotFound(zh, _): return zh
        case let .KeyUnavailable(zh, _): return zh
        case let .StorageFull(zh, _): return zh
        case let .Retry(zh, _): return zh
        case let .Conflict(zh, _): return zh
        case let .SignIn(zh, _): return zh
        case let .Offline(zh, _): return zh
        case let .Internal(zh, _): return zh
        }
    }

    /// The same message in English.
    public var messageEn: String {
        switch self {
        case let .InvalidInput(_, en): return en
        case let .NotFound(_, en): return en
        case let .KeyUnavailable(_, en): return en
        case let .StorageFull(_, en): return en
        case let .Retry(_, en): return en
        case let .Conflict(_, en): return en
        case let .SignIn(_, en): return en
        case let .Offline(_, en): return en
        case let .Internal(_, en): return en
        }
    }
}

/// The Chinese words for any error a call into the core can throw.
public func chineseMessage(for error: Error) -> String {
    if let core = error as? HuoshuiError { return core.messageZh }
    return "出了点问题，请稍后再试"
}
