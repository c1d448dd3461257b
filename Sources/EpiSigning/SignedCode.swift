import Crypto
import EpiCodecs
import EpiCore
import Foundation

/// A signed code as printed in a QR: `PREFIX:` + Base45(zlib(COSE_Sign1(CWT))), the EU DCC layout, so one
/// verifier (ours, offline in the browser, or any COSE stack) reads certificates, permits and declarations.
///
/// The CWT carries `iss` (1), `exp` (4), `iat` (6) and the document under a private-use claim
/// (`SignedCode.documentClaim`, -70001) as a CBOR map with text keys. Vaccination certificates use the
/// EU `hcert` claim instead and are issued with the codecs' `HC1Issuer`.
package enum SignedCode {
    /// The private-use CWT claim that holds a permit's or a declaration's fields.
    package static let documentClaim: Int64 = -70_001
    package static let issuer = "VN"
    /// Longest code accepted for verification (a QR holds at most ~4,300 alphanumerics).
    package static let maxLength = 4_400

    /// Signs `document` for `purpose`, valid from `issuedAt` to `expiresAt`.
    package static func sign(_ document: [(String, CBOR)], purpose: SigningPurpose, issuedAt: Date, expiresAt: Date,
                             using service: SigningService) throws -> String {
        let signer = try service.signer(purpose)
        let claims = CBOR.map([
            (key: .int(1), value: .text(issuer)),
            (key: .int(4), value: .int(Int64(expiresAt.timeIntervalSince1970.rounded(.down)))),
            (key: .int(6), value: .int(Int64(issuedAt.timeIntervalSince1970.rounded(.down)))),
            (key: .int(documentClaim), value: .map(document.map { (key: CBOR.text($0.0), value: $0.1) })),
        ])
        do {
            let payload = try claims.encoded()
            let cose = try COSESign1.sign(payload: payload, kid: signer.certificate.kid, privateKey: signer.privateKey)
            let compressed = try Zlib.compress(cose)
            return purpose.prefix + Base45.encode(compressed)
        } catch {
            throw SignedCodeError.signingFailed
        }
    }

    /// A code whose signature, issuer key and validity window were checked.
    package struct Verified: Sendable {
        package let purpose: SigningPurpose
        package let kid: [UInt8]
        package let issuedAt: Date
        package let expiresAt: Date
        /// The signed fields, text keys as signed.
        package let document: [String: CBOR]
    }

    /// Checks a code read from a QR or typed: prefix, Base45, zlib, COSE signature by a trusted key of
    /// that purpose, and the validity window at `now`. Every failure is a typed, user-explainable error.
    package static func verify(_ text: String, now: Date, using service: SigningService) throws(SignedCodeError) -> Verified {
        let code = text.trimmedWhitespace
        guard code.utf8.count <= maxLength else { throw .malformed }
        guard let purpose = SigningPurpose.of(code: code), purpose != .vaccination else { throw .unknownPrefix }
        let cose: [UInt8]
        do {
            let compressed = try Base45.decode(ascii: code.utf8.dropFirst(purpose.prefix.utf8.count))
            cose = try Zlib.decompress(compressed, maxOutputSize: 16_384)
        } catch {
            throw .malformed
        }
        let trust = service.trustList(purpose)
        let message: COSESign1Message
        do {
            message = try COSESign1.verify(cose) { kid in trust[kid] }
        } catch let error as COSEError {
            switch error {
            case .unknownKid: throw .unknownKey
            case .badSignature: throw .badSignature
            default: throw .malformed
            }
        } catch {
            throw .malformed
        }
        let claims: CBOR
        do { claims = try CBORDecoder.decode(message.payload, limits: CBORDecodingLimits(maxDepth: 8)) } catch { throw .malformed }
        guard let iat = claims[int: 6]?.int64Value, let exp = claims[int: 4]?.int64Value,
              let fields = claims[int: documentClaim]?.mapValue else { throw .malformed }
        var document: [String: CBOR] = [:]
        for (key, value) in fields {
            guard let name = key.textValue else { throw .malformed }
            document[name] = value
        }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        // Five minutes of grace for a checkpoint phone whose clock runs a little slow.
        if seconds + 300 < iat { throw .notYetValid(Date(timeIntervalSince1970: TimeInterval(iat))) }
        if seconds > exp { throw .expired(Date(timeIntervalSince1970: TimeInterval(exp))) }
        return Verified(purpose: purpose, kid: message.keyIdentifier ?? [], issuedAt: Date(timeIntervalSince1970: TimeInterval(iat)),
                        expiresAt: Date(timeIntervalSince1970: TimeInterval(exp)), document: document)
    }
}

package enum SignedCodeError: Error, Sendable, Equatable {
    case unknownPrefix, malformed, unknownKey, badSignature, signingFailed
    case expired(Date), notYetValid(Date)

    /// A stable code for the API and the offline verifier.
    package var code: String {
        switch self {
        case .unknownPrefix: return "unknown_prefix"
        case .malformed: return "malformed"
        case .unknownKey: return "unknown_key"
        case .badSignature: return "bad_signature"
        case .signingFailed: return "signing_failed"
        case .expired: return "expired"
        case .notYetValid: return "not_yet_valid"
        }
    }
}

extension SignedCodeError: InputProblem {
    package var messageVI: String {
        switch self {
        case .unknownPrefix: return "Không phải mã do hệ thống cấp."
        case .malformed: return "Mã bị hỏng hoặc đọc thiếu."
        case .unknownKey: return "Mã được ký bằng khóa không có trong danh sách tin cậy."
        case .badSignature: return "Chữ ký không hợp lệ: mã đã bị sửa."
        case .signingFailed: return "Không ký được mã."
        case .expired(let date): return "Mã đã hết hạn từ \(VietnamTime.display(date))."
        case .notYetValid(let date): return "Mã chưa có hiệu lực (từ \(VietnamTime.display(date)))."
        }
    }

    package var messageEN: String {
        switch self {
        case .unknownPrefix: return "Not a code this system issues."
        case .malformed: return "The code is damaged or incomplete."
        case .unknownKey: return "The code is signed with a key that is not in the trust list."
        case .badSignature: return "The signature is invalid: the code was altered."
        case .signingFailed: return "The code could not be signed."
        case .expired(let date): return "The code expired on \(VietnamTime.display(date))."
        case .notYetValid(let date): return "The code is not valid yet (from \(VietnamTime.display(date)))."
        }
    }
}

/// QR images of a code, drawn by the codecs' encoder (quartile error correction: a printed permit survives creases).
package enum QRImage {
    package static func svg(_ text: String, pixelSize: Int = 4) throws -> String {
        try QREncoder.encode(text, errorCorrection: .quartile).svg(quietZone: 4, pixelSize: pixelSize)
    }

    package static func png(_ text: String, scale: Int = 6) throws -> [UInt8] {
        try QREncoder.encode(text, errorCorrection: .quartile).png(scale: scale, quietZone: 4)
    }
}
