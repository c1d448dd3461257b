import Foundation
import Testing

/// Hex helpers and fixture loading shared by the test files.
enum TestSupport {
    /// Decodes a hex string (whitespace ignored); invalid digits fail the current test.
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(digits.count / 2)
        var index = 0
        while index + 1 < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else {
                Issue.record("invalid hex \(hex)")
                return []
            }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// URL of a file under Tests/EpiCodecsTests/Fixtures.
    static func fixtureURL(_ name: String) throws -> URL {
        let base = try #require(Bundle.module.resourceURL)
        return base.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    static func fixtureJSON(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtureURL(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
