import Testing
@testable import EpiCodecs

/// RFC 8949 Appendix A vectors: (value, encoding).
private let definiteVectors: [(CBOR, String)] = [
    (.unsigned(0), "00"), (.unsigned(1), "01"), (.unsigned(10), "0a"), (.unsigned(23), "17"),
    (.unsigned(24), "1818"), (.unsigned(25), "1819"), (.unsigned(100), "1864"), (.unsigned(1000), "1903e8"),
    (.unsigned(1_000_000), "1a000f4240"), (.unsigned(1_000_000_000_000), "1b000000e8d4a51000"),
    (.unsigned(18_446_744_073_709_551_615), "1bffffffffffffffff"),
    (.tagged(2, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0])), "c249010000000000000000"),
    (.negative(18_446_744_073_709_551_615), "3bffffffffffffffff"),
    (.tagged(3, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0])), "c349010000000000000000"),
    (.int(-1), "20"), (.int(-10), "29"), (.int(-100), "3863"), (.int(-1000), "3903e7"),
    (.half(0x0000), "f90000"), (.half(0x8000), "f98000"), (.half(0x3C00), "f93c00"),
    (.double(1.1), "fb3ff199999999999a"), (.half(0x3E00), "f93e00"), (.half(0x7BFF), "f97bff"),
    (.float(100000.0), "fa47c35000"), (.float(3.4028234663852886e+38), "fa7f7fffff"),
    (.double(1.0e+300), "fb7e37e43c8800759c"), (.half(0x0001), "f90001"), (.half(0x0400), "f90400"),
    (.half(0xC400), "f9c400"), (.double(-4.1), "fbc010666666666666"),
    (.half(0x7C00), "f97c00"), (.half(0x7E00), "f97e00"), (.half(0xFC00), "f9fc00"),
    (.float(.infinity), "fa7f800000"), (.float(Float(bitPattern: 0x7FC0_0000)), "fa7fc00000"),
    (.float(-.infinity), "faff800000"),
    (.double(.infinity), "fb7ff0000000000000"), (.double(Double(bitPattern: 0x7FF8_0000_0000_0000)), "fb7ff8000000000000"),
    (.double(-.infinity), "fbfff0000000000000"),
    (.bool(false), "f4"), (.bool(true), "f5"), (.null, "f6"), (.undefined, "f7"),
    (.simple(16), "f0"), (.simple(255), "f8ff"),
    (.tagged(0, .text("2013-03-21T20:04:00Z")), "c074323031332d30332d32315432303a30343a30305a"),
    (.tagged(1, .unsigned(1_363_896_240)), "c11a514b67b0"),
    (.tagged(1, .double(1_363_896_240.5)), "c1fb41d452d9ec200000"),
    (.tagged(23, .bytes([1, 2, 3, 4])), "d74401020304"),
    (.tagged(24, .bytes([0x64, 0x49, 0x45, 0x54, 0x46])), "d818456449455446"),
    (.tagged(32, .text("http://www.example.com")), "d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
    (.bytes([]), "40"), (.bytes([1, 2, 3, 4]), "4401020304"),
    (.text(""), "60"), (.text("a"), "6161"), (.text("IETF"), "6449455446"), (.text("\"\\"), "62225c"),
    (.text("\u{00fc}"), "62c3bc"), (.text("\u{6c34}"), "63e6b0b4"), (.text("\u{10151}"), "64f0908591"),
    (.array([]), "80"), (.array([.unsigned(1), .unsigned(2), .unsigned(3)]), "83010203"),
    (.array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])]), "8301820203820405"),
    (.array((1...25).map { CBOR.unsigned(UInt64($0)) }), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    (.map([]), "a0"),
    (.map([(.unsigned(1), .unsigned(2)), (.unsigned(3), .unsigned(4))]), "a201020304"),
    (.map([(.text("a"), .unsigned(1)), (.text("b"), .array([.unsigned(2), .unsigned(3)]))]), "a26161016162820203"),
    (.array([.text("a"), .map([(.text("b"), .text("c"))])]), "826161a161626163"),
    (.map([(.text("a"), .text("A")), (.text("b"), .text("B")), (.text("c"), .text("C")), (.text("d"), .text("D")), (.text("e"), .text("E"))]),
     "a56161614161626142616361436164614461656145"),
]

/// RFC 8949 Appendix A indefinite-length vectors with their decoded (definite) values.
private let indefiniteVectors: [(String, CBOR)] = [
    ("5f42010243030405ff", .bytes([1, 2, 3, 4, 5])),
    ("7f657374726561646d696e67ff", .text("streaming")),
    ("9fff", .array([])),
    ("9f018202039f0405ffff", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])),
    ("9f01820203820405ff", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])),
    ("83018202039f0405ff", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])),
    ("83019f0203ff820405", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])),
    ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", .array((1...25).map { CBOR.unsigned(UInt64($0)) })),
    ("bf61610161629f0203ffff", .map([(.text("a"), .unsigned(1)), (.text("b"), .array([.unsigned(2), .unsigned(3)]))])),
    ("826161bf61626163ff", .array([.text("a"), .map([(.text("b"), .text("c"))])])),
    ("bf6346756ef563416d7421ff", .map([(.text("Fun"), .bool(true)), (.text("Amt"), .int(-2))])),
]

@Suite("CBOR (RFC 8949)")
struct CBORTests {
    @Test("Appendix A: encoding preserves given widths and order")
    func encodesAppendixA() throws {
        for (value, hex) in definiteVectors {
            #expect(TestSupport.hex(try value.encoded(deterministic: false)) == hex, "\(value)")
        }
    }

    @Test("Appendix A: decoding")
    func decodesAppendixA() throws {
        for (value, hex) in definiteVectors {
            let decoded = try CBORDecoder.decode(TestSupport.bytes(hex))
            #expect(decoded == value, "\(hex)")
        }
    }

    @Test("Appendix A: decode then re-encode is byte-identical")
    func roundTripsAppendixA() throws {
        for (_, hex) in definiteVectors {
            let decoded = try CBORDecoder.decode(TestSupport.bytes(hex))
            #expect(TestSupport.hex(try decoded.encoded(deterministic: false)) == hex)
        }
    }

    @Test("Appendix A: indefinite-length items decode to their definite equivalents")
    func decodesIndefinite() throws {
        for (hex, value) in indefiniteVectors {
            #expect(try CBORDecoder.decode(TestSupport.bytes(hex)) == value, "\(hex)")
        }
        let limits = CBORDecodingLimits(allowIndefiniteLength: false)
        #expect(throws: CBORDecodingError.indefiniteLengthNotAllowed(offset: 0)) {
            try CBORDecoder.decode(TestSupport.bytes("9fff"), limits: limits)
        }
    }

    @Test("Appendix A floats: deterministic encoding picks the shortest exact width", arguments: [
        (0.0, "f90000"), (-0.0, "f98000"), (1.0, "f93c00"), (1.1, "fb3ff199999999999a"), (1.5, "f93e00"),
        (65504.0, "f97bff"), (100000.0, "fa47c35000"), (3.4028234663852886e+38, "fa7f7fffff"),
        (1.0e+300, "fb7e37e43c8800759c"), (5.960464477539063e-8, "f90001"), (0.00006103515625, "f90400"),
        (-4.0, "f9c400"), (-4.1, "fbc010666666666666"), (Double.infinity, "f97c00"), (Double.nan, "f97e00"),
        (-Double.infinity, "f9fc00"), (65505.0, "fa477fe100"), (1.0e-8, "fb3e45798ee2308c3a"),
    ])
    func deterministicFloats(value: Double, hex: String) throws {
        #expect(TestSupport.hex(try CBOR.double(value).encoded(deterministic: true)) == hex)
    }

    @Test("half-precision conversion is exact for all 65536 bit patterns")
    func halfConversion() {
        for bits in 0...0xFFFF {
            let value = CBOR.doubleFromHalfBits(UInt16(bits))
            if value.isNaN { continue }
            #expect(CBOR.exactHalfBits(value) == UInt16(bits))
        }
    }

    @Test("deterministic encoding sorts map keys bytewise (RFC 8949 §4.2.1)")
    func deterministicMapOrder() throws {
        let map = CBOR.map([
            (.text("aa"), .unsigned(1)), (.text("b"), .unsigned(2)), (.int(-1), .unsigned(3)),
            (.unsigned(10), .unsigned(4)), (.unsigned(100), .unsigned(5)), (.bool(false), .unsigned(6)),
            (.array([.unsigned(1)]), .unsigned(7)),
        ])
        // Expected order by encoded key: 0a, 1864, 20, 6162, 626161, 8101, f4.
        #expect(TestSupport.hex(try map.encoded()) == "a70a041864052003616202626161018101" + "07f406")
        #expect(throws: CBOREncodingError.duplicateMapKey) {
            try CBOR.map([(.unsigned(1), .unsigned(1)), (.unsigned(1), .unsigned(2))]).encoded()
        }
        #expect(throws: CBOREncodingError.duplicateMapKey) {
            try CBOR.map([(.unsigned(2), .null), (.unsigned(1), .null), (.unsigned(2), .null)]).encoded()
        }
        // Nested maps are sorted too; non-deterministic mode keeps the given order.
        let nested = CBOR.array([.map([(.unsigned(2), .null), (.unsigned(1), .null)])])
        #expect(TestSupport.hex(try nested.encoded()) == "81a201f602f6")
        #expect(TestSupport.hex(try nested.encoded(deterministic: false)) == "81a202f601f6")
    }

    @Test("integer helpers cover the full Int64 range")
    func integers() throws {
        #expect(CBOR.int(Int64.min) == .negative(UInt64(Int64.max)))
        #expect(CBOR.int(Int64.min).int64Value == Int64.min)
        #expect(CBOR.int(Int64.max).int64Value == Int64.max)
        #expect(CBOR.unsigned(UInt64.max).int64Value == nil)
        #expect(CBOR.negative(UInt64.max).int64Value == nil)
        #expect(TestSupport.hex(try CBOR.int(-260).encoded()) == "390103")
        #expect(TestSupport.hex(try CBOR.int(-7).encoded()) == "26")
    }

    @Test("map lookups")
    func lookups() throws {
        let map = try CBORDecoder.decode(TestSupport.bytes("a3016141390103a10102616b6176"))
        #expect(map[int: 1] == .text("A"))
        #expect(map[int: -260]?[int: 1] == .unsigned(2))
        #expect(map[text: "k"]?.textValue == "v")
        #expect(map[text: "missing"] == nil)
        #expect(CBOR.unsigned(1)[int: 1] == nil)
    }

    @Test("malformed inputs throw typed errors", arguments: [
        ("", CBORDecodingError.unexpectedEnd(offset: 0)),
        ("18", .unexpectedEnd(offset: 1)),
        ("1b0000", .unexpectedEnd(offset: 1)),
        ("1c", .reservedAdditionalInfo(offset: 0)),
        ("3d", .reservedAdditionalInfo(offset: 0)),
        ("fe", .reservedAdditionalInfo(offset: 0)),
        ("f818", .invalidSimpleValue(offset: 0)),
        ("ff", .unexpectedBreak(offset: 0)),
        ("1f", .unexpectedBreak(offset: 0)),
        ("df00", .unexpectedBreak(offset: 0)),
        ("62c328", .invalidUTF8(offset: 0)),
        ("7f61c361a9ff", .invalidUTF8(offset: 1)),
        ("5f6161ff", .invalidIndefiniteChunk(offset: 1)),
        ("5f5f4100ffff", .invalidIndefiniteChunk(offset: 1)),
        ("5f41", .unexpectedEnd(offset: 1)),
        ("5f", .unexpectedEnd(offset: 1)),
        ("44010203", .unexpectedEnd(offset: 0)),
        ("5bffffffffffffffff", .unexpectedEnd(offset: 0)),
        ("7bffffffffffffffff", .unexpectedEnd(offset: 0)),
        ("9bffffffffffffffff", .unexpectedEnd(offset: 0)),
        ("bbffffffffffffffff", .unexpectedEnd(offset: 0)),
        ("8301", .unexpectedEnd(offset: 0)),
        ("a1010203", .trailingBytes(offset: 3)),
        ("0000", .trailingBytes(offset: 1)),
        ("a201020103", .duplicateMapKey(offset: 0)),
        ("bf01ff", .unexpectedBreak(offset: 2)),
        ("bf0102", .unexpectedEnd(offset: 3)),
        ("9f01", .unexpectedEnd(offset: 2)),
    ])
    func malformed(hex: String, error: CBORDecodingError) {
        #expect(throws: error) { try CBORDecoder.decode(TestSupport.bytes(hex)) }
    }

    @Test("nesting deeper than the limit is rejected without recursion overflow")
    func depthLimit() throws {
        var deep = [UInt8](repeating: 0x81, count: 10_000)
        deep.append(0x00)
        #expect(throws: CBORDecodingError.depthExceeded(offset: 32)) { try CBORDecoder.decode(deep) }
        var tags = [UInt8](repeating: 0xC6, count: 10_000)
        tags.append(0x00)
        #expect(throws: CBORDecodingError.depthExceeded(offset: 32)) { try CBORDecoder.decode(tags) }
        var allowed = [UInt8](repeating: 0x81, count: 32)
        allowed.append(0x00)
        _ = try CBORDecoder.decode(allowed)
    }

    @Test("length and count limits apply before allocation")
    func lengthLimits() {
        let limits = CBORDecodingLimits(maxStringLength: 4, maxContainerCount: 2)
        #expect(throws: CBORDecodingError.lengthTooLarge(offset: 0)) {
            try CBORDecoder.decode(TestSupport.bytes("450102030405"), limits: limits)
        }
        #expect(throws: CBORDecodingError.lengthTooLarge(offset: 0)) {
            try CBORDecoder.decode(TestSupport.bytes("83010203"), limits: limits)
        }
        #expect(throws: CBORDecodingError.lengthTooLarge(offset: 0)) {
            try CBORDecoder.decode(TestSupport.bytes("9f010203ff"), limits: limits)
        }
        #expect(throws: CBORDecodingError.lengthTooLarge(offset: 5)) {
            try CBORDecoder.decode(TestSupport.bytes("5f43010203430405 06ff"), limits: limits)
        }
    }

    @Test("duplicate keys can be allowed explicitly")
    func duplicatesAllowed() throws {
        let limits = CBORDecodingLimits(rejectDuplicateMapKeys: false)
        let value = try CBORDecoder.decode(TestSupport.bytes("a201020103"), limits: limits)
        #expect(value[int: 1] == .unsigned(2))
        // Large maps use the hashed duplicate check.
        var big: [UInt8] = [0xB8, 20]
        for key in 0..<20 { big += [0x18, UInt8(24 + key), 0x00] }
        #expect(try CBORDecoder.decode(big).mapValue?.count == 20)
        big[big.count - 2] = 24
        #expect(throws: CBORDecodingError.duplicateMapKey(offset: 0)) { try CBORDecoder.decode(big) }
    }

    @Test("decodePrefix reports the consumed length")
    func prefix() throws {
        let (item, length) = try CBORDecoder.decodePrefix(TestSupport.bytes("83010203ffff"))
        #expect(item == .array([.unsigned(1), .unsigned(2), .unsigned(3)]))
        #expect(length == 4)
    }

    @Test("every truncation of every vector throws instead of trapping")
    func truncations() {
        for (_, hex) in definiteVectors {
            let bytes = TestSupport.bytes(hex)
            for cut in 0..<bytes.count {
                #expect(throws: CBORDecodingError.self) { try CBORDecoder.decode(Array(bytes[0..<cut])) }
            }
        }
    }

    @Test("error codes are stable and distinct")
    func codes() {
        let errors: [CBORDecodingError] = [
            .unexpectedEnd(offset: 0), .reservedAdditionalInfo(offset: 0), .lengthTooLarge(offset: 0),
            .depthExceeded(offset: 0), .invalidUTF8(offset: 0), .invalidSimpleValue(offset: 0),
            .unexpectedBreak(offset: 0), .invalidIndefiniteChunk(offset: 0), .indefiniteLengthNotAllowed(offset: 0),
            .trailingBytes(offset: 0), .duplicateMapKey(offset: 0),
        ]
        #expect(errors.map(\.code) == Array(4801...4811))
        #expect(CBOREncodingError.duplicateMapKey.code == 4901)
    }
}
