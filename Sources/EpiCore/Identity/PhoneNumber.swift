/// A Vietnamese phone number, stored in E.164 (+84…).
public struct PhoneNumber: Hashable, Sendable, Codable, CustomStringConvertible {
    public let e164: String

    public init(parsing raw: String) throws(PhoneNumberError) {
        var s = ""
        var plus = false
        for (i, ch) in raw.trimmingCharacters().enumerated() {
            if " .-()".contains(ch) { continue }
            if ch == "+" && i == 0 { plus = true; continue }
            guard ch.isASCII, ch.wholeNumberValue != nil else { throw .invalidCharacters }
            s.append(ch)
        }
        guard !s.isEmpty else { throw .empty }
        var national: Substring
        if plus {
            guard s.hasPrefix("84") else { throw .notVietnamese }
            national = s.dropFirst(2)
        } else if s.hasPrefix("0084") {
            national = s.dropFirst(4)
        } else if s.hasPrefix("0") {
            national = s.dropFirst(1)
        } else if s.hasPrefix("84"), Self.isValidNational(s.dropFirst(2)) {
            national = s.dropFirst(2)
        } else {
            throw .wrongLength
        }
        if national.hasPrefix("0") { national = national.dropFirst() }
        guard Self.isValidNational(national) else { throw .wrongLength }
        self.e164 = "+84" + national
    }

    /// Mobiles: 9 digits starting 3, 5, 7, 8 or 9; landlines: 10 digits starting 2 (area code 2x).
    static func isValidNational(_ n: Substring) -> Bool {
        guard let first = n.first else { return false }
        if n.count == 9 { return "35789".contains(first) }
        if n.count == 10 { return first == "2" }
        return false
    }

    public var national: String { "0" + e164.dropFirst(3) }
    public var isMobile: Bool { e164.count == 12 }
    public var description: String { e164 }
}

public enum PhoneNumberError: Error, Equatable, Sendable {
    case empty
    case invalidCharacters
    case wrongLength
    case notVietnamese

    public var messageVI: String {
        switch self {
        case .empty: return "Chưa nhập số điện thoại."
        case .invalidCharacters: return "Số điện thoại chỉ gồm chữ số (có thể có +84, dấu cách, dấu chấm)."
        case .wrongLength: return "Số điện thoại không hợp lệ: di động gồm 0 và 9 chữ số (vd. 0912 345 678)."
        case .notVietnamese: return "Chỉ nhận số điện thoại Việt Nam (+84)."
        }
    }

    public var messageEN: String {
        switch self {
        case .empty: return "No phone number given."
        case .invalidCharacters: return "A phone number has digits only (+84, spaces and dots allowed)."
        case .wrongLength: return "Invalid phone number: mobiles are 0 followed by 9 digits (e.g. 0912 345 678)."
        case .notVietnamese: return "Only Vietnamese (+84) numbers are accepted."
        }
    }
}
