import Testing
@testable import EpiCodecs

@Suite("Base45 (RFC 9285)")
struct Base45Tests {
    @Test("RFC 9285 examples encode", arguments: [
        ("AB", "BB8"),
        ("Hello!!", "%69 VD92EX0"),
        ("base-45", "UJCLQE7W581"),
        ("ietf!", "QED8WEX0"),
        ("", ""),
    ])
    func encodesRFCExamples(input: String, expected: String) {
        #expect(Base45.encode(Array(input.utf8)) == expected)
    }

    @Test("RFC 9285 examples decode", arguments: [
        ("BB8", "AB"),
        ("%69 VD92EX0", "Hello!!"),
        ("UJCLQE7W581", "base-45"),
        ("QED8WEX0", "ietf!"),
        ("", ""),
    ])
    func decodesRFCExamples(input: String, expected: String) throws {
        #expect(try Base45.decode(input) == Array(expected.utf8))
    }

    @Test("boundary values round-trip")
    func boundaries() throws {
        #expect(Base45.encode([0x00]) == "00")
        #expect(Base45.encode([0xFF]) == "U5")
        #expect(Base45.encode([0x00, 0x00]) == "000")
        #expect(Base45.encode([0xFF, 0xFF]) == "FGW")
        #expect(try Base45.decode("FGW") == [0xFF, 0xFF])
        #expect(try Base45.decode("U5") == [0xFF])
    }

    @Test("random bytes round-trip")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base45.encode(bytes)
            #expect(encoded.utf8.count == (length / 2) * 3 + (length % 2) * 2)
            #expect(try Base45.decode(encoded) == bytes)
            #expect(try Base45.decode(ascii: Array(encoded.utf8)) == bytes)
        }
    }

    @Test("RFC 9285 invalid inputs are rejected")
    func invalidInputs() {
        // "GGW" = 65535 + 1: the RFC's example of a value that is too large.
        #expect(throws: Base45Error.valueOutOfRange(offset: 0)) { try Base45.decode("GGW") }
        #expect(throws: Base45Error.valueOutOfRange(offset: 3)) { try Base45.decode("BB8:::") }
        // Two-character tail above 255.
        #expect(throws: Base45Error.valueOutOfRange(offset: 3)) { try Base45.decode("BB8::") }
        // Lowercase and other characters outside the alphabet.
        #expect(throws: Base45Error.invalidCharacter(offset: 1)) { try Base45.decode("Bb8") }
        #expect(throws: Base45Error.invalidCharacter(offset: 2)) { try Base45.decode("BB=") }
        #expect(throws: Base45Error.invalidCharacter(offset: 0)) { try Base45.decode("é0") }
        // Lengths of the form 3n + 1 never come from the encoder.
        #expect(throws: Base45Error.invalidLength) { try Base45.decode("B") }
        #expect(throws: Base45Error.invalidLength) { try Base45.decode("BB8B") }
    }

    @Test("error codes are stable")
    func codes() {
        #expect(Base45Error.invalidCharacter(offset: 0).code == 4501)
        #expect(Base45Error.invalidLength.code == 4502)
        #expect(Base45Error.valueOutOfRange(offset: 0).code == 4503)
    }
}
