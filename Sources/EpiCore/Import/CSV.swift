/// One CSV record and the physical line it starts on (for error messages users can find).
public struct CSVRecord: Sendable, Equatable {
    public let fields: [String]
    public let line: Int

    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}

/// An RFC 4180 reader over bytes: quoted fields, doubled quotes, embedded delimiters and newlines,
/// CRLF or LF, an optional UTF-8 BOM, and ',' or ';' (what Excel writes in Vietnamese locales).
public struct CSVReader: Sendable {
    private let bytes: [UInt8]
    private var index: Int
    private var line = 1
    public let delimiter: UInt8

    public init(bytes: [UInt8], delimiter: UInt8? = nil) {
        self.bytes = bytes
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        self.index = start
        if let delimiter {
            self.delimiter = delimiter
        } else {
            // The first line decides: more semicolons than commas outside quotes means ';'.
            var commas = 0, semicolons = 0, quoted = false, i = start
            while i < bytes.count, quoted || (bytes[i] != 10 && bytes[i] != 13) {
                switch bytes[i] {
                case 34: quoted.toggle()
                case 44 where !quoted: commas += 1
                case 59 where !quoted: semicolons += 1
                default: break
                }
                i += 1
            }
            self.delimiter = semicolons > commas ? 59 : 44
        }
    }

    public mutating func next() throws(CSVError) -> CSVRecord? {
        // Skip blank lines between records.
        while index < bytes.count, bytes[index] == 10 || bytes[index] == 13 {
            if bytes[index] == 10 { line += 1 }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        while index < bytes.count {
            let b = bytes[index]
            if quoted {
                if b == 34 {
                    if index + 1 < bytes.count, bytes[index + 1] == 34 {
                        field.append(34)
                        index += 2
                        continue
                    }
                    quoted = false
                    index += 1
                    continue
                }
                if b == 10 { line += 1 }
                field.append(b)
                index += 1
                continue
            }
            if b == 34 && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
                index += 1
            } else if b == delimiter {
                fields.append(try Self.string(field, line: startLine))
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
                index += 1
            } else if b == 10 || b == 13 {
                if b == 13, index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
                index += 1
                line += 1
                fields.append(try Self.string(field, line: startLine))
                return CSVRecord(fields: fields, line: startLine)
            } else {
                field.append(b)
                index += 1
            }
        }
        if quoted { throw .unterminatedQuote(line: startLine) }
        fields.append(try Self.string(field, line: startLine))
        return CSVRecord(fields: fields, line: startLine)
    }

    private static func string(_ bytes: [UInt8], line: Int) throws(CSVError) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8(line: line) }
        return s
    }
}

public enum CSVError: Error, Equatable, Sendable {
    case unterminatedQuote(line: Int)
    case invalidUTF8(line: Int)

    public var messageVI: String {
        switch self {
        case .unterminatedQuote(let l): return "Dòng \(l): dấu ngoặc kép không được đóng; tệp bị cắt hoặc sai định dạng CSV."
        case .invalidUTF8(let l): return "Dòng \(l): tệp không phải UTF-8. Hãy lưu tệp dạng \"CSV UTF-8\"."
        }
    }

    public var messageEN: String {
        switch self {
        case .unterminatedQuote(let l): return "Line \(l): unterminated quote; the file is truncated or not valid CSV."
        case .invalidUTF8(let l): return "Line \(l): the file is not UTF-8. Save it as \"CSV UTF-8\"."
        }
    }
}

/// Writes CSV rows that spreadsheets open safely.
public enum CSVWriter {
    /// One row ending in CRLF; fields quoted when needed; a leading = + - @ tab or CR gets an apostrophe
    /// so a spreadsheet shows it as text instead of running it as a formula.
    public static func row(_ fields: [String]) -> String {
        var out = ""
        for (i, raw) in fields.enumerated() {
            if i > 0 { out += "," }
            var field = raw
            if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { field = "'" + field }
            if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) {
                out += "\"" + field.replacingAll("\"", with: "\"\"") + "\""
            } else {
                out += field
            }
        }
        return out + "\r\n"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
