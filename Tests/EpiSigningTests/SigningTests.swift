import Crypto
import EpiCodecs
import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiSigning

@Suite("Signing keys, signed codes and the trust list")
struct SigningTests {
    static func folder() -> String {
        Scratch.path("sign").path
    }

    @Test func keysAreMadeOnceKeptPrivateAndSurviveARestart() throws {
        let dir = Self.folder()
        let first = try SigningService.open(directory: dir)
        let kid = try first.signer(.permit).certificate.kid
        // A private key is readable by its owner only.
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/permit/current.key.pem")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Another process (a CLI command) reading the same folder finds the same key, not a new one.
        let again = try SigningService.load(directory: URL(fileURLWithPath: dir))
        #expect(try again.signer(.permit).certificate.kid == kid)
        // Each purpose has its own key.
        #expect(try first.signer(.vaccination).certificate.kid != kid)
        #expect(Set(first.trusted.map(\.purpose)) == Set(SigningPurpose.allCases))
    }

    @Test func aSignedCodeVerifiesAndAnyChangedCharacterIsRejected() throws {
        let service = try SigningService.open(directory: Self.folder())
        let now = Date()
        let code = try SignedCode.sign([("name", .text("Nguyễn Văn Nam")), ("zone", .text("01/007"))], purpose: .permit,
                                       issuedAt: now, expiresAt: now.addingTimeInterval(86_400), using: service)
        #expect(code.hasPrefix("VNP1:"))
        let verified = try SignedCode.verify(code, now: now, using: service)
        #expect(verified.purpose == .permit)
        #expect(verified.document["name"]?.textValue == "Nguyễn Văn Nam")
        // Flip one character in the body: damaged or forged, never accepted.
        var chars = Array(code)
        let i = code.count - 10
        chars[i] = chars[i] == "A" ? "B" : "A"
        #expect(throws: SignedCodeError.self) { try SignedCode.verify(String(chars), now: now, using: service) }
        // Out of its window.
        #expect(throws: SignedCodeError.expired(Date(timeIntervalSince1970: (now.addingTimeInterval(86_400).timeIntervalSince1970).rounded(.down)))) {
            try SignedCode.verify(code, now: now.addingTimeInterval(2 * 86_400), using: service)
        }
        #expect(throws: SignedCodeError.self) { try SignedCode.verify(code, now: now.addingTimeInterval(-3600), using: service) }
    }

    @Test func codesFromAnotherDeploymentOrAnotherPurposeAreNotTrusted() throws {
        let ours = try SigningService.open(directory: Self.folder())
        let theirs = try SigningService.open(directory: Self.folder())
        let now = Date()
        let foreign = try SignedCode.sign([("name", .text("X"))], purpose: .permit, issuedAt: now, expiresAt: now.addingTimeInterval(60), using: theirs)
        #expect(throws: SignedCodeError.unknownKey) { try SignedCode.verify(foreign, now: now, using: ours) }
        // A declaration key cannot make a permit: the permit prefix with a declaration signature is unknown.
        let declaration = try SignedCode.sign([("name", .text("X"))], purpose: .declaration, issuedAt: now, expiresAt: now.addingTimeInterval(60), using: ours)
        let relabelled = "VNP1:" + declaration.dropFirst("VNH1:".count)
        #expect(throws: SignedCodeError.unknownKey) { try SignedCode.verify(relabelled, now: now, using: ours) }
    }

    @Test func rotationKeepsOldCodesValid() throws {
        let service = try SigningService.open(directory: Self.folder())
        let now = Date()
        let old = try SignedCode.sign([("n", .int(1))], purpose: .declaration, issuedAt: now, expiresAt: now.addingTimeInterval(3600), using: service)
        let oldKid = try service.signer(.declaration).certificate.kid
        let new = try service.rotate(.declaration)
        #expect(new.certificate.kid != oldKid)
        #expect(try SignedCode.verify(old, now: now, using: service).kid == oldKid)
        let fresh = try SignedCode.sign([("n", .int(2))], purpose: .declaration, issuedAt: now, expiresAt: now.addingTimeInterval(3600), using: service)
        #expect(try SignedCode.verify(fresh, now: now, using: service).kid == new.certificate.kid)
    }

    /// The public trust list carries each key in the form browsers import (JWK), and the verifier page
    /// and its service worker are served without signing in.
    @Test(arguments: Dialect.enabled)
    func theTrustListAndTheVerifierArePublic(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let response = try await client.execute(uri: "/api/v1/certificates/trust-list", method: .get)
            #expect(response.status == .ok)
            let body = try response.json()
            let keys = try #require(body["keys"] as? [[String: Any]])
            #expect(Set(keys.compactMap { $0["purpose"] as? String }) == ["vaccination", "permit", "declaration"])
            // Two readings of one moment: the data's clock (the tests' simulated day of 2021) and the real one,
            // from which a verifier judges codes by the data's clock.
            let clock = try #require((body["clock"] as? String).flatMap(Timestamp.date))
            let real = try #require((body["generated_at"] as? String).flatMap(Timestamp.date))
            #expect(VietnamTime.day(of: clock) == TestApp.today)
            #expect(abs(real.timeIntervalSinceNow) < 300)
            let service = try SigningService.open(app.services.settings)
            for key in keys {
                let jwk = try #require(key["jwk"] as? [String: String])
                let x = try #require(Self.base64URL(jwk["x"])), y = try #require(Self.base64URL(jwk["y"]))
                let purpose = try #require((key["purpose"] as? String).flatMap(SigningPurpose.init(rawValue:)))
                #expect(x + y == Array(try service.signer(purpose).certificate.publicKey.rawRepresentation))
            }
            let page = try await client.execute(uri: "/verify", method: .get)
            #expect(page.status == .ok && String(buffer: page.body).contains("id=\"verifier\""))
            let worker = try await client.execute(uri: "/offline-sw.js", method: .get)
            #expect(worker.status == .ok && worker.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(try await client.execute(uri: "/static/verify-core.js", method: .get).status == .ok)
            // The camera scanner both the verifier and the checkpoint page load.
            #expect(String(buffer: page.body).contains("/static/qr-scan.js") && String(buffer: worker.body).contains("/static/qr-scan.js"))
            #expect(try await client.execute(uri: "/static/qr-scan.js", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/static/nothing.js", method: .get).status == .notFound)
        }
    }

    static func base64URL(_ text: String?) -> [UInt8]? {
        guard var s = text?.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") else { return nil }
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}
