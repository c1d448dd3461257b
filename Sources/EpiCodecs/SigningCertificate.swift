import Crypto
import Foundation
import SwiftASN1
import X509

/// Errors thrown while creating or reading document-signer certificates.
package enum SigningCertificateError: Error, Equatable, Sendable {
    /// The bytes are not a DER X.509 certificate.
    case invalidDER
    /// The certificate's key is not an EC P-256 key.
    case notP256
    /// Building or serializing the certificate failed.
    case creationFailed

    /// Stable machine-readable code.
    package var code: Int {
        switch self {
        case .invalidDER: return 5801
        case .notP256: return 5802
        case .creationFailed: return 5803
        }
    }
}

/// A document signer certificate (DSC) with a P-256 key and its EU DCC key identifier.
///
/// `@unchecked Sendable` because swift-crypto 3.x does not mark
/// `P256.Signing.PublicKey` Sendable on Linux, although it is an immutable
/// value whose BoringSSL backing is only read when verifying.
package struct SigningCertificate: @unchecked Sendable {
    /// The certificate in DER.
    package let der: [UInt8]
    /// The certified public key.
    package let publicKey: P256.Signing.PublicKey
    /// The DCC `kid`: the first 8 bytes of SHA-256 over `der`.
    package let kid: [UInt8]

    /// EU DCC extended key usage OIDs that restrict a DSC to certificate types.
    package enum DCCKeyUsage: Sendable {
        /// 1.3.6.1.4.1.1847.2021.1.1: test certificates.
        case test
        /// 1.3.6.1.4.1.1847.2021.1.2: vaccination certificates.
        case vaccination
        /// 1.3.6.1.4.1.1847.2021.1.3: recovery certificates.
        case recovery

        var oid: ASN1ObjectIdentifier {
            switch self {
            case .test: return [1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1]
            case .vaccination: return [1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2]
            case .recovery: return [1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3]
            }
        }
    }

    /// Computes the DCC key identifier of a DER certificate.
    package static func kid(forCertificateDER der: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(der))
        return Array(hasher.finalize().prefix(8))
    }

    /// Parses a DER certificate and extracts its P-256 key.
    ///
    /// Only the key is used: chain validation against a CSCA is the trust
    /// list provider's job, not this codec's.
    package init(derEncoded der: [UInt8]) throws(SigningCertificateError) {
        let key: P256.Signing.PublicKey
        if let certificate = try? Certificate(derEncoded: der) {
            guard let p256 = P256.Signing.PublicKey(certificate.publicKey) else { throw .notP256 }
            key = p256
        } else {
            // swift-certificates rejects certificates whose *issuer* signed
            // with algorithms it does not implement (e.g. RSA-PSS, used by
            // several EU CSCAs). The DSC key itself may still be P-256, so
            // read the SubjectPublicKeyInfo straight from the DER.
            key = try SigningCertificate.subjectPublicKey(fromCertificateDER: der)
        }
        self.der = der
        self.publicKey = key
        self.kid = SigningCertificate.kid(forCertificateDER: der)
    }

    /// Extracts the P-256 key from `Certificate.tbsCertificate.subjectPublicKeyInfo`.
    private static func subjectPublicKey(fromCertificateDER der: [UInt8]) throws(SigningCertificateError) -> P256.Signing.PublicKey {
        let root: ASN1Node
        do {
            root = try DER.parse(der)
        } catch {
            throw .invalidDER
        }
        guard case .constructed(let certificateFields) = root.content,
            let tbs = certificateFields.first(where: { _ in true }),
            case .constructed(let tbsFields) = tbs.content
        else { throw .invalidDER }
        var fields = Array(tbsFields)
        // The version is an optional explicit [0] field before the serial number.
        if let first = fields.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            fields.removeFirst()
        }
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
        guard fields.count > 5 else { throw .invalidDER }
        let spki = fields[5]
        guard spki.identifier == .sequence else { throw .invalidDER }
        do {
            return try P256.Signing.PublicKey(derRepresentation: spki.encodedBytes)
        } catch {
            throw .notP256
        }
    }

    /// Creates a self-signed certificate for `privateKey`, e.g. "CN=EpiCommand DSC, O=EpiCommand, C=VN".
    ///
    /// The certificate is an end-entity (CA:false) with the digitalSignature
    /// key usage and, unless `keyUsages` is empty, the EU DCC extended key
    /// usages so verifiers can restrict what it may sign.
    package static func makeSelfSigned(
        privateKey: P256.Signing.PrivateKey,
        commonName: String = "EpiCommand DSC",
        organization: String = "EpiCommand",
        country: String = "VN",
        notValidBefore: Date,
        notValidAfter: Date,
        keyUsages: [DCCKeyUsage] = [.vaccination]
    ) throws(SigningCertificateError) -> SigningCertificate {
        do {
            let name = try DistinguishedName {
                CountryName(country)
                OrganizationName(organization)
                CommonName(commonName)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                if !keyUsages.isEmpty {
                    try ExtendedKeyUsage(keyUsages.map { ExtendedKeyUsage.Usage(oid: $0.oid) })
                }
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(privateKey.publicKey),
                notValidBefore: notValidBefore,
                notValidAfter: notValidAfter,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return try SigningCertificate(derEncoded: serializer.serializedBytes)
        } catch {
            throw .creationFailed
        }
    }

    /// The certificate as PEM text.
    package var pem: String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n" + base64 + "\n-----END CERTIFICATE-----\n"
    }
}

/// Maps DCC key identifiers to trusted P-256 public keys.
///
/// `@unchecked Sendable` for the same reason as ``SigningCertificate``: the
/// keys are immutable and only read during verification.
package struct TrustList: @unchecked Sendable {
    private var keys: [[UInt8]: P256.Signing.PublicKey] = [:]

    /// Creates an empty trust list.
    package init() {}

    /// Creates a trust list from signer certificates, keyed by their computed `kid`.
    package init(certificates: [SigningCertificate]) {
        for certificate in certificates {
            keys[certificate.kid] = certificate.publicKey
        }
    }

    /// Adds a certificate under its computed `kid`.
    package mutating func add(_ certificate: SigningCertificate) {
        keys[certificate.kid] = certificate.publicKey
    }

    /// Adds a key under an explicit `kid` (e.g. from a downloaded trust list).
    package mutating func add(kid: [UInt8], publicKey: P256.Signing.PublicKey) {
        keys[kid] = publicKey
    }

    /// The key for `kid`, if trusted.
    package subscript(kid: [UInt8]) -> P256.Signing.PublicKey? {
        keys[kid]
    }

    /// Number of trusted keys.
    package var count: Int { keys.count }
}
