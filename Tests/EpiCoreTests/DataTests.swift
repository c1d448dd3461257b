import Foundation
import Testing
@testable import EpiCore

@Suite("Civil dates")
struct CivilDateTests {
    @Test(arguments: [("07/03/1985", "1985-03-07"), ("7/3/1985", "1985-03-07"), ("07-03-1985", "1985-03-07"), ("07.03.1985", "1985-03-07"),
                      ("1985-03-07", "1985-03-07"), ("29/02/2000", "2000-02-29"), ("29/02/2024", "2024-02-29"), (" 31/12/2021 ", "2021-12-31")])
    func parses(raw: String, iso: String) throws {
        let date = try CivilDate(parsing: raw)
        #expect(date.iso == iso)
        #expect(try CivilDate(parsing: date.vietnamese) == date)
    }

    @Test(arguments: [("", CivilDateError.empty), ("31/02/1990", .invalidDate("31/02/1990")), ("29/02/1900", .invalidDate("29/02/1900")),
                      ("29/02/2023", .invalidDate("29/02/2023")), ("00/01/2000", .invalidDate("00/01/2000")), ("01/13/2000", .invalidDate("01/13/2000")),
                      ("1/1/85", .invalidFormat("1/1/85")), ("hôm qua", .invalidFormat("hôm qua")), ("2000/01", .invalidFormat("2000/01"))])
    func rejects(raw: String, error: CivilDateError) {
        #expect(throws: error) { try CivilDate(parsing: raw) }
    }

    @Test func ageCountsCompletedYears() throws {
        let birth = try CivilDate(parsing: "15/09/2003")
        #expect(birth.age(on: try CivilDate(parsing: "14/09/2021")) == 17)
        #expect(birth.age(on: try CivilDate(parsing: "15/09/2021")) == 18)
        #expect(try CivilDate(parsing: "29/02/2000").age(on: try CivilDate(parsing: "28/02/2001")) == 0)
    }

    @Test func ordersAndFormats() throws {
        #expect(try CivilDate(parsing: "31/12/2020") < CivilDate(parsing: "01/01/2021"))
        #expect(CivilDate(year: 2021, month: 9, day: 5)?.vietnamese == "05/09/2021")
        #expect(CivilDate(year: 2021, month: 2, day: 29) == nil)
    }
}

@Suite("CSV reading and writing")
struct CSVTests {
    func read(_ text: String, delimiter: UInt8? = nil) throws -> [CSVRecord] {
        var reader = CSVReader(bytes: Array(text.utf8), delimiter: delimiter)
        var out: [CSVRecord] = []
        while let r = try reader.next() { out.append(r) }
        return out
    }

    @Test func quotesDelimitersNewlinesAndLineNumbers() throws {
        let records = try read("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",z\n\n3,,\n")
        #expect(records.map(\.fields) == [["a", "b", "c"], ["1", "x, y", "say \"hi\""], ["2", "two\nlines", "z"], ["3", "", ""]])
        #expect(records.map(\.line) == [1, 2, 3, 6])
    }

    @Test func crlfBomAndNoFinalNewline() throws {
        let records = try read("\u{FEFF}họ tên,ngày\r\nNguyễn Văn Nam,07/03/1985\r\nLê Thị Mai,01/01/1990")
        #expect(records.map(\.fields) == [["họ tên", "ngày"], ["Nguyễn Văn Nam", "07/03/1985"], ["Lê Thị Mai", "01/01/1990"]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func semicolonFilesFromExcelAreDetected() throws {
        let records = try read("ho_ten;ngay_sinh\nNguyễn Văn Nam;07/03/1985\n")
        #expect(records[1].fields == ["Nguyễn Văn Nam", "07/03/1985"])
        #expect(try read("a;b,c\n", delimiter: 44)[0].fields == ["a;b", "c"])
    }

    @Test func unterminatedQuoteAndBadUTF8AreErrors() {
        #expect(throws: CSVError.unterminatedQuote(line: 2)) { try read("a,b\n\"open,x\n3,4\n") }
        var reader = CSVReader(bytes: [0x61, 0x2C, 0xFF, 0x0A])
        #expect(throws: CSVError.invalidUTF8(line: 1)) { try reader.next() }
        #expect(CSVError.unterminatedQuote(line: 2).messageVI.contains("Dòng 2"))
    }

    @Test func writerQuotesAndGuardsFormulas() {
        #expect(CSVWriter.row(["a", "b c", "x,y", "say \"hi\"", "two\nlines"]) == "a,b c,\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n")
        #expect(CSVWriter.row(["=SUM(A1)", "+84912", "-1", "@x", "ok"]) == "'=SUM(A1),'+84912,'-1,'@x,ok\r\n")
    }

    @Test func writeThenReadRoundTrips() throws {
        let rows = [["Họ tên", "Địa chỉ"], ["Nguyễn Văn Nam", "Số 6, ngõ \"Hòa Bình\" 4\nMinh Khai"], ["", ";"]]
        let text = rows.map(CSVWriter.row).joined()
        #expect(try read(text, delimiter: 44).map(\.fields) == rows)
    }
}

@Suite("Resident list rows")
struct ResidentRowTests {
    func parse(_ header: [String], _ fields: [String], line: Int = 2) throws -> Result<ResidentRow, ResidentRowProblem> {
        ResidentRow.parse(CSVRecord(fields: fields, line: line), header: try ResidentHeader(fields: header))
    }

    @Test(arguments: [["ho_ten"], ["Họ và tên"], ["HO TEN"], ["Full name"], ["họ tên"]])
    func nameHeaderAliases(header: [String]) throws {
        #expect(try ResidentHeader(fields: header).columns[.fullName] == 0)
    }

    @Test func headerMapsEveryColumnAndIgnoresUnknown() throws {
        let header = try ResidentHeader(fields: ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "CMND", "SĐT", "Địa chỉ", "Mã phường", "Tổ dân phố", "Mã hộ", "Tình trạng cư trú", "Cư trú đến"])
        #expect(header.columns.count == ResidentColumn.allCases.count)
        #expect(header.columns[.fullName] == 1)
        #expect(header.columns[.residentUntil] == 12)
    }

    @Test func headerProblems() {
        #expect(throws: ResidentRowProblem.self) { try ResidentHeader(fields: ["dia_chi", "ngay_sinh"]) }
        #expect(throws: ResidentRowProblem.self) { try ResidentHeader(fields: ["ho_ten", "Họ tên"]) }
    }

    @Test func goodRowIsNormalised() throws {
        let row = try parse(["ho_ten", "gioi_tinh", "ngay_sinh", "so_dinh_danh", "so_dien_thoai", "tinh_trang_cu_tru", "cu_tru_den"],
                            ["  nguyễn văn NAM ", "Nam", "07/03/1985", "001 085 012345", "0912 345 678", "Tạm trú", "31/12/2021"]).get()
        #expect(row.fullName == "Nguyễn Văn Nam")
        #expect(row.sex == .male)
        #expect(row.birthDate?.iso == "1985-03-07")
        #expect(row.citizenID?.digits == "001085012345")
        #expect(row.phone?.e164 == "+84912345678")
        #expect(row.residenceStatus == .temporary)
        #expect(row.residentUntil?.iso == "2021-12-31")
        #expect(row.warnings.isEmpty)
    }

    @Test func blankStatusMeansPermanentAndShortRowsAreFine() throws {
        let row = try parse(["ho_ten", "tinh_trang_cu_tru", "dia_chi"], ["Lê Thị Mai"]).get()
        #expect(row.residenceStatus == .permanent)
        #expect(row.address == "")
    }

    @Test(arguments: [
        (["", "Nam"], "Họ tên"), (["An", "X"], "Giới tính"), (["An", "", "31/02/1990"], "Ngày sinh"), (["An", "", "01/01/2999"], "Ngày sinh"),
        (["An", "", "01/01/1890"], "Ngày sinh"), (["An", "", "", "12345"], "Số định danh"), (["An", "", "", "", "123"], "CMND"),
        (["An", "", "", "", "001085012345"], "CMND"), (["An", "", "", "", "", "12"], "Số điện thoại"), (["An", "", "", "", "", "", "khách"], "Tình trạng cư trú"),
        (["An", "", "", "", "", "", "", "mai"], "Cư trú đến"),
    ])
    func badRowsNameTheirLineAndColumn(fields: [String], column: String) throws {
        let header = ["ho_ten", "gioi_tinh", "ngay_sinh", "cccd", "cmnd", "sdt", "cu_tru", "cu_tru_den"]
        let result = try parse(header, fields, line: 7)
        guard case .failure(let problem) = result else {
            Issue.record("accepted a bad row: \(fields)")
            return
        }
        #expect(problem.line == 7)
        #expect(problem.column == column)
        #expect(problem.messageVI.hasPrefix("Dòng 7, cột \(column)"))
        #expect(problem.messageEN.hasPrefix("Line 7"))
    }

    @Test func idSexMismatchIsAWarningNotAnError() throws {
        let row = try parse(["ho_ten", "gioi_tinh", "ngay_sinh", "cccd"], ["Trần Thị Hoa", "Nữ", "15/05/1990", "001085012345"]).get()
        #expect(row.warnings.count == 2)
    }
}

@Suite("Synthetic population")
struct PopulationGeneratorTests {
    @Test func sameSeedSameCity() {
        var a = PopulationGenerator(seed: 9, referenceDate: CivilDate(year: 2021, month: 9, day: 1)!)
        var b = PopulationGenerator(seed: 9, referenceDate: CivilDate(year: 2021, month: 9, day: 1)!)
        for _ in 0..<1000 {
            let x = a.next(wardName: "Minh Khai"), y = b.next(wardName: "Minh Khai")
            #expect(x.fullName == y.fullName && x.citizenID == y.citizenID && x.birthDate == y.birthDate)
        }
    }

    @Test func idsAreValidUniqueAndAgreeWithSexAndBirthYear() throws {
        var g = PopulationGenerator(seed: 1, referenceDate: CivilDate(year: 2021, month: 9, day: 1)!)
        var ids = Set<String>()
        var nguyen = 0
        let n = 200_000
        for _ in 0..<n {
            let p = g.next(wardName: "Bồ Đề")
            #expect(ids.insert(p.citizenID.digits).inserted)
            let parsed = try CitizenID(parsing: p.citizenID.digits)
            if !parsed.mismatches(sex: p.sex, birthYear: p.birthDate.year).isEmpty { Issue.record("mismatch \(p)") }
            let words = p.fullName.split(separator: " ")
            if words.count < 3 { Issue.record("short name \(p.fullName)") }
            if words.first == "Nguyễn" { nguyen += 1 }
            if let phone = p.phone, !phone.isMobile { Issue.record("landline \(phone)") }
        }
        // Nguyễn is about 38% of Vietnamese; the generator should be close.
        #expect((0.34...0.42).contains(Double(nguyen) / Double(n)))
    }
}

@Suite("Trimming white space")
struct TrimTests {
    /// Every scalar Foundation counts as white space or a line break, and a few it does not.
    static let spaces: [String] = [" ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2009}", "\u{200A}",
                                   "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}", "\u{200B}"]

    @Test(arguments: ["", "Nguyễn Văn A", "  Nguyễn Văn A  ", "\t001085012345\r\n", "\u{3000}Hà Nội\u{A0}", "a b", "   ", "\u{200B}kept\u{200B}",
                      "Mũi 2\u{301}", " \u{301}x", "HC1:6BF+70790T9WJWG.FKY*4GO0.O1CV2", "\u{FEFF}BOM stays"])
    func matchesFoundation(text: String) {
        #expect(text.trimmedWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func everyScalarOfTheBasicPlaneIsJudgedLikeFoundation() {
        var differ: [String] = []
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(scalar) + "x"
            if text.trimmedWhitespace != text.trimmingCharacters(in: .whitespacesAndNewlines) { differ.append(String(value, radix: 16)) }
        }
        #expect(differ.isEmpty, "scalars judged differently: \(differ.prefix(20))")
    }

    @Test func everyWhiteSpaceScalarIsTrimmedLikeFoundation() {
        for space in Self.spaces {
            let text = space + "Phường Minh Khai" + space + space
            #expect(text.trimmedWhitespace == "Phường Minh Khai", "\(space.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(text.trimmedWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

@Suite("Hexadecimal")
struct HexTests {
    @Test func matchesAFormatterByteForByte() {
        let bytes: [UInt8] = Array(0...255)
        #expect(Hex.encode(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
    }
}
