/// CRC-32 (IEEE 802.3, as zip uses it).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// A zip archive with stored (uncompressed) entries: all Office Open XML needs, with no
/// compression library. Spreadsheets of a city's reports are a few hundred kilobytes.
public struct ZipWriter: Sendable {
    private var body: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    public init() {}

    private static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    private static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 24) & 0xFF)] }

    public mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(data)
        let offset = UInt32(body.count)
        // 1 January 2021 00:00 in DOS format: entries carry a fixed time so exports are reproducible.
        let dosTime = 0, dosDate = ((2021 - 1980) << 9) | (1 << 5) | 1
        let flags = 0x0800  // names are UTF-8
        var local: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        local += Self.le16(20) + Self.le16(flags) + Self.le16(0) + Self.le16(dosTime) + Self.le16(dosDate)
        local += Self.le32(crc) + Self.le32(UInt32(data.count)) + Self.le32(UInt32(data.count))
        local += Self.le16(nameBytes.count) + Self.le16(0) + nameBytes
        body += local
        body += data
        var entry: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        entry += Self.le16(20) + Self.le16(20) + Self.le16(flags) + Self.le16(0) + Self.le16(dosTime) + Self.le16(dosDate)
        entry += Self.le32(crc) + Self.le32(UInt32(data.count)) + Self.le32(UInt32(data.count))
        entry += Self.le16(nameBytes.count) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le32(0) + Self.le32(offset)
        entry += nameBytes
        central += entry
        count += 1
    }

    public mutating func add(_ name: String, text: String) { add(name, Array(text.utf8)) }

    /// The archive: entries, central directory, end record.
    public func finish() -> [UInt8] {
        var end: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
        end += Self.le16(0) + Self.le16(0) + Self.le16(count) + Self.le16(count)
        end += Self.le32(UInt32(central.count)) + Self.le32(UInt32(body.count)) + Self.le16(0)
        return body + central + end
    }
}

/// Reads a zip's stored entries through its central directory, checking each CRC (used to verify exports).
public enum ZipReader {
    public struct Failure: Error, Equatable, Sendable { public let reason: String }

    public static func entries(_ bytes: [UInt8]) throws(Failure) -> [String: [UInt8]] {
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        guard bytes.count >= 22 else { throw Failure(reason: "too short") }
        var endIndex = bytes.count - 22
        while endIndex >= 0, !(bytes[endIndex] == 0x50 && bytes[endIndex + 1] == 0x4B && bytes[endIndex + 2] == 5 && bytes[endIndex + 3] == 6) { endIndex -= 1 }
        guard endIndex >= 0 else { throw Failure(reason: "no end of central directory") }
        let total = u16(endIndex + 10)
        var p = u32(endIndex + 16)
        var out: [String: [UInt8]] = [:]
        for _ in 0..<total {
            guard p + 46 <= bytes.count, u32(p) == 0x0201_4B50 else { throw Failure(reason: "bad central entry") }
            let method = u16(p + 10), crc = UInt32(u32(p + 16)), size = u32(p + 20), nameLength = u16(p + 28), extra = u16(p + 30), comment = u16(p + 32)
            let local = u32(p + 42)
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            guard method == 0 else { throw Failure(reason: "\(name): compressed") }
            guard local + 30 <= bytes.count, u32(local) == 0x0403_4B50 else { throw Failure(reason: "\(name): bad local header") }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + size <= bytes.count else { throw Failure(reason: "\(name): truncated") }
            let data = Array(bytes[start..<(start + size)])
            guard CRC32.checksum(data) == crc else { throw Failure(reason: "\(name): CRC mismatch") }
            out[name] = data
            p += 46 + nameLength + extra + comment
        }
        return out
    }
}

/// One spreadsheet cell.
public enum SheetCell: Sendable, Equatable {
    case text(String)
    case number(Int)
    case empty
}

/// A minimal Office Open XML workbook (.xlsx): one or more sheets of text and integers, the header
/// row in bold, strings inline so no shared-string table is needed.
public enum XLSXWriter {
    public struct Sheet: Sendable {
        public let name: String
        public let rows: [[SheetCell]]
        public init(name: String, rows: [[SheetCell]]) {
            self.name = name
            self.rows = rows
        }
    }

    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            // XML 1.0 forbids most control characters; drop them rather than produce a file Excel refuses.
            case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r": continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// "A", "B", … "Z", "AA" …
    public static func column(_ index: Int) -> String {
        var n = index + 1
        var s = ""
        while n > 0 {
            let r = (n - 1) % 26
            s = String(UnicodeScalar(UInt8(65 + r))) + s
            n = (n - 1) / 26
        }
        return s
    }

    static func sheetXML(_ sheet: Sheet) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        xml += #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
        for (r, row) in sheet.rows.enumerated() {
            xml += "<row r=\"\(r + 1)\">"
            for (c, cell) in row.enumerated() {
                let ref = "\(column(c))\(r + 1)"
                let style = r == 0 ? " s=\"1\"" : ""
                switch cell {
                case .text(let s): xml += "<c r=\"\(ref)\" t=\"inlineStr\"\(style)><is><t xml:space=\"preserve\">\(escape(s))</t></is></c>"
                case .number(let n): xml += "<c r=\"\(ref)\"\(style)><v>\(n)</v></c>"
                case .empty: break
                }
            }
            xml += "</row>"
        }
        xml += "</sheetData></worksheet>"
        return xml
    }

    /// Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules).
    public static func safeName(_ name: String, index: Int) -> String {
        let cleaned = String(name.filter { !"[]:*?/\\".contains($0) }.prefix(31))
        return cleaned.isEmpty ? "Sheet\(index + 1)" : cleaned
    }

    public static func workbook(_ sheets: [Sheet]) -> [UInt8] {
        var zip = ZipWriter()
        let sheetOverrides = sheets.indices.map {
            "<Override PartName=\"/xl/worksheets/sheet\($0 + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }.joined()
        zip.add("[Content_Types].xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\(sheetOverrides)</Types>
            """)
        zip.add("_rels/.rels", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """)
        let sheetEntries = sheets.enumerated().map { i, s in "<sheet name=\"\(escape(safeName(s.name, index: i)))\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>" }.joined()
        zip.add("xl/workbook.xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>\(sheetEntries)</sheets></workbook>
            """)
        let rels = sheets.indices.map {
            "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>"
        }.joined() + "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
        zip.add("xl/_rels/workbook.xml.rels", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\(rels)</Relationships>
            """)
        zip.add("xl/styles.xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>
            """)
        for (i, sheet) in sheets.enumerated() {
            zip.add("xl/worksheets/sheet\(i + 1).xml", text: sheetXML(sheet))
        }
        return zip.finish()
    }
}
