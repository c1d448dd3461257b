import EpiCore
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore

/// Establishes who is calling (session cookie or bearer token) and, for browser sessions,
/// rejects any state-changing request that does not carry the session's CSRF token.
package struct AuthMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let auth: AuthService
    let catalog: RouteCatalog

    package init(auth: AuthService, catalog: RouteCatalog) {
        self.auth = auth
        self.catalog = catalog
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        context.language = Language.from(request)
        context.routes = catalog
        // A URL that no page of ours produces: too long, or carrying NUL that the database cannot store.
        let uri = request.uri.string
        if uri.utf8.count > 8192 {
            throw AppError(.uriTooLong, code: "uri_too_long", vi: "Địa chỉ yêu cầu quá dài.", en: "The request URL is too long.")
        }
        if uri.range(of: "%00") != nil || uri.utf8.contains(0) {
            throw AppError.invalid("Địa chỉ yêu cầu chứa ký tự không hợp lệ (NUL).", "The request URL contains an invalid character (NUL).")
        }
        // Refuse an oversized body by its declared length before authenticating or reading any of it.
        let routeLimit = catalog.rule(method: request.method, path: request.uri.path)?.body.bytes ?? BodyLimits.standard
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > max(routeLimit, BodyLimits.anonymous) { throw AppError.tooLarge }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            guard let user = try await auth.apiUser(token: String(header.dropFirst(7))) else {
                throw AppError.unauthenticated
            }
            context.user = user
            context.credential = .apiToken
        } else if let cookie = request.cookies[SessionCookie.name], let (user, credential) = try await auth.session(token: cookie.value) {
            context.user = user
            context.credential = credential
        }
        // Uploads are for signed-in users; anyone else may send a small form at most.
        context.bodyLimit = context.user == nil ? BodyLimits.anonymous : max(routeLimit, BodyLimits.anonymous)
        if let declared, declared > context.bodyLimit { throw AppError.tooLarge }
        let unsafeMethod = [.post, .put, .patch, .delete].contains(request.method)
        if unsafeMethod {
            let contentType = request.headers[.contentType] ?? ""
            if contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.hasPrefix("multipart/form-data") {
                let body = try await request.collectBody(upTo: context.bodyLimit)
                let form = try FormData.parse(contentType: contentType, body: body)
                context.form = form
                if form.value("_key") != nil { context.requestFingerprint = Idempotency.fingerprint(form: form) }
            } else if context.user != nil, HTTPField.Name.idempotencyKey.flatMap({ request.headers[$0] }) != nil {
                // A repeat-safe API write: remember what was asked, so the same key with another body is caught.
                let body = try await request.collectBody(upTo: context.bodyLimit)
                context.requestFingerprint = Idempotency.fingerprint(body: body)
            }
            if case .session(_, let expected) = context.credential {
                let provided = HTTPField.Name.csrfToken.flatMap({ request.headers[$0] }) ?? context.form?["_csrf"]
                guard let provided, Tokens.constantTimeEquals(provided, expected) else {
                    throw AppError.csrf
                }
            }
        }
        let language = context.language
        return try await NumberFormat.$language.withValue(language) { try await next(request, context) }
    }
}

extension HTTPField.Name {
    /// Header names this product reads; optional because the initializer is, though these are valid tokens.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")
    static let csrfToken = HTTPField.Name("X-CSRF-Token")
}

package enum SessionCookie {
    package static let name = "epi_session"

    static let loginCSRF = "epi_login_csrf"
}

/// Turns every error into a page (for browsers) or a JSON envelope (for `/api`), never a stack trace.
package struct ErrorMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let views: Views

    package init(views: Views) {
        self.views = views
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            SecurityHeaders.apply(&response)
            return response
        } catch {
            let language = Language.from(request)
            let appError: AppError
            switch error {
            case let e as AppError: appError = e
            case let e as any InputProblem: appError = .invalid(e.messageVI, e.messageEN)
            case let e as HTTPError where e.status == .notFound: appError = .notFound
            case let e as HTTPError where e.status == .contentTooLarge: appError = .tooLarge
            case let e as HTTPError:
                appError = AppError(e.status, code: "http_\(e.status.code)", vi: e.body ?? "Yêu cầu không hợp lệ.", en: e.body ?? "Bad request.")
            case let e as any HTTPResponseError where e.status == .contentTooLarge: appError = .tooLarge
            case let e as any HTTPResponseError where (400..<500).contains(Int(e.status.code)):
                appError = AppError(e.status, code: "http_\(e.status.code)", vi: "Yêu cầu không hợp lệ.", en: "Bad request.")
            case is DecodingError:
                appError = .invalid("Dữ liệu gửi lên không đúng định dạng.", "The request body is not in the expected format.")
            default:
                context.logger.error("unhandled error: \(String(reflecting: error))")
                appError = AppError(.internalServerError, code: "internal", vi: "Lỗi hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại.", en: "Internal error. Nothing was changed; please try again.")
            }
            var response: Response
            if FHIROutcome.applies(to: request.uri.path) {
                response = FHIROutcome.response(appError, language: language)
            } else if request.uri.path.hasPrefix("/api/") {
                struct Envelope: Encodable {
                    struct Body: Encodable { let code: String; let message: String; let details: [String: String]? }
                    let error: Body
                }
                response = try JSON.response(
                    Envelope(error: .init(code: appError.code, message: appError.message(language), details: appError.details.isEmpty ? nil : appError.details)),
                    status: appError.status
                )
            } else if appError.status == .unauthorized {
                let next = request.uri.path == "/" ? "" : "?next=\(request.uri.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/._-"))) ?? "")"
                response = Views.redirect("/login\(next)")
            } else {
                let data: [String: Any] = ["status": Int(appError.status.code), "message": appError.message(language), "details": appError.details.map { ["field": $0.key, "problem": $0.value] }, "hasDetails": !appError.details.isEmpty]
                response = views.publicPage("error", title: "\(appError.status.code)", language: language, data: data, status: appError.status)
            }
            SecurityHeaders.apply(&response)
            return response
        }
    }
}

/// FHIR clients read every failure on `/fhir` as an OperationOutcome (`application/fhir+json`); an
/// HTML page or our JSON envelope would reach them as an unparseable body, and a login redirect as a
/// 302 they cannot follow. So signing in, permissions and unknown paths answer in FHIR there too.
package enum FHIROutcome {
    package static func applies(to path: String) -> Bool { path == "/fhir" || path.hasPrefix("/fhir/") }

    /// The issue type of R4's IssueType value set that matches an HTTP status.
    static func issueCode(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401: "login"
        case 403: "forbidden"
        case 404, 410: "not-found"
        case 409: "conflict"
        case 413: "too-costly"
        case 500...: "exception"
        default: "invalid"
        }
    }

    package static func response(_ error: AppError, language: Language) -> Response {
        struct Issue: Encodable { let severity: String; let code: String; let diagnostics: String }
        struct Outcome: Encodable { let resourceType = "OperationOutcome"; let issue: [Issue] }
        let outcome = Outcome(issue: [Issue(severity: error.status.code >= 500 ? "fatal" : "error", code: issueCode(error.status), diagnostics: error.message(language))])
        let bytes = (try? JSONEncoder().encode(outcome)) ?? Data(#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/fhir+json; charset=utf-8", .cacheControl: "no-store"]
        // RFC 6750: a client told 401 learns it needs a bearer token.
        if error.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

enum SecurityHeaders {
    static func apply(_ response: inout Response) {
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
        response.headers[.xContentTypeOptions] = "nosniff"
        if let name = HTTPField.Name("X-Frame-Options") { response.headers[name] = "DENY" }
        if let name = HTTPField.Name("Referrer-Policy") { response.headers[name] = "same-origin" }
    }
}
