import Foundation
import Testing
@testable import EpiCore

@Suite("Report periods, deadlines and timeliness in Vietnam time")
struct ReportScheduleTests {
    static func utc(_ s: String) -> Date { try! Date(s, strategy: .iso8601) }

    @Test(arguments: [
        // period, deadline rule, the deadline instant in UTC (Vietnam is UTC+7 all year).
        ("2021-09-15", ReportDeadline.daily(hour: 17), "2021-09-15T10:00:00Z"),
        ("2021-09-15", ReportDeadline.daily(hour: 0, minute: 30), "2021-09-14T17:30:00Z"),
        ("2021-09-15", ReportDeadline.daily(hour: 8, nextDay: true), "2021-09-16T01:00:00Z"),
        ("2021-12-31", ReportDeadline.daily(hour: 23, minute: 59), "2021-12-31T16:59:00Z"),
        ("2021-12-31", ReportDeadline.daily(hour: 8, nextDay: true), "2022-01-01T01:00:00Z"),
        ("2021-W37", ReportDeadline.weekly(weekday: 1, hour: 10), "2021-09-20T03:00:00Z"),
        ("2021-W52", ReportDeadline.weekly(weekday: 1, hour: 10), "2022-01-03T03:00:00Z"),
        ("2020-W53", ReportDeadline.weekly(weekday: 5, hour: 16, minute: 30), "2021-01-08T09:30:00Z"),
    ])
    func deadlineInstants(key: String, rule: ReportDeadline, expected: String) throws {
        let period = try #require(ReportPeriod(key: key, frequency: rule.frequency))
        #expect(rule.instant(period) == Self.utc(expected))
        #expect(period.key == key)
    }

    @Test(arguments: [
        // A submission one minute either side of 17:00 Vietnam time, whatever the clock's zone.
        ("2021-09-15T09:59:00Z", Timeliness.onTime), ("2021-09-15T10:00:00Z", .onTime), ("2021-09-15T10:00:01Z", .late),
        // 23:59 Vietnam on the day: late; the report was due at 17:00.
        ("2021-09-15T16:59:00Z", .late),
        // 06:59 UTC on the 15th is 13:59 in Vietnam: on time, even though UTC and Vietnam agree on the date here.
        ("2021-09-15T06:59:00Z", .onTime),
    ])
    func onTimeIsJudgedAgainstTheVietnamDeadline(submitted: String, expected: Timeliness) {
        let period = ReportPeriod(frequency: .daily, start: CivilDate(year: 2021, month: 9, day: 15)!)
        let deadline = ReportDeadline.daily(hour: 17).instant(period)
        #expect(Timeliness.of(firstSubmittedAt: Self.utc(submitted), deadline: deadline, now: Self.utc("2021-09-20T00:00:00Z")) == expected)
    }

    @Test func nextMorningReportsSubmittedAfterMidnightAreOnTime() {
        // Due 08:00 the day after: a submission at 00:30 Vietnam time on the 16th (17:30 UTC on the 15th) is on time.
        let period = ReportPeriod(frequency: .daily, start: CivilDate(year: 2021, month: 9, day: 15)!)
        let rule = ReportDeadline.daily(hour: 8, nextDay: true)
        #expect(Timeliness.of(firstSubmittedAt: Self.utc("2021-09-15T17:30:00Z"), deadline: rule.instant(period), now: Self.utc("2021-09-16T02:00:00Z")) == .onTime)
        #expect(Timeliness.of(firstSubmittedAt: Self.utc("2021-09-16T01:00:01Z"), deadline: rule.instant(period), now: Self.utc("2021-09-16T02:00:00Z")) == .late)
    }

    @Test func unsubmittedReportsArePendingUntilTheDeadlineThenMissing() {
        let deadline = Self.utc("2021-09-15T10:00:00Z")
        #expect(Timeliness.of(firstSubmittedAt: nil, deadline: deadline, now: Self.utc("2021-09-15T09:59:59Z")) == .pending)
        #expect(Timeliness.of(firstSubmittedAt: nil, deadline: deadline, now: Self.utc("2021-09-15T10:00:01Z")) == .missing)
    }

    @Test(arguments: [
        // now (UTC), the last period whose deadline has passed.
        ("2021-09-15T09:59:00Z", "2021-09-14"), ("2021-09-15T10:00:00Z", "2021-09-15"),
        // 23:30 UTC on the 15th is 06:30 on the 16th in Vietnam: the 16th's report is not yet due.
        ("2021-09-15T23:30:00Z", "2021-09-15"),
    ])
    func lastDueDailyPeriod(now: String, expected: String) {
        #expect(ReportDeadline.daily(hour: 17).lastDuePeriod(at: Self.utc(now)).key == expected)
    }

    @Test(arguments: [
        ("2021-09-20T02:59:00Z", "2021-W36"), ("2021-09-20T03:00:00Z", "2021-W37"), ("2021-09-26T16:00:00Z", "2021-W37"),
    ])
    func lastDueWeeklyPeriod(now: String, expected: String) {
        #expect(ReportDeadline.weekly(weekday: 1, hour: 10).lastDuePeriod(at: Self.utc(now)).key == expected)
    }

    @Test func periodsStepAndLabel() throws {
        let week = try #require(ReportPeriod(key: "2021-W37", frequency: .weekly))
        #expect(week.start.iso == "2021-09-13" && week.end.iso == "2021-09-19")
        #expect(week.adding(1).key == "2021-W38")
        #expect(week.label(vietnamese: true) == "Tuần 37/2021 (13/09–19/09/2021)")
        // One week label in both languages, the same as the rest of the application writes it.
        #expect(week.label(vietnamese: false) == "Week 37/2021 (13/09–19/09/2021)")
        #expect(week.shortLabel(vietnamese: true) == "Tuần 37/2021" && week.shortLabel(vietnamese: false) == "Week 37/2021")
        #expect(ReportPeriod(key: "2021-09-09", frequency: .daily)?.shortLabel(vietnamese: false) == "09/09/2021")
        #expect(ReportPeriod(key: "2021-09-13", frequency: .weekly) == nil)
        #expect(ReportPeriod(key: "2021-W37", frequency: .daily) == nil)
        let day = ReportPeriod(frequency: .daily, start: CivilDate(year: 2021, month: 3, day: 1)!)
        #expect(day.adding(-1).key == "2021-02-28")
        #expect(day.trailing(3).map(\.key) == ["2021-02-27", "2021-02-28", "2021-03-01"])
        // Keys sort in time order across a year boundary (2020-W53 before 2021-W01), which range queries on stored keys rely on.
        let weeks = ReportPeriod(frequency: .weekly, start: CivilDate(year: 2021, month: 1, day: 18)!).trailing(6)
        #expect(weeks.first?.key == "2020-W51" && weeks.contains { $0.key == "2020-W53" })
        #expect(weeks.map(\.key) == weeks.map(\.key).sorted())
    }

    @Test func repeatedLatenessCountsLateAndMissingButNotPending() {
        let record = LatenessRecord([.onTime, .late, .missing, .onTime, .late, .pending])
        #expect(record.onTime == 2 && record.late == 2 && record.missing == 1 && record.due == 5)
        #expect(record.isRepeatedlyLate())
        #expect(!LatenessRecord([.onTime, .late, .pending, .pending]).isRepeatedlyLate())
    }
}

@Suite("Report fields: definitions and validation")
struct ReportFieldTests {
    static let metrics: Set<String> = ["cases_new", "quarantine_facility"]

    @Test func parsesTheLineFormatAndWritesItBack() throws {
        let text = """
            # comment
            f0_new; number; Số ca F0 mới; New F0; required min=0 metric=cases_new
            situation; choice; Tình hình; Situation; choices=Ổn_định|Phức_tạp

            issues; text; Vấn đề phát sinh; Issues
            """
        let fields = try ReportFieldSpec.parse(text, knownMetrics: Self.metrics)
        #expect(fields.map(\.key) == ["f0_new", "situation", "issues"])
        #expect(fields[0].required && fields[0].min == 0 && fields[0].metric == "cases_new")
        #expect(fields[1].choices == ["Ổn định", "Phức tạp"])
        #expect(try ReportFieldSpec.parse(ReportFieldSpec.format(fields), knownMetrics: Self.metrics) == fields)
    }

    @Test(arguments: [
        ("1x; number; A; B", 1), ("Bad-Key; number; A; B", 1), ("ok; number; A; B\nok; text; C; D", 2), ("a1; money; A; B", 1), ("a1; number; A; B; metric=nope", 1),
        ("a1; text; A; B; metric=cases_new", 1), ("a1; choice; A; B", 1), ("a1; number; A; B; min=5 max=1", 1), ("a1; number; A", 1), ("", 0),
    ])
    func rejectsBadDefinitionsWithTheirLine(text: String, line: Int) {
        #expect(throws: ReportFieldSpecError.self) { try ReportFieldSpec.parse(text, knownMetrics: Self.metrics) }
        do { _ = try ReportFieldSpec.parse(text, knownMetrics: Self.metrics) } catch { #expect(error.line == line) }
    }

    @Test(arguments: [("1832", 1832), ("1.832", 1832), ("1,832", 1832), ("1 832", 1832), ("46.375", 46375), ("-3", -3), ("1.5", nil), ("12.34.567", nil), ("abc", nil), ("1,83", nil)] as [(String, Int?)])
    func readsVietnameseGroupedIntegers(text: String, value: Int?) {
        #expect(ReportValidation.integer(text) == value)
    }

    static let fields: [ReportField] = [
        ReportField(key: "f0_new", type: .number, labelVI: "F0", labelEN: "F0", required: true, min: 0, metric: "cases_new"),
        ReportField(key: "samples", type: .number, labelVI: "Mẫu", labelEN: "Samples", min: 0, max: 100_000),
        ReportField(key: "situation", type: .choice, labelVI: "Tình hình", labelEN: "Situation", choices: ["Ổn định", "Phức tạp"]),
        ReportField(key: "day", type: .date, labelVI: "Ngày", labelEN: "Day"),
        ReportField(key: "issues", type: .text, labelVI: "Vấn đề", labelEN: "Issues"),
    ]

    @Test func validValuesAreNormalised() {
        let out = ReportValidation.validate(Self.fields, input: ["f0_new": "3", "samples": "1.832", "situation": "Ổn định", "day": "15/09/2021", "issues": " thiếu test "], prefill: ["f0_new": 3])
        #expect(out.isValid)
        #expect(out.values == ["f0_new": "3", "samples": "1832", "situation": "Ổn định", "day": "2021-09-15", "issues": "thiếu test"])
    }

    @Test(arguments: [
        (["f0_new": ""], "f0_new", ReportProblem.required), (["f0_new": "ba"], "f0_new", .notANumber), (["f0_new": "-1"], "f0_new", .belowMin),
        (["f0_new": "1", "samples": "200000"], "samples", .aboveMax), (["f0_new": "1", "situation": "Tốt"], "situation", .notAChoice),
        (["f0_new": "1", "day": "31/02/2021"], "day", .invalidDate),
    ])
    func badValuesAreNamedPerField(input: [String: String], key: String, problem: ReportProblem) {
        let out = ReportValidation.validate(Self.fields, input: input, prefill: ["f0_new": 1])
        #expect(out.problems[key] == problem)
    }

    @Test func changingAPrefilledFigureNeedsAReason() {
        let without = ReportValidation.validate(Self.fields, input: ["f0_new": "5"], prefill: ["f0_new": 3])
        #expect(without.problems["reason.f0_new"] == .reasonRequired)
        let with = ReportValidation.validate(Self.fields, input: ["f0_new": "5"], prefill: ["f0_new": 3], reasons: ["f0_new": "2 ca phát hiện chiều tối"])
        #expect(with.isValid && with.reasons == ["f0_new": "2 ca phát hiện chiều tối"])
        // Keeping the live figure needs no reason.
        #expect(ReportValidation.validate(Self.fields, input: ["f0_new": "3"], prefill: ["f0_new": 3]).isValid)
    }
}

@Suite("Consolidation never counts a missing unit as zero")
struct ConsolidationTests {
    let fields = [
        ReportField(key: "f0", type: .number, labelVI: "F0", labelEN: "F0"),
        ReportField(key: "samples", type: .number, labelVI: "Mẫu", labelEN: "Samples"),
        ReportField(key: "situation", type: .choice, labelVI: "TH", labelEN: "S", choices: ["A", "B"]),
    ]

    @Test(arguments: [
        // expected units, reports, f0 total, samples total, reported, missing
        (["w1", "w2", "w3"], ["w1": ["f0": "2", "samples": "100"], "w2": ["f0": "0"]], 2 as Int?, 100 as Int?, 2, ["w3"]),
        (["w1", "w2"], [:], nil, nil, 0, ["w1", "w2"]),
        (["w1", "w2"], ["w1": ["f0": "0", "samples": "0"], "w2": ["f0": "0", "samples": "0"]], 0, 0, 2, []),
        // A report from a unit outside the expected set (another district) is ignored.
        (["w1"], ["w1": ["f0": "1"], "x9": ["f0": "50"]], 1, nil, 1, []),
    ] as [([String], [String: [String: String]], Int?, Int?, Int, [String])])
    func totalsCoverReportedUnitsOnly(expected: [String], reports: [String: [String: String]], f0: Int?, samples: Int?, reported: Int, missing: [String]) {
        let c = Consolidation(fields: fields, expectedUnits: expected, reports: reports)
        #expect(c.total("f0") == f0)
        #expect(c.total("samples") == samples)
        #expect(c.reportedCount == reported)
        #expect(c.missing == missing)
        #expect(c.expected == expected.count)
    }

    @Test func choicesAreCounted() {
        let c = Consolidation(fields: fields, expectedUnits: ["a", "b", "c"], reports: ["a": ["situation": "A"], "b": ["situation": "A"], "c": ["situation": "B"]])
        #expect(c.choiceCounts["situation"] == ["A": 2, "B": 1])
        #expect(c.answered["f0"] == 0 && c.total("f0") == nil)
    }
}

@Suite("Zip and XLSX writer")
struct OfficeFileTests {
    @Test(arguments: [("", 0x0000_0000), ("a", 0xE8B7_BE43), ("123456789", 0xCBF4_3926), ("The quick brown fox jumps over the lazy dog", 0x414F_A339)] as [(String, UInt32)])
    func crc32MatchesTheStandardCheckValues(text: String, crc: UInt32) {
        #expect(CRC32.checksum(Array(text.utf8)) == crc)
    }

    @Test func zipRoundTripsThroughItsCentralDirectory() throws {
        var zip = ZipWriter()
        zip.add("a.txt", text: "xin chào")
        zip.add("dir/b.bin", [0, 1, 2, 255])
        let bytes = zip.finish()
        #expect(Array(bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
        let entries = try ZipReader.entries(bytes)
        #expect(String(decoding: entries["a.txt"]!, as: UTF8.self) == "xin chào")
        #expect(entries["dir/b.bin"] == [0, 1, 2, 255])
        var corrupted = bytes
        corrupted[30 + 5] ^= 0xFF  // a byte of the first entry's data
        #expect(throws: ZipReader.Failure.self) { try ZipReader.entries(corrupted) }
    }

    @Test func workbookHoldsTheOfficeOpenXMLParts() throws {
        let bytes = XLSXWriter.workbook([
            .init(name: "Tổng hợp", rows: [[.text("Đơn vị"), .text("F0")], [.text("Phường Minh Khai <HB2>"), .number(12)], [.text("Bạch Mai"), .empty]]),
            .init(name: "a/b:c*?[]", rows: [[.text("x")]]),
        ])
        let entries = try ZipReader.entries(bytes)
        for part in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"] {
            #expect(entries[part] != nil, "\(part)")
        }
        let sheet = String(decoding: entries["xl/worksheets/sheet1.xml"]!, as: UTF8.self)
        #expect(sheet.contains("<c r=\"A2\" t=\"inlineStr\" s=\"4\"><is><t xml:space=\"preserve\">Phường Minh Khai &lt;HB2&gt;</t></is></c>"))
        #expect(sheet.contains("<c r=\"B2\" s=\"5\"><v>12</v></c>"))
        // An empty cell keeps the table's border and nothing else.
        #expect(sheet.contains("<c r=\"B3\" s=\"4\"/>"))
        #expect(sheet.contains("<c r=\"A1\" t=\"inlineStr\" s=\"1\">"))
        let workbook = String(decoding: entries["xl/workbook.xml"]!, as: UTF8.self)
        #expect(workbook.contains("name=\"Tổng hợp\"") && workbook.contains("name=\"abc\""))
        #expect(XLSXWriter.column(0) == "A" && XLSXWriter.column(25) == "Z" && XLSXWriter.column(26) == "AA" && XLSXWriter.column(701) == "ZZ" && XLSXWriter.column(702) == "AAA")
    }

    @Test func titledSheetsPutTheTableBelowTheirTitlesWithWidthsAndAFrozenHeader() throws {
        let sheet = XLSXWriter.Sheet(name: "Tổng hợp", rows: [[.text("Đơn vị"), .text("Số mẫu xét nghiệm đã lấy trong ngày")], [.text("Phường Minh Khai"), .number(1_832_000)],
                                                            [.text("Tổng cộng"), .number(1_832_000)]],
                                     titles: ["Tổng hợp báo cáo ngày 09/09/2021", "Kỳ báo cáo: 09/09/2021", "Đơn vị: Quận Hai Bà Trưng"], totalRow: true)
        #expect(sheet.headerRow == 5)
        // Longest value plus a margin; a long header wraps rather than widening its column.
        #expect(XLSXWriter.widths(sheet) == [18, 20])
        let entries = try ZipReader.entries(XLSXWriter.workbook([sheet]))
        let xml = String(decoding: entries["xl/worksheets/sheet1.xml"]!, as: UTF8.self)
        #expect(xml.contains("<c r=\"A1\" t=\"inlineStr\" s=\"2\"><is><t xml:space=\"preserve\">Tổng hợp báo cáo ngày 09/09/2021</t>"))
        #expect(xml.contains("<c r=\"A3\" t=\"inlineStr\" s=\"3\">") && !xml.contains("<row r=\"4\""))
        #expect(xml.contains("<row r=\"5\" ht=\"33\" customHeight=\"1\"><c r=\"A5\" t=\"inlineStr\" s=\"1\">"))
        #expect(xml.contains("<c r=\"B6\" s=\"5\"><v>1832000</v></c>") && xml.contains("<c r=\"B7\" s=\"7\"><v>1832000</v></c>"))
        #expect(xml.contains("<col min=\"2\" max=\"2\" width=\"20.0\" customWidth=\"1\"/>"))
        #expect(xml.contains("<pane ySplit=\"5\" topLeftCell=\"A6\" activePane=\"bottomLeft\" state=\"frozen\"/>"))
        // Element order matters to Excel: views, columns, data, then page setup.
        let order = ["<sheetPr>", "<dimension", "<sheetViews>", "<sheetFormatPr", "<cols>", "<sheetData>", "<pageMargins", "<pageSetup"].map { xml.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order.compactMap { $0 } == order.compactMap { $0 }.sorted())
        let workbook = String(decoding: entries["xl/workbook.xml"]!, as: UTF8.self)
        #expect(workbook.contains("<definedNames><definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">'Tổng hợp'!$5:$5</definedName></definedNames>"))
    }
}

@Suite("Official documents")
struct OfficialDocumentTests {
    @Test(arguments: [
        (CivilDate(year: 2021, month: 9, day: 10)!, true, "Hà Nội, ngày 10 tháng 9 năm 2021"),
        (CivilDate(year: 2021, month: 2, day: 5)!, true, "Hà Nội, ngày 05 tháng 02 năm 2021"),
        (CivilDate(year: 2021, month: 12, day: 1)!, true, "Hà Nội, ngày 01 tháng 12 năm 2021"),
        (CivilDate(year: 2021, month: 9, day: 10)!, false, "Hà Nội, 10 September 2021"),
    ] as [(CivilDate, Bool, String)])
    func placeAndDateFollowTheDecree(day: CivilDate, vietnamese: Bool, expected: String) {
        #expect(OfficialDocument.placeAndDate("Hà Nội", day, vietnamese: vietnamese) == expected)
    }

    @Test func placeAndNumber() {
        #expect(OfficialDocument.place(provinceName: "Thành phố Hà Nội") == "Hà Nội")
        #expect(OfficialDocument.place(provinceName: "Tỉnh Bắc Ninh") == "Bắc Ninh")
        #expect(OfficialDocument.place(provinceName: "Hà Nội") == "Hà Nội")
        #expect(OfficialDocument.numberLine(issuer: "SCH", vietnamese: true) == "Số: ……/BC-SCH")
    }
}
