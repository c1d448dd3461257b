import Foundation

/// A calendar date without time or zone (birth dates, report days).
public struct CivilDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// For values already known to be a real calendar day (computed from a day number).
    init(checkedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The years a date typed by a user, read from a file or from a URL may have (docs/configuration.md):
    /// wide enough for any birth date and any plan, narrow enough that arithmetic on them stays in range.
    public static let acceptedYears = 1900...2100

    /// True when the date lies in `acceptedYears`.
    public var isInAcceptedRange: Bool { Self.acceptedYears.contains(year) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Reads "dd/mm/yyyy", "d/m/yyyy", "dd-mm-yyyy", "dd.mm.yyyy" (Vietnamese order) or ISO "yyyy-mm-dd".
    public init(parsing raw: String) throws(CivilDateError) {
        if let (text, y, m, d) = Self.plainNumbers(raw) {
            guard let date = CivilDate(year: y, month: m, day: d) else { throw .invalidDate(text) }
            guard date.isInAcceptedRange else { throw .outOfRange(text) }
            self = date
            return
        }
        let text = String(raw.trimmingCharacters())
        guard !text.isEmpty else { throw .empty }
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == "-" || $0 == "." }).map(String.init)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil }) else { throw .invalidFormat(text) }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == 3 else { throw .invalidFormat(text) }
        let (y, m, d) = parts[0].count == 4 ? (numbers[0], numbers[1], numbers[2]) : (numbers[2], numbers[1], numbers[0])
        guard (parts[0].count == 4 || parts[2].count == 4) else { throw .invalidFormat(text) }
        guard let date = CivilDate(year: y, month: m, day: d) else { throw .invalidDate(text) }
        guard date.isInAcceptedRange else { throw .outOfRange(text) }
        self = date
    }

    /// Year, month and day of the two shapes nearly every file and form sends, "yyyy-mm-dd" and
    /// "d/m/yyyy" (one or two digits, any of the three separators), with ASCII white space around, read
    /// from the bytes: splitting into strings was a twentieth of a dose import's time. The same numbers
    /// and text as the general reading below; any other shape gives nil and goes through it.
    private static func plainNumbers(_ raw: String) -> (String, Int, Int, Int)? {
        let bytes = raw.utf8TrimmingASCIIWhitespace
        guard (8...10).contains(bytes.count) else { return nil }
        var numbers = (0, 0, 0), widths = (0, 0, 0), part = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Int(byte - UInt8(ascii: "0"))
                switch part {
                case 0: numbers.0 = numbers.0 * 10 + digit; widths.0 += 1
                case 1: numbers.1 = numbers.1 * 10 + digit; widths.1 += 1
                default: numbers.2 = numbers.2 * 10 + digit; widths.2 += 1
                }
            case UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "."):
                part += 1
                guard part <= 2 else { return nil }
            default:
                return nil
            }
        }
        guard part == 2 else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        switch widths {
        case (4, 2, 2): return (text, numbers.0, numbers.1, numbers.2)
        case (1...2, 1...2, 4): return (text, numbers.2, numbers.1, numbers.0)
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try CivilDate(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(iso)
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        var s = String(n)
        while s.count < width { s = "0" + s }
        return s
    }

    /// "yyyy-mm-dd"; written digit by digit, as every imported row and every day key needs it.
    public var iso: String {
        guard (0...9999).contains(year) else { return "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }
        return String(unsafeUninitializedCapacity: 10) { out in
            let zero = UInt8(ascii: "0")
            out[0] = zero + UInt8(year / 1000)
            out[1] = zero + UInt8(year / 100 % 10)
            out[2] = zero + UInt8(year / 10 % 10)
            out[3] = zero + UInt8(year % 10)
            out[4] = UInt8(ascii: "-")
            out[5] = zero + UInt8(month / 10 % 10)
            out[6] = zero + UInt8(month % 10)
            out[7] = UInt8(ascii: "-")
            out[8] = zero + UInt8(day / 10 % 10)
            out[9] = zero + UInt8(day % 10)
            return 10
        }
    }
    public var vietnamese: String { "\(Self.pad(day, 2))/\(Self.pad(month, 2))/\(Self.pad(year, 4))" }
    public var description: String { iso }

    /// Completed years of age on `date`.
    public func age(on date: CivilDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    /// Today in Vietnam.
    public static func today() -> CivilDate { VietnamTime.day(of: Date()) }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

public enum CivilDateError: Error, Equatable, Sendable {
    case empty
    case invalidFormat(String)
    case invalidDate(String)
    case outOfRange(String)

    public var messageVI: String {
        switch self {
        case .empty: return "Chưa nhập ngày."
        case .invalidFormat(let s): return "Ngày '\(s)' không đúng định dạng dd/mm/yyyy."
        case .invalidDate(let s): return "Ngày không hợp lệ '\(s)'."
        case .outOfRange(let s): return "Ngày '\(s)' nằm ngoài khoảng 1900–2100."
        }
    }

    public var messageEN: String {
        switch self {
        case .empty: return "No date given."
        case .invalidFormat(let s): return "Date '\(s)' is not in dd/mm/yyyy format."
        case .invalidDate(let s): return "Invalid date '\(s)'."
        case .outOfRange(let s): return "Date '\(s)' is outside 1900–2100."
        }
    }
}
