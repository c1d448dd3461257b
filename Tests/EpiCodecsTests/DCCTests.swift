import Testing
@testable import EpiCodecs

@Suite("EU DCC payload, ICAO transliteration and UVCI")
struct DCCTests {
    static func sample(ci: String = "URN:UVCI:01:VN:EPI00000000000000001#T") -> DigitalCovidCertificate {
        DigitalCovidCertificate(
            name: DCCName(familyName: "Nguyễn", givenName: "Văn Đức"),
            dateOfBirth: "1985-07-21",
            vaccination: DCCVaccination(
                vaccineOrProphylaxis: "1119349007",
                medicinalProduct: "EU/1/20/1528",
                marketingAuthorizationHolder: "ORG-100030215",
                doseNumber: 2,
                totalSeriesOfDoses: 2,
                dateOfVaccination: "2025-12-15",
                country: "VN",
                certificateIssuer: "Ministry of Health of Viet Nam",
                certificateIdentifier: ci
            )
        )
    }

    @Test("ICAO 9303 transliteration", arguments: [
        ("Nguyễn", "NGUYEN"),
        ("Văn Đức", "VAN<DUC"),
        ("Trần Thị Thu Hương", "TRAN<THI<THU<HUONG"),
        ("đặng ngọc ẩn", "DANG<NGOC<AN"),
        ("Phạm  Quỳnh-Anh", "PHAM<QUYNH<ANH"),
        ("  Lê  ", "LE"),
        ("Ông Ưng Ơ", "ONG<UNG<O"),
        ("Musterfrau-Gößinger", "MUSTERFRAU<GOESSINGER"),
        ("d'Červenková Panklová", "DCERVENKOVA<PANKLOVA"),
        ("Jiřina-Maria Alena", "JIRINA<MARIA<ALENA"),
        ("O'Brien 3rd!", "OBRIEN<RD"),
        ("", ""),
        ("李小龙", ""),
    ])
    func transliteration(input: String, expected: String) {
        #expect(ICAOTransliteration.transliterate(input) == expected)
    }

    @Test("transliteration is capped at 80 characters without a trailing filler")
    func transliterationLimit() {
        let long = String(repeating: "Nguyễn ", count: 20)  // 7 letters per word incl. separator
        let result = ICAOTransliteration.transliterate(long)
        #expect(result.count <= 80)
        #expect(!result.hasSuffix("<"))
        #expect(result.hasPrefix("NGUYEN<NGUYEN"))
        let single = String(repeating: "A", count: 200)
        #expect(ICAOTransliteration.transliterate(single).count == 80)
        #expect(DCCValidation.isTransliteratedName(result))
    }

    @Test("certificate encodes to the expected CBOR and decodes back")
    func roundTrip() throws {
        let certificate = Self.sample()
        let bytes = try certificate.cbor().encoded()
        // Deterministic: re-encoding the decoded value is byte-identical.
        let decodedItem = try CBORDecoder.decode(bytes)
        #expect(try decodedItem.encoded() == bytes)
        let decoded = try DigitalCovidCertificate(cbor: decodedItem)
        #expect(decoded == certificate)
        #expect(decoded.name.familyNameTransliterated == "NGUYEN")
        #expect(decoded.name.givenNameTransliterated == "VAN<DUC")
        #expect(decodedItem[text: "v"]?.arrayValue?.first?[text: "dn"] == .unsigned(2))
        #expect(decodedItem[text: "ver"] == .text("1.3.0"))
        #expect(decodedItem[text: "v"]?.arrayValue?.first?[text: "tg"] == .text("840539006"))
        try certificate.validate()
    }

    @Test("claims map uses keys 1, 4, 6, -260 and round-trips")
    func claims() throws {
        let claims = DCCClaims(issuer: "VN", issuedAt: 1_700_000_000, expiresAt: 1_800_000_000, certificate: Self.sample())
        let bytes = claims.encoded()
        #expect(Array(bytes.prefix(3)) == [0xA4, 0x01, 0x62])
        let item = try CBORDecoder.decode(bytes)
        #expect(item.mapValue?.map(\.key) == [.int(1), .int(4), .int(6), .int(-260)])
        #expect(try DCCClaims(payload: bytes) == claims)
        // NumericDate may be a float.
        let floatTimes = CBOR.map([(.int(4), .double(1_800_000_000.9)), (.int(6), .float(1.5e9)), (.int(-260), .map([(.int(1), Self.sample().cbor())]))])
        let decoded = try DCCClaims(cbor: floatTimes)
        #expect(decoded.expiresAt == 1_800_000_000)
        #expect(decoded.issuedAt == 1_500_000_000)
        #expect(throws: DCCError.invalidField("exp")) {
            try DCCClaims(cbor: .map([(.int(4), .double(.nan)), (.int(-260), .map([(.int(1), Self.sample().cbor())]))]))
        }
        #expect(throws: DCCError.missingField("hcert")) { try DCCClaims(cbor: .map([(.int(1), .text("VN"))])) }
        #expect(throws: DCCError.invalidField("iss")) { try DCCClaims(cbor: .map([(.int(1), .unsigned(1))])) }
        #expect(throws: DCCError.notAMap("cwt")) { try DCCClaims(cbor: .array([])) }
        #expect(throws: DCCError.invalidField("cwt")) { try DCCClaims(payload: [0xFF]) }
    }

    @Test("schema violations are rejected with the field path")
    func validation() throws {
        func mutate(_ body: (inout [(key: CBOR, value: CBOR)]) -> Void) -> CBOR {
            guard case .map(var pairs) = Self.sample().cbor() else { return .null }
            body(&pairs)
            return .map(pairs)
        }
        func mutateEntry(_ key: String, _ value: CBOR?) -> CBOR {
            mutate { pairs in
                guard let index = pairs.firstIndex(where: { $0.key == .text("v") }),
                      case .array(let entries) = pairs[index].value, case .map(var entry) = entries[0] else { return }
                entry.removeAll { $0.key == .text(key) }
                if let value { entry.append((.text(key), value)) }
                pairs[index].value = .array([.map(entry)])
            }
        }
        func set(_ key: String, _ value: CBOR?) -> CBOR {
            mutate { pairs in
                pairs.removeAll { $0.key == .text(key) }
                if let value { pairs.append((.text(key), value)) }
            }
        }
        #expect(throws: DCCError.invalidField("ver")) { try DigitalCovidCertificate(cbor: set("ver", .text("1.3"))) }
        #expect(throws: DCCError.missingField("ver")) { try DigitalCovidCertificate(cbor: set("ver", nil)) }
        #expect(throws: DCCError.invalidField("dob")) { try DigitalCovidCertificate(cbor: set("dob", .text("1885-01-01"))) }
        #expect(throws: DCCError.invalidField("dob")) { try DigitalCovidCertificate(cbor: set("dob", .text("1985-13"))) }
        #expect(throws: DCCError.invalidField("dob")) { try DigitalCovidCertificate(cbor: set("dob", .text("1985-02-30"))) }
        _ = try DigitalCovidCertificate(cbor: set("dob", .text("")))
        _ = try DigitalCovidCertificate(cbor: set("dob", .text("1985")))
        _ = try DigitalCovidCertificate(cbor: set("dob", .text("2000-02")))
        _ = try DigitalCovidCertificate(cbor: set("dob", .text("2000-02-29")))
        #expect(throws: DCCError.missingField("nam")) { try DigitalCovidCertificate(cbor: set("nam", nil)) }
        #expect(throws: DCCError.notAMap("nam")) { try DigitalCovidCertificate(cbor: set("nam", .text("x"))) }
        #expect(throws: DCCError.invalidField("nam.fnt")) {
            try DigitalCovidCertificate(cbor: set("nam", .map([(.text("fnt"), .text("Nguyen"))])))
        }
        #expect(throws: DCCError.missingField("nam.fnt")) {
            try DigitalCovidCertificate(cbor: set("nam", .map([(.text("fn"), .text("Nguyễn"))])))
        }
        #expect(throws: DCCError.unsupportedCertificateType) {
            try DigitalCovidCertificate(cbor: mutate { $0.removeAll { $0.key == .text("v") }; $0.append((.text("t"), .array([.map([])]))) })
        }
        #expect(throws: DCCError.multipleEntries) {
            try DigitalCovidCertificate(cbor: mutate { $0.append((.text("r"), .array([.map([])]))) })
        }
        #expect(throws: DCCError.multipleEntries) {
            try DigitalCovidCertificate(cbor: set("v", .array([Self.sample().cbor()[text: "v"]?.arrayValue?[0] ?? .null, .map([])])))
        }
        #expect(throws: DCCError.invalidField("v")) { try DigitalCovidCertificate(cbor: set("v", .array([]))) }
        #expect(throws: DCCError.invalidField("v[0].tg")) { try DigitalCovidCertificate(cbor: mutateEntry("tg", .text("123"))) }
        #expect(throws: DCCError.invalidField("v[0].dn")) { try DigitalCovidCertificate(cbor: mutateEntry("dn", .unsigned(0))) }
        #expect(throws: DCCError.invalidField("v[0].dn")) { try DigitalCovidCertificate(cbor: mutateEntry("dn", .text("2"))) }
        #expect(throws: DCCError.invalidField("v[0].sd")) { try DigitalCovidCertificate(cbor: mutateEntry("sd", .int(-1))) }
        #expect(throws: DCCError.missingField("v[0].ci")) { try DigitalCovidCertificate(cbor: mutateEntry("ci", nil)) }
        #expect(throws: DCCError.invalidField("v[0].dt")) { try DigitalCovidCertificate(cbor: mutateEntry("dt", .text("2021-5-1"))) }
        #expect(throws: DCCError.invalidField("v[0].co")) { try DigitalCovidCertificate(cbor: mutateEntry("co", .text("VNM"))) }
        #expect(throws: DCCError.invalidField("v[0].is")) {
            try DigitalCovidCertificate(cbor: mutateEntry("is", .text(String(repeating: "x", count: 81))))
        }
        #expect(throws: DCCError.invalidField("v[0].mp")) { try DigitalCovidCertificate(cbor: mutateEntry("mp", .text(""))) }
        #expect(throws: DCCError.notAMap("hcert")) { try DigitalCovidCertificate(cbor: .array([])) }
        // Unknown keys are tolerated.
        _ = try DigitalCovidCertificate(cbor: set("x-extra", .unsigned(1)))
    }

    @Test("UVCI check character follows the EU DCC FAQ (Luhn mod 38)")
    func uvciChecksum() throws {
        // Example published in the EU DCC schema FAQ.
        #expect(try UVCI.checkCharacter(for: "URN:UVCI:01:NL:187/37512422923") == UInt8(ascii: "Z"))
        // Austria's test certificate (dgc-testdata AT/1) carries "#B".
        #expect(try UVCI.checkCharacter(for: "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813") == UInt8(ascii: "B"))
        _ = try UVCI.validate("URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B", requireChecksum: true)
        #expect(throws: UVCIError.invalidCharacter) { try UVCI.checkCharacter(for: "urn:uvci") }
    }

    @Test("UVCI generation and validation")
    func uvci() throws {
        let id = try UVCI.make(country: "VN", opaqueID: "EPI00000000000000001")
        #expect(id.hasPrefix("URN:UVCI:01:VN:EPI00000000000000001#"))
        let parts = try UVCI.validate(id, requireChecksum: true)
        #expect(parts.country == "VN")
        #expect(parts.opaqueID == "EPI00000000000000001")
        #expect(try UVCI.make(opaqueID: "ABC123", includeChecksum: false) == "URN:UVCI:01:VN:ABC123")
        #expect(try UVCI.validate("URN:UVCI:01:VN:ABC123").checkCharacter == nil)
        #expect(throws: UVCIError.missingChecksum) { try UVCI.validate("URN:UVCI:01:VN:ABC123", requireChecksum: true) }

        // A single changed character is detected by the check character.
        var tampered = Array(id.utf8)
        tampered[20] = tampered[20] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(throws: UVCIError.checksumMismatch) { try UVCI.validate(String(decoding: tampered, as: UTF8.self)) }

        #expect(throws: UVCIError.invalidCountry) { try UVCI.make(country: "vn", opaqueID: "A") }
        #expect(throws: UVCIError.invalidCountry) { try UVCI.make(country: "VNM", opaqueID: "A") }
        #expect(throws: UVCIError.invalidOpaqueID) { try UVCI.make(opaqueID: "") }
        #expect(throws: UVCIError.invalidOpaqueID) { try UVCI.make(opaqueID: "abc") }
        #expect(throws: UVCIError.invalidOpaqueID) { try UVCI.make(opaqueID: "A/B") }
        #expect(throws: UVCIError.tooLong) { try UVCI.make(opaqueID: String(repeating: "A", count: 64)) }
        _ = try UVCI.make(opaqueID: String(repeating: "A", count: 63))
        #expect(throws: UVCIError.invalidFormat) { try UVCI.validate("URN:UVCI:02:VN:ABC") }
        #expect(throws: UVCIError.invalidFormat) { try UVCI.validate("URN:UVCI:01:VN") }
        #expect(throws: UVCIError.invalidFormat) { try UVCI.validate("URN:UVCI:01:VN:ABC#") }
        #expect(throws: UVCIError.invalidFormat) { try UVCI.validate("URN:UVCI:01:VN:ABC#XY") }
        #expect(throws: UVCIError.invalidOpaqueID) { try UVCI.validate("URN:UVCI:01:VN:") }
        #expect(throws: UVCIError.invalidCharacter) { try UVCI.validate("URN:UVCI:01:VN:abc") }
    }

    @Test("random opaque identifiers use A-Z0-9 and make valid UVCIs")
    func randomIDs() throws {
        var seen = Set<String>()
        for _ in 0..<500 {
            let id = UVCI.randomOpaqueID()
            #expect(id.count == 20)
            #expect(id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) })
            seen.insert(id)
            _ = try UVCI.validate(try UVCI.make(opaqueID: id), requireChecksum: true)
        }
        #expect(seen.count == 500)
    }

    @Test("error codes are stable")
    func codes() {
        #expect([DCCError.notAMap(""), .missingField(""), .invalidField(""), .unsupportedCertificateType, .multipleEntries].map(\.code) == Array(5601...5605))
        #expect([UVCIError.invalidCountry, .invalidOpaqueID, .tooLong, .invalidFormat, .invalidCharacter, .checksumMismatch, .missingChecksum].map(\.code) == Array(5401...5407))
    }
}
