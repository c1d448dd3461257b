import Foundation
import Testing
@testable import EpiLabFormats

@Suite("Domain values")
struct DomainTests {
    @Test(arguments: [
        ("Dương tính", LabResultValue.detected), ("DƯƠNG TÍNH", .detected), ("duong tinh", .detected),
        ("Duong Tinh", .detected), ("  POS ", .detected), ("Detected", .detected), ("phát hiện", .detected),
        ("Âm tính", .notDetected), ("ÂM TÍNH", .notDetected), ("am tinh", .notDetected), ("NEG", .notDetected),
        ("Not detected", .notDetected), ("không phát hiện", .notDetected), ("Không xác định", .inconclusive),
        ("INDETERMINATE", .inconclusive), ("Mẫu không đạt", .invalid),
    ])
    func resultText(_ text: String, _ expected: LabResultValue) {
        #expect(LabResultValue(text: text) == expected)
        // The same text in decomposed (NFD) form must map the same way.
        #expect(LabResultValue(text: text.decomposedStringWithCanonicalMapping) == expected)
    }

    @Test func resultCodesAndFlags() {
        #expect(LabResultValue(text: "maybe") == nil)
        #expect(LabResultValue(text: String(repeating: "x", count: 100)) == nil)
        #expect(LabResultValue(snomedCode: "10828004") == .detected)
        #expect(LabResultValue(snomedCode: "260385009") == .notDetected)
        #expect(LabResultValue(snomedCode: "123") == nil)
        #expect(LabResultValue(abnormalFlag: "AA") == .detected)
        #expect(LabResultValue(abnormalFlag: "N") == .notDetected)
        #expect(LabResultValue(abnormalFlag: "H") == nil)
        for v in LabResultValue.allCases { #expect(LabResultValue(snomedCode: v.snomedCode) == v) }
    }

    @Test func statusesAndSex() {
        for s in LabResultStatus.allCases {
            #expect(LabResultStatus(hl7Code: s.hl7Code) == s)
            #expect(LabResultStatus(fhirCode: s.fhirCode) == s)
        }
        #expect(LabResultStatus(hl7Code: "I") == nil)
        #expect(LabResultStatus(fhirCode: "amended") == .corrected)
        #expect(LabSex(hl7Code: "f") == .female)
        #expect(LabSex(hl7Code: "X") == nil)
    }

    @Test func identifiersAndNames() {
        #expect(PatientIdentifier.nationalID("001085012345")?.kind == .cccd)
        #expect(PatientIdentifier.nationalID("012345678")?.kind == .cmnd)
        #expect(PatientIdentifier.nationalID("0123456789") == nil)
        #expect(PatientIdentifier.nationalID("00108501234a") == nil)
        #expect(PatientIdentifier.nationalID("０１２３４５６７８") == nil)  // full-width digits are not ASCII digits
        #expect(PersonName(family: " Nguyễn ", middle: "", given: "Nam").fullName == "Nguyễn Nam")
        #expect(PersonName(family: nil, middle: " ", given: nil).isEmpty)
        let p = LabPatient(identifiers: [PatientIdentifier(kind: .local, value: "1"), PatientIdentifier(kind: .cmnd, value: "012345678")])
        #expect(p.primaryIdentifier?.kind == .cmnd)
    }

    @Test func errorsHaveStableCodesAndBothLanguages() {
        let samples: [LabFormatError] = [
            .inputTooLarge(limit: 1), .missingHeader, .requiredFieldMissing(HL7Location(segment: "PID", field: 3)),
            .invalidDateTime(HL7Location(segment: "OBR", field: 7), value: String(repeating: "9", count: 500)),
            .mllpFrameTooLarge(limit: 10), .fhirUnresolvedReference(path: "p", reference: "r"),
            .unknownSpecimenLabel(nil, label: "X"), .applicationFailure("db"),
        ]
        for e in samples {
            #expect(!e.code.isEmpty && e.code.contains("."))
            #expect(!e.messageVI.isEmpty && !e.messageEN.isEmpty && e.messageVI != e.messageEN)
            // Echoed input is clipped so errors stay small.
            #expect(e.messageEN.utf8.count < 400)
        }
        #expect(Set(samples.map(\.code)).count == samples.count)
        #expect(LabText.clip("Nguyễn Văn Nam", max: 8) == "Nguyễn…")  // "Nguyễn" is exactly 8 UTF-8 bytes
    }
}
