import Crypto
import Foundation

/// Why an HC1 string could not even be parsed.
package enum HC1MalformedReason: Equatable, Sendable {
    /// The string does not start with `HC1:`.
    case missingPrefix
    /// The string is longer than ``HC1Verifier/maxInputLength``.
    case tooLong
    /// The Base45 part is invalid.
    case base45(Base45Error)
    /// The zlib stream is invalid, truncated, or inflates beyond the cap.
    case zlib(ZlibError)
    /// The COSE_Sign1 structure is invalid.
    case cose(COSEError)
    /// The signed payload lacks the `exp` claim, which the DCC specification requires.
    case missingExpiration
}

/// Failures of HC1 issuance or verification, each with a stable ``code``.
package enum HC1Error: Error, Equatable, Sendable {
    /// The input is not a well-formed HC1 string.
    case malformed(HC1MalformedReason)
    /// The `kid` is not in the trust list.
    case unknownKid([UInt8])
    /// The algorithm is not ES256.
    case unsupportedAlgorithm(Int64?)
    /// The signature does not verify.
    case badSignature
    /// The signed claims do not form a valid vaccination DCC.
    case invalidPayload(DCCError)
    /// `now` is at or after `exp`.
    case expired(expiresAt: Int64)
    /// `now` is before `iat` (beyond the allowed clock skew).
    case notYetValid(issuedAt: Int64)
    /// Issuance failed (invalid certificate data or an internal crypto/zlib failure).
    case issuanceFailed(String)

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .malformed(let reason):
            switch reason {
            case .missingPrefix: return 6001
            case .tooLong: return 6002
            case .base45: return 6003
            case .zlib: return 6004
            case .cose: return 6005
            case .missingExpiration: return 6006
            }
        case .unknownKid: return 6010
        case .unsupportedAlgorithm: return 6011
        case .badSignature: return 6012
        case .invalidPayload: return 6013
        case .expired: return 6014
        case .notYetValid: return 6015
        case .issuanceFailed: return 6020
        }
    }
}

/// The HC1 context prefix of EU DCC QR payloads.
package enum HC1 {
    /// The context identifier that precedes the Base45 data.
    package static let prefix = "HC1:"

    /// Undoes the transport encoding (prefix, Base45, zlib) without verifying anything.
    package static func unwrap(
        _ text: String,
        maxInputLength: Int = HC1Verifier.defaultMaxInputLength,
        maxInflatedSize: Int = HC1Verifier.defaultMaxInflatedSize
    ) throws(HC1Error) -> [UInt8] {
        guard text.utf8.count <= maxInputLength else { throw .malformed(.tooLong) }
        guard text.hasPrefix(prefix) else { throw .malformed(.missingPrefix) }
        let compressed: [UInt8]
        do {
            compressed = try Base45.decode(ascii: text.utf8.dropFirst(prefix.utf8.count))
        } catch {
            throw .malformed(.base45(error))
        }
        do {
            return try Zlib.decompress(compressed, maxOutputSize: maxInflatedSize)
        } catch {
            throw .malformed(.zlib(error))
        }
    }
}

/// Issues HC1 strings: claims → CBOR → COSE_Sign1 (ES256) → zlib → Base45 → `HC1:`.
///
/// Holds a reusable zlib stream, so it is not thread-safe; create one per
/// task or thread. Creating one costs a few hundred KiB of zlib state.
package final class HC1Issuer {
    /// The signing key.
    private let privateKey: P256.Signing.PrivateKey
    /// The `kid` written into every protected header.
    package let kid: [UInt8]
    /// The `iss` claim (ISO 3166-1 alpha-2).
    package let issuerCountry: String
    private let deflater: ZlibDeflater

    /// Creates an issuer.
    ///
    /// - Parameters:
    ///   - privateKey: the document signer's P-256 key.
    ///   - kid: the DSC key identifier (``SigningCertificate/kid``).
    ///   - issuerCountry: value of the `iss` claim.
    ///   - compressionLevel: zlib level; 9 yields the smallest QR codes.
    package init(
        privateKey: P256.Signing.PrivateKey,
        kid: [UInt8],
        issuerCountry: String = "VN",
        compressionLevel: Int32 = 9
    ) throws(HC1Error) {
        self.privateKey = privateKey
        self.kid = kid
        self.issuerCountry = issuerCountry
        do {
            deflater = try ZlibDeflater(level: compressionLevel)
        } catch {
            throw .issuanceFailed("zlib initialisation failed")
        }
    }

    /// Issues an HC1 string for `certificate`, valid from `issuedAt` until `expiresAt`.
    ///
    /// The certificate is validated against the schema rules first, so this
    /// never signs something the verifier would reject as a bad payload.
    package func issue(
        _ certificate: DigitalCovidCertificate,
        issuedAt: Date,
        expiresAt: Date
    ) throws(HC1Error) -> String {
        let claims = DCCClaims(
            issuer: issuerCountry,
            issuedAt: HC1Verifier.seconds(issuedAt),
            expiresAt: HC1Verifier.seconds(expiresAt),
            certificate: certificate
        )
        return try issue(claims: claims)
    }

    /// Issues an HC1 string for prepared claims.
    package func issue(claims: DCCClaims) throws(HC1Error) -> String {
        let cose = try signedCOSE(claims: claims)
        let compressed: [UInt8]
        do {
            compressed = try deflater.compress(cose)
        } catch {
            throw .issuanceFailed("zlib compression failed")
        }
        var ascii: [UInt8] = []
        ascii.reserveCapacity(HC1.prefix.utf8.count + compressed.count * 3 / 2 + 2)
        ascii.append(contentsOf: HC1.prefix.utf8)
        Base45.encodeToASCII(compressed, into: &ascii)
        return String(decoding: ascii, as: UTF8.self)
    }

    /// Validates the claims and returns the signed COSE_Sign1 bytes (before compression).
    package func signedCOSE(claims: DCCClaims) throws(HC1Error) -> [UInt8] {
        let hcert = claims.certificate.cbor()
        do {
            // Validate the exact tree that is about to be signed.
            _ = try DigitalCovidCertificate(cbor: hcert)
        } catch {
            throw .invalidPayload(error)
        }
        var pairs: [(key: CBOR, value: CBOR)] = []
        pairs.reserveCapacity(4)
        if let issuer = claims.issuer { pairs.append((.int(DCCClaims.Key.issuer), .text(issuer))) }
        if let exp = claims.expiresAt { pairs.append((.int(DCCClaims.Key.expiration), .int(exp))) }
        if let iat = claims.issuedAt { pairs.append((.int(DCCClaims.Key.issuedAt), .int(iat))) }
        pairs.append((.int(DCCClaims.Key.hcert), .map([(.int(DCCClaims.Key.euDCCv1), hcert)])))
        let payload: [UInt8]
        do {
            payload = try CBOR.map(pairs).encoded(deterministic: true)
        } catch {
            throw .issuanceFailed("duplicate CBOR map key")
        }
        do {
            return try COSESign1.sign(payload: payload, kid: kid, privateKey: privateKey)
        } catch {
            throw .issuanceFailed("signing failed")
        }
    }
}

/// The result of a successful HC1 verification.
package struct VerifiedHC1: Sendable {
    /// The authenticated claims, including the certificate.
    package let claims: DCCClaims
    /// The `kid` of the key that verified the signature.
    package let kid: [UInt8]
}

/// Verifies HC1 strings against a trust list and a clock.
package struct HC1Verifier: Sendable {
    /// Default cap on the inflated COSE size; real DCCs are well under 4 KiB.
    package static let defaultMaxInflatedSize = 65_536
    /// Default cap on the HC1 text length; a version 40 QR code holds at most 4,296 alphanumeric characters.
    package static let defaultMaxInputLength = 8_192

    /// Trusted document-signer keys by `kid`.
    package var trustList: TrustList
    /// Maximum bytes the zlib stream may inflate to.
    package var maxInflatedSize: Int
    /// Maximum length of the HC1 text.
    package var maxInputLength: Int
    /// Seconds of tolerated clock difference for `iat` (not for `exp`).
    package var clockSkew: Int64

    /// Creates a verifier.
    package init(
        trustList: TrustList,
        maxInflatedSize: Int = HC1Verifier.defaultMaxInflatedSize,
        maxInputLength: Int = HC1Verifier.defaultMaxInputLength,
        clockSkew: Int64 = 0
    ) {
        self.trustList = trustList
        self.maxInflatedSize = maxInflatedSize
        self.maxInputLength = maxInputLength
        self.clockSkew = clockSkew
    }

    /// Verifies `text` at time `now` and returns the authenticated certificate.
    ///
    /// Order: transport decoding, COSE structure, algorithm, `kid` lookup,
    /// signature, then claims and time checks, so nothing unauthenticated
    /// influences the result beyond choosing the key.
    package func verify(_ text: String, now: Date) throws(HC1Error) -> VerifiedHC1 {
        let cose = try HC1.unwrap(text, maxInputLength: maxInputLength, maxInflatedSize: maxInflatedSize)
        return try verifyCOSE(cose, now: now)
    }

    /// Verifies already-unwrapped COSE_Sign1 bytes at time `now`.
    package func verifyCOSE(_ cose: [UInt8], now: Date) throws(HC1Error) -> VerifiedHC1 {
        let message: COSESign1Message
        do {
            message = try COSESign1Message.parse(cose)
            try message.checkHeaders()
        } catch {
            if case .unsupportedAlgorithm(let alg) = error { throw .unsupportedAlgorithm(alg) }
            throw .malformed(.cose(error))
        }
        guard let kid = message.keyIdentifier else { throw .malformed(.cose(.missingKid)) }
        guard let key = trustList[kid] else { throw .unknownKid(kid) }
        do {
            try message.verify(with: key)
        } catch {
            throw .badSignature
        }
        // Time checks run before content validation so an expired certificate
        // reports .expired even if its content uses a type we do not decode.
        let payload: CBOR
        do {
            payload = try CBORDecoder.decode(message.payload, limits: CBORDecodingLimits(maxDepth: 16))
        } catch {
            throw .invalidPayload(.invalidField("cwt"))
        }
        let window: (issuedAt: Int64?, expiresAt: Int64?)
        do {
            window = try DCCClaims.validityWindow(of: payload)
        } catch {
            throw .invalidPayload(error)
        }
        let current = HC1Verifier.seconds(now)
        guard let expiresAt = window.expiresAt else { throw .malformed(.missingExpiration) }
        if current >= expiresAt { throw .expired(expiresAt: expiresAt) }
        if let issuedAt = window.issuedAt {
            // Saturating add: a hostile iat near Int64.max must not overflow.
            let (limit, overflow) = current.addingReportingOverflow(clockSkew)
            if !overflow && issuedAt > limit { throw .notYetValid(issuedAt: issuedAt) }
        }
        let claims: DCCClaims
        do {
            claims = try DCCClaims(cbor: payload)
        } catch {
            throw .invalidPayload(error)
        }
        return VerifiedHC1(claims: claims, kid: kid)
    }

    /// Whole seconds since the Unix epoch, clamped to the Int64 range.
    static func seconds(_ date: Date) -> Int64 {
        let value = date.timeIntervalSince1970.rounded(.down)
        guard value.isFinite else { return value > 0 ? Int64.max : Int64.min }
        if value >= 9.2e18 { return Int64.max }
        if value <= -9.2e18 { return Int64.min }
        return Int64(value)
    }
}
