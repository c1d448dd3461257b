import Crypto
import EpiCodecs
import EpiCore
import EpiPlatform
import Foundation
import NIOConcurrencyHelpers
import X509

/// What a key signs. Each purpose has its own key and certificate, so a leaked permit key cannot
/// forge a vaccination certificate, and a verifier knows from the `kid` what it is reading.
package enum SigningPurpose: String, CaseIterable, Sendable, Codable {
    /// EU DCC vaccination certificates ("HC1:").
    case vaccination
    /// Travel permits read at checkpoints.
    case permit
    /// Public health declarations, valid 72 hours.
    case declaration

    /// The text a signed code starts with. DCC keeps the EU prefix so any EU verifier reads it.
    package var prefix: String {
        switch self {
        case .vaccination: return HC1.prefix
        case .permit: return "VNP1:"
        case .declaration: return "VNH1:"
        }
    }

    package static func of(code: String) -> SigningPurpose? {
        allCases.first { code.hasPrefix($0.prefix) }
    }
}

/// The keys of one deployment, kept as files outside the database (`Settings.keysDirectory`):
///
///     <dir>/<purpose>/current.key.pem       the signing key in use (PKCS#8 PEM, mode 0600)
///     <dir>/<purpose>/<kid hex>.cert.pem    every certificate that purpose ever used (the trust list)
///     <dir>/<purpose>/current               the kid (hex) of the key in use
///
/// Keys are made on first use; `rotate` makes a new one and keeps the old certificates, so codes
/// signed before a rotation still verify. Old private keys are deleted: only certificates are needed
/// to verify.
package final class SigningService: Sendable {
    package struct Signer: @unchecked Sendable {
        package let purpose: SigningPurpose
        package let privateKey: P256.Signing.PrivateKey
        package let certificate: SigningCertificate
    }

    /// A certificate in the trust list, with what it signs and when it was valid.
    package struct TrustedKey: @unchecked Sendable {
        package let purpose: SigningPurpose
        package let certificate: SigningCertificate
        package let notBefore: Date
        package let notAfter: Date
    }

    package let directory: URL
    private let state: NIOLockedValueBox<(signers: [SigningPurpose: Signer], trusted: [TrustedKey])>

    private static let opened = NIOLockedValueBox<[String: SigningService]>([:])

    /// The service for a folder, opened once per process (creating keys the first time).
    package static func open(_ settings: Settings) throws -> SigningService {
        // Every QR check asks for the service; resolving and standardizing the folder's path each time
        // cost a twentieth of a check, so the settings that name the folder are remembered too.
        let named: String
        if let folder = settings.keysDirectory, !folder.isEmpty {
            named = "keys:" + folder
        } else if case .sqliteFile(let path) = settings.database {
            named = "sqlite:" + path
        } else {
            named = "cwd:" + FileManager.default.currentDirectoryPath
        }
        if let known = bySettings.withLockedValue({ $0[named] }) { return known }
        let service = try open(directory: settings.resolvedKeysDirectory)
        bySettings.withLockedValue { $0[named] = service }
        return service
    }

    private static let bySettings = NIOLockedValueBox<[String: SigningService]>([:])

    package static func open(directory path: String) throws -> SigningService {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        return try opened.withLockedValue { services in
            if let existing = services[key] { return existing }
            let service = try SigningService(directory: URL(fileURLWithPath: key))
            services[key] = service
            return service
        }
    }

    /// Reads (or creates) the keys of a folder without the per-process cache: what `open` does the first time.
    static func load(directory: URL) throws -> SigningService { try SigningService(directory: directory) }

    private init(directory: URL) throws {
        self.directory = directory
        var signers: [SigningPurpose: Signer] = [:]
        var trusted: [TrustedKey] = []
        for purpose in SigningPurpose.allCases {
            let (signer, keys) = try Self.load(purpose, in: directory)
            signers[purpose] = signer
            trusted += keys
        }
        state = NIOLockedValueBox((signers, trusted))
    }

    /// The key a purpose signs with now.
    package func signer(_ purpose: SigningPurpose) throws -> Signer {
        guard let signer = state.withLockedValue({ $0.signers[purpose] }) else { throw SigningError.noKey }
        return signer
    }

    /// Every certificate ever used, of every purpose: what verifiers trust.
    package var trusted: [TrustedKey] { state.withLockedValue { $0.trusted } }

    /// The trust list of one purpose, for the codecs' verifiers.
    package func trustList(_ purpose: SigningPurpose) -> TrustList {
        // Built once per purpose and key set (every verification asks); always under the state's lock,
        // so a list built from the keys before a rotation is never kept after it.
        state.withLockedValue { current in
            lists.withLockedValue { lists in
                if let list = lists[purpose] { return list }
                let list = TrustList(certificates: current.trusted.filter { $0.purpose == purpose }.map(\.certificate))
                lists[purpose] = list
                return list
            }
        }
    }

    private let lists = NIOLockedValueBox<[SigningPurpose: TrustList]>([:])

    /// Makes a new key for `purpose`; codes signed with the old one keep verifying.
    @discardableResult
    package func rotate(_ purpose: SigningPurpose) throws -> Signer {
        try state.withLockedValue { current in
            let folder = directory.appendingPathComponent(purpose.rawValue)
            let (signer, key) = try Self.create(purpose, in: folder)
            current.signers[purpose] = signer
            current.trusted.append(key)
            lists.withLockedValue { $0[purpose] = nil }
            return signer
        }
    }

    // MARK: files

    private static func load(_ purpose: SigningPurpose, in directory: URL) throws -> (Signer, [TrustedKey]) {
        let folder = directory.appendingPathComponent(purpose.rawValue)
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var trusted: [TrustedKey] = []
        for name in (try fm.contentsOfDirectory(atPath: folder.path)).sorted() where name.hasSuffix(".cert.pem") {
            let pem = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            trusted.append(try trustedKey(purpose, pem: pem))
        }
        let currentFile = folder.appendingPathComponent("current")
        let keyFile = folder.appendingPathComponent("current.key.pem")
        if let kidHex = try? String(contentsOf: currentFile, encoding: .utf8).trimmedWhitespace,
           let keyPEM = try? String(contentsOf: keyFile, encoding: .utf8),
           let certificate = trusted.first(where: { Hex.encode($0.certificate.kid) == kidHex }) {
            let key: P256.Signing.PrivateKey
            do { key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM) } catch { throw SigningError.unreadableKey(keyFile.path) }
            guard key.publicKey.rawRepresentation == certificate.certificate.publicKey.rawRepresentation else { throw SigningError.unreadableKey(keyFile.path) }
            return (Signer(purpose: purpose, privateKey: key, certificate: certificate.certificate), trusted)
        }
        let (signer, key) = try create(purpose, in: folder)
        return (signer, trusted + [key])
    }

    private static func create(_ purpose: SigningPurpose, in folder: URL) throws -> (Signer, TrustedKey) {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = P256.Signing.PrivateKey()
        let now = Date()
        // Two years: longer than any code it signs (certificates 12 months), then a rotation is due.
        let notAfter = now.addingTimeInterval(2 * 365 * 86_400)
        let certificate: SigningCertificate
        do {
            certificate = try SigningCertificate.makeSelfSigned(
                privateKey: key, commonName: "EpiCommand \(purpose.rawValue) signer", organization: "EpiCommand", country: "VN",
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: notAfter,
                keyUsages: purpose == .vaccination ? [.vaccination] : [])
        } catch {
            throw SigningError.creationFailed
        }
        let kidHex = Hex.encode(certificate.kid)
        try write(certificate.pem, to: folder.appendingPathComponent("\(kidHex).cert.pem"), mode: 0o644)
        try write(key.pemRepresentation, to: folder.appendingPathComponent("current.key.pem"), mode: 0o600)
        try write(kidHex + "\n", to: folder.appendingPathComponent("current"), mode: 0o644)
        return (Signer(purpose: purpose, privateKey: key, certificate: certificate),
                TrustedKey(purpose: purpose, certificate: certificate, notBefore: now.addingTimeInterval(-3600), notAfter: notAfter))
    }

    private static func trustedKey(_ purpose: SigningPurpose, pem: String) throws -> TrustedKey {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { throw SigningError.unreadableCertificate }
        let certificate: SigningCertificate
        do { certificate = try SigningCertificate(derEncoded: Array(der)) } catch { throw SigningError.unreadableCertificate }
        let parsed = try? Certificate(derEncoded: Array(der))
        return TrustedKey(purpose: purpose, certificate: certificate, notBefore: parsed?.notValidBefore ?? .distantPast, notAfter: parsed?.notValidAfter ?? .distantFuture)
    }

    /// Writes a file atomically with the given permissions (a key is never readable by others, even briefly).
    private static func write(_ text: String, to url: URL, mode: Int16) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temp.path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw SigningError.cannotWrite(url.path)
        }
        // rename(2) replaces the old file in one step: a crash leaves the old key or the new one, never half of one.
        guard rename(temp.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temp)
            throw SigningError.cannotWrite(url.path)
        }
    }
}

package enum SigningError: Error, Sendable, Equatable {
    case noKey, creationFailed, unreadableCertificate
    case unreadableKey(String), cannotWrite(String)
}

extension SigningError: CustomStringConvertible {
    package var description: String {
        switch self {
        case .noKey: return "no signing key"
        case .creationFailed: return "could not create a signing key"
        case .unreadableCertificate: return "could not read a signing certificate"
        case .unreadableKey(let path): return "could not read the signing key \(path)"
        case .cannotWrite(let path): return "could not write \(path)"
        }
    }
}

