/// Errors thrown while building or validating a UVCI.
package enum UVCIError: Error, Equatable, Sendable {
    /// The country code is not two uppercase ASCII letters.
    case invalidCountry
    /// The opaque identifier is empty or contains characters outside A-Z and 0-9.
    case invalidOpaqueID
    /// The identifier is longer than the 80 characters the DCC schema allows for `ci`.
    case tooLong
    /// The string does not have the `URN:UVCI:01:CC:` shape.
    case invalidFormat
    /// A character outside the Luhn mod N alphabet appears in the checked part.
    case invalidCharacter
    /// The check character after `#` does not match.
    case checksumMismatch
    /// A checksum was required but none is present.
    case missingChecksum

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .invalidCountry: return 5401
        case .invalidOpaqueID: return 5402
        case .tooLong: return 5403
        case .invalidFormat: return 5404
        case .invalidCharacter: return 5405
        case .checksumMismatch: return 5406
        case .missingChecksum: return 5407
        }
    }
}

/// Unique Vaccination Certificate Identifiers per eHealth Network guidelines, Annex 2.
///
/// Format produced: `URN:UVCI:01:VN:<opaque>` optionally followed by
/// `#<check>`. The check character follows the rule published in the EU DCC
/// schema FAQ ("UVCI checksum"), which settled the guideline's ambiguities:
/// Luhn mod N with N = 38 over the code points
/// `ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:` (in that order, `#` excluded
/// because it only separates the check character), computed over the whole
/// identifier including the `URN:UVCI:` prefix. The FAQ's example
/// `URN:UVCI:01:NL:187/37512422923` yields `Z`.
package enum UVCI {
    /// The prefix that the EU DCC FAQ requires and includes in the checksum.
    package static let prefix = "URN:UVCI:"
    /// UVCI schema version defined by the guideline.
    package static let schemaVersion = "01"
    /// The Luhn mod N code points; the index of a character is its value.
    package static let checksumAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:".utf8)
    /// Maximum identifier length allowed by the DCC schema (`certificate_id`, maxLength 80).
    package static let maxLength = 80

    private static let codePoints: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in checksumAlphabet.enumerated() {
            table[Int(byte)] = Int8(index)
        }
        return table
    }()

    /// Builds `URN:UVCI:01:<country>:<opaqueID>`, optionally with `#` and the check character.
    ///
    /// - Parameters:
    ///   - country: ISO 3166-1 alpha-2 code, "VN" by default.
    ///   - opaqueID: an issuer-unique identifier of uppercase A-Z and 0-9.
    ///   - includeChecksum: append `#` and the Luhn mod N check character.
    package static func make(
        country: String = "VN",
        opaqueID: String,
        includeChecksum: Bool = true
    ) throws(UVCIError) -> String {
        guard isCountryCode(country) else { throw .invalidCountry }
        guard !opaqueID.isEmpty, opaqueID.utf8.allSatisfy(isUpperAlphanumeric) else { throw .invalidOpaqueID }
        let body = prefix + schemaVersion + ":" + country + ":" + opaqueID
        let totalLength = body.utf8.count + (includeChecksum ? 2 : 0)
        guard totalLength <= maxLength else { throw .tooLong }
        guard includeChecksum else { return body }
        return body + "#" + String(UnicodeScalar(try checkCharacter(for: body)))
    }

    /// Computes the Luhn mod 38 check character for `text`.
    package static func checkCharacter(for text: String) throws(UVCIError) -> UInt8 {
        let n = checksumAlphabet.count
        var factor = 2
        var sum = 0
        // Walk from the right; the rightmost character gets factor 2 because
        // the check character, once appended, will take factor 1.
        for byte in text.utf8.reversed() {
            let codePoint = Int(codePoints[Int(byte)])
            guard codePoint >= 0 else { throw .invalidCharacter }
            let addend = factor * codePoint
            sum += addend / n + addend % n
            factor = factor == 2 ? 1 : 2
        }
        let check = (n - sum % n) % n
        return checksumAlphabet[check]
    }

    /// The parts of a validated UVCI.
    package struct Components: Sendable, Equatable {
        /// The ISO 3166-1 alpha-2 country code.
        package var country: String
        /// Everything after `01:CC:` up to an optional `#`.
        package var opaqueID: String
        /// The check character, if present.
        package var checkCharacter: Character?
    }

    /// Validates a UVCI of the form `URN:UVCI:01:CC:<opaque>[#<check>]` and verifies any check character.
    ///
    /// The opaque part may contain `/` and `:` as the guideline allows, so
    /// identifiers from other issuers validate too.
    package static func validate(_ uvci: String, requireChecksum: Bool = false) throws(UVCIError) -> Components {
        guard uvci.utf8.count <= maxLength else { throw .tooLong }
        let parts = uvci.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let body = String(parts[0])
        guard body.hasPrefix(prefix + schemaVersion + ":") else { throw .invalidFormat }
        let rest = body.dropFirst(prefix.count + schemaVersion.count + 1)
        let fields = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard fields.count == 2 else { throw .invalidFormat }
        let country = String(fields[0])
        let opaque = String(fields[1])
        guard isCountryCode(country) else { throw .invalidCountry }
        guard !opaque.isEmpty else { throw .invalidOpaqueID }
        let expected = try checkCharacter(for: body)
        if parts.count == 2 {
            let given = Array(parts[1].utf8)
            guard given.count == 1 else { throw .invalidFormat }
            guard given[0] == expected else { throw .checksumMismatch }
            return Components(country: country, opaqueID: opaque, checkCharacter: Character(UnicodeScalar(expected)))
        }
        guard !requireChecksum else { throw .missingChecksum }
        return Components(country: country, opaqueID: opaque, checkCharacter: nil)
    }

    /// Returns a random opaque identifier of uppercase letters and digits.
    ///
    /// With the default 20 characters (about 103 bits) collisions are
    /// negligible, but callers that need guaranteed uniqueness should still
    /// derive the identifier from their own sequence or check a registry.
    package static func randomOpaqueID(length: Int = 20) -> String {
        var generator = SystemRandomNumberGenerator()
        return randomOpaqueID(length: length, using: &generator)
    }

    /// Returns a random opaque identifier drawn from `generator`.
    package static func randomOpaqueID(length: Int, using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(length, 0))
        for _ in 0..<max(length, 0) {
            // random(in:) is unbiased, unlike taking a raw value modulo 36.
            bytes.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isCountryCode(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        return utf8.count == 2 && utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    private static func isUpperAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
    }
}
