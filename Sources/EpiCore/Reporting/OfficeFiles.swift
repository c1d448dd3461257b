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

/// A minimal Office Open XML workbook (.xlsx): one or more sheets of text and integers, strings
/// inline so no shared-string table is needed. A sheet may carry title lines above its table (the
/// report's name, period and unit, as on paper); the table's first row is its header (bold, shaded,
/// wrapped, frozen while scrolling and repeated on every printed page), numbers are grouped, columns
/// are as wide as their contents and pages print A4 landscape, one page wide.
public enum XLSXWriter {
    public struct Sheet: Sendable {
        public let name: String
        /// The table: its header first.
        public let rows: [[SheetCell]]
        /// Lines above the table, the first one the title. They are not merged: a long line runs on over
        /// the empty cells to its right, where a merged one would be cut at the table's edge.
        public let titles: [String]
        /// The table's last row is a total, set in bold.
        public let totalRow: Bool
        /// Column widths in characters; nil: from the contents.
        public let widths: [Double]?

        public init(name: String, rows: [[SheetCell]], titles: [String] = [], totalRow: Bool = false, widths: [Double]? = nil) {
            self.name = name
            self.rows = rows
            self.titles = titles
            self.totalRow = totalRow
            self.widths = widths
        }

        /// The worksheet row (1-based) of the table's header.
        public var headerRow: Int { titles.isEmpty ? 1 : titles.count + 2 }

        var columnCount: Int { rows.map(\.count).max() ?? 0 }
    }

    /// Cell styles, by their index in `styles.xml`'s cellXfs.
    enum Style: Int {
        case plain = 0, header = 1, title = 2, subtitle = 3, text = 4, number = 5, totalText = 6, totalNumber = 7
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

    /// How many characters a cell shows (numbers with their group separators).
    static func shownLength(_ cell: SheetCell) -> Int {
        switch cell {
        case .text(let s): return s.split(separator: "\n").map(\.count).max() ?? 0
        case .number(let n):
            let digits = String(n.magnitude).count
            return digits + (digits - 1) / 3 + (n < 0 ? 1 : 0)
        case .empty: return 0
        }
    }

    /// Widths in characters: the longest value of each column, headers counted up to a few words
    /// since they wrap, within 6…50.
    public static func widths(_ sheet: Sheet) -> [Double] {
        if let widths = sheet.widths { return widths }
        return (0..<sheet.columnCount).map { c in
            var longest = 0
            for (r, row) in sheet.rows.enumerated() where c < row.count {
                let n = shownLength(row[c])
                longest = max(longest, r == 0 ? min(n, 18) : n)
            }
            return Double(min(max(longest + 2, 6), 50))
        }
    }

    static func sheetXML(_ sheet: Sheet, index: Int) -> String {
        let columns = max(sheet.columnCount, 1)
        let widths = widths(sheet)
        let header = sheet.headerRow
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        xml += #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#
        xml += #"<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>"#
        let lastRow = header + max(sheet.rows.count, 1) - 1
        xml += "<dimension ref=\"A1:\(column(columns - 1))\(lastRow)\"/>"
        // Rows below the header scroll under it.
        xml += "<sheetViews><sheetView workbookViewId=\"0\"\(index == 0 ? " tabSelected=\"1\"" : "")>"
        if !sheet.rows.isEmpty {
            xml += "<pane ySplit=\"\(header)\" topLeftCell=\"A\(header + 1)\" activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\" activeCell=\"A\(header + 1)\" sqref=\"A\(header + 1)\"/>"
        }
        xml += "</sheetView></sheetViews>"
        xml += #"<sheetFormatPr defaultRowHeight="15"/>"#
        if !widths.isEmpty {
            xml += "<cols>" + widths.enumerated().map { "<col min=\"\($0.offset + 1)\" max=\"\($0.offset + 1)\" width=\"\($0.element)\" customWidth=\"1\"/>" }.joined() + "</cols>"
        }
        xml += "<sheetData>"
        for (i, title) in sheet.titles.enumerated() {
            let r = i + 1
            // The title's row is taller for its larger type.
            xml += "<row r=\"\(r)\"\(i == 0 ? " ht=\"21\" customHeight=\"1\"" : "")>"
            xml += cellXML(.text(title), ref: "A\(r)", style: i == 0 ? .title : .subtitle)
            xml += "</row>"
        }
        for (i, row) in sheet.rows.enumerated() {
            let r = header + i
            let isHeader = i == 0, isTotal = sheet.totalRow && i == sheet.rows.count - 1 && i > 0
            var attributes = ""
            if isHeader {
                // Excel does not size wrapped rows on opening a file: give the header the lines its longest label needs.
                let lines = row.enumerated().map { c, cell in
                    let width = c < widths.count ? max(widths[c] - 1, 1) : 8
                    return Int((Double(shownLength(cell)) / width).rounded(.up))
                }.max() ?? 1
                attributes = " ht=\"\(max(min(lines, 6), 1) * 15 + 3)\" customHeight=\"1\""
            }
            xml += "<row r=\"\(r)\"\(attributes)>"
            for (c, cell) in row.enumerated() {
                let style: Style
                switch cell {
                case .number: style = isHeader ? .header : (isTotal ? .totalNumber : .number)
                case .text, .empty: style = isHeader ? .header : (isTotal ? .totalText : .text)
                }
                xml += cellXML(cell, ref: "\(column(c))\(r)", style: style)
            }
            xml += "</row>"
        }
        xml += "</sheetData>"
        xml += #"<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>"#
        xml += #"<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>"#
        xml += "</worksheet>"
        return xml
    }

    /// A cell; an empty one is written only when it carries a style (borders of the table).
    static func cellXML(_ cell: SheetCell, ref: String, style: Style) -> String {
        let s = style == .plain ? "" : " s=\"\(style.rawValue)\""
        switch cell {
        case .text(let text): return "<c r=\"\(ref)\" t=\"inlineStr\"\(s)><is><t xml:space=\"preserve\">\(escape(text))</t></is></c>"
        case .number(let n): return "<c r=\"\(ref)\"\(s)><v>\(n)</v></c>"
        case .empty: return s.isEmpty ? "" : "<c r=\"\(ref)\"\(s)/>"
        }
    }

    /// Fonts: regular, bold, title, italic. Fills: the two Excel requires, then the header's shade.
    /// Borders: none, thin. Number format 3 is Excel's built-in "#,##0", shown in the reader's locale.
    static let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
        <fonts count="4"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font>\
        <font><b/><sz val="14"/><name val="Calibri"/></font><font><i/><sz val="11"/><name val="Calibri"/></font></fonts>\
        <fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
        <fill><patternFill patternType="solid"><fgColor rgb="FFE4E6EE"/><bgColor indexed="64"/></patternFill></fill></fills>\
        <borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
        <border><left style="thin"><color rgb="FF999999"/></left><right style="thin"><color rgb="FF999999"/></right><top style="thin"><color rgb="FF999999"/></top><bottom style="thin"><color rgb="FF999999"/></bottom><diagonal/></border></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
        <cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
        <xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>\
        <xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
        <xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
        <xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>\
        <xf numFmtId="3" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1"/>\
        <xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>\
        <xf numFmtId="3" fontId="1" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1"/></cellXfs>\
        <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
        </styleSheet>
        """

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
        // Every printed page repeats the table's header row.
        let printTitles = sheets.enumerated().filter { !$0.element.rows.isEmpty }.map { i, s in
            let quoted = "'" + safeName(s.name, index: i).replacingOccurrences(of: "'", with: "''") + "'"
            return "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"\(i)\">\(escape(quoted))!$\(s.headerRow):$\(s.headerRow)</definedName>"
        }.joined()
        zip.add("xl/workbook.xml", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>\(sheetEntries)</sheets>\(printTitles.isEmpty ? "" : "<definedNames>\(printTitles)</definedNames>")</workbook>
            """)
        let rels = sheets.indices.map {
            "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>"
        }.joined() + "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
        zip.add("xl/_rels/workbook.xml.rels", text: """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\(rels)</Relationships>
            """)
        zip.add("xl/styles.xml", text: styles)
        for (i, sheet) in sheets.enumerated() {
            zip.add("xl/worksheets/sheet\(i + 1).xml", text: sheetXML(sheet, index: i))
        }
        return zip.finish()
    }
}
