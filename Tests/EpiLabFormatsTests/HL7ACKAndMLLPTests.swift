import Foundation
import Testing
@testable import EpiLabFormats

@Suite("ACK builder")
struct HL7ACKTests {
    let now = instant("2021-08-15T10:31:00+07:00")

    @Test func acceptAck() throws {
        let r = try HL7ORUParser.parse(try Fixture.hl7("oru_pcr_positive.hl7"))
        let ack = HL7ACKBuilder().acknowledge(r, controlID: "ACK-0001", at: now)
        #expect(ack.hasSuffix("\r"))
        let m = try HL7Message.parse(ack)
        let msh = try #require(m.first("MSH"))
        #expect(msh.field(3).string == "EPICOMMAND")
        #expect(msh.field(4).string == "SYT_HANOI")
        #expect(msh.field(5).string == "LIS_CDC")
        #expect(msh.field(6).component(2).string == "2.16.840.1.113883.3.9999.1")
        #expect(msh.field(7).string == "20210815103100+0700")
        #expect(msh.field(9).string == "ACK^R01^ACK")
        #expect(msh.field(10).string == "ACK-0001")
        #expect(msh.field(11).string == "P")
        #expect(msh.field(12).string == "2.5.1")
        #expect(msh.field(18).string == "UNICODE UTF-8")
        let msa = try #require(m.first("MSA"))
        #expect(msa.field(1).string == "AA")
        #expect(msa.field(2).string == "CDC20210815-0001")
        #expect(m.segments("ERR").isEmpty)
    }

    @Test func errorAckListsEveryProblem() throws {
        let r = try HL7ORUParser.parse(try Fixture.hl7("oru_bad_dates.hl7"))
        let ack = HL7ACKBuilder().acknowledge(r, controlID: "ACK-0002", at: now)
        let m = try HL7Message.parse(ack)
        #expect(try #require(m.first("MSA")).field(1).string == "AE")
        let errs = m.segments("ERR")
        #expect(errs.count == 3)
        let first = errs[0]
        #expect(first.field(2).string == "PID^1^7^1")
        #expect(first.field(3).component(1).string == "102")
        #expect(first.field(3).component(3).string == "HL70357")
        #expect(first.field(4).string == "E")
        #expect(first.field(7).string.hasPrefix("hl7.date_out_of_range: "))
        #expect(first.field(8).string.contains("1900–2100"))
    }

    @Test func warningsGoOutWithAA() throws {
        let r = try HL7ORUParser.parse(try Fixture.hl7("oru_multi.hl7"))
        let m = try HL7Message.parse(HL7ACKBuilder().acknowledge(r, controlID: "A3", at: now))
        #expect(try #require(m.first("MSA")).field(1).string == "AA")
        #expect(m.segments("ERR").first?.field(4).string == "W")
        #expect(m.segments("ERR").first?.field(3).component(1).string == "103")
    }

    @Test func rejectUnparseableAndUnsupported() throws {
        let base = String(decoding: try Fixture.hl7("oru_pcr_positive.hl7"), as: UTF8.self)
        let adt = Array(base.replacingOccurrences(of: "ORU^R01^ORU_R01", with: "ADT^A01^ADT_A01").utf8)
        do {
            _ = try HL7ORUParser.parse(adt)
            Issue.record("ADT accepted")
        } catch {
            let ack = HL7ACKBuilder().reject(rawMessage: adt, error: error, controlID: "A4", at: now)
            let m = try HL7Message.parse(ack)
            #expect(try #require(m.first("MSA")).field(1).string == "AR")
            #expect(try #require(m.first("MSA")).field(2).string == "CDC20210815-0001")
            #expect(try #require(m.first("MSH")).field(9).string == "ACK^A01^ACK")
            #expect(m.segments("ERR").first?.field(3).component(1).string == "200")
            #expect(m.segments("ERR").first?.field(2).string == "MSH^1^9^1")
        }
        // Garbage: still a well-formed ACK with an empty MSA-2.
        let junk = Array("hello\u{0}world".utf8)
        let ack = HL7ACKBuilder().reject(rawMessage: junk, error: .missingHeader, controlID: "A5", at: now)
        let m = try HL7Message.parse(ack)
        #expect(try #require(m.first("MSA")).field(1).string == "AE")
        #expect(try #require(m.first("MSA")).field(2).isEmpty)
        #expect(try #require(m.first("MSH")).field(3).string == "EPICOMMAND")
    }

    @Test func reasonTextIsEscaped() throws {
        let nasty = "a|b^c~d\\e&f\rg\u{1C}h"
        let issue = LabIssue(.unknownResultValue(HL7Location(segment: "OBX", field: 5), value: nasty))
        let header = HL7MessageHeader(msh: try #require(try HL7Message.parse("MSH|^~\\&|L\\F\\IS|F|||||ORU^R01|C\\S\\1|P|2.5.1\r").first("MSH")))
        let ack = HL7ACKBuilder().build(acknowledging: header, code: .applicationError, issues: [issue], controlID: "X|Y", at: now)
        #expect(!ack.utf8.contains(0x1C))
        let m = try HL7Message.parse(ack)
        #expect(m.segmentCount == 3)
        let err = try #require(m.first("ERR"))
        #expect(err.field(7).string.contains("a|b^c~d\\e&f\rg\u{1C}h"))
        #expect(try #require(m.first("MSA")).field(2).string == "C^1")
        #expect(try #require(m.first("MSH")).field(5).string == "L|IS")
        #expect(try #require(m.first("MSH")).field(10).string == "X|Y")
        #expect((try? MLLP.frame(ack)) != nil)
    }

    @Test func applicationLevelErrors() throws {
        let r = try HL7ORUParser.parse(try Fixture.hl7("oru_pcr_positive.hl7"))
        let issues = [LabIssue(.unknownSpecimenLabel(HL7Location(segment: "SPM", field: 2), label: "HN-0815-000123")),
                      LabIssue(.applicationFailure("database timeout"))]
        let m = try HL7Message.parse(HL7ACKBuilder().build(acknowledging: r.header, code: .applicationError, issues: issues,
                                                            controlID: "A9", at: now))
        #expect(m.segments("ERR").map { $0.field(3).component(1).string } == ["204", "207"])
        #expect(m.segments("ERR").first?.field(2).string == "SPM^1^2^1")
        let oo = JSONWriter.string(FHIREncoder.operationOutcome(issues))
        #expect(oo.contains("\"code\":\"not-found\"") && oo.contains("\"code\":\"exception\""))
    }

    @Test func errorCountIsCapped() throws {
        let issues = (0..<120).map { LabIssue(.requiredFieldMissing(HL7Location(segment: "PID", sequence: $0 + 1, field: 3))) }
        let ack = HL7ACKBuilder(maxErrors: 10).build(acknowledging: nil, code: .applicationError, issues: issues, controlID: "Z", at: now)
        let m = try HL7Message.parse(ack)
        #expect(m.segments("ERR").count == 11)
    }
}

@Suite("MLLP framing")
struct MLLPTests {
    func messages(_ events: [MLLPEvent]) -> [[UInt8]] {
        events.compactMap { if case .message(let m) = $0 { m } else { nil } }
    }

    func errors(_ events: [MLLPEvent]) -> [LabFormatError] {
        events.compactMap { if case .error(let e) = $0 { e } else { nil } }
    }

    @Test func everySplitPosition() throws {
        let a = try Fixture.hl7("oru_pcr_positive.hl7")
        let b = try Fixture.hl7("oru_pooled.hl7")
        let stream = Array("noise\r\n".utf8) + (try MLLP.frame(a)) + [0x0D, 0x0A] + (try MLLP.frame(b)) + Array("tail".utf8)
        for cut in 0...stream.count {
            var d = MLLPDecoder()
            let events = d.feed(stream[0..<cut]) + d.feed(stream[cut...])
            #expect(messages(events) == [a, b], "cut at \(cut)")
            #expect(errors(events).isEmpty)
        }
        // Two cuts at a time over a short stream.
        let short = (try MLLP.frame(Array("MSH|^~\\&|A".utf8))) + (try MLLP.frame(Array("MSH|^~\\&|B".utf8)))
        for i in 0...short.count {
            for j in i...short.count {
                var d = MLLPDecoder()
                let ev = d.feed(short[0..<i]) + d.feed(short[i..<j]) + d.feed(short[j...])
                #expect(messages(ev).count == 2)
            }
        }
    }

    @Test func byteByByte() throws {
        let a = try Fixture.hl7("oru_multi.hl7")
        var d = MLLPDecoder()
        var got: [MLLPEvent] = []
        for byte in try MLLP.frame(a) { got += d.feed([byte]) }
        #expect(messages(got) == [a])
        #expect(d.bufferedBytes == 0)
    }

    @Test func oversizeFrameIsDroppedAndDecoderResyncs() throws {
        var d = MLLPDecoder(maxFrameBytes: 100)
        let big = try MLLP.frame(Array(repeating: UInt8(ascii: "x"), count: 500))
        let ok = try MLLP.frame(Array("MSH|^~\\&|OK".utf8))
        let events = d.feed(big + ok)
        #expect(errors(events) == [.mllpFrameTooLarge(limit: 100)])
        #expect(messages(events) == [Array("MSH|^~\\&|OK".utf8)])
        // Oversize detected across chunks, and memory stays bounded while discarding.
        var d2 = MLLPDecoder(maxFrameBytes: 100)
        var ev: [MLLPEvent] = []
        ev += d2.feed([0x0B])
        for _ in 0..<1000 { ev += d2.feed(Array(repeating: UInt8(ascii: "y"), count: 64)) }
        #expect(d2.bufferedBytes == 0)
        ev += d2.feed([0x1C, 0x0D] + ok)
        #expect(errors(ev) == [.mllpFrameTooLarge(limit: 100)])
        #expect(messages(ev).count == 1)
        // Exactly at the limit is fine.
        var d3 = MLLPDecoder(maxFrameBytes: 100)
        #expect(messages(d3.feed(try MLLP.frame(Array(repeating: UInt8(ascii: "z"), count: 100)))).count == 1)
    }

    @Test func interruptedAndBadTrailer() throws {
        var d = MLLPDecoder()
        let ev = d.feed([0x0B] + Array("half".utf8) + [0x0B] + Array("whole".utf8) + [0x1C, 0x0D])
        #expect(errors(ev) == [.mllpFrameInterrupted])
        #expect(messages(ev) == [Array("whole".utf8)])
        var d2 = MLLPDecoder()
        let ev2 = d2.feed([0x0B] + Array("bad".utf8) + [0x1C, 0x58] + [0x0B] + Array("good".utf8) + [0x1C, 0x0D])
        #expect(errors(ev2) == [.mllpInvalidTrailer])
        #expect(messages(ev2) == [Array("good".utf8)])
        var d3 = MLLPDecoder()
        let ev3 = d3.feed([0x0B] + Array("bad".utf8) + [0x1C, 0x0B] + Array("next".utf8) + [0x1C, 0x0D])
        #expect(errors(ev3) == [.mllpInvalidTrailer])
        #expect(messages(ev3) == [Array("next".utf8)])
    }

    @Test func encoderRejectsFramingBytes() {
        #expect(throws: LabFormatError.mllpInvalidPayload) { try MLLP.frame([0x41, 0x1C, 0x42]) }
        #expect(throws: LabFormatError.mllpInvalidPayload) { try MLLP.frame([0x0B]) }
        #expect((try? MLLP.frame("")) == [0x0B, 0x1C, 0x0D])
    }

    @Test func randomStreamsNeverTrap() {
        var rng = SplitMix64(state: 99)
        var d = MLLPDecoder(maxFrameBytes: 256)
        var count = 0
        for _ in 0..<2000 {
            let chunk = (0..<Int.random(in: 0...64, using: &rng)).map { _ -> UInt8 in
                let r = UInt8.random(in: 0...15, using: &rng)
                return r == 0 ? 0x0B : r == 1 ? 0x1C : r == 2 ? 0x0D : UInt8.random(in: 0...255, using: &rng)
            }
            count += d.feed(chunk).count
            #expect(d.bufferedBytes <= 256)
        }
        #expect(count > 0)
    }
}
