import Crypto
import Foundation
import Testing
@testable import EpiCodecs

@Suite("HC1 pipeline, zlib and signer certificates")
struct HC1Tests {
    static let issuedAt = Date(timeIntervalSince1970: 1_767_225_600)
    static let expiresAt = issuedAt.addingTimeInterval(365 * 86_400)

    struct Fixture {
        let key: P256.Signing.PrivateKey
        let signer: SigningCertificate
        let issuer: HC1Issuer
        let verifier: HC1Verifier
    }

    static func fixture() throws -> Fixture {
        let key = P256.Signing.PrivateKey()
        let signer = try SigningCertificate.makeSelfSigned(
            privateKey: key,
            notValidBefore: issuedAt.addingTimeInterval(-86_400),
            notValidAfter: expiresAt
        )
        return Fixture(
            key: key,
            signer: signer,
            issuer: try HC1Issuer(privateKey: key, kid: signer.kid),
            verifier: HC1Verifier(trustList: TrustList(certificates: [signer]))
        )
    }

    @Test("issue then verify returns the same certificate")
    func roundTrip() throws {
        let f = try Self.fixture()
        let certificate = DCCTests.sample()
        let hc1 = try f.issuer.issue(certificate, issuedAt: Self.issuedAt, expiresAt: Self.expiresAt)
        #expect(hc1.hasPrefix("HC1:"))
        #expect(hc1.utf8.allSatisfy { QREncoder.alphanumericCharset.contains($0) })
        let result = try f.verifier.verify(hc1, now: Self.issuedAt.addingTimeInterval(60))
        #expect(result.claims.certificate == certificate)
        #expect(result.claims.issuer == "VN")
        let expectedIssuedAt: Int64 = 1_767_225_600
        let expectedExpiry: Int64 = 1_798_761_600
        #expect(result.claims.issuedAt == expectedIssuedAt)
        #expect(result.claims.expiresAt == expectedExpiry)
        #expect(result.kid == f.signer.kid)
        // The unwrapped bytes are a tag-18 COSE_Sign1 with the kid protected.
        let cose = try HC1.unwrap(hc1)
        #expect(cose.first == 0xD2)
        let message = try COSESign1Message.parse(cose)
        #expect(message.protectedHeader[int: 4] == .bytes(f.signer.kid))
    }

    @Test("time window: exp is exclusive, iat honours clock skew")
    func timeChecks() throws {
        let f = try Self.fixture()
        let hc1 = try f.issuer.issue(DCCTests.sample(), issuedAt: Self.issuedAt, expiresAt: Self.expiresAt)
        _ = try f.verifier.verify(hc1, now: Self.issuedAt)
        _ = try f.verifier.verify(hc1, now: Self.expiresAt.addingTimeInterval(-1))
        #expect(throws: HC1Error.expired(expiresAt: 1_767_225_600 + 365 * 86_400)) {
            try f.verifier.verify(hc1, now: Self.expiresAt)
        }
        #expect(throws: HC1Error.notYetValid(issuedAt: 1_767_225_600)) {
            try f.verifier.verify(hc1, now: Self.issuedAt.addingTimeInterval(-1))
        }
        var lenient = f.verifier
        lenient.clockSkew = 300
        _ = try lenient.verify(hc1, now: Self.issuedAt.addingTimeInterval(-299))
        lenient.clockSkew = Int64.max
        _ = try lenient.verify(hc1, now: Self.issuedAt.addingTimeInterval(-86_400))
    }

    @Test("typed failures for each stage")
    func failures() throws {
        let f = try Self.fixture()
        let hc1 = try f.issuer.issue(DCCTests.sample(), issuedAt: Self.issuedAt, expiresAt: Self.expiresAt)
        let now = Self.issuedAt.addingTimeInterval(60)

        #expect(throws: HC1Error.malformed(.missingPrefix)) { try f.verifier.verify(String(hc1.dropFirst(4)), now: now) }
        #expect(throws: HC1Error.malformed(.missingPrefix)) { try f.verifier.verify("HC2:" + hc1.dropFirst(4), now: now) }
        #expect(throws: HC1Error.malformed(.base45(.invalidCharacter(offset: 0)))) { try f.verifier.verify("HC1:a" + hc1.dropFirst(5), now: now) }
        #expect(throws: HC1Error.malformed(.tooLong)) { try f.verifier.verify("HC1:" + String(repeating: "0", count: 9_000), now: now) }
        #expect(throws: HC1Error.self) { try f.verifier.verify("HC1:", now: now) }
        #expect(throws: HC1Error.malformed(.zlib(.corruptData))) { try f.verifier.verify("HC1:" + Base45.encode([1, 2, 3, 4]), now: now) }

        // Unknown signer.
        let stranger = HC1Verifier(trustList: TrustList())
        #expect(throws: HC1Error.unknownKid(f.signer.kid)) { try stranger.verify(hc1, now: now) }

        // Same kid, different key: the signature must fail.
        var impostor = TrustList()
        impostor.add(kid: f.signer.kid, publicKey: P256.Signing.PrivateKey().publicKey)
        #expect(throws: HC1Error.badSignature) { try HC1Verifier(trustList: impostor).verify(hc1, now: now) }

        // Re-wrap a COSE message with one payload byte changed.
        var cose = try HC1.unwrap(hc1)
        cose[40] ^= 0x01
        let tampered = "HC1:" + Base45.encode(try Zlib.compress(cose))
        #expect(throws: HC1Error.badSignature) { try f.verifier.verify(tampered, now: now) }

        // Issuance validates the certificate first.
        var bad = DCCTests.sample()
        bad.vaccination.doseNumber = 0
        #expect(throws: HC1Error.invalidPayload(.invalidField("v[0].dn"))) {
            try f.issuer.issue(bad, issuedAt: Self.issuedAt, expiresAt: Self.expiresAt)
        }
    }

    @Test("every single-byte change in the COSE bytes is rejected")
    func everyCOSEByteFlip() throws {
        let f = try Self.fixture()
        let hc1 = try f.issuer.issue(DCCTests.sample(), issuedAt: Self.issuedAt, expiresAt: Self.expiresAt)
        let cose = try HC1.unwrap(hc1)
        let now = Self.issuedAt.addingTimeInterval(60)
        for index in cose.indices {
            var tampered = cose
            tampered[index] ^= 0x80
            #expect(throws: HC1Error.self, "flip at \(index)") { try f.verifier.verifyCOSE(tampered, now: now) }
        }
    }

    @Test("claims without exp are refused even when correctly signed")
    func missingExpiration() throws {
        let f = try Self.fixture()
        let claims = DCCClaims(issuer: "VN", issuedAt: 1, expiresAt: nil, certificate: DCCTests.sample())
        let hc1 = try f.issuer.issue(claims: claims)
        #expect(throws: HC1Error.malformed(.missingExpiration)) { try f.verifier.verify(hc1, now: Self.issuedAt) }
    }

    @Test("zlib: RFC 1950 round-trip, size cap, truncation, trailing data")
    func zlib() throws {
        let data = Array(String(repeating: "EpiCommand zlib ", count: 100).utf8)
        let compressed = try Zlib.compress(data)
        #expect(compressed[0] == 0x78)
        #expect((Int(compressed[0]) << 8 | Int(compressed[1])) % 31 == 0)
        #expect(try Zlib.decompress(compressed) == data)
        #expect(try Zlib.decompress(compressed, maxOutputSize: data.count) == data)
        #expect(throws: ZlibError.outputTooLarge(limit: data.count - 1)) {
            try Zlib.decompress(compressed, maxOutputSize: data.count - 1)
        }
        for cut in [1, 2, compressed.count / 2, compressed.count - 1] {
            #expect(throws: ZlibError.self) { try Zlib.decompress(Array(compressed.prefix(cut))) }
        }
        #expect(throws: ZlibError.truncated) { try Zlib.decompress(Array(compressed.dropLast(4))) }
        #expect(throws: ZlibError.trailingData) { try Zlib.decompress(compressed + [0x00]) }
        #expect(throws: ZlibError.emptyInput) { try Zlib.decompress([]) }
        #expect(try Zlib.decompress(compressed, maxOutputSize: Int.max) == data)
        #expect(throws: ZlibError.outputTooLarge(limit: 0)) { try Zlib.decompress(compressed, maxOutputSize: -5) }
        #expect(throws: ZlibError.corruptData) { try Zlib.decompress([0x78, 0x9C, 0xFF, 0xFF]) }
        var badChecksum = compressed
        badChecksum[badChecksum.count - 1] ^= 0x01
        #expect(throws: ZlibError.corruptData) { try Zlib.decompress(badChecksum) }
        // Empty input compresses to a valid stream.
        #expect(try Zlib.decompress(try Zlib.compress([UInt8]())) == [])
        // A reused deflater produces identical output every time.
        let deflater = try ZlibDeflater()
        let first = try deflater.compress(data)
        #expect(try deflater.compress(data) == first)
    }

    @Test("zip bomb: 10 MiB of zeros is refused by the default 64 KiB cap")
    func zipBomb() throws {
        let bomb = try Zlib.compress([UInt8](repeating: 0, count: 10 << 20))
        #expect(bomb.count < 20_000)
        #expect(throws: ZlibError.outputTooLarge(limit: 65_536)) { try Zlib.decompress(bomb) }
        let hc1 = "HC1:" + Base45.encode(bomb)
        let verifier = HC1Verifier(trustList: TrustList(), maxInputLength: 100_000)
        #expect(throws: HC1Error.malformed(.zlib(.outputTooLarge(limit: 65_536)))) { try verifier.verify(hc1, now: Date()) }
    }

    @Test("self-signed DSC: subject, key, kid = SHA-256(DER)[0..<8]")
    func signerCertificate() throws {
        let f = try Self.fixture()
        let digest = Array(SHA256.hash(data: f.signer.der))
        #expect(f.signer.kid == Array(digest.prefix(8)))
        #expect(f.signer.publicKey.rawRepresentation == f.key.publicKey.rawRepresentation)
        let parsed = try SigningCertificate(derEncoded: f.signer.der)
        #expect(parsed.kid == f.signer.kid)
        #expect(f.signer.pem.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(f.signer.pem.hasSuffix("-----END CERTIFICATE-----\n"))
        // The DER names the subject attributes and the DCC vaccination EKU OID.
        let der = f.signer.der
        #expect(der.firstRange(of: Array("EpiCommand DSC".utf8)) != nil)
        #expect(der.firstRange(of: [0x13, 0x02, 0x56, 0x4E]) != nil || der.firstRange(of: [0x0C, 0x02, 0x56, 0x4E]) != nil)
        #expect(der.firstRange(of: [0x06, 0x0B, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x8E, 0x37, 0x8F, 0x65, 0x01, 0x02]) != nil)
        #expect(throws: SigningCertificateError.invalidDER) { try SigningCertificate(derEncoded: [0x30, 0x00]) }
    }
}
