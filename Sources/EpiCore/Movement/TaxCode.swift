import Foundation

/// A Vietnamese tax code (mã số thuế, MST): ten digits for an enterprise or agency, thirteen for one of
/// its branches (the parent's ten plus a three-digit branch number, usually written "0100233488-001").
///
/// The tenth digit checks the first nine: weights 31, 29, 23, 19, 17, 13, 7, 5, 3, check = 10 − (sum mod 11).
/// Source: python-stdnum `stdnum/vn/mst.py` (checked 2026-12-02 against its examples 0100233488 and
/// 0314409058-002). [unsure] what the tax office does when sum mod 11 is 0 (the formula gives 10, no
/// digit): like python-stdnum we treat such a number as invalid, i.e. never issued.
public struct TaxCode: Hashable, Sendable, CustomStringConvertible {
    /// The ten digits of the enterprise.
    public let base: String
    /// The three-digit branch number, if this is a branch.
    public let branch: String?

    public static let weights = [31, 29, 23, 19, 17, 13, 7, 5, 3]

    public init(parsing raw: String) throws(TaxCodeError) {
        let trimmed = raw.trimmedWhitespace
        guard !trimmed.isEmpty else { throw .empty }
        // Spaces and dots are how people group digits on paper; one dash may separate the branch.
        var digits = ""
        var dashes = 0
        for ch in trimmed.unicodeScalars {
            switch ch {
            case "0"..."9": digits.unicodeScalars.append(ch)
            case " ", ".": continue
            case "-":
                dashes += 1
                guard digits.count == 10, dashes == 1 else { throw .invalidFormat }
            default: throw .invalidFormat
            }
        }
        guard digits.count == 10 || digits.count == 13 else { throw .invalidLength(digits.count) }
        if dashes == 1 && digits.count != 13 { throw .invalidFormat }
        let base = String(digits.prefix(10))
        let branch = digits.count == 13 ? String(digits.suffix(3)) : nil
        // The seven-digit sequence starts at 0000001; branches start at 001.
        guard base.dropFirst(2).prefix(7) != "0000000" else { throw .invalidComponent }
        if branch == "000" { throw .invalidComponent }
        guard let expected = Self.checkDigit(base.prefix(9)), base.last.flatMap({ Int(String($0)) }) == expected else { throw .badCheckDigit }
        self.base = base
        self.branch = branch
    }

    /// The check digit of nine digits, or nil when the formula yields 10 (no such code is issued).
    public static func checkDigit(_ nine: Substring) -> Int? {
        let values = nine.compactMap { Int(String($0)) }
        guard values.count == 9 else { return nil }
        let sum = zip(weights, values).reduce(0) { $0 + $1.0 * $1.1 }
        let check = 10 - sum % 11
        return check == 10 ? nil : check
    }

    /// As stored and printed: "0100233488" or "0314409058-002".
    public var description: String { branch.map { "\(base)-\($0)" } ?? base }
    public var isBranch: Bool { branch != nil }
}

public enum TaxCodeError: Error, Equatable, Sendable {
    case empty, invalidFormat, invalidLength(Int), invalidComponent, badCheckDigit

    public var messageVI: String {
        switch self {
        case .empty: return "Nhập mã số thuế."
        case .invalidFormat: return "Mã số thuế chỉ gồm chữ số, chi nhánh viết sau dấu gạch ngang (vd. 0100233488-001)."
        case .invalidLength(let n): return "Mã số thuế có 10 chữ số (doanh nghiệp) hoặc 13 chữ số (chi nhánh); đã nhập \(n)."
        case .invalidComponent: return "Mã số thuế không hợp lệ (số thứ tự hoặc số chi nhánh bằng 0)."
        case .badCheckDigit: return "Mã số thuế sai chữ số kiểm tra: vui lòng xem lại từng chữ số."
        }
    }

    public var messageEN: String {
        switch self {
        case .empty: return "Enter the tax code."
        case .invalidFormat: return "A tax code has digits only, a branch after a dash (e.g. 0100233488-001)."
        case .invalidLength(let n): return "A tax code has 10 digits (enterprise) or 13 (branch); \(n) entered."
        case .invalidComponent: return "Invalid tax code (its sequence or branch number is zero)."
        case .badCheckDigit: return "The tax code's check digit does not match: please check each digit."
        }
    }
}
