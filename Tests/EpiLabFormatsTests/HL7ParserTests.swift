import Foundation
import Testing
@testable import EpiLabFormats

@Suite("HL7 ER7 parser")
struct HL7ParserTests {
    @Test func segmentsFieldsComponentsSubcomponents() throws {
        let text = "MSH|^~\\&|APP|FAC^1.2.3^ISO|||20210815||ORU^R01^ORU_R01|X1|P|2.5.1\rPID|1||A~B^^^AUTH&9.9&ISO^MR||Fam&Own^Giv\r"
        let m = try HL7Message.parse(text)
        #expect(m.segmentCount == 2)
        let msh = try #require(m.segment(at: 0))
        #expect(msh.field(1).string == "|")
        #expect(msh.field(2).string == "^~\\&")
        #expect(msh.field(3).string == "APP")
        #expect(msh.field(4).component(2).string == "1.2.3")
        #expect(msh.field(9).component(3).string == "ORU_R01")
        #expect(msh.field(10).string == "X1")
        let pid = try #require(m.first("PID"))
        #expect(pid.field(3).repetitionCount == 2)
        #expect(pid.field(3).repetition(2).component(4).subcomponent(2).string == "9.9")
        #expect(pid.field(3).component(1).string == "A")
        #expect(pid.field(5).component(1).subcomponent(1).string == "Fam")
        #expect(pid.field(5)[1, 2].string == "Own")
        #expect(pid.field(5).component(2).string == "Giv")
        #expect(pid.field(99).isEmpty)
        #expect(pid.field(0).isEmpty)
        #expect(pid.field(-5).isEmpty)
        #expect(pid.field(5).component(0).isEmpty)
        #expect(pid.sequence == 1)
    }

    @Test(arguments: ["\r", "\n", "\r\n", "\n\n"])
    func segmentTerminators(_ sep: String) throws {
        let raw = try Fixture.bytes("hl7", "oru_pcr_positive.hl7")
        let text = String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\n", with: sep)
        let r = try HL7ORUParser.parse(text)
        #expect(r.message.entries.count == 1)
        #expect(r.issues.isEmpty)
    }

    @Test func indexMatchesNaiveSplitAtEveryAlignment() throws {
        // The indexer skips 8 bytes at a time; compare it with a plain split on random layouts.
        var rng = SplitMix64(state: 11)
        for _ in 0..<400 {
            var text = "MSH|^~\\&|A"
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                text += "\rZZ" + String(Int.random(in: 0...9, using: &rng))
                for _ in 0..<Int.random(in: 0...12, using: &rng) {
                    text += "|" + String(repeating: "x", count: Int.random(in: 0...19, using: &rng))
                }
            }
            let m = try HL7Message.parse(text)
            let lines = text.split(separator: "\r").dropFirst()
            #expect(m.segmentCount == lines.count + 1)
            for (k, line) in lines.enumerated() {
                let seg = try #require(m.segment(at: k + 1))
                let parts = line.split(separator: "|", omittingEmptySubsequences: false)
                #expect(seg.fieldCount == parts.count - 1)
                for (f, part) in parts.enumerated().dropFirst() {
                    #expect(seg.field(f).string == String(part))
                }
            }
        }
    }

    @Test func componentAndSubcomponentLists() throws {
        let m = try HL7Message.parse("MSH|^~\\&|A\rPID|1||a&b^^c~d^e\r")
        let f = try #require(m.first("PID")).field(3)
        #expect(f.components().map(\.string) == ["a&b", "", "c"])
        #expect(f.repetition(2).components().map(\.string) == ["d", "e"])
        #expect(f.subcomponents().map(\.string) == ["a", "b"])
        #expect(f.components(limit: 1).count == 1)
        #expect(try #require(m.first("MSH")).field(2).components().map(\.string) == ["^~\\&"])
    }

    @Test func customDelimiters() throws {
        let text = "MSH#*~!%#APP#FAC####ORU*R01#ID9#P#2.5.1\rPID#1##123*!F!*x#"
        let m = try HL7Message.parse(text)
        #expect(m.delimiters.field == UInt8(ascii: "#"))
        let pid = try #require(m.first("PID"))
        #expect(pid.field(3).component(2).string == "#")
        #expect(pid.field(3).component(3).string == "x")
    }

    @Test func explicitNullIsNotText() throws {
        let m = try HL7Message.parse("MSH|^~\\&|A\rPID|1||\"\"\r")
        let f = try #require(m.first("PID")).field(3)
        #expect(f.isExplicitNull)
        #expect(f.text == nil)
    }

    @Test func structuralErrors() throws {
        #expect(throws: LabFormatError.emptyInput) { try HL7Message.parse("  \r\n") }
        #expect(throws: LabFormatError.missingHeader) { try HL7Message.parse("PID|1||123\r") }
        #expect(throws: LabFormatError.invalidDelimiters) { try HL7Message.parse("MSH|^~|APP\r") }
        #expect(throws: LabFormatError.invalidDelimiters) { try HL7Message.parse("MSH|^^\\&|APP\r") }
        #expect(throws: LabFormatError.invalidDelimiters) { try HL7Message.parse("MSH|^a\\&|APP\r") }
        #expect(throws: LabFormatError.invalidSegmentID("pid|1", segmentIndex: 1)) {
            try HL7Message.parse("MSH|^~\\&|A\rpid|1\r")
        }
        #expect(throws: LabFormatError.invalidUTF8) {
            try HL7Message.parse([UInt8]("MSH|^~\\&|A\rPID|1||".utf8) + [0xC3, 0x28] + [0x0D])
        }
    }

    @Test func limits() throws {
        let big = "MSH|^~\\&|A\r" + String(repeating: "NTE|1||x\r", count: 50)
        #expect(throws: LabFormatError.tooManySegments(limit: 10)) {
            try HL7Message.parse(big, limits: HL7Limits(maxSegments: 10))
        }
        #expect(throws: LabFormatError.inputTooLarge(limit: 100)) {
            try HL7Message.parse(big, limits: HL7Limits(maxMessageBytes: 100))
        }
        let wide = "MSH|^~\\&|A\rNTE" + String(repeating: "|", count: 300) + "\r"
        #expect(throws: LabFormatError.tooManyFields(HL7Location(segment: "NTE"), limit: 256)) {
            try HL7Message.parse(wide)
        }
        let long = "MSH|^~\\&|A\rNTE|1||" + String(repeating: "x", count: 70_000) + "\r"
        #expect(throws: LabFormatError.segmentTooLong(HL7Location(segment: "NTE"), limit: 65_536)) {
            try HL7Message.parse(long)
        }
    }

    @Test func latin1CharacterSet() throws {
        var bytes = Array("MSH|^~\\&|A||||||ORU^R01|1|P|2.5.1||||||8859/1\rPID|1||X||Ph".utf8)
        bytes.append(0xE9)  // é in ISO 8859-1
        bytes += Array("^A\r".utf8)
        let m = try HL7Message.parse(bytes)
        #expect(try #require(m.first("PID")).field(5).component(1).string == "Phé")
        #expect(throws: LabFormatError.unsupportedCharacterSet("UNICODE UTF-16")) {
            try HL7Message.parse("MSH|^~\\&|A||||||ORU^R01|1|P|2.5.1||||||UNICODE UTF-16\r")
        }
    }

    @Test func bomAndLeadingBlankLinesAreTolerated() throws {
        let m = try HL7Message.parse([0xEF, 0xBB, 0xBF, 0x0D, 0x0A] + Array("MSH|^~\\&|A\r   \rPID|1\r".utf8))
        #expect(m.segmentCount == 2)
    }
}

@Suite("HL7 escaping")
struct HL7EscapingTests {
    let d = HL7Delimiters.standard

    func unescape(_ s: String) -> String { HL7Escaping.unescape(ArraySlice(Array(s.utf8)), delimiters: d) }

    @Test func delimiterSequences() {
        #expect(unescape("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f") == "a|b^c&d~e\\f")
    }

    @Test func hexIsDecodedAsUTF8Bytes() {
        #expect(unescape("\\X41\\BC") == "ABC")
        #expect(unescape("Ph\\XE1BBA5\\") == "Phụ")
        #expect(unescape("line1\\X0D0A\\line2") == "line1\r\nline2")
    }

    @Test func formattingAndHighlighting() {
        #expect(unescape("a\\.br\\b") == "a\nb")
        #expect(unescape("\\H\\bold\\N\\") == "bold")
        #expect(unescape("x\\C2842\\y\\Zlocal\\") == "xy")
    }

    @Test func malformedSequencesStayLiteral() {
        #expect(unescape("C:\\temp") == "C:\\temp")
        #expect(unescape("a\\\\b") == "a\\\\b")
        #expect(unescape("\\Q\\") == "\\Q\\")
        #expect(unescape("\\XZZ\\") == "\\XZZ\\")
        #expect(unescape("\\X123\\") == "\\X123\\")
    }

    @Test func escapeRoundTrips() throws {
        var rng = SplitMix64(state: 7)
        let alphabet = Array("ab|^~\\&\r\n\u{0B}\u{1C}ươ Đ€😀".unicodeScalars)
        for _ in 0..<500 {
            var s = ""
            for _ in 0..<Int.random(in: 0...20, using: &rng) {
                s.unicodeScalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)])
            }
            let e = HL7Escaping.escape(s)
            #expect(!e.utf8.contains { d.isDelimiter($0) && $0 != d.escape })
            #expect(!e.utf8.contains { $0 < 0x20 })
            #expect(unescape(e) == s)
        }
    }
}

@Suite("HL7 DTM")
struct HL7DateTests {
    @Test(arguments: [
        ("2021", LabTimestamp.Precision.year), ("202108", .month), ("20210815", .day), ("2021081507", .hour),
        ("202108150730", .minute), ("20210815073000", .second), ("20210815073000.1234", .second),
        ("20210815073000+0700", .second), ("20210815073000.5-0330", .second), ("20210815 ", .day),
    ])
    func validPrecisions(_ text: String, _ precision: LabTimestamp.Precision) throws {
        guard case .success(let ts) = LabTimestamp.parseHL7(text) else {
            Issue.record("rejected \(text)")
            return
        }
        #expect(ts.precision == precision)
    }

    @Test func instantsUseOffsetOrVietnamTime() throws {
        guard case .success(let a) = LabTimestamp.parseHL7("20210815073000+0700"),
              case .success(let b) = LabTimestamp.parseHL7("20210815073000"),
              case .success(let c) = LabTimestamp.parseHL7("20210815003000+0000"),
              case .success(let f) = LabTimestamp.parseHL7("20210815003000.25+0000")
        else {
            Issue.record("parse failed")
            return
        }
        #expect(a.date() == instant("2021-08-15T00:30:00Z"))
        #expect(b.date() == a.date())
        #expect(c.date() == a.date())
        #expect(f.date().timeIntervalSince(a.date()) == 0.25)
        #expect(LabTimestamp.hl7String(a.date()) == "20210815073000+0700")
        for offset in [0, 7 * 3600, -(3 * 3600 + 30 * 60), 14 * 3600] {
            var bytes: [UInt8] = []
            LabTimestamp.appendHL7(a.date(), offsetSeconds: offset, into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == LabTimestamp.hl7String(a.date(), offsetSeconds: offset))
        }
        #expect(LabTimestamp.fhirString(a.date()) == "2021-08-15T07:30:00+07:00")
        #expect(LabTimestamp.fhirString(a.date(), offsetSeconds: 0) == "2021-08-15T00:30:00Z")
    }

    @Test(arguments: ["2021134", "20211301", "20210230", "20210229", "20210815240000", "20210815236000",
                      "20210815235960", "2021081507300", "20210815073000+07", "20210815073000+2500",
                      "2021-08-15", "abcd", "", "20210815073000.12345", "2021081507.5", "20210815073000+0700x"])
    func invalid(_ text: String) {
        guard case .failure(.syntax) = LabTimestamp.parseHL7(text) else {
            Issue.record("accepted \(text)")
            return
        }
    }

    @Test(arguments: ["1899", "18991231", "2101", "21010101000000"])
    func outOfRange(_ text: String) {
        guard case .failure(.outOfRange) = LabTimestamp.parseHL7(text) else {
            Issue.record("not out of range: \(text)")
            return
        }
    }

    @Test func leapYearsAndCalendarRoundTrip() {
        guard case .success = LabTimestamp.parseHL7("20200229"), case .success = LabTimestamp.parseHL7("20000229"),
              case .failure = LabTimestamp.parseHL7("19000229")
        else {
            Issue.record("leap year rules")
            return
        }
        for days in stride(from: -25_567, to: 47_482, by: 37) {
            let c = LabCalendar.civilFromDays(days)
            #expect(LabCalendar.daysFromCivil(year: c.year, month: c.month, day: c.day) == days)
        }
    }
}
