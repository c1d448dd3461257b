import Crypto
import Testing
@testable import EpiCodecs

@Suite("COSE_Sign1 with ES256")
struct COSETests {
    let key = P256.Signing.PrivateKey()
    let kid: [UInt8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]
    let payload = Array("{\"hello\":\"COSE\"}".utf8)

    @Test("protected header is {1: -7, 4: kid} and the message is tag 18")
    func layout() throws {
        #expect(TestSupport.hex(COSESign1.protectedHeader(kid: kid)) == "a2012604480123456789abcdef")
        let message = try COSESign1.sign(payload: payload, kid: kid, privateKey: key)
        let decoded = try CBORDecoder.decode(message)
        guard case .tagged(18, .array(let fields)) = decoded else {
            Issue.record("not a tagged COSE_Sign1: \(decoded)")
            return
        }
        #expect(fields.count == 4)
        #expect(fields[0] == .bytes(COSESign1.protectedHeader(kid: kid)))
        #expect(fields[1] == .map([]))
        #expect(fields[2] == .bytes(payload))
        #expect(fields[3].bytesValue?.count == 64)
    }

    @Test("Sig_structure matches RFC 9052 §4.4")
    func sigStructure() throws {
        let structure = COSESign1.signatureStructure(protectedBytes: [0xA1, 0x01, 0x26], externalAAD: [], payload: [0x01, 0x02])
        // ["Signature1", h'A10126', h'', h'0102']
        #expect(TestSupport.hex(structure) == "846a5369676e61747572653143a101264042" + "0102")
    }

    @Test("sign then verify succeeds with the right key")
    func roundTrip() throws {
        let message = try COSESign1.sign(payload: payload, kid: kid, privateKey: key)
        let verified = try COSESign1.verify(message) { $0 == kid ? key.publicKey : nil }
        #expect(verified.payload == payload)
        #expect(verified.keyIdentifier == kid)
        #expect(verified.algorithm == -7)
        // Independent check of the raw r||s signature with swift-crypto directly.
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: verified.signature)
        let toBeSigned = COSESign1.signatureStructure(protectedBytes: verified.protectedBytes, externalAAD: [], payload: payload)
        #expect(key.publicKey.isValidSignature(signature, for: toBeSigned))
    }

    @Test("every single changed byte makes verification fail")
    func everyByteFlip() throws {
        let message = try COSESign1.sign(payload: payload, kid: kid, privateKey: key)
        for index in message.indices {
            var tampered = message
            tampered[index] ^= 0x01
            #expect(throws: COSEError.self, "flip at \(index)") {
                _ = try COSESign1.verify(tampered) { $0 == kid ? key.publicKey : nil }
            }
        }
    }

    @Test("wrong key, unknown kid, external AAD mismatch")
    func failures() throws {
        let message = try COSESign1.sign(payload: payload, kid: kid, privateKey: key)
        let other = P256.Signing.PrivateKey().publicKey
        #expect(throws: COSEError.badSignature) { _ = try COSESign1.verify(message) { _ in other } }
        #expect(throws: COSEError.unknownKid(kid)) { _ = try COSESign1.verify(message) { _ in nil } }
        #expect(throws: COSEError.badSignature) {
            _ = try COSESign1.verify(message, externalAAD: [1]) { _ in key.publicKey }
        }
        let withAAD = try COSESign1.sign(payload: payload, kid: kid, privateKey: key, externalAAD: [9, 9])
        _ = try COSESign1.verify(withAAD, externalAAD: [9, 9]) { _ in key.publicKey }
    }

    @Test("kid in the unprotected header is used when the protected one has none")
    func unprotectedKid() throws {
        let protected = try CBOR.map([(.int(1), .int(-7))]).encoded()
        let message = try signedMessage(protected: protected, unprotected: .map([(.int(4), .bytes(kid))]))
        let verified = try COSESign1.verify(message) { $0 == kid ? key.publicKey : nil }
        #expect(verified.keyIdentifier == kid)
    }

    @Test("a protected kid wins over a different unprotected kid")
    func protectedKidWins() throws {
        let protected = COSESign1.protectedHeader(kid: kid)
        let message = try signedMessage(protected: protected, unprotected: .map([(.int(4), .bytes([0xFF]))]))
        let verified = try COSESign1.verify(message) { $0 == kid ? key.publicKey : nil }
        #expect(verified.keyIdentifier == kid)
    }

    @Test("untagged and CWT-wrapped (61(18(...))) messages parse")
    func tagVariants() throws {
        let message = try COSESign1.sign(payload: payload, kid: kid, privateKey: key)
        let untagged = Array(message.dropFirst())  // drop 0xD2
        _ = try COSESign1.verify(untagged) { _ in key.publicKey }
        let cwt = [0xD8, 0x3D] + message
        _ = try COSESign1.verify(cwt) { _ in key.publicKey }
        let wrongTag = [0xD3] + untagged
        #expect(throws: COSEError.invalidStructure) { _ = try COSESign1.verify(wrongTag) { _ in key.publicKey } }
    }

    @Test("structural problems are reported precisely")
    func structure() throws {
        func parse(_ item: CBOR) throws(COSEError) { _ = try COSESign1Message.parse(try! item.encoded(deterministic: false)) }
        let good = COSESign1.protectedHeader(kid: kid)
        #expect(throws: COSEError.invalidStructure) { try parse(.tagged(18, .array([.bytes(good), .map([]), .bytes([])]))) }
        #expect(throws: COSEError.invalidStructure) { try parse(.tagged(18, .array([.text("x"), .map([]), .bytes([]), .bytes([])]))) }
        #expect(throws: COSEError.invalidStructure) { try parse(.tagged(18, .array([.bytes(good), .array([]), .bytes([]), .bytes([])]))) }
        #expect(throws: COSEError.detachedPayload) { try parse(.tagged(18, .array([.bytes(good), .map([]), .null, .bytes([])]))) }
        #expect(throws: COSEError.invalidProtectedHeader) { try parse(.tagged(18, .array([.bytes([0x01]), .map([]), .bytes([]), .bytes([])]))) }
        #expect(throws: COSEError.invalidProtectedHeader) { try parse(.tagged(18, .array([.bytes([0xA1]), .map([]), .bytes([]), .bytes([])]))) }
        #expect(throws: COSEError.invalidCBOR(.unexpectedEnd(offset: 0))) { _ = try COSESign1Message.parse([]) }

        let rsa = try CBOR.map([(.int(1), .int(-37)), (.int(4), .bytes(kid))]).encoded()
        #expect(throws: COSEError.unsupportedAlgorithm(-37)) {
            _ = try COSESign1.verify(try signedMessage(protected: rsa, unprotected: .map([]))) { _ in key.publicKey }
        }
        let noAlg = try CBOR.map([(.int(4), .bytes(kid))]).encoded()
        #expect(throws: COSEError.missingAlgorithm) {
            _ = try COSESign1.verify(try signedMessage(protected: noAlg, unprotected: .map([]))) { _ in key.publicKey }
        }
        let crit = try CBOR.map([(.int(1), .int(-7)), (.int(2), .array([.int(99)]))]).encoded()
        #expect(throws: COSEError.unsupportedCriticalHeader) {
            _ = try COSESign1.verify(try signedMessage(protected: crit, unprotected: .map([]))) { _ in key.publicKey }
        }
        let noKid = try CBOR.map([(.int(1), .int(-7))]).encoded()
        #expect(throws: COSEError.missingKid) {
            _ = try COSESign1.verify(try signedMessage(protected: noKid, unprotected: .map([]))) { _ in key.publicKey }
        }
        // A signature that is not 64 bytes is a bad signature, not a crash.
        let good64 = try COSESign1.sign(payload: payload, kid: kid, privateKey: key)
        let fields = try #require(try CBORDecoder.decode(good64)[int: 0] == nil ? CBORDecoder.decode(good64) : nil)
        guard case .tagged(18, .array(let parts)) = fields, let signature = parts[3].bytesValue else {
            Issue.record("unexpected layout")
            return
        }
        for length in [0, 1, 32, 63, 65] {
            let resized = Array(signature.prefix(length)) + [UInt8](repeating: 0, count: max(0, length - 64))
            let message = try CBOR.tagged(18, .array([parts[0], parts[1], parts[2], .bytes(resized)])).encoded(deterministic: false)
            #expect(throws: COSEError.badSignature) { _ = try COSESign1.verify(message) { _ in key.publicKey } }
        }
    }

    /// Builds a COSE_Sign1 with arbitrary headers, signed correctly.
    private func signedMessage(protected: [UInt8], unprotected: CBOR) throws -> [UInt8] {
        let toBeSigned = COSESign1.signatureStructure(protectedBytes: protected, externalAAD: [], payload: payload)
        let signature = try key.signature(for: toBeSigned).rawRepresentation
        return try CBOR.tagged(18, .array([.bytes(protected), unprotected, .bytes(payload), .bytes(Array(signature))]))
            .encoded(deterministic: false)
    }
}
