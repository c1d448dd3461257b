import EpiCore
import EpiPlatform
import Foundation
import Hummingbird

/// What the signing service brings to the composition root: the public trust list, the offline
/// verifier page and its service worker.
package enum Signing {
    package static let resources = CapabilityResources(name: "EpiSigning", bundle: .module)

    package static let strings: [String: (vi: String, en: String)] = [
        "sig_verify_title": ("Kiểm tra mã QR", "Check a QR code"),
        "sig_verify_help": ("Quét hoặc dán mã trên chứng nhận tiêm chủng, giấy đi đường hoặc tờ khai y tế. Sau lần mở đầu tiên, trang này vẫn kiểm tra được khi không có mạng.",
                            "Scan or paste the code of a vaccination certificate, travel permit or health declaration. Once opened, this page keeps working with no network."),
        "sig_code": ("Mã", "Code"), "sig_check": ("Kiểm tra", "Check"), "sig_scan": ("Quét bằng camera", "Scan with the camera"),
        "sig.status_valid": ("Hợp lệ", "Valid"), "sig.status_expired": ("Đã hết hạn", "Expired"), "sig.status_not_yet_valid": ("Chưa có hiệu lực", "Not valid yet"),
        "sig.status_bad_signature": ("Không hợp lệ: mã đã bị sửa", "Invalid: the code was altered"),
        "sig.status_unknown_key": ("Không hợp lệ: khóa ký không được tin cậy", "Invalid: signed with an untrusted key"),
        "sig.status_malformed": ("Mã hỏng hoặc đọc thiếu", "Damaged or incomplete code"),
        "sig.status_unknown_prefix": ("Không phải mã do hệ thống cấp", "Not a code this system issues"),
        "sig.status_unsupported": ("Trình duyệt này không kiểm tra được mã", "This browser cannot check codes"),
        "sig.status_no_trust_list": ("Chưa có danh sách khóa tin cậy: mở trang khi có mạng một lần", "No trust list yet: open this page once while online"),
        "sig.status_revoked": ("Đã bị thu hồi", "Revoked"),
        "sig.status_wrong_zone": ("Không đúng vùng được phép", "Not valid in this zone"),
        "sig.purpose_vaccination": ("Chứng nhận tiêm chủng", "Vaccination certificate"), "sig.purpose_permit": ("Giấy đi đường", "Travel permit"),
        "sig.purpose_declaration": ("Tờ khai y tế", "Health declaration"),
        "sig.valid_until": ("Hiệu lực đến", "Valid until"),
        "sig.trust_online": ("Danh sách khóa tin cậy (vừa cập nhật):", "Trust list (just updated):"),
        "sig.trust_offline": ("Không có mạng — dùng danh sách khóa đã lưu:", "Offline — using the kept trust list:"),
        "sig.trust_missing": ("Chưa tải được danh sách khóa tin cậy.", "The trust list could not be loaded."),
        "sig.camera_denied": ("Không mở được camera: hãy dán mã.", "The camera could not be opened: paste the code."),
    ]

    /// The verifier's words in one language, for its script (keys without the `sig.` prefix).
    static func words(_ language: Language) -> String {
        let table = Strings.table(language)
        var words: [String: String] = [:]
        for (key, value) in table where key.hasPrefix("sig.") { words[String(key.dropFirst(4))] = value }
        let data = (try? JSONSerialization.data(withJSONObject: words, options: [.sortedKeys])) ?? Data("{}".utf8)
        // Inside <script>, "<" must not start a tag.
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }
}

/// The trust list, the verifier page and its service worker: public, because anyone checking a code
/// must be able to trust it without an account.
package struct SigningRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    package func register(_ open: Routes<AppRequestContext>) {
        open.get("api/v1/certificates/trust-list", .open, use: trustList)
        open.get("verify", .open, use: verifyPage)
        let files = services.staticFiles
        open.get("offline-sw.js", .open) { _, _ in
            guard let file = files["offline-sw.js"] else { throw AppError.notFound }
            return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "no-cache"], body: .init(byteBuffer: .init(bytes: file.data)))
        }
    }

    struct TrustListBody: Encodable {
        struct Key: Encodable {
            struct JWK: Encodable {
                var kty = "EC"
                var crv = "P-256"
                let x: String
                let y: String
            }
            let kid: String
            let kidHex: String
            let purpose: String
            var alg = "ES256"
            let jwk: JWK
            let certificate: String
            let notBefore: String
            let notAfter: String
        }
        let keys: [Key]
        /// When the list was made, by the real clock.
        let generatedAt: String
        /// The same moment by the data's clock (`Clock`: a demo runs on a day of 2021): verifiers judge a
        /// code's dates by the real clock moved by the difference, as the server judges them.
        let clock: String
    }

    @Sendable func trustList(_ request: Request, context: AppRequestContext) async throws -> Response {
        let service = try SigningService.open(services.settings)
        let keys = service.trusted.map { key -> TrustListBody.Key in
            let raw = key.certificate.publicKey.rawRepresentation
            return TrustListBody.Key(kid: Data(key.certificate.kid).base64EncodedString(), kidHex: Hex.encode(key.certificate.kid), purpose: key.purpose.rawValue,
                                     jwk: TrustListBody.Key.JWK(x: Base64URL.encode(raw.prefix(32)), y: Base64URL.encode(raw.suffix(32))),
                                     certificate: Data(key.certificate.der).base64EncodedString(),
                                     notBefore: Timestamp.string(key.notBefore), notAfter: Timestamp.string(key.notAfter))
        }
        var response = try JSON.response(TrustListBody(keys: keys, generatedAt: Timestamp.real(), clock: Timestamp.now()))
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }

    @Sendable func verifyPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plugins = services.staticFiles.names(startingWith: "verify-").filter { $0 != "verify-core.js" && $0 != "verify-page.js" }
        return services.views.publicPage("verify/index", title: context.language == .vi ? "Kiểm tra mã QR" : "Check a QR code", language: context.language,
                                         data: ["wordsJSON": Signing.words(context.language), "plugins": plugins])
    }
}

/// Base64url without padding (JWK coordinates).
package enum Base64URL {
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
