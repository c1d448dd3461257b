import Crypto
import Foundation

/// Errors thrown while building, parsing or verifying COSE_Sign1 messages.
package enum COSEError: Error, Equatable, Sendable {
    /// The bytes are not well-formed CBOR.
    case invalidCBOR(CBORDecodingError)
    /// The CBOR is not a COSE_Sign1 array of four fields of the right types, or carries an unexpected tag.
    case invalidStructure
    /// The protected header bucket is not a serialized CBOR map.
    case invalidProtectedHeader
    /// The payload is nil (detached content), which this package does not support.
    case detachedPayload
    /// No algorithm header (label 1) was found.
    case missingAlgorithm
    /// The algorithm is not ES256 (-7); the associated value is the label found, if an integer.
    case unsupportedAlgorithm(Int64?)
    /// A `crit` header (label 2) names parameters this implementation does not process.
    case unsupportedCriticalHeader
    /// No key identifier (label 4) was found, or it is not a byte string.
    case missingKid
    /// The key lookup did not know the key identifier.
    case unknownKid([UInt8])
    /// The signature does not verify, or is not a 64-byte raw r||s value.
    case badSignature
    /// Signing failed inside the crypto library.
    case signingFailed

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .invalidCBOR: return 5201
        case .invalidStructure: return 5202
        case .invalidProtectedHeader: return 5203
        case .detachedPayload: return 5204
        case .missingAlgorithm: return 5205
        case .unsupportedAlgorithm: return 5206
        case .unsupportedCriticalHeader: return 5207
        case .missingKid: return 5208
        case .unknownKid: return 5209
        case .badSignature: return 5210
        case .signingFailed: return 5211
        }
    }
}

/// COSE header labels and algorithm identifiers used here (RFC 9052 §3.1, RFC 9053 §2.1).
package enum COSEHeader {
    /// Header label `alg`.
    package static let algorithm: Int64 = 1
    /// Header label `crit`.
    package static let critical: Int64 = 2
    /// Header label `kid`.
    package static let keyIdentifier: Int64 = 4
    /// Algorithm ES256: ECDSA with SHA-256 on P-256.
    package static let es256: Int64 = -7
    /// CBOR tag for COSE_Sign1.
    package static let sign1Tag: UInt64 = 18
    /// CBOR tag for CWT, which some issuers wrap around the COSE_Sign1 tag.
    package static let cwtTag: UInt64 = 61
}

/// A parsed COSE_Sign1 message (RFC 9052 §4.2); parsing does not verify it.
package struct COSESign1Message: Sendable {
    /// The serialized protected header exactly as received; the signature covers these bytes.
    package let protectedBytes: [UInt8]
    /// The decoded protected header map (empty map when the bucket is empty).
    package let protectedHeader: CBOR
    /// The unprotected header map.
    package let unprotectedHeader: CBOR
    /// The payload bytes (for EU DCC, a CWT claims map).
    package let payload: [UInt8]
    /// The signature bytes (raw r||s for ES256).
    package let signature: [UInt8]

    /// The algorithm, taken from the protected header and else the unprotected one.
    ///
    /// RFC 9052 wants `alg` protected, but EU DCC test data (dgc-testdata
    /// common/CO20) expects messages with an unprotected `alg` to verify.
    /// Only ES256 with a P-256 key is ever accepted, so an attacker who edits
    /// this field cannot switch verification to another algorithm.
    package var algorithm: Int64? {
        protectedHeader[int: COSEHeader.algorithm]?.int64Value
            ?? unprotectedHeader[int: COSEHeader.algorithm]?.int64Value
    }

    /// The key identifier: the protected one when present, else the unprotected one.
    ///
    /// A protected `kid` always wins, so a forged unprotected `kid` cannot
    /// redirect verification (dgc-testdata CO21/CO22).
    package var keyIdentifier: [UInt8]? {
        if let protected = protectedHeader[int: COSEHeader.keyIdentifier] {
            return protected.bytesValue
        }
        return unprotectedHeader[int: COSEHeader.keyIdentifier]?.bytesValue
    }

    /// Parses a COSE_Sign1 message, tagged (18, optionally inside CWT tag 61) or untagged.
    package static func parse(
        _ bytes: [UInt8],
        limits: CBORDecodingLimits = CBORDecodingLimits(maxDepth: 16)
    ) throws(COSEError) -> COSESign1Message {
        let item: CBOR
        do {
            item = try CBORDecoder.decode(bytes, limits: limits)
        } catch {
            throw .invalidCBOR(error)
        }
        var body = item
        if case .tagged(COSEHeader.cwtTag, let inner) = body {
            body = inner
        }
        if case .tagged(let tag, let inner) = body {
            guard tag == COSEHeader.sign1Tag else { throw .invalidStructure }
            body = inner
        }
        guard case .array(let fields) = body, fields.count == 4 else { throw .invalidStructure }
        guard case .bytes(let protectedBytes) = fields[0] else { throw .invalidStructure }
        guard case .map = fields[1] else { throw .invalidStructure }
        let payload: [UInt8]
        switch fields[2] {
        case .bytes(let bytes): payload = bytes
        case .null: throw .detachedPayload
        default: throw .invalidStructure
        }
        guard case .bytes(let signature) = fields[3] else { throw .invalidStructure }

        let protectedHeader: CBOR
        if protectedBytes.isEmpty {
            protectedHeader = .map([])
        } else {
            guard let decoded = try? CBORDecoder.decode(protectedBytes, limits: limits),
                case .map = decoded
            else { throw .invalidProtectedHeader }
            protectedHeader = decoded
        }
        return COSESign1Message(
            protectedBytes: protectedBytes,
            protectedHeader: protectedHeader,
            unprotectedHeader: fields[1],
            payload: payload,
            signature: signature
        )
    }

    /// Checks the ES256 signature against `publicKey`.
    package func verify(with publicKey: P256.Signing.PublicKey, externalAAD: [UInt8] = []) throws(COSEError) {
        try checkHeaders()
        guard signature.count == 64,
            let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
        else { throw .badSignature }
        let toBeSigned = COSESign1.signatureStructure(
            protectedBytes: protectedBytes,
            externalAAD: externalAAD,
            payload: payload
        )
        guard publicKey.isValidSignature(ecdsa, for: toBeSigned) else { throw .badSignature }
    }

    /// Validates the algorithm and critical-header rules before any crypto runs.
    package func checkHeaders() throws(COSEError) {
        if protectedHeader[int: COSEHeader.critical] != nil {
            throw .unsupportedCriticalHeader
        }
        guard let alg = protectedHeader[int: COSEHeader.algorithm] ?? unprotectedHeader[int: COSEHeader.algorithm]
        else { throw .missingAlgorithm }
        guard alg.int64Value == COSEHeader.es256 else { throw .unsupportedAlgorithm(alg.int64Value) }
    }
}

/// COSE_Sign1 signing and verification with ES256.
package enum COSESign1 {
    /// Builds the `Sig_structure` for a COSE_Sign1 message (RFC 9052 §4.4).
    ///
    /// `["Signature1", protected, external_aad, payload]`, all byte strings after the context.
    package static func signatureStructure(
        protectedBytes: [UInt8],
        externalAAD: [UInt8],
        payload: [UInt8]
    ) -> [UInt8] {
        var writer = CBORWriter(capacity: protectedBytes.count + externalAAD.count + payload.count + 32)
        writer.writeArrayHead(count: 4)
        writer.writeText("Signature1")
        writer.writeBytes(protectedBytes)
        writer.writeBytes(externalAAD)
        writer.writeBytes(payload)
        return writer.bytes
    }

    /// Serializes the protected header `{1: -7, 4: kid}` in deterministic key order.
    package static func protectedHeader(kid: [UInt8]) -> [UInt8] {
        var writer = CBORWriter(capacity: kid.count + 8)
        writer.writeMapHead(count: 2)
        writer.writeInt(COSEHeader.algorithm)
        writer.writeInt(COSEHeader.es256)
        writer.writeInt(COSEHeader.keyIdentifier)
        writer.writeBytes(kid)
        return writer.bytes
    }

    /// Signs `payload` with ES256 and returns a tagged (18) COSE_Sign1 message.
    ///
    /// The `kid` goes into the protected header so it is covered by the signature.
    package static func sign(
        payload: [UInt8],
        kid: [UInt8],
        privateKey: P256.Signing.PrivateKey,
        externalAAD: [UInt8] = []
    ) throws(COSEError) -> [UInt8] {
        let protectedBytes = protectedHeader(kid: kid)
        let toBeSigned = signatureStructure(protectedBytes: protectedBytes, externalAAD: externalAAD, payload: payload)
        let signature: P256.Signing.ECDSASignature
        do {
            signature = try privateKey.signature(for: toBeSigned)
        } catch {
            throw .signingFailed
        }
        var writer = CBORWriter(capacity: protectedBytes.count + payload.count + 80)
        writer.writeTag(COSEHeader.sign1Tag)
        writer.writeArrayHead(count: 4)
        writer.writeBytes(protectedBytes)
        writer.writeMapHead(count: 0)
        writer.writeBytes(payload)
        writer.writeBytes(signature.rawRepresentation)
        return writer.bytes
    }

    /// Parses and verifies a COSE_Sign1 message, resolving the key by `kid`.
    ///
    /// - Returns: the parsed message, whose payload is now authenticated.
    package static func verify(
        _ bytes: [UInt8],
        externalAAD: [UInt8] = [],
        keyLookup: (_ kid: [UInt8]) -> P256.Signing.PublicKey?
    ) throws(COSEError) -> COSESign1Message {
        let message = try COSESign1Message.parse(bytes)
        try message.checkHeaders()
        guard let kid = message.keyIdentifier else { throw .missingKid }
        guard let key = keyLookup(kid) else { throw .unknownKid(kid) }
        try message.verify(with: key, externalAAD: externalAAD)
        return message
    }
}
