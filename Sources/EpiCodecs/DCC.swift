/// Errors thrown while decoding or validating an EU DCC payload.
package enum DCCError: Error, Equatable, Sendable {
    /// A value that must be a map is not one (the field path is given).
    case notAMap(String)
    /// A required field is absent.
    case missingField(String)
    /// A field has the wrong type or violates the schema (pattern, length, range).
    case invalidField(String)
    /// The certificate is a test or recovery certificate; only vaccination is supported.
    case unsupportedCertificateType
    /// More than one entry group (`v`, `t`, `r`) or more than one entry is present.
    case multipleEntries

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .notAMap: return 5601
        case .missingField: return 5602
        case .invalidField: return 5603
        case .unsupportedCertificateType: return 5604
        case .multipleEntries: return 5605
        }
    }
}

/// The `nam` object of the DCC schema.
package struct DCCName: Sendable, Equatable {
    /// `fn`: surname(s) as written, at most 80 characters.
    package var familyName: String?
    /// `fnt`: surname transliterated per ICAO 9303; required by the schema.
    package var familyNameTransliterated: String
    /// `gn`: forename(s) as written.
    package var givenName: String?
    /// `gnt`: forename transliterated per ICAO 9303.
    package var givenNameTransliterated: String?

    /// Creates a name from the written forms and derives the transliterations.
    package init(familyName: String, givenName: String?) {
        self.familyName = familyName
        self.familyNameTransliterated = ICAOTransliteration.transliterate(familyName)
        self.givenName = givenName
        self.givenNameTransliterated = givenName.map(ICAOTransliteration.transliterate)
    }

    /// Creates a name with every field given explicitly.
    package init(
        familyName: String?,
        familyNameTransliterated: String,
        givenName: String?,
        givenNameTransliterated: String?
    ) {
        self.familyName = familyName
        self.familyNameTransliterated = familyNameTransliterated
        self.givenName = givenName
        self.givenNameTransliterated = givenNameTransliterated
    }
}

/// One entry of the `v` (vaccination) array, DCC schema 1.3.0.
package struct DCCVaccination: Sendable, Equatable {
    /// `tg`: disease targeted; COVID-19 is SNOMED CT 840539006.
    package var targetDisease: String
    /// `vp`: vaccine or prophylaxis code (value set vaccine-prophylaxis).
    package var vaccineOrProphylaxis: String
    /// `mp`: medicinal product code (e.g. "EU/1/20/1528").
    package var medicinalProduct: String
    /// `ma`: marketing authorisation holder or manufacturer (e.g. "ORG-100030215").
    package var marketingAuthorizationHolder: String
    /// `dn`: number of this dose, at least 1.
    package var doseNumber: Int
    /// `sd`: total doses in the series, at least 1.
    package var totalSeriesOfDoses: Int
    /// `dt`: date of vaccination, `YYYY-MM-DD`.
    package var dateOfVaccination: String
    /// `co`: ISO 3166-1 alpha-2 country of vaccination.
    package var country: String
    /// `is`: certificate issuer, at most 80 characters.
    package var certificateIssuer: String
    /// `ci`: unique certificate identifier (UVCI), at most 80 characters.
    package var certificateIdentifier: String

    /// The SNOMED CT code for COVID-19, the only `tg` value in the value set.
    package static let covid19 = "840539006"

    /// Creates a vaccination entry; `targetDisease` defaults to COVID-19.
    package init(
        targetDisease: String = DCCVaccination.covid19,
        vaccineOrProphylaxis: String,
        medicinalProduct: String,
        marketingAuthorizationHolder: String,
        doseNumber: Int,
        totalSeriesOfDoses: Int,
        dateOfVaccination: String,
        country: String,
        certificateIssuer: String,
        certificateIdentifier: String
    ) {
        self.targetDisease = targetDisease
        self.vaccineOrProphylaxis = vaccineOrProphylaxis
        self.medicinalProduct = medicinalProduct
        self.marketingAuthorizationHolder = marketingAuthorizationHolder
        self.doseNumber = doseNumber
        self.totalSeriesOfDoses = totalSeriesOfDoses
        self.dateOfVaccination = dateOfVaccination
        self.country = country
        self.certificateIssuer = certificateIssuer
        self.certificateIdentifier = certificateIdentifier
    }
}

/// An EU Digital COVID Certificate holding one vaccination entry (schema 1.3.0).
package struct DigitalCovidCertificate: Sendable, Equatable {
    /// `ver`: schema version, "1.3.0" for certificates this package issues.
    package var version: String
    /// `nam`: the holder's name.
    package var name: DCCName
    /// `dob`: date of birth, `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (1900-2099) or empty.
    package var dateOfBirth: String
    /// The single `v` entry.
    package var vaccination: DCCVaccination

    /// Schema version written by this package.
    package static let currentVersion = "1.3.0"

    /// Creates a certificate.
    package init(
        version: String = DigitalCovidCertificate.currentVersion,
        name: DCCName,
        dateOfBirth: String,
        vaccination: DCCVaccination
    ) {
        self.version = version
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.vaccination = vaccination
    }

    // MARK: Encoding

    /// The hcert CBOR map: text keys, integers for `dn`/`sd`, pairs in deterministic key order.
    package func cbor() -> CBOR {
        var nam: [(key: CBOR, value: CBOR)] = []
        nam.reserveCapacity(4)
        // Deterministic order sorts by encoded key: 2-letter keys before 3-letter keys.
        if let fn = name.familyName { nam.append((.text("fn"), .text(fn))) }
        if let gn = name.givenName { nam.append((.text("gn"), .text(gn))) }
        nam.append((.text("fnt"), .text(name.familyNameTransliterated)))
        if let gnt = name.givenNameTransliterated { nam.append((.text("gnt"), .text(gnt))) }

        let v = vaccination
        let entry: CBOR = .map([
            (.text("ci"), .text(v.certificateIdentifier)),
            (.text("co"), .text(v.country)),
            (.text("dn"), .int(v.doseNumber)),
            (.text("dt"), .text(v.dateOfVaccination)),
            (.text("is"), .text(v.certificateIssuer)),
            (.text("ma"), .text(v.marketingAuthorizationHolder)),
            (.text("mp"), .text(v.medicinalProduct)),
            (.text("sd"), .int(v.totalSeriesOfDoses)),
            (.text("tg"), .text(v.targetDisease)),
            (.text("vp"), .text(v.vaccineOrProphylaxis)),
        ])
        return .map([
            (.text("v"), .array([entry])),
            (.text("dob"), .text(dateOfBirth)),
            (.text("nam"), .map(nam)),
            (.text("ver"), .text(version)),
        ])
    }

    // MARK: Decoding

    /// Decodes and validates an hcert map against the DCC schema rules for vaccination entries.
    ///
    /// Unknown keys are ignored so newer minor schema versions still decode.
    package init(cbor: CBOR) throws(DCCError) {
        guard case .map = cbor else { throw .notAMap("hcert") }
        let groups = ["v", "t", "r"].filter { cbor[text: $0] != nil }
        guard groups.count <= 1 else { throw .multipleEntries }
        if groups.first == "t" || groups.first == "r" { throw .unsupportedCertificateType }

        let version = try DigitalCovidCertificate.text(cbor, "ver", path: "ver")
        guard DCCValidation.isSemanticVersion(version) else { throw .invalidField("ver") }

        guard let namItem = cbor[text: "nam"] else { throw .missingField("nam") }
        guard case .map = namItem else { throw .notAMap("nam") }
        let fnt = try DigitalCovidCertificate.text(namItem, "fnt", path: "nam.fnt")
        let gnt = try DigitalCovidCertificate.optionalText(namItem, "gnt", path: "nam.gnt")
        let fn = try DigitalCovidCertificate.optionalText(namItem, "fn", path: "nam.fn")
        let gn = try DigitalCovidCertificate.optionalText(namItem, "gn", path: "nam.gn")
        guard DCCValidation.isTransliteratedName(fnt) else { throw .invalidField("nam.fnt") }
        if let gnt { guard DCCValidation.isTransliteratedName(gnt) else { throw .invalidField("nam.gnt") } }
        if let fn { guard fn.count <= 80 else { throw .invalidField("nam.fn") } }
        if let gn { guard gn.count <= 80 else { throw .invalidField("nam.gn") } }

        let dob = try DigitalCovidCertificate.text(cbor, "dob", path: "dob")
        guard DCCValidation.isDateOfBirth(dob) else { throw .invalidField("dob") }

        guard let vItem = cbor[text: "v"] else { throw .missingField("v") }
        guard case .array(let entries) = vItem else { throw .invalidField("v") }
        guard !entries.isEmpty else { throw .invalidField("v") }
        guard entries.count == 1 else { throw .multipleEntries }
        let e = entries[0]
        guard case .map = e else { throw .notAMap("v[0]") }

        let tg = try DigitalCovidCertificate.text(e, "tg", path: "v[0].tg")
        guard tg == DCCVaccination.covid19 else { throw .invalidField("v[0].tg") }
        let vp = try DigitalCovidCertificate.code(e, "vp", path: "v[0].vp")
        let mp = try DigitalCovidCertificate.code(e, "mp", path: "v[0].mp")
        let ma = try DigitalCovidCertificate.code(e, "ma", path: "v[0].ma")
        let dn = try DigitalCovidCertificate.dose(e, "dn", path: "v[0].dn")
        let sd = try DigitalCovidCertificate.dose(e, "sd", path: "v[0].sd")
        let dt = try DigitalCovidCertificate.text(e, "dt", path: "v[0].dt")
        guard DCCValidation.isCompleteDate(dt) else { throw .invalidField("v[0].dt") }
        let co = try DigitalCovidCertificate.text(e, "co", path: "v[0].co")
        guard DCCValidation.isCountryCode(co) else { throw .invalidField("v[0].co") }
        let issuer = try DigitalCovidCertificate.text(e, "is", path: "v[0].is")
        guard !issuer.isEmpty, issuer.count <= 80 else { throw .invalidField("v[0].is") }
        let ci = try DigitalCovidCertificate.text(e, "ci", path: "v[0].ci")
        guard !ci.isEmpty, ci.count <= 80 else { throw .invalidField("v[0].ci") }

        self.init(
            version: version,
            name: DCCName(familyName: fn, familyNameTransliterated: fnt, givenName: gn, givenNameTransliterated: gnt),
            dateOfBirth: dob,
            vaccination: DCCVaccination(
                targetDisease: tg,
                vaccineOrProphylaxis: vp,
                medicinalProduct: mp,
                marketingAuthorizationHolder: ma,
                doseNumber: dn,
                totalSeriesOfDoses: sd,
                dateOfVaccination: dt,
                country: co,
                certificateIssuer: issuer,
                certificateIdentifier: ci
            )
        )
    }

    /// Checks this value against the same rules the decoder applies.
    package func validate() throws(DCCError) {
        _ = try DigitalCovidCertificate(cbor: cbor())
    }

    private static func text(_ map: CBOR, _ key: String, path: String) throws(DCCError) -> String {
        guard let item = map[text: key] else { throw .missingField(path) }
        guard case .text(let value) = item else { throw .invalidField(path) }
        return value
    }

    private static func optionalText(_ map: CBOR, _ key: String, path: String) throws(DCCError) -> String? {
        guard let item = map[text: key] else { return nil }
        // Some issuers write null for absent optional names; treat it as absent.
        if item == .null { return nil }
        guard case .text(let value) = item else { throw .invalidField(path) }
        return value
    }

    private static func code(_ map: CBOR, _ key: String, path: String) throws(DCCError) -> String {
        let value = try text(map, key, path: path)
        guard !value.isEmpty, value.utf8.count <= 80 else { throw .invalidField(path) }
        return value
    }

    private static func dose(_ map: CBOR, _ key: String, path: String) throws(DCCError) -> Int {
        guard let item = map[text: key] else { throw .missingField(path) }
        // The schema says integer >= 1; 99 is far above any real series and keeps values printable.
        guard let value = item.int64Value, value >= 1, value <= 99 else { throw .invalidField(path) }
        return Int(value)
    }
}

/// CWT claims carrying a DCC (RFC 8392 with the EU `hcert` claim -260).
package struct DCCClaims: Sendable, Equatable {
    /// Claim 1 (`iss`): issuing country, ISO 3166-1 alpha-2.
    package var issuer: String?
    /// Claim 6 (`iat`): issue time in seconds since the Unix epoch.
    package var issuedAt: Int64?
    /// Claim 4 (`exp`): expiry time in seconds since the Unix epoch.
    package var expiresAt: Int64?
    /// Claim -260 key 1: the certificate.
    package var certificate: DigitalCovidCertificate

    /// CWT claim keys used by the EU DCC.
    package enum Key {
        /// `iss`.
        package static let issuer: Int64 = 1
        /// `exp`.
        package static let expiration: Int64 = 4
        /// `iat`.
        package static let issuedAt: Int64 = 6
        /// `hcert`.
        package static let hcert: Int64 = -260
        /// Key of the EU DCC v1 inside `hcert`.
        package static let euDCCv1: Int64 = 1
    }

    /// Creates claims.
    package init(issuer: String?, issuedAt: Int64?, expiresAt: Int64?, certificate: DigitalCovidCertificate) {
        self.issuer = issuer
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.certificate = certificate
    }

    /// The claims map `{1: iss, 4: exp, 6: iat, -260: {1: hcert}}` in deterministic key order.
    package func cbor() -> CBOR {
        var pairs: [(key: CBOR, value: CBOR)] = []
        pairs.reserveCapacity(4)
        if let issuer { pairs.append((.int(Key.issuer), .text(issuer))) }
        if let expiresAt { pairs.append((.int(Key.expiration), .int(expiresAt))) }
        if let issuedAt { pairs.append((.int(Key.issuedAt), .int(issuedAt))) }
        pairs.append((.int(Key.hcert), .map([(.int(Key.euDCCv1), certificate.cbor())])))
        return .map(pairs)
    }

    /// Serializes the claims with deterministic CBOR.
    package func encoded() -> [UInt8] {
        // Keys are unique by construction, so deterministic encoding cannot fail.
        (try? cbor().encoded(deterministic: true)) ?? []
    }

    /// Decodes and validates a CWT payload.
    package init(payload: [UInt8], limits: CBORDecodingLimits = CBORDecodingLimits(maxDepth: 16)) throws(DCCError) {
        let item: CBOR
        do {
            item = try CBORDecoder.decode(payload, limits: limits)
        } catch {
            throw .invalidField("cwt")
        }
        try self.init(cbor: item)
    }

    /// Decodes and validates a CWT claims map.
    package init(cbor: CBOR) throws(DCCError) {
        guard case .map = cbor else { throw .notAMap("cwt") }
        var issuer: String?
        if let item = cbor[int: Key.issuer] {
            guard case .text(let value) = item else { throw .invalidField("iss") }
            issuer = value
        }
        let (issuedAt, expiresAt) = try DCCClaims.validityWindow(of: cbor)
        guard let hcert = cbor[int: Key.hcert] else { throw .missingField("hcert") }
        guard case .map = hcert else { throw .notAMap("hcert") }
        guard let dcc = hcert[int: Key.euDCCv1] else { throw .missingField("hcert.1") }
        self.init(
            issuer: issuer,
            issuedAt: issuedAt,
            expiresAt: expiresAt,
            certificate: try DigitalCovidCertificate(cbor: dcc)
        )
    }

    /// Reads `iat` and `exp` from a claims map without validating the rest.
    package static func validityWindow(of claims: CBOR) throws(DCCError) -> (issuedAt: Int64?, expiresAt: Int64?) {
        guard case .map = claims else { throw .notAMap("cwt") }
        return (
            try time(claims[int: Key.issuedAt], path: "iat"),
            try time(claims[int: Key.expiration], path: "exp")
        )
    }

    /// Reads a NumericDate, which RFC 8392 allows as an integer or a float.
    private static func time(_ item: CBOR?, path: String) throws(DCCError) -> Int64? {
        guard let item else { return nil }
        if let value = item.int64Value { return value }
        if let double = item.doubleValue {
            // Reject NaN, infinities and values outside Int64 before converting.
            guard double.isFinite, double >= -9.0e18, double <= 9.0e18 else { throw .invalidField(path) }
            return Int64(double.rounded(.down))
        }
        throw .invalidField(path)
    }
}

/// Pattern checks from the DCC JSON schema, written out by hand to avoid regex costs.
package enum DCCValidation {
    /// `^\d+\.\d+\.\d+$`.
    package static func isSemanticVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(isDigit) }
    }

    /// `^[A-Z<]*$` with at most 80 characters.
    package static func isTransliteratedName(_ text: String) -> Bool {
        text.utf8.count <= 80 && text.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x3C }
    }

    /// `^((19|20)\d\d(-\d\d){0,2}){0,1}$`, with month and day ranges also checked.
    package static func isDateOfBirth(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return true }
        guard bytes.count == 4 || bytes.count == 7 || bytes.count == 10 else { return false }
        guard bytes[0..<4].allSatisfy(isDigit), bytes[0] == 0x31 || bytes[0] == 0x32 else { return false }
        let century = (bytes[0], bytes[1])
        guard century == (0x31, 0x39) || century == (0x32, 0x30) else { return false }
        if bytes.count == 4 { return true }
        guard bytes[4] == 0x2D, isDigit(bytes[5]), isDigit(bytes[6]) else { return false }
        let month = Int(bytes[5] - 0x30) * 10 + Int(bytes[6] - 0x30)
        guard (1...12).contains(month) else { return false }
        if bytes.count == 7 { return true }
        return isCompleteDate(text)
    }

    /// `YYYY-MM-DD` naming a real calendar day.
    package static func isCompleteDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9]
        guard digits.allSatisfy({ isDigit(bytes[$0]) }) else { return false }
        func number(_ range: Range<Int>) -> Int {
            bytes[range].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        let year = number(0..<4)
        let month = number(5..<7)
        let day = number(8..<10)
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// Two uppercase ASCII letters.
    package static func isCountryCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 2 && bytes.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }
}
