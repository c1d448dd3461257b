import Foundation
import Testing
@testable import EpiLabFormats

/// Test helpers shared by all suites.
enum Fixture {
    /// Raw bytes of a fixture file under Fixtures/<dir>/.
    static func bytes(_ dir: String, _ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/\(dir)"))
        return Array(try Data(contentsOf: url))
    }

    /// HL7 fixture with LF segment ends turned into CR, the form senders use on the wire.
    static func hl7(_ name: String) throws -> [UInt8] {
        try bytes("hl7", name).map { $0 == 0x0A ? 0x0D : $0 }
    }

    static let hl7Names = [
        "oru_pcr_positive.hl7", "oru_pcr_negative.hl7", "oru_pooled.hl7", "oru_antigen.hl7", "oru_multi.hl7",
        "oru_missing_pid3.hl7", "oru_bad_dates.hl7", "oru_unknown_loinc.hl7", "oru_escapes.hl7",
    ]
}

/// Parses an ISO-8601 instant for expectations.
func instant(_ s: String) -> Date {
    guard case .success(let ts) = LabTimestamp.parseFHIR(s) else { return .distantPast }
    return ts.date()
}

/// Deterministic generator so fuzz-style tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Collects every JSON value so tests can assert FHIR's "no null, no empty" rule over a whole document.
func allValues(_ v: JSONValue) -> [JSONValue] {
    switch v {
    case .array(let a): return [v] + a.flatMap(allValues)
    case .object(let o): return [v] + o.members.flatMap { allValues($0.value) }
    default: return [v]
    }
}
