/// A Vietnamese citizen identity number: the 12-digit CCCD or the old 9-digit CMND.
///
/// CCCD layout `PPP G YY NNNNNN`: birth-registration province, century-and-sex digit, the last two
/// digits of the birth year, then a serial.
public struct CitizenID: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable { case cccd, cmnd }

    public let digits: String
    public let kind: Kind

    private init(digits: String, kind: Kind) {
        self.digits = digits
        self.kind = kind
    }

    public init(parsing raw: String) throws(CitizenIDError) {
        if let digits = Self.plainDigits(raw) {
            try self.init(checking: digits)
            return
        }
        var digits = ""
        for ch in raw.trimmingCharacters() {
            if ch == " " || ch == "." || ch == "-" { continue }
            guard ch.isASCII, let _ = ch.wholeNumberValue else { throw .invalidCharacters }
            digits.append(ch)
        }
        try self.init(checking: digits)
    }

    /// The digits of `raw` when it is ASCII digits, possibly grouped by spaces, dots or dashes, with only
    /// ASCII white space around: what nearly every form and file sends, read without breaking the text into
    /// characters (a tenth of a dose import's time). Anything else, nil, for the general reading above.
    private static func plainDigits(_ raw: String) -> String? {
        let bytes = raw.utf8TrimmingASCIIWhitespace
        guard bytes.count <= 64 else { return nil }
        var digits: [UInt8] = []
        digits.reserveCapacity(12)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"): continue
            default: return nil
            }
        }
        return String(decoding: digits, as: UTF8.self)
    }

    private init(checking digits: String) throws(CitizenIDError) {
        guard !digits.isEmpty else { throw .empty }
        switch digits.utf8.count {
        case 12:
            let province = String(digits.prefix(3))
            guard Provinces.names[province] != nil else { throw .unknownProvince(province) }
            let g = digits[digits.index(digits.startIndex, offsetBy: 3)]
            guard ("0"..."3").contains(g) else { throw .invalidCenturyDigit(g) }
            self.kind = .cccd
        case 9:
            self.kind = .cmnd
        default:
            throw .wrongLength(digits.count)
        }
        self.digits = digits
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        self = try CitizenID(parsing: raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }

    public var provinceCode: String? { kind == .cccd ? String(digits.prefix(3)) : nil }
    public var provinceName: String? { provinceCode.flatMap { Provinces.names[$0] } }

    private var centuryDigit: Int? {
        guard kind == .cccd else { return nil }
        return digits[digits.index(digits.startIndex, offsetBy: 3)].wholeNumberValue
    }

    public var encodedSex: Sex? { centuryDigit.map { $0 % 2 == 0 ? .male : .female } }

    public var encodedBirthYear: Int? {
        guard let g = centuryDigit else { return nil }
        guard let yy = Int(digits.dropFirst(4).prefix(2)) else { return nil }
        return 1900 + (g / 2) * 100 + yy
    }

    /// Disagreements between the number and the recorded sex or birth year: data entry errs, so these warn.
    public func mismatches(sex: Sex?, birthYear: Int?) -> [CitizenIDMismatch] {
        var result: [CitizenIDMismatch] = []
        if let sex, let encoded = encodedSex, encoded != sex { result.append(.sex(encoded: encoded, recorded: sex)) }
        if let birthYear, let encoded = encodedBirthYear, encoded != birthYear { result.append(.birthYear(encoded: encoded, recorded: birthYear)) }
        return result
    }

    /// Builds a CCCD from its parts (synthetic data, tests); `makeCCCDRoundTrips` checks it parses back.
    public static func makeCCCD(provinceCode: String, sex: Sex, birthYear: Int, serial: Int) -> CitizenID {
        let century = (birthYear - 1900) / 100
        let g = century * 2 + (sex == .female ? 1 : 0)
        let yy = birthYear % 100
        var s = String(serial % 1_000_000)
        while s.count < 6 { s = "0" + s }
        let y = yy < 10 ? "0\(yy)" : "\(yy)"
        return CitizenID(digits: "\(provinceCode)\(g)\(y)\(s)", kind: .cccd)
    }

    public var description: String { digits }
}

public enum CitizenIDError: Error, Equatable, Sendable {
    case empty
    case invalidCharacters
    case wrongLength(Int)
    case unknownProvince(String)
    case invalidCenturyDigit(Character)

    public var messageVI: String {
        switch self {
        case .empty: return "Chưa nhập số định danh."
        case .invalidCharacters: return "Số định danh chỉ gồm chữ số."
        case .wrongLength(let n): return "Số định danh phải có 12 chữ số (CCCD) hoặc 9 chữ số (CMND); đã nhập \(n) chữ số."
        case .unknownProvince(let p): return "Mã tỉnh \(p) trong số CCCD không tồn tại."
        case .invalidCenturyDigit(let g): return "Chữ số thế kỷ/giới tính \(g) trong số CCCD không hợp lệ."
        }
    }

    public var messageEN: String {
        switch self {
        case .empty: return "No ID number given."
        case .invalidCharacters: return "An ID number has digits only."
        case .wrongLength(let n): return "An ID number has 12 digits (CCCD) or 9 (CMND); got \(n)."
        case .unknownProvince(let p): return "Province code \(p) in the CCCD does not exist."
        case .invalidCenturyDigit(let g): return "Century/sex digit \(g) in the CCCD is invalid."
        }
    }
}

public enum CitizenIDMismatch: Equatable, Sendable {
    case sex(encoded: Sex, recorded: Sex)
    case birthYear(encoded: Int, recorded: Int)

    public var messageVI: String {
        switch self {
        case .sex(let e, let r): return "Số CCCD mã hóa giới tính \(e.labelVI), nhưng hồ sơ ghi \(r.labelVI)."
        case .birthYear(let e, let r): return "Số CCCD mã hóa năm sinh \(e), nhưng hồ sơ ghi \(r)."
        }
    }

    public var messageEN: String {
        switch self {
        case .sex(let e, let r): return "The CCCD encodes sex \(e.labelEN) but the record says \(r.labelEN)."
        case .birthYear(let e, let r): return "The CCCD encodes birth year \(e) but the record says \(r)."
        }
    }
}

/// The 63 provinces' codes as used in the CCCD (Circular 07/2016/TT-BCA).
public enum Provinces {
    public static let names: [String: String] = [
        "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên",
        "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh",
        "024": "Bắc Giang", "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng", "033": "Hưng Yên",
        "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
        "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi",
        "052": "Bình Định", "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum", "064": "Gia Lai",
        "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
        "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh",
        "086": "Vĩnh Long", "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang", "094": "Sóc Trăng",
        "095": "Bạc Liêu", "096": "Cà Mau",
    ]
}

extension String {
    /// Trims ASCII and Unicode whitespace without Foundation.
    func trimmingCharacters() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
