import Foundation
import Testing
@testable import EpiLabFormats

@Suite("ORU^R01 interpretation")
struct HL7ORUTests {
    func parse(_ name: String) throws -> HL7ORUResult {
        try HL7ORUParser.parse(try Fixture.hl7(name))
    }

    @Test func pcrPositive() throws {
        let r = try parse("oru_pcr_positive.hl7")
        #expect(r.issues.isEmpty)
        #expect(r.ackCode == .applicationAccept)
        #expect(r.message.messageID == "CDC20210815-0001")
        #expect(r.message.source == .hl7v2)
        #expect(r.message.sendingApplication == "LIS_CDC")
        #expect(r.message.sendingFacility == "CDC_HANOI")
        #expect(r.message.sentAt == instant("2021-08-15T10:30:00+07:00"))
        #expect(r.header.version == "2.5.1")
        #expect(r.header.characterSet == "UNICODE UTF-8")
        let e = try #require(r.message.entries.first)
        #expect(r.message.entries.count == 1)
        #expect(e.entryID == "CDC20210815-0001/OBX1")
        #expect(e.patient.identifiers == [
            PatientIdentifier(kind: .cccd, value: "001085012345"),
            PatientIdentifier(kind: .local, value: "BN21-778899", issuer: "BVBM"),
        ])
        #expect(e.patient.primaryIdentifier?.kind == .cccd)
        #expect(e.patient.name == PersonName(family: "Nguyễn", middle: "Văn", given: "Nam"))
        #expect(e.patient.name?.fullName == "Nguyễn Văn Nam")
        #expect(e.patient.birthDate == LabCivilDate(year: 1985, month: 3, day: 12))
        #expect(e.patient.sex == .male)
        #expect(e.patient.phone == "0912345678")
        #expect(e.patient.address == "Số 12 ngõ 34 phố Huế, Hai Bà Trưng, Hà Nội")
        #expect(e.test == .rtPCR)
        #expect(e.result == .detected)
        #expect(e.ctValue == 24.5)
        #expect(e.status == .final)
        #expect(e.specimen.label == "HN-0815-000123")
        #expect(e.specimen.typeCode == "258500001")
        #expect(e.specimen.isPooled == false)
        #expect(e.collectedAt == instant("2021-08-15T07:30:00+07:00"))
        #expect(e.resultedAt == instant("2021-08-15T10:00:00+07:00"))
        #expect(e.performingLab == LabOrganization(id: "01D0123456", name: "CDC Hà Nội - Khoa Xét nghiệm"))
        #expect(e.placerOrderNumber == "XN-000123")
        #expect(e.fillerOrderNumber == "KQ-000123")
    }

    @Test func pcrNegativeVietnameseTextAndLocalTime() throws {
        let r = try parse("oru_pcr_negative.hl7")
        #expect(r.issues.isEmpty)
        let e = try #require(r.message.entries.first)
        #expect(e.result == .notDetected)
        #expect(e.patient.identifiers == [PatientIdentifier(kind: .cmnd, value: "012345678")])
        #expect(e.patient.birthDate == LabCivilDate(year: 1992))
        #expect(e.patient.birthDate?.fhirString == "1992")
        #expect(e.patient.sex == .female)
        #expect(e.patient.phone == "0987654321")
        // No zone in the message: Vietnam time is assumed.
        #expect(e.collectedAt == instant("2021-08-15T07:45:00+07:00"))
        #expect(e.resultedAt == instant("2021-08-15T10:20:00+07:00"))
        // No OBX-23: the sending facility is the performing lab.
        #expect(e.performingLab?.name == "CDC_HANOI")
    }

    @Test func pooledSpecimen() throws {
        let r = try parse("oru_pooled.hl7")
        #expect(r.issues.isEmpty)
        #expect(r.message.entries.count == 5)
        #expect(Set(r.message.entries.map(\.specimen.label)) == ["HN-POOL5-0077"])
        #expect(r.message.entries.allSatisfy { $0.specimen.poolSize == 5 && $0.specimen.isPooled })
        #expect(r.message.entries.allSatisfy { $0.result == .notDetected })
        #expect(Set(r.message.entries.compactMap { $0.patient.primaryIdentifier?.value }).count == 5)
        #expect(r.message.entries.map(\.patient.name?.fullName) == [
            "Lê Minh Tuấn", "Phạm Thị Lan", "Hoàng Đức Anh", "Vũ Thị Mai", "Đặng Quốc Bảo",
        ])
        #expect(Set(r.message.entries.map(\.entryID)).count == 5)
    }

    @Test func poolSizeInferredWhenSPM13Missing() throws {
        let text = String(decoding: try Fixture.hl7("oru_pooled.hl7"), as: UTF8.self)
            .replacingOccurrences(of: "||||||||||5||||", with: "||||||||||||||")
        let r = try HL7ORUParser.parse(text)
        #expect(r.issues.isEmpty)
        #expect(r.message.entries.allSatisfy { $0.specimen.poolSize == 5 })
    }

    @Test func rapidAntigenPassport() throws {
        let r = try parse("oru_antigen.hl7")
        #expect(r.issues.isEmpty)
        let e = try #require(r.message.entries.first)
        #expect(e.test == .rapidAntigen)
        #expect(e.result == .detected)
        #expect(e.ctValue == nil)
        #expect(e.patient.identifiers == [PatientIdentifier(kind: .passport, value: "C1234567", issuer: "KOR")])
        #expect(e.patient.name == PersonName(family: "Kim", middle: nil, given: "Minjun"))
        #expect(e.performingLab?.id == "TYT-BD-01")
        #expect(e.specimen.typeDisplay == "Mid-turbinate nasal swab")
    }

    @Test func multiplePatientsOrdersAndObservations() throws {
        let r = try parse("oru_multi.hl7")
        #expect(r.ackCode == .applicationAccept)
        #expect(r.issues == [LabIssue(.unknownTestCode(HL7Location(segment: "OBX", sequence: 2, field: 3, component: 1), code: "2345-7"), severity: .warning)])
        #expect(r.message.entries.count == 3)
        let (a, b, c) = (r.message.entries[0], r.message.entries[1], r.message.entries[2])
        #expect(a.status == .corrected)
        #expect(a.result == .notDetected)
        #expect(a.specimen.label == "BM-0818-9001")
        #expect(a.performingLab?.name == "Bệnh viện Bạch Mai - Khoa Vi sinh")
        #expect(b.test == .rapidAntigen)
        #expect(b.status == .preliminary)
        #expect(b.result == .detected)  // only OBX-8 "A" carried the result
        #expect(c.patient.identifiers.map(\.kind) == [.local, .cccd])
        #expect(c.patient.primaryIdentifier?.value == "038099001122")
        #expect(c.ctValue == 31)
        #expect(c.entryID == "BVBM-LAB-20210818-0007/OBX4")
    }

    @Test func missingPID3IsRefused() throws {
        let r = try parse("oru_missing_pid3.hl7")
        #expect(r.message.entries.isEmpty)
        #expect(r.ackCode == .applicationError)
        #expect(r.issues == [LabIssue(.requiredFieldMissing(HL7Location(segment: "PID", field: 3)))])
        #expect(r.issues[0].error.hl7ErrorCode == .requiredFieldMissing)
    }

    @Test func badDatesAreRefused() throws {
        let r = try parse("oru_bad_dates.hl7")
        #expect(r.message.entries.isEmpty)
        #expect(r.issues.map(\.error) == [
            .dateOutOfRange(HL7Location(segment: "PID", field: 7), value: "18800101"),
            .invalidDateTime(HL7Location(segment: "OBR", sequence: 2, field: 7), value: "20210230073000+0700"),
            .invalidDateTime(HL7Location(segment: "SPM", sequence: 2, field: 17), value: "20210230073000+0700"),
        ])
        #expect(r.issues.allSatisfy { $0.error.hl7ErrorCode == .dataTypeError })
    }

    @Test func unknownLoincOnlyIsAnError() throws {
        let r = try parse("oru_unknown_loinc.hl7")
        #expect(r.message.entries.isEmpty)
        #expect(r.issues == [LabIssue(.unknownTestCode(HL7Location(segment: "OBX", field: 3, component: 1), code: "94309-2"))])
        #expect(r.issues[0].error.hl7ErrorCode == .tableValueNotFound)
    }

    @Test func escapesAreResolved() throws {
        let r = try parse("oru_escapes.hl7")
        #expect(r.issues.isEmpty)
        let e = try #require(r.message.entries.first)
        #expect(e.patient.name?.family == "Nguyễn&Trần")
        #expect(e.patient.address == "Số 5|7 ngõ 12^A phố Kim Mã \\ tầng 3, Ba Đình, Hà Nội")
        #expect(e.performingLab?.name == "Phòng XN ~ Trung tâm ABC")
        #expect(e.specimen.label == "HN&0820^300")
        #expect(e.result == .detected)
    }

    @Test func messageLevelRejections() throws {
        let base = String(decoding: try Fixture.hl7("oru_pcr_positive.hl7"), as: UTF8.self)
        #expect(throws: LabFormatError.unsupportedMessageType("ADT^A01")) {
            try HL7ORUParser.parse(base.replacingOccurrences(of: "ORU^R01^ORU_R01", with: "ADT^A01"))
        }
        #expect(throws: LabFormatError.unsupportedMessageType("ORU^R01^ORU_R30")) {
            try HL7ORUParser.parse(base.replacingOccurrences(of: "ORU^R01^ORU_R01", with: "ORU^R01^ORU_R30"))
        }
        #expect(throws: LabFormatError.unsupportedVersion("2.3")) {
            try HL7ORUParser.parse(base.replacingOccurrences(of: "|P|2.5.1|", with: "|P|2.3|"))
        }
        #expect(throws: LabFormatError.unsupportedProcessingID("Q")) {
            try HL7ORUParser.parse(base.replacingOccurrences(of: "|P|2.5.1|", with: "|Q|2.5.1|"))
        }
        #expect(throws: LabFormatError.requiredFieldMissing(HL7Location(segment: "MSH", field: 10))) {
            try HL7ORUParser.parse(base.replacingOccurrences(of: "|CDC20210815-0001|", with: "||"))
        }
    }

    @Test func orderProblems() throws {
        let base = String(decoding: try Fixture.hl7("oru_pcr_positive.hl7"), as: UTF8.self)
        // Result value nobody can read.
        var r = try HL7ORUParser.parse(base.replacingOccurrences(of: "260373001^Detected^SCT", with: "999^Maybe^L"))
        #expect(r.issues.first?.error == .unknownResultValue(HL7Location(segment: "OBX", field: 5), value: "999"))
        // Result contradicts the abnormal flag.
        r = try HL7ORUParser.parse(base.replacingOccurrences(of: "260373001^Detected^SCT|||A|", with: "260415000^Not detected^SCT|||A|"))
        #expect(r.issues.first?.error.code == "hl7.conflicting_result")
        // Ct out of range.
        r = try HL7ORUParser.parse(base.replacingOccurrences(of: "||24.5|", with: "||245|"))
        #expect(r.issues.first?.error == .invalidNumber(HL7Location(segment: "OBX", sequence: 2, field: 5), value: "245"))
        // No SPM at all.
        let noSPM = base.split(separator: "\r").filter { !$0.hasPrefix("SPM") }.joined(separator: "\r")
        r = try HL7ORUParser.parse(noSPM)
        #expect(r.issues.first?.error == .unexpectedSegment(HL7Location(segment: "OBR"), expected: "SPM"))
        // Invalid CCCD length.
        r = try HL7ORUParser.parse(base.replacingOccurrences(of: "001085012345^^^BCA^NI", with: "00108501234^^^BCA^NI"))
        #expect(r.issues.first?.error.code == "hl7.invalid_identifier")
        // OBX before OBR.
        r = try HL7ORUParser.parse("MSH|^~\\&|A|B|C|D|20210815||ORU^R01|9|P|2.5.1\rPID|1||001085012345^^^BCA^NI||X^Y\rOBX|1|ST|94500-6^^LN||NEG||||||F\r")
        #expect(r.issues.first?.error == .unexpectedSegment(HL7Location(segment: "OBX"), expected: "OBR"))
        // Unknown sex code is only a warning.
        r = try HL7ORUParser.parse(base.replacingOccurrences(of: "||19850312|M|", with: "||19850312|Z|"))
        #expect(r.ackCode == .applicationAccept)
        #expect(r.issues.first?.severity == .warning)
        #expect(r.message.entries.first?.patient.sex == .unknown)
    }

    @Test func emptyMessageIsAnError() throws {
        let r = try HL7ORUParser.parse("MSH|^~\\&|LIS|LAB|||20210815||ORU^R01^ORU_R01|E1|P|2.5.1\r")
        #expect(r.message.entries.isEmpty)
        #expect(r.ackCode == .applicationError)
        #expect(r.issues.first?.error == .unexpectedSegment(HL7Location(segment: "MSH"), expected: "PID/OBR"))
    }

    @Test func spmBeforeResultObxIsTolerated() throws {
        let lines = String(decoding: try Fixture.hl7("oru_pcr_positive.hl7"), as: UTF8.self).split(separator: "\r").map(String.init)
        let spm = try #require(lines.first { $0.hasPrefix("SPM") })
        let reordered = lines.filter { !$0.hasPrefix("SPM") }.flatMap { $0.hasPrefix("OBR") ? [$0, spm] : [$0] }
        let r = try HL7ORUParser.parse(reordered.joined(separator: "\r"))
        #expect(r.issues.isEmpty)
        #expect(r.message.entries.first?.result == .detected)
        #expect(r.message.entries.first?.ctValue == 24.5)
        #expect(r.message.entries.first?.specimen.label == "HN-0815-000123")
    }

    @Test func alternateLoincLatin1AndMissingValueType() throws {
        // Local primary code with LOINC as the alternate identifier (OBX-3.4/3.6), message in ISO 8859-1.
        var bytes = Array("MSH|^~\\&|LIS|LAB|||20210815||ORU^R01|L1|P|2.5.1||||||8859/1\rPID|1||001085012345^^^BCA^NI||Tr".utf8)
        bytes.append(0xE2)  // â
        bytes += Array("n^Hoa\rOBR|1|A||X|||20210815\rOBX|1|ST|SC2^PCR SARS-CoV-2^L^94500-6^^LN||NEG||||||F\rSPM|1|T1\r".utf8)
        let r = try HL7ORUParser.parse(bytes)
        #expect(r.issues.isEmpty)
        #expect(r.message.entries.first?.patient.name?.family == "Trân")
        #expect(r.message.entries.first?.test == .rtPCR)
        let noType = String(decoding: try Fixture.hl7("oru_pcr_positive.hl7"), as: UTF8.self)
            .replacingOccurrences(of: "OBX|1|CWE|", with: "OBX|1||")
        let r2 = try HL7ORUParser.parse(noType)
        #expect(r2.issues.first?.error == .requiredFieldMissing(HL7Location(segment: "OBX", field: 2)))
    }

    @Test func tooManyIdentifiersIsRefused() throws {
        let many = Array(repeating: "X^^^H^MR", count: 100).joined(separator: "~")
        let text = String(decoding: try Fixture.hl7("oru_pcr_positive.hl7"), as: UTF8.self)
            .replacingOccurrences(of: "001085012345^^^BCA^NI~BN21-778899^^^BVBM^MR", with: many)
        let r = try HL7ORUParser.parse(text)
        #expect(r.issues.first?.error == .tooManyRepetitions(HL7Location(segment: "PID", field: 3), limit: 64))
        #expect(r.message.entries.isEmpty)
    }

    @Test func cancelledResultNeedsNoValue() throws {
        let base = String(decoding: try Fixture.hl7("oru_pcr_positive.hl7"), as: UTF8.self)
        let r = try HL7ORUParser.parse(base.replacingOccurrences(of: "260373001^Detected^SCT|||A|||F|", with: "||||||X|"))
        #expect(r.issues.isEmpty)
        #expect(r.message.entries.first?.status == .cancelled)
        #expect(r.message.entries.first?.result == nil)
    }

    @Test func hostileMutationsNeverTrap() throws {
        var rng = SplitMix64(state: 2021)
        var parsed = 0
        var refused = 0
        for name in Fixture.hl7Names {
            let original = try Fixture.hl7(name)
            // Every truncation point.
            for cut in 0...original.count {
                if (try? HL7ORUParser.parse(Array(original[0..<cut]))) != nil { parsed += 1 } else { refused += 1 }
            }
            // Random byte mutations biased towards delimiters and escapes.
            let special: [UInt8] = Array("|^~\\&\r\n0123456789X.+-\"".utf8) + [0x00, 0xFF, 0xC3]
            for _ in 0..<300 {
                var m = original
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let i = Int.random(in: 0..<m.count, using: &rng)
                    m[i] = Bool.random(using: &rng) ? special[Int.random(in: 0..<special.count, using: &rng)] : UInt8.random(in: 0...255, using: &rng)
                }
                do {
                    let r = try HL7ORUParser.parse(m)
                    _ = HL7ACKBuilder().acknowledge(r, controlID: "X", at: Date(timeIntervalSince1970: 0))
                    parsed += 1
                } catch {
                    _ = HL7ACKBuilder().reject(rawMessage: m, error: error, controlID: "X", at: Date(timeIntervalSince1970: 0))
                    refused += 1
                }
            }
        }
        #expect(parsed > 0 && refused > 0)
    }
}
